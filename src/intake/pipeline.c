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
#include "appeal/routing.h"
#include "appeal/sla.h"
#include "check/blocklist.h"
#include "check/clamav.h"
#include "check/phishing.h"
#include "check/reply.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "intake/extract.h"
#include "intake/validate.h"
#include "mail/auth.h"
#include "mail/dkim.h"
#include "mail/loop.h"
#include "mail/mime.h"
#include "mail/receipt.h"
#include "ops/calendar_file.h"
#include "ops/ops.h"
#include "store/commit.h"

#define DUPLICATE_WINDOW_US (G_GINT64_CONSTANT(24) * 3600 * G_USEC_PER_SEC)
#define BLOCKLIST_TTL_US G_USEC_PER_SEC /* how long the writer reuses the block list read */

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
  /* The phishing block list as last read, used only on the writer thread. */
  OknoBlocklist *blocklist;
  gint64 blocklist_read_at; /* monotonic us */
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
  OknoAuthResult *auth;   /* sender authentication, NULL when not checked */
  char *auth_json;        /* its JSON object (the `authentication` event), or NULL */
  char *meta_json;
  gint64 received_at;
  char *channel;
  char *kind;             /* "support" or "formal" (only a trusted caller says formal) */
  gboolean repeated;      /* «Повторное» in the subject or text */
  char *earlier_number;   /* the earlier appeal a repeated one names, or NULL */
  char *session_id;
  char *category;         /* from the envelope (web form), "" if none */
  char *phone;            /* from the envelope (web form), "" if none */
  GPtrArray *infected;    /* char* signature or NULL per attachment (clamd) */
  GError *refuse;         /* set: the message is refused or deferred, nothing registered;
                           * it carries its SMTP reply (core/error.h) */
  OknoPhishResult *phish; /* the phishing check (of the forwarded letter when is_check) */
  gboolean is_check;      /* sent to the [check] address only: answer, do not register */
  gboolean forwarded;     /* is_check: the letter checked was an attached message/rfc822 */
  char *checked_subject;  /* is_check: its subject */
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
  g_clear_pointer(&p->auth, okno_auth_result_free);
  g_free(p->auth_json);
  g_free(p->meta_json);
  g_free(p->channel);
  g_free(p->kind);
  g_free(p->earlier_number);
  g_free(p->session_id);
  g_free(p->category);
  g_free(p->phone);
  g_clear_pointer(&p->infected, g_ptr_array_unref);
  g_clear_error(&p->refuse);
  g_clear_pointer(&p->phish, okno_phish_result_free);
  g_free(p->checked_subject);
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
  if (p->auth) {
    json_builder_set_member_name(b, "authentication");
    okno_auth_to_json(b, p->auth);
  }
  json_builder_end_object(b);
  return okno_json_text(b, FALSE);
}

/* SPF, DKIM and DMARC of mail that came over SMTP/LMTP from an IP address (mail/auth.h;
 * never of what okno built itself from a web form or a cabinet reply, whose client
 * address is a browser's, not a mail server's): the results
 * go on top of the stored bytes as an Authentication-Results header (the one the
 * phishing check believes: our authserv-id, check/sender.c), the decision into
 * p->refuse (550 5.7.1) or the suspicious flag. A letter to the [check] address whose
 * sender failed SPF or DMARC gets no verdict mailed back: it would go to an address
 * the sender may have forged (reflection). Blocks for DNS: runs on the parse thread. */
