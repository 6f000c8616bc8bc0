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
