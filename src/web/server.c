/* server.c: the HTTP server on libsoup 3, its dispatch and replies (see server.h).
 *
 * One SoupServer on the main loop. An early handler (run after the request headers,
 * before the body) refuses bodies over [http] max_body with 413 and bodies of unknown
 * length with 411; such a body is then read and dropped chunk by chunk (or never sent,
 * when the client asked with Expect: 100-continue), so it is never held in memory. The main
 * handler builds an OknoReq, applies the per-IP limit and serves static files; anything
 * else it pauses and pushes to the worker pool. A worker finds the route (404/405),
 * parses the form, looks up the session, enforces the route's flags (session kind,
 * CSRF, forms_per_hour) and calls the handler. The reply functions (reply.c) record
 * the answer in the OknoReq; back on the main loop (finish()) it is written to the message, which
 * is unpaused. A request is finished when the worker is done with it and, if a handler
 * held it, when it was released: whichever comes second. Templates and static files
 * are read once at start. */
#include "web/server_int.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/thread_name.h"
#include "core/metrics.h"
#include "web/routes.h"

#define PURGE_SECONDS 3600


typedef struct {
  const OknoRoute *routes;
  gsize n;
} RouteTable;

struct OknoWeb {
  const OknoConfig *cfg;
  OknoIntake *intake;
  SoupServer *server;
  GSocketService *service; /* accepts for the server (see on_incoming) */
  OknoStore *store;
  GMutex assets_lock;    /* guards the pointer `assets` (okno_web_reload swaps it) */
  OknoWebAssets *assets; /* templates and static files of [http] web_dir */
  GArray *tables;      /* RouteTable */
  OknoRateLimit *rl;
  guint8 secret[OKNO_WEB_SECRET_BYTES];
  gboolean secure_cookies;
  guint port;
  guint purge_id;
  gboolean stopped;
  guint busy;          /* requests handed to the workers and not finished (main loop) */
  GHashTable *conns;   /* GSocket* -> Conn*: open connections and their header clocks */
  GThreadPool *workers;
  struct {             /* okno_web_free: every worker cleans up, then the pool ends */
    GMutex lock;
    GCond cond;
    guint arrived;
  } drain;
};

/* Each worker thread's own store connection, opened at its first request, closed by
 * drain_worker() (or, should a thread end otherwise, by its destructor). */
static GPrivate worker_store = G_PRIVATE_INIT((GDestroyNotify)okno_store_close);

/* okno_web_free pushes one of these per worker thread: each closes its thread's store
 * connection and gives back OpenSSL's per-thread state (TOTP's HMAC, DKIM signing: not
 * freed by OpenSSL for threads it did not see start), then waits for the others, so
 * that every thread takes exactly one and all is clean before the pool is freed. (The
 * pool's threads end after g_thread_pool_free returns: a thread-exit destructor could
 * still be running when the process exits.) */
static void drain_worker(OknoWeb *web)
{
  OknoStore *st = g_private_get(&worker_store);
  if (st) {
    g_private_set(&worker_store, NULL);
    okno_store_close(st);
  }
  OPENSSL_thread_stop();
  g_mutex_lock(&web->drain.lock);
  web->drain.arrived++;
  g_cond_broadcast(&web->drain.cond);
  while (web->drain.arrived < (guint)web->cfg->http_workers)
    g_cond_wait(&web->drain.cond, &web->drain.lock);
  g_mutex_unlock(&web->drain.lock);
}

/* ---- loading ---- */

OknoWebAssets *okno_web_assets_current(OknoWeb *web)
{
  OknoWebAssets *a;
  g_mutex_lock(&web->assets_lock);
  a = okno_web_assets_ref(web->assets);
  g_mutex_unlock(&web->assets_lock);
  return a;
}

