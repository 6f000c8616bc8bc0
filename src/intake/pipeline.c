/* pipeline.c: one message through intake: parse -> check -> extract -> register.
 *
 * DESIGN
 * Two halves, as pipeline.h says. parse_message() is pure: bytes and envelope in, a
 * Parsed record out (decoded message, the contact, the meaningful description, the
 * identifiers found, the attachment verdicts, whether we may answer automatically,
 * the dedup hash, quarantine). It never fails: a message that breaks the parse
 * budgets is quarantined, not refused. register_parsed() runs inside a store
 * transaction and makes every decision that depends on what the registry already
 * holds:
 *
 *   1. the same message again (Message-ID + sender, or content hash + sender within a
 *      day) -> DUPLICATE: an event on the first appeal, nothing else;
 *   2. a reply (In-Reply-To/References name a message of an appeal, or the subject
 *      carries a valid appeal number) from that appeal's own contact -> JOINED: the
 *      message is added to its history (and clears needs_clarification when it brings
 *      a description); from anyone else -> a new appeal linked to that one;
 *   3. otherwise -> CREATED: a new number, status new or needs_clarification, the
 *      deadline on the production calendar (none while we wait for the citizen's
 *      clarification: the clock starts when it arrives, in step 2);
 *   4. a receipt (or clarification request) is built, DKIM-signed when configured,
 *      and queued in the same transaction, unless loop rules or the per-sender hourly
 *      limit forbid it.
 *
 * In serve, parse runs on a small thread pool and registration in the group-commit
 * writer (commit.h); the caller's `done` runs after the commit. okno submit uses the
 * same path and waits. */
#include "intake/pipeline.h"

#include <json-glib/json-glib.h>

#include "appeal/calendar.h"
#include "appeal/deadline.h"
#include "appeal/number.h"
#include "appeal/ops.h"
#include "appeal/sla.h"
#include "appeal/routing.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "intake/extract.h"
#include "intake/receipt.h"
#include "intake/validate.h"
#include "mail/dkim.h"
#include "mail/loop.h"
#include "mail/mime.h"
#include "store/commit.h"

#define DUPLICATE_WINDOW_US (G_GINT64_CONSTANT(24) * 3600 * G_USEC_PER_SEC)

struct OknoIntake {
  const OknoConfig *cfg;
  OknoCommitter *committer;
  OknoCalendar *calendar;      /* NULL: deadlines not computed (logged at start) */
  OknoSlaPolicy *policy;       /* [sla]: classes and periods (appeal/sla.h) */
  OknoDkim *dkim;              /* NULL: outbound mail is not signed ([dkim] selector empty) */
  GThreadPool *parsers;
  GMutex lock;
  GCond idle;
  guint inflight;
  guint64 registered;
};

/* Everything the registration needs, decided from the bytes alone. */
typedef struct {
  GBytes *raw;
  OknoMessage *msg;
  char *contact;          /* lowercase e-mail we answer to, "" if none */
  char *description;      /* meaningful text, "" if none */
  GPtrArray *ids;         /* OknoExtracted* */
  GPtrArray *refusals;    /* char* or NULL per attachment */
  const char *no_autoreply;
  char *content_hash;
  char *subject_number;   /* valid appeal number in the subject, or NULL */
  char *quarantine;       /* reason, or NULL */
  char *meta_json;
  gint64 received_at;
  char *channel;
  char *kind;             /* "support" or "formal" (only a trusted caller says formal) */
  gboolean repeated;      /* «Повторное» in the subject or text */
  char *earlier_number;   /* the earlier appeal a repeated one names, or NULL */
  char *session_id;
  char *category;         /* from the envelope (web form), "" if none */
  char *phone;            /* from the envelope (web form), "" if none */
} Parsed;

typedef struct {
  OknoIntake *in;
  GBytes *raw;
  OknoEnvelope env;       /* a private copy: strings owned by the item */
  Parsed *p;
  OknoIntakeResult result;
  OknoIntakeDone done;
  gpointer user_data;
  GMainContext *ctx;
  /* sync submit */
  gboolean sync;
  gboolean finished;
  GError *error;
} Item;

void okno_intake_result_clear(OknoIntakeResult *r)
{
  g_clear_pointer(&r->number, g_free);
}

