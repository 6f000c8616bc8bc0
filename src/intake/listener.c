/* listener.c: GIO sockets, TLS and timers around the SMTP/LMTP session (listener.h).
 *
 * One GSocketService per protocol accepts connections. Each connection is a Conn: the
 * stream (the socket, or the TLS connection over it after STARTTLS), a 16 KiB read
 * buffer, a queue of replies, one timer and one OknoSmtpSession, to which it is the
 * transport. The loop for a connection:
 *   read (async) -> okno_smtp_session_feed() -> replies queued -> written (async);
 * reading resumes only while the session wants input (not while a message waits for
 * its commit or a TLS handshake is pending) and while fewer than 64 KiB of replies
 * wait for a client that is not reading.
 *
 * Time bounds (a slow client must not hold a session for long, issue 12): the timer is
 * re-armed after every event to the earliest deadline that applies now:
 *  - between commands: command_timeout from the end of the last complete line, so a
 *    command line trickling in one byte at a time gets no more time than silence;
 *  - in DATA: data_timeout of silence, data_total_timeout from the 354, and, with
 *    data_min_rate, data_timeout + (bytes so far / data_min_rate) from the 354;
 *  - none while the store commits; a 10 s hard limit once the session asked to close.
 * Each ends the session with 421 4.4.2 and the reason.
 *
 * Sessions: at most max_sessions, and at most max_sessions_per_ip from one client
 * address over TCP (one address can never hold every slot); past either, 421 4.7.0 at
 * connect. A Unix socket's peer (the local MTA) is not counted per address.
 *
 * A Conn is reference-counted: the listener's list holds one reference until the
 * connection is finished, and every asynchronous operation (read, write, handshake,
 * close, intake delivery) holds one for its callback, so an intake `done` that comes
 * after the client has gone finds its Conn still there (the session then ignores it).
 * The listener counts connections and pending deliveries; okno_listener_stop()'s
 * `done` runs when both are zero. */
#include "intake/listener.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "mail/smtp_session.h"

#define READ_CHUNK 16384
#define MAX_PENDING_OUTPUT 65536
#define CLOSE_LINGER_SECONDS 10
#define LISTEN_BACKLOG 1024

typedef struct {
  OknoListener *l;
  GSocketService *service;
  OknoSmtpProto proto;
} Service;

struct OknoListener {
  const OknoConfig *cfg;
  OknoIntake *intake;
  OknoOutbound *outbound;
  GTlsCertificate *cert;      /* NULL: no STARTTLS */
  GPtrArray *services;        /* Service* */
  GPtrArray *bound;           /* char* "proto addr", for the listening log lines */
  char *unix_path;            /* to unlink on stop, NULL if none */
  GList *conns;               /* Conn* with a session */
  guint nsessions;
  guint per_ip_max;           /* resolved max_sessions_per_ip */
  GHashTable *per_ip;         /* peer address (char*) -> sessions (GUINT_TO_POINTER) */
  guint nconns;               /* sessions and rejected connections still closing */
  guint pending;              /* deliveries waiting for their commit */
  gboolean stopping;
  guint grace_source;
  void (*done)(gpointer);
  gpointer done_data;
  guint done_source;
};

typedef struct {
  int refs;
  OknoListener *l;
  GSocketConnection *conn;    /* the accepted socket */
  GIOStream *stream;          /* conn, or the TLS connection over it */
  GCancellable *cancel;
  OknoSmtpSession *s;         /* NULL for a connection refused with 421 */
  char *peer;                 /* counted in l->per_ip while s; NULL for a Unix socket */
  guint8 rbuf[READ_CHUNK];
  GString *out;               /* replies not yet handed to the stream */
  GString *wbuf;              /* replies being written */
  gboolean reading, writing, handshaking, delivering;
  gboolean close_requested, tls_requested, finished;
  guint timer;
  const char *timer_why;      /* the 421's reason if the timer fires; NULL: silence */
  /* the clock of the time bounds (monotonic microseconds) */
  gboolean clock_in_data;     /* the phase below is a DATA */
  guint64 clock_lines;        /* session lines when the phase began */
  gint64 phase_us;            /* the last command line ended, or the 354 */
  gint64 last_read_us;
  guint64 data_bytes;         /* bytes read in this DATA */
  gint64 deliver_us;          /* the message was handed to intake (metrics) */
} Conn;

