/* proof_routes.c: GET /api/v1/proof/NUMBER, the journal's inclusion proof of an
 * appeal's registration in the latest signed tree head (ops/journal.h,
 * docs/journal.md): the registration entry, its leaf hash, the audit path and the
 * signed head, so that anyone holding the portal's public key can check, offline,
 * that the registration stated on the receipt is in the signed journal. The entry
 * holds no personal data (number, kind, channel, status, times, digests), so the
 * route needs no session, like the receipt's own facts. */
#include "web/routes.h"

#include "appeal/number.h"
#include "core/error.h"
#include "ops/journal.h"

static void proof_get(OknoReq *req)
{
  g_autofree char *norm = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(JsonParser) p = json_parser_new();
  gboolean check_ok = FALSE, not_found = FALSE;
  if (!okno_number_parse(req->path_rest, &norm, &check_ok) || !check_ok) {
    okno_req_error(req, 400, "Номер обращения указан неверно: проверьте его по уведомлению о регистрации.");
    return;
  }
  text = okno_journal_proof_json(req->store, norm, &not_found, &err);
  if (!text) {
    if (not_found)
      okno_req_error(req, 404, "Обращение с таким номером не найдено.");
    else if (err && err->domain == OKNO_ERROR && err->code == OKNO_ERROR_TEMP)
      okno_req_error(req, 503, "Подтверждение ещё не подписано: повторите запрос через минуту.");
    else
      okno_req_error(req, 500, NULL);
    return;
  }
  if (!json_parser_load_from_data(p, text, -1, NULL)) {
    okno_req_error(req, 500, NULL);
    return;
  }
  okno_req_json(req, 200, json_node_copy(json_parser_get_root(p)));
}

static const OknoRoute routes[] = {
  {"GET", "/api/v1/proof/", 0, proof_get},
};

void okno_proof_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
