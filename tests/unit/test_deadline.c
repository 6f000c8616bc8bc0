/* test_deadline.c: deadline arithmetic on the shipped production calendar
 * (appeal/deadline.h). Every expected instant is worked out by hand from
 * data/calendar/ru.txt; the comment beside each case shows the reasoning. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "appeal/calendar.h"
#include "appeal/deadline.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/paths.h"
#include "shipped_calendar.h"

static OknoCalendar *cal;

static int setup(void **state)
{
  cal = shipped_calendar();
  return 0;
}

static int teardown(void **state)
{
  okno_calendar_free(cal);
  return 0;
}

static gint64 at(const char *rfc3339)
{
  gint64 us = 0;
  if (!okno_time_parse(rfc3339, &us))
    fail_msg("bad test time %s", rfc3339);
  return us;
}

static void expect(const char *from, OknoPeriodUnit unit, gint64 n, const char *want)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *got = NULL;
  gint64 out = 0;
  if (!okno_deadline_add(cal, at(from), unit, n, &out, &err))
    fail_msg("%s + %" G_GINT64_FORMAT ": %s", from, n, err->message);
  got = okno_time_format_msk(out);
  if (strcmp(got, want) != 0)
    fail_msg("%s + %" G_GINT64_FORMAT " (unit %d): got %s, want %s", from, n, (int)unit, got, want);
}

static void expect_no_data(const char *from, OknoPeriodUnit unit, gint64 n, int year)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *want = g_strdup_printf(
      "the production calendar has no data for %d; import it with okno calendar import", year);
  gint64 out = 0;
  assert_false(okno_deadline_add(cal, at(from), unit, n, &out, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  assert_string_equal(err->message, want);
}

#define WH OKNO_PERIOD_WORKING_HOURS
#define WD OKNO_PERIOD_WORKING_DAYS
#define CD OKNO_PERIOD_CALENDAR_DAYS
#define H OKNO_PERIOD_HOURS

static void test_working_hours_count_from_arrival_within_the_day(void **state)
{
  /* Monday 23 November 2026, an ordinary week. */
  expect("2026-11-23T10:15:00+03:00", WH, 1, "2026-11-23T11:15:00+03:00");
  expect("2026-11-23T07:15:00+03:00", WH, 1, "2026-11-23T10:00:00+03:00"); /* before opening */
  expect("2026-11-23T09:00:00+03:00", WH, 9, "2026-11-23T18:00:00+03:00"); /* ends at the close */
  expect("2026-11-23T19:00:00+03:00", WH, 1, "2026-11-24T10:00:00+03:00"); /* after closing */
  expect("2026-11-23T18:00:00+03:00", WH, 1, "2026-11-24T10:00:00+03:00"); /* at the close */
  expect("2026-11-23T07:00:00Z", WH, 1, "2026-11-23T11:00:00+03:00");      /* UTC input */
}

static void test_24_working_hours_from_monday_10_end_wednesday_16(void **state)
{
  /* Mon 10-18 = 8 h, Tue 9-18 = 9 h (17), Wed 9-16 = 7 h (24). */
  expect("2026-11-23T10:00:00+03:00", WH, 24, "2026-11-25T16:00:00+03:00");
}

static void test_appeal_at_3_on_sunday_starts_monday_morning(void **state)
{
  expect("2026-11-22T03:00:00+03:00", WH, 2, "2026-11-23T11:00:00+03:00");
  expect("2026-11-22T03:00:00+03:00", WD, 1, "2026-11-23T18:00:00+03:00");
  expect("2026-11-22T03:00:00+03:00", CD, 1, "2026-11-23T18:00:00+03:00");
}

static void test_friday_1730_before_may_holidays(void **state)
{
  /* 8 May 2026 is a shortened Friday (closes 17:00); 9 May Saturday and 11 May Monday
   * are days off; the next working day is Tuesday 12 May. */
  expect("2026-05-08T17:30:00+03:00", WH, 1, "2026-05-12T10:00:00+03:00");
  expect("2026-05-08T17:30:00+03:00", WD, 1, "2026-05-12T18:00:00+03:00");
  /* At 16:30 half an hour is left on Friday, the other half on Tuesday. */
  expect("2026-05-08T16:30:00+03:00", WH, 1, "2026-05-12T09:30:00+03:00");
}

