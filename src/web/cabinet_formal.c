/* cabinet_formal.c: «Подать обращение по 59-ФЗ», the formal appeal form of the cabinet,
 * offered only to a citizen whose identity the portal's identity provider confirmed
 * (oidc.h; store/oidc.h). GET /cabinet/formal shows the form (403 with an explanation
 * to a cabinet signed in by e-mail code); POST /cabinet/formal {subject, text} (and the
 * same under /api/v1/cabinet/formal) builds an RFC 5322 message from the confirmed
 * name and e-mail, with the name and SNILS written into the text as the law asks, and
 * submits it through intake with channel "web" and OknoEnvelope.kind = "formal"; the
 * answer is the appeal's card (API: {number}). */
#include <gmime/gmime.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "store/oidc.h"
#include "web/cabinet.h"
#include "web/oidc.h"

#define FORMAL_MIN_CHARS 20
#define FORMAL_MAX_CHARS 20000
#define FORMAL_PER_HOUR 10.0
#define TITLE "Обращение по 59-ФЗ"

/* The identity of the session, or NULL after answering (403 or 500). */
static OknoOidcIdentity *confirmed(OknoReq *req)
{
  g_autoptr(GError) e = NULL;
  OknoOidcIdentity *id = okno_store_oidc_identity_get(req->store, req->session->id, &e);
  if (e) {
    okno_cabinet_fail(req, "identity-lookup", e);
    return NULL;
  }
  if (!id)
    okno_req_error(req, 403,
                   "Официальное обращение по 59-ФЗ можно подать после входа через портал "
                   "госуслуг: так подтверждается ваша личность. Выйдите и войдите, "
                   "пожалуйста, через портал.");
  return id;
}

static JsonObject *context(const OknoOidcIdentity *id)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "name", id->name);
  json_object_set_string_member(o, "email", id->email);
  json_object_set_string_member(o, "snils", id->snils);
  return o;
}

static void formal_get(OknoReq *req)
{
  g_autoptr(OknoOidcIdentity) id = confirmed(req);
  if (id)
    okno_cabinet_answer(req, 200, "cabinet_formal", TITLE, context(id));
}

static GBytes *formal_message(OknoReq *req, const OknoOidcIdentity *id, const char *subject,
                              const char *text)
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(okno_now() / G_USEC_PER_SEC);
  const char *host = req->cfg->hostname && *req->cfg->hostname ? req->cfg->hostname : "okno";
  g_autofree char *mid = g_strdup_printf("formal.%08x%08x@%s", g_random_int(), g_random_int(), host);
  g_autofree char *body_text = g_strdup_printf(
      "Обращение в соответствии с Федеральным законом от 02.05.2006 № 59-ФЗ.\n"
      "Заявитель: %s\nСНИЛС: %s\nАдрес для ответа: %s\n"
      "Личность подтверждена поставщиком входа портала.\n\n%s\n",
      *id->name ? id->name : "не сообщено", *id->snils ? id->snils : "не сообщён", id->email, text);
  GMimeMessage *m = g_mime_message_new(TRUE);
  GMimeTextPart *body = g_mime_text_part_new_with_subtype("plain");
  char *out;
  GBytes *bytes;
  g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, *id->name ? id->name : NULL, id->email);
  g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, req->cfg->smtp_addresses[0]);
  g_mime_message_set_subject(m, subject, "utf-8");
  g_mime_message_set_date(m, now);
  g_mime_message_set_message_id(m, mid);
  g_mime_text_part_set_text(body, body_text);
  g_mime_text_part_set_charset(body, "utf-8");
  g_mime_part_set_content_encoding(GMIME_PART(body), GMIME_CONTENT_ENCODING_BASE64);
  g_mime_message_set_mime_part(m, GMIME_OBJECT(body));
  g_object_unref(body);
  out = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
  g_object_unref(m);
  bytes = g_bytes_new_take(out, strlen(out));
  return bytes;
}

