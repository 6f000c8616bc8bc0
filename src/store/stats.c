/* stats.c: the dashboard's figures (stats.h). Every statement filters the appeals
 * through okno_report_filter (report.h), the same condition `okno report` counts with;
 * the durations are read as instants and turned into working hours here, on the
 * production calendar, because neither backend knows it. The instants and flags kept
 * from the events (first answer, closing, clarifications, reopened, forwarded) are read
 * from the appeal row (migration 20); the events themselves only for the clarification
 * waits of the appeals that had one and the grounds of the formal ones left
 * unanswered. The backlog, the load per operator and the themes come from the rollups
 * of migration 27 (rollup_open.h) unless q->exact. */
#include "store/stats.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "appeal/deadline.h"
#include "store/appeal_row.h"
#include "store/db.h"
#include "store/rollup.h"
#include "store/rollup_open.h"

#define DAY_US (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)
#define MSK_US (G_GINT64_CONSTANT(3 * 3600) * G_USEC_PER_SEC) /* Moscow: UTC+3, no DST */

const char *const okno_stats_age_words[OKNO_STATS_AGES] = {
  "до 1 дня", "1–3 дня", "3–7 дней", "7–30 дней", "30 дней и больше",
};

/* Moscow day number of an instant, and the first instant of a day number. */
static gint64 day_of(gint64 us) { return (us + MSK_US) / DAY_US; }
static gint64 day_start(gint64 day) { return day * DAY_US - MSK_US; }
/* Monday-started weeks: day 0 (1970-01-01) was a Thursday. */
static gint64 week_of_day(gint64 day) { return (day + 3) / 7; }

static double hours(const OknoCalendar *cal, gint64 from, gint64 to)
{
  gint64 us = 0;
  if (to <= from)
    return 0;
  if (!cal || !okno_deadline_working_time(cal, from, to, &us, NULL))
    us = to - from;
  return (double)us / (3600.0 * G_USEC_PER_SEC);
}

static int cmp_double(gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p% of the values at or below it. */
static void times_of(GArray *v, OknoStatsTimes *t)
{
  t->n = v->len;
  if (!v->len)
    return;
  g_array_sort(v, cmp_double);
  t->median_h = g_array_index(v, double, (guint)ceil(0.5 * v->len) - 1);
  t->p90_h = g_array_index(v, double, (guint)ceil(0.9 * v->len) - 1);
}

static void comment_free(gpointer p)
{
  OknoStatsComment *c = p;
  g_free(c->number);
  g_free(c->comment);
  g_free(c);
}

static void load_free(gpointer p)
{
  OknoStatsLoad *l = p;
  g_free(l->login);
  g_free(l);
}

gint64 okno_stats_day_of(gint64 us) { return day_of(us); }

GArray *okno_stats_series_new(const OknoReportQuery *q, gboolean weekly)
{
  GArray *a = g_array_new(FALSE, TRUE, sizeof(OknoStatsPoint));
  gint64 first = day_of(q->from), last = day_of(q->to - 1);
  if (weekly) {
    first = week_of_day(first);
    last = week_of_day(last);
  }
  for (gint64 i = first; i <= last && last - first < 3700; i++) {
    OknoStatsPoint p = {.start = day_start(weekly ? i * 7 - 3 : i)};
    g_array_append_val(a, p);
  }
  return a;
}

void okno_stats_series_add(GArray *series, const OknoReportQuery *q, gboolean weekly,
                           gint64 day, gint64 received, gint64 answered, gint64 overdue)
{
  gint64 first = day_of(q->from), k = day;
  OknoStatsPoint *p;
  if (weekly) {
    first = week_of_day(first);
    k = week_of_day(k);
  }
  if (k < first || k - first >= (gint64)series->len)
    return;
  p = &g_array_index(series, OknoStatsPoint, k - first);
  p->received += received;
  p->answered += answered;
  p->overdue += overdue;
}

static gboolean series(OknoDb *db, const OknoReportQuery *q, gboolean weekly, OknoStats *s,
                       GError **error)
{
  g_autofree char *head = g_strdup_printf(
      "SELECT (received_at + %" G_GINT64_FORMAT ") / %" G_GINT64_FORMAT ", count(*),"
      " count(*) FILTER (WHERE answered = 1),"
      " count(*) FILTER (WHERE overdue = 1 OR (" OKNO_OPEN_SQL " AND deadline <> 0"
      "   AND deadline < %" G_GINT64_FORMAT "))"
      " FROM appeals WHERE ", MSK_US, DAY_US, q->now);
  g_autoptr(OknoRows) r = okno_report_query(db, head, q, TRUE, " GROUP BY 1 ORDER BY 1", error);
  if (!r)
    return FALSE;
  s->series = okno_stats_series_new(q, weekly);
  for (guint i = 0; i < okno_rows_count(r); i++)
    okno_stats_series_add(s->series, q, weekly, okno_rows_int(r, i, 0), okno_rows_int(r, i, 1),
                          okno_rows_int(r, i, 2), okno_rows_int(r, i, 3));
  return TRUE;
}

static gboolean backlog(OknoDb *db, const OknoReportQuery *q, OknoStats *s, GError **error)
{
  G_STATIC_ASSERT(OKNO_STATS_AGES == OKNO_BACKLOG_BANDS);
  return okno_rollup_backlog(db, q, q->exact, s->backlog, error);
}

static gboolean durations(OknoDb *db, const OknoReportQuery *q, const OknoCalendar *cal,
                          OknoStats *s, GError **error)
{
  g_autoptr(OknoRows) r = okno_report_query(
      db, "SELECT received_at, answered_first_at, closed_first_at FROM appeals WHERE ", q, TRUE, NULL, error);
  g_autoptr(GArray) answer = g_array_new(FALSE, FALSE, sizeof(double));
  g_autoptr(GArray) closing = g_array_new(FALSE, FALSE, sizeof(double));
  if (!r)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    gint64 at = okno_rows_int(r, i, 0), answered = okno_rows_int(r, i, 1),
           closed = okno_rows_int(r, i, 2);
    double h;
    if (answered) {
      h = hours(cal, at, answered);
      g_array_append_val(answer, h);
    }
    if (closed) {
      h = hours(cal, at, closed);
      g_array_append_val(closing, h);
    }
  }
  times_of(answer, &s->first_answer);
  times_of(closing, &s->closing);
  return TRUE;
}

