/* test_calendar.c: the production calendar file and its day table (appeal/calendar.h;
 * reading it: ops/calendar_file.h).
 *
 * The shipped data/calendar/ru.txt must give the decreed totals (247 days, 1972 hours in
 * 2025-2027) and the right kind of day for holidays, transfers and shortened days; a wrong
 * file must be refused with the file, the line and what is wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "appeal/calendar.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/paths.h"
#include "ops/calendar_file.h"

static OknoCalendar *shipped(void)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *path = okno_data_file("calendar/ru.txt");
  OknoCalendar *cal = okno_calendar_load(path, &err);
  if (!cal)
    fail_msg("%s", err->message);
  return cal;
}

static const OknoCalendarDay *day(const OknoCalendar *cal, int y, int m, int d)
{
  gsize n, i;
  const OknoCalendarDay *days = okno_calendar_days(cal, &n);
  g_autoptr(GError) err = NULL;
  assert_true(okno_calendar_find_date(cal, y, m, d, &i, &err));
  assert_true(i < n);
  assert_int_equal(days[i].year, y);
  assert_int_equal(days[i].month, m);
  assert_int_equal(days[i].mday, d);
  return &days[i];
}

static void assert_msk(gint64 us, const char *expected)
{
  g_autofree char *s = okno_time_format_msk(us);
  assert_string_equal(s, expected);
}

/* Parses `text` expecting failure; checks the message contains `want`. */
static void assert_refused(const char *text, const char *want)
{
  g_autoptr(GError) err = NULL;
  OknoCalendar *cal = okno_calendar_parse(text, strlen(text), "t.txt", &err);
  assert_null(cal);
  assert_non_null(err);
  assert_int_equal(err->code, OKNO_ERROR_USER);
  if (!strstr(err->message, want))
    fail_msg("message '%s' lacks '%s'", err->message, want);
}

static void test_shipped_calendar_covers_2025_to_2027(void **state)
{
  g_autoptr(OknoCalendar) cal = shipped();
  gsize n;
  okno_calendar_days(cal, &n);
  assert_int_equal(okno_calendar_first_year(cal), 2025);
  assert_int_equal(okno_calendar_last_year(cal), 2027);
  assert_int_equal(n, 365 * 3);
}

static void test_each_year_has_247_days_and_1972_hours(void **state)
{
  g_autoptr(OknoCalendar) cal = shipped();
  for (int y = 2025; y <= 2027; y++) {
    int days = 0, hours = 0;
    assert_true(okno_calendar_year_totals(cal, y, &days, &hours, NULL));
    assert_int_equal(days, 247);
    assert_int_equal(hours, 1972);
  }
}

static void test_new_year_holidays_2026_run_to_9_january(void **state)
{
  g_autoptr(OknoCalendar) cal = shipped();
  const OknoCalendarDay *d = day(cal, 2026, 1, 9); /* a Friday, made a day off */
  assert_int_equal(d->weekday, 5);
  assert_int_equal(d->flags, OKNO_DAY_LISTED);
  assert_int_equal(d->open_us, 0);
  d = day(cal, 2026, 1, 10); /* an ordinary Saturday */
  assert_int_equal(d->flags, 0);
  d = day(cal, 2026, 1, 12); /* the first working day */
  assert_int_equal(d->flags, OKNO_DAY_WORKING);
  assert_msk(d->open_us, "2026-01-12T09:00:00+03:00");
  assert_msk(d->close_us, "2026-01-12T18:00:00+03:00");
  assert_msk(d->start_us, "2026-01-12T00:00:00+03:00");
  assert_msk(d->end_us, "2026-01-13T00:00:00+03:00");
}

static void test_transferred_saturday_is_a_short_working_day(void **state)
{
  g_autoptr(OknoCalendar) cal = shipped();
  const OknoCalendarDay *d = day(cal, 2025, 11, 1);
  assert_int_equal(d->weekday, 6);
  assert_int_equal(d->flags, OKNO_DAY_WORKING | OKNO_DAY_SHORT | OKNO_DAY_LISTED);
  assert_msk(d->open_us, "2025-11-01T09:00:00+03:00");
  assert_msk(d->close_us, "2025-11-01T17:00:00+03:00");
  assert_int_equal(day(cal, 2025, 11, 3)->flags, OKNO_DAY_LISTED); /* Monday, day off */
}

static void test_shortened_day_closes_at_17(void **state)
{
  g_autoptr(OknoCalendar) cal = shipped();
  const OknoCalendarDay *d = day(cal, 2026, 4, 30);
  assert_int_equal(d->flags, OKNO_DAY_WORKING | OKNO_DAY_SHORT | OKNO_DAY_LISTED);
  assert_msk(d->close_us, "2026-04-30T17:00:00+03:00");
}

