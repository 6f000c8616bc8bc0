/* bench/queue.c: the console's queue pages and counts at 100,000 and 1,000,000 appeals,
 * beside an indexed SELECT of one page measured in the same run.
 *
 * For each size (QUEUE_SIZES, default "100000 1000000") a fresh store on SQLite (a
 * temporary directory) and, when OKNO_TEST_PG_URL names a server, on PostgreSQL (a
 * database okno_bench_<random>, dropped at the end; QUEUE_BACKENDS, default
 * "sqlite postgresql", names the backends to measure) is filled by one INSERT ... SELECT
 * over a recursive counter: 8 departments and triage, 40 assignees and a third
 * unassigned, 15% of the appeals open (new, in progress, needing clarification), the
 * rest answered, closed or rejected, deadlines around "now" (so about half of the open
 * ones are overdue), 1 in 97 quarantined. The search index is left out (its trigger is
 * dropped or disabled for the insert: search is not measured here). Then ANALYZE
 * (PostgreSQL: VACUUM ANALYZE, as autovacuum would after such a load).
 *
 * Each queue in each sort order, as an operator of two departments and as an
 * administrator, is read ROUNDS times with the store's own calls (okno_store_queue_page
 * with 50 rows, cycling over the first PAGES pages by their tokens, and
 * okno_store_queue_count), and as the anchor, interleaved with them, one page of
 * `okno list` (okno_store_list, 51 rows newest first: a plain SELECT on the index
 * appeals_k_recv). Prints one line per queue and user:
 *   queue: sqlite 100000 operator unassigned/deadline page p95 0.52 ms count p95 0.08 ms  anchor: indexed page SELECT p95 0.31 ms
 * Then the console's page (bench_console): the page with each row's time left, in the
 * default order and sorted by subject, status, assignee and number. The figures are
 * p95 over the rounds, in milliseconds of the calling thread's wall time. docs/bench.md
 * says what they mean. */
#include <glib.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "appeal/sla.h"
#include "core/clock.h"
#include "ops/calendar_file.h"
#include "store/appeals.h"
#include "store/queue.h"
#include "store/store.h"
#include "seed.h"
#include "timing.h"

#define ROUNDS 60
#define PAGES 10
#define LIMIT 50

static const char *const queue_names[OKNO_QUEUE_COUNT] = {
  "mine", "department", "unassigned", "clarification", "overdue", "all",
};
static const char *const operator_depts[] = {"d1", "d2", NULL};


static void die(const char *what, GError *err)
{
  fprintf(stderr, "bench_queue: %s: %s\n", what, err ? err->message : "failed");
  exit(2);
}

/* Fills the store with `n` appeals (see the top); the users come first. */
static void seed(OknoStore *st, gint64 n, gint64 now)
{
  OknoDb *db = okno_store_db(st);
  gboolean sqlite = okno_db_is_sqlite(db);
  GError *err = NULL;
  bench_operators(st);
  /* PostgreSQL: the counts trigger, run a million times in one transaction, would
   * update the same few appeal_counts rows a million times (chains of dead versions no
   * vacuum can clear before the commit): off for the insert, the counts written after
   * it in one statement, as migration 10 backfills them. */
  if (!okno_db_script(db,
                      sqlite ? "PRAGMA synchronous = OFF; DROP TRIGGER IF EXISTS appeal_fts_appeal"
                             : "ALTER TABLE appeals DISABLE TRIGGER appeal_search_appeal;"
                               "ALTER TABLE appeals DISABLE TRIGGER appeal_counts_insert",
                      &err) ||
      !okno_store_begin(st, &err) ||
      !okno_db_exec(
          db,
          "WITH RECURSIVE s(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM s "
          "WHERE i < $1) "
          "INSERT INTO appeals(number, status, channel, queue, subject, from_email, "
          "received_at, deadline, updated_at, department, assignee) "
          "SELECT 'B-' || i, CASE i % 20 WHEN 0 THEN 'new' WHEN 1 THEN 'in_progress' "
          "WHEN 2 THEN 'needs_clarification' WHEN 3 THEN 'rejected' WHEN 4 THEN 'answered' "
          "ELSE 'closed' END, 'email', CASE WHEN i % 97 = 0 THEN 'quarantine' ELSE '' END, "
          "'Вопрос', 'c' || (i % 50000) || '@example.ru', $2 - ($1 - i) * 30000000, "
          "$2 + ((i * 7919) % 200000 - 100000) * 60000000, $2 - ($1 - i) * 30000000, "
          "CASE i % 9 WHEN 0 THEN '' ELSE 'd' || (i % 9) END, "
          "CASE WHEN i % 3 = 0 THEN NULL ELSE (i % 40) + 1 END FROM s",
          OKNO_PARAMS(OKNO_INT(n), OKNO_INT(now)), &err) ||
      (!sqlite &&
       !okno_db_script(db,
                       "INSERT INTO appeal_counts(department, status, assignee, quarantine, n)"
                       "  SELECT department, status, coalesce(assignee, 0),"
                       "    CASE WHEN queue = 'quarantine' THEN 1 ELSE 0 END, count(*)"
                       "  FROM appeals GROUP BY 1, 2, 3, 4;"
                       /* the deferred triggers' events first (migration 37) */
                       "SET CONSTRAINTS ALL IMMEDIATE;"
                       "ALTER TABLE appeals ENABLE TRIGGER appeal_counts_insert",
                       &err)) ||
      !okno_store_commit(st, &err) ||
      /* what autovacuum does after a load: statistics, and on PostgreSQL the visibility
       * map an index-only count needs (without it every entry visits its row) */
      !okno_db_script(db, sqlite ? "ANALYZE" : "VACUUM ANALYZE appeals", &err))
    die("seed", err);
}

