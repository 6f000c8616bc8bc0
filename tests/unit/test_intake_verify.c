/* test_intake_verify.c: intake's second stage (intake/verify.h): what the DNS, clamd
 * and the block list add to a parsed message, and which findings refuse it.
 *
 * clamd is a fake on a Unix socket that answers every scan with one reply (or is not
 * there at all); the DNS is a loopback port where nothing listens, so every lookup is
 * a quick temperror: enough to see an unproved portal sender, while DMARC results that
 * need real answers are tests/it/test_auth.py's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "intake/verify.h"
#include "store/phish.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

/* ---- a clamd that answers every INSTREAM with the same line ---- */

typedef struct {
  char *dir, *path;
  GSocket *listener;
  GThread *thread;
  const char *reply;
  guint scans;
  gboolean stopping; /* set before the last connection wakes the thread */
} Clamd;

/* Reads "zINSTREAM\0" and the chunks up to the zero-length one; FALSE when the
 * client went away first. */
static gboolean drain_stream(GInputStream *raw)
{
  g_autoptr(GDataInputStream) in = g_data_input_stream_new(raw);
  g_autoptr(GError) e = NULL;
  char cmd[10];
  gsize got = 0;
  guint32 n;
  g_filter_input_stream_set_close_base_stream(G_FILTER_INPUT_STREAM(in), FALSE);
  g_data_input_stream_set_byte_order(in, G_DATA_STREAM_BYTE_ORDER_BIG_ENDIAN);
  if (!g_input_stream_read_all(G_INPUT_STREAM(in), cmd, sizeof cmd, &got, NULL, NULL) ||
      got != sizeof cmd || memcmp(cmd, "zINSTREAM", sizeof cmd) != 0)
    return FALSE;
  while ((n = g_data_input_stream_read_uint32(in, NULL, &e)) > 0)
    for (gssize k; n > 0; n -= (guint32)k)
      if ((k = g_input_stream_skip(G_INPUT_STREAM(in), n, NULL, NULL)) <= 0)
        return FALSE;
  return e == NULL;
}

static gpointer clamd_main(gpointer data)
{
  Clamd *d = data;
  for (;;) {
    g_autoptr(GSocket) s = g_socket_accept(d->listener, NULL, NULL);
    g_autoptr(GSocketConnection) c = NULL;
    if (!s || g_atomic_int_get(&d->stopping))
      return NULL;
    c = g_socket_connection_factory_create_connection(s);
    if (drain_stream(g_io_stream_get_input_stream(G_IO_STREAM(c)))) {
      d->scans++;
      g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(c)), d->reply,
                                strlen(d->reply) + 1, NULL, NULL, NULL);
    }
    g_io_stream_close(G_IO_STREAM(c), NULL, NULL);
  }
}

static void clamd_start(Clamd *d, const char *reply)
{
  g_autoptr(GSocketAddress) a = NULL;
  memset(d, 0, sizeof *d);
  d->dir = g_dir_make_tmp("okno-verify-XXXXXX", NULL);
  d->path = g_build_filename(d->dir, "clamd.sock", NULL);
  a = g_unix_socket_address_new(d->path);
  d->listener = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, NULL);
  assert_true(g_socket_bind(d->listener, a, TRUE, NULL));
  assert_true(g_socket_listen(d->listener, NULL));
  d->reply = reply;
  d->thread = g_thread_new("clamd", clamd_main, d);
}

static void clamd_stop(Clamd *d)
{
  g_autoptr(GSocket) wake = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr(GSocketAddress) a = g_unix_socket_address_new(d->path);
  g_atomic_int_set(&d->stopping, TRUE);
  assert_true(g_socket_connect(wake, a, NULL, NULL));
  g_thread_join(d->thread);
  g_object_unref(d->listener);
  g_unlink(d->path);
  g_rmdir(d->dir);
  g_free(d->path);
  g_free(d->dir);
}

/* ---- messages ---- */

static const char WITH_PDF[] =
  "From: Иван <ivan@example.ru>\r\nTo: support@portal.example\r\nSubject: скан\r\n"
  "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
  "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПрикладываю заявление, "
  "см. https://login.evil.example/gosuslugi?id=1\r\n"
  "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\n"
  "%PDF-1.4\r\n1 0 obj<<>>endobj\r\ntrailer<<>>\r\n%%EOF\r\n--b--\r\n";

