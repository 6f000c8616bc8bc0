/* journal_verify.c: verifying the journal (`okno journal verify`, the scheduler's daily
 * verify; contract: ops/journal.h), apart from signing and proofs (journal.c).
 *
 * Verification walks the journal twice, each time in pages, so memory stays bounded
 * whatever its size: once by seq (leaf hashes recomputed from entries, gaps, the tree
 * root at the latest signed head, built with a frontier; each batch leaf must parse,
 * and its facts must be exactly the rows of the fact index journal_facts), and once
 * per kind of record as a merge of the rows by id with their facts by (ref_id, seq,
 * fact), alone or inside batches, comparing each row's recomputed entry with its
 * latest fact. The rows' walk is cut by id into pieces, independent of each other and
 * of the walk by seq: with two threads (okno_journal_verify_set_threads) both take the
 * tasks (the walk by seq, then the pieces) from one list, the second thread on a second
 * connection, both connections in read-only transactions over the same journal size,
 * and the problems are merged in the one-thread order (the walk by seq's, the pieces'
 * in order, then a stable sort by seq). */
#include "ops/journal.h"

#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/journal_batch.h"
#include "store/journal_keys.h"

#define PAGE 2000
#define FACT_PAGE 500
#define PIECE_IDS 50000 /* the rows' walk's pieces: ids of a record each */
#define MAX_PIECES 256  /* pieces of one record at most */

/* ---- verification ---- */

static void problem_free(OknoJournalProblem *p)
{
  g_free(p->number);
  g_free(p->record);
  g_free(p->what);
  g_free(p);
}

void okno_journal_report_free(OknoJournalReport *r)
{
  if (!r)
    return;
  if (r->problems)
    g_ptr_array_unref(r->problems);
  g_free(r);
}

static OknoJournalProblem *add_problem(OknoJournalReport *rep, gint64 seq, const char *number,
                                       const char *record, gint64 id, const char *fmt, ...)
    G_GNUC_PRINTF(6, 7);
static OknoJournalProblem *add_problem(OknoJournalReport *rep, gint64 seq, const char *number,
                                       const char *record, gint64 id, const char *fmt, ...)
{
  OknoJournalProblem *p = g_new0(OknoJournalProblem, 1);
  va_list ap;
  va_start(ap, fmt);
  p->what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  p->seq = seq;
  p->number = g_strdup(number ? number : "");
  p->record = g_strdup(record);
  p->id = id;
  p->fact = -1;
  g_ptr_array_add(rep->problems, p);
  return p;
}

/* " (fact I of the batch)" for a fact inside a batch leaf, else "". */
static const char *in_batch(const OknoJournalFactView *v, char *buf, gsize size)
{
  if (v->fact < 0)
    return "";
  g_snprintf(buf, size, ", fact %d of the batch", v->fact);
  return buf;
}

/* The batches met in the walk by seq: (seq, facts) pairs. */
typedef struct {
  gint64 seq, facts;
} BatchCount;

/* The fact index must hold exactly the facts of the batches: same number of rows (each
 * index row names one fact of a batch, checked in the merge by record, so equal counts
 * mean each fact is indexed once); when not, the first batch whose count differs is
 * named. */
static gboolean check_index(OknoStore *st, GArray *batches, gint64 total, OknoJournalReport *rep,
                            GError **error)
{
  gint64 rows = 0;
  g_autoptr(GArray) counts = NULL;
  guint i = 0, k = 0;
  if (!okno_store_journal_index_size(st, &rows, error))
    return FALSE;
  if (rows == total)
    return TRUE;
  counts = okno_store_journal_index_counts(st, error);
  if (!counts)
    return FALSE;
  for (; i < batches->len || k < counts->len; ) {
    BatchCount *b = i < batches->len ? &g_array_index(batches, BatchCount, i) : NULL;
    gint64 *c = k < counts->len ? &g_array_index(counts, gint64, k) : NULL; /* seq, count */
    if (b && c && b->seq == c[0] && b->facts == c[1]) {
      i++, k += 2;
      continue;
    }
    if (b && (!c || b->seq <= c[0])) {
      add_problem(rep, b->seq, "", "journal", 0,
                  "leaf %" G_GINT64_FORMAT " holds %" G_GINT64_FORMAT " facts but the fact index "
                  "lists %" G_GINT64_FORMAT, b->seq, b->facts, c && c[0] == b->seq ? c[1] : 0);
    } else {
      add_problem(rep, c[0], "", "journal", 0,
                  "the fact index lists %" G_GINT64_FORMAT " facts in leaf %" G_GINT64_FORMAT
                  ", which is no batch", c[1], c[0]);
    }
    return TRUE;
  }
  add_problem(rep, 0, "", "journal", 0, "the fact index has %" G_GINT64_FORMAT
              " rows but the batches hold %" G_GINT64_FORMAT " facts", rows, total);
  return TRUE;
}