static void bench_console(const char *backend, OknoStore *st, gint64 n, gint64 now);

/* The tokens of q's first PAGES pages into `tokens` (NULL first: the first page). */
static void collect_tokens(OknoStore *st, OknoQueueQuery *q, GPtrArray *tokens)
{
  g_autoptr(GError) err = NULL;
  g_ptr_array_add(tokens, NULL);
  while (tokens->len < PAGES) {
    g_autoptr(OknoPage) p = NULL;
    q->after = tokens->pdata[tokens->len - 1];
    if (!(p = okno_store_queue_page(st, q, &err)))
      die("page", err);
    if (!p->next)
      break;
    g_ptr_array_add(tokens, g_strdup(p->next));
  }
}

static void bench_store(const char *backend, const char *url, gint64 n)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = okno_store_open(url, &err);
  gint64 now = okno_now(), t0;
  double seeded;
  if (!st)
    die("open", err);
  t0 = g_get_monotonic_time();
  seed(st, n, now);
  seeded = ms_since(t0) / 1000.0;
  fprintf(stderr, "bench_queue: %s: %" G_GINT64_FORMAT " appeals written in %.0f s\n", backend,
          n, seeded);
  for (int every = 0; every < 2; every++)
    for (int k = 0; k < OKNO_QUEUE_COUNT; k++)
      for (int sort = 0; sort < 2; sort++) {
        OknoQueueQuery q = {.queue = k, .user = 2, .every_department = every,
                            .departments = operator_depts, .sort = sort, .now = now,
                            .limit = LIMIT};
        g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func(g_free);
        double page[ROUNDS], count[ROUNDS], anchor[ROUNDS];
        OknoListFilter lf = {.limit = LIMIT + 1};
        collect_tokens(st, &q, tokens);
        for (int r = 0; r < ROUNDS; r++) {
          g_autoptr(OknoPage) p = NULL;
          g_autoptr(GPtrArray) a = NULL;
          q.after = tokens->pdata[r % tokens->len];
          t0 = g_get_monotonic_time();
          p = okno_store_queue_page(st, &q, &err);
          page[r] = ms_since(t0);
          t0 = g_get_monotonic_time();
          if (okno_store_queue_count(st, &q, &err) < 0)
            die("count", err);
          count[r] = ms_since(t0);
          t0 = g_get_monotonic_time();
          a = okno_store_list(st, &lf, &err);
          anchor[r] = ms_since(t0);
          if (!p || !a)
            die("read", err);
        }
        printf("queue: %s %" G_GINT64_FORMAT " %s %s/%s page p95 %.2f ms count p95 %.2f ms  "
               "anchor: indexed page SELECT p95 %.2f ms\n",
               backend, n, every ? "administrator" : "operator", queue_names[k],
               sort ? "deadline" : "received", p95(page, ROUNDS), p95(count, ROUNDS),
               p95(anchor, ROUNDS));
        fflush(stdout);
      }
  bench_console(backend, st, n, now);
}

/* The console's page as the queue shows it (issue 21): the store's page plus the time
 * left of each row on the shipped calendar (okno_sla_left), in the default order and
 * sorted by a column (no index gives these orders: the rows of the queue are sorted in
 * SQL), beside the same anchor. Lines:
 *   console: sqlite 100000 administrator all/status page+time left p95 40.1 ms  anchor: ... */
