/* store.h: okno's registry, as domain operations (the contract every backend keeps).
 *
 * One OknoStore is one connection, used by one thread at a time. All writes happen
 * inside okno_store_begin()/okno_store_commit(); a commit returns only once the data is
 * synced to disk (SQLite: WAL with synchronous=FULL; PostgreSQL: after the WAL flush,
 * synchronous_commit=on, which okno expects and docs/postgresql.md states). Savepoints let the group-commit
 * writer undo one registration without losing the others in the same transaction.
 *
 * Times are microseconds since the epoch (okno_now()); the store keeps them as RFC 3339
 * UTC text. Strings given are copied; rows returned are owned by the caller.
 * Errors: OKNO_ERROR_TEMP for contention and full disks (retry), OKNO_ERROR_INTERNAL
 * otherwise. "Not found" is not an error: getters return NULL / 0 with no error set. */
#pragma once
#include <glib.h>

#include "appeal/appeal.h"
#include "appeal/routing.h"
#include "check/blocklist.h"
#include "mail/mime.h"
#include "store/db.h"

typedef struct OknoStore OknoStore;

OknoStore *okno_store_open(const char *url, GError **error); /* migrates to the latest */
void okno_store_close(OknoStore *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoStore, okno_store_close)
OknoDb *okno_store_db(OknoStore *st);

gboolean okno_store_begin(OknoStore *st, GError **error);
gboolean okno_store_commit(OknoStore *st, GError **error);
void okno_store_rollback(OknoStore *st);
gboolean okno_store_savepoint(OknoStore *st, GError **error);
gboolean okno_store_release(OknoStore *st, GError **error);
void okno_store_rollback_to(OknoStore *st);

/* The next value of a named counter (1, 2, ...), e.g. "appeal-2026". */
gboolean okno_store_next_seq(OknoStore *st, const char *counter, gint64 *value, GError **error);

/* ---- appeals (the record, OknoAppeal: appeal/appeal.h) ---- */
gboolean okno_store_appeal_insert(OknoStore *st, OknoAppeal *a, GError **error); /* sets id */
OknoAppeal *okno_store_appeal_get(OknoStore *st, const char *number, GError **error);
OknoAppeal *okno_store_appeal_get_by_id(OknoStore *st, gint64 id, GError **error);
/* What a stale optimistic version gives (OKNO_ERROR_USER, Russian: the console shows it). */
#define OKNO_STORE_STALE_TEXT \
  "Обращение уже изменил другой сотрудник: обновите страницу и повторите действие."
/* Writes every mutable field of `a` (status, related, deadline and the SLA fields from
 * priority on; kind, number and contact never change), sets updated_at to now and
 * bumps the version, if the row's version is still a->version (0 skips the check: the
 * intake pipeline, which owns a new appeal); a->version gets the new one. A stale
 * version is OKNO_ERROR_USER OKNO_STORE_STALE_TEXT and changes nothing. The department
 * and the assignee change only through okno_store_appeal_assign (below), which checks
 * the version too. */
gboolean okno_store_appeal_update(OknoStore *st, OknoAppeal *a, GError **error);

/* ---- messages (both directions) ---- */
typedef struct {
  gint64 id;
  gint64 appeal_id;
  const char *direction;   /* "in" or "out" */
  const char *message_id;  /* without <>, "" if none */
  const char *sender;      /* e-mail, lowercase */
  const char *recipient;
  const char *subject;
  const char *text;
  const char *content_hash; /* dedup key (hex), "" if none */
  gboolean automatic;      /* written by okno itself (a receipt): kept out of search */
  const char *meta_json;   /* envelope, extracted data, defects: a JSON object */
  GBytes *raw;             /* the original bytes, kept byte for byte */
  gint64 created_at;
} OknoMessageRow;

gboolean okno_store_message_insert(OknoStore *st, OknoMessageRow *m, GError **error);
gboolean okno_store_attachment_insert(OknoStore *st, gint64 message_row_id,
                                      const OknoAttachment *att, const char *refused,
                                      GError **error);
/* The original bytes of the `index`-th message (1-based, in the order of the appeal's
 * history, both directions) of appeal `number`; NULL if there is no such message. */
GBytes *okno_store_appeal_message_raw(OknoStore *st, const char *number, gint64 index,
                                      GError **error);

/* Appeal id of an earlier inbound message from `sender` with the same Message-ID, or
 * with the same content hash received at or after `since`. 0 if none. */