gboolean okno_web_reload(OknoWeb *web, GError **error)
{
  g_autofree char *dir = *web->cfg->web_dir ? g_strdup(web->cfg->web_dir) : okno_data_file("web");
  OknoWebAssets *fresh = okno_web_assets_load(dir, error), *old;
  if (!fresh)
    return FALSE;
  g_mutex_lock(&web->assets_lock);
  old = web->assets;
  web->assets = fresh;
  g_mutex_unlock(&web->assets_lock);
  okno_web_assets_unref(old);
  return TRUE;
}

static gboolean load_secret(OknoWeb *web, GError **error)
{
  g_autofree char *fresh = okno_random_hex(sizeof web->secret);
  g_autofree char *hex = NULL;
  gsize len = 0;
  if (!okno_store_secret(web->store, "web", fresh, &hex, error))
    return FALSE;
  if (sodium_hex2bin(web->secret, sizeof web->secret, hex, strlen(hex), NULL, &len, NULL) != 0 ||
      len != sizeof web->secret) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "the stored web secret is malformed");
    return FALSE;
  }
  return TRUE;
}

static gboolean purge(gpointer data)
{
  OknoWeb *web = data;
  g_autoptr(GError) err = NULL;
  if (!okno_store_web_purge(web->store, okno_now(), &err))
    okno_log_warn("web", "event=purge-failed error=\"%s\"", err->message);
  return G_SOURCE_CONTINUE;
}

/* ---- request objects ---- */



static OknoReq *req_new(OknoWeb *web, SoupServerMessage *msg, GHashTable *query)
{
  OknoReq *req = g_new0(OknoReq, 1);
  GUri *uri = soup_server_message_get_uri(msg);
  const char *ua = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
                                                "User-Agent");
  req->refs = 1;
  req->web = web;
  req->msg = g_object_ref(msg);
  req->method = soup_server_message_get_method(msg);
  req->path = g_uri_get_path(uri);
  if (!req->path || !*req->path)
    req->path = "/";
  req->path_rest = "";
  req->query = query ? g_hash_table_ref(query) : g_hash_table_new(g_str_hash, g_str_equal);
  req->form = okno_form_new();
  req->body = g_bytes_new_static("", 0);
  req->client_ip = soup_server_message_get_remote_host(msg);
  if (!req->client_ip)
    req->client_ip = "-";
  req->user_agent = ua ? ua : "";
  req->api = g_str_has_prefix(req->path, "/api/");
  req->cfg = web->cfg;
  req->store = web->store;
  req->intake = web->intake;
  /* read before anything answers: an error page must not replace the cookie */
  req->pre_token = okno_web_cookie(msg, PRE_COOKIE);
  if (req->pre_token && !okno_web_hex_token_ok(req->pre_token, 32))
    g_clear_pointer(&req->pre_token, g_free);
  return req;
}

static void req_unref(OknoReq *req)
{
  if (--req->refs > 0)
    return;
  g_object_unref(req->msg);
  g_clear_pointer(&req->resp_headers, g_ptr_array_unref);
  g_free(req->resp_type);
  g_free(req->resp_body);
  g_hash_table_unref(req->query);
  okno_form_free(req->form);
  g_bytes_unref(req->body);
  okno_session_row_free(req->session);
  g_free(req->pre_token);
  g_free(req->csrf_cache);
  g_free(req);
}


/* Metrics: one answered request, by the class of its route (the path's first segment
 * when it is one of okno's sections, else "other": a bounded set of series whatever
 * paths clients try) and its status. */
static void count_request(const OknoReq *req, guint status)
{
  static const char *const labels[] = {"route", "status", NULL};
  static const char *const classes[] = {"api", "console", "cabinet", "feedback", "status",
                                        "check", "static", "auth", NULL};
  const char *seg = req->path + 1;
  gsize n = strcspn(seg, "/");
  const char *cls = "other";
  char code[8];
  for (gsize i = 0; classes[i]; i++)
    if (strlen(classes[i]) == n && strncmp(seg, classes[i], n) == 0)
      cls = classes[i];
  if (n == 0)
    cls = "root";
  g_snprintf(code, sizeof code, "%u", status);
  okno_metric_add(okno_metrics_counter(okno_metrics(), "okno_http_requests_total",
                                       "HTTP requests answered, by route class and status.",
                                       labels),
                  1, cls, code);
}

