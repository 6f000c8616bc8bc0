/* test_store.c: the store's domain operations, on every backend.
 * Each test runs on a fresh SQLite file, and again (named pg_...) on a fresh
 * PostgreSQL database when OKNO_TEST_PG_URL names a server (scripts/check starts a
 * throw-away one); without it the PostgreSQL runs are skipped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <stdlib.h>
#include <json-glib/json-glib.h>

#include "core/clock.h"
#include "core/error.h"
#include "store/appeal_row.h"
#include "store/appeals.h"
#include "store/classify.h"
#include "store/db.h"
#include "store/events.h"
#include "store/kb.h"
#include "store/messages.h"
#include "store/migrations.h"
#include "store/outbound.h"
#include "store/staff.h"
#include "store/store.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"


/* What `okno list --json` prints for these appeals. */
static char *list_json(OknoStore *st, const OknoListFilter *f)
{
  g_autoptr(GPtrArray) appeals = okno_store_list(st, f, NULL);
  assert_non_null(appeals);
  return okno_appeals_json(appeals);
}

static gint64 add_appeal(OknoStore *st, const char *number, const char *email)
{
  OknoAppeal a = {.number = (char *)number, .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
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
  Fx *fx = fixture(state);
  gint64 v = 0;
  assert_true(okno_store_next_seq(fx->st, "appeal-2026", &v, NULL));
  assert_int_equal(v, 1);
  assert_true(okno_store_next_seq(fx->st, "appeal-2026", &v, NULL));
  assert_int_equal(v, 2);
  assert_true(okno_store_next_seq(fx->st, "appeal-2027", &v, NULL));
  assert_int_equal(v, 1);
}

/* A model's version and the knowledge base's generation are read once per transaction
 * (store.h, okno_store_memo_get): a change by another writer shows from the next
 * transaction on, a change through this store at once. */
static void test_values_read_once_per_transaction(void **state)
{
  Fx *fx = fixture(state);
  OknoDb *db = okno_store_db(fx->st);
  g_autoptr(GBytes) model = g_bytes_new_static("m", 1);
  g_autofree char *gen0 = NULL, *gen1 = NULL, *gen2 = NULL, *gen3 = NULL;
  assert_true(okno_store_begin(fx->st, NULL));
  assert_int_equal(okno_store_model_version(fx->st, "topic", NULL), 0);
  gen0 = okno_store_kb_generation(fx->st, NULL);
  /* as another writer would: not through the store's functions */
  assert_true(okno_db_exec(db, "INSERT INTO classify_models(name, model, version, examples, "
                               "last_example, trained_at) VALUES('topic', $1, 7, 0, 0, 0)",
                           OKNO_PARAMS(OKNO_BLOB("m", 1)), NULL));
  assert_true(okno_db_exec(db, "UPDATE kb_state SET generation = generation + 5 WHERE id = 1",
                           OKNO_NO_PARAMS, NULL));
  assert_int_equal(okno_store_model_version(fx->st, "topic", NULL), 0);
  gen1 = okno_store_kb_generation(fx->st, NULL);
  assert_string_equal(gen1, gen0);
  {
    g_autoptr(GPtrArray) rules = NULL;
    rules = okno_store_route_list(fx->st, NULL);
    assert_int_equal(rules->len, 0);
    g_clear_pointer(&rules, g_ptr_array_unref);
    assert_true(okno_db_exec(db, "INSERT INTO departments(code, name, created_at) "
                                 "VALUES('it', 'ИТ', 0)", OKNO_NO_PARAMS, NULL));
    assert_true(okno_db_exec(db, "INSERT INTO routing_rules(position, kind, value, department, "
                                 "created_at) VALUES(1, 'keyword', 'код', 'it', 0)",
                             OKNO_NO_PARAMS, NULL));
    rules = okno_store_route_list(fx->st, NULL);
    assert_int_equal(rules->len, 0);
    g_clear_pointer(&rules, g_ptr_array_unref);
    {
      OknoRouteRule r = {.kind = "keyword", .value = "смс", .department = "it"};
      assert_true(okno_store_route_add(fx->st, &r, NULL));
    }
    rules = okno_store_route_list(fx->st, NULL);
    assert_int_equal(rules->len, 2);
  }
  /* through the store: forgotten at once */
  assert_true(okno_store_model_save(fx->st, "topic", model, 1, 1, NULL));
  assert_int_equal(okno_store_model_version(fx->st, "topic", NULL), 8);
  assert_true(okno_store_kb_add(fx->st, "Статья", "Текст", "", "", "admin", NULL) > 0);
  gen2 = okno_store_kb_generation(fx->st, NULL);
  assert_string_not_equal(gen2, gen0);
  assert_true(okno_store_commit(fx->st, NULL));
  /* outside a transaction: read every time */
  assert_true(okno_db_exec(db, "UPDATE kb_state SET generation = generation + 1 WHERE id = 1",
                           OKNO_NO_PARAMS, NULL));
  gen3 = okno_store_kb_generation(fx->st, NULL);
  assert_string_not_equal(gen3, gen2);
}

static void test_appeal_roundtrip_and_unknown_number_is_not_an_error(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoAppeal) a = NULL;
  g_autoptr(OknoAppeal) none = NULL;
  gint64 id = add_appeal(fx->st, "26-000001-5", "ivan@example.ru");
  a = okno_store_appeal_get(fx->st, "26-000001-5", &err);
  assert_non_null(a);
  assert_int_equal(a->id, id);
  assert_string_equal(a->from_email, "ivan@example.ru");
  assert_int_equal(a->status, OKNO_STATUS_NEW);
  assert_int_equal(a->received_at, okno_now());
  none = okno_store_appeal_get(fx->st, "26-999999-0", &err);
  assert_null(none);
  assert_null(err);
}

