/* json.c: JSON-building helpers (see json.h). */
#include "core/json.h"

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
