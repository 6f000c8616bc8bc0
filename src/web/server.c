/* server.c: the HTTP server on libsoup 3, its dispatch and replies (see server.h).
 *
 * One SoupServer on the main loop. An early handler (run after the request headers,
 * before the body) refuses bodies over [http] max_body with 413 and bodies of unknown
 * length with 411; such a body is then read and dropped chunk by chunk (or never sent,
 * when the client asked with Expect: 100-continue), so it is never held in memory. The main
 * handler builds an OknoReq, applies the per-IP limit and serves static files; anything
 * else it pauses and pushes to the worker pool. A worker finds the route (404/405),
 * parses the form, looks up the session, enforces the route's flags (session kind,
 * CSRF, forms_per_hour) and calls the handler. The reply functions record the answer
 * in the OknoReq; back on the main loop (finish()) it is written to the message, which
 * is unpaused. A request is finished when the worker is done with it and, if a handler
 * held it, when it was released: whichever comes second. Templates and static files
 * are read once at start. */
#include "web/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/metrics.h"
#include "okno-build.h"
#include "store/sessions.h"
#include "web/routes.h"
#include "web/assets.h"
#include "web/template.h"

#define PRE_COOKIE "okno_pre"
#define PURGE_SECONDS 3600

static const char CSP[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

typedef struct {
  const OknoRoute *routes;
  gsize n;
} RouteTable;

struct OknoWeb {
  const OknoConfig *cfg;
  OknoIntake *intake;
  SoupServer *server;
  GSocketService *service; /* accepts for the server (see on_incoming) */
  OknoStore *store;
  GMutex assets_lock;    /* guards the pointer `assets` (okno_web_reload swaps it) */
  OknoWebAssets *assets; /* templates and static files of [http] web_dir */
  GArray *tables;      /* RouteTable */
  OknoRateLimit *rl;
  guint8 secret[32];
  gboolean secure_cookies;
  guint port;
  guint purge_id;
  gboolean stopped;
  guint busy;          /* requests handed to the workers and not finished (main loop) */
  GHashTable *conns;   /* GSocket* -> Conn*: open connections and their header clocks */
  GThreadPool *workers;
  struct {             /* okno_web_free: every worker cleans up, then the pool ends */
    GMutex lock;
    GCond cond;
    guint arrived;
  } drain;
};

/* Each worker thread's own store connection, opened at its first request, closed by
 * drain_worker() (or, should a thread end otherwise, by its destructor). */
static GPrivate worker_store = G_PRIVATE_INIT((GDestroyNotify)okno_store_close);

/* okno_web_free pushes one of these per worker thread: each closes its thread's store
 * connection and gives back OpenSSL's per-thread state (TOTP's HMAC, DKIM signing: not
 * freed by OpenSSL for threads it did not see start), then waits for the others, so
 * that every thread takes exactly one and all is clean before the pool is freed. (The
 * pool's threads end after g_thread_pool_free returns: a thread-exit destructor could
 * still be running when the process exits.) */
static void drain_worker(OknoWeb *web)
{
  OknoStore *st = g_private_get(&worker_store);
  if (st) {
    g_private_set(&worker_store, NULL);
    okno_store_close(st);
  }
  OPENSSL_thread_stop();
  g_mutex_lock(&web->drain.lock);
  web->drain.arrived++;
  g_cond_broadcast(&web->drain.cond);
  while (web->drain.arrived < (guint)web->cfg->http_workers)
    g_cond_wait(&web->drain.cond, &web->drain.lock);
  g_mutex_unlock(&web->drain.lock);
}

/* ---- loading ---- */

/* The current templates and static files, a reference the caller drops. */
static OknoWebAssets *assets_get(OknoWeb *web)
{
  OknoWebAssets *a;
  g_mutex_lock(&web->assets_lock);
  a = okno_web_assets_ref(web->assets);
  g_mutex_unlock(&web->assets_lock);
  return a;
}

gboolean okno_web_reload(OknoWeb *web, GError **error)
{
  g_autofree char *dir = *web->cfg->web_dir ? g_strdup(web->cfg->web_dir) : okno_data_file("web");
  OknoWebAssets *fresh = okno_web_assets_load(dir, error), *old;
  if (!fresh)
    return FALSE;
  g_mutex_lock(&web->assets_lock);
  old = web->assets;
  web->assets = fresh;
  g_mutex_unlock(&web->assets_lock);
  okno_web_assets_unref(old);
  return TRUE;
}

static gboolean load_secret(OknoWeb *web, GError **error)
{
  g_autofree char *fresh = okno_random_hex(sizeof web->secret);
  g_autofree char *hex = NULL;
  gsize len = 0;
  if (!okno_store_secret(web->store, "web", fresh, &hex, error))
    return FALSE;
  if (sodium_hex2bin(web->secret, sizeof web->secret, hex, strlen(hex), NULL, &len, NULL) != 0 ||
      len != sizeof web->secret) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "the stored web secret is malformed");
    return FALSE;
  }
  return TRUE;
}

static gboolean purge(gpointer data)
{
  OknoWeb *web = data;
  g_autoptr(GError) err = NULL;
  if (!okno_store_web_purge(web->store, okno_now(), &err))
    okno_log_warn("web", "event=purge-failed error=\"%s\"", err->message);
  return G_SOURCE_CONTINUE;
}