static void test_working_hours_can_be_changed(void **state)
{
  g_autoptr(OknoCalendar) cal = shipped();
  g_autoptr(GError) err = NULL;
  assert_true(okno_calendar_set_hours(cal, 8, 20, NULL));
  assert_msk(day(cal, 2026, 4, 30)->open_us, "2026-04-30T08:00:00+03:00");
  assert_msk(day(cal, 2026, 4, 30)->close_us, "2026-04-30T19:00:00+03:00");
  assert_msk(day(cal, 2026, 4, 29)->close_us, "2026-04-29T20:00:00+03:00");
  assert_false(okno_calendar_set_hours(cal, 10, 11, &err)); /* a short day would be empty */
  assert_int_equal(err->code, OKNO_ERROR_USER);
  assert_msk(day(cal, 2026, 4, 29)->open_us, "2026-04-29T08:00:00+03:00"); /* unchanged */
  assert_true(okno_calendar_set_hours(cal, 0, 24, NULL));
  assert_msk(day(cal, 2026, 4, 29)->close_us, "2026-04-30T00:00:00+03:00");
}

static void test_instant_finds_its_moscow_day(void **state)
{
  g_autoptr(OknoCalendar) cal = shipped();
  gsize n, i;
  const OknoCalendarDay *days = okno_calendar_days(cal, &n);
  gint64 us;
  assert_true(okno_time_parse("2026-05-08T21:30:00Z", &us)); /* 00:30 on 9 May in Moscow */
  assert_true(okno_calendar_find_instant(cal, us, &i, NULL));
  assert_int_equal(days[i].month, 5);
  assert_int_equal(days[i].mday, 9);
  assert_true(okno_time_parse("2025-01-01T00:00:00+03:00", &us));
  assert_true(okno_calendar_find_instant(cal, us, &i, NULL));
  assert_int_equal(i, 0);
  assert_true(okno_time_parse("2027-12-31T23:59:59+03:00", &us));
  assert_true(okno_calendar_find_instant(cal, us, &i, NULL));
  assert_int_equal(i, n - 1);
}

