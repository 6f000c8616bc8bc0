/* journal.c: the journal's facts in the store (journal.h): journaling a fact in the
 * transaction of its row (waiting in memory until written, journal_pending.c),
 * folding a registration's changes into its leaf, purges, key rotations, and a leaf
 * appended at once. Reading leaves back is journal_read.c; the entries themselves (the
 * bytes a leaf hashes) are made by journal_entry.c and journal_batch.c; signed heads
 * and verification results are journal_heads.c. */
#include "store/journal.h"
#include "store/journal_batch.h"
#include "store/journal_internal.h"
#include "store/keys.h"

#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "store/appeal_row.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

static gint journal_off; /* atomic: 1 when switched off */

void okno_journal_set_enabled(gboolean on) { g_atomic_int_set(&journal_off, on ? 0 : 1); }
gboolean okno_journal_enabled(void) { return !g_atomic_int_get(&journal_off); }

/* ---- work counters ---- */

static OknoJournalCounters counters; /* each member added to atomically */
#define COUNT(member, n) g_atomic_pointer_add((gssize *)&counters.member, (gssize)(n))

void okno_journal_counters(OknoJournalCounters *out)
{
  out->leaves = (guint64)g_atomic_pointer_get((gssize *)&counters.leaves);
  out->facts = (guint64)g_atomic_pointer_get((gssize *)&counters.facts);
  out->statements = (guint64)g_atomic_pointer_get((gssize *)&counters.statements);
  out->sha256_calls = (guint64)g_atomic_pointer_get((gssize *)&counters.sha256_calls);
  out->sha256_bytes = (guint64)g_atomic_pointer_get((gssize *)&counters.sha256_bytes);
}

void okno_journal_count_sha256(gsize len)
{
  COUNT(sha256_calls, 1);
  COUNT(sha256_bytes, len);
}

void okno_journal_count_work(gsize leaves, gsize facts, gsize statements)
{
  COUNT(leaves, leaves);
  COUNT(facts, facts);
  COUNT(statements, statements);
}

void okno_journal_leaf_hash(const void *data, gsize len, guint8 out[OKNO_HASH_LEN])
{
  okno_journal_count_sha256(len + 1);
  okno_merkle_leaf_hash(data, len, out);
}

/* ---- writing ---- */

gboolean okno_journal_append_seq(OknoStore *st, const char *kind, const char *ref, gint64 ref_id,
                                 gint64 appeal_id, const char *number, gint64 at, GBytes *entry,
                                 gint64 *seq, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gsize len;
  const void *data = g_bytes_get_data(entry, &len);
  guint8 leaf[OKNO_HASH_LEN];
  g_autoptr(OknoRows) r = NULL;
  /* One statement per leaf, after the leaves waiting in the transaction (they come
   * first in the sequence). PostgreSQL: the UPDATE locks journal_state's row first and
   * the insert takes the size it returns (read again after the lock, so two writers
   * never get the same seq). SQLite: one writer at a time holds the database, the insert
   * reads the size and the trigger journal_count (migration 11) adds one. */
  static const char *const pg_sql =
      "WITH s AS (UPDATE journal_state SET size = size + 1 RETURNING size) "
      "INSERT INTO journal(seq, kind, ref, ref_id, appeal_id, number, at, entry, leaf) "
      "SELECT s.size, $1, $2, $3, $4, coalesce($5, (SELECT number FROM appeals WHERE id = $4), ''), "
      "$6, $7, $8 FROM s RETURNING seq";
  static const char *const sqlite_sql =
      "INSERT INTO journal(seq, kind, ref, ref_id, appeal_id, number, at, entry, leaf) "
      "VALUES((SELECT size + 1 FROM journal_state), $1, $2, $3, $4, "
      "coalesce($5, (SELECT number FROM appeals WHERE id = $4), ''), $6, $7, $8) RETURNING seq";
  if (!okno_journal_write_pending(st, error))
    return FALSE;
  okno_journal_leaf_hash(data, len, leaf);
  COUNT(statements, 1);
  r = okno_db_query(db, okno_db_is_sqlite(db) ? sqlite_sql : pg_sql,
                    OKNO_PARAMS(OKNO_TEXT(kind), OKNO_TEXT(ref), OKNO_INT(ref_id),
                                OKNO_INT(appeal_id), OKNO_TEXT(number), OKNO_INT(at),
                                OKNO_BLOB(data ? data : "", len), OKNO_BLOB(leaf, sizeof leaf)),
                    error);
  if (!r)
    return FALSE;
  if (okno_rows_count(r) != 1) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "journal_state has no row");
    return FALSE;
  }
  if (seq)
    *seq = okno_rows_int(r, 0, 0);
  COUNT(leaves, 1);
  COUNT(facts, 1);
  return TRUE;
}


