/* search.c: full-text search over appeals (search.h; docs/search.md).
 *
 * The query is cut into words by the same normaliser the index uses
 * (text/tokenizer.h), which leaves only letters and digits: no quote, operator or
 * parenthesis of the user's can reach the search syntax. Each word's stem becomes its
 * term, the keyed hash the index holds (store/terms.h: 16 letters a-p), so the index
 * and the query never hold a word. On SQLite each term becomes a quoted FTS5 phrase
 * ("t1" "t2": implicit AND) matched against appeal_fts (tokenizer ascii); ranked by
 * bm25 with the subject weighing most, the rank and the limit applied inside the FTS5
 * table so that only the rows kept are read from appeals. On PostgreSQL the terms go through
 * plainto_tsquery('simple', ...), the configuration that built the appeal_search
 * tsvectors (migration step 16); the newest matches ranked by ts_rank in the
 * statement that finds them (pg_best), the best ones kept and only those joined to
 * their appeal rows, ordered as SQLite's statement orders them (rank, then
 * received_at, then id).
 * Only the newest OKNO_SEARCH_RANKED matches are ranked (issue 18 item 4:
 * ranking every match of a word found in half of a million appeals took seconds); on
 * PostgreSQL the lowest of their ids is found first in windows of the newest ids
 * (pg_cutoff), since neither the GIN index nor a walk down the primary key gives the
 * newest matches of a mid-frequency word cheaply. The matching SQL is a constant
 * with bound parameters on both backends. The same match is a filter of the console's
 * paged queues (okno_search_match_sql, src/store/queue.c). */
#include <json-glib/json-glib.h>

#include "core/error.h"
#include "store/search.h"
#include "store/appeal_row.h"
#include "store/terms.h"
#include "text/tokenizer.h"

#define QUERY_WORDS_MAX 32

char *okno_search_words(const char *query, gboolean sqlite, GError **error)
{
  g_auto(GStrv) words = okno_text_query_words(query, QUERY_WORDS_MAX, error);
  g_auto(GStrv) terms = NULL;
  GString *q;
  if (!words)
    return NULL;
  terms = okno_store_query_terms(words);
  if (!*terms) { /* only words too long to index */
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "the query has no words");
    return NULL;
  }
  q = g_string_new(NULL);
  for (char **w = terms; *w; w++)
    g_string_append_printf(q, sqlite ? "%s\"%s\"" : "%s%s", q->len ? " " : "", *w);
  return g_string_free(q, FALSE);
}

char *okno_search_match_sql(gboolean sqlite, guint placeholder)
{
  return sqlite ? g_strdup_printf("id IN (SELECT rowid FROM appeal_fts WHERE appeal_fts "
                                  "MATCH $%u)", placeholder)
                : g_strdup_printf("id IN (SELECT appeal_id FROM appeal_search WHERE doc @@ "
                                  "plainto_tsquery('simple', $%u))",
                                  placeholder);
}

/* A PostgreSQL match: its appeal, rank, and the appeal's received_at once read. */
typedef struct {
  gint64 id;
  double rank;
  OknoAppeal *appeal;
} Match;

/* Best first, ties to the later received_at, then the higher id (the outer order). */
static gint by_rank_received(gconstpointer a, gconstpointer b)
{
  const Match *x = a, *y = b;
  if (x->rank != y->rank)
    return x->rank > y->rank ? -1 : 1;
  if (x->appeal->received_at != y->appeal->received_at)
    return x->appeal->received_at > y->appeal->received_at ? -1 : 1;
  return x->id > y->id ? -1 : x->id < y->id;
}

static void match_clear(gpointer x) { okno_appeal_free(((Match *)x)->appeal); }