static gint problem_order(gconstpointer a, gconstpointer b)
{
  const OknoJournalProblem *x = *(OknoJournalProblem *const *)a;
  const OknoJournalProblem *y = *(OknoJournalProblem *const *)b;
  gint64 sx = x->seq ? x->seq : G_MAXINT64, sy = y->seq ? y->seq : G_MAXINT64;
  return sx < sy ? -1 : sx > sy;
}

/* A key rotation leaf met in the walk: the ring of keys follows it (its first key is
 * the first rotation's old key); a rotation that does not chain on or is not signed
 * by both keys is a problem. */
static void follow_rotation(OknoJournalKeyring **ring, const OknoJournalLeaf *l,
                            OknoJournalReport *rep)
{
  g_autoptr(GError) e = NULL;
  if (!okno_journal_ring_follow(ring, l->entry, l->seq, &e))
    add_problem(rep, l->seq, "", "journal", l->ref_id, "%s", e->message);
}

static gboolean trusted(const OknoJournalKeyring *ring, const guint8 *pk)
{
  g_autofree char *fp = okno_journal_key_fingerprint(pk);
  return okno_journal_keyring_find(ring, fp) != NULL;
}

/* The head's signature, by the key that was valid for it: with no rotation the key
 * given; after rotations the ring's key named by the head (the key given must be one
 * of the ring's: trust in any key of the chain carries to the others). */
static void check_head_key(const OknoJournalKeyring *ring, const guint8 *pk,
                           const OknoJournalHead *head, GBytes *msg, OknoJournalReport *rep)
{
  const OknoJournalKeyPeriod *p;
  if (!pk) {
    add_problem(rep, head->size, "", "head", 0, "no public key to check the head's signature");
    return;
  }
  if (!ring) {
    if (!okno_journal_signature_ok(pk, msg, head->signature))
      add_problem(rep, head->size, "", "head", 0,
                  "the signature of head %" G_GINT64_FORMAT " does not verify with the key",
                  head->size);
    return;
  }
  if (!trusted(ring, pk)) {
    add_problem(rep, head->size, "", "head", 0, "the key given is not one of the journal's keys");
    return;
  }
  p = okno_journal_keyring_find(ring, head->key_id);
  if (!p)
    add_problem(rep, head->size, "", "head", 0,
                "head %" G_GINT64_FORMAT " names key %s, which is not one of the journal's keys",
                head->size, head->key_id);
  else if (!okno_journal_key_period_covers(p, head->at, head->size))
    add_problem(rep, head->size, "", "head", 0,
                "head %" G_GINT64_FORMAT " is signed by key %s, which was not valid for it (retired)",
                head->size, head->key_id);
  else if (!okno_journal_signature_ok(p->pk, msg, head->signature))
    add_problem(rep, head->size, "", "head", 0,
                "the signature of head %" G_GINT64_FORMAT " does not verify with key %s",
                head->size, head->key_id);
}