static gboolean append(OknoStore *st, const char *kind, const char *ref, gint64 ref_id,
                       gint64 appeal_id, const char *number, gint64 at, GBytes *entry,
                       GError **error)
{
  return okno_journal_append_seq(st, kind, ref, ref_id, appeal_id, number, at, entry, NULL,
                                 error);
}

/* Does the latest fact of (ref, ref_id) hold exactly `entry`? */
static gboolean latest_is(OknoStore *st, const char *ref, gint64 ref_id, GBytes *entry,
                          gboolean *same, GError **error)
{
  g_autoptr(GBytes) last = NULL;
  gint64 seq = 0;
  if (!okno_journal_latest_fact(st, ref, ref_id, &seq, &last, error))
    return FALSE;
  *same = last && g_bytes_equal(last, entry);
  return TRUE;
}

gboolean okno_store_journal_registration(OknoStore *st, const OknoAppeal *a, GError **error)
{
  g_autoptr(GBytes) e = NULL;
  gint64 seq = 0;
  if (!okno_journal_enabled())
    return TRUE;
  e = okno_journal_entry_appeal(a);
  if (okno_store_in_transaction(st)) /* noted when written (write_chunk) */
    return okno_journal_add_leaf(st, "registration", "appeal", a->id, a->id, a->number,
                                 a->received_at, e, error);
  return okno_journal_append_seq(st, "registration", "appeal", a->id, a->id, a->number,
                                 a->received_at, e, &seq, error);
}

/* The batch leaf `seq` (written in this transaction) takes `e` as its registration
 * fact of appeal `appeal_id`; FALSE in *folded when it is no such batch. */
static gboolean fold_into_batch(OknoStore *st, gint64 seq, gint64 appeal_id, GBytes *e,
                                gboolean *folded, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GBytes) old = NULL, batch = NULL;
  g_autoptr(GPtrArray) facts = NULL;
  guint8 leaf[OKNO_HASH_LEN];
  gsize len;
  const void *data;
  COUNT(statements, 1);
  r = okno_db_query(okno_store_db(st), "SELECT entry FROM journal WHERE seq = $1 AND kind = 'batch'",
                    OKNO_PARAMS(OKNO_INT(seq)), error);
  if (!r)
    return FALSE;
  old = okno_rows_count(r) ? okno_rows_blob(r, 0, 0) : NULL;
  data = old ? g_bytes_get_data(old, &len) : NULL;
  facts = data ? okno_journal_batch_parse(data, len) : NULL;
  for (guint i = 0; facts && i < facts->len && !batch; i++) {
    OknoJournalBatchFact *f = facts->pdata[i];
    if (f->ref_id != appeal_id || strcmp(f->kind, "registration") != 0)
      continue;
    g_bytes_unref(f->entry);
    f->entry = g_bytes_ref(e);
    batch = okno_journal_entry_batch((OknoJournalBatchFact *const *)facts->pdata, facts->len);
  }
  if (!batch)
    return TRUE;
  g_clear_pointer(&r, okno_rows_free);
  data = g_bytes_get_data(batch, &len);
  okno_journal_leaf_hash(data, len, leaf);
  COUNT(statements, 1);
  r = okno_db_query(okno_store_db(st), "UPDATE journal SET entry = $2, leaf = $3 WHERE seq = $1 "
                    "RETURNING seq",
                    OKNO_PARAMS(OKNO_INT(seq), OKNO_BLOB(data, len), OKNO_BLOB(leaf, sizeof leaf)),
                    error);
  if (!r)
    return FALSE;
  *folded = okno_rows_count(r) == 1;
  return TRUE;
}

/* The registration leaf of the open transaction takes the appeal's state as it is
 * before the commit (its deadline once the clock started, its department once routed):
 * nobody has seen the leaf yet (no head can cover an uncommitted row), so the leaf
 * says what the registration committed, in one leaf instead of one per step. FALSE in
 * *folded when there is no such leaf (then a leaf of its own is appended). */
