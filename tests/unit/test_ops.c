/* test_ops.c: the operations on appeals (ops/ops.h), on both stores: what each one
 * allows and refuses, and what it writes (the appeal's fields, its deadline and jobs,
 * its events, the citizen's letters), each against values worked out by hand.
 *
 * Every test runs on a fresh SQLite file and again (pg_...) on a fresh PostgreSQL
 * database when OKNO_TEST_PG_URL names a server (tests/unit/store_backends.h). The
 * clock is frozen at Wednesday 18 November 2026, 14:06:40 Moscow time; deadlines count
 * on the shipped production calendar with the default [sla] periods, so:
 *   complex (the default class): 3 working days -> Monday 23 November, 18:00;
 *   formal: 30 calendar days -> Friday 18 December, 18:00, forwarding due in 7 calendar
 *           days -> Wednesday 25 November, 18:00;
 *   urgent, confirmed: 4 hours around the clock -> 18:06:40 the same day.
 * Each operation runs as the CLI and the console run it: in a transaction, committed
 * when it succeeds and rolled back when it fails. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "ops/ops.h"
#include "core/paths.h"
#include "store/appeals.h"
#include "store/classify.h"
#include "store/jobs.h"
#include "store/notify.h"
#include "store/outbound.h"
#include "store/staff.h"
#include "store/store.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

static OknoConfig *cfg;
static OknoSlaEnv *env;

static int group_setup(void **state)
{
  GError *err = NULL;
  cfg = okno_config_new_default();
  g_free(cfg->calendar_file);
  cfg->calendar_file = okno_data_file("calendar/ru.txt");
  env = okno_sla_env_new(cfg, &err);
  if (!env || !env->cal) {
    g_printerr("%s\n", err ? err->message : "no calendar");
    return -1;
  }
  return 0;
}

static int group_teardown(void **state)
{
  okno_sla_env_free(env);
  okno_config_free(cfg);
  return 0;
}

/* One operation in its own transaction: committed if it succeeds, else rolled back. */
#define OP(fx, call)                                                                         \
  (okno_store_begin((fx)->st, NULL) && (call) ? okno_store_commit((fx)->st, NULL)            \
                                              : (okno_store_rollback((fx)->st), FALSE))

/* A new appeal `number` of `kind` from ivan@example.ru, registered now with its clock
 * started, as intake leaves it (status new, version 1 + the clock's update). */
static OknoAppeal *registered(Fx *fx, const char *number, const char *kind)
{
  OknoAppeal a = {.number = (char *)number, .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .subject = "Вопрос о записи", .from_name = "Иван Петров",
                  .from_email = "ivan@example.ru", .priority = OKNO_PRIORITY_NORMAL,
                  .sla_class = OKNO_SLA_NONE, .department = "", .received_at = okno_now()};
  OknoAppeal *got;
  assert_true(okno_kind_parse(kind, &a.kind));
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  got = okno_store_appeal_get(fx->st, number, NULL);
  assert_true(OP(fx, okno_ops_start_clock(env, fx->st, got, okno_now(), "registered", NULL)));
  okno_appeal_free(got);
  return okno_store_appeal_get(fx->st, number, NULL);
}

static OknoAppeal *reread(Fx *fx, OknoAppeal *a)
{
  OknoAppeal *fresh = okno_store_appeal_get(fx->st, a->number, NULL);
  okno_appeal_free(a);
  assert_non_null(fresh);
  return fresh;
}

/* The detail of the appeal's last event of `kind`, "" if none. */
static char *last_event(OknoStore *st, gint64 appeal_id, const char *kind)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT detail FROM events WHERE appeal_id = $1 AND kind = $2 ORDER BY id DESC",
      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_TEXT(kind)), NULL);
  assert_non_null(r);
  return g_strdup(okno_rows_count(r) ? okno_rows_text(r, 0, 0) : "");
}

/* The appeal's last event of `kind` is `want` exactly. */
static void expect_event(Fx *fx, const OknoAppeal *a, const char *kind, const char *want)
{
  g_autofree char *got = last_event(fx->st, a->id, kind);
  assert_string_equal(got, want);
}

