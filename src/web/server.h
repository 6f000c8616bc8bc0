/* server.h: okno's HTTP server (libsoup 3) and the request context its handlers get.
 *
 * `okno serve` creates one OknoWeb on the main loop when [http] listen is set. It
 * serves server-rendered pages (templates in web/<page>.html, docs/templates.md), static
 * files (web/static/, loaded once at start) and the JSON API under /api/v1/
 * (docs/api.md). Every response carries the security headers (Content-Security-Policy
 * without inline script and with frame-ancestors 'none', X-Content-Type-Options,
 * Referrer-Policy, X-Frame-Options) and pages and API answers carry Cache-Control:
 * no-store.
 *
 * Routing: a module declares a table of OknoRoute (method + exact path, or a prefix
 * when the path ends in '/') and adds it with okno_web_add_routes(); routes.c lists
 * the tables of all modules. Before a handler runs, the server has:
 *  - refused a body over [http] max_body (413, decided from Content-Length; the body is
 *    discarded as it arrives, never held) or a body without Content-Length (411);
 *  - applied the per-IP limit [http] requests_per_minute (429 + Retry-After), and for
 *    OKNO_ROUTE_STATE_CHANGING routes also [http] forms_per_hour;
 *  - answered 404 (no route for the path) or 405 (path known, method not; with Allow);
 *  - parsed the form (application/x-www-form-urlencoded or multipart/form-data; form.h)
 *    of a POST, answering 400 for a broken body or invalid UTF-8 and 415 for another
 *    content type (JSON is accepted, unparsed, by OKNO_ROUTE_JSON_BODY routes, and a
 *    raw message/rfc822 by OKNO_ROUTE_MESSAGE_BODY routes);
 *  - looked up the session cookie (req->session, NULL when signed out) and refused
 *    OKNO_ROUTE_CITIZEN / OKNO_ROUTE_STAFF routes without such a session (pages:
 *    303 to the sign-in page /cabinet/login or /console/login; API: 401);
 *  - checked the CSRF token of OKNO_ROUTE_STATE_CHANGING routes (403 otherwise).
 * Errors are a Russian page, or under /api/ JSON {"error": "текст"}.
 *
 * CSRF: a page gets the token as {{csrf}} in its template context (and must put it
 * in a hidden field named "csrf" of every form that posts); API clients send it in the
 * X-CSRF-Token header. With a session it is the session's own token (so it dies with
 * the session: a token replayed after sign-out is refused); without one it is an HMAC
 * of the anonymous pre-session cookie `okno_pre`, which every page sets. API requests
 * carrying no cookie at all are not checked (no ambient authority to abuse).
 *
 * Threads: the main loop only moves bytes (issue 13: SMTP must not wait for a web page
 * or a password hash). It reads a request, answers static files and the per-IP limit
 * itself, and hands everything else to a pool of [http] workers threads, each with its
 * own store connection (req->store). The reply functions only record the answer in the
 * OknoReq; the main loop writes it to libsoup once the handler is done. So a handler
 * may block (SQL, Argon2id, an OIDC provider) and must not touch req->msg's response;
 * state a handler keeps between requests must be locked (presence, enrolments, the
 * rate limiter are). A handler answers through one okno_req_* reply function before
 * returning, or calls okno_req_hold() and answers later (after an asynchronous intake
 * submission, whose callback runs on the main loop), then calls okno_req_release(). */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "core/config.h"
#include "intake/pipeline.h"
#include "sec/ratelimit.h"
#include "sec/session.h"
#include "store/store.h"
#include "web/form.h"

typedef struct OknoWeb OknoWeb;
typedef struct OknoReq OknoReq;

