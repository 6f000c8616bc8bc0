/* test_error.c: the error model's SMTP replies (core/error.h): an error made by
 * okno_set_smtp_error() is sent as it is, with the right TEMP/PERM code; others get
 * the defaults; a message that only looks like a reply, or carries line breaks, can
 * never inject a second reply line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/error.h"

static void assert_reply(const GError *e, const char *want)
{
  g_autofree char *line = okno_error_smtp_reply(e);
  assert_string_equal(line, want);
}

static void test_smtp_error_is_sent_as_is(void **state)
{
  g_autoptr(GError) perm = NULL;
  g_autoptr(GError) temp = NULL;
  (void)state;
  okno_set_smtp_error(&perm, 554, "5.7.1", "virus %s found / вирус", "X.Y");
  assert_true(g_error_matches(perm, OKNO_ERROR, OKNO_ERROR_PERM));
  assert_reply(perm, "554 5.7.1 virus X.Y found / вирус");
  okno_set_smtp_error(&temp, 451, "4.3.0", "scanner down");
  assert_true(g_error_matches(temp, OKNO_ERROR, OKNO_ERROR_TEMP));
  assert_reply(temp, "451 4.3.0 scanner down");
  assert_int_equal(okno_error_exit_code(perm), 1);
}

static void test_defaults_and_lookalikes(void **state)
{
  g_autoptr(GError) temp = g_error_new(OKNO_ERROR, OKNO_ERROR_TEMP, "database is locked");
  g_autoptr(GError) perm = g_error_new(OKNO_ERROR, OKNO_ERROR_PERM, "письмо пустое");
  g_autoptr(GError) fake1 = g_error_new(OKNO_ERROR, OKNO_ERROR_PERM, "554 4.7.1 class mismatch");
  g_autoptr(GError) fake2 = g_error_new(OKNO_ERROR, OKNO_ERROR_PERM, "554 5.7 short");
  g_autoptr(GError) fake3 = g_error_new(OKNO_ERROR, OKNO_ERROR_PERM, "250 2.0.0 ok");
  g_autoptr(GError) crlf = g_error_new(OKNO_ERROR, OKNO_ERROR_PERM, "554 5.7.1 a\r\n250 ok");
  g_autoptr(GError) other = g_error_new(G_FILE_ERROR, G_FILE_ERROR_FAILED, "554 5.7.1 not ours");
  (void)state;
  assert_reply(temp, "451 4.3.0 Temporary failure, please try again later");
  assert_reply(perm, "554 5.6.0 письмо пустое");
  assert_reply(fake1, "554 5.6.0 554 4.7.1 class mismatch");
  assert_reply(fake2, "554 5.6.0 554 5.7 short");
  assert_reply(fake3, "554 5.6.0 250 2.0.0 ok");
  assert_reply(crlf, "554 5.7.1 a  250 ok");
  assert_reply(other, "554 5.6.0 554 5.7.1 not ours");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_smtp_error_is_sent_as_is),
    cmocka_unit_test(test_defaults_and_lookalikes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
