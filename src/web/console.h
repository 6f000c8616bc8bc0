/* console.h: the operator console (issue 4), shared between its files: console.c
 * (sign-in, password change, the account page with the login journal and sessions,
 * queues, answer templates), console_appeal.c (the appeal page), console_actions.c (the
 * actions on it and the queue's bulk actions) and one file per other page. Routes are registered from routes.c through okno_console_routes().
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
#include "web/feedback.h"
#include "web/server.h"

/* Registers the console's pages and JSON twins (/console..., /api/v1/console/...). */
void okno_console_routes(OknoWeb *web);
/* console_appeal.c: GET of the appeal page and its downloads (called by
 * okno_console_routes). */
void okno_console_appeal_routes(OknoWeb *web);
/* console_account.c: sign-in, sign-out, password, the account page (called by
 * okno_console_routes). */
void okno_console_account_routes(OknoWeb *web);
/* console_actions.c: POST of the appeal's actions and the queue's bulk actions (called
 * by okno_console_routes). */
void okno_console_actions_routes(OknoWeb *web);
/* The whole appeal page (or its JSON twin) with HTTP `status`; `o` (taken, may be NULL)
 * adds error, notice, unmasked, FIELD_error. */
void okno_console_appeal_page(OknoReq *req, const OknoUser *u, const OknoAppeal *a,
                              guint status, JsonObject *o);
/* The appeal named by the start of req->path_rest ("NUMBER" or "NUMBER/ACTION") if `u`
 * may see it (caller frees; *action gets what follows the number, caller frees); else
 * NULL after answering 404 (as for an unknown number) or 500. */
OknoAppeal *okno_console_appeal_load(OknoReq *req, const OknoUser *u, char **action);
/* Records in the access journal (store/access.h) that `u` did `action` on `a` from the
 * request's address: in the caller's transaction when `in_tx`, else in a small one of
 * its own that does not wait for the disk. */
gboolean okno_console_read_journal(OknoReq *req, const OknoUser *u, const OknoAppeal *a,
                                   const char *action, const char *detail, gboolean in_tx,
                                   GError **error);
/* `value` of personal data kind `kind` masked for the page: the first character, stars
 * and the tail a person recognises (an e-mail's domain, a number's last two digits).
 * Caller frees. */
char *okno_console_mask(const char *kind, const char *value);
/* console_admin.c: users, departments, routing rules (called by okno_console_routes). */
void okno_console_admin_routes(OknoWeb *web);
/* console_acts.c: the destruction acts for the auditor (called by okno_console_routes). */
void okno_console_acts_routes(OknoWeb *web);
/* console_incidents.c: mass incidents /console/incidents... (routes.c registers them). */
void okno_console_incidents_routes(OknoWeb *web);
/* console_journal.c: the auditor's journal page (called by okno_console_routes). */
void okno_console_journal_routes(OknoWeb *web);
/* console_intake.c: appeals logged by an operator (phone, paper, social). */
void okno_console_intake_routes(OknoWeb *web);
/* The form's fields (any may be NULL), shared with `okno appeal log` (cli). */
typedef struct {
  const char *channel, *name, *email, *phone, *category, *description;
} OknoConsoleIntakeInput;
/* Checks them: NULL with *ch and `fb` filled (fb cleared by the caller either way), or
 * the errors by field name, in Russian (caller unrefs). */
JsonObject *okno_console_intake_check(const OknoConsoleIntakeInput *in, OknoChannel *ch,
                                      OknoFeedback *fb);
/* The message such an appeal becomes (subject "" or NULL: the channel's title). */
GBytes *okno_console_intake_message(const OknoFeedback *fb, OknoChannel ch, const char *subject,
                                    const OknoConfig *cfg);
/* console_theme.c: a formal appeal's classifier code, set from the console
 * (/console/theme/NUMBER; registered from routes.c). */
void okno_console_theme_routes(OknoWeb *web);
/* Adds to the appeal page's context `page`, for a formal appeal only: formal,
 * theme_code, theme_name, can_theme and themes [{code, name, selected}]. */
void okno_console_theme_ctx(OknoReq *req, const OknoUser *u, const OknoAppeal *a,
                            JsonObject *page);
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
 * (console_appeal.c); NULL with the error when it cannot be built. */
const OknoSlaEnv *okno_console_env(const OknoConfig *cfg, GError **error);
/* The time left to `a`'s deadline on the calendar of its department (appeal/sla.h
 * okno_sla_left: «осталось 5 раб. ч», «просрочено на 2 ч») into `o` as sla_text,
 * sla_class («sla-ok», «sla-soon», «sla-over», «sla-none») and sla_hours. */
void okno_console_sla(const OknoConfig *cfg, const OknoAppeal *a, gint64 now, JsonObject *o);
/* console_classify.c: an appeal's category and SLA class (/console/classify/NUMBER),
 * registered from routes.c; and the appeal page's box of them (the member "classify"
 * of `page`: the models' suggestions and the forms, web/console_classify_box.html). */
void okno_console_classify_routes(OknoWeb *web);
void okno_console_classify_box(OknoReq *req, const OknoUser *u, const OknoAppeal *a,
                               JsonObject *page);
