/* search_queue.h: the search rows written by okno, once per transaction
 * (issue 18; docs/postgresql.md "Intake's fast path").
 *
 * Until migration 30 INSERT triggers kept appeal_search: the new appeal's row was
 * inserted, then rewritten once for its message and once more for each attachment,
 * all inside the group transaction. Now the store notes what a transaction added (the
 * appeals, the messages, the attachments' messages) and okno_store_commit writes the
 * rows in one statement before COMMIT (okno_search_add: a new appeal's row built once
 * from its terms, a new message of an older appeal appended once with its files), so
 * a row is never lost: it commits with the data or not at all. Outside a transaction
 * (autocommit) the row is written at once. Changes and deletions keep their triggers.
 * The vectors are the triggers' own (the unit test compares them).
 * SQLite, since migration 43: the same for appeal_fts (search_queue.c, add_sqlite): a
 * new appeal's row inserted once with its messages' and files' terms, an older
 * appeal's row made again from its rows when it got a message, as the rebuild triggers
 * make it (the same terms: a query's terms are single-term phrases ANDed and bm25 counts
 * them, so what is found and its rank do not depend on the separators). FTS5 flushes its pending terms as a new
 * segment at every statement of a transaction after a write to it, so the INSERT
 * triggers made a segment per row written, and the merges FTS5 owes per segment grow
 * with the index (docs/bench.md, "Intake on a filled store: FTS5 flushed at every
 * statement"). Changes and deletions keep their triggers. */
#pragma once
#include <glib.h>

#include "store/db.h"
#include "store/store.h"

typedef struct {
  GArray *appeals;         /* gint64: appeals inserted in the transaction */
  GArray *messages;        /* gint64: messages inserted in the transaction */
  GHashTable *message_set; /* the same ids, to tell an attachment of a new message */
} OknoSearchQueue;

/* Forgets everything noted (at BEGIN, ROLLBACK, COMMIT). */
void okno_search_queue_clear(OknoSearchQueue *q);
/* Writes the rows of what was noted (one statement; nothing when nothing was noted),
 * then forgets it. */
gboolean okno_search_queue_flush(OknoDb *db, OknoSearchQueue *q, GError **error);

/* The ids of `a` (NULL: none) between `open` and `close`, comma-separated: "{1,2,3}"
 * is a bigint[] literal for PostgreSQL's `$n::bigint[]`, "[1,2,3]" a JSON array for
 * SQLite's json_each. */
char *okno_search_queue_id_list(const GArray *a, char open, char close);

/* For store.c: the open transaction's queue, or NULL outside a transaction. */
OknoSearchQueue *okno_store_search_queue(OknoStore *st);

/* For appeals.c and messages.c, after their INSERT: note the new row (in a transaction)
 * or write its search row now (autocommit). */
gboolean okno_store_search_appeal_added(OknoStore *st, gint64 appeal_id, GError **error);
gboolean okno_store_search_message_added(OknoStore *st, gint64 message_id, GError **error);
gboolean okno_store_search_attachment_added(OknoStore *st, gint64 message_id, GError **error);
