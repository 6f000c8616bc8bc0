/* telegram_routes.c: the Telegram bot's webhook (issue 22, docs/channels.md).
 *
 * POST [telegram] webhook_path (default /telegram/webhook), registered only when
 * [telegram] token is set. Telegram sends the secret given to setWebhook in the
 * X-Telegram-Bot-Api-Secret-Token header: it is compared in constant time with
 * [telegram] webhook_secret, and anything else is 403 with nothing read or stored.
 * The Update (intake/tg_update.h) then decides:
 *  - "/start", "/help": the bot's greeting goes back to the chat;
 *  - "/link" (a private chat only): a one-time code that a citizen signed in to the
 *    cabinet types under «Мои чаты» to see this chat's appeals there
 *    (store/tg_link.h, web/cabinet_chat.c);
 *  - "/status NUMBER": the status of that appeal if it belongs to this chat, else a
 *    polite "not found" (the number alone proves nothing);
 *  - any other message with a text, a caption or files: a letter from the chat's
 *    contact address (appeal/tg_contact.h) through the intake pipeline, channel
 *    telegram, Message-ID from the update_id (a webhook Telegram sends again is a
 *    duplicate), and with the number of the chat's open appeal in its subject when
 *    there is one, so it joins that appeal; else a new appeal with its receipt.
 *    One file per message (a document, else the largest photo) is fetched from the
 *    Bot API (getFile, at most 10 MB) and attached; the intake's attachment policy
 *    applies to it as to mail. Other files, or one that cannot be fetched, are
 *    noted in the text.
 * Answers to the chat go through the outbound queue (store/outbound_msg.h), never in
 * the webhook's reply. 200 once stored (Telegram then forgets the update); 503 when
 * the store failed (Telegram sends it again). Chat ids appear in logs only as
 * okno_pii() tags. */
#include <gmime/gmime.h>
#include <sodium.h>
#include <string.h>

#include "appeal/number.h"
#include "appeal/tg_contact.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "intake/tg_update.h"
#include "mail/mime.h"
#include "mail/mime_stream.h"
#include "store/appeals.h"
#include "store/outbound_msg.h"
#include "store/tg_link.h"
#include "web/routes.h"

#define OKNO_TG_LINK_CODE_LEN 10 /* 50 bits: 32 letters and digits, without 0/O, 1/I */
#define OKNO_TG_LINK_MINUTES 15
#define OKNO_TG_MAX_FILE (10 * 1024 * 1024) /* the intake's own limit for a file */

#define GREETING                                                                           \
  "Здравствуйте! Это бот службы поддержки портала. Напишите, пожалуйста, ваш вопрос "     \
  "одним или несколькими сообщениями: мы зарегистрируем обращение и пришлём его номер. "  \
  "Узнать статус обращения: /status НОМЕР. Отвечают вам сотрудники поддержки, а этот "    \
  "бот только передаёт сообщения."

/* Constant time over the configured secret's length. */
static gboolean secret_ok(const char *given, const char *want)
{
  gsize n = strlen(want);
  if (!given || !*want || strlen(given) != n)
    return FALSE;
  return sodium_memcmp(given, want, n) == 0;
}

static void answer_ok(OknoReq *req)
{
  JsonObject *o = json_object_new();
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_object_set_boolean_member(o, "ok", TRUE);
  json_node_take_object(n, o);
  okno_req_json(req, 200, n);
}

/* Queues `text` to the chat of `u`, in its own transaction. */
static void reply_text(OknoReq *req, const OknoTgUpdate *u, const char *contact,
                       const char *text)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *chat = g_strdup_printf("%" G_GINT64_FORMAT, u->chat_id);
  if (!okno_store_begin(req->store, &err) ||
      !okno_store_msg_enqueue_text(req->store, "telegram", chat, contact, text, &err) ||
      !okno_store_commit(req->store, &err)) {
    okno_store_rollback(req->store);
    okno_log_warn("telegram", "event=reply_failed error=\"%s\"", err->message);
    okno_req_error(req, 503, NULL);
    return;
  }
  answer_ok(req);
}

/* "/link": a one-time code for the cabinet (store/tg_link.h), kept and sent back in
 * one transaction. Only a private chat: a group's appeals are not one person's. */
