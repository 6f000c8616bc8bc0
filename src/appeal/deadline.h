/* deadline.h: deadline arithmetic on the production calendar.
 *
 * Instants are gint64 microseconds since the Unix epoch (as okno_now()); days and hours
 * are those of the calendar (calendar.h: Europe/Moscow, 09:00-18:00, a shortened day
 * closes at 17:00). The rules, one per unit:
 *
 *   WORKING_HOURS  the instant at which N hours of working time have passed since
 *                  `from`. Time before opening, after closing and on days off does not
 *                  count: an appeal at 03:00 Sunday starts counting at Monday 09:00. When
 *                  the N-th hour ends exactly at a closing time, that closing time is the
 *                  deadline (not the next morning).
 *   WORKING_DAYS   the close of the N-th working day after the day of `from` (the period
 *                  starts the next day, Civil Code art. 191), at 18:00 or at the
 *                  shortened close. The time of day of `from` does not matter.
 *   CALENDAR_DAYS  the close of the N-th calendar day after the day of `from`; if that day
 *                  is not a working day, the close of the next working day (Civil Code
 *                  art. 193).
 *   HOURS          `from` plus N hours, around the clock (no calendar needed).
 *
 * N must be 1..OKNO_DEADLINE_MAX_AMOUNT. Any day outside the calendar's years gives
 * OKNO_ERROR_USER "the production calendar has no data for YEAR; ..." rather than a
 * guess. All functions are pure (they read the calendar only) and thread-safe. */
#pragma once
#include <glib.h>

#include "appeal/calendar.h"

typedef enum {
  OKNO_PERIOD_WORKING_HOURS,
  OKNO_PERIOD_WORKING_DAYS,
  OKNO_PERIOD_CALENDAR_DAYS,
  OKNO_PERIOD_HOURS,
} OknoPeriodUnit;

#define OKNO_DEADLINE_MAX_AMOUNT 100000

/* Stores in *deadline the end of a period of `amount` `unit`s starting at `from`.
 * `cal` may be NULL only for OKNO_PERIOD_HOURS. FALSE and OKNO_ERROR_USER when the amount
 * is out of range or the period leaves the calendar's years. */
gboolean okno_deadline_add(const OknoCalendar *cal, gint64 from, OknoPeriodUnit unit, gint64 amount,
                           gint64 *deadline, GError **error);

/* Working time (microseconds inside the working hours of working days) in [from, to);
 * 0 when to <= from. For stopping the clock while an appeal waits for the citizen:
 * the remaining time is the original amount minus this. FALSE and OKNO_ERROR_USER when
 * either end lies outside the calendar's years. */
gboolean okno_deadline_working_time(const OknoCalendar *cal, gint64 from, gint64 to, gint64 *working_us,
                                    GError **error);
