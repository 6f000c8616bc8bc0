/* commit.h: the group-commit writer (one sync for many registrations).
 *
 * A writer thread owns one store connection. Callers hand it jobs; it takes every job
 * waiting, runs them in one transaction, commits (one sync), and then calls each
 * job's `done` on the main context the submitter named. A job's work therefore
 * becomes durable together with its neighbours', and nobody is told "done" before the
 * commit returned. A group runs first with no savepoint; when one of its jobs fails,
 * the whole transaction is rolled back and the group runs again with a savepoint per
 * job, so that the failing job is undone alone and the others commit (commit.c). If
 * the commit itself fails, every job of the group gets the error (nothing of them is
 * in the store). */
#pragma once
#include <glib.h>

#include "store/store.h"

typedef struct OknoCommitter OknoCommitter;

/* Runs inside the group transaction on the writer thread; returns FALSE with an error
 * to undo this job alone. It may run twice for one submission (the first run undone by
 * a ROLLBACK of the whole group when another job failed), so it must leave no trace
 * outside the transaction before `done`: what it sets in `data` it sets again from the
 * start (a result reset first), what it reads from `data` it does not consume or free,
 * and nothing leaves the process (a mail sent, a counter of completed work bumped, a
 * promise made to the submitter) until `done`. Logging what it does is allowed (an
 * attempt, as for a job undone in its savepoint). */
typedef gboolean (*OknoCommitWork)(OknoStore *st, gpointer data, GError **error);
/* Called after the commit (err NULL) or the failure: on `ctx` when the job was
 * submitted with one, else on the writer thread itself. */
typedef void (*OknoCommitDone)(gpointer data, const GError *err);

OknoCommitter *okno_committer_new(const char *store_url, guint max_batch, GError **error);
/* Finishes every job handed in so far, then stops the thread and frees. */
void okno_committer_free(OknoCommitter *c);
void okno_committer_submit(OknoCommitter *c, OknoCommitWork work, OknoCommitDone done,
                           gpointer data, GMainContext *ctx);
/* Runs `work` in the writer's next group, like okno_committer_submit, and waits on the
 * calling thread until that group committed (TRUE) or the job or the commit failed
 * (FALSE with the error; nothing of the job is in the store). For another thread's
 * writes on a SQLite store: a commit on a connection of its own would make SQLite drop
 * the writer's page cache (docs/bench.md, "Intake on a filled store"). Never call it
 * from a job (the writer's own thread): it would wait for itself. */
gboolean okno_committer_run(OknoCommitter *c, OknoCommitWork work, gpointer data,
                            GError **error);
/* Since start: jobs committed, commits made (groups, outbound ones included), groups
 * run again with a savepoint per job because a job failed, runs of jobs' work (a job run twice counts twice), savepoints
 * the writer's connection made, and its round trips to the server since it was opened
 * (db.h; 0 on SQLite), as of the end of the last group. */
typedef struct {
  guint64 jobs, commits, retried, runs, savepoints, round_trips;
} OknoCommitCounts;
void okno_committer_counts(OknoCommitter *c, OknoCommitCounts *out);
/* Tests: while held, jobs queue up and no group starts; released, the writer takes
 * them (up to max_batch at once), so that a test knows its group. */
void okno_committer_hold(OknoCommitter *c, gboolean hold);
