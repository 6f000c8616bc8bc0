/* cabinet.c: «Мои обращения»: the signed-in citizen's appeals (see cabinet.h).
 *
 * GET /cabinet lists the appeals of the cabinet's contacts (store/cabinet.h: the
 * signed-in address and the addresses moved to it), whatever channel brought them,
 * filtered by status and a date range (Moscow dates) and paged. Under
 * /cabinet/appeals/NUMBER: the card (status, deadline, every message both ways with
 * its attachments, the events in Russian), /files/ID (a download), /reply (a message
 * that joins the thread through the intake pipeline exactly as an e-mail reply does:
 * In-Reply-To the appeal's newest message, the number in the subject, channel "web",
 * the appeal's contact as the sender) and /rating (1-5 and a comment, once, after the
 * answer). /cabinet/settings: the e-mail notifications per event type. The same under
 * /api/v1/cabinet/ as JSON. An appeal of another cabinet is 404 everywhere. */
#include "web/cabinet.h"

#include <gmime/gmime.h>
#include <string.h>

#include "appeal/number.h"
#include "ops/ops.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "mail/receipt.h"
#include "ops/journal.h"
#include "store/access.h"
#include "store/appeals.h"
#include "store/cabinet.h"
#include "store/events.h"
#include "store/notify.h"
#include "store/queue.h"
#include "store/retention.h"
#include "ops/retention.h"
#include "store/staff.h"
#include "web/console.h"
#include "web/help.h"
#include "web/status.h"

#define PAGE_SIZE 50 /* rows a page shows (limit= may ask fewer) */
#define REPLY_MAX_CHARS 20000
#define COMMENT_MAX_CHARS 2000
#define REPLIES_PER_HOUR 30.0

/* The statuses in the order the filter offers them: the citizen's path. */
static const OknoStatus statuses[] = {OKNO_STATUS_NEW, OKNO_STATUS_NEEDS_CLARIFICATION,
                                      OKNO_STATUS_IN_PROGRESS, OKNO_STATUS_ANSWERED,
                                      OKNO_STATUS_CLOSED, OKNO_STATUS_REJECTED,
                                      OKNO_STATUS_WITHDRAWN};

/* ---- shared pieces ---- */

static void set_time(JsonObject *o, const char *name, gint64 us)
{
  g_autofree char *text_name = g_strconcat(name, "_text", NULL);
  if (!us) {
    json_object_set_null_member(o, name);
    json_object_set_string_member(o, text_name, "");
    return;
  }
  {
    g_autofree char *t = okno_time_format_msk(us);
    json_object_set_string_member(o, name, t);
  }
  {
    g_autofree char *t = okno_receipt_time(us);
    json_object_set_string_member(o, text_name, t);
  }
}

/* Whether `addr` is staff's: the e-mail of a staff account (`users`, OknoUser*) or an
 * address of the [sla] lists. okno keeps its mail to staff about an appeal (reminders,
 * escalations) in the appeal's history (docs/sla.md); the citizen is not shown it. */
static gboolean staff_address(const OknoConfig *cfg, GPtrArray *users, const char *addr)
{
  char **const lists[] = {cfg->sla_operators, cfg->sla_supervisors, cfg->sla_supervisors_level2};
  for (guint i = 0; i < users->len; i++) {
    const OknoUser *u = users->pdata[i];
    if (*u->email && g_ascii_strcasecmp(u->email, addr) == 0)
      return TRUE;
  }
  for (guint l = 0; l < G_N_ELEMENTS(lists); l++)
    for (char **p = lists[l]; p && *p; p++)
      if (g_ascii_strcasecmp(*p, addr) == 0)
        return TRUE;
  return FALSE;
}

static gboolean owns(OknoReq *req, const char *contact, gboolean *failed)
{
  g_autoptr(GError) err = NULL;
  g_auto(GStrv) owned = okno_store_contact_owned(req->store, req->session->subject, &err);
  *failed = owned == NULL;
  if (!owned) {
    okno_cabinet_fail(req, "owned", err);
    return FALSE;
  }
  return g_strv_contains((const char *const *)owned, contact);
}

/* The appeal named at the start of `rest` ("NUMBER" or "NUMBER/..."), when it belongs
 * to this cabinet; otherwise NULL after answering 404 (or 500). *tail: what follows
 * the number ("" or "/..."). */
