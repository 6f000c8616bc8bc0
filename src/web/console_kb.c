/* console_kb.c: the knowledge base in the console (issue 19, docs/kb.md): supervisors
 * and administrators (OKNO_ACT_MANAGE_KB) list the articles, write new ones (drafts),
 * edit them (every save a new version, kept), preview the Markdown as citizens will
 * see it, and publish or take back to draft.
 *   GET  /console/kb              the list
 *   GET  /console/kb/new          an empty article
 *   POST /console/kb/new          saves a draft -> /console/kb/ID
 *   GET  /console/kb/ID           the article: form, preview, versions
 *   POST /console/kb/ID           saves a new version
 *   POST /console/kb/ID/publish   published=1 publishes, published=0 takes it back */
#include "web/help.h"

#include <string.h>

#include "core/log.h"
#include "store/kb.h"
#include "text/markdown.h"
#include "web/console.h"

/* The signed-in user allowed to manage articles, or NULL after answering. */
static OknoUser *kb_user(OknoReq *req)
{
  OknoUser *u = okno_console_user(req, FALSE);
  if (u && !okno_staff_can(u, OKNO_ACT_MANAGE_KB, NULL, NULL)) {
    okno_user_free(u);
    okno_req_error(req, 403, "Недостаточно прав для этого действия.");
    return NULL;
  }
  return u;
}

static void fail(OknoReq *req, const char *what, const GError *err)
{
  okno_log_warn("console", "event=kb-%s-failed error=\"%s\"", what, err ? err->message : "?");
  okno_req_error(req, 500, NULL);
}

static void list_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = kb_user(req);
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) all = NULL;
  JsonObject *o;
  JsonArray *rows;
  if (!u)
    return;
  if (!(all = okno_store_kb_list(req->store, FALSE, &err))) {
    fail(req, "list", err);
    return;
  }
  o = okno_console_ctx(u);
  rows = json_array_new();
  for (guint i = 0; i < all->len; i++) {
    const OknoKbArticle *a = all->pdata[i];
    JsonObject *r = json_object_new();
    g_autofree char *at = okno_console_time(a->updated_at);
    json_object_set_int_member(r, "id", a->id);
    json_object_set_string_member(r, "title", a->title);
    json_object_set_string_member(r, "category", a->category);
    json_object_set_boolean_member(r, "published", a->published);
    json_object_set_int_member(r, "version", a->version);
    json_object_set_string_member(r, "author", a->author);
    json_object_set_string_member(r, "updated_text", at);
    json_array_add_object_element(rows, r);
  }
  json_object_set_boolean_member(o, "none", all->len == 0);
  json_object_set_array_member(o, "articles", rows);
  okno_req_page(req, 200, "console_kb", "База знаний", o);
}

/* The article page: `a` (NULL: a new one) with the form's values when `error_field`
 * is set (422), else the article's. */
static void article_page(OknoReq *req, const OknoUser *u, const OknoKbArticle *a, guint status,
                         const char *error_field, const char *error)
{
  JsonObject *o = okno_console_ctx(u);
  const char *names[4] = {"title", "body", "category", "tags"};
  for (int i = 0; i < 4; i++) {
    const char *v = error_field || !a ? okno_req_field(req, names[i])
                    : i == 0          ? a->title
                    : i == 1          ? a->body
                    : i == 2          ? a->category
                                      : a->tags;
    json_object_set_string_member(o, names[i], v);
  }
  if (error_field) {
    g_autofree char *k = g_strconcat("error_", error_field, NULL);
    json_object_set_string_member(o, k, error);
    json_object_set_boolean_member(o, "has_errors", TRUE);
  }
  if (a) {
    g_autoptr(GPtrArray) versions = okno_store_kb_versions(req->store, a->id, NULL);
    g_autofree char *html = okno_markdown_html(a->body);
    JsonArray *va = json_array_new();
    json_object_set_int_member(o, "id", a->id);
    json_object_set_boolean_member(o, "published", a->published);
    json_object_set_int_member(o, "version", a->version);
    json_object_set_string_member(o, "html", html);
    for (guint i = 0; versions && i < versions->len; i++) {
      const OknoKbArticle *v = versions->pdata[i];
      JsonObject *r = json_object_new();
      g_autofree char *at = okno_console_time(v->updated_at);
      json_object_set_int_member(r, "version", v->version);
      json_object_set_string_member(r, "title", v->title);
      json_object_set_string_member(r, "author", v->author);
      json_object_set_string_member(r, "at_text", at);
      json_array_add_object_element(va, r);
    }
    json_object_set_array_member(o, "versions", va);
  } else {
    json_object_set_boolean_member(o, "is_new", TRUE);
  }
  okno_req_page(req, status, "console_kb_article", a ? a->title : "Новая статья", o);
}