/* PostgreSQL: the best `limit` (all when 0) of the newest OKNO_SEARCH_RANKED matches
 * of the terms `q` (all when fewer match), by ts_rank, as a GArray of Match with
 * their appeals read. The newest are looked for first in the window of newest ids
 * that the terms' share of appeals in the planner's statistics says holds them with
 * a quarter to spare (PG_NEWEST_AND_SHARE; the newest WINDOW ids without statistics:
 * a guess of WINDOW ids first took 2.4 statements a query at a million, docs/bench.md),
 * then in windows grown by the density of matches seen (at least twice; 64 times
 * when fewer than 16 were seen) until one holds that many or starts at id 0.
 * A window is the GIN index's matches ANDed with the block ranges of the
 * BRIN index appeal_search_recent (migration 36) that hold its ids, or the primary
 * key walked down from the newest when the word is common enough: either way its
 * cost follows the window, not every match of a word (a mid-frequency word's newest
 * 2,000 matches cost a walk over tens of thousands of rows testing each tsvector, or
 * a fetch of every match; docs/search.md). Each match is ranked where it is found, so
 * that only its id and rank go on through the sort by id and the window count (the
 * tsvector carried along, about 800 bytes a row, made those two steps most of a
 * window's time; docs/bench.md, million). Ranked, cut to the best and joined to
 * their appeal rows in the same statement, which also counts the window's matches:
 * the last window's statement is the answer (issue 18 item 4: reading each appeal
 * by its id was one round trip more per result). An id with no appeal row is left
 * out. */
#define WINDOW (OKNO_SEARCH_RANKED * G_GINT64_CONSTANT(8))
/* The newest id, and the share of appeals the terms $1 (space-separated) are expected
 * in: the product of each term's share among the tsvectors' most common elements
 * (pg_stats, gathered by ANALYZE), the least listed share for a term not listed (its
 * share is below that: the window found from it may be too narrow, never needlessly
 * wide); NULL when the table has no statistics yet. */
#define PG_NEWEST_AND_SHARE                                                                  \
  "SELECT (SELECT coalesce(max(appeal_id), 0) FROM appeal_search), (SELECT "               \
  "exp(sum(ln(greatest(coalesce(s.freqs[array_position(s.elems, t.term)], s.least), "    \
  "1e-12)))) FROM unnest(string_to_array($1, ' ')) AS t(term), (SELECT e.elems, e.freqs, "  \
  "(SELECT min(x) FROM unnest(e.freqs[1:array_length(e.elems, 1)]) AS x) AS least FROM "    \
  "(SELECT most_common_elems::text::text[] AS elems, most_common_elem_freqs AS freqs FROM " \
  "pg_stats WHERE schemaname = current_schema() AND tablename = 'appeal_search' AND "       \
  "attname = 'doc') e) s)"
static GArray *pg_best(OknoDb *db, const char *q, gint64 limit, GError **error)
{
  g_autoptr(OknoRows) top = okno_db_query(db, PG_NEWEST_AND_SHARE, OKNO_PARAMS(OKNO_TEXT(q)), error);
  gint64 newest, w = WINDOW;
  if (!top)
    return NULL;
  newest = okno_rows_int(top, 0, 0);
  if (!okno_rows_is_null(top, 0, 1)) { /* the window the estimate says holds them all */
    double share = g_ascii_strtod(okno_rows_text(top, 0, 1), NULL);
    double want = share > 0 ? (double)OKNO_SEARCH_RANKED / share * 5 / 4 : (double)G_MAXINT64;
    w = want < (double)newest ? MAX((gint64)want, OKNO_SEARCH_RANKED) : newest;
  }
  for (;;) {
    gint64 lo = w < newest ? newest - w : 0;
    guint seen, n;
    /* the appeal's columns first (okno_appeal_from_row), then the match's id, rank
     * and the window's number of matches */
    g_autoptr(OknoRows) r = okno_db_query(
        db,
        "SELECT " OKNO_APPEAL_COLUMNS ", m.appeal_id, m.rank, m.seen FROM (SELECT "
        "s.appeal_id, s.rank, count(*) OVER () AS seen FROM (SELECT appeal_id, "
        "ts_rank(doc, plainto_tsquery('simple', $1)) AS rank FROM appeal_search WHERE doc @@ "
        "plainto_tsquery('simple', $1) AND appeal_id > $2 ORDER BY appeal_id DESC LIMIT $3) s "
        "ORDER BY s.rank DESC, s.appeal_id DESC LIMIT $4) m LEFT JOIN appeals ON id = m.appeal_id",
        OKNO_PARAMS(OKNO_TEXT(q), OKNO_INT(lo), OKNO_INT(OKNO_SEARCH_RANKED),
                    OKNO_INT(limit > 0 ? limit : G_MAXINT64)),
        error);
    if (!r)
      return NULL;
    n = okno_rows_count(r);
    seen = n ? (guint)okno_rows_int(r, 0, OKNO_APPEAL_N_FIELDS + 2) : 0;
    if (seen == OKNO_SEARCH_RANKED || lo == 0) {
      g_autoptr(GArray) m = g_array_sized_new(FALSE, FALSE, sizeof(Match), n);
      g_array_set_clear_func(m, match_clear);
      for (guint i = 0; i < n; i++) {
        Match x = {.id = okno_rows_int(r, i, OKNO_APPEAL_N_FIELDS),
                   .rank = g_ascii_strtod(okno_rows_text(r, i, OKNO_APPEAL_N_FIELDS + 1), NULL)};
        if (okno_rows_is_null(r, i, 0)) /* no appeal row */
          continue;
        if (!(x.appeal = okno_appeal_from_row(r, i, error)))
          return NULL;
        g_array_append_val(m, x);
      }
      return g_steal_pointer(&m);
    }
    /* wide enough for the need at the density seen, with a quarter to spare (too
     * few seen to tell a density: 64 times as wide) */
    w = seen < 16 ? (w > G_MAXINT64 / 64 ? G_MAXINT64 : w * 64)
                  : MAX(w * 2, w / seen * OKNO_SEARCH_RANKED * 5 / 4);
  }
}