static void link_code(OknoReq *req, const OknoTgUpdate *u, const char *contact)
{
  static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; /* 32: 5 bits each */
  g_autoptr(GError) err = NULL;
  g_autofree char *chat = g_strdup_printf("%" G_GINT64_FORMAT, u->chat_id);
  g_autofree char *text = NULL;
  char code[OKNO_TG_LINK_CODE_LEN + 2];
  gint64 now = okno_now();
  guint k = 0;
  if (g_strcmp0(u->chat_type, "private") != 0) {
    reply_text(req, u, contact, "Привязать к личному кабинету можно только личный чат с ботом.");
    return;
  }
  for (guint i = 0; i < OKNO_TG_LINK_CODE_LEN; i++) {
    if (i == OKNO_TG_LINK_CODE_LEN / 2)
      code[k++] = '-';
    code[k++] = alphabet[randombytes_uniform(32)]; /* libsodium's CSPRNG */
  }
  code[k] = '\0';
  text = g_strdup_printf(
      "Код для привязки этого чата к личному кабинету: %s\n\nВойдите в личный кабинет на "
      "сайте, откройте «Мои чаты» и введите код в течение %d минут. После этого обращения из "
      "этого чата появятся в списке «Мои обращения». Никому не сообщайте этот код.",
      code, OKNO_TG_LINK_MINUTES);
  if (!okno_store_begin(req->store, &err) ||
      !okno_store_tg_link_add(req->store, code, contact,
                              now + (gint64)OKNO_TG_LINK_MINUTES * 60 * G_USEC_PER_SEC, now, &err) ||
      !okno_store_msg_enqueue_text(req->store, "telegram", chat, contact, text, &err) ||
      !okno_store_commit(req->store, &err)) {
    okno_store_rollback(req->store);
    okno_log_warn("telegram", "event=link_failed error=\"%s\"", err->message);
    okno_req_error(req, 503, NULL);
    return;
  }
  okno_log("telegram", "event=link_code");
  answer_ok(req);
}

/* The answer to "/status ARG" for the chat whose contact is `contact`. */
static char *status_text(OknoReq *req, const char *arg, const char *contact, GError **error)
{
  g_autofree char *norm = NULL;
  gboolean check_ok = FALSE;
  g_autoptr(OknoAppeal) a = NULL;
  if (!*arg)
    return g_strdup("Укажите, пожалуйста, номер обращения: /status 26-000123-3.");
  if (!okno_number_parse(arg, &norm, &check_ok) || !check_ok)
    return g_strdup("Номер обращения указан неверно. Пример: /status 26-000123-3.");
  a = okno_store_appeal_get(req->store, norm, error);
  if (!a && error && *error)
    return NULL;
  if (!a || g_ascii_strcasecmp(a->from_email, contact) != 0)
    return g_strdup_printf("Обращение № %s не найдено среди обращений из этого чата.", norm);
  return g_strdup_printf("Обращение № %s: %s.", norm, okno_statuses[a->status].notice);
}

/* GET or POST `url` (the token inside: never logged); the body of a 200 answer of at
 * most `max` bytes, else NULL. */
static GBytes *bot_get(SoupSession *ss, const char *url, gsize max)
{
  g_autoptr(SoupMessage) msg = soup_message_new("GET", url);
  g_autoptr(GError) e = NULL;
  GBytes *body = msg ? soup_session_send_and_read(ss, msg, NULL, &e) : NULL;
  if (body && (soup_message_get_status(msg) != 200 || g_bytes_get_size(body) > max))
    g_clear_pointer(&body, g_bytes_unref);
  return body;
}

/* The file of `u` from the Bot API (getFile, then the file itself), at most
 * OKNO_TG_MAX_FILE bytes; NULL when there is none or it cannot be had. */
