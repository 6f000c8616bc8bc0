/* sessions.c: the web's rows: sessions, single-use tokens, instance secrets (see
 * sessions.h). Portable SQL over db.h, one or two statements per function. */
#include "store/sessions.h"

#include "core/error.h"
#include "store/keys.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

/* A session is found by subject_bidx: for a citizen the blind index of the address
 * (okno_store_blind_email, docs/crypto.md), the address itself sealed in `subject`;
 * a staff member's login is no address and stays as it is in both. */
static char *subject_index(const char *kind, const char *subject)
{
  if (g_strcmp0(kind, "citizen") == 0)
    return okno_store_blind_email(subject);
  return g_strdup(subject ? subject : "");
}

gboolean okno_store_session_insert(OknoStore *st, OknoSessionRow *s, const char *token_hash,
                                   const char *ip, const char *user_agent, GError **error)
{
  g_autofree char *bidx = subject_index(s->kind, s->subject);
  g_autofree char *subject = g_strcmp0(s->kind, "citizen") == 0
                                 ? okno_store_seal_secret(st, s->subject ? s->subject : "", error)
                                 : g_strdup(s->subject ? s->subject : "");
  g_autoptr(OknoRows) r = subject ? okno_db_query(
      okno_store_db(st),
      "INSERT INTO sessions(token_hash, kind, subject, subject_bidx, csrf, created_at, "
      "expires_at, last_seen, ip, user_agent) VALUES($1, $2, $3, $4, $5, $6, $7, $6, $8, $9) "
      "RETURNING id",
      OKNO_PARAMS(T(token_hash), T(s->kind), OKNO_TEXT(subject), OKNO_TEXT(bidx), T(s->csrf),
                  OKNO_INT(s->created_at), OKNO_INT(s->expires_at), T(ip), T(user_agent)),
      error) : NULL;
  if (!r)
    return FALSE;
  s->id = okno_rows_int(r, 0, 0);
  s->last_seen = s->created_at;
  return TRUE;
}

static const OknoField session_fields[] = {
  OKNO_FIELD(OknoSessionRow, id, "id", OKNO_F_INT),
  OKNO_FIELD(OknoSessionRow, kind, "kind", OKNO_F_TEXT),
  OKNO_FIELD(OknoSessionRow, subject, "subject", OKNO_F_TEXT),
  OKNO_FIELD(OknoSessionRow, csrf, "csrf", OKNO_F_TEXT),
  OKNO_FIELD(OknoSessionRow, created_at, "created_at", OKNO_F_INT),
  OKNO_FIELD(OknoSessionRow, expires_at, "expires_at", OKNO_F_INT),
  OKNO_FIELD(OknoSessionRow, last_seen, "last_seen", OKNO_F_INT),
};
static const OknoRecordType session_type =
    OKNO_RECORD_TYPE(OknoSessionRow, session_fields, okno_session_row_free);

void okno_session_row_free(OknoSessionRow *s)
{
  okno_record_free(&session_type, s);
}

OknoSessionRow *okno_store_session_get(OknoStore *st, const char *token_hash, gint64 now,
                                       GError **error)
{
  static gsize sql;
  return okno_db_record(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &session_type,
                      " FROM sessions WHERE token_hash = $1 AND revoked_at = 0 "
                      "AND expires_at > $2"),
      OKNO_PARAMS(T(token_hash), OKNO_INT(now)), &session_type, error);
}

gboolean okno_store_session_touch(OknoStore *st, gint64 id, gint64 now, GError **error)
{
  return okno_db_exec(okno_store_db(st), "UPDATE sessions SET last_seen = $2 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(now)), error);
}

gboolean okno_store_session_revoke(OknoStore *st, const char *token_hash, gint64 now,
                                   GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at = 0",
                      OKNO_PARAMS(T(token_hash), OKNO_INT(now)), error);
}

