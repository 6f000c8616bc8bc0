/* chat.c: the web chat's hub and the citizen's side (issue 22, docs/chat.md): the
 * WebSocket endpoints /chat/ws (citizens) and /console/chat/ws (operators), the chat's
 * thread with its own store connection (chat.h), the bot, the page /chat and the
 * portal's embed script. The operators' commands are console_chat.c's. */
#include "web/chat.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "sec/ratelimit.h"
#include "ops/kb.h"
#include "sec/session.h"
#include "sec/staff.h"
#include "appeal/routing.h"
#include "store/staff.h"
#include "text/answers.h"
#include "text/markdown.h"
#include "web/chat_relay.h"
#include "web/routes.h"

#define GREETING                                                                       \
  "Здравствуйте! Я бот службы поддержки портала — программа, а не человек. Напишите "  \
  "вопрос, и я постараюсь ответить. Чтобы поговорить с оператором, напишите «позвать " \
  "оператора» или нажмите кнопку «Позвать оператора»."
#define HANDOVER                                                                       \
  "Передаю ваш вопрос оператору. Пожалуйста, подождите: оператор ответит в этом чате. " \
  "Если закроете страницу, откройте чат снова — переписка сохранится."
#define NOT_FOUND "Я не нашёл готового ответа на этот вопрос."

typedef struct Client Client;

typedef struct {
  OknoWeb *web;
  const OknoConfig *cfg;
  OknoAnswers *answers;   /* [chat] answers; NULL: none */
  GThreadPool *pool;      /* one thread: every store call of the chat, in order */
  OknoStore *store;       /* the thread's own connection, opened by it */
  GPtrArray *clients;     /* Client*, main loop only */
  GHashTable *depts;      /* main loop: chat id (gint64*) -> its department, as last sent */
  OknoChatRelay *relay;   /* the other nodes' notices (PostgreSQL) */
  gboolean stopping;
} Hub;

struct Client {
  Hub *hub;
  int refs;
  gboolean staff;                /* /console/chat/ws */
  SoupWebsocketConnection *ws;   /* main loop; NULL once closed */
  char *session_token;           /* the cookie, read at the handshake */
  char *ip;                      /* the peer, for [chat] messages_per_minute */
  /* main loop: what the sends are routed by (set from the thread's results) */
  gint64 m_chat;
  gboolean m_ok;                 /* staff: signed in */
  char **m_depts;                /* staff: the departments seen; NULL every one */
  /* the chat thread only */
  gboolean t_checked;
  char *t_login;                 /* staff login / signed-in citizen's address */
  gint64 t_chat;
  char **t_depts;                /* staff: as m_depts */
};

typedef struct {
  int target; /* 0 self, 1 chat, 2 staff */
  gint64 chat;
  char *text;
  char *department; /* the chat's (filled in before delivery), NULL unknown */
  gboolean state;   /* a "state": operators who do not see the chat get "gone" instead */
} Out;

struct OknoChatOut {
  GArray *items; /* Out */
  gint64 bind_chat; /* >0: the sender's chat is now this one (citizen hello) */
  gboolean bind_staff;
  char **bind_depts; /* with bind_staff: the departments the operator sees, NULL all */
  gboolean close;   /* close the sender's socket after sending */
};

typedef struct {
  Client *c;
  OknoChatCmd cmd;
  gboolean auth; /* the first job of a socket: check its session */
  gboolean remote; /* no socket: another node's notice about chat `chat`, message `msg` */
  gint64 chat, msg;
} Job;

static Hub *hub_of_process; /* one web server per process */

static void client_unref(Client *c)
{
  if (!c || --c->refs > 0)
    return;
  g_clear_object(&c->ws);
  g_free(c->session_token);
  g_free(c->ip);
  g_free(c->t_login);
  g_strfreev(c->m_depts);
  g_strfreev(c->t_depts);
  g_free(c);
}

/* ---- what a command shows ---- */