static OknoAppeal *cabinet_appeal(OknoReq *req, const char *rest, const char **tail)
{
  gsize n = strcspn(rest, "/");
  g_autofree char *text = g_strndup(rest, n);
  g_autofree char *norm = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoAppeal) a = NULL;
  gboolean check_ok = FALSE, failed = FALSE;
  char tag[OKNO_PII_BUF];

  *tail = rest + n;
  if (!okno_number_parse(text, &norm, &check_ok) || !check_ok) {
    okno_req_error(req, 404, NULL);
    return NULL;
  }
  a = okno_store_appeal_get(req->store, norm, &err);
  if (err) {
    okno_cabinet_fail(req, "appeal-get", err);
    return NULL;
  }
  /* An appeal held as spam is not the citizen's until an operator releases it: its
   * From may be forged (docs/spam.md). */
  if (!a || a->queue == OKNO_HOLD_SPAM || !owns(req, a->from_email, &failed)) {
    if (!failed) {
      okno_log("cabinet", "event=not-owned who=%s", okno_pii(req->session->subject, tag));
      okno_req_error(req, 404, NULL);
    }
    return NULL;
  }
  return g_steal_pointer(&a);
}

static void add_summary(JsonObject *o, const OknoAppeal *a)
{
  json_object_set_string_member(o, "number", a->number);
  json_object_set_string_member(o, "status", okno_status_name(a->status));
  json_object_set_string_member(o, "status_label", okno_statuses[a->status].citizen);
  json_object_set_string_member(o, "subject", *a->subject ? a->subject : "(без темы)");
  json_object_set_string_member(o, "channel", okno_channel_name(a->channel));
  json_object_set_string_member(o, "channel_title", okno_channels[a->channel].title);
  set_time(o, "received_at", a->received_at);
  set_time(o, "deadline", a->deadline);
}

/* ---- the list ---- */

/* A Moscow calendar date "YYYY-MM-DD" as the instant it starts; FALSE if malformed. */
static gboolean parse_date(const char *text, gint64 *us)
{
  int y, m, d;
  char tail;
  g_autoptr(GDateTime) t = NULL;
  if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 2000 || y > 2999)
    return FALSE;
  t = g_date_time_new(okno_tz_moscow(), y, m, d, 0, 0, 0);
  if (!t)
    return FALSE;
  *us = g_date_time_to_unix(t) * G_USEC_PER_SEC;
  return TRUE;
}

static const char *query(OknoReq *req, const char *name)
{
  const char *v = g_hash_table_lookup(req->query, name);
  return v ? v : "";
}

/* The list's href with its filters and one page token (`cursor` "after" or "before"). */
static char *list_href(const char *status, const char *from, const char *to, const char *limit,
                       const char *cursor, const char *token)
{
  g_autofree char *s = g_uri_escape_string(status, NULL, FALSE);
  g_autofree char *f = g_uri_escape_string(from, NULL, FALSE);
  g_autofree char *t = g_uri_escape_string(to, NULL, FALSE);
  g_autofree char *l = g_uri_escape_string(limit, NULL, FALSE);
  return g_strdup_printf("/cabinet?status=%s&from=%s&to=%s%s%s&%s=%s", s, f, t,
                         *l ? "&limit=" : "", l, cursor, token);
}

