/* deadline.c: deadline arithmetic on the production calendar (see deadline.h).
 *
 * How it works: okno_calendar_find_instant() gives the index of the local day holding
 * `from`; the calendar's day table already holds each day's opening and closing instants,
 * so every rule is a walk forward over that array with integer arithmetic (no time zone
 * conversion inside the loop). Working hours consume each day's [open, close) interval
 * from the later of `from` and the opening; working days count working days after the
 * registration day; calendar days jump N entries ahead (one entry per local day) and then
 * move to the next working day. Walking past the last day is the "no data for YEAR"
 * error, naming the first year the calendar lacks. */
#include "appeal/deadline.h"

#include "core/error.h"

static gboolean past_end(const OknoCalendar *cal, GError **error)
{
  okno_calendar_set_no_data_error(error, okno_calendar_last_year(cal) + 1);
  return FALSE;
}

gboolean okno_deadline_add(const OknoCalendar *cal, gint64 from, OknoPeriodUnit unit, gint64 amount,
                           gint64 *deadline, GError **error)
{
  const OknoCalendarDay *days;
  gsize n, i;

  if (amount < 1 || amount > OKNO_DEADLINE_MAX_AMOUNT) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "the amount must be between 1 and %d",
                OKNO_DEADLINE_MAX_AMOUNT);
    return FALSE;
  }
  if (unit == OKNO_PERIOD_HOURS) {
    *deadline = from + amount * 3600 * G_USEC_PER_SEC;
    return TRUE;
  }
  g_return_val_if_fail(cal != NULL, FALSE);
  days = okno_calendar_days(cal, &n);
  if (!okno_calendar_find_instant(cal, from, &i, error))
    return FALSE;

  switch (unit) {
  case OKNO_PERIOD_WORKING_HOURS: {
    gint64 left = amount * 3600 * G_USEC_PER_SEC;
    for (; i < n; i++) {
      const OknoCalendarDay *d = &days[i];
      gint64 start;
      if (!(d->flags & OKNO_DAY_WORKING))
        continue;
      start = MAX(from, d->open_us);
      if (start >= d->close_us)
        continue;
      if (left <= d->close_us - start) {
        *deadline = start + left;
        return TRUE;
      }
      left -= d->close_us - start;
    }
    return past_end(cal, error);
  }
  case OKNO_PERIOD_WORKING_DAYS: {
    gint64 count = 0;
    for (i++; i < n; i++) {
      if ((days[i].flags & OKNO_DAY_WORKING) && ++count == amount) {
        *deadline = days[i].close_us;
        return TRUE;
      }
    }
    return past_end(cal, error);
  }
  case OKNO_PERIOD_CALENDAR_DAYS: {
    if ((guint64)amount >= n - i) {
      GDate d;
      g_date_clear(&d, 1);
      g_date_set_dmy(&d, days[i].mday, days[i].month, days[i].year);
      g_date_add_days(&d, (guint)amount);
      okno_calendar_set_no_data_error(error, g_date_get_year(&d));
      return FALSE;
    }
    for (i += (gsize)amount; i < n; i++) {
      if (days[i].flags & OKNO_DAY_WORKING) {
        *deadline = days[i].close_us;
        return TRUE;
      }
    }
    return past_end(cal, error);
  }
  case OKNO_PERIOD_HOURS:
    break; /* handled above */
  }
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "unknown period unit %d", (int)unit);
  return FALSE;
}

gboolean okno_deadline_working_time(const OknoCalendar *cal, gint64 from, gint64 to, gint64 *working_us,
                                    GError **error)
{
  const OknoCalendarDay *days;
  gsize n, i, last;
  gint64 sum = 0;

  if (to <= from) {
    *working_us = 0;
    return TRUE;
  }
  days = okno_calendar_days(cal, &n);
  if (!okno_calendar_find_instant(cal, from, &i, error) || !okno_calendar_find_instant(cal, to - 1, &last, error))
    return FALSE;
  for (; i <= last; i++) {
    gint64 a, b;
    if (!(days[i].flags & OKNO_DAY_WORKING))
      continue;
    a = MAX(from, days[i].open_us);
    b = MIN(to, days[i].close_us);
    if (b > a)
      sum += b - a;
  }
  *working_us = sum;
  return TRUE;
}
