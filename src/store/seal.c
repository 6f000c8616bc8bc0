/* seal.c: sealing the rows of appeals written before the key file existed (seal.h).
 * Each appeal is read with the ordinary queries (clear values come back as they are)
 * and written back sealed in its own transaction, one UPDATE per row. Then the
 * cabinet's identity rows (migration 21) whose blind index is still an address. */
#include "store/seal.h"
#include "store/events.h"

#include <string.h>

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

/* The appeal's event details, as okno_store_event_add seals them (events.h). */
static gboolean seal_details(OknoStore *st, gint64 appeal_id, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) r = okno_db_query(
      db, "SELECT id, kind, detail FROM events WHERE appeal_id = $1 ORDER BY id",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  if (!r)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    const char *detail = okno_rows_text(r, i, 2);
    g_autofree char *stored =
        okno_store_event_detail_seal(st, appeal_id, okno_rows_text(r, i, 1), detail, error);
    if (!stored)
      return FALSE;
    if (g_strcmp0(stored, detail) != 0 &&
        !okno_db_exec(db, "UPDATE events SET detail = $2 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(okno_rows_int(r, i, 0)), OKNO_TEXT(stored)), error))
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
                   appeal_id, error) &&
         seal_details(st, appeal_id, error);
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

/* ---- the cabinet's identity rows (migration 21) ----
 * A blind index made without the key file is the lower-case address; one made with it
 * is hex and has no '@': the rows to convert are those whose index holds an '@'. */
#define CLEAR_BIDX(col) " " col " LIKE '%@%'"

/* An index given as an address, blinded; "" stays "". */
static char *reblind(const char *clear)
{
  return clear && *clear ? okno_store_blind_email(clear) : g_strdup("");
}

static gboolean seal_identity_rows(OknoStore *st, gint64 *rows, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) codes = NULL, settings = NULL, moves = NULL, sessions = NULL;
  /* sign-in codes: both indexes (the address and an address change's owner) */
  if (!(codes = okno_db_query(db, "SELECT id, email_bidx, owner FROM login_codes WHERE"
                              CLEAR_BIDX("email_bidx"), NULL, 0, error)))
    return FALSE;
  for (guint i = 0; i < okno_rows_count(codes); i++, (*rows)++) {
    g_autofree char *bidx = reblind(okno_rows_text(codes, i, 1));
    g_autofree char *owner = reblind(okno_rows_text(codes, i, 2));
    if (!okno_db_exec(db, "UPDATE login_codes SET email_bidx = $2, owner = $3 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(okno_rows_int(codes, i, 0)), OKNO_TEXT(bidx),
                                  OKNO_TEXT(owner)),
                      error))
      return FALSE;
  }
  /* notification settings: keyed by the index; a row already written under the key
   * (newer) wins over the clear one */
  if (!(settings = okno_db_query(db, "SELECT email_bidx, event, enabled, updated_at "
                                 "FROM notify_settings WHERE" CLEAR_BIDX("email_bidx"),
                                 NULL, 0, error)))
    return FALSE;
  for (guint i = 0; i < okno_rows_count(settings); i++, (*rows)++) {
    const char *clear = okno_rows_text(settings, i, 0), *event = okno_rows_text(settings, i, 1);
    g_autofree char *bidx = reblind(clear);
    if (!okno_db_exec(db, "DELETE FROM notify_settings WHERE email_bidx = $1 AND event = $2",
                      OKNO_PARAMS(OKNO_TEXT(clear), OKNO_TEXT(event)), error) ||
        !okno_db_exec(db,
                      "INSERT INTO notify_settings(email_bidx, event, enabled, updated_at) "
                      "VALUES($1, $2, $3, $4) ON CONFLICT (email_bidx, event) DO NOTHING",
                      OKNO_PARAMS(OKNO_TEXT(bidx), OKNO_TEXT(event),
                                  OKNO_INT(okno_rows_int(settings, i, 2)),
                                  OKNO_INT(okno_rows_int(settings, i, 3))),
                      error))
      return FALSE;
  }
  /* address moves: both indexes, and the old address sealed */
  if (!(moves = okno_db_query(db, "SELECT email_bidx, moved_bidx, email, at FROM contact_moves "
                              "WHERE" CLEAR_BIDX("email_bidx") " OR" CLEAR_BIDX("moved_bidx"),
                              NULL, 0, error)))
    return FALSE;
  for (guint i = 0; i < okno_rows_count(moves); i++, (*rows)++) {
    const char *clear = okno_rows_text(moves, i, 0), *email = okno_rows_text(moves, i, 2);
    g_autofree char *bidx = strchr(clear, '@') ? reblind(clear) : g_strdup(clear);
    const char *to = okno_rows_text(moves, i, 1);
    g_autofree char *to_bidx = strchr(to, '@') ? reblind(to) : g_strdup(to);
    g_autofree char *sealed = okno_store_seal_secret(st, *email ? email : clear, error);
    if (!sealed ||
        !okno_db_exec(db, "DELETE FROM contact_moves WHERE email_bidx = $1",
                      OKNO_PARAMS(OKNO_TEXT(clear)), error) ||
        !okno_db_exec(db,
                      "INSERT INTO contact_moves(email_bidx, moved_bidx, email, at) "
                      "VALUES($1, $2, $3, $4) ON CONFLICT (email_bidx) DO NOTHING",
                      OKNO_PARAMS(OKNO_TEXT(bidx), OKNO_TEXT(to_bidx), OKNO_TEXT(sealed),
                                  OKNO_INT(okno_rows_int(moves, i, 3))),
                      error))
      return FALSE;
  }
  /* citizens' sessions: the index, and the address sealed */
  if (!(sessions = okno_db_query(db, "SELECT id, subject FROM sessions WHERE kind = 'citizen' "
                                 "AND" CLEAR_BIDX("subject_bidx"), NULL, 0, error)))
    return FALSE;
  for (guint i = 0; i < okno_rows_count(sessions); i++, (*rows)++) {
    const char *subject = okno_rows_text(sessions, i, 1);
    g_autofree char *bidx = reblind(subject);
    g_autofree char *sealed = okno_store_seal_secret(st, subject, error);
    if (!sealed ||
        !okno_db_exec(db, "UPDATE sessions SET subject_bidx = $2, subject = $3 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(okno_rows_int(sessions, i, 0)), OKNO_TEXT(bidx),
                                  OKNO_TEXT(sealed)),
                      error))
      return FALSE;
  }
  return TRUE;
}

gboolean okno_store_seal_identities(OknoStore *st, gint64 *rows, GError **error)
{
  gint64 n = 0;
  if (rows)
    *rows = 0;
  if (!okno_store_vault()) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "sealing needs the key file: run okno crypto init first");
    return FALSE;
  }
  if (!okno_store_begin(st, error))
    return FALSE;
  if (!seal_identity_rows(st, &n, error) || !okno_store_commit(st, error)) {
    okno_store_rollback(st);
    return FALSE;
  }
  if (rows)
    *rows = n;
  return TRUE;
}
