/* journal_pending.c: the leaves that wait in the open transaction (journal.h,
 * okno_journal_write_pending): inside a transaction the facts of appeals, messages and
 * events wait in memory (the store's journal slot) and are written together at the
 * commit, and before anything reads the journal or appends a leaf at once. When
 * written, each run of two or more waiting facts of one appeal added in one stretch
 * (between two savepoint boundaries: a job's facts, or what came before or after it)
 * becomes ONE batch leaf (journal_batch.h; a registration's facts: one leaf) with a
 * row per fact in the index journal_facts; a fact alone stays a leaf of its own (a
 * job's end without a savepoint, okno_journal_job_end, is a boundary too). Seqs
 * are given when written (in commit order, with no gap, as for a leaf appended at
 * once). A rollback drops what waits; a rollback to a savepoint drops only the facts
 * added since it, and makes the facts from before it that were written inside it (the
 * database undid those rows) wait again. A registration's later changes in the same
 * stretch replace its waiting entry instead of being written twice. */
#include "store/journal_batch.h"
#include "store/journal_internal.h"

#include <string.h>

#include "core/error.h"

typedef struct {
  char *kind, *ref, *number; /* number NULL: the appeal's, looked up when written */
  gint64 ref_id, appeal_id, at;
  GBytes *entry;
  guint stretch; /* facts of different stretches never share a batch */
} Waiting;

/* An open savepoint: how many facts there were, and how many were written, when it
 * began. */
typedef struct {
  guint len, next;
} Mark;

/* The journal slot's content: the transaction's facts w[0..next) written (kept while a
 * savepoint is open: its rollback may make them wait again), w[next..) waiting. */
typedef struct {
  GPtrArray *w;
  guint next;
  GArray *marks; /* Mark per open savepoint, innermost last */
  guint stretch;
} Pending;

static void waiting_free(Waiting *w)
{
  g_free(w->kind);
  g_free(w->ref);
  g_free(w->number);
  g_bytes_unref(w->entry);
  g_free(w);
}

static void pending_free(Pending *p)
{
  g_ptr_array_unref(p->w);
  g_array_unref(p->marks);
  g_free(p);
}

static Pending *pending(OknoStore *st, gboolean make)
{
  gpointer *slot = okno_store_journal_slot(st);
  if (!*slot && make) {
    Pending *p = g_new0(Pending, 1);
    p->w = g_ptr_array_new_with_free_func((GDestroyNotify)waiting_free);
    p->marks = g_array_new(FALSE, FALSE, sizeof(Mark));
    *slot = p;
  }
  return *slot;
}

/* Forgets the facts written, when no open savepoint may need them again. */
static void forget_written(Pending *p)
{
  if (p->marks->len || !p->next)
    return;
  g_ptr_array_remove_range(p->w, 0, p->next);
  p->next = 0;
}

void okno_journal_drop_pending(OknoStore *st)
{
  gpointer *slot = okno_store_journal_slot(st);
  Pending *p = *slot;
  if (!p)
    return;
  g_ptr_array_set_size(p->w, 0);
  g_array_set_size(p->marks, 0);
  p->next = 0;
  if (!okno_store_in_transaction(st)) {
    pending_free(p);
    *slot = NULL;
  }
}

void okno_journal_savepoint(OknoStore *st)
{
  Pending *p = pending(st, TRUE);
  Mark m = {p->w->len, p->next};
  g_array_append_val(p->marks, m);
  p->stretch++;
}

void okno_journal_release(OknoStore *st)
{
  Pending *p = pending(st, FALSE);
  if (!p || !p->marks->len)
    return;
  g_array_set_size(p->marks, p->marks->len - 1);
  p->stretch++;
  forget_written(p);
}

void okno_journal_job_end(OknoStore *st)
{
  Pending *p = pending(st, FALSE);
  if (p)
    p->stretch++;
}

void okno_journal_rollback_to(OknoStore *st)
{
  Pending *p = pending(st, FALSE);
  Mark m;
  if (!p || !p->marks->len)
    return;
  m = g_array_index(p->marks, Mark, p->marks->len - 1);
  g_array_set_size(p->marks, p->marks->len - 1);
  /* the rows written since the savepoint are undone: what was waiting then waits again */
  g_ptr_array_set_size(p->w, MIN(m.len, p->w->len));
  p->next = MIN(m.next, p->w->len);
  p->stretch++;
  forget_written(p);
}

