/* tg_update.c: the Telegram Update parser (tg_update.h), json-glib underneath. */
#include "intake/tg_update.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "core/error.h"

void okno_tg_update_clear(OknoTgUpdate *u)
{
  g_clear_pointer(&u->chat_type, g_free);
  g_clear_pointer(&u->name, g_free);
  g_clear_pointer(&u->text, g_free);
  g_clear_pointer(&u->status_arg, g_free);
  g_clear_pointer(&u->file_id, g_free);
  g_clear_pointer(&u->file_name, g_free);
  memset(u, 0, sizeof *u);
}

static gboolean get_int(JsonObject *o, const char *name, gint64 *out)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int(n);
  return TRUE;
}

static const char *get_str(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

static JsonObject *get_obj(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

/* Valid UTF-8, control characters except \n and \t dropped, at most `max` characters. */
static char *clean(const char *s, glong max)
{
  g_autofree char *v = g_utf8_make_valid(s ? s : "", -1);
  GString *out = g_string_new(NULL);
  glong n = 0;
  for (const char *p = v; *p && n < max; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F || (c >= 0x80 && c < 0xA0))
      continue;
    g_string_append_unichar(out, c);
    n++;
  }
  return g_string_free(out, FALSE);
}

/* "/cmd", "/cmd@bot": TRUE when `text` is command `cmd`; *rest what follows it. */
static gboolean command(const char *text, const char *cmd, const char **rest)
{
  gsize n = strlen(cmd);
  if (strncmp(text, cmd, n) != 0)
    return FALSE;
  text += n;
  if (*text == '@')
    while (*text && !g_ascii_isspace(*text))
      text++;
  if (*text && !g_ascii_isspace(*text))
    return FALSE;
  *rest = text;
  return TRUE;
}

/* A file_id: printable ASCII, at most 256 bytes (Telegram's are URL-safe base64). */
static char *file_id_of(JsonObject *o)
{
  const char *id = get_str(o, "file_id");
  if (!id || !*id || strlen(id) > 256)
    return NULL;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
      return NULL;
  return g_strdup(id);
}

/* The document, else the last (largest) photo size. */
static void read_file(JsonObject *m, OknoTgUpdate *out)
{
  JsonObject *doc = get_obj(m, "document");
  JsonNode *photos = json_object_get_member(m, "photo");
  if (doc && (out->file_id = file_id_of(doc))) {
    const char *name = get_str(doc, "file_name");
    g_autofree char *clean_name = clean(name && *name ? name : "file", 120);
    g_strdelimit(clean_name, "/\\\n\t", '_');
    out->file_name = g_strdup(*clean_name ? clean_name : "file");
  } else if (photos && JSON_NODE_HOLDS_ARRAY(photos)) {
    JsonArray *a = json_node_get_array(photos);
    guint n = json_array_get_length(a);
    JsonNode *last = n ? json_array_get_element(a, n - 1) : NULL;
    if (last && JSON_NODE_HOLDS_OBJECT(last) &&
        (out->file_id = file_id_of(json_node_get_object(last))))
      out->file_name = g_strdup("photo.jpg");
  }
}

static void read_message(JsonObject *m, OknoTgUpdate *out)
{
  static const char *const file_members[] = {"photo", "document", "voice", "video", "audio",
                                             "video_note", "sticker"};
  JsonObject *from = get_obj(m, "from"), *chat = get_obj(m, "chat");
  const char *first = get_str(from, "first_name"), *last = get_str(from, "last_name"),
             *user = get_str(from, "username"), *text = get_str(m, "text");
  g_autofree char *name = NULL;
  const char *rest = NULL;
  out->chat_type = clean(get_str(chat, "type"), 32);
  if (first || last)
    name = g_strjoin(" ", first ? first : "", last ? last : "", NULL);
  else if (user)
    name = g_strconcat("@", user, NULL);
  out->name = clean(name ? g_strstrip(name) : "", OKNO_TG_MAX_NAME);
  if (!text)
    text = get_str(m, "caption");
  out->text = clean(text, OKNO_TG_MAX_TEXT);
  for (guint i = 0; i < G_N_ELEMENTS(file_members); i++)
    if (json_object_has_member(m, file_members[i]))
      out->files++;
  read_file(m, out);
  if (command(out->text, "/status", &rest)) {
    out->status_arg = g_strstrip(g_strdup(rest));
  } else if (command(out->text, "/start", &rest) || command(out->text, "/help", &rest)) {
    out->start = TRUE;
  } else if (command(out->text, "/link", &rest)) {
    out->link = TRUE;
  }
}

gboolean okno_tg_update_parse(const char *data, gsize len, OknoTgUpdate *out, GError **error)
{
  g_autoptr(JsonParser) p = json_parser_new();
  JsonNode *root;
  JsonObject *o, *m;
  if (len > OKNO_TG_MAX_UPDATE) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "update too large");
    return FALSE;
  }
  if (!json_parser_load_from_data(p, data ? data : "", (gssize)len, NULL) ||
      !(root = json_parser_get_root(p)) || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "not a JSON object");
    return FALSE;
  }
  o = json_node_get_object(root);
  if (!get_int(o, "update_id", &out->update_id)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "no integer update_id");
    return FALSE;
  }
  m = get_obj(o, "message");
  if (!m)
    return TRUE;
  if (!get_int(get_obj(m, "chat"), "id", &out->chat_id) ||
      !get_int(m, "message_id", &out->message_id)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "a message without an integer chat id "
                "or message_id");
    okno_tg_update_clear(out);
    return FALSE;
  }
  get_int(m, "date", &out->date);
  out->has_message = TRUE;
  read_message(m, out);
  return TRUE;
}
