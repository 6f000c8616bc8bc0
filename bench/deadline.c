/* bench/deadline.c: deadlines per second on the production calendar, beside plain
 * calendar-day arithmetic measured in the same run.
 *
 * Builds a synthetic 10-year calendar (2030-2039: New Year 1-8 January, the fixed
 * holidays, a shortened 30 April, a transferred working Saturday in October) because the
 * shipped one covers three years; then, for a fixed set of pseudo-random registration
 * instants, computes 30-working-day deadlines with okno_deadline_add() for about half a
 * second, and the baseline, GDateTime "add 30 days" in Europe/Moscow, for as long.
 * Prints one line:  deadline: N/s working-days  baseline: M/s calendar-days */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "appeal/calendar.h"
#include "appeal/deadline.h"
#include "core/clock.h"

#define N_FROM 4096
#define RUN_US (G_USEC_PER_SEC / 2)

static volatile guint64 sink; /* keeps the results alive; wraps freely */

static char *synthetic_calendar(void)
{
  static const int fixed[][2] = {{2, 23}, {3, 8}, {5, 1}, {5, 9}, {6, 12}, {11, 4}};
  GString *s = g_string_new("# synthetic calendar for the benchmark\n");
  for (int y = 2030; y <= 2039; y++) {
    GDate d;
    for (int day = 1; day <= 8; day++)
      g_string_append_printf(s, "%d-01-%02d off\n", y, day);
    for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++)
      g_string_append_printf(s, "%d-%02d-%02d off\n", y, fixed[i][0], fixed[i][1]);
    g_date_clear(&d, 1);
    g_date_set_dmy(&d, 30, G_DATE_APRIL, (GDateYear)y);
    if (g_date_get_weekday(&d) <= G_DATE_FRIDAY)
      g_string_append_printf(s, "%d-04-30 short\n", y);
    g_date_set_dmy(&d, 31, G_DATE_OCTOBER, (GDateYear)y);
    while (g_date_get_weekday(&d) != G_DATE_SATURDAY)
      g_date_subtract_days(&d, 1);
    g_string_append_printf(s, "%d-10-%02d work\n", y, g_date_get_day(&d));
  }
  return g_string_free(s, FALSE);
}

int main(void)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *text = synthetic_calendar();
  g_autoptr(OknoCalendar) cal = okno_calendar_parse(text, strlen(text), "synthetic", &err);
  g_autoptr(GRand) rnd = g_rand_new_with_seed(20261123);
  gint64 from[N_FROM], t0, n_deadline = 0, n_base = 0, span;
  double secs_deadline, secs_base;

  if (!cal) {
    fprintf(stderr, "bench: %s\n", err->message);
    return 2;
  }
  /* Registration instants spread over 2030-2038 (30 working days never leave 2039). */
  {
    gint64 lo = okno_calendar_days(cal, &(gsize){0})[0].start_us;
    span = (gint64)9 * 365 * 24 * G_TIME_SPAN_HOUR;
    for (int i = 0; i < N_FROM; i++)
      from[i] = lo + (gint64)(g_rand_double(rnd) * (double)span);
  }

  t0 = g_get_monotonic_time();
  do {
    for (int i = 0; i < N_FROM; i++) {
      gint64 out;
      if (!okno_deadline_add(cal, from[i], OKNO_PERIOD_WORKING_DAYS, 30, &out, &err)) {
        fprintf(stderr, "bench: %s\n", err->message);
        return 2;
      }
      sink += (guint64)out;
    }
    n_deadline += N_FROM;
  } while (g_get_monotonic_time() - t0 < RUN_US);
  secs_deadline = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;

  t0 = g_get_monotonic_time();
  do {
    for (int i = 0; i < N_FROM; i++) {
      g_autoptr(GDateTime) u = g_date_time_new_from_unix_utc(from[i] / G_USEC_PER_SEC);
      g_autoptr(GDateTime) l = g_date_time_to_timezone(u, okno_tz_moscow());
      g_autoptr(GDateTime) e = g_date_time_add_days(l, 30);
      sink += (guint64)g_date_time_to_unix(e);
    }
    n_base += N_FROM;
  } while (g_get_monotonic_time() - t0 < RUN_US);
  secs_base = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;

  printf("deadline: %.0f/s working-days  baseline: %.0f/s calendar-days\n", (double)n_deadline / secs_deadline,
         (double)n_base / secs_base);
  return 0;
}
