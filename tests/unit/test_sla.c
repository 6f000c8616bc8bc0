/* test_sla.c: the SLA policy and rules (appeal/sla.h): periods, classes, deadlines,
 * the operators' rules (extension, confirmation) and the scheduler's (is a job still
 * current, whom it tells), on the shipped production calendar with the default [sla]
 * keys. Every expected instant is worked out by hand from data/calendar/ru.txt; the
 * comment beside each case shows the reasoning. No store: this program links only
 * core, text and appeal (tests/meson.build), as the rules must need nothing more. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "appeal/sla.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/paths.h"
#include "shipped_calendar.h"

static OknoCalendar *cal;
static OknoConfig *cfg;
static OknoSlaPolicy *policy;

static int setup(void **state)
{
  GError *err = NULL;
  cal = shipped_calendar();
  cfg = okno_config_new_default();
  policy = okno_sla_policy_new(cfg, &err);
  if (!policy) {
    g_printerr("%s\n", err->message);
    g_error_free(err);
    return -1;
  }
  return 0;
}

static int teardown(void **state)
{
  okno_sla_policy_free(policy);
  okno_config_free(cfg);
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

static void expect_due(OknoSlaClass c, gboolean confirmed, const char *from, const char *want,
                       const char *want_reason)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *got = NULL, *reason = NULL;
  OknoSlaFacts f = {.sla_class = c, .confirmed = confirmed, .start = at(from)};
  gint64 out = 0;
  if (!okno_sla_deadline(policy, &f, cal, &out, &reason, &err))
    fail_msg("%s from %s: %s", okno_sla_class_name(c), from, err->message);
  got = okno_time_format_msk(out);
  if (strcmp(got, want) != 0)
    fail_msg("%s from %s: got %s, want %s", okno_sla_class_name(c), from, got, want);
  assert_string_equal(reason, want_reason);
}

static void test_each_class_has_its_period(void **state)
{
  /* simple, 24 working hours from Monday 23 November 10:00: Monday 8 h (to 18:00),
   * Tuesday 9 h (17 h), Wednesday 7 more -> Wednesday 16:00. */
  expect_due(OKNO_SLA_SIMPLE, FALSE, "2026-11-23T10:00:00+03:00", "2026-11-25T16:00:00+03:00",
             "simple: 24 working hours");
  /* complex, 3 working days from Friday 8 May 17:30: 9-11 May off; Tuesday 12 (1),
   * Wednesday 13 (2), Thursday 14 (3), at its close. */
  expect_due(OKNO_SLA_COMPLEX, FALSE, "2026-05-08T17:30:00+03:00", "2026-05-14T18:00:00+03:00",
             "complex: 3 working days");
  /* urgent, 12 hours around the clock, over the New Year. */
  expect_due(OKNO_SLA_URGENT, FALSE, "2026-12-31T20:00:00+03:00", "2027-01-01T08:00:00+03:00",
             "urgent: 12 hours");
  /* urgent confirmed by a supervisor: 4 hours, through the night. */
  expect_due(OKNO_SLA_URGENT, TRUE, "2026-11-23T23:00:00+03:00", "2026-11-24T03:00:00+03:00",
             "urgent confirmed: 4 hours");
  /* complaint, 5 working days from Monday 2 November: Tuesday 3 (short, still a working
   * day) 1, Wednesday 4 off, Thursday 5 (2), Friday 6 (3), Monday 9 (4), Tuesday 10 (5). */
  expect_due(OKNO_SLA_COMPLAINT, FALSE, "2026-11-02T12:00:00+03:00", "2026-11-10T18:00:00+03:00",
             "complaint: 5 working days");
  /* accelerated, checked within 1 working day from Wednesday 30 December: 31 December
   * and 1-8 January off, 9-10 January a weekend -> Monday 11 January. */
  expect_due(OKNO_SLA_ACCELERATED, FALSE, "2026-12-30T15:00:00+03:00",
             "2027-01-11T18:00:00+03:00", "accelerated: 1 working days");
  /* accelerated and confirmed: 24 hours around the clock. */
  expect_due(OKNO_SLA_ACCELERATED, TRUE, "2026-12-30T15:00:00+03:00",
             "2026-12-31T15:00:00+03:00", "accelerated confirmed: 24 hours");
  /* formal, 30 calendar days from 9 April: 9 May is a Saturday (and a holiday),
   * 10 May a Sunday, 11 May off -> close of Tuesday 12 May (Civil Code art. 193). */
  expect_due(OKNO_SLA_FORMAL, FALSE, "2026-04-09T15:00:00+03:00", "2026-05-12T18:00:00+03:00",
             "formal: 30 calendar days");
  /* confirmation means nothing to a class without a confirmed period */
  expect_due(OKNO_SLA_SIMPLE, TRUE, "2026-11-23T10:00:00+03:00", "2026-11-25T16:00:00+03:00",
             "simple: 24 working hours");
}

