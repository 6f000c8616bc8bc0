/* console_acts.c: the destruction acts in the console (docs/retention.md), for the
 * roles allowed OKNO_ACT_VIEW_ACTS (auditors, administrators):
 *   GET /console/acts            the list, newest first, with links to the files
 *   GET /console/acts/ID.csv     the act as CSV (a download)
 *   GET /console/acts/ID.pdf     the act as PDF (a download)
 * Another role gets 403; an unknown act 404. */
#include "web/console.h"

#include <string.h>

#include "sec/staff.h"
#include "store/retention.h"

/* The signed-in user allowed to see acts, or NULL after answering. */
static OknoUser *acts_user(OknoReq *req)
{
  OknoUser *u = okno_console_user(req, FALSE);
  if (u && !okno_staff_can(u, OKNO_ACT_VIEW_ACTS, NULL, NULL)) {
    okno_user_free(u);
    okno_req_error(req, 403, "Недостаточно прав для этого действия.");
    return NULL;
  }
  return u;
}

static void acts_list(OknoReq *req)
{
  g_autoptr(OknoUser) u = acts_user(req);
  g_autoptr(GPtrArray) list = NULL;
  JsonObject *o;
  JsonArray *arr;
  if (!u)
    return;
  list = okno_store_acts_list(req->store, 1000, NULL);
  if (!list) {
    okno_req_error(req, 500, NULL);
    return;
  }
  o = okno_console_ctx(u);
  arr = json_array_new();
  for (guint i = 0; i < list->len; i++) {
    const OknoDestructionAct *a = list->pdata[i];
    g_autoptr(OknoDestructionAct) full = okno_store_act_get(req->store, a->id, NULL);
    g_autofree char *at = okno_console_time(a->at);
    g_autofree char *keep = okno_console_time(a->keep_until);
    JsonObject *r = json_object_new();
    json_object_set_int_member(r, "id", a->id);
    json_object_set_string_member(r, "at", at);
    json_object_set_int_member(r, "appeals", a->appeals);
    json_object_set_int_member(r, "subjects", a->subjects);
    json_object_set_string_member(r, "keep_until", keep);
    json_object_set_boolean_member(r, "has_pdf", full && full->pdf);
    json_array_add_object_element(arr, r);
  }
  json_object_set_boolean_member(o, "has_acts", list->len > 0);
  json_object_set_array_member(o, "acts", arr);
  okno_req_page(req, 200, "console_acts", "Акты об уничтожении персональных данных", o);
}

static void act_file(OknoReq *req)
{
  g_autoptr(OknoUser) u = acts_user(req);
  g_autoptr(OknoDestructionAct) a = NULL;
  const char *tail = req->path_rest;
  char *end = NULL;
  gint64 id;
  gboolean pdf;
  g_autofree char *name = NULL;
  if (!u)
    return;
  id = g_ascii_strtoll(tail, &end, 10);
  pdf = end && strcmp(end, ".pdf") == 0;
  if (id <= 0 || !end || (!pdf && strcmp(end, ".csv") != 0) ||
      !(a = okno_store_act_get(req->store, id, NULL)) || (pdf && !a->pdf)) {
    okno_req_error(req, 404, NULL);
    return;
  }
  name = g_strdup_printf("akt-unichtozheniya-%" G_GINT64_FORMAT ".%s", id, pdf ? "pdf" : "csv");
  okno_req_bytes(req, pdf ? "application/pdf" : "text/csv; charset=utf-8", pdf ? a->pdf : a->csv,
                 name);
}

static const OknoRoute routes[] = {
  {"GET", "/console/acts", OKNO_ROUTE_STAFF, acts_list},
  {"GET", "/console/acts/", OKNO_ROUTE_STAFF, act_file},
};

void okno_console_acts_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
