/* feedback_routes.c: the feedback form's page (/feedback) and its JSON API
 * (/api/v1/feedback, /api/v1/captcha, /api/v1/status). The checks live in feedback.c,
 * the captcha in captcha.c; registration is the intake pipeline's (feedback.h). */
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "web/captcha.h"
#include "web/feedback.h"
#include "web/help.h"
#include "web/routes.h"
#include "web/status.h"

/* Fields in the order the form shows them (the error summary and the focus follow it). */
static const char *const field_order[] = {
  "name", "email", "phone", "category", "description", "attachments", "consent", "captcha",
};

static void add_captcha(OknoReq *req, JsonObject *o)
{
  OknoCaptcha c = {0};
  okno_captcha_issue(okno_web_secret(req->web), okno_now(), req->cfg->captcha_ttl * G_USEC_PER_SEC,
                     (int)req->cfg->captcha_bits, &c);
  json_object_set_string_member(o, "captcha_pow", c.pow_token);
  json_object_set_int_member(o, "captcha_bits", c.bits);
  json_object_set_string_member(o, "captcha_question", c.question);
  json_object_set_string_member(o, "captcha_q", c.question_token);
  okno_captcha_clear(&c);
}

/* The form page; `errors` (taken, may be NULL) as error_<field> and a summary;
 * `offers` (taken, may be NULL): the step «Проверить, есть ли готовый ответ» was taken
 * (the articles matching the description, docs/kb.md). */
static void form_page(OknoReq *req, guint status, JsonObject *errors, JsonArray *offers)
{
  JsonObject *o = json_object_new();
  JsonArray *cats = json_array_new();
  JsonArray *summary = json_array_new();
  const char *chosen = okno_req_field(req, "category");
  gboolean focused = FALSE;
  gsize n = 0;
  const OknoFeedbackCategory *c = okno_feedback_categories(&n);

  for (const char *const *f = (const char *const[]){"name", "email", "phone", "description", NULL};
       *f; f++)
    json_object_set_string_member(o, *f, okno_req_field(req, *f));
  json_object_set_boolean_member(o, "consent_checked", *okno_req_field(req, "consent") != '\0');
  for (gsize i = 0; i < n; i++) {
    JsonObject *co = json_object_new();
    json_object_set_string_member(co, "key", c[i].key);
    json_object_set_string_member(co, "label", c[i].label);
    json_object_set_boolean_member(co, "selected", strcmp(chosen, c[i].key) == 0);
    json_array_add_object_element(cats, co);
  }
  json_object_set_array_member(o, "categories", cats);
  for (gsize i = 0; errors && i < G_N_ELEMENTS(field_order); i++) {
    const char *f = field_order[i];
    g_autofree char *k = g_strconcat("error_", f, NULL);
    g_autofree char *fk = g_strconcat("focus_", f, NULL);
    JsonObject *so;
    if (!json_object_has_member(errors, f))
      continue;
    json_object_set_string_member(o, k, json_object_get_string_member(errors, f));
    if (!focused)
      json_object_set_boolean_member(o, fk, TRUE);
    focused = TRUE;
    so = json_object_new();
    json_object_set_string_member(so, "field", f);
    json_object_set_string_member(so, "text", json_object_get_string_member(errors, f));
    json_array_add_object_element(summary, so);
  }
  json_object_set_boolean_member(o, "has_errors", focused);
  json_object_set_array_member(o, "error_list", summary);
  if (errors)
    json_object_unref(errors);
  if (offers) {
    json_object_set_boolean_member(o, "kb_checked", TRUE);
    json_object_set_boolean_member(o, "kb_none", json_array_get_length(offers) == 0);
    json_object_set_array_member(o, "kb_offers", offers);
  }
  add_captcha(req, o);
  okno_req_page(req, status, "feedback", "Обратная связь", o);
}

static void feedback_get(OknoReq *req)
{
  form_page(req, 200, NULL, NULL);
}

