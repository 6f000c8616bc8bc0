/* routes.c: registers every module's route table with the server (see routes.h). */
#include "web/routes.h"

#include "web/console.h"

void okno_web_routes_register(OknoWeb *web)
{
  okno_pages_routes(web);
  okno_console_routes(web);
}
