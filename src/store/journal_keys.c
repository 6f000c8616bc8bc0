/* journal_keys.c: the journal's public keys (journal_keys.h). */
#include "store/journal_keys.h"

#include "store/db.h"

void okno_journal_key_row_free(OknoJournalKeyRow *k)
{
  if (!k)
    return;
  g_free(k->key_id);
  if (k->public_key)
    g_bytes_unref(k->public_key);
  g_free(k);
}

gboolean okno_store_journal_key_add(OknoStore *st, const char *key_id, const guint8 *pk,
                                    gsize pk_len, gint64 added_at, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO journal_keys(key_id, public_key, added_at) VALUES($1, $2, $3) "
                      "ON CONFLICT(key_id) DO NOTHING",
                      OKNO_PARAMS(OKNO_TEXT(key_id), OKNO_BLOB(pk, pk_len), OKNO_INT(added_at)),
                      error);
}

GPtrArray *okno_store_journal_keys(OknoStore *st, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT key_id, public_key, added_at FROM journal_keys ORDER BY added_at, key_id",
      OKNO_NO_PARAMS, error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_journal_key_row_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoJournalKeyRow *k = g_new0(OknoJournalKeyRow, 1);
    k->key_id = g_strdup(okno_rows_text(r, i, 0));
    k->public_key = okno_rows_blob(r, i, 1);
    k->added_at = okno_rows_int(r, i, 2);
    g_ptr_array_add(out, k);
  }
  return out;
}

gboolean okno_store_journal_key_current(OknoStore *st, char **current, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT key_id FROM journal_keys ORDER BY added_at DESC, key_id LIMIT 1", OKNO_NO_PARAMS,
      error);
  *current = NULL;
  if (!r)
    return FALSE;
  if (okno_rows_count(r))
    *current = g_strdup(okno_rows_text(r, 0, 0));
  return TRUE;
}
