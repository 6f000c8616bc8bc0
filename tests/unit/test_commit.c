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

#include "core/clock.h"
#include "core/error.h"
#include "core/metrics.h"
#include "ops/journal.h"
#include "store/appeals.h"
#include "store/commit.h"
#include "store/events.h"
#include "store/rollup.h"
#include "store/staff.h"
#include "store/stats.h"
#include "store_backends.h"

/* A job's outcome, and the count of jobs its test waits for (under lock, signalled on
 * cond); finished by finish() from the job's done callback. */
typedef struct {
  gboolean done;
  gboolean had_error;
  GMutex *lock;
  GCond *cond;
  int *remaining;
} Outcome;

static void finish(Outcome *o, const GError *err)
{
  g_mutex_lock(o->lock);
  o->done = TRUE;
  o->had_error = err != NULL;
  (*o->remaining)--;
  g_cond_signal(o->cond);
  g_mutex_unlock(o->lock);
}

typedef struct {
  int n;
  gboolean fail;      /* returns FALSE after its writes */
  gboolean fail_late; /* a statement the server refuses; PostgreSQL: sent without waiting */
  gboolean swallow;   /* a query that fails, its error ignored (a careless job) */
  int runs;           /* how many times the writer ran its work */
  Outcome out;
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

static void done(gpointer data, const GError *err) { finish(&((Job *)data)->out, err); }

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
    jobs[i] = (Job){.n = i + 1, .out = {.lock = &lock, .cond = &cond, .remaining = &remaining}};
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
    assert_true(jobs[i].out.done);
    assert_int_equal(jobs[i].out.had_error, i + 1 == 8);
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
    assert_false(jobs[i].out.had_error);
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
    assert_int_equal(jobs[i].out.had_error, i + 1 == N);
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

  assert_true(jobs[0].out.had_error);
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
    assert_int_equal(jobs[i].out.had_error, i + 1 == N);
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

/* ---- the counter rows of a group's new appeals (migration 44) ---- */

enum { DAY_US = 86400 * 1000000LL };

/* One registration of the scenario, and what it does to its appeal (or to an older
 * one) in the same job. */
typedef struct {
  int n;                  /* its number */
  OknoStatus status;
  OknoHold hold;
  OknoKind kind;
  int days;               /* received that many days before the scenario's time */
  gboolean deadline;      /* with one (queue_due's day), else none */
  const char *department; /* routed there in the same job (NULL: not routed) */
  gboolean assign;        /* ... and assigned to the operator */
  gboolean answer;        /* answered in the same job: status, flags, its event */
  gboolean theme;         /* given a classifier theme in the same job */
  int older;              /* moves the older appeal number `older` (1-based) to "c" */
  gboolean fail;          /* then fails: undone alone */
} Reg;

typedef struct {
  gint64 at; /* the scenario's time */
  gint64 user;
  gint64 older[3];
} Scene;

typedef struct {
  const Reg *reg;
  const Scene *scene;
  Outcome out;
} RegJob;

static const Reg FIRST_GROUP[] = {
  {.n = 1, .status = OKNO_STATUS_NEW, .kind = OKNO_KIND_FORMAL, .deadline = TRUE},
  {.n = 2, .status = OKNO_STATUS_NEEDS_CLARIFICATION, .hold = OKNO_HOLD_QUARANTINE, .days = 1},
  {.n = 3, .status = OKNO_STATUS_NEW, .department = "b", .assign = TRUE, .deadline = TRUE},
  {.n = 4, .status = OKNO_STATUS_NEW, .kind = OKNO_KIND_FORMAL, .department = "a",
   .answer = TRUE, .theme = TRUE, .days = 2, .deadline = TRUE},
  {.n = 5, .status = OKNO_STATUS_NEW, .hold = OKNO_HOLD_SPAM, .older = 1},
  {.n = 6, .status = OKNO_STATUS_NEW, .department = "b", .deadline = TRUE, .days = 1},
};
static const Reg SECOND_GROUP[] = {
  {.n = 7, .status = OKNO_STATUS_IN_PROGRESS, .department = "a", .kind = OKNO_KIND_FORMAL},
  {.n = 8, .status = OKNO_STATUS_NEW, .department = "b", .older = 2, .fail = TRUE},
  {.n = 9, .status = OKNO_STATUS_NEW, .answer = TRUE, .older = 3, .deadline = TRUE},
  {.n = 10, .status = OKNO_STATUS_NEW, .hold = OKNO_HOLD_SUSPICIOUS, .department = "a"},
};

static gboolean reg_work(OknoStore *st, const Reg *r, const Scene *sc, GError **error)
{
  g_autofree char *number = g_strdup_printf("27-%06d-0", r->n);
  OknoAppeal a = {.number = number, .status = r->status, .channel = OKNO_CHANNEL_EMAIL,
                  .queue = r->hold, .kind = r->kind,
                  .sla_class = r->kind == OKNO_KIND_FORMAL ? OKNO_SLA_FORMAL : OKNO_SLA_SIMPLE,
                  .received_at = sc->at - r->days * DAY_US,
                  .deadline = r->deadline ? sc->at + (r->n % 3) * DAY_US : 0};
  if (!okno_store_appeal_insert(st, &a, error))
    return FALSE;
  if (r->department &&
      !okno_store_appeal_assign(st, a.id, 0, r->department, r->assign ? sc->user : 0, NULL, error))
    return FALSE;
  if (r->answer) {
    a.status = OKNO_STATUS_ANSWERED;
    a.answered = TRUE;
    a.version = 0;
    if (!okno_store_appeal_update(st, &a, error) ||
        !okno_store_event_add(st, a.id, "status_changed", "{\"from\":\"new\",\"to\":\"answered\"}",
                              error))
      return FALSE;
  }
  if (r->theme && !okno_store_appeal_theme_set(st, a.id, "0005.0006", sc->at, "op", error))
    return FALSE;
  if (r->older && !okno_store_appeal_assign(st, sc->older[r->older - 1], 0, "c", 0, NULL, error))
    return FALSE;
  if (r->fail) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_PERM, "refused on purpose");
    return FALSE;
  }
  return TRUE;
}

