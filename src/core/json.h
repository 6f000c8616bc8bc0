/* json.h: the few JSON-building steps every printer of okno repeats (json-glib).
 *
 * Members are added to the object being built in `b`: a NULL string is written as "",
 * so readers never meet a null where the contract promises a string, and a string that
 * is not UTF-8 gets U+FFFD for each bad sequence (the JSON stays valid). okno_json_text()
 * finishes the builder into a string (caller frees). */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>

void okno_json_str(JsonBuilder *b, const char *name, const char *value);
void okno_json_bool(JsonBuilder *b, const char *name, gboolean value);
void okno_json_int(JsonBuilder *b, const char *name, gint64 value);
/* An array of strings from a NULL-terminated vector (NULL: an empty array). */
void okno_json_strv(JsonBuilder *b, const char *name, const char *const *values);
/* An array of strings from a GPtrArray of char* (NULL: an empty array). */
void okno_json_ptrv(JsonBuilder *b, const char *name, const GPtrArray *values);
char *okno_json_text(JsonBuilder *b, gboolean pretty);
