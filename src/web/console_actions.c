/* console_actions.c: the actions on an appeal in the operator console (console.h), the
 * POST half of /console/appeals/NUMBER (the page itself is console_appeal.c), and the
 * queue's bulk actions (/console/bulk).
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

#include "appeal/number.h"
#include "ops/classify_auto.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "check/citizen.h"
#include "ops/spam.h"
#include "ops/retention.h"
#include "store/appeals.h"
#include "store/console.h"
#include "store/events.h"
#include "store/messages.h"
#include "web/template.h"

#define NOTE_MAX_BYTES 20000
#define REPLY_MAX_BYTES 100000

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
         okno_console_read_journal(x->req, x->u, x->a, "unmask", "", TRUE, error);
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
  return okno_classify_learn_merge(req->store, x->a->id, t, error) && /* a lesson */
         okno_store_event_add(req->store, x->a->id, "merged_into", d1, error) &&
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
  okno_console_appeal_page(req, u, a, status, o);
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
    g_autofree char *to = okno_console_mask("email", x->a->from_email);
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
  g_autoptr(JsonObject) o = okno_json_object_parse(again ? again : changed);
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
  a = okno_console_appeal_load(req, u, &name);
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
    okno_console_appeal_page(req, u, a, 200, o);
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
  {"POST", "/console/appeals/", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, action_post},
  {"POST", "/api/v1/console/appeals/", OKNO_ROUTE_STAFF | OKNO_ROUTE_STATE_CHANGING, action_post},
};

void okno_console_actions_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
