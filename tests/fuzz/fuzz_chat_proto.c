/* fuzz_chat_proto.c: fuzz driver for the web chat's WebSocket messages
 * (web/chat_proto.h). The first byte chooses the side (citizen or staff). Invariants:
 * a refused message gives a reason and leaves the command empty; an accepted one has
 * a text only when its type needs one, of 1..OKNO_CHAT_MAX_TEXT characters, valid
 * UTF-8, trimmed; a token only of 64 lowercase hex digits; no negative ids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "web/chat_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  OknoChatCmd cmd;
  g_autofree char *why = NULL;
  gboolean staff;
  if (size == 0)
    return 0;
  staff = data[0] & 1;
  if (!okno_chat_cmd_parse((const char *)data + 1, size - 1, staff, &cmd, &why)) {
    if (!why || !*why || cmd.text || cmd.token || cmd.chat || cmd.since)
      abort();
    return 0;
  }
  if (why || cmd.chat < 0 || cmd.since < 0)
    abort();
  if (cmd.text) {
    glong n = g_utf8_strlen(cmd.text, -1);
    if (!g_utf8_validate(cmd.text, -1, NULL) || n < 1 || n > OKNO_CHAT_MAX_TEXT ||
        g_ascii_isspace(cmd.text[0]) || g_ascii_isspace(cmd.text[strlen(cmd.text) - 1]))
      abort();
  } else if (cmd.type == OKNO_CHAT_SAY) {
    abort();
  }
  if (cmd.token && (strlen(cmd.token) != 64 || strspn(cmd.token, "0123456789abcdef") != 64))
    abort();
  if (!staff && (cmd.type == OKNO_CHAT_TAKE || cmd.type == OKNO_CHAT_APPEAL))
    abort();
  okno_chat_cmd_clear(&cmd);
  return 0;
}
