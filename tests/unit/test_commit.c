/* test_commit.c: the group-commit writer: many jobs, few commits, one failure alone;
 * a group runs with no savepoint unless one of its jobs fails, and then runs again
 * with a savepoint per job. Runs on a fresh SQLite file, and (as pg_...) on a fresh
 * PostgreSQL database when OKNO_TEST_PG_URL names a server; without it the PostgreSQL
 * run is skipped. The writer is held while a test submits (okno_committer_hold), so
 * each test knows its groups. okno_committer_run from other threads: each is told its
 * own outcome after the commit. On SQLite the WAL stays bounded with its checkpoints
 * on a thread apart. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/metrics.h"
#include "ops/journal.h"
#include "store/appeals.h"
#include "store/commit.h"
#include "store_backends.h"

typedef struct {
  int n;
  gboolean fail;      /* returns FALSE after its writes */
  gboolean fail_late; /* a statement the server refuses; PostgreSQL: sent without waiting */
  gboolean swallow;   /* a query that fails, its error ignored (a careless job) */
  int runs;           /* how many times the writer ran its work */
  gboolean done;
  gboolean had_error;
  GMutex *lock;
  GCond *cond;
  int *remaining;
} Job;

static gboolean work(OknoStore *st, gpointer data, GError **error)
{
  Job *j = data;
  g_autofree char *number = g_strdup_printf("26-%06d-0", j->n);
  OknoAppeal a = {.number = number, .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL, .received_at = 1};
  j->runs++;
  if (!okno_store_appeal_insert(st, &a, error))
    return FALSE;
  if (j->fail) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_PERM, "refused on purpose");
    return FALSE;
  }
  /* meta's key 'instance' exists (the first migration): a unique violation, which
   * PostgreSQL's pipelining reports only with a later statement's answer */
  if (j->swallow) {
    g_autoptr(GError) ignored = NULL;
    /* (SQLite: a division by zero is NULL, not an error; the test is PostgreSQL's) */
    OknoRows *r = okno_db_query(okno_store_db(st), "SELECT 1 / 0", OKNO_NO_PARAMS, &ignored);
    g_clear_pointer(&r, okno_rows_free);
  }
  if (j->fail_late)
    return okno_db_exec(okno_store_db(st), "INSERT INTO meta(key, value) VALUES('instance', 'x')",
                        OKNO_NO_PARAMS, error);
  return TRUE;
}

static void done(gpointer data, const GError *err)
{
  Job *j = data;
  g_mutex_lock(j->lock);
  j->done = TRUE;
  j->had_error = err != NULL;
  (*j->remaining)--;
  g_cond_signal(j->cond);
  g_mutex_unlock(j->lock);
}

/* Submits jobs[0..n) (numbered 1..n, failing as `fail`, `fail_late` and `swallow`
 * say: 0-terminated lists of job numbers, or NULL) while the writer is held, lets it
 * go and waits for every `done`; the writer's counts. */
static OknoCommitCounts run_jobs(const char *url, Job *jobs, int n, guint max_batch,
                                 const int *fail, const int *fail_late, const int *swallow)
{
  GMutex lock;
  GCond cond;
  int remaining = n;
  OknoCommitCounts counts = {0};
  OknoCommitter *c = okno_committer_new(url, max_batch, NULL);
  assert_non_null(c);
  g_mutex_init(&lock);
  g_cond_init(&cond);
  okno_committer_hold(c, TRUE);
  for (int i = 0; i < n; i++) {
    jobs[i] = (Job){.n = i + 1, .lock = &lock, .cond = &cond, .remaining = &remaining};
    for (const int *f = fail; f && *f; f++)
      jobs[i].fail |= *f == i + 1;
    for (const int *f = fail_late; f && *f; f++)
      jobs[i].fail_late |= *f == i + 1;
    for (const int *f = swallow; f && *f; f++)
      jobs[i].swallow |= *f == i + 1;
    okno_committer_submit(c, work, done, &jobs[i], NULL);
  }
  okno_committer_hold(c, FALSE);
  g_mutex_lock(&lock);
  while (remaining > 0)
    g_cond_wait(&cond, &lock);
  g_mutex_unlock(&lock);
  okno_committer_counts(c, &counts);
  okno_committer_free(c);
  g_mutex_clear(&lock);
  g_cond_clear(&cond);
  return counts;
}

