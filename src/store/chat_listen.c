/* chat_listen.c: the web chat's LISTEN connection on PostgreSQL (see chat_listen.h). */
#include "store/chat_listen.h"

#include <libpq-fe.h>
#include <string.h>

#include "core/error.h"
#include "store/chat.h"

struct OknoChatListener {
  PGconn *conn;
  OknoListenWant want;
  gboolean listening; /* the server answered the LISTEN */
};

static void ignore_notice(void *arg, const char *message)
{
  (void)arg;
  (void)message;
}

static void set_error(GError **error, PGconn *conn, const char *what)
{
  g_autofree char *msg = g_strdup(conn ? PQerrorMessage(conn) : "out of memory");
  g_strstrip(g_strdelimit(msg, "\r\n\t", ' '));
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "postgresql: %s: %s", what, msg);
}

OknoChatListener *okno_chat_listen_open(const char *url, GError **error)
{
  const char *const keys[] = {"application_name", "connect_timeout", "dbname", NULL};
  const char *const values[] = {"okno-chat", "10", url, NULL};
  OknoChatListener *l;
  PGconn *conn;
  if (!url || !(g_str_has_prefix(url, "postgresql://") || g_str_has_prefix(url, "postgres://")))
    return NULL;
  /* started, not finished: okno_chat_listen_step() goes on when the socket is ready */
  conn = PQconnectStartParams(keys, values, 1);
  if (!conn || PQstatus(conn) == CONNECTION_BAD) {
    set_error(error, conn, "chat listener cannot connect");
    PQfinish(conn);
    return NULL;
  }
  PQsetNoticeProcessor(conn, ignore_notice, NULL);
  l = g_new0(OknoChatListener, 1);
  l->conn = conn;
  l->want = OKNO_LISTEN_WRITE; /* libpq: poll for writing first */
  return l;
}

OknoListenWant okno_chat_listen_step(OknoChatListener *l, GError **error)
{
  if (l->want == OKNO_LISTEN_READY)
    return l->want;
  switch (PQconnectPoll(l->conn)) {
  case PGRES_POLLING_READING:
    return l->want = OKNO_LISTEN_READ;
  case PGRES_POLLING_WRITING:
    return l->want = OKNO_LISTEN_WRITE;
  case PGRES_POLLING_OK:
    if (PQsetnonblocking(l->conn, 1) != 0 || !PQsendQuery(l->conn, "LISTEN " OKNO_CHAT_CHANNEL)) {
      set_error(error, l->conn, "LISTEN failed");
      return l->want = OKNO_LISTEN_FAILED;
    }
    PQflush(l->conn);
    return l->want = OKNO_LISTEN_READY;
  default:
    set_error(error, l->conn, "chat listener cannot connect");
    return l->want = OKNO_LISTEN_FAILED;
  }
}

int okno_chat_listen_fd(OknoChatListener *l)
{
  return PQsocket(l->conn);
}

gboolean okno_chat_notice_parse(const char *payload, char node[17], gint64 *chat, gint64 *msg)
{
  g_auto(GStrv) f = g_strsplit(payload ? payload : "", ":", 4);
  guint64 c = 0, m = 0;
  if (g_strv_length(f) != 3 || strlen(f[0]) != 16 ||
      !g_ascii_string_to_unsigned(f[1], 10, 1, G_MAXINT64, &c, NULL) ||
      !g_ascii_string_to_unsigned(f[2], 10, 0, G_MAXINT64, &m, NULL))
    return FALSE;
  memcpy(node, f[0], 17);
  *chat = (gint64)c;
  *msg = (gint64)m;
  return TRUE;
}

gboolean okno_chat_listen_drain(OknoChatListener *l, OknoChatNoticeFn fn, gpointer user,
                                GError **error)
{
  PGnotify *n;
  if (!PQconsumeInput(l->conn) || PQstatus(l->conn) != CONNECTION_OK) {
    set_error(error, l->conn, "chat listener lost its connection");
    return FALSE;
  }
  /* the LISTEN's own answer (and nothing else is ever sent) */
  while (!PQisBusy(l->conn)) {
    PGresult *res = PQgetResult(l->conn);
    gboolean failed;
    if (!res)
      break;
    failed = PQresultStatus(res) != PGRES_COMMAND_OK;
    l->listening |= !failed;
    PQclear(res);
    if (failed) {
      set_error(error, l->conn, "LISTEN failed");
      return FALSE;
    }
  }
  while ((n = PQnotifies(l->conn))) {
    char node[17];
    gint64 chat = 0, msg = 0;
    if (okno_chat_notice_parse(n->extra, node, &chat, &msg) &&
        strcmp(node, okno_store_chat_node()) != 0)
      fn(chat, msg, user);
    PQfreemem(n);
  }
  return TRUE;
}

gboolean okno_chat_listen_listening(const OknoChatListener *l)
{
  return l->listening;
}

void okno_chat_listen_close(OknoChatListener *l)
{
  if (!l)
    return;
  PQfinish(l->conn);
  g_free(l);
}
