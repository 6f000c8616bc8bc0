/* console.h: the operator console (issue 4), shared between its two files:
 * console.c (sign-in, password change, the account page with the login journal and
 * sessions, queues, answer templates) and console_actions.c (the appeal page and the
 * actions on it). Routes are registered from routes.c through okno_console_routes().
 *
 * Every console route is an OKNO_ROUTE_STAFF route (server.h: no staff session ->
 * 303 to /console/login, or 401 under /api/); the handler then loads the user with
 * okno_console_user() and checks okno_staff_can() (sec/staff.h) for what it does.
 * An appeal the user may not see answers 404, exactly as an unknown number (no IDOR
 * oracle). State-changing routes are CSRF-checked by the server; actions on an
 * appeal also carry the version the page was rendered at (optimistic locking). */
#pragma once
#include "ops/ops.h"
#include "sec/staff.h"
#include "store/staff.h"
#include "web/server.h"

/* Registers the console's pages and JSON twins (/console..., /api/v1/console/...). */
void okno_console_routes(OknoWeb *web);
/* console_actions.c: the appeal routes (called by okno_console_routes). */
void okno_console_actions_routes(OknoWeb *web);
/* console_admin.c: users, departments, routing rules (called by okno_console_routes). */
void okno_console_admin_routes(OknoWeb *web);
/* console_acts.c: the destruction acts for the auditor (called by okno_console_routes). */
void okno_console_acts_routes(OknoWeb *web);
/* console_journal.c: the auditor's journal page (called by okno_console_routes). */
void okno_console_journal_routes(OknoWeb *web);
/* console_stats.c: the dashboard /console/stats and its downloads. */
void okno_console_stats_routes(OknoWeb *web);
/* Rows of the staff access journal (store/access.h OknoAccessRow) for a page: at,
 * role and action in Russian, department; with `staff` also login, IP, number and
 * detail (the citizen's cabinet gets role and department only, never a name). */
JsonArray *okno_console_access_rows(const GPtrArray *rows, gboolean staff);

/* The signed-in staff member (caller frees), or NULL after answering: the account
 * is gone or disabled (signed out, redirect to sign-in), the store failed (500), or
 * the user must change the password first (redirect to /console/password, unless
 * `allow_password_change` is set by that page itself). */
OknoUser *okno_console_user(OknoReq *req, gboolean allow_password_change);
/* A page's base context: the user's login, name and role, and nav flags
 * (is_admin, can_templates, can_acts). Returned object is new (caller passes it on). */
JsonObject *okno_console_ctx(const OknoUser *u);
/* The staff policy for this server (lock-out, TOTP issuer, mail), dkim NULL. */
OknoStaffPolicy okno_console_policy(OknoReq *req);
/* "23.11.2026 16:35" in Moscow time; "" for 0. Caller frees. */
char *okno_console_time(gint64 us);
/* The operations' environment (policy, calendar, DKIM key), loaded once per process
 * (console_actions.c); NULL with the error when it cannot be built. */
const OknoSlaEnv *okno_console_env(const OknoConfig *cfg, GError **error);
/* The time left to `a`'s deadline on the calendar of its department (appeal/sla.h
 * okno_sla_left: «осталось 5 раб. ч», «просрочено на 2 ч») into `o` as sla_text,
 * sla_class («sla-ok», «sla-soon», «sla-over», «sla-none») and sla_hours. */
void okno_console_sla(const OknoConfig *cfg, const OknoAppeal *a, gint64 now, JsonObject *o);
/* Bulk actions on the queue (console_bulk.c, called by okno_console_routes). */
void okno_console_bulk_routes(OknoWeb *web);
