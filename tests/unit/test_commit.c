/* test_commit.c: the group-commit writer: many jobs, few commits, one failure alone;
 * okno_committer_run from other threads, each told its own outcome after the commit.
 * Runs on a fresh SQLite file, and (as pg_...) on a fresh PostgreSQL database when
 * OKNO_TEST_PG_URL names a server; without it the PostgreSQL run is skipped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "core/error.h"
#include "store/appeals.h"
#include "store/commit.h"
#include "store_backends.h"

typedef struct {
  int n;
  gboolean fail;
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
  if (!okno_store_appeal_insert(st, &a, error))
    return FALSE;
  if (j->fail) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_PERM, "refused on purpose");
    return FALSE;
  }
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

static void test_many_jobs_share_commits_and_a_failing_job_is_undone_alone(void **state)
{
  TestDb *db = test_db_new(*state != NULL);
  const char *url;
  enum { N = 300 };
  Job jobs[N];
  GMutex lock;
  GCond cond;
  int remaining = N;
  guint64 ndone = 0, commits = 0;
  OknoCommitter *c;
  OknoStore *st;

  if (!db) {
    print_message("OKNO_TEST_PG_URL is not set: PostgreSQL test skipped\n");
    skip();
  }
  url = db->url;
  c = okno_committer_new(url, 64, NULL);
  assert_non_null(c);
  g_mutex_init(&lock);
  g_cond_init(&cond);
  for (int i = 0; i < N; i++) {
    jobs[i] = (Job){.n = i + 1, .fail = (i == 7), .lock = &lock, .cond = &cond, .remaining = &remaining};
    okno_committer_submit(c, work, done, &jobs[i], NULL);
  }
  g_mutex_lock(&lock);
  while (remaining > 0)
    g_cond_wait(&cond, &lock);
  g_mutex_unlock(&lock);
  okno_committer_stats(c, &ndone, &commits);
  okno_committer_free(c);

  assert_int_equal(ndone, N - 1);
  /* Submitted faster than one sync: groups form, so far fewer commits than jobs. */
  assert_true(commits >= N / 64);
  assert_true(commits < N / 2);
  for (int i = 0; i < N; i++) {
    assert_true(jobs[i].done);
    assert_int_equal(jobs[i].had_error, i == 7);
  }
  st = okno_store_open(url, NULL);
  {
    g_autoptr(OknoAppeal) failed = okno_store_appeal_get(st, "26-000008-0", NULL);
    g_autoptr(OknoAppeal) kept = okno_store_appeal_get(st, "26-000009-0", NULL);
    assert_null(failed);
    assert_non_null(kept);
  }
  okno_store_close(st);
  g_mutex_clear(&lock);
  g_cond_clear(&cond);
  test_db_free(db);
}

/* okno_committer_run: threads of their own, each with jobs that fail or commit. */
typedef struct {
  OknoCommitter *c;
  const char *url;
  int first;      /* the thread's jobs are first .. first + RUNS - 1 */
  int wrong;      /* outcomes not as expected, counted by the thread */
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
  TestDb *db = test_db_new(*state != NULL);
  Runner runners[THREADS];
  GThread *threads[THREADS];
  OknoCommitter *c;
  guint64 ndone = 0, commits = 0;

  if (!db) {
    print_message("OKNO_TEST_PG_URL is not set: PostgreSQL test skipped\n");
    skip();
  }
  c = okno_committer_new(db->url, 64, NULL);
  assert_non_null(c);
  for (int t = 0; t < THREADS; t++) {
    runners[t] = (Runner){.c = c, .url = db->url, .first = 1000 + t * RUNS};
    threads[t] = g_thread_new("runner", runner_main, &runners[t]);
  }
  for (int t = 0; t < THREADS; t++) {
    g_thread_join(threads[t]);
    assert_int_equal(runners[t].wrong, 0);
  }
  okno_committer_stats(c, &ndone, &commits);
  okno_committer_free(c);
  assert_int_equal(ndone, THREADS * (RUNS - RUNS / 5));
  test_db_free(db);
}

int main(void)
{
  /* The state says the backend: NULL for SQLite, non-NULL for PostgreSQL. */
  static int pg = 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_many_jobs_share_commits_and_a_failing_job_is_undone_alone),
    {"pg_test_many_jobs_share_commits_and_a_failing_job_is_undone_alone",
     test_many_jobs_share_commits_and_a_failing_job_is_undone_alone, NULL, NULL, &pg},
    cmocka_unit_test(test_run_waits_for_its_own_commit),
    {"pg_test_run_waits_for_its_own_commit", test_run_waits_for_its_own_commit, NULL, NULL, &pg},
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