static void expect_due(gint64 us, const char *want)
{
  g_autofree char *got = us ? okno_time_format_msk(us) : g_strdup("");
  assert_string_equal(got, want);
}

/* `ok` is FALSE with an error of `code` whose message holds `part` (NULL: any). */
static void expect_error(gboolean ok, GError **err, int code, const char *part)
{
  assert_false(ok);
  assert_non_null(*err);
  assert_int_equal((*err)->code, code);
  if (part && !strstr((*err)->message, part))
    fail_msg("'%s' not in '%s'", part, (*err)->message);
  g_clear_error(err);
}

static gint64 queued(Fx *fx)
{
  gint64 q = 0, sent = 0, failed = 0;
  assert_true(okno_store_outbound_counts(fx->st, &q, &sent, &failed, NULL));
  return q;
}

static void test_status_moves_allowed_and_refused(void **state)
{
  Fx *fx = fixture(state);
  const char *n = "26-000001-4";
  g_autoptr(OknoAppeal) a = registered(fx, n, "support");
  GError *err = NULL;
  gint64 gen;

  /* registered: complex, 3 working days, three jobs */
  assert_int_equal(a->sla_class, OKNO_SLA_COMPLEX);
  expect_due(a->deadline, "2026-11-23T18:00:00+03:00");
  assert_int_equal(okno_store_sla_jobs_pending(fx->st, NULL), 3);
  gen = a->deadline_gen;

  assert_true(OP(fx, okno_ops_set_status(env, fx->st, n, a->version, OKNO_STATUS_IN_PROGRESS, NULL, NULL,
                                         "ivanov", &err)));
  a = reread(fx, a);
  assert_int_equal(a->status, OKNO_STATUS_IN_PROGRESS);
  expect_event(fx, a, "status_changed",
               "{\"from\":\"new\",\"to\":\"in_progress\",\"by\":\"ivanov\"}");
  expect_due(a->deadline, "2026-11-23T18:00:00+03:00"); /* the clock runs on */
  assert_int_equal(a->deadline_gen, gen);

  /* refused, nothing written: a reason is missing; a move the machine has not */
  expect_error(OP(fx, okno_ops_set_status(env, fx->st, n, 0, OKNO_STATUS_REJECTED, "", NULL, "ivanov", &err)),
               &err, OKNO_ERROR_USER, "Укажите причину отклонения.");
  expect_error(OP(fx, okno_ops_set_status(env, fx->st, n, 0, OKNO_STATUS_NEW, NULL, NULL, "ivanov", &err)),
               &err, OKNO_ERROR_USER, "Обращение № 26-000001-4 в статусе «В работе»; перевести его в статус «Новое» нельзя.");
  expect_error(OP(fx, okno_ops_set_status(env, fx->st, "26-999999-1", 0, OKNO_STATUS_CLOSED, NULL, NULL,
                                          "ivanov", &err)),
               &err, OKNO_ERROR_USER, "no appeal 26-999999-1");
  a = reread(fx, a);
  assert_int_equal(a->status, OKNO_STATUS_IN_PROGRESS);

  /* a clarification stops the clock: no deadline, no jobs; the citizen is asked */
  assert_true(OP(fx, okno_ops_set_status(env, fx->st, n, 0, OKNO_STATUS_NEEDS_CLARIFICATION,
                                         "укажите номер заявления", NULL, "ivanov", &err)));
  a = reread(fx, a);
  assert_int_equal(a->deadline, 0);
  assert_int_equal(a->deadline_gen, gen + 1);
  assert_int_equal(okno_store_sla_jobs_pending(fx->st, NULL), 0);
  expect_event(fx, a, "clock_paused", "{\"reason\":\"waiting for the citizen's clarification\"}");
  assert_int_equal(queued(fx), 2); /* each move tells the citizen: in work, then this */

  /* the clarification came two days later: the period runs again from then (Friday
   * 20 November 14:06:40 + 3 working days = Wednesday 25 November, 18:00) */
  okno_clock_set(okno_now() + G_GINT64_CONSTANT(2) * 24 * 3600 * G_USEC_PER_SEC);
  assert_true(OP(fx, okno_ops_set_status(env, fx->st, n, 0, OKNO_STATUS_IN_PROGRESS, NULL, NULL, "ivanov",
                                         &err)));
  a = reread(fx, a);
  expect_due(a->deadline, "2026-11-25T18:00:00+03:00");
  assert_int_equal(a->deadline_gen, gen + 2);
  assert_int_equal(okno_store_sla_jobs_pending(fx->st, NULL), 3);
  expect_event(fx, a, "deadline_set",
               "{\"deadline\":\"2026-11-25T18:00:00+03:00\",\"class\":\"complex\",\"rule\":"
               "\"complex: 3 working days\",\"why\":\"clarified\"}");

  /* answered: the letter goes out, the jobs are cancelled; then it cannot be rejected */
  expect_error(OP(fx, okno_ops_set_status(env, fx->st, n, 0, OKNO_STATUS_ANSWERED, NULL, NULL, "ivanov",
                                          &err)),
               &err, OKNO_ERROR_USER, "Напишите текст ответа.");
  assert_true(OP(fx, okno_ops_set_status(env, fx->st, n, 0, OKNO_STATUS_ANSWERED, NULL,
                                         "Запись восстановлена.", "ivanov", &err)));
  a = reread(fx, a);
  assert_int_equal(a->status, OKNO_STATUS_ANSWERED);
  assert_true(a->answered);
  assert_int_equal(okno_store_sla_jobs_pending(fx->st, NULL), 0);
  assert_int_equal(queued(fx), 4);
  expect_error(OP(fx, okno_ops_set_status(env, fx->st, n, 0, OKNO_STATUS_REJECTED, "поздно", NULL, "ivanov",
                                          &err)),
               &err, OKNO_ERROR_USER, "Обращение № 26-000001-4 в статусе «Дан ответ»; перевести его в статус «Отклонено» нельзя.");
}

