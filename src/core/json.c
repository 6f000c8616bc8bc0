/* json.c: JSON-building helpers (see json.h). */
#include "core/json.h"

#include <math.h>
#include <string.h>

/* A JSON string is UTF-8: a value that is not (a header's raw 8-bit bytes, say a
 * Message-ID) gets U+FFFD for each bad sequence instead of making the text invalid
 * (PostgreSQL refuses such text; a parser refuses such JSON). Found by
 * fuzz_intake_parse. */
static void add_string(JsonBuilder *b, const char *value)
{
  if (!value)
    value = "";
  if (g_utf8_validate(value, -1, NULL)) {
    json_builder_add_string_value(b, value);
  } else {
    g_autofree char *valid = g_utf8_make_valid(value, -1);
    json_builder_add_string_value(b, valid);
  }
}

void okno_json_str(JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name(b, name);
  add_string(b, value);
}

void okno_json_bool(JsonBuilder *b, const char *name, gboolean value)
{
  json_builder_set_member_name(b, name);
  json_builder_add_boolean_value(b, value);
}

void okno_json_int(JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, value);
}

void okno_json_double(JsonBuilder *b, const char *name, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (name)
    json_builder_set_member_name(b, name);
  if (!isfinite(value)) {
    json_builder_add_null_value(b);
    return;
  }
  /* json-glib's generator prints the shortest form and appends ".0" when it has no '.':
   * 1e+20 would come out as "1e+20.0". The neighbour one ulp nearer zero has a long
   * shortest form, with a '.', so that one is written instead (a relative change of
   * 1e-16). Zero and the smallest subnormals end as "0" or a form with a '.'. */
  for (int i = 0; i < 4; i++) {
    g_ascii_dtostr(buf, sizeof buf, value);
    if (!strchr(buf, 'e') || strchr(buf, '.'))
      break;
    value = nextafter(value, 0.0);
  }
  json_builder_add_double_value(b, value);
}

void okno_json_strv(JsonBuilder *b, const char *name, const char *const *values)
{
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  for (; values && *values; values++)
    add_string(b, *values);
  json_builder_end_array(b);
}

void okno_json_ptrv(JsonBuilder *b, const char *name, const GPtrArray *values)
{
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  for (guint i = 0; values && i < values->len; i++)
    add_string(b, g_ptr_array_index(values, i));
  json_builder_end_array(b);
}

char *okno_json_text(JsonBuilder *b, gboolean pretty)
{
  g_autoptr(JsonGenerator) g = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  json_generator_set_root(g, root);
  json_generator_set_pretty(g, pretty);
  return json_generator_to_data(g, NULL);
}

JsonObject *okno_json_object_parse(const char *text)
{
  g_autoptr(JsonParser) p = json_parser_new();
  if (!text || !json_parser_load_from_data(p, text, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
    return NULL;
  return json_object_ref(json_node_get_object(json_parser_get_root(p)));
}

/* ---- the member scanner ---- */

#define SCAN_DEPTH 64

static gsize skip_space(const char *s, gsize len, gsize i)
{
  while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
    i++;
  return i;
}

/* The end (one past the closing quote) of the string starting at s[i] == '"'; 0 when
 * it does not end. */
static gsize string_end(const char *s, gsize len, gsize i)
{
  for (i++; i < len; i++) {
    if (s[i] == '\\')
      i++;
    else if (s[i] == '"')
      return i + 1;
  }
  return 0;
}

/* The end of the value token starting at s[i]; 0 when it is not one. */
static gsize value_end(const char *s, gsize len, gsize i)
{
  int depth = 0;
  if (i >= len)
    return 0;
  if (s[i] == '"')
    return string_end(s, len, i);
  if (s[i] != '{' && s[i] != '[') {
    gsize at = i;
    while (i < len && !strchr(",}] \t\r\n\"{[:", s[i]))
      i++;
    return i > at ? i : 0;
  }
  for (; i < len; i++) {
    if (s[i] == '"') {
      gsize e = string_end(s, len, i);
      if (!e)
        return 0;
      i = e - 1;
    } else if (s[i] == '{' || s[i] == '[') {
      if (++depth > SCAN_DEPTH)
        return 0;
    } else if (s[i] == '}' || s[i] == ']') {
      if (--depth == 0)
        return i + 1;
    }
  }
  return 0;
}

gboolean okno_json_scan_members(const char *json, gsize len, OknoJsonMemberFn fn, void *user)
{
  gsize i;
  if (!json)
    return FALSE;
  i = skip_space(json, len, 0);
  if (i >= len || json[i] != '{')
    return FALSE;
  i = skip_space(json, len, i + 1);
  if (i < len && json[i] == '}')
    return skip_space(json, len, i + 1) == len;
  for (;;) {
    gsize key_at = i, key_end, value_at, end;
    if (i >= len || json[i] != '"' || !(key_end = string_end(json, len, i)))
      return FALSE;
    i = skip_space(json, len, key_end);
    if (i >= len || json[i] != ':')
      return FALSE;
    value_at = skip_space(json, len, i + 1);
    if (!(end = value_end(json, len, value_at)))
      return FALSE;
    fn(key_at, key_end - key_at, value_at, end - value_at, user);
    i = skip_space(json, len, end);
    if (i < len && json[i] == ',') {
      i = skip_space(json, len, i + 1);
      continue;
    }
    if (i < len && json[i] == '}')
      return skip_space(json, len, i + 1) == len;
    return FALSE;
  }
}
