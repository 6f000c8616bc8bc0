/* journal_batch.c: the batch entry (contract: journal_batch.h; format: docs/journal.md,
 * "Batches"): building it from the facts of a transaction and parsing it back,
 * strictly (a parse that succeeds rebuilds the same bytes). */
#include "store/journal_batch.h"

#include <stdlib.h>
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

/* A decimal integer without sign or leading zero ("0" itself allowed). */
static gboolean parse_uint(const char *s, guint64 *out)
{
  char *end = NULL;
  if (!g_ascii_isdigit(*s) || (s[0] == '0' && s[1]))
    return FALSE;
  *out = g_ascii_strtoull(s, &end, 10);
  return end && *end == '\0';
}

static gboolean word(const char *s)
{
  if (!*s)
    return FALSE;
  for (; *s; s++)
    if (!(g_ascii_islower(*s) || *s == '_'))
      return FALSE;
  return TRUE;
}

/* The line at *p (up to '\n', within end) as a string; *p moves past it. */
static char *take_line(const char **p, const char *end)
{
  const char *nl = memchr(*p, '\n', (gsize)(end - *p));
  char *line;
  if (!nl)
    return NULL;
  line = g_strndup(*p, (gsize)(nl - *p));
  *p = nl + 1;
  return line;
}

GPtrArray *okno_journal_batch_parse(const void *data, gsize len)
{
  const char *p = data, *end = (const char *)data + len;
  g_autofree char *count = NULL;
  g_autoptr(GPtrArray) out = NULL;
  guint64 n = 0;
  if (!okno_journal_entry_is_batch(data, len))
    return NULL;
  p += strlen(BATCH_HEAD);
  count = take_line(&p, end);
  if (!count || !g_str_has_prefix(count, "facts=") || !parse_uint(count + 6, &n) || n == 0 ||
      n > len)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_journal_batch_fact_free);
  for (guint64 i = 0; i < n; i++) {
    g_autofree char *line = take_line(&p, end);
    g_auto(GStrv) f = NULL;
    guint64 index = 0, id = 0, size = 0;
    OknoJournalBatchFact *x;
    if (!line || !g_str_has_prefix(line, "fact="))
      return NULL;
    f = g_strsplit(line + 5, " ", -1);
    if (g_strv_length(f) != 5 || !parse_uint(f[0], &index) || index != i || !word(f[1]) ||
        !word(f[2]) || !parse_uint(f[3], &id) || id > G_MAXINT64 || !parse_uint(f[4], &size) ||
        size > (guint64)(end - p) || okno_journal_entry_is_batch(p, (gsize)size))
      return NULL;
    x = g_new0(OknoJournalBatchFact, 1);
    x->kind = g_strdup(f[1]);
    x->ref = g_strdup(f[2]);
    x->ref_id = (gint64)id;
    x->entry = g_bytes_new(p, (gsize)size);
    g_ptr_array_add(out, x);
    p += size;
  }
  if (p != end)
    return NULL;
  return g_steal_pointer(&out);
}
