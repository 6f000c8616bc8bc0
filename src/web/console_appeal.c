/* console_appeal.c: the appeal page of the operator console (console.h), the GET half
 * of /console/appeals/NUMBER; the actions on it (POST) are console_actions.c.
 *
 * It shows the correspondence (both directions, attachments listed), the extracted
 * personal data MASKED (e-mail, phones, SNILS, INN: the action "unmask" shows them in
 * clear once and journals the event `unmasked` with the operator), the events, related
 * appeals (the linked one and others from the same address) and who else has the appeal
 * open: presence is kept in this process's memory (number -> login -> last view), others
 * seen in the last PRESENCE_US are shown. Every read is journaled (store/access.h) before
 * it is served: the page, an attachment, the original bytes. An appeal the user may not
 * see is 404, as an unknown number. The same route under /api/v1/console/appeals/
 * answers JSON (docs/api.md). */
#include "web/console.h"

#include <string.h>

#include "appeal/history.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "store/retention.h"
#include "store/access.h"
#include "store/appeals.h"
#include "store/console.h"
#include "store/messages.h"

#define PRESENCE_US (120 * G_USEC_PER_SEC)
#define PRESENCE_SWEEP_AT 1000 /* appeals remembered before stale ones are swept */

/* ---- presence ---- */

static GHashTable *presence; /* number -> (login -> gint64* last view); under presence_lock
                             * (the web's handlers run on several worker threads) */
G_LOCK_DEFINE_STATIC(presence_lock);

static JsonArray *presence_update(const char *number, const char *login, gint64 now)
{
  GHashTable *viewers;
  GHashTableIter it;
  gpointer k, v;
  JsonArray *others = json_array_new();
  gint64 *at;
  G_LOCK(presence_lock);
  if (!presence)
    presence = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify)g_hash_table_unref);
  if (g_hash_table_size(presence) > PRESENCE_SWEEP_AT) {
    /* forget appeals nobody has looked at lately, so the map stays small */
    GHashTableIter all;
    gpointer n, vs;
    g_hash_table_iter_init(&all, presence);
    while (g_hash_table_iter_next(&all, &n, &vs)) {
      GHashTableIter one;
      gpointer l, at_p;
      g_hash_table_iter_init(&one, vs);
      while (g_hash_table_iter_next(&one, &l, &at_p))
        if (now - *(gint64 *)at_p > PRESENCE_US)
          g_hash_table_iter_remove(&one);
      if (!g_hash_table_size(vs))
        g_hash_table_iter_remove(&all);
    }
  }
  viewers = g_hash_table_lookup(presence, number);
  if (!viewers) {
    viewers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_hash_table_insert(presence, g_strdup(number), viewers);
  }
  g_hash_table_iter_init(&it, viewers);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    if (now - *(gint64 *)v > PRESENCE_US)
      g_hash_table_iter_remove(&it);
    else if (strcmp(k, login) != 0)
      json_array_add_string_element(others, k);
  }
  at = g_new(gint64, 1);
  *at = now;
  g_hash_table_replace(viewers, g_strdup(login), at);
  G_UNLOCK(presence_lock);
  return others;
}

/* ---- helpers ---- */

/* The value masked: the first character, stars, and the tail a person recognises
 * (an e-mail's domain, a number's last two digits). */
char *okno_console_mask(const char *kind, const char *value)
{
  const char *at = strchr(value, '@');
  glong n = g_utf8_strlen(value, -1);
  if (!*value)
    return g_strdup("");
  if (g_strcmp0(kind, "email") == 0 && at)
    return g_strdup_printf("%.1s***%s", value, at);
  if (n <= 4)
    return g_strdup("***");
  return g_strdup_printf("***%s", g_utf8_offset_to_pointer(value, n - 2));
}

/* The appeal named by the start of req->path_rest ("NUMBER" or "NUMBER/ACTION"), if the
 * user may see it; else NULL after answering 404 (or 500). *action gets what follows. */
