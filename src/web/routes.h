/* routes.h: the one list of every module's route table (server.h's OknoRoute).
 *
 * okno_web_new() calls okno_web_routes_register() once; it adds, in order, the tables
 * of the public pages (pages.c: /, /status) and the feedback form with its JSON API
 * (feedback_routes.c). A new module (the cabinet, the console) declares its own
 * `void okno_<module>_routes(OknoWeb *web)` here and adds one call in routes.c. */
#pragma once
#include "web/server.h"

void okno_web_routes_register(OknoWeb *web, const OknoConfig *cfg);
/* okno_web_free calls it first: modules with state of their own (the chat's
 * WebSockets and its thread) close it. */
void okno_web_routes_stop(OknoWeb *web);

/* pages.c: "/" and the status check "/status" (GET form, POST answer). */
void okno_pages_routes(OknoWeb *web);
/* feedback_routes.c: /feedback, /api/v1/feedback, /api/v1/captcha, /api/v1/status. */
void okno_feedback_routes(OknoWeb *web);
/* check_routes.c: «Проверить письмо»: /check, /check/report, /api/v1/check,
 * /api/v1/check/report (the phishing check of `okno check-mail` on the web). */
void okno_check_routes(OknoWeb *web);
/* help.h has the knowledge base's tables (/help, /console/kb, /console/suggest). */
/* proof_routes.c: /api/v1/proof/NUMBER, the journal's inclusion proof (ops/journal.h). */
void okno_proof_routes(OknoWeb *web);
/* chat.c: the web chat (issue 22, docs/chat.md): /chat, /chat/ws (WebSocket),
 * /static/chat-embed.js for the portal; console_chat.c: /console/chat,
 * /console/chat/ws; cabinet_chat.c: /cabinet/chats. */
void okno_chat_routes(OknoWeb *web);
void okno_chat_stop(OknoWeb *web);
void okno_cabinet_chat_routes(OknoWeb *web);
/* telegram_routes.c: the Telegram bot's webhook at [telegram] webhook_path, only when
 * [telegram] token is set (the path is the config's: `cfg` must outlive `web`). */
void okno_telegram_routes(OknoWeb *web, const OknoConfig *cfg);
