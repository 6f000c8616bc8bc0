/* chat_proto.h: the web chat's messages from a browser over WebSocket (docs/chat.md).
 *
 * libsoup reads and checks the WebSocket frames (RFC 6455: masking, lengths, control
 * frames, UTF-8 of text frames; [chat] max_message caps a message); this module parses
 * what one text message says. Every message is a JSON object with a type "t":
 *   citizen:  {"t":"hello", "token":"<64 hex>"?, "since":N?}   open a new chat, or
 *                                                             resume one (messages after N)
 *             {"t":"say", "text":"..."}    {"t":"typing"}    {"t":"operator"} (hand over)
 *   operator: {"t":"hello", "since":N?}    {"t":"take"|"close"|"appeal"|"typing", "chat":ID}
 *             {"t":"say", "chat":ID, "text":"..."}  {"t":"history", "chat":ID, "since":N?}
 * Anything else (not JSON, not an object, an unknown type, a field of the wrong type,
 * a text empty or over OKNO_CHAT_MAX_TEXT characters, control characters other than
 * line breaks and tabs) is refused with a Russian sentence for the sender, and the
 * message changes nothing. Pure (fuzzed by tests/fuzz/fuzz_chat_proto.c). */
#pragma once
#include <glib.h>

#define OKNO_CHAT_MAX_TEXT 4000 /* characters of one message */

typedef enum {
  OKNO_CHAT_HELLO,
  OKNO_CHAT_SAY,
  OKNO_CHAT_TYPING,
  OKNO_CHAT_OPERATOR, /* the citizen asks for an operator */
  OKNO_CHAT_TAKE,
  OKNO_CHAT_CLOSE,
  OKNO_CHAT_APPEAL,
  OKNO_CHAT_HISTORY,
} OknoChatCmdType;

typedef struct {
  OknoChatCmdType type;
  gint64 chat;   /* 0: none given */
  gint64 since;  /* 0: from the start */
  char *token;   /* NULL: none given */
  char *text;    /* NULL: none given; else trimmed, 1..OKNO_CHAT_MAX_TEXT characters */
} OknoChatCmd;

void okno_chat_cmd_clear(OknoChatCmd *c);

/* Parses one message of `len` bytes. `staff`: from the console (the operator's
 * commands; "chat" is required where it is named above), else a citizen's. FALSE with
 * *why (a Russian sentence, caller frees) when the message is refused; `out` is then
 * cleared. */
gboolean okno_chat_cmd_parse(const char *data, gsize len, gboolean staff, OknoChatCmd *out,
                             char **why);
