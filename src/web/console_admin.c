/* console_admin.c: the administrator's pages of the operator console: staff accounts
 * (list, add, disable/enable, reset the second factor), departments and the routing
 * rules with their order (console.h; the same operations as `okno user|department|
 * route`, through src/sec/staff.h and the store). Accounts are listed in keyset pages
 * of 50 by login (users_after= / users_before=); departments and rules are listed
 * whole: the parent select and the rules' order need all of them, and they are as
 * many as the organisation's structure has, not as many as appeals.
 *
 * Adding an account or resetting its second factor shows an ENROLMENT page once: the
 * one-time password (new accounts), the ten recovery codes and the QR code of the
 * otpauth:// URI, the QR served as an image route (/console/admin/enrolment/ID.svg:
 * no inline script, CSP intact). The enrolment lives only in this process's memory, for
 * the administrator who made it, for ENROLMENT_US, so the secret is never retrievable
 * later from the store through the web. Every route needs OKNO_ACT_MANAGE_USERS or
 * OKNO_ACT_MANAGE_DEPARTMENTS (administrators only): others get 403. */
#include "web/console.h"

#include <string.h>

#include "appeal/routing.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "sec/totp.h"
#include "store/staff.h"

#define ENROLMENT_US (10 * 60 * G_USEC_PER_SEC)

typedef struct {
  gint64 admin;      /* the administrator who may see it */
  gint64 created;
  char *login;
  char *totp_uri;
} Enrolment;

static GHashTable *enrolments; /* id (hex) -> Enrolment*; under enrolments_lock (the web's
                                * handlers run on several worker threads) */
G_LOCK_DEFINE_STATIC(enrolments_lock);

static void enrolment_free(Enrolment *e)
{
  g_free(e->login);
  g_free(e->totp_uri);
  g_free(e);
}

/* Remembers the enrolment's URI for its QR route; returns the new id (caller frees). */
static char *enrolment_keep(gint64 admin, const OknoEnrolment *en)
{
  GHashTableIter it;
  gpointer k, v;
  Enrolment *e = g_new0(Enrolment, 1);
  char *id = okno_random_hex(16);
  gint64 now = okno_now();
  G_LOCK(enrolments_lock);
  if (!enrolments)
    enrolments = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)enrolment_free);
  g_hash_table_iter_init(&it, enrolments);
  while (g_hash_table_iter_next(&it, &k, &v))
    if (now - ((Enrolment *)v)->created > ENROLMENT_US)
      g_hash_table_iter_remove(&it);
  e->admin = admin;
  e->created = now;
  e->login = g_strdup(en->login);
  e->totp_uri = g_strdup(en->totp_uri);
  g_hash_table_insert(enrolments, g_strdup(id), e);
  G_UNLOCK(enrolments_lock);
  return id;
}

/* The signed-in administrator allowed `action`, or NULL after answering. */
static OknoUser *admin_user(OknoReq *req, OknoAction action)
{
  OknoUser *u = okno_console_user(req, FALSE);
  if (u && !okno_staff_can(u, action, NULL, NULL)) {
    okno_user_free(u);
    okno_req_error(req, 403, "Недостаточно прав для этого действия.");
    return NULL;
  }
  return u;
}

#define USERS_PAGE 50

/* A keyset page of users (by login) from users_after= / users_before=, at most
 * USERS_PAGE; sets the pager's fields in `o` (users_next_href, users_prev_href). */
static GPtrArray *users_page(OknoReq *req, JsonObject *o)
{
  const char *after = g_hash_table_lookup(req->query, "users_after");
  const char *before = g_hash_table_lookup(req->query, "users_before");
  gboolean back = !(after && *after) && before && *before;
  GPtrArray *users = okno_store_user_page(req->store, after, before, USERS_PAGE, NULL);
  gboolean more_before = FALSE, more_after = FALSE;
  if (!users)
    return NULL;
  if (back && users->len <= USERS_PAGE) { /* the start: the first page, full */
    g_ptr_array_unref(users);
    users = okno_store_user_page(req->store, NULL, NULL, USERS_PAGE, NULL);
    back = FALSE;
    after = NULL;
    if (!users)
      return NULL;
  }
  if (users->len > USERS_PAGE) {
    g_ptr_array_remove_index(users, back ? 0 : users->len - 1);
    more_before = back;
    more_after = !back;
  }
  more_before = more_before || (after && *after && users->len);
  more_after = more_after || back;
  if (more_after && users->len) {
    g_autofree char *l = g_uri_escape_string(((OknoUser *)users->pdata[users->len - 1])->login,
                                             NULL, FALSE);
    g_autofree char *h = g_strconcat("/console/admin?users_after=", l, NULL);
    json_object_set_string_member(o, "users_next_href", h);
  }
  if (more_before && users->len) {
    g_autofree char *l = g_uri_escape_string(((OknoUser *)users->pdata[0])->login, NULL, FALSE);
    g_autofree char *h = g_strconcat("/console/admin?users_before=", l, NULL);
    json_object_set_string_member(o, "users_prev_href", h);
  }
  return users;
}

