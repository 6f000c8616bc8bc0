/* fuzz_cabinet.c: fuzz driver for the cabinet's checks of untrusted input: the e-mail
 * address of the sign-in form (okno_cabinet_email, web/cabinet.h) and the typed
 * one-time code (okno_login_code_matches, sec/login_code.h).
 *
 * Invariants: an accepted address is lowercase, has exactly one '@', no byte that could
 * break a header (<= ' ', quotes, brackets, separators), at most 254 bytes, and is
 * accepted again unchanged; a typed code matches only the code it was hashed from. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "sec/login_code.h"
#include "web/cabinet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const guint8 secret[32] = {7};
  g_autofree char *text = g_strndup((const char *)data, size);
  g_autofree char *addr = okno_cabinet_email(text);
  g_autofree char *hash = okno_login_code_hash(secret, "a@x.ru", "login", "123456");

  if (addr) {
    g_autofree char *again = okno_cabinet_email(addr);
    const char *at = strchr(addr, '@');
    if (!again || strcmp(again, addr) != 0 || !at || strchr(at + 1, '@') || strlen(addr) > 254)
      abort();
    for (const char *c = addr; *c; c++)
      if ((guchar)*c <= ' ' || g_ascii_isupper(*c) || strchr("<>\"\\(),;:[]", *c))
        abort();
  }
  if (okno_login_code_matches(secret, "a@x.ru", "login", text, hash)) {
    /* only "123456", possibly with spaces and dashes around its digits */
    GString *digits = g_string_new(NULL);
    for (const char *c = text; *c; c++)
      if (*c != ' ' && *c != '-')
        g_string_append_c(digits, *c);
    if (strcmp(digits->str, "123456") != 0)
      abort();
    g_string_free(digits, TRUE);
  }
  return 0;
}