static void test_reopening_keeps_data_and_does_not_migrate_twice(void **state)
{
  Fx *fx = fixture(state);
  OknoStore *again;
  g_autoptr(OknoAppeal) a = NULL;
  add_appeal(fx->st, "26-000001-5", "a@example.ru");
  again = okno_store_open(fx->db->url, NULL);
  assert_non_null(again);
  a = okno_store_appeal_get(again, "26-000001-5", NULL);
  assert_non_null(a);
  okno_store_close(again);
}

static void test_rollback_leaves_nothing(void **state)
{
  Fx *fx = fixture(state);
  OknoAppeal a = {.number = "26-000002-3", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
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
  Fx *fx = fixture(state);
  OknoAppeal a = {.number = "26-000003-1", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL, .received_at = 1};
  OknoAppeal b = {.number = "26-000004-9", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL, .received_at = 1};
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
  Fx *fx = fixture(state);
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
  Fx *fx = fixture(state);
  gint64 id = add_appeal(fx->st, "26-000001-5", "a@example.ru");
  const char *const ids[] = {"unknown@x", "okno.26-000001-5.abc@okno", NULL};
  const char *const none[] = {"", "nothing@here", NULL};
  add_message(fx->st, id, "out", "okno.26-000001-5.abc@okno", "support@portal.example", "");
  assert_int_equal(okno_store_find_by_message_ids(fx->st, ids, NULL), id);
  assert_int_equal(okno_store_find_by_message_ids(fx->st, none, NULL), 0);
}

static void test_outbound_claim_lease_retry_and_states(void **state)
{
  Fx *fx = fixture(state);
  gint64 id = add_appeal(fx->st, "26-000001-5", "a@example.ru");
  gint64 msg = add_message(fx->st, id, "out", "r1@okno", "support@portal.example", "");
  gint64 now = okno_now(), lease = 60 * G_USEC_PER_SEC, q, s, f;
  g_autoptr(GPtrArray) first = NULL, second = NULL, third = NULL, fourth = NULL;
  OknoOutboundJob *j;

  assert_true(okno_store_outbound_enqueue(fx->st, id, msg, "support@portal.example", "a@example.ru", TRUE, NULL));
  assert_int_equal(okno_store_count_automatic(fx->st, "a@example.ru", now - 1, NULL), 1);
  assert_int_equal(okno_store_count_automatic(fx->st, "b@example.ru", now - 1, NULL), 0);

  first = okno_store_outbound_claim(fx->st, now, lease, 10, "node-a", NULL);
  assert_int_equal(first->len, 1);
  j = first->pdata[0];
  assert_string_equal(j->env_to, "a@example.ru");
  assert_string_equal(j->message_id, "r1@okno");
  assert_string_equal(j->number, "26-000001-5"); /* read with the claim, for its events */
  assert_int_equal(j->attempts, 1);
  assert_int_equal(g_bytes_get_size(j->raw), 21);
  /* Leased: nobody else gets it until the lease runs out. */
  second = okno_store_outbound_claim(fx->st, now + 1, lease, 10, "node-a", NULL);
  assert_int_equal(second->len, 0);
  third = okno_store_outbound_claim(fx->st, now + lease, lease, 10, "node-a", NULL);
  assert_int_equal(third->len, 1);
  assert_true(okno_store_outbound_retry(fx->st, j->id, now + 10 * lease, "451 try later", NULL));
  fourth = okno_store_outbound_claim(fx->st, now + 2 * lease, lease, 10, "node-a", NULL);
  assert_int_equal(fourth->len, 0);
  {
    /* A node that starts again takes back what its previous life had claimed; another
     * node's release leaves that lease alone. */
    g_autoptr(GPtrArray) leased = NULL, after_other = NULL, after_own = NULL;
    assert_true(okno_store_outbound_retry(fx->st, j->id, now, "again", NULL));
    leased = okno_store_outbound_claim(fx->st, now, lease, 10, "node-a", NULL);
    assert_int_equal(leased->len, 1);
    assert_true(okno_store_outbound_release(fx->st, "node-b", NULL));
    after_other = okno_store_outbound_claim(fx->st, now + 1, lease, 10, "node-b", NULL);
    assert_int_equal(after_other->len, 0);
    assert_true(okno_store_outbound_release(fx->st, "node-a", NULL));
    after_own = okno_store_outbound_claim(fx->st, now + 1, lease, 10, "node-a", NULL);
    assert_int_equal(after_own->len, 1);
  }
  assert_true(okno_store_outbound_sent(fx->st, j->id, now, NULL));
  assert_true(okno_store_outbound_counts(fx->st, &q, &s, &f, NULL));
  assert_int_equal(q, 0);
  assert_int_equal(s, 1);
  assert_int_equal(f, 0);
}

static void test_appeal_json_has_the_contract_fields(void **state)
{
  Fx *fx = fixture(state);
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
  Fx *fx = fixture(state);
  g_autofree char *all = NULL, *mine = NULL;
  g_autoptr(JsonParser) p = json_parser_new();
  JsonArray *arr;
  OknoListFilter f = {.from_email = "B@example.ru"};
  add_appeal(fx->st, "26-000001-5", "a@example.ru");
  okno_clock_advance(G_USEC_PER_SEC);
  add_appeal(fx->st, "26-000002-3", "b@example.ru");
  all = list_json(fx->st, NULL);
  assert_true(json_parser_load_from_data(p, all, -1, NULL));
  arr = json_node_get_array(json_parser_get_root(p));
  assert_int_equal(json_array_get_length(arr), 2);
  assert_string_equal(json_object_get_string_member(json_array_get_object_element(arr, 0), "number"),
                      "26-000002-3");
  mine = list_json(fx->st, &f);
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

static void test_raw_bytes_and_attachment_data_come_back_byte_for_byte(void **state)
{
  Fx *fx = fixture(state);
  static const char raw_bytes[] = "Subject: \xff\xfe\r\n\r\n\x00\\x00 \\\\ '\"\x01\r\n";
  static const char att_bytes[] = "\x00\x01\x02\\x41\xff";
  g_autoptr(GBytes) raw = g_bytes_new_static(raw_bytes, sizeof raw_bytes - 1);
  g_autoptr(GBytes) att_data = g_bytes_new_static(att_bytes, sizeof att_bytes - 1);
  g_autoptr(GBytes) back = NULL, data_back = NULL;
  g_autoptr(OknoRows) r = NULL;
  OknoAttachment att = {.filename = "scan.bin", .declared_type = "application/octet-stream",
                        .content_type = "application/octet-stream", .size = sizeof att_bytes - 1,
                        .sha256 = "00", .data = att_data};
  gint64 id = add_appeal(fx->st, "26-000001-5", "a@example.ru");
  OknoMessageRow m = {.appeal_id = id, .direction = "in", .raw = raw, .created_at = okno_now()};

  assert_true(okno_store_message_insert(fx->st, &m, NULL));
  assert_true(okno_store_attachment_insert(fx->st, m.id, &att, NULL, NULL));
  back = okno_store_appeal_message_raw(fx->st, "26-000001-5", 1, NULL);
  assert_non_null(back);
  assert_int_equal(g_bytes_get_size(back), sizeof raw_bytes - 1);
  assert_memory_equal(g_bytes_get_data(back, NULL), raw_bytes, sizeof raw_bytes - 1);
  r = okno_db_query(okno_store_db(fx->st), "SELECT data, size, refused FROM attachments WHERE message_ref = $1",
                    OKNO_PARAMS(OKNO_INT(m.id)), NULL);
  assert_non_null(r);
  assert_int_equal(okno_rows_count(r), 1);
  data_back = okno_rows_blob(r, 0, 0);
  assert_int_equal(g_bytes_get_size(data_back), 8);
  assert_memory_equal(g_bytes_get_data(data_back, NULL), att_bytes, 8);
  assert_int_equal(okno_rows_int(r, 0, 1), 8);
  assert_true(okno_rows_is_null(r, 0, 2));
}

static void test_a_broken_constraint_is_an_internal_error_undone_by_its_savepoint(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoAppeal) kept = NULL;
  OknoAppeal a = {.number = "26-000001-5", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL, .received_at = 1};
  OknoAppeal twin = {.number = "26-000001-5", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL, .received_at = 2};
  OknoAppeal after = {.number = "26-000002-3", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL, .received_at = 3};
  g_autoptr(OknoAppeal) after_back = NULL;

  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_false(okno_store_appeal_insert(fx->st, &twin, &err));
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_INTERNAL));
  okno_store_rollback_to(fx->st);
  /* The transaction goes on after the savepoint is undone. */
  assert_true(okno_store_appeal_insert(fx->st, &after, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  kept = okno_store_appeal_get(fx->st, "26-000001-5", NULL);
  assert_non_null(kept);
  assert_int_equal(kept->received_at, 1);
  after_back = okno_store_appeal_get(fx->st, "26-000002-3", NULL);
  assert_non_null(after_back);
}

typedef struct {
  const char *url;
  GError *error;
} Opener;

static gpointer open_store(gpointer p)
{
  Opener *o = p;
  OknoStore *st = okno_store_open(o->url, &o->error);
  okno_store_close(st);
  return NULL;
}

static void test_stores_opened_at_once_migrate_the_schema_once(void **state)
{
  Fx *fx = fixture(state);
  TestDb *fresh = test_db_new(fx->db->pg);
  enum { N = 4 };
  Opener openers[N];
  GThread *threads[N];
  OknoStore *st;
  g_autoptr(OknoRows) r = NULL;

  for (int i = 0; i < N; i++) {
    openers[i] = (Opener){.url = fresh->url};
    threads[i] = g_thread_new("opener", open_store, &openers[i]);
  }
  for (int i = 0; i < N; i++) {
    g_thread_join(threads[i]);
    if (openers[i].error)
      fail_msg("opener %d: %s", i, openers[i].error->message);
  }
  st = okno_store_open(fresh->url, NULL);
  assert_non_null(st);
  r = okno_db_query(okno_store_db(st), "SELECT count(*), max(version) FROM schema_version",
                    OKNO_NO_PARAMS, NULL);
  assert_non_null(r);
  {
    /* One row per step, each applied once, up to the latest. */
    guint steps = 0;
    okno_migrations(okno_store_db(st)->driver->name, &steps);
    assert_true(steps >= 1);
    assert_int_equal(okno_rows_int(r, 0, 0), steps);
    assert_int_equal(okno_rows_int(r, 0, 1), steps);
  }
  g_clear_pointer(&r, okno_rows_free);
  r = okno_db_query(okno_store_db(st), "SELECT count(*) FROM meta WHERE key = 'instance'",
                    OKNO_NO_PARAMS, NULL);
  assert_int_equal(okno_rows_int(r, 0, 0), 1);
  okno_store_close(st);
  test_db_free(fresh);
}

static void test_pg_two_claimers_skip_each_others_jobs_instead_of_waiting(void **state)
{
  Fx *fx = fixture(state);
  OknoStore *other = okno_store_open(fx->db->url, NULL);
  gint64 id = add_appeal(fx->st, "26-000001-5", "a@example.ru");
  gint64 msg = add_message(fx->st, id, "out", "r1@okno", "support@portal.example", "");
  gint64 now = okno_now(), lease = 60 * G_USEC_PER_SEC;
  g_autoptr(GPtrArray) mine = NULL, theirs = NULL;
  g_autoptr(GError) err = NULL;

  assert_non_null(other);
  assert_true(okno_store_outbound_enqueue(fx->st, id, msg, "s@p", "a@example.ru", TRUE, NULL));
  okno_clock_advance(1);
  assert_true(okno_store_outbound_enqueue(fx->st, id, msg, "s@p", "b@example.ru", TRUE, NULL));
  /* Without SKIP LOCKED the other claimer would wait for our transaction: make that
   * wait an error instead of a hang. */
  assert_true(okno_db_exec(okno_store_db(other), "SET statement_timeout = 3000", OKNO_NO_PARAMS, NULL));
  assert_true(okno_store_begin(fx->st, NULL));
  mine = okno_store_outbound_claim(fx->st, now + 1, lease, 1, "node-a", NULL);
  assert_int_equal(mine->len, 1);
  assert_string_equal(((OknoOutboundJob *)mine->pdata[0])->env_to, "a@example.ru");
  theirs = okno_store_outbound_claim(other, now + 1, lease, 10, "node-b", &err);
  if (!theirs)
    fail_msg("second claimer: %s", err->message);
  assert_int_equal(theirs->len, 1);
  assert_string_equal(((OknoOutboundJob *)theirs->pdata[0])->env_to, "b@example.ru");
  assert_true(okno_store_commit(fx->st, NULL));
  okno_store_close(other);
}

static gint64 backend_pid(OknoStore *st)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), "SELECT pg_backend_pid()",
                                        OKNO_NO_PARAMS, NULL);
  assert_non_null(r);
  return okno_rows_int(r, 0, 0);
}

