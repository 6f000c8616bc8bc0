/* test_journal.c: the tamper-evident journal (store/journal.h, ops/journal.h,
 * sec/journal_key.h) on every backend: leaves written with their facts, gap-free
 * sequence across a rolled-back savepoint, signed heads, and okno journal verify
 * finding each kind of tampering done with plain SQL (an UPDATE of a message's text
 * or bytes, a DELETE of an event, two rows swapped, an edited deadline, rows inserted
 * by hand, a changed leaf) and naming the appeal. Each tampering is done inside a
 * transaction, verified there, and rolled back, so the next one starts intact. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "ops/journal.h"
#include "sec/journal_key.h"
#include "store/access.h"
#include "store/appeals.h"
#include "store/db.h"
#include "store/events.h"
#include "store/journal.h"
#include "store/messages.h"
#include "store/store.h"

#define OKNO_STORE_FIXTURE
#include "store_backends.h"

typedef struct {
  gint64 appeal[2];
  gint64 msg_in[2];
  gint64 msg_out[2];
  gint64 event[2];
  char *keydir;
  OknoJournalKey *key;
} World;

static const char *const numbers[2] = {"26-000001-9", "26-000002-4"};

static gint64 add_message(OknoStore *st, gint64 appeal, const char *dir, const char *text)
{
  g_autofree char *bytes = g_strdup_printf("Subject: x\r\n\r\n%s\r\n", text);
  g_autoptr(GBytes) raw = g_bytes_new(bytes, strlen(bytes));
  OknoMessageRow m = {.appeal_id = appeal, .direction = dir, .message_id = "m@example.ru",
                      .sender = "ivan@example.ru", .subject = "Вопрос", .text = text,
                      .raw = raw, .created_at = okno_now()};
  assert_true(okno_store_message_insert(st, &m, NULL));
  return m.id;
}

/* Two appeals, each registered with a message and an event, then a deadline set (an
 * "appeal" leaf), an answer sent and a second event; a head signed. */
static World *populate(OknoStore *st)
{
  World *w = g_new0(World, 1);
  g_autofree char *key_path = NULL;
  w->keydir = g_dir_make_tmp("okno-journal-XXXXXX", NULL);
  key_path = g_build_filename(w->keydir, "journal.key", NULL);
  assert_true(okno_journal_key_create(key_path, NULL));
  w->key = okno_journal_key_load(key_path, NULL);
  assert_non_null(w->key);
  for (int i = 0; i < 2; i++) {
    OknoAppeal a = {.number = (char *)numbers[i], .status = OKNO_STATUS_NEW,
                    .channel = OKNO_CHANNEL_EMAIL, .from_email = "ivan@example.ru",
                    .received_at = okno_now()};
    g_autoptr(OknoAppeal) got = NULL;
    assert_true(okno_store_begin(st, NULL));
    assert_true(okno_store_appeal_insert(st, &a, NULL));
    w->appeal[i] = a.id;
    w->msg_in[i] = add_message(st, a.id, "in", i ? "Прошу помочь" : "Не работает вход");
    assert_true(okno_store_event_add(st, a.id, "registered", "{\"by\":\"intake\"}", NULL));
    /* committed first: a change in the registration's own transaction would fold into
     * its leaf (test_changes_before_the_commit_fold_into_the_registration_leaf) */
    assert_true(okno_store_commit(st, NULL));
    assert_true(okno_store_begin(st, NULL));
    got = okno_store_appeal_get_by_id(st, a.id, NULL);
    got->deadline = okno_now() + G_GINT64_CONSTANT(30) * 86400 * G_USEC_PER_SEC;
    assert_true(okno_store_appeal_update(st, got, NULL));
    assert_true(okno_store_commit(st, NULL));
    assert_true(okno_store_begin(st, NULL));
    w->msg_out[i] = add_message(st, a.id, "out", "Ответ: попробуйте ещё раз");
    assert_true(okno_store_event_add(st, a.id, "answered", "{}", NULL));
    assert_true(okno_store_commit(st, NULL));
  }
  {
    g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st),
                                          "SELECT id FROM events WHERE kind = 'answered' ORDER BY id",
                                          OKNO_NO_PARAMS, NULL);
    w->event[0] = okno_rows_int(r, 0, 0);
    w->event[1] = okno_rows_int(r, 1, 0);
  }
  {
    g_autoptr(OknoJournalHead) h = NULL;
    assert_true(okno_journal_sign(st, w->key, FALSE, &h, NULL));
    assert_int_equal(h->size, 12); /* 2 x (registration, message, event, appeal, message, event) */
  }
  return w;
}