static const OknoSmtpTransport conn_transport;
static void start_io(Conn *c);
static void flush(Conn *c);

/* ---- life of a connection ---- */

static Conn *conn_ref(Conn *c)
{
  c->refs++;
  return c;
}

static void conn_unref(Conn *c)
{
  if (--c->refs > 0)
    return;
  okno_smtp_session_free(c->s);
  g_clear_object(&c->stream);
  g_clear_object(&c->conn);
  g_clear_object(&c->cancel);
  g_string_free(c->out, TRUE);
  g_string_free(c->wbuf, TRUE);
  g_free(c->peer);
  g_free(c);
}

static gboolean emit_done(gpointer data)
{
  OknoListener *l = data;
  l->done_source = 0;
  if (l->done) {
    void (*done)(gpointer) = l->done;
    l->done = NULL;
    done(l->done_data);
  }
  return G_SOURCE_REMOVE;
}

static void close_services(OknoListener *l);

static void check_done(OknoListener *l)
{
  if (l->stopping && l->done && !l->done_source && l->nconns == 0 && l->pending == 0) {
    close_services(l);
    l->done_source = g_idle_add(emit_done, l);
  }
}

static void on_closed(GObject *src, GAsyncResult *res, gpointer data)
{
  Conn *c = data;
  g_io_stream_close_finish(G_IO_STREAM(src), res, NULL);
  c->l->nconns--;
  check_done(c->l);
  conn_unref(c);
}

/* The connection is over: stop its I/O, close the stream, leave the listener. */
static void conn_finish(Conn *c, const char *why)
{
  OknoListener *l = c->l;
  if (c->finished)
    return;
  c->finished = TRUE;
  g_clear_handle_id(&c->timer, g_source_remove);
  g_cancellable_cancel(c->cancel);
  if (c->s) {
    okno_log("smtp", "session=%s event=closed reason=%s", okno_smtp_session_id(c->s), why);
    l->conns = g_list_remove(l->conns, c);
    l->nsessions--;
    if (c->peer) {
      guint n = GPOINTER_TO_UINT(g_hash_table_lookup(l->per_ip, c->peer));
      if (n <= 1)
        g_hash_table_remove(l->per_ip, c->peer);
      else
        g_hash_table_insert(l->per_ip, g_strdup(c->peer), GUINT_TO_POINTER(n - 1));
    }
  }
  g_io_stream_close_async(c->stream, G_PRIORITY_DEFAULT, NULL, on_closed, conn_ref(c));
  conn_unref(c); /* the listener's reference */
}

static gboolean on_timer(gpointer data)
{
  Conn *c = data;
  c->timer = 0;
  if (c->handshaking || !c->s || okno_smtp_session_closed(c->s)) {
    conn_finish(c, "timeout");
    return G_SOURCE_REMOVE;
  }
  okno_smtp_session_timeout(c->s, c->timer_why);
  start_io(c);
  return G_SOURCE_REMOVE;
}