/* ---- request objects ---- */

static const char *status_text(guint status)
{
  switch (status) {
  case 400: return "Запрос не удалось обработать: данные повреждены. Обновите, пожалуйста, "
                   "страницу и попробуйте ещё раз.";
  case 401: return "Войдите, пожалуйста, чтобы продолжить.";
  case 403: return "Форма устарела или была отправлена не с этой страницы. Обновите, "
                   "пожалуйста, страницу и отправьте форму ещё раз.";
  case 404: return "Такой страницы нет. Проверьте, пожалуйста, адрес.";
  case 405: return "Этот адрес не принимает такой запрос.";
  case 411: return "Не указан размер отправляемых данных (Content-Length).";
  case 413: return "Отправленные данные слишком велики. Уменьшите, пожалуйста, размер "
                   "файлов и попробуйте ещё раз.";
  case 415: return "Неподдерживаемый тип данных.";
  case 422: return "Проверьте, пожалуйста, заполнение формы.";
  case 429: return "Слишком много запросов. Подождите, пожалуйста, немного и попробуйте снова.";
  default: return "Произошла внутренняя ошибка. Попробуйте, пожалуйста, позже.";
  }
}

static const char *status_title(guint status)
{
  switch (status) {
  case 400: return "Неверный запрос";
  case 401: return "Нужен вход";
  case 403: return "Доступ запрещён";
  case 404: return "Страница не найдена";
  case 405: return "Метод не поддерживается";
  case 411: return "Нужен размер данных";
  case 413: return "Слишком большой запрос";
  case 415: return "Неподдерживаемый тип данных";
  case 429: return "Слишком много запросов";
  default: return "Ошибка";
  }
}

static char *cookie_value(SoupServerMessage *msg, const char *name);
static gboolean hex_token_ok(const char *t, gsize want);

static OknoReq *req_new(OknoWeb *web, SoupServerMessage *msg, GHashTable *query)
{
  OknoReq *req = g_new0(OknoReq, 1);
  GUri *uri = soup_server_message_get_uri(msg);
  const char *ua = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
                                                "User-Agent");
  req->refs = 1;
  req->web = web;
  req->msg = g_object_ref(msg);
  req->method = soup_server_message_get_method(msg);
  req->path = g_uri_get_path(uri);
  if (!req->path || !*req->path)
    req->path = "/";
  req->path_rest = "";
  req->query = query ? g_hash_table_ref(query) : g_hash_table_new(g_str_hash, g_str_equal);
  req->form = okno_form_new();
  req->body = g_bytes_new_static("", 0);
  req->client_ip = soup_server_message_get_remote_host(msg);
  if (!req->client_ip)
    req->client_ip = "-";
  req->user_agent = ua ? ua : "";
  req->api = g_str_has_prefix(req->path, "/api/");
  req->cfg = web->cfg;
  req->store = web->store;
  req->intake = web->intake;
  /* read before anything answers: an error page must not replace the cookie */
  req->pre_token = cookie_value(msg, PRE_COOKIE);
  if (req->pre_token && !hex_token_ok(req->pre_token, 32))
    g_clear_pointer(&req->pre_token, g_free);
  return req;
}

static void req_unref(OknoReq *req)
{
  if (--req->refs > 0)
    return;
  g_object_unref(req->msg);
  g_clear_pointer(&req->resp_headers, g_ptr_array_unref);
  g_free(req->resp_type);
  g_free(req->resp_body);
  g_hash_table_unref(req->query);
  okno_form_free(req->form);
  g_bytes_unref(req->body);
  okno_session_row_free(req->session);
  g_free(req->pre_token);
  g_free(req->csrf_cache);
  g_free(req);
}

/* A response header to write out with the answer (any thread). */
static void resp_header(OknoReq *req, gboolean append, const char *name, const char *value)
{
  if (!req->resp_headers)
    req->resp_headers = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(req->resp_headers, g_strdup(append ? "+" : "="));
  g_ptr_array_add(req->resp_headers, g_strdup(name));
  g_ptr_array_add(req->resp_headers, g_strdup(value));
}

/* Metrics: one answered request, by the class of its route (the path's first segment
 * when it is one of okno's sections, else "other": a bounded set of series whatever
 * paths clients try) and its status. */
static void count_request(const OknoReq *req, guint status)
{
  static const char *const labels[] = {"route", "status", NULL};
  static const char *const classes[] = {"api", "console", "cabinet", "feedback", "status",
                                        "check", "static", "auth", NULL};
  const char *seg = req->path + 1;
  gsize n = strcspn(seg, "/");
  const char *cls = "other";
  char code[8];
  for (gsize i = 0; classes[i]; i++)
    if (strlen(classes[i]) == n && strncmp(seg, classes[i], n) == 0)
      cls = classes[i];
  if (n == 0)
    cls = "root";
  g_snprintf(code, sizeof code, "%u", status);
  okno_metric_add(okno_metrics_counter(okno_metrics(), "okno_http_requests_total",
                                       "HTTP requests answered, by route class and status.",
                                       labels),
                  1, cls, code);
}

