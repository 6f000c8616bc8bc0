/* ops.c: operator operations on appeals, the clock, routing and notifications (ops.h).
 *
 * How it works: each operation loads the appeal by number, checks the request by the
 * domain's pure rules (appeal/appeal.h's status machine, appeal/sla.h's extension and
 * confirmation rules), changes the OknoAppeal in memory, writes it back with
 * okno_store_appeal_update (or okno_store_appeal_assign for the queue and the
 * assignee), and records what happened as events. Whenever the deadline changes,
 * okno_ops_start_clock (or extend/confirm) bumps the deadline generation and gives the
 * scheduler the jobs of the new deadline (store: okno_store_sla_jobs_set cancels the
 * old generation's jobs). Mail to the citizen and to staff is one path:
 * okno_notice_build, DKIM, a message row in the appeal's history (automatic, so search
 * leaves it out), the outbound queue. */
#include "ops/ops.h"
#include "ops/classify.h"
#include "ops/classify_auto.h"

#include <math.h>

#include <json-glib/json-glib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "mail/receipt.h"
#include "ops/calendar_file.h"
#include "sec/staff.h"
#include "store/appeals.h"
#include "store/classify.h"
#include "store/events.h"
#include "store/jobs.h"
#include "store/messages.h"
#include "store/notify.h"
#include "store/outbound.h"
#include "store/staff.h"

static const char *const notify_types[] = {
  "registered", "status_changed", "answer", "clarification", "deadline_reminder",
  "deadline_extended", "sms", NULL,
};

const char *const *okno_notify_types(void) { return notify_types; }

gboolean okno_notify_type_valid(const char *type)
{
  return type && g_strv_contains(notify_types, type);
}

OknoSlaEnv *okno_sla_env_new(const OknoConfig *cfg, GError **error)
{
  g_autoptr(OknoSlaEnv) env = g_new0(OknoSlaEnv, 1);
  env->cfg = cfg;
  env->policy = okno_sla_policy_new(cfg, error);
  if (!env->policy)
    return NULL;
  {
    /* Without a calendar okno still runs (as intake does): no deadlines are computed,
     * and the operations that need one say so. */
    g_autoptr(GError) cal_err = NULL;
    env->cal = okno_calendar_load_default(cfg, &cal_err);
    if (!env->cal)
      okno_log_warn("sla", "event=no_calendar error=\"%s\"", cal_err->message);
  }
  env->dkim = okno_dkim_new(cfg, error);
  if (!env->dkim && error && *error)
    return NULL;
  env->smime = okno_smime_new(cfg, error);
  if (!env->smime && error && *error)
    return NULL;
  {
    /* The journal's key signs receipts' entry timestamps; no key file: none. */
    g_autofree char *path = okno_config_journal_key_file(cfg);
    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
      env->journal_key = okno_journal_key_load(path, error);
      if (!env->journal_key)
        return NULL;
    }
  }
  return g_steal_pointer(&env);
}

void okno_sla_env_free(OknoSlaEnv *env)
{
  if (!env)
    return;
  g_clear_pointer(&env->policy, okno_sla_policy_free);
  g_clear_pointer(&env->cal, okno_calendar_free);
  g_clear_pointer(&env->dkim, okno_dkim_free);
  g_clear_pointer(&env->smime, okno_smime_free);
  g_clear_pointer(&env->journal_key, okno_journal_key_free);
  g_free(env);
}

/* ---- events ---- */

/* An event whose detail is the key/value string pairs given (NULL-terminated; a
 * pair whose value is NULL is left out). */
static gboolean event(OknoStore *st, gint64 appeal, GError **error, const char *kind, ...)
    G_GNUC_NULL_TERMINATED;
static gboolean event(OknoStore *st, gint64 appeal, GError **error, const char *kind, ...)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *text = NULL;
  va_list ap;
  const char *k;
  json_builder_begin_object(b);
  va_start(ap, kind);
  while ((k = va_arg(ap, const char *))) {
    const char *v = va_arg(ap, const char *);
    if (v)
      okno_json_str(b, k, v);
  }
  va_end(ap);
  json_builder_end_object(b);
  text = okno_json_text(b, FALSE);
  return okno_store_event_add(st, appeal, kind, text, error);
}

static OknoAppeal *load(OknoStore *st, const char *number, GError **error)
{
  OknoAppeal *a = okno_store_appeal_get(st, number, error);
  if (!a && error && !*error)
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "no appeal %s", number ? number : "");
  return a;
}

