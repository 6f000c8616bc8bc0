/* store.h: okno's registry: the handle (one connection), its transactions and counters.
 * The operations on each kind of record have their own header beside this one
 * (appeals.h, messages.h, events.h, outbound.h, phish.h, sessions.h, staff.h,
 * console.h, jobs.h, notify.h, queue.h, search.h, cabinet.h, oidc.h); what is said
 * here holds for all of them.
 *
 * One OknoStore is one connection, used by one thread at a time. All writes happen
 * inside okno_store_begin()/okno_store_commit(); a commit returns only once the data is
 * synced to disk (SQLite: WAL with synchronous=FULL; PostgreSQL: after the WAL flush,
 * synchronous_commit=on, which okno expects and docs/postgresql.md states). Savepoints let the group-commit
 * writer undo one registration without losing the others in the same transaction,
 * when a group has a failing job (commit.h: a group runs without them first).
 *
 * Times are microseconds since the epoch (okno_now()); the store keeps them as RFC 3339
 * UTC text. Strings given are copied; rows returned are owned by the caller.
 * Errors: OKNO_ERROR_TEMP for contention and full disks (retry), OKNO_ERROR_INTERNAL
 * otherwise. "Not found" is not an error: getters return NULL / 0 with no error set. */
#pragma once
#include <glib.h>

#include "store/db.h"

typedef struct OknoStore OknoStore;

OknoStore *okno_store_open(const char *url, GError **error); /* migrates to the latest */
void okno_store_close(OknoStore *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoStore, okno_store_close)
OknoDb *okno_store_db(OknoStore *st);

gboolean okno_store_begin(OknoStore *st, GError **error);
gboolean okno_store_commit(OknoStore *st, GError **error);
void okno_store_rollback(OknoStore *st);
/* PostgreSQL (nothing on SQLite): the transactions this store begins from now on count
 * their new appeals in the counter rows (appeal_counts, the rollups, queue_due) once,
 * just before COMMIT and after the journal's leaves (so behind journal_state's row, as
 * docs/postgresql.md "Nodes" requires), with one upsert per table for all of them
 * (migration 44) instead of the deferred INSERT triggers' upserts per appeal at COMMIT;
 * their changes and deletions in the same transaction are in that count. The new
 * appeals are those okno_store_appeal_insert wrote: in such a transaction, nothing else
 * may insert appeals (a row inserted otherwise would not be counted), and the counter
 * triggers must stay deferred (no SET CONSTRAINTS ... IMMEDIATE). The group-commit
 * writer (commit.h) turns it on; every other connection keeps the triggers. */
void okno_store_count_at_commit(OknoStore *st, gboolean on);
gboolean okno_store_savepoint(OknoStore *st, GError **error);
/* FALSE: the savepoint's work is undone (rolled back to it) and the error says why. */
gboolean okno_store_release(OknoStore *st, GError **error);
void okno_store_rollback_to(OknoStore *st);
/* The group-commit writer's jobs run without savepoints (commit.h):
 * okno_store_job_end marks where one job's work ends, as a RELEASE does for what the
 * store keeps in memory (the journal's leaves of two jobs never share a batch leaf,
 * journal.h), at no cost on the database. okno_store_sync waits for the answers of the
 * statements sent without waiting (PostgreSQL's pipelining, db.h okno_db_sync) and
 * returns FALSE with the first error among them; the caller then rolls back. */
void okno_store_job_end(OknoStore *st);
gboolean okno_store_sync(OknoStore *st, GError **error);
/* A debug counter: the savepoints this connection made (tests of the writer). */
guint64 okno_store_savepoints_made(OknoStore *st);

/* For store/journal.c only: the registration leaf written in the transaction now open
 * (an appeal's id and the leaf's seq), so that changes to the same appeal before the
 * commit (its deadline, its department) fold into that leaf instead of adding leaves
 * of their own. Noted only inside okno_store_begin(); forgotten at every commit,
 * rollback and rollback to a savepoint, so a committed leaf is never named here.
 * okno_store_registration_leaf returns the seq for `appeal_id`, or 0. */
void okno_store_note_registration_leaf(OknoStore *st, gint64 appeal_id, gint64 seq);
gint64 okno_store_registration_leaf(OknoStore *st, gint64 appeal_id);
/* For store/journal.c only: whether a transaction is open, and the slot where the
 * journal keeps the leaves of the open transaction that wait to be written together
 * (journal.h, okno_journal_write_pending). The store has them written before the
 * commit, marks each savepoint, its release and its rollback (only the leaves added
 * since are dropped), and drops them at every begin and rollback. */
gboolean okno_store_in_transaction(OknoStore *st);

/* Reading one state of the store from two threads (ops/journal_verify.c):
 * okno_store_open_reader opens a second connection to st's database for another
 * thread, with no migration and no search index, that writes nothing (NULL and no
 * error when the database cannot be opened twice: SQLite in memory).
 * okno_store_read_begin opens a read-only transaction: every read until
 * okno_store_read_end sees one snapshot (SQLite: a deferred transaction, one WAL
 * snapshot from its first read on; PostgreSQL: REPEATABLE READ READ ONLY); FALSE when
 * a transaction is open. okno_store_read_end rolls it back (nothing when none). */
OknoStore *okno_store_open_reader(OknoStore *st, GError **error);
gboolean okno_store_read_begin(OknoStore *st, GError **error);
void okno_store_read_end(OknoStore *st);
gpointer *okno_store_journal_slot(OknoStore *st);

/* A value read in the open transaction and remembered until it ends (its commit,
 * rollback or a rollback to a savepoint), so that a group of registrations reads a
 * value that seldom changes once, not once per registration (a model's version, the
 * knowledge base's generation): a group then sees the value as it was at the group's
 * first read, as if the group had started then. okno_store_memo_get: NULL when none
 * (always outside a transaction); okno_store_memo_set does nothing outside one. A
 * write of this connection that changes such a value calls okno_store_memo_forget. */
const char *okno_store_memo_get(OknoStore *st, const char *key);
void okno_store_memo_set(OknoStore *st, const char *key, const char *value);
void okno_store_memo_forget(OknoStore *st);
/* The same for a list of records read (the routing rules): okno_store_memo_array
 * returns a new reference to the remembered array (NULL when none), which its readers
 * must not change; okno_store_memo_array_set keeps a reference. */
GPtrArray *okno_store_memo_array(OknoStore *st, const char *key);
void okno_store_memo_array_set(OknoStore *st, const char *key, GPtrArray *array);

/* The next value of a named counter (1, 2, ...), e.g. "appeal-2026". */
gboolean okno_store_next_seq(OknoStore *st, const char *counter, gint64 *value, GError **error);

/* The schema version the store is at (migrations.h: 1 to okno_migrations' count). */
gboolean okno_store_schema_version(OknoStore *st, gint64 *version, GError **error);
/* The instance id made by the first migration (meta 'instance'): the prefix of the
 * names of outbound mail (ops/outbound.c). Caller frees *value; no id is
 * OKNO_ERROR_INTERNAL. */
gboolean okno_store_instance_id(OknoStore *st, char **value, GError **error);
