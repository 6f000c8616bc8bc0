/* appeals.c: the appeal record's operations beyond insert, read and update (which
 * are still in store.c): assignment, merging and splitting under optimistic locking
 * (see appeals.h). Portable SQL over db.h; transactions belong to the callers. */
#include "store/appeals.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

gboolean okno_store_appeal_assign(OknoStore *st, gint64 id, gint64 version,
                                  const char *department, gint64 assignee,
                                  gint64 *new_version, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE appeals SET department = $3, assignee = $4, version = version + 1, updated_at = $5 "
      "WHERE id = $1 AND ($2 = 0 OR version = $2) RETURNING version",
      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(version), T(department),
                  assignee ? OKNO_INT(assignee) : OKNO_NULL, OKNO_INT(okno_now())),
      error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    return FALSE;
  }
  if (new_version)
    *new_version = okno_rows_int(r, 0, 0);
  return TRUE;
}

gboolean okno_store_appeal_merge(OknoStore *st, gint64 dup_id, gint64 dup_version,
                                 gint64 target_id, const char *target_number,
                                 gint64 *target_version, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gint64 now = okno_now();
  g_autoptr(OknoRows) dup = okno_db_query(
      db,
      "UPDATE appeals SET status = 'closed', related = $3, version = version + 1, "
      "updated_at = $4 WHERE id = $1 AND version = $2 RETURNING version",
      OKNO_PARAMS(OKNO_INT(dup_id), OKNO_INT(dup_version), T(target_number), OKNO_INT(now)),
      error);
  g_autoptr(OknoRows) target = NULL;
  if (!dup)
    return FALSE;
  if (!okno_rows_count(dup)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    return FALSE;
  }
  if (!okno_db_exec(db, "UPDATE messages SET appeal_id = $2 WHERE appeal_id = $1",
                    OKNO_PARAMS(OKNO_INT(dup_id), OKNO_INT(target_id)), error))
    return FALSE;
  target = okno_db_query(db,
                         "UPDATE appeals SET version = version + 1, updated_at = $2 "
                         "WHERE id = $1 RETURNING version",
                         OKNO_PARAMS(OKNO_INT(target_id), OKNO_INT(now)), error);
  if (!target)
    return FALSE;
  if (target_version && okno_rows_count(target))
    *target_version = okno_rows_int(target, 0, 0);
  return TRUE;
}

gboolean okno_store_appeal_split(OknoStore *st, gint64 from_id, gint64 from_version,
                                 const gint64 *indexes, guint n, OknoAppeal *fresh,
                                 gint64 *new_from_version, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gint64 now = okno_now();
  g_autoptr(OknoRows) msgs = NULL, from = NULL;
  g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  guint inbound = 0;
  if (n == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Отметьте входящие сообщения для выделения.");
    return FALSE;
  }
  from = okno_db_query(db,
                       "UPDATE appeals SET version = version + 1, updated_at = $3 "
                       "WHERE id = $1 AND version = $2 RETURNING version",
                       OKNO_PARAMS(OKNO_INT(from_id), OKNO_INT(from_version), OKNO_INT(now)),
                       error);
  if (!from)
    return FALSE;
  if (!okno_rows_count(from)) {
    g_set_error_literal(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    return FALSE;
  }
  msgs = okno_db_query(db, "SELECT id, direction FROM messages WHERE appeal_id = $1 ORDER BY id",
                       OKNO_PARAMS(OKNO_INT(from_id)), error);
  if (!msgs)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(msgs); i++)
    inbound += strcmp(okno_rows_text(msgs, i, 1), "in") == 0;
  for (guint i = 0; i < n; i++) {
    gint64 id;
    gboolean seen = FALSE;
    if (indexes[i] < 1 || indexes[i] > (gint64)okno_rows_count(msgs) ||
        strcmp(okno_rows_text(msgs, (guint)indexes[i] - 1, 1), "in") != 0) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "Выделить можно только входящие сообщения этого обращения.");
      return FALSE;
    }
    id = okno_rows_int(msgs, (guint)indexes[i] - 1, 0);
    for (guint j = 0; j < ids->len; j++)
      seen |= g_array_index(ids, gint64, j) == id;
    if (!seen)
      g_array_append_val(ids, id);
  }
  if (ids->len >= inbound) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Нельзя выделить все входящие сообщения: в обращении должно остаться хотя бы одно.");
    return FALSE;
  }
  if (!okno_store_appeal_insert(st, fresh, error) ||
      (((fresh->department && *fresh->department) || fresh->assignee) &&
       !okno_store_appeal_assign(st, fresh->id, 0, fresh->department, fresh->assignee,
                                 &fresh->version, error)))
    return FALSE;
  for (guint j = 0; j < ids->len; j++)
    if (!okno_db_exec(db, "UPDATE messages SET appeal_id = $2 WHERE id = $1 AND appeal_id = $3",
                      OKNO_PARAMS(OKNO_INT(g_array_index(ids, gint64, j)), OKNO_INT(fresh->id),
                                  OKNO_INT(from_id)),
                      error))
      return FALSE;
  if (new_from_version)
    *new_from_version = okno_rows_int(from, 0, 0);
  return TRUE;
}