static void out_add(OknoChatOut *out, int target, gint64 chat, JsonNode *node)
{
  JsonObject *obj = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
  Out o = {target, chat, json_to_string(node, FALSE), NULL,
           obj && g_strcmp0(json_object_get_string_member_with_default(obj, "t", ""), "state") == 0};
  g_array_append_val(out->items, o);
  json_node_unref(node);
}

void okno_chat_out_self(OknoChatOut *out, JsonNode *node) { out_add(out, 0, 0, node); }
void okno_chat_out_chat(OknoChatOut *out, gint64 chat, JsonNode *node) { out_add(out, 1, chat, node); }
void okno_chat_out_staff(OknoChatOut *out, gint64 chat, JsonNode *node) { out_add(out, 2, chat, node); }

/* Whether an operator who sees `depts` (NULL: every department) sees a chat of
 * `department`: triage ("") is everyone's, as in the console's queues. */
static gboolean depts_see(char **depts, const char *department)
{
  return !depts || !department || !*department || g_strv_contains((const char *const *)depts, department);
}

gboolean okno_chat_sees(const OknoChatCtx *ctx, const OknoChatRow *chat)
{
  return depts_see(ctx->departments, chat->department);
}

static JsonNode *obj_node(JsonObject *o)
{
  JsonNode *n = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(n, o);
  return n;
}

void okno_chat_out_error(OknoChatOut *out, const char *text)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "t", "error");
  json_object_set_string_member(o, "text", text);
  okno_chat_out_self(out, obj_node(o));
}

JsonNode *okno_chat_msg_json(const OknoChatMessage *m)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "t", "msg");
  json_object_set_int_member(o, "chat", m->chat_id);
  json_object_set_int_member(o, "id", m->id);
  json_object_set_string_member(o, "author", m->author);
  json_object_set_string_member(o, "operator", m->operator);
  json_object_set_string_member(o, "text", m->text);
  json_object_set_int_member(o, "at", m->created_at / G_USEC_PER_SEC);
  return obj_node(o);
}

JsonNode *okno_chat_state_json(const OknoChatRow *c)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "t", "state");
  json_object_set_int_member(o, "chat", c->id);
  json_object_set_string_member(o, "status", c->status);
  json_object_set_string_member(o, "operator", c->operator);
  json_object_set_string_member(o, "number", c->number);
  json_object_set_int_member(o, "last", c->last_message);
  json_object_set_boolean_member(o, "signed_in", *c->citizen != '\0');
  json_object_set_string_member(o, "department", c->department);
  return obj_node(o);
}

gboolean okno_chat_post(OknoChatCtx *ctx, gint64 chat, const char *author,
                        const char *operator, const char *text, GError **error)
{
  OknoChatMessage m = {0};
  if (!okno_store_chat_add(ctx->store, chat, author, operator, text, &m.id, error))
    return FALSE;
  /* stored and committed: only now may anyone see it */
  m.chat_id = chat;
  m.author = (char *)author;
  m.operator = (char *)(operator ? operator : "");
  m.text = (char *)text;
  m.created_at = okno_now();
  okno_chat_out_chat(ctx->out, chat, okno_chat_msg_json(&m));
  return TRUE;
}

void okno_chat_post_state(OknoChatCtx *ctx, gint64 chat)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoChatRow) c = okno_store_chat_get(ctx->store, chat, &err);
  if (c)
    okno_chat_out_chat(ctx->out, chat, okno_chat_state_json(c));
}

/* ---- the bot ---- */

/* The longest article text the bot writes into the chat; the link gives the rest. */
#define KB_ANSWER_CHARS 600

/* The bot's answer to `question`, or NULL (then it hands over): first the knowledge
 * base (issue 22: "answers first from the knowledge base when one exists": the best
 * published article holding at least two of the question's stems, ops/kb.h), as its
 * title, its text cut at KB_ANSWER_CHARS and a link to /help/ID; then the configured
 * answers. Runs on the chat thread, on its own store. */