static void parsed_free(Parsed *p)
{
  if (!p)
    return;
  g_bytes_unref(p->raw);
  g_clear_pointer(&p->msg, okno_message_free);
  g_free(p->contact);
  g_free(p->description);
  g_clear_pointer(&p->ids, g_ptr_array_unref);
  g_clear_pointer(&p->refusals, g_ptr_array_unref);
  g_free(p->content_hash);
  g_free(p->subject_number);
  g_free(p->quarantine);
  g_free(p->meta_json);
  g_free(p->channel);
  g_free(p->kind);
  g_free(p->earlier_number);
  g_free(p->session_id);
  g_free(p->category);
  g_free(p->phone);
  g_free(p);
}

/* ---- parsing: pure ---- */

static char *lower_email(const char *s) { return g_ascii_strdown(s ? s : "", -1); }

/* Strips "<>" and white space from an SMTP path. */
static char *path_address(const char *path)
{
  g_autofree char *t = g_strstrip(g_strdup(path ? path : ""));
  gsize n = strlen(t);
  if (n >= 2 && t[0] == '<' && t[n - 1] == '>') {
    t[n - 1] = '\0';
    return lower_email(t + 1);
  }
  return lower_email(t);
}

static char *content_hash_of(const OknoMessage *m)
{
  g_autoptr(GChecksum) h = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(h, (const guchar *)m->subject, strlen(m->subject) + 1);
  g_checksum_update(h, (const guchar *)m->text, strlen(m->text) + 1);
  for (guint i = 0; i < m->attachments->len; i++) {
    const OknoAttachment *a = m->attachments->pdata[i];
    g_checksum_update(h, (const guchar *)a->sha256, 65);
  }
  return g_strdup(g_checksum_get_string(h));
}

/* The message's meta: envelope, identifiers found, defects, loop verdict. */
static char *meta_json(const Parsed *p, const OknoEnvelope *env)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  const OknoMessage *m = p->msg;
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "envelope");
  json_builder_begin_object(b);
  okno_json_str(b, "mail_from", env->mail_from);
  okno_json_strv(b, "rcpt_to", env->rcpt_to);
  okno_json_str(b, "client", env->client_addr);
  okno_json_str(b, "helo", env->helo);
  okno_json_str(b, "session", env->session_id);
  okno_json_bool(b, "tls", env->tls);
  json_builder_end_object(b);
  okno_json_str(b, "from_name", m->from_name);
  okno_json_str(b, "from_email", m->from_email);
  okno_json_str(b, "date", m->date);
  okno_json_str(b, "in_reply_to", m->in_reply_to);
  okno_json_strv(b, "references", (const char *const *)m->references);
  okno_json_bool(b, "text_from_html", m->text_from_html);
  okno_json_int(b, "size", (gint64)g_bytes_get_size(p->raw));
  json_builder_set_member_name(b, "extracted");
  json_builder_begin_array(b);
  for (guint i = 0; i < p->ids->len; i++) {
    const OknoExtracted *x = p->ids->pdata[i];
    json_builder_begin_object(b);
    okno_json_str(b, "kind", okno_id_kind_name(x->kind));
    okno_json_str(b, "value", x->value);
    okno_json_bool(b, "valid", x->valid);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  okno_json_ptrv(b, "defects", m->defects);
  if (p->no_autoreply)
    okno_json_str(b, "no_autoreply", p->no_autoreply);
  if (p->quarantine)
    okno_json_str(b, "quarantine", p->quarantine);
  json_builder_end_object(b);
  return okno_json_text(b, FALSE);
}

