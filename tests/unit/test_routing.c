/* test_routing.c: the routing decision (appeal/routing.h): each kind of condition, the
 * first matching rule in order decides, no match leaves the triage queue. No store:
 * this program links only core, text and appeal; applying the decision (the `routed`
 * event) and moving appeals between queues are ops' (test_ops.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "appeal/routing.h"

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

static void test_kinds_and_department_codes(void **state)
{
  assert_true(okno_route_kind_valid("category"));
  assert_true(okno_route_kind_valid("keyword"));
  assert_true(okno_route_kind_valid("sender_domain"));
  assert_true(okno_route_kind_valid("channel"));
  assert_false(okno_route_kind_valid("subject"));
  assert_false(okno_route_kind_valid(NULL));
  /* codes: 1 to 32 of a-z, 0-9, '-', '_' (also what [sla] department_* items name) */
  assert_true(okno_department_code_valid("passports"));
  assert_true(okno_department_code_valid("tax-2_b"));
  assert_true(okno_department_code_valid("abcdefghijklmnopqrstuvwxyz012345"));
  assert_false(okno_department_code_valid("abcdefghijklmnopqrstuvwxyz0123456"));
  assert_false(okno_department_code_valid(""));
  assert_false(okno_department_code_valid(NULL));
  assert_false(okno_department_code_valid("Passports"));
  assert_false(okno_department_code_valid("паспорта"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_first_matching_rule_decides),
    cmocka_unit_test(test_kinds_and_department_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
