/* test_appeal.c: the appeal's status machine (appeal/appeal.h), without a store: every
 * pair of statuses against the table docs/sla.md draws, and what a move needs (a reason
 * to reject or to ask for a clarification, the text of an answer), with the CLI's
 * lines. This program links only core, text and appeal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "appeal/appeal.h"
#include "core/error.h"

static const char *const statuses[] = {
  "new", "in_progress", "needs_clarification", "answered", "closed", "rejected",
};

static void test_every_move_of_the_table(void **state)
{
  /* rows: from; columns: to, in the order of `statuses`; 1 = allowed (docs/sla.md) */
  static const int allowed[6][6] = {
    /* new */                 {0, 1, 1, 1, 1, 1},
    /* in_progress */         {0, 0, 1, 1, 1, 1},
    /* needs_clarification */ {0, 1, 0, 0, 1, 1},
    /* answered */            {0, 1, 0, 0, 1, 0},
    /* closed */              {0, 1, 0, 0, 0, 0},
    /* rejected */            {0, 0, 0, 0, 0, 0},
  };
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++)
      if (okno_appeal_status_allowed(statuses[i], statuses[j]) != allowed[i][j])
        fail_msg("%s -> %s: want %s", statuses[i], statuses[j],
                 allowed[i][j] ? "allowed" : "refused");
  assert_false(okno_appeal_status_allowed("archived", "new"));
  assert_false(okno_appeal_status_allowed("new", "archived"));
  assert_false(okno_appeal_status_allowed(NULL, "new"));
}

static void expect_refused(gboolean ok, GError **err, const char *message)
{
  assert_false(ok);
  assert_true(g_error_matches(*err, OKNO_ERROR, OKNO_ERROR_USER));
  assert_string_equal((*err)->message, message);
  g_clear_error(err);
}

static void test_what_a_move_needs(void **state)
{
  OknoAppeal a = {.number = "26-000042-7", .status = "in_progress"};
  GError *err = NULL;
  assert_true(okno_appeal_status_check(&a, "closed", NULL, NULL, &err));
  assert_true(okno_appeal_status_check(&a, "rejected", "спам", NULL, &err));
  assert_true(okno_appeal_status_check(&a, "answered", NULL, "Ответ по существу.", &err));
  assert_null(err);
  expect_refused(okno_appeal_status_check(&a, "rejected", "", NULL, &err), &err,
                 "rejected needs --reason");
  expect_refused(okno_appeal_status_check(&a, "needs_clarification", NULL, NULL, &err), &err,
                 "needs_clarification needs --reason");
  expect_refused(okno_appeal_status_check(&a, "answered", "x", "", &err), &err,
                 "answered needs --answer TEXT");
  /* the table is asked first: a refused move is refused whatever it carries */
  a.status = "rejected";
  expect_refused(okno_appeal_status_check(&a, "in_progress", "передумали", NULL, &err), &err,
                 "appeal 26-000042-7 is rejected and cannot become in_progress");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_move_of_the_table),
    cmocka_unit_test(test_what_a_move_needs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