static OknoConfig *config(void)
{
  OknoConfig *cfg = okno_config_new_default();
  g_free(cfg->hostname);
  cfg->hostname = g_strdup("okno.test");
  return cfg;
}

static OknoParsed *parsed(const OknoConfig *cfg, const char *raw, const OknoEnvelope *env)
{
  g_autoptr(GBytes) b = g_bytes_new(raw, strlen(raw));
  return okno_parse(cfg, b, env, okno_now());
}

static const OknoEnvelope FROM_MX = {.channel = OKNO_CHANNEL_EMAIL, .mail_from = "<ivan@example.ru>",
                                     .client_addr = "192.0.2.10", .helo = "mx.example.ru"};

/* ---- nothing configured ---- */

static void test_without_clamd_or_a_client_address_only_the_indicators_are_found(void **state)
{
  g_autoptr(OknoConfig) cfg = config();
  OknoEnvelope env = {.channel = OKNO_CHANNEL_EMAIL};
  g_autoptr(OknoParsed) p = parsed(cfg, WITH_PDF, &env);
  GBytes *before = p->raw;
  g_autoptr(GError) refusal = NULL;
  const OknoPhishIndicator *url = NULL;
  (void)state;
  assert_true(okno_verify(cfg, p, &refusal));
  assert_null(refusal);
  assert_null(p->auth); /* no client address: not authenticated */
  assert_ptr_equal(p->raw, before);
  assert_null(p->infected->pdata[0]);
  assert_null(p->refusals->pdata[0]);
  assert_non_null(p->phish);
  assert_int_equal(p->phish->verdict, OKNO_VERDICT_CLEAN); /* an appeal is not judged */
  for (guint i = 0; i < p->phish->indicators->len; i++) {
    const OknoPhishIndicator *x = p->phish->indicators->pdata[i];
    if (g_str_equal(x->kind, "url"))
      url = x;
  }
  assert_non_null(url);
  assert_non_null(strstr(url->value, "login.evil.example/gosuslugi"));
  assert_false(okno_sender_unproved(p));
}

static void test_mail_built_by_okno_is_never_authenticated(void **state)
{
  g_autoptr(OknoConfig) cfg = config();
  OknoEnvelope env = FROM_MX;
  g_autoptr(OknoParsed) p = NULL;
  (void)state;
  env.channel = OKNO_CHANNEL_WEB; /* the browser's address is not a mail server's */
  p = parsed(cfg, WITH_PDF, &env);
  assert_true(okno_verify(cfg, p, NULL));
  assert_null(p->auth);
  assert_null(p->auth_json);
}

/* ---- DNS ---- */

static void test_an_unproved_portal_sender_is_suspicious_and_not_answered(void **state)
{
  g_autoptr(OknoConfig) cfg = config();
  const char *raw = "From: Портал <noreply-no@portal.example>\r\nSubject: Ваш код\r\n\r\n"
                    "Код входа: 123456\r\n";
  g_autoptr(OknoParsed) p = NULL;
  gsize len = 0;
  const char *stored;
  (void)state;
  g_strfreev(cfg->portal_domains);
  cfg->portal_domains = g_strsplit("portal.example", ";", -1);
  g_free(cfg->dns_server);
  cfg->dns_server = g_strdup("127.0.0.1:9"); /* nothing answers: temperror */
  cfg->dns_timeout_ms = 200;
  cfg->auth_time_budget_ms = 1000;
  p = parsed(cfg, raw, &FROM_MX);
  assert_null(p->no_autoreply);
  assert_true(okno_verify(cfg, p, NULL));
  assert_non_null(p->auth);
  assert_true(okno_sender_unproved(p));
  assert_string_equal(p->auth->action_reason, "portal_unverified");
  assert_string_equal(p->no_autoreply, "sender authentication failed: the From address may be forged");
  assert_non_null(strstr(p->auth_json, "\"action\":\"suspicious\""));
  /* the stored bytes start with our Authentication-Results, then the message as sent */
  stored = g_bytes_get_data(p->raw, &len);
  assert_true(g_str_has_prefix(stored, "Authentication-Results: okno.test;"));
  assert_int_equal(memcmp(stored + len - strlen(raw), raw, strlen(raw)), 0);
}