/* The earliest deadline of the time bounds (see the top of the file) and its reason. */
static gint64 session_deadline(Conn *c, gint64 now, const char **why)
{
  const OknoConfig *cfg = c->l->cfg;
  gboolean in_data = okno_smtp_session_in_data(c->s);
  guint64 lines = okno_smtp_session_lines(c->s);
  gint64 deadline;
  if (in_data != c->clock_in_data || (!in_data && lines != c->clock_lines)) {
    c->clock_in_data = in_data; /* a new phase: a DATA began, or a command line ended */
    c->phase_us = now;
    c->data_bytes = 0;
  }
  c->clock_lines = lines;
  *why = NULL;
  if (!in_data)
    return c->phase_us + cfg->command_timeout * G_USEC_PER_SEC;
  deadline = MAX(c->last_read_us, c->phase_us) + cfg->data_timeout * G_USEC_PER_SEC;
  if (c->phase_us + cfg->data_total_timeout * G_USEC_PER_SEC < deadline) {
    deadline = c->phase_us + cfg->data_total_timeout * G_USEC_PER_SEC;
    *why = "message took too long";
  }
  if (cfg->data_min_rate > 0) {
    gint64 rate = c->phase_us + cfg->data_timeout * G_USEC_PER_SEC +
                  (gint64)(c->data_bytes * G_USEC_PER_SEC / (guint64)cfg->data_min_rate);
    if (rate < deadline) {
      deadline = rate;
      *why = "data arriving too slowly";
    }
  }
  return deadline;
}

static void arm_timer(Conn *c)
{
  gint64 now = g_get_monotonic_time(), deadline;
  g_clear_handle_id(&c->timer, g_source_remove);
  c->timer_why = NULL;
  if (c->finished || c->delivering)
    return; /* the store is working, not the client */
  if (!c->s || okno_smtp_session_closed(c->s) || c->close_requested)
    deadline = now + CLOSE_LINGER_SECONDS * G_USEC_PER_SEC;
  else
    deadline = session_deadline(c, now, &c->timer_why);
  c->timer = g_timeout_add((guint)(MAX(deadline - now, 0) / 1000 + 1), on_timer, c);
}

/* ---- reading ---- */

static void on_read(GObject *src, GAsyncResult *res, gpointer data)
{
  Conn *c = data;
  g_autoptr(GError) err = NULL;
  gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, &err);
  c->reading = FALSE;
  if (!c->finished) {
    if (n <= 0) {
      if (n < 0)
        okno_log("smtp", "session=%s event=read-error error=\"%s\"",
                 okno_smtp_session_id(c->s), err->message);
      conn_finish(c, n == 0 ? "eof" : "read-error");
    } else {
      c->last_read_us = g_get_monotonic_time();
      if (okno_smtp_session_in_data(c->s))
        c->data_bytes += (guint64)n;
      okno_smtp_session_feed(c->s, (const char *)c->rbuf, (gsize)n);
      start_io(c);
    }
  }
  conn_unref(c);
}

/* After every event: re-arm the timer and read again if the session can take more. */
static void start_io(Conn *c)
{
  if (c->finished)
    return;
  arm_timer(c);
  if (!c->s || c->reading || c->close_requested || c->handshaking || c->tls_requested ||
      !okno_smtp_session_wants_input(c->s) || c->out->len + c->wbuf->len > MAX_PENDING_OUTPUT)
    return;
  c->reading = TRUE;
  g_input_stream_read_async(g_io_stream_get_input_stream(c->stream), c->rbuf, sizeof c->rbuf,
                            G_PRIORITY_DEFAULT, c->cancel, on_read, conn_ref(c));
}

/* ---- writing, closing, STARTTLS ---- */

static void on_handshake(GObject *src, GAsyncResult *res, gpointer data)
{
  Conn *c = data;
  g_autoptr(GError) err = NULL;
  c->handshaking = FALSE;
  if (!g_tls_connection_handshake_finish(G_TLS_CONNECTION(src), res, &err)) {
    if (!c->finished) {
      okno_log("smtp", "session=%s event=tls-failed error=\"%s\"", okno_smtp_session_id(c->s),
               err->message);
      conn_finish(c, "tls-failed");
    }
  } else if (!c->finished) {
    g_object_unref(c->stream);
    c->stream = G_IO_STREAM(g_object_ref(src));
    okno_smtp_session_tls_started(c->s);
    start_io(c);
    flush(c);
  }
  conn_unref(c);
}

