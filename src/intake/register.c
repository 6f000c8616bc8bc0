/* register.c: intake's third stage: facts, decision, writes (see register.h).
 *
 * DESIGN
 * okno_register() runs on the store writer's thread inside a group transaction
 * (store/commit.h): any FALSE undoes this message alone (the group is run again, a
 * savepoint per registration). It may therefore run twice for one message, the first
 * run rolled back: it reads `p` and its prepared fields without consuming them and
 * keeps nothing outside the transaction. It has three steps, kept apart so that the
 * middle one can be tested without a store:
 *  1. lookup(): the queries whose answers decide (a duplicate; the appeal a reply
 *     threads to, by Message-ID, else by the subject's number) and the block-list
 *     hits. Each query runs only when the earlier ones did not already decide.
 *  2. okno_register_decide(): DUPLICATE, JOIN, LINK or CREATE, with the new appeal's
 *     status and queue, from the parsed message and those facts.
 *  3. the writes of the decision: write_duplicate(), write_join(), write_new(), each
 *     writing the events in the order the appeal's history shows them, then the
 *     receipt (queue_receipt()).
 * okno_register_prepare() does beforehand, on intake's parse pool, what the message
 * alone decides (the SLA class, the search terms, the knowledge-base query, the new
 * appeal's data key and the message's values sealed under it), and
 * write_new() counts the deadline before the appeal's INSERT: the writer's one thread
 * is intake's bottleneck (docs/bench.md), so it does only what needs the store.
 * Mail to the [check] address takes register_check() instead: no appeal, a verdict. */
#include "intake/register.h"

#include <json-glib/json-glib.h>
#include <sodium.h>
#include <string.h>

#include "appeal/number.h"
#include "appeal/routing.h"
#include "appeal/sla.h"
#include "check/rspamd.h"
#include "check/reply.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "intake/extract.h"
#include "intake/verify.h"
#include "mail/receipt.h"
#include "ops/classify_auto.h"
#include "ops/journal.h"
#include "ops/kb.h"
#include "store/appeals.h"
#include "store/events.h"
#include "store/messages.h"
#include "store/notify.h"
#include "store/outbound.h"
#include "store/phish.h"
#include "store/terms.h"

/* How long the same content from the same sender counts as the same message. */
#define DUPLICATE_WINDOW_US (G_GINT64_CONSTANT(24) * 3600 * G_USEC_PER_SEC)
#define HOUR_US (G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC)

void okno_intake_result_clear(OknoIntakeResult *r)
{
  g_clear_pointer(&r->number, g_free);
}

void okno_register_facts_clear(OknoRegisterFacts *f)
{
  g_clear_pointer(&f->duplicate, okno_appeal_free);
  g_clear_pointer(&f->replied, okno_appeal_free);
  g_clear_pointer(&f->numbered, okno_appeal_free);
  g_clear_pointer(&f->blocklisted, g_ptr_array_unref);
}

/* ---- 1. facts ---- */

static gboolean lookup(OknoStore *st, const OknoBlocklist *bl, const OknoParsed *p,
                       OknoRegisterFacts *f, GError **error)
{
  g_autoptr(GError) e = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new();
  gint64 id;

  f->blocklisted = okno_verify_blocklisted(bl, p);
  id = okno_store_find_duplicate(st, p->contact, p->msg->message_id, p->content_hash,
                                 p->received_at - DUPLICATE_WINDOW_US, &e);
  if (id)
    f->duplicate = okno_store_appeal_get_by_id(st, id, &e);
  if (e || f->duplicate)
    goto out;
  if (*p->msg->in_reply_to)
    g_ptr_array_add(ids, p->msg->in_reply_to);
  for (char **r = p->msg->references; r && *r; r++)
    g_ptr_array_add(ids, *r);
  g_ptr_array_add(ids, NULL);
  id = okno_store_find_by_message_ids(st, (const char *const *)ids->pdata, &e);
  if (id)
    f->replied = okno_store_appeal_get_by_id(st, id, &e);
  else if (!e && p->subject_number)
    f->numbered = okno_store_appeal_get(st, p->subject_number, &e);
out:
  if (e) {
    g_propagate_error(error, g_steal_pointer(&e));
    return FALSE;
  }
  return TRUE;
}