/* Main loop: writes the recorded answer into the message. */
static void write_answer(OknoReq *req)
{
  count_request(req, req->status);
  SoupMessageHeaders *h = soup_server_message_get_response_headers(req->msg);
  for (guint i = 0; req->resp_headers && i + 2 < req->resp_headers->len; i += 3) {
    const char *op = req->resp_headers->pdata[i];
    if (*op == '+')
      soup_message_headers_append(h, req->resp_headers->pdata[i + 1], req->resp_headers->pdata[i + 2]);
    else
      soup_message_headers_replace(h, req->resp_headers->pdata[i + 1], req->resp_headers->pdata[i + 2]);
  }
  if (req->status) {
    soup_server_message_set_status(req->msg, req->status, NULL);
    soup_server_message_set_response(req->msg, req->resp_type, SOUP_MEMORY_TAKE,
                                      g_steal_pointer(&req->resp_body), req->resp_len);
  }
}

/* Main loop: a request the workers had is finished once its worker is done and, if a
 * handler held it, it was released. Consumes the workers' reference. */
static void finish(OknoReq *req)
{
  if (!req->handled || (req->held && !req->released))
    return;
  if (!req->answered) {
    okno_log_warn("web", "event=unanswered path=%s", req->path);
    okno_req_error(req, 500, NULL);
  }
  write_answer(req);
  soup_server_message_unpause(req->msg);
  req->web->busy--;
  req_unref(req);
}

void okno_req_hold(OknoReq *req)
{
  req->held = TRUE; /* the message is paused already: the workers have it */
}

void okno_req_release(OknoReq *req)
{
  if (!req->held || req->released)
    return;
  req->released = TRUE;
  finish(req);
}

/* ---- dispatch ---- */

/* Main loop (static files are in memory): answers directly. */
static void serve_static(OknoReq *req)
{
  g_autoptr(OknoWebAssets) assets = okno_web_assets_current(req->web);
  const char *content_type = NULL;
  g_autoptr(GBytes) data = okno_web_assets_static(assets, req->path + strlen("/static/"), &content_type);
  SoupMessageHeaders *h = soup_server_message_get_response_headers(req->msg);
  if (!data) {
    okno_req_error(req, 404, NULL);
    write_answer(req);
    return;
  }
  if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
    okno_web_resp_header(req, FALSE, "Allow", "GET, HEAD");
    okno_req_error(req, 405, NULL);
    write_answer(req);
    return;
  }
  req->answered = TRUE;
  count_request(req, 200);
  soup_message_headers_replace(h, "Cache-Control", "public, max-age=3600");
  soup_message_headers_set_content_type(h, content_type, NULL);
  soup_server_message_set_status(req->msg, 200, NULL);
  /* the body holds its own reference: a reload may drop the set meanwhile */
  soup_message_body_append_bytes(soup_server_message_get_response_body(req->msg), data);
}

static gboolean path_matches(const OknoRoute *r, const char *path, const char **rest)
{
  gsize n = strlen(r->path);
  if (n > 1 && r->path[n - 1] == '/') {
    if (strncmp(path, r->path, n) == 0) {
      *rest = path + n;
      return TRUE;
    }
    return FALSE;
  }
  *rest = "";
  return strcmp(path, r->path) == 0;
}