static GBytes *fetch_file(const OknoConfig *cfg, const OknoTgUpdate *u)
{
  const char *base = cfg->telegram_api_url;
  const char *slash = g_str_has_suffix(base, "/") ? "" : "/";
  g_autoptr(SoupSession) ss = NULL;
  g_autoptr(GBytes) info = NULL;
  g_autoptr(JsonParser) p = json_parser_new();
  g_autofree char *url = NULL, *file_url = NULL;
  JsonNode *root, *n;
  JsonObject *res;
  const char *path;
  if (!u->file_id)
    return NULL;
  ss = soup_session_new_with_options("timeout", 30, "user-agent", "okno", NULL);
  url = g_strdup_printf("%s%sbot%s/getFile?file_id=%s", base, slash, cfg->telegram_token,
                        u->file_id);
  info = bot_get(ss, url, 64 * 1024);
  if (!info || !json_parser_load_from_data(p, g_bytes_get_data(info, NULL),
                                           (gssize)g_bytes_get_size(info), NULL) ||
      !(root = json_parser_get_root(p)) || !JSON_NODE_HOLDS_OBJECT(root) ||
      !(n = json_object_get_member(json_node_get_object(root), "result")) ||
      !JSON_NODE_HOLDS_OBJECT(n))
    return NULL;
  res = json_node_get_object(n);
  n = json_object_get_member(res, "file_path");
  path = n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? json_node_get_string(n)
             : NULL;
  if (!path || !*path || strstr(path, "..") || strchr(path, '?') || strchr(path, '#'))
    return NULL;
  file_url = g_strdup_printf("%s%sfile/bot%s/%s", base, slash, cfg->telegram_token, path);
  return bot_get(ss, file_url, OKNO_TG_MAX_FILE);
}

/* The letter the message of `u` becomes (see the top), `number` the chat's open
 * appeal or NULL, `file` the fetched file or NULL. */
static GBytes *build_letter(const OknoConfig *cfg, const OknoTgUpdate *u, const char *contact,
                            const char *number, GBytes *file)
{
  g_autoptr(GString) body = g_string_new(u->text);
  g_autofree char *subject = NULL, *msgid = NULL;
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc(u->date ? u->date
                                                                    : okno_now() / G_USEC_PER_SEC);
  char tag[OKNO_PII_BUF];
  GMimeMessage *m;
  GMimeTextPart *text;
  GBytes *raw;
  if (u->files > (file ? 1u : 0u))
    g_string_append_printf(body, "%s[В сообщении Telegram были файлы, которые бот не смог "
                           "сохранить (%u). Если они нужны, пришлите их, пожалуйста, "
                           "по почте или через форму на портале.]", body->len ? "\n\n" : "",
                           u->files - (file ? 1u : 0u));
  if (number)
    subject = g_strdup_printf("Re: Обращение № %s", number);
  else
    subject = g_strdup("Сообщение в Telegram");
  /* unique per update and chat; the chat id only as its tag */
  okno_pii(contact, tag);
  msgid = g_strdup_printf("tg.%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%s@%s", u->update_id,
                          u->message_id, tag, cfg->hostname);
  g_strdelimit(msgid, "[]<> ", '-');
  okno_mime_init();
  m = g_mime_message_new(TRUE);
  text = g_mime_text_part_new_with_subtype("plain");
  g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, *u->name ? u->name : NULL, contact);
  g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, cfg->smtp_addresses[0]);
  g_mime_message_set_subject(m, subject, "utf-8");
  g_mime_message_set_date(m, date);
  g_mime_message_set_message_id(m, msgid);
  g_mime_text_part_set_text(text, body->str);
  if (!file) {
    g_mime_message_set_mime_part(m, GMIME_OBJECT(text));
  } else {
    GMimeMultipart *mp = g_mime_multipart_new_with_subtype("mixed");
    GMimePart *part = g_mime_part_new_with_type("application", "octet-stream");
    GMimeStream *ms = g_mime_stream_mem_new_with_buffer(g_bytes_get_data(file, NULL),
                                                        g_bytes_get_size(file));
    GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(ms, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(part, w);
    g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
    g_mime_part_set_filename(part, u->file_name ? u->file_name : "file");
    g_mime_multipart_add(mp, GMIME_OBJECT(text));
    g_mime_multipart_add(mp, GMIME_OBJECT(part));
    g_mime_message_set_mime_part(m, GMIME_OBJECT(mp));
    g_object_unref(w);
    g_object_unref(ms);
    g_object_unref(part);
    g_object_unref(mp);
  }
  g_object_unref(text);
  raw = okno_mime_write_crlf(GMIME_OBJECT(m));
  g_object_unref(m);
  return raw;
}