static void list_get(OknoReq *req)
{
  const char *status = query(req, "status"), *from = query(req, "from"), *to = query(req, "to");
  const char *limit = query(req, "limit"), *after = query(req, "after");
  const char *before = query(req, "before");
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoPage) page = NULL;
  OknoCabinetFilter f = {.after = *after ? after : NULL, .before = *before ? before : NULL};
  gint64 total = 0;
  JsonObject *o = json_object_new();
  JsonArray *arr, *opts;
  gboolean known = !*status;

  json_object_set_string_member(o, "email", req->session->subject);
  json_object_set_string_member(o, "filter_status", status);
  json_object_set_string_member(o, "filter_from", from);
  json_object_set_string_member(o, "filter_to", to);
  json_object_set_boolean_member(o, "moved", *query(req, "moved") != '\0');
  for (gsize i = 0; i < G_N_ELEMENTS(statuses); i++)
    known = known || strcmp(status, okno_statuses[statuses[i]].name) == 0;
  if (!known) {
    okno_cabinet_field_error(req, "cabinet_list", "Мои обращения", o, "status",
                             "Выберите статус из списка.");
    return;
  }
  if (*from && !parse_date(from, &f.since)) {
    okno_cabinet_field_error(req, "cabinet_list", "Мои обращения", o, "from",
                             "Укажите дату в виде ГГГГ-ММ-ДД, например 2026-11-01.");
    return;
  }
  if (*to && !parse_date(to, &f.until)) {
    okno_cabinet_field_error(req, "cabinet_list", "Мои обращения", o, "to",
                             "Укажите дату в виде ГГГГ-ММ-ДД, например 2026-11-30.");
    return;
  }
  if (*to)
    f.until += G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC; /* the whole last day */
  if (!okno_page_limit(limit, PAGE_SIZE, &f.limit)) {
    okno_cabinet_field_error(req, "cabinet_list", "Мои обращения", o, "limit",
                             "Число строк на странице: от 1 до 50.");
    return;
  }
  f.status = status;
  page = okno_store_cabinet_list_own(req->store, req->session->subject, &f, &total, &err);
  if (!page && err && err->domain == OKNO_ERROR && err->code == OKNO_ERROR_USER) {
    okno_cabinet_field_error(req, "cabinet_list", "Мои обращения", o, "page", err->message);
    return;
  }
  if (!page) {
    json_object_unref(o);
    okno_cabinet_fail(req, "list", err);
    return;
  }
  arr = json_array_new();
  for (guint i = 0; i < page->appeals->len; i++) {
    JsonObject *item = json_object_new();
    add_summary(item, page->appeals->pdata[i]);
    json_array_add_object_element(arr, item);
  }
  json_object_set_array_member(o, "appeals", arr);
  json_object_set_boolean_member(o, "empty", page->appeals->len == 0);
  json_object_set_int_member(o, "total", total);
  json_object_set_boolean_member(o, "paged", page->prev || page->next || *after || *before);
  if (page->prev) {
    g_autofree char *h = list_href(status, from, to, limit, "before", page->prev);
    json_object_set_string_member(o, "prev", page->prev);
    json_object_set_string_member(o, "prev_href", h);
  }
  if (page->next) {
    g_autofree char *h = list_href(status, from, to, limit, "after", page->next);
    json_object_set_string_member(o, "next", page->next);
    json_object_set_string_member(o, "next_href", h);
  }
  if (*after || *before) {
    g_autofree char *h = list_href(status, from, to, limit, "after", "");
    json_object_set_string_member(o, "first_href", h);
  }
  opts = json_array_new();
  for (gsize i = 0; i < G_N_ELEMENTS(statuses); i++) {
    JsonObject *opt = json_object_new();
    const OknoStatusInfo *s = &okno_statuses[statuses[i]];
    json_object_set_string_member(opt, "value", s->name);
    json_object_set_string_member(opt, "label", s->citizen);
    json_object_set_boolean_member(opt, "selected", strcmp(status, s->name) == 0);
    json_array_add_object_element(opts, opt);
  }
  if (req->api)
    json_array_unref(opts);
  else
    json_object_set_array_member(o, "status_options", opts);
  okno_cabinet_answer(req, 200, "cabinet_list", "Мои обращения", o);
}

/* ---- the card ---- */

