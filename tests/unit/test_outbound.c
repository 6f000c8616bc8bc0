/* test_outbound.c: the outbound queue's delivery rules, with a real SQLite store.
 *
 * Each test makes a fresh store in a temp dir, queues one message the way the intake
 * does (appeal row, outgoing message row with raw bytes, okno_store_outbound_enqueue),
 * freezes the clock, runs delivery passes and reads back what happened: the maildir
 * file's bytes, the queue counts, the row's next attempt and the appeal's events.
 * SMTP relays are the scripted fake server of fake_smtp.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>

#include "core/clock.h"
#include "core/config.h"
#include "fake_smtp.h"
#include "ops/outbound.h"
#include "store/appeals.h"
#include "store/messages.h"
#include "store/outbound.h"
#include "store/store.h"

#define T0 G_GINT64_CONSTANT(1795428000000000) /* 2026-11-23T10:00:00Z */
#define SEC G_GINT64_CONSTANT(1000000)

static const char raw_message[] =
  "From: support@portal.example\r\n"
  "To: ivan@example.ru\r\n"
  "Subject: =?UTF-8?B?0J7QsdGA0LDRidC10L3QuNC1?=\r\n"
  "Message-ID: <r1@portal.example>\r\n"
  "\r\n"
  "Здравствуйте.\r\n"
  ".a line starting with a dot\r\n";

typedef struct {
  char *dir;
  OknoConfig *cfg;
  OknoStore *st; /* the test's own connection */
  gint64 appeal_id;
} Fixture;

static int setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->dir = g_dir_make_tmp("okno-outbound-XXXXXX", NULL);
  assert_non_null(f->dir);
  f->cfg = okno_config_new_default();
  g_free(f->cfg->store_url);
  f->cfg->store_url = g_strconcat("sqlite:", f->dir, "/okno.db", NULL);
  g_free(f->cfg->outbound_transport);
  f->cfg->outbound_transport = g_strconcat("maildir:", f->dir, "/outbox", NULL);
  f->cfg->retry_min_seconds = 60;
  f->cfg->retry_max_seconds = 100;
  f->cfg->give_up_after_seconds = 3600;
  okno_clock_set(T0);

  g_autoptr(GError) err = NULL;
  f->st = okno_store_open(f->cfg->store_url, &err);
  assert_non_null(f->st);
  OknoAppeal a = {.number = "2026-000001-7", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .subject = "Обращение", .from_email = "ivan@example.ru", .received_at = T0};
  g_autoptr(GBytes) raw = g_bytes_new_static(raw_message, strlen(raw_message));
  OknoMessageRow m = {.direction = "out", .message_id = "r1@portal.example",
                      .sender = "support@portal.example", .recipient = "ivan@example.ru",
                      .subject = "Обращение", .text = "Здравствуйте.", .raw = raw,
                      .created_at = T0};
  assert_true(okno_store_begin(f->st, &err));
  assert_true(okno_store_appeal_insert(f->st, &a, &err));
  m.appeal_id = a.id;
  assert_true(okno_store_message_insert(f->st, &m, &err));
  assert_true(okno_store_outbound_enqueue(f->st, a.id, m.id, "support@portal.example",
                                          "ivan@example.ru", TRUE, &err));
  assert_true(okno_store_commit(f->st, &err));
  f->appeal_id = a.id;
  *state = f;
  return 0;
}

static void remove_tree(const char *path)
{
  GDir *d = g_dir_open(path, 0, NULL);
  if (d) {
    for (const char *n; (n = g_dir_read_name(d));) {
      g_autofree char *p = g_build_filename(path, n, NULL);
      remove_tree(p);
    }
    g_dir_close(d);
  }
  g_remove(path);
}

static int teardown(void **state)
{
  Fixture *f = *state;
  okno_store_close(f->st);
  okno_config_free(f->cfg);
  remove_tree(f->dir);
  g_free(f->dir);
  g_free(f);
  okno_clock_set(0);
  return 0;
}

static OknoOutbound *outbound_for(Fixture *f)
{
  g_autoptr(GError) err = NULL;
  OknoOutbound *ob = okno_outbound_new(f->cfg, &err);
  assert_non_null(ob);
  return ob;
}

static int run_pass(OknoOutbound *ob)
{
  g_autoptr(GError) err = NULL;
  int n = okno_outbound_run_once(ob, &err);
  assert_null(err);
  return n;
}

static void assert_counts(Fixture *f, gint64 queued, gint64 sent, gint64 failed)
{
  gint64 q = -1, s = -1, x = -1;
  assert_true(okno_store_outbound_counts(f->st, &q, &s, &x, NULL));
  assert_int_equal(q, queued);
  assert_int_equal(s, sent);
  assert_int_equal(x, failed);
}

