/* oidc.h: the store operations of OpenID Connect sign-in (src/web/oidc.h): the
 * confirmed identity kept beside a citizen session that the portal's identity provider
 * signed in.
 *
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

typedef struct {
  gint64 session_id;
  char *issuer;   /* the provider's issuer URL */
  char *subject;  /* its `sub` for this person */
  char *name;     /* full name as the provider gives it ("" if none) */
  char *email;    /* the verified e-mail (lowercase): the session's subject */
  char *snils;    /* SNILS digits "XXX-XXX-XXX YY" as given, "" if none */
  gint64 created_at;
} OknoOidcIdentity;
void okno_oidc_identity_free(OknoOidcIdentity *id);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoOidcIdentity, okno_oidc_identity_free)

/* Stores `id` for id->session_id (replacing a row of that session). */
gboolean okno_store_oidc_identity_put(OknoStore *st, const OknoOidcIdentity *id, GError **error);
/* The identity of session `session_id`, or NULL (signed in another way). */
OknoOidcIdentity *okno_store_oidc_identity_get(OknoStore *st, gint64 session_id, GError **error);
