/* login_code.c: one-time sign-in codes, drawn and hashed (see login_code.h). */
#include "sec/login_code.h"

#include <sodium.h>
#include <string.h>

char *okno_login_code_generate(void)
{
  return g_strdup_printf("%06u", (unsigned)randombytes_uniform(1000000));
}

char *okno_login_code_hash(const guint8 *secret, const char *email, const char *purpose,
                           const char *code)
{
  g_autofree char *text = g_strdup_printf("%s\n%s\n%s", email, purpose, code);
  return g_compute_hmac_for_string(G_CHECKSUM_SHA256, secret, 32, text, -1);
}

gboolean okno_login_code_matches(const guint8 *secret, const char *email, const char *purpose,
                                 const char *code, const char *hash)
{
  char digits[OKNO_CODE_DIGITS + 1];
  gsize n = 0;
  g_autofree char *mine = NULL;
  for (const char *c = code; *c; c++) {
    if (*c == ' ' || *c == '-')
      continue;
    if (!g_ascii_isdigit(*c) || n == OKNO_CODE_DIGITS)
      return FALSE;
    digits[n++] = *c;
  }
  if (n != OKNO_CODE_DIGITS)
    return FALSE;
  digits[n] = '\0';
  mine = okno_login_code_hash(secret, email, purpose, digits);
  return strlen(mine) == strlen(hash) && sodium_memcmp(mine, hash, strlen(mine)) == 0;
}