static void kill_backend(OknoStore *killer, gint64 pid)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(killer),
                                        "SELECT pg_terminate_backend($1::int)",
                                        OKNO_PARAMS(OKNO_INT(pid)), NULL);
  assert_non_null(r);
  assert_int_equal(okno_rows_int(r, 0, 0), 1);
}

static char *jit_setting(OknoStore *st)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), "SHOW jit", OKNO_NO_PARAMS, NULL);
  assert_non_null(r);
  return g_strdup(okno_rows_text(r, 0, 0));
}

/* The rows of `sql` for `number`, prepared or not, as "id|number|email" lines. */
static char *read_by_number(OknoDb *db, const char *sql, const char *number, gboolean prepared)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoRows) r = prepared ? okno_db_query_prepared(db, sql, OKNO_PARAMS(OKNO_TEXT(number)), &err)
                                   : okno_db_query(db, sql, OKNO_PARAMS(OKNO_TEXT(number)), &err);
  GString *out = g_string_new(NULL);
  assert_null(err);
  assert_non_null(r);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_string_append_printf(out, "%" G_GINT64_FORMAT "|%s|%s\n", okno_rows_int(r, i, 0),
                           okno_rows_text(r, i, 1), okno_rows_text(r, i, 2));
  return g_string_free(out, FALSE);
}

