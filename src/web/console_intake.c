/* console_intake.c: appeals an operator logs on the citizen's behalf (issue 22): a
 * phone call, a letter on paper, a post in a social network.
 *   GET  /console/intake   the form (console_intake.html)
 *   POST /console/intake   checks it; errors go back next to their fields (422);
 *                          otherwise the appeal is registered through intake
 *                          (intake/pipeline.h: the same numbering, deadline and, when
 *                          an e-mail is given, receipt as any appeal) with the channel
 *                          chosen and the operator as "by" of its `received` event,
 *                          and the browser goes to the new appeal's page (303).
 * Every staff role but the auditor may log an appeal. The form's checks are the
 * feedback form's (web/feedback.h) where they overlap. */
#include "web/console.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "intake/pipeline.h"
#include "web/feedback.h"

#define MIN_TEXT 20 /* characters: what the operator wrote down */

/* The signed-in user who may log appeals, or NULL after answering. */
static OknoUser *intake_user(OknoReq *req)
{
  OknoUser *u = okno_console_user(req, FALSE);
  if (u && !strcmp(u->role, "auditor")) {
    okno_user_free(u);
    okno_req_error(req, 403, "Недостаточно прав для этого действия.");
    return NULL;
  }
  return u;
}

static const char *field(OknoReq *req, const char *name)
{
  const char *v = okno_req_field(req, name);
  return v ? v : "";
}

static void form_page(OknoReq *req, const OknoUser *u, guint status, JsonObject *errors)
{
  JsonObject *o = okno_console_ctx(u);
  JsonArray *channels = json_array_new(), *cats = json_array_new();
  const char *chosen = field(req, "channel"), *cat = field(req, "category");
  const char *keep[] = {"name", "email", "phone", "subject", "description"};
  gsize ncat = 0;
  const OknoFeedbackCategory *c = okno_feedback_categories(&ncat);
  for (int i = 0; i < OKNO_N_CHANNELS; i++) {
    JsonObject *r;
    if (!okno_channels[i].operator_logged)
      continue;
    r = json_object_new();
    json_object_set_string_member(r, "value", okno_channels[i].name);
    json_object_set_string_member(r, "title", okno_channels[i].title);
    json_object_set_boolean_member(r, "selected", !strcmp(chosen, okno_channels[i].name));
    json_array_add_object_element(channels, r);
  }
  for (gsize i = 0; i < ncat; i++) {
    JsonObject *r = json_object_new();
    json_object_set_string_member(r, "value", c[i].key);
    json_object_set_string_member(r, "title", c[i].label);
    json_object_set_boolean_member(r, "selected", !strcmp(cat, c[i].key));
    json_array_add_object_element(cats, r);
  }
  json_object_set_array_member(o, "channels", channels);
  json_object_set_array_member(o, "categories", cats);
  for (gsize i = 0; i < G_N_ELEMENTS(keep); i++)
    json_object_set_string_member(o, keep[i], field(req, keep[i]));
  json_object_set_object_member(o, "errors", errors ? json_object_ref(errors) : json_object_new());
  json_object_set_boolean_member(o, "has_errors", errors && json_object_get_size(errors) > 0);
  okno_req_page(req, status, "console_intake", "Зарегистрировать обращение со слов гражданина", o);
}

static void intake_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = intake_user(req);
  if (u)
    form_page(req, u, 200, NULL);
}

