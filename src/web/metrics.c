/* metrics.c: /metrics, /healthz and /readyz on [metrics] listen (see metrics.h).
 *
 * A SoupServer fed by its own GSocketService (as server.c does, for the same reason:
 * libsoup 3.2's listener leaks a socket per connection). /healthz is answered on the
 * main loop; /metrics and /readyz pause the message and go to a one-thread pool that
 * owns a store connection; the answer is written back on the main loop. */
#include "web/metrics.h"

#include <libsoup/soup.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/report.h"
#include "web/server.h"

struct OknoMetricsServer {
  const OknoConfig *cfg;
  SoupServer *server;
  GSocketService *service;
  GThreadPool *worker;  /* one thread: the only user of `store` */
  OknoStore *store;     /* opened by the worker at its first request */
  guint port;
  gboolean stopped;
};

typedef struct {
  OknoMetricsServer *ms;
  SoupServerMessage *msg;
  gboolean ready;       /* /readyz, else /metrics */
  guint status;
  char *type;
  char *body;
} Scrape;

/* Worker: the store's gauges into the registry. FALSE when the store could not be read. */
static gboolean read_gauges(OknoMetricsServer *ms)
{
  static const char *const by_status[] = {"status", NULL};
  OknoMetrics *m = okno_metrics();
  g_autoptr(GError) err = NULL;
  OknoStoreGauges g;
  gint64 now = okno_now();
  GHashTableIter it;
  gpointer key, value;
  if (!ms->store)
    ms->store = okno_store_open(ms->cfg->store_url, &err);
  if (!ms->store || !okno_store_gauges(ms->store, now, &g, &err)) {
    okno_log_warn("metrics", "event=store-read-failed error=\"%s\"", err->message);
    return FALSE;
  }
  okno_metric_set(okno_metrics_gauge(m, "okno_outbound_queue_depth",
                                     "Outbound messages waiting for delivery (state queued).",
                                     NULL),
                  (double)g.outbound_queued);
  okno_metric_set(okno_metrics_gauge(m, "okno_outbound_oldest_age_seconds",
                                     "Age of the oldest outbound message still queued "
                                     "(0 when none).",
                                     NULL),
                  g.outbound_oldest_at ? (double)(now - g.outbound_oldest_at) / G_USEC_PER_SEC : 0);
  okno_metric_set(okno_metrics_gauge(m, "okno_appeals_overdue",
                                     "Open appeals in a queue whose deadline has passed.", NULL),
                  (double)g.overdue);
  g_hash_table_iter_init(&it, g.by_status);
  while (g_hash_table_iter_next(&it, &key, &value))
    okno_metric_set(okno_metrics_gauge(m, "okno_appeals", "Appeals in the registry by status.",
                                       by_status),
                    (double)*(gint64 *)value, (const char *)key);
  okno_store_gauges_clear(&g);
  return TRUE;
}

static gboolean answer(gpointer data)
{
  Scrape *s = data;
  soup_server_message_set_status(s->msg, s->status, NULL);
  soup_server_message_set_response(s->msg, s->type, SOUP_MEMORY_TAKE, g_steal_pointer(&s->body),
                                   strlen(s->body ? s->body : ""));
  soup_server_message_unpause(s->msg);
  g_object_unref(s->msg);
  g_free(s->body);
  g_free(s);
  return G_SOURCE_REMOVE;
}

static void work(gpointer data, gpointer pool_data)
{
  Scrape *s = data;
  OknoMetricsServer *ms = pool_data;
  s->type = "text/plain; charset=utf-8";
  if (s->ready) {
    g_autoptr(GError) err = NULL;
    if (!ms->store)
      ms->store = okno_store_open(ms->cfg->store_url, &err);
    if (ms->store && okno_store_ready(ms->store, &err)) {
      s->status = 200;
      s->body = g_strdup("ready\n");
    } else {
      s->status = 503;
      s->body = g_strdup_printf("not ready: %s\n", err->message);
      /* a broken connection is opened afresh next time */
      g_clear_pointer(&ms->store, okno_store_close);
    }
  } else {
    gboolean up = read_gauges(ms);
    okno_metric_set(okno_metrics_gauge(okno_metrics(), "okno_store_up",
                                       "1 when this scrape could read the store's gauges.",
                                       NULL),
                    up ? 1 : 0);
    if (!up)
      g_clear_pointer(&ms->store, okno_store_close);
    s->status = 200;
    s->type = "text/plain; version=0.0.4; charset=utf-8";
    s->body = okno_metrics_render(okno_metrics());
  }
  g_main_context_invoke(NULL, answer, s);
}