static void authenticate(const OknoConfig *cfg, Parsed *p, const OknoEnvelope *env,
                         const char *env_from)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *header = NULL;
  const char *at = strrchr(p->msg->from_email, '@');
  GInetAddress *ip;
  OknoAuthInput in = {0};
  GByteArray *stored;
  gsize len = 0;
  const guint8 *data;

  if (!cfg->auth_verify || g_strcmp0(p->channel, "email") != 0 || !env->client_addr ||
      !(ip = g_inet_address_new_from_string(env->client_addr)))
    return;
  g_object_unref(ip);
  in.client_ip = env->client_addr;
  in.helo = env->helo;
  in.mail_from = env_from ? env_from : "";
  in.from_domain = at ? at + 1 : "";
  in.raw = p->raw;
  p->auth = okno_auth_verify(cfg, &in, &err);
  if (!p->auth) {
    okno_log_warn("intake", "session=%s event=auth_unavailable error=\"%s\"", p->session_id, err->message);
    return;
  }
  {
    g_autoptr(JsonBuilder) b = json_builder_new();
    okno_auth_to_json(b, p->auth);
    p->auth_json = okno_json_text(b, FALSE);
  }
  header = okno_auth_header(cfg->hostname, p->auth);
  data = g_bytes_get_data(p->raw, &len);
  stored = g_byte_array_sized_new((guint)(strlen(header) + len));
  g_byte_array_append(stored, (const guint8 *)header, (guint)strlen(header));
  g_byte_array_append(stored, data, (guint)len);
  g_bytes_unref(p->raw);
  p->raw = g_byte_array_free_to_bytes(stored);
  okno_log("intake", "session=%s event=authentication spf=%s dkim=%s dmarc=%s action=%s",
           p->session_id, p->auth->spf,
           p->auth->dkim->len ? ((OknoDkimResult *)p->auth->dkim->pdata[0])->result : "none",
           p->auth->dmarc, okno_auth_action_name(p->auth->action));
  if (p->auth->action == OKNO_AUTH_REJECT) {
    okno_auth_reject_error(p->auth, &p->refuse);
    okno_log("intake", "session=%s event=refused reason=%s from_domain=%s", p->session_id,
             p->auth->action_reason, p->auth->from_domain);
  } else if (p->auth->action == OKNO_AUTH_SUSPICIOUS && !p->no_autoreply) {
    p->no_autoreply = "sender authentication failed: the From address may be forged";
  } else if (p->is_check && !p->no_autoreply &&
             (g_str_equal(p->auth->spf, "fail") || g_str_equal(p->auth->spf, "softfail") ||
              g_str_equal(p->auth->dmarc, "fail"))) {
    p->no_autoreply = "sender authentication failed: the verdict would go to a forged address";
  }
}

/* TRUE when every recipient is the [check] address (a message also addressed to
 * support is an appeal). */
static gboolean for_check_only(const OknoConfig *cfg, const OknoEnvelope *env)
{
  if (!*cfg->check_address || !env->rcpt_to || !env->rcpt_to[0])
    return FALSE;
  for (const char *const *r = env->rcpt_to; *r; r++)
    if (!okno_config_is_check_address(cfg, *r))
      return FALSE;
  return TRUE;
}

/* Scans the message's files with clamd ([clamav] socket; docs/malware.md): each
 * attachment's decoded bytes (what the citizen sent as a file, whatever its
 * transfer encoding), and the raw message as a whole when the parse stopped early
 * (budget exceeded: the files it did not reach are then still scanned, inside the
 * MIME, by clamd's own mail parser). The body text is not scanned as a file: it is
 * only ever shown converted to text. Under policy refuse the first signature refuses
 * the message (554 5.7.1, nothing registered); under strip the file is refused with
 * a reason naming the signature. clamd unreachable or failing: 451 4.3.0 under both
 * policies (the client retries; nothing unscanned gets in). A check@ message is
 * never refused: what is found becomes a reason of its verdict. */
static void scan_message(const OknoConfig *cfg, Parsed *p)
{
  const OknoMessage *m = p->msg;
  gboolean refuse = strcmp(cfg->clamav_policy, "refuse") == 0 && !p->is_check;
  g_autoptr(GError) e = NULL;

  p->infected = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < m->attachments->len; i++)
    g_ptr_array_add(p->infected, NULL);
  if (!*cfg->clamav_socket)
    return;
  for (guint i = 0; i < m->attachments->len && !e; i++) {
    const OknoAttachment *a = m->attachments->pdata[i];
    gsize n = 0;
    const void *d = a->data ? g_bytes_get_data(a->data, &n) : NULL;
    char *sig = NULL;
    if (n == 0)
      continue; /* nothing to scan */
    if (okno_clamav_scan(cfg->clamav_socket, cfg->clamav_timeout_ms, d ? d : "", n, 0, &sig, &e))
      p->infected->pdata[i] = sig;
  }
  if (!e && m->budget_exceeded) {
    gsize n = 0;
    const void *d = g_bytes_get_data(p->raw, &n);
    char *sig = NULL;
    if (okno_clamav_scan(cfg->clamav_socket, cfg->clamav_timeout_ms, d ? d : "", n, 0, &sig, &e) && sig) {
      okno_log("intake", "session=%s event=virus_found part=whole-message signature=%s",
               p->session_id, sig);
      if (!p->is_check) /* no one file to strip: refused under both policies */
        okno_set_smtp_error(&p->refuse, 554, "5.7.1",
                            "Message refused: virus %s found / Письмо отклонено: в нём найден "
                            "вирус %s", sig, sig);
      g_free(sig);
    }
  }
  if (e) {
    okno_log_warn("intake", "session=%s event=clamav_unavailable error=\"%s\"", p->session_id,
                  e->message);
    if (!p->is_check)
      okno_set_smtp_error(&p->refuse, 451, "4.3.0",
                          "Temporary failure: the virus scanner is unavailable, please try "
                          "again later");
    return;
  }
  for (guint i = 0; i < m->attachments->len; i++) {
    const OknoAttachment *a = m->attachments->pdata[i];
    const char *sig = p->infected->pdata[i];
    if (!sig)
      continue;
    okno_log("intake", "session=%s event=virus_found attachment=%u signature=%s policy=%s",
             p->session_id, i + 1, sig, p->is_check ? "check" : cfg->clamav_policy);
    if (refuse && !p->refuse)
      okno_set_smtp_error(&p->refuse, 554, "5.7.1",
                          "Message refused: virus %s found in an attachment / Письмо "
                          "отклонено: во вложении найден вирус %s", sig, sig);
    if (!refuse && !p->is_check) {
      g_free(p->refusals->pdata[i]);
      p->refusals->pdata[i] = g_strdup_printf(
          "Файл «%s» удалён: в нём найдена вредоносная программа (%s). Мы его не сохранили.",
          a->filename, sig);
    }
  }
}