gint64 okno_store_find_duplicate(OknoStore *st, const char *sender, const char *message_id,
                                 const char *content_hash, gint64 since, GError **error);
/* Appeal id owning any message (either direction) whose Message-ID is in `ids`. */
gint64 okno_store_find_by_message_ids(OknoStore *st, const char *const *ids, GError **error);

/* ---- events ---- */
gboolean okno_store_event_add(OknoStore *st, gint64 appeal_id, const char *kind,
                              const char *detail_json, GError **error);

/* ---- outbound queue ---- */
/* Queues message row `message_row_id` for delivery; `automatic` marks receipts and
 * other machine mail (counted by okno_store_count_automatic). */
gboolean okno_store_outbound_enqueue(OknoStore *st, gint64 appeal_id, gint64 message_row_id,
                                     const char *env_from, const char *env_to,
                                     gboolean automatic, GError **error);
gint64 okno_store_count_automatic(OknoStore *st, const char *recipient, gint64 since,
                                  GError **error);

typedef struct {
  gint64 id;
  gint64 appeal_id;  /* 0: mail of no appeal (okno_store_outbound_enqueue_mail) */
  char *env_from;
  char *env_to;
  char *message_id;
  GBytes *raw;
  gint64 attempts;   /* including this one */
  gint64 created_at;
} OknoOutboundJob;
void okno_outbound_job_free(OknoOutboundJob *j);

/* Claims up to `limit` due jobs for `lease` microseconds in the name of `owner` (a
 * node's stable name). A crashed claimer's jobs are due again when its lease runs out,
 * or at once when the same owner starts again and calls okno_store_outbound_release.
 * Returns a GPtrArray of OknoOutboundJob*. */
GPtrArray *okno_store_outbound_claim(OknoStore *st, gint64 now, gint64 lease, guint limit,
                                     const char *owner, GError **error);
/* Gives up every lease `owner` holds on queued jobs (a node restarting after a crash:
 * what its previous life claimed is its own to deliver again). */
gboolean okno_store_outbound_release(OknoStore *st, const char *owner, GError **error);
gboolean okno_store_outbound_sent(OknoStore *st, gint64 id, gint64 now, GError **error);
gboolean okno_store_outbound_retry(OknoStore *st, gint64 id, gint64 next_attempt,
                                   const char *reason, GError **error);
gboolean okno_store_outbound_failed(OknoStore *st, gint64 id, const char *reason,
                                    GError **error);
/* Counts by state, for tests and status: queued, sent, failed. */
gboolean okno_store_outbound_counts(OknoStore *st, gint64 *queued, gint64 *sent,
                                    gint64 *failed, GError **error);

/* ---- phishing reports and the block list (docs/phishing.md) ---- */
typedef struct {
  gint64 id;
  char *kind;        /* "domain" or "url" */
  char *value;       /* normalised (check/blocklist.h) */
  gboolean blocked;  /* used by check-mail and intake */
  gint64 reports;    /* reports received */
  char *reported_by; /* who reported (or blocked) it first */
  char *source;      /* how that first report came: "cli", "check-address", "operator" */
  gint64 created_at;
  gint64 updated_at;
} OknoPhishEntry;
void okno_phish_entry_free(OknoPhishEntry *e);

/* Records one report of `value` (normalised by the caller) by `reporter` through
 * `source`, creating the entry if needed; `block` also puts it on the block list
 * (never takes it off). `action` ("report", "block") goes into the report history. */
gboolean okno_store_phish_report(OknoStore *st, const char *kind, const char *value,
                                 const char *reporter, const char *source, gboolean block,
                                 GError **error);
/* Takes an entry off the block list (it stays as reported); *found FALSE if unknown. */
gboolean okno_store_phish_unblock(OknoStore *st, const char *kind, const char *value,
                                  const char *by, gboolean *found, GError **error);
/* Entries (OknoPhishEntry*), blocked ones only when `blocked_only`, newest first. */
GPtrArray *okno_store_phish_list(OknoStore *st, gboolean blocked_only, GError **error);
/* The blocked entries as a block list to match against (caller frees). */
OknoBlocklist *okno_store_phish_blocklist(OknoStore *st, GError **error);