static const char *event_text(const char *kind)
{
  static const struct { const char *kind, *text; } texts[] = {
    {"received", "Обращение получено"},
    {"registered", "Обращение зарегистрировано"},
    {"acknowledged", "Отправлено подтверждение регистрации"},
    {"clarification_requested", "Запрошено уточнение"},
    {"clarification_received", "Получено уточнение"},
    {"reply_joined", "Ваше сообщение добавлено к обращению"},
    {"duplicate_received", "Повторно получено то же письмо"},
    {"attachment_refused", "Вложение не принято"},
    {"autoreply_suppressed", "Автоматическое уведомление не отправлялось"},
    {"clock_paused", "Срок приостановлен до получения уточнения"},
    {"clock_resumed", "Срок возобновлён"},
    {"linked", "Связано с другим обращением"},
    {"quarantined", "Письмо передано на ручную проверку"},
    {"invalid_identifier", "В обращении найден неверный реквизит"},
    {"outbound_sent", "Письмо вам отправлено"},
    {"outbound_deferred", "Отправка письма отложена, будет повторена"},
    {"outbound_failed", "Письмо не удалось доставить"},
    {"dkim_failed", "Письмо отправлено без электронной подписи домена"},
    {"smime_failed", "Письмо отправлено без электронной подписи S/MIME"},
    {"status_changed", "Изменён статус обращения"},
    {"answered", "Дан ответ"},
    {"rated", "Вы оценили ответ"},
    {"withdrawn", "Вы отозвали обращение"},
    {"deadline_set", "Установлен срок ответа"},
    {"deadline_extended", "Срок ответа продлён"},
    {"priority_confirmed", "Обращение признано срочным"},
    {"notified", "Вам отправлено уведомление"},
    {"notification_suppressed", "Уведомление не отправлялось"},
    {"routed", "Обращение направлено в подразделение"},
    {"transferred", "Обращение передано в другое подразделение"},
    {"escalated", "Обращение передано вышестоящему подразделению"},
    {"assigned", "Назначен исполнитель"},
    {"reminder_sent", "Исполнителю напомнили о сроке"},
    {"overdue", "Срок ответа истёк"},
    {"sla_escalated", "Обращение передано руководителю"},
    {"reopened", "Рассмотрение обращения возобновлено"},
    {"forwarded", "Обращение перенаправлено по компетенции"},
    {"left_unanswered", "Обращение оставлено без ответа"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(texts); i++)
    if (strcmp(kind, texts[i].kind) == 0)
      return texts[i].text;
  return "Событие по обращению";
}

/* Whether the event detail `detail` (JSON) names a message id of `hidden`. */
static gboolean about_hidden(const char *detail, GHashTable *hidden)
{
  g_autoptr(JsonParser) p = json_parser_new();
  JsonNode *root;
  if (!g_hash_table_size(hidden) || !json_parser_load_from_data(p, detail, -1, NULL))
    return FALSE;
  root = json_parser_get_root(p);
  return root && JSON_NODE_HOLDS_OBJECT(root) &&
         g_hash_table_contains(hidden, json_object_get_string_member_with_default(
                                           json_node_get_object(root), "message_id", ""));
}

static gboolean can_rate(const OknoAppeal *a)
{
  return a->status == OKNO_STATUS_ANSWERED || a->status == OKNO_STATUS_CLOSED;
}

static void card(OknoReq *req, OknoAppeal *a)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) msgs = okno_store_cabinet_messages(req->store, a->id, &err);
  g_autoptr(GPtrArray) events = msgs ? okno_store_cabinet_events(req->store, a->id, &err) : NULL;
  g_autofree char *comment = NULL;
  gint64 score = 0, rated_at = 0;
  gboolean rated;
  JsonObject *o;
  JsonArray *marr, *earr;
  g_autoptr(GPtrArray) staff = NULL;
  g_autoptr(GHashTable) hidden = g_hash_table_new(g_str_hash, g_str_equal); /* message ids */

  if (!events) {
    okno_cabinet_fail(req, "card", err);
    return;
  }
  rated = okno_store_rating_get(req->store, a->id, &score, &comment, &rated_at, &err);
  if (err) {
    okno_cabinet_fail(req, "rating-get", err);
    return;
  }
  staff = okno_store_user_list(req->store, &err);
  if (!staff) {
    okno_cabinet_fail(req, "staff-list", err);
    return;
  }
  o = json_object_new();
  add_summary(o, a);
  json_object_set_boolean_member(o, "sent", *query(req, "sent") != '\0');
  marr = json_array_new();
  for (guint i = 0; i < msgs->len; i++) {
    OknoCabinetMessage *m = msgs->pdata[i];
    gboolean ours = strcmp(m->direction, "out") == 0;
    JsonObject *mo;
    JsonArray *farr;
    if (ours && staff_address(req->cfg, staff, m->recipient)) {
      /* staff mail about the appeal, not the citizen's correspondence */
      g_hash_table_add(hidden, m->message_id);
      continue;
    }
    mo = json_object_new();
    farr = json_array_new();
    json_object_set_string_member(mo, "direction", m->direction);
    json_object_set_boolean_member(mo, "from_us", ours);
    json_object_set_string_member(mo, "author", ours ? "Служба поддержки" : "Вы");
    json_object_set_boolean_member(mo, "automatic", m->automatic);
    json_object_set_string_member(mo, "subject", m->subject);
    json_object_set_string_member(mo, "text", m->text);
    set_time(mo, "at", m->created_at);
    for (guint k = 0; k < m->files->len; k++) {
      OknoCabinetFile *fl = m->files->pdata[k];
      JsonObject *fo = json_object_new();
      json_object_set_int_member(fo, "id", fl->id);
      json_object_set_string_member(fo, "filename", *fl->filename ? fl->filename : "файл");
      json_object_set_string_member(fo, "content_type", fl->content_type);
      json_object_set_int_member(fo, "size", fl->size);
      if (fl->refused) {
        json_object_set_boolean_member(fo, "refused", TRUE);
        json_object_set_string_member(fo, "reason", fl->refused);
      } else {
        g_autofree char *href = g_strdup_printf("%s/cabinet/appeals/%s/files/%" G_GINT64_FORMAT,
                                                req->api ? "/api/v1" : "", a->number, fl->id);
        json_object_set_string_member(fo, "href", href);
      }
      json_array_add_object_element(farr, fo);
    }
    json_object_set_boolean_member(mo, "has_attachments", m->files->len > 0);
    json_object_set_array_member(mo, "attachments", farr);
    json_array_add_object_element(marr, mo);
  }
  json_object_set_array_member(o, "messages", marr);
  earr = json_array_new();
  for (guint i = 0; i < events->len; i++) {
    OknoCabinetEvent *e = events->pdata[i];
    JsonObject *eo;
    if (g_str_has_prefix(e->kind, "outbound_") && about_hidden(e->detail, hidden))
      continue; /* the delivery of staff mail */
    eo = json_object_new();
    set_time(eo, "at", e->at);
    json_object_set_string_member(eo, "kind", e->kind);
    json_object_set_string_member(eo, "text", event_text(e->kind));
    json_array_add_object_element(earr, eo);
  }
  json_object_set_array_member(o, "events", earr);
  {
    /* Who opened the appeal (store/access.h): role and department, never a name. */
    g_autoptr(GPtrArray) reads = okno_store_access_list(req->store, a->id, 0, 100, NULL);
    g_autoptr(GPtrArray) depts = okno_store_department_list(req->store, NULL);
    JsonArray *ra = okno_console_access_rows(reads, FALSE);
    for (guint i = 0; i < json_array_get_length(ra); i++) {
      JsonObject *r = json_array_get_object_element(ra, i);
      const char *code = json_object_get_string_member(r, "department");
      for (guint j = 0; depts && j < depts->len; j++)
        if (g_strcmp0(((OknoDepartment *)depts->pdata[j])->code, code) == 0)
          json_object_set_string_member(r, "department",
                                        ((OknoDepartment *)depts->pdata[j])->name);
    }
    json_object_set_boolean_member(o, "has_reads", json_array_get_length(ra) > 0);
    json_object_set_array_member(o, "reads", ra);
  }
  json_object_set_boolean_member(o, "can_rate", can_rate(a) && !rated);
  {
    gint64 asked = okno_store_deletion_requested_at(req->store, a->id, NULL);
    json_object_set_boolean_member(o, "can_delete",
                                   !asked && !okno_retention_deletion_refusal(req->cfg, a));
    json_object_set_boolean_member(o, "deletion_requested", asked > 0);
    json_object_set_boolean_member(o, "can_withdraw", okno_statuses[a->status].open);
    json_object_set_int_member(o, "deletion_days", req->cfg->retention_deletion_days);
  }
  if (rated) {
    JsonObject *r = json_object_new();
    json_object_set_int_member(r, "score", score);
    json_object_set_string_member(r, "comment", comment);
    set_time(r, "at", rated_at);
    json_object_set_object_member(o, "rating", r);
  } else {
    json_object_set_null_member(o, "rating");
  }
  okno_cabinet_answer(req, 200, "cabinet_appeal", a->number, o);
}

