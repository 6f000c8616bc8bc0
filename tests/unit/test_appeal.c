/* test_appeal.c: the appeal's values and its status machine (appeal/appeal.h), without a
 * store: every name reads back as its value and nothing else reads at all; every pair
 * of statuses against the table docs/sla.md draws; what a move needs (a reason to
 * reject or to ask for a clarification, the text of an answer), in the Russian
 * sentences the console, the API and the command line show. This program links only
 * core, text and appeal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "appeal/appeal.h"
#include "core/error.h"

static void test_every_name_reads_back_and_unknown_names_do_not(void **state)
{
  (void)state;
  for (int s = 0; s < OKNO_N_STATUSES; s++) {
    OknoStatus back;
    assert_true(okno_status_parse(okno_status_name(s), &back));
    assert_int_equal(back, s);
    assert_string_equal(okno_statuses[s].name, okno_status_name(s));
    /* every status has words for each reader */
    assert_true(*okno_statuses[s].citizen && *okno_statuses[s].staff && *okno_statuses[s].notice);
  }
  for (int c = 0; c < OKNO_SLA_N_CLASSES; c++) {
    OknoSlaClass back;
    assert_true(okno_sla_class_parse(okno_sla_class_name(c), &back));
    assert_int_equal(back, c);
  }
  assert_string_equal(okno_sla_class_name(OKNO_SLA_NONE), "");
  for (int c = 0; c < OKNO_N_CHANNELS; c++) {
    OknoChannel back;
    assert_true(okno_channel_parse(okno_channel_name(c), &back));
    assert_int_equal(back, c);
  }
  OknoStatus s = OKNO_STATUS_CLOSED;
  OknoKind k = OKNO_KIND_SUPPORT;
  OknoHold h = OKNO_HOLD_SUSPICIOUS;
  OknoSlaClass c = OKNO_SLA_COMPLEX;
  OknoPriority p = OKNO_PRIORITY_URGENT;
  assert_false(okno_status_parse("archived", &s));
  assert_false(okno_status_parse("", &s));
  assert_false(okno_status_parse(NULL, &s));
  assert_false(okno_status_parse("New", &s)); /* names are exact */
  assert_int_equal(s, OKNO_STATUS_CLOSED);    /* a refused name leaves the value alone */
  assert_false(okno_kind_parse("urgent-please", &k));
  assert_true(okno_kind_parse("formal", &k));
  assert_int_equal(k, OKNO_KIND_FORMAL);
  assert_true(okno_hold_parse("", &h)); /* the regular flow is named "" */
  assert_int_equal(h, OKNO_HOLD_NONE);
  assert_false(okno_sla_class_parse("", &c)); /* "no class" is not a class to choose */
  assert_int_equal(c, OKNO_SLA_COMPLEX);
  assert_false(okno_priority_parse("high", &p));
  assert_int_equal(okno_statuses[OKNO_STATUS_NEEDS_CLARIFICATION].open, TRUE);
  assert_int_equal(okno_statuses[OKNO_STATUS_ANSWERED].open, FALSE);
}

static void test_every_move_of_the_table(void **state)
{
  /* rows: from; columns: to, in OknoStatus order; 1 = allowed (docs/sla.md) */
  static const int allowed[OKNO_N_STATUSES][OKNO_N_STATUSES] = {
    /* new */                 {0, 1, 1, 1, 1, 1, 1},
    /* in_progress */         {0, 0, 1, 1, 1, 1, 1},
    /* needs_clarification */ {0, 1, 0, 0, 1, 1, 1},
    /* answered */            {0, 1, 0, 0, 1, 0, 0},
    /* closed */              {0, 1, 0, 0, 0, 0, 0},
    /* rejected */            {0, 0, 0, 0, 0, 0, 0},
    /* withdrawn */           {0, 0, 0, 0, 0, 0, 0},
  };
  (void)state;
  for (int i = 0; i < OKNO_N_STATUSES; i++)
    for (int j = 0; j < OKNO_N_STATUSES; j++)
      if (okno_appeal_status_allowed(i, j) != allowed[i][j])
        fail_msg("%s -> %s: want %s", okno_status_name(i), okno_status_name(j),
                 allowed[i][j] ? "allowed" : "refused");
  assert_false(okno_appeal_status_allowed(OKNO_N_STATUSES, OKNO_STATUS_NEW));
  assert_false(okno_appeal_status_allowed(OKNO_STATUS_NEW, OKNO_N_STATUSES));
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
  OknoAppeal a = {.number = "26-000042-7", .status = OKNO_STATUS_IN_PROGRESS};
  GError *err = NULL;
  (void)state;
  assert_true(okno_appeal_status_check(&a, OKNO_STATUS_CLOSED, NULL, NULL, &err));
  assert_true(okno_appeal_status_check(&a, OKNO_STATUS_REJECTED, "спам", NULL, &err));
  assert_true(
      okno_appeal_status_check(&a, OKNO_STATUS_ANSWERED, NULL, "Ответ по существу.", &err));
  assert_null(err);
  expect_refused(okno_appeal_status_check(&a, OKNO_STATUS_REJECTED, "", NULL, &err), &err,
                 "Укажите причину отклонения.");
  expect_refused(
      okno_appeal_status_check(&a, OKNO_STATUS_NEEDS_CLARIFICATION, NULL, NULL, &err), &err,
      "Напишите, что нужно уточнить заявителю.");
  expect_refused(okno_appeal_status_check(&a, OKNO_STATUS_ANSWERED, "x", "", &err), &err,
                 "Напишите текст ответа.");
  /* the table is asked first: a refused move is refused whatever it carries */
  a.status = OKNO_STATUS_REJECTED;
  expect_refused(
      okno_appeal_status_check(&a, OKNO_STATUS_IN_PROGRESS, "передумали", NULL, &err), &err,
      "Обращение № 26-000042-7 в статусе «Отклонено»; перевести его в статус «В работе» "
      "нельзя.");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_name_reads_back_and_unknown_names_do_not),
    cmocka_unit_test(test_every_move_of_the_table),
    cmocka_unit_test(test_what_a_move_needs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