OknoAppeal *okno_console_appeal_load(OknoReq *req, const OknoUser *u, char **action)
{
  g_auto(GStrv) parts = g_strsplit(req->path_rest, "/", 2);
  g_autoptr(GError) err = NULL;
  OknoAppeal *a = NULL;
  *action = g_strdup(parts[0] && parts[1] ? parts[1] : "");
  if (parts[0] && *parts[0])
    a = okno_store_appeal_get(req->store, parts[0], &err);
  if (err) {
    okno_req_error(req, 500, NULL);
    return NULL;
  }
  if (!a || !okno_staff_can(u, OKNO_ACT_VIEW, a, NULL) || a->queue == OKNO_HOLD_QUARANTINE) {
    okno_appeal_free(a);
    okno_req_error(req, 404, NULL);
    return NULL;
  }
  return a;
}

/* An RFC 3339 time of the appeal's JSON as "23.11.2026 16:35" (Moscow); as given if
 * it does not parse. Caller frees. */
static char *readable_time(const char *rfc3339)
{
  gint64 us = 0;
  return rfc3339 && okno_time_parse(rfc3339, &us) ? okno_console_time(us) : g_strdup(rfc3339 ? rfc3339 : "");
}

/* Extracted data of a message's meta, masked unless `clear`. */
static JsonArray *extracted(JsonObject *meta, gboolean clear)
{
  JsonArray *out = json_array_new();
  JsonNode *n = meta ? json_object_get_member(meta, "extracted") : NULL;
  JsonArray *in = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
  for (guint i = 0; in && i < json_array_get_length(in); i++) {
    JsonObject *x = json_array_get_object_element(in, i);
    const char *kind = json_object_get_string_member_with_default(x, "kind", "");
    const char *value = json_object_get_string_member_with_default(x, "value", "");
    JsonObject *r = json_object_new();
    g_autofree char *shown = clear || strcmp(kind, "appeal") == 0 ? g_strdup(value)
                                                                   : okno_console_mask(kind, value);
    json_object_set_string_member(r, "kind", kind);
    json_object_set_string_member(r, "value", shown);
    json_array_add_object_element(out, r);
  }
  return out;
}

/* Users who may be given the appeal (in its department; for triage, everyone working). */
static JsonArray *assignees(OknoReq *req, const OknoAppeal *a)
{
  g_autoptr(GPtrArray) users = okno_store_user_list(req->store, NULL);
  JsonArray *out = json_array_new();
  for (guint i = 0; users && i < users->len; i++) {
    const OknoUser *x = users->pdata[i];
    JsonObject *r;
    if (x->disabled || (strcmp(x->role, "operator") != 0 && strcmp(x->role, "supervisor") != 0))
      continue;
    if (*a->department && !(x->departments &&
                            g_strv_contains((const char *const *)x->departments, a->department)))
      continue;
    r = json_object_new();
    json_object_set_string_member(r, "login", x->login);
    json_object_set_string_member(r, "name", *x->display_name ? x->display_name : x->login);
    json_array_add_object_element(out, r);
  }
  return out;
}

/* A department's name by its code, from the list given as `data` (history.h). */
static const char *dept_name(const char *code, gpointer data)
{
  GPtrArray *dl = data;
  for (guint i = 0; dl && i < dl->len; i++)
    if (strcmp(((const OknoDepartment *)dl->pdata[i])->code, code) == 0)
      return ((const OknoDepartment *)dl->pdata[i])->name;
  return NULL;
}

static char *user_login(OknoReq *req, gint64 id)
{
  g_autoptr(OknoUser) x = id ? okno_store_user_get_by_id(req->store, id, NULL) : NULL;
  return g_strdup(x ? x->login : "");
}

/* The whole appeal page (or its JSON twin); `o` (taken, may be NULL) adds error,
 * notice, unmasked. */
