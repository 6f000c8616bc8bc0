/* journal_read.c: reading the journal's leaves and facts back (contract: journal.h):
 * leaves by seq as stored (a batch is one leaf), and a record's facts wherever they are:
 * in a leaf of their own or inside a batch leaf, found through the index journal_facts
 * (ref, ref_id, seq, fact) and returned as a leaf per fact (OknoJournalLeaf: `entry`
 * the fact's entry, `batch` the bytes the leaf hashes, `fact` its index). */
#include "store/journal.h"
#include "store/journal_batch.h"
#include "store/journal_internal.h"
#include "store/keys.h"

#include <string.h>

#include "core/error.h"
#include "store/appeal_row.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")
#define MESSAGE_COLUMNS OKNO_JOURNAL_MESSAGE_COLUMNS

/* ---- reading ---- */

void okno_journal_leaf_free(OknoJournalLeaf *l)
{
  if (!l)
    return;
  g_free(l->kind);
  g_free(l->ref);
  g_free(l->number);
  if (l->entry)
    g_bytes_unref(l->entry);
  if (l->leaf)
    g_bytes_unref(l->leaf);
  if (l->batch)
    g_bytes_unref(l->batch);
  g_free(l);
}

/* Row i of rows of OKNO_JOURNAL_LEAF_COLUMNS as a leaf. */
static OknoJournalLeaf *leaf_of_row(const OknoRows *r, guint i)
{
  OknoJournalLeaf *l = g_new0(OknoJournalLeaf, 1);
  l->seq = okno_rows_int(r, i, 0);
  l->kind = g_strdup(okno_rows_text(r, i, 1));
  l->ref = g_strdup(okno_rows_text(r, i, 2));
  l->ref_id = okno_rows_int(r, i, 3);
  l->appeal_id = okno_rows_int(r, i, 4);
  l->number = g_strdup(okno_rows_text(r, i, 5) ? okno_rows_text(r, i, 5) : "");
  l->at = okno_rows_int(r, i, 6);
  l->entry = okno_rows_blob(r, i, 7);
  l->leaf = okno_rows_blob(r, i, 8);
  if (!l->entry)
    l->entry = g_bytes_new(NULL, 0);
  if (!l->leaf)
    l->leaf = g_bytes_new(NULL, 0);
  l->fact = -1;
  return l;
}

GPtrArray *okno_journal_leaves_of_rows(const OknoRows *r)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_journal_leaf_free);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_ptr_array_add(out, leaf_of_row(r, i));
  return out;
}

/* A batch entry and its facts (an entry that is no batch: no facts). */
typedef struct {
  GBytes *entry;
  GPtrArray *facts;
} Parsed;

static void parsed_free(Parsed *p)
{
  g_bytes_unref(p->entry);
  g_ptr_array_unref(p->facts);
  g_free(p);
}

/* Parses batch entry `entry` of leaf `seq` into `cache` (seq -> Parsed). */
static Parsed *cache_batch(GHashTable *cache, gint64 seq, GBytes *entry)
{
  Parsed *p = g_new0(Parsed, 1);
  gint64 *key = g_new(gint64, 1);
  gsize len;
  const void *data = g_bytes_get_data(entry, &len);
  p->entry = g_bytes_ref(entry);
  p->facts = okno_journal_batch_parse(data, len);
  if (!p->facts)
    p->facts = g_ptr_array_new();
  *key = seq;
  g_hash_table_insert(cache, key, p);
  return p;
}

/* Batch leaf `l` parsed, once per seq in `cache`. */
static Parsed *batch_parsed(GHashTable *cache, const OknoJournalLeaf *l)
{
  Parsed *p = g_hash_table_lookup(cache, &l->seq);
  return p ? p : cache_batch(cache, l->seq, l->entry);
}

static GPtrArray *batch_facts(GHashTable *cache, const OknoJournalLeaf *l)
{
  return batch_parsed(cache, l)->facts;
}

static GHashTable *batch_cache(void)
{
  return g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)parsed_free);
}

