/* fuzz_html2text.c: libFuzzer driver for okno_html_to_text() (mail/html2text.h).
 *
 * The result must be valid UTF-8 and hold no '<' that could open a tag unless the
 * input had a character reference for it ("&lt;" or "&#60;"/"&#x3c;"), and no
 * trailing spaces on its last line. */
#include <stdint.h>
#include <string.h>

#include "mail/html2text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *out = okno_html_to_text((const char *)data, size);
  gsize n = strlen(out);
  gboolean has_ref = memchr(data, '&', size) != NULL;
  g_assert(g_utf8_validate(out, -1, NULL));
  g_assert(n == 0 || out[n - 1] != ' ');
  for (const char *p = strchr(out, '<'); p && !has_ref; p = strchr(p + 1, '<'))
    g_assert(!(g_ascii_isalpha(p[1]) || p[1] == '/' || p[1] == '!' || p[1] == '?'));
  g_free(out);
  return 0;
}
