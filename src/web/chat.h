/* chat.h: what the web chat's two files share (chat.c: the hub, the citizen's side,
 * the bot; console_chat.c: the operators' side). docs/chat.md.
 *
 * The hub: every WebSocket message is parsed on the main loop (chat_proto.h) and its
 * work queued to the chat's own thread, which has its own store connection and does
 * every store call of the chat in arrival order. What a command makes visible is
 * collected in an OknoChatOut while it runs and sent on the main loop only after the
 * thread is done with the store: a message is always stored (durable) before it is
 * shown to anyone. Typing and presence are not stored; they go straight across. */
#pragma once
#include <json-glib/json-glib.h>

#include "core/config.h"
#include "intake/pipeline.h"
#include "store/chat.h"
#include "web/chat_proto.h"
#include "web/server.h"

typedef struct OknoChatOut OknoChatOut;

/* What a command of the chat thread works with. */
typedef struct {
  OknoStore *store;
  const OknoConfig *cfg;
  OknoIntake *intake;
  const char *login;    /* the operator (staff side) */
  char **departments;   /* the operator's departments; NULL: sees every one */
  OknoChatOut *out;
} OknoChatCtx;

/* Sends `node` (taken) to the sender only / to the chat's citizen and every operator /
 * to every operator (each only to the operators who see the chat's department; a
 * "state" becomes {"t":"gone","chat"} for the others, who drop it from their queue). */
void okno_chat_out_self(OknoChatOut *out, JsonNode *node);
void okno_chat_out_chat(OknoChatOut *out, gint64 chat, JsonNode *node);
void okno_chat_out_staff(OknoChatOut *out, gint64 chat, JsonNode *node);
/* Whether the operator of `ctx` sees `chat`: an administrator or auditor every chat,
 * an operator the chats of their departments and those in triage (department ""). */
gboolean okno_chat_sees(const OknoChatCtx *ctx, const OknoChatRow *chat);
/* An error for the sender: {"t":"error","text":...}. */
void okno_chat_out_error(OknoChatOut *out, const char *text);

/* {"t":"msg", "chat", "id", "author", "operator", "text", "at"} */
JsonNode *okno_chat_msg_json(const OknoChatMessage *m);
/* {"t":"state", "chat", "status", "operator", "number", "last"} */
JsonNode *okno_chat_state_json(const OknoChatRow *c);
/* Stores a message, then (once stored) queues it for the chat's citizen and the
 * operators. FALSE with the error: nothing stored, nothing shown. */
gboolean okno_chat_post(OknoChatCtx *ctx, gint64 chat, const char *author,
                        const char *operator, const char *text, GError **error);
/* Queues the chat's state for everyone concerned (read again from the store). */
void okno_chat_post_state(OknoChatCtx *ctx, gint64 chat);

/* console_chat.c, on the chat thread: an operator's command (hello, take, say, close,
 * appeal, history). */
void okno_console_chat_cmd(OknoChatCtx *ctx, const OknoChatCmd *cmd);
/* console_chat.c: the console's page /console/chat. */
void okno_console_chat_routes(OknoWeb *web);