static void test_classify(void **state)
{
  assert_int_equal(okno_sla_classify(policy, OKNO_KIND_FORMAL, "technical", "срочно", ""), OKNO_SLA_FORMAL);
  assert_int_equal(okno_sla_classify(policy, OKNO_KIND_SUPPORT, "documents", "", ""), OKNO_SLA_COMPLEX);
  assert_int_equal(okno_sla_classify(policy, OKNO_KIND_SUPPORT, "technical", "", ""), OKNO_SLA_SIMPLE);
  assert_int_equal(okno_sla_classify(policy, OKNO_KIND_SUPPORT, "suggestion", "", ""), OKNO_SLA_COMPLAINT);
  /* e-mail: no category; words decide, accelerated before urgent before complaint */
  assert_int_equal(okno_sla_classify(policy, OKNO_KIND_SUPPORT, "", "Прошу ускорённое рассмотрение",
                                     "срочно"),
                   OKNO_SLA_ACCELERATED);
  assert_int_equal(okno_sla_classify(policy, OKNO_KIND_SUPPORT, "", "Вопрос", "Аккаунт заблокирован, нужен доступ"),
                   OKNO_SLA_URGENT);
  assert_int_equal(okno_sla_classify(policy, OKNO_KIND_SUPPORT, "", "ЖАЛОБА на оператора", ""),
                   OKNO_SLA_COMPLAINT);
  /* nothing matches: the default class (complex, 3 working days) */
  assert_int_equal(okno_sla_classify(policy, OKNO_KIND_SUPPORT, NULL, "Вопрос", "Как узнать статус?"),
                   OKNO_SLA_COMPLEX);
  /* an unknown category falls through to the words */
  assert_int_equal(okno_sla_classify(policy, OKNO_KIND_SUPPORT, "misc", "срочно", ""), OKNO_SLA_URGENT);
}

