/* dkim.c: DKIM signing of outbound mail with Debian's libopendkim (see dkim.h).
 *
 * HOW IT WORKS
 * okno_dkim_new() reads the PEM key once and checks it with OpenSSL's libcrypto (an
 * RSA private key of at least 1024 bits; the public half, DER SubjectPublicKeyInfo in
 * base64, is kept for the DNS record), then opens one DKIM_LIB whose signed-header
 * list is ours. okno_dkim_sign() splits the message into header fields (a field runs
 * to a CRLF not followed by SP/HT; folds stay inside it, as dkim_header() wants), feeds
 * them, the end of header and the body to a fresh signing handle, and asks for the
 * signature header, which libopendkim folds with bare LFs: those become CRLF so the
 * whole message keeps CRLF line ends. The handle is freed on every path; the key text
 * is handed to dkim_sign() each time (the library parses it per message, a few tens of
 * microseconds against the milliseconds of the RSA operation). */
#include "mail/dkim.h"

#include <string.h>

#include <opendkim/dkim.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/error.h"

#define MAX_KEY_FILE (64 * 1024)
#define MIN_KEY_BITS 1024
#define TXT_STRING_MAX 255

struct OknoDkim {
  DKIM_LIB *lib;
  char *selector;
  char *domain;
  char *key_pem;      /* the key file's text, NUL-terminated */
  char *public_b64;   /* base64 DER SubjectPublicKeyInfo, the p= of the DNS record */
};

/* The header fields we sign, when present (dkim.h). */
static const char *const signed_headers[] = {
  "from", "to", "subject", "date", "message-id", "in-reply-to", "references",
  "mime-version", "content-type", "content-transfer-encoding", "auto-submitted", NULL,
};

/* A selector or domain goes into a header and a DNS name: dot-separated labels of
 * letters, digits, '-' and '_' only, each 1..63 characters, 253 in all. */
static gboolean dns_name_ok(const char *s)
{
  gsize label = 0, n = strlen(s);
  if (n == 0 || n > 253)
    return FALSE;
  for (const char *p = s; *p; p++) {
    if (*p == '.') {
      if (label == 0)
        return FALSE;
      label = 0;
    } else if (g_ascii_isalnum(*p) || *p == '-' || *p == '_') {
      if (++label > 63)
        return FALSE;
    } else {
      return FALSE;
    }
  }
  return label > 0;
}

/* Parses the PEM private key; returns the base64 public key or NULL with the reason. */
static char *public_key_of(const char *pem, gsize len, const char *path, GError **error)
{
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
  unsigned char *der = NULL;
  char *out = NULL;
  int der_len;

  BIO_free(bio);
  ERR_clear_error(); /* reasons are ours; leave no stale entries for others */
  if (!pkey) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [dkim] key is not a PEM private key", path);
    return NULL;
  }
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pkey) < MIN_KEY_BITS) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: [dkim] key must be an RSA key of at least %d bits", path, MIN_KEY_BITS);
  } else if ((der_len = i2d_PUBKEY(pkey, &der)) <= 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "%s: cannot encode the public key", path);
  } else {
    out = g_base64_encode(der, (gsize)der_len);
    OPENSSL_free(der);
  }
  EVP_PKEY_free(pkey);
  return out;
}

OknoDkim *okno_dkim_new(const OknoConfig *cfg, GError **error)
{
  g_autoptr(OknoDkim) d = NULL;
  g_autoptr(GError) e = NULL;
  const char *at;
  gsize len = 0;

  if (!cfg->dkim_selector || !*cfg->dkim_selector)
    return NULL;
  d = g_new0(OknoDkim, 1);
  d->selector = g_ascii_strdown(cfg->dkim_selector, -1);
  at = strrchr(cfg->outbound_from, '@');
  d->domain = g_ascii_strdown(*cfg->dkim_domain ? cfg->dkim_domain : at ? at + 1 : "", -1);
  if (!dns_name_ok(d->selector) || !dns_name_ok(d->domain)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "[dkim] selector '%s' and domain '%s' must be DNS names (letters, digits, '-', '_', '.')",
                d->selector, d->domain);
    return NULL;
  }
  if (!cfg->dkim_key || !*cfg->dkim_key) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[dkim] selector is set but key is empty");
    return NULL;
  }
  if (!g_file_get_contents(cfg->dkim_key, &d->key_pem, &len, &e)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: cannot read the [dkim] key: %s", cfg->dkim_key,
                e->message);
    return NULL;
  }
  if (len > MAX_KEY_FILE || strlen(d->key_pem) != len) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [dkim] key is not a PEM file", cfg->dkim_key);
    return NULL;
  }
  d->public_b64 = public_key_of(d->key_pem, len, cfg->dkim_key, error);
  if (!d->public_b64)
    return NULL;
  d->lib = dkim_init(NULL, NULL);
  if (!d->lib ||
      /* the option's size is that of the pointer to the list (libopendkim copies it) */
      dkim_options(d->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, (void *)signed_headers,
                   sizeof(const char *const *)) != DKIM_STAT_OK) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "libopendkim: cannot initialise the signer");
    return NULL;
  }
  return g_steal_pointer(&d);
}

