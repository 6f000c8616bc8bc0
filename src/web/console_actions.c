/* console_actions.c: the appeal page of the operator console and the actions on it
 * (console.h).
 *
 * GET /console/appeals/NUMBER shows the correspondence (both directions, attachments
 * listed), the extracted personal data MASKED (e-mail, phones, SNILS, INN: a POST
 * "unmask" shows them in clear once and journals the event `unmasked` with the
 * operator), the events, related appeals (the linked one and others from the same
 * address) and who else has the appeal open: presence is kept in this process's
 * memory (number -> login -> last view), others seen in the last PRESENCE_US are shown.
 *
 * POST /console/appeals/NUMBER/ACTION (CSRF-checked by the server; the form carries
 * the `version` it was rendered at): take, assign, transfer, escalate, note, status,
 * reply, unmask, spam, ham («Спам» / «Не спам», ops/spam.h; both teach rspamd after the
 * commit). Each checks okno_staff_can() for its action (an appeal the user
 * may not VIEW is 404, one they may see but not act on is 403: the auditor), then the
 * version (a stale one: 409 and the page again with «Обращение уже изменил другой
 * сотрудник…», nothing changed), then runs in one store transaction with its event.
 * The same routes under /api/v1/console/appeals/ answer JSON (docs/api.md).
 *
 * Status moves, assignment and answers go through src/ops/ops.h (the status machine,
 * citizen notifications, the SLA jobs, events), given the version the form was
 * rendered at: a stale one is refused there (409) and the transaction rolled back.
 *
 * A reply is rendered from the text (optionally prefilled from an answer template of
 * the appeal's department: {{name}} {{number}} {{received}} {{deadline}} {{operator}}
 * through web/template.h, variables inserted unescaped since the result is plain
 * text), shown as a preview, then sent by okno_ops_answer(): built by okno_reply_build()
 * (threaded to the citizen's last message, the number in the subject, from [outbound]
 * from), DKIM-signed like receipts, stored as an `out` message (so the cabinet shows
 * it), queued for the outbound transport, and the status becomes `answered`, all in one
 * transaction. */
#include "web/console.h"

#include <string.h>

#include "appeal/history.h"
#include "appeal/number.h"
#include "ops/ops.h"
#include "appeal/routing.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "check/citizen.h"
#include "check/citizen.h"
#include "check/rspamd.h"
#include "ops/spam.h"
#include "ops/retention.h"
#include "store/retention.h"
#include "store/access.h"
#include "store/appeals.h"
#include "store/console.h"
#include "store/events.h"
#include "store/messages.h"
#include "store/staff.h"
#include "web/template.h"

#define PRESENCE_US (120 * G_USEC_PER_SEC)
#define PRESENCE_SWEEP_AT 1000 /* appeals remembered before stale ones are swept */
#define NOTE_MAX_BYTES 20000
#define REPLY_MAX_BYTES 100000

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

/* A JSON object text from NULL-terminated key, value pairs (values may be NULL: skipped). */
static char *detail(const char *key, ...)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  va_list ap;
  json_builder_begin_object(b);
  va_start(ap, key);
  for (const char *k = key; k; k = va_arg(ap, const char *)) {
    const char *v = va_arg(ap, const char *);
    if (v)
      okno_json_str(b, k, v);
  }
  va_end(ap);
  json_builder_end_object(b);
  return okno_json_text(b, FALSE);
}

/* The value masked: the first character, stars, and the tail a person recognises
 * (an e-mail's domain, a number's last two digits). */
static char *mask(const char *kind, const char *value)
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
static OknoAppeal *load_visible(OknoReq *req, const OknoUser *u, char **action)
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