static char *bot_answer(Hub *h, OknoStore *st, const char *question)
{
  const char *a;
  g_autoptr(GPtrArray) kb = st ? okno_kb_match(st, question, 1, 2, NULL) : NULL;
  if (kb && kb->len) {
    const OknoKbArticle *art = kb->pdata[0];
    g_autofree char *plain = okno_markdown_plain(art->body);
    GString *out = g_string_new(NULL);
    g_strstrip(plain);
    g_string_append_printf(out, "Возможно, вам поможет статья «%s».\n\n", art->title);
    if (g_utf8_strlen(plain, -1) > KB_ANSWER_CHARS) {
      g_string_append_len(out, plain, g_utf8_offset_to_pointer(plain, KB_ANSWER_CHARS) - plain);
      g_string_append(out, "…");
    } else {
      g_string_append(out, plain);
    }
    g_string_append_printf(out, "\n\nПолностью: %s/help/%" G_GINT64_FORMAT,
                           h->cfg && h->cfg->public_url ? h->cfg->public_url : "", art->id);
    return g_string_free(out, FALSE);
  }
  a = okno_answers_find(h->answers, question);
  return a ? g_strdup(a) : NULL;
}

static gboolean wants_operator(const char *text)
{
  g_autofree char *n = okno_answers_normalise(text);
  return strstr(n, "оператор") || strstr(n, "человек") || strstr(n, "специалист");
}

static void send_history(OknoChatCtx *ctx, gint64 chat, gint64 since)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) msgs = okno_store_chat_messages(ctx->store, chat, since, 1000, &err);
  for (guint i = 0; msgs && i < msgs->len; i++)
    okno_chat_out_self(ctx->out, okno_chat_msg_json(msgs->pdata[i]));
}

/* The department the routing rules (appeal/routing.h) send the chat to, by what the
 * citizen wrote (channel "chat"); "" triage. As an appeal made from it will be. */
static char *route_chat(OknoChatCtx *ctx, gint64 chat, GError **err)
{
  g_autoptr(GPtrArray) rules = okno_store_route_list(ctx->store, err);
  g_autoptr(GPtrArray) msgs = rules ? okno_store_chat_messages(ctx->store, chat, 0, 1000, err) : NULL;
  g_autoptr(OknoChatRow) row = msgs ? okno_store_chat_get(ctx->store, chat, err) : NULL;
  g_autoptr(GString) text = g_string_new(NULL);
  OknoRouteInput in = {0};
  const OknoRouteRule *rule;
  if (!row)
    return NULL;
  for (guint i = 0; i < msgs->len; i++) {
    const OknoChatMessage *m = msgs->pdata[i];
    if (strcmp(m->author, "citizen") == 0)
      g_string_append_printf(text, "%s\n", m->text);
  }
  in.category = "";
  in.channel = "chat";
  in.sender = row->citizen;
  in.subject = "";
  in.text = text->str;
  rule = okno_route_match(rules, &in);
  return g_strdup(rule ? rule->department : "");
}

static void handover(OknoChatCtx *ctx, gint64 chat, GError **err)
{
  gboolean changed = FALSE;
  g_autofree char *dept = route_chat(ctx, chat, err);
  if (dept && okno_store_chat_set_department(ctx->store, chat, dept, err) &&
      okno_store_chat_set_status(ctx->store, chat, "waiting", "", "bot", &changed, err) && changed &&
      okno_chat_post(ctx, chat, "system", NULL, HANDOVER, err))
    okno_chat_post_state(ctx, chat);
}