/* ---- clamd ---- */

static OknoParsed *scanned(const char *policy, const char *socket, const OknoEnvelope *env,
                           gboolean want_ok, GError **refusal)
{
  g_autoptr(OknoConfig) cfg = config();
  OknoParsed *p;
  g_free(cfg->clamav_socket);
  cfg->clamav_socket = g_strdup(socket);
  g_free(cfg->clamav_policy);
  cfg->clamav_policy = g_strdup(policy);
  g_free(cfg->check_address);
  cfg->check_address = g_strdup("check@portal.example");
  cfg->clamav_timeout_ms = 2000;
  p = parsed(cfg, WITH_PDF, env);
  assert_int_equal(okno_verify(cfg, p, refusal), want_ok);
  return p;
}

static void test_a_virus_refuses_the_message_under_policy_refuse(void **state)
{
  Clamd d;
  g_autoptr(GError) refusal = NULL;
  g_autoptr(OknoParsed) p = NULL;
  g_autofree char *reply = NULL;
  (void)state;
  clamd_start(&d, "stream: Okno.Test.Virus FOUND");
  p = scanned("refuse", d.path, &(OknoEnvelope){.channel = OKNO_CHANNEL_EMAIL}, FALSE, &refusal);
  clamd_stop(&d);
  assert_int_equal(d.scans, 1); /* the attachment; the body text is not a file */
  assert_true(g_error_matches(refusal, OKNO_ERROR, OKNO_ERROR_PERM));
  reply = okno_error_smtp_reply(refusal);
  assert_true(g_str_has_prefix(reply, "554 5.7.1 Message refused: virus Okno.Test.Virus found"));
  assert_string_equal(p->infected->pdata[0], "Okno.Test.Virus");
}

static void test_a_virus_strips_the_file_under_policy_strip(void **state)
{
  Clamd d;
  g_autoptr(GError) refusal = NULL;
  g_autoptr(OknoParsed) p = NULL;
  (void)state;
  clamd_start(&d, "stream: Okno.Test.Virus FOUND");
  p = scanned("strip", d.path, &(OknoEnvelope){.channel = OKNO_CHANNEL_EMAIL}, TRUE, &refusal);
  clamd_stop(&d);
  assert_null(refusal);
  assert_string_equal(p->refusals->pdata[0],
                      "Файл «a.pdf» удалён: в нём найдена вредоносная программа "
                      "(Okno.Test.Virus). Мы его не сохранили.");
}

static void test_a_clean_scan_changes_nothing(void **state)
{
  Clamd d;
  g_autoptr(OknoParsed) p = NULL;
  (void)state;
  clamd_start(&d, "stream: OK");
  p = scanned("refuse", d.path, &(OknoEnvelope){.channel = OKNO_CHANNEL_EMAIL}, TRUE, NULL);
  clamd_stop(&d);
  assert_int_equal(d.scans, 1);
  assert_null(p->infected->pdata[0]);
  assert_null(p->refusals->pdata[0]);
}

static void test_clamd_down_defers_under_both_policies(void **state)
{
  g_autoptr(GError) r1 = NULL;
  g_autoptr(GError) r2 = NULL;
  g_autoptr(OknoParsed) p1 = NULL;
  g_autoptr(OknoParsed) p2 = NULL;
  g_autofree char *reply = NULL;
  (void)state;
  p1 = scanned("refuse", "/nonexistent/clamd.sock", &(OknoEnvelope){0}, FALSE, &r1);
  p2 = scanned("strip", "/nonexistent/clamd.sock", &(OknoEnvelope){0}, FALSE, &r2);
  assert_true(g_error_matches(r1, OKNO_ERROR, OKNO_ERROR_TEMP));
  assert_true(g_error_matches(r2, OKNO_ERROR, OKNO_ERROR_TEMP));
  reply = okno_error_smtp_reply(r2);
  assert_true(g_str_has_prefix(reply, "451 4.3.0 "));
  assert_null(p1->phish); /* refused: not judged */
}

