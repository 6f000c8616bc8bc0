/* test_store.c: the store's domain operations on a real SQLite file.
 * Each test opens a fresh store in a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <stdlib.h>
#include <json-glib/json-glib.h>

#include "core/clock.h"
#include "store/store.h"

typedef struct {
  char *dir;
  char *url;
  OknoStore *st;
} Fx;

static int setup(void **state)
{
  Fx *fx = g_new0(Fx, 1);
  fx->dir = g_dir_make_tmp("okno-store-XXXXXX", NULL);
  fx->url = g_strdup_printf("sqlite:%s/okno.db", fx->dir);
  fx->st = okno_store_open(fx->url, NULL);
  assert_non_null(fx->st);
  okno_clock_set(G_GINT64_CONSTANT(1795000000) * G_USEC_PER_SEC);
  *state = fx;
  return 0;
}

static int teardown(void **state)
{
  Fx *fx = *state;
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", fx->dir);
  okno_store_close(fx->st);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(fx->dir);
  g_free(fx->url);
  g_free(fx);
  okno_clock_set(0);
  return 0;
}

static gint64 add_appeal(OknoStore *st, const char *number, const char *email)
{
  OknoAppeal a = {.number = (char *)number, .status = "new", .channel = "email",
                  .from_email = (char *)email, .received_at = okno_now()};
  assert_true(okno_store_begin(st, NULL));
  assert_true(okno_store_appeal_insert(st, &a, NULL));
  assert_true(okno_store_commit(st, NULL));
  return a.id;
}

static gint64 add_message(OknoStore *st, gint64 appeal, const char *dir, const char *msgid,
                          const char *sender, const char *hash)
{
  g_autoptr(GBytes) raw = g_bytes_new_static("Subject: x\r\n\r\nbody\r\n", 21);
  OknoMessageRow m = {.appeal_id = appeal, .direction = dir, .message_id = msgid,
                      .sender = sender, .content_hash = hash, .raw = raw,
                      .created_at = okno_now()};
  assert_true(okno_store_message_insert(st, &m, NULL));
  return m.id;
}

static void test_counters_count_from_one_per_name(void **state)
{
  Fx *fx = *state;
  gint64 v = 0;
  assert_true(okno_store_next_seq(fx->st, "appeal-2026", &v, NULL));
  assert_int_equal(v, 1);
  assert_true(okno_store_next_seq(fx->st, "appeal-2026", &v, NULL));
  assert_int_equal(v, 2);
  assert_true(okno_store_next_seq(fx->st, "appeal-2027", &v, NULL));
  assert_int_equal(v, 1);
}

static void test_appeal_roundtrip_and_unknown_number_is_not_an_error(void **state)
{
  Fx *fx = *state;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoAppeal) a = NULL;
  g_autoptr(OknoAppeal) none = NULL;
  gint64 id = add_appeal(fx->st, "26-000001-5", "ivan@example.ru");
  a = okno_store_appeal_get(fx->st, "26-000001-5", &err);
  assert_non_null(a);
  assert_int_equal(a->id, id);
  assert_string_equal(a->from_email, "ivan@example.ru");
  assert_string_equal(a->status, "new");
  assert_int_equal(a->received_at, okno_now());
  none = okno_store_appeal_get(fx->st, "26-999999-0", &err);
  assert_null(none);
  assert_null(err);
}

static void test_reopening_keeps_data_and_does_not_migrate_twice(void **state)
{
  Fx *fx = *state;
  OknoStore *again;
  g_autoptr(OknoAppeal) a = NULL;
  add_appeal(fx->st, "26-000001-5", "a@example.ru");
  again = okno_store_open(fx->url, NULL);
  assert_non_null(again);
  a = okno_store_appeal_get(again, "26-000001-5", NULL);
  assert_non_null(a);
  okno_store_close(again);
}

static void test_rollback_leaves_nothing(void **state)
{
  Fx *fx = *state;
  OknoAppeal a = {.number = "26-000002-3", .status = "new", .channel = "email",
                  .received_at = okno_now()};
  g_autoptr(OknoAppeal) back = NULL;
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  okno_store_rollback(fx->st);
  back = okno_store_appeal_get(fx->st, "26-000002-3", NULL);
  assert_null(back);
}

static void test_savepoint_undoes_one_job_only(void **state)
{
  Fx *fx = *state;
  OknoAppeal a = {.number = "26-000003-1", .status = "new", .channel = "email", .received_at = 1};
  OknoAppeal b = {.number = "26-000004-9", .status = "new", .channel = "email", .received_at = 1};
  g_autoptr(OknoAppeal) ka = NULL;
  g_autoptr(OknoAppeal) kb = NULL;
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  assert_true(okno_store_release(fx->st, NULL));
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &b, NULL));
  okno_store_rollback_to(fx->st);
  assert_true(okno_store_commit(fx->st, NULL));
  ka = okno_store_appeal_get(fx->st, a.number, NULL);
  kb = okno_store_appeal_get(fx->st, b.number, NULL);
  assert_non_null(ka);
  assert_null(kb);
}

static void test_duplicate_found_by_message_id_or_recent_hash_of_same_sender(void **state)
{
  Fx *fx = *state;
  gint64 id = add_appeal(fx->st, "26-000001-5", "a@example.ru");
  gint64 day = G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC;
  add_message(fx->st, id, "in", "m1@example.ru", "a@example.ru", "h1");
  assert_int_equal(okno_store_find_duplicate(fx->st, "a@example.ru", "m1@example.ru", "zz", 0, NULL), id);
  /* Another sender with the same Message-ID is not a duplicate. */
  assert_int_equal(okno_store_find_duplicate(fx->st, "b@example.ru", "m1@example.ru", "zz", 0, NULL), 0);
  /* Same content hash: only within the window. */
  assert_int_equal(okno_store_find_duplicate(fx->st, "a@example.ru", "m2", "h1", okno_now() - day, NULL), id);
  assert_int_equal(okno_store_find_duplicate(fx->st, "a@example.ru", "m2", "h1", okno_now() + 1, NULL), 0);
}