/* db.h okno_db_query_prepared: the rows okno_db_query gives for every value, also
 * past the runs after which PostgreSQL may keep one generic plan, and after a lost
 * connection was made again (its names forgotten); on PostgreSQL the statement is
 * named once: its first run costs two round trips (the Parse, then the statement),
 * every later run one. */
static void test_a_prepared_read_answers_as_a_plain_one(void **state)
{
  Fx *fx = fixture(state);
  OknoDb *db = okno_store_db(fx->st);
  const char *sql = "SELECT id, number, from_email FROM appeals WHERE number = $1 ORDER BY id";
  const char *numbers[] = {"26-000001-5", "26-000002-3", "26-000404-0"};
  gboolean pg = !okno_db_is_sqlite(db);
  guint64 before;

  add_appeal(fx->st, numbers[0], "first@example.ru");
  add_appeal(fx->st, numbers[1], "second@example.ru");
  before = okno_db_round_trips(db);
  for (int k = 0; k < 12; k++) {
    const char *n = numbers[k % 3];
    g_autofree char *got = read_by_number(db, sql, n, TRUE);
    g_autofree char *want = NULL;
    if (pg) /* before the plain read's own round trip */
      assert_int_equal(okno_db_round_trips(db) - before, k == 0 ? 2 : 1);
    want = read_by_number(db, sql, n, FALSE);
    assert_string_equal(got, want);
    assert_int_equal(*got != '\0', k % 3 != 2);
    before = okno_db_round_trips(db);
  }
  if (pg) {
    OknoStore *killer = okno_store_open(fx->db->url, NULL);
    g_autoptr(GError) err = NULL;
    g_autofree char *got = NULL, *want = NULL;
    gint64 v = 0;
    assert_non_null(killer);
    kill_backend(killer, backend_pid(fx->st));
    assert_false(okno_store_next_seq(fx->st, "c", &v, &err)); /* finds it lost */
    before = okno_db_round_trips(db);
    got = read_by_number(db, sql, numbers[1], TRUE);
    assert_int_equal(okno_db_round_trips(db) - before, 2); /* named again */
    want = read_by_number(db, sql, numbers[1], FALSE);
    assert_string_equal(got, want);
    assert_non_null(strstr(got, "second@example.ru"));
    okno_store_close(killer);
  }
}