/* ---- 2. the decision ---- */

OknoRegisterDecision okno_register_decide(const OknoParsed *p, const OknoRegisterFacts *f)
{
  OknoRegisterDecision d = {0};
  OknoAppeal *target = f->replied ? f->replied : f->numbered;
  gboolean unproved = okno_sender_unproved(p);
  gboolean spam = p->spam_verdict == OKNO_SPAM_HOLD;

  if (f->duplicate) {
    d.action = OKNO_REGISTER_DUPLICATE;
    d.target = f->duplicate;
    return d;
  }
  /* Mail whose sender is not proved never joins an appeal: it opens its own, linked.
   * A repeated appeal naming the number is a new appeal linked to the earlier one, not
   * a reply to it (unless it answers one of the appeal's messages). */
  if (target && !unproved && !spam && *p->contact &&
      g_ascii_strcasecmp(target->from_email, p->contact) == 0 &&
      !(p->repeated && !f->replied)) {
    d.action = OKNO_REGISTER_JOIN;
    d.target = target;
    d.clock_resumes = target->status == OKNO_STATUS_NEEDS_CLARIFICATION && *p->description;
    return d;
  }
  /* A stranger quoting someone's appeal gets a new one, linked (a repeated appeal is
   * linked by ops.h instead). */
  d.action = target && !p->repeated ? OKNO_REGISTER_LINK : OKNO_REGISTER_CREATE;
  d.target = d.action == OKNO_REGISTER_LINK ? target : NULL;
  /* A quarantined message is read by an operator, so nothing is asked of the citizen. */
  d.status = !*p->description && !p->quarantine ? OKNO_STATUS_NEEDS_CLARIFICATION
                                                : OKNO_STATUS_NEW;
  d.queue = p->quarantine                                              ? OKNO_HOLD_QUARANTINE
            : spam                                                     ? OKNO_HOLD_SPAM
            : unproved || (f->blocklisted && f->blocklisted->len > 0) ? OKNO_HOLD_SUSPICIOUS
                                                                       : OKNO_HOLD_NONE;
  return d;
}

/* ---- 3. the writes ---- */

static char *detail(const char *k1, const char *v1, const char *k2, const char *v2)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  if (k1)
    okno_json_str(b, k1, v1);
  if (k2)
    okno_json_str(b, k2, v2);
  json_builder_end_object(b);
  return okno_json_text(b, FALSE);
}

static gboolean event(OknoStore *st, gint64 appeal, const char *kind, const char *k1,
                      const char *v1, const char *k2, const char *v2, GError **error)
{
  g_autofree char *d = detail(k1, v1, k2, v2);
  return okno_store_event_add(st, appeal, kind, d, error);
}

/* The message's row in appeal `appeal_id`'s history: the one place that says what it
 * holds, for the values sealed ahead (okno_register_prepare) and the insert alike. */
static OknoMessageRow message_row(const OknoParsed *p, gint64 appeal_id)
{
  return (OknoMessageRow){
    .appeal_id = appeal_id,
    .direction = "in",
    .message_id = p->msg->message_id,
    .sender = p->contact,
    .recipient = "",
    .subject = p->msg->subject,
    .text = p->msg->text,
    .content_hash = p->content_hash,
    .meta_json = p->meta_json,
    .raw = p->raw,
    .created_at = p->received_at,
    .raw_sha256 = p->raw_sha256,
    .text_terms = p->text_terms,
    .sealed = p->message_sealed,
  };
}

/* The message, its attachments (with the events of refused and infected ones) and its
 * authentication results into appeal `appeal_id`'s history. */