static JsonObject *parse_object(const char *text)
{
  g_autoptr(JsonParser) p = json_parser_new();
  if (!text || !json_parser_load_from_data(p, text, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
    return NULL;
  return json_object_ref(json_node_get_object(json_parser_get_root(p)));
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
                                                                   : mask(kind, value);
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
static void appeal_page(OknoReq *req, const OknoUser *u, const OknoAppeal *a, guint status,
                        JsonObject *o)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *json = okno_store_appeal_json(req->store, a->number, &err);
  g_autoptr(JsonObject) full = json ? parse_object(json) : NULL;
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
  g_autofree char *from_masked = clear ? g_strdup(a->from_email) : mask("email", a->from_email);
  g_autofree char *phone_masked = clear ? g_strdup(a->phone) : mask("phone", a->phone);
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
static gboolean journal_read(OknoReq *req, const OknoUser *u, const OknoAppeal *a,
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
  if (journal_read(req, u, a, action, detail, FALSE, &err))
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
  a = load_visible(req, u, &action);
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
  appeal_page(req, u, a, 200, NULL);
}

/* ---- actions ---- */

typedef struct {
  OknoReq *req;
  const OknoUser *u;
  OknoAppeal *a;
  gint64 version;     /* the new version after the action */
  const char *notice; /* what the page says after it */
  char *created;      /* split: the new appeal's number (action_post frees) */
  const char *field;  /* the form field a user error is about (shown next to it) */
} Act;

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

/* After an operation: x->version is the appeal's version now. */
static gboolean reread_version(Act *x, GError **error)
{
  g_autoptr(OknoAppeal) now = okno_store_appeal_get(x->req->store, x->a->number, error);
  if (!now)
    return FALSE;
  x->version = now->version;
  return TRUE;
}

static gboolean change_status(Act *x, OknoStatus to, const char *reason, GError **error)
{
  const OknoSlaEnv *env = okno_console_env(x->req->cfg, error);
  return env &&
         okno_ops_set_status(env, x->req->store, x->a->number, x->a->version, to, reason, NULL,
                             x->u->login, error) &&
         reread_version(x, error);
}

static gboolean assign_to(Act *x, const OknoUser *to, GError **error)
{
  return okno_ops_assign(x->req->store, x->a->number, x->a->version, to->login, x->u->login,
                         error) &&
         reread_version(x, error);
}

static gboolean do_take(Act *x, GError **error)
{
  x->notice = "Обращение взято в работу.";
  if (!assign_to(x, x->u, error))
    return FALSE;
  if (x->a->status == OKNO_STATUS_NEW) {
    x->a->version = x->version;
    return change_status(x, OKNO_STATUS_IN_PROGRESS, NULL, error);
  }
  return TRUE;
}

static gboolean do_assign(Act *x, GError **error)
{
  g_autoptr(OknoUser) to = okno_store_user_get(x->req->store, okno_req_field(x->req, "user"), error);
  if (!to) {
    if (error && !*error)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Выберите сотрудника.");
    return FALSE;
  }
  if (to->disabled || (*x->a->department &&
                       !(to->departments && g_strv_contains((const char *const *)to->departments,
                                                            x->a->department)))) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Этот сотрудник не работает в отделе обращения.");
    return FALSE;
  }
  x->notice = "Исполнитель назначен.";
  return assign_to(x, to, error);
}

static gboolean do_note(Act *x, GError **error)
{
  g_autofree char *text = g_strstrip(g_strdup(okno_req_field(x->req, "text")));
  g_autofree char *d = NULL;
  if (!*text || strlen(text) > NOTE_MAX_BYTES) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Напишите текст заметки (до 20 000 символов).");
    return FALSE;
  }
  d = detail("by", x->u->login, "text", text, NULL);
  x->version = x->a->version;
  x->notice = "Заметка добавлена.";
  return okno_store_event_add(x->req->store, x->a->id, "note", d, error);
}

/* «Запросить уточнение» of the reply box: the status needs_clarification with the
 * text as its reason, which the citizen's letter quotes (ops.h), in one action. */
static gboolean do_clarify(Act *x, GError **error)
{
  g_autofree char *text = g_strstrip(g_strdup(okno_req_field(x->req, "text")));
  if (!*text || strlen(text) > NOTE_MAX_BYTES) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Напишите, что заявителю нужно уточнить (до 20 000 символов).");
    return FALSE;
  }
  x->notice = "Запрос уточнения отправлен заявителю.";
  return change_status(x, OKNO_STATUS_NEEDS_CLARIFICATION, text, error);
}

static gboolean do_status(Act *x, GError **error)
{
  OknoStatus to;
  g_autofree char *reason = g_strstrip(g_strdup(okno_req_field(x->req, "reason")));
  if (!okno_status_parse(okno_req_field(x->req, "status"), &to)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Выберите статус из списка.");
    return FALSE;
  }
  if (to == OKNO_STATUS_ANSWERED) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Чтобы ответить, используйте форму ответа.");
    return FALSE;
  }
  if (!okno_appeal_status_check(x->a, to, reason, NULL, error))
    return FALSE;
  x->notice = "Статус изменён.";
  return change_status(x, to, reason, error);
}

static gboolean do_transfer(Act *x, GError **error)
{
  x->notice = "Обращение передано в другой отдел.";
  return okno_appeal_transfer(x->req->store, x->u, x->a->number, x->a->version,
                              okno_req_field(x->req, "department"),
                              okno_req_field(x->req, "reason"), &x->version, error);
}

static gboolean do_escalate(Act *x, GError **error)
{
  x->notice = "Обращение передано в вышестоящую инстанцию.";
  return okno_appeal_escalate(x->req->store, x->u, x->a->number, x->a->version,
                              okno_req_field(x->req, "reason"), &x->version, error);
}

