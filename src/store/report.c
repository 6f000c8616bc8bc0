/* report.c: the store's figures for /metrics, /readyz and `okno report` (report.h).
 * Every count is one statement over an index or a counter table, so a scrape costs
 * the same at a thousand appeals as at a million. */
#include "store/report.h"

#include <string.h>

#include "core/error.h"
#include "store/appeal_row.h"
#include "store/db.h"
#include "store/migrations.h"
#include "store/rollup.h"

gboolean okno_store_gauges(OknoStore *st, gint64 now, OknoStoreGauges *g, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) q = NULL;
  g_autoptr(OknoRows) o = NULL;
  g_autoptr(OknoRows) s = NULL;
  memset(g, 0, sizeof *g);
  q = okno_db_query(db, "SELECT count(*), coalesce(min(created_at), 0) FROM outbound "
                        "WHERE state = 'queued'", OKNO_NO_PARAMS, error);
  if (!q)
    return FALSE;
  g->outbound_queued = okno_rows_int(q, 0, 0);
  g->outbound_oldest_at = okno_rows_int(q, 0, 1);
  o = okno_db_query(db, "SELECT count(*) FROM appeals WHERE " OKNO_LIVE_SQL " AND due < $1",
                    OKNO_PARAMS(OKNO_INT(now)), error);
  if (!o)
    return FALSE;
  g->overdue = okno_rows_int(o, 0, 0);
  s = okno_db_query(db, "SELECT status, sum(n) FROM appeal_counts GROUP BY status",
                    OKNO_NO_PARAMS, error);
  if (!s)
    return FALSE;
  g->by_status = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < okno_rows_count(s); i++)
    g_hash_table_insert(g->by_status, g_strdup(okno_rows_text(s, i, 0)),
                        g_memdup2(&(gint64){okno_rows_int(s, i, 1)}, sizeof(gint64)));
  return TRUE;
}

void okno_store_gauges_clear(OknoStoreGauges *g)
{
  g_clear_pointer(&g->by_status, g_hash_table_destroy);
}

gboolean okno_store_ready(OknoStore *st, GError **error)
{
  guint steps = 0;
  gint64 version = 0;
  okno_migrations(okno_store_db(st)->driver->name, &steps);
  if (!okno_store_schema_version(st, &version, error))
    return FALSE;
  if (version != (gint64)steps) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP,
                "schema version %" G_GINT64_FORMAT ", this build needs %u", version, steps);
    return FALSE;
  }
  return TRUE;
}

void okno_report_filter(const OknoReportQuery *q, gboolean period, GString *sql,
                        GArray *params)
{
  struct { const char *column, *value; } eq[] = {
    {"department", q->department}, {"channel", q->channel}, {"category", q->category},
    {"kind", q->kind}, {"sla_class", q->sla_class},
  };
  g_string_append(sql, "1 = 1");
  if (period) {
    g_string_append_printf(sql, " AND received_at >= $%u AND received_at < $%u",
                           params->len + 1, params->len + 2);
    g_array_append_val(params, OKNO_INT(q->from));
    g_array_append_val(params, OKNO_INT(q->to));
  }
  for (gsize i = 0; i < G_N_ELEMENTS(eq); i++) {
    /* department "" is the triage queue; the other filters take "" as "any" */
    if (!eq[i].value || (i > 0 && !*eq[i].value))
      continue;
    g_string_append_printf(sql, " AND %s = $%u", eq[i].column, params->len + 1);
    g_array_append_val(params, OKNO_TEXT(eq[i].value));
  }
  if (q->departments) {
    if (!q->departments[0]) {
      g_string_append(sql, " AND 1 = 0");
      return;
    }
    g_string_append(sql, " AND department IN (");
    for (guint i = 0; q->departments[i]; i++) {
      g_string_append_printf(sql, "%s$%u", i ? ", " : "", params->len + 1);
      g_array_append_val(params, OKNO_TEXT(q->departments[i]));
    }
    g_string_append(sql, ")");
  }
}

OknoRows *okno_report_query(OknoDb *db, const char *head, const OknoReportQuery *q,
                            gboolean period, const char *tail, GError **error)
{
  g_autoptr(GString) sql = g_string_new(head);
  g_autoptr(GArray) params = g_array_new(FALSE, FALSE, sizeof(OknoParam));
  okno_report_filter(q, period, sql, params);
  g_string_append(sql, tail ? tail : "");
  return okno_db_query(db, sql->str, (const OknoParam *)params->data, params->len, error);
}

static GHashTable *counts_by(OknoDb *db, const char *column, const OknoReportQuery *q,
                             GError **error)
{
  g_autofree char *head = g_strdup_printf("SELECT %s, count(*) FROM appeals WHERE ", column);
  g_autofree char *tail = g_strdup_printf(" GROUP BY %s", column);
  g_autoptr(OknoRows) r = okno_report_query(db, head, q, TRUE, tail, error);
  GHashTable *h;
  if (!r)
    return NULL;
  h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_hash_table_insert(h, g_strdup(okno_rows_text(r, i, 0) ? okno_rows_text(r, i, 0) : ""),
                        g_memdup2(&(gint64){okno_rows_int(r, i, 1)}, sizeof(gint64)));
  return h;
}

gboolean okno_store_report(OknoStore *st, const OknoReportQuery *q, OknoReport *r,
                           GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) t = NULL;
  /* now is a literal: the filter's parameters are numbered from $1 */
  g_autofree char *head = g_strdup_printf(
      "SELECT count(*), count(*) FILTER (WHERE answered = 1),"
      " count(*) FILTER (WHERE answered = 1 AND overdue = 0),"
      " count(*) FILTER (WHERE overdue = 1 OR (" OKNO_OPEN_SQL " AND deadline <> 0"
      "   AND deadline < %" G_GINT64_FORMAT ")),"
      " count(*) FILTER (WHERE " OKNO_OPEN_SQL "),"
      " count(*) FILTER (WHERE status = 'withdrawn')"
      " FROM appeals WHERE ", q->now);
  if (okno_rollup_usable(q))
    return okno_rollup_report(db, q, r, error);
  memset(r, 0, sizeof *r);
  t = okno_report_query(db, head, q, TRUE, NULL, error);
  if (!t)
    return FALSE;
  r->received = okno_rows_int(t, 0, 0);
  r->answered = okno_rows_int(t, 0, 1);
  r->on_time = okno_rows_int(t, 0, 2);
  r->overdue = okno_rows_int(t, 0, 3);
  r->open = okno_rows_int(t, 0, 4);
  r->withdrawn = okno_rows_int(t, 0, 5);
  if (!(r->by_channel = counts_by(db, "channel", q, error)) ||
      !(r->by_category = counts_by(db, "category", q, error)) ||
      !(r->by_department = counts_by(db, "department", q, error))) {
    okno_report_clear(r);
    return FALSE;
  }
  return TRUE;
}

void okno_report_clear(OknoReport *r)
{
  g_clear_pointer(&r->by_channel, g_hash_table_destroy);
  g_clear_pointer(&r->by_category, g_hash_table_destroy);
  g_clear_pointer(&r->by_department, g_hash_table_destroy);
}
