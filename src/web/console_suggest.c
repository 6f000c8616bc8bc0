/* console_suggest.c: answer suggestions for operators (issue 19, item 4; docs/kb.md):
 * for an appeal, the published articles that match it and the most similar answered
 * appeals with their answers (ops/kb.h), each insertable into the reply.
 *   GET /console/suggest/NUMBER             the page (linked from the appeal page)
 *   GET /console/suggest/NUMBER?use=a12     a reply form filled with article 12's text
 *   GET /console/suggest/NUMBER?use=c26-..  ... with that appeal's answer
 *   GET /api/v1/console/suggest/NUMBER      the same as JSON for kb_suggest.js, which
 *                                           fills the appeal page's reply box
 * The user must be allowed to view the appeal (404 otherwise, as everywhere in the
 * console); similar appeals are shown only when the user may view them too, and each
 * one shown is a read of it in the staff access journal (store/access.h: action
 * "view", detail "suggested for NUMBER"), as opening its page would be. */
#include "web/help.h"

#include <string.h>

#include "core/log.h"
#include "ops/kb.h"
#include "store/access.h"
#include "store/appeals.h"
#include "text/markdown.h"
#include "web/console.h"

#define ARTICLES 3
#define CASES 3

static JsonObject *item(const char *kind, const char *key, const char *title, const char *href,
                        const char *text, const char *use)
{
  JsonObject *r = json_object_new();
  json_object_set_string_member(r, "kind", kind);
  json_object_set_string_member(r, "key", key);
  json_object_set_string_member(r, "title", title);
  json_object_set_string_member(r, "href", href);
  json_object_set_string_member(r, "text", text);
  json_object_set_string_member(r, "use_href", use);
  return r;
}

/* Journals that `u` read case `c` as a suggestion for appeal `number`. */
static gboolean journal_case(OknoReq *req, const OknoUser *u, const OknoKbCase *c,
                             const char *number, GError **error)
{
  g_autofree char *detail = g_strconcat("suggested for ", number, NULL);
  gboolean own = u->departments && *c->department &&
                 g_strv_contains((const char *const *)u->departments, c->department);
  OknoAccessRow r = {
      .user_id = u->id,
      .login = u->login,
      .role = u->role,
      .department = own ? c->department
                        : (u->departments && u->departments[0] ? u->departments[0] : ""),
      .ip = (char *)(req->client_ip ? req->client_ip : ""),
      .action = (char *)"view",
      .appeal_id = c->id,
      .detail = detail,
  };
  return okno_store_access_record(req->store, &r, error);
}

static void suggest_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoAppeal) a = NULL;
  g_autoptr(GPtrArray) arts = NULL, cases = NULL;
  g_autofree char *text = NULL;
  const char *use = g_hash_table_lookup(req->query, "use");
  JsonObject *o;
  JsonArray *items;
  const char *chosen = NULL;
  if (!u)
    return;
  a = okno_store_appeal_get(req->store, req->path_rest, &err);
  if (!a && !err) {
    okno_req_error(req, 404, NULL);
    return;
  }
  if (a && !okno_staff_can(u, OKNO_ACT_VIEW, a, NULL)) {
    okno_req_error(req, 404, NULL);
    return;
  }
  if (!a || !(text = okno_store_kb_appeal_text(req->store, a->id, &err)) ||
      !(arts = okno_kb_match(req->store, text, ARTICLES, 2, &err)) ||
      !(cases = okno_kb_similar(req->store, text, a->id, CASES * 3, &err))) {
    okno_log_warn("console", "event=suggest-failed error=\"%s\"", err ? err->message : "?");
    okno_req_error(req, 500, NULL);
    return;
  }
  o = okno_console_ctx(u);
  items = json_array_new();
  for (guint i = 0; i < arts->len; i++) {
    const OknoKbArticle *k = arts->pdata[i];
    g_autofree char *key = g_strdup_printf("a%" G_GINT64_FORMAT, k->id);
    g_autofree char *href = g_strdup_printf("/help/%" G_GINT64_FORMAT, k->id);
    g_autofree char *plain = okno_markdown_plain(k->body);
    g_autofree char *use_href = g_strdup_printf("/console/suggest/%s?use=%s#reply-text",
                                                a->number, key);
    json_array_add_object_element(items, item("article", key, k->title, href, plain, use_href));
    if (g_strcmp0(use, key) == 0)
      chosen = json_object_get_string_member(
          json_array_get_object_element(items, json_array_get_length(items) - 1), "text");
  }
  for (guint i = 0, shown = 0; i < cases->len && shown < CASES; i++) {
    const OknoKbCase *c = cases->pdata[i];
    OknoAppeal other = {.department = c->department};
    g_autofree char *key = NULL, *href = NULL, *title = NULL, *use_href = NULL;
    if (!okno_staff_can(u, OKNO_ACT_VIEW, &other, NULL))
      continue;
    if (!journal_case(req, u, c, a->number, &err)) {
      okno_log_warn("console", "event=suggest-journal-failed error=\"%s\"", err->message);
      json_object_unref(o);
      json_array_unref(items);
      okno_req_error(req, 500, NULL);
      return;
    }
    shown++;
    key = g_strconcat("c", c->number, NULL);
    href = g_strconcat("/console/appeals/", c->number, NULL);
    title = g_strdup_printf("Обращение № %s: %s", c->number, c->subject);
    use_href = g_strdup_printf("/console/suggest/%s?use=%s#reply-text", a->number, key);
    json_array_add_object_element(items, item("case", key, title, href, c->answer, use_href));
    if (g_strcmp0(use, key) == 0)
      chosen = json_object_get_string_member(
          json_array_get_object_element(items, json_array_get_length(items) - 1), "text");
  }
  json_object_set_string_member(o, "number", a->number);
  json_object_set_int_member(o, "version", a->version);
  json_object_set_boolean_member(o, "none", json_array_get_length(items) == 0);
  json_object_set_boolean_member(o, "can_reply", okno_staff_can(u, OKNO_ACT_REPLY, a, NULL));
  if (chosen)
    json_object_set_string_member(o, "chosen", chosen);
  json_object_set_array_member(o, "items", items);
  if (req->api) {
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    okno_req_json(req, 200, n);
    return;
  }
  okno_req_page(req, 200, "console_suggest", "Подсказки для ответа", o);
}

static const OknoRoute routes[] = {
  {"GET", "/console/suggest/", OKNO_ROUTE_STAFF, suggest_get},
  {"GET", "/api/v1/console/suggest/", OKNO_ROUTE_STAFF, suggest_get},
};

void okno_console_suggest_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