static const OknoRoute *find_route(OknoReq *req, GString *allow)
{
  const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
  for (int pass = 0; pass < 2; pass++) { /* exact paths first, then prefixes */
    for (guint t = 0; t < req->web->tables->len; t++) {
      const RouteTable *tab = &g_array_index(req->web->tables, RouteTable, t);
      for (gsize i = 0; i < tab->n; i++) {
        const OknoRoute *r = &tab->routes[i];
        const char *rest;
        gboolean prefix = r->path[strlen(r->path) - 1] == '/' && strlen(r->path) > 1;
        if (prefix != (pass == 1) || !path_matches(r, req->path, &rest))
          continue;
        if (strcmp(r->method, method) == 0) {
          req->path_rest = rest;
          return r;
        }
        if (!strstr(allow->str, r->method)) {
          g_string_append_printf(allow, "%s%s", allow->len ? ", " : "", r->method);
          if (strcmp(r->method, "GET") == 0)
            g_string_append(allow, ", HEAD");
        }
      }
    }
    if (allow->len)
      return NULL; /* the path is known by an exact route: 405, not a prefix */
  }
  return NULL;
}

static gboolean parse_body(OknoReq *req, const OknoRoute *route)
{
  SoupMessageBody *b = soup_server_message_get_request_body(req->msg);
  const char *ct = soup_message_headers_get_one(
      soup_server_message_get_request_headers(req->msg), "Content-Type");
  g_autoptr(GError) err = NULL;
  OknoForm *f;
  g_bytes_unref(req->body);
  req->body = soup_message_body_flatten(b);
  if ((route->flags & OKNO_ROUTE_JSON_BODY) && ct &&
      g_ascii_strncasecmp(ct, "application/json", 16) == 0) {
    gsize len = 0;
    const char *data = g_bytes_get_data(req->body, &len);
    if (!g_utf8_validate_len(data ? data : "", len, NULL)) {
      okno_req_error(req, 400, "Данные должны быть в кодировке UTF-8.");
      return FALSE;
    }
    return TRUE;
  }
  if ((route->flags & OKNO_ROUTE_MESSAGE_BODY) && ct &&
      g_ascii_strncasecmp(ct, "message/rfc822", 14) == 0)
    return TRUE;
  f = okno_form_parse(ct, req->body, &err);
  if (!f) {
    okno_req_error(req, g_error_matches(err, OKNO_ERROR, OKNO_ERROR_PERM) ? 415 : 400,
                   err->message);
    return FALSE;
  }
  okno_form_free(req->form);
  req->form = f;
  return TRUE;
}

/* Worker thread: everything between the request and its handler's answer. */
static void dispatch(OknoReq *req)
{
  const OknoConfig *cfg = req->cfg;
  g_autoptr(GString) allow = g_string_new(NULL);
  g_autofree char *token = NULL;
  g_autoptr(GError) err = NULL;
  const OknoRoute *route;

  route = find_route(req, allow);
  if (!route) {
    if (allow->len) {
      okno_web_resp_header(req, FALSE, "Allow", allow->str);
      okno_req_error(req, 405, NULL);
    } else {
      okno_req_error(req, 404, NULL);
    }
    return;
  }
  token = okno_web_cookie(req->msg, OKNO_SESSION_COOKIE);
  if (token) {
    req->session = okno_session_lookup(req->store, token, &err);
    if (err) {
      okno_log_warn("web", "event=session-lookup-failed error=\"%s\"", err->message);
      okno_req_error(req, 500, NULL);
      return;
    }
  }
  if (route->flags & (OKNO_ROUTE_CITIZEN | OKNO_ROUTE_STAFF)) {
    const char *kind = (route->flags & OKNO_ROUTE_STAFF) ? "staff" : "citizen";
    if (!req->session || strcmp(req->session->kind, kind) != 0) {
      if (req->api)
        okno_req_error(req, 401, NULL);
      else
        okno_req_redirect(req, (route->flags & OKNO_ROUTE_STAFF) ? "/console/login"
                                                                 : "/cabinet/login");
      return;
    }
  }
  if (strcmp(req->method, "POST") == 0 && !parse_body(req, route))
    return;
  if (route->flags & OKNO_ROUTE_STATE_CHANGING) {
    /* Staff actions count against their session's own budget (an office behind one
     * address is many operators); everything else against the client address's. */
    gboolean staff = (route->flags & OKNO_ROUTE_STAFF) && req->session;
    double per_hour = staff ? (double)cfg->staff_actions_per_hour : (double)cfg->forms_per_hour;
    g_autofree char *fkey = staff ? g_strdup_printf("staff-actions:%" G_GINT64_FORMAT,
                                                    req->session->id)
                                  : g_strconcat("forms:", req->client_ip, NULL);
    /* a burst of ten (or a minute's worth, when more), never more than the hour's */
    double burst = MIN(per_hour, MAX(10.0, per_hour / 60.0));
    if (!okno_req_limit(req, fkey, per_hour, burst))
      return;
    /* API calls without any cookie carry no ambient authority to forge */
    gboolean cookieless = req->api && !token && !req->pre_token;
    if (!cookieless && !okno_web_csrf_ok(req)) {
      okno_log("web", "event=csrf-refused path=%s session=%s", req->path,
               req->session ? "yes" : "no");
      okno_req_error(req, 403, NULL);
      return;
    }
  }
  route->handler(req);
}