static void test_new_year_eve_2025_waits_for_12_january(void **state)
{
  /* 31 December 2025 and 1-9 January 2026 are days off, 10-11 January a weekend. */
  expect("2025-12-31T12:00:00+03:00", WD, 1, "2026-01-12T18:00:00+03:00");
  expect("2025-12-31T10:00:00+03:00", WH, 9, "2026-01-12T18:00:00+03:00");
  expect("2025-12-31T10:00:00+03:00", WH, 10, "2026-01-13T10:00:00+03:00");
  /* Tuesday 30 December is an ordinary working day: one hour left at 17:00. */
  expect("2025-12-30T17:00:00+03:00", WH, 2, "2026-01-12T10:00:00+03:00");
}

static void test_transferred_working_saturday_counts_and_closes_at_17(void **state)
{
  /* 1 November 2025 (Saturday) is `work short`; 2 Sunday, 3-4 days off; 5 Wednesday. */
  expect("2025-10-31T17:00:00+03:00", WH, 2, "2025-11-01T10:00:00+03:00");
  expect("2025-10-31T12:00:00+03:00", WD, 1, "2025-11-01T17:00:00+03:00");
  expect("2025-10-31T12:00:00+03:00", WD, 2, "2025-11-05T18:00:00+03:00");
  expect("2025-11-01T16:30:00+03:00", WH, 1, "2025-11-05T09:30:00+03:00");
}

static void test_shortened_day_before_may_day(void **state)
{
  /* 30 April 2026 (Thursday) closes at 17:00; 1 May off, 2-3 weekend; 4 May works. */
  expect("2026-04-30T16:00:00+03:00", WH, 2, "2026-05-04T10:00:00+03:00");
  expect("2026-04-29T12:00:00+03:00", WD, 1, "2026-04-30T17:00:00+03:00");
  expect("2026-04-20T12:00:00+03:00", CD, 10, "2026-04-30T17:00:00+03:00");
}

static void test_working_days_start_the_day_after_registration(void **state)
{
  /* Registered Monday at noon: Tuesday, Wednesday, Thursday. */
  expect("2026-11-23T12:00:00+03:00", WD, 3, "2026-11-26T18:00:00+03:00");
  /* The time of day does not matter: late on Monday is still Monday. */
  expect("2026-11-23T23:59:00+03:00", WD, 3, "2026-11-26T18:00:00+03:00");
  /* But just after midnight it is Tuesday: Wednesday, Thursday, Friday. */
  expect("2026-11-23T21:01:00Z", WD, 3, "2026-11-27T18:00:00+03:00");
}

static void test_working_days_across_the_year_boundary(void **state)
{
  /* From Tuesday 29 December 2026: 30 December, then 31 December and 1-8 January 2027
   * off, 9-10 weekend, Monday 11 and Tuesday 12 January. */
  expect("2026-12-29T12:00:00+03:00", WD, 3, "2027-01-12T18:00:00+03:00");
}

static void test_30_calendar_days_ending_on_a_holiday_move_to_the_next_working_day(void **state)
{
  /* 9 April + 30 days = 9 May 2026 (holiday); 10 Sunday, 11 off; Tuesday 12 May. */
  expect("2026-04-09T15:00:00+03:00", CD, 30, "2026-05-12T18:00:00+03:00");
  /* 2 November + 30 days = Wednesday 2 December, a working day. */
  expect("2026-11-02T15:00:00+03:00", CD, 30, "2026-12-02T18:00:00+03:00");
  /* 5 December 2025 + 30 = Sunday 4 January 2026, inside the holidays: 12 January. */
  expect("2025-12-05T15:00:00+03:00", CD, 30, "2026-01-12T18:00:00+03:00");
}

static void test_plain_hours_run_around_the_clock(void **state)
{
  gint64 out = 0;
  expect("2026-05-08T17:30:00+03:00", H, 24, "2026-05-09T17:30:00+03:00");
  expect("2026-05-08T14:30:00Z", H, 1, "2026-05-08T18:30:00+03:00");
  /* No calendar needed, even past its years. */
  assert_true(okno_deadline_add(NULL, at("2040-01-01T00:00:00+03:00"), H, 2, &out, NULL));
  assert_int_equal(out, at("2040-01-01T02:00:00+03:00"));
}

static void test_leaving_the_calendar_is_an_error_not_a_guess(void **state)
{
  /* 31 December 2027 is off and 2028 is not in the file. */
  expect_no_data("2027-12-30T12:00:00+03:00", WD, 3, 2028);
  expect_no_data("2027-12-30T17:00:00+03:00", WH, 2, 2028);
  expect_no_data("2028-01-10T12:00:00+03:00", WH, 1, 2028);
  expect_no_data("2024-12-31T12:00:00+03:00", WD, 1, 2024);
  /* 1 December 2027 + 400 days = 4 January 2029. */
  expect_no_data("2027-12-01T12:00:00+03:00", CD, 400, 2029);
}