static gboolean store_message(OknoStore *st, gint64 appeal_id, const OknoParsed *p,
                              GError **error)
{
  OknoMessageRow row = message_row(p, appeal_id);
  if (!okno_store_message_insert(st, &row, error))
    return FALSE;
  for (guint i = 0; i < p->msg->attachments->len; i++) {
    const OknoAttachment *a = p->msg->attachments->pdata[i];
    const char *refused = p->refusals->pdata[i];
    if (!okno_store_attachment_insert(st, row.id, a, refused, error))
      return FALSE;
    if (refused && !event(st, appeal_id, "attachment_refused", "filename", a->filename,
                          "content_type", a->content_type, error))
      return FALSE;
    if (p->infected->pdata[i] && !event(st, appeal_id, "attachment_infected", "filename",
                                        a->filename, "signature", p->infected->pdata[i], error))
      return FALSE;
  }
  if (p->auth_json && !okno_store_event_add(st, appeal_id, "authentication", p->auth_json, error))
    return FALSE;
  if (p->spam) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *d = NULL;
    okno_rspamd_to_json(b, p->spam, okno_spam_verdict_name(p->spam_verdict));
    d = okno_json_text(b, FALSE);
    if (!okno_store_event_add(st, appeal_id, "spam_checked", d, error))
      return FALSE;
  }
  return !p->spam_unscanned ||
         event(st, appeal_id, "spam_unscanned", "reason", "rspamd unavailable", NULL, NULL, error);
}

/* One event `phishing_blocklisted` per block-list hit. */
static gboolean blocklist_events(OknoStore *st, gint64 appeal_id, const OknoParsed *p,
                                 const GPtrArray *hits, GError **error)
{
  for (guint i = 0; hits && i < hits->len; i++) {
    const OknoBlockHit *h = hits->pdata[i];
    okno_log("intake", "session=%s event=phishing_blocklisted kind=%s entry=%s", p->session_id,
             h->kind, h->entry);
    if (!event(st, appeal_id, "phishing_blocklisted", h->kind, h->value, "entry", h->entry, error))
      return FALSE;
  }
  return TRUE;
}

/* Why no automatic message may go to `to` now: the loop rules' reason, or the hourly
 * limit; NULL when one may. */
static const char *autoreply_forbidden(const OknoConfig *cfg, OknoStore *st,
                                       const OknoParsed *p, const char *to, GError **error)
{
  gint64 sent;
  if (p->no_autoreply)
    return p->no_autoreply;
  sent = okno_store_count_automatic(st, to, p->received_at - HOUR_US, error);
  return sent >= cfg->max_auto_per_hour ? "hourly limit of automatic messages to this sender reached"
                                        : NULL;
}

/* The address an answer goes to: Reply-To when the citizen set one, else the contact
 * (the hourly limit counts what that address received). */
static const char *answer_address(const OknoParsed *p)
{
  return *p->msg->reply_to_email ? p->msg->reply_to_email : p->contact;
}

/* The receipt (joined: "your message was added"; no description: a clarification
 * request), signed and queued in `a`'s history, unless something forbids it. */
