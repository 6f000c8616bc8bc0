/* bench/deadline.c: deadlines per second on the production calendar, beside plain
 * calendar-day arithmetic measured in the same run.
 *
 * Builds a synthetic 10-year calendar (2030-2039: New Year 1-8 January, the fixed
 * holidays, a shortened 30 April, a transferred working Saturday in October) because the
 * shipped one covers three years; then, for a fixed set of pseudo-random registration
 * instants, computes 30-working-day deadlines with okno_deadline_add() for about half a
 * second, and the baseline, GDateTime "add 30 days" in Europe/Moscow, for as long.
 * Prints one line:  deadline: N/s working-days  baseline: M/s calendar-days
 *
 * Then the SLA scheduler (ops/scheduler.h) over a store of 100,000 open appeals
 * (SQLite in a temporary directory, each with its reminder, overdue and escalation
 * jobs on the shipped 2026 calendar; SCHED_DUE of them old enough for all three jobs
 * to be due): one pass that does those jobs (each in its own synced transaction), a
 * second, idle pass at the same instant (what the daemon does every minute), and as
 * the anchor a plain SELECT of the same open appeals. Prints one line:
 *   scheduler: idle pass N ms over 100000 open appeals, M due jobs in K ms  baseline: SELECT L ms */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "appeal/calendar.h"
#include "appeal/deadline.h"
#include "timing.h"
#include "core/clock.h"
#include "ops/calendar_file.h"
#include "ops/ops.h"
#include "ops/scheduler.h"
#include "store/appeals.h"

#define N_FROM 4096
#define RUN_US (G_USEC_PER_SEC / 2)
#define SCHED_APPEALS 100000
#define SCHED_DUE 100

static volatile guint64 sink; /* keeps the results alive; wraps freely */

static char *synthetic_calendar(void)
{
  static const int fixed[][2] = {{2, 23}, {3, 8}, {5, 1}, {5, 9}, {6, 12}, {11, 4}};
  GString *s = g_string_new("# synthetic calendar for the benchmark\n");
  for (int y = 2030; y <= 2039; y++) {
    GDate d;
    for (int day = 1; day <= 8; day++)
      g_string_append_printf(s, "%d-01-%02d off\n", y, day);
    for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++)
      g_string_append_printf(s, "%d-%02d-%02d off\n", y, fixed[i][0], fixed[i][1]);
    g_date_clear(&d, 1);
    g_date_set_dmy(&d, 30, G_DATE_APRIL, (GDateYear)y);
    if (g_date_get_weekday(&d) <= G_DATE_FRIDAY)
      g_string_append_printf(s, "%d-04-30 short\n", y);
    g_date_set_dmy(&d, 31, G_DATE_OCTOBER, (GDateYear)y);
    while (g_date_get_weekday(&d) != G_DATE_SATURDAY)
      g_date_subtract_days(&d, 1);
    g_string_append_printf(s, "%d-10-%02d work\n", y, g_date_get_day(&d));
  }
  return g_string_free(s, FALSE);
}


