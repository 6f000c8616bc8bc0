/* cabinet_auth.c: signing in to the cabinet with a one-time e-mail code, signing out,
 * and moving the cabinet to another address (see cabinet.h, sec/login_code.h).
 *
 * Sign-in: POST /cabinet/login {email} sends a code (the same answer whether or not the
 * address has any appeal); POST /cabinet/login/code {email, code} checks it and signs in
 * (a new session, the old one revoked): the address is thereby verified. Changing the
 * address: POST /cabinet/email {new_email} sends a code to the new address; POST
 * /cabinet/email/code {new_email, code} moves the cabinet (contact_moves), signs every
 * session of the old address out, signs this browser in with the new one and tells the
 * old address by e-mail. Codes and notices go through the outbound queue, DKIM-signed
 * like receipts, in the same transaction as the code row. */
#include "web/cabinet.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "intake/pipeline.h"
#include "mail/receipt.h"
#include "mail/dkim.h"
#include "sec/login_code.h"
#include "store/cabinet.h"
#include "store/outbound.h"
#include "store/sessions.h"
#include "web/oidc.h"

#define LOGIN_PER_IP_HOUR 30.0

char *okno_cabinet_email(const char *text)
{
  g_autofree char *t = g_strstrip(g_strdup(text ? text : ""));
  g_autofree char *low = g_ascii_strdown(t, -1);
  const char *at = strchr(low, '@');
  const char *dot;
  if (!*low || strlen(low) > 254 || !at || at == low || strchr(at + 1, '@'))
    return NULL;
  for (const char *c = low; *c; c++)
    if ((guchar)*c <= ' ' || (guchar)*c >= 0x7f || strchr("<>\"\\(),;:[]", *c))
      return NULL;
  dot = strrchr(at + 1, '.');
  if (!dot || dot == at + 1 || !dot[1] || strstr(at, ".."))
    return NULL;
  return g_steal_pointer(&low);
}

void okno_cabinet_answer(OknoReq *req, guint status, const char *page, const char *title,
                         JsonObject *o)
{
  if (req->api) {
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    okno_req_json(req, status, n);
  } else {
    okno_req_page(req, status, page, title, o);
  }
}

void okno_cabinet_field_error(OknoReq *req, const char *page, const char *title, JsonObject *o,
                              const char *field, const char *message)
{
  if (req->api) {
    JsonObject *e = json_object_new();
    json_object_set_string_member(e, field, message);
    json_object_unref(o);
    okno_req_field_errors(req, e);
    return;
  }
  {
    g_autofree char *k = g_strconcat("error_", field, NULL);
    json_object_set_string_member(o, k, message);
    json_object_set_string_member(o, "message", message); /* for pages without the field */
    json_object_set_boolean_member(o, "has_errors", TRUE);
  }
  okno_req_page(req, 422, page, title, o);
}

void okno_cabinet_fail(OknoReq *req, const char *what, const GError *err)
{
  okno_log_warn("cabinet", "event=%s-failed error=\"%s\"", what, err ? err->message : "?");
  okno_req_error(req, 500, NULL);
}

/* Writes a notice of no appeal to `to` like every automatic message of okno
 * (okno_notice_build; `tag` goes into the Message-ID), signs it with the intake's key
 * (sent unsigned when signing fails, logged) and queues it on the web's store
 * connection, inside the caller's transaction. */
static gboolean queue_notice(OknoReq *req, const char *tag, const char *to,
                             const char *subject, const char *text, GError **error)
{
  g_autofree char *mid = NULL;
  g_autoptr(GBytes) msg = okno_notice_build(req->cfg, tag, to, NULL, subject, text, &mid);
  g_autoptr(GBytes) signed_msg = NULL;
  g_autoptr(GError) dkim_err = NULL;
  if (!msg) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "the address cannot be written into a header");
    return FALSE;
  }
  signed_msg = okno_dkim_sign_or_plain(okno_intake_dkim(req->intake), msg, &dkim_err);
  if (dkim_err)
    okno_log_warn("cabinet", "event=dkim_failed error=\"%s\"", dkim_err->message);
  return okno_store_outbound_enqueue_mail(req->store, req->cfg->outbound_from, to, mid,
                                          signed_msg, error);
}

