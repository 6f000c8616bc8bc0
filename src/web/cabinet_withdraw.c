/* cabinet_withdraw.c: «Отозвать обращение» in the citizen's cabinet (issue 19,
 * docs/kb.md): a citizen who found the answer (an article of «Помощь» offered on the
 * form or in the receipt) withdraws an open appeal; it becomes `withdrawn` (the event
 * `withdrawn`, the status notice; ops/kb.h okno_ops_withdraw). */
#include "web/help.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "ops/kb.h"
#include "web/cabinet.h"
#include "web/console.h"

#define WHY_MAX_CHARS 500

void okno_cabinet_withdraw_post(OknoReq *req, OknoAppeal *a)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *why = g_strstrip(g_strdup(okno_req_field(req, "why")));
  const OknoSlaEnv *env;
  if (!okno_statuses[a->status].open) {
    okno_cabinet_field_error(req, "error", "Обращение не отозвано", json_object_new(), "withdraw",
                             "Отозвать можно только обращение, которое ещё рассматривается.");
    return;
  }
  if (g_utf8_strlen(why, -1) > WHY_MAX_CHARS) {
    okno_cabinet_field_error(req, "error", "Обращение не отозвано", json_object_new(), "why",
                             "Пояснение слишком длинное: не больше 500 знаков.");
    return;
  }
  env = okno_console_env(req->cfg, &err); /* the operations' environment, loaded once */
  if (!env || !okno_store_begin(req->store, &err)) {
    okno_cabinet_fail(req, "withdraw", err);
    return;
  }
  if (!okno_ops_withdraw(env, req->store, a->number,
                         *why ? why : "ответ найден в разделе «Помощь»", "заявитель", &err) ||
      !okno_store_commit(req->store, &err)) {
    okno_store_rollback(req->store);
    if (g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER)) /* changed meanwhile */
      okno_cabinet_field_error(req, "error", "Обращение не отозвано", json_object_new(),
                               "withdraw", "Статус обращения изменился: обновите страницу.");
    else
      okno_cabinet_fail(req, "withdraw", err);
    return;
  }
  okno_log("cabinet", "event=withdrawn appeal=%s", a->number);
  if (req->api) {
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "status", "withdrawn");
    okno_cabinet_answer(req, 200, NULL, NULL, o);
  } else {
    g_autofree char *loc = g_strdup_printf("/cabinet/appeals/%s", a->number);
    okno_req_redirect(req, loc);
  }
}