static gboolean reg_job_work(OknoStore *st, gpointer data, GError **error)
{
  RegJob *j = data;
  return reg_work(st, j->reg, j->scene, error);
}

static void reg_job_done(gpointer data, const GError *err)
{
  finish(&((RegJob *)data)->out, err);
}

/* The scenario's time, its operator and three appeals written before it, with a plain
 * transaction (so by the counter triggers on PostgreSQL too). */
static Scene scene_new(OknoStore *st)
{
  Scene sc = {.at = (okno_now() / DAY_US - 5) * DAY_US + 7 * 3600 * 1000000LL};
  char *none[] = {NULL};
  OknoUser u = {.login = "op", .role = "operator", .password_hash = "x", .totp_secret = "",
                .departments = none};
  assert_true(okno_store_user_insert(st, &u, NULL));
  sc.user = u.id;
  assert_true(okno_store_begin(st, NULL));
  for (int i = 0; i < 3; i++) {
    g_autofree char *number = g_strdup_printf("26-%06d-0", i + 1);
    OknoAppeal a = {.number = number, .status = i == 2 ? OKNO_STATUS_IN_PROGRESS : OKNO_STATUS_NEW,
                    .channel = OKNO_CHANNEL_WEB, .kind = i == 1 ? OKNO_KIND_FORMAL : OKNO_KIND_SUPPORT,
                    .received_at = sc.at - (i + 3) * DAY_US, .deadline = sc.at + i * DAY_US};
    assert_true(okno_store_appeal_insert(st, &a, NULL));
    sc.older[i] = a.id;
  }
  assert_true(okno_store_commit(st, NULL));
  return sc;
}

/* The two groups through the group-commit writer: the first runs with no savepoint, the
 * second (job 8 fails) again with one per job. */