/* The walk by seq: leaf hashes, gaps, the tree at the signed head. */
static gboolean walk_leaves(OknoStore *st, const guint8 *pk, OknoJournalReport *rep,
                            GError **error)
{
  g_autoptr(OknoJournalHead) head = okno_store_journal_head(st, 0, error);
  g_autoptr(OknoJournalKeyring) ring = NULL;
  OknoMerkleFrontier f;
  gint64 expect = 1, facts = 0;
  g_autoptr(GArray) batches = g_array_new(FALSE, FALSE, sizeof(BatchCount));
  if (!head && error && *error)
    return FALSE;
  if (!okno_store_journal_size(st, &rep->size, error))
    return FALSE;
  rep->signed_size = head ? head->size : 0;
  okno_merkle_frontier_init(&f);
  if (head && head->size == 0) /* a head signed before the first leaf: the empty tree */
    okno_merkle_frontier_root(&f, rep->root);
  for (;;) {
    g_autoptr(GPtrArray) page = okno_store_journal_leaves(st, expect - 1, PAGE, error);
    if (!page)
      return FALSE;
    if (page->len == 0)
      break;
    for (guint i = 0; i < page->len; i++) {
      OknoJournalLeaf *l = page->pdata[i];
      gsize elen, llen;
      const void *e = g_bytes_get_data(l->entry, &elen);
      const void *stored = g_bytes_get_data(l->leaf, &llen);
      guint8 leaf[OKNO_HASH_LEN];
      if (l->seq != expect) {
        add_problem(rep, expect, l->number, "journal", 0,
                    "leaves %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " are missing", expect,
                    l->seq - 1);
        return TRUE; /* the tree cannot be rebuilt past a gap */
      }
      okno_merkle_leaf_hash(e ? e : "", elen, leaf);
      if (llen != OKNO_HASH_LEN || memcmp(leaf, stored, OKNO_HASH_LEN) != 0)
        add_problem(rep, l->seq, l->number, l->ref, l->ref_id,
                    "leaf %" G_GINT64_FORMAT " (%s) does not hash its entry", l->seq, l->kind);
      if (strcmp(l->ref, "journal_key") == 0)
        follow_rotation(&ring, l, rep);
      if (strcmp(l->kind, "batch") == 0) {
        gint64 n = okno_journal_batch_count(e, elen);
        BatchCount b = {l->seq, MAX(n, 0)};
        if (n < 0)
          add_problem(rep, l->seq, l->number, "journal", 0,
                      "leaf %" G_GINT64_FORMAT " is a batch whose entry is not well formed",
                      l->seq);
        facts += b.facts;
        g_array_append_val(batches, b);
      }
      okno_merkle_frontier_append(&f, leaf);
      if (head && f.size == (guint64)head->size)
        okno_merkle_frontier_root(&f, rep->root);
      expect++;
    }
  }
  if (!check_index(st, batches, facts, rep, error))
    return FALSE;
  if (expect - 1 != rep->size)
    add_problem(rep, expect, "", "journal", 0,
                "the journal holds %" G_GINT64_FORMAT " leaves but its size is %" G_GINT64_FORMAT,
                expect - 1, rep->size);
  if (head) {
    g_autoptr(GBytes) msg = okno_journal_head_message(head->size, head->root, head->at);
    if ((gint64)f.size < head->size)
      add_problem(rep, (gint64)f.size + 1, "", "head", 0,
                  "the signed head covers %" G_GINT64_FORMAT " leaves; the journal has %" G_GINT64_FORMAT,
                  head->size, (gint64)f.size);
    else if (memcmp(rep->root, head->root, OKNO_HASH_LEN) != 0)
      add_problem(rep, head->size, "", "head", 0,
                  "the leaves 1..%" G_GINT64_FORMAT " do not give the signed root", head->size);
    check_head_key(ring, pk, head, msg, rep);
  } else if (ring && pk && !trusted(ring, pk)) {
    add_problem(rep, 0, "", "journal", 0, "the key given is not one of the journal's keys");
  }
  return TRUE;
}

/* A task of verify: the walk by seq (ref NULL), or a piece of the rows' walk: the rows
 * of `ref` with after < id <= upto merged with their leaves. Each has a report of its
 * own (the walk by seq: verify's), merged in task order at the end. */
typedef struct {
  const char *ref;
  gint64 after, upto;
  gint64 before; /* the highest id of ref's rows older than the journal */
  OknoJournalReport *rep;
} Task;

/* Does fact view `v` (the row's latest) hold `row`'s entry? A purged row (retention)
 * is checked against the digest its purge leaf recorded, and the purge must supersede
 * the leaf before it (`previous`); any other latest leaf holds the row's entry itself
 * (or, for an appeal, its version-1 entry). */
static gboolean fact_matches(const OknoJournalFactView *v, const OknoJournalFact *row,
                             gint64 previous)
{
  gsize len;
  const void *d = g_bytes_get_data(row->entry, &len);
  if (okno_journal_entry_is_purge_data(v->entry, v->len)) {
    g_autoptr(GBytes) purge = g_bytes_new_static(v->entry, v->len);
    return okno_journal_purge_matches(purge, row->entry, previous);
  }
  if (len == v->len && (len == 0 || memcmp(d, v->entry, len) == 0))
    return TRUE;
  if (!row->entry_v1)
    return FALSE;
  d = g_bytes_get_data(row->entry_v1, &len);
  return len == v->len && (len == 0 || memcmp(d, v->entry, len) == 0);
}