static void test_periods_parse_and_bad_config_is_rejected(void **state)
{
  OknoSlaPeriod p;
  g_autoptr(OknoConfig) c = okno_config_new_default();
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoSlaPolicy) bad = NULL;
  g_autofree char *text = NULL;
  assert_true(okno_sla_period_parse("24 working hours", &p));
  assert_int_equal(p.unit, OKNO_PERIOD_WORKING_HOURS);
  assert_int_equal(p.amount, 24);
  assert_true(okno_sla_period_parse("1 Working Day", &p));
  assert_int_equal(p.unit, OKNO_PERIOD_WORKING_DAYS);
  assert_true(okno_sla_period_parse("30 calendar days", &p));
  assert_int_equal(p.unit, OKNO_PERIOD_CALENDAR_DAYS);
  text = okno_sla_period_format(&p);
  assert_string_equal(text, "30 calendar days");
  assert_false(okno_sla_period_parse("0 hours", &p));
  assert_false(okno_sla_period_parse("-1 hours", &p));
  assert_false(okno_sla_period_parse("12 parsecs", &p));
  assert_false(okno_sla_period_parse("12hours", &p));
  assert_false(okno_sla_period_parse("hours", &p));
  assert_false(okno_sla_period_parse("100001 hours", &p));

  g_free(c->sla_urgent);
  c->sla_urgent = g_strdup("12 parsecs");
  bad = okno_sla_policy_new(c, &err);
  assert_null(bad);
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
  assert_non_null(strstr(err->message, "[sla] urgent = '12 parsecs'"));
  g_clear_error(&err);
  g_free(c->sla_urgent);
  c->sla_urgent = g_strdup("12 hours");
  g_strfreev(c->sla_categories);
  c->sla_categories = g_strsplit("technical:fast", ";", -1);
  bad = okno_sla_policy_new(c, &err);
  assert_null(bad);
  assert_non_null(strstr(err->message, "technical:fast"));
  g_clear_error(&err);
  g_strfreev(c->sla_categories);
  c->sla_categories = g_strsplit("technical:formal", ";", -1); /* formal is not a choice */
  bad = okno_sla_policy_new(c, &err);
  assert_null(bad);
  g_clear_error(&err);
  g_strfreev(c->sla_categories);
  c->sla_categories = g_strsplit("", ";", -1);
  g_free(c->sla_default_class);
  c->sla_default_class = g_strdup("formal");
  bad = okno_sla_policy_new(c, &err);
  assert_null(bad);
  assert_non_null(strstr(err->message, "[sla] default_class"));
}

static void test_department_overrides(void **state)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoConfig) c = okno_config_new_default();
  g_autoptr(OknoSlaPolicy) p = NULL;
  g_autofree char *dept = NULL, *got = NULL, *reason = NULL;
  OknoSlaClass k;
  OknoSlaPeriod per;
  OknoSlaFacts f = {.sla_class = OKNO_SLA_COMPLEX, .start = at("2026-11-23T10:00:00+03:00"),
                    .department = "passports"};
  gint64 out = 0;
  const char *const bad[] = {
    "passports complex=5 working days", "passports:complex 5 working days",
    ":complex=5 working days", "passports:formal=5 working days",
    "passports:weird=5 working days", "passports:complex=5 weeks",
    "Паспорта:complex=5 working days", "passports:complex=0 working days",
  };

  assert_true(okno_sla_override_parse(" passports : complex = 5 working days ", &dept, &k, &per));
  assert_string_equal(dept, "passports");
  assert_int_equal(k, OKNO_SLA_COMPLEX);
  assert_int_equal(per.unit, OKNO_PERIOD_WORKING_DAYS);
  assert_int_equal(per.amount, 5);
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *d = NULL;
    if (okno_sla_override_parse(bad[i], &d, &k, &per))
      fail_msg("accepted '%s'", bad[i]);
    assert_null(d);
  }

  g_strfreev(c->sla_department_overrides);
  c->sla_department_overrides =
      g_strsplit("passports:complex=5 working days; passports:urgent=2 hours", ";", -1);
  p = okno_sla_policy_new(c, &err);
  assert_non_null(p);
  assert_non_null(okno_sla_override(p, "passports", OKNO_SLA_COMPLEX));
  assert_null(okno_sla_override(p, "passports", OKNO_SLA_SIMPLE));
  assert_null(okno_sla_override(p, "visas", OKNO_SLA_COMPLEX));
  assert_null(okno_sla_override(p, "", OKNO_SLA_COMPLEX));
  assert_null(okno_sla_override(p, NULL, OKNO_SLA_COMPLEX));
  /* The department's 5 working days instead of 3: Mon 10:00 -> next Mon 18:00 (a working day ends at close). */
  assert_true(okno_sla_deadline(p, &f, cal, &out, &reason, &err));
  got = okno_time_format_msk(out);
  assert_string_equal(got, "2026-11-30T18:00:00+03:00");
  assert_string_equal(reason, "complex in passports: 5 working days");
  g_clear_pointer(&reason, g_free);
  g_clear_pointer(&got, g_free);
  /* Another department, or triage: the class's own 3 working days (Thu 18:00). */
  f.department = "visas";
  assert_true(okno_sla_deadline(p, &f, cal, &out, &reason, &err));
  got = okno_time_format_msk(out);
  assert_string_equal(got, "2026-11-26T18:00:00+03:00");
  assert_string_equal(reason, "complex: 3 working days");
  g_clear_pointer(&reason, g_free);
  g_clear_pointer(&got, g_free);
  /* A confirmed urgent appeal keeps the confirmed period, whatever the department. */
  f = (OknoSlaFacts){.sla_class = OKNO_SLA_URGENT, .confirmed = TRUE,
                     .start = at("2026-11-23T10:00:00+03:00"), .department = "passports"};
  assert_true(okno_sla_deadline(p, &f, cal, &out, &reason, &err));
  assert_string_equal(reason, "urgent confirmed: 4 hours");
  g_clear_pointer(&p, okno_sla_policy_free);

  g_strfreev(c->sla_department_overrides);
  c->sla_department_overrides = g_strsplit("passports:complex=5 weeks", ";", -1);
  p = okno_sla_policy_new(c, &err);
  assert_null(p);
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
  assert_non_null(strstr(err->message, "[sla] department_overrides: 'passports:complex=5 weeks'"));
}