static void citizen_cmd(Hub *h, Client *c, OknoChatCtx *ctx, const OknoChatCmd *cmd)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoChatRow) chat = NULL;
  if (cmd->type == OKNO_CHAT_HELLO) {
    g_autofree char *token = NULL;
    JsonObject *o;
    if (cmd->token && (chat = okno_store_chat_by_token(ctx->store, cmd->token, &err)) &&
        (!*chat->citizen || g_strcmp0(chat->citizen, c->t_login) == 0)) {
      token = g_strdup(cmd->token);
    } else if (!err) {
      gint64 id = 0;
      g_clear_pointer(&chat, okno_chat_row_free);
      token = okno_random_hex(32);
      if (!okno_store_chat_create(ctx->store, token, c->t_login, &id, &err) ||
          !okno_chat_post(ctx, id, "bot", NULL, GREETING, &err) ||
          !(chat = okno_store_chat_get(ctx->store, id, &err)))
        goto fail;
      okno_chat_out_staff(ctx->out, chat->id, okno_chat_state_json(chat));
    }
    if (!chat)
      goto fail;
    c->t_chat = chat->id;
    ctx->out->bind_chat = chat->id;
    o = json_object_new();
    json_object_set_string_member(o, "t", "welcome");
    json_object_set_int_member(o, "chat", chat->id);
    json_object_set_string_member(o, "token", token);
    okno_chat_out_self(ctx->out, obj_node(o));
    okno_chat_out_self(ctx->out, okno_chat_state_json(chat));
    /* the greeting of a new chat went out through the chat's own route */
    send_history(ctx, chat->id, cmd->since);
    return;
  }
  if (!c->t_chat) {
    okno_chat_out_error(ctx->out, "Чат ещё не открыт: обновите страницу.");
    return;
  }
  if (!(chat = okno_store_chat_get(ctx->store, c->t_chat, &err)))
    goto fail;
  if (strcmp(chat->status, "closed") == 0) {
    okno_chat_out_error(ctx->out, "Этот чат завершён. Чтобы задать новый вопрос, начните новый чат.");
    return;
  }
  if (cmd->type == OKNO_CHAT_OPERATOR) {
    if (strcmp(chat->status, "bot") == 0)
      handover(ctx, chat->id, &err);
  } else if (cmd->type == OKNO_CHAT_SAY) {
    if (!okno_chat_post(ctx, chat->id, "citizen", NULL, cmd->text, &err))
      goto fail;
    if (strcmp(chat->status, "bot") == 0) {
      g_autofree char *answer = wants_operator(cmd->text) ? NULL : bot_answer(h, ctx->store, cmd->text);
      if (answer) {
        okno_chat_post(ctx, chat->id, "bot", NULL, answer, &err);
      } else {
        if (!wants_operator(cmd->text))
          okno_chat_post(ctx, chat->id, "bot", NULL, NOT_FOUND, &err);
        if (!err)
          handover(ctx, chat->id, &err);
      }
    }
  }
  if (!err)
    return;
fail:
  if (err)
    okno_log_warn("chat", "event=store-failed error=\"%s\"", err->message);
  okno_chat_out_error(ctx->out, "Не удалось сохранить сообщение. Попробуйте ещё раз через минуту.");
}

/* ---- the chat thread ---- */

typedef struct {
  Hub *hub;
  Client *c;
  OknoChatOut *out;
} Result;

static void out_free(OknoChatOut *out)
{
  for (guint i = 0; i < out->items->len; i++) {
    g_free(g_array_index(out->items, Out, i).text);
    g_free(g_array_index(out->items, Out, i).department);
  }
  g_array_unref(out->items);
  g_strfreev(out->bind_depts);
  g_free(out);
}

