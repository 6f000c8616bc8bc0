/* smime.c: S/MIME signing of outbound mail with OpenSSL's CMS (see smime.h).
 *
 * HOW IT WORKS (RFC 8551 3.5, RFC 1847)
 * okno_smime_new() reads the certificate, its key and the optional chain once and checks
 * that the key is the certificate's. okno_smime_sign():
 *   1. puts the message into canonical form (bare LF -> CRLF) and splits it at the first
 *      empty line; the header into fields (a field runs to a CRLF not followed by SP/HT);
 *   2. the signed entity is the Content-* fields, an empty line and the body, as they
 *      were; the other fields stay in the outer header, MIME-Version is written once;
 *   3. CMS_sign (detached, binary: the bytes are already canonical, nothing is
 *      translated) with SHA-256 and the default signed attributes (content type,
 *      signing time, message digest, S/MIME capabilities), the certificate and the chain;
 *   4. writes the multipart/signed with a random boundary (checked not to occur in the
 *      signed entity) and the DER signature in base64 lines of 76 characters.
 * The independent checks are `openssl cms -verify` and Python's email package in
 * tests/it/test_smime.py. */
#include "mail/smime.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "core/error.h"

#define MAX_PEM_FILE (256 * 1024)
#define B64_LINE 76

struct OknoSmime {
  X509 *cert;
  EVP_PKEY *key;
  STACK_OF(X509) *chain; /* may be empty, never NULL */
};

/* The PEM file at `path` ([smime] `what`), read whole; NULL and the error naming it. */
static char *read_pem(const char *path, const char *what, gsize *len, GError **error)
{
  g_autoptr(GError) e = NULL;
  char *pem = NULL;
  if (!g_file_get_contents(path, &pem, len, &e)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: cannot read the [smime] %s: %s", path,
                what, e->message);
    return NULL;
  }
  if (*len > MAX_PEM_FILE || strlen(pem) != *len) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [smime] %s is not a PEM file", path, what);
    memset(pem, 0, *len);
    g_free(pem);
    return NULL;
  }
  return pem;
}

static gboolean load_cert(OknoSmime *s, const char *path, GError **error)
{
  gsize len;
  g_autofree char *pem = read_pem(path, "cert_file", &len, error);
  BIO *bio;
  if (!pem)
    return FALSE;
  bio = BIO_new_mem_buf(pem, (int)len);
  s->cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  ERR_clear_error();
  if (!s->cert) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [smime] cert_file is not a PEM certificate",
                path);
    return FALSE;
  }
  return TRUE;
}

static gboolean load_key(OknoSmime *s, const char *path, GError **error)
{
  gsize len;
  char *pem = read_pem(path, "key_file", &len, error);
  BIO *bio;
  if (!pem)
    return FALSE;
  bio = BIO_new_mem_buf(pem, (int)len);
  s->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  memset(pem, 0, len); /* no copy of the private key text outlives this call */
  g_free(pem);
  ERR_clear_error();
  if (!s->key) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [smime] key_file is not a PEM private key",
                path);
    return FALSE;
  }
  if (X509_check_private_key(s->cert, s->key) != 1) {
    ERR_clear_error();
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: [smime] key_file is not the key of the certificate in cert_file", path);
    return FALSE;
  }
  return TRUE;
}