static void formal_done(const OknoIntakeResult *res, const GError *err, gpointer data)
{
  OknoReq *req = data;
  if (err) {
    okno_log_warn("cabinet", "event=formal-failed error=\"%s\"", err->message);
    okno_req_error(req, err->code == OKNO_ERROR_TEMP ? 503 : 500,
                   "Не удалось подать обращение. Попробуйте, пожалуйста, ещё раз позже.");
  } else {
    okno_log("cabinet", "event=formal-submitted appeal=%s", res->number);
    if (req->api) {
      JsonObject *o = json_object_new();
      json_object_set_string_member(o, "number", res->number);
      okno_cabinet_answer(req, 201, NULL, NULL, o);
    } else {
      g_autofree char *loc = g_strdup_printf("/cabinet/appeals/%s?sent=1", res->number);
      okno_req_redirect(req, loc);
    }
  }
  okno_req_release(req);
}

static void formal_post(OknoReq *req)
{
  g_autoptr(OknoOidcIdentity) id = confirmed(req);
  g_autofree char *subject = NULL, *text = NULL;
  g_autoptr(GBytes) raw = NULL;
  const char *rcpt[] = {req->cfg->smtp_addresses[0], NULL};
  OknoEnvelope env = {.channel = OKNO_CHANNEL_WEB, .rcpt_to = rcpt,
                      .client_addr = req->client_ip, .session_id = "web",
                      .kind = OKNO_KIND_FORMAL};
  glong n;
  if (!id)
    return;
  subject = g_strstrip(g_strdup(okno_req_field(req, "subject")));
  text = g_strstrip(g_strdup(okno_req_field(req, "text")));
  n = g_utf8_strlen(text, -1);
  if (!*subject || g_utf8_strlen(subject, -1) > 200 || strpbrk(subject, "\r\n")) {
    JsonObject *o = context(id);
    json_object_set_string_member(o, "subject", subject);
    json_object_set_string_member(o, "text", text);
    okno_cabinet_field_error(req, "cabinet_formal", TITLE, o, "subject",
                             "Укажите, пожалуйста, тему обращения: одна строка, не больше 200 знаков.");
    return;
  }
  if (n < FORMAL_MIN_CHARS || n > FORMAL_MAX_CHARS) {
    JsonObject *o = context(id);
    json_object_set_string_member(o, "subject", subject);
    json_object_set_string_member(o, "text", text);
    okno_cabinet_field_error(req, "cabinet_formal", TITLE, o, "text",
                             n < FORMAL_MIN_CHARS
                                 ? "Изложите, пожалуйста, суть обращения: не меньше 20 знаков."
                                 : "Текст слишком длинный: не больше 20 000 знаков.");
    return;
  }
  {
    g_autofree char *who = g_compute_checksum_for_string(G_CHECKSUM_SHA256, id->subject, -1);
    g_autofree char *key = g_strconcat("formal:", who, NULL);
    if (!okno_req_limit(req, key, FORMAL_PER_HOUR, FORMAL_PER_HOUR))
      return;
  }
  env.mail_from = id->email;
  raw = formal_message(req, id, subject, text);
  okno_req_hold(req);
  okno_intake_submit_async(req->intake, raw, &env, formal_done, req);
}

static const OknoRoute routes[] = {
  {"GET", "/cabinet/formal", OKNO_ROUTE_CITIZEN, formal_get},
  {"POST", "/cabinet/formal", OKNO_ROUTE_CITIZEN | OKNO_ROUTE_STATE_CHANGING, formal_post},
  {"GET", "/api/v1/cabinet/formal", OKNO_ROUTE_CITIZEN, formal_get},
  {"POST", "/api/v1/cabinet/formal", OKNO_ROUTE_CITIZEN | OKNO_ROUTE_STATE_CHANGING, formal_post},
};

void okno_cabinet_formal_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
