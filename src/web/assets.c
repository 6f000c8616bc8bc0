/* assets.c: the web's templates and static files as one reference-counted set (the
 * contract is in assets.h). The server holds the current set and swaps it on reload
 * (server.c, okno_web_reload); requests hold the set they started with. */
#include "web/assets.h"

#include <string.h>

#include "core/error.h"

typedef struct {
  GBytes *data;
  const char *content_type;
} StaticFile;

struct OknoWebAssets {
  gatomicrefcount ref;
  OknoTemplatePartials *templates;
  GHashTable *statics; /* name under /static/ -> StaticFile* */
};

static void static_free(gpointer p)
{
  StaticFile *s = p;
  g_bytes_unref(s->data);
  g_free(s);
}

static const char *static_type(const char *name)
{
  static const struct { const char *ext, *type; } types[] = {
    {".css", "text/css; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
    {".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
    if (g_str_has_suffix(name, types[i].ext))
      return types[i].type;
  return NULL;
}

static gboolean load_templates(OknoWebAssets *a, const char *dir, GError **error)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, error);
  const char *name;
  if (!d) {
    g_prefix_error(error, "[http] web_dir: ");
    if (*error)
      (*error)->domain = OKNO_ERROR, (*error)->code = OKNO_ERROR_USER;
    return FALSE;
  }
  while ((name = g_dir_read_name(d))) {
    g_autofree char *path = NULL, *text = NULL, *tname = NULL;
    gsize len = 0;
    if (!g_str_has_suffix(name, ".html"))
      continue;
    path = g_build_filename(dir, name, NULL);
    if (!g_file_get_contents(path, &text, &len, error))
      return FALSE;
    tname = g_strndup(name, strlen(name) - 5);
    if (!okno_template_partials_add(a->templates, tname, text, len, error))
      return FALSE;
  }
  if (!okno_template_partials_lookup(a->templates, "layout") ||
      !okno_template_partials_lookup(a->templates, "error")) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "[http] web_dir %s has no layout.html or error.html", dir);
    return FALSE;
  }
  return TRUE;
}

static void load_statics(OknoWebAssets *a, const char *dir)
{
  g_autofree char *sdir = g_build_filename(dir, "static", NULL);
  g_autoptr(GDir) d = g_dir_open(sdir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *path = g_build_filename(sdir, name, NULL);
    char *data = NULL;
    gsize len = 0;
    const char *type = static_type(name);
    StaticFile *s;
    if (!type || !g_file_get_contents(path, &data, &len, NULL))
      continue;
    s = g_new0(StaticFile, 1);
    s->data = g_bytes_new_take(data, len);
    s->content_type = type;
    g_hash_table_insert(a->statics, g_strdup(name), s);
  }
}

OknoWebAssets *okno_web_assets_load(const char *dir, GError **error)
{
  OknoWebAssets *a = g_new0(OknoWebAssets, 1);
  g_atomic_ref_count_init(&a->ref);
  a->templates = okno_template_partials_new();
  a->statics = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, static_free);
  if (!load_templates(a, dir, error)) {
    okno_web_assets_unref(a);
    return NULL;
  }
  load_statics(a, dir);
  return a;
}

OknoWebAssets *okno_web_assets_ref(OknoWebAssets *a)
{
  g_atomic_ref_count_inc(&a->ref);
  return a;
}

void okno_web_assets_unref(OknoWebAssets *a)
{
  if (!a || !g_atomic_ref_count_dec(&a->ref))
    return;
  okno_template_partials_free(a->templates);
  g_hash_table_destroy(a->statics);
  g_free(a);
}

OknoTemplatePartials *okno_web_assets_templates(const OknoWebAssets *a)
{
  return a->templates;
}

GBytes *okno_web_assets_static(const OknoWebAssets *a, const char *name, const char **content_type)
{
  const StaticFile *s = g_hash_table_lookup(a->statics, name);
  if (!s)
    return NULL;
  *content_type = s->content_type;
  return g_bytes_ref(s->data);
}