static gboolean load_chain(OknoSmime *s, const char *path, GError **error)
{
  gsize len;
  g_autofree char *pem = read_pem(path, "chain_file", &len, error);
  BIO *bio;
  X509 *c;
  if (!pem)
    return FALSE;
  bio = BIO_new_mem_buf(pem, (int)len);
  while (bio && (c = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
    sk_X509_push(s->chain, c);
  BIO_free(bio);
  ERR_clear_error();
  if (sk_X509_num(s->chain) == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: [smime] chain_file holds no PEM certificate", path);
    return FALSE;
  }
  return TRUE;
}

OknoSmime *okno_smime_new(const OknoConfig *cfg, GError **error)
{
  g_autoptr(OknoSmime) s = NULL;
  if (!cfg->smime_cert_file || !*cfg->smime_cert_file)
    return NULL;
  if (!cfg->smime_key_file || !*cfg->smime_key_file) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[smime] cert_file is set but key_file is empty");
    return NULL;
  }
  s = g_new0(OknoSmime, 1);
  s->chain = sk_X509_new_null();
  if (!s->chain) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "out of memory");
    return NULL;
  }
  if (!load_cert(s, cfg->smime_cert_file, error) || !load_key(s, cfg->smime_key_file, error) ||
      (cfg->smime_chain_file && *cfg->smime_chain_file &&
       !load_chain(s, cfg->smime_chain_file, error)))
    return NULL;
  return g_steal_pointer(&s);
}

void okno_smime_free(OknoSmime *smime)
{
  if (!smime)
    return;
  X509_free(smime->cert);
  EVP_PKEY_free(smime->key);
  if (smime->chain)
    sk_X509_pop_free(smime->chain, X509_free);
  g_free(smime);
}

char *okno_smime_describe(const OknoSmime *smime)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  GString *out = g_string_new(NULL);
  BIO *bio = BIO_new(BIO_s_mem());
  char *subject = NULL;
  long len;
  if (bio && X509_NAME_print_ex(bio, X509_get_subject_name(smime->cert), 0, XN_FLAG_RFC2253) >= 0 &&
      (len = BIO_get_mem_data(bio, &subject)) > 0)
    g_string_append_len(out, subject, len);
  BIO_free(bio);
  g_string_append(out, " sha256=");
  if (X509_digest(smime->cert, EVP_sha256(), md, &n) == 1)
    for (unsigned int i = 0; i < n; i++)
      g_string_append_printf(out, "%s%02X", i ? ":" : "", md[i]);
  ERR_clear_error();
  return g_string_free(out, FALSE);
}

/* `len` bytes with every LF not after a CR written as CRLF. */
static GString *canonical(const char *d, gsize len)
{
  GString *s = g_string_sized_new(len + len / 32 + 16);
  for (gsize i = 0; i < len; i++) {
    if (d[i] == '\n' && (i == 0 || d[i - 1] != '\r'))
      g_string_append_c(s, '\r');
    g_string_append_c(s, d[i]);
  }
  return s;
}

static gboolean field_is(const char *f, gsize len, const char *name)
{
  gsize n = strlen(name);
  return len > n && g_ascii_strncasecmp(f, name, n) == 0;
}

/* The signature for `entity` (canonical bytes): DER of a detached CMS SignedData. */
static GBytes *cms_der(OknoSmime *s, const char *entity, gsize len, GError **error)
{
  const int flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
  BIO *in = BIO_new_mem_buf(entity, (int)len), *out = BIO_new(BIO_s_mem());
  CMS_ContentInfo *cms = NULL;
  GBytes *der = NULL;
  char *data;
  long n;
  if (!in || !out)
    goto done;
  cms = CMS_sign(NULL, NULL, s->chain, NULL, flags);
  if (!cms || !CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), CMS_BINARY) ||
      CMS_final(cms, in, NULL, CMS_DETACHED | CMS_BINARY) != 1 || i2d_CMS_bio(out, cms) != 1)
    goto done;
  n = BIO_get_mem_data(out, &data);
  if (n > 0)
    der = g_bytes_new(data, (gsize)n);
done:
  if (!der) {
    char reason[256] = "out of memory";
    unsigned long code = ERR_peek_last_error();
    if (code)
      ERR_error_string_n(code, reason, sizeof reason);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "S/MIME signing failed: %s", reason);
  }
  ERR_clear_error();
  CMS_ContentInfo_free(cms);
  BIO_free(in);
  BIO_free(out);
  return der;
}

