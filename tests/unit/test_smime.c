/* test_smime.c: the S/MIME signer (mail/smime.h) as a specification.
 *
 * The certificate and key are made by the test itself (`openssl req -x509` into a
 * temporary directory). The signed message is taken apart here by hand (outer header,
 * boundary, the two parts) and the signature checked with OpenSSL's CMS_verify against
 * the signed part as it stands in the message: the signer's own code is not used to
 * check it. The check by the openssl command and by Python's email package on a receipt
 * as sent is in tests/it/test_smime.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <glib/gstdio.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/error.h"
#include "mail/smime.h"
#include "tmp_dir.h"

static char *tmpdir, *cert_path, *key_path, *other_key_path;

static const char message[] =
  "From: support@portal.example\r\n"
  "To: citizen@example.org\r\n"
  "Subject: =?utf-8?B?0J7QsdGA0LDRidC10L3QuNC1?=\r\n"
  "Message-ID: <okno.26-000001-9.0123456789abcdef@okno.portal.example>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: text/plain;\r\n"
  " charset=utf-8\r\n"
  "Content-Transfer-Encoding: quoted-printable\r\n"
  "Auto-Submitted: auto-replied\r\n"
  "\r\n"
  "Hello  world \r\n"
  "=D0=9F\r\n";

static void run(const char *const *argv)
{
  int status = 0;
  assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                           G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL,
                           NULL, NULL, NULL, NULL, &status, NULL));
  assert_true(g_spawn_check_wait_status(status, NULL));
}

static int make_cert(void **state)
{
  (void)state;
  tmpdir = g_dir_make_tmp("okno-smime-XXXXXX", NULL);
  assert_non_null(tmpdir);
  cert_path = g_build_filename(tmpdir, "cert.pem", NULL);
  key_path = g_build_filename(tmpdir, "key.pem", NULL);
  other_key_path = g_build_filename(tmpdir, "other.pem", NULL);
  const char *req[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                       "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                       "/CN=support@portal.example", "-keyout", key_path, "-out", cert_path, NULL};
  run(req);
  const char *other[] = {"openssl", "genpkey", "-algorithm", "ec", "-pkeyopt",
                         "ec_paramgen_curve:P-256", "-out", other_key_path, NULL};
  run(other);
  return 0;
}

static int remove_cert(void **state)
{
  (void)state;
  tmp_dir_remove(tmpdir);
  g_clear_pointer(&tmpdir, g_free);
  g_clear_pointer(&cert_path, g_free);
  g_clear_pointer(&key_path, g_free);
  g_clear_pointer(&other_key_path, g_free);
  return 0;
}

static void set(char **field, const char *value)
{
  g_free(*field);
  *field = g_strdup(value);
}

static OknoConfig *config_with(const char *cert, const char *key)
{
  OknoConfig *cfg = okno_config_new_default();
  set(&cfg->smime_cert_file, cert);
  set(&cfg->smime_key_file, key);
  return cfg;
}

static GBytes *sign(const char *msg)
{
  g_autoptr(OknoConfig) cfg = config_with(cert_path, key_path);
  g_autoptr(GError) e = NULL;
  g_autoptr(OknoSmime) s = okno_smime_new(cfg, &e);
  g_autoptr(GBytes) in = g_bytes_new(msg, strlen(msg));
  assert_non_null(s);
  GBytes *out = okno_smime_sign(s, in, &e);
  assert_null(e);
  assert_non_null(out);
  return out;
}

/* The parts of a signed message, found by hand. */
typedef struct {
  char *outer;     /* the outer header, to its empty line */
  char *boundary;
  char *content;   /* the first part, without the CRLF before the next delimiter */
  char *signature; /* the second part, header and base64 */
} Parts;

static void parts_clear(Parts *p)
{
  g_free(p->outer);
  g_free(p->boundary);
  g_free(p->content);
  g_free(p->signature);
}