static void run_groups(const char *url, const Scene *sc)
{
  const Reg *groups[] = {FIRST_GROUP, SECOND_GROUP};
  const guint sizes[] = {G_N_ELEMENTS(FIRST_GROUP), G_N_ELEMENTS(SECOND_GROUP)};
  OknoCommitter *c = okno_committer_new(url, 64, NULL);
  OknoCommitCounts counts;
  assert_non_null(c);
  for (guint g = 0; g < G_N_ELEMENTS(groups); g++) {
    GMutex lock;
    GCond cond;
    int remaining = (int)sizes[g];
    RegJob jobs[8];
    g_mutex_init(&lock);
    g_cond_init(&cond);
    okno_committer_hold(c, TRUE);
    for (guint i = 0; i < sizes[g]; i++) {
      jobs[i] = (RegJob){.reg = &groups[g][i], .scene = sc,
                         .out = {.lock = &lock, .cond = &cond, .remaining = &remaining}};
      okno_committer_submit(c, reg_job_work, reg_job_done, &jobs[i], NULL);
    }
    okno_committer_hold(c, FALSE);
    g_mutex_lock(&lock);
    while (remaining > 0)
      g_cond_wait(&cond, &lock);
    g_mutex_unlock(&lock);
    for (guint i = 0; i < sizes[g]; i++)
      assert_int_equal(jobs[i].out.had_error, groups[g][i].fail);
    g_mutex_clear(&lock);
    g_cond_clear(&cond);
  }
  okno_committer_counts(c, &counts);
  assert_int_equal(counts.commits, 2);
  assert_int_equal(counts.retried, 1);
  okno_committer_free(c);
}

/* The same jobs in plain transactions (okno_store_begin, a savepoint per job), the
 * way every connection but the group-commit writer's writes. */
static void run_plain_transactions(OknoStore *st, const Scene *sc)
{
  const Reg *groups[] = {FIRST_GROUP, SECOND_GROUP};
  const guint sizes[] = {G_N_ELEMENTS(FIRST_GROUP), G_N_ELEMENTS(SECOND_GROUP)};
  for (guint g = 0; g < G_N_ELEMENTS(groups); g++) {
    assert_true(okno_store_begin(st, NULL));
    for (guint i = 0; i < sizes[g]; i++) {
      g_autoptr(GError) err = NULL;
      assert_true(okno_store_savepoint(st, NULL));
      if (reg_work(st, &groups[g][i], sc, &err))
        assert_true(okno_store_release(st, NULL));
      else
        okno_store_rollback_to(st);
      assert_int_equal(err != NULL, groups[g][i].fail);
    }
    assert_true(okno_store_commit(st, NULL));
  }
}

/* Every counter table's rows that count something, in key order, as text. */
static char *counters_text(OknoDb *db)
{
  static const char *const sql[] = {
    "SELECT department, status, assignee, quarantine, n FROM appeal_counts WHERE n <> 0"
    " ORDER BY 1, 2, 3, 4",
    "SELECT day, department, channel, category, kind, sla_class, received, answered, on_time,"
    " overdue, open, reopened, repeated, clarified, clarifications, forwarded,"
    " forwarded_in_time, answered_30, extended, rated, r1, r2, r3, r4, r5 FROM stats_daily"
    " WHERE received <> 0 ORDER BY 1, 2, 3, 4, 5, 6",
    "SELECT day, department, channel, category, kind, sla_class, what, bucket, n"
    " FROM stats_hours WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8",
    "SELECT day, department, channel, category, kind, sla_class, n FROM stats_open"
    " ORDER BY 1, 2, 3, 4, 5, 6",
    "SELECT day, department, assignee, n, answered, open FROM stats_load ORDER BY 1, 2, 3",
    "SELECT day, department, channel, category, sla_class, theme, n FROM stats_themes"
    " ORDER BY 1, 2, 3, 4, 5, 6",
    "SELECT department, day, n FROM queue_due ORDER BY 1, 2",
  };
  static const guint cols[] = {5, 25, 9, 7, 6, 7, 3};
  GString *out = g_string_new(NULL);
  for (guint t = 0; t < G_N_ELEMENTS(sql); t++) {
    g_autoptr(OknoRows) r = okno_db_query(db, sql[t], OKNO_NO_PARAMS, NULL);
    assert_non_null(r);
    assert_true(okno_rows_count(r) > 0); /* the scenario counts something in each */
    g_string_append_printf(out, "table %u:\n", t);
    for (guint i = 0; i < okno_rows_count(r); i++) {
      for (guint c = 0; c < cols[t]; c++) {
        const char *text = okno_rows_text(r, i, c); /* NULL for a number */
        if (text)
          g_string_append_printf(out, "%s|", text);
        else
          g_string_append_printf(out, "%" G_GINT64_FORMAT "|", okno_rows_int(r, i, c));
      }
      g_string_append_c(out, '\n');
    }
  }
  return g_string_free(out, FALSE);
}

