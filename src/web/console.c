/* console.c: the operator console's shared helpers (the signed-in user, the page
 * context, times) and its queue, saved-filter, template and spam pages (console.h).
 * Sign-in, password and the account page are in console_account.c.
 *
 * Queues (/console): my appeals, my departments', unassigned, needing clarification,
 * overdue; each with its count; filter by status, sort by deadline, and full-text
 * search. Only appeals okno_staff_can(VIEW) lets the user see are listed or counted:
 * the store's queue query says the same in SQL (every department for administrators
 * and auditors, else the user's departments and triage). Pages of 50 in keyset order
 * with «Следующие 50» / «Предыдущие 50» and «Всего: N» (store.h "queues"). /api/v1/
 * console/queue is the JSON twin (docs/api.md). */
#include "web/console.h"

#include <string.h>

#include "appeal/history.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "store/console.h"
#include "store/filters.h"
#include "store/queue.h"
#include "store/staff.h"
#include "web/routes.h"
#include "web/status.h"
#include "web/template.h"

char *okno_console_time(gint64 us)
{
  g_autoptr(GDateTime) utc = NULL, t = NULL;
  if (!us)
    return g_strdup("");
  utc = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  t = g_date_time_to_timezone(utc, okno_tz_moscow());
  return g_date_time_format(t, "%d.%m.%Y %H:%M");
}

OknoStaffPolicy okno_console_policy(OknoReq *req)
{
  return okno_staff_policy(req->cfg);
}

OknoUser *okno_console_user(OknoReq *req, gboolean allow_password_change)
{
  g_autoptr(GError) err = NULL;
  gint64 id = g_ascii_strtoll(req->session->subject, NULL, 10);
  OknoUser *u = okno_store_user_get_by_id(req->store, id, &err);
  if (err) {
    okno_log_warn("console", "event=user-load-failed error=\"%s\"", err->message);
    okno_req_error(req, 500, NULL);
    return NULL;
  }
  if (!u || u->disabled) {
    okno_user_free(u);
    okno_req_sign_out(req);
    if (req->api)
      okno_req_error(req, 401, NULL);
    else
      okno_req_redirect(req, "/console/login");
    return NULL;
  }
  if (u->must_change_password && !allow_password_change) {
    okno_user_free(u);
    if (req->api)
      okno_req_error(req, 403, "Сначала смените пароль: /console/password.");
    else
      okno_req_redirect(req, "/console/password");
    return NULL;
  }
  return u;
}

JsonObject *okno_console_ctx(const OknoUser *u)
{
  JsonObject *o = json_object_new();
  gboolean templates = okno_staff_can(u, OKNO_ACT_MANAGE_TEMPLATES, NULL, NULL);
  for (char **d = u->departments; !templates && d && *d; d++)
    templates = okno_staff_can(u, OKNO_ACT_MANAGE_TEMPLATES, NULL, *d);
  json_object_set_string_member(o, "user_login", u->login);
  json_object_set_string_member(o, "user_name", *u->display_name ? u->display_name : u->login);
  json_object_set_string_member(o, "user_role", u->role);
  json_object_set_boolean_member(o, "staff", TRUE);
  json_object_set_boolean_member(o, "can_templates", templates);
  json_object_set_boolean_member(o, "is_admin", okno_staff_can(u, OKNO_ACT_MANAGE_USERS, NULL, NULL));
  json_object_set_boolean_member(o, "can_acts", okno_staff_can(u, OKNO_ACT_VIEW_ACTS, NULL, NULL));
  json_object_set_boolean_member(o, "is_auditor", !g_strcmp0(u->role, "auditor"));
  json_object_set_boolean_member(o, "can_stats", okno_staff_can(u, OKNO_ACT_VIEW_STATS, NULL, NULL));
  json_object_set_boolean_member(o, "can_journal",
                                 okno_staff_can(u, OKNO_ACT_VIEW_JOURNAL, NULL, NULL));
  return o;
}

/* ---- queues ----
 * Each queue is a keyset page of the store (okno_store_queue_page): PAGE_SIZE rows (or
 * fewer with limit=), `after`/`before` page tokens, the tab counts and the list's total
 * from okno_store_queue_count. Nothing here reads more than one page of appeals. */

#define PAGE_SIZE 50

