/* ops.h: what operators (and okno itself) do to an appeal: the operations that load,
 * decide, write and notify.
 *
 * The operator console, the CLI (`okno appeal ...`), the intake pipeline and the
 * scheduler call these; none of them writes appeal fields or events directly. The
 * rules they apply are pure functions of src/appeal/ (the status machine: appeal.h;
 * deadlines, extensions, confirmations: sla.h; the routing decision: routing.h); here
 * they meet the store. Every operation runs inside the caller's store transaction
 * (okno_store_begin .. commit) and, in it:
 *  - checks the request (unknown number, a status change the machine does not allow,
 *    a missing reason: OKNO_ERROR_USER with one Russian-free English line for the CLI);
 *  - changes the appeal (store.h okno_store_appeal_update);
 *  - recomputes the deadline when it changes and reschedules the scheduler's jobs
 *    (a new deadline generation; jobs of the old one are cancelled);
 *  - writes an event naming the actor;
 *  - tells the citizen by e-mail when the citizen's notification settings allow it
 *    (okno_ops_notify: a DKIM-signed message in the outbound queue, and an event
 *    `notified` or `notification_suppressed`).
 *
 * What a status move does to the clock: needs_clarification stops it (deadline 0, jobs
 * cancelled); leaving it, or reopening, starts the SLA period again from now.
 * answered, closed and rejected cancel the jobs.
 *
 * Routing: a new appeal goes where okno_route_match sends it (okno_route_appeal, event
 * `routed`: {"department": CODE or "", "queue": "department" or "triage", "rule": ID
 * or null, "kind": ..., "value": ...}). Later, staff move appeals between queues: a
 * transfer to another department with a reason, or an escalation («передать в
 * вышестоящую инстанцию») to the parent of the appeal's department, whose supervisors
 * then see it. Either leaves the appeal unassigned in the target queue and records an
 * event (`transferred`, `escalated`: {"from","to","reason","by"}). */
#pragma once
#include <glib.h>

#include "appeal/appeal.h"
#include "appeal/calendar.h"
#include "appeal/routing.h"
#include "appeal/sla.h"
#include "core/config.h"
#include "mail/dkim.h"
#include "mail/smime.h"
#include "store/staff.h"
#include "sec/journal_key.h"

/* What the operations need besides the store. Plain data; the owner frees the parts
 * (okno_sla_env_new/free own them; the intake pipeline builds one on the stack). */
typedef struct {
  const OknoConfig *cfg;
  OknoSlaPolicy *policy;
  OknoCalendar *cal;   /* NULL: no deadlines are computed (logged by the owner) */
  OknoDkim *dkim;      /* NULL: mail goes unsigned */
  OknoSmime *smime;    /* NULL: no S/MIME signature (mail/smime.h) */
  OknoJournalKey *journal_key; /* NULL (no key file): receipts carry no signed entry
                                  timestamp (docs/journal.md, "Receipts") */
} OknoSlaEnv;

/* Loads the policy, the calendar (ops/calendar_file.h okno_calendar_load_default) and
 * the DKIM key. NULL and the error when the policy or the key is wrong; a calendar that
 * cannot be loaded is logged and leaves cal NULL. */
OknoSlaEnv *okno_sla_env_new(const OknoConfig *cfg, GError **error);
void okno_sla_env_free(OknoSlaEnv *env);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoSlaEnv, okno_sla_env_free)

/* The event types a citizen can turn on or off: registered, status_changed, answer,
 * clarification, deadline_reminder, deadline_extended, and sms (SMS to the appeal's
 * phone as well, off by default: store/notify.h) (NULL-terminated, static). */
const char *const *okno_notify_types(void);
gboolean okno_notify_type_valid(const char *type);

/* Sets the appeal's SLA class, deadline (counted from `start` by the policy; for a
 * formal appeal also the forwarding deadline), a new deadline generation and its jobs
 * (reminder, overdue, escalate), and writes the event `deadline_set` with `why` (none
 * when `why` is NULL: the caller records it). Updates the row. With no calendar the deadline stays 0 and nothing is scheduled. */