static void send_to(Client *c, const char *text)
{
  if (c->ws && soup_websocket_connection_get_state(c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text(c->ws, text);
}

/* Main loop: what a command made visible goes out. */
static gboolean deliver(gpointer data)
{
  Result *r = data;
  Hub *h = r->hub;
  if (!h->stopping) {
    if (r->out->bind_chat)
      r->c->m_chat = r->out->bind_chat;
    if (r->out->bind_staff) {
      r->c->m_ok = TRUE;
      r->c->m_depts = g_steal_pointer(&r->out->bind_depts);
    }
    for (guint i = 0; i < r->out->items->len; i++) {
      const Out *o = &g_array_index(r->out->items, Out, i);
      if (o->target == 0) {
        if (r->c)
          send_to(r->c, o->text);
        continue;
      }
      g_autofree char *gone = g_strdup_printf("{\"t\":\"gone\",\"chat\":%" G_GINT64_FORMAT "}", o->chat);
      if (o->department && o->chat > 0)
        g_hash_table_insert(h->depts, g_memdup2(&o->chat, sizeof o->chat), g_strdup(o->department));
      for (guint k = 0; k < h->clients->len; k++) {
        Client *x = h->clients->pdata[k];
        if ((x->staff && x->m_ok && depts_see(x->m_depts, o->department)) ||
            (o->target == 1 && !x->staff && x->m_chat == o->chat))
          send_to(x, o->text);
        else if (x->staff && x->m_ok && o->state) /* routed to another department */
          send_to(x, gone);
      }
    }
    if (r->out->close && r->c && r->c->ws)
      soup_websocket_connection_close(r->c->ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, NULL);
  }
  out_free(r->out);
  client_unref(r->c);
  g_free(r);
  return G_SOURCE_REMOVE;
}

/* Another node's notice (chat_relay.h): its new message, or its state, goes to this
 * node's sockets of the chat and to its operators, read back from the store. */
static void relay_job(OknoChatCtx *ctx, gint64 chat, gint64 msg)
{
  g_autoptr(GError) err = NULL;
  if (msg > 0) {
    g_autoptr(GPtrArray) msgs = okno_store_chat_messages(ctx->store, chat, msg - 1, 1, &err);
    if (msgs && msgs->len == 1 && ((OknoChatMessage *)msgs->pdata[0])->id == msg)
      okno_chat_out_chat(ctx->out, chat, okno_chat_msg_json(msgs->pdata[0]));
  } else {
    okno_chat_post_state(ctx, chat);
  }
  if (err)
    okno_log_warn("chat", "event=relay-read-failed error=\"%s\"", err->message);
}

/* Fills in the department of every chat the command's output goes to (the
 * operators see only their departments' chats), one read per chat. */
static void fill_departments(OknoStore *st, OknoChatOut *out)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  for (guint i = 0; i < out->items->len; i++) {
    Out *o = &g_array_index(out->items, Out, i);
    char *dept;
    if (o->target == 0 || o->chat <= 0)
      continue;
    if (!(dept = g_hash_table_lookup(seen, &o->chat))) {
      g_autoptr(OknoChatRow) row = okno_store_chat_get(st, o->chat, NULL);
      dept = g_strdup(row ? row->department : "");
      g_hash_table_insert(seen, g_memdup2(&o->chat, sizeof o->chat), dept);
    }
    o->department = g_strdup(dept);
  }
}

static void work(gpointer data, gpointer user_data)
{
  Job *j = data;
  Hub *h = user_data;
  Client *c = j->c;
  g_autoptr(GError) err = NULL;
  Result *r = g_new0(Result, 1);
  OknoChatCtx ctx = {0};
  r->hub = h;
  r->c = c;
  r->out = g_new0(OknoChatOut, 1);
  r->out->items = g_array_new(FALSE, FALSE, sizeof(Out));
  if (!h->store && !(h->store = okno_store_open(h->cfg->store_url, &err)))
    okno_log_warn("chat", "event=store-open-failed error=\"%s\"", err->message);
  ctx.store = h->store;
  ctx.cfg = h->cfg;
  ctx.intake = okno_web_intake(h->web);
  ctx.out = r->out;
  if (!h->store) {
    okno_chat_out_error(r->out, "Чат временно недоступен. Попробуйте через минуту.");
  } else if (j->auth) {
    g_autoptr(OknoSessionRow) s = NULL;
    g_clear_error(&err);
    if (c->session_token)
      s = okno_session_lookup(h->store, c->session_token, &err);
    c->t_checked = TRUE;
    if (s && !c->staff && strcmp(s->kind, "citizen") == 0)
      c->t_login = g_strdup(s->subject);
    if (s && c->staff && strcmp(s->kind, "staff") == 0) {
      /* a staff session names the account by id: an enabled one, password changed */
      OknoUser *u = okno_store_user_get_by_id(h->store, g_ascii_strtoll(s->subject, NULL, 10), NULL);
      if (u && !u->disabled && !u->must_change_password) {
        c->t_login = g_strdup(u->login);
        c->t_depts = okno_staff_sees_every_department(u) ? NULL : g_strdupv(u->departments);
      }
      okno_user_free(u);
    }
    if (c->staff && !c->t_login) {
      okno_chat_out_error(r->out, "Войдите в консоль оператора, чтобы работать с чатами.");
      r->out->close = TRUE;
    } else if (c->staff) {
      r->out->bind_staff = TRUE;
      r->out->bind_depts = g_strdupv(c->t_depts);
    }
  } else if (j->remote) {
    relay_job(&ctx, j->chat, j->msg);
  } else if (c->staff) {
    if (c->t_login) {
      ctx.login = c->t_login;
      ctx.departments = c->t_depts;
      okno_console_chat_cmd(&ctx, &j->cmd);
    }
  } else {
    citizen_cmd(h, c, &ctx, &j->cmd);
  }
  if (h->store)
    fill_departments(h->store, r->out);
  okno_chat_cmd_clear(&j->cmd);
  g_free(j);
  g_main_context_invoke(NULL, deliver, r);
}

static void push(Hub *h, Client *c, OknoChatCmd *cmd, gboolean auth)
{
  Job *j = g_new0(Job, 1);
  if (!c) { /* another node's notice */
    j->remote = TRUE;
    j->chat = cmd->chat;
    j->msg = cmd->since;
    okno_chat_cmd_clear(cmd);
    g_thread_pool_push(h->pool, j, NULL);
    return;
  }
  c->refs++;
  j->c = c;
  j->auth = auth;
  if (cmd) {
    j->cmd = *cmd;
    memset(cmd, 0, sizeof *cmd);
  }
  g_thread_pool_push(h->pool, j, NULL);
}

/* ---- the sockets (main loop) ---- */

static void presence(Hub *h, gint64 chat)
{
  gboolean online = FALSE;
  g_autofree char *text = NULL;
  for (guint k = 0; k < h->clients->len; k++) {
    Client *x = h->clients->pdata[k];
    online |= !x->staff && x->ws && x->m_chat == chat;
  }
  text = g_strdup_printf("{\"t\":\"presence\",\"chat\":%" G_GINT64_FORMAT ",\"online\":%s}", chat,
                         online ? "true" : "false");
  for (guint k = 0; k < h->clients->len; k++) {
    Client *x = h->clients->pdata[k];
    if (x->staff && x->m_ok && depts_see(x->m_depts, g_hash_table_lookup(h->depts, &chat)))
      send_to(x, text);
  }
}

/* Typing goes across at once, stored nowhere. */
static void typing(Hub *h, Client *c, gint64 chat)
{
  g_autofree char *text = g_strdup_printf(
      "{\"t\":\"typing\",\"chat\":%" G_GINT64_FORMAT ",\"who\":\"%s\"}", chat,
      c->staff ? "operator" : "citizen");
  for (guint k = 0; k < h->clients->len; k++) {
    Client *x = h->clients->pdata[k];
    if (x != c && ((c->staff && !x->staff && x->m_chat == chat) ||
                   (!c->staff && x->staff && x->m_ok &&
                    depts_see(x->m_depts, g_hash_table_lookup(h->depts, &chat)))))
      send_to(x, text);
  }
}

static void send_error(Client *c, const char *text)
{
  g_autofree char *esc = NULL;
  JsonObject *o = json_object_new();
  g_autoptr(JsonNode) n = NULL;
  json_object_set_string_member(o, "t", "error");
  json_object_set_string_member(o, "text", text);
  n = obj_node(o);
  esc = json_to_string(n, FALSE);
  send_to(c, esc);
}

/* A citizen's command that stores something takes a token of its IP's bucket. */
static gboolean within_limit(Hub *h, Client *c)
{
  g_autofree char *key = g_strconcat("chat:", c->ip ? c->ip : "", NULL);
  g_autofree char *text = NULL;
  gint64 retry = 0;
  double n = (double)h->cfg->chat_per_minute;
  if (okno_ratelimit_take(okno_web_ratelimit(h->web), key, n * 60.0, n, okno_now(), &retry))
    return TRUE;
  text = g_strdup_printf("Слишком много сообщений подряд. Подождите, пожалуйста, %" G_GINT64_FORMAT
                         " с и отправьте снова.", retry);
  okno_log("chat", "event=rate-limited");
  send_error(c, text);
  return FALSE;
}

static void on_message(SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  Client *c = data;
  Hub *h = c->hub;
  OknoChatCmd cmd;
  g_autofree char *why = NULL;
  gsize len = 0;
  const char *bytes = g_bytes_get_data(message, &len);
  if (type != SOUP_WEBSOCKET_DATA_TEXT ||
      !okno_chat_cmd_parse(bytes, len, c->staff, &cmd, &why)) {
    send_error(c, why ? why : "Сообщение не удалось прочитать.");
    okno_log("chat", "event=refused staff=%d", c->staff);
    return;
  }
  if (cmd.type == OKNO_CHAT_TYPING) {
    if (c->staff ? c->m_ok : c->m_chat != 0)
      typing(h, c, c->staff ? cmd.chat : c->m_chat);
    okno_chat_cmd_clear(&cmd);
    return;
  }
  if (!c->staff && !within_limit(h, c)) {
    okno_chat_cmd_clear(&cmd);
    return;
  }
  push(h, c, &cmd, FALSE);
}

static void on_closed(SoupWebsocketConnection *ws, gpointer data)
{
  Client *c = data;
  Hub *h = c->hub;
  gint64 chat = c->staff ? 0 : c->m_chat;
  g_signal_handlers_disconnect_by_data(ws, c);
  g_clear_object(&c->ws);
  g_ptr_array_remove(h->clients, c); /* drops the list's reference */
  if (chat)
    presence(h, chat);
}

/* Whether the handshake's Origin, when a browser sent one, is this server (its Host). */
static gboolean same_origin(SoupServerMessage *msg)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  const char *origin = soup_message_headers_get_one(h, "Origin");
  const char *host = soup_message_headers_get_one(h, "Host");
  const char *sep = origin ? strstr(origin, "://") : NULL;
  if (!origin)
    return TRUE; /* not a browser: no ambient cookie to abuse */
  return sep && host && g_ascii_strcasecmp(sep + 3, host) == 0;
}