/* Main loop: writes the recorded answer into the message. */
static void write_answer(OknoReq *req)
{
  count_request(req, req->status);
  SoupMessageHeaders *h = soup_server_message_get_response_headers(req->msg);
  for (guint i = 0; req->resp_headers && i + 2 < req->resp_headers->len; i += 3) {
    const char *op = req->resp_headers->pdata[i];
    if (*op == '+')
      soup_message_headers_append(h, req->resp_headers->pdata[i + 1], req->resp_headers->pdata[i + 2]);
    else
      soup_message_headers_replace(h, req->resp_headers->pdata[i + 1], req->resp_headers->pdata[i + 2]);
  }
  if (req->status) {
    soup_server_message_set_status(req->msg, req->status, NULL);
    soup_server_message_set_response(req->msg, req->resp_type, SOUP_MEMORY_TAKE,
                                      g_steal_pointer(&req->resp_body), req->resp_len);
  }
}

/* Main loop: a request the workers had is finished once its worker is done and, if a
 * handler held it, it was released. Consumes the workers' reference. */
static void finish(OknoReq *req)
{
  if (!req->handled || (req->held && !req->released))
    return;
  if (!req->answered) {
    okno_log_warn("web", "event=unanswered path=%s", req->path);
    okno_req_error(req, 500, NULL);
  }
  write_answer(req);
  soup_server_message_unpause(req->msg);
  req->web->busy--;
  req_unref(req);
}

void okno_req_hold(OknoReq *req)
{
  req->held = TRUE; /* the message is paused already: the workers have it */
}

void okno_req_release(OknoReq *req)
{
  if (!req->held || req->released)
    return;
  req->released = TRUE;
  finish(req);
}

/* ---- cookies and CSRF ---- */

static char *cookie_value(SoupServerMessage *msg, const char *name)
{
  const char *h = soup_message_headers_get_list(soup_server_message_get_request_headers(msg),
                                                "Cookie");
  g_autoptr(GHashTable) t = NULL;
  const char *v;
  if (!h)
    return NULL;
  t = soup_header_parse_semi_param_list(h);
  v = t ? g_hash_table_lookup(t, name) : NULL;
  return v ? g_strdup(v) : NULL;
}

static void set_cookie(OknoReq *req, const char *name, const char *value, gint64 max_age)
{
  g_autofree char *c = g_strdup_printf("%s=%s; Path=/; HttpOnly; SameSite=Lax%s; Max-Age=%" G_GINT64_FORMAT,
                                       name, value, req->web->secure_cookies ? "; Secure" : "",
                                       max_age);
  resp_header(req, TRUE, "Set-Cookie", c);
}

static gboolean hex_token_ok(const char *t, gsize want)
{
  if (!t || strlen(t) != want)
    return FALSE;
  for (; *t; t++)
    if (!g_ascii_isxdigit(*t))
      return FALSE;
  return TRUE;
}

/* The anonymous CSRF token: HMAC-SHA256(secret, "csrf:" pre) in hex. */
static char *anon_csrf(const OknoWeb *web, const char *pre)
{
  guint8 mac[crypto_auth_hmacsha256_BYTES];
  char hex[sizeof mac * 2 + 1];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, web->secret, sizeof web->secret);
  crypto_auth_hmacsha256_update(&st, (const guint8 *)"csrf:", 5);
  crypto_auth_hmacsha256_update(&st, (const guint8 *)pre, strlen(pre));
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return g_strdup(hex);
}

const char *okno_req_csrf(OknoReq *req)
{
  if (req->session)
    return req->session->csrf;
  if (!req->pre_token) {
    req->pre_token = okno_random_hex(16);
    req->set_pre_cookie = TRUE;
  }
  if (!req->csrf_cache)
    req->csrf_cache = anon_csrf(req->web, req->pre_token);
  return req->csrf_cache;
}

static gboolean csrf_ok(OknoReq *req)
{
  const char *given = okno_req_field(req, "csrf");
  const char *header = soup_message_headers_get_one(
      soup_server_message_get_request_headers(req->msg), "X-CSRF-Token");
  g_autofree char *expected = NULL;
  if (header && *header)
    given = header;
  if (req->session)
    expected = g_strdup(req->session->csrf);
  else if (req->pre_token && !req->set_pre_cookie)
    expected = anon_csrf(req->web, req->pre_token);
  if (!expected || strlen(given) != strlen(expected))
    return FALSE;
  return sodium_memcmp(given, expected, strlen(expected)) == 0;
}

gboolean okno_req_sign_in(OknoReq *req, const char *kind, const char *subject, GError **error)
{
  g_autofree char *old = cookie_value(req->msg, OKNO_SESSION_COOKIE);
  g_autofree char *token = NULL;
  OknoSession *s;
  if (old)
    okno_session_revoke(req->store, old, NULL);
  s = okno_session_create(req->store, kind, subject, req->cfg->session_ttl * G_USEC_PER_SEC,
                          req->client_ip, req->user_agent, &token, error);
  if (!s)
    return FALSE;
  okno_session_row_free(req->session);
  req->session = s;
  set_cookie(req, OKNO_SESSION_COOKIE, token, req->cfg->session_ttl);
  return TRUE;
}

