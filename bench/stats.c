/* bench/stats.c: the dashboard's figures (store/stats.h okno_store_stats, what
 * /console/stats and its downloads compute) over 1,000,000 appeals, beside a plain
 * SELECT count(*) over the same rows measured in the same run.
 *
 * A fresh store on SQLite (a temporary directory) and, when OKNO_TEST_PG_URL names a
 * server, on PostgreSQL (a database okno_bench_stats_<random>, dropped at the end;
 * STATS_BACKENDS, default "sqlite postgresql") is filled by one INSERT ... SELECT over a
 * recursive counter: STATS_SIZE appeals (default 1000000), one every 30 s back from
 * "now" (so about 347 days), 5 channels, 8 departments and triage, 6 categories, 40
 * assignees and a third unassigned, 15% open, a fifth answered (each with its
 * status_changed event to "answered" a few hours after receipt), 1 in 10 overdue, a
 * rating for every fourth answered one. The search index is left out, as in
 * bench/queue.c. Then ANALYZE (PostgreSQL: VACUUM ANALYZE).
 *
 * Two periods are read STATS_ROUNDS times (default 10) each, as an administrator (all
 * departments) with daily series: the last 30 days (about 86,000 appeals) and the whole
 * year (every row). The anchor is, interleaved, `SELECT count(*) FROM appeals WHERE
 * received_at >= $1 AND received_at < $2` over the same period. Prints per backend and
 * period:
 *   stats: sqlite 1000000 period 30d dashboard p95 812.4 ms  anchor: SELECT count(*) p95 6.1 ms
 * p95 of the calling thread's wall time in milliseconds. docs/bench.md says what the
 * figures mean. */
#include <glib.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/db.h"
#include "store/staff.h"
#include "store/stats.h"
#include "store/store.h"
#include "timing.h"


static void die(const char *what, GError *err)
{
  fprintf(stderr, "bench_stats: %s: %s\n", what, err ? err->message : "failed");
  exit(2);
}

static void seed(OknoStore *st, gint64 n, gint64 now)
{
  OknoDb *db = okno_store_db(st);
  gboolean sqlite = okno_db_is_sqlite(db);
  GError *err = NULL;
  for (int i = 0; i < 40; i++) {
    g_autofree char *login = g_strdup_printf("op%02d", i);
    char *none[] = {NULL};
    OknoUser u = {.login = login, .role = "operator", .password_hash = "x", .totp_secret = "",
                  .departments = none};
    if (!okno_store_user_insert(st, &u, &err))
      die("user", err);
  }
  if (!okno_db_script(db,
                      sqlite ? "PRAGMA synchronous = OFF; DROP TRIGGER appeal_fts_appeal"
                             : "ALTER TABLE appeals DISABLE TRIGGER appeal_search_appeal;"
                               "ALTER TABLE appeals DISABLE TRIGGER appeal_counts_insert_delete",
                      &err) ||
      !okno_store_begin(st, &err) ||
      !okno_db_exec(
          db,
          "WITH RECURSIVE s(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM s "
          "WHERE i < $1) "
          "INSERT INTO appeals(number, status, channel, queue, subject, from_email, category, "
          "received_at, deadline, updated_at, department, assignee, answered, overdue, kind) "
          "SELECT 'B-' || i, CASE i % 20 WHEN 0 THEN 'new' WHEN 1 THEN 'in_progress' "
          "WHEN 2 THEN 'needs_clarification' WHEN 3 THEN 'rejected' WHEN 4 THEN 'answered' "
          "ELSE 'closed' END, CASE i % 5 WHEN 0 THEN 'email' WHEN 1 THEN 'web' WHEN 2 THEN 'chat' "
          "WHEN 3 THEN 'messenger' ELSE 'phone' END, '', 'Вопрос', 'c' || (i % 50000) || '@example.ru', "
          "'cat' || (i % 6), $2 - ($1 - i) * 30000000, $2 - ($1 - i) * 30000000 + 86400000000 * 5, "
          "$2 - ($1 - i) * 30000000, CASE i % 9 WHEN 0 THEN '' ELSE 'd' || (i % 9) END, "
          "CASE WHEN i % 3 = 0 THEN NULL ELSE (i % 40) + 1 END, "
          "CASE WHEN i % 5 = 4 THEN 1 ELSE 0 END, CASE WHEN i % 10 = 7 THEN 1 ELSE 0 END, "
          "CASE WHEN i % 50 = 11 THEN 'formal' ELSE 'support' END FROM s",
          OKNO_PARAMS(OKNO_INT(n), OKNO_INT(now)), &err) ||
      !okno_db_script(db,
                      "INSERT INTO events(appeal_id, at, kind, detail) SELECT id, "
                      "received_at + (id % 40) * 3600000000, 'status_changed', "
                      "'{\"from\":\"in_progress\",\"to\":\"answered\",\"by\":\"op\"}' "
                      "FROM appeals WHERE answered = 1;"
                      "INSERT INTO ratings(appeal_id, score, comment, email, created_at) "
                      "SELECT id, 1 + id % 5, CASE WHEN id % 3 = 0 THEN 'Спасибо' ELSE '' END, "
                      "from_email, received_at + 86400000000 FROM appeals "
                      "WHERE answered = 1 AND id % 4 = 0",
                      &err) ||
      (!sqlite &&
       !okno_db_script(db,
                       "INSERT INTO appeal_counts(department, status, assignee, quarantine, n)"
                       "  SELECT department, status, coalesce(assignee, 0),"
                       "    CASE WHEN queue = 'quarantine' THEN 1 ELSE 0 END, count(*)"
                       "  FROM appeals GROUP BY 1, 2, 3, 4;"
                       "ALTER TABLE appeals ENABLE TRIGGER appeal_counts_insert_delete",
                       &err)) ||
      !okno_store_commit(st, &err) ||
      !okno_db_script(db, sqlite ? "ANALYZE" : "VACUUM ANALYZE", &err))
    die("seed", err);
}

