/* console_chat.c: the operators' side of the web chat (issue 22, docs/chat.md): the
 * page /console/chat (the live queue; its script is static/console_chat.js) and, on the
 * chat's thread (chat.h), the operators' commands: hello (the open chats), history,
 * take, say, close, and appeal, which registers the chat as an appeal through the
 * intake like any other channel (channel "chat", the transcript its first message,
 * the same numbering, deadline and receipt) and shows the number in both windows.
 * An operator sees and works only the chats of their departments and triage's
 * (okno_chat_sees), like the console's queues. */
#include "web/chat.h"

#include <gmime/gmime.h>
#include <string.h>

#include "core/log.h"
#include "mail/mime.h"
#include "sec/session.h"
#include "web/console.h"

static void chat_console_page(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  JsonObject *o;
  if (!u)
    return;
  o = okno_console_ctx(u);
  json_object_set_string_member(o, "csrf", okno_req_csrf(req));
  okno_req_page(req, 200, "console_chat", "Чаты", o);
}

static const OknoRoute routes[] = {
  {"GET", "/console/chat", OKNO_ROUTE_STAFF, chat_console_page},
};

void okno_console_chat_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}

static const char *author_label(const OknoChatMessage *m)
{
  if (strcmp(m->author, "citizen") == 0)
    return "Гражданин";
  if (strcmp(m->author, "bot") == 0)
    return "Бот";
  if (strcmp(m->author, "operator") == 0)
    return "Оператор";
  return "Система";
}

/* The chat's transcript as an e-mail to the support address, as the web form builds
 * its letter (web/feedback.c): the intake registers it like any message. */
static GBytes *transcript(OknoChatCtx *ctx, const OknoChatRow *chat, GError **error)
{
  g_autoptr(GPtrArray) msgs = okno_store_chat_messages(ctx->store, chat->id, 0, 100000, error);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autoptr(GTimeZone) msk = g_time_zone_new_identifier("Europe/Moscow");
  g_autofree char *subject = g_strdup_printf("Чат № %" G_GINT64_FORMAT, chat->id);
  g_autofree char *rnd = okno_random_hex(12);
  g_autofree char *msgid = g_strdup_printf("chat-%s@%s", rnd, ctx->cfg->hostname);
  g_autofree char *noreply = g_strdup_printf("noreply-chat@%s", ctx->cfg->hostname);
  GString *text;
  GMimeMessage *m;
  GMimeTextPart *part;
  char *out;
  GBytes *raw;
  if (!msgs)
    return NULL;
  text = g_string_new(NULL);
  g_string_append_printf(text, "Переписка в онлайн-чате № %" G_GINT64_FORMAT ".\n\n", chat->id);
  for (guint i = 0; i < msgs->len; i++) {
    const OknoChatMessage *cm = msgs->pdata[i];
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(cm->created_at / G_USEC_PER_SEC);
    g_autoptr(GDateTime) at = g_date_time_to_timezone(utc, msk);
    g_autofree char *when = g_date_time_format(at, "%d.%m.%Y %H:%M");
    g_string_append_printf(text, "[%s] %s%s%s: %s\n", when, author_label(cm),
                           *cm->operator ? " " : "", cm->operator, cm->text);
  }
  okno_mime_init();
  m = g_mime_message_new(TRUE);
  /* an anonymous chat has no address to answer: noreply gets no receipt (RFC 3834) */
  g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, NULL,
                             *chat->citizen ? chat->citizen : noreply);
  g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, ctx->cfg->smtp_addresses[0]);
  g_mime_message_set_subject(m, subject, "utf-8");
  g_mime_message_set_date(m, now);
  g_mime_message_set_message_id(m, msgid);
  part = g_mime_text_part_new_with_subtype("plain");
  g_mime_text_part_set_text(part, text->str);
  g_mime_text_part_set_charset(part, "utf-8");
  g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_BASE64);
  g_string_free(text, TRUE);
  g_mime_message_set_mime_part(m, GMIME_OBJECT(part));
  g_object_unref(part);
  out = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
  g_object_unref(m);
  raw = g_bytes_new_take(out, strlen(out));
  return raw;
}

