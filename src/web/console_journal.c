/* console_journal.c: the auditor's view of the journal (console.h; docs/journal.md).
 *
 * GET /console/journal (administrators and auditors: okno_staff_can VIEW_JOURNAL)
 * shows the journal's state (its size, the latest signed head, the result of the last
 * daily `journal verify`) and the staff access journal (store/access.h): the latest
 * reads of every appeal, of one appeal (?appeal=NUMBER) or of one staff member
 * (?login=LOGIN). /api/v1/console/journal is the JSON twin.
 *
 * POST /console/journal/export (field `appeal`) answers appeal NUMBER's evidence bundle
 * (ops/evidence.h) as evidence-NUMBER.tar, and journals the export as a staff read
 * ("export"). It needs the journal's key file on this node. */
#include "web/console.h"

#include <glib/gstdio.h>
#include <sodium.h>

#include "core/json.h"
#include "core/log.h"
#include "ops/evidence.h"
#include "ops/journal.h"
#include "store/access.h"
#include "store/appeals.h"
#include "store/journal.h"
#include "store/staff.h"
#include "web/template.h"

#define ACCESS_ROWS 200

/* Russian words for the access journal's actions. */
static const char *action_words(const char *action)
{
  static const struct { const char *name, *words; } t[] = {
      {"view", "открыл(а) обращение"},     {"download", "скачал(а) файл"},
      {"raw", "скачал(а) исходное письмо"}, {"unmask", "открыл(а) персональные данные"},
      {"export", "выгрузил(а) доказательства"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(t); i++)
    if (g_strcmp0(action, t[i].name) == 0)
      return t[i].words;
  return action;
}

JsonArray *okno_console_access_rows(const GPtrArray *rows, gboolean staff)
{
  JsonArray *out = json_array_new();
  for (guint i = 0; rows && i < rows->len; i++) {
    const OknoAccessRow *r = rows->pdata[i];
    JsonObject *o = json_object_new();
    g_autofree char *at = okno_console_time(r->at);
    json_object_set_string_member(o, "at", at);
    json_object_set_string_member(o, "role", okno_staff_role_words(r->role));
    json_object_set_string_member(o, "department", r->department);
    json_object_set_string_member(o, "action", r->action);
    json_object_set_string_member(o, "what", action_words(r->action));
    if (staff) {
      json_object_set_string_member(o, "login", r->login);
      json_object_set_string_member(o, "ip", r->ip);
      json_object_set_string_member(o, "number", r->number);
      json_object_set_string_member(o, "detail", r->detail);
    }
    json_array_add_object_element(out, o);
  }
  return out;
}

static void journal_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoJournalHead) head = NULL;
  g_autoptr(OknoJournalVerification) last = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(OknoAppeal) a = NULL;
  g_autoptr(OknoUser) who = NULL;
  const char *number = g_hash_table_lookup(req->query, "appeal");
  const char *login = g_hash_table_lookup(req->query, "login");
  gint64 size = 0;
  JsonObject *o;
  if (!u)
    return;
  if (!okno_staff_can(u, OKNO_ACT_VIEW_JOURNAL, NULL, NULL)) {
    okno_req_error(req, 403, NULL);
    return;
  }
  if (number && *number && !(a = okno_store_appeal_get(req->store, number, &err)) && !err) {
    okno_req_error(req, 404, "Обращение с таким номером не найдено.");
    return;
  }
  if (!err && login && *login && !(who = okno_store_user_get(req->store, login, &err)) && !err) {
    okno_req_error(req, 404, "Сотрудника с таким логином нет.");
    return;
  }
  if (!err && okno_store_journal_size(req->store, &size, &err))
    head = okno_store_journal_head(req->store, 0, &err);
  if (!err)
    last = okno_store_journal_verification_last(req->store, &err);
  if (!err)
    rows = okno_store_access_list(req->store, a ? a->id : 0, who ? who->id : 0, ACCESS_ROWS,
                                  &err);
  if (err) {
    okno_req_error(req, 500, NULL);
    return;
  }
  o = okno_console_ctx(u);
  json_object_set_int_member(o, "size", size);
  json_object_set_boolean_member(o, "has_head", head != NULL);
  if (head) {
    g_autofree char *at = okno_console_time(head->at);
    char root[2 * OKNO_HASH_LEN + 1];
    sodium_bin2hex(root, sizeof root, head->root, OKNO_HASH_LEN);
    json_object_set_int_member(o, "head_size", head->size);
    json_object_set_string_member(o, "head_root", root);
    json_object_set_string_member(o, "head_at", at);
    json_object_set_string_member(o, "head_key_id", head->key_id);
  }
  json_object_set_boolean_member(o, "has_verify", last != NULL);
  if (last) {
    g_autofree char *at = okno_console_time(last->at);
    JsonObject *v = json_object_new();
    json_object_set_string_member(v, "at", at);
    json_object_set_boolean_member(v, "intact", last->intact);
    json_object_set_int_member(v, "size", last->size);
    json_object_set_int_member(v, "problems", last->problems);
    json_object_set_string_member(v, "report", last->report);
    json_object_set_object_member(o, "verify", v);
  }
  json_object_set_string_member(o, "appeal", a ? a->number : "");
  json_object_set_string_member(o, "login", who ? who->login : "");
  json_object_set_array_member(o, "access", okno_console_access_rows(rows, TRUE));
  if (req->api) {
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    okno_req_json(req, 200, n);
    return;
  }
  okno_req_page(req, 200, "console_journal", "Журнал", o);
}