static gboolean do_unmask(Act *x, GError **error)
{
  g_autofree char *d = detail("by", x->u->login, NULL);
  x->version = x->a->version;
  okno_log("console", "event=unmasked appeal=%s user=%" G_GINT64_FORMAT, x->a->number, x->u->id);
  return okno_store_event_add(x->req->store, x->a->id, "unmasked", d, error) &&
         journal_read(x->req, x->u, x->a, "unmask", "", TRUE, error);
}

/* The ops without a version argument: the version the page was rendered at must still
 * be the appeal's version inside the action's transaction. */
static gboolean still_current(Act *x, GError **error)
{
  g_autoptr(OknoAppeal) now = okno_store_appeal_get(x->req->store, x->a->number, error);
  if (!now)
    return FALSE;
  if (now->version != x->a->version) {
    g_set_error_literal(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    return FALSE;
  }
  return TRUE;
}

/* Extends the deadline by `by` («10 календарных дней», «8 рабочих часов», or the English
 * "10 calendar days" of the config: okno_sla_period_parse_ru) with a reason. */
static gboolean do_extend(Act *x, GError **error)
{
  const OknoSlaEnv *env = okno_console_env(x->req->cfg, error);
  g_autofree char *reason = g_strstrip(g_strdup(okno_req_field(x->req, "reason")));
  OknoSlaPeriod by;
  if (!env || !still_current(x, error))
    return FALSE;
  if (!x->a->deadline) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Срок этого обращения сейчас не идёт: продлевать нечего.");
    return FALSE;
  }
  if (!okno_sla_period_parse_ru(okno_req_field(x->req, "by"), &by)) {
    x->field = "extend_by";
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Укажите, на сколько продлить срок: число и единицу, например «10 календарных "
                "дней», «3 рабочих дня» или «8 рабочих часов».");
    return FALSE;
  }
  if (!*reason) {
    x->field = "extend_reason";
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Укажите причину продления срока.");
    return FALSE;
  }
  x->notice = "Срок продлён.";
  if (!okno_ops_extend(env, x->req->store, x->a->number, &by, reason, x->u->login, error)) {
    if (error && *error && (*error)->domain == OKNO_ERROR && (*error)->code == OKNO_ERROR_USER) {
      g_clear_error(error);
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "Срок этого обращения нельзя продлить так: официальное обращение продлевается "
                  "один раз, не более чем на 30 календарных дней, и только пока срок идёт.");
    }
    return FALSE;
  }
  return reread_version(x, error);
}

/* A legal hold (ops/retention.h): the retention clock stops until it is lifted. */
static gboolean do_hold(Act *x, GError **error)
{
  x->notice = "Обращение удерживается: срок хранения остановлен.";
  return okno_retention_hold(x->req->store, x->a->number, okno_req_field(x->req, "reason"),
                             x->u->login, okno_now(), error);
}

static gboolean do_unhold(Act *x, GError **error)
{
  x->notice = "Удержание снято: срок хранения снова идёт.";
  return okno_retention_unhold(x->req->store, x->a->number, x->u->login, okno_now(), error);
}

/* A supervisor confirms the priority of an urgent (or accelerated) appeal. */
static gboolean do_confirm_urgent(Act *x, GError **error)
{
  const OknoSlaEnv *env = okno_console_env(x->req->cfg, error);
  x->notice = "Срочность подтверждена.";
  if (!env || !still_current(x, error))
    return FALSE;
  if (!okno_ops_confirm_urgent(env, x->req->store, x->a->number, x->u->login, error)) {
    if (error && *error && (*error)->domain == OKNO_ERROR && (*error)->code == OKNO_ERROR_USER) {
      g_clear_error(error);
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "Срочность этого обращения подтвердить нельзя.");
    }
    return FALSE;
  }
  return reread_version(x, error);
}

/* {{name}} -> {{&name}}: the answer is plain text, so variables go in unescaped. */
static char *unescaped_variables(const char *body)
{
  GString *out = g_string_new(NULL);
  for (const char *p = body; *p; p++) {
    g_string_append_c(out, *p);
    if (p[0] == '{' && p[1] == '{' && p[2] && !strchr("{#/^!>&=", p[2])) {
      g_string_append(out, "{&");
      p++;
    }
  }
  return g_string_free(out, FALSE);
}