void okno_console_appeal_page(OknoReq *req, const OknoUser *u, const OknoAppeal *a, guint status,
                        JsonObject *o)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *json = okno_store_appeal_json(req->store, a->number, &err);
  g_autoptr(JsonObject) full = json ? okno_json_object_parse(json) : NULL;
  gboolean clear = o && json_object_get_boolean_member_with_default(o, "unmasked", FALSE);
  JsonObject *page = okno_console_ctx(u);
  JsonArray *msgs = json_array_new(), *events = json_array_new(), *statuses = json_array_new();
  JsonArray *suggestions = json_array_new();
  JsonArray *depts = json_array_new(), *templates = json_array_new(), *related = json_array_new();
  JsonArray *src;
  g_autoptr(GPtrArray) dl = okno_store_department_list(req->store, NULL);
  g_autoptr(GPtrArray) tl = NULL;
  g_autoptr(GPtrArray) same = NULL;
  OknoListFilter f = {.from_email = a->from_email, .limit = 20};
  g_autofree char *received = okno_console_time(a->received_at);
  g_autofree char *deadline = okno_console_time(a->deadline);
  g_autofree char *assignee = user_login(req, a->assignee);
  g_autofree char *from_masked = clear ? g_strdup(a->from_email) : okno_console_mask("email", a->from_email);
  g_autofree char *phone_masked = clear ? g_strdup(a->phone) : okno_console_mask("phone", a->phone);
  const char *const dept_only[] = {a->department, NULL};

  if (!full) {
    json_object_unref(page);
    if (o)
      json_object_unref(o);
    json_array_unref(msgs), json_array_unref(events), json_array_unref(statuses);
    json_array_unref(depts), json_array_unref(templates), json_array_unref(related);
    json_array_unref(suggestions);
    okno_req_error(req, 500, NULL);
    return;
  }
  src = json_object_get_array_member(full, "messages");
  gint64 attachment_k = 0;
  for (guint i = 0; src && i < json_array_get_length(src); i++) {
    JsonObject *m = json_array_get_object_element(src, i);
    JsonObject *r = json_object_new();
    JsonNode *meta = json_object_get_member(m, "meta");
    JsonNode *att = json_object_get_member(m, "attachments");
    const char *dir = json_object_get_string_member_with_default(m, "direction", "in");
    json_object_set_boolean_member(r, "incoming", strcmp(dir, "in") == 0);
    json_object_set_string_member(r, "subject", json_object_get_string_member_with_default(m, "subject", ""));
    json_object_set_string_member(r, "text", json_object_get_string_member_with_default(m, "text", ""));
    g_autofree char *mat = readable_time(json_object_get_string_member_with_default(m, "at", ""));
    json_object_set_string_member(r, "at", mat);
    json_object_set_int_member(r, "index", i + 1);
    JsonArray *x = extracted(meta && JSON_NODE_HOLDS_OBJECT(meta) ? json_node_get_object(meta)
                                                                  : NULL, clear);
    if (att && JSON_NODE_HOLDS_ARRAY(att)) {
      JsonArray *list = json_node_get_array(att);
      for (guint j = 0; j < json_array_get_length(list); j++)
        json_object_set_int_member(json_array_get_object_element(list, j), "k", ++attachment_k);
      json_object_set_member(r, "attachments", json_node_copy(att));
      json_object_set_boolean_member(r, "has_attachments",
                                     json_array_get_length(json_node_get_array(att)) > 0);
    }
    json_object_set_boolean_member(r, "has_extracted", json_array_get_length(x) > 0);
    json_object_set_array_member(r, "extracted", x);
    json_array_add_object_element(msgs, r);
  }
  src = json_object_get_array_member(full, "events");
  for (guint i = 0; src && i < json_array_get_length(src); i++) {
    JsonObject *e = json_array_get_object_element(src, i);
    JsonObject *r = json_object_new();
    JsonNode *d = json_object_get_member(e, "detail");
    const char *kind = json_object_get_string_member_with_default(e, "kind", "");
    g_autofree char *dt = d ? json_to_string(d, FALSE) : g_strdup("");
    g_autofree char *eat = readable_time(json_object_get_string_member_with_default(e, "at", ""));
    g_autoptr(OknoHistoryLine) h = okno_history_render(kind, dt, dept_name, dl);
    JsonArray *lines = json_array_new();
    for (guint j = 0; j < h->lines->len; j++)
      json_array_add_string_element(lines, h->lines->pdata[j]);
    json_object_set_string_member(r, "at", eat);
    json_object_set_string_member(r, "kind", kind);
    json_object_set_string_member(r, "text", h->sentence);
    json_object_set_boolean_member(r, "has_lines", h->lines->len > 0);
    json_object_set_array_member(r, "lines", lines);
    if (req->api) /* the JSON twin keeps the structured detail for programs */
      json_object_set_member(r, "detail", d ? json_node_copy(d) : json_node_new(JSON_NODE_NULL));
    json_array_add_object_element(events, r);
    /* the learning router left it in triage with its suggestions (ops/classify.h): one
     * click each, while it is still in triage */
    if (strcmp(kind, "routed") == 0 && !*a->department && d && JSON_NODE_HOLDS_OBJECT(d) &&
        json_object_has_member(json_node_get_object(d), "suggestions")) {
      JsonNode *sn = json_object_get_member(json_node_get_object(d), "suggestions");
      for (guint k = 0; JSON_NODE_HOLDS_ARRAY(sn) && k < json_array_get_length(json_node_get_array(sn)); k++) {
        JsonNode *en = json_array_get_element(json_node_get_array(sn), k);
        JsonObject *so, *item;
        const char *code, *name;
        if (!JSON_NODE_HOLDS_OBJECT(en))
          continue;
        so = json_node_get_object(en);
        code = json_object_get_string_member_with_default(so, "department", "");
        if (!(name = dept_name(code, dl)) || !*name)
          continue; /* no such department (any more) */
        item = json_object_new();
        json_object_set_string_member(item, "code", code);
        json_object_set_string_member(item, "name", name);
        json_object_set_int_member(item, "percent",
                                   (gint64)(json_object_get_double_member_with_default(so, "confidence", 0) * 100 + 0.5));
        json_array_add_object_element(suggestions, item);
      }
    }
  }
  {
    /* the moves of ops.h's machine; answered is reached by the reply form */
    for (int to = 0; to < OKNO_N_STATUSES; to++)
      if (to != OKNO_STATUS_ANSWERED && okno_appeal_status_allowed(a->status, to)) {
        JsonObject *r = json_object_new();
        json_object_set_string_member(r, "status", okno_statuses[to].name);
        json_object_set_string_member(r, "label", okno_statuses[to].staff);
        json_array_add_object_element(statuses, r);
      }
  }
  for (guint i = 0; dl && i < dl->len; i++) {
    const OknoDepartment *d = dl->pdata[i];
    JsonObject *r;
    if (strcmp(d->code, a->department) == 0)
      continue;
    r = json_object_new();
    json_object_set_string_member(r, "code", d->code);
    json_object_set_string_member(r, "name", d->name);
    json_array_add_object_element(depts, r);
  }
  tl = okno_store_template_list(req->store, *a->department ? dept_only : (const char *const *)u->departments, NULL);
  for (guint i = 0; tl && i < tl->len; i++) {
    const OknoAnswerTemplate *t = tl->pdata[i];
    JsonObject *r = json_object_new();
    json_object_set_int_member(r, "id", t->id);
    json_object_set_string_member(r, "name", t->name);
    json_array_add_object_element(templates, r);
  }
  if (*a->related) {
    JsonObject *r = json_object_new();
    json_object_set_string_member(r, "number", a->related);
    json_object_set_string_member(r, "why", "связанное");
    json_array_add_object_element(related, r);
  }
  same = *a->from_email ? okno_store_list(req->store, &f, NULL) : NULL;
  for (guint i = 0; same && i < same->len; i++) {
    const OknoAppeal *x = same->pdata[i];
    JsonObject *r;
    if (x->id == a->id || !okno_staff_can(u, OKNO_ACT_VIEW, x, NULL))
      continue;
    r = json_object_new();
    json_object_set_string_member(r, "number", x->number);
    json_object_set_string_member(r, "why", "тот же заявитель");
    json_array_add_object_element(related, r);
  }

  json_object_set_string_member(page, "number", a->number);
  json_object_set_string_member(page, "subject", a->subject);
  json_object_set_string_member(page, "status", okno_status_name(a->status));
  json_object_set_string_member(page, "status_label", okno_statuses[a->status].staff);
  json_object_set_string_member(page, "channel", okno_history_channel(okno_channel_name(a->channel)));
  json_object_set_string_member(page, "category", a->category);
  json_object_set_string_member(page, "department", *a->department ? a->department : "");
  {
    const char *dn = *a->department ? dept_name(a->department, dl) : NULL;
    json_object_set_string_member(page, "department_name", dn ? dn : a->department);
  }
  json_object_set_string_member(page, "assignee", assignee);
  json_object_set_string_member(page, "received", received);
  json_object_set_string_member(page, "deadline", deadline);
  json_object_set_int_member(page, "version", a->version);
  json_object_set_string_member(page, "from_name", a->from_name);
  json_object_set_string_member(page, "from_email", from_masked);
  json_object_set_string_member(page, "phone", phone_masked);
  json_object_set_boolean_member(page, "masked", !clear);
  json_object_set_array_member(page, "messages", msgs);
  json_object_set_array_member(page, "events", events);
  json_object_set_array_member(page, "statuses", statuses);
  json_object_set_array_member(page, "departments", depts);
  json_object_set_array_member(page, "templates", templates);
  json_object_set_array_member(page, "related", related);
  json_object_set_boolean_member(page, "has_suggestions", json_array_get_length(suggestions) > 0);
  json_object_set_array_member(page, "suggestions", suggestions);
  okno_console_classify_box(req, u, a, page); /* console_classify.c */
  {
    JsonArray *viewers = presence_update(a->number, u->login, okno_now());
    json_object_set_boolean_member(page, "has_viewers", json_array_get_length(viewers) > 0);
    json_object_set_array_member(page, "viewers", viewers);
  }
  json_object_set_boolean_member(page, "has_related", json_array_get_length(related) > 0);
  json_object_set_boolean_member(page, "can_take", okno_staff_can(u, OKNO_ACT_TAKE, a, NULL));
  json_object_set_boolean_member(page, "can_assign", okno_staff_can(u, OKNO_ACT_ASSIGN, a, NULL));
  if (okno_staff_can(u, OKNO_ACT_ASSIGN, a, NULL))
    json_object_set_array_member(page, "assignees", assignees(req, a));
  json_object_set_boolean_member(page, "can_reply", okno_staff_can(u, OKNO_ACT_REPLY, a, NULL));
  json_object_set_boolean_member(page, "can_note", okno_staff_can(u, OKNO_ACT_NOTE, a, NULL));
  json_object_set_boolean_member(page, "can_merge", okno_staff_can(u, OKNO_ACT_MERGE, a, NULL) &&
                                                        a->status != OKNO_STATUS_CLOSED);
  json_object_set_boolean_member(page, "can_status",
                                 okno_staff_can(u, OKNO_ACT_CHANGE_STATUS, a, NULL) &&
                                     json_array_get_length(statuses) > 0);
  json_object_set_boolean_member(page, "can_split", okno_staff_can(u, OKNO_ACT_SPLIT, a, NULL));
  json_object_set_boolean_member(
      page, "can_clarify",
      okno_staff_can(u, OKNO_ACT_CHANGE_STATUS, a, NULL) &&
          okno_appeal_status_allowed(a->status, OKNO_STATUS_NEEDS_CLARIFICATION));
  okno_console_sla(req->cfg, a, okno_now(), page);
  okno_console_theme_ctx(req, u, a, page);
  json_object_set_boolean_member(page, "can_extend", okno_staff_can(u, OKNO_ACT_EXTEND, a, NULL));
  json_object_set_boolean_member(page, "can_confirm_urgent",
                                 okno_staff_can(u, OKNO_ACT_CONFIRM_URGENT, a, NULL));
  json_object_set_boolean_member(page, "can_transfer", okno_staff_can(u, OKNO_ACT_TRANSFER, a, NULL));
  json_object_set_boolean_member(page, "can_escalate",
                                 okno_staff_can(u, OKNO_ACT_ESCALATE, a, NULL) && *a->department);
  json_object_set_boolean_member(page, "can_spam",
                                 okno_staff_can(u, OKNO_ACT_JUDGE_SPAM, a, NULL));
  json_object_set_boolean_member(page, "held_as_spam", a->queue == OKNO_HOLD_SPAM);
  {
    g_autoptr(OknoRetentionHold) h = okno_store_retention_hold_get(req->store, a->id, NULL);
    gint64 purged = okno_store_retention_purged_at(req->store, a->id, NULL);
    json_object_set_boolean_member(page, "held", h && h->held);
    if (h && h->held) {
      g_autofree char *since = okno_console_time(h->held_since);
      json_object_set_string_member(page, "hold_reason", h->reason);
      json_object_set_string_member(page, "hold_by", h->held_by);
      json_object_set_string_member(page, "hold_since", since);
    }
    json_object_set_boolean_member(page, "purged", purged > 0);
    if (purged) {
      g_autofree char *at = okno_console_time(purged);
      json_object_set_string_member(page, "purged_at", at);
    }
    json_object_set_boolean_member(page, "can_hold",
                                   !purged && okno_staff_can(u, OKNO_ACT_LEGAL_HOLD, a, NULL));
  }
  json_object_set_boolean_member(page, "can_unmask",
                                 !clear && okno_staff_can(u, OKNO_ACT_UNMASK, a, NULL));
  if (o) {
    GList *members = json_object_get_members(o);
    for (GList *l = members; l; l = l->next)
      json_object_set_member(page, l->data, json_node_copy(json_object_get_member(o, l->data)));
    g_list_free(members);
    json_object_unref(o);
  }
  if (req->api) {
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, page);
    okno_req_json(req, status, n);
    return;
  }
  {
    g_autofree char *title = g_strdup_printf("Обращение № %s", a->number);
    okno_req_page(req, status, "console_appeal", title, page);
  }
}

