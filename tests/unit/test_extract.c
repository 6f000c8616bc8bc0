/* test_extract.c: the specification of what okno finds in an appeal's text
 * (intake/extract.h). Each test states a rule with sample sentences as citizens
 * write them and the exact list expected, written as "kind=value" (with "!" after
 * a value whose check digits are wrong), in order of appearance. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "intake/extract.h"

/* "phone=+79123456789 inn=7707083893 inn=7707083894!" */
static char *render(const char *text)
{
  g_autoptr(GPtrArray) found = okno_extract(text);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < found->len; i++) {
    const OknoExtracted *e = found->pdata[i];
    g_string_append_printf(s, "%s%s=%s%s", i ? " " : "", okno_id_kind_name(e->kind),
                           e->value, e->valid ? "" : "!");
  }
  return g_string_free(s, FALSE);
}

#define assert_extracts(text, expected)                                         \
  do {                                                                          \
    g_autofree char *got_ = render(text);                                       \
    if (strcmp(got_, (expected)) != 0)                                          \
      fail_msg("text: \"%s\"\n  expected: %s\n  got:      %s", (text), (expected), got_); \
  } while (0)

/* ---- the checks on their own ---- */

static void inn_check_digits_follow_the_tax_service_algorithm(void **state)
{
  assert_true(okno_inn_valid("7707083893"));   /* Sberbank */
  assert_true(okno_inn_valid("500100732259")); /* a person's INN */
  assert_false(okno_inn_valid("7707083894"));  /* last digit changed */
  assert_false(okno_inn_valid("500100732258"));
  assert_false(okno_inn_valid("500100732269")); /* the 11th digit changed */
  assert_false(okno_inn_valid("770708389"));    /* nine digits */
  assert_false(okno_inn_valid("77070838930"));  /* eleven digits */
  assert_false(okno_inn_valid("77070838a3"));
  assert_false(okno_inn_valid(""));
}

static void snils_check_number_follows_the_pension_fund_algorithm(void **state)
{
  /* 1*9+1*8+2*7+2*6+3*5+3*4+4*3+4*2+5*1 = 95 */
  assert_true(okno_snils_valid("11223344595"));
  assert_false(okno_snils_valid("11223344596"));
  /* sum 100 and 101 give 00; sum above 101 is taken mod 101:
   * 9-9-9... weights: 9*9+8*9+...+1*9 = 405; 405 mod 101 = 1 */
  assert_true(okno_snils_valid("99999999901"));
  assert_false(okno_snils_valid("99999999905"));
  /* 2*9+0*8+...: "200 000 000": 18 -> 18 */
  assert_true(okno_snils_valid("20000000018"));
  /* numbers up to 001-001-998 carry no check */
  assert_true(okno_snils_valid("00100199800"));
  assert_true(okno_snils_valid("00100199877"));
  assert_false(okno_snils_valid("00100199900")); /* 001-001-999 is checked: sum 9*1+... */
  assert_false(okno_snils_valid("1122334459"));
}

/* ---- phones ---- */

static void russian_phones_in_every_usual_form_become_plus7(void **state)
{
  const char *forms[] = {
    "Мой номер 8 (912) 345-67-89, звоните.",
    "Мой номер +7 912 3456789, звоните.",
    "Мой номер 89123456789, звоните.",
    "Мой номер +7 (912) 345-67-89, звоните.",
    "Мой номер 8-912-345-67-89, звоните.",
    "Мой номер +79123456789, звоните.",
    "Мой номер 8 912 345 67 89, звоните.",
    "Мой номер 7 912 345-67-89, звоните.",
    "Мой номер (912) 345-67-89, звоните.",
    "Мой номер: тел. 912-345-67-89, звоните.",
    "Телефон 9123456789",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(forms); i++)
    assert_extracts(forms[i], "phone=+79123456789");
}