static void registered(const OknoIntakeResult *res, const GError *err, gpointer data)
{
  OknoReq *req = data;
  if (err) {
    /* refused for good (a policy: spam, a virus): Telegram must not send it again */
    okno_log_warn("telegram", "event=register_failed error=\"%s\"", err->message);
    if (g_error_matches(err, OKNO_ERROR, OKNO_ERROR_PERM))
      answer_ok(req);
    else
      okno_req_error(req, 503, NULL);
  } else {
    okno_log("telegram", "event=%s appeal=%s",
             res->outcome == OKNO_INTAKE_CREATED    ? "registered"
             : res->outcome == OKNO_INTAKE_JOINED   ? "joined"
                                                    : "duplicate",
             res->number ? res->number : "");
    answer_ok(req);
  }
  okno_req_release(req);
}

static void webhook(OknoReq *req)
{
  const char *given = soup_message_headers_get_one(
      soup_server_message_get_request_headers(req->msg), "X-Telegram-Bot-Api-Secret-Token");
  g_auto(OknoTgUpdate) u = {0};
  g_autoptr(GError) err = NULL;
  g_autofree char *contact = NULL, *number = NULL;
  gsize len = 0;
  const char *data;
  char tag[OKNO_PII_BUF];
  if (!secret_ok(given, req->cfg->telegram_webhook_secret)) {
    okno_log_warn("telegram", "event=forbidden ip=%s reason=%s", req->client_ip,
                  given ? "wrong secret" : "no secret");
    okno_req_error(req, 403, NULL);
    return;
  }
  data = g_bytes_get_data(req->body, &len);
  if (!okno_tg_update_parse(data, len, &u, &err)) {
    okno_log_warn("telegram", "event=bad_update reason=\"%s\"", err->message);
    okno_req_error(req, 400, "Ожидается объект Update из Telegram Bot API.");
    return;
  }
  if (!u.has_message) {
    answer_ok(req);
    return;
  }
  contact = okno_tg_contact(u.chat_id);
  okno_log("telegram", "event=update update_id=%" G_GINT64_FORMAT " chat=%s", u.update_id,
           okno_pii(contact, tag));
  if (u.start) {
    reply_text(req, &u, contact, GREETING);
    return;
  }
  if (u.link) {
    link_code(req, &u, contact);
    return;
  }
  if (u.status_arg) {
    g_autofree char *text = status_text(req, u.status_arg, contact, &err);
    if (!text) {
      okno_log_warn("telegram", "event=status_failed error=\"%s\"", err->message);
      okno_req_error(req, 503, NULL);
      return;
    }
    reply_text(req, &u, contact, text);
    return;
  }
  if (!*u.text && !u.files) {
    answer_ok(req); /* a sticker-less service message: nothing to register */
    return;
  }
  number = okno_store_open_appeal_of(req->store, contact, &err);
  if (err) {
    okno_log_warn("telegram", "event=lookup_failed error=\"%s\"", err->message);
    okno_req_error(req, 503, NULL);
    return;
  }
  {
    g_autoptr(GBytes) file = fetch_file(req->cfg, &u);
    g_autoptr(GBytes) raw = build_letter(req->cfg, &u, contact, number, file);
    const char *rcpt[] = {req->cfg->smtp_addresses[0], NULL};
    OknoEnvelope env = {
      .channel = OKNO_CHANNEL_TELEGRAM,
      .mail_from = contact,
      .rcpt_to = rcpt,
      .client_addr = req->client_ip,
      .session_id = "telegram",
    };
    okno_req_hold(req);
    okno_intake_submit_async(req->intake, raw, &env, registered, req);
  }
}

static OknoRoute routes[] = {
  {"POST", "/telegram/webhook", OKNO_ROUTE_JSON_BODY, webhook},
};

void okno_telegram_routes(OknoWeb *web, const OknoConfig *cfg)
{
  if (!*cfg->telegram_token)
    return;
  routes[0].path = cfg->telegram_webhook_path;
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
