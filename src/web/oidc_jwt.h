/* oidc_jwt.h: the JOSE part of OIDC sign-in, kept apart because librhonabwy's header
 * brings jansson, whose names clash with json-glib's: verifies a compact JWS ID token's
 * signature against a JWKS document and hands back its claims as JSON text.
 * Everything else about the token (iss, aud, exp, nonce) is checked by oidc.c. */
#pragma once
#include <glib.h>

/* Initialises librhonabwy once (r_global_init, which initialises curl and, through it,
 * OpenSSL). Call it on the main thread before any worker verifies a token: OpenSSL's
 * per-thread state made in a worker thread that later exits is never freed.
 * Idempotent; okno_oidc_jws_verify calls it too. */
void okno_oidc_jws_init(void);

/* Parses `token` (compact JWS), accepts only RS256 and ES256, picks the key of
 * `jwks_json` by the header's kid (or the only key), verifies the signature and returns
 * the claims as a JSON text (caller frees with g_free), or NULL with OKNO_ERROR_USER and
 * a short reason as message: "malformed", "algorithm", "jwks", "signature", "claims".
 * Safe to call from any thread. */
char *okno_oidc_jws_verify(const char *token, const char *jwks_json, GError **error);
