/* console_incidents.c: mass incidents in the console (issue 19 item 5,
 * docs/incidents.md): supervisors and administrators (OKNO_ACT_MANAGE_INCIDENTS) see
 * the incidents the scheduler raised, an incident's appeals, add or take out an appeal,
 * close it, and send ONE answer to all its appeals: each appeal is answered as itself
 * (ops/incidents.h okno_incident_answer_one: its own letter threaded to its citizen's
 * message, its status change and events), in its own transaction, and only when the
 * user may answer it (okno_staff_can REPLY); the page lists each appeal's outcome.
 * `{{name}}` and `{{number}}` in the text become each citizen's name and number.
 *   GET  /console/incidents              the list (open ones first)
 *   GET  /console/incidents/ID           the incident and its appeals
 *   POST /console/incidents/ID/add       number=NUMBER
 *   POST /console/incidents/ID/remove    number=NUMBER
 *   POST /console/incidents/ID/close
 *   POST /console/incidents/ID/answer    text=...
 * JSON twins under /api/v1/console/incidents. */
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "ops/incidents.h"
#include "store/appeals.h"
#include "web/console.h"

#define LIST_MAX 200
#define ANSWER_MAX 20000 /* characters */

static OknoUser *incident_user(OknoReq *req)
{
  OknoUser *u = okno_console_user(req, FALSE);
  if (u && !okno_staff_can(u, OKNO_ACT_MANAGE_INCIDENTS, NULL, NULL)) {
    okno_user_free(u);
    okno_req_error(req, 403, "Недостаточно прав для этого действия.");
    return NULL;
  }
  return u;
}

static void fail(OknoReq *req, const char *what, const GError *err)
{
  okno_log_warn("console", "event=incident-%s-failed error=\"%s\"", what, err ? err->message : "?");
  okno_req_error(req, 500, NULL);
}

static void reply(OknoReq *req, guint status, const char *page, const char *title, JsonObject *o)
{
  if (req->api) {
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    okno_req_json(req, status, n);
    return;
  }
  okno_req_page(req, status, page, title, o);
}

static JsonObject *incident_json(const OknoIncident *x)
{
  JsonObject *r = json_object_new();
  g_autofree char *created = okno_console_time(x->created_at);
  g_autofree char *closed = okno_console_time(x->closed_at);
  g_autofree char *answered = okno_console_time(x->answered_at);
  g_autofree char *usual = g_strdup_printf("%.1f", x->usual);
  g_strdelimit(usual, ".", ','); /* 0,4: the Russian decimal comma */
  json_object_set_int_member(r, "id", x->id);
  json_object_set_boolean_member(r, "open", x->open);
  json_object_set_string_member(r, "title", *x->title ? x->title : "(без темы)");
  json_object_set_string_member(r, "department", x->department);
  json_object_set_int_member(r, "appeals", x->appeals);
  json_object_set_int_member(r, "window_count", x->window_count);
  json_object_set_string_member(r, "usual", usual);
  json_object_set_string_member(r, "created_text", created);
  json_object_set_string_member(r, "closed_text", closed);
  json_object_set_string_member(r, "closed_by", x->closed_by);
  json_object_set_string_member(r, "answered_text", answered);
  return r;
}

static void list_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = incident_user(req);
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) all = NULL;
  JsonArray *rows;
  JsonObject *o;
  guint open = 0;
  if (!u)
    return;
  if (!(all = okno_store_incident_list(req->store, FALSE, LIST_MAX, &err))) {
    fail(req, "list", err);
    return;
  }
  o = okno_console_ctx(u);
  rows = json_array_new();
  for (guint i = 0; i < all->len; i++) {
    const OknoIncident *x = all->pdata[i];
    open += x->open;
    json_array_add_object_element(rows, incident_json(x));
  }
  json_object_set_array_member(o, "incidents", rows);
  json_object_set_int_member(o, "open_count", open);
  json_object_set_boolean_member(o, "none", all->len == 0);
  reply(req, 200, "console_incidents", "Массовые инциденты", o);
}

/* The incident named by path_rest ("ID" or "ID/verb"); *tail the rest. NULL after
 * answering 404 (or 500). */
static OknoIncident *incident_of(OknoReq *req, const char **tail)
{
  g_autoptr(GError) err = NULL;
  char *end = NULL;
  gint64 id = g_ascii_strtoll(req->path_rest, &end, 10);
  OknoIncident *x;
  if (!g_ascii_isdigit(req->path_rest[0]) || id <= 0 || (*end && *end != '/')) {
    okno_req_error(req, 404, NULL);
    return NULL;
  }
  *tail = end;
  if (!(x = okno_store_incident_get(req->store, id, &err))) {
    if (err)
      fail(req, "get", err);
    else
      okno_req_error(req, 404, NULL);
  }
  return x;
}

/* The incident page; `results` (may be NULL) the outcome of an answer to all, `error`
 * (may be NULL) a message for the form `error_field` (answer, add). */