static gint64 count(OknoStore *st, const char *sql)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), sql, OKNO_NO_PARAMS, NULL);
  assert_non_null(r);
  return okno_rows_int(r, 0, 0);
}

static gboolean stored(OknoStore *st, int n)
{
  g_autofree char *number = g_strdup_printf("26-%06d-0", n);
  g_autoptr(OknoAppeal) a = okno_store_appeal_get(st, number, NULL);
  return a != NULL;
}

/* Every job but `failed` (0: none) is stored once, with one journal leaf (its
 * registration), and the journal verifies. */
static void assert_stored_once(const char *url, int n, int failed)
{
  OknoStore *st = okno_store_open(url, NULL);
  int kept = n - (failed ? 1 : 0);
  assert_non_null(st);
  for (int i = 1; i <= n; i++)
    assert_int_equal(stored(st, i), i != failed);
  assert_int_equal(count(st, "SELECT count(*) FROM appeals"), kept);
  assert_int_equal(count(st, "SELECT count(DISTINCT number) FROM appeals"), kept);
  assert_int_equal(count(st, "SELECT count(*) FROM journal"), kept);
  assert_int_equal(count(st, "SELECT count(*) FROM journal WHERE kind = 'registration'"), kept);
  {
    g_autoptr(OknoJournalReport) rep = okno_journal_verify(st, NULL, NULL);
    assert_non_null(rep);
    assert_int_equal(rep->size, kept);
    assert_int_equal(rep->problems->len, 0);
  }
  okno_store_close(st);
}

static TestDb *db_or_skip(void **state)
{
  TestDb *db = test_db_new(*state != NULL);
  if (!db) {
    print_message("OKNO_TEST_PG_URL is not set: PostgreSQL test skipped\n");
    skip();
  }
  return db;
}

/* 300 jobs, groups of at most 64: the first group (jobs 1 to 64) has job 8 failing.
 * Its optimistic run stops at job 8 and is rolled back; the group runs again with a
 * savepoint per job, job 8 is undone alone. The four other groups run once each,
 * with no savepoint. */
static void test_many_jobs_share_commits_and_a_failing_job_is_undone_alone(void **state)
{
  TestDb *db = db_or_skip(state);
  enum { N = 300 };
  static Job jobs[N];
  const int fail[] = {8, 0};
  OknoMetricFamily *retried = okno_metrics_counter(okno_metrics(), "okno_commit_groups_retried_total",
                                                   "", NULL);
  double retried_before = okno_metric_value(retried);
  OknoCommitCounts c = run_jobs(db->url, jobs, N, 64, fail, NULL, NULL);

  assert_int_equal(c.jobs, N - 1);
  assert_int_equal(c.commits, 5); /* 64, 64, 64, 64, 44 */
  assert_int_equal(c.retried, 1);
  assert_true(okno_metric_value(retried) == retried_before + 1);
  assert_int_equal(c.savepoints, 64);   /* the second run of the first group only */
  assert_int_equal(c.runs, 8 + 64 + 236); /* jobs 1..8 ran twice */
  for (int i = 0; i < N; i++) {
    assert_true(jobs[i].done);
    assert_int_equal(jobs[i].had_error, i + 1 == 8);
    assert_int_equal(jobs[i].runs, i + 1 <= 8 ? 2 : 1);
  }
  assert_stored_once(db->url, N, 8);
  test_db_free(db);
}

