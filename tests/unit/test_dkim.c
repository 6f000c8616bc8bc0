/* test_dkim.c: the DKIM signer (mail/dkim.h) as a specification.
 *
 * The key is made by the test itself (openssl genrsa into a temporary directory). The
 * signature header's tags are read back and checked against the policy; the body hash
 * is recomputed here, independently of the signer, from a relaxed body written out by
 * hand and hashed with GLib's GChecksum. The cryptographic check of b= by an
 * independent verifier (dkimpy) is in tests/it/test_dkim.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <glib/gstdio.h>

#include "core/error.h"
#include "mail/dkim.h"
#include "tmp_dir.h"

static char *tmpdir;
static char *key_path;

/* A receipt-like message: folded From, a custom header we must not sign, and a body
 * whose relaxed form differs from it (inner and trailing blanks, empty lines at end). */
static const char message[] =
  "From: =?utf-8?B?0KHQu9GD0LbQsdCw?=\r\n"
  " <support@portal.example>\r\n"
  "To: citizen@example.org\r\n"
  "Subject: =?utf-8?B?0J7QsdGA0LDRidC10L3QuNC1?=\r\n"
  "Date: Mon, 23 Nov 2026 18:07:49 +0300\r\n"
  "Message-ID: <okno.26-000001-9.0123456789abcdef@okno.portal.example>\r\n"
  "X-Custom: not signed\r\n"
  "Auto-Submitted: auto-replied\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: text/plain; charset=utf-8\r\n"
  "Content-Transfer-Encoding: quoted-printable\r\n"
  "\r\n"
  "Hello  world \r\n"
  "\tsecond line\t\r\n"
  "\r\n"
  "\r\n";

/* The same body under relaxed canonicalisation (RFC 6376 3.4.4), by hand. */
static const char relaxed_body[] = "Hello world\r\n second line\r\n";

static char *run_openssl(const char *const *argv)
{
  g_autoptr(GError) e = NULL;
  char *out = NULL;
  int status = 0;
  gboolean ok = g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                             NULL, NULL, &out, NULL, &status, &e);
  assert_true(ok);
  assert_true(g_spawn_check_wait_status(status, NULL));
  return out;
}

static int make_key(void **state)
{
  (void)state;
  tmpdir = g_dir_make_tmp("okno-dkim-XXXXXX", NULL);
  assert_non_null(tmpdir);
  key_path = g_build_filename(tmpdir, "key.pem", NULL);
  const char *argv[] = {"openssl", "genrsa", "-out", key_path, "2048", NULL};
  g_free(run_openssl(argv));
  return 0;
}

static int remove_key(void **state)
{
  (void)state;
  tmp_dir_remove(tmpdir);
  g_clear_pointer(&tmpdir, g_free);
  g_clear_pointer(&key_path, g_free);
  return 0;
}

static void set(char **field, const char *value)
{
  g_free(*field);
  *field = g_strdup(value);
}

static OknoConfig *config_with(const char *selector, const char *domain, const char *key)
{
  OknoConfig *cfg = okno_config_new_default();
  set(&cfg->outbound_from, "support@portal.example");
  set(&cfg->dkim_selector, selector);
  set(&cfg->dkim_domain, domain);
  set(&cfg->dkim_key, key);
  return cfg;
}

static GBytes *sign(OknoDkim *dkim, const char *msg)
{
  g_autoptr(GBytes) in = g_bytes_new_static(msg, strlen(msg));
  g_autoptr(GError) e = NULL;
  GBytes *out = okno_dkim_sign(dkim, in, &e);
  assert_null(e);
  assert_non_null(out);
  return out;
}

/* The tags of the DKIM-Signature at the top of `signed_msg`: unfolded, white space
 * removed from values (as verifiers do for b= and bh=), name -> value. */
static GHashTable *signature_tags(GBytes *signed_msg)
{
  gsize n;
  const char *m = g_bytes_get_data(signed_msg, &n);
  const char *prefix = "DKIM-Signature: ";
  GHashTable *tags = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  GString *value = g_string_new(NULL);
  gsize i = strlen(prefix);
  assert_true(n > i && memcmp(m, prefix, i) == 0);
  for (; i + 2 < n; i++) {
    if (m[i] == '\r' && m[i + 1] == '\n' && m[i + 2] != ' ' && m[i + 2] != '\t')
      break; /* end of the field */
    if (m[i] != '\r' && m[i] != '\n' && m[i] != ' ' && m[i] != '\t')
      g_string_append_c(value, m[i]);
  }
  g_auto(GStrv) parts = g_strsplit(value->str, ";", -1);
  for (char **p = parts; *p; p++) {
    char *eq = strchr(*p, '=');
    if (eq)
      g_hash_table_insert(tags, g_strndup(*p, (gsize)(eq - *p)), g_strdup(eq + 1));
  }
  g_string_free(value, TRUE);
  return tags;
}