/* Leaf `l` as fact `index` of its batch: kind, ref, ref_id and entry the fact's (an
 * index the batch does not hold, or another ref or id than the index row names, gives
 * an empty entry: the row then differs from its leaf). */
static void as_fact(GHashTable *cache, OknoJournalLeaf *l, gint64 index, const char *ref,
                    gint64 ref_id)
{
  Parsed *p = batch_parsed(cache, l);
  GPtrArray *facts = p->facts;
  OknoJournalBatchFact *f = index >= 0 && index < facts->len ? facts->pdata[index] : NULL;
  l->batch = g_bytes_ref(p->entry);
  g_clear_pointer(&l->entry, g_bytes_unref);
  l->fact = (gint)index;
  g_free(l->kind);
  g_free(l->ref);
  if (f && (!ref || (strcmp(f->ref, ref) == 0 && f->ref_id == ref_id))) {
    l->kind = g_strdup(f->kind);
    l->ref = g_strdup(f->ref);
    l->ref_id = f->ref_id;
    l->entry = g_bytes_ref(f->entry);
  } else {
    l->kind = g_strdup("batch");
    l->ref = g_strdup(ref ? ref : "");
    l->ref_id = ref_id;
    l->entry = g_bytes_new(NULL, 0);
  }
}

/* Rows of OKNO_JOURNAL_LEAF_COLUMNS plus the index row's ref, ref_id and fact (columns
 * 9..11; fact -1: a leaf of its own) as one leaf per fact. */
static GPtrArray *facts_of_rows_cached(const OknoRows *r, GHashTable *cache)
{
  GPtrArray *out = okno_journal_leaves_of_rows(r);
  for (guint i = 0; i < out->len; i++) {
    gint64 fact = okno_rows_int(r, i, 11);
    if (fact >= 0)
      as_fact(cache, out->pdata[i], fact, okno_rows_text(r, i, 9), okno_rows_int(r, i, 10));
  }
  return out;
}

static GPtrArray *facts_of_rows(const OknoRows *r)
{
  g_autoptr(GHashTable) cache = batch_cache();
  return facts_of_rows_cached(r, cache);
}

/* The leaves of (ref, ref_id) in ref_id's range, single and in batches. */
#define FACT_LEAVES(where_single, where_fact)                                                \
  "SELECT seq, kind, ref, ref_id, appeal_id, number, at, entry, leaf, ref, ref_id, -1 "    \
  "FROM journal WHERE " where_single " UNION ALL "                                          \
  "SELECT j.seq, j.kind, j.ref, j.ref_id, j.appeal_id, j.number, j.at, j.entry, j.leaf, "   \
  "f.ref, f.ref_id, f.fact FROM journal_facts f JOIN journal j ON j.seq = f.seq WHERE "     \
  where_fact

gboolean okno_journal_latest_fact(OknoStore *st, const char *ref, gint64 ref_id, gint64 *seq,
                                  GBytes **entry, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GPtrArray) one = NULL;
  *seq = 0;
  *entry = NULL;
  if (!okno_journal_write_pending(st, error))
    return FALSE;
  okno_journal_count_work(0, 0, 1);
  r = okno_db_query(okno_store_db(st),
                    FACT_LEAVES("ref = $1 AND ref_id = $2", "f.ref = $1 AND f.ref_id = $2")
                    " ORDER BY 1 DESC, 12 DESC LIMIT 1",
                    OKNO_PARAMS(OKNO_TEXT(ref), OKNO_INT(ref_id)), error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r))
    return TRUE;
  one = facts_of_rows(r);
  *seq = ((OknoJournalLeaf *)one->pdata[0])->seq;
  *entry = g_bytes_ref(((OknoJournalLeaf *)one->pdata[0])->entry);
  return TRUE;
}

gboolean okno_store_journal_size(OknoStore *st, gint64 *size, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  if (!okno_journal_write_pending(st, error))
    return FALSE;
  r = okno_db_query(okno_store_db(st), "SELECT size FROM journal_state", OKNO_NO_PARAMS, error);
  if (!r)
    return FALSE;
  *size = okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
  return TRUE;
}

