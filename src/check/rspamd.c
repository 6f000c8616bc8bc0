/* rspamd.c: the rspamd HTTP client, its answer parser and okno's spam policy (see
 * rspamd.h).
 *
 * How it works: each call makes its own SoupSession (sessions are not shared between
 * threads), sends one POST and reads the answer whole, at most REPLY_MAX bytes (an
 * answer with every symbol's options is a few KiB; a larger one is refused, not cut).
 * The parser trusts nothing in the answer: json-glib parses it, the score must be a
 * finite number, strings are copied as printable ASCII and bounded. */
#include "check/rspamd.h"

#include <libsoup/soup.h>
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "core/json.h"

#define REPLY_MAX (1024 * 1024)
#define NAME_MAX_LEN 64
#define SYMBOLS_MAX 64

void okno_rspamd_result_free(OknoRspamdResult *r)
{
  if (!r)
    return;
  g_free(r->action);
  g_clear_pointer(&r->symbols, g_ptr_array_unref);
  g_free(r);
}

/* A copy of `s` as printable ASCII (others '?'), at most NAME_MAX_LEN bytes. */
static char *printable(const char *s)
{
  char *out = g_strndup(s, NAME_MAX_LEN);
  for (char *p = out; *p; p++)
    if ((guchar)*p < 0x20 || (guchar)*p > 0x7e)
      *p = '?';
  return out;
}

/* The number of member `name` of `o`, FALSE when it is absent or not a finite number. */
static gboolean member_number(JsonObject *o, const char *name, double *out)
{
  JsonNode *n = json_object_get_member(o, name);
  GType t;
  if (!n || !JSON_NODE_HOLDS_VALUE(n))
    return FALSE;
  t = json_node_get_value_type(n);
  if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
    return FALSE;
  *out = t == G_TYPE_DOUBLE ? json_node_get_double(n) : (double)json_node_get_int(n);
  return isfinite(*out);
}

static gint by_name(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The confidence rspamd's Bayes classifier states for BAYES_SPAM / BAYES_HAM: its first
 * option, "NN.NN%", as 0..1; 0 when it is missing or not such a number. */
static double bayes_confidence(JsonNode *v)
{
  JsonObject *o = json_node_get_object(v);
  JsonNode *opts = json_object_get_member(o, "options");
  JsonArray *a;
  JsonNode *first;
  const char *s;
  char *end = NULL;
  double d;
  if (!opts || !JSON_NODE_HOLDS_ARRAY(opts) || !(a = json_node_get_array(opts)) ||
      json_array_get_length(a) == 0 || !(first = json_array_get_element(a, 0)) ||
      !JSON_NODE_HOLDS_VALUE(first) || json_node_get_value_type(first) != G_TYPE_STRING)
    return 0;
  s = json_node_get_string(first);
  d = g_ascii_strtod(s, &end);
  if (end == s || *end != '%' || !(d >= 0) || d > 100)
    return 0;
  return d / 100;
}

OknoRspamdResult *okno_rspamd_parse_reply(const char *reply, gsize len, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(OknoRspamdResult) r = g_new0(OknoRspamdResult, 1);
  JsonNode *root, *action, *symbols;
  JsonObject *o;

  r->symbols = g_ptr_array_new_with_free_func(g_free);
  if (len > REPLY_MAX || len > G_MAXSSIZE ||
      !json_parser_load_from_data(parser, reply, (gssize)len, NULL) ||
      !(root = json_parser_get_root(parser)) || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "rspamd answer is not a JSON object");
    return NULL;
  }
  o = json_node_get_object(root);
  action = json_object_get_member(o, "action");
  if (!member_number(o, "score", &r->score) || !action || !JSON_NODE_HOLDS_VALUE(action) ||
      json_node_get_value_type(action) != G_TYPE_STRING) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "rspamd answer has no score or action");
    return NULL;
  }
  r->action = printable(json_node_get_string(action));
  if (!member_number(o, "required_score", &r->required_score))
    r->required_score = 0;
  symbols = json_object_get_member(o, "symbols");
  if (symbols && JSON_NODE_HOLDS_OBJECT(symbols)) {
    JsonObjectIter it;
    const char *name;
    JsonNode *v;
    json_object_iter_init(&it, json_node_get_object(symbols));
    while (r->symbols->len < SYMBOLS_MAX && json_object_iter_next(&it, &name, &v))
      if (*name && JSON_NODE_HOLDS_OBJECT(v)) {
        g_ptr_array_add(r->symbols, printable(name));
        if (strcmp(name, "BAYES_SPAM") == 0 || strcmp(name, "BAYES_HAM") == 0) {
          double c = bayes_confidence(v);
          r->bayes_opinion = TRUE;
          r->bayes = name[6] == 'S' ? c : -c;
        }
      }
    g_ptr_array_sort(r->symbols, by_name);
  }
  return g_steal_pointer(&r);
}

