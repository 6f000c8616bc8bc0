/* journal_batch.c: the batch entry (contract: journal_batch.h; format: docs/journal.md,
 * "Batches"): building it from the facts of a transaction and parsing it back,
 * strictly (a parse that succeeds rebuilds the same bytes). */
#include "store/journal_batch.h"

#include <string.h>

#define BATCH_HEAD "okno-journal 3\nrecord=batch\n"

void okno_journal_batch_fact_free(OknoJournalBatchFact *f)
{
  if (!f)
    return;
  g_free(f->kind);
  g_free(f->ref);
  if (f->entry)
    g_bytes_unref(f->entry);
  g_free(f);
}

GBytes *okno_journal_entry_batch(OknoJournalBatchFact *const *facts, guint n)
{
  GString *s = g_string_new(BATCH_HEAD);
  gsize len;
  g_string_append_printf(s, "facts=%u\n", n);
  for (guint i = 0; i < n; i++) {
    gsize elen;
    const void *e = g_bytes_get_data(facts[i]->entry, &elen);
    g_string_append_printf(s, "fact=%u %s %s %" G_GINT64_FORMAT " %" G_GSIZE_FORMAT "\n", i,
                           facts[i]->kind, facts[i]->ref, facts[i]->ref_id, elen);
    g_string_append_len(s, e ? e : "", (gssize)elen);
  }
  len = s->len;
  return g_bytes_new_take(g_string_free(s, FALSE), len);
}

gboolean okno_journal_entry_is_batch(const void *data, gsize len)
{
  return data && len >= strlen(BATCH_HEAD) && memcmp(data, BATCH_HEAD, strlen(BATCH_HEAD)) == 0;
}

/* A decimal integer without sign or leading zero ("0" itself allowed) in [s, e). */
static gboolean parse_uint(const char *s, const char *e, guint64 *out)
{
  guint64 v = 0;
  if (s >= e || (s[0] == '0' && e - s > 1))
    return FALSE;
  for (; s < e; s++) {
    if (!g_ascii_isdigit(*s) || v > (G_MAXUINT64 - (guint64)(*s - '0')) / 10)
      return FALSE;
    v = v * 10 + (guint64)(*s - '0');
  }
  *out = v;
  return TRUE;
}

/* A non-empty [a-z_] word in [s, e). */
static gboolean word(const char *s, const char *e)
{
  if (s >= e)
    return FALSE;
  for (; s < e; s++)
    if (!(g_ascii_islower(*s) || *s == '_'))
      return FALSE;
  return TRUE;
}

/* The field of line [*p, e) up to the next space (or e for the last one): [*start,
 * *stop); *p moves past the space. FALSE when there is no such field. */
static gboolean field(const char **p, const char *e, gboolean last, const char **start,
                      const char **stop)
{
  const char *sp = last ? e : memchr(*p, ' ', (gsize)(e - *p));
  if (!sp)
    return FALSE;
  *start = *p;
  *stop = sp;
  *p = last ? e : sp + 1;
  return TRUE;
}

/* One fact of a batch, pointing into the entry's bytes. */
typedef struct {
  const char *kind, *kind_end, *ref, *ref_end, *entry;
  gint64 ref_id;
  gsize size;
} FactView;

/* The "facts=N" line at *p: N (0: not well formed). */
static guint64 fact_count(const char **p, const char *end, gsize len)
{
  const char *nl = memchr(*p, '\n', (gsize)(end - *p));
  guint64 n = 0;
  if (!nl || nl - *p < 6 || memcmp(*p, "facts=", 6) != 0 || !parse_uint(*p + 6, nl, &n) ||
      n > len)
    return 0;
  *p = nl + 1;
  return n;
}

/* Fact `i` at *p ("fact=i kind ref ref_id size\n" and its entry): *p moves past it. */
static gboolean next_fact(const char **p, const char *end, guint64 i, FactView *v)
{
  const char *nl = memchr(*p, '\n', (gsize)(end - *p)), *q = *p, *a, *b;
  guint64 index = 0, id = 0, size = 0;
  if (!nl || nl - q < 5 || memcmp(q, "fact=", 5) != 0)
    return FALSE;
  q += 5;
  if (!field(&q, nl, FALSE, &a, &b) || !parse_uint(a, b, &index) || index != i ||
      !field(&q, nl, FALSE, &v->kind, &v->kind_end) || !word(v->kind, v->kind_end) ||
      !field(&q, nl, FALSE, &v->ref, &v->ref_end) || !word(v->ref, v->ref_end) ||
      !field(&q, nl, FALSE, &a, &b) || !parse_uint(a, b, &id) || id > G_MAXINT64 ||
      !field(&q, nl, TRUE, &a, &b) || !parse_uint(a, b, &size) ||
      size > (guint64)(end - nl - 1) || okno_journal_entry_is_batch(nl + 1, (gsize)size))
    return FALSE;
  v->ref_id = (gint64)id;
  v->entry = nl + 1;
  v->size = (gsize)size;
  *p = nl + 1 + size;
  return TRUE;
}

gint64 okno_journal_batch_count(const void *data, gsize len)
{
  const char *p = data, *end = (const char *)data + len;
  guint64 n;
  FactView v;
  if (!okno_journal_entry_is_batch(data, len))
    return -1;
  p += strlen(BATCH_HEAD);
  if (!(n = fact_count(&p, end, len)))
    return -1;
  for (guint64 i = 0; i < n; i++)
    if (!next_fact(&p, end, i, &v))
      return -1;
  return p == end ? (gint64)n : -1;
}

gboolean okno_journal_batch_views(const void *data, gsize len, GArray *out)
{
  const char *p = data, *end = (const char *)data + len;
  guint first = out->len;
  guint64 n;
  if (!okno_journal_entry_is_batch(data, len))
    return FALSE;
  p += strlen(BATCH_HEAD);
  if (!(n = fact_count(&p, end, len)))
    return FALSE;
  for (guint64 i = 0; i < n; i++) {
    FactView v;
    OknoJournalBatchView x;
    if (!next_fact(&p, end, i, &v)) {
      g_array_set_size(out, first);
      return FALSE;
    }
    x.kind = v.kind;
    x.kind_len = (gsize)(v.kind_end - v.kind);
    x.ref = v.ref;
    x.ref_len = (gsize)(v.ref_end - v.ref);
    x.ref_id = v.ref_id;
    x.entry = v.entry;
    x.size = v.size;
    g_array_append_val(out, x);
  }
  if (p != end) {
    g_array_set_size(out, first);
    return FALSE;
  }
  return TRUE;
}

GPtrArray *okno_journal_batch_parse(const void *data, gsize len)
{
  g_autoptr(GArray) views = g_array_new(FALSE, FALSE, sizeof(OknoJournalBatchView));
  GPtrArray *out;
  if (!okno_journal_batch_views(data, len, views))
    return NULL;
  out = g_ptr_array_new_full(views->len, (GDestroyNotify)okno_journal_batch_fact_free);
  for (guint i = 0; i < views->len; i++) {
    const OknoJournalBatchView *v = &g_array_index(views, OknoJournalBatchView, i);
    OknoJournalBatchFact *x = g_new0(OknoJournalBatchFact, 1);
    x->kind = g_strndup(v->kind, v->kind_len);
    x->ref = g_strndup(v->ref, v->ref_len);
    x->ref_id = v->ref_id;
    x->entry = g_bytes_new(v->entry, v->size);
    g_ptr_array_add(out, x);
  }
  return out;
}