gboolean okno_ops_start_clock(const OknoSlaEnv *env, OknoStore *st, OknoAppeal *a,
                              gint64 start, const char *why, GError **error);
/* okno_ops_start_clock() (why NULL: no event) in two parts, for an appeal not yet in
 * the store, so that its row is written once with its deadline (intake's new appeal,
 * register.h): okno_ops_clock_count() sets a's SLA class (when none), deadline,
 * forwarding deadline and deadline generation in memory and gives the times of its
 * three jobs (0: none); once the appeal is inserted (a->id set) okno_ops_clock_jobs()
 * writes those jobs under a's generation. For a new appeal only: it has no older jobs
 * to cancel, and none are looked for (okno_store_sla_jobs_add). */
void okno_ops_clock_count(const OknoSlaEnv *env, OknoAppeal *a, gint64 start, gint64 when[3]);
gboolean okno_ops_clock_jobs(OknoStore *st, const OknoAppeal *a, const gint64 when[3],
                             GError **error);
/* Stops the clock: deadline 0, jobs cancelled, event `clock_paused` with `reason`. */
gboolean okno_ops_stop_clock(OknoStore *st, OknoAppeal *a, const char *reason, GError **error);

/* The operator operations on appeal `number` (the status machine: appeal/appeal.h); `actor` names who did it (an e-mail or
 * a login), recorded in the event. `version` is the version the caller saw (the
 * console's optimistic check) or 0 (the CLI: any): a stale one is OKNO_ERROR_USER
 * OKNO_STORE_STALE_TEXT and nothing changes (the caller rolls the transaction back).
 * answered sends `answer` as the operator's letter: okno_reply_build() threaded to the
 * citizen's last message, DKIM-signed, stored as an `out` message (not automatic) and
 * queued, if the citizen's "answer" notifications are on (event notified/suppressed). */
gboolean okno_ops_set_status(const OknoSlaEnv *env, OknoStore *st, const char *number,
                             gint64 version, OknoStatus status, const char *reason,
                             const char *answer, const char *actor, GError **error);
/* Answers appeal `number` with `answer`: okno_ops_set_status(answered) when it is not
 * answered yet; a further answer to an answered appeal is sent the same way, bumps the
 * version and writes the event `answered_again`. */
gboolean okno_ops_answer(const OknoSlaEnv *env, OknoStore *st, const char *number,
                         gint64 version, const char *answer, const char *actor, GError **error);
/* Extends the deadline by `by` from the current deadline, if okno_sla_extension_check
 * allows it (a reason; a formal appeal once, by at most 30 calendar days). The citizen
 * is told the new deadline and the reason (deadline_extended). */
gboolean okno_ops_extend(const OknoSlaEnv *env, OknoStore *st, const char *number,
                         const OknoSlaPeriod *by, const char *reason, const char *actor,
                         GError **error);
/* A supervisor confirms the priority of an urgent or accelerated appeal
 * (okno_sla_confirm): the confirmed period (urgent: 4 hours, accelerated: 24 hours)
 * runs from now, when that is sooner than the current deadline, with new jobs; an
 * appeal of another class becomes urgent. Event `priority_confirmed`. */
gboolean okno_ops_confirm_urgent(const OknoSlaEnv *env, OknoStore *st, const char *number,
                                 const char *actor, GError **error);
/* Assigns the appeal to the staff account `login` ("" unassigns), keeping its
 * department (store.h okno_store_appeal_assign, which bumps the version); the
 * scheduler's reminders then go to that user's e-mail. OKNO_ERROR_USER for an unknown
 * login, a disabled account, or a user who could not work on the appeal
 * (okno_staff_can OKNO_ACT_REPLY once assigned: an auditor, or another department).
 * Event `assigned` {assignee: login or "", user: id, by}. */
gboolean okno_ops_assign(OknoStore *st, const char *number, gint64 version, const char *login,
                         const char *actor, GError **error);
/* Forwards the appeal to the competent body `body` (free text, e.g. «Социальный фонд
 * России»; 59-FZ art. 8 part 3: within 7 days of registration, the citizen told):
 * status closed, jobs cancelled, event `forwarded` {to, in_time}, and the citizen is
 * told where it went (status_changed). Allowed from new, in_progress. */
