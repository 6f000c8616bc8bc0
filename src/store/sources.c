/* sources.c: the intake source keys (see sources.h), table intake_sources (migration
 * 23). */
#include "store/sources.h"

#include "core/clock.h"

gboolean okno_store_source_lookup(OknoStore *st, const char *key, char **number, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st),
                                        "SELECT number FROM intake_sources WHERE source = $1",
                                        OKNO_PARAMS(OKNO_TEXT(key)), error);
  if (!r)
    return FALSE;
  *number = okno_rows_count(r) ? g_strdup(okno_rows_text(r, 0, 0)) : NULL;
  return TRUE;
}

gboolean okno_store_source_record(OknoStore *st, const char *key, const char *number,
                                  GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO intake_sources(source, number, at) VALUES($1, $2, $3)",
                      OKNO_PARAMS(OKNO_TEXT(key), OKNO_TEXT(number ? number : ""),
                                  OKNO_INT(okno_now())),
                      error);
}
