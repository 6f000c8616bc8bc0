/* commit.c: the group-commit writer thread (see commit.h).
 *
 * DESIGN: jobs queue up under a mutex while the writer is busy syncing the previous
 * group; when it comes back it takes them all (up to max_batch) at once. No timer and
 * no artificial wait: under load the groups grow by themselves, and a lone message is
 * committed at once.
 *
 * A group runs optimistically first: BEGIN, every job's work with no savepoint (a
 * group of one job never has one), then okno_store_sync, which on PostgreSQL waits for
 * the answers of the statements pipelining sent without waiting (one round trip), so
 * that a job's late error shows before the COMMIT and not as the COMMIT's; then COMMIT.
 * Savepoints are not free: on SQLite every page first touched inside one is copied to
 * the statement sub-journal (a temp file: 17-24 % of the writer's samples were its
 * pwrite), on PostgreSQL each is a subtransaction, and more than 64 in one transaction
 * overflow the backend's subxid cache, after which every other backend's snapshot
 * checks pg_subtrans. Jobs fail seldom (a store error; a refusal is decided before
 * the writer), so they pay for savepoints only when one does: any failure (a job's
 * FALSE, the sync's error) rolls the whole transaction back and the group runs again
 * the old way, BEGIN and each job inside its own savepoint (undone alone by ROLLBACK
 * TO when it fails), then COMMIT. A job's work may therefore run twice (commit.h says
 * what it must not do); the full ROLLBACK also drops what the store keeps for the
 * transaction (the journal's waiting leaves, the values memoised, the search rows,
 * store.c). On PostgreSQL the numbers the first run took from the sequences are not
 * given again (a gap, as for a job undone in its savepoint: docs/DESIGN.md, "Appeal
 * numbers"); on SQLite the counter row is rolled back with the rest. A group of one
 * job that fails is rolled back and gets its error: nothing to run again.
 *
 * A BEGIN that fails (the database is busy for longer than the busy timeout) fails
 * the whole group with a temporary error, and the SMTP clients retry. Completion is
 * posted to each job's main context only after COMMIT returned (with synchronous=FULL
 * after the sync), or after the ROLLBACK of a group of one failed job. */
#include "store/commit.h"

#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/db.h"

typedef struct {
  OknoCommitWork work;
  OknoCommitDone done;
  gpointer data;
  GMainContext *ctx;
  GError *error;
} Job;

struct OknoCommitter {
  OknoStore *st;
  GThread *thread;
  GMutex lock;
  GCond cond;
  GQueue pending;
  gboolean stopping;
  guint max_batch;
  gboolean held; /* okno_committer_hold */
  guint64 jobs_done;
  guint64 commits;
  guint64 retried, runs, savepoints, round_trips; /* okno_committer_counts */
  guint64 trips_at_start; /* the connection's round trips once opened */
};

static gboolean deliver_done(gpointer p)
{
  Job *j = p;
  j->done(j->data, j->error);
  g_clear_error(&j->error);
  if (j->ctx)
    g_main_context_unref(j->ctx);
  g_free(j);
  return G_SOURCE_REMOVE;
}

static void finish(Job *j)
{
  if (j->ctx)
    g_main_context_invoke(j->ctx, deliver_done, j);
  else
    deliver_done(j);
}

/* Metrics: the size of each committed group and the time its COMMIT (the sync) took. */
static void observe_group(guint jobs, gint64 sync_us)
{
  static const double sizes[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  okno_metric_observe(okno_metrics_histogram(okno_metrics(), "okno_commit_group_size",
                                             "Registrations committed together in one "
                                             "group commit (one sync).",
                                             NULL, sizes, G_N_ELEMENTS(sizes)),
                      (double)jobs);
  okno_metric_observe(okno_metrics_histogram(okno_metrics(), "okno_commit_sync_seconds",
                                             "Time the group commit's COMMIT (the sync to "
                                             "disk) took.",
                                             NULL, okno_metrics_latency_buckets,
                                             okno_metrics_latency_n_buckets),
                      (double)sync_us / G_USEC_PER_SEC);
}

/* Records what a run of the group cost on the writer's connection (under the lock). */
static void note_connection(OknoCommitter *c)
{
  guint64 savepoints = okno_store_savepoints_made(c->st);
  guint64 trips = okno_db_round_trips(okno_store_db(c->st)) - c->trips_at_start;
  g_mutex_lock(&c->lock);
  c->savepoints = savepoints;
  c->round_trips = trips;
  g_mutex_unlock(&c->lock);
}

static void count_runs(OknoCommitter *c, guint runs)
{
  g_mutex_lock(&c->lock);
  c->runs += runs;
  g_mutex_unlock(&c->lock);
}

/* A job's FALSE without an error still fails it, with one. */
static void set_reason(Job *j)
{
  if (!j->error)
    g_set_error(&j->error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "job failed without a reason");
}

/* The optimistic run, inside the open transaction: every job's work with no savepoint,
 * then the answers still in flight. TRUE when all of it went through; FALSE with the
 * failing job's error in its j->error, or the sync's in `*error` (on PostgreSQL a job's
 * error may show only at a later job's statement or at the sync). */
static gboolean run_plain(OknoCommitter *c, GPtrArray *group, GError **error)
{
  guint runs = 0;
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < group->len; i++) {
    Job *j = group->pdata[i];
    runs++;
    if (!j->work(c->st, j->data, &j->error)) {
      set_reason(j);
      ok = FALSE;
    }
    okno_store_job_end(c->st);
  }
  count_runs(c, runs);
  return ok && okno_store_sync(c->st, error);
}

