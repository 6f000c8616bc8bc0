/* staff.h: staff accounts in the store: users with their departments, recovery
 * codes, the login journal, departments and routing rules (docs/security.md).
 * The rows behind src/sec/staff.h and src/appeal/routing.h. Logins and department
 * codes are given as typed; the callers (staff.c, the CLI) check their form.
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "appeal/routing.h"
#include "store/store.h"

typedef struct {
  gint64 id;
  char *login;
  char *display_name;
  char *email;
  char *role;            /* operator, supervisor, administrator, auditor */
  char *password_hash;   /* Argon2id string (sec/password.h) */
  char *totp_secret;     /* base32 */
  gint64 totp_last_step; /* step of the last accepted TOTP code, 0: none */
  gboolean must_change_password;
  gboolean disabled;
  gint64 failed_attempts; /* consecutive failed sign-ins */
  gint64 locked_until;    /* 0: not locked */
  gint64 created_at;
  char **departments;     /* codes, sorted; NULL-terminated, never NULL once read */
} OknoUser;
void okno_user_free(OknoUser *u);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoUser, okno_user_free)

/* Inserts `u` (sets id and created_at) with its departments. A taken login is
 * OKNO_ERROR_USER. */
gboolean okno_store_user_insert(OknoStore *st, OknoUser *u, GError **error);
OknoUser *okno_store_user_get(OknoStore *st, const char *login, GError **error);
OknoUser *okno_store_user_get_by_id(OknoStore *st, gint64 id, GError **error);
/* Every user, by login: a GPtrArray of OknoUser*. */
GPtrArray *okno_store_user_list(OknoStore *st, GError **error);
/* A keyset page of users by login (the unique index on login): up to limit + 1 users
 * after login `after`, or (when `after` is NULL or "") the limit + 1 before login
 * `before`, in login order either way; neither: from the first. The extra user says
 * that the list goes on past the page (after the last, or before the first). */
GPtrArray *okno_store_user_page(OknoStore *st, const char *after, const char *before,
                                guint limit, GError **error);
gboolean okno_store_user_set_disabled(OknoStore *st, gint64 id, gboolean disabled,
                                      GError **error);
/* New TOTP secret: the last used step goes back to 0. */
gboolean okno_store_user_set_totp(OknoStore *st, gint64 id, const char *secret,
                                  GError **error);
gboolean okno_store_user_set_password(OknoStore *st, gint64 id, const char *hash,
                                      gboolean must_change, GError **error);
/* Records the sign-in counters (failed attempts, locked until). */
gboolean okno_store_user_set_lock(OknoStore *st, gint64 id, gint64 failed_attempts,
                                  gint64 locked_until, GError **error);
/* Marks TOTP step `step` used, only if it is later than the stored one: FALSE with no
 * error when another sign-in used this step (or a later one) first. */
gboolean okno_store_user_totp_use(OknoStore *st, gint64 id, gint64 step, GError **error);

/* Replaces the user's recovery codes by `hashes` (NULL-terminated). */
gboolean okno_store_recovery_codes_set(OknoStore *st, gint64 user_id,
                                       const char *const *hashes, GError **error);
/* Uses the unused code with `hash`: TRUE if there was one (now used at `now`), FALSE
 * with no error if none. */
gboolean okno_store_recovery_code_use(OknoStore *st, gint64 user_id, const char *hash,
                                      gint64 now, GError **error);
/* Unused codes left, or -1 with an error. */
gint64 okno_store_recovery_codes_left(OknoStore *st, gint64 user_id, GError **error);

typedef struct {
  gint64 at;
  char *login;       /* as typed */
  gint64 user_id;    /* 0: no such user */
  char *ip;
  char *user_agent;
  char *result;      /* ok, ok_recovery, bad_password, bad_code, locked, disabled, ... */
} OknoLoginEntry;
void okno_login_entry_free(OknoLoginEntry *e);
gboolean okno_store_login_journal_add(OknoStore *st, const OknoLoginEntry *e, GError **error);
/* A user's attempts (user_id; 0: everyone's) newest first, at most `limit` (0: all). */
GPtrArray *okno_store_login_journal(OknoStore *st, gint64 user_id, gint64 limit,
                                    GError **error);
/* The journal of one (account, client address) pair since `since`: *failures, the
 * failed attempts (bad_password, bad_code, replayed_code) after the pair's last success,
 * *last_failure the newest of them (0 if none), *known TRUE when that client ever signed
 * in to the account successfully (since `since`). */
gboolean okno_store_login_failures(OknoStore *st, gint64 user_id, const char *ip, gint64 since,
                                   gint64 *failures, gint64 *last_failure, gboolean *known,
                                   GError **error);

typedef struct {
  char *code;
  char *name;    /* Russian */
  char *parent;  /* code, "" if none */
} OknoDepartment;
void okno_department_free(OknoDepartment *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoDepartment, okno_department_free)
/* A taken code or an unknown parent is OKNO_ERROR_USER. */
gboolean okno_store_department_add(OknoStore *st, const OknoDepartment *d, GError **error);
OknoDepartment *okno_store_department_get(OknoStore *st, const char *code, GError **error);
GPtrArray *okno_store_department_list(OknoStore *st, GError **error); /* by code */
/* The e-mails (lowercase, sorted, distinct) of the enabled supervisors (users.role
 * 'supervisor') of department `code` that have an address: a NULL-terminated array,
 * empty when there are none or the department is unknown; NULL only with an error.
 * The SLA escalation's recipients (docs/sla.md). Caller frees (g_strfreev). */
char **okno_store_department_supervisors(OknoStore *st, const char *code, GError **error);

/* Routing rules (OknoRouteRule: appeal/routing.h). Adds `r` (sets id; position 0 =
 * after the last rule). An unknown department is OKNO_ERROR_USER. */
gboolean okno_store_route_add(OknoStore *st, OknoRouteRule *r, GError **error);
GPtrArray *okno_store_route_list(OknoStore *st, GError **error); /* in order */
/* FALSE with OKNO_ERROR_USER when there is no rule `id`. */
gboolean okno_store_route_remove(OknoStore *st, gint64 id, GError **error);