/* PostgreSQL: okno_store_search's answer from pg_best's matches. */
static GPtrArray *pg_search(OknoStore *st, const char *q, gint64 limit, GError **error)
{
  g_autoptr(GArray) m = pg_best(okno_store_db(st), q, limit, error);
  GPtrArray *found;
  if (!m)
    return NULL;
  g_array_sort(m, by_rank_received);
  found = g_ptr_array_new_with_free_func((GDestroyNotify)okno_appeal_free);
  for (guint i = 0; i < m->len; i++) /* the appeals move to `found` */
    g_ptr_array_add(found, g_steal_pointer(&g_array_index(m, Match, i).appeal));
  return found;
}

GPtrArray *okno_store_search(OknoStore *st, const char *query, gint64 limit, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gboolean sqlite = okno_db_is_sqlite(db);
  g_autofree char *q = okno_search_words(query, sqlite, error);
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GPtrArray) found = NULL;

  if (!q)
    return NULL;
  if (!sqlite)
    return pg_search(st, q, limit, error);
  r = okno_db_query(
      db,
      /* ranked and cut inside the index (ties: the newer id first), then only the
       * rows kept are read: joining every match before the LIMIT read every matching
       * appeal's row, sealed rows being the larger (docs/bench.md, search) */
      /* only the newest RANKED matches are ranked (the cutoff: the RANKED-th newest
       * match's id, walked down the index in id order), so a word in half the appeals
       * costs RANKED rank computations, not half a million (docs/search.md) */
      "SELECT a.id FROM (SELECT rowid AS id, bm25(appeal_fts, 4.0, 1.0, 2.0) AS rank "
      "FROM appeal_fts WHERE appeal_fts MATCH $1 AND rowid >= coalesce((SELECT rowid "
      "FROM appeal_fts WHERE appeal_fts MATCH $1 ORDER BY rowid DESC LIMIT 1 OFFSET $3), 0) "
      "ORDER BY rank, rowid DESC LIMIT $2) f "
      "JOIN appeals a ON a.id = f.id ORDER BY f.rank, a.received_at DESC, a.id DESC",
      OKNO_PARAMS(OKNO_TEXT(q), OKNO_INT(limit > 0 ? limit : G_MAXINT64),
                  OKNO_INT(OKNO_SEARCH_RANKED - 1)),
      error);
  if (!r)
    return NULL;
  found = g_ptr_array_new_with_free_func((GDestroyNotify)okno_appeal_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    g_autoptr(GError) e = NULL;
    OknoAppeal *a = okno_store_appeal_get_by_id(st, okno_rows_int(r, i, 0), &e);
    if (e) {
      g_propagate_error(error, g_steal_pointer(&e));
      return NULL;
    }
    if (a)
      g_ptr_array_add(found, a);
  }
  return g_steal_pointer(&found);
}