/* load(), and the caller's expected `version` (0: any) must still be the appeal's. */
static OknoAppeal *load_at(OknoStore *st, const char *number, gint64 version, GError **error)
{
  OknoAppeal *a = load(st, number, error);
  if (a && version && a->version != version) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    okno_appeal_free(a);
    return NULL;
  }
  return a;
}

static char *msk(gint64 us) { return us ? okno_time_format_msk(us) : g_strdup(""); }

/* ---- mail ---- */

/* okno_ops_queue_message(); `automatic` FALSE for a letter a person wrote (an answer). */
static gboolean queue_message(const OknoSlaEnv *env, OknoStore *st, const OknoAppeal *a,
                              GBytes *msg, const char *message_id, const char *to,
                              const char *subject, const char *text, gboolean automatic,
                              GError **error)
{
  g_autoptr(GError) dkim_err = NULL, smime_err = NULL;
  /* S/MIME first, DKIM over the result (mail/smime.h) */
  g_autoptr(GBytes) smimed = okno_smime_sign_or_plain(env->smime, msg, &smime_err);
  g_autoptr(GBytes) out = okno_dkim_sign_or_plain(env->dkim, smimed, &dkim_err);
  OknoMessageRow row = {0};
  if (smime_err) {
    okno_log_warn("mail", "event=smime_failed appeal=%s error=\"%s\"", a->number,
                  smime_err->message);
    if (!event(st, a->id, error, "smime_failed", "reason", smime_err->message, NULL))
      return FALSE;
  }
  if (dkim_err) {
    okno_log_warn("mail", "event=dkim_failed appeal=%s error=\"%s\"", a->number,
                  dkim_err->message);
    if (!event(st, a->id, error, "dkim_failed", "reason", dkim_err->message, NULL))
      return FALSE;
  }
  row.appeal_id = a->id;
  row.direction = "out";
  row.automatic = automatic;
  row.message_id = message_id;
  row.sender = env->cfg->outbound_from;
  row.recipient = to;
  row.subject = subject;
  row.text = text;
  row.raw = out;
  row.created_at = okno_now();
  return okno_store_message_insert(st, &row, error) &&
         okno_store_outbound_enqueue(st, a->id, row.id, env->cfg->outbound_from, to, automatic,
                                     error);
}

gboolean okno_ops_queue_message(const OknoSlaEnv *env, OknoStore *st, const OknoAppeal *a,
                                GBytes *msg, const char *message_id, const char *to,
                                const char *subject, const char *text, GError **error)
{
  return queue_message(env, st, a, msg, message_id, to, subject, text, TRUE, error);
}

/* A notice (okno_notice_build) to `to`, queued; *message_id NULL when the address
 * cannot be written into a header (nothing queued). */
static gboolean queue_mail(const OknoSlaEnv *env, OknoStore *st, const OknoAppeal *a,
                           const char *to, const char *to_name, const char *subject,
                           const char *text, char **message_id, GError **error)
{
  g_autoptr(GBytes) msg = okno_notice_build(env->cfg, a->number, to, to_name, subject, text,
                                            message_id);
  if (!msg)
    return TRUE;
  return okno_ops_queue_message(env, st, a, msg, *message_id, to, subject, text, error);
}

/* okno_ops_notify(); `answer` (NULL for a notice) makes the letter the operator's answer
 * instead: okno_reply_build(), threaded to the citizen's last message, not automatic. */
static gboolean notify(const OknoSlaEnv *env, OknoStore *st, const OknoAppeal *a,
                       const char *type, const char *subject, const char *text,
                       const char *answer, GError **error)
{
  gboolean enabled = TRUE;
  g_autofree char *id = NULL;
  if (!*a->from_email)
    return event(st, a->id, error, "notification_suppressed", "type", type, "reason",
                 "no address to write to", NULL);
  if (!okno_store_notify_enabled(st, a->from_email, type, &enabled, error))
    return FALSE;
  if (!enabled)
    return event(st, a->id, error, "notification_suppressed", "type", type, "reason",
                 "turned off by the citizen", NULL);
  if (answer) {
    g_autofree char *orig = NULL, *subj = NULL;
    g_auto(GStrv) refs = NULL;
    g_autoptr(GBytes) msg = NULL;
    OknoReplyInfo info = {.number = a->number, .to_email = a->from_email,
                          .to_name = a->from_name, .text = answer};
    if (!okno_store_last_inbound(st, a->id, &orig, &refs, error))
      return FALSE;
    info.orig_message_id = orig;
    info.orig_references = (const char *const *)refs;
    msg = okno_reply_build(env->cfg, &info, &id, &subj);
    if (msg && !queue_message(env, st, a, msg, id, a->from_email, subj, answer, FALSE, error))
      return FALSE;
  } else if (!queue_mail(env, st, a, a->from_email, a->from_name, subject, text, &id, error)) {
    return FALSE;
  }
  if (!id)
    return event(st, a->id, error, "notification_suppressed", "type", type, "reason",
                 "the address cannot be written into a header safely", NULL);
  return event(st, a->id, error, "notified", "type", type, "message_id", id, NULL);
}

