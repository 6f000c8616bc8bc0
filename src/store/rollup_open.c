/* rollup_open.c: the backlog by age, the load per operator and the 59-FZ themes from
 * the rollups of migration 27, and the art. 11 grounds along their partial index
 * (rollup_open.h). The backlog's few days cut by a band's edge, and the reference
 * (`exact`), are counted from the appeal rows with one statement of FILTER
 * aggregates. */
#include "store/rollup_open.h"

#include "store/appeal_row.h"
#include "store/rollup.h"

#define DAY_US (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)
#define MSK_US (G_GINT64_CONSTANT(3 * 3600) * G_USEC_PER_SEC) /* Moscow: UTC+3, no DST */

static const gint64 edges[OKNO_BACKLOG_BANDS - 1] = {1, 3, 7, 30}; /* days */

/* The band of an appeal received at `t`: how many edges lie at or after it. */
static int band_of(gint64 now, gint64 t)
{
  int b = 0;
  for (int i = 0; i < OKNO_BACKLOG_BANDS - 1; i++)
    b += t <= now - edges[i] * DAY_US;
  return b;
}

/* The open, queued appeals of q by band, counted from the rows; `where` narrows them
 * further (NULL: none). */
static gboolean backlog_rows(OknoDb *db, const OknoReportQuery *q, const char *where,
                             gint64 out[OKNO_BACKLOG_BANDS], GError **error)
{
  g_autoptr(GString) head = g_string_new("SELECT ");
  g_autoptr(OknoRows) r = NULL;
  for (int i = 0; i < OKNO_BACKLOG_BANDS; i++) {
    g_string_append_printf(head, "%scount(*) FILTER (WHERE 1 = 1", i ? ", " : "");
    if (i < OKNO_BACKLOG_BANDS - 1)
      g_string_append_printf(head, " AND received_at > %" G_GINT64_FORMAT,
                             q->now - edges[i] * DAY_US);
    if (i > 0)
      g_string_append_printf(head, " AND received_at <= %" G_GINT64_FORMAT,
                             q->now - edges[i - 1] * DAY_US);
    g_string_append(head, ")");
  }
  g_string_append_printf(head, " FROM appeals WHERE " OKNO_LIVE_SQL " AND %s AND ",
                         where ? where : "1 = 1");
  r = okno_report_query(db, head->str, q, FALSE, NULL, error);
  if (!r)
    return FALSE;
  for (int i = 0; i < OKNO_BACKLOG_BANDS; i++)
    out[i] += okno_rows_int(r, 0, (guint)i);
  return TRUE;
}

gboolean okno_rollup_backlog(OknoDb *db, const OknoReportQuery *q, gboolean exact,
                             gint64 backlog[OKNO_BACKLOG_BANDS], GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GString) cut = g_string_new(NULL);
  for (int i = 0; i < OKNO_BACKLOG_BANDS; i++)
    backlog[i] = 0;
  if (exact)
    return backlog_rows(db, q, NULL, backlog, error);
  r = okno_report_query(db, "SELECT day, " OKNO_SUM(n) " FROM stats_open WHERE ", q, FALSE,
                        " GROUP BY day", error);
  if (!r)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    gint64 day = okno_rows_int(r, i, 0), first = day * DAY_US - MSK_US;
    int b = band_of(q->now, first);
    if (b == band_of(q->now, first + DAY_US - 1)) {
      backlog[b] += okno_rows_int(r, i, 1);
      continue;
    }
    g_string_append_printf(cut, "%s(received_at >= %" G_GINT64_FORMAT " AND received_at < %"
                           G_GINT64_FORMAT ")", cut->len ? " OR " : "(", first, first + DAY_US);
  }
  if (!cut->len)
    return TRUE;
  g_string_append(cut, ")");
  return backlog_rows(db, q, cut->str, backlog, error);
}

gboolean okno_rollup_load_usable(const OknoReportQuery *q)
{
  return okno_rollup_usable(q) && (!q->channel || !*q->channel) &&
         (!q->category || !*q->category) && (!q->kind || !*q->kind) &&
         (!q->sla_class || !*q->sla_class);
}

OknoRows *okno_rollup_load(OknoDb *db, const OknoReportQuery *q, GError **error)
{
  return okno_rollup_query(
      db,
      "SELECT coalesce(u.login, ''), x.n, x.answered, x.open FROM"
      " (SELECT assignee, " OKNO_SUM(n) " AS n, " OKNO_SUM(answered) " AS answered, "
      OKNO_SUM(open) " AS open"
      " FROM stats_load WHERE ",
      q, " GROUP BY assignee) x LEFT JOIN users u ON u.id = x.assignee WHERE x.n > 0"
         " ORDER BY x.n DESC, 1", error);
}

OknoRows *okno_rollup_themes(OknoDb *db, const OknoReportQuery *q, GError **error)
{
  OknoReportQuery tq = *q;
  tq.kind = NULL;
  return okno_rollup_query(db, "SELECT theme, " OKNO_SUM(n) " FROM stats_themes WHERE ", &tq,
                           " GROUP BY theme HAVING " OKNO_SUM(n) " > 0", error);
}

OknoRows *okno_rollup_grounds(OknoDb *db, const OknoReportQuery *q, GError **error)
{
  /* the events first (CROSS JOIN keeps SQLite's order), each appeal by its key */
  return okno_report_query(
      db,
      "SELECT x.detail FROM (SELECT appeal_id AS a_id, detail FROM events"
      " WHERE kind = 'left_unanswered') x CROSS JOIN appeals WHERE appeals.id = x.a_id AND ",
      q, TRUE, NULL, error);
}