/* The phishing check of the letter forwarded to the [check] address (the first
 * attached message/rfc822, else the message itself); for an appeal, only the domains
 * and links it points at (intake's block-list match). A virus clamd found makes a
 * check@ verdict dangerous. */
static void check_phishing(const OknoConfig *cfg, Parsed *p, const OknoMimeLimits *lim)
{
  gsize len = 0;
  const char *data = g_bytes_get_data(p->raw, &len);
  const OknoAttachment *fwd = NULL;
  for (guint i = 0; p->is_check && i < p->msg->attachments->len && !fwd; i++) {
    const OknoAttachment *a = p->msg->attachments->pdata[i];
    if (a->data && g_bytes_get_size(a->data) > 0 &&
        (strcmp(a->declared_type, "message/rfc822") == 0 ||
         strcmp(a->content_type, "message/rfc822") == 0))
      fwd = a;
  }
  if (fwd) {
    gsize n = 0;
    const char *d = g_bytes_get_data(fwd->data, &n);
    g_autoptr(OknoMessage) inner = okno_mime_parse(d, n, lim);
    p->phish = okno_phishing_check(inner, d, n, cfg);
    p->forwarded = TRUE;
    p->checked_subject = g_strdup(inner->subject);
  } else if (p->is_check) {
    p->phish = okno_phishing_check(p->msg, data, len, cfg);
    p->checked_subject = g_strdup(p->msg->subject);
  } else {
    /* an appeal needs only what it points at, for the block list */
    p->phish = okno_phishing_indicators(p->msg, data, len, cfg);
  }
  for (guint i = 0; p->is_check && i < p->infected->len; i++) {
    const OknoAttachment *a = p->msg->attachments->pdata[i];
    g_autofree char *text = NULL;
    if (!p->infected->pdata[i])
      continue;
    text = g_strdup_printf("Во вложении «%s» антивирус нашёл вредоносную программу (%s). "
                           "Не открывайте его.", a->filename, (char *)p->infected->pdata[i]);
    okno_phish_add_reason(p->phish, "attachment_malware", OKNO_PHISH_STRONG, text);
  }
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
  p->is_check = for_check_only(cfg, env);
  authenticate(cfg, p, env, env->mail_from ? env_from : NULL);
  if (!p->refuse) /* refused by policy: no need to ask clamd */
    scan_message(cfg, p);
  if (!p->refuse)
    check_phishing(cfg, p, &lim);
  p->meta_json = meta_json(p, env);
  return p;
}

/* ---- registering: inside the store transaction ---- */

/* The sender authentication failed short of a refusal (mail/auth.h): the From may be
 * forged. */
static gboolean sender_unproved(const Parsed *p)
{
  return p->auth && p->auth->action == OKNO_AUTH_SUSPICIOUS;
}

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

/* After routing: when the clock runs and the department has its own period for the
 * appeal's class ([sla] department_overrides), or its own working hours ([sla]
 * department_hours) that move the deadline, the deadline is counted again from `start`
 * (event `deadline_set`, why "routed to DEPT"). */