static void begin_tls(Conn *c)
{
  g_autoptr(GError) err = NULL;
  GIOStream *tls;
  c->tls_requested = FALSE;
  tls = g_tls_server_connection_new(c->stream, c->l->cert, &err);
  if (!tls) {
    okno_log_warn("smtp", "session=%s event=tls-failed error=\"%s\"", okno_smtp_session_id(c->s),
                  err->message);
    conn_finish(c, "tls-failed");
    return;
  }
  c->handshaking = TRUE;
  arm_timer(c);
  g_tls_connection_handshake_async(G_TLS_CONNECTION(tls), G_PRIORITY_DEFAULT, c->cancel,
                                   on_handshake, conn_ref(c));
  g_object_unref(tls); /* the handshake holds it until on_handshake */
}

static void on_written(GObject *src, GAsyncResult *res, gpointer data)
{
  Conn *c = data;
  g_autoptr(GError) err = NULL;
  gboolean ok = g_output_stream_write_all_finish(G_OUTPUT_STREAM(src), res, NULL, &err);
  c->writing = FALSE;
  g_string_truncate(c->wbuf, 0);
  if (!c->finished) {
    if (!ok)
      conn_finish(c, "write-error");
    else {
      flush(c);
      if (c->s)
        start_io(c);
    }
  }
  conn_unref(c);
}

/* Hands the queued replies to the stream; once all are out, performs a requested
 * close or TLS handshake. */
static void flush(Conn *c)
{
  GString *t;
  if (c->finished || c->writing)
    return;
  if (c->out->len == 0) {
    if (c->close_requested)
      conn_finish(c, "closed");
    else if (c->tls_requested)
      begin_tls(c);
    return;
  }
  t = c->wbuf;
  c->wbuf = c->out;
  c->out = t;
  c->writing = TRUE;
  g_output_stream_write_all_async(g_io_stream_get_output_stream(c->stream), c->wbuf->str,
                                  c->wbuf->len, G_PRIORITY_DEFAULT, c->cancel, on_written,
                                  conn_ref(c));
}

/* ---- the session's transport ---- */

static void t_write(gpointer io, const char *data, gsize len)
{
  Conn *c = io;
  if (c->finished)
    return;
  g_string_append_len(c->out, data, len);
  flush(c);
}

static void t_close(gpointer io)
{
  Conn *c = io;
  c->close_requested = TRUE;
  flush(c);
}

static void t_starttls(gpointer io)
{
  Conn *c = io;
  c->tls_requested = TRUE;
  flush(c);
}

/* The time from the end of a message's DATA to its 250 (the group commit included). */
static OknoMetricFamily *smtp_250_seconds(void)
{
  return okno_metrics_histogram(okno_metrics(), "okno_smtp_data_to_250_seconds",
                                "Time from the end of an SMTP/LMTP message to its 250 reply "
                                "(parse, checks and the durable commit).",
                                NULL, okno_metrics_latency_buckets,
                                okno_metrics_latency_n_buckets);
}

static void on_intake_done(const OknoIntakeResult *res, const GError *err, gpointer data)
{
  Conn *c = data;
  OknoListener *l = c->l;
  c->delivering = FALSE;
  l->pending--;
  if (!err)
    okno_metric_observe(smtp_250_seconds(),
                        (double)(g_get_monotonic_time() - c->deliver_us) / G_USEC_PER_SEC);
  if (!err && res && res->receipt_queued && l->outbound)
    okno_outbound_wake(l->outbound);
  if (!c->finished) {
    okno_smtp_session_delivered(c->s, res, err);
    start_io(c);
  }
  check_done(l);
  conn_unref(c);
}

static void t_deliver(gpointer io, GBytes *msg, const OknoEnvelope *env)
{
  Conn *c = io;
  c->delivering = TRUE;
  c->deliver_us = g_get_monotonic_time();
  c->l->pending++;
  g_clear_handle_id(&c->timer, g_source_remove);
  okno_intake_submit_async(c->l->intake, msg, env, on_intake_done, conn_ref(c));
}

static const OknoSmtpTransport conn_transport = {t_write, t_close, t_starttls, t_deliver};

/* ---- accepting ---- */

