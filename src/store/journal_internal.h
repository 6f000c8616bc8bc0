/* journal_internal.h: what the journal's files in store/ share (journal.c: facts and
 * leaves appended at once; journal_pending.c: leaves waiting in the transaction, written
 * as single leaves and batches; journal_read.c: reading leaves back, batches expanded
 * into their facts). Not for other files: the contract is journal.h. */
#pragma once
#include "store/db.h"
#include "store/journal.h"

/* The work counters (journal.h), added to atomically. */
void okno_journal_count_work(gsize leaves, gsize facts, gsize statements);
/* A leaf hash, counted. */
void okno_journal_leaf_hash(const void *data, gsize len, guint8 out[OKNO_HASH_LEN]);
/* Appends one leaf at once (after the leaves waiting); *seq (may be NULL) its number. */
gboolean okno_journal_append_seq(OknoStore *st, const char *kind, const char *ref, gint64 ref_id,
                                 gint64 appeal_id, const char *number, gint64 at, GBytes *entry,
                                 gint64 *seq, GError **error);
/* A leaf of an appeal, a message or an event: waits in an open transaction (written
 * with the others, a run of one appeal's facts as one batch leaf), else is appended at
 * once. */
gboolean okno_journal_add_leaf(OknoStore *st, const char *kind, const char *ref, gint64 ref_id,
                               gint64 appeal_id, const char *number, gint64 at, GBytes *entry,
                               GError **error);
/* The waiting registration fact of appeal `a` takes entry `e` when it was added since
 * the innermost open savepoint and no savepoint began or ended since; FALSE in *folded
 * otherwise. When one waits that cannot take it, the facts waiting are written first
 * (so that okno_store_registration_leaf may name its leaf); FALSE on that error. */
gboolean okno_journal_fold_waiting(OknoStore *st, const OknoAppeal *a, GBytes *e,
                                   gboolean *folded, GError **error);

#define OKNO_JOURNAL_LEAF_COLUMNS "seq, kind, ref, ref_id, appeal_id, number, at, entry, leaf"
/* Leaves of rows of OKNO_JOURNAL_LEAF_COLUMNS, as stored (a batch as one leaf). */
GPtrArray *okno_journal_leaves_of_rows(const OknoRows *r);
/* The latest fact of (ref, ref_id), in a leaf of its own or in a batch: its seq (0:
 * none) and its entry (NULL: none). */
gboolean okno_journal_latest_fact(OknoStore *st, const char *ref, gint64 ref_id, gint64 *seq,
                                  GBytes **entry, GError **error);

#define OKNO_JOURNAL_MESSAGE_COLUMNS                                                         \
  "m.id, m.appeal_id, m.direction, m.message_id, m.sender, m.recipient, m.subject, m.text, " \
  "m.content_hash, m.meta, m.raw, m.created_at, m.automatic, coalesce(a.number, '')"
/* The entry of row i of OKNO_JOURNAL_MESSAGE_COLUMNS rows; NULL with the error when the
 * row's sealed bytes do not open (store/keys.h). */
GBytes *okno_journal_message_entry_of_row(OknoStore *st, const OknoRows *r, guint i,
                                          GError **error);
