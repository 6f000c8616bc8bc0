/* test_rspamd.c: the rspamd client's answer parser and okno's spam policy
 * (check/rspamd.h), and the client against nothing listening and against a hanging
 * server (the timeout). The client against a real rspamd is tests/it/test_spam.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "check/rspamd.h"
#include "core/error.h"
#include "core/json.h"

static OknoRspamdResult *parse(const char *text, GError **e)
{
  return okno_rspamd_parse_reply(text, strlen(text), e);
}

/* An answer as rspamd 3.4 writes it (trimmed from a real one). */
static void test_parse_real_answer(void **state)
{
  (void)state;
  g_autoptr(GError) e = NULL;
  g_autoptr(OknoRspamdResult) r = parse(
      "{\"is_skipped\":false,\"score\":8.0,\"required_score\":15.0,\"action\":\"add header\","
      "\"symbols\":{\"OKNO_SUBJECT_MARKER\":{\"name\":\"OKNO_SUBJECT_MARKER\",\"score\":6.0,"
      "\"metric_score\":6.0},\"RDNS_NONE\":{\"score\":1.0},\"MIME_GOOD\":{\"score\":-0.1,"
      "\"options\":[\"text/plain\"]}},\"urls\":[\"example.com\"],\"message-id\":\"a@b\","
      "\"time_real\":0.546,\"milter\":{\"remove_headers\":{\"X-Spam\":0}}}",
      &e);
  assert_non_null(r);
  assert_true(r->score == 8.0);
  assert_true(r->required_score == 15.0);
  assert_string_equal(r->action, "add header");
  assert_int_equal(r->symbols->len, 3);
  /* sorted by name */
  assert_string_equal(r->symbols->pdata[0], "MIME_GOOD");
  assert_string_equal(r->symbols->pdata[1], "OKNO_SUBJECT_MARKER");
  assert_string_equal(r->symbols->pdata[2], "RDNS_NONE");
}

static void test_parse_integer_score_and_no_symbols(void **state)
{
  (void)state;
  g_autoptr(GError) e = NULL;
  g_autoptr(OknoRspamdResult) r = parse("{\"score\": -2, \"action\": \"no action\"}", &e);
  assert_non_null(r);
  assert_true(r->score == -2.0);
  assert_int_equal(r->symbols->len, 0);
}

/* A score whose shortest form has an exponent and no '.' (5e+64, 1e-05): json-glib 1.6
 * would print it as "5e+64.0", which is not JSON. The printed answer must parse back to
 * the same score within a relative 1e-15 (the fuzzer found this). */
static void test_printed_scores_are_json(void **state)
{
  (void)state;
  static const char *const answers[] = {
      "{\"score\":49999999999999999999999999999999999999999999999999999999999999999.1,\"action\":\"reject\"}",
      "{\"score\":1e-05,\"action\":\"no action\",\"required_score\":1e20}",
      "{\"score\":-1e300,\"action\":\"no action\"}",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(answers); i++) {
    g_autoptr(GError) e = NULL;
    g_autoptr(OknoRspamdResult) r = parse(answers[i], &e);
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *text = NULL;
    g_autoptr(JsonObject) o = NULL;
    assert_non_null(r);
    okno_rspamd_to_json(b, r, "spam");
    text = okno_json_text(b, FALSE);
    o = okno_json_object_parse(text);
    assert_non_null(o);
    assert_true(fabs(json_object_get_double_member(o, "score") - r->score) <=
                fabs(r->score) * 1e-15);
    assert_true(fabs(json_object_get_double_member(o, "required_score") -
                     r->required_score) <= fabs(r->required_score) * 1e-15);
  }
}

static void test_parse_refuses_what_is_not_an_answer(void **state)
{
  static const char *const bad[] = {
    "", "null", "[]", "\"score\"", "{}", "{\"score\": 1}", "{\"action\": \"reject\"}",
    "{\"score\": \"9\", \"action\": \"reject\"}", "{\"score\": 1, \"action\": 5}",
    "{\"score\": 1, \"action\": \"x\"", "{\"score\": true, \"action\": \"x\"}",
  };
  (void)state;
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) e = NULL;
    OknoRspamdResult *r = parse(bad[i], &e);
    if (r)
      fail_msg("accepted: %s", bad[i]);
    assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_TEMP));
  }
}

/* Names are bounded and printable, odd symbols skipped, at most 64 kept. */
static void test_parse_bounds_names(void **state)
{
  (void)state;
  g_autoptr(GString) s = g_string_new("{\"score\":1,\"action\":\"no\\u0001action\",\"symbols\":{");
  g_autoptr(GError) e = NULL;
  g_autoptr(OknoRspamdResult) r = NULL;
  g_string_append(s, "\"\":{},\"NOT_AN_OBJECT\":5,\"");
  for (int i = 0; i < 100; i++)
    g_string_append_c(s, 'L');
  g_string_append(s, "\":{}");
  for (int i = 0; i < 100; i++)
    g_string_append_printf(s, ",\"S%03d\":{}", i);
  g_string_append(s, "}}");
  r = parse(s->str, &e);
  assert_non_null(r);
  assert_string_equal(r->action, "no?action");
  assert_int_equal(r->symbols->len, 64);
  for (guint i = 0; i < r->symbols->len; i++) {
    const char *n = r->symbols->pdata[i];
    assert_true(*n && strlen(n) <= 64);
    assert_string_not_equal(n, "NOT_AN_OBJECT");
  }
}

