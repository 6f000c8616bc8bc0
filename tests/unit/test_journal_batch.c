/* test_journal_batch.c: what one registration costs the journal, and that every fact
 * of it is provable from its leaf (docs/journal.md, "Batches" and "What a registration
 * costs").
 *
 * A letter goes through intake's stages as the pipeline runs them (parse, verify, then
 * register inside a savepoint of a group transaction, as the store writer does) on a
 * fresh store of each backend, with and without a journal key. The journal's work
 * counters (store/journal.h) give the leaves, facts, statements and SHA-256 work of that
 * one registration; then every row the registration wrote (the appeal, its messages,
 * its events) is looked up in its leaf: the entry recomputed here from the row must be
 * one of the leaf's facts, the leaf must hash its entry, and its inclusion proof must
 * lead to a signed head. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/paths.h"
#include "intake/register.h"
#include "intake/verify.h"
#include "ops/journal.h"
#include "sec/journal_key.h"
#include "store/appeals.h"
#include "store/db.h"
#include "store/events.h"
#include "store/journal.h"
#include "store/journal_batch.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

static OknoConfig *cfg;
static OknoSlaEnv *sla;

static const char LETTER[] =
    "From: Иван Петров <ivan@example.ru>\r\nTo: support@portal.example\r\n"
    "Subject: Не приходит код\r\nMessage-ID: <m1@example.ru>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "Третий день не могу войти в личный кабинет: SMS с кодом подтверждения не приходит.\r\n";

/* One registration as the store writer runs it: a group transaction, the job in a
 * savepoint. Returns the counters' difference over it; *number the appeal's number. */
static OknoJournalCounters register_letter(Fx *fx, const char *letter, char **number)
{
  g_autoptr(GBytes) raw = g_bytes_new_static(letter, strlen(letter));
  OknoEnvelope env = {.channel = OKNO_CHANNEL_EMAIL};
  g_autoptr(OknoParsed) p = okno_parse(cfg, raw, &env, okno_now());
  g_autoptr(OknoBlocklist) bl = okno_blocklist_new();
  g_autoptr(GError) err = NULL;
  OknoIntakeResult res = {0};
  OknoJournalCounters before, after, d;
  assert_true(okno_verify(cfg, p, NULL));
  okno_journal_counters(&before);
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_savepoint(fx->st, NULL));
  if (!okno_register(sla, bl, fx->st, p, &res, &err))
    fail_msg("register: %s", err->message);
  assert_true(okno_store_release(fx->st, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  okno_journal_counters(&after);
  assert_int_equal(res.outcome, OKNO_INTAKE_CREATED);
  *number = g_steal_pointer(&res.number);
  okno_intake_result_clear(&res);
  d.leaves = after.leaves - before.leaves;
  d.facts = after.facts - before.facts;
  d.statements = after.statements - before.statements;
  d.sha256_calls = after.sha256_calls - before.sha256_calls;
  d.sha256_bytes = after.sha256_bytes - before.sha256_bytes;
  return d;
}

static OknoJournalCounters register_one(Fx *fx, char **number)
{
  return register_letter(fx, LETTER, number);
}

static gint64 count(Fx *fx, const char *sql)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(fx->st), sql, OKNO_NO_PARAMS, NULL);
  assert_non_null(r);
  return okno_rows_int(r, 0, 0);
}

static void report(const char *what, const OknoJournalCounters *d, gint64 rows)
{
  print_message("journal cost of one registration (%s): %" G_GUINT64_FORMAT " leaves, %"
                G_GUINT64_FORMAT " facts, %" G_GUINT64_FORMAT " statements, %" G_GUINT64_FORMAT
                " SHA-256 over %" G_GUINT64_FORMAT " bytes; %" G_GINT64_FORMAT " journal rows\n",
                what, d->leaves, d->facts, d->statements, d->sha256_calls, d->sha256_bytes, rows);
}

/* Every row of appeal `number` (the appeal, its messages, its events) recomputes to
 * the entry of its latest leaf, that leaf hashes its entry, and its inclusion proof
 * leads to the root of a head signed with `key`; returns how many rows. */
