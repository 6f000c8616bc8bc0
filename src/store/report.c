/* report.c: the store's figures for /metrics, /readyz and `okno report` (report.h).
 * Every count is one statement over an index or a counter table, so a scrape costs
 * the same at a thousand appeals as at a million. */
#include "store/report.h"

#include <string.h>

#include "core/error.h"
#include "store/appeal_row.h"
#include "store/db.h"
#include "store/migrations.h"

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

/* The period's condition; $1 from, $2 to, $3 department ("" with $4 = 0: any). */
#define PERIOD_SQL "received_at >= $1 AND received_at < $2 AND ($4 = 0 OR department = $3)"

static GHashTable *counts_by(OknoDb *db, const char *column, const OknoReportQuery *q,
                             GError **error)
{
  g_autofree char *sql = g_strdup_printf("SELECT %s, count(*) FROM appeals WHERE " PERIOD_SQL
                                         " GROUP BY %s", column, column);
  g_autoptr(OknoRows) r = okno_db_query(
      db, sql,
      OKNO_PARAMS(OKNO_INT(q->from), OKNO_INT(q->to), OKNO_TEXT(q->department ? q->department : ""),
                  OKNO_INT(q->department ? 1 : 0)),
      error);
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
  memset(r, 0, sizeof *r);
  t = okno_db_query(
      db,
      "SELECT count(*), count(*) FILTER (WHERE answered = 1),"
      " count(*) FILTER (WHERE answered = 1 AND overdue = 0),"
      " count(*) FILTER (WHERE overdue = 1 OR (" OKNO_OPEN_SQL " AND deadline <> 0"
      "   AND deadline < $5)),"
      " count(*) FILTER (WHERE " OKNO_OPEN_SQL ")"
      " FROM appeals WHERE " PERIOD_SQL,
      OKNO_PARAMS(OKNO_INT(q->from), OKNO_INT(q->to), OKNO_TEXT(q->department ? q->department : ""),
                  OKNO_INT(q->department ? 1 : 0), OKNO_INT(q->now)),
      error);
  if (!t)
    return FALSE;
  r->received = okno_rows_int(t, 0, 0);
  r->answered = okno_rows_int(t, 0, 1);
  r->on_time = okno_rows_int(t, 0, 2);
  r->overdue = okno_rows_int(t, 0, 3);
  r->open = okno_rows_int(t, 0, 4);
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
