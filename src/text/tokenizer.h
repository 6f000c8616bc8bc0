/* tokenizer.h: the words of Russian text as search indexes them, on both backends.
 *
 * One normalisation serves documents and queries, SQLite and PostgreSQL (docs/search.md):
 *  - a word is a maximal run of Latin letters, Russian letters (А-Я, а-я, Ё, ё) and the
 *    digits 0-9; every other character, and every byte that is not such a letter in
 *    UTF-8, separates words;
 *  - a word is lowercased (ASCII and Russian, independent of any locale) and ё becomes е;
 *  - a word with a digit is kept as it is; a word of ASCII letters only goes through the
 *    English Snowball stemmer after the English stop words are dropped; any other word
 *    goes through the Russian Snowball stemmer after the Russian stop words are dropped
 *    (the stop lists are PostgreSQL's, so this is what to_tsvector('russian', ...) does
 *    with the text that okno_search_text() in the PostgreSQL schema hands it);
 *  - words of 2047 bytes or more are dropped, words over 1000 bytes are not stemmed
 *    (PostgreSQL's limits).
 *
 * OknoStemmer holds libstemmer's state: one per thread (libstemmer is not re-entrant),
 * and the stems of the last few thousand distinct words it met (a bounded cache, about
 * 380 KB once it stems; the terms are the same with or without it).
 * The FTS5 tokenizer "okno_ru" wraps unicode61 (for the spans of candidate words) and
 * applies the rules above to each span; it is registered on every SQLite connection. */
#pragma once
#include <glib.h>
#include <sqlite3.h>

typedef struct OknoStemmer OknoStemmer;

OknoStemmer *okno_stemmer_new(void); /* aborts only on out-of-memory, like g_new */
void okno_stemmer_free(OknoStemmer *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoStemmer, okno_stemmer_free)
/* The calling thread's stemmer, made at its first call and freed when the thread ends
 * (never free it). Every module that stems on a thread shares it, so a text scanned by
 * several of them (intake: search terms, knowledge base, classifier, routing) finds
 * its words' stems cached from the first scan. */
OknoStemmer *okno_stemmer_thread(void);

/* One word as found in the text. The pointers are valid only during the callback. */
typedef struct {
  const char *word; /* lowercased, ё folded; not NUL-terminated */
  gsize word_len;
  const char *term; /* what the index holds: the stem (or the word, see above) */
  gsize term_len;
  gsize start, end; /* byte offsets of the word in the scanned text */
  gboolean stop;    /* a stop word (only okno_text_scan_all hands these over) */
} OknoTerm;

/* Returns 0 to go on; anything else stops the scan and is returned by it. */
typedef int (*OknoTermFunc)(const OknoTerm *t, void *user);

/* Calls `f` for every indexable word of text[0..len) (stop words are skipped), in order.
 * Any bytes are accepted. With s == NULL, t->term is the word itself (no stemming). */
int okno_text_scan(OknoStemmer *s, const char *text, gsize len, OknoTermFunc f, void *user);
/* The same words with the stop words among them, each unstemmed (term = word) and
 * t->stop set: for the classifier (text/classify.h), to which «не», «очень» or «уже»
 * say something that a search does not need. */
int okno_text_scan_all(OknoStemmer *s, const char *text, gsize len, OknoTermFunc f,
                       void *user);

/* The words of a search query, each lowercased and ё-folded, stop words dropped:
 * a NULL-terminated vector (g_strfreev) with at least one word, at most `max_words`.
 * An empty result is OKNO_ERROR_USER "the query has no words"; more than max_words is
 * OKNO_ERROR_USER too. Quotes, operators and any other punctuation are separators, so
 * the words can be put into an FTS5 MATCH string as "word" phrases as they are. */
char **okno_text_query_words(const char *query, guint max_words, GError **error);

/* Registers the FTS5 tokenizer "okno_ru" on `db`. FALSE with an error if FTS5 is
 * missing. */
gboolean okno_text_fts5_register(sqlite3 *db, GError **error);
