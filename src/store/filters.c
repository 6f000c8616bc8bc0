/* filters.c (store): an operator's saved queue filters (filters.h). Portable SQL over
 * db.h, table saved_filters (migration step 18). */
#include "store/filters.h"

#include "core/clock.h"
#include "core/error.h"

static const OknoField filter_fields[] = {
  OKNO_FIELD(OknoSavedFilter, id, "id", OKNO_F_INT),
  OKNO_FIELD(OknoSavedFilter, user_id, "user_id", OKNO_F_INT),
  OKNO_FIELD(OknoSavedFilter, name, "name", OKNO_F_TEXT),
  OKNO_FIELD(OknoSavedFilter, query, "query", OKNO_F_TEXT),
};
static const OknoRecordType filter_type =
    OKNO_RECORD_TYPE(OknoSavedFilter, filter_fields, okno_saved_filter_free);

void okno_saved_filter_free(OknoSavedFilter *f)
{
  okno_record_free(&filter_type, f);
}

gboolean okno_store_filter_save(OknoStore *st, gint64 user_id, const char *name,
                                const char *query, gint64 *id, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) n = okno_db_query(
      db, "SELECT count(*) FROM saved_filters WHERE user_id = $1 AND name <> $2",
      OKNO_PARAMS(OKNO_INT(user_id), OKNO_TEXT(name)), error);
  g_autoptr(OknoRows) r = NULL;
  if (!n)
    return FALSE;
  if (okno_rows_int(n, 0, 0) >= OKNO_SAVED_FILTERS_MAX) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Сохранить можно не больше %d фильтров: удалите ненужный.", OKNO_SAVED_FILTERS_MAX);
    return FALSE;
  }
  r = okno_db_query(db,
                    "INSERT INTO saved_filters(user_id, name, query, created_at) "
                    "VALUES($1, $2, $3, $4) ON CONFLICT (user_id, name) "
                    "DO UPDATE SET query = excluded.query RETURNING id",
                    OKNO_PARAMS(OKNO_INT(user_id), OKNO_TEXT(name), OKNO_TEXT(query),
                                OKNO_INT(okno_now())),
                    error);
  if (!r)
    return FALSE;
  *id = okno_rows_int(r, 0, 0);
  return TRUE;
}

GPtrArray *okno_store_filter_list(OknoStore *st, gint64 user_id, GError **error)
{
  static gsize sql;
  return okno_db_records(okno_store_db(st),
                         okno_record_sql(&sql, "SELECT ", &filter_type,
                                         " FROM saved_filters WHERE user_id = $1 ORDER BY name, id"),
                         OKNO_PARAMS(OKNO_INT(user_id)), &filter_type, error);
}

gboolean okno_store_filter_remove(OknoStore *st, gint64 user_id, gint64 id, gboolean *found,
                                  GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "DELETE FROM saved_filters WHERE id = $1 AND user_id = $2 RETURNING id",
      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(user_id)), error);
  if (!r)
    return FALSE;
  *found = okno_rows_count(r) > 0;
  return TRUE;
}