static void download(OknoReq *req, OknoAppeal *a, const char *id_text)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *filename = NULL, *type = NULL;
  g_autoptr(GBytes) data = NULL;
  char *end = NULL;
  gint64 id = g_ascii_strtoll(id_text, &end, 10);
  if (!*id_text || !end || *end || id <= 0) {
    okno_req_error(req, 404, NULL);
    return;
  }
  data = okno_store_cabinet_file(req->store, a->id, id, &filename, &type, &err);
  if (err) {
    okno_cabinet_fail(req, "download", err);
    return;
  }
  if (!data) {
    okno_req_error(req, 404, NULL);
    return;
  }
  okno_req_bytes(req, *type ? type : "application/octet-stream", data,
                 *filename ? filename : "file");
}

/* «Скачать подтверждение»: the journal's inclusion proof of the appeal's registration
 * in the latest signed head (as /api/v1/proof/NUMBER, docs/journal.md), as a file. */
static void proof_download(OknoReq *req, const OknoAppeal *a)
{
  g_autoptr(GError) err = NULL;
  gboolean not_found = FALSE;
  g_autofree char *json = okno_journal_proof_json(req->store, a->number, &not_found, &err);
  g_autofree char *name = g_strdup_printf("podtverzhdenie-%s.json", a->number);
  g_autoptr(GBytes) data = NULL;
  if (!json) {
    okno_req_error(req, 503, "Подтверждение будет готово через минуту: обновите страницу и "
                             "попробуйте ещё раз.");
    return;
  }
  data = g_bytes_new(json, strlen(json));
  okno_req_bytes(req, "application/json", data, name);
}

static void appeal_get(OknoReq *req)
{
  const char *tail = NULL;
  g_autoptr(OknoAppeal) a = cabinet_appeal(req, req->path_rest, &tail);
  if (!a)
    return;
  if (!*tail)
    card(req, a);
  else if (g_str_has_prefix(tail, "/files/"))
    download(req, a, tail + strlen("/files/"));
  else if (strcmp(tail, "/proof") == 0)
    proof_download(req, a);
  else
    okno_req_error(req, 404, NULL);
}

