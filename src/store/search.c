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
 * tsvectors (migration step 16); ranked by ts_rank, cut inside appeal_search in the
 * same way. Only the newest OKNO_SEARCH_RANKED matches are ranked (issue 18 item 4:
 * ranking every match of a word found in half of a million appeals took seconds). The matching SQL is a constant
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

GPtrArray *okno_store_search(OknoStore *st, const char *query, gint64 limit, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gboolean sqlite = okno_db_is_sqlite(db);
  g_autofree char *q = okno_search_words(query, sqlite, error);
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GPtrArray) found = NULL;

  if (!q)
    return NULL;
  r = okno_db_query(
      db,
      /* ranked and cut inside the index (ties: the newer id first), then only the
       * rows kept are read: joining every match before the LIMIT read every matching
       * appeal's row, sealed rows being the larger (docs/bench.md, search) */
      /* only the newest RANKED matches are ranked (the cutoff: the RANKED-th newest
       * match's id, walked down the index in id order), so a word in half the appeals
       * costs RANKED rank computations, not half a million (docs/search.md) */
      sqlite ? "SELECT a.id FROM (SELECT rowid AS id, bm25(appeal_fts, 4.0, 1.0, 2.0) AS rank "
               "FROM appeal_fts WHERE appeal_fts MATCH $1 AND rowid >= coalesce((SELECT rowid "
               "FROM appeal_fts WHERE appeal_fts MATCH $1 ORDER BY rowid DESC LIMIT 1 OFFSET $3), 0) "
               "ORDER BY rank, rowid DESC LIMIT $2) f "
               "JOIN appeals a ON a.id = f.id ORDER BY f.rank, a.received_at DESC, a.id DESC"
             : "SELECT a.id FROM (SELECT s.appeal_id AS id, ts_rank(s.doc, q) AS rank "
               "FROM (SELECT appeal_id, doc FROM appeal_search WHERE doc @@ plainto_tsquery('simple', $1) "
               "ORDER BY appeal_id DESC LIMIT $3 + 1) s, plainto_tsquery('simple', $1) q "
               "ORDER BY rank DESC, s.appeal_id DESC LIMIT $2) f "
               "JOIN appeals a ON a.id = f.id ORDER BY f.rank DESC, a.received_at DESC, a.id DESC",
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