/* Sends a fresh code for (email, purpose, owner). FALSE after answering (429, 500). */
static gboolean send_code(OknoReq *req, const char *email, const char *purpose,
                          const char *owner)
{
  const guint8 *secret = okno_web_secret(req->web);
  g_autofree char *code = okno_login_code_generate();
  g_autofree char *key = NULL, *text = NULL, *subject = NULL;
  g_autoptr(GError) err = NULL;
  char tag[OKNO_PII_BUF];
  gint64 now = okno_now(), sent;
  OknoLoginCode row = {0};
  gboolean change = strcmp(purpose, "change") == 0;

  key = g_strconcat("code-ip:", req->client_ip, NULL);
  if (!okno_req_limit(req, key, LOGIN_PER_IP_HOUR, 10))
    return FALSE;
  sent = okno_store_code_count(req->store, email, now - G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC, &err);
  if (err) {
    okno_cabinet_fail(req, "code-count", err);
    return FALSE;
  }
  if (sent >= OKNO_CODE_MAX_PER_HOUR) {
    okno_log("cabinet", "event=code-limited to=%s", okno_pii(email, tag));
    okno_req_too_many(req, 3600);
    return FALSE;
  }
  row.email = (char *)email;
  row.purpose = (char *)purpose;
  row.owner = (char *)owner;
  row.code_hash = okno_login_code_hash(secret, email, purpose, code);
  row.created_at = now;
  row.expires_at = now + OKNO_CODE_TTL_US;
  subject = g_strdup(change ? "Код для смены адреса в личном кабинете"
                            : "Код для входа в личный кабинет");
  text = g_strdup_printf(
      "%s: %s\n\n"
      "Код действует 10 минут. Никому его не сообщайте: сотрудники службы поддержки "
      "никогда не спрашивают код.\n\n"
      "Если вы не запрашивали код, просто не отвечайте на это письмо: без кода "
      "в ваш личный кабинет никто не войдёт.",
      change ? "Код для подтверждения нового адреса личного кабинета"
             : "Код для входа в личный кабинет «Мои обращения»",
      code);
  if (!okno_store_begin(req->store, &err) ||
      !okno_store_code_insert(req->store, &row, &err) ||
      !queue_notice(req, "code", email, subject, text, &err) ||
      !okno_store_commit(req->store, &err)) {
    okno_store_rollback(req->store);
    g_free(row.code_hash);
    okno_cabinet_fail(req, "code-send", err);
    return FALSE;
  }
  g_free(row.code_hash);
  okno_log("cabinet", "event=code-sent purpose=%s to=%s", purpose, okno_pii(email, tag));
  return TRUE;
}

typedef enum { CODE_OK, CODE_WRONG, CODE_EXPIRED, CODE_EXHAUSTED, CODE_NONE, CODE_FAILED } CodeCheck;

/* Checks `code` against the newest code of (email, purpose, owner) and uses it up when
 * right. *left: wrong guesses left after a wrong one. CODE_FAILED: answered 500. */
static CodeCheck check_code(OknoReq *req, const char *email, const char *purpose,
                            const char *owner, const char *code, gint64 *left)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoLoginCode) c = okno_store_code_current(req->store, email, purpose, owner, &err);
  gboolean won = FALSE;
  gint64 now = okno_now();
  char tag[OKNO_PII_BUF];
  if (err) {
    okno_cabinet_fail(req, "code-lookup", err);
    return CODE_FAILED;
  }
  if (!c)
    return CODE_NONE;
  if (c->attempts >= OKNO_CODE_MAX_ATTEMPTS)
    return CODE_EXHAUSTED;
  if (now >= c->expires_at)
    return CODE_EXPIRED;
  if (!okno_login_code_matches(okno_web_secret(req->web), email, purpose, code, c->code_hash)) {
    if (!okno_store_code_attempt(req->store, c->id, &err)) {
      okno_cabinet_fail(req, "code-attempt", err);
      return CODE_FAILED;
    }
    *left = OKNO_CODE_MAX_ATTEMPTS - c->attempts - 1;
    okno_log("cabinet", "event=code-wrong purpose=%s to=%s left=%" G_GINT64_FORMAT, purpose,
             okno_pii(email, tag), *left);
    return *left > 0 ? CODE_WRONG : CODE_EXHAUSTED;
  }
  if (!okno_store_code_use(req->store, c->id, now, &won, &err)) {
    okno_cabinet_fail(req, "code-use", err);
    return CODE_FAILED;
  }
  return won ? CODE_OK : CODE_NONE;
}