static guint every_fact_is_provable(Fx *fx, const OknoJournalKey *key, const char *number)
{
  static const char *const refs[] = {"appeal", "message", "event"};
  g_autoptr(OknoJournalHead) head = NULL;
  g_autoptr(GByteArray) hashes = NULL;
  guint proved = 0;
  assert_true(okno_journal_sign(fx->st, key, FALSE, &head, NULL));
  hashes = okno_store_journal_leaf_hashes(fx->st, 1, head->size, NULL);
  assert_non_null(hashes);
  for (guint k = 0; k < G_N_ELEMENTS(refs); k++) {
    g_autoptr(GPtrArray) facts = okno_store_journal_facts(fx->st, refs[k], 0, G_MAXINT64, 1000, NULL);
    assert_non_null(facts);
    for (guint i = 0; i < facts->len; i++) {
      OknoJournalFact *f = facts->pdata[i];
      g_autoptr(OknoJournalFactPage) page = NULL;
      g_autoptr(GByteArray) proof = NULL;
      const GArray *views;
      const OknoJournalFactView *v;
      guint8 leaf[OKNO_HASH_LEN];
      if (g_strcmp0(f->number, number) != 0)
        continue;
      page = okno_store_journal_fact_page(fx->st, refs[k], f->id - 1, f->id, NULL);
      assert_non_null(page);
      views = okno_journal_fact_page_facts(page);
      assert_true(views->len >= 1);
      v = &g_array_index(views, OknoJournalFactView, views->len - 1); /* the latest: the row as it is */
      assert_int_equal(v->len, g_bytes_get_size(f->entry));
      assert_memory_equal(v->entry, g_bytes_get_data(f->entry, NULL), v->len);
      okno_merkle_leaf_hash(v->hashed, v->hashed_len, leaf); /* what the leaf hashes */
      assert_int_equal(v->leaf_len, OKNO_HASH_LEN);
      assert_memory_equal(leaf, v->leaf, OKNO_HASH_LEN);
      proof = okno_merkle_inclusion_proof(hashes->data, (guint64)head->size, (guint64)v->seq - 1);
      assert_true(okno_merkle_verify_inclusion(leaf, (guint64)v->seq - 1, (guint64)head->size,
                                               proof->data, proof->len, head->root));
      proved++;
    }
  }
  return proved;
}

/* The message's leaf states the SHA-256 of the original as stored, computed once by
 * intake (shared with the receipt) and again here from the stored bytes. */
static void raw_digest_is_the_stored_bytes(Fx *fx, const char *number)
{
  g_autoptr(GBytes) raw = okno_store_appeal_message_raw(fx->st, number, 1, NULL);
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(fx->st),
                                        "SELECT entry FROM journal WHERE kind = 'batch'",
                                        OKNO_NO_PARAMS, NULL);
  g_autoptr(GBytes) entry = okno_rows_blob(r, 0, 0);
  g_autofree char *text = g_strndup(g_bytes_get_data(entry, NULL), g_bytes_get_size(entry));
  g_autofree char *want = NULL;
  guint8 h[crypto_hash_sha256_BYTES];
  char hex[2 * sizeof h + 1];
  assert_non_null(raw);
  crypto_hash_sha256(h, g_bytes_get_data(raw, NULL), g_bytes_get_size(raw));
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  want = g_strdup_printf("\nraw_sha256=%s\n", hex);
  assert_non_null(strstr(text, want));
}

static OknoJournalKey *new_key(char **dir)
{
  g_autofree char *path = NULL;
  *dir = g_dir_make_tmp("okno-jb-XXXXXX", NULL);
  path = g_build_filename(*dir, "journal.key", NULL);
  assert_true(okno_journal_key_create(path, NULL));
  return okno_journal_key_load(path, NULL);
}

static void key_free(OknoJournalKey *key, char *dir)
{
  g_autofree char *path = g_build_filename(dir, "journal.key", NULL);
  okno_journal_key_free(key);
  g_unlink(path);
  g_rmdir(dir);
  g_free(dir);
}

