/* fuzz_clamd_reply.c: fuzz driver for the clamd reply parser (check/clamav.h).
 *
 * Feeds the input to okno_clamav_parse_reply and checks its contract: a detail exactly
 * for FOUND and ERROR, never empty for FOUND, printable ASCII only, at most 200 bytes;
 * and the parse of a detail re-wrapped as "stream: NAME FOUND" gives the same name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "check/clamav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *detail = NULL;
  OknoClamReply r = okno_clamav_parse_reply((const char *)data, size, &detail);

  if ((r == OKNO_CLAM_FOUND || r == OKNO_CLAM_ERROR) != (detail != NULL))
    abort();
  if (!detail)
    return 0;
  if (strlen(detail) > 200 || (r == OKNO_CLAM_FOUND && !*detail))
    abort();
  for (const char *p = detail; *p; p++)
    if ((guchar)*p < 0x20 || (guchar)*p > 0x7e)
      abort();
  if (r == OKNO_CLAM_FOUND) {
    g_autofree char *again = g_strdup_printf("stream: %s FOUND", detail);
    g_autofree char *d2 = NULL;
    if (okno_clamav_parse_reply(again, strlen(again), &d2) != OKNO_CLAM_FOUND ||
        strcmp(d2, detail) != 0)
      abort();
  }
  return 0;
}
