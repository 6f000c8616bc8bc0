/* test_lookalike.c: the specification of how a host name is compared with the portal's
 * domains (check/lookalike.h). The portal here owns gosuslugi.ru and госуслуги.рф;
 * each rule gets the examples that must be caught, and genuine names (the portal's own
 * subdomains, unrelated everyday domains, near but distinct words) that must not be. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "check/lookalike.h"

static const char *const portal_domains[] = {"gosuslugi.ru", "госуслуги.рф", NULL};
static OknoPortalSet *portal;

static int setup(void **state)
{
  portal = okno_portal_set_new(portal_domains);
  return 0;
}

static int teardown(void **state)
{
  okno_portal_set_free(portal);
  return 0;
}

/* Judges `host` and checks the kind, and the portal domain named for lookalikes. */
static void expect(const char *host, OknoHostKind kind, const char *domain)
{
  OknoHostJudgement j;
  okno_host_judge(host, portal, &j);
  if (j.kind != kind)
    fail_msg("%s: kind %d, expected %d", host, j.kind, kind);
  if (domain)
    assert_string_equal(j.portal_domain, domain);
  else if (kind == OKNO_HOST_OTHER)
    assert_null(j.portal_domain);
  okno_host_judgement_clear(&j);
}

static void test_the_portal_and_its_subdomains_are_the_portal(void **state)
{
  expect("gosuslugi.ru", OKNO_HOST_PORTAL, "gosuslugi.ru");
  expect("www.gosuslugi.ru", OKNO_HOST_PORTAL, "gosuslugi.ru");
  expect("esia.gosuslugi.ru", OKNO_HOST_PORTAL, "gosuslugi.ru");
  expect("GOSUSLUGI.RU.", OKNO_HOST_PORTAL, "gosuslugi.ru");
  expect("госуслуги.рф", OKNO_HOST_PORTAL, "госуслуги.рф");
  expect("xn--c1aapkosapc.xn--p1ai", OKNO_HOST_PORTAL, "госуслуги.рф");
  expect("lk.xn--c1aapkosapc.xn--p1ai", OKNO_HOST_PORTAL, "госуслуги.рф");
}

static void test_everyday_domains_are_not_flagged(void **state)
{
  static const char *const genuine[] = {
    "mail.ru", "yandex.ru", "gmail.com", "nalog.gov.ru", "mos.ru", "sberbank.ru",
    "uslugi.example", "gosbank.ru", "rosreestr.gov.ru", "pochta.ru", "mvd.рф",
    "example.org", "localhost", "", "a..b", "ru",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(genuine); i++)
    expect(genuine[i], OKNO_HOST_OTHER, NULL);
}

static void test_the_same_label_under_another_suffix_is_a_lookalike(void **state)
{
  expect("gosuslugi.com", OKNO_HOST_OTHER_TLD, "gosuslugi.ru");
  expect("gosuslugi.net", OKNO_HOST_OTHER_TLD, "gosuslugi.ru");
  expect("gosuslugi.gov.ru", OKNO_HOST_OTHER_TLD, "gosuslugi.ru");
  expect("www.gosuslugi.com.ru", OKNO_HOST_OTHER_TLD, "gosuslugi.ru");
  expect("госуслуги.рус", OKNO_HOST_OTHER_TLD, "госуслуги.рф");
}

static void test_labels_within_two_edits_are_typos(void **state)
{
  expect("gosuslugl.ru", OKNO_HOST_TYPO, "gosuslugi.ru");
  expect("gosusiugi.ru", OKNO_HOST_TYPO, "gosuslugi.ru");
  expect("gosuslugii.ru", OKNO_HOST_TYPO, "gosuslugi.ru");
  expect("gossluigi.ru", OKNO_HOST_TYPO, "gosuslugi.ru");
  expect("gosusluge.com", OKNO_HOST_TYPO, "gosuslugi.ru");
  /* three edits away is another word */
  expect("uslugi.ru", OKNO_HOST_OTHER, NULL);
}