static JsonObject *appeal_summary(const OknoAppeal *a, gint64 now);

/* In OknoQueue order (store.h). */
static const struct { const char *id, *label; } queues[OKNO_QUEUE_COUNT] = {
  {"mine", "Мои"},
  {"department", "Моих отделов"},
  {"unassigned", "Без исполнителя"},
  {"clarification", "Нужно уточнение"},
  {"overdue", "Просроченные"},
  {"all", "Все доступные"},
};

/* The citizen as the queue shows them: the address masked («i***@mail.ru»), else the
 * phone's last two digits. */
static char *citizen_masked(const OknoAppeal *a)
{
  glong n;
  if (a->from_email && *a->from_email)
    return okno_history_mask(a->from_email);
  n = a->phone ? g_utf8_strlen(a->phone, -1) : 0;
  if (n > 4)
    return g_strdup_printf("***%s", g_utf8_offset_to_pointer(a->phone, n - 2));
  return g_strdup(n ? "***" : "");
}

/* `users`: id -> display name (NULL: no assignee column). */
static JsonObject *appeal_row(OknoReq *req, const OknoAppeal *a, gint64 now, GHashTable *users,
                              const GPtrArray *depts)
{
  JsonObject *r = appeal_summary(a, now);
  g_autofree char *citizen = citizen_masked(a);
  const char *ch = okno_channels[a->channel].short_;
  const char *who = users && a->assignee ? g_hash_table_lookup(users, &a->assignee) : NULL;
  json_object_set_string_member(r, "citizen", citizen);
  json_object_set_string_member(r, "channel", ch);
  json_object_set_string_member(r, "assignee_name", who ? who : "");
  for (guint i = 0; depts && i < depts->len; i++)
    if (strcmp(((const OknoDepartment *)depts->pdata[i])->code, a->department) == 0)
      json_object_set_string_member(r, "department_name",
                                    ((const OknoDepartment *)depts->pdata[i])->name);
  if (!json_object_has_member(r, "department_name"))
    json_object_set_string_member(r, "department_name", a->department);
  okno_console_sla(req->cfg, a, now, r);
  return r;
}

static JsonObject *appeal_summary(const OknoAppeal *a, gint64 now)
{
  JsonObject *r = json_object_new();
  g_autofree char *received = okno_console_time(a->received_at);
  g_autofree char *deadline = okno_console_time(a->deadline);
  json_object_set_string_member(r, "number", a->number);
  json_object_set_string_member(r, "subject", a->subject);
  json_object_set_string_member(r, "status", okno_status_name(a->status));
  json_object_set_string_member(r, "status_label", okno_statuses[a->status].staff);
  json_object_set_string_member(r, "department", a->department);
  json_object_set_int_member(r, "assignee", a->assignee);
  json_object_set_string_member(r, "received", received);
  json_object_set_string_member(r, "deadline", deadline);
  json_object_set_boolean_member(r, "overdue", a->deadline && a->deadline < now &&
                                                   okno_statuses[a->status].open);
  json_object_set_int_member(r, "version", a->version);
  return r;
}

/* /console with the list's filters and a page token (`cursor` NULL: the first page). */
static char *queue_href(const OknoQueueQuery *q, gboolean limit, const char *cursor,
                        const char *token)
{
  g_autofree char *s = g_uri_escape_string(q->status ? q->status : "", NULL, FALSE);
  g_autofree char *w = g_uri_escape_string(q->search ? q->search : "", NULL, FALSE);
  GString *h = g_string_new(NULL);
  g_string_append_printf(h, "/console?view=%s&status=%s&q=%s", queues[q->queue].id, s, w);
  if (q->column != OKNO_COLUMN_NONE)
    g_string_append_printf(h, "&sort=%s%s", okno_column_names[q->column], q->desc ? "&dir=desc" : "");
  else if (q->sort == OKNO_SORT_DEADLINE)
    g_string_append(h, "&sort=deadline");
  if (limit)
    g_string_append_printf(h, "&limit=%u", q->limit);
  if (cursor)
    g_string_append_printf(h, "&%s=%s", cursor, token); /* base64url: no escaping */
  return g_string_free(h, FALSE);
}

