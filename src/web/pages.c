/* pages.c: the public pages: the home page and the status check (see status.h). */
#include "web/routes.h"
#include "web/status.h"

#include <string.h>

#include "appeal/number.h"
#include "core/log.h"
#include "store/appeals.h"

OknoStatusOutcome okno_status_check(OknoReq *req, const char *number, const char *email,
                                    char **number_out, OknoStatus *status, const char **label,
                                    const char **field, const char **message)
{
  g_autofree char *norm = NULL, *addr = NULL, *key = NULL, *trimmed = g_strstrip(g_strdup(email));
  g_autoptr(OknoAppeal) a = NULL;
  g_autoptr(GError) err = NULL;
  gboolean check_ok = FALSE;

  if (!*number) {
    *field = "number";
    *message = "Укажите номер обращения, например 26-000123-3.";
    return OKNO_LOOKUP_BAD_INPUT;
  }
  if (!okno_number_parse(number, &norm, &check_ok) || !check_ok) {
    *field = "number";
    *message = "Номер обращения указан неверно. Он выглядит так: 26-000123-3.";
    return OKNO_LOOKUP_BAD_INPUT;
  }
  addr = g_utf8_strdown(trimmed, -1);
  if (!*addr || !strchr(addr, '@')) {
    *field = "email";
    *message = "Укажите адрес электронной почты, с которого вы писали нам.";
    return OKNO_LOOKUP_BAD_INPUT;
  }
  key = g_strconcat("status-client:", req->client_ip, NULL);
  if (!okno_req_limit(req, key, (double)req->cfg->status_checks_per_hour,
                      (double)req->cfg->status_checks_per_hour))
    return OKNO_LOOKUP_LIMITED;
  a = okno_store_appeal_get(req->store, norm, &err);
  if (err) {
    okno_log_warn("web", "event=status-failed error=\"%s\"", err->message);
    okno_req_error(req, 500, NULL);
    return OKNO_LOOKUP_FAILED;
  }
  if (!a || g_ascii_strcasecmp(a->from_email, addr) != 0)
    return OKNO_LOOKUP_NOT_FOUND;
  *number_out = g_strdup(a->number);
  *status = a->status;
  *label = okno_statuses[a->status].citizen;
  return OKNO_LOOKUP_FOUND;
}

static void home(OknoReq *req)
{
  okno_req_page(req, 200, "home", "Служба поддержки", NULL);
}

static void status_form(OknoReq *req, guint code, JsonObject *o)
{
  okno_req_page(req, code, "status", "Статус обращения", o);
}

static void status_get(OknoReq *req)
{
  status_form(req, 200, json_object_new());
}

static void status_post(OknoReq *req)
{
  const char *number = okno_req_field(req, "number"), *email = okno_req_field(req, "email");
  g_autofree char *norm = NULL;
  OknoStatus status = OKNO_STATUS_NEW;
  const char *label = NULL, *field = NULL, *message = NULL;
  JsonObject *o = json_object_new();
  OknoStatusOutcome r = okno_status_check(req, number, email, &norm, &status, &label, &field,
                                          &message);
  json_object_set_string_member(o, "number", number);
  json_object_set_string_member(o, "email", email);
  switch (r) {
  case OKNO_LOOKUP_LIMITED:
  case OKNO_LOOKUP_FAILED:
    json_object_unref(o);
    return;
  case OKNO_LOOKUP_BAD_INPUT: {
    g_autofree char *k = g_strconcat("error_", field, NULL);
    json_object_set_string_member(o, k, message);
    json_object_set_boolean_member(o, "has_errors", TRUE);
    status_form(req, 422, o);
    return;
  }
  case OKNO_LOOKUP_NOT_FOUND:
    json_object_set_boolean_member(o, "not_found", TRUE);
    status_form(req, 200, o);
    return;
  case OKNO_LOOKUP_FOUND:
    json_object_set_string_member(o, "found_number", norm);
    json_object_set_string_member(o, "found_status", okno_status_name(status));
    json_object_set_string_member(o, "found_label", label);
    status_form(req, 200, o);
    return;
  }
}

static const OknoRoute routes[] = {
  {"GET", "/", 0, home},
  {"GET", "/status", 0, status_get},
  {"POST", "/status", OKNO_ROUTE_STATE_CHANGING, status_post},
};

void okno_pages_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
