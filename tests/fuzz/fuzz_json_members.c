/* fuzz_json_members.c: fuzz driver for the member scanner of core/json.h
 * (okno_json_scan_members), which event details are sealed and opened with.
 *
 * Invariants checked on any input: every token given lies inside the input, key tokens
 * are strings (begin and end with a quote), members come in order without overlap;
 * and when the scanner accepts the text, so does json-glib's parser, as an object with
 * as many members (duplicates aside) as the scanner saw, and rebuilding the text from
 * the tokens and the gaps between them gives the input back byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
  const char *text;
  gsize len, last_end, members;
  GString *rebuilt;
} Walk;

static void on_member(gsize key_at, gsize key_len, gsize value_at, gsize value_len, void *user)
{
  Walk *w = user;
  if (key_at < w->last_end || key_len < 2 || key_at + key_len > value_at ||
      value_len == 0 || value_at + value_len > w->len || w->text[key_at] != '"' ||
      w->text[key_at + key_len - 1] != '"')
    abort();
  g_string_append_len(w->rebuilt, w->text + w->last_end, value_at - w->last_end);
  g_string_append_len(w->rebuilt, w->text + value_at, value_len);
  w->last_end = value_at + value_len;
  w->members++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, size);
  gsize len = strlen(text);
  Walk w = {.text = text, .len = len, .rebuilt = g_string_new(NULL)};
  gboolean ok = okno_json_scan_members(text, len, on_member, &w);
  if (ok) {
    g_autoptr(JsonParser) p = json_parser_new();
    g_string_append(w.rebuilt, text + w.last_end);
    if (strcmp(w.rebuilt->str, text) != 0)
      abort();
    /* the scanner does not check numbers, literals or escapes: only a text json-glib
     * accepts is compared further */
    if (g_utf8_validate(text, -1, NULL) && json_parser_load_from_data(p, text, -1, NULL)) {
      JsonNode *root = json_parser_get_root(p);
      if (!root || !JSON_NODE_HOLDS_OBJECT(root) ||
          json_object_get_size(json_node_get_object(root)) > w.members)
        abort();
    }
  }
  g_string_free(w.rebuilt, TRUE);
  return 0;
}
