/* notify.c: citizens' notification settings (see notify.h). */
#include "store/notify.h"

#include "core/clock.h"

gboolean okno_store_notify_set(OknoStore *st, const char *email, const char *event,
                               gboolean enabled, GError **error)
{
  g_autofree char *lower = g_ascii_strdown(email ? email : "", -1);
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO notify_settings(email, event, enabled, updated_at) "
                      "VALUES($1, $2, $3, $4) ON CONFLICT (email, event) "
                      "DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
                      OKNO_PARAMS(OKNO_TEXT(lower), OKNO_TEXT(event), OKNO_INT(enabled ? 1 : 0),
                                  OKNO_INT(okno_now())),
                      error);
}

gboolean okno_store_notify_enabled(OknoStore *st, const char *email, const char *event,
                                   gboolean *enabled, GError **error)
{
  g_autofree char *lower = g_ascii_strdown(email ? email : "", -1);
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT enabled FROM notify_settings WHERE email = $1 AND event = $2",
      OKNO_PARAMS(OKNO_TEXT(lower), OKNO_TEXT(event)), error);
  if (!r)
    return FALSE;
  *enabled = okno_rows_count(r) == 0 || okno_rows_int(r, 0, 0) != 0;
  return TRUE;
}
