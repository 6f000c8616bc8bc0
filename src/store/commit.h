/* commit.h: the group-commit writer (one sync for many registrations).
 *
 * A writer thread owns one store connection. Callers hand it jobs; it takes every job
 * waiting, runs them in one transaction (each inside a savepoint, so one failing job
 * is undone alone), commits (one sync), and then calls each job's `done` on the main
 * context the submitter named. A job's work therefore becomes durable together
 * with its neighbours', and nobody is told "done" before the commit returned.
 * If the commit itself fails, every job of the group gets the error (nothing of them
 * is in the store). */
#pragma once
#include <glib.h>

#include "store/store.h"

typedef struct OknoCommitter OknoCommitter;

/* Runs inside the group transaction on the writer thread; returns FALSE with an error
 * to undo this job alone. */
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
/* Jobs committed, and commits made, since start. */
void okno_committer_stats(OknoCommitter *c, guint64 *jobs, guint64 *commits);