/* The registration's facts: the appeal, the message received, the events received,
 * registered and routed, the receipt and the event acknowledged. */
#define FACTS 7

static void test_one_registration_costs(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *number = NULL;
  char *dir = NULL;
  OknoJournalKey *key;
  OknoJournalCounters d = register_one(fx, &number);
  report("no key", &d, count(fx, "SELECT count(*) FROM journal"));
  /* one batch leaf holding the seven facts, each fact a row of the index, written by one
   * statement (SQLite: the size read first, the leaf, then the index rows) */
  assert_int_equal(d.facts, FACTS);
  assert_int_equal(d.leaves, 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM journal"), 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM journal WHERE kind = 'batch'"), 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM journal_facts"), FACTS);
  assert_int_equal(d.statements, okno_db_is_sqlite(okno_store_db(fx->st)) ? 3 : 1);
  /* the original's digest comes from intake (hashed once for the entry and the
   * receipt): it must still be the digest of the bytes stored */
  raw_digest_is_the_stored_bytes(fx, number);
  key = new_key(&dir);
  assert_int_equal(every_fact_is_provable(fx, key, number), FACTS);
  key_free(key, dir);
}

/* With a key the receipt's signed entry timestamp names the registration's leaf, so
 * the leaves before it are written first (one statement, and one to read the leaf
 * back), the receipt's at the commit; the receipt's proof is that leaf. */
static void test_one_registration_with_a_key_costs(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *number = NULL;
  char *dir = NULL;
  OknoJournalCounters d;
  g_autoptr(OknoJournalReport) rep = NULL;
  sla->journal_key = new_key(&dir);
  assert_non_null(sla->journal_key);
  d = register_one(fx, &number);
  report("with a key", &d, count(fx, "SELECT count(*) FROM journal"));
  /* the facts before the receipt in one batch (written before the receipt is signed,
   * then read back), the receipt and the event acknowledged in a second */
  assert_int_equal(d.leaves, 2);
  assert_int_equal(d.facts, FACTS);
  assert_int_equal(d.statements, okno_db_is_sqlite(okno_store_db(fx->st)) ? 7 : 3);
  assert_int_equal(every_fact_is_provable(fx, sla->journal_key, number), FACTS);
  rep = okno_journal_verify(fx->st, sla->journal_key->pk, NULL);
  assert_non_null(rep);
  assert_int_equal(rep->problems->len, 0);
  assert_int_equal(rep->size, 2);
  key_free(sla->journal_key, dir);
  sla->journal_key = NULL;
}

/* A registration undone by its savepoint (the group commit's failed job) takes its
 * waiting leaves with it; the next one's leaves follow with no gap. */
