/* cluster.c: sketches of texts, centroids and leader clustering (see cluster.h). */
#include "text/cluster.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static guint64 fnv1a(const char *p, gsize n)
{
  guint64 h = G_GUINT64_CONSTANT(14695981039346656037);
  for (gsize i = 0; i < n; i++) {
    h ^= (guchar)p[i];
    h *= G_GUINT64_CONSTANT(1099511628211);
  }
  return h;
}

static gint cmp_u64(gconstpointer a, gconstpointer b)
{
  guint64 x = *(const guint64 *)a, y = *(const guint64 *)b;
  return x < y ? -1 : x > y;
}

/* Adds one hash unless present or full (linear check: sketches are small; sorted at
 * the end). */
static void add_hash(OknoSketch *s, guint64 h)
{
  if (s->n >= OKNO_SKETCH_MAX)
    return;
  for (guint i = 0; i < s->n; i++)
    if (s->h[i] == h)
      return;
  s->h[s->n++] = h;
}

static void finish(OknoSketch *s)
{
  qsort(s->h, s->n, sizeof s->h[0], cmp_u64);
}

void okno_sketch_from_terms(OknoSketch *s, const char *terms)
{
  const char *p = terms ? terms : "";
  s->n = 0;
  while (*p) {
    const char *e;
    while (*p == ' ')
      p++;
    e = p;
    while (*e && *e != ' ')
      e++;
    if (e > p)
      add_hash(s, fnv1a(p, (gsize)(e - p)));
    p = e;
  }
  finish(s);
}

static int add_term(const OknoTerm *t, void *user)
{
  add_hash(user, fnv1a(t->term, t->term_len));
  return 0;
}

void okno_sketch_from_text(OknoSketch *s, OknoStemmer *st, const char *text)
{
  s->n = 0;
  if (text)
    okno_text_scan(st, text, strlen(text), add_term, s);
  finish(s);
}

double okno_sketch_cosine(const OknoSketch *a, const OknoSketch *b)
{
  guint i = 0, j = 0, common = 0;
  if (!a->n || !b->n)
    return 0;
  while (i < a->n && j < b->n) {
    if (a->h[i] == b->h[j]) {
      common++;
      i++;
      j++;
    } else if (a->h[i] < b->h[j]) {
      i++;
    } else {
      j++;
    }
  }
  return common / sqrt((double)a->n * b->n);
}

struct OknoCentroid {
  GHashTable *counts; /* guint64* -> count (GUINT_TO_POINTER) */
  double norm2;       /* sum of count^2 */
  guint members;
};

OknoCentroid *okno_centroid_new(void)
{
  OknoCentroid *c = g_new0(OknoCentroid, 1);
  c->counts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  return c;
}

void okno_centroid_free(OknoCentroid *c)
{
  if (!c)
    return;
  g_hash_table_destroy(c->counts);
  g_free(c);
}

void okno_centroid_add(OknoCentroid *c, const OknoSketch *s)
{
  for (guint i = 0; i < s->n; i++) {
    guint64 key = s->h[i];
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(c->counts, &key));
    if (n == 0)
      g_hash_table_insert(c->counts, g_memdup2(&key, sizeof key), GUINT_TO_POINTER(1));
    else
      g_hash_table_replace(c->counts, g_memdup2(&key, sizeof key), GUINT_TO_POINTER(n + 1));
    c->norm2 += 2.0 * n + 1; /* (n+1)^2 - n^2 */
  }
  c->members++;
}

guint okno_centroid_members(const OknoCentroid *c)
{
  return c->members;
}

double okno_centroid_similarity(const OknoCentroid *c, const OknoSketch *s)
{
  double dot = 0, v;
  if (!s->n || c->norm2 <= 0)
    return 0;
  for (guint i = 0; i < s->n; i++)
    dot += GPOINTER_TO_UINT(g_hash_table_lookup(c->counts, &s->h[i]));
  v = dot / (sqrt((double)s->n) * sqrt(c->norm2));
  return v > 1 ? 1 : v;
}

/* The groups' terms, inverted: term -> GArray of the groups (guint) whose centroid holds
 * it, each once. A sketch is compared only with the groups it shares a term with (the
 * others' similarity is 0), so a pass costs items x terms x groups sharing a term, not
 * items x all groups: most appeals of a window are unlike each other. */
static void postings_add(GHashTable *post, const OknoCentroid *c, guint group,
                         const OknoSketch *s)
{
  for (guint i = 0; i < s->n; i++) {
    GArray *a;
    if (g_hash_table_lookup(c->counts, &s->h[i])) /* the group holds it already */
      continue;
    if (!(a = g_hash_table_lookup(post, &s->h[i]))) {
      a = g_array_new(FALSE, FALSE, sizeof(guint));
      g_hash_table_insert(post, g_memdup2(&s->h[i], sizeof s->h[i]), a);
    }
    g_array_append_val(a, group);
  }
}

guint okno_cluster_leader(const OknoSketch *sketches, guint n, double threshold, guint *out)
{
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func((GDestroyNotify)okno_centroid_free);
  g_autoptr(GHashTable) post = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                                     (GDestroyNotify)g_array_unref);
  g_autoptr(GArray) dot = g_array_new(FALSE, TRUE, sizeof(double));
  g_autoptr(GArray) touched = g_array_new(FALSE, FALSE, sizeof(guint));
  for (guint i = 0; i < n; i++) {
    const OknoSketch *s = &sketches[i];
    double best = 0;
    guint at = 0;
    g_array_set_size(touched, 0);
    for (guint t = 0; t < s->n; t++) {
      GArray *a = g_hash_table_lookup(post, &s->h[t]);
      for (guint k = 0; a && k < a->len; k++) {
        guint g = g_array_index(a, guint, k);
        OknoCentroid *c = groups->pdata[g];
        double *d = &g_array_index(dot, double, g);
        if (*d == 0)
          g_array_append_val(touched, g);
        *d += GPOINTER_TO_UINT(g_hash_table_lookup(c->counts, &s->h[t]));
      }
    }
    /* the most similar group, the first on a tie (as a scan of every group would
     * pick: the untouched ones are at 0) */
    for (guint k = 0; k < touched->len; k++) {
      guint g = g_array_index(touched, guint, k);
      double *d = &g_array_index(dot, double, g);
      const OknoCentroid *c = groups->pdata[g];
      double v = *d / (sqrt((double)s->n) * sqrt(c->norm2));
      *d = 0;
      v = v > 1 ? 1 : v;
      if (v > best || (v == best && g < at)) {
        best = v;
        at = g;
      }
    }
    if (!groups->len || best < threshold || s->n == 0) {
      at = groups->len;
      g_ptr_array_add(groups, okno_centroid_new());
      g_array_set_size(dot, groups->len);
    }
    postings_add(post, groups->pdata[at], at, s);
    okno_centroid_add(groups->pdata[at], s);
    out[i] = at;
  }
  return groups->len;
}