static void expect_dept(const OknoSlaPolicy *p, OknoSlaClass c, const char *dept, const char *from,
                        const char *want)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *got = NULL;
  OknoSlaFacts f = {.sla_class = c, .start = at(from), .department = dept};
  gint64 out = 0;
  if (!okno_sla_deadline(p, &f, cal, &out, NULL, &err))
    fail_msg("%s", err->message);
  got = okno_time_format_msk(out);
  assert_string_equal(got, want);
}

static void test_department_hours(void **state)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoConfig) c = okno_config_new_default();
  g_autoptr(OknoSlaPolicy) p = NULL;
  g_autofree char *dept = NULL;
  int start = 0, end = 0;
  const char *const bad[] = {
    "passports 08-17", "passports:0817", "passports:08-", "passports:-17", ":08-17",
    "passports:17-08", "passports:08-08", "passports:08-09", "passports:08-25",
    "passports:8a-17", "passports:008-17", "Паспорта:08-17", "passports:08:00-17:00",
  };

  assert_true(okno_sla_hours_parse(" passports : 08 - 17 ", &dept, &start, &end));
  assert_string_equal(dept, "passports");
  assert_int_equal(start, 8);
  assert_int_equal(end, 17);
  g_clear_pointer(&dept, g_free);
  assert_true(okno_sla_hours_parse("night:0-24", &dept, &start, &end));
  assert_int_equal(end - start, 24);
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *d = NULL;
    if (okno_sla_hours_parse(bad[i], &d, &start, &end))
      fail_msg("accepted '%s'", bad[i]);
    assert_null(d);
  }

  g_strfreev(c->sla_department_hours);
  c->sla_department_hours = g_strsplit("passports:08-17", ";", -1);
  p = okno_sla_policy_new(c, &err);
  assert_non_null(p);
  /* The copy is cached in the calendar: the same object twice; the shared one unchanged. */
  assert_ptr_equal(okno_sla_calendar(p, cal, "passports"), okno_sla_calendar(p, cal, "passports"));
  assert_ptr_not_equal(okno_sla_calendar(p, cal, "passports"), cal);
  assert_ptr_equal(okno_sla_calendar(p, cal, "visas"), cal);
  assert_ptr_equal(okno_sla_calendar(p, cal, NULL), cal);
  /* 24 working hours from Mon 23 Nov 2026 07:30 on 08-17 (9 hours a day): Mon 9, Tue 9,
   * Wed 6 more from 08:00 -> Wed 14:00. On the shared 09-18: Wed 15:00. */
  expect_dept(p, OKNO_SLA_SIMPLE, "passports", "2026-11-23T07:30:00+03:00", "2026-11-25T14:00:00+03:00");
  expect_dept(p, OKNO_SLA_SIMPLE, "visas", "2026-11-23T07:30:00+03:00", "2026-11-25T15:00:00+03:00");
  /* From Mon 16:30: Mon 0.5, Tue 9, Wed 9 (18.5), Thu 5.5 from 08:00 -> Thu 13:30. */
  expect_dept(p, OKNO_SLA_SIMPLE, "passports", "2026-11-23T16:30:00+03:00", "2026-11-26T13:30:00+03:00");
  /* From Mon 17:30 (closed on 08-17, open on 09-18): Tue 9, Wed 9, Thu 6 -> Thu 14:00;
   * the shared hours give Mon 0.5, Tue 9, Wed 9, Thu 5.5 from 09:00 -> Thu 14:30. */
  expect_dept(p, OKNO_SLA_SIMPLE, "passports", "2026-11-23T17:30:00+03:00", "2026-11-26T14:00:00+03:00");
  expect_dept(p, OKNO_SLA_SIMPLE, NULL, "2026-11-23T17:30:00+03:00", "2026-11-26T14:30:00+03:00");
  /* 3 working days end at the department's close: Thu 17:00 (18:00 for others). */
  expect_dept(p, OKNO_SLA_COMPLEX, "passports", "2026-11-23T10:00:00+03:00", "2026-11-26T17:00:00+03:00");
  expect_dept(p, OKNO_SLA_COMPLEX, "visas", "2026-11-23T10:00:00+03:00", "2026-11-26T18:00:00+03:00");
  /* "12 hours" stays around the clock: Mon 16:30 -> Tue 04:30 in any department. */
  expect_dept(p, OKNO_SLA_URGENT, "passports", "2026-11-23T16:30:00+03:00", "2026-11-24T04:30:00+03:00");
  g_clear_pointer(&p, okno_sla_policy_free);

  g_strfreev(c->sla_department_hours);
  c->sla_department_hours = g_strsplit("passports:17-08", ";", -1);
  p = okno_sla_policy_new(c, &err);
  assert_null(p);
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
  assert_non_null(strstr(err->message, "[sla] department_hours: 'passports:17-08' should be DEPT:HH-HH"));
  assert_null(strchr(err->message, '\n'));
  g_clear_error(&err);
  g_strfreev(c->sla_department_hours);
  c->sla_department_hours = g_strsplit("passports:08-26", ";", -1);
  p = okno_sla_policy_new(c, &err);
  assert_null(p);
  assert_non_null(strstr(err->message, "'passports:08-26'"));
}

