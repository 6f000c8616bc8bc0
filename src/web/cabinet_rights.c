/* cabinet_rights.c: the citizen's rights over their data in the cabinet (152-FZ art.
 * 14 and 21; docs/retention.md):
 *   GET  /cabinet/export                  «Скачать мои данные»: at once, a ZIP of
 *        everything okno holds about the cabinet's contacts: per appeal NUMBER/appeal.json
 *        (the appeal, its messages both ways and its history, as `okno show --json`),
 *        NUMBER/letters/K-in.eml and K-out.eml (the original letters, receipts, notices
 *        and answers, byte for byte) and NUMBER/attachments/K-NAME (the files kept);
 *        plus README.txt saying what is inside. Appeals held as spam are not the
 *        citizen's (docs/spam.md) and are left out.
 *   POST /cabinet/appeals/NUMBER/delete   «Удалить обращение»: a closed support request
 *        is recorded for deletion (ops/retention.h); the retention pass destroys it
 *        after the legal minimum, a notice letter says when.
 * Also under /api/v1/cabinet/ (the export is the same ZIP; the deletion answers JSON
 * {"due": RFC 3339}). */
#include "web/cabinet.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "mail/zip.h"
#include "ops/retention.h"
#include "store/appeals.h"
#include "store/cabinet.h"
#include "store/messages.h"
#include "store/queue.h"
#include "store/retention.h"

#define EXPORT_PAGE 500
#define EXPORT_README                                                                       \
  "Ваши данные в системе обращений портала.\r\n\r\n"                                       \
  "Для каждого обращения — папка с его номером:\r\n"                                       \
  "  appeal.json      — обращение, переписка и история в формате JSON;\r\n"               \
  "  letters/         — исходные письма: ваши (-in.eml) и наши (-out.eml: квитанции,\r\n" \
  "                     уведомления и ответы), как они были получены и отправлены;\r\n"   \
  "  attachments/     — вложенные файлы.\r\n"

/* Adds one appeal's files under NUMBER/. */
static gboolean export_appeal(OknoReq *req, OknoZipWriter *w, const OknoAppeal *a,
                              GError **error)
{
  g_autofree char *json = okno_store_appeal_json(req->store, a->number, error);
  g_autofree char *name = NULL;
  g_autoptr(GPtrArray) msgs = NULL;
  gint64 t = a->received_at / G_USEC_PER_SEC;
  if (!json)
    return FALSE;
  name = g_strdup_printf("%s/appeal.json", a->number);
  if (!okno_zip_writer_add(w, name, json, strlen(json), t))
    goto too_big;
  msgs = okno_store_cabinet_messages(req->store, a->id, error);
  if (!msgs)
    return FALSE;
  for (guint i = 0; i < msgs->len; i++) {
    const OknoCabinetMessage *m = msgs->pdata[i];
    g_autoptr(GBytes) raw = okno_store_appeal_message_raw(req->store, a->number, i + 1, error);
    g_autofree char *file = NULL;
    gsize len = 0;
    const void *d;
    if (!raw) {
      if (error && *error)
        return FALSE;
      continue;
    }
    d = g_bytes_get_data(raw, &len);
    if (!len)
      continue; /* a letter whose bytes are gone (destroyed) */
    file = g_strdup_printf("%s/letters/%u-%s.eml", a->number, i + 1, m->direction);
    if (!okno_zip_writer_add(w, file, d, len, m->created_at / G_USEC_PER_SEC))
      goto too_big;
  }
  for (gint64 k = 1;; k++) {
    g_autofree char *filename = NULL, *type = NULL, *file = NULL, *safe = NULL;
    g_autoptr(GBytes) data = okno_store_attachment_get(req->store, a->id, k, &filename, &type,
                                                       error);
    gsize len = 0;
    const void *d;
    if (!data) {
      if (error && *error)
        return FALSE;
      break;
    }
    safe = g_strdup(*filename ? filename : "file");
    g_strdelimit(safe, "/\\:", '_');
    d = g_bytes_get_data(data, &len);
    file = g_strdup_printf("%s/attachments/%" G_GINT64_FORMAT "-%s", a->number, k, safe);
    if (!okno_zip_writer_add(w, file, d ? d : "", len, t))
      goto too_big;
  }
  return TRUE;
too_big:
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "the export passes the ZIP limits");
  return FALSE;
}