void okno_req_sign_out(OknoReq *req)
{
  g_autofree char *old = cookie_value(req->msg, OKNO_SESSION_COOKIE);
  if (old)
    okno_session_revoke(req->store, old, NULL);
  g_clear_pointer(&req->session, okno_session_row_free);
  set_cookie(req, OKNO_SESSION_COOKIE, "", 0);
}

/* ---- replies ---- */

static void security_headers(SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(h, "Content-Security-Policy", CSP);
  soup_message_headers_replace(h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace(h, "Referrer-Policy", "same-origin");
  soup_message_headers_replace(h, "X-Frame-Options", "DENY");
  soup_message_headers_replace(h, "Cross-Origin-Opener-Policy", "same-origin");
  /* one request per connection: see on_incoming (libsoup 3.2 keeps no connection it did
   * not accept itself alive), said out loud so that clients do not try */
  soup_message_headers_replace(h, "Connection", "close");
}

/* Records the answer (any thread); the main loop writes it (write_answer). */
static void respond(OknoReq *req, guint status, const char *type, char *body, gsize len)
{
  if (req->answered) {
    g_free(body);
    return;
  }
  req->answered = TRUE;
  if (req->set_pre_cookie)
    set_cookie(req, PRE_COOKIE, req->pre_token, 86400 * 30);
  resp_header(req, FALSE, "Cache-Control", "no-store");
  req->status = status;
  req->resp_type = g_strdup(type);
  req->resp_body = body;
  req->resp_len = len;
}

void okno_req_json(OknoReq *req, guint status, JsonNode *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new();
  gsize len = 0;
  char *text;
  json_generator_set_root(gen, node);
  text = json_generator_to_data(gen, &len);
  json_node_unref(node);
  respond(req, status, "application/json; charset=utf-8", text, len);
}

void okno_req_bytes(OknoReq *req, const char *content_type, GBytes *data,
                    const char *download_name)
{
  gsize len = 0;
  const void *p = g_bytes_get_data(data, &len);
  if (download_name) {
    g_autofree char *esc = g_uri_escape_string(download_name, NULL, FALSE);
    g_autofree char *v = g_strdup_printf("attachment; filename=\"download\"; filename*=UTF-8''%s", esc);
    resp_header(req, FALSE, "Content-Disposition", v);
  }
  respond(req, 200, content_type, g_memdup2(p ? p : "", len), len);
}

static JsonNode *error_json(const char *text)
{
  JsonObject *o = json_object_new();
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_object_set_string_member(o, "error", text);
  json_node_take_object(n, o);
  return n;
}

void okno_req_page(OknoReq *req, guint status, const char *page, const char *title,
                   JsonObject *data)
{
  g_autoptr(OknoWebAssets) assets = assets_get(req->web);
  OknoTemplatePartials *templates = okno_web_assets_templates(assets);
  const OknoTemplate *t = okno_template_partials_lookup(templates, page);
  const OknoTemplate *layout = okno_template_partials_lookup(templates, "layout");
  g_autoptr(GError) err = NULL;
  g_autofree char *body = NULL;
  JsonNode *ctx = json_node_new(JSON_NODE_OBJECT);
  char *html = NULL;

  if (!data)
    data = json_object_new();
  json_object_set_string_member(data, "title", title);
  json_object_set_string_member(data, "portal_name", req->cfg->portal_name);
  json_object_set_string_member(data, "csrf", okno_req_csrf(req));
  json_object_set_boolean_member(data, "signed_in", req->session != NULL);
  json_node_take_object(ctx, data);
  if (t)
    body = okno_template_render(t, ctx, templates, &err);
  if (body) {
    json_object_set_string_member(data, "body", body);
    html = okno_template_render(layout, ctx, templates, &err);
  }
  json_node_unref(ctx);
  if (!html) {
    okno_log_warn("web", "event=render-failed page=%s error=\"%s\"", page,
                  err ? err->message : "no such template");
    html = g_strdup("<!doctype html><meta charset=utf-8><title>Ошибка</title>"
                    "<p>Произошла внутренняя ошибка. Попробуйте, пожалуйста, позже.</p>");
    status = 500;
  }
  respond(req, status, "text/html; charset=utf-8", html, strlen(html));
}

void okno_req_error(OknoReq *req, guint status, const char *text)
{
  JsonObject *o;
  if (!text)
    text = status_text(status);
  if (status >= 500)
    okno_log_warn("web", "event=error status=%u method=%s path=%s", status, req->method, req->path);
  if (req->api) {
    okno_req_json(req, status, error_json(text));
    return;
  }
  o = json_object_new();
  json_object_set_string_member(o, "message", text);
  json_object_set_int_member(o, "status", status);
  okno_req_page(req, status, "error", status_title(status), o);
}

void okno_req_field_errors(OknoReq *req, JsonObject *errors)
{
  JsonObject *o = json_object_new();
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_object_set_object_member(o, "errors", errors);
  json_node_take_object(n, o);
  okno_req_json(req, 422, n);
}

void okno_req_too_many(OknoReq *req, gint64 seconds)
{
  g_autofree char *v = g_strdup_printf("%" G_GINT64_FORMAT, seconds);
  resp_header(req, FALSE, "Retry-After", v);
  okno_req_error(req, 429, NULL);
}

void okno_req_redirect(OknoReq *req, const char *location)
{
  resp_header(req, FALSE, "Location", location);
  respond(req, 303, "text/plain; charset=utf-8", g_strdup(""), 0);
}

const char *okno_req_field(const OknoReq *req, const char *name)
{
  const char *v = g_hash_table_lookup(req->form->fields, name);
  return v ? v : "";
}

gboolean okno_page_limit(const char *text, guint max, guint *limit)
{
  guint64 v = max;
  if (*text && !g_ascii_string_to_unsigned(text, 10, 1, max, &v, NULL))
    return FALSE;
  *limit = (guint)v;
  return TRUE;
}

gboolean okno_req_limit(OknoReq *req, const char *key, double per_hour, double burst)
{
  gint64 retry = 0;
  if (okno_ratelimit_take(req->web->rl, key, per_hour, burst, okno_now(), &retry))
    return TRUE;
  okno_log("web", "event=rate-limited class=%.*s retry_after=%" G_GINT64_FORMAT,
           (int)strcspn(key, ":"), key, retry);
  okno_req_too_many(req, retry);
  return FALSE;
}

/* ---- dispatch ---- */

/* Main loop (static files are in memory): answers directly. */
static void serve_static(OknoReq *req)
{
  g_autoptr(OknoWebAssets) assets = assets_get(req->web);
  const char *content_type = NULL;
  g_autoptr(GBytes) data = okno_web_assets_static(assets, req->path + strlen("/static/"), &content_type);
  SoupMessageHeaders *h = soup_server_message_get_response_headers(req->msg);
  if (!data) {
    okno_req_error(req, 404, NULL);
    write_answer(req);
    return;
  }
  if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
    resp_header(req, FALSE, "Allow", "GET, HEAD");
    okno_req_error(req, 405, NULL);
    write_answer(req);
    return;
  }
  req->answered = TRUE;
  count_request(req, 200);
  soup_message_headers_replace(h, "Cache-Control", "public, max-age=3600");
  soup_message_headers_set_content_type(h, content_type, NULL);
  soup_server_message_set_status(req->msg, 200, NULL);
  /* the body holds its own reference: a reload may drop the set meanwhile */
  soup_message_body_append_bytes(soup_server_message_get_response_body(req->msg), data);
}

