/* fuzz_totp.c: fuzz driver for what a sign-in form hands the second-factor code
 * (sec/totp.h, sec/password.h): base32 decoding, TOTP code checking, recovery-code
 * normalisation and the password policy.
 *
 * Invariants: decoded base32 re-encodes to the input's canonical form (upper case, no
 * spaces, dashes or padding); a recovery-code hash is 64 hex digits and the same for
 * the input in lower case; okno_password_check never crashes on any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "sec/password.h"
#include "sec/totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, size);
  g_autoptr(GBytes) key = okno_base32_decode(text);
  g_autofree char *hash = okno_recovery_code_hash(text);
  gint64 step = 0;

  if (key) {
    g_autofree char *again = okno_base32_encode(g_bytes_get_data(key, NULL), g_bytes_get_size(key));
    GString *canon = g_string_new(NULL);
    for (const char *p = text; *p; p++)
      if (*p != ' ' && *p != '-' && *p != '=')
        g_string_append_c(canon, g_ascii_toupper(*p));
    if (strcmp(again, canon->str) != 0)
      abort();
    g_string_free(canon, TRUE);
  }
  if (hash) {
    g_autofree char *low = g_ascii_strdown(text, -1);
    g_autofree char *hash2 = okno_recovery_code_hash(low);
    if (strlen(hash) != 64 || !hash2 || strcmp(hash, hash2) != 0)
      abort();
  }
  (void)okno_totp_verify("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", text, G_GINT64_CONSTANT(59000000),
                         0, &step);
  (void)okno_password_check(text, NULL);
  return 0;
}
