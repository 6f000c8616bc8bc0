/* json.h: the few JSON-building steps every printer of okno repeats (json-glib), and
 * a scanner of an object's members as text (for rewriting some values in place).
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
/* A number that json-glib prints as valid JSON whatever it is (json-glib 1.6 writes
 * 1e+20 as "1e+20.0"): such values are moved by one ulp toward zero; NaN and infinities
 * are written as null. `name` NULL adds an array element. */
void okno_json_double(JsonBuilder *b, const char *name, double value);
/* An array of strings from a NULL-terminated vector (NULL: an empty array). */
void okno_json_strv(JsonBuilder *b, const char *name, const char *const *values);
/* An array of strings from a GPtrArray of char* (NULL: an empty array). */
void okno_json_ptrv(JsonBuilder *b, const char *name, const GPtrArray *values);
char *okno_json_text(JsonBuilder *b, gboolean pretty);
/* The object that `text` is (a new reference, caller unrefs); NULL when `text` is NULL,
 * does not parse, or is another value. */
JsonObject *okno_json_object_parse(const char *text);

/* Walks the members of the one JSON object that `json` (`len` bytes) is, as text: for
 * each member, in order, `fn` gets the byte offsets and lengths of its key token (with
 * its quotes) and of its value token (a string with its quotes, a number or literal,
 * or a whole nested object or array). Nothing is decoded or copied, so a caller can
 * rebuild the text byte for byte with some value tokens replaced. Strings are scanned
 * for escapes and nested brackets must balance; what a number or literal holds is not
 * checked. FALSE (fn may have been called for the members before) when the text is not
 * one object: other tokens, unbalanced brackets, an unterminated string, trailing text
 * other than white space, nesting deeper than 64. */
typedef void (*OknoJsonMemberFn)(gsize key_at, gsize key_len, gsize value_at,
                                 gsize value_len, void *user);
gboolean okno_json_scan_members(const char *json, gsize len, OknoJsonMemberFn fn,
                                void *user);