gboolean okno_ops_notify(const OknoSlaEnv *env, OknoStore *st, const OknoAppeal *a,
                         const char *type, const char *subject, const char *text,
                         GError **error)
{
  return notify(env, st, a, type, subject, text, NULL, error);
}

gboolean okno_ops_mail_staff(const OknoSlaEnv *env, OknoStore *st, const OknoAppeal *a,
                             const char *const *to, const char *subject, const char *text,
                             guint *sent, GError **error)
{
  *sent = 0;
  for (; to && *to; to++) {
    g_autofree char *id = NULL;
    if (!queue_mail(env, st, a, *to, "", subject, text, &id, error))
      return FALSE;
    if (id)
      (*sent)++;
  }
  return TRUE;
}

/* ---- the clock ---- */

static const char *const clock_jobs[] = {"reminder", "overdue", "escalate"};

/* okno_ops_clock_count(); *reason (may be NULL): the rule the deadline came from. */
static void clock_count(const OknoSlaEnv *env, OknoAppeal *a, gint64 start, char **reason,
                        gint64 when[3])
{
  OknoSlaFacts facts = {.start = start, .confirmed = a->priority_confirmed,
                       .department = a->department};
  g_autoptr(GError) e = NULL;
  gint64 deadline = 0;

  if (a->sla_class == OKNO_SLA_NONE)
    a->sla_class = okno_sla_classify(env->policy, a->kind, a->category, a->subject, "");
  facts.sla_class = a->sla_class;
  when[0] = when[1] = when[2] = 0;
  if (env->cal && !okno_sla_deadline(env->policy, &facts, env->cal, &deadline, reason, &e))
    okno_log_warn("sla", "event=no_deadline appeal=%s error=\"%s\"", a->number, e->message);
  a->deadline = deadline;
  a->overdue = FALSE;
  a->deadline_gen++;
  if (deadline && a->kind == OKNO_KIND_FORMAL && !a->forward_deadline) {
    g_clear_error(&e);
    if (!okno_deadline_add(env->cal, a->received_at, OKNO_PERIOD_CALENDAR_DAYS,
                           OKNO_SLA_FORMAL_FORWARD_DAYS, &a->forward_deadline, &e))
      a->forward_deadline = 0;
  }
  if (deadline) {
    g_clear_error(&e);
    when[1] = deadline;
    if (!okno_sla_checkpoints(env->policy, okno_sla_calendar(env->policy, env->cal, a->department),
                              start, deadline, &when[0], &when[2], &e))
      okno_log_warn("sla", "event=no_checkpoints appeal=%s error=\"%s\"", a->number, e->message);
  }
}

void okno_ops_clock_count(const OknoSlaEnv *env, OknoAppeal *a, gint64 start, gint64 when[3])
{
  clock_count(env, a, start, NULL, when);
}

gboolean okno_ops_clock_jobs(OknoStore *st, const OknoAppeal *a, const gint64 when[3],
                             GError **error)
{
  return okno_store_sla_jobs_add(st, a->id, a->deadline_gen, clock_jobs, when,
                                 a->deadline ? 3 : 0, error);
}

gboolean okno_ops_start_clock(const OknoSlaEnv *env, OknoStore *st, OknoAppeal *a,
                              gint64 start, const char *why, GError **error)
{
  g_autofree char *reason = NULL, *due = NULL;
  gint64 when[3];
  clock_count(env, a, start, &reason, when);
  due = msk(a->deadline);
  if (!okno_store_appeal_update(st, a, error) ||
      !okno_store_sla_jobs_set(st, a->id, a->deadline_gen, clock_jobs, when,
                               a->deadline ? 3 : 0, error))
    return FALSE;
  return !why || event(st, a->id, error, "deadline_set", "deadline", due, "class",
                       okno_sla_class_name(a->sla_class),
                       "rule", reason ? reason : "no production calendar", "why", why, NULL);
}

