/* cmd_kb.c: `okno kb` - the knowledge base's articles from the command line (issue 19,
 * docs/kb.md; store/kb.h).
 *
 *   okno kb add     --config C --title T --body FILE|- [--category C] [--tags "a, b"]
 *       a new draft; prints {"id", "version": 1}
 *   okno kb edit    --config C --id N [--title T] [--body FILE|-] [--category C] [--tags T]
 *       a new version (fields not given stay); prints {"id", "version"}
 *   okno kb publish --config C --id N [--draft]
 *       publishes the article (with --draft: takes it back to draft); prints {"id", "published"}
 *   okno kb list    --config C [--published]
 *       one line of JSON per article, last changed first: {"id", "title", "category",
 *       "tags", "published", "version", "author", "updated_at" (Moscow time)}
 * The author is "cli:" and the user running the command. The body is Markdown (UTF-8).
 * A bad field is one line naming it (exit 1), and nothing changes. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "store/kb.h"
#include "store/store.h"

#define BODY_FILE_MAX (4 * 1024 * 1024)

/* The body from `path` ("-": stdin), or NULL with the error printed. */
static char *read_body(const char *path)
{
  g_autoptr(GError) err = NULL;
  char *data = NULL;
  gsize len = 0;
  if (g_strcmp0(path, "-") == 0) {
    GString *s = g_string_new(NULL);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0 && s->len <= BODY_FILE_MAX)
      g_string_append_len(s, buf, (gssize)n);
    len = s->len;
    data = g_string_free(s, FALSE);
  } else if (!g_file_get_contents(path, &data, &len, &err)) {
    fprintf(stderr, "okno: %s\n", err->message);
    return NULL;
  }
  if (len > BODY_FILE_MAX || memchr(data, 0, len)) {
    fprintf(stderr, "okno: the body must be Markdown text of at most 4 MiB\n");
    g_free(data);
    return NULL;
  }
  return data;
}

static void print_json(JsonBuilder *b)
{
  g_autofree char *text = okno_json_text(b, FALSE);
  printf("%s\n", text);
}

static int print_id(gint64 id, const char *key, gint64 value, gboolean boolean)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  okno_json_int(b, "id", id);
  json_builder_set_member_name(b, key);
  if (boolean)
    json_builder_add_boolean_value(b, value != 0);
  else
    json_builder_add_int_value(b, value);
  json_builder_end_object(b);
  print_json(b);
  return 0;
}

static gboolean check(const char *title, const char *body, const char *category,
                      const char *tags)
{
  const char *field = NULL, *message = NULL;
  if (okno_kb_check(title, body, category, tags, &field, &message))
    return TRUE;
  fprintf(stderr, "okno: --%s: %s\n", field, message);
  return FALSE;
}

static int not_found(gint64 id)
{
  fprintf(stderr, "okno: there is no article %" G_GINT64_FORMAT " (okno kb list shows them)\n",
          id);
  return 1;
}

static int cmd_list(OknoStore *st, gboolean published)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) all = okno_store_kb_list(st, published, &err);
  if (!all)
    return okno_cli_fail(err);
  for (guint i = 0; i < all->len; i++) {
    const OknoKbArticle *a = all->pdata[i];
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *at = okno_time_format_msk(a->updated_at);
    json_builder_begin_object(b);
    okno_json_int(b, "id", a->id);
    okno_json_str(b, "title", a->title);
    okno_json_str(b, "category", a->category);
    okno_json_str(b, "tags", a->tags);
    json_builder_set_member_name(b, "published");
    json_builder_add_boolean_value(b, a->published);
    okno_json_int(b, "version", a->version);
    okno_json_str(b, "author", a->author);
    okno_json_str(b, "updated_at", at);
    json_builder_end_object(b);
    print_json(b);
  }
  return 0;
}

int okno_cmd_kb(int argc, char **argv)
{
  g_autofree char *title = NULL, *body_path = NULL, *category = NULL, *tags = NULL;
  g_autofree char *body = NULL, *author = NULL;
  gint64 id = 0, version = 0;
  gboolean draft = FALSE, published = FALSE;
  int code = 0;
  const GOptionEntry extra[] = {
    {"id", 0, 0, G_OPTION_ARG_INT64, &id, "the article's number", "N"},
    {"title", 0, 0, G_OPTION_ARG_STRING, &title, "the article's title", "TEXT"},
    {"body", 0, 0, G_OPTION_ARG_FILENAME, &body_path, "its Markdown text (- for stdin)", "FILE"},
    {"category", 0, 0, G_OPTION_ARG_STRING, &category, "its category", "TEXT"},
    {"tags", 0, 0, G_OPTION_ARG_STRING, &tags, "its tags, comma-separated", "TEXT"},
    {"draft", 0, 0, G_OPTION_ARG_NONE, &draft, "publish: take back to draft", NULL},
    {"published", 0, 0, G_OPTION_ARG_NONE, &published, "list: published ones only", NULL},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(OknoConfig) cfg =
    okno_cli_setup(&argc, &argv, "add|edit|publish|list - knowledge-base articles", extra, &code);
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(GError) err = NULL;
  const char *sub = argc >= 2 ? argv[1] : "";
  if (!cfg)
    return code;
  if (argc != 2 || (strcmp(sub, "add") && strcmp(sub, "edit") && strcmp(sub, "publish") &&
                    strcmp(sub, "list"))) {
    fprintf(stderr, "okno: kb takes one of add, edit, publish, list, e.g. okno kb add --config "
                    "okno.ini --title \"Не приходит код из СМС\" --body article.md\n");
    return 1;
  }
  if (strcmp(sub, "add") && strcmp(sub, "list") && id <= 0) {
    fprintf(stderr, "okno: kb %s needs --id N (okno kb list shows the numbers)\n", sub);
    return 1;
  }
  if (!strcmp(sub, "add") && (!title || !body_path)) {
    fprintf(stderr, "okno: kb add needs --title and --body FILE (Markdown; - for stdin)\n");
    return 1;
  }
  if (body_path && !(body = read_body(body_path)))
    return 1;
  author = g_strconcat("cli:", g_get_user_name(), NULL);
  if (!strcmp(sub, "add") && !check(title, body, category, tags))
    return 1;
  st = okno_store_open(cfg->store_url, &err);
  if (!st)
    return okno_cli_fail(err);
  if (!strcmp(sub, "list"))
    return cmd_list(st, published);
  if (!strcmp(sub, "add")) {
    if (!okno_store_begin(st, &err) ||
        !(id = okno_store_kb_add(st, title, body, category, tags, author, &err)) ||
        !okno_store_commit(st, &err)) {
      okno_store_rollback(st);
      return okno_cli_fail(err);
    }
    return print_id(id, "version", 1, FALSE);
  }
  if (!strcmp(sub, "edit")) {
    g_autoptr(OknoKbArticle) a = okno_store_kb_get(st, id, &err);
    if (!a)
      return err ? okno_cli_fail(err) : not_found(id);
    if (!check(title ? title : a->title, body ? body : a->body,
               category ? category : a->category, tags ? tags : a->tags))
      return 1;
    if (!okno_store_begin(st, &err) ||
        !okno_store_kb_edit(st, id, title, body, category, tags, author, &version, &err) ||
        !okno_store_commit(st, &err)) {
      okno_store_rollback(st);
      return err ? okno_cli_fail(err) : not_found(id);
    }
    return print_id(id, "version", version, FALSE);
  }
  if (!okno_store_kb_publish(st, id, !draft, &err))
    return err ? okno_cli_fail(err) : not_found(id);
  return print_id(id, "published", !draft, TRUE);
}