/* ---- reading for people ---- */
/* The appeal as the JSON contract of `okno show --json` (DESIGN.md). NULL if unknown. */
char *okno_store_appeal_json(OknoStore *st, const char *number, GError **error);
/* Filters of `okno list`; NULL or "" strings do not filter. */
typedef struct {
  const char *status;
  const char *channel;
  const char *queue;
  const char *from_email;
  gint64 limit;      /* 0: no limit */
  const char *after; /* an appeal number: only appeals listed after it (keyset paging) */
} OknoListFilter;
/* Appeals matching `f` (may be NULL), newest first (received_at, then id, descending):
 * a GPtrArray of OknoAppeal* (free with g_ptr_array_unref). The order is the index
 * appeals_k_recv's, so a page of `limit` after an appeal reads about `limit` rows. An
 * unknown `after` number is OKNO_ERROR_USER. */
GPtrArray *okno_store_list(OknoStore *st, const OknoListFilter *f, GError **error);
/* Appeals (OknoAppeal*) as the JSON array of summaries that `okno list --json` prints. */
char *okno_appeals_json(const GPtrArray *appeals);

/* ---- full-text search (docs/search.md; src/store/search.c) ---- */
/* Appeals whose subject, message texts (both directions) and attachment file names
 * together hold every word of `query`, best first (bm25 on SQLite, ts_rank on
 * PostgreSQL; ties newest first), at most `limit` (0: no limit). Words are normalised
 * as indexed (src/text/tokenizer.h: lowercase, ё = е, Snowball stems, stop words
 * dropped); quotes and operators in `query` are plain separators, never syntax.
 * A query with no words left, or more than 32, is OKNO_ERROR_USER. Returns a
 * GPtrArray of OknoAppeal* (possibly empty) owned by the caller. */
GPtrArray *okno_store_search(OknoStore *st, const char *query, gint64 limit, GError **error);

/* ---- web: sessions, single-use tokens, instance secrets (src/sec/session.h) ---- */
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

/* ---- staff, departments, routing (src/store/staff.c; docs/security.md) ----
 * The rows behind src/sec/staff.h and src/appeal/routing.h. Logins and department
 * codes are given as typed; the callers (staff.c, the CLI) check their form. */
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

/* Moves appeal `id` to `department` ("" = triage) and gives it to `assignee` (0:
 * nobody) if its version is still `version`; bumps the version (new one in
 * *new_version, may be NULL). A stale version is OKNO_ERROR_USER «Обращение уже
 * изменил другой сотрудник: обновите страницу и повторите действие.»; an unknown id
 * too. version 0 skips the check (the intake pipeline, which owns a new appeal). */
gboolean okno_store_appeal_assign(OknoStore *st, gint64 id, gint64 version,
                                  const char *department, gint64 assignee,
                                  gint64 *new_version, GError **error);

/* Queues mail that belongs to no appeal (a notice to a staff member, a check@ verdict,
 * a cabinet's sign-in code or address-change notice), kept as its own bytes (already
 * signed) with `message_id` (no <>); counted as automatic; delivered like any job
 * (OknoOutboundJob.appeal_id is then 0). */
gboolean okno_store_outbound_enqueue_mail(OknoStore *st, const char *env_from,
                                          const char *env_to, const char *message_id,
                                          GBytes *raw, GError **error);
/* ---- the operator console (src/store/console.c; src/web/console.c) ---- */

typedef struct {
  gint64 id;
  char *department;
  char *name;
  char *body; /* mustache (web/template.h) */
} OknoAnswerTemplate;
void okno_answer_template_free(OknoAnswerTemplate *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoAnswerTemplate, okno_answer_template_free)
/* Adds a template (sets t->id). A taken name in the department is OKNO_ERROR_USER. */
gboolean okno_store_template_add(OknoStore *st, OknoAnswerTemplate *t, GError **error);
/* Templates of the departments in `departments` (NULL-terminated; NULL: every one),
 * by department then name: a GPtrArray of OknoAnswerTemplate*. */
GPtrArray *okno_store_template_list(OknoStore *st, const char *const *departments,
                                    GError **error);
OknoAnswerTemplate *okno_store_template_get(OknoStore *st, gint64 id, GError **error);
gboolean okno_store_template_remove(OknoStore *st, gint64 id, GError **error);

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

/* The Message-ID (without <>) and the References JSON/meta of the appeal's last inbound
 * message: *message_id "" when none. *references (NULL-terminated, never NULL) holds
 * the ids of that message's References, read from its meta "references" when kept. */
gboolean okno_store_last_inbound(OknoStore *st, gint64 appeal_id, char **message_id,
                                 char ***references, GError **error);
/* The `k`-th (1-based) accepted attachment of appeal `appeal_id`, in the order of
 * okno_store_appeal_json (messages by id, then attachments by id; refused ones are
 * not counted and never given). NULL (no error) if there is none; caller frees the
 * strings and unrefs the bytes. */