static char *peer_of(GSocketConnection *conn)
{
  g_autoptr(GSocketAddress) addr = g_socket_connection_get_remote_address(conn, NULL);
  if (addr && G_IS_INET_SOCKET_ADDRESS(addr))
    return g_inet_address_to_string(
      g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(addr)));
  return g_strdup("unix");
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *conn,
                            GObject *source, gpointer data)
{
  Service *svc = data;
  OknoListener *l = svc->l;
  g_autofree char *peer = peer_of(conn);
  gboolean tcp = strcmp(peer, "unix") != 0;
  guint from_peer = 0;
  Conn *c = g_new0(Conn, 1);
  c->refs = 1;
  c->l = l;
  c->conn = g_object_ref(conn);
  c->stream = G_IO_STREAM(g_object_ref(conn));
  c->cancel = g_cancellable_new();
  c->out = g_string_new(NULL);
  c->wbuf = g_string_new(NULL);
  c->phase_us = c->last_read_us = g_get_monotonic_time();
  l->nconns++;
  if (tcp)
    from_peer = GPOINTER_TO_UINT(g_hash_table_lookup(l->per_ip, peer));
  if (l->stopping || l->nsessions >= (guint)l->cfg->max_sessions || from_peer >= l->per_ip_max) {
    char tag[OKNO_PII_BUF];
    const char *why = l->stopping                                     ? "stopping"
                      : l->nsessions >= (guint)l->cfg->max_sessions ? "max-sessions"
                                                                     : "max-sessions-per-ip";
    okno_log("smtp", "event=refused reason=%s sessions=%u peer=%s", why, l->nsessions,
             okno_pii(peer, tag));
    g_string_append(c->out, l->stopping ? "421 4.3.2 Service shutting down, try later\r\n"
                            : strcmp(why, "max-sessions-per-ip") == 0
                              ? "421 4.7.0 Too many connections from your address, try later\r\n"
                              : "421 4.7.0 Too many connections, try later\r\n");
    c->close_requested = TRUE;
    arm_timer(c);
    flush(c);
    return TRUE;
  }
  c->s = okno_smtp_session_new(l->cfg, svc->proto, peer, l->cert != NULL, &conn_transport, c);
  l->conns = g_list_prepend(l->conns, c);
  l->nsessions++;
  if (tcp) {
    c->peer = g_strdup(peer);
    g_hash_table_insert(l->per_ip, g_strdup(peer), GUINT_TO_POINTER(from_peer + 1));
  }
  okno_smtp_session_start(c->s);
  start_io(c);
  return TRUE;
}

/* ---- binding ---- */

/* [lmtp] socket_group and socket_mode on the bound socket, so that an MTA running as
 * another user (Postfix's lmtp client runs as `postfix`) may connect. */
static gboolean set_socket_access(const OknoConfig *cfg, const char *path, GError **error)
{
  guint mode = 0;
  if (*cfg->lmtp_socket_group) {
    struct group *gr = getgrnam(cfg->lmtp_socket_group);
    if (!gr) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[lmtp] socket_group: no group '%s'",
                  cfg->lmtp_socket_group);
      return FALSE;
    }
    if (chown(path, (uid_t)-1, gr->gr_gid) != 0) {
      int e = errno;
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[lmtp] socket_group %s on %s: %s",
                  cfg->lmtp_socket_group, path, g_strerror(e));
      return FALSE;
    }
  }
  if (okno_config_socket_mode(cfg, &mode) && g_chmod(path, (int)mode) != 0) {
    int e = errno;
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[lmtp] socket_mode %s on %s: %s",
                cfg->lmtp_socket_mode, path, g_strerror(e));
    return FALSE;
  }
  return TRUE;
}