static void test_a_config_file_with_bad_sla_is_refused_where_the_policy_is_built(void **state)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *dir = g_dir_make_tmp("okno-sla-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "okno.ini", NULL);
  g_autoptr(OknoConfig) c = NULL;
  g_autoptr(OknoSlaPolicy) p = NULL;
  /* the config loader (core) does not judge [sla]; the policy does (the CLI builds it
   * right after loading, and prefixes the file's name) */
  assert_true(g_file_set_contents(path, "[sla]\nsimple = 3 weeks\n", -1, NULL));
  c = okno_config_load(path, &err);
  assert_non_null(c);
  p = okno_sla_policy_new(c, &err);
  assert_null(p);
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
  assert_non_null(strstr(err->message, "[sla] simple = '3 weeks'"));
  g_clear_error(&err);
  g_clear_pointer(&c, okno_config_free);
  assert_true(g_file_set_contents(path, "[sla]\nsimple = 2 working days\nreminder_before = 4\n"
                                        "supervisors = a@x.example; b@x.example\n", -1, NULL));
  c = okno_config_load(path, &err);
  assert_non_null(c);
  assert_string_equal(c->sla_supervisors[1], "b@x.example");
  assert_int_equal(c->sla_reminder_before, 4);
  p = okno_sla_policy_new(c, &err);
  assert_non_null(p);
  g_unlink(path);
  g_rmdir(dir);
}