GPtrArray *okno_store_journal_leaves(OknoStore *st, gint64 after, guint limit, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  if (!okno_journal_write_pending(st, error))
    return NULL;
  r = okno_db_query(
      okno_store_db(st),
      "SELECT " OKNO_JOURNAL_LEAF_COLUMNS " FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2",
      OKNO_PARAMS(OKNO_INT(after), OKNO_INT(limit)), error);
  return r ? okno_journal_leaves_of_rows(r) : NULL;
}

/* Query `sql` over ($1 ref, $2 after, $3 upto). */
static OknoRows *in_range(OknoDb *db, const char *sql, const char *ref, gint64 after,
                          gint64 upto, GError **error)
{
  return okno_db_query(db, sql, OKNO_PARAMS(OKNO_TEXT(ref), OKNO_INT(after), OKNO_INT(upto)),
                       error);
}

/* A batch leaf of a fact page: its row in the page's query and its facts. */
typedef struct {
  gint64 seq;
  guint row;
  guint first, n; /* its facts in the page's views; n 0: not well formed */
} PageBatch;

struct OknoJournalFactPage {
  OknoRows *single, *index, *batches;
  GArray *batch;  /* PageBatch, by seq */
  GArray *views;  /* OknoJournalBatchView of every batch */
  GArray *facts;  /* OknoJournalFactView */
};

void okno_journal_fact_page_free(OknoJournalFactPage *p)
{
  if (!p)
    return;
  okno_rows_free(p->single);
  okno_rows_free(p->index);
  okno_rows_free(p->batches);
  if (p->batch)
    g_array_unref(p->batch);
  if (p->views)
    g_array_unref(p->views);
  if (p->facts)
    g_array_unref(p->facts);
  g_free(p);
}

const GArray *okno_journal_fact_page_facts(const OknoJournalFactPage *p) { return p->facts; }