typedef enum {
  OKNO_ROUTE_CITIZEN = 1 << 0,        /* needs a citizen session */
  OKNO_ROUTE_STAFF = 1 << 1,          /* needs a staff session */
  OKNO_ROUTE_STATE_CHANGING = 1 << 2, /* CSRF-checked, counted by forms_per_hour */
  OKNO_ROUTE_JSON_BODY = 1 << 3,      /* accepts application/json (req->body, unparsed) */
  OKNO_ROUTE_MESSAGE_BODY = 1 << 4,   /* accepts message/rfc822 (req->body, unparsed) */
} OknoRouteFlags;

typedef void (*OknoWebHandler)(OknoReq *req);

typedef struct {
  const char *method; /* "GET", "POST"; GET routes also answer HEAD */
  const char *path;   /* exact, or a prefix when it ends in '/' (req->path_rest is the rest) */
  guint flags;        /* OknoRouteFlags */
  OknoWebHandler handler;
} OknoRoute;

/* What a handler may read. Everything is owned by the request and lives until the
 * reply has been sent (or okno_req_release()). */
struct OknoReq {
  OknoWeb *web;
  SoupServerMessage *msg;
  const char *method;
  const char *path;          /* decoded, always starting with '/' */
  const char *path_rest;     /* for prefix routes: what follows the prefix; else "" */
  GHashTable *query;         /* char* -> char* (never NULL; may be empty) */
  OknoForm *form;            /* POST form fields and files (never NULL; may be empty) */
  GBytes *body;              /* the raw request body (never NULL; may be empty) */
  const char *client_ip;     /* peer address */
  const char *user_agent;    /* "" if none */
  OknoSession *session;      /* the signed-in session, or NULL */
  gboolean api;              /* path under /api/: errors as JSON */
  const OknoConfig *cfg;
  OknoStore *store;          /* the worker thread's own store connection */
  OknoIntake *intake;        /* the intake pipeline (okno_intake_submit_async) */
  /* private */
  int refs;
  gboolean answered;
  gboolean held;
  gboolean released;         /* okno_req_release() came (main loop) */
  gboolean handled;          /* the worker is done with it (set on the main loop) */
  guint status;              /* the recorded answer, written out on the main loop */
  char *resp_type;
  char *resp_body;
  gsize resp_len;
  GPtrArray *resp_headers;   /* char* triples: "=" (replace) or "+" (append), name, value */
  char *pre_token;           /* the anonymous pre-session cookie value */
  char *csrf_cache;
  gboolean set_pre_cookie;
};

/* ---- the server ---- */

/* Loads templates and static files from the web directory ([http] web_dir, else the
 * data directory's web/, core/paths.h), opens its own store connection and binds [http] listen
 * (host:port). `intake` is borrowed and must outlive the server. NULL with
 * OKNO_ERROR_USER (bad address, port in use, broken template) or another error. */
OknoWeb *okno_web_new(const OknoConfig *cfg, OknoIntake *intake, GError **error);
/* Starts answering (listening sockets already bound by okno_web_new). */
void okno_web_start(OknoWeb *web);
/* Stops accepting connections; requests already in (held ones too) are still
 * answered while the main loop runs. Idempotent. okno_web_free closes what is left. */
void okno_web_stop(OknoWeb *web);
void okno_web_free(OknoWeb *web);
/* SIGHUP: loads [http] web_dir's templates and static files again and puts them in
 * place for the next requests (those under way finish with the set they began with).
 * On a failure (a template that does not compile, layout.html gone) the set in use
 * stays and FALSE comes back with the reason. Main loop. */
gboolean okno_web_reload(OknoWeb *web, GError **error);
/* Requests in the workers' hands or held by handlers (waiting for the intake). `okno
 * serve` lets the main loop run until this is 0 before it frees the intake, whose
 * callbacks answer them. */
guint okno_web_held(const OknoWeb *web);
/* The bound port (useful with port 0). */
guint okno_web_port(const OknoWeb *web);
/* Parses a listen address "IP:PORT" (IPv6 as [::1]:PORT) of the config key `key`
 * (named in the error, OKNO_ERROR_USER). */
gboolean okno_web_parse_listen(const char *key, const char *listen, GSocketAddress **addr,
                               GError **error);