static gboolean queue_receipt(const OknoSlaEnv *env, OknoStore *st, const OknoAppeal *a,
                              const OknoParsed *p, gboolean joined, OknoIntakeResult *res,
                              GError **error)
{
  g_autoptr(GPtrArray) refused = g_ptr_array_new();
  g_autofree char *our_id = NULL, *our_subject = NULL, *our_text = NULL;
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(GError) e = NULL;
  const char *to = answer_address(p);
  const char *why = autoreply_forbidden(env->cfg, st, p, to, &e);
  OknoReceiptInfo info = {0};
  g_autofree char *proof = NULL, *letter = NULL;
  char orig_hex[2 * crypto_hash_sha256_BYTES + 1];
  g_autoptr(GPtrArray) offers = NULL;
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func(g_free);

  if (!why && !e && !joined && a->deadline) {
    /* A registration notice the citizen turned off (their cabinet's settings). */
    gboolean on = TRUE;
    if (okno_store_notify_enabled(st, to, "registered", &on, &e) && !on)
      why = "the citizen turned registration notices off";
  }
  if (e) {
    g_propagate_error(error, g_steal_pointer(&e));
    return FALSE;
  }
  if (why)
    return event(st, a->id, "autoreply_suppressed", "reason", why, NULL, NULL, error);

  for (guint i = 0; i < p->refusals->len; i++)
    if (p->refusals->pdata[i])
      g_ptr_array_add(refused, p->refusals->pdata[i]);
  g_ptr_array_add(refused, NULL);
  info.number = a->number;
  info.registered_at = a->received_at;
  info.deadline = a->deadline;
  info.to_email = to;
  info.to_name = p->msg->from_name;
  info.orig_message_id = p->msg->message_id;
  info.orig_subject = p->msg->subject;
  info.orig_references = (const char *const *)p->msg->references;
  info.joined = joined;
  info.needs_description = !joined && !*p->description;
  info.quarantined = p->quarantine != NULL;
  info.formal = a->kind == OKNO_KIND_FORMAL;
  info.refused = refused->len > 1 ? (const char *const *)refused->pdata : NULL;
  /* «Возможно, ответ уже есть»: up to three published articles sharing at least two
   * words with the subject and the description (ops/kb.h, docs/kb.md). The query
   * exists when the message is not quarantined and has a description
   * (okno_register_prepare): the one place that decides it. */
  if (!joined && p->kb_query) {
    if (!(offers = okno_kb_match_query(st, p->kb_query, error)))
      return FALSE;
    for (guint i = 0; i < offers->len; i++) {
      const OknoKbArticle *k = offers->pdata[i];
      g_ptr_array_add(pairs, g_strdup(k->title));
      g_ptr_array_add(pairs, g_strdup_printf("/help/%" G_GINT64_FORMAT, k->id));
    }
    g_ptr_array_add(pairs, NULL);
    info.articles = (const char *const *)pairs->pdata;
  }
  /* The original's SHA-256, and (a registration, with a journal key) the signed entry
   * timestamp over the registration leaf and the receipt's text (ops/journal.h). */
  {
    gsize len = p->raw ? g_bytes_get_size(p->raw) : 0;
    guint8 h[crypto_hash_sha256_BYTES];
    sodium_bin2hex(orig_hex, sizeof orig_hex, p->raw_sha256, sizeof p->raw_sha256);
    info.original_sha256 = orig_hex;
    if (!joined && env->journal_key) {
      char text_hex[2 * crypto_hash_sha256_BYTES + 1];
      info.proof_json = "{}"; /* the text mentions the attachment: as it will */
      letter = okno_receipt_text(env->cfg, &info);
      crypto_hash_sha256(h, (const guint8 *)letter, strlen(letter));
      sodium_bin2hex(text_hex, sizeof text_hex, h, sizeof h);
      proof = okno_journal_set_json(st, env->journal_key, a->id, orig_hex, (gint64)len,
                                    text_hex, &e);
      if (e) {
        g_propagate_error(error, g_steal_pointer(&e));
        return FALSE;
      }
      info.proof_json = proof;
    }
  }
  /* the text hashed above is the text sent: written once */
  msg = letter ? okno_receipt_build_text(env->cfg, &info, letter, &our_id, &our_subject, &our_text)
               : okno_receipt_build(env->cfg, &info, &our_id, &our_subject, &our_text);
  if (!msg)
    return event(st, a->id, "autoreply_suppressed", "reason",
                 "the reply address cannot be written into a header safely", NULL, NULL, error);
  /* Signed before it is stored: the stored bytes are the bytes sent, retries included.
   * A failed signature does not cost the receipt: it goes unsigned, with an event. */
  if (!okno_ops_queue_message(env, st, a, msg, our_id, info.to_email, our_subject, our_text,
                              error))
    return FALSE;
  res->receipt_queued = TRUE;
  return event(st, a->id, info.needs_description ? "clarification_requested" : "acknowledged",
               "message_id", our_id, info.needs_description ? "missing" : NULL, "description",
               error);
}