static const PageBatch *page_batch(const OknoJournalFactPage *p, gint64 seq)
{
  guint lo = 0, hi = p->batch->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    const PageBatch *b = &g_array_index(p->batch, PageBatch, mid);
    if (b->seq == seq)
      return b;
    if (b->seq < seq)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* The leaf columns of row i of r (OKNO_JOURNAL_LEAF_COLUMNS) into v, its entry being
 * what the leaf hashes. */
static void view_of_row(const OknoRows *r, guint i, OknoJournalFactView *v)
{
  const char *number = okno_rows_text(r, i, 5);
  v->seq = okno_rows_int(r, i, 0);
  v->ref_id = okno_rows_int(r, i, 3);
  v->fact = -1;
  v->kind = okno_rows_blob_data(r, i, 1, &v->kind_len);
  if (!v->kind)
    v->kind = "";
  v->number = number ? number : "";
  v->appeal_id = okno_rows_int(r, i, 4);
  v->at = okno_rows_int(r, i, 6);
  v->hashed = okno_rows_blob_data(r, i, 7, &v->hashed_len);
  if (!v->hashed)
    v->hashed = "";
  v->leaf = okno_rows_blob_data(r, i, 8, &v->leaf_len);
  v->entry = v->hashed;
  v->len = v->hashed_len;
}

OknoJournalFactPage *okno_store_journal_fact_page(OknoStore *st, const char *ref, gint64 after,
                                                  gint64 upto, GError **error)
{
  /* Three scans in index order, merged here (verify reads every fact this way: 7
   * million on a journal of a million batch leaves): the record's leaves of their own
   * (index journal_ref), its facts in batches (journal_facts' key: three integers a
   * fact), and those batches' rows by seq, each once however many of its facts are
   * asked; facts point into the rows' bytes. */
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoJournalFactPage) p = g_new0(OknoJournalFactPage, 1);
  guint si = 0, ii = 0, ns, ni;
  gsize rlen = strlen(ref);
  if (!(p->single = in_range(db,
                             "SELECT " OKNO_JOURNAL_LEAF_COLUMNS " FROM journal WHERE ref = $1 "
                             "AND ref_id > $2 AND ref_id <= $3 ORDER BY ref_id, seq",
                             ref, after, upto, error)) ||
      !(p->index = in_range(db,
                            "SELECT ref_id, seq, fact FROM journal_facts WHERE ref = $1 AND "
                            "ref_id > $2 AND ref_id <= $3 ORDER BY ref_id, seq, fact",
                            ref, after, upto, error)) ||
      !(p->batches = in_range(db,
                              "SELECT " OKNO_JOURNAL_LEAF_COLUMNS " FROM journal WHERE seq IN "
                              "(SELECT seq FROM journal_facts WHERE ref = $1 AND ref_id > $2 "
                              "AND ref_id <= $3) ORDER BY seq",
                              ref, after, upto, error)))
    return NULL;
  p->batch = g_array_sized_new(FALSE, FALSE, sizeof(PageBatch), okno_rows_count(p->batches));
  p->views = g_array_sized_new(FALSE, FALSE, sizeof(OknoJournalBatchView),
                               8 * okno_rows_count(p->batches));
  for (guint i = 0; i < okno_rows_count(p->batches); i++) {
    gsize len;
    const void *e = okno_rows_blob_data(p->batches, i, 7, &len);
    PageBatch b = {.seq = okno_rows_int(p->batches, i, 0), .row = i, .first = p->views->len};
    if (e && okno_journal_batch_views(e, len, p->views))
      b.n = p->views->len - b.first;
    g_array_append_val(p->batch, b);
  }
  ns = okno_rows_count(p->single);
  ni = okno_rows_count(p->index);
  p->facts = g_array_sized_new(FALSE, FALSE, sizeof(OknoJournalFactView), ns + ni);
  /* ordered by ref_id, seq, fact (a leaf of its own as fact -1) */
  while (si < ns || ii < ni) {
    gint64 sid = si < ns ? okno_rows_int(p->single, si, 3) : G_MAXINT64;
    gint64 iid = ii < ni ? okno_rows_int(p->index, ii, 0) : G_MAXINT64;
    gint64 iseq = ii < ni ? okno_rows_int(p->index, ii, 1) : G_MAXINT64;
    gint64 index;
    const PageBatch *b;
    const OknoJournalBatchView *f;
    OknoJournalFactView v;
    if (si < ns && (sid < iid || (sid == iid && okno_rows_int(p->single, si, 0) <= iseq))) {
      view_of_row(p->single, si++, &v);
      g_array_append_val(p->facts, v);
      continue;
    }
    b = page_batch(p, iseq);
    index = okno_rows_int(p->index, ii++, 2);
    if (!b) /* an index row naming no leaf: the scan by seq finds the count wrong */
      continue;
    /* an index the batch does not hold, or another ref or id than the index row
     * names: an empty entry, so the row differs from its leaf */
    f = index >= 0 && index < b->n ? &g_array_index(p->views, OknoJournalBatchView,
                                                    b->first + (guint)index)
                                   : NULL;
    if (f && (f->ref_len != rlen || memcmp(f->ref, ref, rlen) != 0 || f->ref_id != iid))
      f = NULL;
    view_of_row(p->batches, b->row, &v);
    v.ref_id = iid;
    v.fact = (gint)index;
    v.kind = f ? f->kind : "batch";
    v.kind_len = f ? f->kind_len : 5;
    v.entry = f ? f->entry : "";
    v.len = f ? f->size : 0;
    g_array_append_val(p->facts, v);
  }
  return g_steal_pointer(&p);
}

gboolean okno_store_journal_index_size(OknoStore *st, gint64 *rows, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), "SELECT count(*) FROM journal_facts",
                                        OKNO_NO_PARAMS, error);
  if (!r)
    return FALSE;
  *rows = okno_rows_int(r, 0, 0);
  return TRUE;
}

GArray *okno_store_journal_index_counts(OknoStore *st, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT seq, count(*) FROM journal_facts GROUP BY seq ORDER BY seq",
      OKNO_NO_PARAMS, error);
  GArray *out;
  if (!r)
    return NULL;
  out = g_array_new(FALSE, FALSE, sizeof(gint64));
  for (guint i = 0; i < okno_rows_count(r); i++) {
    gint64 pair[2] = {okno_rows_int(r, i, 0), okno_rows_int(r, i, 1)};
    g_array_append_vals(out, pair, 2);
  }
  return out;
}

