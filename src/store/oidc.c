/* oidc.c: the store operations of OpenID Connect sign-in (see oidc.h), in portable SQL
 * over the driver (db.h), one statement each. */
#include "store/oidc.h"

#include "core/error.h"
#include "store/keys.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

gboolean okno_store_oidc_identity_put(OknoStore *st, const OknoOidcIdentity *id, GError **error)
{
  /* the person's name, address and SNILS under a data key of their own (docs/crypto.md);
   * the issuer's subject stays clear: it names the account at the provider */
  g_autofree char *name = NULL, *email = NULL, *snils = NULL;
  gint64 key_id = 0;
  if (!okno_store_key_new(st, &key_id, error) ||
      !(name = okno_store_seal_text(st, key_id, id->name, error)) ||
      !(email = okno_store_seal_text(st, key_id, id->email, error)) ||
      !(snils = okno_store_seal_text(st, key_id, id->snils, error)))
    return FALSE;
  return okno_db_exec(
      okno_store_db(st),
      "INSERT INTO oidc_identities(session_id, issuer, subject, name, email, snils, created_at) "
      "VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(session_id) DO UPDATE SET "
      "issuer = excluded.issuer, subject = excluded.subject, name = excluded.name, "
      "email = excluded.email, snils = excluded.snils, created_at = excluded.created_at",
      OKNO_PARAMS(OKNO_INT(id->session_id), T(id->issuer), T(id->subject), OKNO_TEXT(name),
                  OKNO_TEXT(email), OKNO_TEXT(snils), OKNO_INT(id->created_at)),
      error);
}

static const OknoField identity_fields[] = {
  OKNO_FIELD(OknoOidcIdentity, session_id, "session_id", OKNO_F_INT),
  OKNO_FIELD(OknoOidcIdentity, issuer, "issuer", OKNO_F_TEXT),
  OKNO_FIELD(OknoOidcIdentity, subject, "subject", OKNO_F_TEXT),
  OKNO_FIELD(OknoOidcIdentity, name, "name", OKNO_F_TEXT),
  OKNO_FIELD(OknoOidcIdentity, email, "email", OKNO_F_TEXT),
  OKNO_FIELD(OknoOidcIdentity, snils, "snils", OKNO_F_TEXT),
  OKNO_FIELD(OknoOidcIdentity, created_at, "created_at", OKNO_F_INT),
};
static const OknoRecordType identity_type =
    OKNO_RECORD_TYPE(OknoOidcIdentity, identity_fields, okno_oidc_identity_free);

void okno_oidc_identity_free(OknoOidcIdentity *o)
{
  okno_record_free(&identity_type, o);
}

OknoOidcIdentity *okno_store_oidc_identity_get(OknoStore *st, gint64 session_id, GError **error)
{
  static gsize sql;
  return okno_db_record(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &identity_type,
                      " FROM oidc_identities WHERE session_id = $1"),
      OKNO_PARAMS(OKNO_INT(session_id)), &identity_type, error);
}