static gboolean path_matches(const OknoRoute *r, const char *path, const char **rest)
{
  gsize n = strlen(r->path);
  if (n > 1 && r->path[n - 1] == '/') {
    if (strncmp(path, r->path, n) == 0) {
      *rest = path + n;
      return TRUE;
    }
    return FALSE;
  }
  *rest = "";
  return strcmp(path, r->path) == 0;
}

static const OknoRoute *find_route(OknoReq *req, GString *allow)
{
  const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
  for (int pass = 0; pass < 2; pass++) { /* exact paths first, then prefixes */
    for (guint t = 0; t < req->web->tables->len; t++) {
      const RouteTable *tab = &g_array_index(req->web->tables, RouteTable, t);
      for (gsize i = 0; i < tab->n; i++) {
        const OknoRoute *r = &tab->routes[i];
        const char *rest;
        gboolean prefix = r->path[strlen(r->path) - 1] == '/' && strlen(r->path) > 1;
        if (prefix != (pass == 1) || !path_matches(r, req->path, &rest))
          continue;
        if (strcmp(r->method, method) == 0) {
          req->path_rest = rest;
          return r;
        }
        if (!strstr(allow->str, r->method)) {
          g_string_append_printf(allow, "%s%s", allow->len ? ", " : "", r->method);
          if (strcmp(r->method, "GET") == 0)
            g_string_append(allow, ", HEAD");
        }
      }
    }
    if (allow->len)
      return NULL; /* the path is known by an exact route: 405, not a prefix */
  }
  return NULL;
}

static gboolean parse_body(OknoReq *req, const OknoRoute *route)
{
  SoupMessageBody *b = soup_server_message_get_request_body(req->msg);
  const char *ct = soup_message_headers_get_one(
      soup_server_message_get_request_headers(req->msg), "Content-Type");
  g_autoptr(GError) err = NULL;
  OknoForm *f;
  g_bytes_unref(req->body);
  req->body = soup_message_body_flatten(b);
  if ((route->flags & OKNO_ROUTE_JSON_BODY) && ct &&
      g_ascii_strncasecmp(ct, "application/json", 16) == 0) {
    gsize len = 0;
    const char *data = g_bytes_get_data(req->body, &len);
    if (!g_utf8_validate_len(data ? data : "", len, NULL)) {
      okno_req_error(req, 400, "Данные должны быть в кодировке UTF-8.");
      return FALSE;
    }
    return TRUE;
  }
  if ((route->flags & OKNO_ROUTE_MESSAGE_BODY) && ct &&
      g_ascii_strncasecmp(ct, "message/rfc822", 14) == 0)
    return TRUE;
  f = okno_form_parse(ct, req->body, &err);
  if (!f) {
    okno_req_error(req, g_error_matches(err, OKNO_ERROR, OKNO_ERROR_PERM) ? 415 : 400,
                   err->message);
    return FALSE;
  }
  okno_form_free(req->form);
  req->form = f;
  return TRUE;
}

