/* chat.h: the web chat's conversations and messages in the store (issue 22, docs/chat.md).
 *
 * A chat is one conversation of a citizen with the bot and then an operator. Its
 * status: "bot" (the bot answers), "waiting" (handed over, in the operators' queue),
 * "active" (an operator took it), "closed". The citizen's browser is known by a random
 * token whose SHA-256 only is kept (token_hash); a signed-in citizen's address is kept
 * as its blind index (for the cabinet's list) and sealed. Every text (messages, the
 * citizen's address) is sealed under the chat's own data key (store/keys.h), made when
 * the chat is made: a copy of the database shows no conversation in clear.
 *
 * Messages are numbered by one id across all chats, increasing: a client that lost its
 * connection asks for the messages of its chat after the last id it saw
 * (okno_store_chat_messages), so a restart of the node loses nothing once a message
 * was stored. The web layer stores a message before it shows it to anyone.
 *
 * Like store.h: one connection, one thread; rows returned are the caller's; "not
 * found" is NULL with no error. No function opens a transaction except
 * okno_store_chat_create and okno_store_chat_add (each one statement or their own
 * short transaction, durable on return).
 *
 * Several nodes (PostgreSQL): every function that changes a chat (create, add,
 * set_status when it changed something, set_number) also sends a NOTIFY on the channel
 * OKNO_CHAT_CHANNEL with the payload "NODE:CHAT:MSG" (NODE okno_store_chat_node() of
 * the writing process, MSG the new message's id or 0 for a change of state), delivered
 * when the change commits (create and add: in their transaction, which a failed
 * notice undoes; set_status and set_number: after their autocommitted change, and a
 * failed notice is only logged); store/chat_listen.h receives them. Nothing on SQLite. */
#pragma once
#include <glib.h>

#include "store/store.h"

#define OKNO_CHAT_CHANNEL "okno_chat"

/* This process's random node name (16 hex digits), the first field of its notices. */
const char *okno_store_chat_node(void);

typedef struct {
  gint64 id;
  char *status;     /* bot, waiting, active, closed */
  char *operator;   /* staff login, "" none */
  char *citizen;    /* the signed-in citizen's address (opened), "" anonymous */
  char *number;     /* the appeal made from the chat, "" none */
  gint64 key_id;
  gint64 created_at;
  gint64 updated_at;
  gint64 last_message; /* the id of its latest message, 0 none */
  char *department; /* routed to at handover (migration 34), "" triage: every operator */
} OknoChatRow;

typedef struct {
  gint64 id;
  gint64 chat_id;
  char *author;     /* citizen, bot, operator, system */
  char *operator;   /* the login when author is operator */
  char *text;       /* opened */
  gint64 created_at;
} OknoChatMessage;

void okno_chat_row_free(OknoChatRow *c);
void okno_chat_message_free(OknoChatMessage *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoChatRow, okno_chat_row_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoChatMessage, okno_chat_message_free)

/* A new chat in status "bot" for the browser holding `token` (its hash is kept),
 * with `citizen` (a signed-in citizen's address, "" or NULL for none). Its own
 * transaction (the data key and the row). *id: the chat. */
gboolean okno_store_chat_create(OknoStore *st, const char *token, const char *citizen,
                                gint64 *id, GError **error);
/* The chat `id`, or NULL. */
OknoChatRow *okno_store_chat_get(OknoStore *st, gint64 id, GError **error);
/* The chat the browser token `token` opened, or NULL (unknown token). */
OknoChatRow *okno_store_chat_by_token(OknoStore *st, const char *token, GError **error);
/* Stores a message (the text sealed under the chat's key) and touches the chat.
 * Durable on return (autocommit or its own transaction). *id: the message id. */
gboolean okno_store_chat_add(OknoStore *st, gint64 chat_id, const char *author,
                             const char *operator, const char *text, gint64 *id,
                             GError **error);
/* The chat's messages with id > `after`, oldest first, at most `limit`
 * (OknoChatMessage*; the array frees them). */
GPtrArray *okno_store_chat_messages(OknoStore *st, gint64 chat_id, gint64 after,
                                    guint limit, GError **error);
/* Sets the status and the operator ("" clears). FALSE with no error when the chat
 * is closed or does not exist (*changed FALSE); `only_if` non-NULL: only when the
 * status is that one now (take: "waiting"). */
gboolean okno_store_chat_set_status(OknoStore *st, gint64 chat_id, const char *status,
                                    const char *operator, const char *only_if,
                                    gboolean *changed, GError **error);
/* Records the appeal number made from the chat. */
gboolean okno_store_chat_set_number(OknoStore *st, gint64 chat_id, const char *number,
                                    GError **error);
/* Records the department the chat was routed to ("" triage). */
gboolean okno_store_chat_set_department(OknoStore *st, gint64 chat_id, const char *department,
                                        GError **error);
/* The chats not closed, oldest first (the operators' live queue), at most `limit`
 * (OknoChatRow*). */
GPtrArray *okno_store_chat_open(OknoStore *st, guint limit, GError **error);
/* A citizen's chats, newest first, at most `limit` (the cabinet). */
GPtrArray *okno_store_chat_of_citizen(OknoStore *st, const char *email, guint limit,
                                      GError **error);
