/* calendar_file.h: where the production calendar lives, and reading it from there.
 *
 * The calendar itself (appeal/calendar.h) is parsed from text and does no I/O; this is
 * the thin loader the commands, the intake pipeline and the SLA environment (ops.h)
 * share. The calendar in use is, in order: [calendar] file when the config sets it;
 * the one `okno calendar import` installed next to the SQLite store, when that file
 * exists; the shipped calendar/ru.txt of the data directory (core/paths.h). */
#pragma once
#include <glib.h>

#include "appeal/calendar.h"
#include "core/config.h"

/* Reads and parses the file at `path` (at most OKNO_CALENDAR_MAX_BYTES are read; a
 * longer file is refused by the parser). NULL and OKNO_ERROR_USER when it cannot be
 * read («PATH: cannot read the calendar: REASON») or is wrong. Caller frees. */
OknoCalendar *okno_calendar_load(const char *path, GError **error);
/* The calendar in use (above). Caller frees. */
OknoCalendar *okno_calendar_load_default(const OknoConfig *cfg, GError **error);
/* Where `okno calendar import` installs a calendar: cfg->calendar_file when set, else
 * "calendar.txt" in the directory of the SQLite database. NULL and OKNO_ERROR_USER when
 * neither applies (a PostgreSQL store without [calendar] file). Caller frees. */
char *okno_calendar_installed_path(const OknoConfig *cfg, GError **error);
