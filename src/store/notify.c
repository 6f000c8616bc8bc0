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
  okno_store_memo_forget(st); /* the settings read in this transaction */
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
  g_autofree char *key = g_strconcat("notify|", bidx, NULL);
  g_autofree char *want = g_strconcat(";", event, "=", NULL);
  const char *known = okno_store_memo_get(st, key), *at;
  g_autoptr(GString) all = NULL;
  if (!known) {
    /* every setting of the address in one statement, ";event=0|1" each, remembered for
     * the rest of the transaction (store.h memo): a registration asks for two */
    g_autoptr(OknoRows) r = okno_db_query(
        okno_store_db(st), "SELECT event, enabled FROM notify_settings WHERE email_bidx = $1",
        OKNO_PARAMS(OKNO_TEXT(bidx)), error);
    if (!r)
      return FALSE;
    all = g_string_new(NULL);
    for (guint i = 0; i < okno_rows_count(r); i++)
      g_string_append_printf(all, ";%s=%d", okno_rows_text(r, i, 0),
                             okno_rows_int(r, i, 1) != 0);
    okno_store_memo_set(st, key, all->str);
    known = all->str;
  }
  at = strstr(known, want);
  /* SMS is asked for (issue 22): no row, no SMS; every other type is on without one */
  *enabled = at ? at[strlen(want)] == '1' : strcmp(event, "sms") != 0;
  return TRUE;
}