static void test_signature_header_states_rsa_sha256_relaxed_domain_selector_and_headers(void **state)
{
  (void)state;
  g_autoptr(OknoConfig) cfg = config_with("okno2026", "", key_path);
  g_autoptr(GError) e = NULL;
  g_autoptr(OknoDkim) dkim = okno_dkim_new(cfg, &e);
  assert_null(e);
  g_autoptr(GBytes) out = sign(dkim, message);
  g_autoptr(GHashTable) tags = signature_tags(out);

  assert_string_equal(g_hash_table_lookup(tags, "v"), "1");
  assert_string_equal(g_hash_table_lookup(tags, "a"), "rsa-sha256");
  assert_string_equal(g_hash_table_lookup(tags, "c"), "relaxed/relaxed");
  assert_string_equal(g_hash_table_lookup(tags, "d"), "portal.example"); /* from [outbound] from */
  assert_string_equal(g_hash_table_lookup(tags, "s"), "okno2026");
  assert_non_null(g_hash_table_lookup(tags, "b"));
  assert_null(g_hash_table_lookup(tags, "l")); /* the whole body is signed */
  assert_null(g_hash_table_lookup(tags, "x")); /* no expiry: delayed retries still verify */

  g_autofree char *h = g_ascii_strdown(g_hash_table_lookup(tags, "h"), -1);
  g_auto(GStrv) names = g_strsplit(h, ":", -1);
  const char *want[] = {"from", "to", "subject", "date", "message-id", "auto-submitted",
                        "mime-version", "content-type", "content-transfer-encoding"};
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
    assert_true(g_strv_contains((const char *const *)names, want[i]));
  assert_false(g_strv_contains((const char *const *)names, "x-custom"));
}

static void test_signed_message_is_the_original_after_one_crlf_header(void **state)
{
  (void)state;
  g_autoptr(OknoConfig) cfg = config_with("okno2026", "", key_path);
  g_autoptr(OknoDkim) dkim = okno_dkim_new(cfg, NULL);
  g_autoptr(GBytes) out = sign(dkim, message);
  gsize n, len = strlen(message);
  const char *m = g_bytes_get_data(out, &n);
  const char *end = strstr(m, "\r\nFrom: ");

  assert_non_null(end);
  assert_int_equal(n - (gsize)(end + 2 - m), len);
  assert_memory_equal(end + 2, message, len);
  for (const char *p = m; p < end; p++) /* every line of the signature ends in CRLF */
    if (*p == '\n')
      assert_int_equal(p[-1], '\r');
}

static void test_body_hash_is_base64_sha256_of_the_relaxed_body(void **state)
{
  (void)state;
  g_autoptr(OknoConfig) cfg = config_with("okno2026", "", key_path);
  g_autoptr(OknoDkim) dkim = okno_dkim_new(cfg, NULL);
  g_autoptr(GBytes) first = sign(dkim, message);
  g_autoptr(GBytes) second = sign(dkim, message);
  g_autoptr(GHashTable) t1 = signature_tags(first);
  g_autoptr(GHashTable) t2 = signature_tags(second);
  g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize dlen = sizeof digest;

  g_checksum_update(sha, (const guchar *)relaxed_body, (gssize)strlen(relaxed_body));
  g_checksum_get_digest(sha, digest, &dlen);
  g_autofree char *expected = g_base64_encode(digest, dlen);
  assert_string_equal(g_hash_table_lookup(t1, "bh"), expected);
  assert_string_equal(g_hash_table_lookup(t2, "bh"), expected); /* signing twice: same bh */
}

static void test_every_instance_of_a_signed_field_is_named_whatever_its_case(void **state)
{
  (void)state;
  g_autoptr(OknoConfig) cfg = config_with("okno2026", "", key_path);
  g_autoptr(OknoDkim) dkim = okno_dkim_new(cfg, NULL);
  const char two_to[] = "FROM: support@portal.example\r\nTo: a@example.org\r\n"
                        "X-Other: x\r\nto : b@example.org\r\n\r\nbody\r\n";
  g_autoptr(GBytes) out = sign(dkim, two_to);
  g_autoptr(GHashTable) tags = signature_tags(out);
  assert_string_equal(g_hash_table_lookup(tags, "h"), "from:to:to");
}

static void test_domain_setting_overrides_the_from_domain(void **state)
{
  (void)state;
  g_autoptr(OknoConfig) cfg = config_with("Sel-1", "Mail.Portal.Example", key_path);
  g_autoptr(OknoDkim) dkim = okno_dkim_new(cfg, NULL);
  g_autoptr(GBytes) out = sign(dkim, message);
  g_autoptr(GHashTable) tags = signature_tags(out);
  assert_string_equal(g_hash_table_lookup(tags, "d"), "mail.portal.example");
  assert_string_equal(g_hash_table_lookup(tags, "s"), "sel-1");
}

static void test_no_selector_means_no_signing_and_the_message_unchanged(void **state)
{
  (void)state;
  g_autoptr(OknoConfig) cfg = config_with("", "", "");
  g_autoptr(GError) e = NULL;
  OknoDkim *dkim = okno_dkim_new(cfg, &e);
  assert_null(dkim);
  assert_null(e);
  g_autoptr(GBytes) in = g_bytes_new_static(message, strlen(message));
  g_autoptr(GBytes) out = okno_dkim_sign(NULL, in, NULL);
  assert_true(g_bytes_equal(in, out));
}

