/* fuzz_template.c: fuzz driver for the template engine (web/template.h).
 *
 * Compiles the input bytes as a template and, when that succeeds, renders it against a
 * small fixed context (strings with HTML specials, numbers, nested objects, lists, null,
 * false) with a partial set holding the input itself as "self" and a fixed "item"
 * partial, so self-inclusion, sections over lists and indentation are all reached.
 * Checks the invariants: a failed compile or render sets an OKNO_ERROR_USER error and
 * returns NULL; a successful render fits the output cap. Nothing may leak, crash or
 * hang (the caps bound the work). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/error.h"
#include "web/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char context_json[] =
  "{\"name\": \"<Анна> & 'Co' \\\"q\\\"\", \"n\": 42, \"pi\": 3.25, \"yes\": true,"
  " \"no\": false, \"none\": null, \"empty\": \"\","
  " \"list\": [{\"name\": \"a\", \"list\": []}, {\"name\": \"b\"}, 1, \"s\", [1, 2]],"
  " \"obj\": {\"a\": {\"b\": {\"c\": \"deep\"}}, \"list\": [true, false]}}";

static void check_error(const GError *err)
{
  if (!err || !g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER) || !err->message[0])
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoTemplate) t = okno_template_compile((const char *)data, size, "fuzz", &err);
  if (!t) {
    check_error(err);
    return 0;
  }
  g_autoptr(OknoTemplatePartials) partials = okno_template_partials_new();
  if (!okno_template_partials_add(partials, "self", (const char *)data, size, NULL) ||
      !okno_template_partials_add(partials, "item", "  <li>{{name}}</li>\n  {{>self}}\n",
                                  strlen("  <li>{{name}}</li>\n  {{>self}}\n"), NULL))
    abort();
  g_autoptr(JsonNode) ctx = json_from_string(context_json, NULL);
  if (!ctx)
    abort();
  g_autofree char *out = okno_template_render(t, ctx, partials, &err);
  if (!out)
    check_error(err);
  else if (strlen(out) > OKNO_TEMPLATE_MAX_OUTPUT)
    abort();
  return 0;
}