/* The template `id` rendered for appeal `a` by `u`; NULL with a USER error. */
static char *render_template(OknoReq *req, const OknoUser *u, const OknoAppeal *a, gint64 id,
                             GError **error)
{
  g_autoptr(OknoAnswerTemplate) t = okno_store_template_get(req->store, id, NULL);
  g_autoptr(OknoTemplate) compiled = NULL;
  g_autofree char *src = NULL, *received = NULL, *deadline = NULL;
  g_autoptr(JsonNode) ctx = json_node_new(JSON_NODE_OBJECT);
  JsonObject *o = json_object_new();
  json_node_take_object(ctx, o);
  if (!t || (*a->department && strcmp(t->department, a->department) != 0) ||
      (!*a->department && !(u->departments && g_strv_contains((const char *const *)u->departments,
                                                              t->department)) &&
       strcmp(u->role, "administrator") != 0)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Выберите шаблон отдела этого обращения.");
    return NULL;
  }
  src = unescaped_variables(t->body);
  compiled = okno_template_compile(src, strlen(src), t->name, error);
  if (!compiled)
    return NULL;
  received = okno_console_time(a->received_at);
  deadline = okno_console_time(a->deadline);
  json_object_set_string_member(o, "name", *a->from_name ? a->from_name : "заявитель");
  json_object_set_string_member(o, "number", a->number);
  json_object_set_string_member(o, "received", received);
  json_object_set_string_member(o, "deadline", deadline);
  json_object_set_string_member(o, "operator", *u->display_name ? u->display_name : u->login);
  return okno_template_render(compiled, ctx, NULL, error);
}

static gboolean do_reply_send(Act *x, const char *text, GError **error)
{
  const OknoSlaEnv *env = okno_console_env(x->req->cfg, error);
  if (!*x->a->from_email) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Ответ нельзя отправить: у обращения нет пригодного адреса электронной почты.");
    return FALSE;
  }
  x->notice = "Ответ отправлен.";
  return env &&
         okno_ops_answer(env, x->req->store, x->a->number, x->a->version, text, x->u->login,
                         error) &&
         reread_version(x, error);
}

/* Merges this appeal (the duplicate) into the one named in `into`, which the user must
 * also be allowed to merge; events on both name each other. */
static gboolean do_merge(Act *x, GError **error)
{
  OknoReq *req = x->req;
  g_autofree char *into = g_strstrip(g_strdup(okno_req_field(req, "into")));
  g_autoptr(OknoAppeal) t = *into ? okno_store_appeal_get(req->store, into, error) : NULL;
  g_autofree char *d1 = NULL, *d2 = NULL;
  gint64 tv = 0;
  if (!t) {
    if (error && !*error)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Укажите номер обращения, с которым нужно объединить.");
    return FALSE;
  }
  if (!okno_staff_can(x->u, OKNO_ACT_MERGE, t, NULL) || t->queue == OKNO_HOLD_QUARANTINE) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Нет доступного вам обращения с номером %s.", into);
    return FALSE;
  }
  if (t->id == x->a->id || g_strcmp0(t->related, x->a->number) == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Выберите другое обращение.");
    return FALSE;
  }
  if (!okno_store_appeal_merge(req->store, x->a->id, x->a->version, t->id, t->number, &tv, error))
    return FALSE;
  d1 = detail("into", t->number, "by", x->u->login, NULL);
  d2 = detail("from", x->a->number, "by", x->u->login, NULL);
  x->version = tv;
  x->notice = "Обращения объединены.";
  return okno_store_event_add(req->store, x->a->id, "merged_into", d1, error) &&
         okno_store_event_add(req->store, t->id, "merged_from", d2, error);
}

/* Splits the inbound messages listed in `messages` ("2,3": their 1-based places in the
 * history, as numbered on the page) into a new appeal: a number from the store's
 * counter like intake's, the same contact, channel, category, kind, class, department
 * and assignee, status new, `related` = this appeal, the SLA clock started from now as
 * at registration (okno_ops_start_clock). Events: `split_to` here, `split_from` there. */
