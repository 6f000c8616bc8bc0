/* calendar_file.c: the production calendar's file (calendar_file.h).
 *
 * How it works: one bounded read (one byte more than the parser takes, so that an
 * oversized file reaches the parser and is refused there with its own message), then
 * okno_calendar_parse() with the path as the name in its errors. */
#include "ops/calendar_file.h"

#include <errno.h>
#include <stdio.h>

#include "core/error.h"
#include "core/paths.h"

OknoCalendar *okno_calendar_load(const char *path, GError **error)
{
  g_autofree char *data = g_malloc(OKNO_CALENDAR_MAX_BYTES + 1);
  FILE *f = fopen(path, "rb");
  gsize n;
  if (!f) {
    int e = errno;
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: cannot read the calendar: %s", path, g_strerror(e));
    return NULL;
  }
  n = fread(data, 1, OKNO_CALENDAR_MAX_BYTES + 1, f);
  if (ferror(f)) {
    fclose(f);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: cannot read the calendar", path);
    return NULL;
  }
  fclose(f);
  return okno_calendar_parse(data, n, path, error);
}

char *okno_calendar_installed_path(const OknoConfig *cfg, GError **error)
{
  g_autofree char *db = NULL;
  g_autofree char *dir = NULL;
  if (cfg && cfg->calendar_file && *cfg->calendar_file)
    return g_strdup(cfg->calendar_file);
  db = cfg ? okno_config_sqlite_path(cfg) : NULL;
  if (!db) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "the store is not SQLite: set [calendar] file in the config to say where the calendar lives");
    return NULL;
  }
  dir = g_path_get_dirname(db);
  return g_build_filename(dir, "calendar.txt", NULL);
}

OknoCalendar *okno_calendar_load_default(const OknoConfig *cfg, GError **error)
{
  g_autofree char *installed = NULL;
  g_autofree char *shipped = NULL;
  if (cfg && cfg->calendar_file && *cfg->calendar_file)
    return okno_calendar_load(cfg->calendar_file, error);
  installed = okno_calendar_installed_path(cfg, NULL);
  if (installed && g_file_test(installed, G_FILE_TEST_EXISTS))
    return okno_calendar_load(installed, error);
  shipped = okno_data_file("calendar/ru.txt");
  return okno_calendar_load(shipped, error);
}