/* The counter tables as kept, which must be those counted again from the appeal rows
 * (the rollups' refill, appeal_counts as migration 10 fills it). */
static char *assert_counts_are_the_rows(OknoStore *st)
{
  OknoDb *db = okno_store_db(st);
  char *kept = counters_text(db);
  g_autofree char *counted = NULL;
  assert_true(okno_rollup_refill(st, NULL, NULL));
  assert_true(okno_db_script(db,
                             "DELETE FROM appeal_counts;"
                             "INSERT INTO appeal_counts(department, status, assignee, quarantine, n)"
                             " SELECT department, status, coalesce(assignee, 0),"
                             " CASE WHEN queue IN ('quarantine', 'spam') THEN 1 ELSE 0 END, count(*)"
                             " FROM appeals GROUP BY 1, 2, 3, 4",
                             NULL));
  counted = counters_text(db);
  assert_string_equal(kept, counted);
  return kept;
}

/* Registrations of several departments, statuses, holds and days, some routed,
 * answered or given a theme in their own job, some moving an older appeal, one failing:
 * through the group-commit writer (PostgreSQL: counted once per group before COMMIT,
 * migration 44) and in plain transactions (the counter triggers), each on a fresh
 * database. Both keep the counter tables equal to the rows counted again, and equal to
 * each other. */
static void test_a_groups_counts_are_its_rows(void **state)
{
  TestDb *grouped = db_or_skip(state), *plain = test_db_new(grouped->pg);
  OknoStore *gs = okno_store_open(grouped->url, NULL), *ps = okno_store_open(plain->url, NULL);
  g_autofree char *by_group = NULL, *by_triggers = NULL;
  Scene gsc, psc;
  assert_non_null(gs);
  assert_non_null(ps);
  gsc = scene_new(gs);
  psc = scene_new(ps);
  psc.at = gsc.at;
  run_groups(grouped->url, &gsc);
  run_plain_transactions(ps, &psc);
  assert_int_equal(count(gs, "SELECT count(*) FROM appeals"), 3 + 10 - 1);
  assert_int_equal(count(ps, "SELECT count(*) FROM appeals"), 3 + 10 - 1);
  assert_int_equal(count(gs, "SELECT count(*) FROM appeals WHERE department = 'c'"), 2);
  by_group = assert_counts_are_the_rows(gs);
  by_triggers = assert_counts_are_the_rows(ps);
  assert_string_equal(by_group, by_triggers);
  okno_store_close(gs);
  okno_store_close(ps);
  test_db_free(grouped);
  test_db_free(plain);
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
    ON_BOTH(test_a_groups_counts_are_its_rows),
    cmocka_unit_test(test_sqlite_wal_stays_bounded),
    {"pg_test_a_swallowed_error_does_not_pass_for_a_commit",
     test_pg_a_swallowed_error_does_not_pass_for_a_commit, NULL, NULL, &pg},
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
