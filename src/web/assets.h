/* assets.h: the web's templates and static files, loaded from [http] web_dir, as one
 * immutable set that SIGHUP can replace while requests are being answered.
 *
 * Contract: okno_web_assets_load() reads every NAME.html of the directory as the
 * template NAME and every file of its static/ folder of a known type; it fails (and
 * makes nothing) when the directory cannot be read, a template does not compile, or
 * layout.html or error.html is missing. A set is immutable once loaded and counted by
 * references: a request takes one with okno_web_assets_ref() for as long as it renders
 * or sends a file, so a reload never frees what is in use. */
#pragma once
#include <glib.h>

#include "web/template.h"

typedef struct OknoWebAssets OknoWebAssets;

OknoWebAssets *okno_web_assets_load(const char *dir, GError **error);
OknoWebAssets *okno_web_assets_ref(OknoWebAssets *a);
void okno_web_assets_unref(OknoWebAssets *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoWebAssets, okno_web_assets_unref)

/* The compiled templates (page names, partials). Borrowed from the set; read only
 * (okno_template_render takes it as partials). */
OknoTemplatePartials *okno_web_assets_templates(const OknoWebAssets *a);

/* The static file `name` (under /static/), its bytes (a new reference, caller unrefs)
 * and its Content-Type; NULL when there is none. */
GBytes *okno_web_assets_static(const OknoWebAssets *a, const char *name, const char **content_type);
