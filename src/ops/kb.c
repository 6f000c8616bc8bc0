/* kb.c (ops): matching articles and similar answered appeals, and the withdrawal of an
 * appeal by its citizen (see kb.h; docs/kb.md). */
#include "ops/kb.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "core/json.h"
#include "store/appeals.h"
#include "store/events.h"
#include "text/docindex.h"
#include "text/markdown.h"

/* A built index and the items it was built from (document i is item i), shared by
 * the threads that search it: counted references, freed by the last one. */
typedef struct {
  gint ref;
  char *mark; /* the store's mark it was built at (store/kb.h) */
  GPtrArray *items;
  OknoDocIndex *x;
} Snap;

typedef struct {
  GMutex lock;
  Snap *snap; /* the newest built, or NULL */
  guint builds;
} Cache;

static Cache articles_cache, cases_cache;

static void snap_unref(Snap *p)
{
  if (p && g_atomic_int_dec_and_test(&p->ref)) {
    g_free(p->mark);
    g_ptr_array_unref(p->items);
    okno_doc_index_free(p->x);
    g_free(p);
  }
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Snap, snap_unref)

typedef GPtrArray *(*LoadFunc)(OknoStore *st, GError **error);
typedef void (*AddFunc)(OknoDocIndex *x, OknoStemmer *s, guint i, gconstpointer item);

/* The cache's index when it was built at `mark`, else a new one from `load` (built
 * outside the lock: a slow build blocks no reader of the old one), kept for the next
 * caller. A reference the caller drops; NULL on error. */
static Snap *snap_get(Cache *c, const char *mark, OknoStore *st, LoadFunc load, AddFunc add,
                      GError **error)
{
  Snap *p;
  GPtrArray *items;
  g_mutex_lock(&c->lock);
  if (c->snap && !strcmp(c->snap->mark, mark)) {
    p = c->snap;
    g_atomic_int_inc(&p->ref);
    g_mutex_unlock(&c->lock);
    return p;
  }
  g_mutex_unlock(&c->lock);
  if (!(items = load(st, error)))
    return NULL;
  p = g_new0(Snap, 1);
  p->ref = 2; /* the caller's and the cache's */
  p->mark = g_strdup(mark);
  p->items = items;
  p->x = okno_doc_index_new();
  for (guint i = 0; i < items->len; i++)
    add(p->x, okno_stemmer_thread(), i, items->pdata[i]);
  g_mutex_lock(&c->lock);
  snap_unref(c->snap);
  c->snap = p;
  c->builds++;
  g_mutex_unlock(&c->lock);
  return p;
}

guint okno_kb_index_builds(void)
{
  guint n;
  g_mutex_lock(&articles_cache.lock);
  n = articles_cache.builds;
  g_mutex_unlock(&articles_cache.lock);
  g_mutex_lock(&cases_cache.lock);
  n += cases_cache.builds;
  g_mutex_unlock(&cases_cache.lock);
  return n;
}

static void add_article(OknoDocIndex *x, OknoStemmer *s, guint i, gconstpointer p)
{
  const OknoKbArticle *a = p;
  g_autofree char *plain = okno_markdown_plain(a->body);
  g_autofree char *tags = g_strconcat(a->category, " ", a->tags, NULL);
  okno_doc_index_add(x, s, i, a->title, tags, plain);
}

static void add_case(OknoDocIndex *x, OknoStemmer *s, guint i, gconstpointer p)
{
  const OknoKbCase *c = p;
  okno_doc_index_add(x, s, i, c->subject, NULL, c->question);
}

static GPtrArray *load_articles(OknoStore *st, GError **error)
{
  return okno_store_kb_list(st, TRUE, error);
}

static GPtrArray *load_cases(OknoStore *st, GError **error)
{
  return okno_store_kb_cases(st, 0, OKNO_KB_CASES_SCANNED, error);
}

static OknoKbArticle *article_dup(const OknoKbArticle *a)
{
  OknoKbArticle *b = g_memdup2(a, sizeof *a);
  b->title = g_strdup(a->title);
  b->body = g_strdup(a->body);
  b->category = g_strdup(a->category);
  b->tags = g_strdup(a->tags);
  b->author = g_strdup(a->author);
  return b;
}

static OknoKbCase *case_dup(const OknoKbCase *c)
{
  OknoKbCase *d = g_memdup2(c, sizeof *c);
  d->number = g_strdup(c->number);
  d->department = g_strdup(c->department);
  d->subject = g_strdup(c->subject);
  d->question = g_strdup(c->question);
  d->answer = g_strdup(c->answer);
  return d;
}