/* Adds a table of routes (borrowed: static storage). Later tables are matched after
 * earlier ones; within a table the first match wins; exact paths before prefixes. */
void okno_web_add_routes(OknoWeb *web, const OknoRoute *routes, gsize n);

/* The instance secret (OKNO_WEB_SECRET_BYTES) shared by every node through the store:
 * HMAC key for CSRF and captcha tokens. */
#define OKNO_WEB_SECRET_BYTES 32
const guint8 *okno_web_secret(const OknoWeb *web);
/* The in-memory rate limiter of this node. */
OknoRateLimit *okno_web_ratelimit(OknoWeb *web);
/* The libsoup server (for WebSocket handlers, web/chat.c) and the intake pipeline. */
SoupServer *okno_web_soup(OknoWeb *web);
const OknoConfig *okno_web_config(OknoWeb *web);
/* The connection of `msg` became a WebSocket (web/chat.c): the header clock ([http]
 * header_timeout) stops for good; the socket's idle timeout stays (the chat pings). */
void okno_web_keep_open(OknoWeb *web, SoupServerMessage *msg);
OknoIntake *okno_web_intake(OknoWeb *web);

/* ---- replies (each answers the request once; later calls are ignored) ---- */

/* Renders web/<page>.html with `data` (taken; may be NULL) inside web/layout.html.
 * The context gets `title`, `portal_name`, `csrf`, `signed_in` and `body` added. */
void okno_req_page(OknoReq *req, guint status, const char *page, const char *title,
                   JsonObject *data);
/* `node` is taken. application/json; charset=utf-8. */
void okno_req_json(OknoReq *req, guint status, JsonNode *node);
/* 200 with the bytes of `data` (copied) as `content_type`; with `download_name`
 * (UTF-8, may be NULL) also Content-Disposition: attachment with that name (RFC 6266
 * filename*), so a browser saves the file instead of showing it. */
void okno_req_bytes(OknoReq *req, const char *content_type, GBytes *data,
                    const char *download_name);
/* 303 See Other to `location` (a path on this site). */
void okno_req_redirect(OknoReq *req, const char *location);
/* An error: a Russian page (web/error.html) or, under /api/, {"error": text}.
 * `text` NULL gives the standard text of the status (404, 405, 413, 429, 400, 403,
 * 401, 411, 415, 500). */
void okno_req_error(OknoReq *req, guint status, const char *text);
/* 422 for the API: {"errors": {field: text}} (`errors` taken). */
void okno_req_field_errors(OknoReq *req, JsonObject *errors);
/* 429 with Retry-After: `seconds` and the Russian message. */
void okno_req_too_many(OknoReq *req, gint64 seconds);

/* ---- helpers ---- */

/* A form field (text, valid UTF-8) or "" when absent. Borrowed. */
const char *okno_req_field(const OknoReq *req, const char *name);
/* Rows a list page shows: `text` (a limit= query value) from 1 to `max`, "" giving
 * `max`; FALSE when it is anything else. */
gboolean okno_page_limit(const char *text, guint max, guint *limit);
/* The CSRF token this request's pages must embed (see above). Borrowed. */
const char *okno_req_csrf(OknoReq *req);
/* Applies a per-key limit ("<class>:<value>"); FALSE after answering 429. */
gboolean okno_req_limit(OknoReq *req, const char *key, double per_hour, double burst);

/* Signs in: revokes the browser's current session, creates a new one of `kind`
 * ("citizen"/"staff") for `subject`, sets the cookie and req->session. */
gboolean okno_req_sign_in(OknoReq *req, const char *kind, const char *subject,
                          GError **error);
/* Signs out: revokes the session and clears the cookie. */
void okno_req_sign_out(OknoReq *req);

/* Keeps the request open after the handler returns (pauses the message). */
void okno_req_hold(OknoReq *req);
/* Ends a hold taken with okno_req_hold (after answering). */
void okno_req_release(OknoReq *req);