static gboolean worker_done(gpointer data)
{
  OknoReq *req = data;
  req->handled = TRUE;
  finish(req);
  return G_SOURCE_REMOVE;
}

/* Worker thread: one request, on this thread's own store connection. */
static void work(gpointer data, gpointer pool_data)
{
  OknoReq *req = data;
  OknoStore *st;
  okno_thread_name("okno-http");
  if (data == pool_data) {
    drain_worker(pool_data);
    return;
  }
  st = g_private_get(&worker_store);
  if (!st) {
    g_autoptr(GError) err = NULL;
    st = okno_store_open(req->cfg->store_url, &err);
    if (!st)
      okno_log_warn("web", "event=store-open-failed error=\"%s\"", err->message);
    else
      g_private_set(&worker_store, st);
  }
  req->store = st;
  if (st)
    dispatch(req);
  else
    okno_req_error(req, 503, NULL);
  g_main_context_invoke(NULL, worker_done, req);
}

static void on_request(SoupServer *server, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer data)
{
  OknoWeb *web = data;
  const OknoConfig *cfg = web->cfg;
  g_autofree char *ipkey = NULL;
  OknoReq *req;
  okno_web_security_headers(msg);
  req = req_new(web, msg, query);
  ipkey = g_strconcat("ip:", req->client_ip, NULL);
  if (!okno_req_limit(req, ipkey, cfg->requests_per_minute * 60.0, cfg->requests_per_minute)) {
    write_answer(req);
  } else if (g_str_has_prefix(req->path, "/static/")) {
    serve_static(req);
  } else {
    /* the workers own this reference until finish() */
    soup_server_message_pause(msg);
    web->busy++;
    req->refs++;
    g_thread_pool_push(web->workers, req, NULL);
  }
  req_unref(req);
}

/* Runs after the headers, before the body: refuse what must not be read. */
static void on_early(SoupServer *server, SoupServerMessage *msg, const char *path,
                     GHashTable *query, gpointer data)
{
  OknoWeb *web = data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  SoupEncoding enc = soup_message_headers_get_encoding(h);
  guint status = 0;
  if (enc == SOUP_ENCODING_CHUNKED || enc == SOUP_ENCODING_EOF)
    status = 411;
  else if (enc == SOUP_ENCODING_CONTENT_LENGTH &&
           soup_message_headers_get_content_length(h) > (goffset)web->cfg->max_body)
    status = 413;
  if (status) {
    OknoReq *req;
    okno_web_security_headers(msg);
    req = req_new(web, msg, query);
    okno_log("web", "event=body-refused status=%u length=%" G_GOFFSET_FORMAT, status,
             soup_message_headers_get_content_length(h));
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                                 "close");
    okno_req_error(req, status, NULL);
    write_answer(req);
    req_unref(req);
    /* libsoup still reads the body (unless the client sent Expect: 100-continue, which
     * gets the answer at once): drop it chunk by chunk instead of keeping it. */
    soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
  }
}

/* ---- lifecycle ---- */