/* ---- the staff access journal ---- */

/* The department `u` read `a` for: the appeal's when `u` belongs to it, else the
 * first of `u`'s ("" for none). */
static const char *reader_department(const OknoUser *u, const OknoAppeal *a)
{
  if (u->departments && a->department && *a->department &&
      g_strv_contains((const char *const *)u->departments, a->department))
    return a->department;
  return u->departments && u->departments[0] ? u->departments[0] : "";
}

/* Records that `u` read `a` (store/access.h): in the caller's transaction when
 * `in_tx`, else in a small one of its own that does not wait for the disk
 * (okno_store_access_record: a read writes nothing else). */
gboolean okno_console_read_journal(OknoReq *req, const OknoUser *u, const OknoAppeal *a,
                             const char *action, const char *detail, gboolean in_tx,
                             GError **error)
{
  OknoAccessRow r = {
      .user_id = u->id,
      .login = u->login,
      .role = u->role,
      .department = (char *)reader_department(u, a),
      .ip = (char *)(req->client_ip ? req->client_ip : ""),
      .action = (char *)action,
      .appeal_id = a->id,
      .detail = (char *)(detail ? detail : ""),
  };
  if (in_tx)
    return okno_store_access_add(req->store, &r, error);
  return okno_store_access_record(req->store, &r, error);
}