static void test_find_by_message_ids_sees_both_directions(void **state)
{
  Fx *fx = *state;
  gint64 id = add_appeal(fx->st, "26-000001-5", "a@example.ru");
  const char *const ids[] = {"unknown@x", "okno.26-000001-5.abc@okno", NULL};
  const char *const none[] = {"", "nothing@here", NULL};
  add_message(fx->st, id, "out", "okno.26-000001-5.abc@okno", "support@portal.example", "");
  assert_int_equal(okno_store_find_by_message_ids(fx->st, ids, NULL), id);
  assert_int_equal(okno_store_find_by_message_ids(fx->st, none, NULL), 0);
}

static void test_outbound_claim_lease_retry_and_states(void **state)
{
  Fx *fx = *state;
  gint64 id = add_appeal(fx->st, "26-000001-5", "a@example.ru");
  gint64 msg = add_message(fx->st, id, "out", "r1@okno", "support@portal.example", "");
  gint64 now = okno_now(), lease = 60 * G_USEC_PER_SEC, q, s, f;
  g_autoptr(GPtrArray) first = NULL, second = NULL, third = NULL, fourth = NULL;
  OknoOutboundJob *j;

  assert_true(okno_store_outbound_enqueue(fx->st, id, msg, "support@portal.example", "a@example.ru", TRUE, NULL));
  assert_int_equal(okno_store_count_automatic(fx->st, "a@example.ru", now - 1, NULL), 1);
  assert_int_equal(okno_store_count_automatic(fx->st, "b@example.ru", now - 1, NULL), 0);

  first = okno_store_outbound_claim(fx->st, now, lease, 10, NULL);
  assert_int_equal(first->len, 1);
  j = first->pdata[0];
  assert_string_equal(j->env_to, "a@example.ru");
  assert_string_equal(j->message_id, "r1@okno");
  assert_int_equal(j->attempts, 1);
  assert_int_equal(g_bytes_get_size(j->raw), 21);
  /* Leased: nobody else gets it until the lease runs out. */
  second = okno_store_outbound_claim(fx->st, now + 1, lease, 10, NULL);
  assert_int_equal(second->len, 0);
  third = okno_store_outbound_claim(fx->st, now + lease, lease, 10, NULL);
  assert_int_equal(third->len, 1);
  assert_true(okno_store_outbound_retry(fx->st, j->id, now + 10 * lease, "451 try later", NULL));
  fourth = okno_store_outbound_claim(fx->st, now + 2 * lease, lease, 10, NULL);
  assert_int_equal(fourth->len, 0);
  assert_true(okno_store_outbound_sent(fx->st, j->id, now, NULL));
  assert_true(okno_store_outbound_counts(fx->st, &q, &s, &f, NULL));
  assert_int_equal(q, 0);
  assert_int_equal(s, 1);
  assert_int_equal(f, 0);
}