/* The scheduler's figures; returns a process exit code. */
static int bench_scheduler(void)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *dir = g_dir_make_tmp("okno-bench-XXXXXX", NULL);
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  g_autoptr(OknoSlaEnv) env = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(GRand) rnd = g_rand_new_with_seed(5);
  OknoScheduler *s = NULL;
  gint64 base = 0, old = 0, now = 0, t0, done, idle;
  double ms_due, ms_idle, ms_select;

  g_setenv("OKNO_LOG", "quiet", FALSE); /* one log line per job would swamp the figure */
  g_free(cfg->store_url);
  cfg->store_url = g_strdup_printf("sqlite:%s/okno.db", dir);
  g_strfreev(cfg->sla_operators);
  cfg->sla_operators = g_strsplit("ops@portal.example", ";", -1);
  g_strfreev(cfg->sla_supervisors);
  cfg->sla_supervisors = g_strsplit("boss@portal.example", ";", -1);
  okno_time_parse("2026-06-01T00:00:00+03:00", &base);
  okno_time_parse("2026-03-02T10:00:00+03:00", &old);
  okno_time_parse("2026-05-01T00:00:00+03:00", &now);
  env = okno_sla_env_new(cfg, &err);
  st = env ? okno_store_open(cfg->store_url, &err) : NULL;
  if (!st || !okno_store_begin(st, &err))
    goto fail;
  for (int i = 0; i < SCHED_APPEALS; i++) {
    g_autoptr(OknoAppeal) a = g_new0(OknoAppeal, 1);
    a->number = g_strdup_printf("26-%06d-0", i + 1);
    a->status = OKNO_STATUS_NEW;
    a->channel = OKNO_CHANNEL_EMAIL;
    a->from_email = g_strdup_printf("c%d@example.ru", i);
    a->subject = g_strdup("Вопрос");
    a->kind = OKNO_KIND_SUPPORT;
    a->sla_class = OKNO_SLA_COMPLEX;
    a->received_at = i < SCHED_DUE ? old : base + (gint64)(g_rand_double(rnd) * 30 * 86400) * G_USEC_PER_SEC;
    if (!okno_store_appeal_insert(st, a, &err) ||
        !okno_ops_start_clock(env, st, a, a->received_at, NULL, &err))
      goto fail;
  }
  if (!okno_store_commit(st, &err))
    goto fail;
  g_clear_pointer(&st, okno_store_close);

  s = okno_scheduler_new(cfg, "bench", &err);
  if (!s)
    goto fail;
  okno_clock_set(now);
  t0 = g_get_monotonic_time();
  done = okno_scheduler_run_once(s, now, &err);
  ms_due = ms_since(t0);
  t0 = g_get_monotonic_time();
  idle = done < 0 ? -1 : okno_scheduler_run_once(s, now, &err);
  ms_idle = ms_since(t0);
  okno_clock_set(0);
  okno_scheduler_free(s);
  if (done < 0 || idle != 0)
    goto fail;
  st = okno_store_open(cfg->store_url, &err);
  if (!st)
    goto fail;
  t0 = g_get_monotonic_time();
  {
    g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st),
                                          "SELECT id, deadline FROM appeals WHERE status IN ('new', 'in_progress')",
                                          OKNO_NO_PARAMS, &err);
    if (!r)
      goto fail;
    sink += okno_rows_count(r);
  }
  ms_select = ms_since(t0);
  printf("scheduler: idle pass %.2f ms over %d open appeals, %" G_GINT64_FORMAT
         " due jobs in %.0f ms  baseline: SELECT %.1f ms\n",
         ms_idle, SCHED_APPEALS, done, ms_due, ms_select);
  g_clear_pointer(&st, okno_store_close);
  {
    const char *names[] = {"okno.db", "okno.db-wal", "okno.db-shm"};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
      g_autofree char *p = g_build_filename(dir, names[i], NULL);
      g_unlink(p);
    }
    g_rmdir(dir);
  }
  return 0;
fail:
  fprintf(stderr, "bench: %s\n", err ? err->message : "the idle pass did work");
  return 2;
}

int main(void)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *text = synthetic_calendar();
  g_autoptr(OknoCalendar) cal = okno_calendar_parse(text, strlen(text), "synthetic", &err);
  g_autoptr(GRand) rnd = g_rand_new_with_seed(20261123);
  gint64 from[N_FROM], t0, n_deadline = 0, n_base = 0, span;
  double secs_deadline, secs_base;

  if (!cal) {
    fprintf(stderr, "bench: %s\n", err->message);
    return 2;
  }
  /* Registration instants spread over 2030-2038 (30 working days never leave 2039). */
  {
    gint64 lo = okno_calendar_days(cal, &(gsize){0})[0].start_us;
    span = (gint64)9 * 365 * 24 * G_TIME_SPAN_HOUR;
    for (int i = 0; i < N_FROM; i++)
      from[i] = lo + (gint64)(g_rand_double(rnd) * (double)span);
  }

  t0 = g_get_monotonic_time();
  do {
    for (int i = 0; i < N_FROM; i++) {
      gint64 out;
      if (!okno_deadline_add(cal, from[i], OKNO_PERIOD_WORKING_DAYS, 30, &out, &err)) {
        fprintf(stderr, "bench: %s\n", err->message);
        return 2;
      }
      sink += (guint64)out;
    }
    n_deadline += N_FROM;
  } while (g_get_monotonic_time() - t0 < RUN_US);
  secs_deadline = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;

  t0 = g_get_monotonic_time();
  do {
    for (int i = 0; i < N_FROM; i++) {
      g_autoptr(GDateTime) u = g_date_time_new_from_unix_utc(from[i] / G_USEC_PER_SEC);
      g_autoptr(GDateTime) l = g_date_time_to_timezone(u, okno_tz_moscow());
      g_autoptr(GDateTime) e = g_date_time_add_days(l, 30);
      sink += (guint64)g_date_time_to_unix(e);
    }
    n_base += N_FROM;
  } while (g_get_monotonic_time() - t0 < RUN_US);
  secs_base = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;

  printf("deadline: %.0f/s working-days  baseline: %.0f/s calendar-days\n", (double)n_deadline / secs_deadline,
         (double)n_base / secs_base);
  fflush(stdout);
  return bench_scheduler();
}