static void status_options(JsonObject *o, const char *status)
{
  JsonArray *opts = json_array_new();
  for (int i = 0; i < OKNO_N_STATUSES; i++) {
    JsonObject *r = json_object_new();
    json_object_set_string_member(r, "value", okno_statuses[i].name);
    json_object_set_string_member(r, "label", okno_statuses[i].staff);
    json_object_set_boolean_member(r, "selected", status && strcmp(status, okno_statuses[i].name) == 0);
    json_array_add_object_element(opts, r);
  }
  json_object_set_array_member(o, "status_options", opts);
}

/* The choices of the queue's bulk actions: people who may be given appeals, the
 * departments, the statuses an operator sets (not answered: that is the answer's), the
 * answer templates of the user's departments (all for those who see every one). Each
 * appeal is checked again when the action runs (console_actions.c bulk_post). */
static void bulk_context(OknoReq *req, const OknoUser *u, JsonObject *o)
{
  g_autoptr(GPtrArray) users = okno_store_user_list(req->store, NULL);
  g_autoptr(GPtrArray) depts = okno_store_department_list(req->store, NULL);
  g_autoptr(GPtrArray) tl = okno_store_template_list(
      req->store, okno_staff_sees_every_department(u) ? NULL : (const char *const *)u->departments,
      NULL);
  JsonArray *ua = json_array_new(), *da = json_array_new(), *sa = json_array_new(),
            *ta = json_array_new();
  for (guint i = 0; users && i < users->len; i++) {
    const OknoUser *x = users->pdata[i];
    JsonObject *r;
    if (x->disabled || (strcmp(x->role, "operator") != 0 && strcmp(x->role, "supervisor") != 0))
      continue;
    r = json_object_new();
    json_object_set_string_member(r, "login", x->login);
    json_object_set_string_member(r, "name", *x->display_name ? x->display_name : x->login);
    json_array_add_object_element(ua, r);
  }
  for (guint i = 0; depts && i < depts->len; i++) {
    const OknoDepartment *d = depts->pdata[i];
    JsonObject *r = json_object_new();
    json_object_set_string_member(r, "code", d->code);
    json_object_set_string_member(r, "name", d->name);
    json_array_add_object_element(da, r);
  }
  for (int i = 0; i < OKNO_N_STATUSES; i++) {
    JsonObject *r;
    if (i == OKNO_STATUS_ANSWERED)
      continue;
    r = json_object_new();
    json_object_set_string_member(r, "value", okno_statuses[i].name);
    json_object_set_string_member(r, "label", okno_statuses[i].staff);
    json_array_add_object_element(sa, r);
  }
  for (guint i = 0; tl && i < tl->len; i++) {
    const OknoAnswerTemplate *t = tl->pdata[i];
    JsonObject *r = json_object_new();
    g_autofree char *label = *t->department ? g_strdup_printf("%s (%s)", t->name, t->department)
                                            : g_strdup(t->name);
    json_object_set_int_member(r, "id", t->id);
    json_object_set_string_member(r, "name", label);
    json_array_add_object_element(ta, r);
  }
  json_object_set_array_member(o, "bulk_assignees", ua);
  json_object_set_array_member(o, "bulk_departments", da);
  json_object_set_array_member(o, "bulk_statuses", sa);
  json_object_set_array_member(o, "bulk_templates", ta);
}

/* The header links of the queue's table: sort_COLUMN_href (by that column, the other
 * way round when it already sorts the page) and sort_COLUMN_aria («ascending»,
 * «descending», «none»), for every column of okno_column_names, «received» and
 * «deadline» (their orders are the keyset indexes' own: newest and soonest first). */