/* journal_read in its own transaction, answering 500 when it fails: a read that cannot
 * be journaled is not served. */
static gboolean journaled(OknoReq *req, const OknoUser *u, const OknoAppeal *a,
                          const char *action, const char *detail)
{
  g_autoptr(GError) err = NULL;
  if (okno_console_read_journal(req, u, a, action, detail, FALSE, &err))
    return TRUE;
  okno_log_warn("console", "event=access_journal_failed appeal=%s error=\"%s\"", a->number,
                err->message);
  okno_req_error(req, 500, NULL);
  return FALSE;
}

/* The original bytes of the appeal's message `k` (1-based, both directions), as a
 * download: for those who may see personal data in clear and for auditors. */
static void raw_download(OknoReq *req, const OknoUser *u, const OknoAppeal *a, gint64 k)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autofree char *name = g_strdup_printf("%s-%" G_GINT64_FORMAT ".eml", a->number, k);
  g_autofree char *detail = g_strdup_printf("%" G_GINT64_FORMAT, k);
  if (!okno_staff_can(u, OKNO_ACT_UNMASK, a, NULL) &&
      !okno_staff_can(u, OKNO_ACT_VIEW_JOURNAL, a, NULL)) {
    okno_req_error(req, 403, NULL);
    return;
  }
  data = okno_store_appeal_message_raw(req->store, a->number, k, &err);
  if (!data) {
    okno_req_error(req, err ? 500 : 404, NULL);
    return;
  }
  if (!journaled(req, u, a, "raw", detail))
    return;
  okno_req_bytes(req, "message/rfc822", data, name);
}

