/* test_citizen.c: the citizen's check combining okno's portal rules with rspamd's
 * judgement (check/citizen.h): which rspamd answers become which Russian reasons and
 * verdicts, the portal's own proved letters, an unreachable rspamd making the check
 * partial, the classifier's confidence and its weight over okno's generic signals, and
 * rspamd's verdict alone as bench/phishing counts it. rspamd's answers are
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

/* rspamd's total score between its "add header" level and OKNO_RSPAMD_DANGEROUS does not
 * decide alone (on public mail it only added false alarms: docs/phishing.md); rspamd
 * alone would flag it. */
static void test_moderate_score_alone_does_not_decide(void **state)
{
  (void)state;
  g_autoptr(OknoPhishResult) r = check(BANK);
  g_autoptr(OknoRspamdResult) rs =
      answer("{\"score\":7.5,\"action\":\"add header\",\"symbols\":{}}");
  okno_phish_add_rspamd(r, rs);
  assert_int_equal(r->verdict, OKNO_VERDICT_CLEAN);
  assert_null(okno_phish_find(r, "rspamd_score"));
  assert_true(okno_rspamd_flags(rs));
}

/* rspamd's answer with one Bayes symbol `name` whose options are `options` (JSON). */
static OknoRspamdResult *bayes_answer(const char *name, const char *options)
{
  g_autofree char *json = g_strdup_printf(
      "{\"score\":1,\"action\":\"no action\",\"symbols\":{\"%s\":{\"score\":1,"
      "\"options\":[%s]}}}",
      name, options);
  return answer(json);
}

/* The Bayes classifier's confidence is read from its symbol's option; from
 * OKNO_RSPAMD_BAYES_SPAM on, the letter is suspicious. */
static void test_bayes_confidence(void **state)
{
  (void)state;
  g_autoptr(OknoRspamdResult) sure = bayes_answer("BAYES_SPAM", "\"98.08%\"");
  g_autoptr(OknoRspamdResult) unsure = bayes_answer("BAYES_SPAM", "\"36.22%\"");
  g_autoptr(OknoRspamdResult) ham = bayes_answer("BAYES_HAM", "\"99.5%\"");
  g_autoptr(OknoRspamdResult) odd = bayes_answer("BAYES_SPAM", "\"lots\", 3");
  g_autoptr(OknoRspamdResult) none = answer("{\"score\":0,\"action\":\"no action\"}");
  g_autoptr(OknoPhishResult) r1 = check(BANK);
  g_autoptr(OknoPhishResult) r2 = check(BANK);
  assert_true(sure->bayes_opinion && sure->bayes > 0.98 && sure->bayes < 0.981);
  assert_true(unsure->bayes_opinion && unsure->bayes > 0.362 && unsure->bayes < 0.363);
  assert_true(ham->bayes_opinion && ham->bayes < -0.99);
  assert_true(odd->bayes_opinion && odd->bayes == 0);
  assert_false(none->bayes_opinion);
  assert_true(none->bayes == 0);
  okno_phish_add_rspamd(r1, sure);
  assert_int_equal(r1->verdict, OKNO_VERDICT_SUSPICIOUS);
  assert_non_null(okno_phish_find(r1, "rspamd_bayes"));
  okno_phish_add_rspamd(r2, unsure);
  assert_int_equal(r2->verdict, OKNO_VERDICT_CLEAN);
}

/* Once the classifier has judged a letter that does not present itself as the
 * portal's, okno's generic signals (here a link whose text shows another site) are
 * listed with weight 0 and rspamd's generic families are not added; without a judgement
 * they count; a portal look-alike counts whatever the classifier says. */