static gboolean bind_address(OknoListener *l, const char *spec, OknoSmtpProto proto,
                             GError **error)
{
  const char *pname = proto == OKNO_PROTO_LMTP ? "lmtp" : "smtp";
  Service *svc = g_new0(Service, 1);
  g_autoptr(GError) e = NULL;
  svc->l = l;
  svc->proto = proto;
  svc->service = g_socket_service_new();
  g_socket_service_stop(svc->service);
  g_socket_listener_set_backlog(G_SOCKET_LISTENER(svc->service), LISTEN_BACKLOG);
  g_ptr_array_add(l->services, svc);
  g_signal_connect(svc->service, "incoming", G_CALLBACK(on_incoming), svc);

  if (g_str_has_prefix(spec, "unix:")) {
    const char *path = spec + 5;
    GStatBuf st;
    g_autoptr(GSocketAddress) addr = NULL;
    if (!*path) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[%s] listen: empty Unix socket path", pname);
      return FALSE;
    }
    if (g_lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
      g_unlink(path); /* left by a previous run */
    addr = g_unix_socket_address_new(path);
    if (!g_socket_listener_add_address(G_SOCKET_LISTENER(svc->service), addr,
                                       G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL,
                                       NULL, &e)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[%s] listen %s: %s", pname, spec,
                  e->message);
      return FALSE;
    }
    l->unix_path = g_strdup(path);
    if (proto == OKNO_PROTO_LMTP && !set_socket_access(l->cfg, path, error))
      return FALSE;
    g_ptr_array_add(l->bound, g_strdup_printf("proto=%s path=%s", pname, path));
    return TRUE;
  }

  {
    g_autoptr(GSocketConnectable) where = g_network_address_parse(spec, 25, &e);
    g_autoptr(GSocketAddressEnumerator) en = NULL;
    GSocketAddress *a;
    guint n = 0;
    if (!where) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "[%s] listen: '%s' is not host:port or unix:/path (%s)", pname, spec, e->message);
      return FALSE;
    }
    en = g_socket_connectable_enumerate(where);
    while ((a = g_socket_address_enumerator_next(en, NULL, &e))) {
      g_autoptr(GSocketAddress) addr = a;
      g_autoptr(GSocketAddress) eff = NULL;
      g_autofree char *host = NULL;
      if (!G_IS_INET_SOCKET_ADDRESS(addr))
        continue;
      if (!g_socket_listener_add_address(G_SOCKET_LISTENER(svc->service), addr,
                                         G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                         &eff, &e)) {
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[%s] listen %s: %s", pname, spec,
                    e->message);
        return FALSE;
      }
      host = g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(eff)));
      g_ptr_array_add(l->bound, g_strdup_printf("proto=%s addr=%s port=%u", pname, host,
                                                g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(eff))));
      n++;
    }
    if (n == 0) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[%s] listen %s: %s", pname, spec,
                  e ? e->message : "no address");
      return FALSE;
    }
  }
  return TRUE;
}

OknoListener *okno_listener_new(const OknoConfig *cfg, OknoIntake *intake,
                                OknoOutbound *outbound, GError **error)
{
  OknoListener *l = g_new0(OknoListener, 1);
  l->cfg = cfg;
  l->intake = intake;
  l->outbound = outbound;
  l->services = g_ptr_array_new();
  l->bound = g_ptr_array_new_with_free_func(g_free);
  l->per_ip = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  l->per_ip_max = cfg->max_sessions_per_ip > 0 ? (guint)cfg->max_sessions_per_ip
                                               : (guint)MAX(1, cfg->max_sessions / 10);
  if (*cfg->tls_cert || *cfg->tls_key) {
    g_autoptr(GError) e = NULL;
    l->cert = g_tls_certificate_new_from_files(cfg->tls_cert, cfg->tls_key, &e);
    if (!l->cert) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[smtp] tls_cert/tls_key: %s", e->message);
      okno_listener_free(l);
      return NULL;
    }
  }
  if (cfg->spool_threshold < cfg->max_message_size &&
      g_mkdir_with_parents(cfg->spool_dir, 0700) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[smtp] spool_dir %s: %s", cfg->spool_dir,
                g_strerror(errno));
    okno_listener_free(l);
    return NULL;
  }
  if ((*cfg->smtp_listen && !bind_address(l, cfg->smtp_listen, OKNO_PROTO_SMTP, error)) ||
      (*cfg->lmtp_listen && !bind_address(l, cfg->lmtp_listen, OKNO_PROTO_LMTP, error))) {
    okno_listener_free(l);
    return NULL;
  }
  return l;
}