/* pg.c: every session of okno runs without the server's JIT, also once a lost
 * connection was made again. */
static void test_pg_sessions_run_without_jit(void **state)
{
  Fx *fx = fixture(state);
  OknoStore *killer = okno_store_open(fx->db->url, NULL);
  g_autofree char *first = NULL, *again = NULL;
  g_autoptr(GError) err = NULL;
  gint64 v = 0;

  assert_non_null(killer);
  first = jit_setting(fx->st);
  assert_string_equal(first, "off");
  kill_backend(killer, backend_pid(fx->st));
  assert_false(okno_store_next_seq(fx->st, "c", &v, &err)); /* finds it lost */
  again = jit_setting(fx->st);
  assert_string_equal(again, "off");
  okno_store_close(killer);
}

static void test_pg_a_lost_connection_is_temporary_and_never_splits_a_transaction(void **state)
{
  Fx *fx = fixture(state);
  OknoStore *killer = okno_store_open(fx->db->url, NULL);
  OknoAppeal a = {.number = "26-000001-5", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL, .received_at = 1};
  OknoAppeal b = {.number = "26-000002-3", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL, .received_at = 1};
  g_autoptr(OknoAppeal) a_back = NULL, b_back = NULL;
  g_autoptr(GError) err = NULL, err2 = NULL;
  gint64 v = 0;

  assert_non_null(killer);
  /* Outside a transaction: the statement that finds the connection dead fails as
   * temporary, and the next one runs on a new connection. */
  kill_backend(killer, backend_pid(fx->st));
  assert_false(okno_store_next_seq(fx->st, "c", &v, &err));
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_TEMP));
  assert_true(okno_store_next_seq(fx->st, "c", &v, NULL));
  assert_int_equal(v, 1);
  g_clear_error(&err);

  /* Inside one: every statement fails until the ROLLBACK, so the rest of the
   * transaction never lands on its own in autocommit. */
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  kill_backend(killer, backend_pid(fx->st));
  assert_false(okno_store_appeal_insert(fx->st, &b, &err));
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_TEMP));
  assert_false(okno_store_commit(fx->st, &err2));
  assert_true(g_error_matches(err2, OKNO_ERROR, OKNO_ERROR_TEMP));
  okno_store_rollback(fx->st);
  a_back = okno_store_appeal_get(fx->st, a.number, NULL);
  b_back = okno_store_appeal_get(fx->st, b.number, NULL);
  assert_null(a_back);
  assert_null(b_back);
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &b, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  okno_store_close(killer);
}

