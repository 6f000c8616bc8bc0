/* docindex.h: a small in-memory ranked index over short documents (issue 19: the
 * knowledge base's search on /help, the articles offered on the feedback form and in
 * receipts, and the similar past appeals shown to operators; docs/kb.md).
 *
 * Words are what search sees (text/tokenizer.h: lowercase, ё = е, Russian and English
 * Snowball stems, stop words dropped). A document has up to three weighted fields
 * (title x3, tags x2, body x1). A query's score against a document is BM25 (k1 = 1.2,
 * b = 0.75) over the query's distinct stems, each stem's term frequency being the
 * weighted count in the document. A document is a hit only when it holds at least
 * `min_terms` of the query's distinct stems (capped at the query's own number), so a
 * single common word does not offer an unrelated article.
 *
 * Built once, then read: any number of threads may search one index at once, each
 * with its own OknoStemmer. Sizes: documents up to G_MAXUINT; texts of any bytes. */
#pragma once
#include <glib.h>

#include "text/tokenizer.h"

typedef struct OknoDocIndex OknoDocIndex;

typedef struct {
  gint64 id;    /* the caller's id of the document */
  double score; /* > 0; higher is better */
} OknoDocHit;

OknoDocIndex *okno_doc_index_new(void);
void okno_doc_index_free(OknoDocIndex *x);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoDocIndex, okno_doc_index_free)

/* Adds a document; any of the texts may be NULL. */
void okno_doc_index_add(OknoDocIndex *x, OknoStemmer *s, gint64 id, const char *title,
                        const char *tags, const char *body);
guint okno_doc_index_size(const OknoDocIndex *x);

/* The best `max` hits for `query` (GArray of OknoDocHit, best first, ties by the
 * order of addition), empty when the query has no words. */
GArray *okno_doc_index_search(const OknoDocIndex *x, OknoStemmer *s, const char *query,
                              guint max, guint min_terms);
/* The same in two steps, so that the words can be cut on another thread than the one
 * that searches (intake's parse pool, ops/kb.h okno_kb_query_new): the query's
 * distinct stems (char*, at most 64, in the order met; needs no index), then the
 * search by them. okno_doc_index_search(x, s, q, ..) is
 * okno_doc_index_search_terms(x, okno_doc_index_query_terms(s, q), ..). */
GPtrArray *okno_doc_index_query_terms(OknoStemmer *s, const char *query);
GArray *okno_doc_index_search_terms(const OknoDocIndex *x, const GPtrArray *terms, guint max,
                                    guint min_terms);