static void world_free(World *w)
{
  g_autofree char *key_path = g_build_filename(w->keydir, "journal.key", NULL);
  g_unlink(key_path);
  g_rmdir(w->keydir);
  g_free(w->keydir);
  okno_journal_key_free(w->key);
  g_free(w);
}

static OknoJournalReport *verify(OknoStore *st, World *w)
{
  g_autoptr(GError) err = NULL;
  OknoJournalReport *r = okno_journal_verify(st, w->key->pk, &err);
  if (!r)
    fail_msg("verify: %s", err->message);
  return r;
}

static void assert_intact(OknoStore *st, World *w)
{
  g_autoptr(OknoJournalReport) r = verify(st, w);
  if (r->problems->len)
    fail_msg("not intact: %s", ((OknoJournalProblem *)r->problems->pdata[0])->what);
}

static void test_leaves_follow_the_facts_and_verify_intact(void **state)
{
  Fx *fx = fixture(state);
  World *w = populate(fx->st);
  g_autoptr(OknoJournalReport) r = verify(fx->st, w);
  g_autoptr(GPtrArray) leaves = okno_store_journal_leaves(fx->st, 0, 100, NULL);
  assert_int_equal(r->problems->len, 0);
  assert_int_equal(r->size, 12);
  assert_int_equal(r->signed_size, 12);
  assert_int_equal(r->facts, 2 + 4 + 4);
  assert_int_equal(leaves->len, 12);
  for (guint i = 0; i < leaves->len; i++)
    assert_int_equal(((OknoJournalLeaf *)leaves->pdata[i])->seq, i + 1);
  assert_string_equal(((OknoJournalLeaf *)leaves->pdata[0])->kind, "registration");
  assert_string_equal(((OknoJournalLeaf *)leaves->pdata[1])->kind, "message_in");
  assert_string_equal(((OknoJournalLeaf *)leaves->pdata[1])->number, numbers[0]);
  assert_string_equal(((OknoJournalLeaf *)leaves->pdata[3])->kind, "appeal");
  assert_string_equal(((OknoJournalLeaf *)leaves->pdata[4])->kind, "message_out");
  world_free(w);
}

/* One tampering, done in a transaction, verified there and rolled back: the first
 * problem names `number` and `record`. */
static void expect_found(OknoStore *st, World *w, const char *sql, const char *number,
                         const char *record)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoJournalReport) r = NULL;
  const OknoJournalProblem *p;
  assert_true(okno_store_begin(st, NULL));
  if (!okno_db_script(okno_store_db(st), sql, &err))
    fail_msg("%s: %s", sql, err->message);
  r = verify(st, w);
  okno_store_rollback(st);
  if (r->problems->len == 0)
    fail_msg("not found: %s", sql);
  p = r->problems->pdata[0];
  if (g_strcmp0(p->number, number) != 0 || g_strcmp0(p->record, record) != 0)
    fail_msg("%s: first problem %s (appeal '%s', %s), expected appeal %s, %s", sql, p->what,
             p->number, p->record, number, record);
  assert_intact(st, w);
}

static void test_tampering_is_found_and_names_the_appeal(void **state)
{
  Fx *fx = fixture(state);
  World *w = populate(fx->st);
  g_autofree char *text = g_strdup_printf("UPDATE messages SET text = 'Подменено' WHERE id = %" G_GINT64_FORMAT, w->msg_in[1]);
  g_autofree char *bytes = g_strdup_printf(
      "UPDATE messages SET raw = (SELECT raw FROM messages WHERE id = %" G_GINT64_FORMAT
      ") WHERE id = %" G_GINT64_FORMAT, w->msg_out[0], w->msg_in[0]);
  g_autofree char *del = g_strdup_printf("DELETE FROM events WHERE id = %" G_GINT64_FORMAT, w->event[1]);
  /* Two answers swap appeals. */
  g_autofree char *swap = g_strdup_printf(
      "UPDATE messages SET appeal_id = CASE id WHEN %" G_GINT64_FORMAT " THEN %" G_GINT64_FORMAT
      " ELSE %" G_GINT64_FORMAT " END WHERE id IN (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ")",
      w->msg_out[0], w->appeal[1], w->appeal[0], w->msg_out[0], w->msg_out[1]);
  g_autofree char *deadline = g_strdup_printf(
      "UPDATE appeals SET deadline = deadline + 86400000000 WHERE number = '%s'", numbers[1]);
  g_autofree char *ins_event = g_strdup_printf(
      "INSERT INTO events(appeal_id, at, kind, detail) VALUES(%" G_GINT64_FORMAT
      ", 1, 'answered', '{}')", w->appeal[1]);
  g_autofree char *ins_msg = g_strdup_printf(
      "INSERT INTO messages(appeal_id, direction, message_id, sender, recipient, subject, text, "
      "content_hash, meta, raw, created_at, automatic) VALUES(%" G_GINT64_FORMAT
      ", 'out', '', '', '', 'Ответ', 'Отказано', '', '{}', (SELECT raw FROM messages WHERE id = 1), 1, 0)",
      w->appeal[0]);
  g_autofree char *status = g_strdup_printf(
      "UPDATE appeals SET status = 'closed' WHERE number = '%s'", numbers[0]);

  assert_intact(fx->st, w);
  expect_found(fx->st, w, text, numbers[1], "message");
  expect_found(fx->st, w, bytes, numbers[0], "message");
  expect_found(fx->st, w, del, numbers[1], "event");
  expect_found(fx->st, w, swap, numbers[0], "message");
  expect_found(fx->st, w, deadline, numbers[1], "appeal");
  expect_found(fx->st, w, ins_event, numbers[1], "event");
  expect_found(fx->st, w, ins_msg, numbers[0], "message");
  expect_found(fx->st, w, status, numbers[0], "appeal");
  /* The journal itself: a leaf changed, or the last leaf deleted (the size no longer
   * matches and the signed tree is short). */
  expect_found(fx->st, w, "UPDATE journal SET leaf = entry WHERE seq = 2", numbers[0], "message");
  expect_found(fx->st, w, "DELETE FROM journal WHERE seq = 12", "", "journal");
  world_free(w);
}