/* ---- time bounds on a connection ----
 * Every accepted connection is a Conn, keyed by its GSocket (soup_server_message_get_socket
 * finds it from a message). Its header clock runs from the accept, and again from the end
 * of each answer, until the request's headers are complete: past [http] header_timeout
 * the socket is shut down (libsoup sees end of stream and drops the connection), so a
 * client that sends nothing or trickles a header cannot hold it. Every single read or
 * write waits at most [http] idle_timeout (the GSocket's own timeout): a silent body or an
 * idle kept-alive connection ends there. The Conn goes when libsoup lets the connection go
 * (a weak reference). All of this runs on the main loop. */
typedef struct {
  OknoWeb *web;
  GSocketConnection *conn; /* not a reference: libsoup owns it */
  GSocket *sock;
  guint timer;             /* header clock, 0 when stopped */
  gboolean websocket;      /* upgraded (web/chat.c): no HTTP request follows */
} Conn;

static void conn_stop_clock(Conn *c)
{
  if (c->timer)
    g_source_remove(c->timer);
  c->timer = 0;
}

static gboolean conn_header_timeout(gpointer data)
{
  Conn *c = data;
  c->timer = 0;
  okno_log("web", "event=header-timeout seconds=%" G_GINT64_FORMAT, c->web->cfg->http_header_timeout);
  g_socket_shutdown(c->sock, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static void conn_start_clock(Conn *c)
{
  conn_stop_clock(c);
  c->timer = g_timeout_add_seconds((guint)c->web->cfg->http_header_timeout,
                                   conn_header_timeout, c);
}

static void conn_free(gpointer data)
{
  Conn *c = data;
  conn_stop_clock(c);
  g_free(c);
}

/* libsoup dropped the connection */
static void conn_gone(gpointer data, GObject *where_the_object_was)
{
  Conn *c = data;
  g_hash_table_remove(c->web->conns, c->sock);
}

static Conn *conn_of(OknoWeb *web, SoupServerMessage *msg)
{
  GSocket *sock = soup_server_message_get_socket(msg);
  return sock ? g_hash_table_lookup(web->conns, sock) : NULL;
}

static void on_got_headers(SoupServerMessage *msg, gpointer data)
{
  Conn *c = conn_of(data, msg);
  if (c)
    conn_stop_clock(c);
}

static void on_request_started(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  g_signal_connect(msg, "got-headers", G_CALLBACK(on_got_headers), data);
}

/* an answer went out: a kept-alive connection has header_timeout for its next request */
static void on_request_finished(SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  Conn *c = conn_of(data, msg);
  /* a WebSocket (web/chat.c) is no longer HTTP: no clock for a next request */
  if (c && !c->websocket)
    conn_start_clock(c);
}

/* Connections are accepted here and handed to libsoup, instead of soup_server_listen():
 * libsoup 3.2's own listener (Debian 12) leaks the GSocket of every connection it
 * accepts (fixed upstream later), which a long-running daemon cannot afford. The price:
 * libsoup 3.2 closes a connection it got this way after one request (no keep-alive),
 * so every request pays a TCP handshake (bench/http measures it, static files alike). */
static gboolean on_incoming(GSocketService *service, GSocketConnection *conn,
                            GObject *source, gpointer data)
{
  OknoWeb *web = data;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address(conn, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address(conn, NULL);
  g_autoptr(GError) err = NULL;
  Conn *c;
  GSocket *sock = g_socket_connection_get_socket(conn);
  if (web->stopped || !local || !remote)
    return TRUE;
  g_socket_set_option(sock, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  g_socket_set_timeout(sock, (guint)web->cfg->http_idle_timeout);
  c = g_new0(Conn, 1);
  c->web = web;
  c->conn = conn;
  c->sock = sock;
  g_hash_table_replace(web->conns, sock, c);
  g_object_weak_ref(G_OBJECT(conn), conn_gone, c);
  conn_start_clock(c);
  if (!soup_server_accept_iostream(web->server, G_IO_STREAM(conn), local, remote, &err))
    okno_log_warn("web", "event=accept-failed error=\"%s\"", err->message);
  return TRUE;
}

gboolean okno_web_parse_listen(const char *key, const char *listen, GSocketAddress **addr,
                               GError **error)
{
  const char *colon = strrchr(listen, ':');
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) ia = NULL;
  guint64 port = 0;
  if (colon)
    host = g_strndup(listen, colon - listen);
  if (host && host[0] == '[' && host[strlen(host) - 1] == ']') {
    memmove(host, host + 1, strlen(host));
    host[strlen(host) - 1] = '\0';
  }
  if (!colon || !g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &port, NULL) ||
      !(ia = g_inet_address_new_from_string(host))) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s = '%s' must be IP:PORT, e.g. 127.0.0.1:8080", key, listen);
    return FALSE;
  }
  *addr = g_inet_socket_address_new(ia, (guint16)port);
  return TRUE;
}

OknoWeb *okno_web_new(const OknoConfig *cfg, OknoIntake *intake, GError **error)
{
  OknoWeb *web = g_new0(OknoWeb, 1);
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *dir = *cfg->web_dir ? g_strdup(cfg->web_dir) : okno_data_file("web");

  web->cfg = cfg;
  web->intake = intake;
  g_mutex_init(&web->drain.lock);
  g_cond_init(&web->drain.cond);
  g_mutex_init(&web->assets_lock);
  web->tables = g_array_new(FALSE, FALSE, sizeof(RouteTable));
  web->rl = okno_ratelimit_new();
  web->conns = g_hash_table_new_full(NULL, NULL, NULL, conn_free);
  web->secure_cookies = g_str_has_prefix(cfg->public_url, "https:");
  if (sodium_init() < 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "libsodium failed to initialise");
    goto fail;
  }
  if (!okno_web_parse_listen("[http] listen", cfg->http_listen, &addr, error) ||
      !(web->assets = okno_web_assets_load(dir, error)))
    goto fail;
  web->store = okno_store_open(cfg->store_url, error);
  if (!web->store || !load_secret(web, error))
    goto fail;
  /* exclusive: its threads end when it is freed, closing their store connections */
  web->workers = g_thread_pool_new(work, web, (gint)cfg->http_workers, TRUE, NULL);
  web->server = soup_server_new("server-header", "okno", NULL);
  soup_server_add_early_handler(web->server, NULL, on_early, web, NULL);
  soup_server_add_handler(web->server, NULL, on_request, web, NULL);
  g_signal_connect(web->server, "request-started", G_CALLBACK(on_request_started), web);
  g_signal_connect(web->server, "request-finished", G_CALLBACK(on_request_finished), web);
  web->service = g_socket_service_new();
  g_socket_listener_set_backlog(G_SOCKET_LISTENER(web->service), (int)cfg->http_backlog);
  if (!g_socket_listener_add_address(G_SOCKET_LISTENER(web->service), addr,
                                     G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                     &bound, error)) {
    g_prefix_error(error, "[http] listen %s: ", cfg->http_listen);
    (*error)->domain = OKNO_ERROR;
    (*error)->code = OKNO_ERROR_USER;
    goto fail;
  }
  web->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_signal_connect(web->service, "incoming", G_CALLBACK(on_incoming), web);
  okno_web_routes_register(web, cfg);
  return web;
fail:
  okno_web_free(web);
  return NULL;
}