/* A group whose jobs all succeed runs once, with no savepoint at all. */
static void test_a_group_that_succeeds_makes_no_savepoint(void **state)
{
  TestDb *db = db_or_skip(state);
  enum { N = 40 };
  Job jobs[N];
  OknoCommitCounts c = run_jobs(db->url, jobs, N, 64, NULL, NULL, NULL);

  assert_int_equal(c.jobs, N);
  assert_int_equal(c.commits, 1);
  assert_int_equal(c.retried, 0);
  assert_int_equal(c.savepoints, 0);
  assert_int_equal(c.runs, N);
  for (int i = 0; i < N; i++) {
    assert_false(jobs[i].had_error);
    assert_int_equal(jobs[i].runs, 1);
  }
  assert_stored_once(db->url, N, 0);
  test_db_free(db);
}

/* The group's last job fails with a statement whose error PostgreSQL reports only with
 * a later answer (pipelining): the writer's sync before COMMIT sees it, and the group
 * runs again; the job is undone alone, the others commit once. */
static void test_a_late_error_is_seen_before_the_commit(void **state)
{
  TestDb *db = db_or_skip(state);
  enum { N = 10 };
  Job jobs[N];
  const int late[] = {N, 0};
  OknoCommitCounts c = run_jobs(db->url, jobs, N, 64, NULL, late, NULL);

  assert_int_equal(c.jobs, N - 1);
  assert_int_equal(c.commits, 1);
  assert_int_equal(c.retried, 1);
  assert_int_equal(c.savepoints, N);
  for (int i = 0; i < N; i++) {
    assert_int_equal(jobs[i].had_error, i + 1 == N);
    assert_int_equal(jobs[i].runs, 2);
  }
  assert_stored_once(db->url, N, N);
  test_db_free(db);
}

/* A group of one job that fails: rolled back, its error given, nothing run again and
 * nothing committed. */
static void test_a_lone_failing_job_is_rolled_back_without_a_savepoint(void **state)
{
  TestDb *db = db_or_skip(state);
  Job jobs[1];
  const int fail[] = {1, 0};
  OknoCommitCounts c = run_jobs(db->url, jobs, 1, 64, fail, NULL, NULL);

  assert_true(jobs[0].had_error);
  assert_int_equal(jobs[0].runs, 1);
  assert_int_equal(c.jobs, 0);
  assert_int_equal(c.commits, 0);
  assert_int_equal(c.retried, 0);
  assert_int_equal(c.savepoints, 0);
  assert_stored_once(db->url, 1, 1);
  test_db_free(db);
}

/* PostgreSQL: the group's last job swallows a query's error and returns TRUE. The
 * server has aborted the transaction, and its COMMIT would answer ROLLBACK with no
 * error: the writer's sync sees the aborted transaction, the group runs again, and
 * the job's RELEASE fails, so it alone is undone and told; the others commit. */
static void test_pg_a_swallowed_error_does_not_pass_for_a_commit(void **state)
{
  TestDb *db = db_or_skip(state);
  enum { N = 6 };
  Job jobs[N];
  const int swallow[] = {N, 0};
  OknoCommitCounts c = run_jobs(db->url, jobs, N, 64, NULL, NULL, swallow);

  assert_int_equal(c.retried, 1);
  assert_int_equal(c.jobs, N - 1);
  for (int i = 0; i < N; i++)
    assert_int_equal(jobs[i].had_error, i + 1 == N);
  assert_stored_once(db->url, N, N);
  test_db_free(db);
}

#define ON_BOTH(f) cmocka_unit_test(f), {"pg_" #f, f, NULL, NULL, &pg}

/* okno_committer_run: threads of their own, each with jobs that fail or commit. */
typedef struct {
  OknoCommitter *c;
  const char *url;
  int first; /* the thread's jobs are first .. first + RUNS - 1 */
  int wrong; /* outcomes not as expected, counted by the thread */
} Runner;

enum { RUNS = 25, THREADS = 4 };