static void test_working_time_backwards_and_checkpoints(void **state)
{
  g_autoptr(GError) err = NULL;
  gint64 out = 0, reminder = 0, again = 0;
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  /* the inverse of the simple case: 24 working hours before Wednesday 16:00 */
  assert_true(okno_sla_working_before(cal, at("2026-11-25T16:00:00+03:00"),
                                      G_GINT64_CONSTANT(24) * 3600 * G_USEC_PER_SEC, &out, &err));
  a = okno_time_format_msk(out);
  assert_string_equal(a, "2026-11-23T10:00:00+03:00");
  /* Over the May holidays: 1 working hour before Tuesday 12 May 10:00 is 09:00 that day;
   * 2 hours: the last hour of Friday 8 May, a shortened day closing at 17:00. */
  assert_true(okno_sla_working_before(cal, at("2026-05-12T10:00:00+03:00"),
                                      G_GINT64_CONSTANT(2) * 3600 * G_USEC_PER_SEC, &out, &err));
  b = okno_time_format_msk(out);
  assert_string_equal(b, "2026-05-08T16:00:00+03:00");
  /* A complex appeal from Monday 10:00, due Thursday 18:00: reminder 24 working hours
   * before (Thursday 9, Wednesday 9, Tuesday 6 from 18:00 back -> Tuesday 12:00); the
   * second escalation 8 working hours after the deadline (Friday 09:00 + 8 = 17:00). */
  assert_true(okno_sla_checkpoints(policy, cal, at("2026-11-23T10:00:00+03:00"),
                                   at("2026-11-26T18:00:00+03:00"), &reminder, &again, &err));
  c = okno_time_format_msk(reminder);
  d = okno_time_format_msk(again);
  assert_string_equal(c, "2026-11-24T12:00:00+03:00");
  assert_string_equal(d, "2026-11-27T17:00:00+03:00");
  /* An urgent appeal from 10:00 due 22:00 the same day: 24 working hours before the
   * deadline is before the start, so the reminder comes halfway, at 16:00. */
  assert_true(okno_sla_checkpoints(policy, cal, at("2026-11-23T10:00:00+03:00"),
                                   at("2026-11-23T22:00:00+03:00"), &reminder, &again, &err));
  g_free(c);
  c = okno_time_format_msk(reminder);
  assert_string_equal(c, "2026-11-23T16:00:00+03:00");
  /* before the calendar's first year: an error, not a guess */
  assert_false(okno_sla_working_before(cal, at("2025-01-09T10:00:00+03:00"),
                                       G_GINT64_CONSTANT(100) * 3600 * G_USEC_PER_SEC, &out, &err));
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
  assert_non_null(strstr(err->message, "2024"));
}

/* `ok` is FALSE with OKNO_ERROR_USER and exactly `message` (the CLI's line). */
static void expect_refused(gboolean ok, GError **err, const char *message)
{
  assert_false(ok);
  assert_non_null(*err);
  assert_true(g_error_matches(*err, OKNO_ERROR, OKNO_ERROR_USER));
  assert_string_equal((*err)->message, message);
  g_clear_error(err);
}