static void test_confusable_letters_and_digits_are_homoglyphs(void **state)
{
  OknoHostJudgement j;
  /* Cyrillic о in the Latin name, as UTF-8 and as punycode */
  expect("g\xD0\xBEsuslugi.ru", OKNO_HOST_HOMOGLYPH, "gosuslugi.ru");
  expect("xn--gsuslugi-nbh.ru", OKNO_HOST_HOMOGLYPH, "gosuslugi.ru");
  /* Cyrillic а, с, у, and a digit zero */
  expect("g0suslugi.ru", OKNO_HOST_HOMOGLYPH, "gosuslugi.ru");
  expect("go\xD1\x81u\xD1\x81lugi.ru", OKNO_HOST_TYPO, "gosuslugi.ru");
  /* a Latin c inside the Cyrillic name */
  expect("гоcуслуги.рф", OKNO_HOST_HOMOGLYPH, "госуслуги.рф");
  /* fullwidth letters are folded by NFKC (IDNA maps them to the portal itself) */
  expect("\xEF\xBD\x87osuslugi.ru", OKNO_HOST_PORTAL, "gosuslugi.ru");

  okno_host_judge("xn--gsuslugi-nbh.ru", portal, &j);
  assert_true(j.punycode);
  assert_true(j.mixed_script);
  assert_false(j.invalid_idn);
  assert_string_equal(j.display, "g\xD0\xBEsuslugi.ru");
  okno_host_judgement_clear(&j);
}

static void test_the_portal_name_inside_another_domain_is_embedded(void **state)
{
  expect("gosuslugi.ru.evil.example", OKNO_HOST_EMBEDDED, "gosuslugi.ru");
  expect("gosuslugi-ru.example", OKNO_HOST_EMBEDDED, "gosuslugi.ru");
  expect("login-gosuslugi.example", OKNO_HOST_EMBEDDED, "gosuslugi.ru");
  expect("mygosuslugi.example", OKNO_HOST_TYPO, "gosuslugi.ru"); /* two letters added */
  expect("mygosuslugi24.example", OKNO_HOST_EMBEDDED, "gosuslugi.ru");
  expect("gosusiugi.secure.example", OKNO_HOST_EMBEDDED, "gosuslugi.ru");
  expect("lk-госуслуги.com", OKNO_HOST_EMBEDDED, "госуслуги.рф");
}

static void test_broken_punycode_is_reported_and_still_judged(void **state)
{
  static const char *const garbage[] = {
    "xn--zzzz-.example", "xn--.ru", "xn--!!.ru", "xn--80a--.xn--", "xn--gosuslugi-.ru",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(garbage); i++) {
    OknoHostJudgement j;
    okno_host_judge(garbage[i], portal, &j);
    if (!j.invalid_idn)
      fail_msg("%s: not reported as invalid IDN", garbage[i]);
    assert_true(j.punycode);
    assert_non_null(j.display);
    assert_true(g_utf8_validate(j.display, -1, NULL));
    okno_host_judgement_clear(&j);
  }
}

static void test_hidden_characters_in_decoded_punycode_are_shown_and_invalid(void **state)
{
  OknoHostJudgement j;
  /* xn--mocexe-dm0c decodes to "mocexe" U+202E: reads backwards on screen */
  okno_host_judge("xn--mocexe-dm0c.ru", portal, &j);
  assert_true(j.invalid_idn);
  assert_null(strstr(j.display, "\xE2\x80\xAE"));
  assert_non_null(strstr(j.display, "\xEF\xBF\xBD")); /* U+FFFD in its place */
  assert_true(g_str_has_suffix(j.display, ".ru"));
  okno_host_judgement_clear(&j);
}

