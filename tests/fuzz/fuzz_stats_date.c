/* fuzz_stats_date.c: fuzz driver for the dashboard's and `okno report`'s day parser
 * (core/clock.h okno_date_parse_msk, fed by the /console/stats query string).
 *
 * Checks the invariants: only exactly ten bytes, digits and dashes, can parse; a
 * parsed day's start is midnight Moscow time, formats back to the same text (years
 * from 1000: GLib writes smaller ones without leading zeros), and the next day's
 * start comes after it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/clock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, size);
  gint64 start = 0, next = 0;
  if (!okno_date_parse_msk(text, 0, &start))
    return 0;
  if (strlen(text) != 10 || !okno_date_parse_msk(text, 1, &next) || next <= start)
    abort();
  {
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(start / G_USEC_PER_SEC);
    g_autoptr(GDateTime) m = t ? g_date_time_to_timezone(t, okno_tz_moscow()) : NULL;
    g_autofree char *back = m ? g_date_time_format(m, "%Y-%m-%d") : NULL;
    if (!m || g_date_time_get_hour(m) != 0 || g_date_time_get_minute(m) != 0)
      abort();
    if (!back || (g_date_time_get_year(m) >= 1000 && strcmp(back, text) != 0))
      abort();
  }
  return 0;
}
