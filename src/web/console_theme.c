/* console_theme.c: the typical thematic classifier's code of a formal (59-FZ) appeal
 * set in the console (issue 20 item 3; docs/metrics.md, «Обращения по 59-ФЗ»), by a
 * user allowed to change the appeal's status (operators of its department,
 * supervisors, administrators), from the codes of [formal] themes:
 *   the appeal page's form (okno_console_theme_ctx fills its context)
 *   GET  /console/theme/NUMBER   the same form on a page of its own
 *   POST /console/theme/NUMBER   code=CODE: sets it (ops/stats.h okno_stats_set_theme:
 *                                appeal_themes and the event theme_set) and goes back
 *                                to the appeal page (303); a code not in the list is a
 *                                Russian message next to the field (422), nothing set
 *   POST /api/v1/console/theme/NUMBER  the same: {"code": ...} or 422 {"errors": ...}
 * An appeal the user may not see is 404; a support request or no permission is 403. */
#include "web/console.h"

#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "ops/stats.h"
#include "store/appeals.h"
#include "store/stats.h"

#define BAD_CODE "Такого кода нет в классификаторе: выберите тему из списка."

/* The name of `code` in [formal] themes ("CODE:name"), borrowed, or NULL. */
static const char *theme_name(const OknoConfig *cfg, const char *code)
{
  gsize n = strlen(code);
  for (char **t = cfg->formal_themes; t && *t && n; t++)
    if (strncmp(*t, code, n) == 0 && ((*t)[n] == ':' || (*t)[n] == '\0'))
      return (*t)[n] == ':' ? *t + n + 1 : "";
  return NULL;
}

static gboolean can_theme(const OknoUser *u, const OknoAppeal *a)
{
  return a->kind == OKNO_KIND_FORMAL && okno_staff_can(u, OKNO_ACT_CHANGE_STATUS, a, NULL);
}

void okno_console_theme_ctx(OknoReq *req, const OknoUser *u, const OknoAppeal *a,
                            JsonObject *page)
{
  g_autofree char *code = NULL;
  JsonArray *list;
  if (a->kind != OKNO_KIND_FORMAL)
    return;
  code = okno_store_appeal_theme_get(req->store, a->id, NULL);
  json_object_set_boolean_member(page, "formal", TRUE);
  json_object_set_string_member(page, "theme_code", code ? code : "");
  json_object_set_string_member(page, "theme_name",
                                code && *code && theme_name(req->cfg, code)
                                    ? theme_name(req->cfg, code) : "");
  json_object_set_boolean_member(page, "can_theme", can_theme(u, a) && req->cfg->formal_themes &&
                                                        req->cfg->formal_themes[0]);
  list = json_array_new();
  for (char **t = req->cfg->formal_themes; t && *t; t++) {
    JsonObject *o = json_object_new();
    const char *colon = strchr(*t, ':');
    g_autofree char *c = colon ? g_strndup(*t, (gsize)(colon - *t)) : g_strdup(*t);
    json_object_set_boolean_member(o, "selected", code && strcmp(c, code) == 0);
    json_object_set_string_member(o, "name", colon ? colon + 1 : "");
    json_object_set_string_member(o, "code", c);
    json_array_add_object_element(list, o);
  }
  json_object_set_array_member(page, "themes", list);
}

/* The appeal the path names, visible to `u`, or NULL after answering 404. */
static OknoAppeal *visible(OknoReq *req, const OknoUser *u)
{
  g_autoptr(GError) err = NULL;
  OknoAppeal *a = okno_store_appeal_get(req->store, req->path_rest, &err);
  if (a && okno_staff_can(u, OKNO_ACT_VIEW, a, NULL))
    return a;
  if (a)
    okno_appeal_free(a);
  okno_req_error(req, err ? 500 : 404, NULL);
  return NULL;
}

static void form_page(OknoReq *req, const OknoUser *u, const OknoAppeal *a, guint status,
                      const char *error)
{
  JsonObject *o = okno_console_ctx(u);
  g_autofree char *title = g_strdup_printf("Тема классификатора: обращение № %s", a->number);
  json_object_set_string_member(o, "number", a->number);
  okno_console_theme_ctx(req, u, a, o);
  if (error)
    json_object_set_string_member(o, "error_code", error);
  okno_req_page(req, status, "console_theme", title, o);
}

/* The user and the appeal the path names when the user may set its theme, else NULL
 * after answering (404 unseen, 403 a support request or no permission). */
static OknoAppeal *allowed(OknoReq *req, OknoUser **user)
{
  OknoUser *u = okno_console_user(req, FALSE);
  OknoAppeal *a = u ? visible(req, u) : NULL;
  if (a && !can_theme(u, a)) {
    okno_req_error(req, 403, "Тему классификатора задают только обращениям по 59-ФЗ и только "
                             "те, кто ведёт обращение.");
    g_clear_pointer(&a, okno_appeal_free);
  }
  if (!a)
    g_clear_pointer(&u, okno_user_free);
  *user = u;
  return a;
}

static void theme_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = NULL;
  g_autoptr(OknoAppeal) a = allowed(req, &u);
  if (a)
    form_page(req, u, a, 200, NULL);
}

static void theme_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = NULL;
  g_autoptr(OknoAppeal) a = allowed(req, &u);
  g_autoptr(GError) err = NULL;
  const char *code;
  if (!a)
    return;
  code = okno_req_field(req, "code");
  if (!*code || !theme_name(req->cfg, code)) {
    if (req->api) {
      JsonObject *e = json_object_new();
      json_object_set_string_member(e, "code", BAD_CODE);
      okno_req_field_errors(req, e);
      return;
    }
    form_page(req, u, a, 422, BAD_CODE);
    return;
  }
  if (!okno_store_begin(req->store, &err) ||
      !okno_stats_set_theme(req->cfg, req->store, a->number, code, u->login, &err) ||
      !okno_store_commit(req->store, &err)) {
    okno_store_rollback(req->store);
    okno_log_warn("console", "event=theme-failed appeal=%s error=\"%s\"", a->number,
                  err ? err->message : "?");
    okno_req_error(req, 500, NULL);
    return;
  }
  okno_log("console", "event=theme-set appeal=%s code=%s user=%" G_GINT64_FORMAT, a->number,
           code, u->id);
  if (req->api) {
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "code", code);
    json_node_take_object(n, o);
    okno_req_json(req, 200, n);
    return;
  }
  {
    g_autofree char *to = g_strconcat("/console/appeals/", a->number, NULL);
    okno_req_redirect(req, to);
  }
}

static const OknoRoute routes[] = {
  {"GET", "/console/theme/", OKNO_ROUTE_STAFF, theme_get},
  {"POST", "/console/theme/", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, theme_post},
  {"POST", "/api/v1/console/theme/", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, theme_post},
};

void okno_console_theme_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