static void admin_page(OknoReq *req, const OknoUser *u, guint status, const char *error)
{
  JsonObject *o = okno_console_ctx(u);
  g_autoptr(GPtrArray) users = users_page(req, o);
  g_autoptr(GPtrArray) depts = okno_store_department_list(req->store, NULL);
  g_autoptr(GPtrArray) rules = okno_store_route_list(req->store, NULL);
  JsonArray *ua, *da, *ra;
  if (!users || !depts || !rules) {
    json_object_unref(o);
    okno_req_error(req, 500, NULL);
    return;
  }
  ua = json_array_new();
  for (guint i = 0; i < users->len; i++) {
    const OknoUser *x = users->pdata[i];
    JsonObject *r = json_object_new();
    g_autofree char *deps = g_strjoinv(", ", x->departments);
    json_object_set_string_member(r, "login", x->login);
    json_object_set_string_member(r, "name", x->display_name);
    json_object_set_string_member(r, "role", x->role);
    json_object_set_string_member(r, "departments", deps);
    json_object_set_boolean_member(r, "disabled", x->disabled);
    json_object_set_boolean_member(r, "self", x->id == u->id);
    json_array_add_object_element(ua, r);
  }
  da = json_array_new();
  for (guint i = 0; i < depts->len; i++) {
    const OknoDepartment *d = depts->pdata[i];
    JsonObject *r = json_object_new();
    json_object_set_string_member(r, "code", d->code);
    json_object_set_string_member(r, "name", d->name);
    json_object_set_string_member(r, "parent", d->parent);
    json_array_add_object_element(da, r);
  }
  ra = json_array_new();
  for (guint i = 0; i < rules->len; i++) {
    const OknoRouteRule *x = rules->pdata[i];
    JsonObject *r = json_object_new();
    json_object_set_int_member(r, "id", x->id);
    json_object_set_int_member(r, "position", x->position);
    json_object_set_string_member(r, "kind", x->kind);
    json_object_set_string_member(r, "value", x->value);
    json_object_set_string_member(r, "department", x->department);
    json_array_add_object_element(ra, r);
  }
  json_object_set_array_member(o, "users", ua);
  json_object_set_array_member(o, "departments", da);
  json_object_set_array_member(o, "rules", ra);
  if (error)
    json_object_set_string_member(o, "error", error);
  okno_req_page(req, status, "console_admin", "Администрирование", o);
}

/* Answers a failed write: the user's error on the page (422), anything else 500. */
static void admin_failed(OknoReq *req, const OknoUser *u, GError *err)
{
  if (err && err->domain == OKNO_ERROR && err->code == OKNO_ERROR_USER) {
    admin_page(req, u, 422, err->message);
    return;
  }
  okno_log_warn("console", "event=admin-failed error=\"%s\"", err ? err->message : "?");
  okno_req_error(req, 500, NULL);
}

static void admin_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = admin_user(req, OKNO_ACT_MANAGE_USERS);
  if (u)
    admin_page(req, u, 200, NULL);
}

static void enrolment_page(OknoReq *req, const OknoUser *u, const OknoEnrolment *en)
{
  g_autofree char *id = enrolment_keep(u->id, en);
  JsonObject *o = okno_console_ctx(u);
  JsonArray *codes = json_array_new();
  for (char **c = en->recovery_codes; c && *c; c++)
    json_array_add_string_element(codes, *c);
  json_object_set_string_member(o, "login", en->login);
  if (en->password)
    json_object_set_string_member(o, "password", en->password);
  json_object_set_string_member(o, "totp_uri", en->totp_uri);
  json_object_set_string_member(o, "totp_secret", en->totp_secret);
  json_object_set_string_member(o, "qr_id", id);
  json_object_set_array_member(o, "codes", codes);
  okno_req_page(req, 200, "console_enrolment", "Подключение второго фактора", o);
}

static void users_add_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = admin_user(req, OKNO_ACT_MANAGE_USERS);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoEnrolment) en = NULL;
  g_auto(GStrv) deps = NULL;
  OknoStaffPolicy pol;
  if (!u)
    return;
  pol = okno_console_policy(req);
  deps = g_strsplit_set(okno_req_field(req, "departments"), " ,;", -1);
  {
    /* drop the empty pieces between separators */
    guint w = 0;
    for (guint r = 0; deps[r]; r++)
      if (*deps[r])
        deps[w++] = deps[r];
      else
        g_free(deps[r]);
    deps[w] = NULL;
  }
  en = okno_staff_create(req->store, &pol, okno_req_field(req, "login"),
                         okno_req_field(req, "role"), okno_req_field(req, "name"),
                         okno_req_field(req, "email"), (const char *const *)deps, &err);
  if (!en) {
    admin_failed(req, u, err);
    return;
  }
  okno_log("console", "event=user-added by=%" G_GINT64_FORMAT, u->id);
  enrolment_page(req, u, en);
}