static gboolean clarifications(OknoDb *db, const OknoReportQuery *q, const OknoCalendar *cal,
                               OknoStats *s, GError **error)
{
  g_autoptr(OknoRows) r = okno_report_query(
      db,
      "SELECT appeal_id, at,"
      " CASE WHEN detail LIKE '%\"to\":\"needs_clarification\"%' THEN 1 ELSE 0 END,"
      " CASE WHEN detail LIKE '%\"from\":\"needs_clarification\"%' THEN 1 ELSE 0 END"
      " FROM events JOIN (SELECT id AS a_id FROM appeals WHERE clarifications > 0 AND ",
      q, TRUE, ") a ON appeal_id = a.a_id WHERE kind = 'status_changed'"
      " AND detail LIKE '%needs_clarification%' ORDER BY appeal_id, at, id", error);
  g_autoptr(GArray) waits = g_array_new(FALSE, FALSE, sizeof(double));
  gint64 appeal = 0, since = 0;
  if (!r)
    return FALSE;
  for (guint i = 0; i <= okno_rows_count(r); i++) {
    gboolean end = i == okno_rows_count(r);
    gint64 id = end ? 0 : okno_rows_int(r, i, 0), at = end ? 0 : okno_rows_int(r, i, 1);
    double h;
    if ((end || id != appeal) && since) { /* a wait still open */
      h = hours(cal, since, q->now);
      g_array_append_val(waits, h);
      since = 0;
    }
    if (end)
      break;
    if (id != appeal)
      appeal = 0;
    if (okno_rows_int(r, i, 3) && since) {
      h = hours(cal, since, at);
      g_array_append_val(waits, h);
      since = 0;
    }
    if (okno_rows_int(r, i, 2)) {
      s->clarifications++;
      if (!appeal)
        s->clarified++;
      appeal = id;
      since = at;
    }
  }
  times_of(waits, &s->clarification_wait);
  return TRUE;
}

static gboolean reopened(OknoDb *db, const OknoReportQuery *q, OknoStats *s, GError **error)
{
  g_autoptr(OknoRows) r = okno_report_query(
      db,
      "SELECT count(*) FILTER (WHERE reopened = 1),"
      " count(*) FILTER (WHERE related <> '')"
      " FROM appeals WHERE ",
      q, TRUE, NULL, error);
  if (!r)
    return FALSE;
  s->reopened = okno_rows_int(r, 0, 0);
  s->repeated = okno_rows_int(r, 0, 1);
  return TRUE;
}