static void test_a_job_rolled_back_leaves_no_leaf_and_no_gap(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *number = NULL;
  g_autoptr(OknoJournalReport) rep = NULL;
  OknoAppeal a = {.number = "26-000009-4", .status = OKNO_STATUS_NEW,
                  .channel = OKNO_CHANNEL_EMAIL, .received_at = okno_now()};
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  assert_true(okno_store_event_add(fx->st, a.id, "registered", "{}", NULL));
  okno_store_rollback_to(fx->st);
  assert_true(okno_store_commit(fx->st, NULL));
  assert_int_equal(count(fx, "SELECT count(*) FROM journal"), 0);
  register_one(fx, &number);
  assert_int_equal(count(fx, "SELECT max(seq) FROM journal"), 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM journal_facts"), FACTS);
  rep = okno_journal_verify(fx->st, NULL, NULL);
  assert_non_null(rep);
  assert_int_equal(rep->size, 1);
  for (guint i = 0; i < rep->problems->len; i++) /* no key: the head is unchecked, only */
    assert_string_equal(((OknoJournalProblem *)rep->problems->pdata[i])->record, "head");
}

/* The group's leaves are written once, before its COMMIT: a job rolled back after the
 * journal was written inside its savepoint (a read of the journal forces the write)
 * gives the leaves of the jobs before it back to the queue, and they are written with
 * the commit; two jobs' facts of one appeal stay two leaves, as when each job's leaves
 * were written at its release. */
static void test_leaves_written_inside_a_rolled_back_job_wait_again(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(OknoJournalReport) rep = NULL;
  OknoAppeal a = {.number = "26-000011-1", .status = OKNO_STATUS_NEW,
                  .channel = OKNO_CHANNEL_EMAIL, .received_at = okno_now()};
  OknoAppeal b = {.number = "26-000012-7", .status = OKNO_STATUS_NEW,
                  .channel = OKNO_CHANNEL_EMAIL, .received_at = okno_now()};
  gint64 size = -1;
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  assert_true(okno_store_event_add(fx->st, a.id, "registered", "{}", NULL));
  assert_true(okno_store_release(fx->st, NULL));
  assert_int_equal(count(fx, "SELECT count(*) FROM journal"), 0); /* still waiting */
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &b, NULL));
  assert_true(okno_store_journal_size(fx->st, &size, NULL)); /* writes a's leaf and b's */
  assert_int_equal(size, 2);
  okno_store_rollback_to(fx->st);
  assert_int_equal(count(fx, "SELECT count(*) FROM journal"), 0);
  assert_true(okno_store_savepoint(fx->st, NULL));
  assert_true(okno_store_event_add(fx->st, a.id, "acknowledged", "{}", NULL));
  assert_true(okno_store_release(fx->st, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  /* a's registration and event in one batch (seq 1), the second job's event alone */
  assert_int_equal(count(fx, "SELECT count(*) FROM journal"), 2);
  assert_int_equal(count(fx, "SELECT count(*) FROM journal WHERE seq = 1 AND kind = 'batch'"), 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM journal WHERE seq = 2 AND kind = 'event'"), 1);
  assert_int_equal(count(fx, "SELECT count(*) FROM journal_facts"), 2);
  assert_int_equal(count(fx, "SELECT size FROM journal_state"), 2);
  assert_int_equal(count(fx, "SELECT count(*) FROM appeals"), 1);
  rep = okno_journal_verify(fx->st, NULL, NULL);
  assert_non_null(rep);
  assert_int_equal(rep->size, 2);
  for (guint i = 0; i < rep->problems->len; i++) /* no key: the head is unchecked, only */
    assert_string_equal(((OknoJournalProblem *)rep->problems->pdata[i])->record, "head");
}

/* One tampering inside a registration's batch, done in a transaction, verified there and
 * rolled back: the first problem names the appeal, the record and (for a row changed or
 * deleted) the fact's index in the batch. */
static void expect_named(Fx *fx, const OknoJournalKey *key, const char *sql, const char *number,
                         const char *record, gboolean with_fact)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoJournalReport) r = NULL;
  const OknoJournalProblem *p;
  assert_true(okno_store_begin(fx->st, NULL));
  if (!okno_db_script(okno_store_db(fx->st), sql, &err))
    fail_msg("%s: %s", sql, err->message);
  r = okno_journal_verify(fx->st, key->pk, NULL);
  okno_store_rollback(fx->st);
  assert_non_null(r);
  if (r->problems->len == 0)
    fail_msg("not found: %s", sql);
  p = r->problems->pdata[0];
  if (g_strcmp0(p->number, number) != 0 || g_strcmp0(p->record, record) != 0 ||
      (with_fact && p->fact < 0))
    fail_msg("%s: first problem %s (appeal '%s', %s, fact %d), expected appeal %s, %s", sql,
             p->what, p->number, p->record, p->fact, number, record);
}

/* Two letters registered (*n1, *n2 their numbers) and a head signed (*head) with a new
 * key (returned; key_free(key, *dir) after). */
static OknoJournalKey *two_registrations(Fx *fx, char **n1, char **n2, char **dir,
                                         OknoJournalHead **head)
{
  OknoJournalKey *key;
  register_one(fx, n1);
  register_letter(fx, "From: Anna <anna@example.ru>\r\nTo: support@portal.example\r\n"
                      "Subject: Second\r\nMessage-ID: <m2@example.ru>\r\n\r\nAnother letter.\r\n",
                  n2);
  key = new_key(dir);
  assert_true(okno_journal_sign(fx->st, key, FALSE, head, NULL));
  return key;
}