static gpointer runner_main(gpointer p)
{
  Runner *r = p;
  OknoStore *st = okno_store_open(r->url, NULL); /* reads on a connection of its own */
  for (int i = 0; i < RUNS; i++) {
    Job j = {.n = r->first + i, .fail = (i % 5 == 3)};
    g_autoptr(GError) err = NULL;
    g_autofree char *number = g_strdup_printf("26-%06d-0", j.n);
    gboolean ok = okno_committer_run(r->c, work, &j, &err);
    /* told after the commit: another connection sees the row at once */
    g_autoptr(OknoAppeal) a = st ? okno_store_appeal_get(st, number, NULL) : NULL;
    if (ok != !j.fail || (err != NULL) != j.fail ||
        (j.fail && !g_str_equal(err->message, "refused on purpose")) || (a != NULL) != !j.fail)
      r->wrong++;
  }
  okno_store_close(st);
  return NULL;
}

static void test_run_waits_for_its_own_commit(void **state)
{
  TestDb *db = db_or_skip(state);
  Runner runners[THREADS];
  GThread *threads[THREADS];
  OknoCommitCounts counts = {0};
  OknoCommitter *c = okno_committer_new(db->url, 64, NULL);

  assert_non_null(c);
  for (int t = 0; t < THREADS; t++) {
    runners[t] = (Runner){.c = c, .url = db->url, .first = 1000 + t * RUNS};
    threads[t] = g_thread_new("runner", runner_main, &runners[t]);
  }
  for (int t = 0; t < THREADS; t++) {
    g_thread_join(threads[t]);
    assert_int_equal(runners[t].wrong, 0);
  }
  okno_committer_counts(c, &counts);
  okno_committer_free(c);
  assert_int_equal(counts.jobs, THREADS * (RUNS - RUNS / 5));
  test_db_free(db);
}

/* SQLite: the writer's WAL checkpoints run on a thread apart (store/db.h), and the WAL
 * stays bounded under writes: 120 jobs of 1 MB (about 30,000 pages through the WAL,
 * several times the bound) never leave the WAL file past 8,000 frames and a job's. */
static gboolean big_work(OknoStore *st, gpointer data, GError **error)
{
  (void)data;
  return okno_db_exec(okno_store_db(st), "INSERT INTO wal_test(b) VALUES(randomblob(1000000))",
                      NULL, 0, error);
}

static void test_sqlite_wal_stays_bounded(void **state)
{
  TestDb *db = test_db_new(FALSE);
  OknoCommitter *c = okno_committer_new(db->url, 64, NULL);
  OknoStore *st = okno_store_open(db->url, NULL);
  g_autofree char *wal = g_strconcat(db->url + strlen("sqlite:"), "-wal", NULL);
  gint64 most = 0;
  (void)state;
  assert_non_null(c);
  assert_non_null(st);
  assert_true(okno_db_script(okno_store_db(st), "CREATE TABLE wal_test(b BLOB)", NULL));
  for (int i = 0; i < 120; i++) {
    GStatBuf sb;
    assert_true(okno_committer_run(c, big_work, NULL, NULL));
    if (g_stat(wal, &sb) == 0)
      most = MAX(most, (gint64)sb.st_size);
  }
  okno_store_close(st);
  okno_committer_free(c);
  assert_true(most > 0);
  assert_true(most < (gint64)(8000 + 400) * (4096 + 24) + 32);
  test_db_free(db);
}

int main(void)
{
  /* The state says the backend: NULL for SQLite, non-NULL for PostgreSQL. */
  static int pg = 1;
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_many_jobs_share_commits_and_a_failing_job_is_undone_alone),
    ON_BOTH(test_a_group_that_succeeds_makes_no_savepoint),
    ON_BOTH(test_a_late_error_is_seen_before_the_commit),
    ON_BOTH(test_a_lone_failing_job_is_rolled_back_without_a_savepoint),
    ON_BOTH(test_run_waits_for_its_own_commit),
    cmocka_unit_test(test_sqlite_wal_stays_bounded),
    {"pg_test_a_swallowed_error_does_not_pass_for_a_commit",
     test_pg_a_swallowed_error_does_not_pass_for_a_commit, NULL, NULL, &pg},
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
