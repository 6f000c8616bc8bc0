/* test_charset.c: the specification of charset.h's rules, each with bytes written
 * out by hand (the Cyrillic tables: «Привет» is CF F0 E8 E2 E5 F2 in windows-1251,
 * F0 D2 C9 D7 C5 D4 in KOI8-R, BF E0 D8 D2 D5 E2 in ISO-8859-5). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "mail/charset.h"

#define PRIVET_UTF8 "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82"
#define PRIVET_CP1251 "\xCF\xF0\xE8\xE2\xE5\xF2"
#define PRIVET_KOI8R "\xF0\xD2\xC9\xD7\xC5\xD4"
#define PRIVET_ISO88595 "\xBF\xE0\xD8\xD2\xD5\xE2"

static void check(const char *bytes, gsize len, const char *label, const char *want)
{
  g_autofree char *got = okno_charset_to_utf8(bytes, len, label);
  assert_non_null(got);
  assert_true(g_utf8_validate(got, -1, NULL));
  assert_string_equal(got, want);
}

static void rule1_valid_utf8_wins_over_a_wrong_label(void **state)
{
  check(PRIVET_UTF8, strlen(PRIVET_UTF8), "GB2312", "Привет");
  check(PRIVET_UTF8, strlen(PRIVET_UTF8), "windows-1251", "Привет");
  check(PRIVET_UTF8, strlen(PRIVET_UTF8), NULL, "Привет");
}

static void rule1_pure_ascii_still_goes_through_a_7bit_label(void **state)
{
  /* ISO-2022-JP: ESC $ B, "テスト" as JIS X 0208 (25 46 25 39 25 48), ESC ( B */
  const char jis[] = "\x1b$B%F%9%H\x1b(B";
  check(jis, strlen(jis), "ISO-2022-JP", "テスト");
  check("plain", 5, "koi8-r", "plain");
}

static void rule2_declared_labels_and_aliases_are_used(void **state)
{
  check(PRIVET_KOI8R, 6, "koi8-r", "Привет");
  check(PRIVET_KOI8R, 6, "KOI8-R", "Привет");
  check(PRIVET_CP1251, 6, "cp1251", "Привет");
  check(PRIVET_CP1251, 6, "windows-1251", "Привет");
  check(PRIVET_CP1251, 6, "x-cp1251", "Привет");
  check(PRIVET_ISO88595, 6, "iso-8859-5", "Привет");
  /* windows-1258: E0 is à, F4 is ô */
  check("Xin ch\xE0o, t\xF4i", 13, "windows-1258", "Xin chào, tôi");
}

static void rule2_a_label_the_bytes_break_is_ignored(void **state)
{
  /* cp1251 bytes are not UTF-8, so the "utf-8" label lies: rule 3 guesses. */
  check(PRIVET_CP1251, 6, "utf-8", "Привет");
  check(PRIVET_KOI8R, 6, "us-ascii", "Привет");
}

static void rule3_unknown_label_is_guessed_by_lower_case_share(void **state)
{
  check(PRIVET_CP1251, 6, "x-made-up-2000", "Привет");
  check(PRIVET_KOI8R, 6, "x-made-up-2000", "Привет");
  check(PRIVET_ISO88595, 6, NULL, "Привет");
  /* "Здравствуйте, мир" in KOI8-R, without a label */
  check("\xFA\xC4\xD2\xC1\xD7\xD3\xD4\xD7\xD5\xCA\xD4\xC5, \xCD\xC9\xD2", 17, NULL,
        "Здравствуйте, мир");
}

static void rule3_guess_names_the_charset(void **state)
{
  assert_string_equal(okno_charset_guess(PRIVET_CP1251, 6), "windows-1251");
  assert_string_equal(okno_charset_guess(PRIVET_KOI8R, 6), "koi8-r");
  assert_string_equal(okno_charset_guess(PRIVET_ISO88595, 6), "iso-8859-5");
  /* "Café crème": isolated accented letters between ASCII ones are Western. */
  assert_string_equal(okno_charset_guess("Caf\xE9 cr\xE8me", 10), "windows-1252");
  assert_string_equal(okno_charset_guess("ascii", 5), "windows-1252");
}