GByteArray *okno_store_journal_leaf_hashes(OknoStore *st, gint64 first, gint64 last,
                                           GError **error)
{
  GByteArray *out = g_byte_array_new();
  for (gint64 from = first; from <= last;) {
    g_autoptr(OknoRows) r = okno_db_query(
        okno_store_db(st),
        "SELECT seq, leaf FROM journal WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT 10000",
        OKNO_PARAMS(OKNO_INT(from), OKNO_INT(last)), error);
    guint n;
    if (!r) {
      g_byte_array_unref(out);
      return NULL;
    }
    n = okno_rows_count(r);
    for (guint i = 0; i < n; i++) {
      g_autoptr(GBytes) b = okno_rows_blob(r, i, 1);
      gsize len = 0;
      const void *d = b ? g_bytes_get_data(b, &len) : NULL;
      if (okno_rows_int(r, i, 0) != from + i || len != OKNO_HASH_LEN) {
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                    "journal leaf %" G_GINT64_FORMAT " is missing or malformed", from + i);
        g_byte_array_unref(out);
        return NULL;
      }
      g_byte_array_append(out, d, OKNO_HASH_LEN);
    }
    if (n == 0) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                  "journal leaf %" G_GINT64_FORMAT " is missing", from);
      g_byte_array_unref(out);
      return NULL;
    }
    from += n;
  }
  return out;
}

GPtrArray *okno_store_journal_leaves_of_appeal(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT " OKNO_JOURNAL_LEAF_COLUMNS " FROM journal WHERE appeal_id = $1 ORDER BY seq",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  g_autoptr(GPtrArray) stored = r ? okno_journal_leaves_of_rows(r) : NULL;
  g_autoptr(GHashTable) cache = batch_cache();
  GPtrArray *out;
  if (!stored)
    return NULL;
  /* each batch as its facts, in order */
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_journal_leaf_free);
  for (guint i = 0; i < stored->len; i++) {
    OknoJournalLeaf *l = stored->pdata[i];
    guint n = strcmp(l->kind, "batch") == 0 ? batch_facts(cache, l)->len : 0;
    if (strcmp(l->kind, "batch") != 0) {
      g_ptr_array_add(out, g_ptr_array_steal_index(stored, i--));
      continue;
    }
    for (guint k = 0; k < n; k++) {
      OknoJournalLeaf *x = g_new0(OknoJournalLeaf, 1);
      *x = *l;
      x->kind = g_strdup(l->kind);
      x->ref = g_strdup(l->ref);
      x->number = g_strdup(l->number);
      x->entry = g_bytes_ref(l->entry);
      x->leaf = g_bytes_ref(l->leaf);
      as_fact(cache, x, k, NULL, 0);
      g_ptr_array_add(out, x);
    }
  }
  return out;
}

GBytes *okno_store_journal_message_raw(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), "SELECT raw FROM messages WHERE id = $1",
                                        OKNO_PARAMS(OKNO_INT(id)), error);
  g_autoptr(GBytes) stored = r && okno_rows_count(r) ? okno_rows_blob(r, 0, 0) : NULL;
  /* sealed under the appeal's data key (store/keys.h): the evidence is the original */
  return stored ? okno_store_unseal(st, "messages.raw", stored, error) : NULL;
}

gboolean okno_store_journal_event_row(OknoStore *st, gint64 id, gint64 *appeal_id, gint64 *at,
                                      char **kind, char **detail, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT appeal_id, at, kind, detail FROM events WHERE id = $1",
      OKNO_PARAMS(OKNO_INT(id)), error);
  if (!r || !okno_rows_count(r))
    return FALSE;
  *appeal_id = okno_rows_int(r, 0, 0);
  *at = okno_rows_int(r, 0, 1);
  *kind = g_strdup(okno_rows_text(r, 0, 2));
  *detail = g_strdup(okno_rows_text(r, 0, 3));
  return TRUE;
}

