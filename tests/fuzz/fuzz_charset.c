/* fuzz_charset.c: libFuzzer driver for okno_charset_to_utf8() (mail/charset.h).
 *
 * The first input byte picks a label (known, alias, made up, stateful or none);
 * the rest are the bytes. The result must always be valid UTF-8 without NULs. */
#include <stdint.h>
#include <string.h>

#include "mail/charset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const labels[] = {
    NULL, "", "utf-8", "koi8-r", "windows-1251", "cp1251", "iso-8859-5", "windows-1258",
    "gb2312", "ISO-2022-JP", "utf-7", "utf-16", "x-made-up", "us-ascii", "ks_c_5601-1987",
  };
  char *out;
  if (size == 0)
    return 0;
  out = okno_charset_to_utf8((const char *)data + 1, size - 1, labels[data[0] % G_N_ELEMENTS(labels)]);
  g_assert(out);
  g_assert(g_utf8_validate(out, -1, NULL));
  (void)okno_charset_guess((const char *)data + 1, size - 1);
  g_free(out);
  return 0;
}