/* One leaf to write: a waiting fact alone, or a batch of w[first .. first + facts). */
typedef struct {
  const char *kind, *ref, *number;
  gint64 ref_id, appeal_id, at;
  GBytes *entry; /* owned */
  guint8 leaf[OKNO_HASH_LEN];
  guint first, facts; /* facts > 1: a batch */
} Row;

/* At most this many leaves in one INSERT (9 parameters each), and facts in a batch. */
#define WRITE_CHUNK 32
#define BATCH_MAX 64

static gint no_batches; /* atomic: 1 when switched off */

void okno_journal_set_batches(gboolean on) { g_atomic_int_set(&no_batches, on ? 0 : 1); }

/* The leaves of w[0..n): runs of one appeal's facts as batches. */
static GArray *rows_of(Waiting *const *w, guint n)
{
  GArray *rows = g_array_new(FALSE, TRUE, sizeof(Row));
  for (guint i = 0; i < n;) {
    guint k = 1;
    Row r = {0};
    while (!g_atomic_int_get(&no_batches) && w[i]->appeal_id && i + k < n && k < BATCH_MAX &&
           w[i + k]->appeal_id == w[i]->appeal_id && w[i + k]->stretch == w[i]->stretch)
      k++;
    r.first = i;
    r.facts = k;
    r.appeal_id = w[i]->appeal_id;
    r.at = w[i]->at;
    if (k == 1) {
      r.kind = w[i]->kind;
      r.ref = w[i]->ref;
      r.ref_id = w[i]->ref_id;
      r.number = w[i]->number;
      r.entry = g_bytes_ref(w[i]->entry);
    } else {
      OknoJournalBatchFact *facts = g_new0(OknoJournalBatchFact, k);
      OknoJournalBatchFact **ptrs = g_new0(OknoJournalBatchFact *, k);
      for (guint j = 0; j < k; j++) {
        facts[j].kind = w[i + j]->kind;
        facts[j].ref = w[i + j]->ref;
        facts[j].ref_id = w[i + j]->ref_id;
        facts[j].entry = w[i + j]->entry;
        ptrs[j] = &facts[j];
        if (!r.number)
          r.number = w[i + j]->number;
      }
      r.kind = r.ref = "batch";
      r.ref_id = w[i]->appeal_id;
      r.entry = okno_journal_entry_batch(ptrs, k);
      g_free(ptrs);
      g_free(facts);
    }
    {
      gsize len;
      const void *data = g_bytes_get_data(r.entry, &len);
      okno_journal_leaf_hash(data ? data : "", len, r.leaf);
    }
    g_array_append_val(rows, r);
    i += k;
  }
  return rows;
}

static void rows_free(GArray *rows)
{
  for (guint i = 0; i < rows->len; i++)
    g_bytes_unref(g_array_index(rows, Row, i).entry);
  g_array_unref(rows);
}

/* The VALUES of the index rows of the batches among rows[0..n) (leaf i: seq base + i + 1
 * on SQLite, the i of the leaf's VALUES row on PostgreSQL), appended to sql from
 * parameter `p` on; returns how many index rows. */
static guint index_values(GString *sql, GArray *params, Waiting *const *w, const Row *rows,
                          guint n, gint64 base, gboolean sqlite)
{
  guint count = 0;
  for (guint i = 0; i < n; i++) {
    if (rows[i].facts < 2)
      continue;
    for (guint j = 0; j < rows[i].facts; j++) {
      const Waiting *x = w[rows[i].first + j];
      OknoParam p[4] = {OKNO_TEXT(x->ref), OKNO_INT(x->ref_id),
                        OKNO_INT(sqlite ? base + i + 1 : (gint64)i + 1), OKNO_INT(j)};
      guint k = params->len;
      g_array_append_vals(params, p, 4);
      g_string_append_printf(sql, "%s($%u, $%u, $%u, $%u)", count ? ", " : " ", k + 1, k + 2,
                             k + 3, k + 4);
      count++;
    }
  }
  return count;
}

/* Writes leaves rows[0..n) (their facts from w); PostgreSQL: one statement; SQLite: the
 * size, the leaves and the index rows. `last_write`: the transaction's last write (its
 * commit follows): nobody reads the seqs, so on PostgreSQL the statement goes without
 * waiting (db.h, pipelining) and an error of it is the COMMIT's. */
