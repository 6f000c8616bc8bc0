/* terms.h: the search index's terms: keyed hashes of stems, never words (issue 15,
 * docs/crypto.md "Search over keyed hashes", docs/search.md).
 *
 * Every text that search covers (an appeal's subject, its messages' texts, its
 * attachments' file names) is cut into stems by the one normaliser (text/tokenizer.h)
 * and each stem becomes a term: keyed BLAKE2b-64 of the stem under the search key
 * (core/vault.h okno_vault_search_key, derived from the key file's index key), written
 * as 16 letters a-p (one per 4 bits). The store keeps the terms beside the sealed text
 * (appeals.subject_terms, messages.text_terms, attachments.filename_terms, migration
 * 16) and the schema's triggers index those columns, never the texts: SQLite's FTS5
 * table (tokenizer `ascii`) and PostgreSQL's tsvector (configuration `simple`) both
 * see words of letters a-p only, so both split them alike. A query hashes its stems
 * the same way. Without a key file the hashes are unkeyed (the store is clear then
 * anyway); the store remembers which key its terms were made under (search_state) and
 * okno_store_search_prepare() makes them again when the key changed (`okno crypto
 * init` on a store written clear) or after migration 16 (a store indexed by words).
 *
 * Thread safety: each thread uses its own stemmer (made on first use). */
#pragma once
#include <glib.h>

#include "store/store.h"

/* Length of one term (letters a-p). */
#define OKNO_TERM_LEN 16

/* The terms of `text` in order, separated by single spaces ("" for a text of no
 * words); repeated stems repeat (ranking counts them). Caller frees. */
char *okno_store_terms(const char *text);
/* The terms of a query's words (tokenizer.h okno_text_query_words: already folded,
 * stop words dropped): a NULL-terminated vector, one term per word that has one. */
char **okno_store_query_terms(char **words);
/* What names the key the terms are made under ("none2" without a key file), as
 * search_state.key_check holds it. Caller frees. */
char *okno_store_terms_key_check(void);

/* At okno_store_open: when search_state names another key than this process's (or
 * none: migration 16 just ran), every appeal's terms are made again from its texts
 * (opened with the key file) in one transaction, and the index with them. A process
 * without a key file never re-makes terms made under one. */
gboolean okno_store_search_prepare(OknoStore *st, GError **error);
/* Makes every row's terms again from its texts, in the caller's transaction; *rows
 * (may be NULL): the rows rewritten. */
gboolean okno_store_search_reindex(OknoStore *st, gint64 *rows, GError **error);