/* The run of a group with a failing job, inside the open transaction: each job in its
 * own savepoint, undone alone when it fails. Returns how many went through. */
static guint run_saved(OknoCommitter *c, GPtrArray *group)
{
  guint ok = 0;
  for (guint i = 0; i < group->len; i++) {
    Job *j = group->pdata[i];
    if (!okno_store_savepoint(c->st, &j->error))
      continue;
    if (j->work(c->st, j->data, &j->error)) {
      /* On PostgreSQL the job's last statements may fail only here (pipelining). */
      if (okno_store_release(c->st, &j->error))
        ok++;
    } else {
      set_reason(j);
      okno_store_rollback_to(c->st);
    }
  }
  count_runs(c, group->len);
  return ok;
}

/* Metric: groups run again with a savepoint per job (made at the writer's start, so
 * that it reads 0 until the first). */
static OknoMetricFamily *retried_metric(void)
{
  return okno_metrics_counter(okno_metrics(), "okno_commit_groups_retried_total",
                              "Groups of the group commit rolled back and run again with a "
                              "savepoint per job because one of their jobs failed.",
                              NULL);
}

static void run_group(OknoCommitter *c, GPtrArray *group)
{
  g_autoptr(GError) err = NULL;
  guint ok = group->len;
  gint64 sync_start;

  if (!okno_store_begin(c->st, &err))
    goto fail_all;
  if (!run_plain(c, group, &err)) {
    okno_store_rollback(c->st);
    if (group->len == 1) {
      /* the job alone: its error is the answer, nothing was kept */
      Job *j = group->pdata[0];
      if (!j->error)
        j->error = g_steal_pointer(&err);
      g_clear_error(&err);
      note_connection(c);
      finish(j);
      return;
    }
    g_clear_error(&err);
    for (guint i = 0; i < group->len; i++)
      g_clear_error(&((Job *)group->pdata[i])->error);
    okno_metric_add(retried_metric(), 1);
    okno_log("store", "event=group_retried jobs=%u", group->len);
    g_mutex_lock(&c->lock);
    c->retried++;
    g_mutex_unlock(&c->lock);
    if (!okno_store_begin(c->st, &err))
      goto fail_all;
    ok = run_saved(c, group);
  }
  sync_start = g_get_monotonic_time();
  if (!okno_store_commit(c->st, &err)) {
    okno_store_rollback(c->st);
    goto fail_all;
  }
  observe_group(group->len, g_get_monotonic_time() - sync_start);
  note_connection(c);
  g_mutex_lock(&c->lock);
  c->commits++;
  c->jobs_done += ok;
  g_mutex_unlock(&c->lock);
  for (guint i = 0; i < group->len; i++)
    finish(group->pdata[i]);
  return;

fail_all:
  note_connection(c);
  okno_log_warn("store", "event=group_failed jobs=%u error=\"%s\"", group->len, err->message);
  for (guint i = 0; i < group->len; i++) {
    Job *j = group->pdata[i];
    g_clear_error(&j->error);
    j->error = g_error_new(OKNO_ERROR, err->domain == OKNO_ERROR ? err->code : OKNO_ERROR_TEMP,
                           "%s", err->message);
    /* A failed commit is worth a retry by the client: nothing of it was kept. */
    if (j->error->code == OKNO_ERROR_INTERNAL)
      j->error->code = OKNO_ERROR_TEMP;
    finish(j);
  }
}

static gpointer writer_main(gpointer p)
{
  OknoCommitter *c = p;
  for (;;) {
    g_autoptr(GPtrArray) group = g_ptr_array_new();
    g_mutex_lock(&c->lock);
    while ((g_queue_is_empty(&c->pending) || c->held) && !c->stopping)
      g_cond_wait(&c->cond, &c->lock);
    if (g_queue_is_empty(&c->pending) && c->stopping) {
      g_mutex_unlock(&c->lock);
      return NULL;
    }
    while (!g_queue_is_empty(&c->pending) && group->len < c->max_batch)
      g_ptr_array_add(group, g_queue_pop_head(&c->pending));
    g_mutex_unlock(&c->lock);
    run_group(c, group);
  }
}

