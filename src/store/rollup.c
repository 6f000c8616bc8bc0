/* rollup.c: the dashboard's counts from stats_daily (rollup.h): one grouped read of the
 * period's days, one of its formal appeals, one live count of the open appeals past a
 * deadline not flagged yet, and the working-hour histograms of stats_hours; every
 * figure is summed here from those rows. Also the calendar the histograms count on
 * (stats_workdays), written again when okno's calendar changes. */
#include "store/rollup.h"

#include <math.h>
#include <string.h>

#include "appeal/appeal.h"
#include "store/appeal_row.h"
#include "store/queue_due_sql.h"
#include "store/rollup_open_sql.h"
#include "store/rollup_sql.h"

#define DAY_US (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)
#define MSK_US (G_GINT64_CONSTANT(3 * 3600) * G_USEC_PER_SEC) /* Moscow: UTC+3, no DST */

gboolean okno_rollup_usable(const OknoReportQuery *q)
{
  return !q->exact && q->to > q->from && (q->from + MSK_US) % DAY_US == 0 &&
         (q->to + MSK_US) % DAY_US == 0;
}

OknoRows *okno_rollup_query(OknoDb *db, const char *head, const OknoReportQuery *q,
                              const char *tail, GError **error)
{
  g_autoptr(GString) sql = g_string_new(head);
  g_autoptr(GArray) params = g_array_new(FALSE, FALSE, sizeof(OknoParam));
  okno_report_filter(q, FALSE, sql, params);
  g_string_append_printf(sql, " AND day >= $%u AND day < $%u", params->len + 1,
                         params->len + 2);
  g_array_append_val(params, OKNO_INT(okno_stats_day_of(q->from)));
  g_array_append_val(params, OKNO_INT(okno_stats_day_of(q->to)));
  g_string_append(sql, tail ? tail : "");
  return okno_db_query(db, sql->str, (const OknoParam *)params->data, params->len, error);
}

static void count_add(GHashTable *h, const char *key, gint64 n)
{
  gint64 *v;
  if (!n)
    return;
  if (!(v = g_hash_table_lookup(h, key ? key : "")))
    g_hash_table_insert(h, g_strdup(key ? key : ""), (v = g_new0(gint64, 1)));
  *v += n;
}

/* The appeal counts of q by (day, department, channel, category): column 4 on are
 * received, answered, on_time, overdue (flagged, plus the live late ones), open,
 * reopened, repeated, rated, r1..r5. */
enum { C_DAY, C_DEPT, C_CHANNEL, C_CATEGORY, C_RECEIVED, C_ANSWERED, C_ON_TIME, C_OVERDUE,
       C_OPEN, C_REOPENED, C_REPEATED, C_RATED, C_R1 };

static gboolean read_report(OknoDb *db, const OknoReportQuery *q, gboolean weekly,
                            OknoReport *r, OknoStats *s, GError **error)
{
  g_autoptr(OknoRows) t = okno_rollup_query(
      db,
      "SELECT day, department, channel, category, " OKNO_SUM(received) ", "
      OKNO_SUM(answered) ", " OKNO_SUM(on_time) ", " OKNO_SUM(overdue) ", " OKNO_SUM(open) ", "
      OKNO_SUM(reopened) ", " OKNO_SUM(repeated) ", " OKNO_SUM(rated) ", " OKNO_SUM(r1) ", "
      OKNO_SUM(r2) ", " OKNO_SUM(r3) ", " OKNO_SUM(r4) ", " OKNO_SUM(r5) " FROM stats_daily WHERE ",
      q, " GROUP BY day, department, channel, category", error);
  /* open, never flagged, past its deadline at q->now: the terms of appeals_late_open's
   * condition, written as the index writes them */
  g_autofree char *late_head = g_strdup_printf(
      "SELECT (received_at + %" G_GINT64_FORMAT ") / %" G_GINT64_FORMAT ", count(*)"
      " FROM appeals WHERE " OKNO_OPEN_SQL " AND overdue = 0 AND deadline <> 0"
      " AND deadline < %" G_GINT64_FORMAT " AND ", MSK_US, DAY_US, q->now);
  g_autoptr(OknoRows) late = NULL;
  gint64 sum = 0;
  if (!t)
    return FALSE;
  /* per day only (the overdue total and the series; a grouping by the breakdowns' keys
   * cost 2-3 times more over the bench's month) */
  if (!(late = okno_report_query(db, late_head, q, TRUE, " GROUP BY 1", error)))
    return FALSE;
  memset(r, 0, sizeof *r);
  r->by_channel = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  r->by_category = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  r->by_department = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  if (s)
    s->series = okno_stats_series_new(q, weekly);
  for (guint i = 0; i < okno_rows_count(t); i++) {
    gint64 day = okno_rows_int(t, i, C_DAY), received = okno_rows_int(t, i, C_RECEIVED);
    r->received += received;
    r->answered += okno_rows_int(t, i, C_ANSWERED);
    r->on_time += okno_rows_int(t, i, C_ON_TIME);
    r->overdue += okno_rows_int(t, i, C_OVERDUE);
    r->open += okno_rows_int(t, i, C_OPEN);
    count_add(r->by_department, okno_rows_text(t, i, C_DEPT), received);
    count_add(r->by_channel, okno_rows_text(t, i, C_CHANNEL), received);
    count_add(r->by_category, okno_rows_text(t, i, C_CATEGORY), received);
    if (!s)
      continue;
    okno_stats_series_add(s->series, q, weekly, day, received, okno_rows_int(t, i, C_ANSWERED),
                          okno_rows_int(t, i, C_OVERDUE));
    s->reopened += okno_rows_int(t, i, C_REOPENED);
    s->repeated += okno_rows_int(t, i, C_REPEATED);
    s->rated += okno_rows_int(t, i, C_RATED);
    for (int k = 0; k < 5; k++) {
      s->ratings[k] += okno_rows_int(t, i, C_R1 + (guint)k);
      sum += (k + 1) * okno_rows_int(t, i, C_R1 + (guint)k);
    }
  }
  for (guint i = 0; i < okno_rows_count(late); i++) {
    gint64 n = okno_rows_int(late, i, 1);
    r->overdue += n;
    if (s)
      okno_stats_series_add(s->series, q, weekly, okno_rows_int(late, i, 0), 0, 0, n);
  }
  if (s)
    s->rating_avg = s->rated ? (double)sum / (double)s->rated : 0;
  {
    /* withdrawn by their citizens (docs/kb.md): rare, counted live along the index */
    g_autoptr(OknoRows) w = okno_report_query(
        db, "SELECT count(*) FROM appeals WHERE status = 'withdrawn' AND ", q, TRUE, "", error);
    if (!w)
      return FALSE;
    r->withdrawn = okno_rows_int(w, 0, 0);
  }
  return TRUE;
}