/* The row mapper (db.h): one table of fields reads a row into a record, enums by name;
 * a name the table does not know is an internal error naming the column. */
typedef struct {
  gint64 n;
  gboolean flag;
  char *text;
  int colour; /* red, green */
  int shade;  /* light, dark; "" -> -1 */
} MapRecord;

static void test_rows_map_reads_every_field_type_and_refuses_an_unknown_name(void **state)
{
  Fx *fx = fixture(state);
  static const char *const colours[] = {"red", "green", NULL};
  static const char *const shades[] = {"light", "dark", NULL};
  static const OknoField fields[] = {
    OKNO_FIELD(MapRecord, n, "7", OKNO_F_INT),
    OKNO_FIELD(MapRecord, flag, "1", OKNO_F_BOOL),
    OKNO_FIELD(MapRecord, text, "NULL", OKNO_F_TEXT),
    OKNO_FIELD_ENUM(MapRecord, colour, "'green'", colours, 0),
    OKNO_FIELD_ENUM(MapRecord, shade, "''", shades, -1),
  };
  g_autofree char *cols = okno_fields_sql(fields, G_N_ELEMENTS(fields));
  assert_string_equal(cols, "7, 1, NULL, 'green', ''");
  g_autofree char *sql = g_strdup_printf("SELECT 0, %s", cols);
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(fx->st), sql, OKNO_NO_PARAMS, NULL);
  assert_non_null(r);
  MapRecord m = {0};
  assert_true(okno_rows_map(r, 0, 1, fields, G_N_ELEMENTS(fields), &m, NULL));
  assert_int_equal(m.n, 7);
  assert_true(m.flag);
  assert_string_equal(m.text, "");
  assert_int_equal(m.colour, 1);
  assert_int_equal(m.shade, -1);
  g_free(m.text);

  static const OknoField strict[] = {OKNO_FIELD_ENUM(MapRecord, colour, "'blue'", colours, 0)};
  g_autoptr(OknoRows) bad = okno_db_query(okno_store_db(fx->st), "SELECT 'blue'",
                                          OKNO_NO_PARAMS, NULL);
  g_autoptr(GError) err = NULL;
  assert_false(okno_rows_map(bad, 0, 0, strict, 1, &m, &err));
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_INTERNAL));
  assert_non_null(strstr(err->message, "'blue'"));
  g_autoptr(OknoRows) empty = okno_db_query(okno_store_db(fx->st), "SELECT ''",
                                            OKNO_NO_PARAMS, NULL);
  g_clear_error(&err);
  assert_false(okno_rows_map(empty, 0, 0, strict, 1, &m, &err)); /* "" is not a colour */
}