/* ---- replying ---- */

typedef struct {
  OknoReq *req;
  char *number;
} ReplyWait;

static void reply_done(const OknoIntakeResult *res, const GError *err, gpointer data)
{
  ReplyWait *w = data;
  OknoReq *req = w->req;
  if (err) {
    okno_log_warn("cabinet", "event=reply-failed appeal=%s error=\"%s\"", w->number, err->message);
    okno_req_error(req, err->code == OKNO_ERROR_TEMP ? 503 : 500,
                   "Не удалось отправить сообщение. Попробуйте, пожалуйста, ещё раз позже.");
  } else if (req->api) {
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "number", res->number);
    json_object_set_string_member(o, "outcome", res->outcome == OKNO_INTAKE_JOINED    ? "joined"
                                                : res->outcome == OKNO_INTAKE_CREATED ? "created"
                                                                                      : "duplicate");
    okno_cabinet_answer(req, 200, NULL, NULL, o);
  } else {
    g_autofree char *loc = g_strdup_printf("/cabinet/appeals/%s?sent=1", res->number);
    okno_req_redirect(req, loc);
  }
  okno_req_release(req);
  g_free(w->number);
  g_free(w);
}

/* The reply as an RFC 5322 message from the appeal's contact to the support address.
 * (GMime objects have no autoptr cleanup: they are released by hand.) */
static GBytes *reply_message(OknoReq *req, const OknoAppeal *a, const char *text)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) msgs = okno_store_cabinet_messages(req->store, a->id, &err);
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc(okno_now() / G_USEC_PER_SEC);
  g_autofree char *subject = g_strdup_printf("Сообщение по обращению № %s", a->number);
  g_autofree char *id = NULL, *refs = NULL, *out = NULL;
  const char *last = NULL;
  const char *host = req->cfg->hostname && *req->cfg->hostname ? req->cfg->hostname : "okno";
  GMimeMessage *m;
  GMimeTextPart *body;
  GMimeObject *top;
  GBytes *bytes;

  if (!msgs)
    return NULL;
  for (guint i = 0; i < msgs->len; i++) {
    OknoCabinetMessage *cm = msgs->pdata[i];
    if (*cm->message_id)
      last = cm->message_id;
  }
  m = g_mime_message_new(TRUE);
  g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, a->from_name, a->from_email);
  g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, req->cfg->smtp_addresses[0]);
  g_mime_message_set_subject(m, subject, "utf-8");
  g_mime_message_set_date(m, now);
  id = g_strdup_printf("web.%s.%08x%08x@%s", a->number, g_random_int(), g_random_int(), host);
  g_mime_message_set_message_id(m, id);
  if (last) {
    refs = g_strdup_printf("<%s>", last);
    g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", refs, NULL);
    g_mime_object_set_header(GMIME_OBJECT(m), "References", refs, NULL);
  }
  body = g_mime_text_part_new_with_subtype("plain");
  g_mime_text_part_set_text(body, text);
  g_mime_text_part_set_charset(body, "utf-8");
  g_mime_part_set_content_encoding(GMIME_PART(body), GMIME_CONTENT_ENCODING_BASE64);
  top = GMIME_OBJECT(body);
  if (req->form->files->len) {
    GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
    g_mime_multipart_add(mixed, top);
    g_object_unref(body);
    for (guint i = 0; i < req->form->files->len; i++) {
      OknoUpload *u = req->form->files->pdata[i];
      GMimePart *part = g_mime_part_new_with_type("application", "octet-stream");
      gsize len = 0;
      const guint8 *p = g_bytes_get_data(u->data, &len);
      GByteArray *ba = g_byte_array_sized_new((guint)len);
      GMimeStream *st;
      GMimeDataWrapper *w;
      g_byte_array_append(ba, p ? p : (const guint8 *)"", (guint)len);
      st = g_mime_stream_mem_new_with_byte_array(ba);
      w = g_mime_data_wrapper_new_with_stream(st, GMIME_CONTENT_ENCODING_DEFAULT);
      g_mime_part_set_content(part, w);
      g_mime_part_set_filename(part, *u->filename ? u->filename : "file");
      g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
      g_mime_multipart_add(mixed, GMIME_OBJECT(part));
      g_object_unref(w);
      g_object_unref(st);
      g_object_unref(part);
    }
    top = GMIME_OBJECT(mixed);
  }
  g_mime_message_set_mime_part(m, top);
  g_object_unref(top);
  out = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
  g_object_unref(m);
  bytes = g_bytes_new(out, strlen(out));
  return bytes;
}