static Parsed *parse_message(const OknoConfig *cfg, GBytes *raw, const OknoEnvelope *env)
{
  Parsed *p = g_new0(Parsed, 1);
  OknoMimeLimits lim = {
    .max_depth = cfg->max_mime_depth,
    .max_parts = cfg->max_mime_parts,
    .memory_budget = cfg->parse_memory_budget,
    .time_budget_ms = cfg->parse_time_budget_ms,
  };
  gsize len = 0;
  const char *data = g_bytes_get_data(raw, &len);
  g_autofree char *env_from = env->mail_from ? path_address(env->mail_from) : NULL;

  p->raw = g_bytes_ref(raw);
  p->received_at = okno_now();
  p->channel = g_strdup(env->channel ? env->channel : "email");
  p->session_id = g_strdup(env->session_id ? env->session_id : "-");
  p->category = g_strdup(env->category ? env->category : "");
  p->phone = g_strdup(env->phone ? env->phone : "");
  p->msg = len ? okno_mime_parse(data, len, &lim) : NULL;
  if (!p->msg) {
    /* An empty message still gets a record, so that the rest can treat it alike. */
    p->msg = okno_mime_parse("\r\n", 2, &lim);
    p->quarantine = g_strdup("empty message");
  } else if (p->msg->budget_exceeded) {
    p->quarantine = g_strdup("parse budget exceeded");
  }
  /* We answer the author: From, else the envelope sender. */
  p->contact = lower_email(*p->msg->from_email ? p->msg->from_email : env_from);
  p->description = okno_description_text(p->msg->text);
  p->ids = okno_extract(p->msg->text);
  p->refusals = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < p->msg->attachments->len; i++)
    g_ptr_array_add(p->refusals, okno_attachment_refusal(p->msg->attachments->pdata[i]));
  p->no_autoreply = okno_loop_no_autoreply_reason(cfg, p->msg, env->mail_from ? env_from : NULL);
  if (!p->no_autoreply && !*p->contact)
    p->no_autoreply = "no address to answer";
  p->content_hash = content_hash_of(p->msg);
  {
    /* An appeal number with a valid check digit in the subject marks a reply. */
    g_autoptr(GPtrArray) subj = okno_extract(p->msg->subject);
    for (guint i = 0; i < subj->len && !p->subject_number; i++) {
      const OknoExtracted *x = subj->pdata[i];
      if (x->kind == OKNO_ID_APPEAL && x->valid)
        p->subject_number = g_strdup(x->value);
    }
  }
  p->kind = g_strdup(env->kind && !strcmp(env->kind, "formal") ? "formal" : "support");
  {
    /* «Повторное обращение» naming an earlier number (subject first, then text). */
    g_autofree char *subj = g_utf8_strdown(p->msg->subject, -1);
    g_autofree char *text = g_utf8_strdown(p->msg->text, -1);
    p->repeated = strstr(subj, "повторн") || strstr(text, "повторное обращение");
    if (p->repeated && p->subject_number)
      p->earlier_number = g_strdup(p->subject_number);
    for (guint i = 0; p->repeated && !p->earlier_number && i < p->ids->len; i++) {
      const OknoExtracted *x = p->ids->pdata[i];
      if (x->kind == OKNO_ID_APPEAL && x->valid)
        p->earlier_number = g_strdup(x->value);
    }
    if (!p->earlier_number)
      p->repeated = FALSE;
  }
  p->meta_json = meta_json(p, env);
  return p;
}

/* ---- registering: inside the store transaction ---- */

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

static OknoSlaEnv sla_env(OknoIntake *in)
{
  OknoSlaEnv env = {.cfg = in->cfg, .policy = in->policy, .cal = in->calendar, .dkim = in->dkim};
  return env;
}

static gboolean store_message(OknoStore *st, gint64 appeal_id, Parsed *p, GError **error)
{
  OknoMessageRow row = {
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
  };
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
  }
  return TRUE;
}