static gboolean write_chunk(OknoStore *st, Waiting *const *w, const Row *rows, guint n,
                            gboolean last_write, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gboolean sqlite = okno_db_is_sqlite(db);
  g_autoptr(GString) sql = g_string_new(NULL);
  g_autoptr(GString) facts_sql = g_string_new(NULL);
  g_autoptr(GArray) params = g_array_new(FALSE, TRUE, sizeof(OknoParam));
  g_autoptr(OknoRows) r = NULL;
  gint64 base = 0, last = 0;
  guint indexed;
  if (sqlite) {
    /* one writer holds the database: the size read here is the size the rows take
     * (the trigger journal_count adds one per row) */
    g_autoptr(OknoRows) size = okno_db_query(db, "SELECT size FROM journal_state",
                                             OKNO_NO_PARAMS, error);
    okno_journal_count_work(0, 0, 1);
    if (!size)
      return FALSE;
    if (okno_rows_count(size) != 1) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "journal_state has no row");
      return FALSE;
    }
    base = okno_rows_int(size, 0, 0);
    g_string_append(sql, "INSERT INTO journal(seq, kind, ref, ref_id, appeal_id, number, at, "
                         "entry, leaf) VALUES");
  } else {
    /* the UPDATE locks journal_state's row and returns the size after these rows (none:
     * the seqs are NULL and the INSERT fails, also when sent without waiting) */
    g_string_append_printf(sql, "WITH s AS (UPDATE journal_state SET size = size + %u "
                                "RETURNING size), j AS (INSERT INTO journal(seq, kind, ref, "
                                "ref_id, appeal_id, number, at, entry, leaf) SELECT s.size - %u "
                                "+ v.i, v.kind, v.ref, v.ref_id, v.appeal_id, coalesce(v.number, "
                                "(SELECT number FROM appeals WHERE id = v.appeal_id), ''), v.at, "
                                "v.entry, v.leaf FROM (VALUES",
                           n, n);
  }
  for (guint i = 0; i < n; i++) {
    guint k = params->len;
    gsize len;
    const void *data = g_bytes_get_data(rows[i].entry, &len);
    OknoParam p[9] = {OKNO_INT(sqlite ? base + i + 1 : (gint64)i + 1),
                      OKNO_TEXT(rows[i].kind),
                      OKNO_TEXT(rows[i].ref),
                      OKNO_INT(rows[i].ref_id),
                      OKNO_INT(rows[i].appeal_id),
                      OKNO_TEXT(rows[i].number),
                      OKNO_INT(rows[i].at),
                      OKNO_BLOB(data ? data : "", len),
                      OKNO_BLOB(rows[i].leaf, OKNO_HASH_LEN)};
    g_array_append_vals(params, p, 9);
    if (sqlite)
      g_string_append_printf(sql, "%s($%u, $%u, $%u, $%u, $%u, coalesce($%u, (SELECT number "
                                  "FROM appeals WHERE id = $%u), ''), $%u, $%u, $%u)",
                             i ? ", " : " ", k + 1, k + 2, k + 3, k + 4, k + 5, k + 6, k + 5,
                             k + 7, k + 8, k + 9);
    else
      g_string_append_printf(sql, "%s($%u, $%u, $%u, $%u, $%u, $%u, $%u, $%u, $%u)",
                             i ? ", " : " ", k + 1, k + 2, k + 3, k + 4, k + 5, k + 6, k + 7,
                             k + 8, k + 9);
  }
  if (sqlite) {
    g_string_append(sql, " RETURNING seq");
  } else {
    g_string_append(sql, ") AS v(i, kind, ref, ref_id, appeal_id, number, at, entry, leaf) "
                         "LEFT JOIN s ON TRUE ORDER BY v.i RETURNING seq)");
    g_string_append(facts_sql, ", f AS (INSERT INTO journal_facts(ref, ref_id, seq, fact) "
                               "SELECT x.ref, x.ref_id, s.size - ");
    g_string_append_printf(facts_sql, "%u + x.i, x.fact FROM s, (VALUES", n);
    if (index_values(facts_sql, params, w, rows, n, 0, FALSE)) {
      g_string_append(facts_sql, ") AS x(ref, ref_id, i, fact) RETURNING 1)");
      g_string_append(sql, facts_sql->str);
    }
    g_string_append(sql, " SELECT seq FROM j");
  }
  okno_journal_count_work(0, 0, 1);
  if (!sqlite && last_write) {
    if (!okno_db_exec(db, sql->str, (const OknoParam *)params->data, params->len, error))
      return FALSE;
    for (guint i = 0; i < n; i++)
      okno_journal_count_work(1, rows[i].facts, 0);
    return TRUE;
  }
  r = okno_db_query(db, sql->str, (const OknoParam *)params->data, params->len, error);
  if (!r)
    return FALSE;
  if (okno_rows_count(r) != n) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "journal_state has no row");
    return FALSE;
  }
  if (sqlite) {
    g_array_set_size(params, 0);
    g_string_assign(facts_sql, "INSERT INTO journal_facts(ref, ref_id, seq, fact) VALUES");
    indexed = index_values(facts_sql, params, w, rows, n, base, TRUE);
    if (indexed) {
      okno_journal_count_work(0, 0, 1);
      if (!okno_db_exec(db, facts_sql->str, (const OknoParam *)params->data, params->len, error))
        return FALSE;
    }
  }
  for (guint j = 0; j < n; j++) /* RETURNING gives no order: the rows' last seq */
    last = MAX(last, okno_rows_int(r, j, 0));
  for (guint i = 0; i < n; i++) {
    okno_journal_count_work(1, rows[i].facts, 0);
    /* the registration's leaf, now written, takes the changes that follow */
    for (guint j = 0; j < rows[i].facts; j++)
      if (strcmp(w[rows[i].first + j]->kind, "registration") == 0)
        okno_store_note_registration_leaf(st, w[rows[i].first + j]->ref_id, last - n + i + 1);
  }
  return TRUE;
}