static void on_socket(SoupServer *server, SoupServerMessage *msg, const char *path,
                      SoupWebsocketConnection *ws, gpointer data)
{
  Hub *h = data;
  Client *c = g_new0(Client, 1);
  const char *cookie = soup_message_headers_get_list(
      soup_server_message_get_request_headers(msg), "Cookie");
  g_autoptr(GHashTable) cookies = cookie ? soup_header_parse_semi_param_list(cookie) : NULL;
  const char *token = cookies ? g_hash_table_lookup(cookies, OKNO_SESSION_COOKIE) : NULL;
  c->hub = h;
  c->refs = 1; /* the list's */
  c->staff = g_str_has_prefix(path, "/console/");
  c->ws = g_object_ref(ws);
  /* an operator's socket opened from another site's page (cross-site WebSocket
   * hijacking: the browser sends the cookie along) counts as signed out */
  if (!c->staff || same_origin(msg))
    c->session_token = g_strdup(token);
  c->ip = g_strdup(soup_server_message_get_remote_host(msg));
  okno_web_keep_open(h->web, msg);
  g_ptr_array_add(h->clients, c);
  soup_websocket_connection_set_max_incoming_payload_size(ws, 64 * 1024);
  /* pings keep the socket's idle timeout ([http] idle_timeout) from ending a quiet chat */
  soup_websocket_connection_set_keepalive_interval(
      ws, (guint)MAX(1, h->cfg->http_idle_timeout / 2));
  g_signal_connect(ws, "message", G_CALLBACK(on_message), c);
  g_signal_connect(ws, "closed", G_CALLBACK(on_closed), c);
  push(h, c, NULL, TRUE);
  okno_log("chat", "event=connected staff=%d", c->staff);
}