OknoJournalLeaf *okno_store_journal_registration_leaf(OknoStore *st, gint64 appeal_id,
                                                      GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GPtrArray) one = NULL;
  if (!okno_journal_write_pending(st, error)) /* the receipt's proof names the written leaf */
    return NULL;
  okno_journal_count_work(0, 0, 1);
  /* the appeal's first fact, alone or in a batch, is its registration */
  r = okno_db_query(
      okno_store_db(st),
      FACT_LEAVES("ref = 'appeal' AND ref_id = $1", "f.ref = 'appeal' AND f.ref_id = $1")
      " ORDER BY 1, 12 LIMIT 1",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  if (!r || !okno_rows_count(r))
    return NULL;
  one = facts_of_rows(r);
  if (strcmp(((OknoJournalLeaf *)one->pdata[0])->kind, "registration") != 0)
    return NULL;
  return g_ptr_array_steal_index(one, 0);
}

OknoJournalLeaf *okno_store_journal_registration_of(OknoStore *st, const char *number,
                                                    GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st),
                                        "SELECT id FROM appeals WHERE number = $1",
                                        OKNO_PARAMS(T(number)), error);
  if (!r || !okno_rows_count(r))
    return NULL;
  return okno_store_journal_registration_leaf(st, okno_rows_int(r, 0, 0), error);
}

gint64 okno_store_journal_registration_seq(OknoStore *st, const char *number, GError **error)
{
  g_autoptr(OknoJournalLeaf) l = okno_store_journal_registration_of(st, number, error);
  return l ? l->seq : 0;
}

void okno_journal_fact_free(OknoJournalFact *f)
{
  if (!f)
    return;
  g_free(f->number);
  if (f->entry)
    g_bytes_unref(f->entry);
  if (f->entry_v1)
    g_bytes_unref(f->entry_v1);
  g_free(f);
}

/* A fact of row i of r: its id (column 0), appeal id (column 1), number (column
 * `number_col`) and the entry given (taken). */
static void add_fact(GPtrArray *out, const OknoRows *r, guint i, guint number_col, GBytes *entry)
{
  OknoJournalFact *f = g_new0(OknoJournalFact, 1);
  f->id = okno_rows_int(r, i, 0);
  f->appeal_id = okno_rows_int(r, i, 1);
  f->number = g_strdup(okno_rows_text(r, i, number_col));
  f->entry = entry;
  g_ptr_array_add(out, f);
}

/* The table of `ref`'s rows; NULL (and the error) for no journaled record. */
static const char *ref_table(const char *ref, GError **error)
{
  static const char *const map[][2] = {
      {"appeal", "appeals"}, {"message", "messages"}, {"event", "events"}, {"access", "access_log"}};
  for (guint i = 0; i < G_N_ELEMENTS(map); i++)
    if (g_strcmp0(ref, map[i][0]) == 0)
      return map[i][1];
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "no journaled record '%s'", ref);
  return NULL;
}

gboolean okno_store_journal_ids(OknoStore *st, const char *ref, gint64 *min, gint64 *max,
                                GError **error)
{
  const char *table = ref_table(ref, error);
  g_autofree char *sql = NULL;
  g_autoptr(OknoRows) r = NULL;
  *min = *max = 0;
  if (!table)
    return FALSE;
  /* two lookups at the ends of the primary key, no scan */
  sql = g_strdup_printf("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM %s", table);
  r = okno_db_query(okno_store_db(st), sql, OKNO_NO_PARAMS, error);
  if (!r)
    return FALSE;
  *min = okno_rows_int(r, 0, 0);
  *max = okno_rows_int(r, 0, 1);
  return TRUE;
}

