/* chat_listen.h: receiving the web chat's notices from the other nodes (issue 22,
 * docs/chat.md "Several nodes"). Every change of a chat made through store/chat.h on
 * PostgreSQL sends a NOTIFY on OKNO_CHAT_CHANNEL; a listener is one extra connection
 * of its own that LISTENs there. The caller watches okno_chat_listen_fd() for input
 * (its main loop) and then calls okno_chat_listen_drain(), which hands over each
 * notice of another process. Notices sent while no listener was connected are lost:
 * the clients still get those messages when they reconnect (they ask for what came
 * after their last id). One thread at a time. */
#pragma once
#include <glib.h>

typedef struct OknoChatListener OknoChatListener;

/* One notice: `msg` > 0 a new message of chat `chat`, 0 its state changed. */
typedef void (*OknoChatNoticeFn)(gint64 chat, gint64 msg, gpointer user);

typedef enum {
  OKNO_LISTEN_READ,   /* connecting: call okno_chat_listen_step when the socket is readable */
  OKNO_LISTEN_WRITE,  /* connecting: ... when it is writable */
  OKNO_LISTEN_READY,  /* connected, LISTEN sent: okno_chat_listen_drain on input */
  OKNO_LISTEN_FAILED, /* the error said why: close it */
} OknoListenWant;

/* Starts connecting to the PostgreSQL store at `url` without waiting (libpq's
 * PQconnectStart: a main loop never blocks on it; a host name is resolved at once,
 * an address is not); okno_chat_listen_step() goes on. NULL with no error when `url`
 * is not PostgreSQL (SQLite is one node: nothing to listen to); NULL with the error
 * when it cannot even start (OKNO_ERROR_TEMP). */
OknoChatListener *okno_chat_listen_open(const char *url, GError **error);
/* One step of the connection when the socket is ready as the last step asked (the
 * first time: writable); once connected it sends LISTEN and answers READY. */
OknoListenWant okno_chat_listen_step(OknoChatListener *l, GError **error);
/* The connection's socket (it may change while connecting: ask after each step). */
int okno_chat_listen_fd(OknoChatListener *l);
/* Reads what arrived and calls `fn` for each notice written by another process,
 * in the order they committed. FALSE with the error when the connection broke (close
 * it and open a new one). */
gboolean okno_chat_listen_drain(OknoChatListener *l, OknoChatNoticeFn fn, gpointer user,
                                GError **error);
/* Whether the server has answered the LISTEN (read by a drain): from then on every
 * notice committed is received. */
gboolean okno_chat_listen_listening(const OknoChatListener *l);
void okno_chat_listen_close(OknoChatListener *l);
/* Parses a notice's payload "NODE:CHAT:MSG"; FALSE when it is not one. */
gboolean okno_chat_notice_parse(const char *payload, char node[17], gint64 *chat, gint64 *msg);