static gboolean write_duplicate(OknoStore *st, const OknoParsed *p,
                                const OknoRegisterDecision *d, OknoIntakeResult *res,
                                GError **error)
{
  res->number = g_strdup(d->target->number);
  res->outcome = OKNO_INTAKE_DUPLICATE;
  return event(st, d->target->id, "duplicate_received", "message_id", p->msg->message_id,
               "session", p->session_id, error);
}

static gboolean write_join(const OknoSlaEnv *env, OknoStore *st, const OknoParsed *p,
                           const OknoRegisterFacts *f, const OknoRegisterDecision *d,
                           OknoIntakeResult *res, GError **error)
{
  OknoAppeal *t = d->target;
  char pii[OKNO_PII_BUF];
  if (!store_message(st, t->id, p, error) ||
      !event(st, t->id, "reply_joined", "message_id", p->msg->message_id, "session",
             p->session_id, error) ||
      !blocklist_events(st, t->id, p, f->blocklisted, error))
    return FALSE;
  if (d->clock_resumes) {
    /* The clock, stopped while we waited for the citizen, starts now. */
    g_autofree char *due = NULL;
    t->status = OKNO_STATUS_NEW;
    if (!okno_ops_start_clock(env, st, t, p->received_at, "clarification received", error))
      return FALSE;
    due = t->deadline ? okno_time_format_msk(t->deadline) : g_strdup("");
    if (!event(st, t->id, "clarification_received", "status", "new", NULL, NULL, error) ||
        !event(st, t->id, "clock_resumed", "deadline", due, NULL, NULL, error))
      return FALSE;
  }
  res->number = g_strdup(t->number);
  res->outcome = OKNO_INTAKE_JOINED;
  okno_log("intake", "session=%s event=joined appeal=%s from=%s", p->session_id, t->number,
           okno_pii(p->contact, pii));
  return queue_receipt(env, st, t, p, TRUE, res, error);
}

/* The row of a new appeal as decided: a fresh number of the year of registration
 * (Moscow time), the message's fields, the SLA class and priority. NULL on a store
 * error. */
static OknoAppeal *new_appeal(const OknoSlaEnv *env, OknoStore *st, const OknoParsed *p,
                              const OknoRegisterDecision *d, GError **error)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(p->received_at / G_USEC_PER_SEC);
  g_autoptr(GDateTime) msk = g_date_time_to_timezone(utc, okno_tz_moscow());
  g_autofree char *counter = g_strdup_printf("appeal-%d", g_date_time_get_year(msk));
  OknoAppeal *a;
  OknoSlaClass cls;
  gint64 seq;
  if (!okno_store_next_seq(st, counter, &seq, error))
    return NULL;
  cls = p->sla_class;
  a = g_new0(OknoAppeal, 1);
  a->number = okno_number_format(g_date_time_get_year(msk), seq);
  a->status = d->status;
  a->channel = p->env.channel;
  a->queue = d->queue;
  a->subject = g_strdup(p->msg->subject);
  a->from_name = g_strdup(*p->msg->from_name || !p->env.citizen_name ? p->msg->from_name
                                                                    : p->env.citizen_name);
  a->from_email = g_strdup(p->contact);
  a->phone = g_strdup(p->phone);
  a->category = g_strdup(p->category);
  a->related = g_strdup(d->target ? d->target->number : "");
  a->received_at = p->received_at;
  a->kind = p->env.kind;
  a->sla_class = cls;
  a->priority = cls == OKNO_SLA_URGENT || cls == OKNO_SLA_ACCELERATED ? OKNO_PRIORITY_URGENT
                                                                     : OKNO_PRIORITY_NORMAL;
  /* Without a description there is nothing to work on yet: the clock stays stopped
   * until the clarification arrives (write_join). */
  a->deadline = 0;
  return a;
}

/* After routing: when the clock runs and the department has its own period for the
 * appeal's class ([sla] department_overrides), or its own working hours ([sla]
 * department_hours) that move the deadline, the deadline is counted again from `start`
 * (event `deadline_set`, why "routed to DEPT"). */