GBytes *okno_smime_sign(OknoSmime *smime, GBytes *msg, GError **error)
{
  gsize len;
  const char *d;
  g_autoptr(GString) c = NULL, entity = NULL, out = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autofree char *b64 = NULL;
  const char *eoh, *p, *end;
  char boundary[64];
  unsigned char rnd[16];

  if (!smime)
    return g_bytes_ref(msg);
  d = g_bytes_get_data(msg, &len);
  c = canonical(d ? d : "", d ? len : 0);
  eoh = g_strstr_len(c->str, (gssize)c->len, "\r\n\r\n");
  if (!eoh || eoh == c->str) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                "S/MIME signing failed: the message has no header or no empty line after it");
    return NULL;
  }
  entity = g_string_new(NULL);
  out = g_string_new(NULL);
  /* Step 1-2: the fields, one by one; eoh + 2 is the end of the last field's CRLF. */
  for (p = c->str, end = eoh + 2; p < end;) {
    const char *f = p, *q = p;
    while (q < end) {
      const char *crlf = g_strstr_len(q, end - q, "\r\n");
      q = crlf ? crlf + 2 : end;
      if (q >= end || (*q != ' ' && *q != '\t'))
        break;
    }
    if (field_is(f, (gsize)(q - f), "content-"))
      g_string_append_len(entity, f, q - f);
    else if (!field_is(f, (gsize)(q - f), "mime-version:"))
      g_string_append_len(out, f, q - f);
    p = q;
  }
  if (entity->len == 0) /* RFC 2045 5.2: the default, written out */
    g_string_append(entity, "Content-Type: text/plain; charset=us-ascii\r\n");
  g_string_append(entity, "\r\n");
  g_string_append_len(entity, eoh + 4, (gssize)(c->len - (gsize)(eoh + 4 - c->str)));

  /* Step 3. */
  der = cms_der(smime, entity->str, entity->len, error);
  if (!der)
    return NULL;

  /* Step 4: a boundary that the signed entity does not contain (RFC 2046 5.1.1). */
  do {
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
      ERR_clear_error();
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "S/MIME signing failed: no random bytes");
      return NULL;
    }
    strcpy(boundary, "okno-s-");
    for (gsize i = 0; i < sizeof rnd; i++)
      g_snprintf(boundary + 7 + 2 * i, 3, "%02x", rnd[i]);
  } while (g_strstr_len(entity->str, (gssize)entity->len, boundary));
  g_string_append_printf(out,
                         "MIME-Version: 1.0\r\n"
                         "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n"
                         " micalg=sha-256; boundary=\"%s\"\r\n"
                         "\r\n"
                         "This is a cryptographically signed message in MIME format.\r\n"
                         "\r\n--%s\r\n",
                         boundary, boundary);
  g_string_append_len(out, entity->str, (gssize)entity->len);
  g_string_append_printf(out,
                         "\r\n--%s\r\n"
                         "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
                         "Content-Transfer-Encoding: base64\r\n"
                         "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"
                         "Content-Description: S/MIME Cryptographic Signature\r\n\r\n",
                         boundary);
  {
    gsize dlen;
    const guint8 *dd = g_bytes_get_data(der, &dlen);
    gsize blen;
    b64 = g_base64_encode(dd, dlen);
    blen = strlen(b64);
    for (gsize i = 0; i < blen; i += B64_LINE) {
      g_string_append_len(out, b64 + i, (gssize)MIN(B64_LINE, blen - i));
      g_string_append(out, "\r\n");
    }
  }
  g_string_append_printf(out, "\r\n--%s--\r\n", boundary);
  {
    gsize n = out->len;
    return g_bytes_new_take(g_string_free(g_steal_pointer(&out), FALSE), n);
  }
}

GBytes *okno_smime_sign_or_plain(OknoSmime *smime, GBytes *msg, GError **failure)
{
  g_autoptr(GError) e = NULL;
  GBytes *out = okno_smime_sign(smime, msg, &e);
  if (out)
    return out;
  if (failure)
    g_propagate_error(failure, g_steal_pointer(&e));
  return g_bytes_ref(msg);
}