gboolean okno_ops_stop_clock(OknoStore *st, OknoAppeal *a, const char *reason, GError **error)
{
  a->deadline = 0;
  a->deadline_gen++;
  return okno_store_appeal_update(st, a, error) && okno_store_sla_jobs_cancel(st, a->id, error) &&
         event(st, a->id, error, "clock_paused", "reason", reason, NULL);
}

/* Moves the deadline to `deadline` (extension, confirmation) with new jobs. */
static gboolean move_deadline(const OknoSlaEnv *env, OknoStore *st, OknoAppeal *a,
                              gint64 deadline, GError **error)
{
  static const char *const kinds[] = {"reminder", "overdue", "escalate"};
  gint64 when[3] = {0, deadline, 0};
  g_autoptr(GError) e = NULL;
  a->deadline = deadline;
  a->overdue = FALSE;
  a->deadline_gen++;
  if (env->cal &&
      !okno_sla_checkpoints(env->policy, okno_sla_calendar(env->policy, env->cal, a->department),
                            okno_now(), deadline, &when[0], &when[2], &e))
    okno_log_warn("sla", "event=no_checkpoints appeal=%s error=\"%s\"", a->number, e->message);
  return okno_store_appeal_update(st, a, error) &&
         okno_store_sla_jobs_set(st, a->id, a->deadline_gen, kinds, when, 3, error);
}

/* ---- status ---- */

static gboolean notify_status(const OknoSlaEnv *env, OknoStore *st, const OknoAppeal *a,
                              const char *reason, const char *answer, GError **error)
{
  g_autofree char *subject = NULL, *text = NULL;
  const char *type = "status_changed";
  if (a->status == OKNO_STATUS_ANSWERED)
    return notify(env, st, a, "answer", NULL, NULL, answer, error);
  if (a->status == OKNO_STATUS_NEEDS_CLARIFICATION) {
    type = "clarification";
    subject = g_strdup_printf("Обращение № %s: требуется уточнение", a->number);
    text = g_strdup_printf("Чтобы рассмотреть ваше обращение № %s, нам нужно уточнение: %s\n\n"
                           "Ответьте, пожалуйста, на это письмо, сохранив номер обращения в "
                           "теме. Срок рассмотрения приостановлен и продолжится, когда мы "
                           "получим ваш ответ.",
                           a->number, reason);
  } else {
    subject = g_strdup_printf("Обращение № %s: %s", a->number, okno_statuses[a->status].notice);
    text = g_strdup_printf("Статус вашего обращения № %s изменён: %s.%s%s%s", a->number,
                           okno_statuses[a->status].notice, reason && *reason ? "\nПричина: " : "",
                           reason && *reason ? reason : "", reason && *reason ? "." : "");
    if (a->deadline && a->status == OKNO_STATUS_IN_PROGRESS) {
      g_autofree char *due = okno_receipt_time(a->deadline);
      g_autofree char *more = g_strdup_printf("%s\n\nОжидаемый срок ответа: до %s.", text, due);
      g_free(text);
      text = g_steal_pointer(&more);
    }
  }
  return okno_ops_notify(env, st, a, type, subject, text, error);
}

gboolean okno_ops_set_status(const OknoSlaEnv *env, OknoStore *st, const char *number,
                             gint64 version, OknoStatus status, const char *reason,
                             const char *answer, const char *actor, GError **error)
{
  g_autoptr(OknoAppeal) a = load_at(st, number, version, error);
  OknoStatus from;
  if (!a || !okno_appeal_status_check(a, status, reason, answer, error))
    return FALSE;
  from = a->status;
  a->status = status;
  if (status == OKNO_STATUS_ANSWERED)
    a->answered = TRUE;
  if (!event(st, a->id, error, "status_changed", "from", okno_status_name(from), "to",
             okno_status_name(status), "reason", reason, "by", actor, NULL))
    return FALSE;
  if (status == OKNO_STATUS_NEEDS_CLARIFICATION) {
    if (!okno_ops_stop_clock(st, a, "waiting for the citizen's clarification", error))
      return FALSE;
  } else if (status == OKNO_STATUS_IN_PROGRESS &&
             (a->deadline == 0 || from == OKNO_STATUS_CLOSED || from == OKNO_STATUS_ANSWERED)) {
    /* The clock starts again: after a clarification, or when the appeal is reopened. */
    if (!okno_ops_start_clock(env, st, a, okno_now(),
                              from == OKNO_STATUS_NEEDS_CLARIFICATION ? "clarified" : "reopened",
                              error))
      return FALSE;
  } else if (status == OKNO_STATUS_IN_PROGRESS) {
    if (!okno_store_appeal_update(st, a, error))
      return FALSE;
  } else {
    if (!okno_store_appeal_update(st, a, error) || !okno_store_sla_jobs_cancel(st, a->id, error))
      return FALSE;
  }
  return notify_status(env, st, a, reason, answer, error);
}