/* The appeal's select list, written out for static SQL, is its field table's. */
static void test_appeal_columns_are_the_field_tables(void **state)
{
  g_autofree char *cols = okno_fields_sql(okno_appeal_fields, OKNO_APPEAL_N_FIELDS);
  (void)state;
  assert_string_equal(cols, OKNO_APPEAL_COLUMNS);
}

static void map_record_free(MapRecord *m)
{
  if (!m)
    return;
  g_free(m->text);
  g_free(m);
}

static void test_records_all_and_first_and_a_statement_written_once(void **state)
{
  Fx *fx = fixture(state);
  OknoDb *db = okno_store_db(fx->st);
  static const char *const colours[] = {"red", "green", NULL};
  static const OknoField fields[] = {
    OKNO_FIELD(MapRecord, n, "n", OKNO_F_INT),
    OKNO_FIELD(MapRecord, text, "t", OKNO_F_TEXT),
    OKNO_FIELD_ENUM(MapRecord, colour, "c", colours, 0),
  };
  static const OknoRecordType type = OKNO_RECORD_TYPE(MapRecord, fields, map_record_free);
  static gsize sql;
  const char *stmt = okno_record_sql(&sql, "SELECT ", &type,
                                     " FROM (SELECT 1 AS n, 'a' AS t, 'red' AS c UNION ALL "
                                     "SELECT 2, NULL, $1) x ORDER BY n");
  assert_string_equal(stmt, "SELECT n, t, c FROM (SELECT 1 AS n, 'a' AS t, 'red' AS c UNION ALL "
                            "SELECT 2, NULL, $1) x ORDER BY n");
  assert_ptr_equal(okno_record_sql(&sql, "other", &type, ""), stmt); /* built once */
  g_autoptr(GPtrArray) all = okno_db_records(db, stmt, OKNO_PARAMS(OKNO_TEXT("green")), &type, NULL);
  assert_int_equal(all->len, 2);
  assert_int_equal(((MapRecord *)all->pdata[1])->n, 2);
  assert_string_equal(((MapRecord *)all->pdata[1])->text, "");
  assert_int_equal(((MapRecord *)all->pdata[1])->colour, 1);
  MapRecord *first = okno_db_record(db, stmt, OKNO_PARAMS(OKNO_TEXT("green")), &type, NULL);
  assert_string_equal(first->text, "a");
  map_record_free(first);

  g_autoptr(GError) err = NULL;
  assert_null(okno_db_records(db, stmt, OKNO_PARAMS(OKNO_TEXT("blue")), &type, &err));
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_INTERNAL));
  assert_null(okno_db_record(db, "SELECT 1, '', 'red' WHERE 1 = 0", OKNO_NO_PARAMS, &type, NULL));
}