/* An accepted attachment, always as a download (never shown inline: the bytes are the
 * citizen's), logged with the operator. */
static void download(OknoReq *req, const OknoUser *u, const OknoAppeal *a, gint64 k)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *filename = NULL, *type = NULL;
  g_autofree char *detail = g_strdup_printf("%" G_GINT64_FORMAT, k);
  g_autoptr(GBytes) data = okno_store_attachment_get(req->store, a->id, k, &filename, &type, &err);
  if (!data) {
    okno_req_error(req, err ? 500 : 404, NULL);
    return;
  }
  if (!journaled(req, u, a, "download", detail))
    return;
  okno_log("console", "event=attachment-downloaded appeal=%s index=%" G_GINT64_FORMAT, a->number, k);
  okno_req_bytes(req, "application/octet-stream", data, *filename ? filename : "attachment");
}

static void appeal_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(OknoAppeal) a = NULL;
  g_autofree char *action = NULL;
  if (!u)
    return;
  a = okno_console_appeal_load(req, u, &action);
  if (!a)
    return;
  if (g_str_has_prefix(action, "attachments/")) {
    download(req, u, a, g_ascii_strtoll(action + strlen("attachments/"), NULL, 10));
    return;
  }
  if (g_str_has_prefix(action, "raw/")) {
    raw_download(req, u, a, g_ascii_strtoll(action + strlen("raw/"), NULL, 10));
    return;
  }
  if (*action) {
    okno_req_error(req, 404, NULL);
    return;
  }
  if (!journaled(req, u, a, "view", ""))
    return;
  okno_console_appeal_page(req, u, a, 200, NULL);
}