static void sort_links(const OknoQueueQuery *q, JsonObject *o)
{
  for (int c = 0; c <= OKNO_COLUMN_COUNT; c++) {
    OknoQueueQuery l = *q;
    gboolean current;
    g_autofree char *href = NULL, *hk = NULL, *ak = NULL;
    const char *name;
    l.after = l.before = NULL;
    if (c == 0) { /* received */
      name = "received";
      current = q->column == OKNO_COLUMN_NONE && q->sort == OKNO_SORT_RECEIVED;
      l.column = OKNO_COLUMN_NONE;
      l.sort = OKNO_SORT_RECEIVED;
    } else if (c == OKNO_COLUMN_COUNT) {
      name = "deadline";
      current = q->column == OKNO_COLUMN_NONE && q->sort == OKNO_SORT_DEADLINE;
      l.column = OKNO_COLUMN_NONE;
      l.sort = OKNO_SORT_DEADLINE;
    } else {
      name = okno_column_names[c];
      current = q->column == (OknoColumn)c;
      l.column = (OknoColumn)c;
      l.desc = current && !q->desc;
    }
    href = queue_href(&l, FALSE, NULL, NULL);
    hk = g_strdup_printf("sort_%s_href", name);
    ak = g_strdup_printf("sort_%s_aria", name);
    json_object_set_string_member(o, hk, href);
    json_object_set_string_member(o, ak, !current ? "none"
                                         : c == 0 ? "descending"
                                         : c == OKNO_COLUMN_COUNT ? "ascending"
                                         : q->desc ? "descending" : "ascending");
  }
}

/* Answers 400 for a user error (a search of no words, a stale page token), else 500. */
static void queue_fail(OknoReq *req, const GError *err)
{
  if (err && err->domain == OKNO_ERROR && err->code == OKNO_ERROR_USER)
    okno_req_error(req, 400, err->message);
  else
    okno_req_error(req, 500, NULL);
}