static void ten_digits_need_a_phone_word_or_parentheses(void **state)
{
  assert_extracts("Справка 912-345-67-89 готова", "");
  assert_extracts("моб. 912-345-67-89", "phone=+79123456789");
  assert_extracts("Call me, phone 912 345 67 89", "phone=+79123456789");
  assert_extracts("WhatsApp: 912 345 67 89", "phone=+79123456789");
  assert_extracts("(495) 123-45-67", "phone=+74951234567");
}

static void toll_free_and_city_numbers_are_phones(void **state)
{
  assert_extracts("Горячая линия 8 800 100-70-10", "phone=+78001007010");
  assert_extracts("тел. +7 (495) 123-45-67", "phone=+74951234567");
  assert_extracts("тел. 8 (3452) 12-34-56", "phone=+73452123456");
}

static void numbers_outside_russian_ranges_are_not_phones(void **state)
{
  assert_extracts("код 8 (123) 456-78-90", "");
  assert_extracts("номер 81234567890", "");
}

static void other_countries_are_kept_with_plus(void **state)
{
  assert_extracts("Я сейчас в Германии: +49 30 12345678", "phone=+493012345678");
  assert_extracts("Беларусь +375 29 123-45-67", "phone=+375291234567");
  assert_extracts("Казахстан +7 727 123 45 67", "phone=+77271234567");
  assert_extracts("слишком коротко +49 123", "");
}

static void phone_digits_glued_to_letters_or_longer_runs_are_not_taken(void **state)
{
  assert_extracts("код89123456789", "");
  assert_extracts("89123456789abc", "");
  assert_extracts("номер заказа 189123456789", "");
  assert_extracts("счёт 40817810089123456789", "");
  assert_extracts("ссылка 1234-89123456789", "");
  assert_extracts("2026.89123456789", "");
}

static void the_same_phone_twice_is_reported_once(void **state)
{
  assert_extracts("8 (912) 345-67-89 или +7 912 345 67 89, а также 8 495 123-45-67",
                  "phone=+79123456789 phone=+74951234567");
}

/* ---- INN ---- */

static void inn_is_found_with_or_without_the_word(void **state)
{
  assert_extracts("ИНН 7707083893", "inn=7707083893");
  assert_extracts("ИНН: 500100732259.", "inn=500100732259");
  assert_extracts("организация 7707083893 не отвечает", "inn=7707083893");
  assert_extracts("inn 7707083893", "inn=7707083893");
}

static void an_invalid_inn_after_the_word_is_reported_not_dropped(void **state)
{
  assert_extracts("ИНН 7707083894", "inn=7707083894!");
  assert_extracts("мой ИНН — 500100732258", "inn=500100732258!");
  /* without the word, ten random digits are not claimed as an INN */
  assert_extracts("номер 7707083894 в списке", "");
}

static void inn_inside_a_longer_run_is_not_taken(void **state)
{
  assert_extracts("ИНН 77070838931", "");   /* eleven digits */
  assert_extracts("ИНН 7707083893501", ""); /* thirteen */
  assert_extracts("ИНН 7707083893/1", "");
}

/* ---- SNILS ---- */

static void snils_written_with_dashes_is_found_and_checked(void **state)
{
  assert_extracts("СНИЛС 112-233-445 95", "snils=11223344595");
  assert_extracts("112-233-445 95", "snils=11223344595");
  assert_extracts("снилс: 112-233-445-95", "snils=11223344595");
  assert_extracts("112 233 445 95", "snils=11223344595");
  assert_extracts("СНИЛС 112-233-445 96", "snils=11223344596!");
}

static void snils_as_eleven_digits_needs_the_word(void **state)
{
  assert_extracts("СНИЛС 11223344595", "snils=11223344595");
  assert_extracts("мой снилс 11223344596", "snils=11223344596!");
  assert_extracts("число 11223344595", "");
}

