/* server_int.h: what server.c and reply.c share inside the web server and nobody else
 * may use: the request-level helpers of the dispatch (server.c) and of the replies
 * (reply.c). Handlers include web/server.h only. */
#pragma once
#include "web/assets.h"
#include "web/server.h"

/* The anonymous visitor's pre-session cookie, which its CSRF token derives from. */
#define PRE_COOKIE "okno_pre"

/* ---- reply.c ---- */

/* A response header to write out with the answer (any thread): `append` adds one more
 * (Set-Cookie), else it replaces. */
void okno_web_resp_header(OknoReq *req, gboolean append, const char *name, const char *value);
/* The request's cookie `name` (caller frees), NULL when absent. */
char *okno_web_cookie(SoupServerMessage *msg, const char *name);
/* `t` is exactly `want` hexadecimal digits. */
gboolean okno_web_hex_token_ok(const char *t, gsize want);
/* The request carries its session's (or its pre-session's) CSRF token, in the form's
 * `csrf` field or the X-CSRF-Token header; compared in constant time. */
gboolean okno_web_csrf_ok(OknoReq *req);
/* The headers every answer carries: CSP, nosniff, referrer and frame policies,
 * Connection: close. */
void okno_web_security_headers(SoupServerMessage *msg);

/* ---- server.c ---- */

/* The current templates and static files, a reference the caller drops. */
OknoWebAssets *okno_web_assets_current(OknoWeb *web);
/* Cookies are marked Secure ([http] public_url is https). */
gboolean okno_web_secure_cookies(const OknoWeb *web);
