/* messenger.c: sends the outbound queue's Telegram and SMS jobs (messenger.h) with
 * libsoup, synchronously on the worker's thread. */
#include "ops/messenger.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "ops/worker.h"
#include "store/events.h"
#include "store/outbound.h"
#include "store/outbound_msg.h"
#include "text/sms.h"

#define CLAIM_BATCH 16
#define CLAIM_LEASE (10 * 60 * G_USEC_PER_SEC)
#define POLL_INTERVAL (1 * G_USEC_PER_SEC)
#define HTTP_TIMEOUT_SECONDS 30
#define TG_MAX_TEXT 4096
#define REPLY_MAX (64 * 1024)

struct OknoMessenger {
  const OknoConfig *cfg;
  OknoStore *store;
  SoupSession *http;
  char *owner;
  gint64 retry_min, retry_max, give_up; /* microseconds */
  GMutex pass_lock;
  OknoWorker *worker;
};

typedef enum { SENT, TEMP, PERM } Outcome;

typedef struct {
  Outcome outcome;
  char *reason;    /* "" when sent; never holds a secret */
  gint64 wait;     /* TEMP: the server asked to wait this long (us); 0: backoff */
} Result;

OknoMessenger *okno_messenger_new(const OknoConfig *cfg, const char *owner, GError **error)
{
  OknoMessenger *m;
  OknoStore *st;
  if (!*cfg->telegram_token && !*cfg->sms_url)
    return NULL;
  st = okno_store_open(cfg->store_url, error);
  if (!st)
    return NULL;
  m = g_new0(OknoMessenger, 1);
  m->cfg = cfg;
  m->store = st;
  m->http = soup_session_new_with_options("timeout", HTTP_TIMEOUT_SECONDS, "idle-timeout",
                                          HTTP_TIMEOUT_SECONDS, "user-agent", "okno", NULL);
  m->owner = g_strdup_printf("%s/messenger", owner);
  m->retry_min = cfg->retry_min_seconds * G_USEC_PER_SEC;
  m->retry_max = MAX(cfg->retry_max_seconds, cfg->retry_min_seconds) * G_USEC_PER_SEC;
  m->give_up = cfg->give_up_after_seconds * G_USEC_PER_SEC;
  g_mutex_init(&m->pass_lock);
  return m;
}

void okno_messenger_free(OknoMessenger *m)
{
  if (!m)
    return;
  g_clear_pointer(&m->worker, okno_worker_stop);
  g_clear_pointer(&m->store, okno_store_close);
  g_clear_object(&m->http);
  g_free(m->owner);
  g_mutex_clear(&m->pass_lock);
  g_free(m);
}

/* Sends `msg`; the answer's body (at most REPLY_MAX bytes) and *status, or NULL
 * with the transport's error text in *why. */
static GBytes *send_http(OknoMessenger *m, SoupMessage *msg, guint *status, char **why)
{
  g_autoptr(GError) e = NULL;
  GBytes *body = soup_session_send_and_read(m->http, msg, NULL, &e);
  if (!body) {
    *why = g_strdup(e->message);
    return NULL;
  }
  *status = soup_message_get_status(msg);
  if (g_bytes_get_size(body) > REPLY_MAX) {
    GBytes *cut = g_bytes_new_from_bytes(body, 0, REPLY_MAX);
    g_bytes_unref(body);
    body = cut;
  }
  return body;
}

/* The first line of `body`, printable, at most 200 bytes: a reason to record. */
static char *reply_line(GBytes *body)
{
  gsize len = 0;
  const char *p = body ? g_bytes_get_data(body, &len) : NULL;
  GString *s = g_string_new(NULL);
  for (gsize i = 0; p && i < len && i < 200 && p[i] != '\n' && p[i] != '\r'; i++)
    g_string_append_c(s, (guchar)p[i] >= 0x20 && (guchar)p[i] < 0x7f ? p[i] : '?');
  return g_string_free(s, FALSE);
}

/* ---- Telegram ---- */

/* A Bot API answer: ok, description, parameters.retry_after. */
static void tg_answer(GBytes *body, gboolean *ok, char **description, gint64 *retry_after)
{
  g_autoptr(JsonParser) p = json_parser_new();
  gsize len = 0;
  const char *data = g_bytes_get_data(body, &len);
  JsonNode *root;
  *ok = FALSE;
  *retry_after = 0;
  if (!json_parser_load_from_data(p, data ? data : "", (gssize)len, NULL) ||
      !(root = json_parser_get_root(p)) || !JSON_NODE_HOLDS_OBJECT(root)) {
    *description = g_strdup("the Bot API answered something that is not JSON");
    return;
  }
  JsonObject *o = json_node_get_object(root);
  JsonNode *n = json_object_get_member(o, "ok");
  JsonObject *params;
  *ok = n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
        json_node_get_boolean(n);
  n = json_object_get_member(o, "description");
  *description = g_strdup(n && JSON_NODE_HOLDS_VALUE(n) &&
                                  json_node_get_value_type(n) == G_TYPE_STRING
                              ? json_node_get_string(n)
                              : "");
  n = json_object_get_member(o, "parameters");
  params = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
  n = params ? json_object_get_member(params, "retry_after") : NULL;
  if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64)
    *retry_after = CLAMP(json_node_get_int(n), 1, 86400);
}

