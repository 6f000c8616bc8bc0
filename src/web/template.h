/* template.h: okno's template engine for web pages and mail, a logic-less mustache
 * subset that passes the official mustache spec (interpolation, sections, inverted
 * sections, comments, partials, set delimiters; lambdas are not supported).
 *
 * A template is compiled once into a tree and rendered many times against a json-glib
 * JsonNode (objects, arrays, strings, numbers, booleans, null: the spec's data model).
 * {{name}} is HTML-escaped (& < > " ' become &amp; &lt; &gt; &quot; &#39;); {{{name}}}
 * and {{&name}} are raw. Partials come from an OknoTemplatePartials set, each compiled
 * once; a partial missing from the set renders as nothing (as the spec asks).
 *
 * Caps (every one gives a precise OKNO_ERROR_USER error, never a truncated result):
 * template source size, section nesting depth, partial nesting depth (so a template
 * including itself stops), output size and render work (nodes visited, so exponential
 * self-inclusion stops). Syntax errors read "name:line: message". Error messages are
 * in English: they are for template authors and logs, never shown to citizens. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>

#define OKNO_TEMPLATE_MAX_SOURCE        (1024 * 1024)     /* bytes of one template */
#define OKNO_TEMPLATE_MAX_NESTING       64                /* sections open at once */
#define OKNO_TEMPLATE_MAX_PARTIAL_DEPTH 32                /* partials inside partials */
#define OKNO_TEMPLATE_MAX_OUTPUT        (4 * 1024 * 1024) /* bytes of one render */
#define OKNO_TEMPLATE_MAX_STEPS         1000000           /* nodes visited by one render */
#define OKNO_TEMPLATE_MAX_DELIMITER     16                /* bytes of a {{=a b=}} delimiter */

typedef struct _OknoTemplate OknoTemplate;
typedef struct _OknoTemplatePartials OknoTemplatePartials;

/* Compiles `len` bytes of `text` (any bytes; NULs are text). `name` (copied) names the
 * template in errors. Returns a new template owned by the caller (okno_template_free),
 * or NULL with OKNO_ERROR_USER "name:line: ..." on a syntax error (unclosed tag or
 * section, mismatched or stray close, empty name, bad delimiter change, nesting or
 * size over the caps). */
OknoTemplate *okno_template_compile(const char *text, gsize len, const char *name,
                                    GError **error);
void okno_template_free(OknoTemplate *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoTemplate, okno_template_free)

/* The name given at compile time (owned by the template). */
const char *okno_template_name(const OknoTemplate *t);

/* Renders `t` with `context` at the bottom of the context stack (NULL renders with an
 * empty context; the node is borrowed, not modified). `partials` may be NULL (every
 * {{>x}} is then empty). Returns a new NUL-terminated string (g_free), or NULL with
 * OKNO_ERROR_USER "name:line: ..." when a cap is exceeded. */
char *okno_template_render(const OknoTemplate *t, JsonNode *context,
                           OknoTemplatePartials *partials, GError **error);

/* A named set of compiled templates, used for {{>name}} and to look pages up by name. */
OknoTemplatePartials *okno_template_partials_new(void);
void okno_template_partials_free(OknoTemplatePartials *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoTemplatePartials, okno_template_partials_free)

/* Compiles `text` under `name` (copied) and adds it to the set, replacing any template
 * of that name. FALSE with the compile error (the set unchanged) on a syntax error. */
gboolean okno_template_partials_add(OknoTemplatePartials *p, const char *name,
                                    const char *text, gsize len, GError **error);

/* The template of that name in the set (owned by the set), or NULL. */
const OknoTemplate *okno_template_partials_lookup(const OknoTemplatePartials *p,
                                                  const char *name);