static void test_mixed_scripts_are_noticed_outside_the_portal_too(void **state)
{
  OknoHostJudgement j;
  okno_host_judge("sb\xD0\xB5rbank.example", portal, &j); /* Cyrillic е */
  assert_int_equal(j.kind, OKNO_HOST_OTHER);
  assert_true(j.mixed_script);
  okno_host_judgement_clear(&j);
  okno_host_judge("госуслуги.рф", portal, &j);
  assert_false(j.mixed_script);
  okno_host_judgement_clear(&j);
}

static void test_absurd_input_gives_a_judgement(void **state)
{
  GString *long_host = g_string_new(NULL);
  OknoHostJudgement j;
  for (int i = 0; i < 5000; i++)
    g_string_append(long_host, "gosuslugi.");
  okno_host_judge(long_host->str, portal, &j);
  assert_non_null(j.display);
  okno_host_judgement_clear(&j);
  okno_host_judge("\xFF\xFE\x80gosuslugi.ru", portal, &j); /* invalid UTF-8 */
  assert_true(g_utf8_validate(j.display, -1, NULL));
  okno_host_judgement_clear(&j);
  okno_host_judge(NULL, portal, &j);
  assert_int_equal(j.kind, OKNO_HOST_OTHER);
  okno_host_judgement_clear(&j);
  okno_host_judge("gosuslugi.ru", NULL, &j);
  assert_int_equal(j.kind, OKNO_HOST_OTHER);
  okno_host_judgement_clear(&j);
  {
    g_autoptr(OknoPortalSet) none = okno_portal_set_new(NULL);
    okno_host_judge("gosuslugi.ru", none, &j);
    assert_int_equal(j.kind, OKNO_HOST_OTHER);
    okno_host_judgement_clear(&j);
  }
  g_string_free(long_host, TRUE);
}

static void test_display_names_naming_the_portal(void **state)
{
  assert_true(okno_portal_named_in(portal, "Госуслуги"));
  assert_true(okno_portal_named_in(portal, "Гоcуслуги")); /* Latin c */
  assert_true(okno_portal_named_in(portal, "ГОСУСЛУГИ: уведомления"));
  assert_true(okno_portal_named_in(portal, "Служба gosuslugi.ru"));
  assert_true(okno_portal_named_in(portal, "Gosuslugi support"));
  assert_false(okno_portal_named_in(portal, "Анна Петрова"));
  assert_false(okno_portal_named_in(portal, "Услуги ЖКХ"));
  assert_false(okno_portal_named_in(portal, ""));
}

static void test_registrable_domain_for_alignment(void **state)
{
  static const struct {
    const char *host, *reg;
  } cases[] = {
    {"esia.gosuslugi.ru", "gosuslugi.ru"}, {"gosuslugi.ru", "gosuslugi.ru"},
    {"a.b.evil.com.ru", "evil.com.ru"},   {"lk.госуслуги.рф", "xn--c1aapkosapc.xn--p1ai"},
    {"localhost", ""},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *r = okno_host_registrable(cases[i].host);
    assert_string_equal(r, cases[i].reg);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_the_portal_and_its_subdomains_are_the_portal),
    cmocka_unit_test(test_everyday_domains_are_not_flagged),
    cmocka_unit_test(test_the_same_label_under_another_suffix_is_a_lookalike),
    cmocka_unit_test(test_labels_within_two_edits_are_typos),
    cmocka_unit_test(test_confusable_letters_and_digits_are_homoglyphs),
    cmocka_unit_test(test_the_portal_name_inside_another_domain_is_embedded),
    cmocka_unit_test(test_broken_punycode_is_reported_and_still_judged),
    cmocka_unit_test(test_hidden_characters_in_decoded_punycode_are_shown_and_invalid),
    cmocka_unit_test(test_mixed_scripts_are_noticed_outside_the_portal_too),
    cmocka_unit_test(test_absurd_input_gives_a_judgement),
    cmocka_unit_test(test_display_names_naming_the_portal),
    cmocka_unit_test(test_registrable_domain_for_alignment),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