/* Checks the form and the captcha; NULL errors and `fb` filled when it may go on. */
static JsonObject *check(OknoReq *req, OknoFeedback *fb, gboolean *failed)
{
  JsonObject *errors = json_object_new();
  g_autoptr(GError) err = NULL;
  *failed = FALSE;
  if (!okno_feedback_check(req->form, req->cfg, okno_now(), fb, errors))
    return errors;
  if (!okno_captcha_verify(okno_web_secret(req->web), req->store, okno_now(),
                           okno_req_field(req, "captcha_pow"), okno_req_field(req, "captcha_nonce"),
                           okno_req_field(req, "captcha_q"), okno_req_field(req, "captcha_answer"),
                           &err)) {
    if (!g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER)) {
      okno_log_warn("web", "event=captcha-failed error=\"%s\"", err->message);
      *failed = TRUE;
      json_object_unref(errors);
      return NULL;
    }
    json_object_set_string_member(errors, "captcha", err->message);
    return errors;
  }
  json_object_unref(errors);
  return NULL;
}

/* What the page of a registered appeal needs besides the request. */
typedef struct {
  OknoReq *req;
  JsonArray *offers; /* «Возможно, ответ уже есть»: up to three articles */
} Submitted;

static void registered(const OknoIntakeResult *res, const GError *err, gpointer data)
{
  Submitted *w = data;
  OknoReq *req = w->req;
  char pii[OKNO_PII_BUF];
  if (err) {
    okno_log_warn("web", "event=feedback-failed error=\"%s\"", err->message);
    okno_req_error(req, g_error_matches(err, OKNO_ERROR, OKNO_ERROR_TEMP) ? 503 : 500,
                   "Не удалось зарегистрировать обращение. Попробуйте, пожалуйста, через "
                   "несколько минут.");
  } else {
    okno_log("web", "event=feedback-registered appeal=%s from=%s", res->number,
             okno_pii(okno_req_field(req, "email"), pii));
    if (req->api) {
      JsonObject *o = json_object_new();
      JsonNode *n = json_node_new(JSON_NODE_OBJECT);
      json_object_set_string_member(o, "number", res->number);
      json_node_take_object(n, o);
      okno_req_json(req, 201, n);
    } else {
      JsonObject *o = json_object_new();
      json_object_set_string_member(o, "number", res->number);
      json_object_set_string_member(o, "email", okno_req_field(req, "email"));
      json_object_set_boolean_member(o, "has_offers", json_array_get_length(w->offers) > 0);
      json_object_set_array_member(o, "offers", json_array_ref(w->offers));
      okno_req_page(req, 200, "feedback_done", "Обращение зарегистрировано", o);
    }
  }
  json_array_unref(w->offers);
  g_free(w);
  okno_req_release(req);
}

static void submit(OknoReq *req)
{
  OknoFeedback fb = {0};
  gboolean failed = FALSE;
  JsonObject *errors;
  Submitted *w;
  const char *rcpt[] = {req->cfg->smtp_addresses[0], NULL};
  OknoEnvelope env = {
    .channel = OKNO_CHANNEL_WEB,
    .rcpt_to = rcpt,
    .client_addr = req->client_ip,
    .session_id = "web",
  };
  if (!req->api && *okno_req_field(req, "kb_check")) {
    /* «Проверить, есть ли готовый ответ» (no JavaScript): the form again, with the
     * articles matching the description; nothing is registered. */
    form_page(req, 200, NULL, okno_help_offers(req, okno_req_field(req, "description"), 3, 2));
    return;
  }
  errors = check(req, &fb, &failed);
  if (failed) {
    okno_feedback_clear(&fb);
    okno_req_error(req, 500, NULL);
    return;
  }
  if (errors) {
    okno_feedback_clear(&fb);
    if (req->api)
      okno_req_field_errors(req, errors);
    else
      form_page(req, 422, errors, NULL);
    return;
  }
  env.mail_from = fb.email;
  env.category = fb.category;
  env.phone = fb.phone;
  w = g_new0(Submitted, 1);
  w->req = req;
  w->offers = req->api ? json_array_new() : okno_help_offers(req, fb.description, 3, 2);
  okno_req_hold(req);
  okno_intake_submit_async(req->intake, fb.raw, &env, registered, w);
  okno_feedback_clear(&fb);
}