gboolean okno_rollup_report(OknoDb *db, const OknoReportQuery *q, OknoReport *r,
                            GError **error)
{
  if (read_report(db, q, FALSE, r, NULL, error))
    return TRUE;
  okno_report_clear(r);
  return FALSE;
}

gboolean okno_rollup_stats(OknoDb *db, const OknoReportQuery *q, gboolean weekly,
                           OknoStats *s, GError **error)
{
  OknoReportQuery fq = *q;
  OknoStatsFormal *f = &s->formal;
  g_autoptr(OknoRows) r = NULL;
  if (!read_report(db, q, weekly, &s->report, s, error))
    return FALSE;
  fq.kind = okno_kind_name(OKNO_KIND_FORMAL);
  r = okno_rollup_query(db,
                        "SELECT coalesce(" OKNO_SUM(received) ", 0),"
                        " coalesce(" OKNO_SUM(forwarded) ", 0),"
                        " coalesce(" OKNO_SUM(forwarded_in_time) ", 0),"
                        " coalesce(" OKNO_SUM(answered_30) ", 0),"
                        " coalesce(" OKNO_SUM(extended) ", 0) FROM stats_daily WHERE ",
                        &fq, NULL, error);
  if (!r)
    return FALSE;
  f->received = okno_rows_int(r, 0, 0);
  f->forwarded = okno_rows_int(r, 0, 1);
  f->forwarded_in_time = okno_rows_int(r, 0, 2);
  f->answered_30 = okno_rows_int(r, 0, 3);
  f->extended = okno_rows_int(r, 0, 4);
  return TRUE;
}

/* The calendar as stats_workdays rows, and a digest of them ("none" without one). */
typedef struct { gint64 day, cum, open, close; } Workday;

static GArray *workdays(const OknoCalendar *cal, char **digest)
{
  GArray *a = g_array_new(FALSE, FALSE, sizeof(Workday));
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  const OknoCalendarDay *d;
  gsize n = 0;
  gint64 cum = 0;
  d = cal ? okno_calendar_days(cal, &n) : NULL;
  for (gsize i = 0; i < n; i++) {
    gboolean work = (d[i].flags & OKNO_DAY_WORKING) != 0;
    Workday w = {(d[i].start_us + MSK_US) / DAY_US, cum, work ? d[i].open_us : d[i].start_us,
                 work ? d[i].close_us : d[i].start_us};
    cum += w.close - w.open;
    g_array_append_val(a, w);
    g_checksum_update(sum, (const guchar *)&w, sizeof w);
  }
  *digest = n ? g_strdup(g_checksum_get_string(sum)) : g_strdup("none");
  return a;
}

#define HOURS_REBUILD(WHAT, COL, LEAST, GREATEST)                                          \
  ROLL_HOURS_FROM("appeals", WHAT, COL, LEAST, GREATEST) ";"

