/* totp.c: RFC 6238 TOTP over RFC 4226 HOTP with OpenSSL's HMAC, RFC 4648 base32, the
 * otpauth:// URI, its QR code rendered to SVG with libqrencode, and recovery codes
 * (see totp.h). */
#include "sec/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <qrencode.h>
#include <sodium.h>
#include <string.h>

#include "core/error.h"

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

char *okno_base32_encode(const guint8 *data, gsize len)
{
  GString *out = g_string_sized_new(len * 8 / 5 + 2);
  guint32 buf = 0;
  int bits = 0;
  for (gsize i = 0; i < len; i++) {
    buf = (buf << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      g_string_append_c(out, B32[(buf >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0)
    g_string_append_c(out, B32[(buf << (5 - bits)) & 31]);
  return g_string_free(out, FALSE);
}

GBytes *okno_base32_decode(const char *text)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  guint32 buf = 0;
  int bits = 0;
  gboolean pad = FALSE;
  for (const char *p = text ? text : ""; *p; p++) {
    char c = g_ascii_toupper(*p);
    const char *at;
    if (c == ' ' || c == '-')
      continue;
    if (c == '=') {
      pad = TRUE;
      continue;
    }
    at = c ? strchr(B32, c) : NULL;
    if (!at || pad)
      return NULL;
    buf = (buf << 5) | (guint32)(at - B32);
    bits += 5;
    if (bits >= 8) {
      guint8 b = (guint8)(buf >> (bits - 8));
      g_byte_array_append(out, &b, 1);
      bits -= 8;
    }
    buf &= (1u << bits) - 1;
  }
  if (bits >= 5 || (buf & ((1u << bits) - 1)) != 0)
    return NULL;
  return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

guint32 okno_hotp(const guint8 *key, gsize key_len, OknoTotpAlgo algo, guint64 counter,
                  guint digits)
{
  const EVP_MD *md = algo == OKNO_TOTP_SHA512   ? EVP_sha512()
                     : algo == OKNO_TOTP_SHA256 ? EVP_sha256()
                                                : EVP_sha1();
  guint8 msg[8], mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0, off;
  guint32 bin, mod = 1;
  for (int i = 7; i >= 0; i--, counter >>= 8)
    msg[i] = (guint8)(counter & 0xff);
  if (!HMAC(md, key, (int)key_len, msg, sizeof msg, mac, &mac_len))
    g_error("okno: HMAC failed"); /* only on a broken libcrypto */
  off = mac[mac_len - 1] & 0x0f;
  bin = ((guint32)(mac[off] & 0x7f) << 24) | ((guint32)mac[off + 1] << 16) |
        ((guint32)mac[off + 2] << 8) | mac[off + 3];
  for (guint i = 0; i < digits; i++)
    mod *= 10;
  return bin % mod;
}

guint64 okno_totp_step(gint64 unix_seconds, guint period)
{
  return unix_seconds < 0 ? 0 : (guint64)unix_seconds / period;
}

static void random_bytes(guint8 *out, gsize len)
{
  if (sodium_init() < 0)
    g_error("okno: libsodium cannot start");
  randombytes_buf(out, len);
}

char *okno_totp_secret_new(void)
{
  guint8 key[20];
  char *s;
  random_bytes(key, sizeof key);
  s = okno_base32_encode(key, sizeof key);
  sodium_memzero(key, sizeof key);
  return s;
}

gboolean okno_totp_verify(const char *secret, const char *code, gint64 now_us,
                          gint64 last_step, gint64 *used_step)
{
  g_autoptr(GBytes) key = okno_base32_decode(secret);
  guint32 want = 0;
  guint n = 0;
  guint64 now_step;
  gboolean found = FALSE;
  gsize klen = 0;
  const guint8 *k;

  if (!key || !code || g_bytes_get_size(key) == 0)
    return FALSE;
  for (const char *p = code; *p; p++) {
    if (*p == ' ')
      continue;
    if (!g_ascii_isdigit(*p) || ++n > OKNO_TOTP_DIGITS)
      return FALSE;
    want = want * 10 + (guint32)(*p - '0');
  }
  if (n != OKNO_TOTP_DIGITS)
    return FALSE;
  k = g_bytes_get_data(key, &klen);
  now_step = okno_totp_step(now_us / G_USEC_PER_SEC, OKNO_TOTP_PERIOD);
  /* Every candidate is computed (no early exit), the latest match wins. */
  for (guint64 s = now_step > 0 ? now_step - 1 : 0; s <= now_step + 1; s++) {
    if ((gint64)s <= last_step)
      continue;
    if (okno_hotp(k, klen, OKNO_TOTP_SHA1, s, OKNO_TOTP_DIGITS) == want) {
      found = TRUE;
      *used_step = (gint64)s;
    }
  }
  return found;
}

char *okno_totp_uri(const char *secret, const char *issuer, const char *label)
{
  g_autofree char *i = g_uri_escape_string(issuer, NULL, FALSE);
  g_autofree char *l = g_uri_escape_string(label, NULL, FALSE);
  return g_strdup_printf("otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d"
                         "&period=%d",
                         i, l, secret, i, OKNO_TOTP_DIGITS, OKNO_TOTP_PERIOD);
}

static QRcode *qr_encode(const char *text, GError **error)
{
  QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!qr)
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "the text is too long for a QR code");
  return qr;
}

/* Whether module (x, y) is dark; outside the symbol (the quiet zone) it is light. */
static gboolean qr_dark(const QRcode *qr, int x, int y)
{
  return x >= 0 && y >= 0 && x < qr->width && y < qr->width && (qr->data[y * qr->width + x] & 1);
}

char *okno_qr_terminal(const char *text, GError **error)
{
  QRcode *qr = qr_encode(text, error);
  GString *out;
  int quiet = 2;
  if (!qr)
    return NULL;
  out = g_string_new(NULL);
  /* Two module rows per text line: the upper half block is the top row's module, the
   * lower half the bottom row's; light modules are drawn (white on black). */
  for (int y = -quiet; y < qr->width + quiet; y += 2) {
    g_string_append(out, "\033[40;97m");
    for (int x = -quiet; x < qr->width + quiet; x++) {
      gboolean top = !qr_dark(qr, x, y), bottom = !qr_dark(qr, x, y + 1);
      g_string_append(out, top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ");
    }
    g_string_append(out, "\033[0m\n");
  }
  QRcode_free(qr);
  return g_string_free(out, FALSE);
}

char *okno_qr_svg(const char *text, GError **error)
{
  QRcode *qr = qr_encode(text, error);
  GString *svg;
  int w, quiet = 4;
  if (!qr)
    return NULL;
  w = qr->width;
  svg = g_string_new(NULL);
  g_string_append_printf(svg,
                         "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                         "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                         "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                         w + 2 * quiet, w + 2 * quiet, w + 2 * quiet, w + 2 * quiet);
  /* One horizontal run of dark modules per subpath. */
  for (int y = 0; y < w; y++) {
    for (int x = 0; x < w;) {
      int run = 0;
      while (x + run < w && (qr->data[y * w + x + run] & 1))
        run++;
      if (run) {
        g_string_append_printf(svg, "M%d %dh%dv1h-%dz", x + quiet, y + quiet, run, run);
        x += run;
      } else {
        x++;
      }
    }
  }
  g_string_append(svg, "\"/></svg>");
  QRcode_free(qr);
  return g_string_free(svg, FALSE);
}

char **okno_recovery_codes_new(void)
{
  char **codes = g_new0(char *, OKNO_RECOVERY_CODES + 1);
  for (guint i = 0; i < OKNO_RECOVERY_CODES; i++) {
    guint8 raw[8];
    g_autofree char *b = NULL;
    random_bytes(raw, sizeof raw);
    b = okno_base32_encode(raw, sizeof raw); /* 13 characters; 12 used = 60 bits */
    codes[i] = g_strdup_printf("%.4s-%.4s-%.4s", b, b + 4, b + 8);
  }
  return codes;
}

char *okno_recovery_code_hash(const char *code)
{
  char norm[13];
  guint n = 0;
  guint8 digest[SHA256_DIGEST_LENGTH];
  for (const char *p = code ? code : ""; *p; p++) {
    char c = g_ascii_toupper(*p);
    if (c == ' ' || c == '-')
      continue;
    if (!strchr(B32, c) || n >= 12)
      return NULL;
    norm[n++] = c;
  }
  if (n != 12)
    return NULL;
  norm[n] = '\0';
  SHA256((const unsigned char *)norm, n, digest);
  {
    GString *hex = g_string_sized_new(2 * sizeof digest);
    for (guint i = 0; i < sizeof digest; i++)
      g_string_append_printf(hex, "%02x", digest[i]);
    return g_string_free(hex, FALSE);
  }
}