static void test_formal_extension_once_at_most_30_days_with_a_reason(void **state)
{
  Fx *fx = fixture(state);
  const char *n = "26-000002-8";
  g_autoptr(OknoAppeal) a = registered(fx, n, "formal");
  const OknoSlaPeriod month = {OKNO_PERIOD_CALENDAR_DAYS, 30}, longer = {OKNO_PERIOD_CALENDAR_DAYS, 31},
                      week = {OKNO_PERIOD_WORKING_DAYS, 5};
  GError *err = NULL;
  gint64 version = a->version, gen = a->deadline_gen;

  assert_int_equal(a->sla_class, OKNO_SLA_FORMAL);
  expect_due(a->deadline, "2026-12-18T18:00:00+03:00");
  expect_due(a->forward_deadline, "2026-11-25T18:00:00+03:00");

  expect_error(OP(fx, okno_ops_extend(env, fx->st, n, &month, "", "petrova", &err)), &err,
               OKNO_ERROR_USER, "an extension needs --reason");
  expect_error(OP(fx, okno_ops_extend(env, fx->st, n, &longer, "запрос в ФНС", "petrova", &err)),
               &err, OKNO_ERROR_USER, "at most 30 calendar days (59-FZ art. 12)");
  expect_error(OP(fx, okno_ops_extend(env, fx->st, n, &week, "запрос в ФНС", "petrova", &err)), &err,
               OKNO_ERROR_USER, "at most 30 calendar days (59-FZ art. 12)");
  a = reread(fx, a);
  assert_int_equal(a->version, version); /* nothing written */
  assert_int_equal(a->extensions, 0);

  /* 30 calendar days from 18 December: 17 January 2027 is a Sunday -> Monday 18th */
  assert_true(OP(fx, okno_ops_extend(env, fx->st, n, &month, "запрос в ФНС", "petrova", &err)));
  a = reread(fx, a);
  expect_due(a->deadline, "2027-01-18T18:00:00+03:00");
  assert_int_equal(a->extensions, 1);
  assert_int_equal(a->deadline_gen, gen + 1);
  assert_int_equal(okno_store_sla_jobs_pending(fx->st, NULL), 3);
  expect_event(fx, a, "deadline_extended",
               "{\"from\":\"2026-12-18T18:00:00+03:00\",\"to\":\"2027-01-18T18:00:00+03:00\","
               "\"by_period\":\"30 calendar days\",\"reason\":\"запрос в ФНС\",\"by\":\"petrova\"}");
  assert_int_equal(queued(fx), 1); /* the citizen is told (deadline_extended) */

  expect_error(OP(fx, okno_ops_extend(env, fx->st, n, &month, "ещё раз", "petrova", &err)), &err,
               OKNO_ERROR_USER,
               "formal appeal 26-000002-8 was already extended once (59-FZ art. 12 allows one "
               "extension)");
  a = reread(fx, a);
  expect_due(a->deadline, "2027-01-18T18:00:00+03:00");
  assert_int_equal(a->extensions, 1);
}

