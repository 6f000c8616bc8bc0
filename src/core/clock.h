/* clock.h: the one source of "now" for okno, so that tests can set the time.
 *
 * okno_now() returns the current instant in microseconds since the Unix epoch (UTC).
 * okno_clock_set(us) freezes it at `us`; okno_clock_advance(us) moves a frozen clock;
 * okno_clock_set(0) returns to the real clock. The environment variable OKNO_FAKE_NOW
 * (RFC 3339, read once at start by okno_clock_init_from_env) freezes it for a whole
 * process, which is how integration tests pin registration times.
 * Thread-safe. */
#pragma once
#include <glib.h>

gint64 okno_now(void);
void okno_clock_set(gint64 us);
void okno_clock_advance(gint64 us);
/* Returns FALSE (and leaves the clock alone) when OKNO_FAKE_NOW is set but unparsable. */
gboolean okno_clock_init_from_env(void);

/* Europe/Moscow (falls back to a fixed +03:00 when tzdata is missing). Not to be freed. */
GTimeZone *okno_tz_moscow(void);
/* `us` as RFC 3339 in Moscow time, e.g. "2026-11-23T16:35:00+03:00". Caller frees. */
char *okno_time_format_msk(gint64 us);
/* `us` as RFC 3339 UTC with seconds, e.g. "2026-11-23T13:35:00Z" (the store's form). */
char *okno_time_format_utc(gint64 us);
/* "Fri, 20 Nov 2026 16:35:00 +0300": an RFC 5322 (3.3) date in Moscow time, English
 * names whatever the locale, for Date: and Received: headers (caller frees). */
char *okno_time_format_rfc5322(gint64 us);
/* Parses RFC 3339 / ISO 8601 with an offset (or Z). Returns FALSE if unparsable. */
gboolean okno_time_parse(const char *text, gint64 *us);
/* A day "YYYY-MM-DD" (exactly: ten bytes, digits and two dashes; years from 1900, where
 * the time zone data is modern) as the instant it begins in Moscow, moved by `days`
 * days (1: the next day's start, the end of a period that includes the day). FALSE
 * for anything else or an invalid date. */
gboolean okno_date_parse_msk(const char *text, gint days, gint64 *us);