static void export_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoAppeal) a = NULL;
  g_autoptr(OknoJournalKey) key = NULL;
  g_autoptr(GBytes) tar = NULL;
  g_autofree char *key_path = NULL, *tmp = NULL, *dir = NULL, *prefix = NULL, *name = NULL;
  const char *number = okno_req_field(req, "appeal");
  guint files = 0;
  if (!u)
    return;
  if (!okno_staff_can(u, OKNO_ACT_VIEW_JOURNAL, NULL, NULL)) {
    okno_req_error(req, 403, NULL);
    return;
  }
  a = okno_store_appeal_get(req->store, number, &err);
  if (!a) {
    okno_req_error(req, err ? 500 : 404, err ? NULL : "Обращение с таким номером не найдено.");
    return;
  }
  key_path = okno_config_journal_key_file(req->cfg);
  key = okno_journal_key_load(key_path, &err);
  if (!key) {
    okno_log_warn("console", "event=evidence_export_failed error=\"%s\"", err->message);
    okno_req_error(req, 503, "Выгрузка невозможна: на сервере нет ключа журнала.");
    return;
  }
  tmp = g_dir_make_tmp("okno-evidence-XXXXXX", &err);
  dir = tmp ? g_build_filename(tmp, "bundle", NULL) : NULL;
  prefix = g_strdup_printf("evidence-%s", a->number);
  if (!dir || !okno_evidence_export(req->store, key, a->number, dir, &files, &err) ||
      !(tar = okno_evidence_tar(dir, prefix, TRUE, &err))) {
    okno_log_warn("console", "event=evidence_export_failed appeal=%s error=\"%s\"", a->number,
                  err ? err->message : "");
    if (tmp)
      g_rmdir(tmp);
    okno_req_error(req, 500, NULL);
    return;
  }
  g_rmdir(tmp);
  {
    OknoAccessRow r = {.user_id = u->id, .login = u->login, .role = u->role,
                       .department = (char *)(u->departments && u->departments[0] ? u->departments[0] : ""),
                       .ip = (char *)(req->client_ip ? req->client_ip : ""), .action = "export",
                       .appeal_id = a->id, .detail = ""};
    if (!okno_store_access_record(req->store, &r, &err)) {
      okno_req_error(req, 500, NULL);
      return;
    }
  }
  name = g_strdup_printf("%s.tar", prefix);
  okno_req_bytes(req, "application/x-tar", tar, name);
}

static const OknoRoute routes[] = {
  {"GET", "/console/journal", OKNO_ROUTE_STAFF, journal_get},
  {"POST", "/console/journal/export", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, export_post},
  {"GET", "/api/v1/console/journal", OKNO_ROUTE_STAFF, journal_get},
};

void okno_console_journal_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