/* The appeal's events as "kind detail" lines, oldest first. */
static char *events_of(Fixture *f)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(f->st),
                                        "SELECT kind, detail FROM events WHERE appeal_id = $1 "
                                        "ORDER BY id",
                                        OKNO_PARAMS(OKNO_INT(f->appeal_id)), NULL);
  assert_non_null(r);
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_string_append_printf(s, "%s %s\n", okno_rows_text(r, i, 0), okno_rows_text(r, i, 1));
  return g_string_free(s, FALSE);
}

static gint64 next_attempt_of_job(Fixture *f)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(f->st),
                                        "SELECT next_attempt_at FROM outbound", OKNO_NO_PARAMS,
                                        NULL);
  assert_non_null(r);
  return okno_rows_int(r, 0, 0);
}

static char *expected_maildir_name(Fixture *f)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(f->st),
                                        "SELECT value FROM meta WHERE key = 'instance'",
                                        OKNO_NO_PARAMS, NULL);
  assert_non_null(r);
  return g_strdup_printf("okno.%s.1", okno_rows_text(r, 0, 0));
}

/* Names in a directory, sorted, joined by ' '. */
static char *list_dir(const char *dir, const char *sub)
{
  g_autofree char *path = g_build_filename(dir, sub, NULL);
  GDir *d = g_dir_open(path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  if (d) {
    for (const char *n; (n = g_dir_read_name(d));)
      g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
  }
  g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
  g_ptr_array_add(names, NULL);
  return g_strjoinv(" ", (char **)names->pdata);
}

static void point_maildir_at_a_file(Fixture *f)
{
  g_autofree char *blocker = g_build_filename(f->dir, "not-a-dir", NULL);
  assert_true(g_file_set_contents(blocker, "x", 1, NULL));
  g_free(f->cfg->outbound_transport);
  f->cfg->outbound_transport = g_strconcat("maildir:", blocker, NULL);
}

static void test_maildir_delivery_writes_the_exact_bytes_into_new(void **state)
{
  Fixture *f = *state;
  OknoOutbound *ob = outbound_for(f);
  assert_int_equal(run_pass(ob), 1);

  g_autofree char *outbox = g_build_filename(f->dir, "outbox", NULL);
  g_autofree char *name = expected_maildir_name(f);
  g_autofree char *in_new = list_dir(outbox, "new");
  g_autofree char *in_tmp = list_dir(outbox, "tmp");
  g_autofree char *in_cur = list_dir(outbox, "cur");
  assert_string_equal(in_new, name);
  assert_string_equal(in_tmp, "");
  assert_string_equal(in_cur, "");
  g_autofree char *file = g_build_filename(outbox, "new", name, NULL);
  g_autofree char *bytes = NULL;
  gsize len = 0;
  assert_true(g_file_get_contents(file, &bytes, &len, NULL));
  assert_int_equal(len, strlen(raw_message));
  assert_memory_equal(bytes, raw_message, len);

  assert_counts(f, 0, 1, 0);
  g_autofree char *ev = events_of(f);
  assert_string_equal(ev, "outbound_sent {\"message_id\":\"r1@portal.example\","
                          "\"transport\":\"maildir\",\"attempt\":1}\n");
  assert_int_equal(run_pass(ob), 0); /* nothing left */
  okno_outbound_free(ob);
}

static void test_one_pass_delivers_every_due_job_across_batches(void **state)
{
  Fixture *f = *state;
  /* 40 more receipts of the same message: more than one claim batch */
  g_autoptr(GError) err = NULL;
  assert_true(okno_store_begin(f->st, &err));
  for (int i = 0; i < 40; i++)
    assert_true(okno_store_outbound_enqueue(f->st, f->appeal_id, 1, "support@portal.example",
                                            "ivan@example.ru", TRUE, &err));
  assert_true(okno_store_commit(f->st, &err));
  OknoOutbound *ob = outbound_for(f);
  assert_int_equal(run_pass(ob), 41);
  assert_counts(f, 0, 41, 0);
  g_autofree char *outbox = g_build_filename(f->dir, "outbox", NULL);
  g_autofree char *in_new = list_dir(outbox, "new");
  g_auto(GStrv) names = g_strsplit(in_new, " ", -1);
  assert_int_equal(g_strv_length(names), 41);
  okno_outbound_free(ob);
}

static void test_delivering_the_same_job_twice_leaves_one_file(void **state)
{
  Fixture *f = *state;
  OknoOutbound *ob = outbound_for(f);
  assert_int_equal(run_pass(ob), 1);
  /* a crash after the rename, before the store heard of it: the job is due again */
  assert_true(okno_db_exec(okno_store_db(f->st),
                           "UPDATE outbound SET state = 'queued', next_attempt_at = 0",
                           OKNO_NO_PARAMS, NULL));
  assert_int_equal(run_pass(ob), 1);
  g_autofree char *outbox = g_build_filename(f->dir, "outbox", NULL);
  g_autofree char *name = expected_maildir_name(f);
  g_autofree char *in_new = list_dir(outbox, "new");
  assert_string_equal(in_new, name);
  okno_outbound_free(ob);
}

static void test_maildir_failure_is_deferred_with_backoff_doubling_up_to_the_cap(void **state)
{
  Fixture *f = *state;
  point_maildir_at_a_file(f);
  OknoOutbound *ob = outbound_for(f);

  assert_int_equal(run_pass(ob), 0);
  assert_counts(f, 1, 0, 0);
  assert_int_equal(next_attempt_of_job(f), T0 + 60 * SEC); /* retry_min */

  okno_clock_advance(59 * SEC);
  assert_int_equal(run_pass(ob), 0);
  assert_int_equal(next_attempt_of_job(f), T0 + 60 * SEC); /* not due yet: untouched */

  okno_clock_advance(1 * SEC);
  assert_int_equal(run_pass(ob), 0);
  /* 2 x 60 = 120, capped at retry_max 100 */
  assert_int_equal(next_attempt_of_job(f), T0 + 60 * SEC + 100 * SEC);

  g_autofree char *ev = events_of(f);
  g_auto(GStrv) lines = g_strsplit(ev, "\n", -1);
  assert_int_equal(g_strv_length(lines), 3); /* two events and the empty tail */
  assert_true(g_str_has_prefix(lines[0], "outbound_deferred {\"message_id\":\"r1@portal.example\","
                                         "\"transport\":\"maildir\",\"attempt\":1,"
                                         "\"reason\":\"maildir: mkdir "));
  assert_non_null(strstr(lines[0], "\"next_attempt\":\"2026-11-23T10:01:00Z\"}"));
  assert_non_null(strstr(lines[1], "\"attempt\":2,"));
  assert_non_null(strstr(lines[1], "\"next_attempt\":\"2026-11-23T10:02:40Z\"}"));
  okno_outbound_free(ob);
}

static void test_temporary_failures_give_up_after_the_limit(void **state)
{
  Fixture *f = *state;
  point_maildir_at_a_file(f);
  OknoOutbound *ob = outbound_for(f);
  assert_int_equal(run_pass(ob), 0);
  okno_clock_advance(3599 * SEC);
  assert_int_equal(run_pass(ob), 0); /* still within give_up_after_seconds */
  assert_counts(f, 1, 0, 0);
  okno_clock_advance(100 * SEC); /* the next attempt, now past the limit */
  assert_int_equal(run_pass(ob), 1);
  assert_counts(f, 0, 0, 1);
  g_autofree char *ev = events_of(f);
  assert_non_null(strstr(ev, "outbound_failed {\"message_id\":\"r1@portal.example\","
                             "\"transport\":\"maildir\",\"attempt\":3,"
                             "\"reason\":\"gave up after 3 attempts: maildir: mkdir "));
  okno_outbound_free(ob);
}

static void use_relay(Fixture *f, FakeSmtp *relay)
{
  g_free(f->cfg->outbound_transport);
  f->cfg->outbound_transport = g_strconcat("smtp://", relay->relay, NULL);
  g_free(f->cfg->hostname);
  f->cfg->hostname = g_strdup("okno.test");
}

static void test_smtp_4xx_is_retried_later_and_the_recipient_never_shown(void **state)
{
  static const FakeStep busy[] = {
    {NULL, "220 relay ESMTP\r\n"},
    {"EHLO okno.test", "250 relay\r\n"},
    {"MAIL FROM:<support@portal.example>", "250 ok\r\n"},
    {"RCPT TO:<ivan@example.ru>", "450 4.2.1 <Ivan@Example.ru>: mailbox busy\r\n"},
    {"QUIT", "221 bye\r\n"},
  };
  static const FakeStep fine[] = {
    {NULL, "220 relay ESMTP\r\n"},
    {"EHLO okno.test", "250 relay\r\n"},
    {"MAIL FROM:<support@portal.example>", "250 ok\r\n"},
    {"RCPT TO:<ivan@example.ru>", "250 ok\r\n"},
    {"DATA", "354 go\r\n"},
    {FAKE_DATA, "250 2.0.0 queued\r\n"},
    {"QUIT", "221 bye\r\n"},
  };
  Fixture *f = *state;
  FakeSmtp relay;
  fake_smtp_start(&relay, busy, G_N_ELEMENTS(busy));
  use_relay(f, &relay);
  OknoOutbound *ob = outbound_for(f);
  assert_int_equal(run_pass(ob), 0);
  fake_smtp_finish(&relay);
  assert_null(relay.mismatch);
  assert_counts(f, 1, 0, 0);
  g_autofree char *ev1 = events_of(f);
  assert_true(g_str_has_prefix(ev1, "outbound_deferred {\"message_id\":\"r1@portal.example\","
                                    "\"transport\":\"smtp\",\"attempt\":1,"
                                    "\"reason\":\"450 4.2.1 <pii:"));
  assert_non_null(strstr(ev1, ">: mailbox busy\",\"next_attempt\":\"2026-11-23T10:01:00Z\"}"));
  assert_null(strcasestr(ev1, "ivan@example.ru"));
  fake_smtp_free(&relay);

  /* the relay's address changes with its port: the next pass uses a new outbound */
  okno_outbound_free(ob);
  fake_smtp_start(&relay, fine, G_N_ELEMENTS(fine));
  use_relay(f, &relay);
  ob = outbound_for(f);
  okno_clock_advance(60 * SEC);
  assert_int_equal(run_pass(ob), 1);
  fake_smtp_finish(&relay);
  assert_null(relay.mismatch);
  /* the relay got the stored bytes, dot-stuffed */
  assert_non_null(strstr(relay.body->str, "\r\n..a line starting with a dot\r\n.\r\n"));
  assert_counts(f, 0, 1, 0);
  g_autofree char *ev2 = events_of(f);
  assert_true(g_str_has_suffix(ev2, "outbound_sent {\"message_id\":\"r1@portal.example\","
                                    "\"transport\":\"smtp\",\"attempt\":2}\n"));
  fake_smtp_free(&relay);
  okno_outbound_free(ob);
}

static void test_smtp_5xx_fails_at_once_with_the_reply(void **state)
{
  static const FakeStep refuse[] = {
    {NULL, "220 relay ESMTP\r\n"},
    {"EHLO okno.test", "250 relay\r\n"},
    {"MAIL FROM:", "550 5.7.1 Relaying denied\r\n"},
    {"QUIT", "221 bye\r\n"},
  };
  Fixture *f = *state;
  FakeSmtp relay;
  fake_smtp_start(&relay, refuse, G_N_ELEMENTS(refuse));
  use_relay(f, &relay);
  OknoOutbound *ob = outbound_for(f);
  assert_int_equal(run_pass(ob), 1);
  fake_smtp_finish(&relay);
  assert_counts(f, 0, 0, 1);
  g_autofree char *ev = events_of(f);
  assert_string_equal(ev, "outbound_failed {\"message_id\":\"r1@portal.example\","
                          "\"transport\":\"smtp\",\"attempt\":1,"
                          "\"reason\":\"550 5.7.1 Relaying denied\"}\n");
  fake_smtp_free(&relay);
  okno_outbound_free(ob);
}

static void test_background_thread_delivers_when_woken_and_stops_cleanly(void **state)
{
  Fixture *f = *state;
  OknoOutbound *ob = outbound_for(f);
  okno_outbound_start(ob);
  okno_outbound_wake(ob);
  gint64 sent = 0, q, x;
  for (int i = 0; i < 100 && sent == 0; i++) {
    g_usleep(50 * 1000);
    assert_true(okno_store_outbound_counts(f->st, &q, &sent, &x, NULL));
  }
  assert_int_equal(sent, 1);
  gint64 t0 = g_get_monotonic_time();
  okno_outbound_free(ob); /* must not wait for the poll interval */
  assert_true(g_get_monotonic_time() - t0 < SEC);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_maildir_delivery_writes_the_exact_bytes_into_new,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_one_pass_delivers_every_due_job_across_batches,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_delivering_the_same_job_twice_leaves_one_file,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(
      test_maildir_failure_is_deferred_with_backoff_doubling_up_to_the_cap, setup, teardown),
    cmocka_unit_test_setup_teardown(test_temporary_failures_give_up_after_the_limit, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(
      test_smtp_4xx_is_retried_later_and_the_recipient_never_shown, setup, teardown),
    cmocka_unit_test_setup_teardown(test_smtp_5xx_fails_at_once_with_the_reply, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(
      test_background_thread_delivers_when_woken_and_stops_cleanly, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