static void split(GBytes *signed_msg, Parts *p)
{
  gsize len;
  const char *d = g_bytes_get_data(signed_msg, &len);
  g_autofree char *s = g_strndup(d, len);
  const char *eoh = strstr(s, "\r\n\r\n"), *b, *e;
  assert_non_null(eoh);
  assert_int_equal(strlen(s), len); /* no NUL inside */
  p->outer = g_strndup(s, (gsize)(eoh + 2 - s));
  b = strstr(p->outer, "boundary=\"");
  assert_non_null(b);
  b += strlen("boundary=\"");
  e = strchr(b, '"');
  p->boundary = g_strndup(b, (gsize)(e - b));
  g_autofree char *first = g_strconcat("\r\n--", p->boundary, "\r\n", NULL);
  g_autofree char *last = g_strconcat("\r\n--", p->boundary, "--\r\n", NULL);
  const char *c = strstr(eoh, first);
  assert_non_null(c);
  c += strlen(first);
  const char *c_end = strstr(c, first);
  assert_non_null(c_end);
  p->content = g_strndup(c, (gsize)(c_end - c));
  const char *sig = c_end + strlen(first), *sig_end = strstr(sig, last);
  assert_non_null(sig_end);
  assert_true(g_str_has_suffix(s, last));
  p->signature = g_strndup(sig, (gsize)(sig_end - sig));
}

/* CMS_verify of the base64 DER in `sig_part` over `content`, trusting `cert_path`. */
static gboolean cms_ok(const char *sig_part, const char *content)
{
  const char *b64 = strstr(sig_part, "\r\n\r\n");
  assert_non_null(b64);
  g_autofree char *joined = g_strdup(b64 + 4);
  char *w = joined;
  for (const char *r = joined; *r; r++)
    if (*r != '\r' && *r != '\n')
      *w++ = *r;
  *w = '\0';
  gsize der_len;
  g_autofree guchar *der = g_base64_decode(joined, &der_len);
  const unsigned char *dp = der;
  CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &dp, (long)der_len);
  assert_non_null(cms);
  BIO *cb = BIO_new_file(cert_path, "r");
  X509 *ca = PEM_read_bio_X509(cb, NULL, NULL, NULL);
  X509_STORE *store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  BIO *data = BIO_new_mem_buf(content, (int)strlen(content));
  int ok = CMS_verify(cms, NULL, store, data, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY);
  /* the signer is the certificate configured */
  STACK_OF(X509) *signers = CMS_get0_signers(cms);
  gboolean same = signers && sk_X509_num(signers) == 1 && X509_cmp(sk_X509_value(signers, 0), ca) == 0;
  sk_X509_free(signers);
  BIO_free(data);
  X509_STORE_free(store);
  X509_free(ca);
  BIO_free(cb);
  CMS_ContentInfo_free(cms);
  ERR_clear_error();
  return ok == 1 && same;
}

static void test_outer_header_keeps_the_fields_and_declares_multipart_signed(void **state)
{
  (void)state;
  g_autoptr(GBytes) out = sign(message);
  Parts p = {0};
  split(out, &p);
  assert_non_null(strstr(p.outer, "From: support@portal.example\r\n"));
  assert_non_null(strstr(p.outer, "Subject: =?utf-8?B?0J7QsdGA0LDRidC10L3QuNC1?=\r\n"));
  assert_non_null(strstr(p.outer, "Auto-Submitted: auto-replied\r\n"));
  assert_non_null(strstr(p.outer, "MIME-Version: 1.0\r\n"));
  assert_null(strstr(strstr(p.outer, "MIME-Version") + 1, "MIME-Version")); /* once */
  assert_non_null(strstr(p.outer, "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n"
                                  " micalg=sha-256; boundary=\""));
  assert_null(strstr(p.outer, "quoted-printable"));
  assert_null(strstr(p.outer, "text/plain"));
  assert_true(g_str_has_prefix(p.signature, "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"));
  parts_clear(&p);
}

static void test_signed_part_is_the_content_fields_and_the_body_as_they_were(void **state)
{
  (void)state;
  g_autoptr(GBytes) out = sign(message);
  Parts p = {0};
  split(out, &p);
  assert_string_equal(p.content, "Content-Type: text/plain;\r\n"
                                 " charset=utf-8\r\n"
                                 "Content-Transfer-Encoding: quoted-printable\r\n"
                                 "\r\n"
                                 "Hello  world \r\n"
                                 "=D0=9F\r\n");
  assert_null(strstr(p.content, p.boundary));
  parts_clear(&p);
}