static void api_captcha(OknoReq *req)
{
  JsonObject *flat = json_object_new(), *o = json_object_new(), *pow = json_object_new(),
             *q = json_object_new();
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  add_captcha(req, flat);
  json_object_set_string_member(pow, "token", json_object_get_string_member(flat, "captcha_pow"));
  json_object_set_int_member(pow, "bits", json_object_get_int_member(flat, "captcha_bits"));
  json_object_set_string_member(q, "token", json_object_get_string_member(flat, "captcha_q"));
  json_object_set_string_member(q, "text", json_object_get_string_member(flat, "captcha_question"));
  json_object_set_object_member(o, "pow", pow);
  json_object_set_object_member(o, "question", q);
  json_object_set_int_member(o, "expires_in", req->cfg->captcha_ttl);
  json_object_unref(flat);
  json_node_take_object(n, o);
  okno_req_json(req, 200, n);
}

/* POST /api/v1/status: {"number", "email"} as JSON or form fields. */
static void api_status(OknoReq *req)
{
  g_autoptr(JsonParser) parser = NULL;
  const char *number = okno_req_field(req, "number"), *email = okno_req_field(req, "email");
  g_autofree char *norm = NULL;
  OknoStatus status = OKNO_STATUS_NEW;
  const char *label = NULL, *field = NULL, *message = NULL;
  JsonObject *o;
  JsonNode *n;
  OknoStatusOutcome r;
  if (g_bytes_get_size(req->body) && !g_hash_table_size(req->form->fields)) {
    gsize len = 0;
    const char *data = g_bytes_get_data(req->body, &len);
    JsonNode *root;
    parser = json_parser_new();
    if (!json_parser_load_from_data(parser, data, (gssize)len, NULL) ||
        !(root = json_parser_get_root(parser)) || !JSON_NODE_HOLDS_OBJECT(root)) {
      okno_req_error(req, 400, "Ожидается объект JSON с полями number и email.");
      return;
    }
    o = json_node_get_object(root);
    number = json_object_has_member(o, "number") &&
                     JSON_NODE_HOLDS_VALUE(json_object_get_member(o, "number")) &&
                     json_node_get_value_type(json_object_get_member(o, "number")) == G_TYPE_STRING
                 ? json_object_get_string_member(o, "number")
                 : "";
    email = json_object_has_member(o, "email") &&
                    JSON_NODE_HOLDS_VALUE(json_object_get_member(o, "email")) &&
                    json_node_get_value_type(json_object_get_member(o, "email")) == G_TYPE_STRING
                ? json_object_get_string_member(o, "email")
                : "";
  }
  r = okno_status_check(req, number, email, &norm, &status, &label, &field, &message);
  switch (r) {
  case OKNO_LOOKUP_LIMITED:
  case OKNO_LOOKUP_FAILED:
    return;
  case OKNO_LOOKUP_BAD_INPUT:
    o = json_object_new();
    json_object_set_string_member(o, field, message);
    okno_req_field_errors(req, o);
    return;
  case OKNO_LOOKUP_NOT_FOUND:
    okno_req_error(req, 404, "Обращение с таким номером и адресом электронной почты не найдено.");
    return;
  case OKNO_LOOKUP_FOUND:
    o = json_object_new();
    n = json_node_new(JSON_NODE_OBJECT);
    json_object_set_string_member(o, "number", norm);
    json_object_set_string_member(o, "status", okno_status_name(status));
    json_object_set_string_member(o, "status_text", label);
    json_node_take_object(n, o);
    okno_req_json(req, 200, n);
    return;
  }
}

static const OknoRoute routes[] = {
  {"GET", "/feedback", 0, feedback_get},
  {"POST", "/feedback", OKNO_ROUTE_STATE_CHANGING, submit},
  {"GET", "/api/v1/captcha", 0, api_captcha},
  {"POST", "/api/v1/feedback", OKNO_ROUTE_STATE_CHANGING, submit},
  {"POST", "/api/v1/status", OKNO_ROUTE_STATE_CHANGING | OKNO_ROUTE_JSON_BODY, api_status},
};

void okno_feedback_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
