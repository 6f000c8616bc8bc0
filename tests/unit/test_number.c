/* test_number.c: the specification of appeal numbers (appeal/number.h).
 *
 * Check digits are compared with values worked out by hand from the Damm table;
 * the error-detection tests walk every single-digit error and every adjacent
 * transposition of sample numbers and require each one to be caught. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "appeal/number.h"

static void damm_digit_matches_worked_examples(void **state)
{
  /* "572" -> 4 is the classic worked example (0->9->7->4 is its walk:
   * table[0][5]=9, table[9][7]=7, table[7][2]=4). */
  assert_int_equal(okno_damm_digit("572"), 4);
  assert_int_equal(okno_damm_digit("5724"), 0);
  assert_int_equal(okno_damm_digit(""), 0);
  assert_int_equal(okno_damm_digit("0"), 0);
  assert_int_equal(okno_damm_digit("1"), 3);
  assert_int_equal(okno_damm_digit("26000123"), 3);
  assert_int_equal(okno_damm_digit("26000001"), 9);
}

static void damm_digit_rejects_non_digits(void **state)
{
  assert_int_equal(okno_damm_digit("12a"), -1);
  assert_int_equal(okno_damm_digit("26-000123"), -1);
}

static void format_gives_year_sequence_and_check_digit(void **state)
{
  g_autofree char *a = okno_number_format(2026, 123);
  g_autofree char *b = okno_number_format(2026, 1);
  g_autofree char *c = okno_number_format(2031, 999999);
  g_autofree char *d = okno_number_format(2026, 1000000);
  assert_string_equal(a, "26-000123-3");
  assert_string_equal(b, "26-000001-9");
  assert_int_equal(okno_damm_digit("31999999"), c[10] - '0');
  assert_memory_equal(c, "31-999999-", 10);
  /* past 999 999 the sequence simply grows a digit */
  assert_memory_equal(d, "26-1000000-", 11);
  assert_int_equal(strlen(d), 12);
  assert_int_equal(okno_damm_digit("261000000"), d[11] - '0');
}

static void format_of_each_result_walks_back_to_zero(void **state)
{
  /* The defining property of a Damm check digit: the whole string checks to 0. */
  for (gint64 seq = 1; seq < 3000; seq += 7) {
    g_autofree char *n = okno_number_format(2026, seq);
    char digits[16];
    gsize k = 0;
    for (const char *c = n; *c; c++)
      if (*c != '-')
        digits[k++] = *c;
    digits[k] = '\0';
    assert_int_equal(okno_damm_digit(digits), 0);
  }
}

static void parse_accepts_canonical_form(void **state)
{
  g_autofree char *n = NULL;
  gboolean ok = FALSE;
  assert_true(okno_number_parse("26-000123-3", &n, &ok));
  assert_string_equal(n, "26-000123-3");
  assert_true(ok);
}

static void parse_is_lenient_with_separators_and_numero_sign(void **state)
{
  const char *forms[] = {
    "26 000123 3", "260001233", "№26-000123-3", "№ 26-000123-3", "  26-000123-3 \n",
    "26–000123–3" /* en dash */, "26\u2011000123\u20113" /* non-breaking hyphen */,
    "26\u00a0000123\u00a03" /* no-break space */, "26 - 000123 - 3", "26-0001233",
    "26-0000123-3" /* extra leading zero */,
  };
  for (gsize i = 0; i < G_N_ELEMENTS(forms); i++) {
    g_autofree char *n = NULL;
    gboolean ok = FALSE;
    if (!okno_number_parse(forms[i], &n, &ok))
      fail_msg("not parsed: \"%s\"", forms[i]);
    assert_string_equal(n, "26-000123-3");
    assert_true(ok);
  }
}

static void parse_reports_a_wrong_check_digit_but_keeps_the_form(void **state)
{
  g_autofree char *n = NULL;
  gboolean ok = TRUE;
  assert_true(okno_number_parse("26-000123-7", &n, &ok));
  assert_string_equal(n, "26-000123-7");
  assert_false(ok);
}

static void parse_rejects_what_is_not_a_number(void **state)
{
  const char *bad[] = {
    "", "   ", "26", "26-00012-3" /* five-digit sequence */, "2-000123-3",
    "26-000123-34", "26-000123", "abc", "26-000123-3x", "x26-000123-3",
    "26--000123-3", "26000123" /* compact, too short */,
    "2600012300001" /* compact, sequence of ten digits */, "26-000000-0" /* seq 0 */,
    "+26-000123-3", "26_000123_3", "26-000123-3-1",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *n = (char *)"sentinel";
    gboolean ok = TRUE;
    if (okno_number_parse(bad[i], &n, &ok))
      fail_msg("parsed but should not be: \"%s\" -> %s", bad[i], n);
    assert_null(n);
    assert_false(ok);
  }
  assert_false(okno_number_parse(NULL, NULL, NULL));
}