void okno_rspamd_to_json(JsonBuilder *b, const OknoRspamdResult *r, const char *verdict)
{
  json_builder_begin_object(b);
  okno_json_double(b, "score", r->score);
  okno_json_double(b, "required_score", r->required_score);
  okno_json_str(b, "action", r->action);
  okno_json_ptrv(b, "symbols", r->symbols);
  if (verdict)
    okno_json_str(b, "verdict", verdict);
  json_builder_end_object(b);
}

/* TRUE when `v` may go into a header as it is: printable ASCII, not empty. */
static gboolean header_safe(const char *v)
{
  if (!v || !*v)
    return FALSE;
  for (const char *p = v; *p; p++)
    if ((guchar)*p < 0x20 || (guchar)*p > 0x7e)
      return FALSE;
  return TRUE;
}

static void add_header(SoupMessage *msg, const char *name, const char *value)
{
  if (header_safe(value))
    soup_message_headers_append(soup_message_get_request_headers(msg), name, value);
}

/* Sends a POST of `data` to `url` and returns the body of the answer (at most
 * REPLY_MAX bytes) with its status in *status; NULL with OKNO_ERROR_TEMP when rspamd
 * could not be reached. */
static GBytes *post(const char *url, gint64 timeout_ms, SoupMessage *msg, const void *data,
                    gsize len, guint *status, GError **error)
{
  guint secs = (guint)MAX((timeout_ms + 999) / 1000, 1);
  g_autoptr(SoupSession) ss = soup_session_new_with_options(
      "timeout", secs, "idle-timeout", secs, "user-agent", "okno", NULL);
  g_autoptr(GBytes) body = g_bytes_new_static(data ? data : "", len);
  g_autoptr(GError) e = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new();
  guint8 buf[8192];

  soup_message_set_request_body_from_bytes(msg, "message/rfc822", body);
  in = soup_session_send(ss, msg, NULL, &e);
  if (!in) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "rspamd %s: %s", url, e->message);
    return NULL;
  }
  for (;;) {
    gssize n = g_input_stream_read(in, buf, sizeof buf, NULL, &e);
    if (n < 0) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "rspamd %s: %s", url, e->message);
      return NULL;
    }
    if (n == 0)
      break;
    if (out->len + (gsize)n > REPLY_MAX) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "rspamd %s: answer too large", url);
      return NULL;
    }
    g_byte_array_append(out, buf, (guint)n);
  }
  *status = soup_message_get_status(msg);
  return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

/* A POST message to `base` + `path`, or NULL with OKNO_ERROR_USER. */
static SoupMessage *new_post(const char *base, const char *path, const char *what, GError **error)
{
  g_autofree char *url = NULL;
  SoupMessage *msg = NULL;
  if (g_str_has_prefix(base, "http://") || g_str_has_prefix(base, "https://")) {
    gsize n = strlen(base);
    url = g_strconcat(base, n && base[n - 1] == '/' ? path + 1 : path, NULL);
    msg = soup_message_new("POST", url);
  }
  if (!msg)
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[rspamd] %s '%s' is not an http:// URL",
                what, base);
  return msg;
}