static void test_confirming_urgency_recomputes_the_deadline(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(OknoAppeal) a = registered(fx, "26-000003-1", "support");
  g_autoptr(OknoAppeal) f = registered(fx, "26-000004-5", "formal");
  GError *err = NULL;
  gint64 gen = a->deadline_gen;

  expect_due(a->deadline, "2026-11-23T18:00:00+03:00");
  assert_true(OP(fx, okno_ops_confirm_urgent(env, fx->st, a->number, "petrova", &err)));
  a = reread(fx, a);
  assert_int_equal(a->sla_class, OKNO_SLA_URGENT);
  assert_int_equal(a->priority, OKNO_PRIORITY_URGENT);
  assert_true(a->priority_confirmed);
  expect_due(a->deadline, "2026-11-18T18:06:40+03:00");
  assert_int_equal(a->deadline_gen, gen + 1);
  assert_int_equal(okno_store_sla_jobs_pending(fx->st, NULL), 3 + 3); /* and f's */
  expect_event(fx, a, "priority_confirmed",
               "{\"class\":\"urgent\",\"rule\":\"urgent confirmed: 4 hours\",\"deadline\":"
               "\"2026-11-18T18:06:40+03:00\",\"by\":\"petrova\"}");
  { /* a staff decision on the class: an example of the SLA-class model */
    gint64 last = 0;
    g_autoptr(GPtrArray) ex = okno_store_examples(fx->st, "sla_class", &last, NULL);
    assert_non_null(ex);
    assert_int_equal(ex->len, 1);
    assert_string_equal(((OknoStoredExample *)ex->pdata[0])->label, "urgent");
    assert_string_equal(((OknoStoredExample *)ex->pdata[0])->source, "operator");
  }

  expect_error(OP(fx, okno_ops_confirm_urgent(env, fx->st, f->number, "petrova", &err)), &err,
               OKNO_ERROR_USER, "formal appeal 26-000004-5 follows 59-FZ periods; extend it instead");
  f = reread(fx, f);
  assert_false(f->priority_confirmed);
  expect_due(f->deadline, "2026-12-18T18:00:00+03:00");
}