static void expect_key_error(const char *key, const char *fragment)
{
  g_autoptr(OknoConfig) cfg = config_with("okno2026", "", key);
  g_autoptr(GError) e = NULL;
  OknoDkim *dkim = okno_dkim_new(cfg, &e);
  assert_null(dkim);
  assert_non_null(e);
  assert_int_equal(e->code, OKNO_ERROR_USER);
  assert_non_null(strstr(e->message, key));
  assert_non_null(strstr(e->message, fragment));
  assert_null(strchr(e->message, '\n'));
}

static void test_missing_garbage_or_weak_key_is_a_user_error_naming_the_file(void **state)
{
  (void)state;
  g_autofree char *missing = g_build_filename(tmpdir, "absent.pem", NULL);
  g_autofree char *garbage = g_build_filename(tmpdir, "garbage.pem", NULL);
  g_autofree char *weak = g_build_filename(tmpdir, "weak.pem", NULL);
  const char *argv[] = {"openssl", "genrsa", "-out", weak, "768", NULL};

  expect_key_error(missing, "cannot read");
  assert_true(g_file_set_contents(garbage, "-----BEGIN NOTHING-----\nxx\n", -1, NULL));
  expect_key_error(garbage, "not a PEM private key");
  g_free(run_openssl(argv));
  expect_key_error(weak, "at least 1024 bits");
}

static void test_selector_that_is_not_a_dns_name_is_refused(void **state)
{
  (void)state;
  g_autoptr(OknoConfig) cfg = config_with("bad; h=x", "", key_path);
  g_autoptr(GError) e = NULL;
  assert_null(okno_dkim_new(cfg, &e));
  assert_non_null(e);
  assert_int_equal(e->code, OKNO_ERROR_USER);
}

static void test_message_without_empty_line_fails_and_says_why(void **state)
{
  (void)state;
  g_autoptr(OknoConfig) cfg = config_with("okno2026", "", key_path);
  g_autoptr(OknoDkim) dkim = okno_dkim_new(cfg, NULL);
  const char broken[] = "From: support@portal.example\r\nSubject: no body\r\n";
  g_autoptr(GBytes) in = g_bytes_new_static(broken, strlen(broken));
  g_autoptr(GError) e = NULL;
  g_autoptr(GBytes) out = okno_dkim_sign(dkim, in, &e);
  assert_null(out);
  assert_non_null(e);
  assert_int_equal(e->code, OKNO_ERROR_INTERNAL);
  assert_non_null(strstr(e->message, "empty line"));
}

static void test_dns_record_publishes_the_public_half_of_the_key(void **state)
{
  (void)state;
  g_autoptr(OknoConfig) cfg = config_with("okno2026", "", key_path);
  g_autoptr(OknoDkim) dkim = okno_dkim_new(cfg, NULL);
  g_autofree char *record = okno_dkim_dns_record(dkim);
  const char *argv[] = {"openssl", "rsa", "-in", key_path, "-pubout", NULL};
  g_autofree char *pem = run_openssl(argv);
  g_autoptr(GString) pub = g_string_new(NULL);
  g_autoptr(GString) value = g_string_new(NULL);
  const char *head = "okno2026._domainkey.portal.example. IN TXT \"";
  g_auto(GStrv) lines = g_strsplit(pem, "\n", -1);
  g_auto(GStrv) quoted = NULL;

  for (char **l = lines; *l; l++)
    if (**l && !g_str_has_prefix(*l, "-----"))
      g_string_append(pub, *l);
  assert_true(g_str_has_prefix(record, head));
  quoted = g_strsplit(record + strlen(head) - 1, "\"", -1);
  for (guint i = 1; quoted[i]; i += 2) { /* odd pieces are inside quotes */
    assert_true(strlen(quoted[i]) <= 255);
    g_string_append(value, quoted[i]);
  }
  g_autofree char *expected = g_strconcat("v=DKIM1; k=rsa; p=", pub->str, NULL);
  assert_string_equal(value->str, expected);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_signature_header_states_rsa_sha256_relaxed_domain_selector_and_headers),
    cmocka_unit_test(test_signed_message_is_the_original_after_one_crlf_header),
    cmocka_unit_test(test_body_hash_is_base64_sha256_of_the_relaxed_body),
    cmocka_unit_test(test_every_instance_of_a_signed_field_is_named_whatever_its_case),
    cmocka_unit_test(test_domain_setting_overrides_the_from_domain),
    cmocka_unit_test(test_no_selector_means_no_signing_and_the_message_unchanged),
    cmocka_unit_test(test_missing_garbage_or_weak_key_is_a_user_error_naming_the_file),
    cmocka_unit_test(test_selector_that_is_not_a_dns_name_is_refused),
    cmocka_unit_test(test_message_without_empty_line_fails_and_says_why),
    cmocka_unit_test(test_dns_record_publishes_the_public_half_of_the_key),
  };
  return cmocka_run_group_tests(tests, make_key, remove_key);
}