static gboolean rebuild(OknoDb *db, GArray *days, GError **error)
{
  gboolean sqlite = okno_db_is_sqlite(db);
  if (!okno_db_exec(db, "DELETE FROM stats_workdays", OKNO_NO_PARAMS, error))
    return FALSE;
  for (guint i = 0; i < days->len; i += 200) {
    g_autoptr(GString) sql = g_string_new("INSERT INTO stats_workdays(day, cum, open_us, close_us) VALUES");
    g_autoptr(GArray) params = g_array_new(FALSE, FALSE, sizeof(OknoParam));
    for (guint j = i; j < days->len && j < i + 200; j++) {
      const Workday *w = &g_array_index(days, Workday, j);
      g_string_append_printf(sql, "%s($%u, $%u, $%u, $%u)", j > i ? ", " : "", params->len + 1,
                             params->len + 2, params->len + 3, params->len + 4);
      g_array_append_val(params, OKNO_INT(w->day));
      g_array_append_val(params, OKNO_INT(w->cum));
      g_array_append_val(params, OKNO_INT(w->open));
      g_array_append_val(params, OKNO_INT(w->close));
    }
    if (!okno_db_exec(db, sql->str, (const OknoParam *)params->data, params->len, error))
      return FALSE;
  }
  return okno_db_script(db,
                        sqlite ? "DELETE FROM stats_hours;"
                                 HOURS_REBUILD("0", "answered_first_at", "min", "max")
                                 HOURS_REBUILD("1", "closed_first_at", "min", "max")
                               : "DELETE FROM stats_hours;"
                                 HOURS_REBUILD("0", "answered_first_at", "least", "greatest")
                                 HOURS_REBUILD("1", "closed_first_at", "least", "greatest"),
                        error);
}

gboolean okno_rollup_sync(OknoStore *st, const OknoCalendar *cal, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autofree char *digest = NULL;
  g_autoptr(GArray) days = workdays(cal, &digest);
  g_autoptr(OknoRows) cur = okno_db_query(db, "SELECT value FROM meta WHERE key = 'stats_calendar'",
                                          OKNO_NO_PARAMS, error);
  g_autoptr(OknoRows) won = NULL;
  if (!cur)
    return FALSE;
  if (okno_rows_count(cur) && g_strcmp0(okno_rows_text(cur, 0, 0), digest) == 0)
    return TRUE;
  if (!okno_store_begin(st, error))
    return FALSE;
  /* one writer: the one whose update changed the row rebuilds (the others wait for its
   * commit and then find nothing to change) */
  won = okno_db_query(db, "UPDATE meta SET value = $1 WHERE key = 'stats_calendar' AND value <> $1"
                          " RETURNING key", OKNO_PARAMS(OKNO_TEXT(digest)), error);
  if (!won || (okno_rows_count(won) && !rebuild(db, days, error)) ||
      !okno_store_commit(st, error)) {
    okno_store_rollback(st);
    return FALSE;
  }
  return TRUE;
}

double okno_rollup_bucket_hours(gint64 bucket)
{
  if (bucket < 80)
    return (double)(bucket + 1) / 2.0;
  if (bucket < 170)
    return 40.0 + (double)(bucket - 79) * 4.0;
  return 400.0;
}

/* Nearest rank over the buckets, as stats.c's times_of over the values. */
static double rank(const gint64 *h, gint64 n, double p)
{
  gint64 want = (gint64)ceil(p * (double)n), seen = 0;
  for (gint64 b = 0; b < ROLL_BUCKETS; b++)
    if ((seen += h[b]) >= want)
      return okno_rollup_bucket_hours(b);
  return 0;
}

gboolean okno_rollup_times(OknoDb *db, const OknoReportQuery *q, OknoStatsTimes *answer,
                           OknoStatsTimes *closing, GError **error)
{
  g_autoptr(OknoRows) r = okno_rollup_query(
      db, "SELECT what, bucket, " OKNO_SUM(n) " FROM stats_hours WHERE ", q,
      " GROUP BY what, bucket", error);
  gint64 h[2][ROLL_BUCKETS] = {{0}};
  OknoStatsTimes *t[2] = {answer, closing};
  if (!r)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    gint64 what = okno_rows_int(r, i, 0), b = okno_rows_int(r, i, 1);
    if (what >= 0 && what < 2 && b >= 0 && b < ROLL_BUCKETS)
      h[what][b] += okno_rows_int(r, i, 2);
  }
  for (int k = 0; k < 2; k++) {
    memset(t[k], 0, sizeof *t[k]);
    for (gint64 b = 0; b < ROLL_BUCKETS; b++)
      t[k]->n += h[k][b];
    if (t[k]->n) {
      t[k]->median_h = rank(h[k], t[k]->n, 0.5);
      t[k]->p90_h = rank(h[k], t[k]->n, 0.9);
    }
  }
  return TRUE;
}

gboolean okno_rollup_refill(OknoStore *st, const OknoCalendar *cal, GError **error)
{
  if (!okno_store_begin(st, error))
    return FALSE;
  if (!okno_db_script(okno_store_db(st),
                      "DELETE FROM stats_daily;" ROLL_DAILY_FILL
                      "DELETE FROM stats_open; DELETE FROM stats_load; DELETE FROM stats_themes;"
                      R27_FILL "DELETE FROM queue_due;" R36_FILL "UPDATE meta SET value = '' WHERE key = 'stats_calendar';",
                      error) ||
      !okno_store_commit(st, error)) {
    okno_store_rollback(st);
    return FALSE;
  }
  return okno_rollup_sync(st, cal, error);
}