static void a_snils_is_never_taken_for_a_phone(void **state)
{
  /* 3-3-3 2 starting with 8 is a SNILS, not a phone */
  assert_extracts("СНИЛС 812-345-678 90", "snils=81234567890!");
  assert_extracts("СНИЛС 89123456789", "snils=89123456789!");
}

/* ---- appeal numbers ---- */

static void appeal_numbers_are_found_valid_or_not(void **state)
{
  assert_extracts("По обращению 26-000123-3 ответа нет", "appeal=26-000123-3");
  assert_extracts("Обращение № 26-000123-7", "appeal=26-000123-7!");
  assert_extracts("№26 000123 3", "appeal=26-000123-3");
  assert_extracts("Re: Обращение № 26-000123-3 зарегистрировано", "appeal=26-000123-3");
  assert_extracts("номер 26–000123–3.", "appeal=26-000123-3");
}

static void compact_appeal_numbers_only_after_the_numero_sign(void **state)
{
  assert_extracts("№ 260001233", "appeal=26-000123-3");
  assert_extracts("№260001233", "appeal=26-000123-3");
  assert_extracts("код 260001233", "");
}

static void appeal_number_digits_are_not_phones(void **state)
{
  /* "89-123456-7" has the shape of an appeal number, so no phone is read from it */
  assert_extracts("обращение 89-123456-7", "appeal=89-123456-7!");
  assert_extracts("26-000123-3 и тел. 8 912 345-67-89",
                  "appeal=26-000123-3 phone=+79123456789");
}

static void appeal_numbers_in_longer_runs_are_not_taken(void **state)
{
  assert_extracts("126-000123-3", "");
  assert_extracts("26-000123-34", "");
  assert_extracts("26-000123-3-1", "");
  assert_extracts("a26-000123-3", "");
}

/* ---- e-mail ---- */

static void email_addresses_are_found_and_domains_lowercased(void **state)
{
  assert_extracts("Пишите на Ivan.Petrov@Mail.RU, спасибо", "email=Ivan.Petrov@mail.ru");
  assert_extracts("адрес: ivan+portal@example.co.uk.", "email=ivan+portal@example.co.uk");
  assert_extracts("<ivan_petrov-1@sub.mail.example>", "email=ivan_petrov-1@sub.mail.example");
  assert_extracts("почта иван@почта.рф", "email=иван@почта.рф");
}

static void not_email_addresses(void **state)
{
  assert_extracts("twitter @ivan", "");
  assert_extracts("ivan@localhost", "");
  assert_extracts("ivan@example.1", "");
  assert_extracts("a@b", "");
  assert_extracts("user@.ru", "");
  assert_extracts("@@@", "");
}

static void email_ends_where_russian_text_is_glued_to_it(void **state)
{
  assert_extracts("ivan@mail.ruспасибо", "email=ivan@mail.ru");
  assert_extracts("письмоivan@mail.ru", "email=ivan@mail.ru");
}

static void digits_in_an_email_are_not_phones(void **state)
{
  assert_extracts("89123456789@mail.ru", "email=89123456789@mail.ru");
}

/* ---- all together ---- */

static void a_whole_letter_gives_everything_once_in_order(void **state)
{
  const char *letter =
      "Здравствуйте!\n"
      "По обращению № 26-000123-3 ответа так и нет. Мой ИНН 500100732259,\n"
      "СНИЛС 112-233-445 95. Организация (ИНН 7707083893) не отвечает.\n"
      "Телефон для связи: 8 (912) 345-67-89, почта ivan.petrov@mail.example.\n"
      "Ещё раз: обращение 26-000123-3, тел. +7 912 345-67-89.\n"
      "Дата: 23.11.2026, сумма 1 500 000 руб., заказ 123456789012345.\n";
  assert_extracts(letter,
                  "appeal=26-000123-3 inn=500100732259 snils=11223344595 inn=7707083893 "
                  "phone=+79123456789 email=ivan.petrov@mail.example");
}

