/* cabinet_chat.c: «Мои чаты» in the citizen cabinet (issue 22, docs/chat.md): the web
 * chats this citizen started while signed in, newest first, with their status and the
 * appeal number made from each (linked to the appeal's card); GET /cabinet/chats, and
 * /api/v1/cabinet/chats as JSON. And the form that links a Telegram chat to the
 * cabinet: POST /cabinet/telegram {code} with the one-time code the bot gave the chat
 * on /link (web/telegram_routes.c, store/tg_link.h); the cabinet then owns the chat's
 * contact address like a moved address (store/cabinet.h), so its appeals are listed. */
#include "web/cabinet.h"

#include "appeal/tg_contact.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/cabinet.h"
#include "store/chat.h"
#include "store/tg_link.h"
#include "web/console.h"
#include "web/routes.h"

static const char *status_label(const char *s)
{
  if (g_strcmp0(s, "bot") == 0)
    return "с ботом";
  if (g_strcmp0(s, "waiting") == 0)
    return "ждёт оператора";
  if (g_strcmp0(s, "active") == 0)
    return "отвечает оператор";
  return "завершён";
}

/* Attempts at a Telegram code per cabinet and hour (the code has 50 bits and lives
 * 15 minutes: this is against noise, not the only guard). */
#define LINK_TRIES_PER_HOUR 10.0

static JsonObject *chats_context(OknoReq *req, GError **err)
{
  g_autoptr(GPtrArray) chats =
      okno_store_chat_of_citizen(req->store, req->session->subject, 200, err);
  g_auto(GStrv) owned = chats ? okno_store_contact_owned(req->store, req->session->subject, err) : NULL;
  JsonObject *o;
  JsonArray *a;
  guint tg = 0;
  if (!owned)
    return NULL;
  o = json_object_new();
  a = json_array_new();
  for (guint i = 0; i < chats->len; i++) {
    const OknoChatRow *c = chats->pdata[i];
    JsonObject *r = json_object_new();
    g_autofree char *at = okno_console_time(c->created_at);
    json_object_set_int_member(r, "id", c->id);
    json_object_set_string_member(r, "status", c->status);
    json_object_set_string_member(r, "status_text", status_label(c->status));
    json_object_set_string_member(r, "number", c->number);
    json_object_set_string_member(r, "started", at);
    json_array_add_object_element(a, r);
  }
  for (guint i = 0; owned[i]; i++) {
    gint64 id = 0;
    tg += okno_tg_contact_chat(owned[i], &id);
  }
  json_object_set_array_member(o, "chats", a);
  json_object_set_boolean_member(o, "any", chats->len > 0);
  json_object_set_int_member(o, "telegram_chats", tg);
  json_object_set_boolean_member(o, "telegram_any", tg > 0);
  json_object_set_string_member(o, "csrf", okno_req_csrf(req));
  return o;
}

static void telegram_post(OknoReq *req)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *key = g_strconcat("tglink:", req->session->subject, NULL);
  g_autofree char *code = okno_tg_link_normal(okno_req_field(req, "code"));
  g_autofree char *contact = NULL;
  gint64 now = okno_now(), retry = 0, chat = 0;
  JsonObject *o = chats_context(req, &err);
  if (!o) {
    okno_cabinet_fail(req, "chats", err);
    return;
  }
  if (!okno_ratelimit_take(okno_web_ratelimit(req->web), key, LINK_TRIES_PER_HOUR,
                           LINK_TRIES_PER_HOUR, now, &retry)) {
    g_autofree char *t = g_strdup_printf("Слишком много попыток. Попробуйте снова через %" G_GINT64_FORMAT
                                         " мин.", (retry + 59) / 60);
    okno_cabinet_field_error(req, "cabinet_chats", "Мои чаты", o, "code", t);
    return;
  }
  if (!*code) {
    okno_cabinet_field_error(req, "cabinet_chats", "Мои чаты", o, "code",
                             "Введите код, который прислал бот в Telegram на команду /link.");
    return;
  }
  contact = okno_store_tg_link_take(req->store, code, now, &err);
  if (!contact && err) {
    json_object_unref(o);
    okno_cabinet_fail(req, "telegram-link", err);
    return;
  }
  if (!contact || !okno_tg_contact_chat(contact, &chat)) {
    okno_cabinet_field_error(req, "cabinet_chats", "Мои чаты", o, "code",
                             "Код не подошёл или устарел. Отправьте боту /link ещё раз и введите новый код.");
    return;
  }
  if (!okno_store_contact_move(req->store, contact, req->session->subject, now, &err)) {
    json_object_unref(o);
    okno_cabinet_fail(req, "telegram-link", err);
    return;
  }
  okno_log("cabinet", "event=telegram-linked");
  json_object_unref(o);
  if (!(o = chats_context(req, &err))) {
    okno_cabinet_fail(req, "chats", err);
    return;
  }
  json_object_set_boolean_member(o, "linked", TRUE);
  okno_cabinet_answer(req, 200, "cabinet_chats", "Мои чаты", o);
}

static void chats_get(OknoReq *req)
{
  g_autoptr(GError) err = NULL;
  JsonObject *o = chats_context(req, &err);
  if (!o) {
    okno_cabinet_fail(req, "chats", err);
    return;
  }
  okno_cabinet_answer(req, 200, "cabinet_chats", "Мои чаты", o);
}

static const OknoRoute routes[] = {
  {"GET", "/cabinet/chats", OKNO_ROUTE_CITIZEN, chats_get},
  {"GET", "/api/v1/cabinet/chats", OKNO_ROUTE_CITIZEN, chats_get},
  {"POST", "/cabinet/telegram", OKNO_ROUTE_CITIZEN | OKNO_ROUTE_STATE_CHANGING, telegram_post},
  {"POST", "/api/v1/cabinet/telegram", OKNO_ROUTE_CITIZEN | OKNO_ROUTE_STATE_CHANGING, telegram_post},
};

void okno_cabinet_chat_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