gboolean okno_store_session_revoke_subject(OknoStore *st, const char *kind,
                                           const char *subject, gint64 now, GError **error)
{
  g_autofree char *bidx = subject_index(kind, subject);
  return okno_db_exec(okno_store_db(st),
                      "UPDATE sessions SET revoked_at = $3 "
                      "WHERE kind = $1 AND subject_bidx = $2 AND revoked_at = 0",
                      OKNO_PARAMS(T(kind), OKNO_TEXT(bidx), OKNO_INT(now)), error);
}

gboolean okno_store_web_purge(OknoStore *st, gint64 now, GError **error)
{
  return okno_db_exec(okno_store_db(st), "DELETE FROM sessions WHERE expires_at < $1",
                      OKNO_PARAMS(OKNO_INT(now)), error) &&
         okno_db_exec(okno_store_db(st), "DELETE FROM used_tokens WHERE expires_at < $1",
                      OKNO_PARAMS(OKNO_INT(now)), error);
}

gboolean okno_store_token_use(OknoStore *st, const char *id, gint64 expires_at,
                              gboolean *fresh, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "INSERT INTO used_tokens(id, expires_at) VALUES($1, $2) ON CONFLICT(id) DO NOTHING "
      "RETURNING id",
      OKNO_PARAMS(T(id), OKNO_INT(expires_at)), error);
  if (!r)
    return FALSE;
  *fresh = okno_rows_count(r) == 1;
  return TRUE;
}

gboolean okno_store_secret(OknoStore *st, const char *name, const char *fresh_value,
                           char **value, GError **error)
{
  g_autofree char *key = g_strconcat("secret:", name, NULL);
  g_autoptr(OknoRows) r = NULL;
  if (!okno_db_exec(okno_store_db(st),
                    "INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT(key) DO NOTHING",
                    OKNO_PARAMS(T(key), T(fresh_value)), error))
    return FALSE;
  r = okno_db_query(okno_store_db(st), "SELECT value FROM meta WHERE key = $1", OKNO_PARAMS(T(key)), error);
  if (!r)
    return FALSE;
  if (okno_rows_count(r) == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "secret %s vanished", name);
    return FALSE;
  }
  *value = g_strdup(okno_rows_text(r, 0, 0));
  return TRUE;
}

static const OknoField session_info_fields[] = {
  OKNO_FIELD(OknoSessionInfo, id, "id", OKNO_F_INT),
  OKNO_FIELD(OknoSessionInfo, created_at, "created_at", OKNO_F_INT),
  OKNO_FIELD(OknoSessionInfo, last_seen, "last_seen", OKNO_F_INT),
  OKNO_FIELD(OknoSessionInfo, ip, "ip", OKNO_F_TEXT),
  OKNO_FIELD(OknoSessionInfo, user_agent, "user_agent", OKNO_F_TEXT),
};
static const OknoRecordType session_info_type =
    OKNO_RECORD_TYPE(OknoSessionInfo, session_info_fields, okno_session_info_free);

void okno_session_info_free(OknoSessionInfo *s)
{
  okno_record_free(&session_info_type, s);
}

GPtrArray *okno_store_session_list(OknoStore *st, const char *kind, const char *subject,
                                   gint64 now, GError **error)
{
  static gsize sql;
  g_autofree char *bidx = subject_index(kind, subject);
  return okno_db_records(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &session_info_type,
                      " FROM sessions WHERE kind = $1 AND subject_bidx = $2 AND revoked_at = 0 "
                      "AND expires_at > $3 ORDER BY id DESC"),
      OKNO_PARAMS(T(kind), OKNO_TEXT(bidx), OKNO_INT(now)), &session_info_type, error);
}

gboolean okno_store_session_revoke_id(OknoStore *st, gint64 id, const char *kind,
                                      const char *subject, gint64 now, gboolean *found,
                                      GError **error)
{
  g_autofree char *bidx = subject_index(kind, subject);
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE sessions SET revoked_at = $4 WHERE id = $1 AND kind = $2 AND subject_bidx = $3 "
      "AND revoked_at = 0 RETURNING id",
      OKNO_PARAMS(OKNO_INT(id), T(kind), OKNO_TEXT(bidx), OKNO_INT(now)), error);
  if (!r)
    return FALSE;
  *found = okno_rows_count(r) > 0;
  return TRUE;
}
