/* search.h: full-text search over appeals in the store (docs/search.md;
 * src/store/search.c). The queue pages (queue.h) filter by the same words.
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

/* How many of a query's matches are ranked: the newest ones (by appeal id). */
#define OKNO_SEARCH_RANKED 2000

/* Appeals whose subject, message texts (both directions) and attachment file names
 * together hold every word of `query`, best first (bm25 on SQLite, ts_rank on
 * PostgreSQL; ties newest first) among the newest OKNO_SEARCH_RANKED matches (older
 * ones are not returned: a query matching more is answered from the newest), at most
 * `limit` (0: no limit). Words are normalised
 * as indexed (src/text/tokenizer.h: lowercase, ё = е, Snowball stems, stop words
 * dropped); quotes and operators in `query` are plain separators, never syntax.
 * A query with no words left, or more than 32, is OKNO_ERROR_USER. Returns a
 * GPtrArray of OknoAppeal* (possibly empty) owned by the caller. */
GPtrArray *okno_store_search(OknoStore *st, const char *query, gint64 limit, GError **error);