OknoRspamdResult *okno_rspamd_check(const char *url, gint64 timeout_ms,
                                    const OknoRspamdEnvelope *env, const void *data, gsize len,
                                    GError **error)
{
  g_autoptr(SoupMessage) msg = new_post(url, "/checkv2", "url", error);
  g_autoptr(GBytes) body = NULL;
  guint status = 0;
  gsize n = 0;
  const char *d;

  if (!msg)
    return NULL;
  add_header(msg, "IP", env->ip);
  add_header(msg, "Helo", env->helo);
  add_header(msg, "From", env->mail_from);
  for (const char *const *r = env->rcpt; r && *r; r++)
    add_header(msg, "Rcpt", *r);
  add_header(msg, "Pass", "all");
  body = post(url, timeout_ms, msg, data, len, &status, error);
  if (!body)
    return NULL;
  if (status != 200) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "rspamd %s: HTTP status %u", url, status);
    return NULL;
  }
  d = g_bytes_get_data(body, &n);
  return okno_rspamd_parse_reply(d ? d : "", n, error);
}

/* POSTs `data` to the controller's `path` with the password (and Flag/Weight for the
 * fuzzy storage when flag > 0); TRUE on {"success": true}. */
static gboolean controller_call(const char *controller_url, const char *path,
                                const char *password, gint64 timeout_ms, int flag,
                                const void *data, gsize len, GError **error)
{
  g_autoptr(SoupMessage) msg = new_post(controller_url, path, "controller_url", error);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new();
  guint status = 0;
  gsize n = 0;
  const char *d;
  JsonNode *root, *v;
  JsonObject *o;

  if (!msg)
    return FALSE;
  add_header(msg, "Password", password);
  if (flag > 0) {
    g_autofree char *f = g_strdup_printf("%d", flag);
    add_header(msg, "Flag", f);
    add_header(msg, "Weight", "10");
  }
  body = post(controller_url, timeout_ms, msg, data, len, &status, error);
  if (!body)
    return FALSE;
  d = g_bytes_get_data(body, &n);
  if (json_parser_load_from_data(parser, d ? d : "", (gssize)n, NULL) &&
      (root = json_parser_get_root(parser)) && JSON_NODE_HOLDS_OBJECT(root)) {
    o = json_node_get_object(root);
    v = json_object_get_member(o, "success");
    if (status == 200 && v && JSON_NODE_HOLDS_VALUE(v) &&
        json_node_get_value_type(v) == G_TYPE_BOOLEAN && json_node_get_boolean(v))
      return TRUE;
    v = json_object_get_member(o, "error");
    if (v && JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_STRING) {
      g_autofree char *why = printable(json_node_get_string(v));
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "rspamd %s: HTTP %u: %s", path, status,
                  why);
      return FALSE;
    }
  }
  if (status == 204) /* rspamd 3.4's answer when its classifier declined (no backend,
                      * learn conditions, already learnt) */
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP,
                "rspamd %s: declined (no statistics backend, or its learn conditions)", path);
  else
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "rspamd %s: HTTP status %u", path, status);
  return FALSE;
}

gboolean okno_rspamd_learn(const char *controller_url, const char *password, gint64 timeout_ms,
                           gboolean spam, const void *data, gsize len, GError **error)
{
  return controller_call(controller_url, spam ? "/learnspam" : "/learnham", password,
                         timeout_ms, 0, data, len, error);
}

gboolean okno_rspamd_fuzzy_add(const char *controller_url, const char *password,
                               gint64 timeout_ms, int flag, const void *data, gsize len,
                               GError **error)
{
  return controller_call(controller_url, "/fuzzyadd", password, timeout_ms, MAX(flag, 1), data,
                         len, error);
}

const char *okno_spam_verdict_name(OknoSpamVerdict v)
{
  switch (v) {
  case OKNO_SPAM_HOLD:
    return "spam";
  case OKNO_SPAM_REJECT:
    return "reject";
  case OKNO_SPAM_ACCEPT:
  default:
    return "accept";
  }
}

OknoSpamVerdict okno_spam_decide(double score, const char *action, double reject_score,
                                 double spam_score)
{
  if (reject_score > 0 && score >= reject_score)
    return OKNO_SPAM_REJECT;
  if (spam_score > 0 && score >= spam_score)
    return OKNO_SPAM_HOLD;
  if (action && (strcmp(action, "add header") == 0 || strcmp(action, "rewrite subject") == 0 ||
                 strcmp(action, "reject") == 0))
    return OKNO_SPAM_HOLD;
  return OKNO_SPAM_ACCEPT;
}
