/* oidc_jwt.c: ID-token signature check with librhonabwy (see oidc_jwt.h). */
#include "web/oidc_jwt.h"

#include <rhonabwy.h>
#include <string.h>

#include "core/error.h"

#define MAX_TOKEN (64 * 1024)

void okno_oidc_jws_init(void)
{
  static gsize once;
  if (g_once_init_enter(&once)) {
    r_global_init();
    g_once_init_leave(&once, 1);
  }
}

/* A JWS in compact serialization: three base64url segments joined by '.', nothing
 * else. Checked here before librhonabwy sees the bytes: the fuzzer found input outside
 * this shape ('"' and 8-bit bytes) corrupting the heap inside the library (jansson). */
static gboolean compact_jws(const char *token)
{
  guint dots = 0;
  if (!token || !*token || strlen(token) > MAX_TOKEN)
    return FALSE;
  for (const char *p = token; *p; p++) {
    if (*p == '.')
      dots++;
    else if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
      return FALSE;
  }
  return dots == 2;
}

char *okno_oidc_jws_verify(const char *token, const char *jwks_json, GError **error)
{
  jwt_t *jwt = NULL;
  jwks_t *jwks = NULL;
  char *claims = NULL, *out = NULL;
  const char *reason = NULL;
  jwa_alg alg;

  okno_oidc_jws_init();
  if (r_jwt_init(&jwt) != RHN_OK || r_jwks_init(&jwks) != RHN_OK)
    reason = "internal";
  else if (!compact_jws(token) || r_jwt_parse(jwt, token, 0) != RHN_OK)
    reason = "malformed";
  else if ((alg = r_jwt_get_sign_alg(jwt)) != R_JWA_ALG_RS256 && alg != R_JWA_ALG_ES256)
    reason = "algorithm";
  else if (!jwks_json || r_jwks_import_from_json_str(jwks, jwks_json) != RHN_OK ||
           r_jwt_add_sign_jwks(jwt, NULL, jwks) != RHN_OK)
    reason = "jwks";
  else if (r_jwt_verify_signature(jwt, NULL, 0) != RHN_OK)
    reason = "signature";
  else if (!(claims = r_jwt_get_full_claims_str(jwt)))
    reason = "claims";
  else
    out = g_strdup(claims);
  if (claims)
    r_free(claims);
  if (jwt)
    r_jwt_free(jwt);
  if (jwks)
    r_jwks_free(jwks);
  if (reason)
    g_set_error_literal(error, OKNO_ERROR, OKNO_ERROR_USER, reason);
  return out;
}
