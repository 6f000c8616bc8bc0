/* test_blocklist.c: the phishing block list (check/blocklist.h): normalising domains
 * and URLs, matching subdomains and URL prefixes at boundaries only, and the verdict
 * of the phishing check turning dangerous when a letter points at a listed entry. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "check/blocklist.h"
#include "check/phishing.h"
#include "core/config.h"
#include "mail/mime.h"

static void assert_norm(const char *kind, const char *in, const char *want)
{
  g_autofree char *v = okno_blocklist_normalize(kind, in);
  if (want)
    assert_string_equal(v, want);
  else
    assert_null(v);
}

static void test_normalize(void **state)
{
  (void)state;
  assert_norm("domain", "  Evil.EXAMPLE. ", "evil.example");
  assert_norm("domain", "госуслуги.рф", "xn--c1aapkosapc.xn--p1ai");
  assert_norm("domain", "localhost", NULL);
  assert_norm("domain", "a..b", NULL);
  assert_norm("domain", "evil.example/path", NULL);
  assert_norm("domain", "", NULL);
  assert_norm("url", "HTTPS://User@Evil.Example:8443/Login?a=1#frag", "https://evil.example:8443/Login?a=1");
  assert_norm("url", "http://evil.example/", "http://evil.example");
  assert_norm("url", "www.evil.example/x", "http://www.evil.example/x");
  assert_norm("url", "ftp://evil.example/", NULL);
  assert_norm("url", "http://evil example/", NULL);
  assert_norm("other", "x", NULL);
}

static void test_match(void **state)
{
  g_autoptr(OknoBlocklist) bl = okno_blocklist_new();
  (void)state;
  assert_true(okno_blocklist_add(bl, "domain", "evil.example"));
  assert_true(okno_blocklist_add(bl, "url", "https://bad.example/login"));
  assert_true(okno_blocklist_add(bl, "url", "http://whole.example/"));
  assert_false(okno_blocklist_add(bl, "domain", "not a domain"));
  assert_int_equal(okno_blocklist_size(bl), 3);

  assert_string_equal(okno_blocklist_match(bl, "domain", "EVIL.example"), "evil.example");
  assert_string_equal(okno_blocklist_match(bl, "domain", "login.evil.example"), "evil.example");
  assert_null(okno_blocklist_match(bl, "domain", "notevil.example"));
  assert_null(okno_blocklist_match(bl, "domain", "evil.example.org"));

  /* a URL matches itself and what it is a prefix of at a boundary, either scheme */
  assert_non_null(okno_blocklist_match(bl, "url", "https://bad.example/login"));
  assert_non_null(okno_blocklist_match(bl, "url", "http://bad.example/login?next=1"));
  assert_non_null(okno_blocklist_match(bl, "url", "https://bad.example/login/step2"));
  assert_null(okno_blocklist_match(bl, "url", "https://bad.example/loginx"));
  assert_null(okno_blocklist_match(bl, "url", "https://bad.example/"));
  assert_non_null(okno_blocklist_match(bl, "url", "https://whole.example/any/path?q"));
  assert_null(okno_blocklist_match(bl, "url", "https://whole.example.org/"));
}

static void test_check_turns_dangerous(void **state)
{
  static const char raw[] =
      "From: Shop <news@shop.example>\r\n"
      "To: ivan@example.ru\r\n"
      "Subject: Sale\r\n"
      "\r\n"
      "Our new catalogue: https://shop.example/catalogue\r\n";
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  g_autoptr(OknoMessage) m = okno_mime_parse(raw, sizeof raw - 1, NULL);
  g_autoptr(OknoPhishResult) r = okno_phishing_check(m, raw, sizeof raw - 1, cfg);
  g_autoptr(OknoBlocklist) bl = okno_blocklist_new();
  g_autoptr(OknoBlocklist) empty = okno_blocklist_new();
  gboolean saw_domain = FALSE, saw_url = FALSE;
  (void)state;

  assert_int_equal(r->verdict, OKNO_VERDICT_CLEAN);
  for (guint i = 0; i < r->indicators->len; i++) {
    const OknoPhishIndicator *x = g_ptr_array_index(r->indicators, i);
    saw_domain |= strcmp(x->kind, "domain") == 0 && strcmp(x->value, "shop.example") == 0;
    saw_url |= strcmp(x->kind, "url") == 0 && strcmp(x->value, "https://shop.example/catalogue") == 0;
  }
  assert_true(saw_domain);
  assert_true(saw_url);
  assert_int_equal(okno_blocklist_apply(empty, r), 0);
  assert_int_equal(r->verdict, OKNO_VERDICT_CLEAN);

  okno_blocklist_add(bl, "domain", "shop.example");
  /* the sender and the link's host are one indicator */
  assert_int_equal(okno_blocklist_apply(bl, r), 1);
  assert_int_equal(r->verdict, OKNO_VERDICT_DANGEROUS);
  assert_non_null(okno_phish_find(r, "blocklisted_domain"));
  assert_non_null(strstr(okno_phish_find(r, "blocklisted_domain")->text, "shop.example"));
}

static void test_portal_domains_are_not_indicators(void **state)
{
  static const char raw[] =
      "From: Portal <noreply@portal.example>\r\n"
      "Subject: Notice\r\n"
      "\r\n"
      "See https://portal.example/cabinet\r\n";
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  g_autoptr(OknoMessage) m = okno_mime_parse(raw, sizeof raw - 1, NULL);
  g_autoptr(OknoPhishResult) r = okno_phishing_check(m, raw, sizeof raw - 1, cfg);
  (void)state;
  assert_int_equal(r->indicators->len, 0);
}

/* The cheap collection intake uses finds what the full check finds. */
static void test_indicators_only_match_the_check(void **state)
{
  static const char raw[] =
      "Return-Path: <bounce@bulk.example>\r\n"
      "From: Portal <info@portal-pay.example>\r\n"
      "Reply-To: help@collect.example\r\n"
      "Subject: Fine\r\n"
      "\r\n"
      "Pay at https://pay.collect.example/fine?id=1 or see https://portal.example/help\r\n"
      "and www.other.example/x.\r\n";
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  g_autoptr(OknoMessage) m = okno_mime_parse(raw, sizeof raw - 1, NULL);
  g_autoptr(OknoPhishResult) full = okno_phishing_check(m, raw, sizeof raw - 1, cfg);
  g_autoptr(OknoPhishResult) only = okno_phishing_indicators(m, raw, sizeof raw - 1, cfg);
  (void)state;
  assert_int_equal(only->reasons->len, 0);
  assert_int_equal(only->verdict, OKNO_VERDICT_CLEAN);
  assert_int_equal(only->indicators->len, full->indicators->len);
  assert_int_equal(only->indicators->len, 7); /* 3 senders, 2 URLs, 2 link hosts */
  for (guint i = 0; i < only->indicators->len; i++) {
    const OknoPhishIndicator *a = g_ptr_array_index(only->indicators, i);
    gboolean found = FALSE;
    for (guint k = 0; k < full->indicators->len; k++) {
      const OknoPhishIndicator *b = g_ptr_array_index(full->indicators, k);
      found |= strcmp(a->kind, b->kind) == 0 && strcmp(a->value, b->value) == 0;
    }
    assert_true(found);
    assert_null(strstr(a->value, "portal.example/"));
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_normalize),
    cmocka_unit_test(test_match),
    cmocka_unit_test(test_check_turns_dangerous),
    cmocka_unit_test(test_portal_domains_are_not_indicators),
    cmocka_unit_test(test_indicators_only_match_the_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