/* Queues the receipt unless loop rules or the hourly limit forbid it. */
static gboolean queue_receipt(OknoIntake *in, OknoStore *st, const OknoAppeal *a, Parsed *p,
                              gboolean joined, OknoIntakeResult *res, GError **error)
{
  const OknoConfig *cfg = in->cfg;
  g_autoptr(GPtrArray) refused = g_ptr_array_new();
  g_autofree char *our_id = NULL, *our_subject = NULL, *our_text = NULL;
  g_autoptr(GBytes) msg = NULL;
  const char *why = p->no_autoreply;
  /* The answer goes where the citizen asked for it (Reply-To), else to the contact;
   * the hourly limit counts what that address received. */
  const char *to = *p->msg->reply_to_email ? p->msg->reply_to_email : p->contact;
  gint64 sent_last_hour;
  OknoReceiptInfo info = {0};

  if (!why) {
    sent_last_hour = okno_store_count_automatic(st, to, p->received_at - G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC, error);
    if (error && *error)
      return FALSE;
    if (sent_last_hour >= cfg->max_auto_per_hour)
      why = "hourly limit of automatic messages to this sender reached";
  }
  if (!why && !joined && a->deadline) {
    /* A registration notice the citizen turned off (their cabinet's settings). */
    gboolean on = TRUE;
    if (!okno_store_notify_enabled(st, to, "registered", &on, error))
      return FALSE;
    if (!on)
      why = "the citizen turned registration notices off";
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
  info.formal = g_strcmp0(a->kind, "formal") == 0;
  info.refused = refused->len > 1 ? (const char *const *)refused->pdata : NULL;
  msg = okno_receipt_build(cfg, &info, &our_id, &our_subject, &our_text);
  if (!msg)
    return event(st, a->id, "autoreply_suppressed", "reason",
                 "the reply address cannot be written into a header safely", NULL, NULL, error);
  {
    /* Signed before it is stored: the stored bytes are the bytes sent, retries included.
     * A failed signature does not cost the receipt: it goes unsigned, with an event. */
    OknoSlaEnv env = sla_env(in);
    if (!okno_ops_queue_message(&env, st, a, msg, our_id, info.to_email, our_subject, our_text,
                                error))
      return FALSE;
  }
  res->receipt_queued = TRUE;
  return event(st, a->id, info.needs_description ? "clarification_requested" : "acknowledged",
               "message_id", our_id, info.needs_description ? "missing" : NULL, "description",
               error);
}

static gboolean register_parsed(OknoIntake *in, OknoStore *st, Parsed *p, OknoIntakeResult *res,
                                GError **error)
{
  g_autoptr(OknoAppeal) target = NULL;
  g_autoptr(OknoAppeal) a = NULL;
  g_autofree char *related = NULL;
  gint64 dup, id = 0, seq;
  gboolean needs;
  char pii[OKNO_PII_BUF];

  res->quarantined = p->quarantine != NULL;

  /* 1. The same message again. */
  dup = okno_store_find_duplicate(st, p->contact, p->msg->message_id, p->content_hash,
                                  p->received_at - DUPLICATE_WINDOW_US, error);
  if (error && *error)
    return FALSE;
  if (dup) {
    a = okno_store_appeal_get_by_id(st, dup, error);
    if (!a)
      return FALSE;
    res->number = g_strdup(a->number);
    res->outcome = OKNO_INTAKE_DUPLICATE;
    return event(st, a->id, "duplicate_received", "message_id", p->msg->message_id, "session",
                 p->session_id, error);
  }

  /* 2. A reply to an appeal. */
  {
    g_autoptr(GPtrArray) ids = g_ptr_array_new();
    if (*p->msg->in_reply_to)
      g_ptr_array_add(ids, p->msg->in_reply_to);
    for (char **r = p->msg->references; r && *r; r++)
      g_ptr_array_add(ids, *r);
    g_ptr_array_add(ids, NULL);
    id = okno_store_find_by_message_ids(st, (const char *const *)ids->pdata, error);
    if (error && *error)
      return FALSE;
  }
  if (id)
    target = okno_store_appeal_get_by_id(st, id, error);
  else if (p->subject_number)
    target = okno_store_appeal_get(st, p->subject_number, error);
  if (error && *error)
    return FALSE;
  /* A repeated appeal is a new appeal linked to the earlier one, not a reply to it. */
  if (target && *p->contact && g_ascii_strcasecmp(target->from_email, p->contact) == 0 &&
      !(p->repeated && id == 0)) {
    if (!store_message(st, target->id, p, error) ||
        !event(st, target->id, "reply_joined", "message_id", p->msg->message_id, "session",
               p->session_id, error))
      return FALSE;
    if (g_str_equal(target->status, "needs_clarification") && *p->description) {
      /* The clock, stopped while we waited for the citizen, starts now. */
      g_autofree char *due = NULL;
      OknoSlaEnv env = sla_env(in);
      g_free(target->status);
      target->status = g_strdup("new");
      if (!okno_ops_start_clock(&env, st, target, p->received_at, "clarification received", error))
        return FALSE;
      due = target->deadline ? okno_time_format_msk(target->deadline) : g_strdup("");
      if (!event(st, target->id, "clarification_received", "status", "new", NULL, NULL, error) ||
          !event(st, target->id, "clock_resumed", "deadline", due, NULL, NULL, error))
        return FALSE;
    }
    res->number = g_strdup(target->number);
    res->outcome = OKNO_INTAKE_JOINED;
    okno_log("intake", "session=%s event=joined appeal=%s from=%s", p->session_id,
             target->number, okno_pii(p->contact, pii));
    return queue_receipt(in, st, target, p, TRUE, res, error);
  }
  if (target && !p->repeated)
    related = g_strdup(target->number); /* a stranger quoting someone's number */

  /* 3. A new appeal. */
  {
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(p->received_at / G_USEC_PER_SEC);
    g_autoptr(GDateTime) msk = g_date_time_to_timezone(utc, okno_tz_moscow());
    g_autofree char *counter = g_strdup_printf("appeal-%d", g_date_time_get_year(msk));
    if (!okno_store_next_seq(st, counter, &seq, error))
      return FALSE;
    a = g_new0(OknoAppeal, 1);
    a->number = okno_number_format(g_date_time_get_year(msk), seq);
  }
  /* A quarantined message is read by an operator, so nothing is asked of the citizen. */
  needs = !*p->description && !p->quarantine;
  a->status = g_strdup(needs ? "needs_clarification" : "new");
  a->channel = g_strdup(p->channel);
  a->queue = g_strdup(p->quarantine ? "quarantine" : "");
  a->subject = g_strdup(p->msg->subject);
  a->from_name = g_strdup(p->msg->from_name);
  a->from_email = g_strdup(p->contact);
  a->phone = g_strdup(p->phone);
  for (guint i = 0; !*p->phone && i < p->ids->len; i++) {
    const OknoExtracted *x = p->ids->pdata[i];
    if (x->kind == OKNO_ID_PHONE) {
      g_free(a->phone);
      a->phone = g_strdup(x->value);
      break;
    }
  }
  a->category = g_strdup(p->category);
  a->related = g_strdup(related ? related : "");
  a->received_at = p->received_at;
  a->kind = g_strdup(p->kind);
  {
    OknoSlaClass cls = okno_sla_classify(in->policy, p->kind, p->category, p->msg->subject,
                                         p->msg->text);
    a->sla_class = g_strdup(okno_sla_class_name(cls));
    a->priority = g_strdup(cls == OKNO_SLA_URGENT || cls == OKNO_SLA_ACCELERATED ? "urgent" : "normal");
  }
  /* Without a description there is nothing to work on yet: the clock stays stopped
   * until the clarification arrives (see the join above). */
  a->deadline = 0;
  if (!okno_store_appeal_insert(st, a, error) ||
      !event(st, a->id, "received", "channel", p->channel, "session", p->session_id, error) ||
      !store_message(st, a->id, p, error))
    return FALSE;
  if (!needs) {
    OknoSlaEnv env = sla_env(in);
    if (!okno_ops_start_clock(&env, st, a, p->received_at, NULL, error))
      return FALSE;
  }
  {
    /* The registration event also says which kind and SLA class the appeal got. */
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *d = NULL, *due = a->deadline ? okno_time_format_msk(a->deadline) : NULL;
    json_builder_begin_object(b);
    okno_json_str(b, "number", a->number);
    okno_json_str(b, "status", a->status);
    okno_json_str(b, "kind", a->kind);
    okno_json_str(b, "sla_class", a->sla_class);
    if (due)
      okno_json_str(b, "deadline", due);
    json_builder_end_object(b);
    d = okno_json_text(b, FALSE);
    if (!okno_store_event_add(st, a->id, "registered", d, error))
      return FALSE;
  }
  if (p->repeated) {
    OknoSlaEnv env = sla_env(in);
    if (!okno_ops_link_repeated(&env, st, a, p->earlier_number, error))
      return FALSE;
  }
  for (guint i = 0; i < p->ids->len; i++) {
    const OknoExtracted *x = p->ids->pdata[i];
    if (!x->valid && !event(st, a->id, "invalid_identifier", "kind", okno_id_kind_name(x->kind),
                            "value", x->value, error))
      return FALSE;
  }
  if (p->quarantine &&
      !event(st, a->id, "quarantined", "reason", p->quarantine, NULL, NULL, error))
    return FALSE;
  if (needs &&
      !event(st, a->id, "clock_paused", "reason", "waiting for the citizen's clarification",
             NULL, NULL, error))
    return FALSE;
  if (related) {
    g_autoptr(OknoAppeal) rel = okno_store_appeal_get(st, related, error);
    if (rel && !event(st, rel->id, "linked", "number", a->number, "reason",
                      "quoted by another sender", error))
      return FALSE;
    if (!event(st, a->id, "linked", "number", related, "reason", "quotes this appeal", error))
      return FALSE;
  }
  res->number = g_strdup(a->number);
  res->outcome = OKNO_INTAKE_CREATED;
  okno_log("intake", "session=%s event=registered appeal=%s status=%s from=%s size=%" G_GSIZE_FORMAT "%s",
           p->session_id, a->number, a->status, okno_pii(p->contact, pii),
           g_bytes_get_size(p->raw), p->quarantine ? " queue=quarantine" : "");
  /* Register, acknowledge, then route (DESIGN.md steps 4 to 6). */
  return queue_receipt(in, st, a, p, FALSE, res, error) &&
         okno_route_appeal(st, a,
                           &(OknoRouteInput){a->category, p->channel, p->contact, a->subject,
                                             p->description},
                           error);
}

/* ---- the two ways in ---- */

static void envelope_copy(OknoEnvelope *dst, const OknoEnvelope *src)
{
  dst->channel = g_strdup(src->channel);
  dst->mail_from = g_strdup(src->mail_from);
  dst->rcpt_to = (const char *const *)g_strdupv((char **)src->rcpt_to);
  dst->client_addr = g_strdup(src->client_addr);
  dst->helo = g_strdup(src->helo);
  dst->session_id = g_strdup(src->session_id);
  dst->tls = src->tls;
  dst->category = g_strdup(src->category);
  dst->phone = g_strdup(src->phone);
  dst->kind = g_strdup(src->kind);
}

static void item_free(Item *it)
{
  g_free((char *)it->env.channel);
  g_free((char *)it->env.mail_from);
  g_strfreev((char **)it->env.rcpt_to);
  g_free((char *)it->env.client_addr);
  g_free((char *)it->env.helo);
  g_free((char *)it->env.session_id);
  g_free((char *)it->env.category);
  g_free((char *)it->env.phone);
  g_free((char *)it->env.kind);
  g_bytes_unref(it->raw);
  parsed_free(it->p);
  okno_intake_result_clear(&it->result);
  g_clear_error(&it->error);
  if (it->ctx)
    g_main_context_unref(it->ctx);
  g_free(it);
}

static Item *item_new(OknoIntake *in, GBytes *raw, const OknoEnvelope *env)
{
  Item *it = g_new0(Item, 1);
  it->in = in;
  it->raw = g_bytes_ref(raw);
  envelope_copy(&it->env, env);
  g_mutex_lock(&in->lock);
  in->inflight++;
  g_mutex_unlock(&in->lock);
  return it;
}

static gboolean register_work(OknoStore *st, gpointer data, GError **error)
{
  Item *it = data;
  okno_intake_result_clear(&it->result);
  memset(&it->result, 0, sizeof it->result);
  return register_parsed(it->in, st, it->p, &it->result, error);
}

/* Runs on the submitter's main context (async) or the writer thread (sync). */
static void register_done(gpointer data, const GError *err)
{
  Item *it = data;
  OknoIntake *in = it->in;
  if (it->sync) {
    g_mutex_lock(&in->lock);
    if (err)
      it->error = g_error_copy(err);
    it->finished = TRUE; /* the waiting thread frees the item */
    in->inflight--;
    g_cond_broadcast(&in->idle);
    g_mutex_unlock(&in->lock);
    return;
  }
  it->done(err ? NULL : &it->result, err, it->user_data);
  item_free(it);
  g_mutex_lock(&in->lock);
  in->registered += err ? 0 : 1;
  in->inflight--;
  g_cond_broadcast(&in->idle);
  g_mutex_unlock(&in->lock);
}

/* Pool thread: the pure half, then the registration goes to the writer. */
static void parse_job(gpointer data, gpointer pool_data)
{
  Item *it = data;
  OknoIntake *in = pool_data;
  it->p = parse_message(in->cfg, it->raw, &it->env);
  okno_committer_submit(in->committer, register_work, register_done, it, it->ctx);
}

OknoIntake *okno_intake_new(const OknoConfig *cfg, GError **error)
{
  OknoIntake *in = g_new0(OknoIntake, 1);
  g_autoptr(GError) cal_err = NULL;
  g_autoptr(GError) dkim_err = NULL;
  in->cfg = cfg;
  okno_mime_init();
  in->dkim = okno_dkim_new(cfg, &dkim_err); /* NULL without an error: signing is off */
  if (dkim_err) {
    g_propagate_error(error, g_steal_pointer(&dkim_err));
    g_free(in);
    return NULL;
  }
  in->committer = okno_committer_new(cfg->store_url, 512, error);
  if (!in->committer) {
    okno_dkim_free(in->dkim);
    g_free(in);
    return NULL;
  }
  in->policy = okno_sla_policy_new(cfg, error);
  if (!in->policy) {
    okno_committer_free(in->committer);
    okno_dkim_free(in->dkim);
    g_free(in);
    return NULL;
  }
  in->calendar = okno_calendar_load_default(cfg, &cal_err);
  if (!in->calendar)
    okno_log_warn("intake", "event=no_calendar error=\"%s\"", cal_err->message);
  g_mutex_init(&in->lock);
  g_cond_init(&in->idle);
  in->parsers = g_thread_pool_new(parse_job, in, MAX(2, (int)g_get_num_processors()), FALSE, NULL);
  return in;
}

void okno_intake_free(OknoIntake *in)
{
  if (!in)
    return;
  /* Parses still queued run to the end; then wait for their commits. */
  g_thread_pool_free(in->parsers, FALSE, TRUE);
  g_mutex_lock(&in->lock);
  while (in->inflight > 0)
    g_cond_wait(&in->idle, &in->lock);
  g_mutex_unlock(&in->lock);
  okno_committer_free(in->committer);
  g_clear_pointer(&in->calendar, okno_calendar_free);
  g_clear_pointer(&in->policy, okno_sla_policy_free);
  g_clear_pointer(&in->dkim, okno_dkim_free);
  g_mutex_clear(&in->lock);
  g_cond_clear(&in->idle);
  g_free(in);
}

void okno_intake_submit_async(OknoIntake *in, GBytes *raw, const OknoEnvelope *env,
                              OknoIntakeDone done, gpointer user_data)
{
  Item *it = item_new(in, raw, env);
  it->done = done;
  it->user_data = user_data;
  it->ctx = g_main_context_ref_thread_default();
  g_thread_pool_push(in->parsers, it, NULL);
}

gboolean okno_intake_submit_sync(OknoIntake *in, GBytes *raw, const OknoEnvelope *env,
                                 OknoIntakeResult *res, GError **error)
{
  Item *it = item_new(in, raw, env);
  gboolean ok;
  it->sync = TRUE;
  it->p = parse_message(in->cfg, raw, env);
  okno_committer_submit(in->committer, register_work, register_done, it, NULL);
  g_mutex_lock(&in->lock);
  while (!it->finished)
    g_cond_wait(&in->idle, &in->lock);
  if (!it->error)
    in->registered++;
  g_mutex_unlock(&in->lock);
  ok = it->error == NULL;
  if (ok) {
    *res = it->result;
    memset(&it->result, 0, sizeof it->result);
  } else {
    g_propagate_error(error, g_steal_pointer(&it->error));
  }
  item_free(it);
  return ok;
}

OknoDkim *okno_intake_dkim(OknoIntake *in) { return in->dkim; }

void okno_intake_stats(OknoIntake *in, guint64 *messages, guint64 *commits)
{
  guint64 jobs;
  okno_committer_stats(in->committer, &jobs, commits);
  g_mutex_lock(&in->lock);
  *messages = in->registered;
  g_mutex_unlock(&in->lock);
}