/* The operations' environment (policy, calendar, DKIM key), loaded once. */
const OknoSlaEnv *okno_console_env(const OknoConfig *cfg, GError **error)
{
  static OknoSlaEnv *env;
  static GMutex lock;
  const OknoSlaEnv *out;
  g_mutex_lock(&lock);
  if (!env)
    env = okno_sla_env_new(cfg, error);
  out = env;
  g_mutex_unlock(&lock);
  return out;
}


void okno_console_sla(const OknoConfig *cfg, const OknoAppeal *a, gint64 now, JsonObject *o)
{
  static const char *const classes[] = {"sla-none", "sla-ok", "sla-soon", "sla-over"};
  const OknoSlaEnv *env = okno_console_env(cfg, NULL);
  const OknoCalendar *cal = env && env->cal
                                ? okno_sla_calendar(env->policy, env->cal, a->department)
                                : NULL;
  gint64 hours = 0;
  OknoLeft cls = OKNO_LEFT_NONE;
  g_autofree char *text = NULL;
  if (!okno_statuses[a->status].open)
    text = g_strdup("");
  else
    text = okno_sla_left(cal, now - now % G_USEC_PER_SEC, a->deadline, &hours, &cls);
  json_object_set_string_member(o, "sla_text", text);
  json_object_set_string_member(o, "sla_class", classes[cls]);
  json_object_set_int_member(o, "sla_hours", hours);
}

static const OknoRoute routes[] = {
  {"GET", "/console/appeals/", OKNO_ROUTE_STAFF, appeal_get},
  {"GET", "/api/v1/console/appeals/", OKNO_ROUTE_STAFF, appeal_get},
};

void okno_console_appeal_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
