/* test_chat_store.c: the store's parts of issue 22's chat gaps, on every backend: a
 * chat's department (migration 34), the Telegram link codes (store/tg_link.h: used
 * once, case and dash free, expiring), the cross-node notices' payload and, on
 * PostgreSQL, a notice of another node received through store/chat_listen.h while
 * this process's own are dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/clock.h"
#include "store/chat.h"
#include "store/chat_listen.h"
#include "store/db.h"
#include "store/store.h"
#include "store/tg_link.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

static void test_a_chat_keeps_its_department(void **state)
{
  Fx *fx = fixture(state);
  gint64 id = 0;
  g_autoptr(OknoChatRow) before = NULL;
  g_autoptr(OknoChatRow) after = NULL;
  g_autoptr(GPtrArray) open = NULL;
  assert_true(okno_store_chat_create(fx->st, "aa", NULL, &id, NULL));
  before = okno_store_chat_get(fx->st, id, NULL);
  assert_string_equal(before->department, "");
  assert_true(okno_store_chat_set_department(fx->st, id, "transport", NULL));
  after = okno_store_chat_get(fx->st, id, NULL);
  assert_string_equal(after->department, "transport");
  open = okno_store_chat_open(fx->st, 10, NULL);
  assert_int_equal(open->len, 1);
  assert_string_equal(((OknoChatRow *)open->pdata[0])->department, "transport");
}

static void test_a_link_code_is_used_once_in_any_case_and_expires(void **state)
{
  Fx *fx = fixture(state);
  gint64 now = okno_now(), min = 60 * G_USEC_PER_SEC;
  g_autofree char *got = NULL;
  g_autofree char *again = NULL;
  g_autofree char *late = NULL;
  g_autofree char *wrong = NULL;
  assert_true(okno_store_tg_link_add(fx->st, "ABCDE-FGHJK", "tg.42@telegram.invalid",
                                     now + 15 * min, now, NULL));
  assert_true(okno_store_tg_link_add(fx->st, "ZZZZZ-ZZZZZ", "tg.43@telegram.invalid",
                                     now + min, now, NULL));
  wrong = okno_store_tg_link_take(fx->st, "ABCDE-FGHJL", now, NULL);
  assert_null(wrong);
  got = okno_store_tg_link_take(fx->st, " abcde fghjk ", now, NULL);
  assert_non_null(got);
  assert_string_equal(got, "tg.42@telegram.invalid");
  again = okno_store_tg_link_take(fx->st, "ABCDE-FGHJK", now, NULL);
  assert_null(again);
  late = okno_store_tg_link_take(fx->st, "ZZZZZZZZZZ", now + 2 * min, NULL);
  assert_null(late);
}

static void test_notice_payloads(void **state)
{
  char node[17];
  gint64 chat = 0, msg = 0;
  (void)state;
  assert_true(okno_chat_notice_parse("0123456789abcdef:5:7", node, &chat, &msg));
  assert_string_equal(node, "0123456789abcdef");
  assert_int_equal(chat, 5);
  assert_int_equal(msg, 7);
  assert_true(okno_chat_notice_parse("0123456789abcdef:5:0", node, &chat, &msg));
  assert_int_equal(msg, 0);
  assert_false(okno_chat_notice_parse("0123456789abcdef:0:7", node, &chat, &msg));
  assert_false(okno_chat_notice_parse("0123456789abcde:5:7", node, &chat, &msg));
  assert_false(okno_chat_notice_parse("0123456789abcdef:5", node, &chat, &msg));
  assert_false(okno_chat_notice_parse("0123456789abcdef:5:7:1", node, &chat, &msg));
  assert_false(okno_chat_notice_parse("0123456789abcdef:x:7", node, &chat, &msg));
  assert_false(okno_chat_notice_parse(NULL, node, &chat, &msg));
  assert_int_equal(strlen(okno_store_chat_node()), 16);
}

static void collect(gint64 chat, gint64 msg, gpointer user)
{
  g_array_append_val((GArray *)user, chat);
  g_array_append_val((GArray *)user, msg);
}

static void test_a_listener_gets_other_nodes_notices_only(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(GError) err = NULL;
  g_autoptr(GArray) got = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autofree char *own = g_strdup_printf("%s:9:9", okno_store_chat_node());
  OknoChatListener *l = okno_chat_listen_open(fx->db->url, &err);
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  gint64 id = 0, msg = 0;
  assert_null(err);
  if (!fx->db->pg) {
    assert_null(l); /* SQLite: one node, nothing to listen to */
    return;
  }
  assert_non_null(l);
  /* connect without blocking, then wait for the server's answer to the LISTEN */
  for (OknoListenWant want = OKNO_LISTEN_WRITE; !okno_chat_listen_listening(l);) {
    GPollFD fd = {okno_chat_listen_fd(l), want == OKNO_LISTEN_WRITE ? G_IO_OUT : G_IO_IN, 0};
    assert_true(g_get_monotonic_time() < deadline);
    g_poll(&fd, 1, 200);
    if (want != OKNO_LISTEN_READY)
      want = okno_chat_listen_step(l, NULL);
    else
      assert_true(okno_chat_listen_drain(l, collect, got, NULL));
    assert_int_not_equal(want, OKNO_LISTEN_FAILED);
  }
  /* this process's own notice (a chat and a message written here) is dropped */
  assert_true(okno_store_chat_create(fx->st, "bb", NULL, &id, NULL));
  assert_true(okno_store_chat_add(fx->st, id, "citizen", NULL, "текст", &msg, NULL));
  okno_rows_free(okno_db_query(okno_store_db(fx->st), "SELECT pg_notify('okno_chat', $1)",
                               OKNO_PARAMS(OKNO_TEXT(own)), NULL));
  /* another node's */
  okno_rows_free(okno_db_query(okno_store_db(fx->st), "SELECT pg_notify('okno_chat', $1)",
                               OKNO_PARAMS(OKNO_TEXT("fedcba9876543210:5:7")), NULL));
  while (got->len < 2 && g_get_monotonic_time() < deadline) {
    GPollFD fd = {okno_chat_listen_fd(l), G_IO_IN, 0};
    g_poll(&fd, 1, 200);
    assert_true(okno_chat_listen_drain(l, collect, got, NULL));
  }
  assert_int_equal(got->len, 2);
  assert_int_equal(g_array_index(got, gint64, 0), 5);
  assert_int_equal(g_array_index(got, gint64, 1), 7);
  okno_chat_listen_close(l);
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_a_chat_keeps_its_department),
    ON_BOTH(test_a_link_code_is_used_once_in_any_case_and_expires),
    ON_BOTH(test_a_listener_gets_other_nodes_notices_only),
    cmocka_unit_test(test_notice_payloads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
