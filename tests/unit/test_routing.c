/* test_routing.c: routing rules (appeal/routing.h): each kind of condition, the first
 * matching rule in order decides, no match leaves the triage queue; and on both
 * stores the decision recorded as a `routed` event with the rule that made it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "appeal/routing.h"
#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

static void add_rule(GPtrArray *rules, gint64 id, const char *kind, const char *value,
                     const char *dep)
{
  OknoRouteRule *r = g_new0(OknoRouteRule, 1);
  r->id = id;
  r->position = id * 10;
  r->kind = g_strdup(kind);
  r->value = g_strdup(value);
  r->department = g_strdup(dep);
  g_ptr_array_add(rules, r);
}

static const char *route(const GPtrArray *rules, const char *category, const char *channel,
                         const char *sender, const char *subject, const char *text)
{
  const OknoRouteRule *r =
      okno_route_match(rules, &(OknoRouteInput){category, channel, sender, subject, text});
  return r ? r->department : "";
}

static void test_first_matching_rule_decides(void **state)
{
  g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func((GDestroyNotify)okno_route_rule_free);
  add_rule(rules, 1, "category", "Налоги", "tax");
  add_rule(rules, 2, "sender_domain", "mos.ru", "city");
  add_rule(rules, 3, "keyword", "загранпаспорт", "passports");
  add_rule(rules, 4, "keyword", "выплата пособия", "social");
  add_rule(rules, 5, "channel", "phone", "calls");
  add_rule(rules, 6, "keyword", "паспорт", "passports-late");

  /* Category compares without case. */
  assert_string_equal(route(rules, "налоги", "email", "a@mos.ru", "", ""), "tax");
  /* Sender domain: the domain or a subdomain, never a suffix of another name. */
  assert_string_equal(route(rules, "", "email", "a@mos.ru", "", ""), "city");
  assert_string_equal(route(rules, "", "email", "a@dit.MOS.RU", "", ""), "city");
  assert_string_equal(route(rules, "", "email", "a@notmos.ru", "", ""), "");
  /* Keywords match any inflected form, ё = е, in the subject or the text; every word
   * of a several-word keyword must occur. */
  assert_string_equal(route(rules, "", "email", "a@b.ru", "Загранпаспорта нет", ""), "passports");
  assert_string_equal(route(rules, "", "email", "a@b.ru", "", "жду выплату пособий"), "social");
  assert_string_equal(route(rules, "", "email", "a@b.ru", "", "жду выплату"), "");
  /* Order: rule 2 (domain) before rule 3 (keyword) although both match. */
  assert_string_equal(route(rules, "", "email", "x@mos.ru", "загранпаспорт", ""), "city");
  /* Channel. */
  assert_string_equal(route(rules, "", "phone", "", "", ""), "calls");
  /* The later, broader keyword catches what the earlier did not. */
  assert_string_equal(route(rules, "", "email", "a@b.ru", "", "паспорта"), "passports-late");
  assert_string_equal(route(rules, "", "email", "", "", ""), "");
  assert_string_equal(route(NULL, "Налоги", "email", "", "", ""), "");
}

static void test_kinds(void **state)
{
  assert_true(okno_route_kind_valid("category"));
  assert_true(okno_route_kind_valid("keyword"));
  assert_true(okno_route_kind_valid("sender_domain"));
  assert_true(okno_route_kind_valid("channel"));
  assert_false(okno_route_kind_valid("subject"));
  assert_false(okno_route_kind_valid(NULL));
}

/* The detail of the appeal's one `routed` event. */
static char *routed_detail(OknoStore *st, gint64 appeal_id)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT detail FROM events WHERE appeal_id = $1 AND kind = 'routed'",
      OKNO_PARAMS(OKNO_INT(appeal_id)), NULL);
  assert_non_null(r);
  assert_int_equal(okno_rows_count(r), 1);
  return g_strdup(okno_rows_text(r, 0, 0));
}

static void test_routed_event_names_the_rule(void **state)
{
  Fx *fx = fixture(state);
  OknoRouteRule late = {.kind = "keyword", .value = "пособие", .department = "social"};
  OknoRouteRule early = {.position = 5, .kind = "sender_domain", .value = "tax.example",
                         .department = "tax"};
  OknoRouteRule bad = {.kind = "keyword", .value = "x", .department = "nope"};
  OknoAppeal a = {.number = "26-000001-4", .status = "new", .channel = "email",
                  .subject = "Пособие", .received_at = okno_now()};
  OknoAppeal b = {.number = "26-000002-8", .status = "new", .channel = "email",
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
  assert_true(okno_route_appeal(fx->st, &a,
                                &(OknoRouteInput){"", "email", "ivan@tax.example", a.subject, ""},
                                NULL));
  assert_string_equal(a.department, "tax");
  g_free(a.department);
  assert_true(okno_store_appeal_insert(fx->st, &b, NULL));
  assert_true(okno_route_appeal(fx->st, &b,
                                &(OknoRouteInput){"", "email", "ivan@b.example", b.subject, ""},
                                NULL));
  got = okno_store_appeal_get(fx->st, a.number, NULL);
  assert_string_equal(got->department, "tax");
  assert_int_equal(got->version, 2);
  ja = routed_detail(fx->st, a.id);
  want = g_strdup_printf("{\"department\":\"tax\",\"queue\":\"department\",\"rule\":%" G_GINT64_FORMAT
                         ",\"kind\":\"sender_domain\",\"value\":\"tax.example\"}", early.id);
  assert_string_equal(ja, want);
  jb = routed_detail(fx->st, b.id);
  assert_string_equal(jb, "{\"department\":\"\",\"queue\":\"triage\",\"rule\":null}");
  assert_true(okno_store_route_remove(fx->st, early.id, NULL));
  assert_false(okno_store_route_remove(fx->st, early.id, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  g_clear_error(&err);
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

static void expect_error(gboolean ok, GError **err, int code, const char *part)
{
  assert_false(ok);
  assert_non_null(*err);
  assert_int_equal((*err)->code, code);
  if (part && !strstr((*err)->message, part))
    fail_msg("'%s' not in '%s'", part, (*err)->message);
  g_clear_error(err);
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
  OknoAppeal a = {.number = "26-000001-4", .status = "new", .channel = "email",
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

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_first_matching_rule_decides),
    cmocka_unit_test(test_kinds),
    ON_BOTH(test_routed_event_names_the_rule),
    ON_BOTH(test_transfer_and_escalation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