static void test_policy(void **state)
{
  (void)state;
  /* okno's thresholds */
  assert_int_equal(okno_spam_decide(15, "no action", 15, 6), OKNO_SPAM_REJECT);
  assert_int_equal(okno_spam_decide(14.9, "no action", 15, 6), OKNO_SPAM_HOLD);
  assert_int_equal(okno_spam_decide(6, "no action", 15, 6), OKNO_SPAM_HOLD);
  assert_int_equal(okno_spam_decide(5.9, "no action", 15, 6), OKNO_SPAM_ACCEPT);
  assert_int_equal(okno_spam_decide(-3, "no action", 15, 6), OKNO_SPAM_ACCEPT);
  /* rspamd's own action says spam: held, never rejected by it alone */
  assert_int_equal(okno_spam_decide(2, "add header", 15, 6), OKNO_SPAM_HOLD);
  assert_int_equal(okno_spam_decide(2, "rewrite subject", 15, 6), OKNO_SPAM_HOLD);
  assert_int_equal(okno_spam_decide(2, "reject", 15, 6), OKNO_SPAM_HOLD);
  assert_int_equal(okno_spam_decide(2, "greylist", 15, 6), OKNO_SPAM_ACCEPT);
  assert_int_equal(okno_spam_decide(2, "soft reject", 15, 6), OKNO_SPAM_ACCEPT);
  /* thresholds off */
  assert_int_equal(okno_spam_decide(100, "no action", 0, 6), OKNO_SPAM_HOLD);
  assert_int_equal(okno_spam_decide(100, "no action", 0, 0), OKNO_SPAM_ACCEPT);
  assert_string_equal(okno_spam_verdict_name(OKNO_SPAM_HOLD), "spam");
  assert_string_equal(okno_spam_verdict_name(OKNO_SPAM_REJECT), "reject");
  assert_string_equal(okno_spam_verdict_name(OKNO_SPAM_ACCEPT), "accept");
}

static guint16 closed_port(void)
{
  g_autoptr(GSocketListener) l = g_socket_listener_new();
  guint16 port = g_socket_listener_add_any_inet_port(l, NULL, NULL);
  g_socket_listener_close(l);
  return port;
}

static void test_nothing_listening_is_temporary(void **state)
{
  (void)state;
  g_autoptr(GError) e = NULL;
  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u", closed_port());
  OknoRspamdEnvelope env = {"192.0.2.1", "mx.example", "a@example.org", NULL};
  assert_null(okno_rspamd_check(url, 2000, &env, "Subject: x\r\n\r\nhi\r\n", 17, &e));
  assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_TEMP));
  g_clear_error(&e);
  assert_false(okno_rspamd_learn(url, "pw", 2000, TRUE, "x", 1, &e));
  assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_TEMP));
}

static void test_bad_url_is_a_user_error(void **state)
{
  (void)state;
  g_autoptr(GError) e = NULL;
  OknoRspamdEnvelope env = {0};
  assert_null(okno_rspamd_check("127.0.0.1:11333", 1000, &env, "x", 1, &e));
  assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_USER));
}

/* A server that accepts and never answers: the call gives up after its timeout. */
static void test_hanging_server_times_out(void **state)
{
  (void)state;
  g_autoptr(GError) e = NULL;
  g_autoptr(GSocketListener) l = g_socket_listener_new();
  guint16 port = g_socket_listener_add_any_inet_port(l, NULL, NULL);
  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u", port);
  OknoRspamdEnvelope env = {0};
  gint64 t0 = g_get_monotonic_time();
  assert_true(port > 0);
  assert_null(okno_rspamd_check(url, 1000, &env, "x", 1, &e));
  assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_TEMP));
  assert_true(g_get_monotonic_time() - t0 < 30 * G_USEC_PER_SEC);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse_real_answer),
    cmocka_unit_test(test_parse_integer_score_and_no_symbols),
    cmocka_unit_test(test_printed_scores_are_json),
    cmocka_unit_test(test_parse_refuses_what_is_not_an_answer),
    cmocka_unit_test(test_parse_bounds_names),
    cmocka_unit_test(test_policy),
    cmocka_unit_test(test_nothing_listening_is_temporary),
    cmocka_unit_test(test_bad_url_is_a_user_error),
    cmocka_unit_test(test_hanging_server_times_out),
  };
  return cmocka_run_group_tests_name("rspamd", tests, NULL, NULL);
}
