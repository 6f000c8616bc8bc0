/* reply.c: what a handler answers with (server.h's okno_req_* replies: pages, JSON,
 * bytes, errors, redirects, rate limits), the cookies and the CSRF tokens, apart from
 * the server's connections and dispatch (server.c).
 *
 * A reply is only recorded in the OknoReq (any thread); server.c writes it into the
 * message on the main loop. The first reply wins: a later one is dropped. Every answer
 * is `Cache-Control: no-store`; an anonymous visitor's first page sets the pre-session
 * cookie its CSRF token derives from (HMAC-SHA256 under the web secret), so forms work
 * before any sign-in and a token cannot be made without the secret. */
#include "web/server_int.h"

#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

static const char CSP[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

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

/* A response header to write out with the answer (any thread). */
void okno_web_resp_header(OknoReq *req, gboolean append, const char *name, const char *value)
{
  if (!req->resp_headers)
    req->resp_headers = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(req->resp_headers, g_strdup(append ? "+" : "="));
  g_ptr_array_add(req->resp_headers, g_strdup(name));
  g_ptr_array_add(req->resp_headers, g_strdup(value));
}

/* ---- cookies and CSRF ---- */

char *okno_web_cookie(SoupServerMessage *msg, const char *name)
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
                                       name, value, okno_web_secure_cookies(req->web) ? "; Secure" : "",
                                       max_age);
  okno_web_resp_header(req, TRUE, "Set-Cookie", c);
}

gboolean okno_web_hex_token_ok(const char *t, gsize want)
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
  crypto_auth_hmacsha256_init(&st, okno_web_secret(web), OKNO_WEB_SECRET_BYTES);
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

gboolean okno_web_csrf_ok(OknoReq *req)
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
  g_autofree char *old = okno_web_cookie(req->msg, OKNO_SESSION_COOKIE);
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
  g_autofree char *old = okno_web_cookie(req->msg, OKNO_SESSION_COOKIE);
  if (old)
    okno_session_revoke(req->store, old, NULL);
  g_clear_pointer(&req->session, okno_session_row_free);
  set_cookie(req, OKNO_SESSION_COOKIE, "", 0);
}

/* ---- replies ---- */

void okno_web_security_headers(SoupServerMessage *msg)
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
  okno_web_resp_header(req, FALSE, "Cache-Control", "no-store");
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
    okno_web_resp_header(req, FALSE, "Content-Disposition", v);
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
  g_autoptr(OknoWebAssets) assets = okno_web_assets_current(req->web);
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
  okno_web_resp_header(req, FALSE, "Retry-After", v);
  okno_req_error(req, 429, NULL);
}

void okno_req_redirect(OknoReq *req, const char *location)
{
  okno_web_resp_header(req, FALSE, "Location", location);
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
  if (okno_ratelimit_take(okno_web_ratelimit(req->web), key, per_hour, burst, okno_now(), &retry))
    return TRUE;
  okno_log("web", "event=rate-limited class=%.*s retry_after=%" G_GINT64_FORMAT,
           (int)strcspn(key, ":"), key, retry);
  okno_req_too_many(req, retry);
  return FALSE;
}