static void incident_page(OknoReq *req, const OknoUser *u, const OknoIncident *x, guint status,
                          const char *error_field, const char *error, JsonArray *results)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GArray) ids = okno_store_incident_appeal_ids(req->store, x->id, &err);
  JsonObject *o;
  JsonArray *rows;
  guint hidden = 0, unanswered = 0;
  if (!ids) {
    if (results)
      json_array_unref(results);
    fail(req, "appeals", err);
    return;
  }
  o = okno_console_ctx(u);
  rows = json_array_new();
  json_object_set_object_member(o, "incident", incident_json(x));
  for (guint i = 0; i < ids->len; i++) {
    g_autoptr(OknoAppeal) a = okno_store_appeal_get_by_id(req->store, g_array_index(ids, gint64, i), NULL);
    JsonObject *r;
    g_autofree char *received = NULL;
    if (!a || !okno_staff_can(u, OKNO_ACT_VIEW, a, NULL)) {
      hidden++;
      continue;
    }
    r = json_object_new();
    received = okno_console_time(a->received_at);
    json_object_set_string_member(r, "number", a->number);
    json_object_set_string_member(r, "subject", a->subject);
    json_object_set_string_member(r, "status", okno_status_name(a->status));
    json_object_set_string_member(r, "status_text", okno_statuses[a->status].staff);
    json_object_set_string_member(r, "received_text", received);
    json_object_set_boolean_member(r, "answered", a->answered);
    unanswered += !a->answered && a->status != OKNO_STATUS_ANSWERED;
    json_array_add_object_element(rows, r);
  }
  json_object_set_array_member(o, "appeals", rows);
  json_object_set_int_member(o, "hidden", hidden);
  json_object_set_boolean_member(o, "has_hidden", hidden > 0);
  json_object_set_int_member(o, "unanswered", unanswered);
  /* the text stays in the form after an error, not after it was sent */
  json_object_set_string_member(o, "text", results ? "" : okno_req_field(req, "text"));
  if (error_field) {
    g_autofree char *k = g_strconcat("error_", error_field, NULL);
    json_object_set_string_member(o, k, error);
    json_object_set_string_member(o, "error", error);
  }
  if (results) {
    guint done = 0, n = json_array_get_length(results);
    for (guint i = 0; i < n; i++)
      done += json_object_has_member(json_array_get_object_element(results, i), "ok");
    json_object_set_boolean_member(o, "has_results", TRUE);
    json_object_set_int_member(o, "done", done);
    json_object_set_int_member(o, "count", n);
    json_object_set_array_member(o, "results", results);
  }
  reply(req, status, "console_incident", "Массовый инцидент", o);
}

static void incident_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = incident_user(req);
  g_autoptr(OknoIncident) x = NULL;
  const char *tail = "";
  if (!u || !(x = incident_of(req, &tail)))
    return;
  if (*tail) {
    okno_req_error(req, 404, NULL);
    return;
  }
  incident_page(req, u, x, 200, NULL, NULL, NULL);
}

/* `text` with {{name}} and {{number}} of `a`. Caller frees. */
static char *personal(const char *text, const OknoAppeal *a)
{
  GString *s = g_string_new(text);
  g_string_replace(s, "{{name}}", *a->from_name ? a->from_name : "заявитель", 0);
  g_string_replace(s, "{{number}}", a->number, 0);
  return g_string_free(s, FALSE);
}

static gboolean blank(const char *s)
{
  for (; *s; s++)
    if (!g_ascii_isspace(*s))
      return FALSE;
  return TRUE;
}

