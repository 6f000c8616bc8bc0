/* journal_batch.h: the batch entry of the journal (docs/journal.md, "Batches"): the
 * facts one registration's transaction journals, in one leaf instead of one leaf per
 * fact. A batch entry (version 3) holds, in order, each fact's kind, table and row id
 * and its single-fact entry (versions 1 and 2, unchanged) framed by its length, so a
 * fact is proven by the batch leaf's inclusion proof plus its index in the batch.
 * Pure functions on bytes: no store, no I/O (the offline verifiers use them too). */
#pragma once
#include <glib.h>

typedef struct {
  char *kind;   /* the journal kind: registration, message_in, event ... */
  char *ref;    /* the table: appeal, message, event */
  gint64 ref_id;
  GBytes *entry; /* the fact's own entry (docs/journal.md, "Entries") */
} OknoJournalBatchFact;
void okno_journal_batch_fact_free(OknoJournalBatchFact *f);

/* The batch entry of facts[0..n) (n >= 1; kinds and refs are [a-z_] words). */
GBytes *okno_journal_entry_batch(OknoJournalBatchFact *const *facts, guint n);
/* TRUE when the entry starts as a batch entry (its first two lines). */
gboolean okno_journal_entry_is_batch(const void *data, gsize len);
/* The facts of a batch entry, in order (OknoJournalBatchFact, owned); NULL when the
 * bytes are not exactly a canonical batch entry (any other byte, a nested batch, a
 * length that does not fit, trailing bytes). */
GPtrArray *okno_journal_batch_parse(const void *data, gsize len);
/* A fact of a batch entry as pointers into the entry's bytes (valid while they are). */
typedef struct {
  const char *kind, *ref; /* not NUL-terminated: kind_len, ref_len bytes */
  gsize kind_len, ref_len;
  gint64 ref_id;
  const void *entry; /* the fact's own entry, `size` bytes */
  gsize size;
} OknoJournalBatchView;
/* The facts of a batch entry appended to `out` (an array of OknoJournalBatchView), in
 * order, checked exactly as okno_journal_batch_parse checks them; FALSE (and `out` as
 * it was) when the bytes are not a canonical batch entry. Nothing allocated but `out`'s
 * growth (verify's merge of 7 million facts). */
gboolean okno_journal_batch_views(const void *data, gsize len, GArray *out);
/* The number of facts of a batch entry, checked as strictly as okno_journal_batch_parse
 * does but with nothing allocated (verify's walk by seq); -1 when not well formed. */
gint64 okno_journal_batch_count(const void *data, gsize len);
