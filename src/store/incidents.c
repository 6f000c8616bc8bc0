/* incidents.c (store): mass incidents and their appeals (see incidents.h;
 * docs/incidents.md). Portable SQL over db.h. */
#include "store/incidents.h"

#include "core/error.h"
#include "store/appeal_row.h"
#include "store/db.h"

void okno_incident_free(OknoIncident *x)
{
  if (!x)
    return;
  g_free(x->department);
  g_free(x->title);
  g_free(x->closed_by);
  g_free(x);
}

void okno_incident_item_free(OknoIncidentItem *x)
{
  if (!x)
    return;
  g_free(x->department);
  g_free(x->terms);
  g_free(x);
}

gboolean okno_store_incident_claim(OknoStore *st, gint64 now, gint64 interval_us,
                                   gboolean *won, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE incident_state SET ran_at = $1 WHERE one = 1 AND ran_at <= $2 RETURNING one",
      OKNO_PARAMS(OKNO_INT(now), OKNO_INT(now - interval_us)), error);
  if (!r)
    return FALSE;
  *won = okno_rows_count(r) > 0;
  return TRUE;
}

/* The item columns of appeal a; the incident it is in (removed or not, the newest). */
#define ITEM_COLUMNS                                                                     \
  "a.id, a.received_at, a.department, a.subject_terms || ' ' ||"                        \
  " COALESCE((SELECT m.text_terms FROM messages m WHERE m.appeal_id = a.id"             \
  "   AND m.direction = 'in' ORDER BY m.id LIMIT 1), ''),"                              \
  " COALESCE((SELECT MAX(i.incident_id) FROM incident_appeals i WHERE i.appeal_id = a.id), 0)"

static GPtrArray *items_of(OknoRows *r)
{
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_incident_item_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoIncidentItem *x = g_new0(OknoIncidentItem, 1);
    x->appeal_id = okno_rows_int(r, i, 0);
    x->received_at = okno_rows_int(r, i, 1);
    x->department = g_strdup(okno_rows_text(r, i, 2));
    x->terms = g_strdup(okno_rows_text(r, i, 3));
    x->incident = okno_rows_int(r, i, 4);
    g_ptr_array_add(out, x);
  }
  return out;
}

GPtrArray *okno_store_incident_items(OknoStore *st, gint64 from, gint64 to, gint64 limit,
                                     GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT " ITEM_COLUMNS " FROM appeals a WHERE a.received_at >= $1 AND a.received_at < $2"
      " AND a." OKNO_QUEUED_SQL " ORDER BY a.received_at, a.id LIMIT $3",
      OKNO_PARAMS(OKNO_INT(from), OKNO_INT(to), OKNO_INT(limit)), error);
  return items_of(r);
}

GPtrArray *okno_store_incident_members(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT " ITEM_COLUMNS " FROM appeals a JOIN incident_appeals j ON j.appeal_id = a.id"
      " WHERE j.incident_id = $1 AND j.removed = 0 ORDER BY a.received_at, a.id",
      OKNO_PARAMS(OKNO_INT(id)), error);
  return items_of(r);
}

gint64 okno_store_incident_create(OknoStore *st, const char *department, gint64 first_appeal,
                                  gint64 window_count, double usual, gint64 now, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "INSERT INTO incidents(status, department, first_appeal, appeals, window_count,"
      " usual_milli, created_at, updated_at) VALUES('open', $1, $2, 0, $3, $4, $5, $5)"
      " RETURNING id",
      OKNO_PARAMS(OKNO_TEXT(department ? department : ""), OKNO_INT(first_appeal),
                  OKNO_INT(window_count), OKNO_INT((gint64)(usual * 1000 + 0.5)),
                  OKNO_INT(now)),
      error);
  return r && okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
}

static gboolean recount(OknoDb *db, gint64 id, gint64 now, GError **error)
{
  return okno_db_exec(db,
                      "UPDATE incidents SET appeals = (SELECT COUNT(*) FROM incident_appeals"
                      " WHERE incident_id = $1 AND removed = 0), updated_at = $2 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(now)), error);
}

gboolean okno_store_incident_add(OknoStore *st, gint64 id, gint64 appeal_id, const char *by,
                                 gint64 now, gboolean *added, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gint64 other = okno_store_incident_of(st, appeal_id, error);
  g_autoptr(OknoRows) r = NULL;
  *added = FALSE;
  if (error && *error)
    return FALSE;
  if (other == id)
    return TRUE;
  if (other) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Обращение уже входит в массовый инцидент № %" G_GINT64_FORMAT ".", other);
    return FALSE;
  }
  r = okno_db_query(db,
                    "INSERT INTO incident_appeals(incident_id, appeal_id, removed, added_by,"
                    " added_at) VALUES($1, $2, 0, $3, $4) ON CONFLICT(incident_id, appeal_id)"
                    " DO UPDATE SET removed = 0, added_by = $3, added_at = $4 RETURNING appeal_id",
                    OKNO_PARAMS(OKNO_INT(id), OKNO_INT(appeal_id), OKNO_TEXT(by), OKNO_INT(now)),
                    error);
  if (!r)
    return FALSE;
  *added = TRUE;
  return recount(db, id, now, error);
}