static void make_appeal(OknoChatCtx *ctx, const OknoChatRow *chat, GError **err)
{
  g_autoptr(GBytes) raw = NULL;
  g_autofree char *note = NULL;
  OknoIntakeResult res = {0};
  OknoEnvelope env = {0};
  if (*chat->number) {
    g_autofree char *t = g_strdup_printf("Обращение по этому чату уже создано: № %s.", chat->number);
    okno_chat_out_error(ctx->out, t);
    return;
  }
  if (!(raw = transcript(ctx, chat, err)))
    return;
  env.channel = OKNO_CHANNEL_CHAT;
  env.category = "";
  if (!okno_intake_submit_sync(ctx->intake, raw, &env, &res, err))
    return;
  if (res.number && okno_store_chat_set_number(ctx->store, chat->id, res.number, err)) {
    note = g_strdup_printf(
        "Создано обращение № %s. Ответ будет дан в срок, установленный для обращений. %s",
        res.number,
        *chat->citizen ? "Обращение появится в разделе «Мои обращения», ответ придёт на вашу почту."
                       : "Сохраните этот номер: назовите его, если обратитесь снова.");
    okno_log("chat", "event=appeal chat=%" G_GINT64_FORMAT " number=%s", chat->id, res.number);
    if (okno_chat_post(ctx, chat->id, "system", NULL, note, err))
      okno_chat_post_state(ctx, chat->id);
  }
  okno_intake_result_clear(&res);
}

void okno_console_chat_cmd(OknoChatCtx *ctx, const OknoChatCmd *cmd)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoChatRow) chat = NULL;
  gboolean changed = FALSE;
  if (cmd->type == OKNO_CHAT_HELLO) {
    g_autoptr(GPtrArray) open = okno_store_chat_open(ctx->store, 500, &err);
    for (guint i = 0; open && i < open->len; i++)
      if (okno_chat_sees(ctx, open->pdata[i]))
        okno_chat_out_self(ctx->out, okno_chat_state_json(open->pdata[i]));
    if (open)
      return;
    goto fail;
  }
  if (!(chat = okno_store_chat_get(ctx->store, cmd->chat, &err)) || !okno_chat_sees(ctx, chat)) {
    /* another department's chat is as good as absent for this operator */
    if (!err)
      okno_chat_out_error(ctx->out, "Чат не найден.");
    goto fail;
  }
  if (cmd->type == OKNO_CHAT_HISTORY) {
    g_autoptr(GPtrArray) msgs = okno_store_chat_messages(ctx->store, chat->id, cmd->since, 1000, &err);
    okno_chat_out_self(ctx->out, okno_chat_state_json(chat));
    for (guint i = 0; msgs && i < msgs->len; i++)
      okno_chat_out_self(ctx->out, okno_chat_msg_json(msgs->pdata[i]));
    goto fail;
  }
  if (cmd->type == OKNO_CHAT_APPEAL) {
    make_appeal(ctx, chat, &err);
    goto fail;
  }
  if (strcmp(chat->status, "closed") == 0) {
    okno_chat_out_error(ctx->out, "Этот чат уже завершён.");
    return;
  }
  if (strcmp(chat->status, "active") == 0 && strcmp(chat->operator, ctx->login) != 0 &&
      cmd->type != OKNO_CHAT_APPEAL) {
    g_autofree char *t = g_strdup_printf("Этот чат ведёт оператор %s.", chat->operator);
    okno_chat_out_error(ctx->out, t);
    return;
  }
  switch (cmd->type) {
  case OKNO_CHAT_TAKE:
    if (strcmp(chat->status, "active") == 0)
      return;
    if (okno_store_chat_set_status(ctx->store, chat->id, "active", ctx->login, NULL, &changed, &err) &&
        changed && okno_chat_post(ctx, chat->id, "system", NULL, "Оператор подключился к чату.", &err))
      okno_chat_post_state(ctx, chat->id);
    break;
  case OKNO_CHAT_SAY:
    if (strcmp(chat->status, "active") != 0) {
      okno_chat_out_error(ctx->out, "Сначала возьмите чат в работу.");
      return;
    }
    okno_chat_post(ctx, chat->id, "operator", ctx->login, cmd->text, &err);
    break;
  case OKNO_CHAT_CLOSE:
    if (okno_chat_post(ctx, chat->id, "system", NULL, "Чат завершён. Спасибо за обращение!", &err) &&
        okno_store_chat_set_status(ctx->store, chat->id, "closed", chat->operator, NULL, &changed, &err))
      okno_chat_post_state(ctx, chat->id);
    break;
  default:
    break;
  }
fail:
  if (err) {
    okno_log_warn("chat", "event=operator-command-failed error=\"%s\"", err->message);
    okno_chat_out_error(ctx->out, "Не удалось выполнить действие. Попробуйте ещё раз через минуту.");
  }
}