static void parse_accepts_a_seven_digit_sequence(void **state)
{
  g_autofree char *made = okno_number_format(2026, 1234567);
  g_autofree char *n = NULL;
  gboolean ok = FALSE;
  assert_true(okno_number_parse(made, &n, &ok));
  assert_string_equal(n, made);
  assert_true(ok);
}

/* Walks every single-digit substitution and every adjacent transposition of the
 * nine digits of `number` (YYNNNNNNC) and requires the parser to flag each. */
static void assert_all_simple_errors_detected(const char *number)
{
  char digits[10];
  int caught = 0, tried = 0;
  gsize k = 0;
  for (const char *c = number; *c; c++)
    if (*c != '-')
      digits[k++] = *c;
  digits[k] = '\0';
  assert_int_equal(k, 9);

  for (gsize pos = 0; pos < 9; pos++) {
    for (char d = '0'; d <= '9'; d++) {
      char typo[10];
      gboolean ok = TRUE;
      if (d == digits[pos])
        continue;
      memcpy(typo, digits, sizeof typo);
      typo[pos] = d;
      tried++;
      if (!okno_number_parse(typo, NULL, &ok) || !ok)
        caught++;
      else
        fail_msg("single-digit error not detected: %s (from %s)", typo, digits);
    }
  }
  for (gsize pos = 0; pos + 1 < 9; pos++) {
    char swap[10];
    gboolean ok = TRUE;
    if (digits[pos] == digits[pos + 1])
      continue;
    memcpy(swap, digits, sizeof swap);
    swap[pos] = digits[pos + 1];
    swap[pos + 1] = digits[pos];
    tried++;
    if (!okno_number_parse(swap, NULL, &ok) || !ok)
      caught++;
    else
      fail_msg("adjacent transposition not detected: %s (from %s)", swap, digits);
  }
  assert_int_equal(caught, tried);
  assert_true(tried >= 9 * 9);
}

static void every_single_digit_error_and_adjacent_swap_is_detected(void **state)
{
  g_autofree char *a = okno_number_format(2026, 123);
  g_autofree char *b = okno_number_format(2027, 987654);
  g_autofree char *c = okno_number_format(2030, 505050);
  assert_all_simple_errors_detected(a);
  assert_all_simple_errors_detected(b);
  assert_all_simple_errors_detected(c);
}

static void match_consumes_only_the_number(void **state)
{
  const char *text = "26-000123-3, спасибо";
  g_autofree char *n = NULL;
  gboolean ok = FALSE;
  gsize used = okno_number_match(text, strlen(text), &n, &ok);
  assert_int_equal(used, 11);
  assert_string_equal(n, "26-000123-3");
  assert_true(ok);
}

static void match_refuses_part_of_a_longer_digit_run(void **state)
{
  const char *longer = "26-000123-34";
  const char *run = "2600012331234567";
  char *n = NULL;
  assert_int_equal(okno_number_match(longer, strlen(longer), &n, NULL), 0);
  assert_null(n);
  assert_int_equal(okno_number_match(run, strlen(run), &n, NULL), 0);
  assert_null(n);
}

static void match_respects_the_length_limit(void **state)
{
  /* Only the first 9 bytes may be looked at: a compact number of 9 digits. */
  const char *text = "2600012335";
  g_autofree char *n = NULL;
  assert_int_equal(okno_number_match(text, 9, &n, NULL), 9);
  assert_string_equal(n, "26-000123-3");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(damm_digit_matches_worked_examples),
    cmocka_unit_test(damm_digit_rejects_non_digits),
    cmocka_unit_test(format_gives_year_sequence_and_check_digit),
    cmocka_unit_test(format_of_each_result_walks_back_to_zero),
    cmocka_unit_test(parse_accepts_canonical_form),
    cmocka_unit_test(parse_is_lenient_with_separators_and_numero_sign),
    cmocka_unit_test(parse_reports_a_wrong_check_digit_but_keeps_the_form),
    cmocka_unit_test(parse_rejects_what_is_not_a_number),
    cmocka_unit_test(parse_accepts_a_seven_digit_sequence),
    cmocka_unit_test(every_single_digit_error_and_adjacent_swap_is_detected),
    cmocka_unit_test(match_consumes_only_the_number),
    cmocka_unit_test(match_refuses_part_of_a_longer_digit_run),
    cmocka_unit_test(match_respects_the_length_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