/* Each tampering of issue 14's list, on facts that live inside batch leaves, is found
 * and named; the journal verifies again after each rollback. */
static void test_tampering_inside_a_batch_is_named(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *n1 = NULL, *n2 = NULL;
  char *dir = NULL;
  OknoJournalKey *key;
  g_autoptr(OknoJournalHead) head = NULL;
  g_autoptr(OknoJournalReport) rep = NULL;
  g_autofree char *swap = NULL, *deleted = NULL, *unindexed = NULL, *inserted = NULL;
  key = two_registrations(fx, &n1, &n2, &dir, &head);
  assert_int_equal(head->size, 2); /* two registrations, two leaves */
  rep = okno_journal_verify(fx->st, key->pk, NULL);
  assert_non_null(rep);
  assert_int_equal(rep->problems->len, 0);
  assert_int_equal(rep->facts, 2 * FACTS);
  expect_named(fx, key,
               "UPDATE messages SET text = 'Подменено' WHERE direction = 'in' AND appeal_id = "
               "(SELECT max(id) FROM appeals)", n2, "message", TRUE);
  expect_named(fx, key, "UPDATE messages SET raw = (SELECT raw FROM messages WHERE direction = "
               "'out' AND appeal_id = (SELECT min(id) FROM appeals)) WHERE direction = 'in' AND "
               "appeal_id = (SELECT min(id) FROM appeals)", n1, "message", TRUE);
  deleted = g_strdup("DELETE FROM events WHERE kind = 'registered' AND appeal_id = "
                     "(SELECT max(id) FROM appeals)");
  expect_named(fx, key, deleted, n2, "event", TRUE);
  swap = g_strdup("UPDATE events SET kind = CASE kind WHEN 'received' THEN 'registered' "
                  "ELSE 'received' END WHERE kind IN ('received', 'registered') AND appeal_id = "
                  "(SELECT min(id) FROM appeals)");
  expect_named(fx, key, swap, n1, "event", TRUE);
  expect_named(fx, key, "UPDATE appeals SET deadline = deadline + 86400000000 WHERE id = "
               "(SELECT max(id) FROM appeals)", n2, "appeal", TRUE);
  inserted = g_strdup("INSERT INTO events(appeal_id, at, kind, detail) SELECT min(id), 1, "
                      "'answered', '{}' FROM appeals");
  expect_named(fx, key, inserted, n1, "event", FALSE);
  /* the event and its index row deleted together: the batch still holds the fact */
  unindexed = g_strdup("DELETE FROM journal_facts WHERE ref = 'event' AND ref_id = (SELECT min(id) "
                       "FROM events); DELETE FROM events WHERE id = (SELECT min(id) FROM events)");
  expect_named(fx, key, unindexed, "", "journal", FALSE);
  /* an index row pointing at another fact of the batch */
  expect_named(fx, key, "UPDATE journal_facts SET fact = 0 WHERE ref = 'event' AND ref_id = "
               "(SELECT min(id) FROM events)", n1, "event", TRUE);
  /* the batch's bytes changed: its leaf no longer hashes them */
  expect_named(fx, key, "UPDATE journal SET entry = entry || 'x' WHERE seq = 1", n1, "batch",
               FALSE);
  g_clear_pointer(&rep, okno_journal_report_free);
  rep = okno_journal_verify(fx->st, key->pk, NULL);
  assert_int_equal(rep->problems->len, 0);
  key_free(key, dir);
}

/* Verify on two threads (the walk by seq on a second connection) reports exactly what
 * it reports on one, problem for problem, as tamperings committed one after another
 * break the rows, the fact index and a batch's bytes. */