static void test_extension_rule(void **state)
{
  /* 59-FZ art. 12 part 2: a formal appeal may be extended once, by at most 30 calendar
   * days; any extension needs a reason and a running deadline. */
  OknoAppeal a = {.number = "26-000001-4", .status = OKNO_STATUS_IN_PROGRESS, .kind = OKNO_KIND_FORMAL,
                  .deadline = at("2026-12-14T18:00:00+03:00")};
  const OknoSlaPeriod month = {OKNO_PERIOD_CALENDAR_DAYS, 30}, longer = {OKNO_PERIOD_CALENDAR_DAYS, 31},
                      working = {OKNO_PERIOD_WORKING_DAYS, 5};
  GError *err = NULL;

  assert_true(okno_sla_extension_check(&a, &month, "запрос в Социальный фонд", &err));
  assert_null(err);
  expect_refused(okno_sla_extension_check(&a, &month, "", &err), &err,
                 "an extension needs --reason");
  expect_refused(okno_sla_extension_check(&a, &month, NULL, &err), &err,
                 "an extension needs --reason");
  expect_refused(okno_sla_extension_check(&a, &longer, "x", &err), &err,
                 "a formal appeal is extended by at most 30 calendar days (59-FZ art. 12)");
  expect_refused(okno_sla_extension_check(&a, &working, "x", &err), &err,
                 "a formal appeal is extended by at most 30 calendar days (59-FZ art. 12)");
  a.extensions = 1;
  expect_refused(okno_sla_extension_check(&a, &month, "x", &err), &err,
                 "formal appeal 26-000001-4 was already extended once (59-FZ art. 12 allows one "
                 "extension)");
  /* a support request: any period, as often as needed */
  a.kind = OKNO_KIND_SUPPORT;
  assert_true(okno_sla_extension_check(&a, &working, "x", &err));
  assert_true(okno_sla_extension_check(&a, &longer, "x", &err));
  /* no running deadline (the clock waits for a clarification): nothing to extend */
  a.deadline = 0;
  a.status = OKNO_STATUS_NEEDS_CLARIFICATION;
  expect_refused(okno_sla_extension_check(&a, &working, "x", &err), &err,
                 "appeal 26-000001-4 has no running deadline to extend (status "
                 "needs_clarification)");
}

/* A heap appeal as the store gives it: `class` and `deadline` (RFC 3339 or NULL). */
static OknoAppeal *appeal(const char *kind, const char *status, const char *class,
                          const char *deadline)
{
  OknoAppeal *a = g_new0(OknoAppeal, 1);
  a->number = g_strdup("26-000007-3");
  assert_true(okno_kind_parse(kind, &a->kind));
  assert_true(okno_status_parse(status, &a->status));
  a->sla_class = OKNO_SLA_NONE;
  assert_true(!*class || okno_sla_class_parse(class, &a->sla_class));
  a->priority = OKNO_PRIORITY_NORMAL;
  a->department = g_strdup("");
  a->deadline = deadline ? at(deadline) : 0;
  return a;
}

static void test_confirmation_rule(void **state)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *reason = NULL, *due = NULL;
  gint64 deadline = 0;
  /* Monday 23 November 10:00: a complex appeal due Thursday becomes urgent, confirmed;
   * 4 hours around the clock from now (14:00) is sooner, so that is the deadline. */
  g_autoptr(OknoAppeal) a = appeal("support", "new", "complex", "2026-11-26T18:00:00+03:00");
  g_autoptr(OknoAppeal) b = appeal("support", "in_progress", "accelerated",
                                   "2026-11-23T12:00:00+03:00");
  g_autoptr(OknoAppeal) formal = appeal("formal", "new", "formal", "2026-12-14T18:00:00+03:00");
  g_autoptr(OknoAppeal) done = appeal("support", "answered", "urgent", NULL);

  assert_true(okno_sla_confirm(policy, cal, a, at("2026-11-23T10:00:00+03:00"), &deadline, &reason,
                               &err));
  due = okno_time_format_msk(deadline);
  assert_string_equal(due, "2026-11-23T14:00:00+03:00");
  assert_string_equal(reason, "urgent confirmed: 4 hours");
  assert_int_equal(a->sla_class, OKNO_SLA_URGENT);
  assert_int_equal(a->priority, OKNO_PRIORITY_URGENT);
  assert_true(a->priority_confirmed);
  /* accelerated stays accelerated (24 hours once confirmed), but confirming never gives
   * more time: its deadline at 12:00 today stands */
  g_clear_pointer(&reason, g_free);
  assert_true(okno_sla_confirm(policy, cal, b, at("2026-11-23T10:00:00+03:00"), &deadline, &reason,
                               &err));
  assert_int_equal(deadline, at("2026-11-23T12:00:00+03:00"));
  assert_string_equal(reason, "accelerated confirmed: 24 hours");
  assert_int_equal(b->sla_class, OKNO_SLA_ACCELERATED);
  /* refused: a formal appeal (the law's periods), an answered one, no calendar */
  expect_refused(okno_sla_confirm(policy, cal, formal, at("2026-11-23T10:00:00+03:00"), &deadline,
                                  NULL, &err),
                 &err, "formal appeal 26-000007-3 follows 59-FZ periods; extend it instead");
  assert_false(formal->priority_confirmed);
  expect_refused(okno_sla_confirm(policy, cal, done, at("2026-11-23T10:00:00+03:00"), &deadline,
                                  NULL, &err),
                 &err, "appeal 26-000007-3 is answered");
  expect_refused(okno_sla_confirm(policy, NULL, b, at("2026-11-23T10:00:00+03:00"), &deadline, NULL,
                                  &err),
                 &err, "no production calendar is loaded");
}