static void queue_common(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  const char *view = g_hash_table_lookup(req->query, "view");
  const char *status = g_hash_table_lookup(req->query, "status");
  const char *sort = g_hash_table_lookup(req->query, "sort");
  const char *q = g_hash_table_lookup(req->query, "q");
  const char *after = g_hash_table_lookup(req->query, "after");
  const char *before = g_hash_table_lookup(req->query, "before");
  const char *limit = g_hash_table_lookup(req->query, "limit");
  g_autoptr(OknoPage) page = NULL;
  g_autoptr(GError) err = NULL;
  gint64 now = okno_now(), total;
  OknoQueueQuery qq = {0};
  JsonObject *o;
  JsonArray *items, *tabs;

  if (!u)
    return;
  qq.queue = OKNO_QUEUE_ALL;
  for (guint i = 0; view && i < OKNO_QUEUE_COUNT; i++)
    if (strcmp(view, queues[i].id) == 0)
      qq.queue = i;
  if (!view && !(q && *q))
    qq.queue = okno_staff_sees_every_department(u) ? OKNO_QUEUE_ALL : OKNO_QUEUE_MINE;
  if (!okno_page_limit(limit ? limit : "", PAGE_SIZE, &qq.limit)) {
    okno_req_error(req, 400, "Число строк на странице: от 1 до 50.");
    return;
  }
  qq.user = u->id;
  qq.every_department = okno_staff_sees_every_department(u);
  qq.departments = (const char *const *)u->departments;
  qq.status = status && *status ? status : NULL;
  qq.search = q && *q ? q : NULL;
  qq.sort = sort && strcmp(sort, "deadline") == 0 ? OKNO_SORT_DEADLINE : OKNO_SORT_RECEIVED;
  qq.column = okno_column_parse(sort);
  qq.desc = g_strcmp0(g_hash_table_lookup(req->query, "dir"), "desc") == 0;
  qq.now = now;
  qq.after = after && *after ? after : NULL;
  qq.before = before && *before && !qq.after ? before : NULL;

  page = okno_store_queue_page(req->store, &qq, &err);
  total = page ? okno_store_queue_count(req->store, &qq, &err) : -1;
  if (total < 0) {
    queue_fail(req, err);
    return;
  }
  o = okno_console_ctx(u);
  items = json_array_new();
  {
    /* the assignees' names: one read of the (short) staff list per page */
    g_autoptr(GPtrArray) staff = okno_store_user_list(req->store, NULL);
    g_autoptr(GHashTable) names = g_hash_table_new(g_int64_hash, g_int64_equal);
    g_autoptr(GPtrArray) depts = okno_store_department_list(req->store, NULL);
    for (guint i = 0; staff && i < staff->len; i++) {
      OknoUser *x = staff->pdata[i];
      g_hash_table_insert(names, &x->id, *x->display_name ? x->display_name : x->login);
    }
    for (guint i = 0; i < page->appeals->len; i++)
      json_array_add_object_element(items, appeal_row(req, page->appeals->pdata[i], now, names, depts));
  }
  tabs = json_array_new();
  for (guint k = 0; k < OKNO_QUEUE_COUNT; k++) {
    OknoQueueQuery tab = qq;
    JsonObject *t = json_object_new();
    gint64 count;
    tab.queue = k;
    tab.status = NULL; /* a tab counts its whole queue; the list's total counts the filter */
    count = okno_store_queue_count(req->store, &tab, &err);
    if (count < 0) {
      json_object_unref(t);
      json_array_unref(tabs);
      json_array_unref(items);
      json_object_unref(o);
      queue_fail(req, err);
      return;
    }
    json_object_set_string_member(t, "id", queues[k].id);
    json_object_set_string_member(t, "label", queues[k].label);
    json_object_set_int_member(t, "count", count);
    json_object_set_boolean_member(t, "current", k == qq.queue);
    json_array_add_object_element(tabs, t);
  }
  bulk_context(req, u, o);
  {
    g_autoptr(GPtrArray) saved = okno_store_filter_list(req->store, u->id, NULL);
    JsonArray *fa = json_array_new();
    for (guint i = 0; saved && i < saved->len; i++) {
      const OknoSavedFilter *f = saved->pdata[i];
      JsonObject *r = json_object_new();
      g_autofree char *href = g_strconcat("/console?", f->query, NULL);
      json_object_set_int_member(r, "id", f->id);
      json_object_set_string_member(r, "name", f->name);
      json_object_set_string_member(r, "href", href);
      json_array_add_object_element(fa, r);
    }
    json_object_set_boolean_member(o, "has_saved_filters", json_array_get_length(fa) > 0);
    json_object_set_array_member(o, "saved_filters", fa);
    json_object_set_string_member(o, "sort", sort ? sort : "");
    json_object_set_string_member(o, "dir", qq.desc ? "desc" : "");
  }
  {
    g_autofree char *back = queue_href(&qq, limit && *limit, qq.after ? "after" : qq.before ? "before" : NULL,
                                       qq.after ? qq.after : qq.before);
    json_object_set_string_member(o, "back", back);
  }
  json_object_set_string_member(o, "view", queues[qq.queue].id);
  json_object_set_string_member(o, "status", status ? status : "");
  status_options(o, status);
  json_object_set_string_member(o, "q", q ? q : "");
  {
    g_autofree char *q_url = g_uri_escape_string(q ? q : "", NULL, FALSE);
    g_autofree char *s_url = g_uri_escape_string(status ? status : "", NULL, FALSE);
    json_object_set_string_member(o, "q_url", q_url);
    json_object_set_string_member(o, "status_url", s_url);
  }
  json_object_set_boolean_member(o, "sorted", qq.column == OKNO_COLUMN_NONE &&
                                                qq.sort == OKNO_SORT_DEADLINE);
  sort_links(&qq, o);
  json_object_set_array_member(o, "appeals", items);
  json_object_set_array_member(o, "queues", tabs);
  json_object_set_boolean_member(o, "empty", page->appeals->len == 0);
  json_object_set_int_member(o, "total", total);
  json_object_set_int_member(o, "limit", qq.limit);
  json_object_set_boolean_member(o, "paged", page->prev || page->next || qq.after || qq.before);
  if (page->next) {
    g_autofree char *h = queue_href(&qq, limit && *limit, "after", page->next);
    json_object_set_string_member(o, "next", page->next);
    json_object_set_string_member(o, "next_href", h);
  }
  if (page->prev) {
    g_autofree char *h = queue_href(&qq, limit && *limit, "before", page->prev);
    json_object_set_string_member(o, "prev", page->prev);
    json_object_set_string_member(o, "prev_href", h);
  }
  if (qq.after || qq.before) {
    g_autofree char *h = queue_href(&qq, limit && *limit, NULL, NULL);
    json_object_set_string_member(o, "first_href", h);
  }
  if (req->api) {
    /* the instant the time left was counted from (whole seconds), for a check against
     * `okno deadline --from` (tests/it/test_desk.py) */
    g_autofree char *at = okno_time_format_msk(now - now % G_USEC_PER_SEC);
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_object_set_string_member(o, "now", at);
    json_node_take_object(n, o);
    okno_req_json(req, 200, n);
    return;
  }
  okno_req_page(req, 200, "console_queue", "Очереди обращений", o);
}