static void test_a_check_letter_is_never_refused_a_virus_makes_it_dangerous(void **state)
{
  const char *rcpt[] = {"check@portal.example", NULL};
  OknoEnvelope env = {.channel = OKNO_CHANNEL_EMAIL, .rcpt_to = rcpt};
  Clamd d;
  g_autoptr(OknoParsed) p = NULL;
  g_autoptr(OknoParsed) down = NULL;
  const OknoPhishReason *why;
  (void)state;
  clamd_start(&d, "stream: Okno.Test.Virus FOUND");
  p = scanned("refuse", d.path, &env, TRUE, NULL);
  clamd_stop(&d);
  assert_true(p->is_check);
  assert_int_equal(p->phish->verdict, OKNO_VERDICT_DANGEROUS);
  why = okno_phish_find(p->phish, "attachment_malware");
  assert_non_null(why);
  assert_non_null(strstr(why->text, "Okno.Test.Virus"));
  assert_string_equal(p->checked_subject, "скан");
  assert_false(p->forwarded);
  down = scanned("refuse", "/nonexistent/clamd.sock", &env, TRUE, NULL);
  assert_non_null(down->phish);
}

/* ---- the block list ---- */

static void test_blocklisted_lists_the_indicators_on_the_list(void **state)
{
  g_autoptr(OknoConfig) cfg = config();
  g_autoptr(OknoBlocklist) bl = okno_blocklist_new();
  g_autoptr(OknoBlocklist) empty = okno_blocklist_new();
  g_autoptr(OknoParsed) p = parsed(cfg, WITH_PDF, &(OknoEnvelope){0});
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GPtrArray) before_verify = okno_verify_blocklisted(bl, p);
  const OknoBlockHit *h;
  (void)state;
  assert_true(okno_blocklist_add(bl, "url", "https://login.evil.example/gosuslugi"));
  assert_int_equal(before_verify->len, 0); /* nothing to match before verify */
  assert_true(okno_verify(cfg, p, NULL));
  none = okno_verify_blocklisted(empty, p);
  assert_int_equal(none->len, 0);
  hits = okno_verify_blocklisted(bl, p);
  assert_int_equal(hits->len, 1);
  h = hits->pdata[0];
  assert_string_equal(h->kind, "url");
  assert_string_equal(h->entry, "https://login.evil.example/gosuslugi");
  assert_true(g_str_has_prefix(h->value, "https://login.evil.example/gosuslugi"));
}

static void test_the_block_list_is_read_again_after_a_second(void **state)
{
  Fx *fx = fixture(state);
  OknoBlocklistCache c = {0};
  const OknoBlocklist *first, *again;
  assert_true(okno_store_phish_report(fx->st, "domain", "evil.example", "op", "cli", TRUE, NULL));
  first = okno_blocklist_cache_get(&c, fx->st, NULL);
  assert_non_null(first);
  assert_int_equal(okno_blocklist_size(first), 1);
  assert_true(okno_store_phish_report(fx->st, "domain", "worse.example", "op", "cli", TRUE, NULL));
  again = okno_blocklist_cache_get(&c, fx->st, NULL);
  assert_ptr_equal(again, first); /* read less than a second ago: reused */
  assert_int_equal(okno_blocklist_size(again), 1);
  c.read_at -= G_USEC_PER_SEC;
  again = okno_blocklist_cache_get(&c, fx->st, NULL);
  assert_int_equal(okno_blocklist_size(again), 2);
  assert_non_null(okno_blocklist_match(again, "domain", "www.worse.example"));
  okno_blocklist_cache_clear(&c);
  assert_null(c.list);
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_without_clamd_or_a_client_address_only_the_indicators_are_found),
    cmocka_unit_test(test_mail_built_by_okno_is_never_authenticated),
    cmocka_unit_test(test_an_unproved_portal_sender_is_suspicious_and_not_answered),
    cmocka_unit_test(test_a_virus_refuses_the_message_under_policy_refuse),
    cmocka_unit_test(test_a_virus_strips_the_file_under_policy_strip),
    cmocka_unit_test(test_a_clean_scan_changes_nothing),
    cmocka_unit_test(test_clamd_down_defers_under_both_policies),
    cmocka_unit_test(test_a_check_letter_is_never_refused_a_virus_makes_it_dangerous),
    cmocka_unit_test(test_blocklisted_lists_the_indicators_on_the_list),
    ON_BOTH(test_the_block_list_is_read_again_after_a_second),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