/* One answer to every appeal of the incident, each in its own transaction. */
static void answer_post(OknoReq *req, const OknoUser *u, OknoIncident *x)
{
  const char *text = okno_req_field(req, "text");
  g_autoptr(GError) err = NULL;
  g_autoptr(GArray) ids = NULL;
  const OknoSlaEnv *env;
  JsonArray *results;
  guint done = 0;
  if (!g_utf8_validate(text, -1, NULL) || blank(text) || g_utf8_strlen(text, -1) > ANSWER_MAX) {
    incident_page(req, u, x, 422, "text",
                  !g_utf8_validate(text, -1, NULL) ? "Текст содержит недопустимые символы."
                  : blank(text) ? "Напишите текст ответа."
                                : "Ответ слишком длинный: не больше 20 000 знаков.",
                  NULL);
    return;
  }
  if (!(env = okno_console_env(req->cfg, &err)) ||
      !(ids = okno_store_incident_appeal_ids(req->store, x->id, &err))) {
    fail(req, "answer", err);
    return;
  }
  results = json_array_new();
  for (guint i = 0; i < ids->len; i++) {
    g_autoptr(GError) e = NULL;
    g_autoptr(OknoAppeal) a = okno_store_appeal_get_by_id(req->store, g_array_index(ids, gint64, i), &e);
    g_autofree char *body = NULL;
    JsonObject *r;
    gboolean ok = FALSE;
    if (!a || !okno_staff_can(u, OKNO_ACT_VIEW, a, NULL))
      continue;
    r = json_object_new();
    json_object_set_string_member(r, "number", a->number);
    json_array_add_object_element(results, r);
    if (!okno_staff_can(u, OKNO_ACT_REPLY, a, NULL)) {
      json_object_set_string_member(r, "error", "Недостаточно прав, чтобы ответить.");
      continue;
    }
    body = personal(text, a);
    if (okno_store_begin(req->store, &e)) {
      ok = okno_incident_answer_one(env, req->store, x->id, a, body, u->login, &e) &&
           okno_store_commit(req->store, &e);
      if (!ok)
        okno_store_rollback(req->store);
    }
    if (ok) {
      done++;
      json_object_set_string_member(r, "ok", "Ответ отправлен.");
    } else {
      gboolean shown = e && e->domain == OKNO_ERROR && e->code == OKNO_ERROR_USER;
      if (!shown)
        okno_log_warn("console", "event=incident-answer-failed incident=%" G_GINT64_FORMAT
                      " appeal=%s error=\"%s\"", x->id, a->number, e ? e->message : "");
      json_object_set_string_member(r, "error", shown ? e->message : "Сбой: попробуйте ещё раз.");
    }
  }
  if (done && !okno_store_incident_answered(req->store, x->id, okno_now(), &err))
    okno_log_warn("console", "event=incident-answered-failed error=\"%s\"", err->message);
  okno_log("console", "event=incident-answered incident=%" G_GINT64_FORMAT " answered=%u by=%s",
           x->id, done, u->login);
  {
    g_autoptr(OknoIncident) now = okno_store_incident_get(req->store, x->id, NULL);
    incident_page(req, u, now ? now : x, 200, NULL, NULL, results);
  }
}

/* add / remove: one appeal by its number. */
static void member_post(OknoReq *req, const OknoUser *u, OknoIncident *x, gboolean add)
{
  g_autofree char *number = g_strstrip(g_strdup(okno_req_field(req, "number")));
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoAppeal) a = *number ? okno_store_appeal_get(req->store, number, &err) : NULL;
  g_autofree char *loc = NULL;
  gboolean ok;
  if (!a || !okno_staff_can(u, OKNO_ACT_VIEW, a, NULL)) {
    if (err) {
      fail(req, "member", err);
      return;
    }
    incident_page(req, u, x, 422, "number",
                  *number ? "Нет доступного вам обращения с таким номером."
                          : "Укажите номер обращения.", NULL);
    return;
  }
  ok = okno_store_begin(req->store, &err) &&
       (add ? okno_incident_add(req->store, x->id, a, u->login, &err)
            : okno_incident_remove(req->store, x->id, a, u->login, &err)) &&
       okno_store_commit(req->store, &err);
  if (!ok) {
    okno_store_rollback(req->store);
    if (err && err->domain == OKNO_ERROR && err->code == OKNO_ERROR_USER)
      incident_page(req, u, x, 422, "number", err->message, NULL);
    else
      fail(req, "member", err);
    return;
  }
  okno_log("console", "event=incident-%s incident=%" G_GINT64_FORMAT " appeal=%s by=%s",
           add ? "added" : "removed", x->id, a->number, u->login);
  loc = g_strdup_printf("/console/incidents/%" G_GINT64_FORMAT, x->id);
  okno_req_redirect(req, loc);
}

static void incident_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = incident_user(req);
  g_autoptr(OknoIncident) x = NULL;
  g_autoptr(GError) err = NULL;
  g_autofree char *loc = NULL;
  const char *tail = "";
  gboolean closed = FALSE;
  if (!u || !(x = incident_of(req, &tail)))
    return;
  if (strcmp(tail, "/answer") == 0) {
    answer_post(req, u, x);
    return;
  }
  if (strcmp(tail, "/add") == 0 || strcmp(tail, "/remove") == 0) {
    member_post(req, u, x, strcmp(tail, "/add") == 0);
    return;
  }
  if (strcmp(tail, "/close") != 0) {
    okno_req_error(req, 404, NULL);
    return;
  }
  if (!okno_store_incident_close(req->store, x->id, u->login, okno_now(), &closed, &err)) {
    fail(req, "close", err);
    return;
  }
  okno_log("console", "event=incident-closed incident=%" G_GINT64_FORMAT " by=%s", x->id, u->login);
  loc = g_strdup_printf("/console/incidents/%" G_GINT64_FORMAT, x->id);
  okno_req_redirect(req, loc);
}

#define ST OKNO_ROUTE_STAFF
#define SC OKNO_ROUTE_STATE_CHANGING

static const OknoRoute routes[] = {
  {"GET", "/console/incidents", ST, list_get},
  {"GET", "/console/incidents/", ST, incident_get},
  {"POST", "/console/incidents/", ST | SC, incident_post},
  {"GET", "/api/v1/console/incidents", ST, list_get},
  {"GET", "/api/v1/console/incidents/", ST, incident_get},
  {"POST", "/api/v1/console/incidents/", ST | SC, incident_post},
};

void okno_console_incidents_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