/* ---- saved filters (store/filters.h) ----
 * The form sends the queue's own fields (view, status, q, sort, dir) and a name; the
 * query saved is built here from them (queue_href), never taken as given. */

static void filters_save_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autofree char *name = g_strstrip(g_strdup(okno_req_field(req, "name")));
  const char *view = okno_req_field(req, "view"), *sort = okno_req_field(req, "sort");
  OknoQueueQuery qq = {0};
  g_autofree char *href = NULL;
  g_autoptr(GError) err = NULL;
  gint64 id = 0;
  if (!u)
    return;
  if (!*name || g_utf8_strlen(name, -1) > 100) {
    okno_req_error(req, 422, "Назовите фильтр (до 100 символов).");
    return;
  }
  qq.queue = OKNO_QUEUE_ALL;
  for (guint i = 0; i < OKNO_QUEUE_COUNT; i++)
    if (strcmp(view, queues[i].id) == 0)
      qq.queue = i;
  qq.status = okno_req_field(req, "status");
  qq.search = okno_req_field(req, "q");
  qq.sort = strcmp(sort, "deadline") == 0 ? OKNO_SORT_DEADLINE : OKNO_SORT_RECEIVED;
  qq.column = okno_column_parse(sort);
  qq.desc = strcmp(okno_req_field(req, "dir"), "desc") == 0;
  href = queue_href(&qq, FALSE, NULL, NULL);
  if (!okno_store_filter_save(req->store, u->id, name, href + strlen("/console?"), &id, &err)) {
    if (err->domain == OKNO_ERROR && err->code == OKNO_ERROR_USER)
      okno_req_error(req, 422, err->message);
    else
      okno_req_error(req, 500, NULL);
    return;
  }
  okno_req_redirect(req, href);
}

static void filters_delete_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  gboolean found = FALSE;
  if (!u)
    return;
  if (!okno_store_filter_remove(req->store, u->id,
                                g_ascii_strtoll(okno_req_field(req, "id"), NULL, 10), &found,
                                NULL)) {
    okno_req_error(req, 500, NULL);
    return;
  }
  if (!found) {
    okno_req_error(req, 404, NULL);
    return;
  }
  okno_req_redirect(req, "/console");
}

/* ---- answer templates ---- */

static void templates_page(OknoReq *req, const OknoUser *u, guint status, const char *error)
{
  g_autoptr(GPtrArray) list = okno_store_template_list(req->store, NULL, NULL);
  g_autoptr(GPtrArray) depts = okno_store_department_list(req->store, NULL);
  JsonObject *o;
  JsonArray *ta, *da;
  if (!list || !depts) {
    okno_req_error(req, 500, NULL);
    return;
  }
  o = okno_console_ctx(u);
  ta = json_array_new();
  for (guint i = 0; i < list->len; i++) {
    const OknoAnswerTemplate *t = list->pdata[i];
    JsonObject *r;
    if (!okno_staff_can(u, OKNO_ACT_MANAGE_TEMPLATES, NULL, t->department))
      continue;
    r = json_object_new();
    json_object_set_int_member(r, "id", t->id);
    json_object_set_string_member(r, "department", t->department);
    json_object_set_string_member(r, "name", t->name);
    json_object_set_string_member(r, "body", t->body);
    json_array_add_object_element(ta, r);
  }
  da = json_array_new();
  for (guint i = 0; i < depts->len; i++) {
    const OknoDepartment *d = depts->pdata[i];
    JsonObject *r;
    if (!okno_staff_can(u, OKNO_ACT_MANAGE_TEMPLATES, NULL, d->code))
      continue;
    r = json_object_new();
    json_object_set_string_member(r, "code", d->code);
    json_object_set_string_member(r, "name", d->name);
    json_array_add_object_element(da, r);
  }
  json_object_set_array_member(o, "templates", ta);
  json_object_set_array_member(o, "departments", da);
  if (error)
    json_object_set_string_member(o, "error", error);
  okno_req_page(req, status, "console_templates", "Шаблоны ответов", o);
}

static void templates_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  if (u)
    templates_page(req, u, 200, NULL);
}