static void test_schema_version_and_instance_id(void **state)
{
  Fx *fx = fixture(state);
  guint steps = 0;
  gint64 version = 0;
  g_autofree char *id = NULL;
  okno_migrations(okno_store_db(fx->st)->driver->name, &steps);
  assert_true(okno_store_schema_version(fx->st, &version, NULL));
  assert_int_equal(version, steps);
  assert_true(okno_store_instance_id(fx->st, &id, NULL));
  assert_true(strlen(id) > 0);
}

/* Each test on SQLite, then as pg_<name> on PostgreSQL. Without a server the
 * PostgreSQL runs have no fixture (cmocka 1.1.5 counts a teardown after skip() as a
 * failure) and skip themselves in fixture(). */
#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG(f) ON_PG_AS(#f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_counters_count_from_one_per_name),
    ON_BOTH(test_values_read_once_per_transaction),
    ON_BOTH(test_appeal_roundtrip_and_unknown_number_is_not_an_error),
    ON_BOTH(test_reopening_keeps_data_and_does_not_migrate_twice),
    ON_BOTH(test_rollback_leaves_nothing),
    ON_BOTH(test_savepoint_undoes_one_job_only),
    ON_BOTH(test_duplicate_found_by_message_id_or_recent_hash_of_same_sender),
    ON_BOTH(test_find_by_message_ids_sees_both_directions),
    ON_BOTH(test_outbound_claim_lease_retry_and_states),
    ON_BOTH(test_appeal_json_has_the_contract_fields),
    ON_BOTH(test_list_is_newest_first_and_filters),
    ON_BOTH(test_raw_bytes_and_attachment_data_come_back_byte_for_byte),
    ON_BOTH(test_a_broken_constraint_is_an_internal_error_undone_by_its_savepoint),
    ON_BOTH(test_stores_opened_at_once_migrate_the_schema_once),
    ON_BOTH(test_rows_map_reads_every_field_type_and_refuses_an_unknown_name),
    ON_BOTH(test_records_all_and_first_and_a_statement_written_once),
    ON_BOTH(test_schema_version_and_instance_id),
    ON_BOTH(test_a_prepared_read_answers_as_a_plain_one),
    ON_PG(test_pg_two_claimers_skip_each_others_jobs_instead_of_waiting),
    ON_PG(test_pg_a_lost_connection_is_temporary_and_never_splits_a_transaction),
    ON_PG(test_pg_sessions_run_without_jit),
    cmocka_unit_test(test_unknown_url_scheme_is_a_user_error),
    cmocka_unit_test(test_appeal_columns_are_the_field_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
