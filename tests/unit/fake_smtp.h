/* fake_smtp.h: a scripted SMTP server for unit tests of the outbound side.
 *
 * fake_smtp_start() binds 127.0.0.1:0 and serves ONE connection on a GThread,
 * following a script of steps. Each step first reads (expect == NULL: nothing;
 * FAKE_DATA: a message body up to and including CRLF "." CRLF; otherwise one line,
 * whose start must match `expect`, case-insensitively) and then writes `reply` as
 * given (CRLFs included; "" writes nothing; NULL closes the connection at once).
 * The server records every byte it received (transcript), the DATA body as it came
 * on the wire (body), the first line that did not match (mismatch) and whether the
 * client hung up before the script ended (client_closed). fake_smtp_finish() joins
 * the thread; after it the fields are safe to read. Header-only: static functions,
 * included by the test files that need it. */
#pragma once
#include <gio/gio.h>
#include <string.h>

static const char fake_data_marker[] = "<data>";
#define FAKE_DATA fake_data_marker

typedef struct {
  const char *expect;
  const char *reply;
} FakeStep;

typedef struct {
  const FakeStep *steps;
  gsize n_steps;
  GSocket *listener;
  GThread *thread;
  char relay[32];     /* "127.0.0.1:PORT" */
  GString *transcript;
  GString *body;
  char *mismatch;
  gboolean client_closed;
} FakeSmtp;

/* Reads until `stop` is at the end of what was received for this step. FALSE on EOF. */
static gboolean fake_read_until(FakeSmtp *f, GSocket *c, GString *got, const char *stop)
{
  gsize sl = strlen(stop);
  char ch;
  for (;;) {
    if (got->len >= sl && memcmp(got->str + got->len - sl, stop, sl) == 0)
      return TRUE;
    if (g_socket_receive(c, &ch, 1, NULL, NULL) != 1)
      return FALSE;
    g_string_append_c(got, ch);
    g_string_append_c(f->transcript, ch);
  }
}

static gpointer fake_smtp_thread(gpointer data)
{
  FakeSmtp *f = data;
  g_autoptr(GSocket) c = g_socket_accept(f->listener, NULL, NULL);
  if (!c)
    return NULL;
  g_socket_set_timeout(c, 10);
  for (gsize i = 0; i < f->n_steps; i++) {
    const FakeStep *st = &f->steps[i];
    if (st->expect == FAKE_DATA) {
      g_string_truncate(f->body, 0);
      if (!fake_read_until(f, c, f->body, "\r\n.\r\n")) {
        f->client_closed = TRUE;
        break;
      }
    } else if (st->expect) {
      g_autoptr(GString) line = g_string_new(NULL);
      if (!fake_read_until(f, c, line, "\n")) {
        f->client_closed = TRUE;
        break;
      }
      if (!f->mismatch && g_ascii_strncasecmp(line->str, st->expect, strlen(st->expect)) != 0)
        f->mismatch = g_strdup_printf("step %zu: expected '%s', got '%s'", i, st->expect,
                                      line->str);
    }
    if (!st->reply)
      break;
    gsize off = 0, len = strlen(st->reply);
    while (off < len) {
      gssize w = g_socket_send(c, st->reply + off, len - off, NULL, NULL);
      if (w <= 0)
        break;
      off += (gsize)w;
    }
  }
  g_socket_close(c, NULL);
  return NULL;
}

static void fake_smtp_start(FakeSmtp *f, const FakeStep *steps, gsize n_steps)
{
  memset(f, 0, sizeof *f);
  f->steps = steps;
  f->n_steps = n_steps;
  f->transcript = g_string_new(NULL);
  f->body = g_string_new(NULL);
  f->listener = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert(f->listener);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
  g_assert(g_socket_bind(f->listener, any, TRUE, NULL));
  g_assert(g_socket_listen(f->listener, NULL));
  g_socket_set_timeout(f->listener, 10);
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(f->listener, NULL);
  g_snprintf(f->relay, sizeof f->relay, "127.0.0.1:%u",
             g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)));
  f->thread = g_thread_new("fake-smtp", fake_smtp_thread, f);
}

static void fake_smtp_finish(FakeSmtp *f)
{
  g_thread_join(f->thread);
  g_socket_close(f->listener, NULL);
  g_object_unref(f->listener);
}

static void fake_smtp_free(FakeSmtp *f)
{
  g_string_free(f->transcript, TRUE);
  g_string_free(f->body, TRUE);
  g_free(f->mismatch);
}