/* The Russian sentence for a failed check (static or in *buf). */
static const char *code_message(CodeCheck r, gint64 left, char *buf, gsize len)
{
  switch (r) {
  case CODE_WRONG:
    g_snprintf(buf, len, "Код неверный. Осталось попыток: %" G_GINT64_FORMAT ".", left);
    return buf;
  case CODE_EXPIRED:
    return "Срок действия кода истёк. Запросите, пожалуйста, новый код.";
  case CODE_EXHAUSTED:
    return "Слишком много неверных попыток. Запросите, пожалуйста, новый код.";
  default:
    return "Код не найден или уже использован. Запросите, пожалуйста, новый код.";
  }
}

/* ---- sign-in ---- */

static void login_get(OknoReq *req)
{
  if (req->session && strcmp(req->session->kind, "citizen") == 0 && !req->api) {
    okno_req_redirect(req, "/cabinet");
    return;
  }
  {
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "oidc", okno_oidc_enabled(req->cfg));
    okno_req_page(req, 200, "cabinet_login", "Вход в личный кабинет", o);
  }
}

static void login_post(OknoReq *req)
{
  const char *typed = okno_req_field(req, "email");
  g_autofree char *email = okno_cabinet_email(typed);
  JsonObject *o = json_object_new();
  if (!email) {
    json_object_set_string_member(o, "email", typed);
    okno_cabinet_field_error(req, "cabinet_login", "Вход в личный кабинет", o, "email",
                             "Укажите адрес электронной почты, например ivanov@mail.ru.");
    return;
  }
  if (!send_code(req, email, "login", "")) {
    json_object_unref(o);
    return;
  }
  json_object_set_string_member(o, "email", email);
  json_object_set_boolean_member(o, "sent", TRUE);
  okno_cabinet_answer(req, req->api ? 202 : 200, "cabinet_code", "Код для входа", o);
}

static void code_post(OknoReq *req)
{
  const char *typed = okno_req_field(req, "email");
  g_autofree char *email = okno_cabinet_email(typed);
  g_autoptr(GError) err = NULL;
  gint64 left = 0;
  char buf[128], tag[OKNO_PII_BUF];
  JsonObject *o = json_object_new();
  CodeCheck r;

  json_object_set_string_member(o, "email", email ? email : typed);
  if (!email) {
    okno_cabinet_field_error(req, "cabinet_login", "Вход в личный кабинет", o, "email",
                             "Укажите адрес электронной почты, например ivanov@mail.ru.");
    return;
  }
  r = check_code(req, email, "login", "", okno_req_field(req, "code"), &left);
  if (r == CODE_FAILED) {
    json_object_unref(o);
    return;
  }
  if (r != CODE_OK) {
    okno_cabinet_field_error(req, "cabinet_code", "Код для входа", o, "code",
                             code_message(r, left, buf, sizeof buf));
    return;
  }
  if (!okno_req_sign_in(req, "citizen", email, &err)) {
    json_object_unref(o);
    okno_cabinet_fail(req, "sign-in", err);
    return;
  }
  okno_log("cabinet", "event=signed-in who=%s", okno_pii(email, tag));
  if (!req->api) {
    json_object_unref(o);
    okno_req_redirect(req, "/cabinet");
    return;
  }
  json_object_set_boolean_member(o, "signed_in", TRUE);
  json_object_set_string_member(o, "csrf", req->session->csrf);
  okno_cabinet_answer(req, 200, NULL, NULL, o);
}

static void logout_post(OknoReq *req)
{
  okno_req_sign_out(req);
  if (req->api) {
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "signed_out", TRUE);
    okno_cabinet_answer(req, 200, NULL, NULL, o);
  } else {
    okno_req_redirect(req, "/cabinet/login");
  }
}

/* ---- changing the address ---- */

static JsonObject *email_context(OknoReq *req)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "current_email", req->session->subject);
  return o;
}

static void email_get(OknoReq *req)
{
  okno_cabinet_answer(req, 200, "cabinet_email", "Адрес личного кабинета", email_context(req));
}

