/* access.c: the staff access journal's rows and their leaves (see access.h). */
#include "store/access.h"

#include "core/clock.h"
#include "store/db.h"
#include "store/journal.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

void okno_access_row_free(OknoAccessRow *r)
{
  if (!r)
    return;
  g_free(r->login);
  g_free(r->role);
  g_free(r->department);
  g_free(r->ip);
  g_free(r->action);
  g_free(r->number);
  g_free(r->detail);
  g_free(r);
}

gboolean okno_store_access_add(OknoStore *st, OknoAccessRow *r, GError **error)
{
  g_autoptr(OknoRows) rows = NULL;
  if (!r->at)
    r->at = okno_now();
  rows = okno_db_query(
      okno_store_db(st),
      "INSERT INTO access_log(at, user_id, login, role, department, ip, action, appeal_id, "
      "detail) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
      OKNO_PARAMS(OKNO_INT(r->at), OKNO_INT(r->user_id), T(r->login), T(r->role),
                  T(r->department), T(r->ip), T(r->action), OKNO_INT(r->appeal_id),
                  T(r->detail)),
      error);
  if (!rows)
    return FALSE;
  r->id = okno_rows_int(rows, 0, 0);
  return okno_store_journal_access(st, r, error);
}

gboolean okno_store_access_record(OknoStore *st, OknoAccessRow *r, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gboolean sqlite = okno_db_is_sqlite(db), ok;
  if (sqlite && !okno_db_script(db, "PRAGMA synchronous=NORMAL", error))
    return FALSE;
  ok = okno_store_begin(st, error) &&
       (sqlite || okno_db_script(db, "SET LOCAL synchronous_commit = off", error)) &&
       okno_store_access_add(st, r, error) && okno_store_commit(st, error);
  if (!ok)
    okno_store_rollback(st);
  if (sqlite && !okno_db_script(db, "PRAGMA synchronous=FULL", ok ? error : NULL))
    return FALSE;
  return ok;
}

GPtrArray *okno_store_access_list(OknoStore *st, gint64 appeal_id, gint64 user_id,
                                  guint limit, GError **error)
{
  g_autoptr(OknoRows) rows = okno_db_query(
      okno_store_db(st),
      "SELECT l.id, l.at, l.user_id, l.login, l.role, l.department, l.ip, l.action, "
      "l.appeal_id, coalesce(a.number, ''), l.detail FROM access_log l "
      "LEFT JOIN appeals a ON a.id = l.appeal_id "
      "WHERE ($1 = 0 OR l.appeal_id = $1) AND ($2 = 0 OR l.user_id = $2) "
      "ORDER BY l.id DESC LIMIT $3",
      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(user_id), OKNO_INT(limit)), error);
  GPtrArray *out;
  if (!rows)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_access_row_free);
  for (guint i = 0; i < okno_rows_count(rows); i++) {
    OknoAccessRow *r = g_new0(OknoAccessRow, 1);
    r->id = okno_rows_int(rows, i, 0);
    r->at = okno_rows_int(rows, i, 1);
    r->user_id = okno_rows_int(rows, i, 2);
    r->login = g_strdup(okno_rows_text(rows, i, 3));
    r->role = g_strdup(okno_rows_text(rows, i, 4));
    r->department = g_strdup(okno_rows_text(rows, i, 5));
    r->ip = g_strdup(okno_rows_text(rows, i, 6));
    r->action = g_strdup(okno_rows_text(rows, i, 7));
    r->appeal_id = okno_rows_int(rows, i, 8);
    r->number = g_strdup(okno_rows_text(rows, i, 9));
    r->detail = g_strdup(okno_rows_text(rows, i, 10));
    g_ptr_array_add(out, r);
  }
  return out;
}
