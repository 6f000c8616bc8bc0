/* oidc.c: the store operations of OpenID Connect sign-in (see oidc.h), in portable SQL
 * over the driver (db.h), one statement each. */
#include "store/oidc.h"

#include "core/error.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

void okno_oidc_identity_free(OknoOidcIdentity *id)
{
  if (!id)
    return;
  g_free(id->issuer);
  g_free(id->subject);
  g_free(id->name);
  g_free(id->email);
  g_free(id->snils);
  g_free(id);
}

gboolean okno_store_oidc_identity_put(OknoStore *st, const OknoOidcIdentity *id, GError **error)
{
  return okno_db_exec(
      okno_store_db(st),
      "INSERT INTO oidc_identities(session_id, issuer, subject, name, email, snils, created_at) "
      "VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(session_id) DO UPDATE SET "
      "issuer = excluded.issuer, subject = excluded.subject, name = excluded.name, "
      "email = excluded.email, snils = excluded.snils, created_at = excluded.created_at",
      OKNO_PARAMS(OKNO_INT(id->session_id), T(id->issuer), T(id->subject), T(id->name),
                  T(id->email), T(id->snils), OKNO_INT(id->created_at)),
      error);
}

OknoOidcIdentity *okno_store_oidc_identity_get(OknoStore *st, gint64 session_id, GError **error)
{
  OknoOidcIdentity *id;
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT issuer, subject, name, email, snils, created_at FROM oidc_identities "
      "WHERE session_id = $1",
      OKNO_PARAMS(OKNO_INT(session_id)), error);
  if (!r || okno_rows_count(r) == 0)
    return NULL;
  id = g_new0(OknoOidcIdentity, 1);
  id->session_id = session_id;
  id->issuer = g_strdup(okno_rows_text(r, 0, 0));
  id->subject = g_strdup(okno_rows_text(r, 0, 1));
  id->name = g_strdup(okno_rows_text(r, 0, 2));
  id->email = g_strdup(okno_rows_text(r, 0, 3));
  id->snils = g_strdup(okno_rows_text(r, 0, 4));
  id->created_at = okno_rows_int(r, 0, 5);
  return id;
}