static void test_assign(void **state)
{
  Fx *fx = fixture(state);
  char *deps[] = {"passports", NULL};
  OknoUser op = {.login = "ivanov", .role = "operator", .email = "ivanov@portal.example",
                 .password_hash = "x", .totp_secret = "", .departments = deps};
  OknoUser other = {.login = "sidorov", .role = "operator", .password_hash = "x",
                    .totp_secret = "", .departments = (char *[]){"tax", NULL}};
  OknoUser auditor = {.login = "audit", .role = "auditor", .password_hash = "x",
                      .totp_secret = "", .departments = deps};
  g_autoptr(OknoAppeal) a = registered(fx, "26-000005-9", "support");
  g_autofree char *want = NULL;
  GError *err = NULL;

  assert_true(okno_store_department_add(fx->st, &(OknoDepartment){"passports", "Паспорта", ""}, NULL));
  assert_true(okno_store_department_add(fx->st, &(OknoDepartment){"tax", "Налоги", ""}, NULL));
  assert_true(okno_store_user_insert(fx->st, &op, NULL));
  assert_true(okno_store_user_insert(fx->st, &other, NULL));
  assert_true(okno_store_user_insert(fx->st, &auditor, NULL));
  assert_true(okno_store_appeal_assign(fx->st, a->id, 0, "passports", 0, NULL, NULL));
  a = reread(fx, a);

  assert_true(OP(fx, okno_ops_assign(fx->st, a->number, a->version, "ivanov", "petrova", &err)));
  a = reread(fx, a);
  assert_int_equal(a->assignee, op.id);
  assert_string_equal(a->department, "passports"); /* kept */
  want = g_strdup_printf("{\"assignee\":\"ivanov\",\"user\":\"%" G_GINT64_FORMAT
                         "\",\"by\":\"petrova\"}", op.id);
  expect_event(fx, a, "assigned", want);

  /* refused: nobody by that login; an auditor (answers nothing); another department */
  expect_error(OP(fx, okno_ops_assign(fx->st, a->number, 0, "nobody", "petrova", &err)), &err,
               OKNO_ERROR_USER, "no staff account 'nobody'");
  expect_error(OP(fx, okno_ops_assign(fx->st, a->number, 0, "audit", "petrova", &err)), &err,
               OKNO_ERROR_USER, "'audit' cannot work on appeal 26-000005-9 (role or department)");
  expect_error(OP(fx, okno_ops_assign(fx->st, a->number, 0, "sidorov", "petrova", &err)), &err,
               OKNO_ERROR_USER, "'sidorov' cannot work on appeal 26-000005-9 (role or department)");
  a = reread(fx, a);
  assert_int_equal(a->assignee, op.id);

  /* "" unassigns */
  assert_true(OP(fx, okno_ops_assign(fx->st, a->number, 0, "", "petrova", &err)));
  a = reread(fx, a);
  assert_int_equal(a->assignee, 0);
  expect_event(fx, a, "assigned", "{\"assignee\":\"\",\"by\":\"petrova\"}");
}