void okno_dkim_free(OknoDkim *dkim)
{
  if (!dkim)
    return;
  if (dkim->lib)
    dkim_close(dkim->lib);
  g_free(dkim->selector);
  g_free(dkim->domain);
  if (dkim->key_pem)
    memset(dkim->key_pem, 0, strlen(dkim->key_pem));
  g_free(dkim->key_pem);
  g_free(dkim->public_b64);
  g_free(dkim);
}

/* Feeds header fields, end of header and body; FALSE with the library's reason. */
static gboolean feed(DKIM *h, const char *m, gsize n, const char **why)
{
  gsize pos = 0;
  DKIM_STAT st;
  while (pos < n) {
    gsize end = pos;
    if (n - pos >= 2 && m[pos] == '\r' && m[pos + 1] == '\n')
      break; /* the empty line: end of header */
    for (;;) {
      const char *crlf = g_strstr_len(m + end, (gssize)(n - end), "\r\n");
      if (!crlf) {
        *why = "the message has no empty line between header and body";
        return FALSE;
      }
      end = (gsize)(crlf - m) + 2;
      if (end >= n || (m[end] != ' ' && m[end] != '\t'))
        break;
    }
    if (dkim_header(h, (u_char *)m + pos, end - 2 - pos) != DKIM_STAT_OK) {
      *why = dkim_geterror(h);
      return FALSE;
    }
    pos = end;
  }
  if (pos >= n) {
    *why = "the message has no empty line between header and body";
    return FALSE;
  }
  pos += 2;
  st = dkim_eoh(h);
  if (st == DKIM_STAT_OK && pos < n)
    st = dkim_body(h, (u_char *)m + pos, n - pos);
  if (st == DKIM_STAT_OK)
    st = dkim_eom(h, NULL);
  if (st != DKIM_STAT_OK) {
    *why = dkim_geterror(h) ? dkim_geterror(h) : dkim_getresultstr(st);
    return FALSE;
  }
  return TRUE;
}

GBytes *okno_dkim_sign(OknoDkim *dkim, GBytes *msg, GError **error)
{
  gsize n = 0;
  const char *m = g_bytes_get_data(msg, &n);
  const char *why = NULL;
  DKIM_STAT st = DKIM_STAT_OK;
  DKIM *h;
  u_char *sig = NULL;
  size_t sig_len = 0;
  GString *out;

  if (!dkim)
    return g_bytes_ref(msg);
  h = dkim_sign(dkim->lib, (const u_char *)"okno", NULL, (dkim_sigkey_t)dkim->key_pem,
                (const u_char *)dkim->selector, (const u_char *)dkim->domain, DKIM_CANON_RELAXED,
                DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1, &st);
  if (!h) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "DKIM: %s", dkim_getresultstr(st));
    return NULL;
  }
  if (!feed(h, m, n, &why) ||
      (st = dkim_getsighdr_d(h, strlen(DKIM_SIGNHEADER) + 2, &sig, &sig_len)) != DKIM_STAT_OK) {
    if (!why)
      why = dkim_geterror(h) ? dkim_geterror(h) : dkim_getresultstr(st);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "DKIM: %s", why ? why : "signing failed");
    dkim_free(h);
    return NULL;
  }
  out = g_string_sized_new(n + sig_len + 64);
  g_string_append(out, DKIM_SIGNHEADER ": ");
  for (size_t i = 0; i < sig_len; i++) {
    if (sig[i] == '\r')
      continue; /* every line end is written as CRLF below */
    if (sig[i] == '\n')
      g_string_append_c(out, '\r');
    g_string_append_c(out, (char)sig[i]);
  }
  g_string_append(out, "\r\n");
  g_string_append_len(out, m, (gssize)n);
  dkim_free(h); /* frees `sig` too */
  return g_string_free_to_bytes(out);
}

char *okno_dkim_dns_record(const OknoDkim *dkim)
{
  g_autofree char *value = g_strconcat("v=DKIM1; k=rsa; p=", dkim->public_b64, NULL);
  GString *s = g_string_new(NULL);
  gsize n = strlen(value);
  g_string_append_printf(s, "%s._domainkey.%s. IN TXT", dkim->selector, dkim->domain);
  for (gsize i = 0; i < n; i += TXT_STRING_MAX)
    g_string_append_printf(s, " \"%.*s\"", (int)MIN(TXT_STRING_MAX, n - i), value + i);
  return g_string_free(s, FALSE);
}
