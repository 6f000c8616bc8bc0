/* chat_proto.c: parsing the web chat's WebSocket messages (see chat_proto.h). */
#include "web/chat_proto.h"

#include <json-glib/json-glib.h>
#include <string.h>

void okno_chat_cmd_clear(OknoChatCmd *c)
{
  g_clear_pointer(&c->token, g_free);
  g_clear_pointer(&c->text, g_free);
  memset(c, 0, sizeof *c);
}

static const struct {
  const char *name;
  OknoChatCmdType type;
  gboolean citizen, staff, needs_chat, needs_text;
} types[] = {
  {"hello", OKNO_CHAT_HELLO, TRUE, TRUE, FALSE, FALSE},
  {"say", OKNO_CHAT_SAY, TRUE, TRUE, TRUE, TRUE},
  {"typing", OKNO_CHAT_TYPING, TRUE, TRUE, TRUE, FALSE},
  {"operator", OKNO_CHAT_OPERATOR, TRUE, FALSE, FALSE, FALSE},
  {"take", OKNO_CHAT_TAKE, FALSE, TRUE, TRUE, FALSE},
  {"close", OKNO_CHAT_CLOSE, FALSE, TRUE, TRUE, FALSE},
  {"appeal", OKNO_CHAT_APPEAL, FALSE, TRUE, TRUE, FALSE},
  {"history", OKNO_CHAT_HISTORY, FALSE, TRUE, TRUE, FALSE},
};

static gboolean refuse(OknoChatCmd *out, char **why, const char *text)
{
  okno_chat_cmd_clear(out);
  *why = g_strdup(text);
  return FALSE;
}

/* A non-negative integer member, or absent (*v 0). */
static gboolean int_member(JsonObject *o, const char *name, gint64 *v)
{
  JsonNode *n = json_object_get_member(o, name);
  *v = 0;
  if (!n)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
    return FALSE;
  *v = json_node_get_int(n);
  return *v >= 0;
}

static const char *str_member(JsonObject *o, const char *name, gboolean *bad)
{
  JsonNode *n = json_object_get_member(o, name);
  if (!n)
    return NULL;
  /* json-glib decodes an unknown escape such as "\2" into a byte that is not UTF-8
   * (found by fuzz_chat_proto): such a string is refused like a wrong type */
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING ||
      !g_utf8_validate(json_node_get_string(n), -1, NULL)) {
    *bad = TRUE;
    return NULL;
  }
  return json_node_get_string(n);
}

static gboolean text_ok(const char *s)
{
  for (const char *p = s; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f)
      return FALSE;
  }
  return TRUE;
}

gboolean okno_chat_cmd_parse(const char *data, gsize len, gboolean staff, OknoChatCmd *out,
                             char **why)
{
  g_autoptr(JsonParser) p = json_parser_new_immutable();
  JsonNode *root;
  JsonObject *o;
  const char *t, *token, *text;
  gboolean bad = FALSE;
  guint i;
  memset(out, 0, sizeof *out);
  *why = NULL;
  if (len == 0 || len > 64 * 1024 || memchr(data, '\0', len) || !g_utf8_validate_len(data, len, NULL) ||
      !json_parser_load_from_data(p, data, (gssize)len, NULL) || !(root = json_parser_get_root(p)) ||
      !JSON_NODE_HOLDS_OBJECT(root))
    return refuse(out, why, "Сообщение не удалось прочитать: обновите страницу и попробуйте ещё раз.");
  o = json_node_get_object(root);
  t = str_member(o, "t", &bad);
  for (i = 0; t && i < G_N_ELEMENTS(types); i++)
    if (strcmp(types[i].name, t) == 0 && (staff ? types[i].staff : types[i].citizen))
      break;
  if (!t || i == G_N_ELEMENTS(types))
    return refuse(out, why, "Неизвестная команда чата: обновите страницу и попробуйте ещё раз.");
  out->type = types[i].type;
  if (!int_member(o, "chat", &out->chat) || !int_member(o, "since", &out->since))
    return refuse(out, why, "Номер чата или сообщения указан неверно.");
  if (staff && types[i].needs_chat && out->chat == 0)
    return refuse(out, why, "Не указан чат: выберите его в списке.");
  token = str_member(o, "token", &bad);
  text = str_member(o, "text", &bad);
  if (bad)
    return refuse(out, why, "Сообщение не удалось прочитать: обновите страницу и попробуйте ещё раз.");
  if (token) {
    if (strlen(token) != 64 || strspn(token, "0123456789abcdef") != 64)
      return refuse(out, why, "Чат не найден: начните новый.");
    out->token = g_strdup(token);
  }
  if (types[i].needs_text) {
    g_autofree char *trimmed = g_strstrip(g_strdup(text ? text : ""));
    glong n = g_utf8_strlen(trimmed, -1);
    if (n == 0)
      return refuse(out, why, "Напишите, пожалуйста, текст сообщения.");
    if (n > OKNO_CHAT_MAX_TEXT)
      return refuse(out, why, "Сообщение слишком длинное: не больше 4000 символов.");
    if (!text_ok(trimmed))
      return refuse(out, why, "В сообщении есть недопустимые символы.");
    out->text = g_steal_pointer(&trimmed);
  }
  return TRUE;
}
