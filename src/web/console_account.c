/* console_account.c: the operator console's sign-in, sign-out, password change and
 * account page (login journal and sessions); console.h.
 *
 * Sign-in is one form: login, password and the second factor (a TOTP code or a
 * recovery code) together, checked by okno_staff_authenticate() (lock-out, journal).
 * One form rather than a password step followed by a code step: a separate password
 * step would tell a guesser that the password was right before the second factor is
 * asked, which okno_staff_authenticate() deliberately never tells. On success the
 * browser gets a NEW session (okno_req_sign_in revokes the pre-login one: no
 * fixation). A user who must change the password is kept on /console/password. */
#include "web/console.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "sec/password.h"
#include "store/sessions.h"
#include "store/staff.h"
#include "web/routes.h"
#include "web/template.h"

#define LOGIN_PER_HOUR 60.0 /* sign-in attempts per IP (the account lock is per login) */

/* ---- sign-in, sign-out, password ---- */

static void login_page(OknoReq *req, guint status, const char *error, const char *login)
{
  JsonObject *o = json_object_new();
  if (error)
    json_object_set_string_member(o, "error", error);
  json_object_set_string_member(o, "login", login ? login : "");
  okno_req_page(req, status, "console_login", "Вход для сотрудников", o);
}

static void login_get(OknoReq *req)
{
  if (req->session && strcmp(req->session->kind, "staff") == 0) {
    okno_req_redirect(req, "/console");
    return;
  }
  login_page(req, 200, NULL, NULL);
}

static void login_post(OknoReq *req)
{
  OknoStaffPolicy pol = okno_console_policy(req);
  OknoSignIn in = {
    .login = okno_req_field(req, "login"),
    .password = okno_req_field(req, "password"),
    .code = okno_req_field(req, "code"),
    .ip = req->client_ip,
    .user_agent = req->user_agent,
  };
  g_autofree char *key = g_strconcat("console-login:", req->client_ip, NULL);
  g_autofree char *subject = NULL;
  g_autoptr(OknoUser) u = NULL;
  g_autoptr(GError) err = NULL;
  const char *result = NULL;

  if (!okno_req_limit(req, key, LOGIN_PER_HOUR, 10))
    return;
  if (!*in.login || !*in.password || !*in.code) {
    if (req->api)
      okno_req_error(req, 400, "Укажите логин, пароль и код.");
    else
      login_page(req, 422, "Укажите логин, пароль и код из приложения.", in.login);
    return;
  }
  u = okno_staff_authenticate(req->store, &pol, &in, &result, &err);
  if (!u) {
    gboolean user_error = err && err->domain == OKNO_ERROR && err->code == OKNO_ERROR_USER;
    okno_log("console", "event=sign-in-refused result=%s", result ? result : "error");
    if (!user_error) {
      okno_req_error(req, 500, NULL);
      return;
    }
    if (req->api)
      okno_req_error(req, 401, err->message);
    else
      login_page(req, 401, err->message, in.login);
    return;
  }
  subject = g_strdup_printf("%" G_GINT64_FORMAT, u->id);
  g_clear_error(&err);
  if (!okno_req_sign_in(req, "staff", subject, &err)) {
    okno_log_warn("console", "event=session-failed error=\"%s\"", err->message);
    okno_req_error(req, 500, NULL);
    return;
  }
  okno_log("console", "event=signed-in user=%" G_GINT64_FORMAT " result=%s", u->id, result);
  if (req->api) {
    JsonObject *o = json_object_new();
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_object_set_string_member(o, "login", u->login);
    json_object_set_string_member(o, "role", u->role);
    json_object_set_string_member(o, "csrf", req->session->csrf);
    json_object_set_boolean_member(o, "must_change_password", u->must_change_password);
    json_node_take_object(n, o);
    okno_req_json(req, 200, n);
    return;
  }
  okno_req_redirect(req, u->must_change_password ? "/console/password" : "/console");
}

static void logout_post(OknoReq *req)
{
  okno_req_sign_out(req);
  okno_req_redirect(req, "/console/login");
}

static void password_page(OknoReq *req, const OknoUser *u, guint status, const char *error)
{
  JsonObject *o = okno_console_ctx(u);
  json_object_set_boolean_member(o, "must_change", u->must_change_password);
  if (error)
    json_object_set_string_member(o, "error", error);
  okno_req_page(req, status, "console_password", "Смена пароля", o);
}

static void password_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, TRUE);
  if (u)
    password_page(req, u, 200, NULL);
}