GPtrArray *okno_store_journal_facts(OknoStore *st, const char *ref, gint64 after, gint64 upto,
                                    guint limit, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GPtrArray) out =
      g_ptr_array_new_with_free_func((GDestroyNotify)okno_journal_fact_free);
  if (g_strcmp0(ref, "appeal") == 0) {
    r = okno_db_query(db,
                      "SELECT " OKNO_APPEAL_COLUMNS " FROM appeals WHERE id > $1 AND id <= $2 "
                      "ORDER BY id LIMIT $3",
                      OKNO_PARAMS(OKNO_INT(after), OKNO_INT(upto), OKNO_INT(limit)), error);
    if (!r)
      return NULL;
    for (guint i = 0; i < okno_rows_count(r); i++) {
      g_autoptr(OknoAppeal) a = okno_appeal_from_row(r, i, error);
      OknoJournalFact *f;
      if (!a)
        return NULL;
      f = g_new0(OknoJournalFact, 1);
      f->id = f->appeal_id = a->id;
      f->number = g_strdup(a->number);
      f->entry = okno_journal_entry_appeal(a);
      f->entry_v1 = okno_journal_entry_appeal_v(a, 1);
      g_ptr_array_add(out, f);
    }
  } else if (g_strcmp0(ref, "message") == 0) {
    r = okno_db_query(db,
                      "SELECT " MESSAGE_COLUMNS " FROM messages m LEFT JOIN appeals a "
                      "ON a.id = m.appeal_id WHERE m.id > $1 AND m.id <= $2 ORDER BY m.id LIMIT $3",
                      OKNO_PARAMS(OKNO_INT(after), OKNO_INT(upto), OKNO_INT(limit)), error);
    if (!r)
      return NULL;
    for (guint i = 0; i < okno_rows_count(r); i++) {
      GBytes *e = okno_journal_message_entry_of_row(st, r, i, error);
      if (!e)
        return NULL;
      add_fact(out, r, i, 13, e);
    }
  } else if (g_strcmp0(ref, "event") == 0) {
    r = okno_db_query(db,
                      "SELECT e.id, e.appeal_id, e.at, e.kind, e.detail, coalesce(a.number, '') "
                      "FROM events e LEFT JOIN appeals a ON a.id = e.appeal_id WHERE e.id > $1 "
                      "AND e.id <= $2 ORDER BY e.id LIMIT $3",
                      OKNO_PARAMS(OKNO_INT(after), OKNO_INT(upto), OKNO_INT(limit)), error);
    if (!r)
      return NULL;
    for (guint i = 0; i < okno_rows_count(r); i++)
      add_fact(out, r, i, 5,
               okno_journal_entry_event(okno_rows_int(r, i, 0), okno_rows_int(r, i, 1),
                                        okno_rows_int(r, i, 2), okno_rows_text(r, i, 3),
                                        okno_rows_text(r, i, 4)));
  } else if (g_strcmp0(ref, "access") == 0) {
    r = okno_db_query(db,
                      "SELECT l.id, l.appeal_id, l.at, l.user_id, l.role, l.department, l.ip, "
                      "l.action, l.detail, coalesce(a.number, '') FROM access_log l "
                      "LEFT JOIN appeals a ON a.id = l.appeal_id WHERE l.id > $1 "
                      "AND l.id <= $2 ORDER BY l.id LIMIT $3",
                      OKNO_PARAMS(OKNO_INT(after), OKNO_INT(upto), OKNO_INT(limit)), error);
    if (!r)
      return NULL;
    for (guint i = 0; i < okno_rows_count(r); i++) {
      OknoAccessRow row = {
          .id = okno_rows_int(r, i, 0),
          .appeal_id = okno_rows_int(r, i, 1),
          .at = okno_rows_int(r, i, 2),
          .user_id = okno_rows_int(r, i, 3),
          .role = (char *)okno_rows_text(r, i, 4),
          .department = (char *)okno_rows_text(r, i, 5),
          .ip = (char *)okno_rows_text(r, i, 6),
          .action = (char *)okno_rows_text(r, i, 7),
          .detail = (char *)okno_rows_text(r, i, 8),
      };
      add_fact(out, r, i, 9, okno_journal_entry_access(&row));
    }
  } else {
    ref_table(ref, error); /* its error: no journaled record */
    return NULL;
  }
  return g_steal_pointer(&out);
}