/* Worker thread: everything between the request and its handler's answer. */
static void dispatch(OknoReq *req)
{
  const OknoConfig *cfg = req->cfg;
  g_autoptr(GString) allow = g_string_new(NULL);
  g_autofree char *token = NULL;
  g_autoptr(GError) err = NULL;
  const OknoRoute *route;

  route = find_route(req, allow);
  if (!route) {
    if (allow->len) {
      resp_header(req, FALSE, "Allow", allow->str);
      okno_req_error(req, 405, NULL);
    } else {
      okno_req_error(req, 404, NULL);
    }
    return;
  }
  token = cookie_value(req->msg, OKNO_SESSION_COOKIE);
  if (token) {
    req->session = okno_session_lookup(req->store, token, &err);
    if (err) {
      okno_log_warn("web", "event=session-lookup-failed error=\"%s\"", err->message);
      okno_req_error(req, 500, NULL);
      return;
    }
  }
  if (route->flags & (OKNO_ROUTE_CITIZEN | OKNO_ROUTE_STAFF)) {
    const char *kind = (route->flags & OKNO_ROUTE_STAFF) ? "staff" : "citizen";
    if (!req->session || strcmp(req->session->kind, kind) != 0) {
      if (req->api)
        okno_req_error(req, 401, NULL);
      else
        okno_req_redirect(req, (route->flags & OKNO_ROUTE_STAFF) ? "/console/login"
                                                                 : "/cabinet/login");
      return;
    }
  }
  if (strcmp(req->method, "POST") == 0 && !parse_body(req, route))
    return;
  if (route->flags & OKNO_ROUTE_STATE_CHANGING) {
    /* Staff actions count against their session's own budget (an office behind one
     * address is many operators); everything else against the client address's. */
    gboolean staff = (route->flags & OKNO_ROUTE_STAFF) && req->session;
    double per_hour = staff ? (double)cfg->staff_actions_per_hour : (double)cfg->forms_per_hour;
    g_autofree char *fkey = staff ? g_strdup_printf("staff-actions:%" G_GINT64_FORMAT,
                                                    req->session->id)
                                  : g_strconcat("forms:", req->client_ip, NULL);
    /* a burst of ten (or a minute's worth, when more), never more than the hour's */
    double burst = MIN(per_hour, MAX(10.0, per_hour / 60.0));
    if (!okno_req_limit(req, fkey, per_hour, burst))
      return;
    /* API calls without any cookie carry no ambient authority to forge */
    gboolean cookieless = req->api && !token && !req->pre_token;
    if (!cookieless && !csrf_ok(req)) {
      okno_log("web", "event=csrf-refused path=%s session=%s", req->path,
               req->session ? "yes" : "no");
      okno_req_error(req, 403, NULL);
      return;
    }
  }
  route->handler(req);
}

static gboolean worker_done(gpointer data)
{
  OknoReq *req = data;
  req->handled = TRUE;
  finish(req);
  return G_SOURCE_REMOVE;
}

/* Worker thread: one request, on this thread's own store connection. */
static void work(gpointer data, gpointer pool_data)
{
  OknoReq *req = data;
  OknoStore *st;
  if (data == pool_data) {
    drain_worker(pool_data);
    return;
  }
  st = g_private_get(&worker_store);
  if (!st) {
    g_autoptr(GError) err = NULL;
    st = okno_store_open(req->cfg->store_url, &err);
    if (!st)
      okno_log_warn("web", "event=store-open-failed error=\"%s\"", err->message);
    else
      g_private_set(&worker_store, st);
  }
  req->store = st;
  if (st)
    dispatch(req);
  else
    okno_req_error(req, 503, NULL);
  g_main_context_invoke(NULL, worker_done, req);
}

static void on_request(SoupServer *server, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer data)
{
  OknoWeb *web = data;
  const OknoConfig *cfg = web->cfg;
  g_autofree char *ipkey = NULL;
  OknoReq *req;
  security_headers(msg);
  req = req_new(web, msg, query);
  ipkey = g_strconcat("ip:", req->client_ip, NULL);
  if (!okno_req_limit(req, ipkey, cfg->requests_per_minute * 60.0, cfg->requests_per_minute)) {
    write_answer(req);
  } else if (g_str_has_prefix(req->path, "/static/")) {
    serve_static(req);
  } else {
    /* the workers own this reference until finish() */
    soup_server_message_pause(msg);
    web->busy++;
    req->refs++;
    g_thread_pool_push(web->workers, req, NULL);
  }
  req_unref(req);
}

/* Runs after the headers, before the body: refuse what must not be read. */
static void on_early(SoupServer *server, SoupServerMessage *msg, const char *path,
                     GHashTable *query, gpointer data)
{
  OknoWeb *web = data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  SoupEncoding enc = soup_message_headers_get_encoding(h);
  guint status = 0;
  if (enc == SOUP_ENCODING_CHUNKED || enc == SOUP_ENCODING_EOF)
    status = 411;
  else if (enc == SOUP_ENCODING_CONTENT_LENGTH &&
           soup_message_headers_get_content_length(h) > (goffset)web->cfg->max_body)
    status = 413;
  if (status) {
    OknoReq *req;
    security_headers(msg);
    req = req_new(web, msg, query);
    okno_log("web", "event=body-refused status=%u length=%" G_GOFFSET_FORMAT, status,
             soup_message_headers_get_content_length(h));
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                                 "close");
    okno_req_error(req, status, NULL);
    write_answer(req);
    req_unref(req);
    /* libsoup still reads the body (unless the client sent Expect: 100-continue, which
     * gets the answer at once): drop it chunk by chunk instead of keeping it. */
    soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
  }
}