GBytes *okno_store_attachment_get(OknoStore *st, gint64 appeal_id, gint64 k, char **filename,
                                  char **content_type, GError **error);
/* Merges duplicate appeal `dup_id` (read at `dup_version`) into `target_id`: its
 * messages move to the target (so later replies in the duplicate's thread join the
 * target; the search index follows), its own events stay where they are (history
 * kept), and it becomes `closed` with `related` = the target's number; both versions
 * are bumped (the target's new one in *target_version, may be NULL). A stale
 * dup_version is OKNO_ERROR_USER as in okno_store_appeal_assign. Caller's transaction. */
gboolean okno_store_appeal_merge(OknoStore *st, gint64 dup_id, gint64 dup_version,
                                 gint64 target_id, const char *target_number,
                                 gint64 *target_version, GError **error);

/* Splits inbound messages out of appeal `from_id` (read at `from_version`) into the new
 * appeal `fresh`, which the caller filled (number from okno_store_next_seq, contact,
 * channel, category, status, department, assignee...); it is inserted here (fresh->id
 * and fresh->version set; department and assignee through okno_store_appeal_assign). `indexes` (n of
 * them) are 1-based positions in the source's history ordered by message id, as in
 * okno_store_appeal_json and the console page. Each must name an inbound message of the
 * source, and at least one inbound message must stay there; else OKNO_ERROR_USER with
 * a Russian line. The messages move with their attachments (rows keyed by message);
 * nothing is deleted; the source's version is bumped (*new_from_version, may be NULL).
 * A stale from_version is OKNO_ERROR_USER OKNO_STORE_STALE_TEXT. Caller's transaction;
 * the caller writes the events. */
gboolean okno_store_appeal_split(OknoStore *st, gint64 from_id, gint64 from_version,
                                 const gint64 *indexes, guint n, OknoAppeal *fresh,
                                 gint64 *new_from_version, GError **error);

/* ---- SLA jobs (src/store/sla_store.c; the scheduler, ops/scheduler.h) ----
 * One row per (appeal, kind, generation): "reminder", "overdue", "escalate". A job is
 * claimed under a lease in a node's name and finished once: okno_store_sla_job_finish
 * succeeds for one caller only, inside the transaction that does the job's work, so a
 * crash redoes an unfinished job and never repeats a finished one. */
typedef struct {
  gint64 id;
  gint64 appeal_id;
  char kind[16];
  gint64 generation;
  gint64 due_at;
} OknoSlaJob;

/* Cancels the appeal's pending jobs of other generations and adds `n` jobs of
 * `generation` (kinds[i] due at due[i]; a due time of 0 adds nothing); adding a job
 * that exists is a no-op. */
gboolean okno_store_sla_jobs_set(OknoStore *st, gint64 appeal_id, gint64 generation,
                                 const char *const *kinds, const gint64 *due, guint n,
                                 GError **error);
/* Cancels every pending job of the appeal (the clock stopped, or the appeal is done). */
gboolean okno_store_sla_jobs_cancel(OknoStore *st, gint64 appeal_id, GError **error);
/* Claims up to `limit` pending jobs due at `now` whose lease has run out, for `lease`
 * microseconds in the name of `owner`, oldest due first (PostgreSQL: FOR UPDATE SKIP
 * LOCKED). Returns a GArray of OknoSlaJob. */
GArray *okno_store_sla_jobs_claim(OknoStore *st, gint64 now, gint64 lease, guint limit,
                                  const char *owner, GError **error);
/* Marks job `id` `state` ("done" or "cancelled") if it is still pending and leased by
 * `owner`. *won is TRUE when this call did it; FALSE means someone else already had. */
gboolean okno_store_sla_job_finish(OknoStore *st, gint64 id, const char *owner,
                                   const char *state, gint64 now, gboolean *won,
                                   GError **error);
/* Gives up `owner`'s leases on pending jobs (a node starting again). */
gboolean okno_store_sla_jobs_release(OknoStore *st, const char *owner, GError **error);
/* Counts pending jobs (status, tests). */
gint64 okno_store_sla_jobs_pending(OknoStore *st, GError **error);

/* ---- citizens' notification settings (the cabinet's «Уведомления») ----
 * Per contact address (lowercased here) and event type (okno_notify_types() in
 * ops/ops.h): on or off; a pair without a row is on. */
gboolean okno_store_notify_set(OknoStore *st, const char *email, const char *event,
                               gboolean enabled, GError **error);