static void test_classifier_outweighs_generic_signals(void **state)
{
  (void)state;
  const char *newsletter =
      "From: News <news@shop.example>\nTo: ivan@mail.example\nSubject: Sale\n"
      "Message-ID: <2@shop.example>\nDate: Sun, 06 Dec 2026 10:00:00 +0300\n"
      "MIME-Version: 1.0\nContent-Type: text/html; charset=UTF-8\n\n"
      "<p>See <a href=\"http://click.tracker.example/r/1\">http://www.shop.example/sale</a></p>\n";
  const char *lookalike =
      "From: Gosuslugi <no-reply@gosuslugl.ru>\nTo: ivan@mail.example\nSubject: x\n"
      "Content-Type: text/plain; charset=UTF-8\n\nhello\n";
  g_autoptr(OknoRspamdResult) ham = answer(
      "{\"score\":-2,\"action\":\"no action\",\"symbols\":{\"BAYES_HAM\":"
      "{\"options\":[\"90.00%\"]},\"PHISHING\":{},\"R_SUSPICIOUS_URL\":{}}}");
  g_autoptr(OknoRspamdResult) untaught = answer(
      "{\"score\":1,\"action\":\"no action\",\"symbols\":{\"R_SUSPICIOUS_URL\":{}}}");
  g_autoptr(OknoPhishResult) judged = check(newsletter);
  g_autoptr(OknoPhishResult) alone = check(newsletter);
  g_autoptr(OknoPhishResult) fake = check(lookalike);
  assert_non_null(okno_phish_find(judged, "link_text_mismatch"));
  assert_int_equal(judged->verdict, OKNO_VERDICT_SUSPICIOUS);
  okno_phish_add_rspamd(judged, ham);
  assert_int_equal(judged->verdict, OKNO_VERDICT_CLEAN);
  assert_int_equal(okno_phish_find(judged, "link_text_mismatch")->weight, 0);
  assert_null(okno_phish_find(judged, "rspamd_link"));
  assert_null(okno_phish_find(judged, "rspamd_url"));
  okno_phish_add_rspamd(alone, untaught);
  assert_int_equal(alone->verdict, OKNO_VERDICT_DANGEROUS); /* 6 + 4 */
  assert_non_null(okno_phish_find(alone, "rspamd_url"));
  okno_phish_add_rspamd(fake, ham);
  assert_int_equal(fake->verdict, OKNO_VERDICT_DANGEROUS);
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

/* The fuzzy storage's known-bad hashes and homograph URLs are dangerous on their own,
 * whatever the score; rspamd's link whose text shows another site (PHISHING) is
 * suspicious (okno's own link signal, when it also fires, makes it dangerous). */
static void test_phishing_symbols_are_dangerous(void **state)
{
  (void)state;
  const char *const answers[] = {
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
  {
    g_autoptr(OknoPhishResult) r = check(BANK);
    g_autoptr(OknoRspamdResult) rs = answer(
        "{\"score\":1.0,\"action\":\"no action\",\"symbols\":{\"PHISHING\":{\"score\":1}}}");
    okno_phish_add_rspamd(r, rs);
    assert_int_equal(r->verdict, OKNO_VERDICT_SUSPICIOUS);
    assert_non_null(okno_phish_find(r, "rspamd_link"));
    assert_true(okno_rspamd_flags(rs));
  }
}

/* Families give one reason each, in Russian; the weak ones need company; once the
 * classifier has judged, the generic ones are left out. */
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
      "\"R_SUSPICIOUS_URL\":{},\"BAYES_SPAM\":{\"options\":[\"97.00%\"]}}}");
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
  /* the classifier judged: the generic families are left to it */
  assert_null(okno_phish_find(r2, "rspamd_url"));
  assert_null(okno_phish_find(r2, "rspamd_html"));
  assert_non_null(okno_phish_find(r2, "rspamd_bayes"));
  assert_int_equal(r2->verdict, OKNO_VERDICT_SUSPICIOUS); /* 6 */
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
    cmocka_unit_test(test_moderate_score_alone_does_not_decide),
    cmocka_unit_test(test_bayes_confidence),
    cmocka_unit_test(test_classifier_outweighs_generic_signals),
    cmocka_unit_test(test_high_score_is_dangerous),
    cmocka_unit_test(test_phishing_symbols_are_dangerous),
    cmocka_unit_test(test_families),
    cmocka_unit_test(test_verified_portal_not_marked_down_by_score),
    cmocka_unit_test(test_unreachable_is_partial),
  };
  return cmocka_run_group_tests_name("citizen", tests, setup, teardown);
}
