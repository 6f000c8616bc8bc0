/* help.h: the knowledge base on the web (issue 19, docs/kb.md): the public pages
 * /help (the published articles, with Russian full-text search) and /help/ID, their
 * JSON twin /api/v1/help (what the feedback form's script offers as the citizen
 * types), the console's articles (console_kb.c) and answer suggestions
 * (console_suggest.c), and the cabinet's «Отозвать обращение» (cabinet_withdraw.c). */
#pragma once
#include "web/server.h"

/* help_routes.c: /help, /help/ID, /api/v1/help. */
void okno_help_routes(OknoWeb *web);
/* console_kb.c: /console/kb... (supervisors and administrators). */
void okno_console_kb_routes(OknoWeb *web);
/* console_suggest.c: /console/suggest/NUMBER and its JSON twin. */
void okno_console_suggest_routes(OknoWeb *web);
/* cabinet_withdraw.c: POST /cabinet/appeals/NUMBER/withdraw (cabinet.c hands it over). */
void okno_cabinet_withdraw_post(OknoReq *req, OknoAppeal *a);

/* The published articles matching `text` (ops/kb.h okno_kb_match with `min_terms`), at
 * most `max`, as page rows {id, title, href, excerpt (the first 200 characters of the
 * plain text), category}; an empty array when none match or the store fails (logged:
 * an offer is never worth an error page). */
JsonArray *okno_help_offers(OknoReq *req, const char *text, guint max, guint min_terms);