static void on_request(SoupServer *server, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer data)
{
  OknoMetricsServer *ms = data;
  const char *method = soup_server_message_get_method(msg);
  gboolean known = !strcmp(path, "/metrics") || !strcmp(path, "/healthz") ||
                   !strcmp(path, "/readyz");
  Scrape *s;
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Cache-Control",
                               "no-store");
  if (!known) {
    soup_server_message_set_status(msg, 404, NULL);
    soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC, "not found\n", 10);
    return;
  }
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
                                 "GET, HEAD");
    soup_server_message_set_status(msg, 405, NULL);
    return;
  }
  if (!strcmp(path, "/healthz")) {
    soup_server_message_set_status(msg, 200, NULL);
    soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC, "ok\n", 3);
    return;
  }
  s = g_new0(Scrape, 1);
  s->ms = ms;
  s->msg = g_object_ref(msg);
  s->ready = !strcmp(path, "/readyz");
  soup_server_message_pause(msg);
  g_thread_pool_push(ms->worker, s, NULL);
}

static gboolean on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source,
                            gpointer data)
{
  OknoMetricsServer *ms = data;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address(conn, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address(conn, NULL);
  g_autoptr(GError) err = NULL;
  if (ms->stopped || !local || !remote)
    return TRUE;
  if (!soup_server_accept_iostream(ms->server, G_IO_STREAM(conn), local, remote, &err))
    okno_log_warn("metrics", "event=accept-failed error=\"%s\"", err->message);
  return TRUE;
}

OknoMetricsServer *okno_metrics_server_new(const OknoConfig *cfg, GError **error)
{
  OknoMetricsServer *ms = g_new0(OknoMetricsServer, 1);
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  ms->cfg = cfg;
  if (!okno_web_parse_listen("[metrics] listen", cfg->metrics_listen, &addr, error))
    goto fail;
  ms->worker = g_thread_pool_new(work, ms, 1, TRUE, NULL);
  ms->server = soup_server_new("server-header", "okno", NULL);
  soup_server_add_handler(ms->server, NULL, on_request, ms, NULL);
  ms->service = g_socket_service_new();
  if (!g_socket_listener_add_address(G_SOCKET_LISTENER(ms->service), addr, G_SOCKET_TYPE_STREAM,
                                     G_SOCKET_PROTOCOL_TCP, NULL, &bound, error)) {
    g_prefix_error(error, "[metrics] listen %s: ", cfg->metrics_listen);
    (*error)->domain = OKNO_ERROR;
    (*error)->code = OKNO_ERROR_USER;
    goto fail;
  }
  ms->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_signal_connect(ms->service, "incoming", G_CALLBACK(on_incoming), ms);
  return ms;
fail:
  okno_metrics_server_free(ms);
  return NULL;
}

void okno_metrics_server_start(OknoMetricsServer *ms)
{
  g_socket_service_start(ms->service);
  okno_log("metrics", "event=listening addr=%s port=%u", ms->cfg->metrics_listen, ms->port);
}

void okno_metrics_server_stop(OknoMetricsServer *ms)
{
  if (!ms || ms->stopped)
    return;
  ms->stopped = TRUE;
  if (ms->service) {
    g_socket_service_stop(ms->service);
    g_socket_listener_close(G_SOCKET_LISTENER(ms->service));
  }
}

void okno_metrics_server_free(OknoMetricsServer *ms)
{
  if (!ms)
    return;
  okno_metrics_server_stop(ms);
  /* the scrape in progress finishes; its answer is queued on the main loop */
  if (ms->worker)
    g_thread_pool_free(ms->worker, FALSE, TRUE);
  while (g_main_context_pending(NULL))
    g_main_context_iteration(NULL, FALSE);
  if (ms->server)
    soup_server_disconnect(ms->server);
  g_clear_object(&ms->service);
  g_clear_object(&ms->server);
  while (g_main_context_pending(NULL))
    g_main_context_iteration(NULL, FALSE);
  okno_store_close(ms->store);
  g_free(ms);
}

guint okno_metrics_server_port(const OknoMetricsServer *ms)
{
  return ms->port;
}
