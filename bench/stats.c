/* bench/stats.c: the dashboard's figures (store/stats.h okno_store_stats, what
 * /console/stats and its downloads compute) over 1,000,000 appeals, beside a plain
 * SELECT count(*) over the same rows measured in the same run.
 *
 * A fresh store on SQLite (a temporary directory) and, when OKNO_TEST_PG_URL names a
 * server, on PostgreSQL (a database okno_bench_stats_<random>, dropped at the end;
 * STATS_BACKENDS, default "sqlite postgresql") is filled by bench/seed.c (shared with
 * bench/million.c): STATS_SIZE appeals (default 1000000), one every 30 s back from
 * "now", 50,000 contacts, the search index left out (seed.c says what the rows hold and
 * which triggers are off while they go in); each step's time goes to stderr.
 * Two periods of whole Moscow days ending today (the dashboard's periods are dates) are read STATS_ROUNDS times (default 10) each, as an
 * administrator (all departments) with daily series: the last 30 days (about 86,000
 * appeals) and 400 days (every row). The anchor is, interleaved, `SELECT count(*) FROM appeals WHERE
 * received_at >= $1 AND received_at < $2` over the same period. Prints per backend and
 * period:
 *   stats: sqlite 1000000 period 30d dashboard p95 812.4 ms  anchor: SELECT count(*) p95 6.1 ms
 * p95 of the calling thread's wall time in milliseconds. STATS_KEEP=1 keeps the stores
 * (their path and URL on stderr) to look at the plans. docs/bench.md says what the
 * figures mean. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "seed.h"
#include "store/db.h"
#include "store/rollup.h"
#include "store/stats.h"
#include "store/store.h"
#include "timing.h"


static void bench_store(const char *backend, const char *url, gint64 n, int rounds)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = okno_store_open(url, &err);
  gint64 now = okno_now(), t0;
  const struct { const char *name; gint64 days; } periods[] = {{"30d", 30}, {"year", 400}};
  if (!st)
    bench_die("open", err);
  t0 = g_get_monotonic_time();
  bench_seed(st, &(BenchSeed){.n = n, .now = now, .citizens = 50000});
  fprintf(stderr, "bench_stats: %s: %" G_GINT64_FORMAT " appeals written in %.0f s\n", backend,
          n, ms_since(t0) / 1000.0);
  /* the histograms' calendar (none: calendar hours), written once as okno does on its
   * first read after the migration, not inside a timed round */
  if (!okno_rollup_sync(st, NULL, &err))
    bench_die("rollup sync", err);
  for (gsize k = 0; k < G_N_ELEMENTS(periods); k++) {
    /* whole Moscow days ending with today, as the dashboard asks (its dates) */
    gint64 day = G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC, msk = G_GINT64_CONSTANT(10800) * G_USEC_PER_SEC;
    gint64 to = ((now + msk) / day + 1) * day - msk;
    OknoReportQuery q = {.from = to - periods[k].days * day, .to = to, .now = now};
    g_autofree double *dash = g_new0(double, rounds);
    g_autofree double *anchor = g_new0(double, rounds);
    gint64 rows = 0;
    for (int r = 0; r < rounds; r++) {
      OknoStats s;
      g_autoptr(OknoRows) c = NULL;
      t0 = g_get_monotonic_time();
      if (!okno_store_stats(st, &q, FALSE, NULL, &s, &err))
        bench_die("stats", err);
      dash[r] = ms_since(t0);
      okno_stats_clear(&s);
      t0 = g_get_monotonic_time();
      c = okno_db_query(okno_store_db(st),
                        "SELECT count(*) FROM appeals WHERE received_at >= $1 AND received_at < $2",
                        OKNO_PARAMS(OKNO_INT(q.from), OKNO_INT(q.to)), &err);
      anchor[r] = ms_since(t0);
      if (!c)
        bench_die("count", err);
      rows = okno_rows_int(c, 0, 0);
    }
    printf("stats: %s %" G_GINT64_FORMAT " period %s (%" G_GINT64_FORMAT " appeals) dashboard "
           "p95 %.1f ms  anchor: SELECT count(*) p95 %.1f ms\n",
           backend, n, periods[k].name, rows, p95(dash, rounds), p95(anchor, rounds));
    fflush(stdout);
  }
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
  bench_name = "bench_stats";
  g_setenv("OKNO_LOG", "quiet", FALSE);
  if (n <= 0 || rounds <= 0)
    return 1;
  if (strstr(backends, "sqlite"))
    bench_store("sqlite", url, n, rounds);
  if (g_getenv("STATS_KEEP") && strstr(backends, "sqlite")) /* kept for EXPLAIN (docs/bench.md) */
    fprintf(stderr, "bench_stats: kept %s/okno.db\n", dir);
  else if (system(rm) != 0)
    fprintf(stderr, "bench_stats: could not remove %s\n", dir);
  if (admin && *admin && strstr(backends, "postgresql")) {
    g_autofree char *drop = NULL;
    g_autofree char *pg_url = bench_pg_create(admin, "okno_bench_stats", &drop);
    bench_store("postgresql", pg_url, n, rounds);
    if (g_getenv("STATS_KEEP"))
      fprintf(stderr, "bench_stats: kept %s\n", pg_url);
    else
      bench_pg_admin(admin, drop);
  }
  return 0;
}