static gboolean fold_into_registration(OknoStore *st, const OknoAppeal *a, GBytes *e,
                                       gboolean *folded, GError **error)
{
  gint64 seq = okno_store_registration_leaf(st, a->id);
  gsize len;
  const void *data = g_bytes_get_data(e, &len);
  guint8 leaf[OKNO_HASH_LEN];
  g_autoptr(OknoRows) r = NULL;
  *folded = FALSE;
  if (!seq)
    return TRUE;
  okno_journal_leaf_hash(data, len, leaf);
  COUNT(statements, 1);
  r = okno_db_query(okno_store_db(st),
                    "UPDATE journal SET entry = $3, leaf = $4 "
                    "WHERE seq = $1 AND kind = 'registration' AND ref = 'appeal' AND ref_id = $2 "
                    "RETURNING seq",
                    OKNO_PARAMS(OKNO_INT(seq), OKNO_INT(a->id), OKNO_BLOB(data ? data : "", len),
                                OKNO_BLOB(leaf, sizeof leaf)),
                    error);
  if (!r)
    return FALSE;
  *folded = okno_rows_count(r) == 1;
  return *folded ? TRUE : fold_into_batch(st, seq, a->id, e, folded, error);
}

gboolean okno_store_journal_appeal_changed(OknoStore *st, const OknoAppeal *a, GError **error)
{
  g_autoptr(GBytes) e = NULL;
  gboolean same = FALSE;
  if (!okno_journal_enabled())
    return TRUE;
  e = okno_journal_entry_appeal(a);
  if (!okno_journal_fold_waiting(st, a, e, &same, error))
    return FALSE;
  if (same)
    return TRUE;
  if (!fold_into_registration(st, a, e, &same, error))
    return FALSE;
  if (same)
    return TRUE;
  if (!latest_is(st, "appeal", a->id, e, &same, error))
    return FALSE;
  return same || okno_journal_add_leaf(st, "appeal", "appeal", a->id, a->id, a->number, okno_now(), e, error);
}

gboolean okno_store_journal_appeal_id(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoAppeal) a = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  a = okno_store_appeal_get_by_id(st, id, error);
  if (!a)
    return error && *error ? FALSE : TRUE;
  return okno_store_journal_appeal_changed(st, a, error);
}

gboolean okno_store_journal_message(OknoStore *st, const OknoMessageRow *m, GError **error)
{
  g_autoptr(GBytes) e = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  e = okno_journal_entry_message(m);
  return okno_journal_add_leaf(st, g_strcmp0(m->direction, "out") == 0 ? "message_out" : "message_in",
                  "message", m->id, m->appeal_id, NULL, m->created_at, e, error);
}

#define MESSAGE_COLUMNS OKNO_JOURNAL_MESSAGE_COLUMNS

GBytes *okno_journal_message_entry_of_row(OknoStore *st, const OknoRows *r, guint i,
                                          GError **error)
{
  g_autoptr(GBytes) stored = okno_rows_blob(r, i, 10);
  g_autoptr(GBytes) raw = stored ? okno_store_unseal(st, "messages.raw", stored, error) : NULL;
  if (stored && !raw)
    return NULL;
  OknoMessageRow m = {
      .id = okno_rows_int(r, i, 0),
      .appeal_id = okno_rows_int(r, i, 1),
      .direction = okno_rows_text(r, i, 2),
      .message_id = okno_rows_text(r, i, 3),
      .sender = okno_rows_text(r, i, 4),
      .recipient = okno_rows_text(r, i, 5),
      .subject = okno_rows_text(r, i, 6),
      .text = okno_rows_text(r, i, 7),
      .content_hash = okno_rows_text(r, i, 8),
      .meta_json = okno_rows_text(r, i, 9),
      .raw = raw,
      .created_at = okno_rows_int(r, i, 11),
      .automatic = okno_rows_int(r, i, 12) != 0,
  };
  return okno_journal_entry_message(&m);
}

/* The messages of appeal `appeal_id` as MESSAGE_COLUMNS rows, by id. */
static OknoRows *messages_of_appeal(OknoStore *st, gint64 appeal_id, GError **error)
{
  return okno_db_query(okno_store_db(st),
                       "SELECT " MESSAGE_COLUMNS " FROM messages m LEFT JOIN appeals a "
                       "ON a.id = m.appeal_id WHERE m.appeal_id = $1 ORDER BY m.id",
                       OKNO_PARAMS(OKNO_INT(appeal_id)), error);
}

gboolean okno_store_journal_messages_of(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  r = messages_of_appeal(st, appeal_id, error);
  if (!r)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    g_autoptr(GBytes) e = okno_journal_message_entry_of_row(st, r, i, error);
    gboolean same = FALSE;
    gint64 id = okno_rows_int(r, i, 0);
    if (!e || !latest_is(st, "message", id, e, &same, error))
      return FALSE;
    if (!same &&
        !okno_journal_add_leaf(st,
                  g_strcmp0(okno_rows_text(r, i, 2), "out") == 0 ? "message_out" : "message_in",
                  "message", id, appeal_id, NULL, okno_rows_int(r, i, 11), e, error))
      return FALSE;
  }
  return TRUE;
}