/* What a chat reads: an operator's answer or the bot's own text as it is; a receipt or
 * notice of an appeal is a letter written for mail (its Message-ID, "reply to this
 * letter"), so the chat gets its subject, which carries the number and the news. */
static char *tg_text(const OknoMsgJob *job)
{
  if (job->appeal_id && job->automatic && *job->subject)
    return g_strdup_printf("%s.\n\nОтвет придёт в этот чат. Дополнить обращение можно "
                           "следующим сообщением, узнать статус — командой /status и "
                           "номером обращения.", job->subject);
  return g_strdup(*job->text ? job->text : job->subject);
}

static void send_telegram(OknoMessenger *m, const OknoMsgJob *job, Result *r)
{
  g_autofree char *full = tg_text(job);
  const char *text = full;
  g_autofree char *cut = NULL, *url = NULL, *json = NULL, *why = NULL, *desc = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL, reply = NULL;
  gint64 chat = g_ascii_strtoll(job->to, NULL, 10), retry_after = 0;
  guint status = 0;
  gboolean ok = FALSE;
  if (g_utf8_strlen(text, -1) > TG_MAX_TEXT)
    text = cut = g_utf8_substring(text, 0, TG_MAX_TEXT);
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "chat_id");
  json_builder_add_int_value(b, chat);
  okno_json_str(b, "text", text);
  json_builder_end_object(b);
  json = okno_json_text(b, FALSE);
  url = g_strdup_printf("%s%sbot%s/sendMessage", m->cfg->telegram_api_url,
                        g_str_has_suffix(m->cfg->telegram_api_url, "/") ? "" : "/",
                        m->cfg->telegram_token);
  msg = soup_message_new("POST", url);
  if (!msg) {
    r->outcome = PERM;
    r->reason = g_strdup("[telegram] api_url is not an http(s) URL");
    return;
  }
  body = g_bytes_new(json, strlen(json));
  soup_message_set_request_body_from_bytes(msg, "application/json", body);
  reply = send_http(m, msg, &status, &why);
  if (!reply) {
    r->outcome = TEMP;
    r->reason = g_strdup_printf("telegram: %s", why);
    return;
  }
  tg_answer(reply, &ok, &desc, &retry_after);
  if (status == 200 && ok) {
    r->outcome = SENT;
    r->reason = g_strdup("");
  } else if (status == 429) {
    r->outcome = TEMP;
    r->wait = MAX(retry_after, 1) * G_USEC_PER_SEC;
    r->reason = g_strdup_printf("telegram: 429 retry after %" G_GINT64_FORMAT " s", MAX(retry_after, 1));
  } else {
    r->outcome = status >= 400 && status < 500 ? PERM : TEMP;
    r->reason = g_strdup_printf("telegram: %u %s", status, desc);
  }
}

/* ---- SMS through Kannel ---- */

static void send_sms(OknoMessenger *m, const OknoMsgJob *job, Result *r)
{
  const OknoConfig *cfg = m->cfg;
  const char *text = job->subject && *job->subject ? job->subject : job->text;
  OknoSmsPlan plan = {0};
  g_autoptr(GString) url = g_string_new(cfg->sms_url);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autofree char *why = NULL, *line = NULL;
  guint status = 0;
  okno_sms_plan(text, (guint)cfg->sms_max_parts, &plan);
  g_string_append_c(url, strchr(cfg->sms_url, '?') ? '&' : '?');
  g_string_append(url, "username=");
  g_string_append_uri_escaped(url, cfg->sms_user, NULL, FALSE);
  g_string_append(url, "&password=");
  g_string_append_uri_escaped(url, cfg->sms_password, NULL, FALSE);
  if (*cfg->sms_from) {
    g_string_append(url, "&from=");
    g_string_append_uri_escaped(url, cfg->sms_from, NULL, FALSE);
  }
  g_string_append(url, "&to=");
  g_string_append_uri_escaped(url, job->to, NULL, FALSE);
  g_string_append(url, "&text=");
  g_string_append_uri_escaped(url, plan.text, NULL, FALSE);
  g_string_append_printf(url, "&charset=UTF-8&coding=%d", plan.coding == OKNO_SMS_UCS2 ? 2 : 0);
  okno_sms_plan_clear(&plan);
  msg = soup_message_new("GET", url->str);
  if (!msg) {
    r->outcome = PERM;
    r->reason = g_strdup("[sms] url is not an http(s) URL");
    return;
  }
  reply = send_http(m, msg, &status, &why);
  if (!reply) {
    r->outcome = TEMP;
    r->reason = g_strdup_printf("sms: %s", why);
    return;
  }
  line = reply_line(reply);
  if (status >= 200 && status < 300) {
    r->outcome = SENT;
    r->reason = g_strdup("");
  } else {
    r->outcome = status >= 400 && status < 500 ? PERM : TEMP;
    r->reason = g_strdup_printf("sms: %u %s", status, line);
  }
}