static void test_two_threads_report_as_one(void **state)
{
  static const char *const tamper[] = {
      "UPDATE events SET kind = 'answered' WHERE id = (SELECT max(id) FROM events)",
      "UPDATE appeals SET deadline = deadline + 86400000000 WHERE id = (SELECT min(id) FROM appeals)",
      "DELETE FROM journal_facts WHERE ref = 'event' AND ref_id = (SELECT min(id) FROM events)",
      "UPDATE journal SET entry = entry || 'x' WHERE seq = 2",
  };
  Fx *fx = fixture(state);
  g_autofree char *n1 = NULL, *n2 = NULL;
  char *dir = NULL;
  OknoJournalKey *key;
  g_autoptr(OknoJournalHead) head = NULL;
  key = two_registrations(fx, &n1, &n2, &dir, &head);
  for (guint i = 0; i <= G_N_ELEMENTS(tamper); i++) {
    g_autoptr(OknoJournalReport) one = NULL, two = NULL;
    g_autofree char *j1 = NULL, *j2 = NULL;
    g_autoptr(GError) err = NULL;
    if (i > 0) {
      assert_true(okno_store_begin(fx->st, NULL));
      if (!okno_db_script(okno_store_db(fx->st), tamper[i - 1], &err))
        fail_msg("%s: %s", tamper[i - 1], err->message);
      assert_true(okno_store_commit(fx->st, NULL));
    }
    okno_journal_verify_set_threads(1);
    one = okno_journal_verify(fx->st, key->pk, NULL);
    okno_journal_verify_set_threads(2);
    two = okno_journal_verify(fx->st, key->pk, NULL);
    assert_non_null(one);
    assert_non_null(two);
    assert_int_equal(one->threads, 1);
    assert_int_equal(two->threads, 2);
    if (i == 0)
      assert_int_equal(one->problems->len, 0);
    else
      assert_true(one->problems->len >= i); /* each tampering adds at least one */
    j1 = okno_journal_report_json(one);
    j2 = okno_journal_report_json(two);
    assert_string_equal(j1, j2);
    assert_int_equal(one->problems->len, two->problems->len);
    for (guint k = 0; k < one->problems->len; k++) {
      const OknoJournalProblem *a = one->problems->pdata[k], *b = two->problems->pdata[k];
      assert_int_equal(a->seq, b->seq);
      assert_int_equal(a->id, b->id);
      assert_int_equal(a->fact, b->fact);
      assert_string_equal(a->number, b->number);
      assert_string_equal(a->record, b->record);
      assert_string_equal(a->what, b->what);
    }
  }
  key_free(key, dir);
}

/* Committed tampering `sql` (undone by `undo`) is found by verify on two threads, whose
 * rows' walk is cut into `pieces_of` ids a piece (0: verify's own cut, halves on a
 * store this small): the first problem names appeal `number`, `record` and row id
 * `id`, exactly as on one thread; after `undo` the journal verifies intact. */
static void later_piece_named(Fx *fx, const OknoJournalKey *key, gint64 pieces_of,
                              const char *sql, const char *undo, const char *number,
                              const char *record, gint64 id)
{
  g_autoptr(OknoJournalReport) one = NULL, two = NULL, after = NULL;
  g_autofree char *j1 = NULL, *j2 = NULL;
  g_autoptr(GError) err = NULL;
  const OknoJournalProblem *p;
  if (!okno_db_script(okno_store_db(fx->st), sql, &err))
    fail_msg("%s: %s", sql, err->message);
  okno_journal_verify_set_piece(pieces_of);
  two = okno_journal_verify(fx->st, key->pk, NULL);
  okno_journal_verify_set_threads(1);
  one = okno_journal_verify(fx->st, key->pk, NULL);
  okno_journal_verify_set_threads(2);
  okno_journal_verify_set_piece(0);
  if (!okno_db_script(okno_store_db(fx->st), undo, &err))
    fail_msg("%s: %s", undo, err->message);
  assert_non_null(two);
  assert_non_null(one);
  assert_int_equal(two->threads, 2);
  /* the appeals', messages' and events' rows in two pieces at least (the empty access
   * log in one): the tampered row is not in its record's first piece */
  assert_true(two->pieces >= 7);
  if (two->problems->len == 0)
    fail_msg("not found on two threads: %s", sql);
  p = two->problems->pdata[0];
  if (g_strcmp0(p->number, number) != 0 || g_strcmp0(p->record, record) != 0 || p->id != id)
    fail_msg("%s: first problem %s (appeal '%s', %s %" G_GINT64_FORMAT "), expected appeal %s, "
             "%s %" G_GINT64_FORMAT, sql, p->what, p->number, p->record, p->id, number, record, id);
  j1 = okno_journal_report_json(one);
  j2 = okno_journal_report_json(two);
  assert_string_equal(j1, j2);
  after = okno_journal_verify(fx->st, key->pk, NULL);
  assert_non_null(after);
  assert_int_equal(after->problems->len, 0);
}