static void email_post(OknoReq *req)
{
  const char *typed = okno_req_field(req, "new_email");
  g_autofree char *email = okno_cabinet_email(typed);
  JsonObject *o = email_context(req);
  json_object_set_string_member(o, "new_email", email ? email : typed);
  if (!email || strcmp(email, req->session->subject) == 0) {
    okno_cabinet_field_error(req, "cabinet_email", "Адрес личного кабинета", o, "new_email",
                             email ? "Это уже адрес вашего личного кабинета."
                                   : "Укажите новый адрес электронной почты, например ivanov@mail.ru.");
    return;
  }
  if (!send_code(req, email, "change", req->session->subject)) {
    json_object_unref(o);
    return;
  }
  json_object_set_boolean_member(o, "sent", TRUE);
  okno_cabinet_answer(req, req->api ? 202 : 200, "cabinet_email", "Адрес личного кабинета", o);
}

static void email_code_post(OknoReq *req)
{
  const char *typed = okno_req_field(req, "new_email");
  g_autofree char *email = okno_cabinet_email(typed);
  g_autofree char *old = g_strdup(req->session->subject);
  g_autofree char *text = NULL;
  g_autoptr(GError) err = NULL;
  gint64 left = 0, now = okno_now();
  char buf[128], t1[OKNO_PII_BUF], t2[OKNO_PII_BUF];
  JsonObject *o = email_context(req);
  CodeCheck r;

  json_object_set_string_member(o, "new_email", email ? email : typed);
  json_object_set_boolean_member(o, "sent", TRUE);
  if (!email) {
    okno_cabinet_field_error(req, "cabinet_email", "Адрес личного кабинета", o, "new_email",
                             "Укажите новый адрес электронной почты, например ivanov@mail.ru.");
    return;
  }
  r = check_code(req, email, "change", old, okno_req_field(req, "code"), &left);
  if (r == CODE_FAILED) {
    json_object_unref(o);
    return;
  }
  if (r != CODE_OK) {
    okno_cabinet_field_error(req, "cabinet_email", "Адрес личного кабинета", o, "code",
                             code_message(r, left, buf, sizeof buf));
    return;
  }
  text = g_strdup_printf(
      "Адрес вашего личного кабинета «Мои обращения» изменён: теперь это %s. "
      "Обращения, отправленные с этого адреса, видны в кабинете с новым адресом, "
      "и все входы с этого адреса завершены.\n\n"
      "Если адрес меняли не вы, сообщите нам об этом, пожалуйста.",
      email);
  if (!okno_store_begin(req->store, &err) ||
      !okno_store_contact_move(req->store, old, email, now, &err) ||
      !okno_store_session_revoke_subject(req->store, "citizen", old, now, &err) ||
      !queue_notice(req, "notice", old, "Адрес личного кабинета изменён", text, &err) ||
      !okno_store_commit(req->store, &err)) {
    okno_store_rollback(req->store);
    json_object_unref(o);
    okno_cabinet_fail(req, "email-change", err);
    return;
  }
  if (!okno_req_sign_in(req, "citizen", email, &err)) {
    json_object_unref(o);
    okno_cabinet_fail(req, "sign-in", err);
    return;
  }
  okno_log("cabinet", "event=address-changed from=%s to=%s", okno_pii(old, t1), okno_pii(email, t2));
  if (!req->api) {
    json_object_unref(o);
    okno_req_redirect(req, "/cabinet?moved=1");
    return;
  }
  json_object_unref(o);
  o = json_object_new();
  json_object_set_string_member(o, "email", email);
  json_object_set_string_member(o, "csrf", req->session->csrf);
  okno_cabinet_answer(req, 200, NULL, NULL, o);
}

#define SC OKNO_ROUTE_STATE_CHANGING
#define CIT OKNO_ROUTE_CITIZEN

static const OknoRoute routes[] = {
  {"GET", "/cabinet/login", 0, login_get},
  {"POST", "/cabinet/login", SC, login_post},
  {"POST", "/cabinet/login/code", SC, code_post},
  {"POST", "/cabinet/logout", SC | CIT, logout_post},
  {"GET", "/cabinet/email", CIT, email_get},
  {"POST", "/cabinet/email", SC | CIT, email_post},
  {"POST", "/cabinet/email/code", SC | CIT, email_code_post},
  {"POST", "/api/v1/cabinet/login", SC, login_post},
  {"POST", "/api/v1/cabinet/login/code", SC, code_post},
  {"POST", "/api/v1/cabinet/logout", SC | CIT, logout_post},
  {"GET", "/api/v1/cabinet/email", CIT, email_get},
  {"POST", "/api/v1/cabinet/email", SC | CIT, email_post},
  {"POST", "/api/v1/cabinet/email/code", SC | CIT, email_code_post},
};

void okno_cabinet_auth_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