/* The seq of the latest leaf of (ref, ref_id) (a batch's for a fact in one), 0 when it
 * has none. */
static gboolean latest_seq(OknoStore *st, const char *ref, gint64 ref_id, gint64 *seq,
                           GError **error)
{
  g_autoptr(GBytes) entry = NULL;
  return okno_journal_latest_fact(st, ref, ref_id, seq, &entry, error);
}

static gboolean append_purge(OknoStore *st, const char *ref, gint64 id, gint64 appeal_id,
                             gint64 at, const char *emptied, GBytes *row, GError **error)
{
  gint64 prev = 0;
  g_autoptr(GBytes) e = NULL;
  if (!latest_seq(st, ref, id, &prev, error))
    return FALSE;
  e = okno_journal_entry_purge(ref, id, appeal_id, at, prev, emptied, row);
  return append(st, "purge", ref, id, appeal_id, NULL, at, e, error);
}

gboolean okno_store_journal_purge_messages(OknoStore *st, gint64 appeal_id, gint64 at,
                                           const char *emptied, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  r = messages_of_appeal(st, appeal_id, error);
  if (!r)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    g_autoptr(GBytes) row = okno_journal_message_entry_of_row(st, r, i, error);
    if (!row ||
        !append_purge(st, "message", okno_rows_int(r, i, 0), appeal_id, at, emptied, row, error))
      return FALSE;
  }
  return TRUE;
}

gboolean okno_store_journal_purge_event(OknoStore *st, gint64 id, gint64 appeal_id, gint64 at,
                                        const char *emptied, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GBytes) row = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  r = okno_db_query(okno_store_db(st), "SELECT at, kind, detail FROM events WHERE id = $1",
                    OKNO_PARAMS(OKNO_INT(id)), error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r))
    return TRUE;
  row = okno_journal_entry_event(id, appeal_id, okno_rows_int(r, 0, 0), okno_rows_text(r, 0, 1),
                                 okno_rows_text(r, 0, 2));
  return append_purge(st, "event", id, appeal_id, at, emptied, row, error);
}

gboolean okno_store_journal_event(OknoStore *st, gint64 id, gint64 appeal_id, gint64 at,
                                  const char *kind, const char *detail_json, GError **error)
{
  g_autoptr(GBytes) e = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  e = okno_journal_entry_event(id, appeal_id, at, kind, detail_json);
  return okno_journal_add_leaf(st, "event", "event", id, appeal_id, NULL, at, e, error);
}

gboolean okno_store_journal_event_digest(OknoStore *st, gint64 id, gint64 appeal_id,
                                         const char *number, gint64 at, const char *kind,
                                         const guint8 detail_sha256[OKNO_HASH_LEN],
                                         GError **error)
{
  g_autoptr(GBytes) e = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  e = okno_journal_entry_event_digest(id, appeal_id, at, kind, detail_sha256);
  return okno_journal_add_leaf(st, "event", "event", id, appeal_id, number, at, e, error);
}

gboolean okno_store_journal_access(OknoStore *st, const OknoAccessRow *r, GError **error)
{
  g_autoptr(GBytes) e = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  e = okno_journal_entry_access(r);
  return append(st, "access", "access", r->id, r->appeal_id, NULL, r->at, e, error);
}

/* ---- key rotations ---- */


gboolean okno_store_journal_rotation(OknoStore *st, OknoJournalRotation *r, gint64 *seq,
                                     GError **error)
{
  g_autoptr(OknoRows) n = NULL;
  if (!okno_journal_write_pending(st, error))
    return FALSE;
  n = okno_db_query(
      okno_store_db(st), "SELECT count(*) FROM journal WHERE ref = 'journal_key'", OKNO_NO_PARAMS,
      error);
  g_autoptr(GBytes) e = NULL;
  if (!n)
    return FALSE;
  r->id = okno_rows_int(n, 0, 0) + 1;
  e = okno_journal_entry_rotation(r);
  return okno_journal_append_seq(st, "key_rotation", "journal_key", r->id, 0, "", r->at, e, seq, error);
}

GPtrArray *okno_store_journal_rotations(OknoStore *st, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT " OKNO_JOURNAL_LEAF_COLUMNS " FROM journal WHERE ref = 'journal_key' ORDER BY seq",
      OKNO_NO_PARAMS, error);
  return r ? okno_journal_leaves_of_rows(r) : NULL;
}