static void test_job_rules(void **state)
{
  OknoAppeal a = {.status = OKNO_STATUS_NEW, .deadline = 1, .deadline_gen = 3};
  const char *one[2];
  const char *const *to;
  g_autoptr(OknoConfig) c = okno_config_new_default();
  assert_true(okno_sla_job_current(3, &a));
  a.status = OKNO_STATUS_IN_PROGRESS;
  assert_true(okno_sla_job_current(3, &a));
  /* the deadline moved on (extension, confirmation, clock restarted) */
  assert_false(okno_sla_job_current(2, &a));
  /* answered, closed, rejected, paused: nothing to remind of */
  for (const char *const *s = (const char *const[]){"answered", "closed", "rejected",
                                                    "needs_clarification", NULL};
       *s; s++) {
    assert_true(okno_status_parse(*s, &a.status));
    assert_false(okno_sla_job_current(3, &a));
  }
  a.status = OKNO_STATUS_NEW;
  a.deadline = 0;
  assert_false(okno_sla_job_current(3, &a));
  assert_false(okno_sla_job_current(3, NULL));

  /* whom: the assignee's e-mail, else the operators; supervisors; one level up */
  g_strfreev(c->sla_operators);
  c->sla_operators = g_strsplit("ops@x.example", ";", -1);
  g_strfreev(c->sla_supervisors);
  c->sla_supervisors = g_strsplit("boss@x.example", ";", -1);
  to = okno_sla_job_recipients(c, "reminder", NULL, one);
  assert_string_equal(to[0], "ops@x.example");
  to = okno_sla_job_recipients(c, "reminder", "", one); /* an assignee with no address */
  assert_string_equal(to[0], "ops@x.example");
  to = okno_sla_job_recipients(c, "reminder", "ivanova@x.example", one);
  assert_string_equal(to[0], "ivanova@x.example");
  assert_null(to[1]);
  to = okno_sla_job_recipients(c, "overdue", "ivanova@x.example", one);
  assert_string_equal(to[0], "boss@x.example");
  /* no second level configured: the supervisors again */
  to = okno_sla_job_recipients(c, "escalate", "ivanova@x.example", one);
  assert_string_equal(to[0], "boss@x.example");
  g_strfreev(c->sla_supervisors_level2);
  c->sla_supervisors_level2 = g_strsplit("chief@x.example", ";", -1);
  to = okno_sla_job_recipients(c, "escalate", NULL, one);
  assert_string_equal(to[0], "chief@x.example");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_each_class_has_its_period),
    cmocka_unit_test(test_classify),
    cmocka_unit_test(test_periods_parse_and_bad_config_is_rejected),
    cmocka_unit_test(test_department_overrides),
    cmocka_unit_test(test_department_hours),
    cmocka_unit_test(test_a_config_file_with_bad_sla_is_refused_where_the_policy_is_built),
    cmocka_unit_test(test_working_time_backwards_and_checkpoints),
    cmocka_unit_test(test_extension_rule),
    cmocka_unit_test(test_confirmation_rule),
    cmocka_unit_test(test_job_rules),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