static void empty_and_null_text_give_nothing(void **state)
{
  assert_extracts("", "");
  {
    g_autoptr(GPtrArray) found = okno_extract(NULL);
    assert_int_equal(found->len, 0);
  }
}

static void invalid_utf8_is_tolerated(void **state)
{
  assert_extracts("\xff\xfe тел. 8 912 345-67-89 \xd0", "phone=+79123456789");
}

static void long_digit_runs_are_read_in_linear_time(void **state)
{
  /* 2 MB of digits, and 2 MB of "1-" pairs: must finish at once, finding nothing. */
  gsize n = 2 * 1024 * 1024;
  g_autofree char *digits = g_malloc(n + 1);
  g_autofree char *pairs = g_malloc(n + 1);
  gint64 start;
  memset(digits, '7', n);
  digits[n] = '\0';
  for (gsize i = 0; i < n; i++)
    pairs[i] = i % 2 ? '-' : '1';
  pairs[n] = '\0';
  start = g_get_monotonic_time();
  assert_extracts(digits, "");
  assert_extracts(pairs, "");
  assert_true(g_get_monotonic_time() - start < 10 * G_USEC_PER_SEC);
}

static void kind_names_are_stable(void **state)
{
  assert_string_equal(okno_id_kind_name(OKNO_ID_PHONE), "phone");
  assert_string_equal(okno_id_kind_name(OKNO_ID_INN), "inn");
  assert_string_equal(okno_id_kind_name(OKNO_ID_SNILS), "snils");
  assert_string_equal(okno_id_kind_name(OKNO_ID_APPEAL), "appeal");
  assert_string_equal(okno_id_kind_name(OKNO_ID_EMAIL), "email");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(inn_check_digits_follow_the_tax_service_algorithm),
    cmocka_unit_test(snils_check_number_follows_the_pension_fund_algorithm),
    cmocka_unit_test(russian_phones_in_every_usual_form_become_plus7),
    cmocka_unit_test(ten_digits_need_a_phone_word_or_parentheses),
    cmocka_unit_test(toll_free_and_city_numbers_are_phones),
    cmocka_unit_test(numbers_outside_russian_ranges_are_not_phones),
    cmocka_unit_test(other_countries_are_kept_with_plus),
    cmocka_unit_test(phone_digits_glued_to_letters_or_longer_runs_are_not_taken),
    cmocka_unit_test(the_same_phone_twice_is_reported_once),
    cmocka_unit_test(inn_is_found_with_or_without_the_word),
    cmocka_unit_test(an_invalid_inn_after_the_word_is_reported_not_dropped),
    cmocka_unit_test(inn_inside_a_longer_run_is_not_taken),
    cmocka_unit_test(snils_written_with_dashes_is_found_and_checked),
    cmocka_unit_test(snils_as_eleven_digits_needs_the_word),
    cmocka_unit_test(a_snils_is_never_taken_for_a_phone),
    cmocka_unit_test(appeal_numbers_are_found_valid_or_not),
    cmocka_unit_test(compact_appeal_numbers_only_after_the_numero_sign),
    cmocka_unit_test(appeal_number_digits_are_not_phones),
    cmocka_unit_test(appeal_numbers_in_longer_runs_are_not_taken),
    cmocka_unit_test(email_addresses_are_found_and_domains_lowercased),
    cmocka_unit_test(not_email_addresses),
    cmocka_unit_test(email_ends_where_russian_text_is_glued_to_it),
    cmocka_unit_test(digits_in_an_email_are_not_phones),
    cmocka_unit_test(a_whole_letter_gives_everything_once_in_order),
    cmocka_unit_test(empty_and_null_text_give_nothing),
    cmocka_unit_test(invalid_utf8_is_tolerated),
    cmocka_unit_test(long_digit_runs_are_read_in_linear_time),
    cmocka_unit_test(kind_names_are_stable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
