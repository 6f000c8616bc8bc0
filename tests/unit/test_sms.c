/* test_sms.c: the SMS encoding and the cut at a number of parts (src/text/sms.h).
 * Lengths are built from repeated characters so the expected counts are plain
 * arithmetic on the GSM 03.38 and UCS-2 limits (160/153, 70/67). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "text/sms.h"

static char *repeat(const char *s, guint n)
{
  GString *g = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append(g, s);
  return g_string_free(g, FALSE);
}

static void test_latin_text_goes_as_gsm_in_one_part_up_to_160(void **state)
{
  (void)state;
  g_autofree char *t160 = repeat("a", 160), *t161 = repeat("a", 161);
  OknoSmsPlan p;
  okno_sms_plan("Appeal 26-000001-5 registered", 3, &p);
  assert_int_equal(p.coding, OKNO_SMS_GSM7);
  assert_int_equal(p.parts, 1);
  assert_false(p.cut);
  assert_string_equal(p.text, "Appeal 26-000001-5 registered");
  okno_sms_plan_clear(&p);
  okno_sms_plan(t160, 3, &p);
  assert_int_equal(p.parts, 1);
  assert_int_equal(p.units, 160);
  okno_sms_plan_clear(&p);
  okno_sms_plan(t161, 3, &p); /* 161 septets: two parts of 153 */
  assert_int_equal(p.parts, 2);
  assert_false(p.cut);
  okno_sms_plan_clear(&p);
}

static void test_gsm_extension_characters_take_two_septets(void **state)
{
  (void)state;
  g_autofree char *t = repeat("{", 80), *t81 = repeat("€", 81);
  OknoSmsPlan p;
  assert_int_equal(okno_sms_gsm_units('{'), 2);
  assert_int_equal(okno_sms_gsm_units(0x20AC), 2);
  assert_int_equal(okno_sms_gsm_units(0x00E9), 1); /* é is in the basic table */
  assert_int_equal(okno_sms_gsm_units(0x0436), 0); /* ж is not */
  okno_sms_plan(t, 3, &p);
  assert_int_equal(p.coding, OKNO_SMS_GSM7);
  assert_int_equal(p.units, 160);
  assert_int_equal(p.parts, 1);
  okno_sms_plan_clear(&p);
  okno_sms_plan(t81, 3, &p); /* 162 septets; 76 pairs fit a part of 153 */
  assert_int_equal(p.units, 162);
  assert_int_equal(p.parts, 2);
  okno_sms_plan_clear(&p);
}

static void test_cyrillic_goes_as_ucs2_70_and_67_per_part(void **state)
{
  (void)state;
  g_autofree char *t70 = repeat("я", 70), *t71 = repeat("я", 71), *t134 = repeat("я", 134),
                  *t135 = repeat("я", 135);
  OknoSmsPlan p;
  okno_sms_plan("Обращение № 26-000001-5 зарегистрировано", 3, &p);
  assert_int_equal(p.coding, OKNO_SMS_UCS2);
  assert_int_equal(p.parts, 1);
  okno_sms_plan_clear(&p);
  okno_sms_plan(t70, 3, &p);
  assert_int_equal(p.parts, 1);
  okno_sms_plan_clear(&p);
  okno_sms_plan(t71, 3, &p);
  assert_int_equal(p.parts, 2);
  okno_sms_plan_clear(&p);
  okno_sms_plan(t134, 3, &p);
  assert_int_equal(p.parts, 2);
  okno_sms_plan_clear(&p);
  okno_sms_plan(t135, 3, &p);
  assert_int_equal(p.parts, 3);
  okno_sms_plan_clear(&p);
  /* one Latin letter among Cyrillic does not make it GSM, one Cyrillic among Latin
   * makes it UCS-2 */
  okno_sms_plan("Status: в работе", 3, &p);
  assert_int_equal(p.coding, OKNO_SMS_UCS2);
  okno_sms_plan_clear(&p);
}

static void test_a_long_text_is_cut_to_max_parts_with_a_mark(void **state)
{
  (void)state;
  g_autofree char *cyr = repeat("я", 500), *lat = repeat("b", 1000);
  OknoSmsPlan p;
  okno_sms_plan(cyr, 3, &p);
  assert_true(p.cut);
  assert_int_equal(p.parts, 3);
  assert_int_equal(p.units, 3 * 67);
  assert_true(g_str_has_suffix(p.text, "…"));
  assert_int_equal(g_utf8_strlen(p.text, -1), 201);
  okno_sms_plan_clear(&p);
  okno_sms_plan(lat, 2, &p);
  assert_true(p.cut);
  assert_int_equal(p.parts, 2);
  assert_int_equal(p.units, 2 * 153);
  assert_true(g_str_has_suffix(p.text, "..."));
  okno_sms_plan_clear(&p);
  okno_sms_plan(cyr, 1, &p); /* one part: the single limit, 70 */
  assert_true(p.cut);
  assert_int_equal(p.parts, 1);
  assert_int_equal(p.units, 70);
  okno_sms_plan_clear(&p);
}

static void test_a_two_unit_character_is_not_split_across_parts(void **state)
{
  (void)state;
  /* 152 'a' then '{': the pair cannot end part 1 (153), so it opens part 2 */
  g_autofree char *a = repeat("a", 152);
  g_autofree char *t = g_strconcat(a, "{", a, NULL);
  OknoSmsPlan p;
  okno_sms_plan(t, 3, &p);
  assert_int_equal(p.units, 306);
  assert_int_equal(p.parts, 3); /* 152 | 2 + 151 | 1 */
  okno_sms_plan_clear(&p);
}

static void test_empty_and_invalid_input(void **state)
{
  (void)state;
  OknoSmsPlan p;
  okno_sms_plan("", 3, &p);
  assert_int_equal(p.parts, 0);
  assert_string_equal(p.text, "");
  okno_sms_plan_clear(&p);
  okno_sms_plan("ok \xff", 3, &p); /* repaired, U+FFFD is not GSM */
  assert_true(g_utf8_validate(p.text, -1, NULL));
  assert_int_equal(p.coding, OKNO_SMS_UCS2);
  okno_sms_plan_clear(&p);
  okno_sms_plan(NULL, 0, &p);
  assert_int_equal(p.parts, 0);
  okno_sms_plan_clear(&p);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_latin_text_goes_as_gsm_in_one_part_up_to_160),
    cmocka_unit_test(test_gsm_extension_characters_take_two_septets),
    cmocka_unit_test(test_cyrillic_goes_as_ucs2_70_and_67_per_part),
    cmocka_unit_test(test_a_long_text_is_cut_to_max_parts_with_a_mark),
    cmocka_unit_test(test_a_two_unit_character_is_not_split_across_parts),
    cmocka_unit_test(test_empty_and_invalid_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