static gboolean do_split(Act *x, GError **error)
{
  OknoReq *req = x->req;
  OknoStore *st = req->store;
  const OknoSlaEnv *env = okno_console_env(req->cfg, error);
  g_auto(GStrv) parts = g_strsplit_set(okno_req_field(req, "messages"), ", ", -1);
  g_autoptr(GArray) idx = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(OknoAppeal) fresh = NULL;
  g_autoptr(GString) list = g_string_new(NULL);
  g_autoptr(GDateTime) msk = g_date_time_new_now(okno_tz_moscow());
  g_autofree char *counter = NULL, *d1 = NULL, *d2 = NULL;
  gint64 seq, from_version = 0;
  if (!env)
    return FALSE;
  for (guint i = 0; parts[i]; i++) {
    guint64 v;
    if (!*parts[i])
      continue;
    if (!g_ascii_string_to_unsigned(parts[i], 10, 1, G_MAXINT32, &v, NULL)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "Выделить можно только входящие сообщения этого обращения.");
      return FALSE;
    }
    g_array_append_val(idx, v);
    g_string_append_printf(list, "%s%s", list->len ? "," : "", parts[i]);
  }
  counter = g_strdup_printf("appeal-%d", g_date_time_get_year(msk));
  if (!okno_store_next_seq(st, counter, &seq, error))
    return FALSE;
  fresh = g_new0(OknoAppeal, 1);
  fresh->number = okno_number_format(g_date_time_get_year(msk), seq);
  fresh->status = OKNO_STATUS_NEW;
  fresh->channel = x->a->channel;
  fresh->queue = x->a->queue;
  fresh->subject = g_strdup(x->a->subject);
  fresh->from_name = g_strdup(x->a->from_name);
  fresh->from_email = g_strdup(x->a->from_email);
  fresh->phone = g_strdup(x->a->phone);
  fresh->category = g_strdup(x->a->category);
  fresh->related = g_strdup(x->a->number);
  fresh->received_at = okno_now();
  fresh->department = g_strdup(x->a->department);
  fresh->assignee = x->a->assignee;
  fresh->kind = x->a->kind;
  fresh->priority = x->a->priority;
  fresh->sla_class = x->a->sla_class;
  if (!okno_store_appeal_split(st, x->a->id, x->a->version, (const gint64 *)(void *)idx->data,
                               idx->len, fresh, &from_version, error) ||
      !okno_ops_start_clock(env, st, fresh, fresh->received_at, "split", error))
    return FALSE;
  d1 = detail("to", fresh->number, "messages", list->str, "by", x->u->login, NULL);
  d2 = detail("from", x->a->number, "messages", list->str, "by", x->u->login, NULL);
  if (!okno_store_event_add(st, x->a->id, "split_to", d1, error) ||
      !okno_store_event_add(st, fresh->id, "split_from", d2, error))
    return FALSE;
  x->version = from_version;
  x->notice = "Сообщения выделены в новое обращение.";
  x->created = g_strdup(fresh->number);
  return TRUE;
}

/* «Спам» and «Не спам» (ops/spam.h); rspamd learns after the commit (learn()). */
static gboolean do_spam(Act *x, GError **error)
{
  x->notice = "Обращение отмечено как спам.";
  return okno_ops_mark_spam(x->req->store, x->a->number, x->a->version, x->u->login, error) &&
         reread_version(x, error);
}

static gboolean do_ham(Act *x, GError **error)
{
  const OknoSlaEnv *env = okno_console_env(x->req->cfg, error);
  x->notice = "Обращение освобождено из очереди спама.";
  return env &&
         okno_ops_release_spam(env, x->req->store, x->a->number, x->a->version, x->u->login,
                               error) &&
         reread_version(x, error);
}

/* Teaches rspamd's controller ([rspamd] controller_url) the appeal's first message as
 * spam (Bayes and the fuzzy storage) or ham (check/citizen.h okno_rspamd_teach), after
 * the operator's word is committed; the outcome is an event
 * (`rspamd_learned` or `rspamd_learn_failed`), never a failure of the action. */
static void learn(OknoReq *req, const OknoAppeal *a, gboolean spam)
{
  const OknoConfig *cfg = req->cfg;
  g_autoptr(GError) e = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autofree char *d = NULL;
  gsize n = 0;
  const void *data;
  if (!*cfg->rspamd_controller_url)
    return;
  raw = okno_store_appeal_message_raw(req->store, a->number, 1, &e);
  if (!raw)
    return;
  data = g_bytes_get_data(raw, &n);
  if (okno_rspamd_teach(cfg, spam, data, n, &e)) {
    d = detail("as", spam ? "spam" : "ham", NULL);
    okno_store_event_add(req->store, a->id, "rspamd_learned", d, NULL);
    return;
  }
  okno_log_warn("console", "event=rspamd_learn_failed appeal=%s error=\"%s\"", a->number,
                e->message);
  d = detail("as", spam ? "spam" : "ham", "error", e->message, NULL);
  okno_store_event_add(req->store, a->id, "rspamd_learn_failed", d, NULL);
}

typedef struct {
  const char *name;
  OknoAction perm;
  gboolean (*run)(Act *x, GError **error);
} ActionDef;