gboolean okno_ops_answer(const OknoSlaEnv *env, OknoStore *st, const char *number,
                         gint64 version, const char *answer, const char *actor, GError **error)
{
  g_autoptr(OknoAppeal) a = load_at(st, number, version, error);
  if (!a)
    return FALSE;
  if (a->status != OKNO_STATUS_ANSWERED)
    return okno_ops_set_status(env, st, number, version, OKNO_STATUS_ANSWERED, NULL, answer,
                               actor, error);
  if (!okno_appeal_answer_check(answer, error))
    return FALSE;
  /* a further answer: the version moves so that another operator sees the change */
  return okno_store_appeal_update(st, a, error) &&
         event(st, a->id, error, "answered_again", "by", actor, NULL) &&
         notify(env, st, a, "answer", NULL, NULL, answer, error);
}

gboolean okno_ops_extend(const OknoSlaEnv *env, OknoStore *st, const char *number,
                         const OknoSlaPeriod *by, const char *reason, const char *actor,
                         GError **error)
{
  g_autoptr(OknoAppeal) a = load(st, number, error);
  g_autofree char *old = NULL, *due = NULL, *due_ru = NULL, *per = NULL, *text = NULL,
                  *subject = NULL;
  gint64 deadline;
  if (!a || !okno_sla_extension_check(a, by, reason, error))
    return FALSE;
  if (!env->cal) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "no production calendar is loaded");
    return FALSE;
  }
  if (!okno_deadline_add(env->cal, a->deadline, by->unit, by->amount, &deadline, error))
    return FALSE;
  old = msk(a->deadline);
  a->extensions++;
  if (!move_deadline(env, st, a, deadline, error))
    return FALSE;
  due = msk(deadline);
  per = okno_sla_period_format(by);
  if (!event(st, a->id, error, "deadline_extended", "from", old, "to", due, "by_period", per,
             "reason", reason, "by", actor, NULL))
    return FALSE;
  due_ru = okno_receipt_time(deadline);
  subject = g_strdup_printf("Обращение № %s: срок рассмотрения продлён", a->number);
  text = g_strdup_printf("Срок рассмотрения вашего обращения № %s продлён до %s.\n"
                         "Причина: %s.",
                         a->number, due_ru, reason);
  return okno_ops_notify(env, st, a, "deadline_extended", subject, text, error);
}

gboolean okno_ops_confirm_urgent(const OknoSlaEnv *env, OknoStore *st, const char *number,
                                 const char *actor, GError **error)
{
  g_autoptr(OknoAppeal) a = load(st, number, error);
  g_autofree char *reason = NULL, *due = NULL;
  gint64 deadline;
  if (!a || !okno_sla_confirm(env->policy, env->cal, a, okno_now(), &deadline, &reason, error))
    return FALSE;
  if (a->deadline) {
    if (!move_deadline(env, st, a, deadline, error))
      return FALSE;
  } else if (!okno_store_appeal_update(st, a, error)) {
    return FALSE;
  }
  due = msk(a->deadline);
  /* a staff decision on the SLA class: an example of its model (ops/classify_auto.h) */
  if (!okno_store_model_corrected(st, a->id, OKNO_SLA_CLASS_MODEL,
                                  okno_sla_class_name(a->sla_class), error) ||
      !okno_store_example_from_appeal(st, OKNO_SLA_CLASS_MODEL, a->id,
                                      okno_sla_class_name(a->sla_class), error))
    return FALSE;
  return event(st, a->id, error, "priority_confirmed", "class",
               okno_sla_class_name(a->sla_class), "rule", reason, "deadline", due, "by", actor,
               NULL);
}

