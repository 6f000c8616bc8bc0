/* shipped_calendar.h: the production calendar okno ships (data/calendar/ru.txt, found as an installed binary finds it: core/paths.h), read
 * and parsed here rather than by ops/calendar_file.h, so that the tests of the pure
 * domain (src/appeal/) link nothing above it. Needs "appeal/calendar.h" and
 * "core/paths.h" included first. */
#pragma once
#include <glib.h>

/* A new calendar (caller frees); aborts the test program when the file is unusable. */
static inline OknoCalendar *shipped_calendar(void)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) err = NULL;
  gsize len = 0;
  OknoCalendar *cal = NULL;
  g_autofree char *path = okno_data_file("calendar/ru.txt");
  if (g_file_get_contents(path, &text, &len, &err))
    cal = okno_calendar_parse(text, len, "ru.txt", &err);
  if (!cal)
    g_error("the shipped calendar: %s", err->message);
  return cal;
}
