/* totp.h: the second factor of staff accounts: RFC 6238 TOTP, RFC 4648 base32, the
 * otpauth:// enrolment URI with its QR code as SVG, and one-time recovery codes.
 *
 * A code is HOTP (RFC 4226: HMAC over the 8-byte big-endian counter, dynamic
 * truncation, modulo 10^digits) with the counter T = floor(unix time / period).
 * Enrolled secrets are 20 random bytes (160 bits, RFC 4226's recommendation), HMAC-SHA1,
 * 6 digits, 30 s: what every authenticator app reads from the URI. SHA-256 and
 * SHA-512 exist for the RFC 6238 test vectors and for keys enrolled elsewhere.
 *
 * Verification accepts the current step and one either side (±30 s of clock skew)
 * and refuses replays: the caller stores the step of the last code accepted and passes
 * it back; a code of that step or an earlier one is refused, so one code signs in once.
 *
 * Recovery codes are 10 codes of 12 base32 characters shown as XXXX-XXXX-XXXX (60
 * random bits each); the store keeps only their SHA-256 (a slow hash is not needed for
 * 60 random bits, and would cost 10 Argon2 runs per attempt). Comparison ignores case,
 * spaces and dashes. All functions are pure and thread-safe; strings returned are
 * owned by the caller. */
#pragma once
#include <glib.h>

typedef enum { OKNO_TOTP_SHA1, OKNO_TOTP_SHA256, OKNO_TOTP_SHA512 } OknoTotpAlgo;

#define OKNO_TOTP_PERIOD 30
#define OKNO_TOTP_DIGITS 6
#define OKNO_RECOVERY_CODES 10

/* RFC 4648 base32 of `len` bytes, upper case, without '=' padding. */
char *okno_base32_encode(const guint8 *data, gsize len);
/* Decodes base32 (either case; spaces, dashes and trailing '=' ignored). NULL if
 * any other character is present or the bit tail is not zero-padded. */
GBytes *okno_base32_decode(const char *text);

/* The HOTP value of `key` at `counter` with `digits` (6..9) digits. */
guint32 okno_hotp(const guint8 *key, gsize key_len, OknoTotpAlgo algo, guint64 counter,
                  guint digits);
/* The TOTP step of `unix_seconds` (>= 0) for `period` seconds. */
guint64 okno_totp_step(gint64 unix_seconds, guint period);

/* A new secret: 20 random bytes as base32 (32 characters). */
char *okno_totp_secret_new(void);

/* Checks the 6-digit `code` (spaces ignored) against base32 `secret` (SHA-1, 30 s) at
 * `now_us` (microseconds since the epoch) within ±1 step, refusing steps <= `last_step`
 * (0: none used yet). TRUE and *used_step set on success; FALSE otherwise (a wrong,
 * malformed, stale or replayed code; an undecodable secret). */
gboolean okno_totp_verify(const char *secret, const char *code, gint64 now_us,
                          gint64 last_step, gint64 *used_step);

/* otpauth://totp/ISSUER:LABEL?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * with ISSUER and LABEL percent-encoded (Key Uri Format of Google Authenticator). */
char *okno_totp_uri(const char *secret, const char *issuer, const char *label);

/* The QR code (error correction M) of `text` as a standalone SVG document: black
 * modules on white with a 4-module quiet zone, one <path>, sized by its viewBox.
 * NULL with OKNO_ERROR_USER if the text does not fit a QR code. */
char *okno_qr_svg(const char *text, GError **error);

/* The same QR code for a terminal: UTF-8 half blocks, two module rows per line, each
 * line wrapped in ANSI colours (white on black) so it scans on light and dark
 * terminals alike, a 2-module quiet zone. NULL with OKNO_ERROR_USER as above. */
char *okno_qr_terminal(const char *text, GError **error);

/* OKNO_RECOVERY_CODES fresh codes "XXXX-XXXX-XXXX" (NULL-terminated; g_strfreev). */
char **okno_recovery_codes_new(void);
/* The hex SHA-256 of the normalised code (upper case, without spaces and dashes),
 * the form stored; NULL when `code` is not 12 base32 characters once normalised. */
char *okno_recovery_code_hash(const char *code);