/* The rows' walk is cut by id into pieces the two threads share: a tampering with the
 * highest ids (the last piece, which the second thread may walk) is found and named
 * as in the first, for a row changed, a row deleted past the highest id left (its
 * leaf's id is above every row's) and a row added with no leaf; with verify's own cut
 * and with one id a piece. */
static void test_tampering_in_a_later_piece_is_named(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *n1 = NULL, *n2 = NULL, *n3 = NULL;
  char *dir = NULL;
  OknoJournalKey *key;
  g_autoptr(OknoJournalHead) head = NULL;
  gint64 last_event, last_appeal;
  key = two_registrations(fx, &n1, &n2, &dir, &head);
  register_letter(fx, "From: Olga <olga@example.ru>\r\nTo: support@portal.example\r\n"
                      "Subject: Third\r\nMessage-ID: <m3@example.ru>\r\n\r\nA third letter.\r\n",
                  &n3);
  assert_true(okno_journal_sign(fx->st, key, FALSE, NULL, NULL));
  last_event = count(fx, "SELECT max(id) FROM events");
  last_appeal = count(fx, "SELECT max(id) FROM appeals");
  for (gint64 pieces_of = 0; pieces_of <= 1; pieces_of++) {
    later_piece_named(fx, key, pieces_of,
                      "CREATE TABLE kept AS SELECT * FROM events WHERE id = (SELECT max(id) "
                      "FROM events); UPDATE events SET kind = 'answered' WHERE id = (SELECT id "
                      "FROM kept)",
                      "UPDATE events SET kind = (SELECT kind FROM kept) WHERE id = (SELECT id "
                      "FROM kept); DROP TABLE kept",
                      n3, "event", last_event);
    later_piece_named(fx, key, pieces_of,
                      "UPDATE appeals SET deadline = deadline + 86400000000 WHERE id = "
                      "(SELECT max(id) FROM appeals)",
                      "UPDATE appeals SET deadline = deadline - 86400000000 WHERE id = "
                      "(SELECT max(id) FROM appeals)",
                      n3, "appeal", last_appeal);
    later_piece_named(fx, key, pieces_of,
                      "CREATE TABLE gone AS SELECT * FROM events WHERE id = (SELECT max(id) "
                      "FROM events); DELETE FROM events WHERE id = (SELECT id FROM gone)",
                      "INSERT INTO events SELECT * FROM gone; DROP TABLE gone", n3, "event",
                      last_event);
    later_piece_named(fx, key, pieces_of,
                      "INSERT INTO events(id, appeal_id, at, kind, detail) SELECT (SELECT "
                      "max(id) FROM events) + 1, id, 1, 'answered', '{}' FROM appeals WHERE id = "
                      "(SELECT max(id) FROM appeals) - 1",
                      "DELETE FROM events WHERE at = 1", n2, "event", last_event + 1);
  }
  key_free(key, dir);
}

/* The batch entry's bytes (docs/journal.md, "Batches"): built, parsed back to the same
 * facts and bytes; anything else refused. */
