/* oidc.h: cabinet sign-in with the portal's identity provider over OpenID Connect
 * (the authorization code flow with PKCE, state and nonce; docs/security.md, "OIDC").
 *
 * Routes (only when [oidc] issuer is set; otherwise they answer 404 and the sign-in
 * page hides the button):
 *  GET /cabinet/oidc/start     303 to the provider's authorization endpoint (taken from
 *                              its discovery document, cached for an hour);
 *  GET /cabinet/oidc/callback  exchanges the code at the token endpoint
 *                              ([oidc] token_auth: client_secret_basic or _post),
 *                              verifies the ID token (librhonabwy: signature RS256 or
 *                              ES256 against the provider's JWKS; iss, aud/azp, exp and
 *                              iat with 60 s leeway, nonce), reads the userinfo endpoint
 *                              when the token lacks the e-mail, name or SNILS, and signs
 *                              in a citizen session named by the verified e-mail whose
 *                              identity is confirmed (store/oidc.h);
 *  GET /cabinet/identity, GET /api/v1/cabinet/identity   the session's identity:
 *                              {confirmed, name, email, snils, issuer}.
 *
 * State, nonce and PKCE verifier are kept server-side without a table: the state is
 * random || time || HMAC(instance secret, pre-session cookie, random, time), so it is
 * bound to this browser's pre-session and expires after 10 minutes; the nonce and the
 * code verifier are HMACs of the state under the instance secret (never sent to the
 * browser: the verifier goes only to the token endpoint); a state is used once (the
 * store's used_tokens table), so a replayed callback is refused.
 *
 * HTTP calls to the provider run in a worker thread (the request is held meanwhile);
 * the worker touches no store. Any failure shows a Russian error page, signs nobody in
 * and logs event=oidc-failed reason=... without personal data. The JOSE calls
 * (librhonabwy) are in oidc_jwt.c, apart from json-glib (see oidc_jwt.h). */
#pragma once
#include "web/server.h"

/* Adds the routes above and the formal appeal form's (routes.c). */
void okno_oidc_routes(OknoWeb *web);
/* cabinet_formal.c: GET/POST /cabinet/formal (and /api/v1/cabinet/formal), the formal
 * appeal under 59-FZ for a confirmed identity only (403 otherwise); submits through
 * intake with OknoEnvelope.kind "formal". */
void okno_cabinet_formal_routes(OknoWeb *web);

/* TRUE when [oidc] issuer is set (the sign-in page shows the button). */
gboolean okno_oidc_enabled(const OknoConfig *cfg);

/* What the provider's ID token (and userinfo) said, once verified. */
typedef struct {
  char *issuer, *subject, *name, *email, *snils;
} OknoOidcClaims;
void okno_oidc_claims_free(OknoOidcClaims *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoOidcClaims, okno_oidc_claims_free)

/* Verifies the compact JWS `id_token` against the JWKS document `jwks_json`: the
 * signature (RS256 or ES256 only, key by kid), iss == `issuer`, aud contains
 * `client_id` (and azp == client_id when aud has several), exp > now - 60 s,
 * iat < now + 60 s, nonce == `nonce`. `now` is seconds since the epoch. Returns the
 * claims (name from `name`, else family/given/middle names; SNILS from `snils_claim`)
 * or NULL with OKNO_ERROR_USER whose message is a short reason code ("signature",
 * "aud", "nonce", "expired", ...). A parser of untrusted input: no I/O. */
OknoOidcClaims *okno_oidc_verify_id_token(const char *id_token, const char *jwks_json,
                                          const char *issuer, const char *client_id,
                                          const char *nonce, const char *snils_claim,
                                          gint64 now, GError **error);