/* The merge of a piece's rows with their leaves. */
static gboolean walk_facts(OknoStore *st, const Task *t, GError **error)
{
  OknoJournalReport *rep = t->rep;
  const char *ref = t->ref;
  gint64 after = t->after;
  for (;;) {
    g_autoptr(GPtrArray) facts =
        okno_store_journal_facts(st, ref, after, t->upto, FACT_PAGE, error);
    g_autoptr(OknoJournalFactPage) page = NULL;
    const GArray *leaves;
    gint64 upto;
    guint li = 0;
    if (!facts)
      return FALSE;
    upto = facts->len < FACT_PAGE ? t->upto
                                  : ((OknoJournalFact *)facts->pdata[facts->len - 1])->id;
    page = okno_store_journal_fact_page(st, ref, after, upto, error);
    if (!page)
      return FALSE;
    leaves = okno_journal_fact_page_facts(page);
#define LEAF(i) (&g_array_index(leaves, OknoJournalFactView, (i)))
    for (guint fi = 0; fi <= facts->len; fi++) {
      OknoJournalFact *fact = fi < facts->len ? facts->pdata[fi] : NULL;
      gint64 id = fact ? fact->id : G_MAXINT64;
      /* Leaves of ids below this fact's have no row: deleted. */
      while (li < leaves->len && LEAF(li)->ref_id < id) {
        const OknoJournalFactView *l = LEAF(li);
        gint64 gone = l->ref_id;
        char buf[48];
        while (li + 1 < leaves->len && LEAF(li + 1)->ref_id == gone)
          l = LEAF(++li);
        li++;
        add_problem(rep, l->seq, l->number, ref, gone,
                    "%s %" G_GINT64_FORMAT " of leaf %" G_GINT64_FORMAT " (%.*s%s) is missing "
                    "from the store", ref, gone, l->seq, (int)l->kind_len, l->kind,
                    in_batch(l, buf, sizeof buf))->fact = l->fact;
      }
      if (!fact)
        break;
      if (li < leaves->len && LEAF(li)->ref_id == id) {
        const OknoJournalFactView *l = LEAF(li);
        gint64 previous = 0; /* the seq of the leaf before the latest, 0: none */
        while (li + 1 < leaves->len && LEAF(li + 1)->ref_id == id) {
          previous = l->seq;
          l = LEAF(++li);
        }
        li++;
        rep->facts++;
        /* The appeal the journal knows the row by (a row moved by hand names the
         * appeal it was taken from). */
        if (!fact_matches(l, fact, previous)) {
          char buf[48];
          add_problem(rep, l->seq, *l->number ? l->number : fact->number, ref, id,
                      "%s %" G_GINT64_FORMAT " differs from its leaf %" G_GINT64_FORMAT
                      " (%.*s%s)", ref, id, l->seq, (int)l->kind_len, l->kind,
                      in_batch(l, buf, sizeof buf))->fact = l->fact;
        }
      } else if (id <= t->before) {
        rep->before++;
      } else {
        rep->facts++;
        add_problem(rep, 0, fact->number, ref, id,
                    "%s %" G_GINT64_FORMAT " has no leaf in the journal", ref, id);
      }
    }
#undef LEAF
    if (facts->len < FACT_PAGE)
      return TRUE;
    after = upto;
  }
}

static gint verify_threads = 2;
static gint64 piece_ids = PIECE_IDS;

void okno_journal_verify_set_threads(guint n) { g_atomic_int_set(&verify_threads, n > 1 ? 2 : 1); }

void okno_journal_verify_set_piece(gint64 ids) { piece_ids = ids > 0 ? ids : PIECE_IDS; }

static OknoJournalReport *report_new(void)
{
  OknoJournalReport *r = g_new0(OknoJournalReport, 1);
  r->problems = g_ptr_array_new_with_free_func((GDestroyNotify)problem_free);
  return r;
}

/* The tasks, in the one-thread order: the walk by seq (reporting into `rep`), then
 * each record's rows cut into pieces by id: about piece_ids ids each, and at least as
 * many pieces as threads so that both threads share every record's rows (at most
 * MAX_PIECES; the first starts at 0, the last ends at no bound, so leaves of rows
 * deleted below the lowest or above the highest id are still met). */
