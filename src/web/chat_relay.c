/* chat_relay.c: the main loop's side of the chat's cross-node notices (chat_relay.h). */
#include "web/chat_relay.h"

#include <glib-unix.h>

#include "core/log.h"

#define RETRY_SECONDS 2

struct OknoChatRelay {
  char *url;
  OknoChatNoticeFn fn;
  gpointer user;
  OknoChatListener *listener;
  guint watch; /* the socket's source */
  guint retry; /* the reconnect timer's source */
  gboolean logged; /* event=relay-listening said for this connection */
};

static gboolean reopen(gpointer data);

static void drop(OknoChatRelay *r)
{
  if (r->watch)
    g_source_remove(r->watch);
  r->watch = 0;
  g_clear_pointer(&r->listener, okno_chat_listen_close);
  if (!r->retry)
    r->retry = g_timeout_add_seconds(RETRY_SECONDS, reopen, r);
}

static gboolean on_input(gint fd, GIOCondition cond, gpointer data)
{
  OknoChatRelay *r = data;
  g_autoptr(GError) err = NULL;
  (void)fd;
  (void)cond;
  if (okno_chat_listen_drain(r->listener, r->fn, r->user, &err)) {
    if (!r->logged && okno_chat_listen_listening(r->listener)) {
      r->logged = TRUE;
      okno_log("chat", "event=relay-listening");
    }
    return G_SOURCE_CONTINUE;
  }
  okno_log_warn("chat", "event=relay-lost error=\"%s\"", err->message);
  r->watch = 0; /* removed by returning REMOVE */
  drop(r);
  return G_SOURCE_REMOVE;
}

/* Drives the connection (never waiting on it) until it listens, then reads. */
static gboolean on_connecting(gint fd, GIOCondition cond, gpointer data)
{
  OknoChatRelay *r = data;
  g_autoptr(GError) err = NULL;
  OknoListenWant want = okno_chat_listen_step(r->listener, &err);
  (void)fd;
  (void)cond;
  r->watch = 0; /* this source ends; the next one is added below */
  if (want == OKNO_LISTEN_FAILED) {
    okno_log_warn("chat", "event=relay-unavailable error=\"%s\"", err->message);
    drop(r);
    return G_SOURCE_REMOVE;
  }
  if (want == OKNO_LISTEN_READY) {
    r->logged = FALSE; /* said once the server has answered the LISTEN */
    r->watch = g_unix_fd_add(okno_chat_listen_fd(r->listener), G_IO_IN | G_IO_HUP | G_IO_ERR,
                             on_input, r);
  } else {
    r->watch = g_unix_fd_add(okno_chat_listen_fd(r->listener),
                             (want == OKNO_LISTEN_READ ? G_IO_IN : G_IO_OUT) | G_IO_HUP | G_IO_ERR,
                             on_connecting, r);
  }
  return G_SOURCE_REMOVE;
}

static gboolean reopen(gpointer data)
{
  OknoChatRelay *r = data;
  g_autoptr(GError) err = NULL;
  r->retry = 0;
  r->listener = okno_chat_listen_open(r->url, &err);
  if (!r->listener) {
    if (err) {
      okno_log_warn("chat", "event=relay-unavailable error=\"%s\"", err->message);
      r->retry = g_timeout_add_seconds(RETRY_SECONDS, reopen, r);
    }
    return G_SOURCE_REMOVE;
  }
  r->watch = g_unix_fd_add(okno_chat_listen_fd(r->listener), G_IO_OUT | G_IO_HUP | G_IO_ERR,
                           on_connecting, r);
  return G_SOURCE_REMOVE;
}

OknoChatRelay *okno_chat_relay_new(const char *url, OknoChatNoticeFn fn, gpointer user)
{
  OknoChatRelay *r = g_new0(OknoChatRelay, 1);
  r->url = g_strdup(url);
  r->fn = fn;
  r->user = user;
  reopen(r);
  return r;
}

void okno_chat_relay_free(OknoChatRelay *r)
{
  if (!r)
    return;
  if (r->watch)
    g_source_remove(r->watch);
  if (r->retry)
    g_source_remove(r->retry);
  okno_chat_listen_close(r->listener);
  g_free(r->url);
  g_free(r);
}
