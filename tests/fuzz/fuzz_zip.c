/* fuzz_zip.c: libFuzzer driver for okno_zip_inspect() (mail/zip.h).
 *
 * Any bytes, under tight limits (so a found bomb costs little): the verdict must be one
 * of the enum's, the facts within the limits plus one buffer of inflated output, and
 * the inspector must never read outside the input (the sanitizers watch). */
#include <stdint.h>

#include "mail/zip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const OknoZipLimits lim = {64, 4 * 1024 * 1024, 1000};
  OknoZipFacts f;
  OknoZipVerdict v = okno_zip_inspect(data, size, &lim, &f);
  g_assert((guint)v <= OKNO_ZIP_UNSUPPORTED);
  g_assert(f.entries <= lim.max_entries + 1);
  g_assert(f.inflated <= lim.max_total + 64 * 1024);
  return 0;
}