static void password_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, TRUE);
  const char *current = okno_req_field(req, "current"), *pw = okno_req_field(req, "password");
  g_autoptr(GError) err = NULL;
  if (!u)
    return;
  if (!okno_password_verify(u->password_hash, current)) {
    password_page(req, u, 422, "Текущий пароль указан неверно.");
    return;
  }
  if (strcmp(pw, okno_req_field(req, "password2")) != 0) {
    password_page(req, u, 422, "Новый пароль и его повтор не совпадают.");
    return;
  }
  if (strcmp(pw, current) == 0) {
    password_page(req, u, 422, "Новый пароль должен отличаться от текущего.");
    return;
  }
  if (!okno_staff_set_password(req->store, u->login, pw, &err)) {
    if (err->domain == OKNO_ERROR && err->code == OKNO_ERROR_USER)
      password_page(req, u, 422, err->message);
    else
      okno_req_error(req, 500, NULL);
    return;
  }
  okno_log("console", "event=password-changed user=%" G_GINT64_FORMAT, u->id);
  okno_req_redirect(req, "/console");
}

/* ---- the account: login journal and sessions ---- */

static void account_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(GPtrArray) journal = NULL, sessions = NULL;
  g_autoptr(GError) err = NULL;
  JsonObject *o;
  JsonArray *ja, *sa;
  if (!u)
    return;
  journal = okno_store_login_journal(req->store, u->id, 50, &err);
  sessions = journal ? okno_store_session_list(req->store, "staff", req->session->subject,
                                               okno_now(), &err)
                     : NULL;
  if (!sessions) {
    okno_req_error(req, 500, NULL);
    return;
  }
  o = okno_console_ctx(u);
  ja = json_array_new();
  for (guint i = 0; i < journal->len; i++) {
    const OknoLoginEntry *e = journal->pdata[i];
    JsonObject *r = json_object_new();
    g_autofree char *at = okno_console_time(e->at);
    json_object_set_string_member(r, "at", at);
    json_object_set_string_member(r, "ip", e->ip);
    json_object_set_string_member(r, "user_agent", e->user_agent);
    json_object_set_string_member(r, "result", e->result);
    json_object_set_boolean_member(r, "ok", g_str_has_prefix(e->result, "ok"));
    json_array_add_object_element(ja, r);
  }
  sa = json_array_new();
  for (guint i = 0; i < sessions->len; i++) {
    const OknoSessionInfo *s = sessions->pdata[i];
    JsonObject *r = json_object_new();
    g_autofree char *at = okno_console_time(s->created_at);
    g_autofree char *seen = okno_console_time(s->last_seen);
    json_object_set_int_member(r, "id", s->id);
    json_object_set_string_member(r, "created", at);
    json_object_set_string_member(r, "last_seen", seen);
    json_object_set_string_member(r, "ip", s->ip);
    json_object_set_string_member(r, "user_agent", s->user_agent);
    json_object_set_boolean_member(r, "current", s->id == req->session->id);
    json_array_add_object_element(sa, r);
  }
  json_object_set_array_member(o, "journal", ja);
  json_object_set_array_member(o, "sessions", sa);
  okno_req_page(req, 200, "console_account", "Учётная запись", o);
}

static void session_revoke_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(GError) err = NULL;
  gint64 id = g_ascii_strtoll(okno_req_field(req, "session"), NULL, 10);
  gboolean found = FALSE;
  if (!u)
    return;
  if (!okno_store_session_revoke_id(req->store, id, "staff", req->session->subject, okno_now(),
                                    &found, &err)) {
    okno_req_error(req, 500, NULL);
    return;
  }
  if (!found) {
    okno_req_error(req, 404, NULL);
    return;
  }
  if (id == req->session->id) {
    okno_req_sign_out(req);
    okno_req_redirect(req, "/console/login");
    return;
  }
  okno_req_redirect(req, "/console/account");
}

static const OknoRoute routes[] = {
  {"GET", "/console/login", 0, login_get},
  {"POST", "/console/login", OKNO_ROUTE_STATE_CHANGING, login_post},
  {"POST", "/api/v1/console/login", OKNO_ROUTE_STATE_CHANGING, login_post},
  {"POST", "/console/logout", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, logout_post},
  {"GET", "/console/password", OKNO_ROUTE_STAFF, password_get},
  {"POST", "/console/password", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, password_post},
  {"GET", "/console/account", OKNO_ROUTE_STAFF, account_get},
  {"POST", "/console/sessions/revoke", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING,
   session_revoke_post},
};

void okno_console_account_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