static void bench_store(const char *backend, const char *url, gint64 n, int rounds)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = okno_store_open(url, &err);
  gint64 now = okno_now(), t0;
  const struct { const char *name; gint64 days; } periods[] = {{"30d", 30}, {"year", 400}};
  if (!st)
    die("open", err);
  t0 = g_get_monotonic_time();
  seed(st, n, now);
  fprintf(stderr, "bench_stats: %s: %" G_GINT64_FORMAT " appeals written in %.0f s\n", backend,
          n, ms_since(t0) / 1000.0);
  for (gsize k = 0; k < G_N_ELEMENTS(periods); k++) {
    OknoReportQuery q = {.from = now - periods[k].days * 86400 * G_USEC_PER_SEC,
                         .to = now + 1, .now = now};
    g_autofree double *dash = g_new0(double, rounds);
    g_autofree double *anchor = g_new0(double, rounds);
    gint64 rows = 0;
    for (int r = 0; r < rounds; r++) {
      OknoStats s;
      g_autoptr(OknoRows) c = NULL;
      t0 = g_get_monotonic_time();
      if (!okno_store_stats(st, &q, FALSE, NULL, &s, &err))
        die("stats", err);
      dash[r] = ms_since(t0);
      okno_stats_clear(&s);
      t0 = g_get_monotonic_time();
      c = okno_db_query(okno_store_db(st),
                        "SELECT count(*) FROM appeals WHERE received_at >= $1 AND received_at < $2",
                        OKNO_PARAMS(OKNO_INT(q.from), OKNO_INT(q.to)), &err);
      anchor[r] = ms_since(t0);
      if (!c)
        die("count", err);
      rows = okno_rows_int(c, 0, 0);
    }
    printf("stats: %s %" G_GINT64_FORMAT " period %s (%" G_GINT64_FORMAT " appeals) dashboard "
           "p95 %.1f ms  anchor: SELECT count(*) p95 %.1f ms\n",
           backend, n, periods[k].name, rows, p95(dash, rounds), p95(anchor, rounds));
    fflush(stdout);
  }
}

static void pg_admin(const char *admin, const char *sql)
{
  PGconn *c = PQconnectdb(admin);
  PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
  if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
    fprintf(stderr, "bench_stats: %s: %s", sql, PQerrorMessage(c));
    exit(2);
  }
  PQclear(r);
  PQfinish(c);
}

int main(void)
{
  const char *admin = g_getenv("OKNO_TEST_PG_URL");
  const char *backends = g_getenv("STATS_BACKENDS") ? g_getenv("STATS_BACKENDS")
                                                     : "sqlite postgresql";
  gint64 n = g_getenv("STATS_SIZE") ? g_ascii_strtoll(g_getenv("STATS_SIZE"), NULL, 10) : 1000000;
  int rounds = g_getenv("STATS_ROUNDS") ? (int)g_ascii_strtoll(g_getenv("STATS_ROUNDS"), NULL, 10) : 10;
  g_autofree char *dir = g_dir_make_tmp("okno-bench-stats-XXXXXX", NULL);
  g_autofree char *url = g_strdup_printf("sqlite:%s/okno.db", dir);
  g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
  g_setenv("OKNO_LOG", "quiet", FALSE);
  if (n <= 0 || rounds <= 0)
    return 1;
  if (strstr(backends, "sqlite"))
    bench_store("sqlite", url, n, rounds);
  if (system(rm) != 0)
    fprintf(stderr, "bench_stats: could not remove %s\n", dir);
  if (admin && *admin && strstr(backends, "postgresql")) {
    g_autofree char *name = g_strdup_printf("okno_bench_stats_%08x", g_random_int());
    g_autofree char *create = g_strdup_printf("CREATE DATABASE %s", name);
    g_autofree char *drop = g_strdup_printf("DROP DATABASE %s WITH (FORCE)", name);
    g_autofree char *pg_url = NULL;
    const char *path = strrchr(admin, '/');
    pg_admin(admin, create);
    pg_url = g_strdup_printf("%.*s/%s", (int)(path - admin), admin, name);
    bench_store("postgresql", pg_url, n, rounds);
    pg_admin(admin, drop);
  }
  return 0;
}