static gboolean routed_deadline(OknoIntake *in, OknoStore *st, OknoAppeal *a, gint64 start,
                                GError **error)
{
  OknoSlaEnv env = sla_env(in);
  OknoSlaClass c;
  g_autofree char *why = NULL;
  if (!a->deadline || !env.cal || !a->department || !*a->department ||
      !okno_sla_class_parse(a->sla_class, &c))
    return TRUE;
  if (!okno_sla_override(env.policy, a->department, c)) {
    OknoSlaFacts facts = {.sla_class = c, .confirmed = a->priority_confirmed, .start = start,
                          .department = a->department};
    gint64 moved = 0;
    if (okno_sla_calendar(env.policy, env.cal, a->department) == env.cal ||
        !okno_sla_deadline(env.policy, &facts, env.cal, &moved, NULL, NULL) || moved == a->deadline)
      return TRUE;
  }
  why = g_strdup_printf("routed to %s", a->department);
  return okno_ops_start_clock(&env, st, a, start, why, error);
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
    if (p->infected->pdata[i] && !event(st, appeal_id, "attachment_infected", "filename",
                                        a->filename, "signature", p->infected->pdata[i], error))
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

/* The phishing block list, read from the store at most once a second (a block is in
 * force within a second, on every node, with nothing to invalidate; reading it per
 * message cost the single writer thread a query per registration). Writer thread only. */
static const OknoBlocklist *blocklist(OknoIntake *in, OknoStore *st, GError **error)
{
  gint64 now = g_get_monotonic_time();
  if (!in->blocklist || now - in->blocklist_read_at >= BLOCKLIST_TTL_US) {
    OknoBlocklist *bl = okno_store_phish_blocklist(st, error);
    if (!bl)
      return NULL;
    g_clear_pointer(&in->blocklist, okno_blocklist_free);
    in->blocklist = bl;
    in->blocklist_read_at = now;
  }
  return in->blocklist;
}

/* Matches the message's domains and links against the block list: one event per hit
 * ("phishing_blocklisted") on appeal `appeal_id` when it is not 0; TRUE in *hit when
 * any matched. */
static gboolean blocklist_match(OknoIntake *in, OknoStore *st, gint64 appeal_id, Parsed *p,
                                gboolean *hit, GError **error)
{
  const OknoBlocklist *bl = blocklist(in, st, error);
  *hit = FALSE;
  if (!bl)
    return FALSE;
  for (guint i = 0; i < p->phish->indicators->len; i++) {
    const OknoPhishIndicator *x = p->phish->indicators->pdata[i];
    const char *entry = okno_blocklist_match(bl, x->kind, x->value);
    if (!entry)
      continue;
    *hit = TRUE;
    if (!appeal_id)
      continue;
    okno_log("intake", "session=%s event=phishing_blocklisted kind=%s entry=%s", p->session_id,
             x->kind, entry);
    if (!event(st, appeal_id, "phishing_blocklisted", x->kind, x->value, "entry", entry, error))
      return FALSE;
  }
  return TRUE;
}

/* A message to the [check] address: no appeal. The verdict (block list applied) is
 * mailed back to the sender under the same loop rules and hourly limit as receipts,
 * DKIM-signed, queued as mail of no appeal. A dangerous sample counts as a report of
 * its links (and of its sender domains when it was forwarded as an attachment: else
 * the sender is the citizen): reported, not blocked; an operator decides. */
static gboolean register_check(OknoIntake *in, OknoStore *st, Parsed *p, OknoIntakeResult *res,
                               GError **error)
{
  const OknoConfig *cfg = in->cfg;
  const OknoBlocklist *bl = blocklist(in, st, error);
  const char *to = *p->msg->reply_to_email ? p->msg->reply_to_email : p->contact;
  const char *why = p->no_autoreply;
  g_autofree char *our_id = NULL;
  g_autoptr(GBytes) msg = NULL;
  char pii[OKNO_PII_BUF];
  guint reported = 0;

  if (!bl)
    return FALSE;
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
  if (!why) {
    gint64 n = okno_store_count_automatic(st, to, p->received_at - G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC, error);
    if (error && *error)
      return FALSE;
    if (n >= cfg->max_auto_per_hour)
      why = "hourly limit of automatic messages to this sender reached";
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
    g_autoptr(GError) dkim_err = NULL;
    g_autoptr(GBytes) out = okno_dkim_sign_or_plain(in->dkim, msg, &dkim_err);
    if (dkim_err)
      okno_log_warn("intake", "session=%s event=dkim_failed error=\"%s\"", p->session_id,
                    dkim_err->message);
    if (!okno_store_outbound_enqueue_mail(st, cfg->outbound_from, to, our_id, out, error))
      return FALSE;
  }
  res->receipt_queued = TRUE;
  return TRUE;
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
  gboolean blocklisted = FALSE;

  if (p->is_check)
    return register_check(in, st, p, res, error);
  res->quarantined = p->quarantine != NULL;
  res->suspicious = sender_unproved(p);

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
  /* Mail whose sender is not proved never joins an appeal: it opens its own, linked.
   * A repeated appeal is a new appeal linked to the earlier one, not a reply to it. */
  if (target && !sender_unproved(p) && *p->contact &&
      g_ascii_strcasecmp(target->from_email, p->contact) == 0 && !(p->repeated && id == 0)) {
    if (!store_message(st, target->id, p, error) ||
        (p->auth_json && !okno_store_event_add(st, target->id, "authentication", p->auth_json, error)) ||
        !event(st, target->id, "reply_joined", "message_id", p->msg->message_id, "session",
               p->session_id, error) ||
        !blocklist_match(in, st, target->id, p, &blocklisted, error))
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
  /* A message pointing at a blocked domain or URL waits in the suspicious queue too. */
  if (!blocklist_match(in, st, 0, p, &blocklisted, error))
    return FALSE;
  a->queue = g_strdup(p->quarantine ? OKNO_QUEUE_QUARANTINE
                      : sender_unproved(p) || blocklisted ? OKNO_QUEUE_SUSPICIOUS : "");
  res->suspicious = *a->queue && !p->quarantine;
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
      !store_message(st, a->id, p, error) ||
      (p->auth_json && !okno_store_event_add(st, a->id, "authentication", p->auth_json, error)))
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
  if (sender_unproved(p) &&
      !event(st, a->id, "suspicious", "reason", p->auth->action_reason, "from_domain",
             p->auth->from_domain, error))
    return FALSE;
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
  if (blocklisted && !blocklist_match(in, st, a->id, p, &blocklisted, error))
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
  okno_log("intake", "session=%s event=registered appeal=%s status=%s from=%s size=%" G_GSIZE_FORMAT "%s%s",
           p->session_id, a->number, a->status, okno_pii(p->contact, pii),
           g_bytes_get_size(p->raw), *a->queue ? " queue=" : "", a->queue);
  /* Register, route, then acknowledge (DESIGN.md steps 4 to 6), all in this
   * transaction: routing comes before the receipt so that a department's own SLA
   * period or working hours ([sla] department_overrides, department_hours) give the
   * deadline the receipt states. */
  return okno_route_appeal(st, a,
                           &(OknoRouteInput){a->category, p->channel, p->contact, a->subject,
                                             p->description},
                           error) &&
         routed_deadline(in, st, a, p->received_at, error) &&
         queue_receipt(in, st, a, p, FALSE, res, error);
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
  it->done(&it->result, err, it->user_data);
  item_free(it);
  g_mutex_lock(&in->lock);
  in->registered += err ? 0 : 1;
  in->inflight--;
  g_cond_broadcast(&in->idle);
  g_mutex_unlock(&in->lock);
}

/* A refusal decided by the parse (policy, virus, clamd down: p->refuse), answered on
 * the submitter's main context without a trip to the writer: nothing is stored. */
static gboolean refuse_in_context(gpointer data)
{
  Item *it = data;
  register_done(it, it->p->refuse);
  return G_SOURCE_REMOVE;
}

/* Pool thread: the pure half, then the registration goes to the writer. */
static void parse_job(gpointer data, gpointer pool_data)
{
  Item *it = data;
  OknoIntake *in = pool_data;
  it->p = parse_message(in->cfg, it->raw, &it->env);
  if (it->p->refuse) {
    g_main_context_invoke(it->ctx, refuse_in_context, it);
    return;
  }
  okno_committer_submit(in->committer, register_work, register_done, it, it->ctx);
}

OknoIntake *okno_intake_new(const OknoConfig *cfg, GError **error)
{
  OknoIntake *in = g_new0(OknoIntake, 1);
  g_autoptr(GError) cal_err = NULL;
  g_autoptr(GError) dkim_err = NULL;
  in->cfg = cfg;
  okno_mime_init();
  if (cfg->auth_verify) {
    /* A [dns] server that cannot be used is a config error now, not a warning per message. */
    OknoDns *dns = okno_dns_new(cfg->dns_server, cfg->dns_timeout_ms, (gsize)cfg->dns_max_answer_size,
                                (guint)cfg->dns_max_answer_records, error);
    if (!dns) {
      g_free(in);
      return NULL;
    }
    okno_dns_free(dns);
  }
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
  g_clear_pointer(&in->blocklist, okno_blocklist_free);
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
  if (it->p->refuse)
    register_done(it, it->p->refuse);
  else
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