static void test_outside_the_covered_years_is_an_error_naming_the_year(void **state)
{
  g_autoptr(OknoCalendar) cal = shipped();
  g_autoptr(GError) err = NULL;
  g_autoptr(GError) err2 = NULL;
  gsize i;
  gint64 us;
  assert_true(okno_time_parse("2028-01-01T00:00:00+03:00", &us));
  assert_false(okno_calendar_find_instant(cal, us, &i, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  assert_string_equal(err->message,
                      "the production calendar has no data for 2028; import it with okno calendar import");
  assert_false(okno_calendar_find_date(cal, 2024, 12, 31, &i, &err2));
  assert_non_null(strstr(err2->message, "no data for 2024"));
  assert_false(okno_calendar_year_totals(cal, 2030, &(int){0}, &(int){0}, NULL));
}

static void test_parse_accepts_comments_blank_lines_crlf_and_tabs(void **state)
{
  const char *text = "# test\r\n\r\n2030-01-01 off   # New Year\r\n2030-01-05\twork\tshort\n2030-01-04 short";
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoCalendar) cal = okno_calendar_parse(text, strlen(text), "t.txt", &err);
  assert_non_null(cal);
  assert_int_equal(day(cal, 2030, 1, 1)->flags, OKNO_DAY_LISTED);
  assert_int_equal(day(cal, 2030, 1, 5)->flags, OKNO_DAY_WORKING | OKNO_DAY_SHORT | OKNO_DAY_LISTED);
  assert_int_equal(day(cal, 2030, 1, 4)->flags, OKNO_DAY_WORKING | OKNO_DAY_SHORT | OKNO_DAY_LISTED);
  assert_int_equal(day(cal, 2030, 1, 7)->flags, OKNO_DAY_WORKING);
}

static void test_bad_lines_are_refused_with_file_and_line(void **state)
{
  assert_refused("2030-01-01 off\n2030-13-01 off\n", "t.txt:2: '2030-13-01' is not a date");
  assert_refused("2030-02-30 off\n", "t.txt:1: '2030-02-30' is not a date");
  assert_refused("# c\n2030-01-01 holiday\n", "t.txt:2: unknown kind 'holiday'");
  assert_refused("2030-01-01 short work\n", "t.txt:1: unknown kind 'short work'");
  assert_refused("2030-01-01\n", "t.txt:1: expected 'YYYY-MM-DD KIND'");
  assert_refused("2030-01-01 off\n\n2030-01-01 short\n", "t.txt:3: 2030-01-01 is already listed on line 1");
  assert_refused("2030-01-07 work\n", "t.txt:1: '2030-01-07' is a weekday"); /* a Monday */
  assert_refused("2030-01-05 short\n", "t.txt:1: '2030-01-05' is a Saturday or Sunday");
  assert_refused("", "t.txt: no calendar lines");
  assert_refused("# only comments\n", "t.txt: no calendar lines");
}

static void test_a_gap_between_years_is_refused(void **state)
{
  assert_refused("2030-01-01 off\n2032-01-01 off\n", "t.txt: no lines for 2031, between 2030 and 2032");
}

static void test_year_header_totals_are_checked(void **state)
{
  /* 2030: 261 weekdays, minus 1 January (Tuesday) = 260 days, 2080 hours. */
  const char *good = "# 2030: test; 260 working days, 2080 hours\n2030-01-01 off\n";
  g_autoptr(OknoCalendar) cal = okno_calendar_parse(good, strlen(good), "t.txt", NULL);
  assert_non_null(cal);
  assert_refused("# 2030: test; 247 working days, 1972 hours\n2030-01-01 off\n",
                 "t.txt:1: the header says 247 working days, 1972 hours for 2030, but the lines give 260 days, 2080 hours");
}

static void test_binary_and_overlong_lines_are_refused(void **state)
{
  g_autoptr(GError) err = NULL;
  static const char nul[] = "2030-01-01 off\n2030-01-02\0off\n";
  g_autofree char *longline = g_strnfill(300, 'x');
  assert_null(okno_calendar_parse(nul, sizeof nul - 1, "t.txt", &err));
  assert_string_equal(err->message, "t.txt:2: not UTF-8 text");
  assert_refused(longline, "t.txt:1: line longer than 256 bytes");
  assert_refused("2030-01-01 off\n\xff\xfe\n", "t.txt:2: not UTF-8 text");
}

static void test_load_names_an_unreadable_file(void **state)
{
  g_autoptr(GError) err = NULL;
  assert_null(okno_calendar_load("/nonexistent/cal.txt", &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  assert_non_null(strstr(err->message, "/nonexistent/cal.txt: cannot read the calendar"));
}

static void test_default_calendar_prefers_config_then_imported_then_shipped(void **state)
{
  g_autofree char *dir = g_dir_make_tmp("okno-cal-XXXXXX", NULL);
  g_autofree char *mine = g_build_filename(dir, "mine.txt", NULL);
  g_autofree char *imported = g_build_filename(dir, "calendar.txt", NULL);
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  OknoCalendar *cal;

  g_free(cfg->store_url);
  cfg->store_url = g_strconcat("sqlite:", dir, "/okno.db", NULL);
  cal = okno_calendar_load_default(cfg, NULL); /* nothing imported: shipped */
  assert_int_equal(okno_calendar_last_year(cal), 2027);
  okno_calendar_free(cal);

  assert_true(g_file_set_contents(imported, "2031-01-01 off\n", -1, NULL));
  cal = okno_calendar_load_default(cfg, NULL);
  assert_int_equal(okno_calendar_first_year(cal), 2031);
  okno_calendar_free(cal);

  assert_true(g_file_set_contents(mine, "2040-01-01 off\n", -1, NULL));
  g_free(cfg->calendar_file);
  cfg->calendar_file = g_strdup(mine);
  cal = okno_calendar_load_default(cfg, NULL);
  assert_int_equal(okno_calendar_first_year(cal), 2040);
  okno_calendar_free(cal);
  {
    g_autofree char *p = okno_calendar_installed_path(cfg, NULL);
    assert_string_equal(p, mine);
  }
  g_free(cfg->calendar_file);
  cfg->calendar_file = g_strdup("");
  g_free(cfg->store_url);
  cfg->store_url = g_strdup("postgresql://db/okno");
  {
    g_autoptr(GError) err = NULL;
    assert_null(okno_calendar_installed_path(cfg, &err));
    assert_non_null(strstr(err->message, "set [calendar] file"));
  }
  g_unlink(mine);
  g_unlink(imported);
  g_rmdir(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_shipped_calendar_covers_2025_to_2027),
    cmocka_unit_test(test_each_year_has_247_days_and_1972_hours),
    cmocka_unit_test(test_new_year_holidays_2026_run_to_9_january),
    cmocka_unit_test(test_transferred_saturday_is_a_short_working_day),
    cmocka_unit_test(test_shortened_day_closes_at_17),
    cmocka_unit_test(test_working_hours_can_be_changed),
    cmocka_unit_test(test_instant_finds_its_moscow_day),
    cmocka_unit_test(test_outside_the_covered_years_is_an_error_naming_the_year),
    cmocka_unit_test(test_parse_accepts_comments_blank_lines_crlf_and_tabs),
    cmocka_unit_test(test_bad_lines_are_refused_with_file_and_line),
    cmocka_unit_test(test_a_gap_between_years_is_refused),
    cmocka_unit_test(test_year_header_totals_are_checked),
    cmocka_unit_test(test_binary_and_overlong_lines_are_refused),
    cmocka_unit_test(test_load_names_an_unreadable_file),
    cmocka_unit_test(test_default_calendar_prefers_config_then_imported_then_shipped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