static const ActionDef actions[] = {
  {"take", OKNO_ACT_TAKE, do_take},
  {"assign", OKNO_ACT_ASSIGN, do_assign},
  {"note", OKNO_ACT_NOTE, do_note},
  {"status", OKNO_ACT_CHANGE_STATUS, do_status},
  {"clarify", OKNO_ACT_CHANGE_STATUS, do_clarify},
  {"transfer", OKNO_ACT_TRANSFER, do_transfer},
  {"escalate", OKNO_ACT_ESCALATE, do_escalate},
  {"unmask", OKNO_ACT_UNMASK, do_unmask},
  {"merge", OKNO_ACT_MERGE, do_merge},
  {"extend", OKNO_ACT_EXTEND, do_extend},
  {"confirm_urgent", OKNO_ACT_CONFIRM_URGENT, do_confirm_urgent},
  {"split", OKNO_ACT_SPLIT, do_split},
  {"spam", OKNO_ACT_JUDGE_SPAM, do_spam},
  {"ham", OKNO_ACT_JUDGE_SPAM, do_ham},
  {"hold", OKNO_ACT_LEGAL_HOLD, do_hold},
  {"unhold", OKNO_ACT_LEGAL_HOLD, do_unhold},
  {"reply", OKNO_ACT_REPLY, NULL},
};

/* `field`: the form field the message is about (shown next to it), NULL: the page's top. */
static void refuse(OknoReq *req, const OknoUser *u, const OknoAppeal *a, guint status,
                   const char *message, const char *field)
{
  JsonObject *o = json_object_new();
  if (req->api) {
    json_object_unref(o);
    okno_req_error(req, status, message);
    return;
  }
  if (field) {
    g_autofree char *key = g_strconcat(field, "_error", NULL);
    json_object_set_string_member(o, key, message);
    json_object_set_boolean_member(o, "open_rare", TRUE); /* the field is folded away */
  } else {
    json_object_set_string_member(o, "error", message);
  }
  appeal_page(req, u, a, status, o);
}

/* The reply's two steps: "preview" renders the text (from the template when the text
 * is empty) for checking; "send" sends it. */
static gboolean reply_step(Act *x, gboolean *done, GError **error)
{
  OknoReq *req = x->req;
  g_autofree char *text = g_strdup(okno_req_field(req, "text"));
  gint64 tid = g_ascii_strtoll(okno_req_field(req, "template"), NULL, 10);
  *done = FALSE;
  g_strstrip(text);
  if (!*text && tid) {
    g_free(text);
    text = render_template(req, x->u, x->a, tid, error);
    if (!text)
      return FALSE;
  }
  if (!*text || strlen(text) > REPLY_MAX_BYTES) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Напишите текст ответа или выберите шаблон.");
    return FALSE;
  }
  if (strcmp(okno_req_field(req, "step"), "send") != 0) {
    JsonObject *o = okno_console_ctx(x->u);
    g_autofree char *to = mask("email", x->a->from_email);
    g_autofree char *subject = g_strdup_printf("Ответ на обращение № %s", x->a->number);
    json_object_set_string_member(o, "number", x->a->number);
    json_object_set_int_member(o, "version", x->a->version);
    json_object_set_string_member(o, "to", to);
    json_object_set_string_member(o, "reply_subject", subject);
    json_object_set_string_member(o, "text", text);
    *done = TRUE;
    if (req->api) {
      JsonNode *n = json_node_new(JSON_NODE_OBJECT);
      json_node_take_object(n, o);
      okno_req_json(req, 200, n);
    } else {
      okno_req_page(req, 200, "console_reply", "Предпросмотр ответа", o);
    }
    return TRUE;
  }
  return do_reply_send(x, text, error);
}

/* Who gave the appeal's latest answer (the `by` of its last answer event), "" when
 * unknown; NULL when it has none. Caller frees. */
static char *answered_by(OknoReq *req, const OknoAppeal *a)
{
  g_autofree char *again = okno_store_event_last(req->store, a->id, "answered_again", NULL);
  g_autofree char *changed = okno_store_event_last(req->store, a->id, "status_changed", NULL);
  g_autoptr(JsonObject) o = parse_object(again ? again : changed);
  if (!o)
    return a->answered ? g_strdup("") : NULL;
  if (!again && g_strcmp0(json_object_get_string_member_with_default(o, "to", ""), "answered") != 0)
    return g_strdup("");
  return g_strdup(json_object_get_string_member_with_default(o, "by", ""));
}

