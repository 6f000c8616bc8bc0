/* session.h: sign-in sessions of citizens and staff, kept in the store.
 *
 * A session is named by a random 256-bit token (libsodium randombytes), given to the
 * browser as the cookie `okno_session` (HttpOnly; SameSite=Lax; Path=/; Secure when
 * [http] public_url is https) and never stored: the store keeps only its SHA-256, so a
 * leaked database names no live session. Expiry is server-side (created + [http]
 * session_ttl); revocation marks the row. Each session carries its own CSRF token,
 * which every state-changing request of a signed-in browser must echo (server.h).
 *
 * Signing in always creates a new session (and revokes the one the browser had), so a
 * token planted before sign-in is worth nothing after it (no session fixation).
 * The functions run on the caller's thread with the caller's store connection; they
 * open no transaction of their own (each is one statement). */
#pragma once
#include <glib.h>

#include "store/sessions.h"

#define OKNO_SESSION_COOKIE "okno_session"

typedef OknoSessionRow OknoSession; /* kind, subject, csrf, times: see store.h */

/* Creates a session of `kind` ("citizen" or "staff") for `subject`, lasting `ttl_us`.
 * Returns it (caller frees with okno_session_row_free) and the cookie value in *token
 * (64 hex characters, caller frees). `ip`, `user_agent` may be NULL. */
OknoSession *okno_session_create(OknoStore *st, const char *kind, const char *subject,
                                 gint64 ttl_us, const char *ip, const char *user_agent,
                                 char **token, GError **error);

/* The live session named by the cookie value `token`, or NULL (unknown, expired,
 * revoked, malformed: no error set). Updates last_seen at most once a minute. */
OknoSession *okno_session_lookup(OknoStore *st, const char *token, GError **error);

/* Revokes the session named by `token` (sign-out). Unknown tokens are fine. */
gboolean okno_session_revoke(OknoStore *st, const char *token, GError **error);

/* Lowercase hex SHA-256 of `token` (what the store keys sessions by). Caller frees. */
char *okno_session_token_hash(const char *token);

/* `nbytes` random bytes as lowercase hex (caller frees): tokens, ids, secrets. */
char *okno_random_hex(gsize nbytes);