/* `rolled`: the distribution came from the rollup; only the comments are read here. */
static gboolean ratings(OknoDb *db, const OknoReportQuery *q, gboolean rolled, OknoStats *s,
                        GError **error)
{
  g_autoptr(OknoRows) d = rolled ? NULL : okno_report_query(
      db, "SELECT score, count(*) FROM ratings WHERE appeal_id IN (SELECT id FROM appeals WHERE ",
      q, TRUE, ") GROUP BY score", error);
  g_autoptr(OknoRows) c = NULL;
  gint64 sum = 0;
  if (!d && !rolled)
    return FALSE;
  for (guint i = 0; d && i < okno_rows_count(d); i++) {
    gint64 score = okno_rows_int(d, i, 0), n = okno_rows_int(d, i, 1);
    if (score < 1 || score > 5)
      continue;
    s->ratings[score - 1] = n;
    s->rated += n;
    sum += score * n;
  }
  if (!rolled)
    s->rating_avg = s->rated ? (double)sum / (double)s->rated : 0;
  /* newest first along ratings_recent (migration 25), each joined to its appeal and
   * kept when the filter (over the appeal's columns: ratings has none of those names)
   * holds, until there are enough */
  g_autofree char *tail = g_strdup_printf(" ORDER BY r.created_at DESC, r.appeal_id DESC LIMIT %d",
                                          OKNO_STATS_COMMENTS);
  c = okno_report_query(
      db,
      "SELECT a.number, r.score, r.created_at, r.comment FROM ratings r"
      " JOIN appeals a ON a.id = r.appeal_id WHERE r.comment <> '' AND ",
      q, TRUE, tail, error);
  if (!c)
    return FALSE;
  s->comments = g_ptr_array_new_with_free_func(comment_free);
  for (guint i = 0; i < okno_rows_count(c); i++) {
    OknoStatsComment *m;
    if (!okno_rows_text(c, i, 3) || !*okno_rows_text(c, i, 3))
      continue; /* a comment whose key was shredded reads "" */
    m = g_new0(OknoStatsComment, 1);
    m->number = g_strdup(okno_rows_text(c, i, 0));
    m->score = okno_rows_int(c, i, 1);
    m->at = okno_rows_int(c, i, 2);
    m->comment = g_strdup(okno_rows_text(c, i, 3) ? okno_rows_text(c, i, 3) : "");
    g_ptr_array_add(s->comments, m);
  }
  return TRUE;
}

/* "+assignee": not the column itself, so SQLite reads the period's range of the
 * covering index appeals_k_recv (appeals_stats before migration 45) instead of
 * skipping through appeals_assignee_recv and the table (5 times slower at 20,000
 * appeals). */
static gboolean load(OknoDb *db, const OknoReportQuery *q, OknoStats *s, GError **error)
{
  g_autoptr(OknoRows) r = okno_rollup_load_usable(q) ? okno_rollup_load(db, q, error)
                                                      : okno_report_query(
      db,
      "SELECT coalesce(u.login, ''), x.n, x.answered, x.open FROM"
      " (SELECT +assignee AS assignee, count(*) AS n,"
      "  count(*) FILTER (WHERE answered = 1) AS answered,"
      "  count(*) FILTER (WHERE " OKNO_OPEN_SQL ") AS open FROM appeals WHERE ",
      q, TRUE, " GROUP BY 1) x LEFT JOIN users u ON u.id = x.assignee"
               " ORDER BY x.n DESC, 1", error);
  if (!r)
    return FALSE;
  s->load = g_ptr_array_new_with_free_func(load_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoStatsLoad *l = g_new0(OknoStatsLoad, 1);
    l->login = g_strdup(okno_rows_text(r, i, 0) ? okno_rows_text(r, i, 0) : "");
    l->assigned = okno_rows_int(r, i, 1);
    l->answered = okno_rows_int(r, i, 2);
    l->open = okno_rows_int(r, i, 3);
    g_ptr_array_add(s->load, l);
  }
  return TRUE;
}

