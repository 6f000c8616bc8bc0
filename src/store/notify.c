/* notify.c: citizens' notification settings (see notify.h). A setting is keyed by the
 * blind index of the address (okno_store_blind_email, docs/crypto.md): it is looked up,
 * never read back, so the row keeps no address at all. */
#include "store/notify.h"

#include <string.h>

#include "core/clock.h"
#include "store/keys.h"

gboolean okno_store_notify_set(OknoStore *st, const char *email, const char *event,
                               gboolean enabled, GError **error)
{
  g_autofree char *bidx = okno_store_blind_email(email);
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO notify_settings(email_bidx, event, enabled, updated_at) "
                      "VALUES($1, $2, $3, $4) ON CONFLICT (email_bidx, event) "
                      "DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
                      OKNO_PARAMS(OKNO_TEXT(bidx), OKNO_TEXT(event), OKNO_INT(enabled ? 1 : 0),
                                  OKNO_INT(okno_now())),
                      error);
}

gboolean okno_store_notify_enabled(OknoStore *st, const char *email, const char *event,
                                   gboolean *enabled, GError **error)
{
  g_autofree char *bidx = okno_store_blind_email(email);
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT enabled FROM notify_settings WHERE email_bidx = $1 AND event = $2",
      OKNO_PARAMS(OKNO_TEXT(bidx), OKNO_TEXT(event)), error);
  if (!r)
    return FALSE;
  /* SMS is asked for (issue 22): no row, no SMS; every other type is on without one */
  *enabled = okno_rows_count(r) == 0 ? strcmp(event, "sms") != 0 : okno_rows_int(r, 0, 0) != 0;
  return TRUE;
}