static void action_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(OknoAppeal) a = NULL;
  g_autoptr(GError) err = NULL;
  g_autofree char *name = NULL, *created = NULL;
  const ActionDef *def = NULL;
  Act x = {0};
  gboolean ok, done = FALSE;
  gint64 version;

  if (!u)
    return;
  a = load_visible(req, u, &name);
  if (!a)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS(actions); i++)
    if (strcmp(actions[i].name, name) == 0)
      def = &actions[i];
  if (!def) {
    okno_req_error(req, 404, NULL);
    return;
  }
  if (!okno_staff_can(u, def->perm, a, NULL)) {
    okno_log("console", "event=action-refused action=%s appeal=%s user=%" G_GINT64_FORMAT,
             def->name, a->number, u->id);
    refuse(req, u, a, 403, "Недостаточно прав для этого действия.", NULL);
    return;
  }
  version = g_ascii_strtoll(okno_req_field(req, "version"), NULL, 10);
  if (version != a->version) {
    g_autofree char *who = NULL;
    g_autofree char *why = NULL;
    if ((def->run == NULL || def->run == do_clarify) && a->answered &&
        (who = answered_by(req, a)) != NULL)
      why = g_strdup_printf("Пока вы писали, на это обращение уже ответил%s%s: прочтите его ответ "
                            "в переписке. Ваш черновик сохранён; отправьте его, только если "
                            "нужно дополнить ответ.",
                            *who ? " " : "и", who);
    refuse(req, u, a, 409, why ? why : OKNO_STORE_STALE_TEXT, NULL);
    return;
  }
  x.req = req;
  x.u = u;
  x.a = a;
  if (!okno_store_begin(req->store, &err)) {
    okno_req_error(req, 500, NULL);
    return;
  }
  ok = def->run ? def->run(&x, &err) : reply_step(&x, &done, &err);
  created = g_steal_pointer(&x.created);
  if (ok && !done)
    ok = okno_store_commit(req->store, &err);
  else
    okno_store_rollback(req->store);
  if (done)
    return; /* the preview: answered, nothing written */
  if (!ok) {
    gboolean user = err->domain == OKNO_ERROR && err->code == OKNO_ERROR_USER;
    gboolean perm = err->domain == OKNO_ERROR && err->code == OKNO_ERROR_PERM;
    gboolean stale = user && strcmp(err->message, OKNO_STORE_STALE_TEXT) == 0;
    if (!user && !perm) {
      okno_log_warn("console", "event=action-failed action=%s appeal=%s error=\"%s\"", def->name,
                    a->number, err->message);
      okno_req_error(req, 500, NULL);
      return;
    }
    refuse(req, u, a, perm ? 403 : stale ? 409 : 422, err->message,
           user && !stale && def->run == do_hold ? "hold_reason" : user && !stale ? x.field : NULL);
    return;
  }
  okno_log("console", "event=action action=%s appeal=%s user=%" G_GINT64_FORMAT, def->name,
           a->number, u->id);
  if (def->run == do_spam || def->run == do_ham)
    learn(req, a, def->run == do_spam);
  if (req->api) {
    JsonObject *o = json_object_new();
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_object_set_boolean_member(o, "ok", TRUE);
    json_object_set_int_member(o, "version", x.version);
    if (created)
      json_object_set_string_member(o, "created", created);
    json_node_take_object(n, o);
    okno_req_json(req, 200, n);
    return;
  }
  if (strcmp(def->name, "unmask") == 0) {
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "unmasked", TRUE);
    appeal_page(req, u, a, 200, o);
    return;
  }
  if (created) {
    g_autofree char *loc = g_strdup_printf("/console/appeals/%s", created);
    okno_req_redirect(req, loc);
    return;
  }
  if (strcmp(def->name, "merge") == 0) {
    /* to the appeal that now holds the correspondence */
    g_autoptr(OknoAppeal) now = okno_store_appeal_get(req->store, a->number, NULL);
    g_autofree char *loc = g_strdup_printf("/console/appeals/%s",
                                           now && *now->related ? now->related : a->number);
    okno_req_redirect(req, loc);
    return;
  }
  if (!okno_staff_can(u, OKNO_ACT_VIEW, a, NULL) || strcmp(def->name, "transfer") == 0 ||
      strcmp(def->name, "escalate") == 0) {
    okno_req_redirect(req, "/console");
    return;
  }
  {
    g_autofree char *loc = g_strdup_printf("/console/appeals/%s", a->number);
    okno_req_redirect(req, loc);
  }
}

/* ---- bulk actions (the queue's «С отмеченными») ----
 * POST /console/bulk with the checked rows as fields "sel:NUMBER" and `action` one of
 * take, assign (user), transfer (department, reason), status (status), answer
 * (template). Each appeal goes through the same checks and operation as its own form
 * (okno_staff_can, the same do_* function, its own transaction and event, and for an
 * answer its own threaded letter), at the version it has now; an appeal answered since
 * the queue was shown is not answered again («уже есть ответ»). The page lists each
 * appeal's outcome. At most BULK_MAX appeals at a time. */

#define BULK_MAX 100

static gboolean do_bulk_answer(Act *x, GError **error)
{
  gint64 tid = g_ascii_strtoll(okno_req_field(x->req, "template"), NULL, 10);
  g_autofree char *text = NULL;
  if (x->a->answered || x->a->status == OKNO_STATUS_ANSWERED) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "У обращения уже есть ответ: откройте его и ответьте отдельно.");
    return FALSE;
  }
  if (!tid) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Выберите шаблон ответа.");
    return FALSE;
  }
  text = render_template(x->req, x->u, x->a, tid, error);
  return text && do_reply_send(x, text, error);
}

