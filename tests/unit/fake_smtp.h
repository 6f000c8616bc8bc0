/* fake_smtp.h: a scripted SMTP server for unit tests of the outbound side.
 *
 * fake_smtp_start() binds 127.0.0.1:0 and serves ONE connection on a GThread,
 * following a script of steps. Each step first reads (expect == NULL: nothing;
 * FAKE_DATA: a message body up to and including CRLF "." CRLF; otherwise one line,
 * whose start must match `expect`, case-insensitively) and then writes `reply` as
 * given (CRLFs included; "" writes nothing; NULL closes the connection at once).
 * The server records every byte it received (transcript), the DATA body as it came
 * on the wire (body), the first line that did not match (mismatch) and whether the
 * client hung up before the script ended (client_closed). With tls_cert set, the
 * server answers a "STARTTLS" step with its reply and then a TLS handshake, and reads
 * and writes through TLS from there on. fake_smtp_finish() joins
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
  GTlsCertificate *tls_cert; /* not owned */
  gboolean tls_done;
} FakeSmtp;

/* Reads until `stop` is at the end of what was received for this step. FALSE on EOF. */
static gboolean fake_read_until(FakeSmtp *f, GIOStream *io, GString *got, const char *stop)
{
  gsize sl = strlen(stop);
  char ch;
  for (;;) {
    if (got->len >= sl && memcmp(got->str + got->len - sl, stop, sl) == 0)
      return TRUE;
    if (g_input_stream_read(g_io_stream_get_input_stream(io), &ch, 1, NULL, NULL) != 1)
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
  g_autoptr(GIOStream) plain = G_IO_STREAM(g_socket_connection_factory_create_connection(c));
  g_autoptr(GIOStream) tls = NULL;
  GIOStream *io = plain;
  for (gsize i = 0; i < f->n_steps; i++) {
    const FakeStep *st = &f->steps[i];
    if (st->expect == FAKE_DATA) {
      g_string_truncate(f->body, 0);
      if (!fake_read_until(f, io, f->body, "\r\n.\r\n")) {
        f->client_closed = TRUE;
        break;
      }
    } else if (st->expect) {
      g_autoptr(GString) line = g_string_new(NULL);
      if (!fake_read_until(f, io, line, "\n")) {
        f->client_closed = TRUE;
        break;
      }
      if (!f->mismatch && g_ascii_strncasecmp(line->str, st->expect, strlen(st->expect)) != 0)
        f->mismatch = g_strdup_printf("step %zu: expected '%s', got '%s'", i, st->expect,
                                      line->str);
    }
    if (!st->reply)
      break;
    if (!g_output_stream_write_all(g_io_stream_get_output_stream(io), st->reply,
                                   strlen(st->reply), NULL, NULL, NULL))
      break;
    if (f->tls_cert && st->expect && g_ascii_strcasecmp(st->expect, "STARTTLS") == 0) {
      tls = g_tls_server_connection_new(plain, f->tls_cert, NULL);
      if (!tls || !g_tls_connection_handshake(G_TLS_CONNECTION(tls), NULL, NULL))
        break;
      f->tls_done = TRUE;
      io = tls;
    }
  }
  if (tls)
    g_io_stream_close(tls, NULL, NULL);
  g_io_stream_close(plain, NULL, NULL);
  return NULL;
}

/* `cert` (may be NULL: no TLS) must outlive fake_smtp_finish(). */
static void fake_smtp_start_tls(FakeSmtp *f, const FakeStep *steps, gsize n_steps,
                                GTlsCertificate *cert)
{
  memset(f, 0, sizeof *f);
  f->tls_cert = cert;
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

static void fake_smtp_start(FakeSmtp *f, const FakeStep *steps, gsize n_steps)
{
  fake_smtp_start_tls(f, steps, n_steps, NULL);
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