static gboolean routed_deadline(const OknoSlaEnv *env, OknoStore *st, OknoAppeal *a,
                                gint64 start, GError **error)
{
  OknoSlaClass c = a->sla_class;
  g_autofree char *why = NULL;
  if (!a->deadline || !env->cal || !a->department || !*a->department || c == OKNO_SLA_NONE)
    return TRUE;
  if (!okno_sla_override(env->policy, a->department, c)) {
    OknoSlaFacts facts = {.sla_class = c, .confirmed = a->priority_confirmed, .start = start,
                          .department = a->department};
    gint64 moved = 0;
    if (okno_sla_calendar(env->policy, env->cal, a->department) == env->cal ||
        !okno_sla_deadline(env->policy, &facts, env->cal, &moved, NULL, NULL) || moved == a->deadline)
      return TRUE;
  }
  why = g_strdup_printf("routed to %s", a->department);
  return okno_ops_start_clock(env, st, a, start, why, error);
}

/* The "registered" event also says which kind and SLA class the appeal got. */
static gboolean registered_event(OknoStore *st, const OknoAppeal *a, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *d = NULL, *due = a->deadline ? okno_time_format_msk(a->deadline) : NULL;
  json_builder_begin_object(b);
  okno_json_str(b, "number", a->number);
  okno_json_str(b, "status", okno_status_name(a->status));
  okno_json_str(b, "kind", okno_kind_name(a->kind));
  okno_json_str(b, "sla_class", okno_sla_class_name(a->sla_class));
  if (due)
    okno_json_str(b, "deadline", due);
  json_builder_end_object(b);
  d = okno_json_text(b, FALSE);
  return okno_store_event_add(st, a->id, "registered", d, error);
}

static gboolean write_new(const OknoSlaEnv *env, OknoStore *st, const OknoParsed *p,
                          const OknoRegisterFacts *f, const OknoRegisterDecision *d,
                          OknoIntakeResult *res, GError **error)
{
  g_autoptr(OknoAppeal) a = new_appeal(env, st, p, d, error);
  gboolean waits = a && a->status == OKNO_STATUS_NEEDS_CLARIFICATION;
  gboolean held = a && a->queue == OKNO_HOLD_SPAM; /* no clock until released */
  gboolean clock = !waits && !held;
  gint64 when[3] = {0};
  char pii[OKNO_PII_BUF];

  if (!a)
    return FALSE;
  res->suspicious = a->queue == OKNO_HOLD_SUSPICIOUS;
  /* The clock starts at registration: the deadline is counted before the row is
   * inserted, so the row (its triggers, its indexes) is written once; its jobs need
   * the row's id and follow the message, where okno_ops_start_clock wrote them. */
  if (clock)
    okno_ops_clock_count(env, a, p->received_at, when);
  if (!okno_store_appeal_insert_keyed(st, a, p->key_ahead, error) ||
      !event(st, a->id, "received", "channel", okno_channel_name(p->env.channel),
             p->env.operator_login ? "by" : "session",
             p->env.operator_login ? p->env.operator_login : p->session_id, error) ||
      !store_message(st, a->id, p, error) ||
      (clock && !okno_ops_clock_jobs(st, a, when, error)) ||
      !registered_event(st, a, error))
    return FALSE;
  if (okno_sender_unproved(p) &&
      !event(st, a->id, "suspicious", "reason", p->auth->action_reason, "from_domain",
             p->auth->from_domain, error))
    return FALSE;
  if (p->repeated && !okno_ops_link_repeated(env, st, a, p->earlier_number, error))
    return FALSE;
  for (guint i = 0; i < p->ids->len; i++) {
    const OknoExtracted *x = p->ids->pdata[i];
    if (!x->valid && !event(st, a->id, "invalid_identifier", "kind", okno_id_kind_name(x->kind),
                            "value", x->value, error))
      return FALSE;
  }
  if ((p->quarantine &&
       !event(st, a->id, "quarantined", "reason", p->quarantine, NULL, NULL, error)) ||
      !blocklist_events(st, a->id, p, f->blocklisted, error) ||
      (waits && !held && !event(st, a->id, "clock_paused", "reason",
                                "waiting for the citizen's clarification", NULL, NULL, error)) ||
      (held && !event(st, a->id, "clock_paused", "reason",
                      "held as spam until an operator releases it", NULL, NULL, error)))
    return FALSE;
  if (d->action == OKNO_REGISTER_LINK &&
      (!event(st, d->target->id, "linked", "number", a->number, "reason",
              "quoted by another sender", error) ||
       !event(st, a->id, "linked", "number", d->target->number, "reason", "quotes this appeal",
              error)))
    return FALSE;
  res->number = g_strdup(a->number);
  res->outcome = OKNO_INTAKE_CREATED;
  okno_log("intake", "session=%s event=registered appeal=%s status=%s from=%s size=%" G_GSIZE_FORMAT "%s%s",
           p->session_id, a->number, okno_status_name(a->status), okno_pii(p->contact, pii),
           g_bytes_get_size(p->raw), a->queue != OKNO_HOLD_NONE ? " queue=" : "", okno_hold_name(a->queue));
  /* Register, route, then acknowledge (DESIGN.md steps 4 to 6), all in this
   * transaction: routing comes before the receipt so that a department's own SLA
   * period or working hours ([sla] department_overrides, department_hours) give the
   * deadline the receipt states. */
  return okno_route_appeal(env->cfg, st, a,
                           &(OknoRouteInput){a->category, okno_channel_name(p->env.channel), p->contact, a->subject,
                                             p->description},
                           error) &&
         okno_classify_appeal(env, st, a, p->description, p->received_at, error) &&
         routed_deadline(env, st, a, p->received_at, error) &&
         queue_receipt(env, st, a, p, FALSE, res, error);
}