static void templates_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoTemplate) compiled = NULL;
  const char *body = okno_req_field(req, "body"), *name = okno_req_field(req, "name");
  OknoAnswerTemplate t = {
    .department = (char *)okno_req_field(req, "department"),
    .name = (char *)name,
    .body = (char *)body,
  };
  g_autofree char *trimmed = g_strstrip(g_strdup(name));
  if (!u)
    return;
  if (!okno_staff_can(u, OKNO_ACT_MANAGE_TEMPLATES, NULL, t.department)) {
    okno_req_error(req, 403, "Недостаточно прав для этого действия.");
    return;
  }
  if (!*trimmed || g_utf8_strlen(name, -1) > 200 || !*body ||
      strlen(body) > 20000) {
    templates_page(req, u, 422, "Укажите название (до 200 символов) и текст шаблона.");
    return;
  }
  compiled = okno_template_compile(body, strlen(body), name, &err);
  if (!compiled) {
    templates_page(req, u, 422, "В тексте шаблона ошибка разметки: проверьте фигурные скобки.");
    return;
  }
  if (!okno_store_template_add(req->store, &t, &err)) {
    if (err->domain == OKNO_ERROR && err->code == OKNO_ERROR_USER)
      templates_page(req, u, 422, err->message);
    else
      okno_req_error(req, 500, NULL);
    return;
  }
  okno_req_redirect(req, "/console/templates");
}

static void templates_delete_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(OknoAnswerTemplate) t = NULL;
  gint64 id = g_ascii_strtoll(okno_req_field(req, "id"), NULL, 10);
  if (!u)
    return;
  t = okno_store_template_get(req->store, id, NULL);
  if (!t || !okno_staff_can(u, OKNO_ACT_MANAGE_TEMPLATES, NULL, t->department)) {
    okno_req_error(req, 404, NULL);
    return;
  }
  if (!okno_store_template_remove(req->store, id, NULL)) {
    okno_req_error(req, 500, NULL);
    return;
  }
  okno_req_redirect(req, "/console/templates");
}

/* «Спам»: the appeals held as spam that the user sees (okno_store_spam_held), newest
 * first, each with its «Не спам» (the console action `ham`, console_actions.c). */
static void spam_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(GPtrArray) held = NULL;
  g_autoptr(GError) err = NULL;
  OknoQueueQuery qq = {0};
  JsonObject *o;
  JsonArray *items;
  gint64 now = okno_now();
  if (!u)
    return;
  qq.every_department = okno_staff_sees_every_department(u);
  qq.departments = (const char *const *)u->departments;
  qq.limit = 200;
  held = okno_store_spam_held(req->store, &qq, &err);
  if (!held) {
    queue_fail(req, err);
    return;
  }
  o = okno_console_ctx(u);
  items = json_array_new();
  for (guint i = 0; i < held->len; i++) {
    const OknoAppeal *a = held->pdata[i];
    JsonObject *r = appeal_summary(a, now);
    g_autofree char *version = g_strdup_printf("%" G_GINT64_FORMAT, a->version);
    json_object_set_string_member(r, "version", version);
    json_object_set_boolean_member(r, "can_release",
                                   okno_staff_can(u, OKNO_ACT_JUDGE_SPAM, a, NULL));
    json_array_add_object_element(items, r);
  }
  json_object_set_array_member(o, "appeals", items);
  json_object_set_boolean_member(o, "empty", held->len == 0);
  json_object_set_int_member(o, "total", held->len);
  okno_req_page(req, 200, "console_spam", "Спам", o);
}

static const OknoRoute routes[] = {
  {"GET", "/console", OKNO_ROUTE_STAFF, queue_common},
  {"GET", "/api/v1/console/queue", OKNO_ROUTE_STAFF, queue_common},
  {"GET", "/console/spam", OKNO_ROUTE_STAFF, spam_get},
  {"POST", "/console/filters", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, filters_save_post},
  {"POST", "/console/filters/delete", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING,
   filters_delete_post},
  {"GET", "/console/templates", OKNO_ROUTE_STAFF, templates_get},
  {"POST", "/console/templates", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, templates_post},
  {"POST", "/console/templates/delete", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING,
   templates_delete_post},
};

void okno_console_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
  okno_console_account_routes(web);
  okno_console_appeal_routes(web);
  okno_console_actions_routes(web);
  okno_console_admin_routes(web);
  okno_console_acts_routes(web);
  okno_console_intake_routes(web);
  okno_console_journal_routes(web);
  okno_console_stats_routes(web);
}
