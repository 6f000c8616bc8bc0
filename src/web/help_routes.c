/* help_routes.c: the public knowledge base: /help (list and search), /help/ID (one
 * article, its Markdown rendered safe) and /api/v1/help?q= (see help.h; docs/kb.md). */
#include "web/help.h"

#include <string.h>

#include "core/log.h"
#include "ops/kb.h"
#include "text/markdown.h"
#include "web/routes.h"

#define QUERY_MAX_CHARS 2000
#define EXCERPT_CHARS 200
#define LIST_MAX 50

static char *excerpt(const char *md)
{
  g_autofree char *plain = okno_markdown_plain(md);
  g_autofree char *head = NULL;
  const char *end;
  for (char *p = plain; *p; p++)
    if (*p == '\n')
      *p = ' ';
  if (g_utf8_strlen(plain, -1) <= EXCERPT_CHARS)
    return g_steal_pointer(&plain);
  end = g_utf8_offset_to_pointer(plain, EXCERPT_CHARS);
  head = g_strndup(plain, (gsize)(end - plain));
  return g_strconcat(head, "…", NULL);
}

static JsonObject *row(const OknoKbArticle *a)
{
  JsonObject *o = json_object_new();
  g_autofree char *href = g_strdup_printf("/help/%" G_GINT64_FORMAT, a->id);
  g_autofree char *ex = excerpt(a->body);
  json_object_set_int_member(o, "id", a->id);
  json_object_set_string_member(o, "title", a->title);
  json_object_set_string_member(o, "href", href);
  json_object_set_string_member(o, "excerpt", ex);
  json_object_set_string_member(o, "category", a->category);
  return o;
}

static JsonArray *rows(const GPtrArray *all, guint max)
{
  JsonArray *out = json_array_new();
  for (guint i = 0; all && i < all->len && i < max; i++)
    json_array_add_object_element(out, row(all->pdata[i]));
  return out;
}

JsonArray *okno_help_offers(OknoReq *req, const char *text, guint max, guint min_terms)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) found = okno_kb_match(req->store, text, max, min_terms, &err);
  if (!found)
    okno_log_warn("web", "event=kb-match-failed error=\"%s\"", err ? err->message : "?");
  return rows(found, max);
}

/* The query q= trimmed, or NULL after answering 422 when it is too long. */
static char *query_of(OknoReq *req)
{
  const char *q = g_hash_table_lookup(req->query, "q");
  char *t = g_strstrip(g_strdup(q ? q : ""));
  if (g_utf8_strlen(t, -1) > QUERY_MAX_CHARS) {
    g_free(t);
    okno_req_error(req, 422, "Запрос слишком длинный: не больше 2000 знаков.");
    return NULL;
  }
  return t;
}

static void list_get(OknoReq *req)
{
  g_autofree char *q = query_of(req);
  g_autoptr(GError) err = NULL;
  JsonObject *o;
  JsonArray *found;
  if (!q)
    return;
  if (*q) {
    found = okno_help_offers(req, q, LIST_MAX, 1);
  } else {
    g_autoptr(GPtrArray) all = okno_store_kb_list(req->store, TRUE, &err);
    if (!all) {
      okno_log_warn("web", "event=kb-list-failed error=\"%s\"", err->message);
      okno_req_error(req, 500, NULL);
      return;
    }
    found = rows(all, G_MAXUINT);
  }
  o = json_object_new();
  json_object_set_string_member(o, "q", q);
  json_object_set_boolean_member(o, "searched", *q != '\0');
  json_object_set_int_member(o, "count", json_array_get_length(found));
  json_object_set_boolean_member(o, "none", json_array_get_length(found) == 0);
  json_object_set_array_member(o, "articles", found);
  okno_req_page(req, 200, "help", *q ? "Поиск по разделу «Помощь»" : "Помощь", o);
}

static void article_get(OknoReq *req)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoKbArticle) a = NULL;
  g_autofree char *html = NULL;
  char *end = NULL;
  gint64 id = g_ascii_strtoll(req->path_rest, &end, 10);
  JsonObject *o;
  if (!*req->path_rest || *end || id <= 0 || !g_ascii_isdigit(req->path_rest[0])) {
    okno_req_error(req, 404, NULL);
    return;
  }
  a = okno_store_kb_get(req->store, id, &err);
  if (err) {
    okno_log_warn("web", "event=kb-get-failed error=\"%s\"", err->message);
    okno_req_error(req, 500, NULL);
    return;
  }
  if (!a || !a->published) { /* a draft is not public */
    okno_req_error(req, 404, NULL);
    return;
  }
  html = okno_markdown_html(a->body);
  o = row(a);
  json_object_set_string_member(o, "html", html);
  json_object_set_string_member(o, "tags", a->tags);
  okno_req_page(req, 200, "help_article", a->title, o);
}

static void api_get(OknoReq *req)
{
  g_autofree char *q = query_of(req);
  const char *offer = g_hash_table_lookup(req->query, "offer");
  JsonObject *o;
  JsonNode *n;
  if (!q)
    return;
  o = json_object_new();
  /* offer=1: the feedback form's offers: the best three sharing two words with the text */
  json_object_set_array_member(o, "articles",
                               offer ? okno_help_offers(req, q, 3, 2)
                                     : okno_help_offers(req, q, LIST_MAX, 1));
  n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  okno_req_json(req, 200, n);
}

static const OknoRoute routes[] = {
  {"GET", "/help", 0, list_get},
  {"GET", "/help/", 0, article_get},
  {"GET", "/api/v1/help", 0, api_get},
};

void okno_help_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
