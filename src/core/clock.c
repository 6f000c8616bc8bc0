/* clock.c: settable clock and Moscow time formatting (see clock.h). */
#include "core/clock.h"

#include <stdio.h>
#include <string.h>

static gint64 fake_now; /* 0: real clock. Accessed atomically. */

gint64 okno_now(void)
{
  gint64 f = __atomic_load_n(&fake_now, __ATOMIC_RELAXED);
  return f ? f : g_get_real_time();
}

void okno_clock_set(gint64 us) { __atomic_store_n(&fake_now, us, __ATOMIC_RELAXED); }

void okno_clock_advance(gint64 us)
{
  if (__atomic_load_n(&fake_now, __ATOMIC_RELAXED))
    __atomic_add_fetch(&fake_now, us, __ATOMIC_RELAXED);
}

gboolean okno_clock_init_from_env(void)
{
  const char *v = g_getenv("OKNO_FAKE_NOW");
  gint64 us;
  if (!v || !*v)
    return TRUE;
  if (!okno_time_parse(v, &us))
    return FALSE;
  okno_clock_set(us);
  return TRUE;
}

GTimeZone *okno_tz_moscow(void)
{
  static GTimeZone *tz;
  if (g_once_init_enter(&tz)) {
    GTimeZone *t = g_time_zone_new_identifier("Europe/Moscow");
    if (!t)
      t = g_time_zone_new_offset(3 * 3600);
    g_once_init_leave(&tz, t);
  }
  return tz;
}

static char *format_in(gint64 us, GTimeZone *tz, gboolean utc)
{
  g_autoptr(GDateTime) u = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) t = g_date_time_to_timezone(u, tz);
  return g_date_time_format(t, utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%S%:z");
}

char *okno_time_format_msk(gint64 us) { return format_in(us, okno_tz_moscow(), FALSE); }

char *okno_time_format_utc(gint64 us)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
  return format_in(us, utc, TRUE);
}

gboolean okno_time_parse(const char *text, gint64 *us)
{
  g_autoptr(GDateTime) dt = NULL;
  if (!text)
    return FALSE;
  dt = g_date_time_new_from_iso8601(text, NULL);
  if (!dt)
    return FALSE;
  *us = g_date_time_to_unix(dt) * G_USEC_PER_SEC + g_date_time_get_microsecond(dt);
  return TRUE;
}

char *okno_time_format_rfc5322(gint64 us)
{
  static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) dt = g_date_time_to_timezone(utc, okno_tz_moscow());
  gint64 off = g_date_time_get_utc_offset(dt) / G_TIME_SPAN_MINUTE;
  return g_strdup_printf("%s, %d %s %d %02d:%02d:%02d %c%02d%02d",
                         days[g_date_time_get_day_of_week(dt) - 1],
                         g_date_time_get_day_of_month(dt),
                         months[g_date_time_get_month(dt) - 1], g_date_time_get_year(dt),
                         g_date_time_get_hour(dt), g_date_time_get_minute(dt),
                         g_date_time_get_second(dt), off < 0 ? '-' : '+',
                         (int)(ABS(off) / 60), (int)(ABS(off) % 60));
}

gboolean okno_date_parse_msk(const char *text, gint days, gint64 *us)
{
  int y = 0, m = 0, d = 0;
  char end = 0;
  g_autoptr(GDateTime) t = NULL;
  g_autoptr(GDateTime) moved = NULL;
  if (!text || strlen(text) != 10)
    return FALSE;
  for (int i = 0; i < 10; i++)
    if (i == 4 || i == 7 ? text[i] != '-' : !g_ascii_isdigit(text[i]))
      return FALSE;
  if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 || y < 1900 ||
      !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
    return FALSE;
  t = g_date_time_new(okno_tz_moscow(), y, m, d, 0, 0, 0);
  moved = t ? g_date_time_add_days(t, days) : NULL;
  if (!moved)
    return FALSE;
  *us = g_date_time_to_unix(moved) * G_USEC_PER_SEC;
  return TRUE;
}
