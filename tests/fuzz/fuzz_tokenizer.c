/* fuzz_tokenizer.c: fuzz driver for the search normaliser (text/tokenizer.h).
 *
 * Scans the input as it comes (any bytes, invalid UTF-8 included) and checks the
 * invariants of every term: offsets inside the input, in order and not overlapping, a
 * folded word of the same byte length as its span, a non-empty term. Then indexes the
 * input (when it is valid UTF-8, as every text the store holds is: unicode61 decodes
 * broken sequences its own way) in an FTS5 table with the okno_ru tokenizer and
 * searches it for its own query words, as okno_store_search() builds the MATCH
 * string: every word it has must find it (quotes and operators in the input never
 * reach FTS5's syntax). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "text/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_term(const OknoTerm *t, void *user)
{
  gsize *last_end = user;
  if (t->start < *last_end || t->end <= t->start || t->term_len == 0 ||
      t->word_len != t->end - t->start)
    abort();
  *last_end = t->end;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static OknoStemmer *stemmer;
  g_autofree char *text = g_strndup((const char *)data, size); /* up to the first NUL */
  g_auto(GStrv) words = NULL;
  gsize last_end = 0;
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;

  if (!stemmer)
    stemmer = okno_stemmer_new(); /* one for the run, as one per connection in okno */
  if (okno_text_scan(stemmer, (const char *)data, size, check_term, &last_end) != 0 ||
      last_end > size)
    abort();

  if (!g_utf8_validate(text, -1, NULL))
    return 0;
  words = okno_text_query_words(text, 32, NULL);
  if (!words)
    return 0;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK || !okno_text_fts5_register(db, NULL) ||
      sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'okno_ru')", NULL,
                   NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "INSERT INTO t(x) VALUES(?1)", -1, &st, NULL) != SQLITE_OK)
    abort();
  sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    abort();
  sqlite3_finalize(st);
  for (char **w = words; *w; w++) {
    g_autofree char *match = g_strdup_printf("\"%s\"", *w);
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &st, NULL) !=
        SQLITE_OK)
      abort();
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 1)
      abort();
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return 0;
}