/* *enabled for (email, event); TRUE when no row says otherwise. */
gboolean okno_store_notify_enabled(OknoStore *st, const char *email, const char *event,
                                   gboolean *enabled, GError **error);

/* ---- the console's queues, paged (src/store/queue.c; docs/DESIGN.md "Paging") ----
 * Keyset pages: a page is the `limit` rows that follow (or precede) a cursor in the
 * queue's order, read through an index that gives the rows in that order (migration
 * step 10), so a page costs about `limit` index entries whatever the registry's size,
 * and an appeal arriving meanwhile never shifts the rows of the next page (no gap, no
 * repeat: new appeals sort first by received time, or where their deadline puts them).
 * A user who does not see every department gets one branch per visible department
 * merged in order (UNION ALL: SQLite's MERGE, PostgreSQL's Merge Append), never a sort.
 * Counts come from appeal_counts (per department, status, assignee and quarantine,
 * kept by triggers in the appeal's own transaction): a few rows summed at any size.
 * The overdue count depends on the time, so it counts the partial index of open
 * appeals by due time (as many entries as appeals are overdue). With a full-text
 * search, pages and counts follow the matches (as many as the words match). */
typedef enum {
  OKNO_QUEUE_MINE,          /* assigned to the user */
  OKNO_QUEUE_DEPARTMENT,    /* in the user's departments (not triage) */
  OKNO_QUEUE_UNASSIGNED,    /* open and assigned to nobody */
  OKNO_QUEUE_CLARIFICATION, /* status needs_clarification */
  OKNO_QUEUE_OVERDUE,       /* open, with a deadline before `now` */
  OKNO_QUEUE_ALL,           /* everything the user sees */
  OKNO_QUEUE_COUNT
} OknoQueue;

typedef enum {
  OKNO_SORT_RECEIVED, /* newest first: received_at, id descending */
  OKNO_SORT_DEADLINE, /* soonest deadline first, none last: due, id ascending */
} OknoSort;

typedef struct {
  OknoQueue queue;
  gint64 user;                    /* the user's id (OKNO_QUEUE_MINE) */
  gboolean every_department;      /* administrators and auditors see every department */
  const char *const *departments; /* the user's departments (NULL-terminated, may be NULL);
                                   * without every_department the user sees these and
                                   * triage (""), as okno_staff_can(VIEW) allows */
  const char *status;             /* NULL or "": any status */
  const char *search;             /* NULL or "": no full-text filter (words as in
                                   * okno_store_search; none left is OKNO_ERROR_USER) */
  OknoSort sort;
  gint64 now;                     /* the instant "overdue" is measured at */
  const char *after;              /* a page token: the rows after it (NULL: the start) */
  const char *before;             /* a page token: the rows before it (if after is NULL) */
  guint limit;                    /* rows per page, 1 to 500 */
} OknoQueueQuery;
/* Quarantined appeals are in no queue. */

typedef struct {
  GPtrArray *appeals; /* OknoAppeal*, in the queue's order */
  char *next;         /* token of the next page (after=), NULL on the last page */
  char *prev;         /* token of the previous page (before=), NULL on the first */
} OknoPage;
void okno_page_free(OknoPage *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoPage, okno_page_free)

/* One page of `q`. Tokens are opaque (base64url of the sort key); one of another sort
 * order or not made here is OKNO_ERROR_USER with a Russian line. A `before` page that
 * reaches the start is the first page, full. */
OknoPage *okno_store_queue_page(OknoStore *st, const OknoQueueQuery *q, GError **error);
/* The number of appeals in q's queue with its status and search filters (cursors and
 * limit are ignored); -1 with an error. */
gint64 okno_store_queue_count(OknoStore *st, const OknoQueueQuery *q, GError **error);
/* The plan of the statement okno_store_queue_page (count FALSE) or
 * okno_store_queue_count (TRUE) runs for `q`: SQLite's EXPLAIN QUERY PLAN details or
 * PostgreSQL's EXPLAIN lines, one a line (caller frees). For tests and benchmarks. */
char *okno_store_queue_plan(OknoStore *st, const OknoQueueQuery *q, gboolean count,
                            GError **error);

/* Page tokens of the keyset order (received_at or due, then id), shared with the
 * cabinet's list (store/cabinet.h): encode; decode gives FALSE when `token` is not one
 * of `sort`'s. */
char *okno_page_token(OknoSort sort, gint64 key, gint64 id);
gboolean okno_page_token_parse(const char *token, OknoSort sort, gint64 *key, gint64 *id);