JsonObject *okno_console_intake_check(const OknoConsoleIntakeInput *in, OknoChannel *ch,
                                     OknoFeedback *fb)
{
  JsonObject *e = json_object_new();
  g_autofree char *name = g_strstrip(g_strdup(in->name ? in->name : ""));
  g_autofree char *email = g_strstrip(g_strdup(in->email ? in->email : ""));
  g_autofree char *phone = g_strstrip(g_strdup(in->phone ? in->phone : ""));
  g_autofree char *text = g_strstrip(g_strdup(in->description ? in->description : ""));
  const char *cat = in->category ? in->category : "";
  glong len = g_utf8_strlen(text, -1);
  if (!okno_channel_parse(in->channel, ch) || !okno_channels[*ch].operator_logged)
    json_object_set_string_member(e, "channel", "Выберите, как гражданин обратился: звонок, письмо или соцсеть.");
  if (!*name)
    json_object_set_string_member(e, "name", "Укажите, пожалуйста, как зовут гражданина.");
  else if (g_utf8_strlen(name, -1) > OKNO_FEEDBACK_MAX_NAME || strpbrk(name, "\r\n\t<>\""))
    json_object_set_string_member(e, "name", "Имя указано неверно: не больше 200 букв, без служебных символов.");
  if (*email && !okno_feedback_email_ok(email))
    json_object_set_string_member(e, "email", "Адрес электронной почты указан неверно. Пример: ivanov@mail.ru.");
  if (*phone && !(fb->phone = okno_feedback_phone_normal(phone)))
    json_object_set_string_member(e, "phone", "Номер телефона указан неверно. Пример: +7 912 345-67-89.");
  if (*cat && !okno_feedback_category_label(cat))
    json_object_set_string_member(e, "category", "Такой темы нет: выберите из списка.");
  if (len < MIN_TEXT)
    json_object_set_string_member(e, "description", "Запишите, пожалуйста, суть обращения: не меньше 20 символов.");
  else if (len > OKNO_FEEDBACK_MAX_DESCRIPTION)
    json_object_set_string_member(e, "description", "Текст слишком длинный: не больше 20 000 символов.");
  if (json_object_get_size(e))
    return e;
  json_object_unref(e);
  fb->name = g_steal_pointer(&name);
  fb->email = g_utf8_strdown(email, -1);
  if (!fb->phone)
    fb->phone = g_strdup("");
  fb->category = g_strdup(cat);
  fb->description = g_steal_pointer(&text);
  return NULL;
}

GBytes *okno_console_intake_message(const OknoFeedback *fb, OknoChannel ch, const char *subject,
                                    const OknoConfig *cfg)
{
  g_autofree char *s = subject && *subject ? g_strstrip(g_strdup(subject))
                                           : g_strdup(okno_channels[ch].title);
  return okno_feedback_build(fb, s, NULL, cfg, okno_now());
}

static void registered(const OknoIntakeResult *res, const GError *err, gpointer data)
{
  OknoReq *req = data;
  if (err || !res->number) {
    okno_log_warn("web", "event=console-intake-failed error=\"%s\"", err ? err->message : "no number");
    okno_req_error(req, err && g_error_matches(err, OKNO_ERROR, OKNO_ERROR_TEMP) ? 503 : 500,
                   "Не удалось зарегистрировать обращение. Попробуйте, пожалуйста, ещё раз.");
  } else {
    g_autofree char *to = g_strdup_printf("/console/appeals/%s", res->number);
    okno_log("web", "event=console-intake appeal=%s", res->number);
    okno_req_redirect(req, to);
  }
  okno_req_release(req);
}

static void intake_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = intake_user(req);
  OknoFeedback fb = {0};
  OknoChannel ch = OKNO_CHANNEL_PHONE;
  g_autoptr(JsonObject) errors = NULL;
  const char *rcpt[] = {req->cfg->smtp_addresses[0], NULL};
  OknoConsoleIntakeInput in = {field(req, "channel"), field(req, "name"), field(req, "email"),
                               field(req, "phone"), field(req, "category"),
                               field(req, "description")};
  if (!u)
    return;
  if ((errors = okno_console_intake_check(&in, &ch, &fb))) {
    okno_feedback_clear(&fb);
    form_page(req, u, 422, errors);
    return;
  }
  fb.raw = okno_console_intake_message(&fb, ch, field(req, "subject"), req->cfg);
  okno_req_hold(req);
  okno_intake_submit_async(req->intake, fb.raw,
                           &(OknoEnvelope){.channel = ch, .rcpt_to = rcpt,
                                           .mail_from = *fb.email ? fb.email : NULL,
                                           .session_id = "console", .category = fb.category,
                                           .phone = fb.phone, .operator_login = u->login,
                                           .citizen_name = fb.name},
                           registered, req);
  okno_feedback_clear(&fb);
}

static const OknoRoute routes[] = {
  {"GET", "/console/intake", OKNO_ROUTE_STAFF, intake_get},
  {"POST", "/console/intake", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, intake_post},
};

void okno_console_intake_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
