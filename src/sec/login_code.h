/* login_code.h: the one-time codes of password-less sign-in (the citizen cabinet).
 *
 * A code is six decimal digits drawn uniformly (libsodium randombytes_uniform). The
 * store never sees it: it keeps an HMAC-SHA256 keyed by the instance secret over the
 * address, the purpose and the code, so a leaked table without the secret names no
 * code, and a code is good only for the address and purpose it was sent for.
 * Rules (applied by src/web/cabinet_auth.c): valid OKNO_CODE_TTL_US, at most
 * OKNO_CODE_MAX_ATTEMPTS wrong guesses, only the newest code sent works, at most
 * OKNO_CODE_MAX_PER_HOUR codes sent to one address an hour. Pure, thread-safe. */
#pragma once
#include <glib.h>

#define OKNO_CODE_DIGITS 6
#define OKNO_CODE_TTL_US (G_GINT64_CONSTANT(10) * 60 * G_USEC_PER_SEC)
#define OKNO_CODE_MAX_ATTEMPTS 5
#define OKNO_CODE_MAX_PER_HOUR 5

/* A fresh code, "000000" .. "999999". Caller frees. */
char *okno_login_code_generate(void);
/* Lowercase hex HMAC-SHA256 (key: the 32-byte instance secret). Caller frees. */
char *okno_login_code_hash(const guint8 *secret, const char *email, const char *purpose,
                           const char *code);
/* Whether `code` (as typed: spaces and dashes are ignored) hashes to `hash`, compared
 * in constant time. A code that is not six digits never matches. */
gboolean okno_login_code_matches(const guint8 *secret, const char *email, const char *purpose,
                                 const char *code, const char *hash);
