/* fuzz_calendar.c: fuzz driver for the production calendar file parser
 * (okno_calendar_parse): arbitrary bytes in, a calendar or a precise error out, never a
 * crash or a leak. When a calendar comes out, its day table is walked and a deadline of
 * each kind is computed from its first day, so the laid-out table is exercised too. */
#include <stdint.h>

#include "appeal/calendar.h"
#include "appeal/deadline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoCalendar) cal = okno_calendar_parse((const char *)data, size, "fuzz", &err);
  const OknoCalendarDay *days;
  gsize n;
  gint64 out;

  if (!cal) {
    g_assert(err != NULL && err->message != NULL);
    return 0;
  }
  days = okno_calendar_days(cal, &n);
  g_assert(n > 0 && days[0].mday == 1 && days[0].month == 1);
  for (gsize i = 1; i < n; i++)
    g_assert(days[i].start_us == days[i - 1].end_us);
  for (int u = OKNO_PERIOD_WORKING_HOURS; u <= OKNO_PERIOD_HOURS; u++) {
    g_autoptr(GError) e = NULL;
    (void)okno_deadline_add(cal, days[0].start_us, (OknoPeriodUnit)u, 30, &out, &e);
  }
  return 0;
}