gboolean okno_ops_assign(OknoStore *st, const char *number, gint64 version, const char *login,
                         const char *actor, GError **error)
{
  g_autoptr(OknoAppeal) a = load_at(st, number, version, error);
  g_autoptr(OknoUser) u = NULL;
  g_autofree char *uid = NULL;
  if (!a)
    return FALSE;
  if (login && *login) {
    u = okno_store_user_get(st, login, error);
    if (!u) {
      if (error && !*error)
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "no staff account '%s'", login);
      return FALSE;
    }
    a->assignee = u->id; /* as it would be: may this user then work on it? */
    if (u->disabled || !okno_staff_can(u, OKNO_ACT_REPLY, a, NULL)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "'%s' cannot work on appeal %s (%s)", login, a->number,
                  u->disabled ? "the account is disabled"
                  : *a->department ? "role or department" : "role");
      return FALSE;
    }
    uid = g_strdup_printf("%" G_GINT64_FORMAT, u->id);
  }
  return okno_store_appeal_assign(st, a->id, a->version, a->department, u ? u->id : 0,
                                  &a->version, error) &&
         event(st, a->id, error, "assigned", "assignee", u ? u->login : "", "user", uid, "by",
               actor, NULL);
}

/* ---- forwarding and art. 11: the appeal is closed without an answer ---- */

/* Closes `a` (its jobs cancelled); *from gets the status it had. */
static gboolean close_appeal(OknoStore *st, OknoAppeal *a, OknoStatus *from, GError **error)
{
  *from = a->status;
  a->status = OKNO_STATUS_CLOSED;
  return okno_store_appeal_update(st, a, error) && okno_store_sla_jobs_cancel(st, a->id, error);
}

gboolean okno_ops_forward(const OknoSlaEnv *env, OknoStore *st, const char *number,
                          const char *body, const char *actor, GError **error)
{
  g_autoptr(OknoAppeal) a = load(st, number, error);
  g_autofree char *subject = NULL, *text = NULL;
  OknoStatus from;
  gboolean in_time;
  if (!a)
    return FALSE;
  if (!(body && *body)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "forward needs the body it goes to");
    return FALSE;
  }
  if (a->status != OKNO_STATUS_NEW && a->status != OKNO_STATUS_IN_PROGRESS) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "appeal %s is %s and cannot be forwarded",
                a->number, okno_status_name(a->status));
    return FALSE;
  }
  in_time = !a->forward_deadline || okno_now() <= a->forward_deadline;
  if (!close_appeal(st, a, &from, error) ||
      !event(st, a->id, error, "forwarded", "to", body, "from", okno_status_name(from),
             "in_time", in_time ? "yes" : "no", "by", actor, NULL))
    return FALSE;
  subject = g_strdup_printf("Обращение № %s направлено по компетенции", a->number);
  text = g_strdup_printf("Вопросы, поставленные в вашем обращении № %s, относятся к "
                         "компетенции другого органа. Обращение направлено для рассмотрения "
                         "в: %s (часть 3 статьи 8 Федерального закона № 59-ФЗ). Ответ вы "
                         "получите от этого органа.",
                         a->number, body);
  return okno_ops_notify(env, st, a, "status_changed", subject, text, error);
}

/* ---- 59-FZ art. 11 ---- */

static const char *const art11_grounds[] = {
  "no_name_or_address", "obscene", "unreadable", "no_essence", "repeated", NULL,
};

const char *const *okno_ops_art11_grounds(void) { return art11_grounds; }

static const char *art11_text(const char *ground)
{
  if (!strcmp(ground, "no_name_or_address"))
    return "в обращении не указаны фамилия гражданина или адрес, по которому должен быть "
           "направлен ответ (часть 1 статьи 11 Федерального закона № 59-ФЗ)";
  if (!strcmp(ground, "obscene"))
    return "обращение содержит нецензурные либо оскорбительные выражения или угрозы; "
           "сообщаем о недопустимости злоупотребления правом (часть 3 статьи 11 "
           "Федерального закона № 59-ФЗ)";
  if (!strcmp(ground, "unreadable"))
    return "текст обращения не поддаётся прочтению (часть 4 статьи 11 Федерального закона "
           "№ 59-ФЗ)";
  if (!strcmp(ground, "no_essence"))
    return "из текста обращения невозможно установить его суть (часть 4.1 статьи 11 "
           "Федерального закона № 59-ФЗ)";
  return "в обращении содержится вопрос, на который уже неоднократно давались ответы по "
         "существу, и не приводятся новые доводы; переписка по этому вопросу прекращена "
         "(часть 5 статьи 11 Федерального закона № 59-ФЗ)";
}