static GArray *plan(OknoStore *st, guint threads, OknoJournalReport *rep, GError **error)
{
  static const char *const refs[] = {"appeal", "message", "event", "access"};
  g_autoptr(GArray) tasks = g_array_new(FALSE, TRUE, sizeof(Task));
  Task seq = {.rep = rep};
  g_array_append_val(tasks, seq);
  for (guint i = 0; i < G_N_ELEMENTS(refs); i++) {
    gint64 min, max, before, base, span, width, k;
    if (!okno_store_journal_before(st, refs[i], &before, error) ||
        !okno_store_journal_ids(st, refs[i], &min, &max, error))
      return NULL;
    base = min > 0 ? min - 1 : 0; /* the pieces cut (base, max] */
    span = max - base;
    k = CLAMP((span + piece_ids - 1) / piece_ids, (gint64)threads, MAX_PIECES);
    k = MAX(MIN(k, span), 1);
    width = (span + k - 1) / MAX(k, 1);
    for (gint64 j = 0;; j++) {
      Task t = {.ref = refs[i], .before = before, .rep = report_new()};
      t.after = j == 0 ? 0 : base + j * width;
      t.upto = base + (j + 1) * width;
      if (j == k - 1 || t.upto >= max)
        t.upto = G_MAXINT64;
      g_array_append_val(tasks, t);
      if (t.upto == G_MAXINT64)
        break;
    }
  }
  return g_steal_pointer(&tasks);
}

static void tasks_free(GArray *tasks)
{
  for (guint i = 1; tasks && i < tasks->len; i++)
    okno_journal_report_free(g_array_index(tasks, Task, i).rep);
  if (tasks)
    g_array_unref(tasks);
}

/* The threads take tasks in order from a shared counter until none is left or one of
 * them failed. */
typedef struct {
  GArray *tasks;
  const guint8 *pk;
  gint next;   /* the next task to take */
  gint failed; /* set by a thread that met a store error: the others stop */
} Work;

static gboolean run_tasks(Work *w, OknoStore *st, GError **error)
{
  for (;;) {
    guint i = (guint)g_atomic_int_add(&w->next, 1);
    Task *t;
    gboolean ok;
    if (i >= w->tasks->len || g_atomic_int_get(&w->failed))
      return TRUE;
    t = &g_array_index(w->tasks, Task, i);
    ok = t->ref ? walk_facts(st, t, error) : walk_leaves(st, w->pk, t->rep, error);
    if (!ok) {
      g_atomic_int_set(&w->failed, 1);
      return FALSE;
    }
  }
}

/* A second connection to st's database for the second thread, with st and it each in
 * a read-only transaction over the same journal size (every journaled change adds a
 * leaf, so the two see the same journal and rows); NULL (one thread then) when the
 * store cannot be opened twice, a transaction is open on st, or a writer kept
 * committing between the two snapshots. */
static OknoStore *snapshot_reader(OknoStore *st)
{
  OknoStore *r;
  if (g_atomic_int_get(&verify_threads) < 2 || okno_store_in_transaction(st))
    return NULL;
  r = okno_store_open_reader(st, NULL);
  for (int tries = 0; r && tries < 5; tries++) {
    gint64 a = -1, b = -2;
    if (!okno_store_read_begin(st, NULL))
      break;
    if (okno_store_read_begin(r, NULL) && okno_store_journal_size(st, &a, NULL) &&
        okno_store_journal_size(r, &b, NULL) && a == b)
      return r;
    okno_store_read_end(r);
    okno_store_read_end(st);
  }
  okno_store_close(r);
  return NULL;
}

typedef struct {
  Work *work;
  OknoStore *st;
  gboolean ok;
  GError *error;
} Helper;

static gpointer helper_run(gpointer data)
{
  Helper *h = data;
  h->ok = run_tasks(h->work, h->st, &h->error);
  return NULL;
}

OknoJournalReport *okno_journal_verify(OknoStore *st, const guint8 *pk, GError **error)
{
  g_autoptr(OknoJournalReport) rep = report_new();
  g_autoptr(OknoStore) reader = snapshot_reader(st);
  Work w = {.pk = pk};
  gboolean ok;
  /* one snapshot on one thread too, unless the caller's transaction is open */
  if (!reader && !okno_store_in_transaction(st))
    okno_store_read_begin(st, NULL);
  rep->threads = reader ? 2 : 1;
  w.tasks = plan(st, rep->threads, rep, error);
  if (!w.tasks) {
    ok = FALSE;
  } else if (reader) {
    Helper h = {.work = &w, .st = reader};
    GThread *t = g_thread_new("okno-verify", helper_run, &h);
    ok = run_tasks(&w, st, error);
    g_thread_join(t);
    if (!h.ok) {
      if (ok)
        g_propagate_error(error, h.error);
      else
        g_clear_error(&h.error);
      ok = FALSE;
    }
  } else {
    ok = run_tasks(&w, st, error);
  }
  okno_store_read_end(st);
  if (reader)
    okno_store_read_end(reader);
  if (!ok) {
    tasks_free(w.tasks);
    return NULL;
  }
  /* the problems as one thread finds them: the walk by seq's, then the pieces' in
   * order, then a stable sort by seq */
  rep->pieces = w.tasks->len - 1;
  for (guint i = 1; i < w.tasks->len; i++) {
    OknoJournalReport *part = g_array_index(w.tasks, Task, i).rep;
    rep->facts += part->facts;
    rep->before += part->before;
    g_ptr_array_extend_and_steal(rep->problems, g_steal_pointer(&part->problems));
  }
  tasks_free(w.tasks);
  g_ptr_array_sort(rep->problems, problem_order);
  return g_steal_pointer(&rep);
}