/* The article named by path_rest ("ID" or "ID/publish"), *tail the rest; NULL after
 * answering 404 (or 500). */
static OknoKbArticle *article_of(OknoReq *req, const char **tail)
{
  g_autoptr(GError) err = NULL;
  char *end = NULL;
  gint64 id = g_ascii_strtoll(req->path_rest, &end, 10);
  OknoKbArticle *a;
  if (!g_ascii_isdigit(req->path_rest[0]) || id <= 0 || (*end && *end != '/')) {
    okno_req_error(req, 404, NULL);
    return NULL;
  }
  *tail = end;
  a = okno_store_kb_get(req->store, id, &err);
  if (!a) {
    if (err)
      fail(req, "get", err);
    else
      okno_req_error(req, 404, NULL);
  }
  return a;
}

static void new_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = kb_user(req);
  if (u)
    article_page(req, u, NULL, 200, NULL, NULL);
}

/* The form's fields, checked; FALSE after answering 422. */
static gboolean fields_ok(OknoReq *req, const OknoUser *u, const OknoKbArticle *a)
{
  const char *field = NULL, *message = NULL;
  if (okno_kb_check(okno_req_field(req, "title"), okno_req_field(req, "body"),
                    okno_req_field(req, "category"), okno_req_field(req, "tags"), &field,
                    &message))
    return TRUE;
  article_page(req, u, a, 422, field, message);
  return FALSE;
}

static void new_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = kb_user(req);
  g_autoptr(GError) err = NULL;
  g_autofree char *title = NULL, *loc = NULL;
  gint64 id;
  if (!u || !fields_ok(req, u, NULL))
    return;
  title = g_strstrip(g_strdup(okno_req_field(req, "title")));
  if (!okno_store_begin(req->store, &err) ||
      !(id = okno_store_kb_add(req->store, title, okno_req_field(req, "body"),
                               okno_req_field(req, "category"), okno_req_field(req, "tags"),
                               u->login, &err)) ||
      !okno_store_commit(req->store, &err)) {
    okno_store_rollback(req->store);
    fail(req, "add", err);
    return;
  }
  okno_log("console", "event=kb-added article=%" G_GINT64_FORMAT " by=%s", id, u->login);
  loc = g_strdup_printf("/console/kb/%" G_GINT64_FORMAT, id);
  okno_req_redirect(req, loc);
}

static void article_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = kb_user(req);
  g_autoptr(OknoKbArticle) a = NULL;
  const char *tail = "";
  if (!u || !(a = article_of(req, &tail)))
    return;
  if (*tail) {
    okno_req_error(req, 404, NULL);
    return;
  }
  article_page(req, u, a, 200, NULL, NULL);
}

static void article_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = kb_user(req);
  g_autoptr(OknoKbArticle) a = NULL;
  g_autoptr(GError) err = NULL;
  g_autofree char *loc = NULL, *title = NULL;
  const char *tail = "";
  gboolean ok;
  if (!u || !(a = article_of(req, &tail)))
    return;
  loc = g_strdup_printf("/console/kb/%" G_GINT64_FORMAT, a->id);
  if (strcmp(tail, "/publish") == 0) {
    gboolean on = strcmp(okno_req_field(req, "published"), "1") == 0;
    if (!okno_store_kb_publish(req->store, a->id, on, &err)) {
      fail(req, "publish", err);
      return;
    }
    okno_log("console", "event=kb-%s article=%" G_GINT64_FORMAT " by=%s",
             on ? "published" : "unpublished", a->id, u->login);
    okno_req_redirect(req, loc);
    return;
  }
  if (*tail) {
    okno_req_error(req, 404, NULL);
    return;
  }
  if (!fields_ok(req, u, a))
    return;
  title = g_strstrip(g_strdup(okno_req_field(req, "title")));
  ok = okno_store_begin(req->store, &err) &&
       okno_store_kb_edit(req->store, a->id, title, okno_req_field(req, "body"),
                          okno_req_field(req, "category"), okno_req_field(req, "tags"),
                          u->login, NULL, &err) &&
       okno_store_commit(req->store, &err);
  if (!ok) {
    okno_store_rollback(req->store);
    fail(req, "edit", err);
    return;
  }
  okno_log("console", "event=kb-edited article=%" G_GINT64_FORMAT " by=%s", a->id, u->login);
  okno_req_redirect(req, loc);
}

#define ST OKNO_ROUTE_STAFF
#define SC OKNO_ROUTE_STATE_CHANGING

static const OknoRoute routes[] = {
  {"GET", "/console/kb", ST, list_get},
  {"GET", "/console/kb/new", ST, new_get},
  {"POST", "/console/kb/new", ST | SC, new_post},
  {"GET", "/console/kb/", ST, article_get},
  {"POST", "/console/kb/", ST | SC, article_post},
};

void okno_console_kb_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