gboolean okno_ops_leave_unanswered(const OknoSlaEnv *env, OknoStore *st, const char *number,
                                   const char *ground, const char *actor, GError **error)
{
  g_autoptr(OknoAppeal) a = load(st, number, error);
  g_autofree char *subject = NULL, *text = NULL;
  OknoStatus from;
  if (!a)
    return FALSE;
  if (a->kind != OKNO_KIND_FORMAL) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "appeal %s is a support request; art. 11 grounds apply to formal appeals",
                a->number);
    return FALSE;
  }
  if (!ground || !g_strv_contains(art11_grounds, ground)) {
    g_autofree char *list = g_strjoinv(", ", (char **)art11_grounds);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "unknown ground '%s' (one of %s)",
                ground ? ground : "", list);
    return FALSE;
  }
  if (!okno_appeal_status_allowed(a->status, OKNO_STATUS_CLOSED)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "appeal %s is %s and cannot be closed",
                a->number, okno_status_name(a->status));
    return FALSE;
  }
  if (!close_appeal(st, a, &from, error) ||
      !event(st, a->id, error, "left_unanswered", "ground", ground, "from",
             okno_status_name(from), "by", actor, NULL))
    return FALSE;
  /* Part 1: there is nobody to tell; otherwise the citizen is told why (parts 3-5). */
  if (!strcmp(ground, "no_name_or_address"))
    return TRUE;
  subject = g_strdup_printf("Обращение № %s оставлено без ответа по существу", a->number);
  text = g_strdup_printf("Ваше обращение № %s оставлено без ответа по существу: %s.", a->number,
                         art11_text(ground));
  return okno_ops_notify(env, st, a, "status_changed", subject, text, error);
}

/* ---- repeated appeals ---- */

gboolean okno_ops_link_repeated(const OknoSlaEnv *env, OknoStore *st, OknoAppeal *a,
                                const char *earlier, GError **error)
{
  g_autoptr(OknoAppeal) e = okno_store_appeal_get(st, earlier, error);
  if (!e)
    return !(error && *error);
  if (e->id == a->id)
    return TRUE;
  g_free(a->related);
  a->related = g_strdup(e->number);
  if (!okno_store_appeal_update(st, a, error) ||
      !event(st, a->id, error, "linked", "number", e->number, "reason", "repeated appeal", NULL) ||
      !event(st, e->id, error, "linked", "number", a->number, "reason", "repeated appeal", NULL))
    return FALSE;
  /* Only the citizen's own earlier appeal is reopened; a stranger's mention links. */
  if (e->status != OKNO_STATUS_CLOSED || e->answered || !*a->from_email ||
      g_ascii_strcasecmp(e->from_email, a->from_email) != 0)
    return TRUE;
  e->status = OKNO_STATUS_IN_PROGRESS;
  return event(st, e->id, error, "reopened", "reason", "repeated appeal", "number", a->number,
               NULL) &&
         okno_ops_start_clock(env, st, e, okno_now(), "reopened by a repeated appeal", error);
}

/* ---- routing: where a new appeal goes, and moves between queues ---- */