static void test_amount_must_be_positive_and_bounded(void **state)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GError) err2 = NULL;
  gint64 out = 0;
  assert_false(okno_deadline_add(cal, at("2026-11-23T10:00:00+03:00"), WD, 0, &out, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  assert_false(okno_deadline_add(cal, at("2026-11-23T10:00:00+03:00"), H, OKNO_DEADLINE_MAX_AMOUNT + 1, &out, &err2));
  assert_int_equal(err2->code, OKNO_ERROR_USER);
}

static void test_working_time_between_two_instants(void **state)
{
  gint64 us = -1;
  /* Friday 8 May 2026 16:00-17:00 (short day) + Tuesday 12 May 09:00-10:00 = 2 h. */
  assert_true(okno_deadline_working_time(cal, at("2026-05-08T16:00:00+03:00"), at("2026-05-12T10:00:00+03:00"), &us, NULL));
  assert_int_equal(us, 2 * G_TIME_SPAN_HOUR);
  /* The inverse of 24 working hours from Monday 10:00. */
  assert_true(okno_deadline_working_time(cal, at("2026-11-23T10:00:00+03:00"), at("2026-11-25T16:00:00+03:00"), &us, NULL));
  assert_int_equal(us, 24 * G_TIME_SPAN_HOUR);
  /* Nothing over a night or a reversed interval. */
  assert_true(okno_deadline_working_time(cal, at("2026-11-23T18:30:00+03:00"), at("2026-11-24T08:59:00+03:00"), &us, NULL));
  assert_int_equal(us, 0);
  assert_true(okno_deadline_working_time(cal, at("2026-11-25T10:00:00+03:00"), at("2026-11-23T10:00:00+03:00"), &us, NULL));
  assert_int_equal(us, 0);
  /* A whole year: 1972 norm hours + one opening hour per working day (9-hour office). */
  assert_true(okno_deadline_working_time(cal, at("2026-01-01T00:00:00+03:00"), at("2027-01-01T00:00:00+03:00"), &us, NULL));
  assert_int_equal(us, (1972 + 247) * G_TIME_SPAN_HOUR);
  assert_false(okno_deadline_working_time(cal, at("2027-12-01T00:00:00+03:00"), at("2028-01-02T00:00:00+03:00"), &us, NULL));
}

static void test_department_hours_change_the_arithmetic(void **state)
{
  g_autoptr(OknoCalendar) own = shipped_calendar();
  gint64 out = 0;
  assert_non_null(own);
  assert_true(okno_calendar_set_hours(own, 8, 20, NULL));
  /* Mon 10-20 = 10 h, Tue 8-20 = 12 h (22), Wed 8-10 (24). */
  assert_true(okno_deadline_add(own, at("2026-11-23T10:00:00+03:00"), WH, 24, &out, NULL));
  assert_int_equal(out, at("2026-11-25T10:00:00+03:00"));
  assert_true(okno_deadline_add(own, at("2026-04-29T10:00:00+03:00"), WD, 1, &out, NULL));
  assert_int_equal(out, at("2026-04-30T19:00:00+03:00"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_working_hours_count_from_arrival_within_the_day),
    cmocka_unit_test(test_24_working_hours_from_monday_10_end_wednesday_16),
    cmocka_unit_test(test_appeal_at_3_on_sunday_starts_monday_morning),
    cmocka_unit_test(test_friday_1730_before_may_holidays),
    cmocka_unit_test(test_new_year_eve_2025_waits_for_12_january),
    cmocka_unit_test(test_transferred_working_saturday_counts_and_closes_at_17),
    cmocka_unit_test(test_shortened_day_before_may_day),
    cmocka_unit_test(test_working_days_start_the_day_after_registration),
    cmocka_unit_test(test_working_days_across_the_year_boundary),
    cmocka_unit_test(test_30_calendar_days_ending_on_a_holiday_move_to_the_next_working_day),
    cmocka_unit_test(test_plain_hours_run_around_the_clock),
    cmocka_unit_test(test_leaving_the_calendar_is_an_error_not_a_guess),
    cmocka_unit_test(test_amount_must_be_positive_and_bounded),
    cmocka_unit_test(test_working_time_between_two_instants),
    cmocka_unit_test(test_department_hours_change_the_arithmetic),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
