/* calendar.h: the production calendar (производственный календарь) and working hours.
 *
 * The calendar says, for every day of the years it covers, whether it is a working day
 * and when the office opens and closes that day. It is parsed from the text of a file
 * (read by ops/calendar_file.h: nothing here does I/O) with one line per exception to
 * the Monday-Friday week (format in docs/calendar.md):
 *
 *   # comment                      blank lines and '#' comments are ignored
 *   2026-01-01 off                 a non-working day (holiday or transferred day off)
 *   2025-11-01 work short          a Saturday made a working day, shortened
 *   2026-04-30 short               a working day one hour shorter (pre-holiday)
 *
 * Kinds: `off`, `work` (only on a Saturday or Sunday), `short` (only on a weekday),
 * `work short` (only on a Saturday or Sunday). The years covered are the years that have
 * at least one line; they must form one unbroken range. A year header comment of the form
 * `# 2026: ...; 247 working days, 1972 hours` is checked against the lines below it (8-hour
 * norm, 7 hours on a shortened day). Everything else is an OKNO_ERROR_USER naming the
 * file and line. Computing outside the covered years is an OKNO_ERROR_USER too:
 *   "the production calendar has no data for 2028; import it with okno calendar import"
 *
 * Working hours: 09:00-18:00 in Europe/Moscow by default (okno_tz_moscow()); a shortened
 * day closes one hour early (17:00). okno_calendar_set_hours() changes them for one
 * calendar object; okno_calendar_with_hours() gives a copy with other hours (a
 * department's own, [sla] department_hours) without touching the shared one.
 *
 * The calendar is immutable once loaded (except set_hours) and may be read from many
 * threads at once; set_hours must not run concurrently with readers. with_hours may run
 * concurrently with readers and with itself (its cache has its own lock). */
#pragma once
#include <glib.h>

typedef struct OknoCalendar OknoCalendar;

/* Flags of one day. A day off without LISTED is an ordinary Saturday or Sunday. */
enum {
  OKNO_DAY_WORKING = 1 << 0, /* the office works this day */
  OKNO_DAY_SHORT = 1 << 1,   /* shortened: closes an hour early, 7-hour norm */
  OKNO_DAY_LISTED = 1 << 2,  /* the file has a line for this day (holiday, transfer, short) */
};

/* One local (calendar timezone) day. Instants are microseconds since the Unix epoch. */
typedef struct {
  gint64 start_us;   /* local midnight beginning the day */
  gint64 end_us;     /* local midnight beginning the next day (== next day's start_us) */
  gint64 open_us;    /* working interval [open_us, close_us); both 0 on a day off */
  gint64 close_us;
  guint16 year;
  guint8 month;      /* 1..12 */
  guint8 mday;       /* 1..31 */
  guint8 weekday;    /* 1 Monday .. 7 Sunday */
  guint8 flags;      /* OKNO_DAY_* */
} OknoCalendarDay;

/* The largest calendar text okno_calendar_parse takes, in bytes. */
#define OKNO_CALENDAR_MAX_BYTES (1024 * 1024)

/* Parses `text` (`len` bytes, need not be NUL-terminated; at most
 * OKNO_CALENDAR_MAX_BYTES, lines at most 256 bytes, UTF-8). `name` is used in error messages ("name:line: ..."). Returns a new
 * calendar with 09:00-18:00 Moscow hours, or NULL and OKNO_ERROR_USER. Caller frees. */
OknoCalendar *okno_calendar_parse(const char *text, gsize len, const char *name, GError **error);
void okno_calendar_free(OknoCalendar *cal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoCalendar, okno_calendar_free)

/* Sets the working hours, whole hours in the calendar's timezone: 0 <= start, end <= 24,
 * end - start >= 2 (a shortened day keeps at least one hour). FALSE and OKNO_ERROR_USER
 * otherwise, leaving the hours unchanged. */
gboolean okno_calendar_set_hours(OknoCalendar *cal, int start_hour, int end_hour, GError **error);

/* The same calendar with working hours start_hour..end_hour (rules as set_hours): `cal`
 * itself when its hours are those already, else a copy made on first use and cached in
 * `cal` (owned by it, freed with it, never changed afterwards; `cal`'s own hours are not
 * touched). NULL and OKNO_ERROR_USER for hours set_hours would refuse. Thread-safe. */
const OknoCalendar *okno_calendar_with_hours(const OknoCalendar *cal, int start_hour, int end_hour,
                                             GError **error);

/* First and last year covered (inclusive). */
int okno_calendar_first_year(const OknoCalendar *cal);
int okno_calendar_last_year(const OknoCalendar *cal);

/* The covered days in order, one per local day from 1 January of the first year to
 * 31 December of the last; `*n_days` gets their number. Owned by the calendar. */
const OknoCalendarDay *okno_calendar_days(const OknoCalendar *cal, gsize *n_days);
/* Index into okno_calendar_days() of the local day holding instant `us`, or of the date
 * year-month-day. FALSE and OKNO_ERROR_USER ("...has no data for YEAR...") when outside
 * the covered years (or, for a date, when it does not exist). */
gboolean okno_calendar_find_instant(const OknoCalendar *cal, gint64 us, gsize *index, GError **error);
gboolean okno_calendar_find_date(const OknoCalendar *cal, int year, int month, int mday,
                                 gsize *index, GError **error);
/* Sets the "no data for YEAR" OKNO_ERROR_USER (for callers that step past the end). */
void okno_calendar_set_no_data_error(GError **error, int year);

/* Totals of one covered year by the norm of a 40-hour week: working days and hours
 * (8 per working day, 7 per shortened day). FALSE and OKNO_ERROR_USER outside coverage. */
gboolean okno_calendar_year_totals(const OknoCalendar *cal, int year, int *working_days,
                                   int *norm_hours, GError **error);