/* Writes the facts waiting; on success they count as written. */
static gboolean write_waiting(OknoStore *st, gboolean last_write, GError **error)
{
  Pending *p = pending(st, FALSE);
  Waiting *const *w;
  GArray *rows;
  gboolean ok = TRUE;
  if (!p || p->next >= p->w->len)
    return TRUE;
  w = (Waiting *const *)p->w->pdata + p->next;
  rows = rows_of(w, p->w->len - p->next);
  for (guint done = 0; ok && done < rows->len;) {
    guint n = MIN(WRITE_CHUNK, rows->len - done);
    ok = write_chunk(st, w, &g_array_index(rows, Row, done), n, last_write, error);
    done += n;
  }
  rows_free(rows);
  if (!ok)
    return FALSE;
  p->next = p->w->len;
  forget_written(p);
  return TRUE;
}

gboolean okno_journal_write_pending(OknoStore *st, GError **error)
{
  return write_waiting(st, FALSE, error);
}

gboolean okno_journal_write_pending_last(OknoStore *st, GError **error)
{
  return write_waiting(st, TRUE, error);
}

gboolean okno_journal_add_leaf(OknoStore *st, const char *kind, const char *ref, gint64 ref_id,
                               gint64 appeal_id, const char *number, gint64 at, GBytes *entry,
                               GError **error)
{
  Waiting *x;
  Pending *p;
  if (!okno_store_in_transaction(st))
    return okno_journal_append_seq(st, kind, ref, ref_id, appeal_id, number, at, entry, NULL,
                                   error);
  p = pending(st, TRUE);
  x = g_new0(Waiting, 1);
  x->kind = g_strdup(kind);
  x->ref = g_strdup(ref);
  x->number = g_strdup(number);
  x->ref_id = ref_id;
  x->appeal_id = appeal_id;
  x->at = at;
  x->entry = g_bytes_ref(entry); /* hashed when written: a fold may replace it */
  x->stretch = p->stretch;
  g_ptr_array_add(p->w, x);
  return TRUE;
}

gboolean okno_journal_fold_waiting(OknoStore *st, const OknoAppeal *a, GBytes *e,
                                   gboolean *folded, GError **error)
{
  Pending *p = pending(st, FALSE);
  guint since;
  *folded = FALSE;
  if (!p)
    return TRUE;
  since = p->marks->len ? g_array_index(p->marks, Mark, p->marks->len - 1).len : 0;
  for (guint i = p->next; i < p->w->len; i++) {
    Waiting *x = p->w->pdata[i];
    if (x->ref_id != a->id || strcmp(x->kind, "registration") != 0)
      continue;
    /* From another stretch (it would have been written at that boundary) or from
     * before the innermost savepoint: written now, its leaf takes the change as a row
     * (okno_store_registration_leaf) that a rollback to the savepoint undoes. */
    if (i < since || x->stretch != p->stretch)
      return okno_journal_write_pending(st, error);
    g_bytes_unref(x->entry);
    x->entry = g_bytes_ref(e);
    *folded = TRUE;
    return TRUE;
  }
  return TRUE;
}
