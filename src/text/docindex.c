/* docindex.c: BM25 over a few weighted fields of short documents (see docindex.h). */
#include "text/docindex.h"

#include <math.h>
#include <string.h>

typedef struct {
  gint64 id;
  GHashTable *tf; /* stem -> GUINT_TO_POINTER(weighted count) */
  double len;     /* weighted words */
} Doc;

struct OknoDocIndex {
  GPtrArray *docs; /* Doc* */
  GHashTable *df;  /* stem -> GUINT_TO_POINTER(documents holding it) */
  double total_len;
};

static void doc_free(gpointer p)
{
  Doc *d = p;
  g_hash_table_destroy(d->tf);
  g_free(d);
}

OknoDocIndex *okno_doc_index_new(void)
{
  OknoDocIndex *x = g_new0(OknoDocIndex, 1);
  x->docs = g_ptr_array_new_with_free_func(doc_free);
  x->df = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  return x;
}

void okno_doc_index_free(OknoDocIndex *x)
{
  if (!x)
    return;
  g_ptr_array_unref(x->docs);
  g_hash_table_destroy(x->df);
  g_free(x);
}

typedef struct {
  GHashTable *tf;
  guint weight;
  double *len;
} AddCtx;

static int add_term(const OknoTerm *t, void *user)
{
  AddCtx *c = user;
  g_autofree char *k = g_strndup(t->term, t->term_len);
  guint n = GPOINTER_TO_UINT(g_hash_table_lookup(c->tf, k));
  g_hash_table_replace(c->tf, g_steal_pointer(&k), GUINT_TO_POINTER(n + c->weight));
  *c->len += c->weight;
  return 0;
}

void okno_doc_index_add(OknoDocIndex *x, OknoStemmer *s, gint64 id, const char *title,
                        const char *tags, const char *body)
{
  Doc *d = g_new0(Doc, 1);
  const char *texts[3] = {title, tags, body};
  const guint weights[3] = {3, 2, 1};
  GHashTableIter it;
  gpointer k;
  d->id = id;
  d->tf = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (int i = 0; i < 3; i++) {
    AddCtx c = {d->tf, weights[i], &d->len};
    if (texts[i])
      okno_text_scan(s, texts[i], strlen(texts[i]), add_term, &c);
  }
  g_hash_table_iter_init(&it, d->tf);
  while (g_hash_table_iter_next(&it, &k, NULL)) {
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(x->df, k));
    g_hash_table_replace(x->df, g_strdup(k), GUINT_TO_POINTER(n + 1));
  }
  x->total_len += d->len;
  g_ptr_array_add(x->docs, d);
}

guint okno_doc_index_size(const OknoDocIndex *x)
{
  return x->docs->len;
}

static int query_term(const OknoTerm *t, void *user)
{
  GPtrArray *terms = user;
  g_autofree char *k = g_strndup(t->term, t->term_len);
  for (guint i = 0; i < terms->len; i++)
    if (!strcmp(terms->pdata[i], k))
      return 0;
  if (terms->len < 64) /* a description's first 64 distinct words are plenty */
    g_ptr_array_add(terms, g_steal_pointer(&k));
  return 0;
}

static gint hit_cmp(gconstpointer a, gconstpointer b)
{
  const OknoDocHit *x = a, *y = b;
  return (x->score < y->score) - (x->score > y->score);
}

GPtrArray *okno_doc_index_query_terms(OknoStemmer *s, const char *query)
{
  GPtrArray *terms = g_ptr_array_new_with_free_func(g_free);
  if (query)
    okno_text_scan(s, query, strlen(query), query_term, terms);
  return terms;
}

GArray *okno_doc_index_search_terms(const OknoDocIndex *x, const GPtrArray *terms, guint max,
                                    guint min_terms)
{
  GArray *hits = g_array_new(FALSE, FALSE, sizeof(OknoDocHit));
  double n = x->docs->len, avg = n ? x->total_len / n : 1.0;
  guint need;
  if (!terms->len || !x->docs->len)
    return hits;
  need = MAX(1, MIN(min_terms, terms->len));
  for (guint i = 0; i < x->docs->len; i++) {
    const Doc *d = x->docs->pdata[i];
    OknoDocHit h = {d->id, 0};
    guint matched = 0;
    for (guint j = 0; j < terms->len; j++) {
      double tf = GPOINTER_TO_UINT(g_hash_table_lookup(d->tf, terms->pdata[j]));
      double df = GPOINTER_TO_UINT(g_hash_table_lookup(x->df, terms->pdata[j]));
      if (tf <= 0)
        continue;
      matched++;
      h.score += log(1.0 + (n - df + 0.5) / (df + 0.5)) * tf * 2.2 /
                 (tf + 1.2 * (0.25 + 0.75 * d->len / (avg > 0 ? avg : 1.0)));
    }
    if (matched >= need && h.score > 0)
      g_array_append_val(hits, h);
  }
  g_array_sort(hits, hit_cmp); /* GLib's sort is stable: ties keep the order of addition */
  if (hits->len > max)
    g_array_set_size(hits, max);
  return hits;
}

GArray *okno_doc_index_search(const OknoDocIndex *x, OknoStemmer *s, const char *query,
                              guint max, guint min_terms)
{
  g_autoptr(GPtrArray) terms = okno_doc_index_query_terms(s, query);
  return okno_doc_index_search_terms(x, terms, max, min_terms);
}
