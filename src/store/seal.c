/* seal.c: sealing the rows of appeals written before the key file existed (seal.h).
 * Each appeal is read with the ordinary queries (clear values come back as they are)
 * and written back sealed in its own transaction, one UPDATE per row. */
#include "store/seal.h"

#include "core/error.h"
#include "store/keys.h"

#define PAGE 200

/* Seals the text columns `cols` (NULL-terminated) of the rows `select` returns (id,
 * then the columns in order) with `update` ("UPDATE t SET c1 = $2, ... WHERE id = $1";
 * when `bidx_col` >= 0, the blind index of that column is the last parameter). */
static gboolean seal_rows(OknoStore *st, gint64 key_id, const char *select, const char *update,
                          guint ncols, gint bidx_col, gint64 appeal_id, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) r = okno_db_query(db, select, OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  if (!r)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoParam p[8];
    char *sealed[8] = {NULL};
    g_autofree char *bidx = NULL;
    gboolean ok = TRUE;
    guint n = 0;
    g_assert(ncols <= 6);
    p[n++] = OKNO_INT(okno_rows_int(r, i, 0));
    for (guint c = 0; c < ncols && ok; c++) {
      ok = (sealed[c] = okno_store_seal_text(st, key_id, okno_rows_text(r, i, c + 1), error)) != NULL;
      p[n++] = OKNO_TEXT(sealed[c]);
    }
    if (ok && bidx_col >= 0) {
      bidx = okno_store_blind_email(okno_rows_text(r, i, bidx_col + 1));
      p[n++] = OKNO_TEXT(bidx);
    }
    ok = ok && okno_db_exec(db, update, p, n, error);
    for (guint c = 0; c < ncols; c++)
      g_free(sealed[c]);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

/* Seals the BLOB column of the rows `select` returns (id, blob) under `ad`. */
static gboolean seal_blobs(OknoStore *st, gint64 key_id, const char *select, const char *update,
                           const char *ad, gint64 appeal_id, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) r = okno_db_query(db, select, OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  if (!r)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    g_autoptr(GBytes) clear = okno_rows_blob(r, i, 1);
    g_autoptr(GBytes) sealed = NULL;
    gsize len = 0;
    const void *data;
    if (!clear || okno_vault_sealed_key_id(g_bytes_get_data(clear, NULL),
                                           g_bytes_get_size(clear)) != 0)
      continue;
    if (!(sealed = okno_store_seal(st, key_id, ad, g_bytes_get_data(clear, NULL),
                                   g_bytes_get_size(clear), error)))
      return FALSE;
    data = g_bytes_get_data(sealed, &len);
    if (!okno_db_exec(db, update,
                      OKNO_PARAMS(OKNO_INT(okno_rows_int(r, i, 0)), OKNO_BLOB(data, len)), error))
      return FALSE;
  }
  return TRUE;
}

static gboolean seal_appeal(OknoStore *st, gint64 appeal_id, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gint64 key_id = 0;
#define MSGS "FROM messages WHERE appeal_id = $1"
#define ATTS "FROM attachments WHERE message_ref IN (SELECT id " MSGS ")"
  if (!okno_store_key_new(st, &key_id, error) ||
      !okno_db_exec(db, "UPDATE appeals SET key_id = $2 WHERE id = $1 AND key_id = 0",
                    OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(key_id)), error))
    return FALSE;
  okno_store_keys_remember(appeal_id, key_id);
  return seal_rows(st, key_id,
                   "SELECT id, from_name, from_email, phone, subject FROM appeals WHERE id = $1",
                   "UPDATE appeals SET from_name = $2, from_email = $3, phone = $4, "
                   "subject = $5, from_bidx = $6 WHERE id = $1",
                   4, 1, appeal_id, error) &&
         seal_rows(st, key_id, "SELECT id, sender, recipient, subject, text, meta " MSGS,
                   "UPDATE messages SET sender = $2, recipient = $3, subject = $4, text = $5, "
                   "meta = $6, sender_bidx = $7 WHERE id = $1",
                   5, 0, appeal_id, error) &&
         seal_blobs(st, key_id, "SELECT id, raw " MSGS, "UPDATE messages SET raw = $2 WHERE id = $1",
                    "messages.raw", appeal_id, error) &&
         seal_rows(st, key_id, "SELECT id, filename " ATTS,
                   "UPDATE attachments SET filename = $2 WHERE id = $1", 1, -1, appeal_id, error) &&
         seal_blobs(st, key_id, "SELECT id, data " ATTS " AND data IS NOT NULL",
                    "UPDATE attachments SET data = $2 WHERE id = $1", "attachments.data",
                    appeal_id, error) &&
         seal_rows(st, key_id, "SELECT id, env_to FROM outbound WHERE appeal_id = $1",
                   "UPDATE outbound SET env_to = $2, to_bidx = $3 WHERE id = $1", 1, 0,
                   appeal_id, error) &&
         seal_blobs(st, key_id,
                    "SELECT id, mail_raw FROM outbound WHERE appeal_id = $1 "
                    "AND mail_raw IS NOT NULL",
                    "UPDATE outbound SET mail_raw = $2 WHERE id = $1", "outbound.mail_raw",
                    appeal_id, error) &&
         seal_rows(st, key_id, "SELECT appeal_id, comment, email FROM ratings WHERE appeal_id = $1",
                   "UPDATE ratings SET comment = $2, email = $3 WHERE appeal_id = $1", 2, -1,
                   appeal_id, error);
#undef ATTS
#undef MSGS
}

gboolean okno_store_seal_existing(OknoStore *st, gint64 *sealed, GError **error)
{
  gint64 last = 0;
  if (sealed)
    *sealed = 0;
  if (!okno_store_vault()) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "sealing needs the key file: run okno crypto init first");
    return FALSE;
  }
  for (;;) {
    g_autoptr(OknoRows) r = okno_db_query(
        okno_store_db(st),
        "SELECT id FROM appeals WHERE key_id = 0 AND id > $1 ORDER BY id LIMIT " G_STRINGIFY(PAGE),
        OKNO_PARAMS(OKNO_INT(last)), error);
    if (!r)
      return FALSE;
    for (guint i = 0; i < okno_rows_count(r); i++) {
      last = okno_rows_int(r, i, 0);
      if (!okno_store_begin(st, error))
        return FALSE;
      if (!seal_appeal(st, last, error) || !okno_store_commit(st, error)) {
        okno_store_rollback(st);
        return FALSE;
      }
      if (sealed)
        (*sealed)++;
    }
    if (okno_rows_count(r) < PAGE)
      return TRUE;
  }
}