/* An event prepared before its transaction (store/events.h okno_store_event_prepare:
 * the outbound queue's outcomes, prepared outside the group-commit writer) is the same
 * event as okno_store_event_add's: the same entry bytes from its digest, a leaf naming
 * the appeal's number, verified intact, and a change of its detail found. Prepared
 * while the journal was off and added once it is on, it still gets its leaf. */
static void test_a_prepared_event_is_journaled_as_an_added_one(void **state)
{
  Fx *fx = fixture(state);
  World *w = populate(fx->st);
  const char *detail = "{\"message_id\":\"r1@okno\",\"transport\":\"maildir\",\"attempt\":1}";
  OknoEventPrepared p, q;
  guint8 h[OKNO_HASH_LEN];
  g_autoptr(GBytes) plain = okno_journal_entry_event(7, 3, 99, "outbound_sent", detail);
  g_autoptr(GBytes) digested = NULL;
  g_autoptr(GPtrArray) leaves = NULL;
  g_autoptr(OknoRows) ev = NULL;
  g_autofree char *tamper = NULL;
  gint64 size = 0;

  okno_journal_detail_digest(detail, h);
  digested = okno_journal_entry_event_digest(7, 3, 99, "outbound_sent", h);
  assert_true(g_bytes_equal(plain, digested));

  assert_true(okno_store_event_prepare(fx->st, w->appeal[1], NULL, "outbound_sent", detail, &p, NULL));
  assert_true(p.digested);
  assert_string_equal(p.number, numbers[1]);
  okno_journal_set_enabled(FALSE);
  assert_true(okno_store_event_prepare(fx->st, w->appeal[0], NULL, "outbound_deferred", "{}", &q, NULL));
  okno_journal_set_enabled(TRUE);
  assert_false(q.digested);
  assert_true(okno_store_journal_size(fx->st, &size, NULL));
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_event_add_prepared(fx->st, &p, NULL));
  assert_true(okno_store_event_add_prepared(fx->st, &q, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  okno_store_event_prepared_clear(&p);
  okno_store_event_prepared_clear(&q);

  leaves = okno_store_journal_leaves(fx->st, size, 10, NULL);
  assert_int_equal(leaves->len, 2);
  ev = okno_db_query(okno_store_db(fx->st),
                     "SELECT id, at, detail FROM events WHERE kind = 'outbound_sent'",
                     OKNO_NO_PARAMS, NULL);
  assert_int_equal(okno_rows_count(ev), 1);
  assert_string_equal(okno_rows_text(ev, 0, 2), detail);
  {
    const OknoJournalLeaf *l = leaves->pdata[0];
    g_autoptr(GBytes) want = okno_journal_entry_event(okno_rows_int(ev, 0, 0), w->appeal[1],
                                                      okno_rows_int(ev, 0, 1), "outbound_sent",
                                                      detail);
    assert_string_equal(l->kind, "event");
    assert_int_equal(l->ref_id, okno_rows_int(ev, 0, 0));
    assert_string_equal(l->number, numbers[1]);
    assert_true(g_bytes_equal(l->entry, want));
    assert_string_equal(((OknoJournalLeaf *)leaves->pdata[1])->number, numbers[0]);
  }
  assert_intact(fx->st, w);
  tamper = g_strdup_printf("UPDATE events SET detail = '{}' WHERE id = %" G_GINT64_FORMAT,
                           okno_rows_int(ev, 0, 0));
  expect_found(fx->st, w, tamper, numbers[1], "event");
  world_free(w);
}

static void test_a_rolled_back_savepoint_leaves_no_gap(void **state)
{
  Fx *fx = fixture(state);
  World *w = populate(fx->st);
  OknoAppeal a = {.number = "26-000003-0", .status = OKNO_STATUS_NEW,
                  .channel = OKNO_CHANNEL_WEB, .received_at = okno_now()};
  OknoAppeal b = {.number = "26-000004-5", .status = OKNO_STATUS_NEW,
                  .channel = OKNO_CHANNEL_WEB, .received_at = okno_now()};
  gint64 size = 0;
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  okno_store_rollback_to(fx->st);
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &b, NULL));
  assert_true(okno_store_release(fx->st, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  assert_true(okno_store_journal_size(fx->st, &size, NULL));
  assert_int_equal(size, 13);
  assert_intact(fx->st, w);
  world_free(w);
}

/* The registration's leaf says what the registration committed: changes to the appeal
 * in the same transaction (the clock started, the department routed) rewrite that leaf,
 * never a leaf already committed; a change after the commit is a leaf of its own; a
 * rolled-back savepoint forgets the leaf. The journal stays intact throughout. */
static void test_changes_before_the_commit_fold_into_the_registration_leaf(void **state)
{
  Fx *fx = fixture(state);
  World *w = populate(fx->st);
  OknoAppeal a = {.number = "26-000005-0", .status = OKNO_STATUS_NEW,
                  .channel = OKNO_CHANNEL_EMAIL, .received_at = okno_now()};
  OknoAppeal b = {.number = "26-000006-6", .status = OKNO_STATUS_NEW,
                  .channel = OKNO_CHANNEL_WEB, .received_at = okno_now()};
  gint64 size = 0;
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  {
    g_autoptr(OknoAppeal) got = okno_store_appeal_get_by_id(fx->st, a.id, NULL);
    got->deadline = okno_now() + G_GINT64_CONSTANT(30) * 86400 * G_USEC_PER_SEC;
    assert_true(okno_store_appeal_update(fx->st, got, NULL));
    got->priority = OKNO_PRIORITY_URGENT;
    assert_true(okno_store_appeal_update(fx->st, got, NULL));
  }
  assert_true(okno_store_commit(fx->st, NULL));
  assert_true(okno_store_journal_size(fx->st, &size, NULL));
  assert_int_equal(size, 13); /* one leaf for the registration and both changes */
  {
    g_autoptr(GPtrArray) leaves = okno_store_journal_leaves(fx->st, 12, 10, NULL);
    g_autoptr(OknoAppeal) now = okno_store_appeal_get_by_id(fx->st, a.id, NULL);
    g_autoptr(GBytes) want = okno_journal_entry_appeal(now);
    const OknoJournalLeaf *l = leaves->pdata[0];
    assert_string_equal(l->kind, "registration");
    assert_true(g_bytes_equal(l->entry, want));
  }
  assert_intact(fx->st, w);
  /* after the commit: a leaf of its own */
  assert_true(okno_store_begin(fx->st, NULL));
  {
    g_autoptr(OknoAppeal) got = okno_store_appeal_get_by_id(fx->st, a.id, NULL);
    got->priority = OKNO_PRIORITY_NORMAL;
    assert_true(okno_store_appeal_update(fx->st, got, NULL));
  }
  assert_true(okno_store_commit(fx->st, NULL));
  assert_true(okno_store_journal_size(fx->st, &size, NULL));
  assert_int_equal(size, 14);
  /* a savepoint rolled back forgets its registration: b's change is b's own leaf */
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &b, NULL));
  okno_store_rollback_to(fx->st);
  {
    g_autoptr(OknoAppeal) got = okno_store_appeal_get_by_id(fx->st, a.id, NULL);
    got->priority = OKNO_PRIORITY_URGENT;
    assert_true(okno_store_appeal_update(fx->st, got, NULL));
  }
  assert_true(okno_store_commit(fx->st, NULL));
  assert_true(okno_store_journal_size(fx->st, &size, NULL));
  assert_int_equal(size, 15);
  assert_intact(fx->st, w);
  world_free(w);
}