OknoCommitter *okno_committer_new(const char *store_url, guint max_batch, GError **error)
{
  OknoCommitter *c;
  OknoStore *st = okno_store_open(store_url, error);
  if (!st)
    return NULL;
  /* SQLite: the statement journal in memory. An INSERT with triggers or RETURNING
   * (most of a registration's) keeps the pages it changes in one, in case it fails
   * half-way; past 64 KiB SQLite spills it to a temporary file, and a registration's
   * rows outgrow that (the appeal's indexes and roll-ups): 11 % of the writer's time
   * went to those writes (docs/bench.md). The writer's statements are a registration's
   * or an outbound group's, small: memory bounds them. Its WAL checkpoints run on a
   * thread apart (db.h): 6 % of its time was theirs. */
  if (okno_db_is_sqlite(okno_store_db(st)) &&
      (!okno_db_script(okno_store_db(st), "PRAGMA temp_store = MEMORY", error) ||
       !okno_db_sqlite_checkpoint_apart(okno_store_db(st), error))) {
    okno_store_close(st);
    return NULL;
  }
  c = g_new0(OknoCommitter, 1);
  c->st = st;
  /* PostgreSQL: a group's statements go out without waiting for each answer, and its
   * new appeals are counted once, before its COMMIT (store.h). */
  okno_db_set_pipelining(okno_store_db(st), TRUE);
  okno_store_count_at_commit(st, TRUE);
  c->trips_at_start = okno_db_round_trips(okno_store_db(st));
  retried_metric();
  c->max_batch = max_batch ? max_batch : 256;
  g_mutex_init(&c->lock);
  g_cond_init(&c->cond);
  g_queue_init(&c->pending);
  c->thread = g_thread_new("okno-commit", writer_main, c);
  return c;
}

void okno_committer_free(OknoCommitter *c)
{
  if (!c)
    return;
  g_mutex_lock(&c->lock);
  c->stopping = TRUE;
  g_cond_signal(&c->cond);
  g_mutex_unlock(&c->lock);
  g_thread_join(c->thread);
  okno_store_close(c->st);
  g_mutex_clear(&c->lock);
  g_cond_clear(&c->cond);
  g_free(c);
}

void okno_committer_submit(OknoCommitter *c, OknoCommitWork work, OknoCommitDone done,
                           gpointer data, GMainContext *ctx)
{
  Job *j = g_new0(Job, 1);
  j->work = work;
  j->done = done;
  j->data = data;
  j->ctx = ctx ? g_main_context_ref(ctx) : NULL;
  g_mutex_lock(&c->lock);
  g_queue_push_tail(&c->pending, j);
  g_cond_signal(&c->cond);
  g_mutex_unlock(&c->lock);
}

/* okno_committer_run's job: the caller's work and data, and the outcome handed back
 * under the lock. Shared by the two threads, freed by the last to let go. */
typedef struct {
  OknoCommitWork work;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean finished;
  GError *error;
  gint refs;
} Wait;

static void wait_unref(Wait *w)
{
  if (!g_atomic_int_dec_and_test(&w->refs))
    return;
  g_mutex_clear(&w->lock);
  g_cond_clear(&w->cond);
  g_clear_error(&w->error);
  g_free(w);
}

static gboolean wait_work(OknoStore *st, gpointer data, GError **error)
{
  Wait *w = data;
  return w->work(st, w->data, error);
}

static void wait_done(gpointer data, const GError *err)
{
  Wait *w = data;
  g_mutex_lock(&w->lock);
  w->error = err ? g_error_copy(err) : NULL;
  w->finished = TRUE;
  g_cond_signal(&w->cond);
  g_mutex_unlock(&w->lock);
  wait_unref(w);
}

gboolean okno_committer_run(OknoCommitter *c, OknoCommitWork work, gpointer data,
                            GError **error)
{
  Wait *w;
  gboolean ok;
  g_return_val_if_fail(g_thread_self() != c->thread, FALSE);
  w = g_new0(Wait, 1);
  w->work = work;
  w->data = data;
  w->refs = 2; /* this thread's and the job's */
  g_mutex_init(&w->lock);
  g_cond_init(&w->cond);
  okno_committer_submit(c, wait_work, wait_done, w, NULL); /* done on the writer thread */
  g_mutex_lock(&w->lock);
  while (!w->finished)
    g_cond_wait(&w->cond, &w->lock);
  ok = w->error == NULL;
  if (!ok)
    g_propagate_error(error, g_steal_pointer(&w->error));
  g_mutex_unlock(&w->lock);
  wait_unref(w);
  return ok;
}

void okno_committer_counts(OknoCommitter *c, OknoCommitCounts *out)
{
  g_mutex_lock(&c->lock);
  *out = (OknoCommitCounts){.jobs = c->jobs_done, .commits = c->commits, .retried = c->retried,
                            .runs = c->runs, .savepoints = c->savepoints,
                            .round_trips = c->round_trips};
  g_mutex_unlock(&c->lock);
}

void okno_committer_hold(OknoCommitter *c, gboolean hold)
{
  g_mutex_lock(&c->lock);
  c->held = hold;
  g_cond_signal(&c->cond);
  g_mutex_unlock(&c->lock);
}