static const ActionDef bulk_actions[] = {
  {"take", OKNO_ACT_TAKE, do_take},
  {"assign", OKNO_ACT_ASSIGN, do_assign},
  {"transfer", OKNO_ACT_TRANSFER, do_transfer},
  {"status", OKNO_ACT_CHANGE_STATUS, do_status},
  {"answer", OKNO_ACT_REPLY, do_bulk_answer},
};

static gint compare_str(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void bulk_post(OknoReq *req)
{
  g_autoptr(OknoUser) u = okno_console_user(req, FALSE);
  g_autoptr(GPtrArray) numbers = g_ptr_array_new();
  const char *name = okno_req_field(req, "action"), *back = okno_req_field(req, "back");
  const ActionDef *def = NULL;
  JsonArray *rows;
  JsonObject *o;
  GHashTableIter it;
  gpointer k, v;
  guint done = 0;
  if (!u)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS(bulk_actions); i++)
    if (strcmp(bulk_actions[i].name, name) == 0)
      def = &bulk_actions[i];
  g_hash_table_iter_init(&it, req->form->fields);
  while (g_hash_table_iter_next(&it, &k, &v))
    if (g_str_has_prefix(k, "sel:") && ((const char *)k)[4])
      g_ptr_array_add(numbers, (char *)k + 4);
  g_ptr_array_sort(numbers, compare_str);
  if (!def || numbers->len == 0 || numbers->len > BULK_MAX) {
    okno_req_error(req, 422, !def ? "Выберите действие."
                             : numbers->len ? "Отметьте не больше 100 обращений за раз."
                                            : "Отметьте обращения в очереди.");
    return;
  }
  rows = json_array_new();
  for (guint i = 0; i < numbers->len; i++) {
    const char *number = numbers->pdata[i];
    g_autoptr(GError) err = NULL;
    g_autoptr(OknoAppeal) a = okno_store_appeal_get(req->store, number, &err);
    JsonObject *r = json_object_new();
    Act x = {0};
    gboolean ok = FALSE;
    json_object_set_string_member(r, "number", number);
    json_array_add_object_element(rows, r);
    if (!a || !okno_staff_can(u, OKNO_ACT_VIEW, a, NULL) || a->queue == OKNO_HOLD_QUARANTINE) {
      json_object_set_string_member(r, "error", err ? "Сбой хранилища." : "Нет такого обращения.");
      continue;
    }
    if (!okno_staff_can(u, def->perm, a, NULL)) {
      json_object_set_string_member(r, "error", "Недостаточно прав для этого действия.");
      continue;
    }
    x.req = req;
    x.u = u;
    x.a = a;
    if (okno_store_begin(req->store, &err)) {
      ok = def->run(&x, &err) && okno_store_commit(req->store, &err);
      if (!ok)
        okno_store_rollback(req->store);
    }
    g_free(x.created);
    if (ok) {
      done++;
      json_object_set_string_member(r, "ok", x.notice ? x.notice : "Готово.");
      okno_log("console", "event=bulk-action action=%s appeal=%s user=%" G_GINT64_FORMAT,
               def->name, number, u->id);
    } else {
      gboolean shown = err && err->domain == OKNO_ERROR &&
                       (err->code == OKNO_ERROR_USER || err->code == OKNO_ERROR_PERM);
      if (!shown)
        okno_log_warn("console", "event=bulk-action-failed action=%s appeal=%s error=\"%s\"",
                      def->name, number, err ? err->message : "");
      json_object_set_string_member(r, "error", shown ? err->message : "Сбой: попробуйте ещё раз.");
    }
  }
  o = okno_console_ctx(u);
  json_object_set_array_member(o, "results", rows);
  json_object_set_int_member(o, "done", done);
  json_object_set_int_member(o, "count", numbers->len);
  json_object_set_string_member(o, "back", g_str_has_prefix(back, "/console") &&
                                               !strstr(back, "//") ? back : "/console");
  if (req->api) {
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    okno_req_json(req, 200, n);
    return;
  }
  okno_req_page(req, 200, "console_bulk", "Групповое действие", o);
}

static const OknoRoute routes[] = {
  {"POST", "/console/bulk", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, bulk_post},
  {"POST", "/api/v1/console/bulk", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, bulk_post},
  {"GET", "/console/appeals/", OKNO_ROUTE_STAFF, appeal_get},
  {"POST", "/console/appeals/", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, action_post},
  {"GET", "/api/v1/console/appeals/", OKNO_ROUTE_STAFF, appeal_get},
  {"POST", "/api/v1/console/appeals/", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, action_post},
};

void okno_console_actions_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