static void reply_post(OknoReq *req, OknoAppeal *a)
{
  const char *text = okno_req_field(req, "text");
  g_autofree char *trimmed = g_strstrip(g_strdup(text));
  g_autoptr(GBytes) raw = NULL;
  const char *rcpt[] = {req->cfg->smtp_addresses[0], NULL};
  OknoEnvelope env = {
    .channel = OKNO_CHANNEL_WEB,
    .mail_from = a->from_email,
    .rcpt_to = rcpt,
    .client_addr = req->client_ip,
    .session_id = "web",
  };
  ReplyWait *w;

  if (!*trimmed || g_utf8_strlen(trimmed, -1) > REPLY_MAX_CHARS) {
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "text", text);
    okno_cabinet_field_error(req, "error", "Сообщение не отправлено", o, "text",
                             *trimmed ? "Сообщение слишком длинное: не больше 20 000 знаков."
                                      : "Напишите, пожалуйста, текст сообщения.");
    return;
  }
  {
    /* per cabinet, whatever the IP: a signed-in account cannot flood the operators */
    g_autofree char *who = g_compute_checksum_for_string(G_CHECKSUM_SHA256, req->session->subject, -1);
    g_autofree char *key = g_strconcat("reply:", who, NULL);
    if (!okno_req_limit(req, key, REPLIES_PER_HOUR, REPLIES_PER_HOUR))
      return;
  }
  if (okno_form_files_size(req->form) > 10u * 1024 * 1024) {
    JsonObject *o = json_object_new();
    okno_cabinet_field_error(req, "error", "Сообщение не отправлено", o, "files",
                             "Файлы вместе не должны быть больше 10 МБ.");
    return;
  }
  raw = reply_message(req, a, trimmed);
  if (!raw) {
    okno_cabinet_fail(req, "reply-build", NULL);
    return;
  }
  w = g_new0(ReplyWait, 1);
  w->req = req;
  w->number = g_strdup(a->number);
  okno_req_hold(req);
  okno_intake_submit_async(req->intake, raw, &env, reply_done, w);
}

/* ---- rating ---- */

static void rating_post(OknoReq *req, OknoAppeal *a)
{
  const char *score_text = okno_req_field(req, "score");
  const char *comment = okno_req_field(req, "comment");
  g_autofree char *trimmed = g_strstrip(g_strdup(comment));
  g_autoptr(GError) err = NULL;
  gboolean fresh = FALSE;
  gint64 score = 0;

  if (strlen(score_text) == 1 && score_text[0] >= '1' && score_text[0] <= '5')
    score = score_text[0] - '0';
  if (!can_rate(a)) {
    okno_cabinet_field_error(req, "error", "Оценка не сохранена", json_object_new(), "score",
                             "Оценить ответ можно, когда он будет дан.");
    return;
  }
  if (!score) {
    okno_cabinet_field_error(req, "error", "Оценка не сохранена", json_object_new(), "score",
                             "Выберите оценку от 1 до 5.");
    return;
  }
  if (g_utf8_strlen(trimmed, -1) > COMMENT_MAX_CHARS) {
    okno_cabinet_field_error(req, "error", "Оценка не сохранена", json_object_new(), "comment",
                             "Комментарий слишком длинный: не больше 2000 знаков.");
    return;
  }
  if (!okno_store_begin(req->store, &err) ||
      !okno_store_rating_insert(req->store, a->id, score, trimmed, req->session->subject,
                                okno_now(), &fresh, &err) ||
      (fresh && !okno_store_event_add(req->store, a->id, "rated", "{}", &err)) ||
      !okno_store_commit(req->store, &err)) {
    okno_store_rollback(req->store);
    okno_cabinet_fail(req, "rating", err);
    return;
  }
  if (!fresh) {
    okno_req_error(req, 409, "Ответ по этому обращению уже оценён.");
    return;
  }
  okno_log("cabinet", "event=rated appeal=%s score=%" G_GINT64_FORMAT, a->number, score);
  if (req->api) {
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "score", score);
    okno_cabinet_answer(req, 200, NULL, NULL, o);
  } else {
    g_autofree char *loc = g_strdup_printf("/cabinet/appeals/%s", a->number);
    okno_req_redirect(req, loc);
  }
}

