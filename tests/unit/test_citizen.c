/* test_citizen.c: the citizen's check combining okno's portal rules with rspamd's
 * judgement (check/citizen.h): which rspamd answers become which Russian reasons and
 * verdicts, the portal's own proved letters, an unreachable rspamd making the check
 * partial, and rspamd's verdict alone as bench/phishing counts it. rspamd's answers are
 * parsed from JSON as rspamd 3.4 writes them; the real daemon is in
 * tests/it/test_check_rspamd.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "check/citizen.h"

static OknoConfig *cfg;

static OknoPhishResult *check(const char *raw)
{
  OknoMimeLimits limits;
  g_autoptr(OknoMessage) msg = NULL;
  okno_mime_limits_default(&limits);
  msg = okno_mime_parse(raw, strlen(raw), &limits);
  assert_non_null(msg);
  return okno_phishing_check(msg, raw, strlen(raw), cfg);
}

static OknoRspamdResult *answer(const char *json)
{
  g_autoptr(GError) e = NULL;
  OknoRspamdResult *r = okno_rspamd_parse_reply(json, strlen(json), &e);
  assert_non_null(r);
  return r;
}

/* An ordinary letter that does not imitate the portal: okno's rules find nothing. */
static const char *const BANK =
    "From: Bank Support <support@secure-banking.example>\n"
    "To: ivan@mail.example\nSubject: Account notice\nMessage-ID: <1@secure-banking.example>\n"
    "Date: Sun, 06 Dec 2026 10:00:00 +0300\nMIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n\nPlease review your recent statement.\n";

static void test_clean_stays_clean(void **state)
{
  (void)state;
  g_autoptr(OknoPhishResult) r = check(BANK);
  g_autoptr(OknoRspamdResult) rs = answer(
      "{\"score\":0.4,\"required_score\":15,\"action\":\"no action\","
      "\"symbols\":{\"MIME_GOOD\":{\"score\":-0.1},\"DATE_IN_PAST\":{\"score\":1}}}");
  assert_int_equal(r->verdict, OKNO_VERDICT_CLEAN);
  okno_phish_add_rspamd(r, rs);
  assert_int_equal(r->verdict, OKNO_VERDICT_CLEAN);
  assert_non_null(r->rspamd);
  assert_false(r->partial);
  assert_false(okno_rspamd_flags(rs));
}

/* A letter that does not imitate the portal is not «Безопасно» when rspamd doubts it. */
static void test_rspamd_score_makes_suspicious(void **state)
{
  (void)state;
  g_autoptr(OknoPhishResult) r = check(BANK);
  g_autoptr(OknoRspamdResult) rs =
      answer("{\"score\":7.5,\"action\":\"add header\",\"symbols\":{}}");
  okno_phish_add_rspamd(r, rs);
  assert_int_equal(r->verdict, OKNO_VERDICT_SUSPICIOUS);
  assert_non_null(okno_phish_find(r, "rspamd_score"));
  assert_non_null(strstr(okno_phish_find(r, "rspamd_score")->text, "подозрительным"));
  assert_true(okno_rspamd_flags(rs));
}

static void test_high_score_is_dangerous(void **state)
{
  (void)state;
  g_autoptr(OknoPhishResult) r = check(BANK);
  g_autoptr(OknoRspamdResult) rs = answer("{\"score\":16,\"action\":\"reject\"}");
  okno_phish_add_rspamd(r, rs);
  assert_int_equal(r->verdict, OKNO_VERDICT_DANGEROUS);
  assert_int_equal(okno_phish_find(r, "rspamd_score")->weight, 10);
}

/* rspamd's phishing module (a link showing one site and leading to another) and the
 * fuzzy storage's known-bad hashes are dangerous on their own, whatever the score. */
static void test_phishing_symbols_are_dangerous(void **state)
{
  (void)state;
  const char *const answers[] = {
    "{\"score\":1.0,\"action\":\"no action\",\"symbols\":{\"PHISHING\":{\"score\":1}}}",
    "{\"score\":1.0,\"action\":\"no action\",\"symbols\":{\"FUZZY_DENIED\":{\"score\":1}}}",
    "{\"score\":1.0,\"action\":\"no action\",\"symbols\":{\"OMOGRAPH_URL\":{\"score\":1}}}",
  };
  for (guint i = 0; i < G_N_ELEMENTS(answers); i++) {
    g_autoptr(OknoPhishResult) r = check(BANK);
    g_autoptr(OknoRspamdResult) rs = answer(answers[i]);
    okno_phish_add_rspamd(r, rs);
    assert_int_equal(r->verdict, OKNO_VERDICT_DANGEROUS);
    assert_non_null(okno_phish_find(r, "rspamd_phishing"));
    assert_true(okno_rspamd_flags(rs));
  }
}

