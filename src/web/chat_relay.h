/* chat_relay.h: the web chat across several nodes (issue 22, docs/chat.md "Several
 * nodes"): on PostgreSQL, the main loop's watch on store/chat_listen.h's connection,
 * which hands each other node's notice to the chat's hub (chat.c) and, when the
 * connection breaks or the server is away, opens it again every two seconds. On
 * SQLite (one node) it does nothing. Main loop only. */
#pragma once
#include <glib.h>

#include "store/chat_listen.h"

typedef struct OknoChatRelay OknoChatRelay;

/* Starts listening on the store at `url`; `fn` gets every other node's notice on the
 * main loop. Never NULL. */
OknoChatRelay *okno_chat_relay_new(const char *url, OknoChatNoticeFn fn, gpointer user);
void okno_chat_relay_free(OknoChatRelay *r);
