/* sessions.h: the web's rows in the store (src/sec/session.h): sessions keyed by the
 * hash of their cookie token, the list and revocation of a person's sessions,
 * single-use tokens, and instance-wide secrets shared by every node.
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction.
 * A citizen's session keeps its address sealed (a data key of its own per session) and
 * is found by the address's blind index (docs/crypto.md, migration 21): a citizen's
 * subject compares case-insensitively; a staff member's login as it is. */
#pragma once
#include <glib.h>

#include "store/store.h"

typedef struct {
  gint64 id;
  char *kind;        /* "citizen" or "staff" */
  char *subject;     /* citizen e-mail (lowercase) or staff user id */
  char *csrf;        /* the session's CSRF token (hex) */
  gint64 created_at;
  gint64 expires_at;
  gint64 last_seen;
} OknoSessionRow;
void okno_session_row_free(OknoSessionRow *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoSessionRow, okno_session_row_free)

/* Inserts a session keyed by `token_hash` (hex SHA-256 of the cookie token); sets
 * s->id. `ip` and `user_agent` may be NULL. */
gboolean okno_store_session_insert(OknoStore *st, OknoSessionRow *s, const char *token_hash,
                                   const char *ip, const char *user_agent, GError **error);
/* The live session with that token hash (not revoked, expires_at > now), or NULL. */
OknoSessionRow *okno_store_session_get(OknoStore *st, const char *token_hash, gint64 now,
                                       GError **error);
gboolean okno_store_session_touch(OknoStore *st, gint64 id, gint64 now, GError **error);
/* Revokes one session (by token hash); revoking an unknown one is not an error. */
gboolean okno_store_session_revoke(OknoStore *st, const char *token_hash, gint64 now,
                                   GError **error);
/* Revokes every session of kind/subject (sign-out everywhere, address change). */
gboolean okno_store_session_revoke_subject(OknoStore *st, const char *kind,
                                           const char *subject, gint64 now, GError **error);
/* Deletes sessions and used tokens that expired before `now`. */
gboolean okno_store_web_purge(OknoStore *st, gint64 now, GError **error);

/* Marks the single-use token `id` used until `expires_at`. *fresh is TRUE the first
 * time, FALSE when it was already used (a replay). Atomic across nodes sharing a store. */
gboolean okno_store_token_use(OknoStore *st, const char *id, gint64 expires_at,
                              gboolean *fresh, GError **error);

/* The instance-wide secret named `name` (hex), created from `fresh_value` on first
 * use; every node sharing the store gets the same one. Caller frees *value. */
gboolean okno_store_secret(OknoStore *st, const char *name, const char *fresh_value,
                           char **value, GError **error);

/* Live sessions of kind/subject, newest first. */
typedef struct {
  gint64 id;
  gint64 created_at;
  gint64 last_seen;
  char *ip;
  char *user_agent;
} OknoSessionInfo;
void okno_session_info_free(OknoSessionInfo *s);
GPtrArray *okno_store_session_list(OknoStore *st, const char *kind, const char *subject,
                                   gint64 now, GError **error);
/* Revokes session `id` only if it belongs to kind/subject (FALSE, no error, if not). */
gboolean okno_store_session_revoke_id(OknoStore *st, gint64 id, const char *kind,
                                      const char *subject, gint64 now, gboolean *found,
                                      GError **error);