void okno_web_start(OknoWeb *web)
{
  purge(web);
  web->purge_id = g_timeout_add_seconds(PURGE_SECONDS, purge, web);
  g_socket_service_start(web->service);
  okno_log("web", "event=listening addr=%s port=%u", web->cfg->http_listen, web->port);
}

void okno_web_stop(OknoWeb *web)
{
  if (web->stopped)
    return;
  web->stopped = TRUE;
  if (web->purge_id)
    g_source_remove(web->purge_id);
  web->purge_id = 0;
  /* no new connections; those open finish their one request (okno_web_free closes
   * whatever is left) */
  if (web->service) {
    g_socket_service_stop(web->service);
    g_socket_listener_close(G_SOCKET_LISTENER(web->service));
  }
}

void okno_web_free(OknoWeb *web)
{
  if (!web)
    return;
  okno_web_stop(web);
  okno_web_routes_stop(web);
  /* answers already given are still being written: let them go out first */
  while (g_main_context_pending(NULL))
    g_main_context_iteration(NULL, FALSE);
  if (web->server)
    soup_server_disconnect(web->server);
  g_clear_object(&web->service);
  g_clear_object(&web->server);
  /* connections closed by the disconnect are finalised from idle callbacks */
  while (g_main_context_pending(NULL))
    g_main_context_iteration(NULL, FALSE);
  if (web->workers) { /* serve waited for busy == 0: no request is left */
    for (gint64 i = 0; i < web->cfg->http_workers; i++)
      g_thread_pool_push(web->workers, web, NULL);
    g_mutex_lock(&web->drain.lock);
    while (web->drain.arrived < (guint)web->cfg->http_workers)
      g_cond_wait(&web->drain.cond, &web->drain.lock);
    g_mutex_unlock(&web->drain.lock);
    g_thread_pool_free(web->workers, FALSE, TRUE);
  }
  if (web->conns) { /* connections libsoup still holds must not call back into us */
    GHashTableIter it;
    gpointer v;
    g_hash_table_iter_init(&it, web->conns);
    while (g_hash_table_iter_next(&it, NULL, &v))
      g_object_weak_unref(G_OBJECT(((Conn *)v)->conn), conn_gone, v);
    g_hash_table_destroy(web->conns);
  }
  okno_store_close(web->store);
  okno_web_assets_unref(web->assets);
  g_mutex_clear(&web->assets_lock);
  g_array_unref(web->tables);
  okno_ratelimit_free(web->rl);
  g_mutex_clear(&web->drain.lock);
  g_cond_clear(&web->drain.cond);
  sodium_memzero(web->secret, sizeof web->secret);
  g_free(web);
}