static void users_state_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = admin_user(req, OKNO_ACT_MANAGE_USERS);
  g_autoptr(GError) err = NULL;
  const char *login = okno_req_field(req, "login"), *what = okno_req_field(req, "action");
  if (!u)
    return;
  if (strcmp(login, u->login) == 0 && strcmp(what, "enable") != 0) {
    admin_page(req, u, 422, "Нельзя отключить собственную учётную запись или сбросить её второй фактор здесь.");
    return;
  }
  if (strcmp(what, "reset-2fa") == 0) {
    OknoStaffPolicy pol = okno_console_policy(req);
    g_autoptr(OknoEnrolment) en = okno_staff_reset_2fa(req->store, &pol, login, &err);
    if (!en) {
      admin_failed(req, u, err);
      return;
    }
    okno_log("console", "event=2fa-reset by=%" G_GINT64_FORMAT, u->id);
    enrolment_page(req, u, en);
    return;
  }
  if (strcmp(what, "disable") != 0 && strcmp(what, "enable") != 0) {
    okno_req_error(req, 400, NULL);
    return;
  }
  if (!okno_staff_set_disabled(req->store, login, strcmp(what, "disable") == 0, &err)) {
    admin_failed(req, u, err);
    return;
  }
  okno_req_redirect(req, "/console/admin");
}

static void qr_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = admin_user(req, OKNO_ACT_MANAGE_USERS);
  g_autofree char *id = g_strdup(req->path_rest);
  g_autofree char *svg = NULL;
  g_autoptr(GBytes) b = NULL;
  Enrolment *e;
  gboolean found;
  if (!u)
    return;
  if (g_str_has_suffix(id, ".svg"))
    id[strlen(id) - 4] = '\0';
  G_LOCK(enrolments_lock);
  e = enrolments ? g_hash_table_lookup(enrolments, id) : NULL;
  found = e && e->admin == u->id && okno_now() - e->created <= ENROLMENT_US;
  if (found)
    svg = okno_qr_svg(e->totp_uri, NULL);
  G_UNLOCK(enrolments_lock);
  if (!found) {
    okno_req_error(req, 404, NULL);
    return;
  }
  if (!svg) {
    okno_req_error(req, 500, NULL);
    return;
  }
  {
    gsize len = strlen(svg);
    b = g_bytes_new_take(g_steal_pointer(&svg), len);
  }
  okno_req_bytes(req, "image/svg+xml", b, NULL);
}

static void departments_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = admin_user(req, OKNO_ACT_MANAGE_DEPARTMENTS);
  g_autoptr(GError) err = NULL;
  OknoDepartment d = {
    .code = (char *)okno_req_field(req, "code"),
    .name = g_strstrip(g_strdup(okno_req_field(req, "name"))),
    .parent = (char *)okno_req_field(req, "parent"),
  };
  g_autofree char *name = d.name;
  if (!u)
    return;
  if (!okno_department_code_valid(d.code) || !*name) {
    admin_page(req, u, 422, "Код отдела — от 1 до 32 строчных латинских букв, цифр, - и _; "
                            "название обязательно.");
    return;
  }
  if (!okno_store_department_add(req->store, &d, &err)) {
    admin_failed(req, u, err);
    return;
  }
  okno_req_redirect(req, "/console/admin");
}

static void routes_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = admin_user(req, OKNO_ACT_MANAGE_DEPARTMENTS);
  g_autoptr(GError) err = NULL;
  gint64 position = g_ascii_strtoll(okno_req_field(req, "position"), NULL, 10);
  OknoRouteRule r = {
    .position = position,
    .kind = (char *)okno_req_field(req, "kind"),
    .value = g_strstrip(g_strdup(okno_req_field(req, "value"))),
    .department = (char *)okno_req_field(req, "department"),
  };
  g_autofree char *value = r.value;
  if (!u)
    return;
  if (!okno_route_kind_valid(r.kind) || !*value || position < 0) {
    admin_page(req, u, 422, "Выберите вид правила, укажите значение и неотрицательный порядок.");
    return;
  }
  if (!okno_store_route_add(req->store, &r, &err)) {
    admin_failed(req, u, err);
    return;
  }
  okno_req_redirect(req, "/console/admin");
}

static void routes_remove_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = admin_user(req, OKNO_ACT_MANAGE_DEPARTMENTS);
  g_autoptr(GError) err = NULL;
  if (!u)
    return;
  if (!okno_store_route_remove(req->store, g_ascii_strtoll(okno_req_field(req, "id"), NULL, 10),
                               &err)) {
    admin_failed(req, u, err);
    return;
  }
  okno_req_redirect(req, "/console/admin");
}

static const OknoRoute routes[] = {
  {"GET", "/console/admin", OKNO_ROUTE_STAFF, admin_get},
  {"POST", "/console/admin/users", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, users_add_post},
  {"POST", "/console/admin/users/state", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING,
   users_state_post},
  {"GET", "/console/admin/enrolment/", OKNO_ROUTE_STAFF, qr_get},
  {"POST", "/console/admin/departments", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING,
   departments_post},
  {"POST", "/console/admin/routes", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, routes_post},
  {"POST", "/console/admin/routes/remove", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING,
   routes_remove_post},
};

void okno_console_admin_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