static void bench_console(const char *backend, OknoStore *st, gint64 n, gint64 now)
{
  static const OknoColumn columns[] = {OKNO_COLUMN_NONE, OKNO_COLUMN_STATUS,
                                       OKNO_COLUMN_ASSIGNEE, OKNO_COLUMN_NUMBER};
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  g_autoptr(OknoCalendar) cal = okno_calendar_load_default(cfg, &err);
  if (!cal)
    die("calendar", err);
  for (int every = 0; every < 2; every++)
    for (gsize c = 0; c < G_N_ELEMENTS(columns); c++) {
      OknoQueueQuery q = {.queue = OKNO_QUEUE_ALL, .user = 2, .every_department = every,
                          .departments = operator_depts, .column = columns[c], .now = now,
                          .limit = LIMIT};
      g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func(g_free);
      double page[ROUNDS], anchor[ROUNDS];
      OknoListFilter lf = {.limit = LIMIT + 1};
      collect_tokens(st, &q, tokens);
      for (int r = 0; r < ROUNDS; r++) {
        g_autoptr(OknoPage) p = NULL;
        g_autoptr(GPtrArray) a = NULL;
        gint64 t0 = g_get_monotonic_time();
        q.after = tokens->pdata[r % tokens->len];
        if (!(p = okno_store_queue_page(st, &q, &err)))
          die("page", err);
        for (guint i = 0; i < p->appeals->len; i++) {
          const OknoAppeal *x = p->appeals->pdata[i];
          gint64 hours;
          OknoLeft cls;
          g_free(okno_sla_left(cal, now, x->deadline, &hours, &cls));
        }
        page[r] = ms_since(t0);
        t0 = g_get_monotonic_time();
        if (!(a = okno_store_list(st, &lf, &err)))
          die("anchor", err);
        anchor[r] = ms_since(t0);
      }
      printf("console: %s %" G_GINT64_FORMAT " %s all/%s page+time left p95 %.2f ms  "
             "anchor: indexed page SELECT p95 %.2f ms\n",
             backend, n, every ? "administrator" : "operator",
             columns[c] == OKNO_COLUMN_NONE ? "received" : okno_column_names[columns[c]],
             p95(page, ROUNDS), p95(anchor, ROUNDS));
      fflush(stdout);
    }
}

/* Runs one statement on the PostgreSQL admin database; exits on failure. */
static void pg_admin(const char *admin, const char *sql)
{
  PGconn *c = PQconnectdb(admin);
  PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
  if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
    fprintf(stderr, "bench_queue: %s: %s", sql, PQerrorMessage(c));
    exit(2);
  }
  PQclear(r);
  PQfinish(c);
}

int main(void)
{
  const char *sizes = g_getenv("QUEUE_SIZES") ? g_getenv("QUEUE_SIZES") : "100000 1000000";
  const char *admin = g_getenv("OKNO_TEST_PG_URL");
  const char *backends = g_getenv("QUEUE_BACKENDS") ? g_getenv("QUEUE_BACKENDS")
                                                     : "sqlite postgresql";
  g_auto(GStrv) list = g_strsplit(sizes, " ", -1);
  bench_name = "bench_queue";
  g_setenv("OKNO_LOG", "quiet", FALSE);
  for (char **s = list; *s; s++) {
    gint64 n = g_ascii_strtoll(*s, NULL, 10);
    g_autofree char *dir = g_dir_make_tmp("okno-bench-queue-XXXXXX", NULL);
    g_autofree char *url = g_strdup_printf("sqlite:%s/okno.db", dir);
    g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
    if (n <= 0)
      continue;
    if (strstr(backends, "sqlite"))
      bench_store("sqlite", url, n);
    if (system(rm) != 0)
      fprintf(stderr, "bench_queue: could not remove %s\n", dir);
    if (admin && *admin && strstr(backends, "postgresql")) {
      g_autofree char *name = g_strdup_printf("okno_bench_%08x", g_random_int());
      g_autofree char *create = g_strdup_printf("CREATE DATABASE %s", name);
      g_autofree char *drop = g_strdup_printf("DROP DATABASE %s WITH (FORCE)", name);
      g_autofree char *pg_url = NULL;
      const char *path = strrchr(admin, '/');
      pg_admin(admin, create);
      pg_url = g_strdup_printf("%.*s/%s", (int)(path - admin), admin, name);
      bench_store("postgresql", pg_url, n);
      pg_admin(admin, drop);
    }
  }
  return 0;
}