/* ---- pages ---- */

static void chat_page(OknoReq *req)
{
  JsonObject *o = json_object_new();
  json_object_set_boolean_member(o, "signed_in", req->session && strcmp(req->session->kind, "citizen") == 0);
  okno_req_page(req, 200, "chat", "Онлайн-чат", o);
}

static const OknoRoute routes[] = {
  {"GET", "/chat", 0, chat_page},
};

/* Main loop: another node changed chat `chat` (chat_relay.h). */
static void on_notice(gint64 chat, gint64 msg, gpointer data)
{
  Hub *h = data;
  OknoChatCmd cmd = {0};
  if (h->stopping)
    return;
  cmd.chat = chat;
  cmd.since = msg;
  push(h, NULL, &cmd, FALSE);
}

static void client_unref_list(gpointer p)
{
  client_unref(p);
}

void okno_chat_routes(OknoWeb *web)
{
  Hub *h = g_new0(Hub, 1);
  h->web = web;
  h->cfg = NULL;
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
  okno_console_chat_routes(web);
  h->cfg = okno_web_config(web);
  h->clients = g_ptr_array_new_with_free_func(client_unref_list);
  if (*h->cfg->chat_answers) {
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(h->cfg->chat_answers, &text, &len, &err) ||
        !(h->answers = okno_answers_parse(text, len, &err)))
      okno_log_warn("chat", "event=answers-not-loaded error=\"%s\"", err->message);
  }
  h->pool = g_thread_pool_new(work, h, 1, TRUE, NULL);
  h->depts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  h->relay = okno_chat_relay_new(h->cfg->store_url, on_notice, h);
  soup_server_add_websocket_handler(okno_web_soup(web), "/chat/ws", NULL, NULL, on_socket, h, NULL);
  soup_server_add_websocket_handler(okno_web_soup(web), "/console/chat/ws", NULL, NULL, on_socket,
                                    h, NULL);
  hub_of_process = h;
}

void okno_chat_stop(OknoWeb *web)
{
  Hub *h = hub_of_process;
  if (!h || h->web != web)
    return;
  hub_of_process = NULL;
  g_clear_pointer(&h->relay, okno_chat_relay_free);
  for (guint k = 0; k < h->clients->len; k++) {
    Client *x = h->clients->pdata[k];
    if (x->ws)
      soup_websocket_connection_close(x->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  }
  g_thread_pool_free(h->pool, FALSE, TRUE); /* the jobs under way finish */
  h->stopping = TRUE;
  while (g_main_context_pending(NULL))
    g_main_context_iteration(NULL, FALSE);
  for (guint k = 0; k < h->clients->len; k++) {
    Client *x = h->clients->pdata[k];
    if (x->ws)
      g_signal_handlers_disconnect_by_data(x->ws, x);
  }
  g_ptr_array_unref(h->clients);
  g_hash_table_unref(h->depts);
  okno_answers_free(h->answers);
  okno_store_close(h->store);
  g_free(h);
}
