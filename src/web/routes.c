/* routes.c: registers every module's route table with the server (see routes.h). */
#include "web/routes.h"

#include "web/cabinet.h"
#include "web/console.h"
#include "web/help.h"
#include "web/oidc.h"

void okno_web_routes_register(OknoWeb *web, const OknoConfig *cfg)
{
  okno_pages_routes(web);
  okno_feedback_routes(web);
  okno_cabinet_auth_routes(web);
  okno_cabinet_routes(web);
  okno_cabinet_rights_routes(web);
  okno_check_routes(web);
  okno_proof_routes(web);
  okno_console_routes(web);
  okno_oidc_routes(web);
  okno_help_routes(web);
  okno_console_kb_routes(web);
  okno_console_suggest_routes(web);
  okno_console_incidents_routes(web);
  okno_console_classify_routes(web);
  okno_console_theme_routes(web);
  okno_chat_routes(web);
  okno_cabinet_chat_routes(web);
  okno_telegram_routes(web, cfg);
}

void okno_web_routes_stop(OknoWeb *web)
{
  okno_chat_stop(web);
}