gboolean okno_store_incident_remove(OknoStore *st, gint64 id, gint64 appeal_id, gint64 now,
                                    gboolean *removed, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) r = okno_db_query(
      db,
      "UPDATE incident_appeals SET removed = 1 WHERE incident_id = $1 AND appeal_id = $2"
      " AND removed = 0 RETURNING appeal_id",
      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(appeal_id)), error);
  if (!r)
    return FALSE;
  *removed = okno_rows_count(r) > 0;
  return !*removed || recount(db, id, now, error);
}

gboolean okno_store_incident_close(OknoStore *st, gint64 id, const char *by, gint64 now,
                                   gboolean *closed, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE incidents SET status = 'closed', closed_at = $2, closed_by = $3, updated_at = $2"
      " WHERE id = $1 AND status = 'open' RETURNING id",
      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(now), OKNO_TEXT(by)), error);
  if (!r)
    return FALSE;
  *closed = okno_rows_count(r) > 0;
  return TRUE;
}

gboolean okno_store_incident_answered(OknoStore *st, gint64 id, gint64 now, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE incidents SET answered_at = $2, updated_at = $2 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(now)), error);
}

#define COLUMNS                                                                          \
  "x.id, x.status, x.department, x.first_appeal, COALESCE(a.subject, ''), x.appeals,"    \
  " x.window_count, x.usual_milli, x.created_at, x.updated_at, x.closed_at, x.answered_at," \
  " x.closed_by FROM incidents x LEFT JOIN appeals a ON a.id = x.first_appeal"

static OknoIncident *incident_at(OknoRows *r, guint i)
{
  OknoIncident *x = g_new0(OknoIncident, 1);
  x->id = okno_rows_int(r, i, 0);
  x->open = g_strcmp0(okno_rows_text(r, i, 1), "open") == 0;
  x->department = g_strdup(okno_rows_text(r, i, 2));
  x->first_appeal = okno_rows_int(r, i, 3);
  x->title = g_strdup(okno_rows_text(r, i, 4));
  x->appeals = okno_rows_int(r, i, 5);
  x->window_count = okno_rows_int(r, i, 6);
  x->usual = okno_rows_int(r, i, 7) / 1000.0;
  x->created_at = okno_rows_int(r, i, 8);
  x->updated_at = okno_rows_int(r, i, 9);
  x->closed_at = okno_rows_int(r, i, 10);
  x->answered_at = okno_rows_int(r, i, 11);
  x->closed_by = g_strdup(okno_rows_text(r, i, 12));
  return x;
}

OknoIncident *okno_store_incident_get(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), "SELECT " COLUMNS " WHERE x.id = $1",
                                        OKNO_PARAMS(OKNO_INT(id)), error);
  return r && okno_rows_count(r) ? incident_at(r, 0) : NULL;
}

GPtrArray *okno_store_incident_list(OknoStore *st, gboolean open_only, gint64 limit,
                                    GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      open_only ? "SELECT " COLUMNS " WHERE x.status = 'open' ORDER BY x.id DESC LIMIT $1"
                : "SELECT " COLUMNS " ORDER BY x.status DESC, x.id DESC LIMIT $1",
      OKNO_PARAMS(OKNO_INT(limit)), error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_incident_free);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_ptr_array_add(out, incident_at(r, i));
  return out;
}

GArray *okno_store_incident_appeal_ids(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT j.appeal_id FROM incident_appeals j JOIN appeals a ON a.id = j.appeal_id"
      " WHERE j.incident_id = $1 AND j.removed = 0 ORDER BY a.received_at, a.id",
      OKNO_PARAMS(OKNO_INT(id)), error);
  return okno_rows_ints(r, 0);
}

gint64 okno_store_incident_of(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT j.incident_id FROM incident_appeals j JOIN incidents x ON x.id = j.incident_id"
      " WHERE j.appeal_id = $1 AND j.removed = 0 AND x.status = 'open' ORDER BY j.incident_id"
      " DESC LIMIT 1",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  return r && okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
}