static void test_appeal_json_has_the_contract_fields(void **state)
{
  Fx *fx = *state;
  gint64 id = add_appeal(fx->st, "26-000001-5", "a@example.ru");
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) p = json_parser_new();
  JsonObject *o;
  add_message(fx->st, id, "in", "m1@x", "a@example.ru", "h");
  assert_true(okno_store_event_add(fx->st, id, "registered", "{\"number\":\"26-000001-5\"}", NULL));
  text = okno_store_appeal_json(fx->st, "26-000001-5", NULL);
  assert_non_null(text);
  assert_true(json_parser_load_from_data(p, text, -1, NULL));
  o = json_node_get_object(json_parser_get_root(p));
  assert_string_equal(json_object_get_string_member(o, "number"), "26-000001-5");
  assert_string_equal(json_object_get_string_member(o, "status"), "new");
  assert_string_equal(json_object_get_string_member(o, "channel"), "email");
  assert_string_equal(json_object_get_string_member(json_object_get_object_member(o, "from"), "email"),
                      "a@example.ru");
  /* 1795000000 = 2026-11-18T11:06:40Z = 14:06:40 in Moscow. */
  assert_string_equal(json_object_get_string_member(o, "received_at"), "2026-11-18T14:06:40+03:00");
  assert_int_equal(json_array_get_length(json_object_get_array_member(o, "messages")), 1);
  assert_int_equal(json_array_get_length(json_object_get_array_member(o, "events")), 1);
  assert_null(okno_store_appeal_json(fx->st, "26-000009-9", NULL));
}

static void test_list_is_newest_first_and_filters(void **state)
{
  Fx *fx = *state;
  g_autofree char *all = NULL, *mine = NULL;
  g_autoptr(JsonParser) p = json_parser_new();
  JsonArray *arr;
  OknoListFilter f = {.from_email = "B@example.ru"};
  add_appeal(fx->st, "26-000001-5", "a@example.ru");
  okno_clock_advance(G_USEC_PER_SEC);
  add_appeal(fx->st, "26-000002-3", "b@example.ru");
  all = okno_store_list_json(fx->st, NULL, NULL);
  assert_true(json_parser_load_from_data(p, all, -1, NULL));
  arr = json_node_get_array(json_parser_get_root(p));
  assert_int_equal(json_array_get_length(arr), 2);
  assert_string_equal(json_object_get_string_member(json_array_get_object_element(arr, 0), "number"),
                      "26-000002-3");
  mine = okno_store_list_json(fx->st, &f, NULL);
  assert_true(json_parser_load_from_data(p, mine, -1, NULL));
  arr = json_node_get_array(json_parser_get_root(p));
  assert_int_equal(json_array_get_length(arr), 1);
}

static void test_unknown_url_scheme_is_a_user_error(void **state)
{
  g_autoptr(GError) err = NULL;
  OknoStore *st = okno_store_open("mysql://nowhere", &err);
  assert_null(st);
  assert_non_null(err);
  assert_non_null(strstr(err->message, "not supported"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_counters_count_from_one_per_name, setup, teardown),
    cmocka_unit_test_setup_teardown(test_appeal_roundtrip_and_unknown_number_is_not_an_error, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reopening_keeps_data_and_does_not_migrate_twice, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_savepoint_undoes_one_job_only, setup, teardown),
    cmocka_unit_test_setup_teardown(test_duplicate_found_by_message_id_or_recent_hash_of_same_sender, setup, teardown),
    cmocka_unit_test_setup_teardown(test_find_by_message_ids_sees_both_directions, setup, teardown),
    cmocka_unit_test_setup_teardown(test_outbound_claim_lease_retry_and_states, setup, teardown),
    cmocka_unit_test_setup_teardown(test_appeal_json_has_the_contract_fields, setup, teardown),
    cmocka_unit_test_setup_teardown(test_list_is_newest_first_and_filters, setup, teardown),
    cmocka_unit_test(test_unknown_url_scheme_is_a_user_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