void okno_listener_start(OknoListener *l)
{
  for (guint i = 0; i < l->services->len; i++)
    g_socket_service_start(((Service *)g_ptr_array_index(l->services, i))->service);
  for (guint i = 0; i < l->bound->len; i++)
    okno_log("smtp", "event=listening %s max_sessions=%" G_GINT64_FORMAT " per_ip=%u",
             (const char *)g_ptr_array_index(l->bound, i), l->cfg->max_sessions, l->per_ip_max);
}

static void close_services(OknoListener *l)
{
  for (guint i = 0; i < l->services->len; i++) {
    Service *svc = g_ptr_array_index(l->services, i);
    g_socket_service_stop(svc->service);
    g_socket_listener_close(G_SOCKET_LISTENER(svc->service));
  }
  if (l->unix_path) {
    g_unlink(l->unix_path);
    g_clear_pointer(&l->unix_path, g_free);
  }
}

static gboolean on_grace_over(gpointer data)
{
  OknoListener *l = data;
  l->grace_source = 0;
  okno_log("smtp", "event=grace-over sessions=%u", l->nsessions);
  close_services(l);
  for (GList *it = l->conns, *next; it; it = next) {
    Conn *c = it->data;
    next = it->next; /* shutdown may finish the connection */
    okno_smtp_session_shutdown(c->s, TRUE);
    start_io(c);
  }
  return G_SOURCE_REMOVE;
}

void okno_listener_stop(OknoListener *l, guint grace_seconds, void (*done)(gpointer),
                        gpointer user_data)
{
  if (l->stopping) { /* again: the grace period ends now */
    g_clear_handle_id(&l->grace_source, g_source_remove);
    on_grace_over(l);
    return;
  }
  l->stopping = TRUE;
  l->done = done;
  l->done_data = user_data;
  /* The listening sockets stay open through the grace period: a client connecting now
   * hears 421 (and retries later or elsewhere) rather than "connection refused". */
  okno_log("smtp", "event=stopping sessions=%u grace=%u", l->nsessions, grace_seconds);
  for (GList *it = l->conns, *next; it; it = next) {
    Conn *c = it->data;
    next = it->next;
    okno_smtp_session_shutdown(c->s, FALSE);
    start_io(c);
  }
  if (l->conns)
    l->grace_source = g_timeout_add_seconds(grace_seconds, on_grace_over, l);
  check_done(l);
}

gboolean okno_listener_reload_tls(OknoListener *l, GError **error)
{
  g_autoptr(GError) e = NULL;
  GTlsCertificate *cert;
  if (!*l->cfg->tls_cert && !*l->cfg->tls_key) {
    g_clear_object(&l->cert);
    return TRUE;
  }
  cert = g_tls_certificate_new_from_files(l->cfg->tls_cert, l->cfg->tls_key, &e);
  if (!cert) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[smtp] tls_cert/tls_key: %s", e->message);
    return FALSE;
  }
  /* Handshakes under way hold their own reference to the old one. */
  g_clear_object(&l->cert);
  l->cert = cert;
  return TRUE;
}

guint okno_listener_sessions(const OknoListener *l)
{
  return l->nsessions;
}

void okno_listener_free(OknoListener *l)
{
  if (!l)
    return;
  close_services(l);
  g_clear_handle_id(&l->grace_source, g_source_remove);
  g_clear_handle_id(&l->done_source, g_source_remove);
  while (l->conns)
    conn_finish(l->conns->data, "server-exit");
  for (guint i = 0; i < l->services->len; i++) {
    Service *svc = g_ptr_array_index(l->services, i);
    g_signal_handlers_disconnect_by_data(svc->service, svc);
    g_object_unref(svc->service);
    g_free(svc);
  }
  g_ptr_array_unref(l->services);
  g_ptr_array_unref(l->bound);
  g_hash_table_unref(l->per_ip);
  g_clear_object(&l->cert);
  g_free(l);
}