/* Families give one reason each, in Russian; the weak ones need company. */
static void test_families(void **state)
{
  (void)state;
  g_autoptr(OknoPhishResult) r = check(BANK);
  g_autoptr(OknoRspamdResult) rs = answer(
      "{\"score\":3,\"action\":\"no action\",\"symbols\":{\"HTML_SHORT_LINK_IMG_1\":{},"
      "\"ZERO_FONT\":{},\"FORGED_SENDER\":{}}}");
  g_autoptr(OknoPhishResult) r2 = check(BANK);
  g_autoptr(OknoRspamdResult) rs2 = answer(
      "{\"score\":3,\"action\":\"no action\",\"symbols\":{\"HTML_SHORT_LINK_IMG_1\":{},"
      "\"R_SUSPICIOUS_URL\":{},\"BAYES_SPAM\":{}}}");
  okno_phish_add_rspamd(r, rs);
  assert_non_null(okno_phish_find(r, "rspamd_html"));
  assert_non_null(okno_phish_find(r, "rspamd_headers"));
  assert_null(okno_phish_find(r, "rspamd_score"));
  assert_int_equal(r->verdict, OKNO_VERDICT_SUSPICIOUS); /* 2 + 2 */
  for (guint i = 0; i < r->reasons->len; i++) {
    const OknoPhishReason *x = g_ptr_array_index(r->reasons, i);
    assert_true(g_utf8_validate(x->text, -1, NULL));
    assert_null(strstr(x->text, "HTML_")); /* no rspamd names for the citizen */
  }
  okno_phish_add_rspamd(r2, rs2);
  assert_non_null(okno_phish_find(r2, "rspamd_url"));
  assert_non_null(okno_phish_find(r2, "rspamd_bayes"));
  assert_int_equal(r2->verdict, OKNO_VERDICT_DANGEROUS); /* 6 + 4 + 2 */
}

/* The portal's own letter, proved by DMARC, is not marked down for the score alone. */
static void test_verified_portal_not_marked_down_by_score(void **state)
{
  (void)state;
  g_autoptr(OknoPhishResult) r = check(
      "Authentication-Results: mx.okno.test; dmarc=pass header.from=gosuslugi.ru\n"
      "From: no-reply@gosuslugi.ru\nTo: ivan@mail.example\nSubject: x\n"
      "Content-Type: text/plain; charset=UTF-8\n\nhttps://www.gosuslugi.ru/\n");
  g_autoptr(OknoRspamdResult) rs = answer("{\"score\":8,\"action\":\"add header\"}");
  assert_int_equal(r->portal_sender, OKNO_PORTAL_SENDER_VERIFIED);
  okno_phish_add_rspamd(r, rs);
  assert_int_equal(r->verdict, OKNO_VERDICT_CLEAN);
}

/* rspamd configured but not answering: okno's rules alone, and partial. Not
 * configured: not partial. */
static void test_unreachable_is_partial(void **state)
{
  (void)state;
  g_autoptr(GSocketListener) l = g_socket_listener_new();
  guint16 port = g_socket_listener_add_any_inet_port(l, NULL, NULL);
  g_autoptr(OknoPhishResult) r = check(BANK);
  g_autoptr(OknoPhishResult) r2 = check(BANK);
  g_autofree char *saved = cfg->rspamd_url;
  g_socket_listener_close(l); /* nothing listens there any more */
  cfg->rspamd_url = g_strdup_printf("http://127.0.0.1:%u", port);
  okno_citizen_rspamd(r, cfg, BANK, strlen(BANK));
  assert_true(r->partial);
  assert_null(r->rspamd);
  assert_int_equal(r->verdict, OKNO_VERDICT_CLEAN);
  g_free(cfg->rspamd_url);
  cfg->rspamd_url = g_strdup("");
  okno_citizen_rspamd(r2, cfg, BANK, strlen(BANK));
  assert_false(r2->partial);
  g_free(cfg->rspamd_url);
  cfg->rspamd_url = g_steal_pointer(&saved);
}

static int setup(void **state)
{
  (void)state;
  cfg = okno_config_new_default();
  g_strfreev(cfg->portal_domains);
  cfg->portal_domains = g_strsplit("gosuslugi.ru;госуслуги.рф", ";", -1);
  g_free(cfg->hostname);
  cfg->hostname = g_strdup("mx.okno.test");
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  okno_config_free(cfg);
  return 0;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_clean_stays_clean),
    cmocka_unit_test(test_rspamd_score_makes_suspicious),
    cmocka_unit_test(test_high_score_is_dangerous),
    cmocka_unit_test(test_phishing_symbols_are_dangerous),
    cmocka_unit_test(test_families),
    cmocka_unit_test(test_verified_portal_not_marked_down_by_score),
    cmocka_unit_test(test_unreachable_is_partial),
  };
  return cmocka_run_group_tests_name("citizen", tests, setup, teardown);
}