struct OknoKbQuery {
  GPtrArray *terms; /* the text's distinct stems (docindex.h) */
  guint max, min_terms;
  Snap *snap;       /* the articles' index this process had built when the query was
                     * made, or NULL; a reference */
  GArray *hits;     /* the query's hits in snap's index */
};

OknoKbQuery *okno_kb_query_new(const char *text, guint max, guint min_terms)
{
  OknoKbQuery *q = g_new0(OknoKbQuery, 1);
  q->terms = okno_doc_index_query_terms(okno_stemmer_thread(), text);
  q->max = max;
  q->min_terms = min_terms;
  g_mutex_lock(&articles_cache.lock);
  if ((q->snap = articles_cache.snap))
    g_atomic_int_inc(&q->snap->ref);
  g_mutex_unlock(&articles_cache.lock);
  if (q->snap)
    q->hits = okno_doc_index_search_terms(q->snap->x, q->terms, max, min_terms);
  return q;
}

void okno_kb_query_free(OknoKbQuery *q)
{
  if (!q)
    return;
  g_ptr_array_unref(q->terms);
  if (q->hits)
    g_array_unref(q->hits);
  snap_unref(q->snap);
  g_free(q);
}

GPtrArray *okno_kb_match_query(OknoStore *st, const OknoKbQuery *q, GError **error)
{
  g_autofree char *mark = okno_store_kb_generation(st, error);
  g_autoptr(Snap) now = NULL;
  g_autoptr(GArray) fresh = NULL;
  const Snap *p = q->snap;
  const GArray *hits = q->hits;
  GPtrArray *out;
  if (!mark)
    return NULL;
  /* The index the hits were found in is the store's knowledge base as it is now: the
   * same hits as a search now. Else the index of now, searched by the query's stems. */
  if (!p || strcmp(p->mark, mark) != 0) {
    if (!(now = snap_get(&articles_cache, mark, st, load_articles, add_article, error)))
      return NULL;
    p = now;
    hits = fresh = okno_doc_index_search_terms(now->x, q->terms, q->max, q->min_terms);
  }
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_kb_article_free);
  for (guint i = 0; i < hits->len; i++)
    g_ptr_array_add(out, article_dup(p->items->pdata[g_array_index(hits, OknoDocHit, i).id]));
  return out;
}

GPtrArray *okno_kb_match(OknoStore *st, const char *text, guint max, guint min_terms,
                         GError **error)
{
  g_autoptr(OknoKbQuery) q = okno_kb_query_new(text, max, min_terms);
  return okno_kb_match_query(st, q, error);
}

GPtrArray *okno_kb_similar(OknoStore *st, const char *text, gint64 except_id, guint max,
                           GError **error)
{
  g_autofree char *mark = okno_store_kb_cases_mark(st, error);
  g_autoptr(Snap) p = mark ? snap_get(&cases_cache, mark, st, load_cases, add_case, error)
                           : NULL;
  g_autoptr(GArray) hits = NULL;
  GPtrArray *out;
  if (!p)
    return NULL;
  hits = okno_doc_index_search(p->x, okno_stemmer_thread(), text, max + 1, 2);
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_kb_case_free);
  for (guint i = 0; i < hits->len && out->len < max; i++) {
    const OknoKbCase *c = p->items->pdata[g_array_index(hits, OknoDocHit, i).id];
    if (c->id != except_id)
      g_ptr_array_add(out, case_dup(c));
  }
  return out;
}

gboolean okno_ops_withdraw(const OknoSlaEnv *env, OknoStore *st, const char *number,
                           const char *why, const char *actor, GError **error)
{
  g_autoptr(OknoAppeal) a = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *detail = NULL;
  if (!okno_ops_set_status(env, st, number, 0, OKNO_STATUS_WITHDRAWN, NULL, NULL, actor, error))
    return FALSE;
  a = okno_store_appeal_get(st, number, error);
  if (!a) /* it was there a moment ago, in the same transaction */
    return FALSE;
  json_builder_begin_object(b);
  if (why && *why)
    okno_json_str(b, "why", why);
  json_builder_end_object(b);
  detail = okno_json_text(b, FALSE);
  return okno_store_event_add(st, a->id, "withdrawn", detail, error);
}