static void test_merge_is_journaled_and_stays_intact(void **state)
{
  Fx *fx = fixture(state);
  World *w = populate(fx->st);
  g_autoptr(OknoAppeal) dup = okno_store_appeal_get_by_id(fx->st, w->appeal[1], NULL);
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_merge(fx->st, dup->id, dup->version, w->appeal[0], numbers[0],
                                      NULL, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  assert_intact(fx->st, w);
  world_free(w);
}

static void test_heads_signatures_and_proofs(void **state)
{
  Fx *fx = fixture(state);
  World *w = populate(fx->st);
  g_autoptr(OknoJournalHead) same = NULL, grown = NULL;
  g_autoptr(OknoJournalReport) r = NULL;
  g_autoptr(GByteArray) proof = NULL;
  g_autoptr(GError) err = NULL;
  g_autofree char *json = NULL;
  guint8 r1[OKNO_HASH_LEN], r2[OKNO_HASH_LEN], other[OKNO_JOURNAL_PK_LEN] = {1};
  gboolean nf = FALSE;
  /* No growth, no new head. */
  assert_true(okno_journal_sign(fx->st, w->key, FALSE, &same, NULL));
  assert_int_equal(same->size, 12);
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_event_add(fx->st, w->appeal[0], "note", "{}", NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  assert_true(okno_journal_sign(fx->st, w->key, FALSE, &grown, NULL));
  assert_int_equal(grown->size, 13);
  {
    g_autoptr(GBytes) msg = okno_journal_head_message(grown->size, grown->root, grown->at);
    assert_true(okno_journal_signature_ok(w->key->pk, msg, grown->signature));
    assert_false(okno_journal_signature_ok(other, msg, grown->signature));
  }
  /* Another key does not verify the heads. */
  r = okno_journal_verify(fx->st, other, NULL);
  assert_non_null(r);
  assert_true(r->problems->len > 0);
  assert_string_equal(((OknoJournalProblem *)r->problems->pdata[0])->record, "head");
  /* Consistency 12 -> 13 with the stored heads' roots. */
  assert_true(okno_journal_consistency(fx->st, 12, 13, r1, r2, &proof, NULL));
  assert_memory_equal(r1, same->root, OKNO_HASH_LEN);
  assert_memory_equal(r2, grown->root, OKNO_HASH_LEN);
  assert_true(okno_merkle_verify_consistency(12, 13, r1, r2, proof->data, proof->len));
  g_clear_pointer(&proof, g_byte_array_unref);
  assert_false(okno_journal_consistency(fx->st, 0, 13, r1, r2, &proof, &err));
  assert_null(proof);
  assert_int_equal(err->code, OKNO_ERROR_USER);
  /* The inclusion proof of a registration. */
  json = okno_journal_proof_json(fx->st, numbers[1], &nf, NULL);
  assert_non_null(json);
  assert_non_null(strstr(json, "\"seq\" : 7"));
  assert_null(okno_journal_proof_json(fx->st, "26-999999-0", &nf, NULL));
  assert_true(nf);
  world_free(w);
}

/* Writers on their own connections at once (nodes sharing one store): the leaves are
 * numbered 1..n with no gap or repeat, and the journal verifies. A transaction that
 * fails with a temporary error (SQLite busy, a PostgreSQL serialisation) is retried,
 * as the callers in okno do. */
typedef struct {
  const char *url;
  gint64 appeal;
} Writer;

static gpointer write_events(gpointer p)
{
  Writer *w = p;
  OknoStore *st = okno_store_open(w->url, NULL);
  assert_non_null(st);
  for (int i = 0; i < 20; i++) {
    for (;;) {
      g_autoptr(GError) err = NULL;
      if (okno_store_begin(st, &err) &&
          okno_store_event_add(st, w->appeal, "note", "{\"n\":1}", &err) &&
          okno_store_event_add(st, w->appeal, "note", "{\"n\":2}", &err) &&
          okno_store_commit(st, &err))
        break;
      okno_store_rollback(st);
      if (!err || err->code != OKNO_ERROR_TEMP)
        fail_msg("writer: %s", err ? err->message : "?");
      g_usleep(1000);
    }
  }
  okno_store_close(st);
  return NULL;
}

static void test_concurrent_writers_leave_no_gap(void **state)
{
  Fx *fx = fixture(state);
  World *w = populate(fx->st);
  Writer wr[4];
  GThread *t[4];
  gint64 size = 0;
  for (int i = 0; i < 4; i++) {
    wr[i] = (Writer){fx->db->url, w->appeal[i % 2]};
    t[i] = g_thread_new("writer", write_events, &wr[i]);
  }
  for (int i = 0; i < 4; i++)
    g_thread_join(t[i]);
  assert_true(okno_store_journal_size(fx->st, &size, NULL));
  assert_int_equal(size, 12 + 4 * 20 * 2);
  assert_intact(fx->st, w);
  world_free(w);
}


/* Staff reads (store/access.h) are leaves; a read deleted or edited by hand is found. */
static void test_staff_reads_are_journaled_and_tampering_found(void **state)
{
  Fx *fx = fixture(state);
  World *w = populate(fx->st);
  OknoAccessRow r = {.user_id = 7, .login = "petrov", .role = "operator", .department = "it",
                     .ip = "192.0.2.10", .action = "view", .appeal_id = w->appeal[1]};
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) leaves = NULL;
  g_autofree char *del = NULL, *ip = NULL;
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_access_add(fx->st, &r, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  leaves = okno_store_journal_leaves(fx->st, 12, 10, NULL);
  assert_int_equal(leaves->len, 1);
  assert_string_equal(((OknoJournalLeaf *)leaves->pdata[0])->kind, "access");
  assert_string_equal(((OknoJournalLeaf *)leaves->pdata[0])->number, numbers[1]);
  list = okno_store_access_list(fx->st, w->appeal[1], 0, 10, NULL);
  assert_int_equal(list->len, 1);
  assert_string_equal(((OknoAccessRow *)list->pdata[0])->ip, "192.0.2.10");
  assert_string_equal(((OknoAccessRow *)list->pdata[0])->number, numbers[1]);
  assert_intact(fx->st, w);
  del = g_strdup_printf("DELETE FROM access_log WHERE id = %" G_GINT64_FORMAT, r.id);
  ip = g_strdup_printf("UPDATE access_log SET ip = '198.51.100.1' WHERE id = %" G_GINT64_FORMAT, r.id);
  expect_found(fx->st, w, del, numbers[1], "access");
  expect_found(fx->st, w, ip, numbers[1], "access");
  world_free(w);
}

/* The appeal's entry covers subject, contact, department, assignee and priority:
 * an assignment is journaled, and each of them edited by hand is found. */
static void test_appeal_entry_covers_subject_contact_department(void **state)
{
  Fx *fx = fixture(state);
  World *w = populate(fx->st);
  gint64 size = 0, v = 0;
  static const char *const edits[] = {
      "subject = 'Другое'", "from_email = 'x@example.ru'", "department = 'legal'",
      "priority = 'urgent'",
  };
  g_autoptr(OknoAppeal) a = okno_store_appeal_get_by_id(fx->st, w->appeal[0], NULL);
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_assign(fx->st, a->id, a->version, "it", 0, &v, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  assert_true(okno_store_journal_size(fx->st, &size, NULL));
  assert_int_equal(size, 13);
  assert_intact(fx->st, w);
  for (guint i = 0; i < G_N_ELEMENTS(edits); i++) {
    g_autofree char *sql =
        g_strdup_printf("UPDATE appeals SET %s WHERE number = '%s'", edits[i], numbers[0]);
    expect_found(fx->st, w, sql, numbers[0], "appeal");
  }
  world_free(w);
}

/* A leaf written in version 1 (no subject, contact...) still verifies against its row. */
static void test_version_1_appeal_leaves_still_verify(void **state)
{
  Fx *fx = fixture(state);
  World *w = populate(fx->st);
  g_autoptr(OknoAppeal) a = okno_store_appeal_get_by_id(fx->st, w->appeal[0], NULL);
  OknoAppeal b = {.number = "26-000005-0", .status = OKNO_STATUS_NEW,
                  .channel = OKNO_CHANNEL_WEB, .subject = "Тема", .received_at = okno_now()};
  g_autoptr(GBytes) v1 = NULL;
  gsize len;
  const char *d;
  g_autofree char *sql = NULL;
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &b, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  /* rewrite b's leaf as version 1 would have written it (and its hash) */
  {
    g_autoptr(OknoAppeal) got = okno_store_appeal_get_by_id(fx->st, b.id, NULL);
    guint8 leaf[OKNO_HASH_LEN];
    v1 = okno_journal_entry_appeal_v(got, 1);
    d = g_bytes_get_data(v1, &len);
    assert_true(g_str_has_prefix(d, "okno-journal 1\n"));
    okno_merkle_leaf_hash(d, len, leaf);
    assert_true(okno_db_exec(okno_store_db(fx->st),
                             "UPDATE journal SET entry = $1, leaf = $2 WHERE ref = 'appeal' "
                             "AND ref_id = $3",
                             OKNO_PARAMS(OKNO_BLOB(d, len), OKNO_BLOB(leaf, OKNO_HASH_LEN),
                                         OKNO_INT(b.id)),
                             NULL));
  }
  assert_intact(fx->st, w); /* no head covers leaf 13 yet */
  sql = g_strdup_printf("UPDATE appeals SET status = 'closed' WHERE id = %" G_GINT64_FORMAT, b.id);
  expect_found(fx->st, w, sql, "26-000005-0", "appeal");
  (void)a;
  world_free(w);
}

static gboolean has_problem(const OknoJournalReport *r, const char *what)
{
  for (guint i = 0; i < r->problems->len; i++)
    if (strstr(((OknoJournalProblem *)r->problems->pdata[i])->what, what))
      return TRUE;
  return FALSE;
}

/* okno journal rotate-key: the rotation is a leaf signed by both keys, heads after it
 * are signed by the new key, and verify accepts either key as the one trusted; a head
 * signed by the retired key after the rotation, and a rotation leaf changed by hand,
 * are found. */
static void test_key_rotation_keeps_old_heads_verifiable(void **state)
{
  Fx *fx = fixture(state);
  World *w = populate(fx->st);
  g_autofree char *key_path = g_build_filename(w->keydir, "journal.key", NULL);
  g_autoptr(OknoJournalHead) h = NULL, h3 = NULL, stale = NULL, fresh = NULL;
  g_autoptr(OknoJournalKey) k2 = NULL, k3 = NULL;
  g_autoptr(OknoJournalReport) r = NULL;
  g_autoptr(GError) err = NULL;
  g_autofree char *history = NULL;
  g_autoptr(OknoJournalKeyring) ring = NULL;
  guint8 pk1[OKNO_JOURNAL_PK_LEN], other[OKNO_JOURNAL_PK_LEN] = {7};
  memcpy(pk1, w->key->pk, sizeof pk1);

  assert_true(okno_journal_rotate_key(fx->st, key_path, &h, &err));
  assert_null(err);
  k2 = okno_journal_key_load(key_path, NULL);
  assert_non_null(k2);
  assert_string_not_equal(k2->fingerprint, w->key->fingerprint);
  assert_int_equal(h->size, 13); /* the rotation's leaf */
  assert_string_equal(h->key_id, k2->fingerprint);
  {
    g_autofree char *next = g_strconcat(key_path, ".next", NULL);
    assert_false(g_file_test(next, G_FILE_TEST_EXISTS));
  }
  /* Either key verifies the journal; a stranger's does not. */
  r = okno_journal_verify(fx->st, pk1, NULL);
  assert_int_equal(r->problems->len, 0);
  g_clear_pointer(&r, okno_journal_report_free);
  r = okno_journal_verify(fx->st, k2->pk, NULL);
  assert_int_equal(r->problems->len, 0);
  g_clear_pointer(&r, okno_journal_report_free);
  r = okno_journal_verify(fx->st, other, NULL);
  assert_true(has_problem(r, "not one of the journal's keys"));
  g_clear_pointer(&r, okno_journal_report_free);

  /* The retired key signs a head after the rotation: found. */
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_event_add(fx->st, w->appeal[0], "note", "{}", NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  assert_true(okno_journal_sign(fx->st, w->key, FALSE, &stale, NULL));
  r = okno_journal_verify(fx->st, pk1, NULL);
  assert_true(has_problem(r, "retired"));
  g_clear_pointer(&r, okno_journal_report_free);
  assert_true(okno_db_exec(okno_store_db(fx->st), "DELETE FROM journal_heads WHERE size = 14",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_journal_sign(fx->st, k2, FALSE, &fresh, NULL));
  assert_int_equal(fresh->size, 14);
  r = okno_journal_verify(fx->st, pk1, NULL);
  assert_int_equal(r->problems->len, 0);
  g_clear_pointer(&r, okno_journal_report_free);

  /* The key history: two keys, the first valid for heads below the rotation's leaf. */
  history = okno_journal_keys_json(fx->st, k2->pk, &err);
  assert_non_null(history);
  ring = okno_journal_keyring_parse(history, &err);
  assert_non_null(ring);
  assert_int_equal(ring->keys->len, 2);
  assert_int_equal(((OknoJournalKeyPeriod *)ring->keys->pdata[0])->until_seq, 13);
  assert_int_equal(((OknoJournalKeyPeriod *)ring->keys->pdata[1])->from_seq, 13);
  assert_memory_equal(((OknoJournalKeyPeriod *)ring->keys->pdata[0])->pk, pk1, sizeof pk1);

  /* A second rotation chains on; the first key still verifies everything. */
  assert_true(okno_journal_rotate_key(fx->st, key_path, &h3, NULL));
  k3 = okno_journal_key_load(key_path, NULL);
  assert_string_equal(h3->key_id, k3->fingerprint);
  r = okno_journal_verify(fx->st, pk1, NULL);
  if (r->problems->len)
    fail_msg("after two rotations: %s", ((OknoJournalProblem *)r->problems->pdata[0])->what);
  g_clear_pointer(&r, okno_journal_report_free);
  /* Rotating with a key file that is no longer current is refused. */
  {
    g_autofree char *stale_path = g_build_filename(w->keydir, "old.key", NULL);
    g_autoptr(GError) e = NULL;
    g_autoptr(OknoJournalKeyring) again = NULL;
    g_autofree char *again_json = okno_journal_keys_json(fx->st, NULL, NULL);
    again = okno_journal_keyring_parse(again_json, NULL);
    assert_int_equal(again->keys->len, 3);
    assert_true(okno_journal_key_create(stale_path, NULL));
    assert_false(okno_journal_rotate_key(fx->st, stale_path, NULL, &e));
    assert_int_equal(e->code, OKNO_ERROR_USER);
    assert_non_null(strstr(e->message, "current key"));
    g_unlink(stale_path);
    g_free(g_steal_pointer(&stale_path));
    stale_path = g_strconcat(w->keydir, "/old.key.next", NULL);
    g_unlink(stale_path);
  }
  /* A rotation leaf changed by hand (its new key's signature), leaf hash recomputed too. */
  {
    g_autoptr(OknoRows) rows = okno_db_query(okno_store_db(fx->st),
                                             "SELECT seq, entry FROM journal WHERE ref = 'journal_key' ORDER BY seq LIMIT 1",
                                             OKNO_NO_PARAMS, NULL);
    g_autoptr(GBytes) e = okno_rows_blob(rows, 0, 1);
    gsize len;
    const char *d = g_bytes_get_data(e, &len);
    g_autofree char *text = g_strndup(d, len);
    char *sig = strstr(text, "\nnew_signature=") + strlen("\nnew_signature=");
    guint8 leaf[OKNO_HASH_LEN];
    sig[0] = sig[0] == '0' ? '1' : '0';
    okno_merkle_leaf_hash(text, len, leaf);
    assert_true(okno_db_exec(okno_store_db(fx->st), "UPDATE journal SET entry = $1, leaf = $2 WHERE seq = $3",
                             OKNO_PARAMS(OKNO_BLOB(text, len), OKNO_BLOB(leaf, sizeof leaf),
                                         OKNO_INT(okno_rows_int(rows, 0, 0))), NULL));
    r = okno_journal_verify(fx->st, pk1, NULL);
    assert_true(has_problem(r, "not signed by both keys"));
  }
  world_free(w);
}

/* A daemon signs a head at start, before anything is received: a journal of no leaves
 * under a head of size 0 (the root of the empty tree, RFC 9162) is intact, and stays so
 * once it grows. */
static void test_an_empty_journal_under_a_signed_head_is_intact(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *dir = g_dir_make_tmp("okno-journal-XXXXXX", NULL);
  g_autofree char *key_path = g_build_filename(dir, "journal.key", NULL);
  OknoJournalKey *key = NULL;
  g_autoptr(OknoJournalHead) h = NULL;
  g_autoptr(OknoJournalReport) r = NULL;
  assert_true(okno_journal_key_create(key_path, NULL));
  key = okno_journal_key_load(key_path, NULL);
  assert_non_null(key);
  assert_true(okno_journal_sign(fx->st, key, TRUE, &h, NULL));
  assert_int_equal(h->size, 0);
  r = okno_journal_verify(fx->st, key->pk, NULL);
  assert_non_null(r);
  assert_int_equal(r->signed_size, 0);
  if (r->problems->len)
    fail_msg("not intact: %s", ((OknoJournalProblem *)r->problems->pdata[0])->what);
  okno_journal_key_free(key);
  g_unlink(key_path);
  g_rmdir(dir);
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  /* These tests build journals of single-fact leaves, as okno wrote them before
   * batches: they must still verify and still name every tampering. Batches are
   * tampered with in tests/unit/test_journal_batch.c. */
  okno_journal_set_batches(FALSE);
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_leaves_follow_the_facts_and_verify_intact),
    ON_BOTH(test_tampering_is_found_and_names_the_appeal),
    ON_BOTH(test_a_prepared_event_is_journaled_as_an_added_one),
    ON_BOTH(test_a_rolled_back_savepoint_leaves_no_gap),
    ON_BOTH(test_changes_before_the_commit_fold_into_the_registration_leaf),
    ON_BOTH(test_merge_is_journaled_and_stays_intact),
    ON_BOTH(test_heads_signatures_and_proofs),
    ON_BOTH(test_concurrent_writers_leave_no_gap),
    ON_BOTH(test_staff_reads_are_journaled_and_tampering_found),
    ON_BOTH(test_appeal_entry_covers_subject_contact_department),
    ON_BOTH(test_version_1_appeal_leaves_still_verify),
    ON_BOTH(test_key_rotation_keeps_old_heads_verifiable),
    ON_BOTH(test_an_empty_journal_under_a_signed_head_is_intact),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
