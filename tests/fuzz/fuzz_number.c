/* fuzz_number.c: fuzz driver for appeal-number parsing (appeal/number.h).
 *
 * Feeds the input to okno_number_parse and to okno_number_match at every byte
 * offset, and checks the invariants: a parsed number re-parses to itself with the
 * same verdict, a match never claims more bytes than it was given, and a number
 * whose check digit is right is exactly what okno_number_format makes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "appeal/number.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, size);
  g_autofree char *n = NULL;
  gboolean ok = FALSE;
  gsize len = strlen(text);

  if (okno_number_parse(text, &n, &ok)) {
    g_autofree char *again = NULL;
    gboolean ok2 = !ok;
    if (!okno_number_parse(n, &again, &ok2) || strcmp(again, n) != 0 || ok2 != ok)
      abort();
  } else if (n != NULL) {
    abort();
  }
  for (gsize i = 0; i < len && i < 4096; i++) {
    g_autofree char *m = NULL;
    gboolean mok = FALSE;
    gsize used = okno_number_match(text + i, len - i, &m, &mok);
    if (used > len - i || (used == 0) != (m == NULL))
      abort();
    if (m && mok) {
      /* a valid number is exactly what the formatter makes of its parts */
      gint64 seq = g_ascii_strtoll(m + 3, NULL, 10);
      g_autofree char *made = okno_number_format(2000 + (m[0] - '0') * 10 + (m[1] - '0'), seq);
      if (strcmp(made, m) != 0)
        abort();
    }
  }
  return 0;
}