static void test_batch_entry_format(void **state)
{
  static const char want[] = "okno-journal 3\nrecord=batch\nfacts=2\n"
                             "fact=0 event event 4 17\nokno-journal 1\nx\n"
                             "fact=1 message_in message 2 5\nabcd\n";
  static const char *const bad[] = {
      "okno-journal 3\nrecord=batch\nfacts=0\n",
      "okno-journal 3\nrecord=batch\nfacts=1\nfact=0 event event 4 3\nab\n!",
      "okno-journal 3\nrecord=batch\nfacts=1\nfact=0 event event 04 3\nab\n",
      "okno-journal 3\nrecord=batch\nfacts=1\nfact=1 event event 4 3\nab\n",
      "okno-journal 3\nrecord=batch\nfacts=1\nfact=0 event  event 4 3\nab\n",
      "okno-journal 3\nrecord=batch\nfacts=1\nfact=0 Event event 4 3\nab\n",
      "okno-journal 3\nrecord=batch\nfacts=2\nfact=0 event event 4 3\nab\n",
      "okno-journal 3\nrecord=batch\nfacts=1\nfact=0 event event 4 9\nab\n",
      "okno-journal 3\nrecord=batch\nfacts=1\nfact=0 event event 18446744073709551617 3\nab\n",
      "okno-journal 3\nrecord=batch\nfacts=1\nfact=0 event event 4 3 \nab\n",
      "okno-journal 3\nrecord=batch\nfacts=1\nfact=0 event event 4\nab\n",
      "okno-journal 3\nrecord=batch\nfacts=01\nfact=0 event event 4 3\nab\n",
  };
  OknoJournalBatchFact f[2] = {
      {.kind = "event", .ref = "event", .ref_id = 4,
       .entry = g_bytes_new_static("okno-journal 1\nx\n", 17)},
      {.kind = "message_in", .ref = "message", .ref_id = 2, .entry = g_bytes_new_static("abcd\n", 5)},
  };
  OknoJournalBatchFact *p[2] = {&f[0], &f[1]};
  g_autoptr(GBytes) e = okno_journal_entry_batch(p, 2);
  g_autoptr(GPtrArray) back = okno_journal_batch_parse(want, sizeof want - 1);
  (void)state;
  assert_int_equal(g_bytes_get_size(e), sizeof want - 1);
  assert_memory_equal(g_bytes_get_data(e, NULL), want, sizeof want - 1);
  assert_non_null(back);
  assert_int_equal(back->len, 2);
  assert_string_equal(((OknoJournalBatchFact *)back->pdata[1])->kind, "message_in");
  assert_int_equal(((OknoJournalBatchFact *)back->pdata[1])->ref_id, 2);
  assert_true(g_bytes_equal(((OknoJournalBatchFact *)back->pdata[0])->entry, f[0].entry));
  /* verify's check counts the facts without parsing them out: the same verdict */
  assert_int_equal(okno_journal_batch_count(want, sizeof want - 1), 2);
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    GPtrArray *x = okno_journal_batch_parse(bad[i], strlen(bad[i]));
    if (x)
      fail_msg("accepted: %s", bad[i]);
    if (okno_journal_batch_count(bad[i], strlen(bad[i])) != -1)
      fail_msg("counted: %s", bad[i]);
  }
  g_bytes_unref(f[0].entry);
  g_bytes_unref(f[1].entry);
}

static int group_setup(void **state)
{
  (void)state;
  cfg = okno_config_new_default();
  g_free(cfg->calendar_file);
  cfg->calendar_file = okno_data_file("calendar/ru.txt");
  sla = okno_sla_env_new(cfg, NULL);
  assert_non_null(sla);
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  okno_sla_env_free(sla);
  okno_config_free(cfg);
  return 0;
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_batch_entry_format),
    ON_BOTH(test_one_registration_costs),
    ON_BOTH(test_one_registration_with_a_key_costs),
    ON_BOTH(test_tampering_inside_a_batch_is_named),
    ON_BOTH(test_two_threads_report_as_one),
    ON_BOTH(test_tampering_in_a_later_piece_is_named),
    ON_BOTH(test_a_job_rolled_back_leaves_no_leaf_and_no_gap),
    ON_BOTH(test_leaves_written_inside_a_rolled_back_job_wait_again),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