/* `rolled`: the counts came from the rollup; only the grounds and themes are read here. */
static gboolean formal(OknoDb *db, const OknoReportQuery *q, gboolean rolled, OknoStats *s,
                       GError **error)
{
  OknoReportQuery fq = *q;
  OknoStatsFormal *f = &s->formal;
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(OknoRows) g = NULL;
  g_autofree char *head = g_strdup_printf(
      "SELECT count(*),"
      " count(*) FILTER (WHERE forwarded = 1),"
      " count(*) FILTER (WHERE forwarded_in_time = 1),"
      " count(*) FILTER (WHERE answered_first_at <> 0"
      "   AND answered_first_at <= received_at + %" G_GINT64_FORMAT "),"
      " count(*) FILTER (WHERE extensions > 0)"
      " FROM appeals WHERE ", 30 * DAY_US);
  fq.kind = okno_kind_name(OKNO_KIND_FORMAL);
  if (!rolled) {
    if (!(r = okno_report_query(db, head, &fq, TRUE, NULL, error)))
      return FALSE;
    f->received = okno_rows_int(r, 0, 0);
    f->forwarded = okno_rows_int(r, 0, 1);
    f->forwarded_in_time = okno_rows_int(r, 0, 2);
    f->answered_30 = okno_rows_int(r, 0, 3);
    f->extended = okno_rows_int(r, 0, 4);
  }
  if (!(g = okno_rollup_grounds(db, &fq, error)))
    return FALSE;
  {
    g_autoptr(OknoRows) t = rolled ? okno_rollup_themes(db, &fq, error) : okno_report_query(
        db, "SELECT coalesce(t.code, ''), count(*) FROM appeals LEFT JOIN appeal_themes t"
            " ON t.appeal_id = appeals.id WHERE ", &fq, TRUE, " GROUP BY 1", error);
    if (!t)
      return FALSE;
    f->themes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; i < okno_rows_count(t); i++)
      g_hash_table_insert(f->themes, g_strdup(okno_rows_text(t, i, 0) ? okno_rows_text(t, i, 0) : ""),
                          g_memdup2(&(gint64){okno_rows_int(t, i, 1)}, sizeof(gint64)));
  }
  f->grounds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < okno_rows_count(g); i++) {
    g_autoptr(JsonParser) p = json_parser_new();
    const char *ground = NULL;
    gint64 *n;
    JsonNode *root;
    if (json_parser_load_from_data(p, okno_rows_text(g, i, 0), -1, NULL) &&
        (root = json_parser_get_root(p)) && JSON_NODE_HOLDS_OBJECT(root))
      ground = json_object_get_string_member_with_default(json_node_get_object(root), "ground", NULL);
    if (!ground)
      ground = "";
    if (!(n = g_hash_table_lookup(f->grounds, ground)))
      g_hash_table_insert(f->grounds, g_strdup(ground), (n = g_new0(gint64, 1)));
    (*n)++;
    f->unanswered++;
  }
  return TRUE;
}

gboolean okno_store_stats(OknoStore *st, const OknoReportQuery *q, gboolean weekly,
                          const OknoCalendar *cal, OknoStats *s, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gboolean rolled = okno_rollup_usable(q), ok;
  memset(s, 0, sizeof *s);
  if (rolled)
    ok = okno_rollup_sync(st, cal, error) && okno_rollup_stats(db, q, weekly, s, error) &&
         okno_rollup_times(db, q, &s->first_answer, &s->closing, error);
  else
    ok = okno_store_report(st, q, &s->report, error) && series(db, q, weekly, s, error) &&
         reopened(db, q, s, error) && durations(db, q, cal, s, error);
  if (!ok || !backlog(db, q, s, error) ||
      !clarifications(db, q, cal, s, error) || !ratings(db, q, rolled, s, error) ||
      !load(db, q, s, error) || !formal(db, q, rolled, s, error)) {
    okno_stats_clear(s);
    return FALSE;
  }
  return TRUE;
}

void okno_stats_clear(OknoStats *s)
{
  okno_report_clear(&s->report);
  g_clear_pointer(&s->series, g_array_unref);
  g_clear_pointer(&s->comments, g_ptr_array_unref);
  g_clear_pointer(&s->load, g_ptr_array_unref);
  g_clear_pointer(&s->formal.grounds, g_hash_table_destroy);
  g_clear_pointer(&s->formal.themes, g_hash_table_destroy);
}

gboolean okno_store_appeal_theme_set(OknoStore *st, gint64 appeal_id, const char *code,
                                     gint64 at, const char *by, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO appeal_themes(appeal_id, code, set_at, set_by) VALUES($1, $2, $3, $4)"
                      " ON CONFLICT(appeal_id) DO UPDATE SET code = excluded.code,"
                      " set_at = excluded.set_at, set_by = excluded.set_by",
                      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_TEXT(code), OKNO_INT(at),
                                  OKNO_TEXT(by ? by : "")),
                      error);
}

char *okno_store_appeal_theme_get(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st),
                                        "SELECT code FROM appeal_themes WHERE appeal_id = $1",
                                        OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  if (!r)
    return NULL;
  return g_strdup(okno_rows_count(r) && okno_rows_text(r, 0, 0) ? okno_rows_text(r, 0, 0) : "");
}

gboolean okno_store_stats_mail_claim(OknoStore *st, gint64 week, gint64 now, gboolean *won,
                                     GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "INSERT INTO stats_mail_weeks(week, sent_at) VALUES($1, $2) ON CONFLICT(week) DO NOTHING "
      "RETURNING week",
      OKNO_PARAMS(OKNO_INT(week), OKNO_INT(now)), error);
  if (!r)
    return FALSE;
  *won = okno_rows_count(r) > 0;
  return TRUE;
}
