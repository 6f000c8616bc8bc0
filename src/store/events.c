/* events.c: an appeal's history (see events.h). */
#include "store/events.h"

#include "core/clock.h"
#include "store/journal.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

gboolean okno_store_event_add(OknoStore *st, gint64 appeal_id, const char *kind,
                              const char *detail_json, GError **error)
{
  gint64 at = okno_now();
  const char *detail = detail_json ? detail_json : "{}";
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "INSERT INTO events(appeal_id, at, kind, detail) VALUES($1, $2, $3, $4) RETURNING id",
      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(at), T(kind), OKNO_TEXT(detail)), error);
  if (!r)
    return FALSE;
  /* The event and its journal leaf in the same transaction (store/journal.h). */
  return okno_store_journal_event(st, okno_rows_int(r, 0, 0), appeal_id, at,
                                  kind ? kind : "", detail, error);
}

char *okno_store_event_last(OknoStore *st, gint64 appeal_id, const char *kind, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT detail FROM events WHERE appeal_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1",
      OKNO_PARAMS(OKNO_INT(appeal_id), T(kind)), error);
  return r && okno_rows_count(r) ? g_strdup(okno_rows_text(r, 0, 0)) : NULL;
}
