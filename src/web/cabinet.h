/* cabinet.h: the citizen cabinet «Мои обращения» (docs/api.md, "Cabinet").
 *
 * Two route tables: cabinet_auth.c (sign-in with a one-time e-mail code, sign-out,
 * changing the cabinet's address) and cabinet.c (the list of the citizen's appeals, an
 * appeal's card with its correspondence, attachment downloads, replies, ratings, and
 * the notification settings). Every page is also offered as JSON under /api/v1/cabinet/.
 *
 * Access control: every route that names an appeal resolves it through
 * okno_cabinet_appeal(), which answers 404 (never 403) for an appeal that does not
 * exist and for one that belongs to another cabinet alike, so numbers cannot be probed.
 * The helpers below are shared by the two files. */
#pragma once
#include "web/server.h"

/* Adds the route tables (routes.c calls both). */
void okno_cabinet_routes(OknoWeb *web);
void okno_cabinet_auth_routes(OknoWeb *web);
/* cabinet_rights.c: «Скачать мои данные» (GET /cabinet/export, a ZIP). */
void okno_cabinet_rights_routes(OknoWeb *web);
/* cabinet_rights.c: «Удалить обращение» for appeal `a` of this cabinet (cabinet.c's
 * POST /cabinet/appeals/NUMBER/delete hands it over). */
void okno_cabinet_delete_post(OknoReq *req, OknoAppeal *a);

/* The trimmed, lowercase address when `text` is a plausible e-mail address that can be
 * written into a header (one '@', a dotted domain, no spaces, quotes or brackets, at
 * most 254 bytes); NULL otherwise. Caller frees. */
char *okno_cabinet_email(const char *text);

/* Answers with `o` (taken): JSON under /api/, else web/<page>.html. */
void okno_cabinet_answer(OknoReq *req, guint status, const char *page, const char *title,
                         JsonObject *o);
/* Answers 422: API {"errors": {field: message}}; page: `o` (taken) with error_<field>
 * and has_errors set. */
void okno_cabinet_field_error(OknoReq *req, const char *page, const char *title, JsonObject *o,
                              const char *field, const char *message);
/* Answers 500 after logging `err`. */
void okno_cabinet_fail(OknoReq *req, const char *what, const GError *err);