static void test_signature_verifies_over_the_part_and_not_over_a_changed_one(void **state)
{
  (void)state;
  g_autoptr(GBytes) out = sign(message);
  Parts p = {0};
  split(out, &p);
  assert_true(cms_ok(p.signature, p.content));
  char *at = strstr(p.content, "Hello");
  at[0] = 'J';
  assert_false(cms_ok(p.signature, p.content));
  parts_clear(&p);
}

static void test_bare_line_feeds_are_signed_as_crlf(void **state)
{
  (void)state;
  g_autoptr(GBytes) out = sign("From: a@b.example\nSubject: x\n\nline one\nline two\n");
  Parts p = {0};
  split(out, &p);
  /* no Content-Type given: the default is written out (RFC 2045 5.2) */
  assert_string_equal(p.content, "Content-Type: text/plain; charset=us-ascii\r\n\r\nline one\r\nline two\r\n");
  assert_true(cms_ok(p.signature, p.content));
  assert_non_null(strstr(p.outer, "From: a@b.example\r\nSubject: x\r\n"));
  parts_clear(&p);
}

static void test_off_returns_the_message_unchanged(void **state)
{
  (void)state;
  g_autoptr(OknoConfig) cfg = config_with("", "");
  g_autoptr(GError) e = NULL;
  g_autoptr(OknoSmime) s = okno_smime_new(cfg, &e);
  g_autoptr(GBytes) in = g_bytes_new_static(message, strlen(message));
  assert_null(s);
  assert_null(e);
  g_autoptr(GBytes) out = okno_smime_sign(NULL, in, &e);
  assert_true(out == in || g_bytes_equal(out, in));
}

static void test_message_without_header_fails_and_plain_variant_sends_it(void **state)
{
  (void)state;
  g_autoptr(OknoConfig) cfg = config_with(cert_path, key_path);
  g_autoptr(GError) e = NULL, failure = NULL;
  g_autoptr(OknoSmime) s = okno_smime_new(cfg, &e);
  g_autoptr(GBytes) in = g_bytes_new_static("no header at all", 16);
  assert_non_null(s);
  g_autoptr(GBytes) out = okno_smime_sign(s, in, &e);
  assert_null(out);
  assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_INTERNAL));
  assert_non_null(strstr(e->message, "no empty line"));
  g_autoptr(GBytes) plain = okno_smime_sign_or_plain(s, in, &failure);
  assert_true(g_bytes_equal(plain, in));
  assert_non_null(failure);
}

static void test_wrong_or_missing_files_are_user_errors_naming_the_file(void **state)
{
  (void)state;
  struct {
    const char *cert, *key, *says;
  } cases[] = {
    {cert_path, other_key_path, "is not the key of the certificate"},
    {"/nonexistent/cert.pem", key_path, "cannot read the [smime] cert_file"},
    {key_path, key_path, "cert_file is not a PEM certificate"},
    {cert_path, cert_path, "key_file is not a PEM private key"},
    {cert_path, "", "key_file is empty"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(OknoConfig) cfg = config_with(cases[i].cert, cases[i].key);
    g_autoptr(GError) e = NULL;
    g_autoptr(OknoSmime) s = okno_smime_new(cfg, &e);
    assert_null(s);
    assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_USER));
    assert_non_null(strstr(e->message, cases[i].says));
  }
  {
    g_autoptr(OknoConfig) cfg = config_with(cert_path, key_path);
    g_autoptr(GError) e = NULL;
    g_autoptr(OknoSmime) s = okno_smime_new(cfg, &e);
    g_autofree char *d = okno_smime_describe(s);
    assert_non_null(strstr(d, "CN=support@portal.example sha256="));
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_outer_header_keeps_the_fields_and_declares_multipart_signed),
    cmocka_unit_test(test_signed_part_is_the_content_fields_and_the_body_as_they_were),
    cmocka_unit_test(test_signature_verifies_over_the_part_and_not_over_a_changed_one),
    cmocka_unit_test(test_bare_line_feeds_are_signed_as_crlf),
    cmocka_unit_test(test_off_returns_the_message_unchanged),
    cmocka_unit_test(test_message_without_header_fails_and_plain_variant_sends_it),
    cmocka_unit_test(test_wrong_or_missing_files_are_user_errors_naming_the_file),
  };
  return cmocka_run_group_tests(tests, make_cert, remove_cert);
}
