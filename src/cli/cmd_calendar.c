/* cmd_calendar.c: `okno calendar`, show or import the production calendar.
 *
 *   okno calendar [--config FILE] show YYYY-MM   the month as a Monday..Sunday table,
 *                                                with holidays, transfers, shortened days
 *   okno calendar [--config FILE] show YYYY      the year's totals per month and in all
 *   okno calendar [--config FILE] import FILE    validate FILE and install it
 *
 * `show` reads the calendar in use (okno_calendar_load_default). `import` reads FILE once,
 * parses those very bytes fully (a wrong file changes nothing), then writes them to
 * okno_calendar_installed_path() atomically (a temporary file in the same directory,
 * fsync, rename) through g_file_set_contents_full. Output for people is in Russian. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "appeal/calendar.h"
#include "cli/cli.h"
#include "core/error.h"
#include "ops/calendar_file.h"

static const char *const month_names[12] = {
  "Январь", "Февраль", "Март", "Апрель", "Май", "Июнь",
  "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь",
};

/* Ends a table row: drops the row's trailing blanks, adds the newline. */
static void end_line(GString *s)
{
  while (s->len && s->str[s->len - 1] == ' ')
    g_string_truncate(s, s->len - 1);
  g_string_append_c(s, '\n');
}

/* Prints one month (`first` = index of its day 1) and its totals. */
static void show_month(const OknoCalendarDay *days, gsize n, gsize first)
{
  GString *s = g_string_new(NULL);
  int wdays = 0, hours = 0;
  gsize i;
  g_string_append_printf(s, "%s %d\n", month_names[days[first].month - 1], days[first].year);
  g_string_append(s, " Пн   Вт   Ср   Чт   Пт   Сб   Вс\n");
  for (int w = 1; w < days[first].weekday; w++)
    g_string_append(s, "     ");
  for (i = first; i < n && days[i].month == days[first].month; i++) {
    const OknoCalendarDay *d = &days[i];
    gboolean working = d->flags & OKNO_DAY_WORKING;
    const char *mark = "  ";
    if (!working && (d->flags & OKNO_DAY_LISTED))
      mark = "* ";
    else if (working && d->weekday >= 6)
      mark = (d->flags & OKNO_DAY_SHORT) ? "+~" : "+ ";
    else if (d->flags & OKNO_DAY_SHORT)
      mark = "~ ";
    g_string_append_printf(s, "%3d%s", d->mday, mark);
    if (d->weekday == 7)
      end_line(s);
    if (working) {
      wdays++;
      hours += (d->flags & OKNO_DAY_SHORT) ? 7 : 8;
    }
  }
  if (days[i - 1].weekday != 7)
    end_line(s);
  g_string_append_printf(s,
                         "\n*  нерабочий праздничный день или перенесённый выходной\n"
                         "+  рабочий день, перенесённый с выходного\n"
                         "~  сокращённый на час предпраздничный день\n"
                         "Суббота и воскресенье — выходные, если не отмечены «+».\n"
                         "\nРабочих дней: %d, часов: %d (при 40-часовой неделе)\n",
                         wdays, hours);
  fputs(s->str, stdout);
  g_string_free(s, TRUE);
}

static void show_year(const OknoCalendar *cal, const OknoCalendarDay *days, gsize n, gsize first)
{
  int md[12] = {0}, mh[12] = {0}, off = 0, shortened = 0, y = days[first].year, td = 0, th = 0;
  for (gsize i = first; i < n && days[i].year == y; i++) {
    const OknoCalendarDay *d = &days[i];
    if (!(d->flags & OKNO_DAY_WORKING)) {
      off++;
      continue;
    }
    md[d->month - 1]++;
    mh[d->month - 1] += (d->flags & OKNO_DAY_SHORT) ? 7 : 8;
    shortened += (d->flags & OKNO_DAY_SHORT) ? 1 : 0;
  }
  okno_calendar_year_totals(cal, y, &td, &th, NULL);
  printf("Производственный календарь на %d год (40-часовая неделя)\n\n", y);
  printf("Месяц       дней  часов\n"); /* columns: 10 + 1 + 5 + 1 + 6 characters */
  for (int m = 0; m < 12; m++) {
    /* %-Ns pads by bytes; Cyrillic takes two bytes a letter. */
    int pad = 10 - (int)g_utf8_strlen(month_names[m], -1);
    printf("%s%*s %5d %6d\n", month_names[m], pad, "", md[m], mh[m]);
  }
  printf("\nРабочих дней: %d\nНерабочих дней: %d\nСокращённых дней: %d\nРабочих часов: %d\n", td, off,
         shortened, th);
}

static int calendar_import(const OknoConfig *cfg, const char *file)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *data = NULL;
  g_autofree char *dest = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(OknoCalendar) cal = NULL;
  gsize len = 0;

  GStatBuf st;
  if (g_stat(file, &st) == 0 && st.st_size > 1024 * 1024) {
    fprintf(stderr, "okno: %s: larger than 1 MiB; not a calendar\n", file);
    return 1;
  }
  if (!g_file_get_contents(file, &data, &len, &err)) {
    fprintf(stderr, "okno: %s\n", err->message);
    return 1;
  }
  if (!(cal = okno_calendar_parse(data, len, file, &err)))
    return okno_cli_fail(err);
  if (!(dest = okno_calendar_installed_path(cfg, &err)))
    return okno_cli_fail(err);
  dir = g_path_get_dirname(dest);
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    fprintf(stderr, "okno: cannot create %s: %s\n", dir, g_strerror(errno));
    return 2;
  }
  if (!g_file_set_contents_full(dest, data, (gssize)len,
                                G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644, &err)) {
    fprintf(stderr, "okno: cannot install the calendar: %s\n", err->message);
    return 2;
  }
  printf("Производственный календарь на %d–%d годы установлен: %s\n", okno_calendar_first_year(cal),
         okno_calendar_last_year(cal), dest);
  return 0;
}

int okno_cmd_calendar(int argc, char **argv)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoCalendar) cal = NULL;
  const OknoCalendarDay *days;
  gsize n, first;
  guint64 year = 0, month = 0;
  int code = 1;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "show YYYY[-MM] | import FILE", NULL, &code);

  if (!cfg)
    return code;
  if (argc == 3 && !strcmp(argv[1], "import"))
    return calendar_import(cfg, argv[2]);
  if (argc != 3 || strcmp(argv[1], "show") != 0) {
    fprintf(stderr, "okno: usage: okno calendar show YYYY | show YYYY-MM | import FILE\n");
    return 1;
  }
  {
    const char *a = argv[2];
    size_t l = strlen(a);
    g_autofree char *ytext = g_strndup(a, 4);
    if ((l != 4 && !(l == 7 && a[4] == '-')) || !g_ascii_isdigit(a[0]) ||
        !g_ascii_string_to_unsigned(ytext, 10, 1, 9999, &year, NULL) ||
        (l == 7 && !g_ascii_string_to_unsigned(a + 5, 10, 1, 12, &month, NULL))) {
      fprintf(stderr, "okno: '%s' is not a year YYYY or a month YYYY-MM\n", a);
      return 1;
    }
  }
  if (!(cal = okno_calendar_load_default(cfg, &err)) ||
      !okno_calendar_find_date(cal, (int)year, month ? (int)month : 1, 1, &first, &err))
    return okno_cli_fail(err);
  days = okno_calendar_days(cal, &n);
  if (month)
    show_month(days, n, first);
  else
    show_year(cal, days, n, first);
  return 0;
}