/* ---- lifecycle ---- */

/* ---- time bounds on a connection ----
 * Every accepted connection is a Conn, keyed by its GSocket (soup_server_message_get_socket
 * finds it from a message). Its header clock runs from the accept, and again from the end
 * of each answer, until the request's headers are complete: past [http] header_timeout
 * the socket is shut down (libsoup sees end of stream and drops the connection), so a
 * client that sends nothing or trickles a header cannot hold it. Every single read or
 * write waits at most [http] idle_timeout (the GSocket's own timeout): a silent body or an
 * idle kept-alive connection ends there. The Conn goes when libsoup lets the connection go
 * (a weak reference). All of this runs on the main loop. */
typedef struct {
  OknoWeb *web;
  GSocketConnection *conn; /* not a reference: libsoup owns it */
  GSocket *sock;
  guint timer;             /* header clock, 0 when stopped */
} Conn;

static void conn_stop_clock(Conn *c)
{
  if (c->timer)
    g_source_remove(c->timer);
  c->timer = 0;
}

static gboolean conn_header_timeout(gpointer data)
{
  Conn *c = data;
  c->timer = 0;
  okno_log("web", "event=header-timeout seconds=%" G_GINT64_FORMAT, c->web->cfg->http_header_timeout);
  g_socket_shutdown(c->sock, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static void conn_start_clock(Conn *c)
{
  conn_stop_clock(c);
  c->timer = g_timeout_add_seconds((guint)c->web->cfg->http_header_timeout,
                                   conn_header_timeout, c);
}

static void conn_free(gpointer data)
{
  Conn *c = data;
  conn_stop_clock(c);
  g_free(c);
}

/* libsoup dropped the connection */
static void conn_gone(gpointer data, GObject *where_the_object_was)
{
  Conn *c = data;
  g_hash_table_remove(c->web->conns, c->sock);
}

static Conn *conn_of(OknoWeb *web, SoupServerMessage *msg)
{
  GSocket *sock = soup_server_message_get_socket(msg);
  return sock ? g_hash_table_lookup(web->conns, sock) : NULL;
}

static void on_got_headers(SoupServerMessage *msg, gpointer data)
{
  Conn *c = conn_of(data, msg);
  if (c)
    conn_stop_clock(c);
}

static void on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  g_signal_connect(msg, "got-headers", G_CALLBACK(on_got_headers), data);
}

/* an answer went out: a kept-alive connection has header_timeout for its next request */
static void on_request_finished(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  Conn *c = conn_of(data, msg);
  if (c)
    conn_start_clock(c);
}

/* Connections are accepted here and handed to libsoup, instead of soup_server_listen():
 * libsoup 3.2's own listener (Debian 12) leaks the GSocket of every connection it
 * accepts (fixed upstream later), which a long-running daemon cannot afford. The price:
 * libsoup 3.2 closes a connection it got this way after one request (no keep-alive),
 * so every request pays a TCP handshake (bench/http measures it, static files alike). */
static gboolean on_incoming(GSocketService *service, GSocketConnection *conn,
                            GObject *source, gpointer data)
{
  OknoWeb *web = data;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address(conn, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address(conn, NULL);
  g_autoptr(GError) err = NULL;
  Conn *c;
  GSocket *sock = g_socket_connection_get_socket(conn);
  if (web->stopped || !local || !remote)
    return TRUE;
  g_socket_set_option(sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  g_socket_set_timeout(sock, (guint)web->cfg->http_idle_timeout);
  c = g_new0(Conn, 1);
  c->web = web;
  c->conn = conn;
  c->sock = sock;
  g_hash_table_replace(web->conns, sock, c);
  g_object_weak_ref(G_OBJECT(conn), conn_gone, c);
  conn_start_clock(c);
  if (!soup_server_accept_iostream(web->server, G_IO_STREAM(conn), local, remote, &err))
    okno_log_warn("web", "event=accept-failed error=\"%s\"", err->message);
  return TRUE;
}

gboolean okno_web_parse_listen(const char *key, const char *listen, GSocketAddress **addr,
                               GError **error)
{
  const char *colon = strrchr(listen, ':');
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) ia = NULL;
  guint64 port = 0;
  if (colon)
    host = g_strndup(listen, colon - listen);
  if (host && host[0] == '[' && host[strlen(host) - 1] == ']') {
    memmove(host, host + 1, strlen(host));
    host[strlen(host) - 1] = '\0';
  }
  if (!colon || !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &port, NULL) ||
      !(ia = g_inet_address_new_from_string(host))) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s = '%s' must be IP:PORT, e.g. 127.0.0.1:8080", key, listen);
    return FALSE;
  }
  *addr = g_inet_socket_address_new(ia, (guint16)port);
  return TRUE;
}

