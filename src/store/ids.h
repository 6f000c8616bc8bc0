/* ids.h: row ids reserved ahead for the group-commit writer on PostgreSQL (issue 18).
 *
 * An `INSERT ... RETURNING id` whose id the next statement needs makes the writer wait
 * for the server's answer (a sync point of the pipeline, db.h okno_db_set_pipelining).
 * On a connection that pipelines, inside a transaction, the ids of new appeals,
 * messages and events are instead taken from their tables' identity sequences in
 * blocks (`SELECT nextval(...) FROM generate_series(1, n)`: one round trip for a block,
 * the blocks doubling within a transaction), kept with the store handle, used in
 * order, and the row is inserted with its id given, sent without waiting.
 *
 * The ids left in a block when the transaction ends (commit or rollback) are dropped,
 * never used by a later transaction: ids are surrogate keys with gaps allowed (a
 * rolled-back nextval already leaves one), and a row's id is still taken during its
 * own transaction, so ids keep following the time rows were written as closely as a
 * sequence read per row does (nothing orders by id across concurrent transactions:
 * the journal's order is its own sequencer's, docs/journal.md "The sequence").
 *
 * Everywhere else (SQLite, a connection that does not pipeline, autocommit) the store
 * lets the INSERT give the id, as before: okno_store_reserve_id answers 0. */
#pragma once
#include <glib.h>

#include "store/db.h"
#include "store/store.h"

typedef struct OknoIdPool OknoIdPool;

/* The tables whose ids may be reserved. */
typedef enum { OKNO_ID_APPEALS, OKNO_ID_MESSAGES, OKNO_ID_EVENTS, OKNO_ID_N } OknoIdTable;

/* A reserved id of `table` for a row about to be inserted in the open transaction, or
 * 0 when the INSERT should give it itself (see above). FALSE with the error when the
 * block could not be read (the transaction is then failed anyway). */
gboolean okno_store_reserve_id(OknoStore *st, OknoIdTable table, gint64 *id, GError **error);

/* Inserts one row: `columns` is "INSERT INTO table(col1, ..., colN" (no closing
 * parenthesis) and params[0..n) its N values followed by one more, the id (0: none).
 * With an id the row is inserted with it, by okno_db_exec (sent without waiting on the
 * writer's connection); without, the INSERT gives the id and returns it in *id (one
 * round trip on PostgreSQL; on SQLite the last insert rowid, not RETURNING). `columns`
 * must be a string literal (or live as long as the process): the statement written
 * from it is kept under its address. FALSE with the error. */
gboolean okno_store_insert_row(OknoStore *st, const char *columns, const OknoParam *params,
                               gsize n, gint64 *id, GError **error);

/* For store.c: forgets the reserved ids (at BEGIN, COMMIT and ROLLBACK); frees. */
void okno_id_pool_clear(OknoIdPool *pool);
void okno_id_pool_free(OknoIdPool *pool);
/* store.c: the handle's pool, made on first use. */
OknoIdPool **okno_store_id_pool_slot(OknoStore *st);