static void rule3_chinese_and_japanese_are_recognised_after_the_russian_charsets(void **state)
{
  /* bytes, length, the guess, the text */
  static const struct {
    const char *bytes;
    gsize len;
    const char *guess, *text;
  } cases[] = {
    {"\271\330\323\332\315\313\277\356\265\304\316\312\314\342", 14, "gb2312", "关于退款的问题"},
    {"\304\343\272\303\243\254\307\353\316\312\316\322\265\304\311\352\307\353\312\262\303\264\312\261\272\362\264\246\300\355\243\277", 32, "gb2312", "你好，请问我的申请什么时候处理？"},
    {"\202\250\226\342\202\242\215\207\202\355\202\271\202\311\202\302\202\242\202\304", 20, "shift_jis", "お問い合わせについて"},
    {"\220\134\220\277\202\314\217\363\213\265\202\360\213\263\202\246\202\304\202\255\202\276\202\263\202\242", 26, "shift_jis", "申請の状況を教えてください"},
    {"\307\340\377\342\353\345\355\350\345 \2715 \253\316\341 \356\357\353\340\362\345\273", 24, "windows-1251", "Заявление №5 «Об оплате»"},
    {"\310\317 \317\345\362\360\356\342", 9, "windows-1251", "ИП Петров"},
    {"\367\317\320\322\317\323 \320\317 \332\301\321\327\314\305\316\311\300", 19, "koi8-r", "Вопрос по заявлению"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *out = okno_charset_to_utf8(cases[i].bytes, cases[i].len, NULL);
    assert_string_equal(okno_charset_guess(cases[i].bytes, cases[i].len), cases[i].guess);
    assert_string_equal(out, cases[i].text);
  }
}

static void rule3_western_text_reads_as_windows_1252(void **state)
{
  check("Caf\xE9 cr\xE8me", 10, NULL, "Café crème");
  check("\x93Hi\x94 there", 10, NULL, "“Hi” there");
}

/* Subjects a citizen abroad or a foreign company might write, in the 8-bit charset
 * their mail client uses, with no label: each must come out as written. The bytes are
 * made here from the text by iconv, so the table reads as the texts themselves. */
static void rule3_central_european_and_baltic_text_is_read_in_its_latin_charset(void **state)
{
  static const struct {
    const char *charset, *text;
  } cases[] = {
    {"windows-1250", "Dzień dobry, proszę o zwrot środków"}, /* Polish */
    {"iso-8859-2", "Zażółć gęślą jaźń"},
    {"iso-8859-2", "Prośba o informację"},
    {"windows-1250", "Žádost o vrácení peněz za službu"},     /* Czech */
    {"windows-1250", "Stížnost"},
    {"iso-8859-2", "Panaszlevél a szolgáltatásról"},          /* Hungarian */
    {"windows-1257", "Skundas dėl paslaugų kokybės"},         /* Lithuanian */
    {"windows-1252", "Beschwerde über die Gebühren"},         /* and Western still */
    {"windows-1252", "Où est ma réponse?"},
    {"windows-1252", "Solicitud de información"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    gsize len = 0;
    g_autofree char *bytes = g_convert(cases[i].text, -1, cases[i].charset, "UTF-8", NULL, &len, NULL);
    g_autofree char *out = NULL;
    assert_non_null(bytes);
    out = okno_charset_to_utf8(bytes, len, NULL);
    if (strcmp(out, cases[i].text) != 0)
      fail_msg("%s in %s came out as %s (guess %s)", cases[i].text, cases[i].charset, out,
               okno_charset_guess(bytes, len));
  }
}

static void rule4_nul_bytes_are_dropped(void **state)
{
  check("a\0b\0c", 5, NULL, "abc");
  check("\xCF\0\xF0\xE8\xE2\xE5\xF2", 7, "windows-1251", "Привет");
}

static void rule4_result_is_valid_utf8_even_for_undefined_bytes(void **state)
{
  /* 0x98 is undefined in windows-1251: it becomes U+FFFD, the rest still decodes. */
  check("\x98" PRIVET_CP1251, 7, NULL, "\xEF\xBF\xBD" "Привет");
  check(NULL, 0, NULL, "");
  check("", 0, "koi8-r", "");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(rule1_valid_utf8_wins_over_a_wrong_label),
    cmocka_unit_test(rule1_pure_ascii_still_goes_through_a_7bit_label),
    cmocka_unit_test(rule2_declared_labels_and_aliases_are_used),
    cmocka_unit_test(rule2_a_label_the_bytes_break_is_ignored),
    cmocka_unit_test(rule3_unknown_label_is_guessed_by_lower_case_share),
    cmocka_unit_test(rule3_guess_names_the_charset),
    cmocka_unit_test(rule3_chinese_and_japanese_are_recognised_after_the_russian_charsets),
    cmocka_unit_test(rule3_western_text_reads_as_windows_1252),
    cmocka_unit_test(rule3_central_european_and_baltic_text_is_read_in_its_latin_charset),
    cmocka_unit_test(rule4_nul_bytes_are_dropped),
    cmocka_unit_test(rule4_result_is_valid_utf8_even_for_undefined_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