/* The model's part of a `routed` event: what it predicted, how sure, and why. */
static void route_prediction(JsonBuilder *b, const OknoPrediction *p, gboolean decided)
{
  okno_json_str(b, "model", OKNO_DEPARTMENT_MODEL);
  okno_json_double(b, "confidence", round(p->best.confidence * 1000) / 1000);
  json_builder_set_member_name(b, "why");
  json_builder_begin_array(b);
  for (char **w = p->why; w && *w; w++)
    json_builder_add_string_value(b, *w);
  json_builder_end_array(b);
  if (decided)
    return;
  json_builder_set_member_name(b, "suggestions");
  json_builder_begin_array(b);
  for (guint i = 0; i <= p->alternatives->len; i++) {
    const OknoLabelScore *s =
      i == 0 ? &p->best : &g_array_index(p->alternatives, OknoLabelScore, i - 1);
    json_builder_begin_object(b);
    okno_json_str(b, "department", s->label);
    okno_json_double(b, "confidence", round(s->confidence * 1000) / 1000);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

gboolean okno_route_appeal(const OknoConfig *cfg, OknoStore *st, OknoAppeal *a,
                           const OknoRouteInput *in, GError **error)
{
  g_autoptr(GPtrArray) rules = okno_store_route_list(st, error);
  const OknoRouteRule *r;
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *detail = NULL, *learned = NULL;
  g_autoptr(OknoPrediction) p = NULL;
  g_autoptr(OknoModelRef) model = NULL;
  const char *to;

  if (!rules)
    return FALSE;
  r = okno_route_match(rules, in);
  if (!r && cfg && !okno_classify_route(cfg, st, in, &learned, &p, &model, error))
    return FALSE;
  to = r ? r->department : learned;
  json_builder_begin_object(b);
  okno_json_str(b, "department", to ? to : "");
  okno_json_str(b, "queue", to ? "department" : "triage");
  json_builder_set_member_name(b, "rule");
  if (r) {
    json_builder_add_int_value(b, r->id);
    okno_json_str(b, "kind", r->kind);
    okno_json_str(b, "value", r->value);
  } else {
    json_builder_add_null_value(b);
  }
  if (p)
    route_prediction(b, p, learned != NULL);
  json_builder_end_object(b);
  detail = okno_json_text(b, FALSE);
  if (to) {
    if (!okno_store_appeal_assign(st, a->id, 0, to, 0, &a->version, error) ||
        (learned && !okno_store_model_routed(st, a->id, OKNO_DEPARTMENT_MODEL, to, error)))
      return FALSE;
    g_free(a->department);
    a->department = g_strdup(to);
  }
  okno_log("route", "event=routed appeal=%s department=%s rule=%" G_GINT64_FORMAT "%s%s",
           a->number, to ? to : "-", r ? r->id : 0, learned ? " model=" : "",
           learned ? OKNO_DEPARTMENT_MODEL : "");
  return okno_store_event_add(st, a->id, "routed", detail, error);
}

/* The common part of a transfer and an escalation: checks, the move, the event. */
static gboolean move(OknoStore *st, const OknoUser *by, const char *number, gint64 version,
                     const char *department, OknoAction action, const char *reason,
                     gint64 *new_version, GError **error)
{
  g_autoptr(OknoAppeal) a = okno_store_appeal_get(st, number, error);
  g_autoptr(OknoDepartment) to = NULL;
  g_autofree char *why = g_strstrip(g_strdup(reason ? reason : ""));
  g_autofree char *parent = NULL;
  const gboolean up = action == OKNO_ACT_ESCALATE;

  if (!a) {
    if (error && !*error)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Нет обращения № %s.", number);
    return FALSE;
  }
  if (!okno_staff_can(by, action, a, NULL)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_PERM, "Недостаточно прав для этого действия.");
    return FALSE;
  }
  if (!*why || !g_utf8_validate(why, -1, NULL)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                up ? "Укажите причину передачи в вышестоящую инстанцию."
                   : "Укажите причину передачи в другой отдел.");
    return FALSE;
  }
  if (up) {
    g_autoptr(OknoDepartment) from = *a->department
                                         ? okno_store_department_get(st, a->department, error)
                                         : NULL;
    if (error && *error)
      return FALSE;
    if (!from || !*from->parent) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "У очереди обращения нет вышестоящего отдела: передайте его в отдел явно.");
      return FALSE;
    }
    parent = g_strdup(from->parent);
    department = parent;
    to = okno_store_department_get(st, department, error);
  } else {
    to = department && *department ? okno_store_department_get(st, department, error) : NULL;
  }
  if (!to) {
    if (error && !*error)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Нет отдела с кодом «%s».",
                  department ? department : "");
    return FALSE;
  }
  if (g_str_equal(to->code, a->department)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Обращение уже в этом отделе.");
    return FALSE;
  }
  if (!okno_store_appeal_assign(st, a->id, version, to->code, 0, new_version, error) ||
      (!up && !okno_classify_learn(st, a->id, to->code, error)))
    return FALSE;
  okno_log("route", "event=%s appeal=%s from=%s to=%s by=%" G_GINT64_FORMAT,
           up ? "escalated" : "transferred", a->number, *a->department ? a->department : "-",
           to->code, by->id);
  return event(st, a->id, error, up ? "escalated" : "transferred", "from", a->department, "to",
               to->code, "reason", why, "by", by->login, NULL);
}

gboolean okno_appeal_transfer(OknoStore *st, const OknoUser *by, const char *number,
                              gint64 version, const char *department, const char *reason,
                              gint64 *new_version, GError **error)
{
  return move(st, by, number, version, department, OKNO_ACT_TRANSFER, reason, new_version,
              error);
}

gboolean okno_appeal_escalate(OknoStore *st, const OknoUser *by, const char *number,
                              gint64 version, const char *reason, gint64 *new_version,
                              GError **error)
{
  return move(st, by, number, version, NULL, OKNO_ACT_ESCALATE, reason, new_version, error);
}