gboolean okno_ops_forward(const OknoSlaEnv *env, OknoStore *st, const char *number,
                          const char *body, const char *actor, GError **error);

/* The grounds of 59-FZ art. 11 for leaving a formal appeal unanswered: no_name_or_address,
 * obscene, unreadable, no_essence, repeated (NULL-terminated, static). */
const char *const *okno_ops_art11_grounds(void);
/* Leaves a formal appeal unanswered on `ground` (art. 11): status closed, event
 * `left_unanswered`, the citizen told why when there is an address to tell
 * (status_changed). OKNO_ERROR_USER for a support request or an unknown ground. */
gboolean okno_ops_leave_unanswered(const OknoSlaEnv *env, OknoStore *st, const char *number,
                                   const char *ground, const char *actor, GError **error);

/* Tells the citizen of `a`: honours the notification setting for `type`, builds the
 * message (okno_notice_build), signs it, stores it in the appeal's history and queues
 * it; event `notified` {type, message_id} or `notification_suppressed` {type, reason}. */
gboolean okno_ops_notify(const OknoSlaEnv *env, OknoStore *st, const OknoAppeal *a,
                         const char *type, const char *subject, const char *text,
                         GError **error);
/* Stores and queues one message okno wrote (`msg`, our `message_id`, to `to`) in the
 * history of `a`: S/MIME-signed first when env->smime is set (mail/smime.h), then
 * DKIM-signed when env->dkim is set (the stored bytes are the bytes sent; a failed
 * signature sends it without, with the event `smime_failed` or `dkim_failed`),
 * then a message row (direction out, automatic) and an outbound job. */
gboolean okno_ops_queue_message(const OknoSlaEnv *env, OknoStore *st, const OknoAppeal *a,
                                GBytes *msg, const char *message_id, const char *to,
                                const char *subject, const char *text, GError **error);
/* Sends staff mail about `a` to each address in `to` (stored, signed and queued like
 * notifications; one message per address). *sent gets the number queued. */
gboolean okno_ops_mail_staff(const OknoSlaEnv *env, OknoStore *st, const OknoAppeal *a,
                             const char *const *to, const char *subject, const char *text,
                             guint *sent, GError **error);

/* A new appeal that says «Повторное» and names an earlier appeal `earlier` (a number):
 * links both ways (related, events `linked`), and reopens the earlier one (status
 * in_progress, the clock started again, event `reopened`) when it was closed without
 * an answer and has the same contact. Unknown numbers are ignored. */
gboolean okno_ops_link_repeated(const OknoSlaEnv *env, OknoStore *st, OknoAppeal *a,
                                const char *earlier, GError **error);

/* Inside the caller's transaction: routes the new appeal `a` (sets a->department and
 * bumps its version when a rule or, with `cfg`, the learning router of ops/classify.h
 * decides) and records the `routed` event. `cfg` NULL: rules only. */
gboolean okno_route_appeal(const OknoConfig *cfg, OknoStore *st, OknoAppeal *a,
                           const OknoRouteInput *in,
                           GError **error);

/* Inside the caller's transaction, as `by` (checked with okno_staff_can:
 * OKNO_ACT_TRANSFER / OKNO_ACT_ESCALATE), on appeal `number` read at `version`.
 * Errors: an unknown appeal or department, an empty reason, the same department, no
 * parent to escalate to, a stale version: OKNO_ERROR_USER with a Russian line; not
 * allowed: OKNO_ERROR_PERM «Недостаточно прав для этого действия.». On success the
 * new version is in *new_version (may be NULL). */
gboolean okno_appeal_transfer(OknoStore *st, const OknoUser *by, const char *number,
                              gint64 version, const char *department, const char *reason,
                              gint64 *new_version, GError **error);
gboolean okno_appeal_escalate(OknoStore *st, const OknoUser *by, const char *number,
                              gint64 version, const char *reason, gint64 *new_version,
                              GError **error);