/* A message to the [check] address: no appeal. The verdict (block list applied) is
 * mailed back to the sender under the same loop rules and hourly limit as receipts,
 * DKIM-signed, queued as mail of no appeal. A dangerous sample counts as a report of
 * its links (and of its sender domains when it was forwarded as an attachment: else
 * the sender is the citizen): reported, not blocked; an operator decides. */
static gboolean register_check(const OknoSlaEnv *env, const OknoBlocklist *bl, OknoStore *st,
                               OknoParsed *p, OknoIntakeResult *res, GError **error)
{
  const OknoConfig *cfg = env->cfg;
  const char *to = answer_address(p);
  const char *why;
  g_autofree char *our_id = NULL;
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(GError) e = NULL;
  char pii[OKNO_PII_BUF];
  guint reported = 0;

  res->outcome = OKNO_INTAKE_CHECKED;
  okno_blocklist_apply(bl, p->phish);
  if (p->phish->verdict == OKNO_VERDICT_DANGEROUS) {
    for (guint i = 0; i < p->phish->indicators->len; i++) {
      const OknoPhishIndicator *x = p->phish->indicators->pdata[i];
      if (!p->forwarded && strcmp(x->kind, "domain") == 0)
        continue;
      if (!okno_store_phish_report(st, x->kind, x->value, p->contact, "check-address", FALSE, error))
        return FALSE;
      reported++;
    }
  }
  okno_log("intake", "session=%s event=checked verdict=%s score=%d forwarded=%s reported=%u from=%s",
           p->session_id, okno_verdict_name(p->phish->verdict), p->phish->score,
           p->forwarded ? "yes" : "no", reported, okno_pii(p->contact, pii));
  why = autoreply_forbidden(cfg, st, p, to, &e);
  if (e) {
    g_propagate_error(error, g_steal_pointer(&e));
    return FALSE;
  }
  if (!why) {
    OknoCheckReplyInfo info = {
      .to_email = to,
      .to_name = p->msg->from_name,
      .orig_message_id = p->msg->message_id,
      .orig_references = (const char *const *)p->msg->references,
      .checked_subject = p->checked_subject,
      .forwarded = p->forwarded,
      .result = p->phish,
    };
    msg = okno_check_reply_build(cfg, &info, &our_id, NULL, NULL);
    if (!msg)
      why = "the reply address cannot be written into a header safely";
  }
  if (why) {
    okno_log("intake", "session=%s event=autoreply_suppressed reason=\"%s\"", p->session_id, why);
    return TRUE;
  }
  {
    /* Mail of no appeal: no event to record a failed signature in, only the log. */
    g_autoptr(GError) dkim_err = NULL, smime_err = NULL;
    g_autoptr(GBytes) smimed = okno_smime_sign_or_plain(env->smime, msg, &smime_err);
    g_autoptr(GBytes) out = okno_dkim_sign_or_plain(env->dkim, smimed, &dkim_err);
    if (smime_err)
      okno_log_warn("intake", "session=%s event=smime_failed error=\"%s\"", p->session_id,
                    smime_err->message);
    if (dkim_err)
      okno_log_warn("intake", "session=%s event=dkim_failed error=\"%s\"", p->session_id,
                    dkim_err->message);
    if (!okno_store_outbound_enqueue_mail(st, cfg->outbound_from, to, our_id, out, error))
      return FALSE;
  }
  res->receipt_queued = TRUE;
  return TRUE;
}