static void export_get(OknoReq *req)
{
  g_autoptr(GError) err = NULL;
  g_auto(GStrv) owned = okno_store_contact_owned(req->store, req->session->subject, &err);
  g_autoptr(OknoZipWriter) w = okno_zip_writer_new();
  g_autoptr(GBytes) zip = NULL;
  g_autofree char *after = NULL;
  g_autofree char *name = NULL, *stamp = okno_time_format_utc(okno_now());
  guint n = 0;
  if (!owned) {
    okno_cabinet_fail(req, "export-owned", err);
    return;
  }
  okno_zip_writer_add(w, "README.txt", EXPORT_README, strlen(EXPORT_README), okno_now() / G_USEC_PER_SEC);
  for (;;) {
    OknoCabinetFilter f = {.after = after, .limit = EXPORT_PAGE};
    gint64 total = 0;
    g_autoptr(OknoPage) page =
        okno_store_cabinet_list(req->store, (const char *const *)owned, &f, &total, &err);
    if (!page) {
      okno_cabinet_fail(req, "export-list", err);
      return;
    }
    for (guint i = 0; i < page->appeals->len; i++, n++)
      if (!export_appeal(req, w, page->appeals->pdata[i], &err)) {
        okno_cabinet_fail(req, "export", err);
        return;
      }
    if (!page->next)
      break;
    g_free(after);
    after = g_strdup(page->next);
  }
  okno_log("cabinet", "event=export appeals=%u", n);
  zip = okno_zip_writer_finish(w);
  name = g_strdup_printf("moi-dannye-%s.zip", stamp);
  g_strdelimit(name, ":", '-');
  okno_req_bytes(req, "application/zip", zip, name);
}

void okno_cabinet_delete_post(OknoReq *req, OknoAppeal *a)
{
  static OknoSlaEnv *env; /* the operations' environment, loaded once */
  g_autoptr(GError) err = NULL;
  gint64 due = 0;
  const char *refusal = okno_retention_deletion_refusal(req->cfg, a);
  if (refusal) {
    okno_cabinet_field_error(req, "error", "Запрос не принят", json_object_new(), "delete",
                             refusal);
    return;
  }
  if (!env)
    env = okno_sla_env_new(req->cfg, &err);
  if (!env || !okno_store_begin(req->store, &err)) {
    okno_cabinet_fail(req, "delete", err);
    return;
  }
  if (!okno_retention_request_deletion(env, req->store, a, req->session->subject, okno_now(),
                                       &due, &err) ||
      !okno_store_commit(req->store, &err)) {
    okno_store_rollback(req->store);
    okno_cabinet_fail(req, "delete", err);
    return;
  }
  okno_log("cabinet", "event=deletion_requested appeal=%s", a->number);
  if (req->api) {
    JsonObject *o = json_object_new();
    g_autofree char *when = okno_time_format_msk(due);
    json_object_set_string_member(o, "due", when);
    okno_cabinet_answer(req, 200, NULL, NULL, o);
  } else {
    g_autofree char *loc = g_strdup_printf("/cabinet/appeals/%s", a->number);
    okno_req_redirect(req, loc);
  }
}

#define CIT OKNO_ROUTE_CITIZEN

static const OknoRoute routes[] = {
  {"GET", "/cabinet/export", CIT, export_get},
  {"GET", "/api/v1/cabinet/export", CIT, export_get},
};

void okno_cabinet_rights_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
