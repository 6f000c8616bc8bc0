/* routes.c: registers every module's route table with the server (see routes.h). */
#include "web/routes.h"

#include "web/cabinet.h"
#include "web/console.h"
#include "web/oidc.h"

void okno_web_routes_register(OknoWeb *web)
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
}