void okno_register_prepare(const OknoSlaEnv *env, OknoParsed *p)
{
  if (p->prepared || p->is_check)
    return;
  { /* once, for the journal's entry of the message and the receipt */
    gsize len = 0;
    const guint8 *raw = p->raw ? g_bytes_get_data(p->raw, &len) : NULL;
    crypto_hash_sha256(p->raw_sha256, raw ? raw : (const guint8 *)"", len);
  }
  p->meta_json = okno_parsed_meta_json(p);
  p->sla_class = okno_sla_classify(env->policy, p->env.kind, p->category, p->msg->subject,
                                   p->msg->text);
  p->text_terms = okno_store_terms(p->msg->text);
  /* «Возможно, ответ уже есть»: up to three published articles sharing at least two
   * words with the subject and the description (queue_receipt). */
  if (!p->quarantine && *p->description) {
    g_autofree char *q = g_strconcat(p->msg->subject ? p->msg->subject : "", "\n",
                                     p->description, NULL);
    p->kb_query = okno_kb_query_new(q, 3, 2);
  }
  /* A new appeal's data key and the message's values sealed under it (store/keys.h);
   * without a vault, or when the key file does not load now, the writer does both. */
  if ((p->key_ahead = okno_store_key_ahead_new(NULL))) {
    OknoMessageRow row = message_row(p, 0);
    row.sealed = NULL;
    p->message_sealed = okno_message_sealed_new(p->key_ahead, &row);
  }
  p->prepared = TRUE;
}

gboolean okno_register(const OknoSlaEnv *env, const OknoBlocklist *bl, OknoStore *st,
                       OknoParsed *p, OknoIntakeResult *res, GError **error)
{
  OknoRegisterFacts f = {0};
  OknoRegisterDecision d;
  gboolean ok = FALSE;

  if (p->is_check)
    return register_check(env, bl, st, p, res, error);
  okno_register_prepare(env, p); /* nothing when the pipeline did it already */
  res->quarantined = p->quarantine != NULL;
  res->suspicious = okno_sender_unproved(p);
  if (lookup(st, bl, p, &f, error)) {
    d = okno_register_decide(p, &f);
    switch (d.action) {
    case OKNO_REGISTER_DUPLICATE:
      ok = write_duplicate(st, p, &d, res, error);
      break;
    case OKNO_REGISTER_JOIN:
      ok = write_join(env, st, p, &f, &d, res, error);
      break;
    case OKNO_REGISTER_LINK:
    case OKNO_REGISTER_CREATE:
      ok = write_new(env, st, p, &f, &d, res, error);
      break;
    }
  }
  okno_register_facts_clear(&f);
  return ok;
}