char *okno_journal_report_json(const OknoJournalReport *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  char root[2 * OKNO_HASH_LEN + 1];
  sodium_bin2hex(root, sizeof root, r->root, OKNO_HASH_LEN);
  json_builder_begin_object(b);
  okno_json_bool(b, "intact", r->problems->len == 0);
  okno_json_int(b, "size", r->size);
  okno_json_int(b, "signed_size", r->signed_size);
  okno_json_str(b, "root", r->signed_size ? root : "");
  okno_json_int(b, "rows_checked", r->facts);
  okno_json_int(b, "rows_before_journal", r->before);
  okno_json_int(b, "problems", r->problems->len);
  json_builder_set_member_name(b, "first");
  if (r->problems->len) {
    const OknoJournalProblem *p = r->problems->pdata[0];
    json_builder_begin_object(b);
    okno_json_int(b, "seq", p->seq);
    okno_json_str(b, "number", p->number);
    okno_json_str(b, "record", p->record);
    okno_json_int(b, "id", p->id);
    okno_json_int(b, "fact", p->fact);
    okno_json_str(b, "problem", p->what);
    json_builder_end_object(b);
  } else {
    json_builder_add_null_value(b);
  }
  json_builder_end_object(b);
  return okno_json_text(b, TRUE);
}

gboolean okno_journal_verify_due(OknoStore *st, const OknoConfig *cfg, gint64 now,
                                 gboolean force, gboolean *ran, GError **error)
{
  g_autoptr(OknoJournalVerification) last = NULL;
  g_autoptr(OknoJournalKey) key = NULL;
  g_autoptr(OknoJournalReport) rep = NULL;
  g_autofree char *path = okno_config_journal_key_file(cfg);
  g_autofree char *json = NULL;
  OknoJournalVerification v = {0};
  *ran = FALSE;
  if (!force) {
    if (cfg->journal_verify_interval <= 0)
      return TRUE;
    last = okno_store_journal_verification_last(st, error);
    if (!last && error && *error)
      return FALSE;
    if (last && now - last->at < cfg->journal_verify_interval * G_USEC_PER_SEC)
      return TRUE;
  }
  key = okno_journal_key_load(path, NULL);
  rep = okno_journal_verify(st, key ? key->pk : NULL, error);
  if (!rep)
    return FALSE;
  json = okno_journal_report_json(rep);
  v.at = now;
  v.intact = rep->problems->len == 0;
  v.size = rep->size;
  v.signed_size = rep->signed_size;
  v.problems = rep->problems->len;
  v.report = json;
  if (!okno_store_journal_verification_add(st, &v, error))
    return FALSE;
  okno_metric_set(okno_metrics_gauge(okno_metrics(), "okno_journal_intact",
                                     "1 when the last journal verify found the journal intact",
                                     NULL),
                  v.intact ? 1 : 0);
  okno_metric_set(okno_metrics_gauge(okno_metrics(), "okno_journal_problems",
                                     "Problems the last journal verify found", NULL),
                  (double)v.problems);
  okno_metric_set(okno_metrics_gauge(okno_metrics(), "okno_journal_verified_size",
                                     "Leaves the last journal verify checked", NULL),
                  (double)v.size);
  if (v.intact)
    okno_log("journal", "event=verified intact=1 size=%" G_GINT64_FORMAT, v.size);
  else
    okno_log_warn("journal", "event=verified intact=0 size=%" G_GINT64_FORMAT
                  " problems=%" G_GINT64_FORMAT " first=\"%s\"", v.size, v.problems,
                  ((OknoJournalProblem *)rep->problems->pdata[0])->what);
  *ran = TRUE;
  return TRUE;
}