guint okno_web_held(const OknoWeb *web)
{
  return web ? web->busy : 0;
}

guint okno_web_port(const OknoWeb *web)
{
  return web->port;
}

void okno_web_add_routes(OknoWeb *web, const OknoRoute *routes, gsize n)
{
  RouteTable t = {routes, n};
  g_array_append_val(web->tables, t);
}

const guint8 *okno_web_secret(const OknoWeb *web)
{
  return web->secret;
}

gboolean okno_web_secure_cookies(const OknoWeb *web)
{
  return web->secure_cookies;
}

OknoRateLimit *okno_web_ratelimit(OknoWeb *web)
{
  return web->rl;
}

void okno_web_keep_open(OknoWeb *web, SoupServerMessage *msg)
{
  GSocketAddress *ra = soup_server_message_get_remote_address(msg);
  GHashTableIter it;
  gpointer v;
  if (!G_IS_INET_SOCKET_ADDRESS(ra))
    return;
  /* the message has no socket once libsoup handed it to the WebSocket: match the peer */
  g_hash_table_iter_init(&it, web->conns);
  while (g_hash_table_iter_next(&it, NULL, &v)) {
    Conn *c = v;
    g_autoptr(GSocketAddress) r = g_socket_get_remote_address(c->sock, NULL);
    if (G_IS_INET_SOCKET_ADDRESS(r) &&
        g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(r)) ==
            g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(ra)) &&
        g_inet_address_equal(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(r)),
                             g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(ra)))) {
      conn_stop_clock(c);
      c->websocket = TRUE;
      return;
    }
  }
}

const OknoConfig *okno_web_config(OknoWeb *web)
{
  return web->cfg;
}

SoupServer *okno_web_soup(OknoWeb *web)
{
  return web->server;
}

OknoIntake *okno_web_intake(OknoWeb *web)
{
  return web->intake;
}
