/* console_classify.c: an appeal's category and SLA class in the console (issue 19
 * item 2; docs/classify.md "Category and SLA class"): the box on the appeal page with
 * the models' suggestions (one click each) and the forms, and the action that sets
 * them (ops/classify_auto.h okno_classify_set: every such decision teaches its model).
 *   GET  /console/classify/NUMBER           the box as a page of its own
 *   POST /console/classify/NUMBER           field = category | sla_class, value,
 *                                           version: 303 to the appeal page; a bad value
 *                                           is this page again (422) with the message
 *                                           next to the field
 *   POST /api/v1/console/classify/NUMBER    the same: {"ok": true, "version": N}, or
 *                                           422 {"errors": {field: text}}, 409 stale
 * The user must be allowed to view the appeal (404 otherwise, as everywhere in the
 * console); setting a category takes the right to transfer it (OKNO_ACT_TRANSFER), an
 * SLA class the right to extend its deadline (OKNO_ACT_EXTEND): 403 otherwise. */
#include "web/console.h"

#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "ops/classify_auto.h"
#include "ops/stats.h"
#include "store/appeals.h"
#include "store/events.h"

static JsonObject *parse_object(const char *text)
{
  g_autoptr(JsonParser) p = json_parser_new();
  if (!text || !json_parser_load_from_data(p, text, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
    return NULL;
  return json_object_ref(json_node_get_object(json_parser_get_root(p)));
}

/* The suggestions of the appeal's latest `kind` event ([{value, words, percent}]),
 * leaving out `current`. */
static JsonArray *suggestions(OknoReq *req, const OknoAppeal *a, const char *kind,
                              const char *current, gboolean sla)
{
  g_autofree char *detail = okno_store_event_last(req->store, a->id, kind, NULL);
  g_autoptr(JsonObject) o = parse_object(detail);
  JsonArray *out = json_array_new();
  JsonNode *n = o && json_object_has_member(o, "suggestions")
                    ? json_object_get_member(o, "suggestions") : NULL;
  for (guint i = 0; n && JSON_NODE_HOLDS_ARRAY(n) && i < json_array_get_length(json_node_get_array(n)); i++) {
    JsonNode *e = json_array_get_element(json_node_get_array(n), i);
    JsonObject *s, *item;
    const char *value;
    if (!JSON_NODE_HOLDS_OBJECT(e))
      continue;
    s = json_node_get_object(e);
    value = json_object_get_string_member_with_default(s, "value", "");
    if (!*value || strcmp(value, current) == 0)
      continue;
    item = json_object_new();
    json_object_set_string_member(item, "value", value);
    json_object_set_string_member(item, "words", sla ? okno_stats_sla_words(value) : value);
    json_object_set_int_member(item, "percent",
                               (gint64)(json_object_get_double_member_with_default(s, "confidence", 0) * 100 + 0.5));
    json_array_add_object_element(out, item);
  }
  return out;
}

void okno_console_classify_box(OknoReq *req, const OknoUser *u, const OknoAppeal *a,
                               JsonObject *page)
{
  const gboolean can_category = okno_staff_can(u, OKNO_ACT_TRANSFER, a, NULL);
  const gboolean can_sla = okno_staff_can(u, OKNO_ACT_EXTEND, a, NULL) &&
                           a->kind != OKNO_KIND_FORMAL;
  const char *sla = okno_sla_class_name(a->sla_class);
  JsonObject *box = json_object_new();
  JsonArray *classes = json_array_new(), *cs, *ss;
  g_autofree char *changed = NULL;
  for (int c = 0; c < OKNO_SLA_N_CLASSES; c++) {
    const char *name = okno_sla_class_name((OknoSlaClass)c);
    JsonObject *o;
    if (!*name || c == OKNO_SLA_FORMAL)
      continue;
    o = json_object_new();
    json_object_set_string_member(o, "value", name);
    json_object_set_string_member(o, "words", okno_stats_sla_words(name));
    json_object_set_boolean_member(o, "selected", c == (int)a->sla_class);
    json_array_add_object_element(classes, o);
  }
  /* a category the model was unsure of: offered until one is set; an SLA class: until
   * staff set one */
  cs = *a->category ? json_array_new() : suggestions(req, a, "category_suggested", "", FALSE);
  changed = okno_store_event_last(req->store, a->id, "sla_class_changed", NULL);
  ss = changed ? json_array_new() : suggestions(req, a, "sla_class_suggested", sla, TRUE);
  json_object_set_boolean_member(box, "can_category", can_category);
  json_object_set_boolean_member(box, "can_sla", can_sla);
  json_object_set_string_member(box, "category", a->category);
  json_object_set_string_member(box, "sla_words", okno_stats_sla_words(sla));
  json_object_set_array_member(box, "sla_classes", classes);
  json_object_set_boolean_member(box, "has_category_suggestions",
                                 can_category && json_array_get_length(cs) > 0);
  json_object_set_array_member(box, "category_suggestions", cs);
  json_object_set_boolean_member(box, "has_sla_suggestions",
                                 can_sla && json_array_get_length(ss) > 0);
  json_object_set_array_member(box, "sla_suggestions", ss);
  json_object_set_object_member(page, "classify", box);
}

/* The path's appeal when the user may see it (console_appeal.c's rule); else answered
 * (404, 500) and NULL. Nothing may follow the number. */
static OknoAppeal *visible(OknoReq *req, const OknoUser *u)
{
  g_autofree char *rest = NULL;
  OknoAppeal *a = okno_console_appeal_load(req, u, &rest);
  if (a && *rest) {
    okno_appeal_free(a);
    okno_req_error(req, 404, NULL);
    return NULL;
  }
  return a;
}

static void page(OknoReq *req, const OknoUser *u, const OknoAppeal *a, guint status,
                 const char *field, const char *message)
{
  JsonObject *o = okno_console_ctx(u);
  json_object_set_string_member(o, "number", a->number);
  json_object_set_int_member(o, "version", a->version);
  okno_console_classify_box(req, u, a, o);
  if (field) {
    JsonObject *box = json_object_get_object_member(o, "classify");
    g_autofree char *key = g_strconcat("error_", field, NULL);
    json_object_set_string_member(box, key, message);
  } else if (message) {
    json_object_set_string_member(o, "error", message);
  }
  okno_req_page(req, status, "console_classify", "Категория и класс срока", o);
}

static void classify_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(OknoAppeal) a = u ? visible(req, u) : NULL;
  if (a)
    page(req, u, a, 200, NULL, NULL);
}

static void refuse(OknoReq *req, const OknoUser *u, const OknoAppeal *a, guint status,
                   const char *field, const char *message)
{
  if (req->api && field && status == 422) {
    JsonObject *e = json_object_new();
    json_object_set_string_member(e, field, message);
    okno_req_field_errors(req, e);
  } else if (req->api || status == 403) {
    okno_req_error(req, status, message);
  } else {
    page(req, u, a, status, field, message);
  }
}

static void classify_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(OknoAppeal) a = u ? visible(req, u) : NULL;
  g_autoptr(GError) err = NULL;
  const char *field = okno_req_field(req, "field");
  const gboolean sla = strcmp(field, "sla_class") == 0;
  const OknoSlaEnv *env;
  gint64 version = 0;
  gboolean ok;
  if (!a)
    return;
  if (!sla && strcmp(field, "category") != 0) {
    refuse(req, u, a, 422, NULL, "Выберите, что изменить: категорию или класс срока.");
    return;
  }
  if (!okno_staff_can(u, sla ? OKNO_ACT_EXTEND : OKNO_ACT_TRANSFER, a, NULL)) {
    refuse(req, u, a, 403, NULL, "Недостаточно прав для этого действия.");
    return;
  }
  if (!(env = okno_console_env(req->cfg, &err)) || !okno_store_begin(req->store, &err)) {
    okno_log_warn("console", "event=classify-failed error=\"%s\"", err->message);
    okno_req_error(req, 500, NULL);
    return;
  }
  ok = okno_classify_set(env, req->store, a->number,
                         g_ascii_strtoll(okno_req_field(req, "version"), NULL, 10), field,
                         okno_req_field(req, "value"), u->login, &version, &err) &&
       okno_store_commit(req->store, &err);
  if (!ok) {
    okno_store_rollback(req->store);
    if (!g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER)) {
      okno_log_warn("console", "event=classify-failed appeal=%s error=\"%s\"", a->number,
                    err->message);
      okno_req_error(req, 500, NULL);
    } else if (strcmp(err->message, OKNO_STORE_STALE_TEXT) == 0) {
      refuse(req, u, a, 409, NULL, err->message);
    } else {
      refuse(req, u, a, 422, field, err->message);
    }
    return;
  }
  okno_log("console", "event=action action=%s appeal=%s user=%" G_GINT64_FORMAT, field,
           a->number, u->id);
  if (req->api) {
    JsonObject *o = json_object_new();
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_object_set_boolean_member(o, "ok", TRUE);
    json_object_set_int_member(o, "version", version);
    json_node_take_object(n, o);
    okno_req_json(req, 200, n);
    return;
  }
  {
    g_autofree char *loc = g_strdup_printf("/console/appeals/%s", a->number);
    okno_req_redirect(req, loc);
  }
}

static const OknoRoute routes[] = {
  {"GET", "/console/classify/", OKNO_ROUTE_STAFF, classify_get},
  {"POST", "/console/classify/", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, classify_post},
  {"POST", "/api/v1/console/classify/", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING,
   classify_post},
};

void okno_console_classify_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
