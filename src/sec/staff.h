/* staff.h: staff accounts: creation with a one-time password, TOTP and recovery
 * codes; sign-in with lock-out and a journal; and the one permission check every
 * console route calls (docs/security.md has the roles matrix).
 *
 * Roles: operator (works appeals of their departments), supervisor (of one or more
 * departments: also assigns, merges, manages templates there), administrator
 * (everything, every department, accounts, departments, routing rules), auditor
 * (reads every appeal and the journals, changes nothing). The triage queue
 * (appeals with no department, store.h) belongs to every department for this check.
 *
 * Sign-in (okno_staff_authenticate) needs the password AND a second factor: a TOTP
 * code (6 digits, ±30 s, each step accepted once) or one unused recovery code (then
 * spent). Lock-out is per (account, client address): after `lock_after` consecutive
 * failures from one address that address is locked out of that account for
 * `lock_seconds`, twice as long for each further failure (capped at a day), counted
 * from the login journal (so every node sharing the store sees it); the owner signing in
 * from another address is not affected. The first lock of a pair sends the owner an
 * e-mail through the outbound queue. Account-wide, consecutive failures from every
 * address (users.failed_attempts) past `backoff_after` start a back-off
 * (users.locked_until): 1 s, doubling with each further failure, at most
 * `backoff_max_seconds`, during which only addresses that have signed in to the account
 * before are let through (the owner from a new address waits at most that long). A
 * success resets the pair and the account. A locked pair or back-off is journaled as
 * `locked`; the password is still hashed and the answer is the one of a wrong password,
 * so an unknown login, a wrong password and a lock look and take the same. Every
 * attempt goes into the login journal (time, login as typed when it names an account,
 * else "(unknown)", IP, user agent, result); no password or code is ever
 * journaled or logged. The functions take and run their own store transactions. */
#pragma once
#include <glib.h>

#include "appeal/appeal.h"
#include "core/config.h"
#include "mail/dkim.h"
#include "store/staff.h"

typedef struct {
  gint64 lock_after;     /* failures before the first lock (5) */
  gint64 lock_seconds;   /* the first lock (60 s), doubled each time after */
  gint64 backoff_after;  /* account-wide failures before the back-off (20) */
  gint64 backoff_max_seconds; /* the back-off's cap (60 s) */
  const char *issuer;    /* otpauth issuer: the portal's name */
  const OknoConfig *cfg; /* lock-out notices (okno_notice_build): [outbound] from and
                            from_name, [smtp] hostname (borrowed) */
  OknoDkim *dkim;        /* signs lock-out notices; NULL: unsigned (borrowed) */
} OknoStaffPolicy;

/* The answer to every failed sign-in but a disabled account. */
#define OKNO_STAFF_MSG_BAD                                                                 \
  "Неверный логин, пароль или код. После нескольких неудачных попыток вход с этого адреса " \
  "на время закрывается."

/* The policy from cfg ([staff] lockout_after, lockout_seconds, backoff_after,
 * backoff_max_seconds, totp_issuer; cfg itself
 * for the notices), dkim NULL (the caller sets its own signer, mail/dkim.h).
 * Borrowed: valid while cfg is. */
OknoStaffPolicy okno_staff_policy(const OknoConfig *cfg);

gboolean okno_staff_role_valid(const char *role);
/* The role in Russian words for people («оператор», «руководитель», «администратор»,
 * «аудитор»); an unknown role as given. Static string (or `role`). */
const char *okno_staff_role_words(const char *role);

/* What a new account (or a reset second factor) hands its owner, once. */
typedef struct {
  char *login;
  char *password;        /* NULL after reset-2fa */
  char *totp_secret;
  char *totp_uri;
  char **recovery_codes; /* OKNO_RECOVERY_CODES of them */
} OknoEnrolment;
void okno_enrolment_free(OknoEnrolment *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoEnrolment, okno_enrolment_free)

/* Creates an account: login 2-64 of [a-z0-9._-] starting with a letter or digit, a
 * valid role, e-mail (may be empty; needed for lock-out notices) of the form a@b.c,
 * departments (NULL-terminated codes, may be NULL) that exist. The password is
 * generated (must be changed at first sign-in). Bad input: OKNO_ERROR_USER, one
 * Russian line, nothing stored. A supervisor needs at least one department. */
OknoEnrolment *okno_staff_create(OknoStore *st, const OknoStaffPolicy *pol, const char *login,
                                 const char *role, const char *display_name, const char *email,
                                 const char *const *departments, GError **error);