static void appeal_post(OknoReq *req)
{
  const char *tail = NULL;
  g_autoptr(OknoAppeal) a = cabinet_appeal(req, req->path_rest, &tail);
  if (!a)
    return;
  if (strcmp(tail, "/reply") == 0)
    reply_post(req, a);
  else if (strcmp(tail, "/rating") == 0)
    rating_post(req, a);
  else if (strcmp(tail, "/delete") == 0)
    okno_cabinet_delete_post(req, a);
  else if (strcmp(tail, "/withdraw") == 0)
    okno_cabinet_withdraw_post(req, a);
  else
    okno_req_error(req, 404, NULL);
}

/* ---- notification settings ----
 * The types are ops/ops.h's okno_notify_types(), kept per address in the store
 * (okno_store_notify_set/enabled); the cabinet only gives them Russian names. */

static const char *notify_label(const char *type)
{
  static const struct {
    const char *type, *label;
  } labels[] = {
    {"registered", "Обращение зарегистрировано"},
    {"status_changed", "Изменился статус обращения"},
    {"answer", "Дан ответ"},
    {"clarification", "Нужно уточнение от вас"},
    {"deadline_reminder", "Напоминание о сроке"},
    {"deadline_extended", "Срок рассмотрения продлён"},
    {"sms", "Присылать номер обращения и смену статуса в SMS на телефон из обращения"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(labels); i++)
    if (strcmp(labels[i].type, type) == 0)
      return labels[i].label;
  return type;
}

/* Answers the settings of the signed-in address (`saved`: after a POST). */
static void settings_answer(OknoReq *req, gboolean saved)
{
  g_autoptr(GError) err = NULL;
  JsonObject *o = json_object_new();
  JsonArray *arr = json_array_new();
  JsonObject *map = json_object_new();
  for (const char *const *t = okno_notify_types(); *t; t++) {
    gboolean on = TRUE;
    JsonObject *row;
    if (!okno_store_notify_enabled(req->store, req->session->subject, *t, &on, &err)) {
      json_object_unref(o);
      json_array_unref(arr);
      json_object_unref(map);
      okno_cabinet_fail(req, "settings-get", err);
      return;
    }
    row = json_object_new();
    json_object_set_string_member(row, "name", *t);
    json_object_set_string_member(row, "label", notify_label(*t));
    json_object_set_boolean_member(row, "on", on);
    json_array_add_object_element(arr, row);
    json_object_set_boolean_member(map, *t, on);
  }
  json_object_set_boolean_member(o, "saved", saved);
  if (req->api) {
    json_array_unref(arr);
    json_object_set_object_member(o, "settings", map);
  } else {
    json_object_unref(map);
    json_object_set_array_member(o, "types", arr);
  }
  okno_cabinet_answer(req, 200, "cabinet_settings", "Уведомления", o);
}

static void settings_get(OknoReq *req)
{
  settings_answer(req, FALSE);
}

static void settings_post(OknoReq *req)
{
  g_autoptr(GError) err = NULL;
  g_auto(GStrv) owned = okno_store_contact_owned(req->store, req->session->subject, &err);
  gboolean ok = owned && okno_store_begin(req->store, &err);
  for (const char *const *t = okno_notify_types(); ok && *t; t++) {
    const char *v = okno_req_field(req, *t);
    gboolean on = strcmp(v, "on") == 0 || strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
    /* the cabinet's own address and every address moved to it */
    ok = okno_store_notify_set(req->store, req->session->subject, *t, on, &err);
    for (char **c = owned; ok && *c; c++)
      if (strcmp(*c, req->session->subject) != 0)
        ok = okno_store_notify_set(req->store, *c, *t, on, &err);
  }
  if (!ok || !okno_store_commit(req->store, &err)) {
    if (owned)
      okno_store_rollback(req->store);
    okno_cabinet_fail(req, "settings-set", err);
    return;
  }
  settings_answer(req, TRUE);
}

#define SC OKNO_ROUTE_STATE_CHANGING
#define CIT OKNO_ROUTE_CITIZEN

static const OknoRoute routes[] = {
  {"GET", "/cabinet", CIT, list_get},
  {"GET", "/cabinet/settings", CIT, settings_get},
  {"POST", "/cabinet/settings", SC | CIT, settings_post},
  {"GET", "/cabinet/appeals/", CIT, appeal_get},
  {"POST", "/cabinet/appeals/", SC | CIT, appeal_post},
  {"GET", "/api/v1/cabinet/appeals", CIT, list_get},
  {"GET", "/api/v1/cabinet/settings", CIT, settings_get},
  {"POST", "/api/v1/cabinet/settings", SC | CIT, settings_post},
  {"GET", "/api/v1/cabinet/appeals/", CIT, appeal_get},
  {"POST", "/api/v1/cabinet/appeals/", SC | CIT, appeal_post},
};

void okno_cabinet_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