OknoWeb *okno_web_new(const OknoConfig *cfg, OknoIntake *intake, GError **error)
{
  OknoWeb *web = g_new0(OknoWeb, 1);
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *dir = *cfg->web_dir ? g_strdup(cfg->web_dir) : okno_data_file("web");

  web->cfg = cfg;
  web->intake = intake;
  g_mutex_init(&web->drain.lock);
  g_cond_init(&web->drain.cond);
  g_mutex_init(&web->assets_lock);
  web->tables = g_array_new(FALSE, FALSE, sizeof(RouteTable));
  web->rl = okno_ratelimit_new();
  web->conns = g_hash_table_new_full(NULL, NULL, NULL, conn_free);
  web->secure_cookies = g_str_has_prefix(cfg->public_url, "https:");
  if (sodium_init() < 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "libsodium failed to initialise");
    goto fail;
  }
  if (!okno_web_parse_listen("[http] listen", cfg->http_listen, &addr, error) ||
      !(web->assets = okno_web_assets_load(dir, error)))
    goto fail;
  web->store = okno_store_open(cfg->store_url, error);
  if (!web->store || !load_secret(web, error))
    goto fail;
  /* exclusive: its threads end when it is freed, closing their store connections */
  web->workers = g_thread_pool_new(work, web, (gint)cfg->http_workers, TRUE, NULL);
  web->server = soup_server_new("server-header", "okno", NULL);
  soup_server_add_early_handler(web->server, NULL, on_early, web, NULL);
  soup_server_add_handler(web->server, NULL, on_request, web, NULL);
  g_signal_connect(web->server, "request-started", G_CALLBACK(on_request_started), web);
  g_signal_connect(web->server, "request-finished", G_CALLBACK(on_request_finished), web);
  web->service = g_socket_service_new();
  g_socket_listener_set_backlog(G_SOCKET_LISTENER(web->service), (int)cfg->http_backlog);
  if (!g_socket_listener_add_address(G_SOCKET_LISTENER(web->service), addr,
                                     G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                     &bound, error)) {
    g_prefix_error(error, "[http] listen %s: ", cfg->http_listen);
    (*error)->domain = OKNO_ERROR;
    (*error)->code = OKNO_ERROR_USER;
    goto fail;
  }
  web->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_signal_connect(web->service, "incoming", G_CALLBACK(on_incoming), web);
  okno_web_routes_register(web);
  return web;
fail:
  okno_web_free(web);
  return NULL;
}

void okno_web_start(OknoWeb *web)
{
  purge(web);
  web->purge_id = g_timeout_add_seconds(PURGE_SECONDS, purge, web);
  g_socket_service_start(web->service);
  okno_log("web", "event=listening addr=%s port=%u", web->cfg->http_listen, web->port);
}

void okno_web_stop(OknoWeb *web)
{
  if (web->stopped)
    return;
  web->stopped = TRUE;
  if (web->purge_id)
    g_source_remove(web->purge_id);
  web->purge_id = 0;
  /* no new connections; those open finish their one request (okno_web_free closes
   * whatever is left) */
  if (web->service) {
    g_socket_service_stop(web->service);
    g_socket_listener_close(G_SOCKET_LISTENER(web->service));
  }
}

void okno_web_free(OknoWeb *web)
{
  if (!web)
    return;
  okno_web_stop(web);
  /* answers already given are still being written: let them go out first */
  while (g_main_context_pending(NULL))
    g_main_context_iteration(NULL, FALSE);
  if (web->server)
    soup_server_disconnect(web->server);
  g_clear_object(&web->service);
  g_clear_object(&web->server);
  /* connections closed by the disconnect are finalised from idle callbacks */
  while (g_main_context_pending(NULL))
    g_main_context_iteration(NULL, FALSE);
  if (web->workers) { /* serve waited for busy == 0: no request is left */
    for (gint64 i = 0; i < web->cfg->http_workers; i++)
      g_thread_pool_push(web->workers, web, NULL);
    g_mutex_lock(&web->drain.lock);
    while (web->drain.arrived < (guint)web->cfg->http_workers)
      g_cond_wait(&web->drain.cond, &web->drain.lock);
    g_mutex_unlock(&web->drain.lock);
    g_thread_pool_free(web->workers, FALSE, TRUE);
  }
  if (web->conns) { /* connections libsoup still holds must not call back into us */
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, web->conns);
    while (g_hash_table_iter_next(&it, NULL, &v))
      g_object_weak_unref(G_OBJECT(((Conn *)v)->conn), conn_gone, v);
    g_hash_table_destroy(web->conns);
  }
  okno_store_close(web->store);
  okno_web_assets_unref(web->assets);
  g_mutex_clear(&web->assets_lock);
  g_array_unref(web->tables);
  okno_ratelimit_free(web->rl);
  g_mutex_clear(&web->drain.lock);
  g_cond_clear(&web->drain.cond);
  sodium_memzero(web->secret, sizeof web->secret);
  g_free(web);
}

guint okno_web_held(const OknoWeb *web)
{
  return web ? web->busy : 0;
}

guint okno_web_port(const OknoWeb *web)
{
  return web->port;
}

void okno_web_add_routes(OknoWeb *web, const OknoRoute *routes, gsize n)
{
  RouteTable t = {routes, n};
  g_array_append_val(web->tables, t);
}

const guint8 *okno_web_secret(const OknoWeb *web)
{
  return web->secret;
}

OknoRateLimit *okno_web_ratelimit(OknoWeb *web)
{
  return web->rl;
}