/* A new TOTP secret and new recovery codes (the old ones stop working). */
OknoEnrolment *okno_staff_reset_2fa(OknoStore *st, const OknoStaffPolicy *pol,
                                    const char *login, GError **error);
/* Disables (or enables again) an account. An unknown login is OKNO_ERROR_USER. */
gboolean okno_staff_set_disabled(OknoStore *st, const char *login, gboolean disabled,
                                 GError **error);
/* Sets a new password chosen by its owner (policy checked). */
gboolean okno_staff_set_password(OknoStore *st, const char *login, const char *password,
                                 GError **error);

typedef struct {
  const char *login;
  const char *password;
  const char *code;       /* a TOTP code or a recovery code */
  const char *ip;         /* may be NULL */
  const char *user_agent; /* may be NULL */
} OknoSignIn;

/* The signed-in user (caller frees), or NULL with OKNO_ERROR_USER and a Russian
 * message: MSG_BAD («Неверный логин, пароль или код…») for any wrong part, an unknown
 * login and a lock alike (which one is not told), «Учётная запись отключена…» for a
 * disabled one (told only with the right password). Store failures: TEMP/INTERNAL.
 * *result (may be NULL) gets what was journaled: ok, ok_recovery, bad_password,
 * bad_code, replayed_code, locked, disabled, unknown_login. */
OknoUser *okno_staff_authenticate(OknoStore *st, const OknoStaffPolicy *pol,
                                  const OknoSignIn *in, const char **result, GError **error);

/* ---- permissions ---- */
typedef enum {
  OKNO_ACT_VIEW,             /* open an appeal */
  OKNO_ACT_TAKE,             /* assign an unassigned appeal to oneself */
  OKNO_ACT_ASSIGN,           /* assign it to someone else */
  OKNO_ACT_REPLY,            /* answer the citizen */
  OKNO_ACT_NOTE,             /* internal note */
  OKNO_ACT_CHANGE_STATUS,
  OKNO_ACT_TRANSFER,         /* to another department, with a reason */
  OKNO_ACT_ESCALATE,         /* to the parent department's supervisors */
  OKNO_ACT_MERGE,            /* merge a duplicate / split */
  OKNO_ACT_UNMASK,           /* show masked personal data (journaled) */
  OKNO_ACT_VIEW_JOURNAL,     /* the audit and login journals of everyone */
  OKNO_ACT_MANAGE_TEMPLATES, /* answer templates of a department */
  OKNO_ACT_MANAGE_USERS,
  OKNO_ACT_MANAGE_DEPARTMENTS, /* departments and routing rules */
  OKNO_ACT_EXTEND,           /* extend the deadline, with a reason */
  OKNO_ACT_CONFIRM_URGENT,   /* confirm an urgent / accelerated appeal's priority */
  OKNO_ACT_SPLIT,            /* move inbound messages into a new appeal */
  OKNO_ACT_JUDGE_SPAM,       /* «Спам» / «Не спам» (ops/spam.h, docs/spam.md) */
  OKNO_ACT_LEGAL_HOLD,       /* place or lift a legal hold (ops/retention.h) */
  OKNO_ACT_VIEW_ACTS,        /* destruction acts of personal data (docs/retention.md) */
  OKNO_ACT_VIEW_STATS,       /* the dashboard /console/stats (supervisors: their departments) */
  OKNO_ACT_MANAGE_KB,        /* knowledge-base articles (web/console_kb.c, docs/kb.md) */
  OKNO_ACT_MANAGE_INCIDENTS, /* mass incidents (web/console_incidents.c, docs/incidents.md) */
  OKNO_ACT_COUNT
} OknoAction;

/* Whether `user` may do `action` on `appeal` (NULL for actions on no appeal; for
 * OKNO_ACT_MANAGE_TEMPLATES pass NULL and the department in `department`, else NULL).
 * A disabled user may do nothing. Pure: reads only its arguments. */
gboolean okno_staff_can(const OknoUser *user, OknoAction action, const OknoAppeal *appeal,
                        const char *department);
/* Whether `user` views appeals of every department (administrators and auditors);
 * others view their departments' and triage's (okno_staff_can(VIEW)). The console's
 * paged queues (store.h OknoQueueQuery) say the same in SQL. */
gboolean okno_staff_sees_every_department(const OknoUser *user);
/* The action's name as in docs/security.md ("view", "take", ...). */
const char *okno_action_name(OknoAction action);