/* ---- recording ---- */

static gint64 backoff(const OknoMessenger *m, gint64 attempts)
{
  gint64 delay = m->retry_min;
  for (gint64 i = 1; i < attempts && delay < m->retry_max; i++)
    delay *= 2;
  return MIN(delay, m->retry_max);
}

static gboolean record(OknoMessenger *m, const char *transport, const OknoMsgJob *job,
                       Result *r, GError **error)
{
  gint64 now = okno_now(), next = 0;
  const char *kind;
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *detail = NULL, *next_text = NULL;
  char to[OKNO_PII_BUF];
  gboolean ok;
  if (r->outcome == SENT) {
    kind = "outbound_sent";
  } else if (r->outcome == TEMP && now - job->created_at < m->give_up) {
    kind = "outbound_deferred";
    next = now + (r->wait ? r->wait : backoff(m, job->attempts));
  } else {
    kind = "outbound_failed";
  }
  json_builder_begin_object(b);
  okno_json_str(b, "transport", transport);
  okno_json_int(b, "attempt", job->attempts);
  if (r->outcome != SENT)
    okno_json_str(b, "reason", r->reason);
  if (next) {
    next_text = okno_time_format_utc(next);
    okno_json_str(b, "next_attempt", next_text);
  }
  json_builder_end_object(b);
  detail = okno_json_text(b, FALSE);
  if (!okno_store_begin(m->store, error))
    return FALSE;
  ok = (r->outcome == SENT ? okno_store_outbound_sent(m->store, job->id, now, error)
        : next             ? okno_store_outbound_retry(m->store, job->id, next, r->reason, error)
                           : okno_store_outbound_failed(m->store, job->id, r->reason, error)) &&
       (job->appeal_id == 0 || okno_store_event_add(m->store, job->appeal_id, kind, detail, error));
  if (!ok || !okno_store_commit(m->store, error)) {
    okno_store_rollback(m->store);
    return FALSE;
  }
  okno_log("outbound", "job=%" G_GINT64_FORMAT " appeal=%" G_GINT64_FORMAT
           " event=%s transport=%s to=%s attempt=%" G_GINT64_FORMAT "%s%s",
           job->id, job->appeal_id, kind + strlen("outbound_"), transport, okno_pii(job->to, to),
           job->attempts, *r->reason ? " reason=" : "", r->reason);
  return TRUE;
}

/* Claims and delivers the due jobs of `transport`; *finished counts sent and failed. */
static gboolean run_transport(OknoMessenger *m, const char *transport, gint64 *finished,
                              GError **error)
{
  for (guint claimed = CLAIM_BATCH; claimed == CLAIM_BATCH;) {
    g_autoptr(GPtrArray) jobs = NULL;
    if (!okno_store_begin(m->store, error))
      return FALSE;
    jobs = okno_store_msg_claim(m->store, transport, okno_now(), CLAIM_LEASE, CLAIM_BATCH,
                                m->owner, error);
    if (!jobs || !okno_store_commit(m->store, error)) {
      okno_store_rollback(m->store);
      return FALSE;
    }
    claimed = jobs->len;
    for (guint i = 0; i < jobs->len; i++) {
      const OknoMsgJob *job = jobs->pdata[i];
      Result r = {0};
      gboolean ok;
      if (strcmp(transport, "telegram") == 0)
        send_telegram(m, job, &r);
      else
        send_sms(m, job, &r);
      ok = record(m, transport, job, &r, error);
      if (ok && r.outcome != TEMP)
        (*finished)++;
      g_free(r.reason);
      if (!ok)
        return FALSE;
    }
  }
  return TRUE;
}

int okno_messenger_run_once(OknoMessenger *m, GError **error)
{
  gint64 finished = 0;
  gboolean ok = TRUE;
  if (!m)
    return 0;
  g_mutex_lock(&m->pass_lock);
  if (*m->cfg->telegram_token)
    ok = run_transport(m, "telegram", &finished, error);
  if (ok && *m->cfg->sms_url)
    ok = run_transport(m, "sms", &finished, error);
  g_mutex_unlock(&m->pass_lock);
  return ok ? (int)MIN(finished, G_MAXINT) : -1;
}

static void pass(gpointer data)
{
  g_autoptr(GError) err = NULL;
  if (okno_messenger_run_once(data, &err) < 0)
    okno_log_warn("outbound", "event=messenger_pass_failed error=\"%s\"", err->message);
}

void okno_messenger_start(OknoMessenger *m)
{
  g_autoptr(GError) err = NULL;
  if (!m || m->worker)
    return;
  /* Under pass_lock: m->store is one connection, never used by two threads at once. */
  g_mutex_lock(&m->pass_lock);
  if (!okno_store_outbound_release(m->store, m->owner, &err))
    okno_log_warn("outbound", "event=release_failed error=\"%s\"", err->message);
  g_mutex_unlock(&m->pass_lock);
  m->worker = okno_worker_start("messenger", POLL_INTERVAL, pass, m);
}

void okno_messenger_wake(OknoMessenger *m)
{
  if (m)
    okno_worker_wake(m->worker);
}