static void test_a_stale_version_is_refused_and_changes_nothing(void **state)
{
  Fx *fx = fixture(state);
  OknoUser op = {.login = "ivanov", .role = "operator", .password_hash = "x", .totp_secret = ""};
  g_autoptr(OknoAppeal) a = registered(fx, "26-000006-2", "support");
  const gint64 seen = a->version;
  GError *err = NULL;

  assert_true(okno_store_user_insert(fx->st, &op, NULL));
  /* another operator acts first: the version moves on */
  assert_true(OP(fx, okno_ops_set_status(env, fx->st, a->number, seen, OKNO_STATUS_IN_PROGRESS, NULL, NULL,
                                         "petrova", &err)));
  a = reread(fx, a);
  assert_int_equal(a->version, seen + 1);
  /* what was decided on the old page is refused, with the console's Russian line */
  expect_error(OP(fx, okno_ops_set_status(env, fx->st, a->number, seen, OKNO_STATUS_CLOSED, NULL, NULL,
                                          "ivanov", &err)),
               &err, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
  expect_error(OP(fx, okno_ops_answer(env, fx->st, a->number, seen, "Ответ.", "ivanov", &err)),
               &err, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
  expect_error(OP(fx, okno_ops_assign(fx->st, a->number, seen, "ivanov", "ivanov", &err)), &err,
               OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
  a = reread(fx, a);
  assert_int_equal(a->status, OKNO_STATUS_IN_PROGRESS);
  assert_int_equal(a->assignee, 0);
  assert_int_equal(a->version, seen + 1);
  assert_int_equal(queued(fx), 1); /* only the first change's notice */
}

static void test_routed_event_names_the_rule(void **state)
{
  Fx *fx = fixture(state);
  OknoRouteRule late = {.kind = "keyword", .value = "пособие", .department = "social"};
  OknoRouteRule early = {.position = 5, .kind = "sender_domain", .value = "tax.example",
                         .department = "tax"};
  OknoRouteRule bad = {.kind = "keyword", .value = "x", .department = "nope"};
  OknoAppeal a = {.number = "26-000001-4", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .subject = "Пособие", .received_at = okno_now()};
  OknoAppeal b = {.number = "26-000002-8", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .subject = "Другое", .received_at = okno_now()};
  g_autoptr(OknoAppeal) got = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *ja = NULL, *jb = NULL, *want = NULL;
  GError *err = NULL;

  assert_true(okno_store_department_add(fx->st, &(OknoDepartment){"social", "Соцзащита", ""}, NULL));
  assert_true(okno_store_department_add(fx->st, &(OknoDepartment){"tax", "Налоги", "social"}, NULL));
  assert_false(okno_store_department_add(fx->st, &(OknoDepartment){"x", "X", "nope"}, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  g_clear_error(&err);
  assert_true(okno_store_route_add(fx->st, &late, NULL));
  assert_int_equal(late.position, 10);
  assert_true(okno_store_route_add(fx->st, &early, NULL));
  assert_false(okno_store_route_add(fx->st, &bad, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  g_clear_error(&err);
  list = okno_store_route_list(fx->st, NULL);
  assert_int_equal(list->len, 2);
  assert_string_equal(((OknoRouteRule *)list->pdata[0])->department, "tax");

  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  assert_true(okno_route_appeal(NULL, fx->st, &a,
                                &(OknoRouteInput){"", "email", "ivan@tax.example", a.subject, ""},
                                NULL));
  assert_string_equal(a.department, "tax");
  g_free(a.department);
  assert_true(okno_store_appeal_insert(fx->st, &b, NULL));
  assert_true(okno_route_appeal(NULL, fx->st, &b,
                                &(OknoRouteInput){"", "email", "ivan@b.example", b.subject, ""},
                                NULL));
  got = okno_store_appeal_get(fx->st, a.number, NULL);
  assert_string_equal(got->department, "tax");
  assert_int_equal(got->version, 2);
  ja = last_event(fx->st, a.id, "routed");
  want = g_strdup_printf("{\"department\":\"tax\",\"queue\":\"department\",\"rule\":%" G_GINT64_FORMAT
                         ",\"kind\":\"sender_domain\",\"value\":\"tax.example\"}", early.id);
  assert_string_equal(ja, want);
  jb = last_event(fx->st, b.id, "routed");
  assert_string_equal(jb, "{\"department\":\"\",\"queue\":\"triage\",\"rule\":null}");
  assert_true(okno_store_route_remove(fx->st, early.id, NULL));
  assert_false(okno_store_route_remove(fx->st, early.id, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  g_clear_error(&err);
}


static void test_transfer_and_escalation(void **state)
{
  Fx *fx = fixture(state);
  char *deps[] = {"passports", NULL};
  OknoUser op = {.id = 0, .login = "ivanov", .role = "operator", .departments = deps};
  OknoUser boss = {.id = 0, .login = "petrova", .role = "supervisor", .departments = deps};
  OknoUser auditor = {.id = 0, .login = "audit", .role = "auditor", .departments = deps};
  OknoUser staff_row = {.login = "ivanov", .role = "operator", .password_hash = "x",
                        .totp_secret = "", .departments = deps};
  OknoAppeal a = {.number = "26-000001-4", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .received_at = okno_now()};
  g_autoptr(OknoAppeal) got = NULL;
  g_autofree char *ev = NULL, *up = NULL;
  gint64 v = 0;
  GError *err = NULL;

  assert_true(okno_store_department_add(fx->st, &(OknoDepartment){"root", "Руководство", ""}, NULL));
  assert_true(okno_store_department_add(fx->st, &(OknoDepartment){"passports", "Паспорта", "root"}, NULL));
  assert_true(okno_store_department_add(fx->st, &(OknoDepartment){"tax", "Налоги", "root"}, NULL));
  assert_true(okno_store_user_insert(fx->st, &staff_row, NULL));
  op.id = staff_row.id;
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  assert_true(okno_store_appeal_assign(fx->st, a.id, 1, "passports", op.id, &v, NULL));
  assert_int_equal(v, 2);

  /* An auditor may not; nor an operator on an appeal that is not theirs. */
  expect_error(okno_appeal_transfer(fx->st, &auditor, a.number, v, "tax", "не наш вопрос", NULL, &err),
               &err, OKNO_ERROR_PERM, "Недостаточно прав");
  op.id++;
  expect_error(okno_appeal_transfer(fx->st, &op, a.number, v, "tax", "не наш вопрос", NULL, &err),
               &err, OKNO_ERROR_PERM, NULL);
  op.id--;
  expect_error(okno_appeal_transfer(fx->st, &op, a.number, v, "tax", "  ", NULL, &err), &err,
               OKNO_ERROR_USER, "причину");
  expect_error(okno_appeal_transfer(fx->st, &op, a.number, v, "nope", "x", NULL, &err), &err,
               OKNO_ERROR_USER, "nope");
  expect_error(okno_appeal_transfer(fx->st, &op, a.number, v, "passports", "x", NULL, &err), &err,
               OKNO_ERROR_USER, "уже в этом отделе");
  expect_error(okno_appeal_transfer(fx->st, &op, "26-999999-1", v, "tax", "x", NULL, &err), &err,
               OKNO_ERROR_USER, "Нет обращения");
  expect_error(okno_appeal_transfer(fx->st, &op, a.number, v - 1, "tax", "x", NULL, &err), &err,
               OKNO_ERROR_USER, "другой сотрудник");

  /* The supervisor escalates one level up: to root, unassigned. */
  assert_true(okno_appeal_escalate(fx->st, &boss, a.number, v, "жалоба на отдел", &v, NULL));
  got = okno_store_appeal_get(fx->st, a.number, NULL);
  assert_string_equal(got->department, "root");
  assert_int_equal(got->assignee, 0);
  assert_int_equal(got->version, v);
  up = last_event(fx->st, a.id, "escalated");
  assert_string_equal(up, "{\"from\":\"passports\",\"to\":\"root\",\"reason\":"
                          "\"жалоба на отдел\",\"by\":\"petrova\"}");
  /* The passports supervisor no longer reaches it; root has no parent. */
  expect_error(okno_appeal_escalate(fx->st, &boss, a.number, v, "ещё выше", NULL, &err), &err,
               OKNO_ERROR_PERM, NULL);
  boss.role = "administrator";
  expect_error(okno_appeal_escalate(fx->st, &boss, a.number, v, "ещё выше", NULL, &err), &err,
               OKNO_ERROR_USER, "нет вышестоящего");
  assert_true(okno_appeal_transfer(fx->st, &boss, a.number, v, "tax", "налоговый вопрос", &v, NULL));
  ev = last_event(fx->st, a.id, "transferred");
  assert_string_equal(ev, "{\"from\":\"root\",\"to\":\"tax\",\"reason\":"
                          "\"налоговый вопрос\",\"by\":\"petrova\"}");
}

/* The scheduler's job table: unique per (appeal, kind, generation), a new generation
 * cancels the old one's jobs, a lease keeps others off, one finisher wins; and the
 * citizens' notification settings the operations honour. */
static void test_sla_jobs_and_notification_settings(void **state)
{
  Fx *fx = fixture(state);
  OknoStore *st = fx->st;
  g_autoptr(GError) err = NULL;
  g_autoptr(GArray) mine = NULL, theirs = NULL, later = NULL;
  OknoAppeal a = {.number = "26-000001-0", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .received_at = 1000};
  static const char *const kinds[] = {"reminder", "overdue", "escalate"};
  const gint64 due1[] = {100, 200, 300}, due2[] = {150, 250, 0};
  gboolean won = FALSE;
  assert_true(okno_store_begin(st, &err));
  assert_true(okno_store_appeal_insert(st, &a, &err));
  assert_true(okno_store_sla_jobs_set(st, a.id, 1, kinds, due1, 3, &err));
  assert_true(okno_store_sla_jobs_set(st, a.id, 1, kinds, due1, 3, &err)); /* a no-op */
  assert_int_equal(okno_store_sla_jobs_pending(st, &err), 3);
  /* generation 2: the three old jobs cancelled, two new ones (due 0 adds none) */
  assert_true(okno_store_sla_jobs_set(st, a.id, 2, kinds, due2, 3, &err));
  assert_int_equal(okno_store_sla_jobs_pending(st, &err), 2);
  assert_true(okno_store_commit(st, &err));

  mine = okno_store_sla_jobs_claim(st, 200, 50, 10, "node-a", &err);
  assert_non_null(mine);
  assert_int_equal(mine->len, 1); /* only the reminder at 150 is due at 200 */
  assert_string_equal(g_array_index(mine, OknoSlaJob, 0).kind, "reminder");
  assert_int_equal(g_array_index(mine, OknoSlaJob, 0).generation, 2);
  theirs = okno_store_sla_jobs_claim(st, 200, 50, 10, "node-b", &err);
  assert_int_equal(theirs->len, 0); /* leased to node-a until 250 */
  /* node-b cannot finish node-a's job; node-a can, once */
  assert_true(okno_store_sla_job_finish(st, g_array_index(mine, OknoSlaJob, 0).id, "node-b", "done",
                                        210, &won, &err));
  assert_false(won);
  assert_true(okno_store_sla_job_finish(st, g_array_index(mine, OknoSlaJob, 0).id, "node-a", "done",
                                        210, &won, &err));
  assert_true(won);
  assert_true(okno_store_sla_job_finish(st, g_array_index(mine, OknoSlaJob, 0).id, "node-a", "done",
                                        211, &won, &err));
  assert_false(won);
  /* the overdue job: claimed by a node that dies; due again once its lease runs out */
  g_clear_pointer(&mine, g_array_unref);
  mine = okno_store_sla_jobs_claim(st, 260, 50, 10, "node-a", &err);
  assert_int_equal(mine->len, 1);
  later = okno_store_sla_jobs_claim(st, 300, 50, 10, "node-b", &err);
  assert_int_equal(later->len, 0);
  g_clear_pointer(&later, g_array_unref);
  later = okno_store_sla_jobs_claim(st, 310, 50, 10, "node-b", &err);
  assert_int_equal(later->len, 1);
  /* ... or at once when its owner restarts and releases */
  assert_true(okno_store_sla_jobs_release(st, "node-b", &err));
  g_clear_pointer(&later, g_array_unref);
  later = okno_store_sla_jobs_claim(st, 311, 50, 10, "node-a", &err);
  assert_int_equal(later->len, 1);
  assert_true(okno_store_sla_jobs_cancel(st, a.id, &err));
  assert_int_equal(okno_store_sla_jobs_pending(st, &err), 0);

  /* notification settings: on unless turned off, addresses in any case */
  {
    gboolean on = FALSE;
    assert_true(okno_store_notify_enabled(st, "ivan@example.ru", "answer", &on, &err));
    assert_true(on);
    assert_true(okno_store_notify_set(st, "IVAN@example.ru", "answer", FALSE, &err));
    assert_true(okno_store_notify_enabled(st, "ivan@EXAMPLE.ru", "answer", &on, &err));
    assert_false(on);
    assert_true(okno_store_notify_set(st, "ivan@example.ru", "answer", TRUE, &err));
    assert_true(okno_store_notify_enabled(st, "ivan@example.ru", "answer", &on, &err));
    assert_true(on);
  }
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_status_moves_allowed_and_refused),
    ON_BOTH(test_formal_extension_once_at_most_30_days_with_a_reason),
    ON_BOTH(test_confirming_urgency_recomputes_the_deadline),
    ON_BOTH(test_assign),
    ON_BOTH(test_a_stale_version_is_refused_and_changes_nothing),
    ON_BOTH(test_routed_event_names_the_rule),
    ON_BOTH(test_transfer_and_escalation),
    ON_BOTH(test_sla_jobs_and_notification_settings),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
