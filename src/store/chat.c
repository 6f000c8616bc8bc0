/* chat.c: the web chat's conversations and messages (see chat.h). */
#include "store/chat.h"

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "store/keys.h"

#define CHAT_COLUMNS                                                                   \
  "c.id, c.status, c.operator, c.citizen, c.number, c.key_id, c.created_at, "          \
  "c.updated_at, (SELECT COALESCE(MAX(m.id), 0) FROM chat_messages m WHERE m.chat_id = c.id), " \
  "c.department"

void okno_chat_row_free(OknoChatRow *c)
{
  if (!c)
    return;
  g_free(c->status);
  g_free(c->operator);
  g_free(c->citizen);
  g_free(c->number);
  g_free(c->department);
  g_free(c);
}

void okno_chat_message_free(OknoChatMessage *m)
{
  if (!m)
    return;
  g_free(m->author);
  g_free(m->operator);
  g_free(m->text);
  g_free(m);
}

const char *okno_store_chat_node(void)
{
  static gsize once = 0;
  static char node[17];
  if (g_once_init_enter(&once)) {
    g_snprintf(node, sizeof node, "%08x%08x", g_random_int(), g_random_int());
    g_once_init_leave(&once, 1);
  }
  return node;
}

/* Tells the other nodes (PostgreSQL's NOTIFY on OKNO_CHAT_CHANNEL, delivered when the
 * current transaction commits, at once in autocommit) that chat `chat` changed:
 * `msg` > 0 a new message, 0 its state. Nothing on SQLite (one node). */
static gboolean notify(OknoStore *st, gint64 chat, gint64 msg, GError **error)
{
  g_autofree char *payload = NULL;
  g_autoptr(OknoRows) r = NULL;
  if (okno_db_is_sqlite(okno_store_db(st)))
    return TRUE;
  payload = g_strdup_printf("%s:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, okno_store_chat_node(),
                            chat, msg);
  r = okno_db_query(okno_store_db(st), "SELECT pg_notify('" OKNO_CHAT_CHANNEL "', $1)",
                    OKNO_PARAMS(OKNO_TEXT(payload)), error);
  return r != NULL;
}

/* After a change already committed (autocommit): a notice that fails is logged, not
 * an error of the change (the other nodes' pages get it on their next reconnect). */
static void notify_after(OknoStore *st, gint64 chat, gint64 msg)
{
  g_autoptr(GError) err = NULL;
  if (!notify(st, chat, msg, &err))
    okno_log_warn("chat", "event=notify-failed error=\"%s\"", err->message);
}

static char *token_hash(const char *token)
{
  return g_compute_checksum_for_string(G_CHECKSUM_SHA256, token ? token : "", -1);
}

static OknoChatRow *chat_from_row(const OknoRows *r, guint i)
{
  OknoChatRow *c = g_new0(OknoChatRow, 1);
  c->id = okno_rows_int(r, i, 0);
  c->status = g_strdup(okno_rows_text(r, i, 1) ? okno_rows_text(r, i, 1) : "");
  c->operator = g_strdup(okno_rows_text(r, i, 2) ? okno_rows_text(r, i, 2) : "");
  c->citizen = g_strdup(okno_rows_text(r, i, 3) ? okno_rows_text(r, i, 3) : "");
  c->number = g_strdup(okno_rows_text(r, i, 4) ? okno_rows_text(r, i, 4) : "");
  c->key_id = okno_rows_int(r, i, 5);
  c->created_at = okno_rows_int(r, i, 6);
  c->updated_at = okno_rows_int(r, i, 7);
  c->last_message = okno_rows_int(r, i, 8);
  c->department = g_strdup(okno_rows_text(r, i, 9) ? okno_rows_text(r, i, 9) : "");
  return c;
}

static GPtrArray *chats_query(OknoStore *st, const char *sql, const OknoParam *p, gsize n,
                              GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), sql, p, n, error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_chat_row_free);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_ptr_array_add(out, chat_from_row(r, i));
  return out;
}

gboolean okno_store_chat_create(OknoStore *st, const char *token, const char *citizen,
                                gint64 *id, GError **error)
{
  g_autofree char *hash = token_hash(token);
  g_autofree char *bidx = NULL;
  g_autofree char *sealed = NULL;
  g_autoptr(OknoRows) r = NULL;
  gint64 key_id = 0, now = okno_now();
  if (!okno_store_begin(st, error))
    return FALSE;
  if (!okno_store_key_new(st, &key_id, error))
    goto fail;
  if (citizen && *citizen) {
    bidx = okno_store_blind_email(citizen);
    if (!(sealed = okno_store_seal_text(st, key_id, citizen, error)))
      goto fail;
  }
  r = okno_db_query(okno_store_db(st),
                    "INSERT INTO chats(token_hash, status, citizen_bidx, citizen, key_id, "
                    "created_at, updated_at) VALUES($1, 'bot', $2, $3, $4, $5, $5) RETURNING id",
                    OKNO_PARAMS(OKNO_TEXT(hash), OKNO_TEXT(bidx ? bidx : ""),
                                OKNO_TEXT(sealed ? sealed : ""), OKNO_INT(key_id), OKNO_INT(now)),
                    error);
  if (!r || okno_rows_count(r) != 1)
    goto fail;
  *id = okno_rows_int(r, 0, 0);
  if (!notify(st, *id, 0, error))
    goto fail;
  return okno_store_commit(st, error);
fail:
  okno_store_rollback(st);
  if (error && !*error)
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "chat insert returned no id");
  return FALSE;
}

static OknoChatRow *chat_one(OknoStore *st, const char *where, const OknoParam *p, gsize n,
                             GError **error)
{
  g_autofree char *sql = g_strconcat("SELECT " CHAT_COLUMNS " FROM chats c WHERE ", where, NULL);
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), sql, p, n, error);
  if (!r || okno_rows_count(r) == 0)
    return NULL;
  return chat_from_row(r, 0);
}

OknoChatRow *okno_store_chat_get(OknoStore *st, gint64 id, GError **error)
{
  return chat_one(st, "c.id = $1", OKNO_PARAMS(OKNO_INT(id)), error);
}

OknoChatRow *okno_store_chat_by_token(OknoStore *st, const char *token, GError **error)
{
  g_autofree char *hash = token_hash(token);
  return chat_one(st, "c.token_hash = $1", OKNO_PARAMS(OKNO_TEXT(hash)), error);
}

gboolean okno_store_chat_add(OknoStore *st, gint64 chat_id, const char *author,
                             const char *operator, const char *text, gint64 *id,
                             GError **error)
{
  g_autofree char *sealed = NULL;
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(OknoRows) k = NULL;
  gint64 now = okno_now();
  if (!okno_store_begin(st, error))
    return FALSE;
  k = okno_db_query(okno_store_db(st), "SELECT key_id FROM chats WHERE id = $1",
                    OKNO_PARAMS(OKNO_INT(chat_id)), error);
  if (!k)
    goto fail;
  if (okno_rows_count(k) == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "chat %" G_GINT64_FORMAT " not found", chat_id);
    goto fail;
  }
  if (!(sealed = okno_store_seal_text(st, okno_rows_int(k, 0, 0), text, error)))
    goto fail;
  r = okno_db_query(okno_store_db(st),
                    "INSERT INTO chat_messages(chat_id, author, operator, text, created_at) "
                    "VALUES($1, $2, $3, $4, $5) RETURNING id",
                    OKNO_PARAMS(OKNO_INT(chat_id), OKNO_TEXT(author),
                                OKNO_TEXT(operator ? operator : ""), OKNO_TEXT(sealed),
                                OKNO_INT(now)),
                    error);
  if (!r || okno_rows_count(r) != 1)
    goto fail;
  *id = okno_rows_int(r, 0, 0);
  if (!okno_db_exec(okno_store_db(st), "UPDATE chats SET updated_at = $2 WHERE id = $1",
                    OKNO_PARAMS(OKNO_INT(chat_id), OKNO_INT(now)), error) ||
      !notify(st, chat_id, *id, error))
    goto fail;
  return okno_store_commit(st, error);
fail:
  okno_store_rollback(st);
  if (error && !*error)
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "chat message insert returned no id");
  return FALSE;
}

GPtrArray *okno_store_chat_messages(OknoStore *st, gint64 chat_id, gint64 after,
                                    guint limit, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT id, chat_id, author, operator, text, created_at FROM chat_messages "
      "WHERE chat_id = $1 AND id > $2 ORDER BY id LIMIT $3",
      OKNO_PARAMS(OKNO_INT(chat_id), OKNO_INT(after), OKNO_INT(limit)), error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_chat_message_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoChatMessage *m = g_new0(OknoChatMessage, 1);
    m->id = okno_rows_int(r, i, 0);
    m->chat_id = okno_rows_int(r, i, 1);
    m->author = g_strdup(okno_rows_text(r, i, 2) ? okno_rows_text(r, i, 2) : "");
    m->operator = g_strdup(okno_rows_text(r, i, 3) ? okno_rows_text(r, i, 3) : "");
    m->text = g_strdup(okno_rows_text(r, i, 4) ? okno_rows_text(r, i, 4) : "");
    m->created_at = okno_rows_int(r, i, 5);
    g_ptr_array_add(out, m);
  }
  return out;
}

gboolean okno_store_chat_set_status(OknoStore *st, gint64 chat_id, const char *status,
                                    const char *operator, const char *only_if,
                                    gboolean *changed, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE chats SET status = $2, operator = $3, updated_at = $4 WHERE id = $1 AND "
      "status <> 'closed' AND ($5 = '' OR status = $5) RETURNING id",
      OKNO_PARAMS(OKNO_INT(chat_id), OKNO_TEXT(status), OKNO_TEXT(operator ? operator : ""),
                  OKNO_INT(okno_now()), OKNO_TEXT(only_if ? only_if : "")),
      error);
  if (!r)
    return FALSE;
  *changed = okno_rows_count(r) > 0;
  if (*changed)
    notify_after(st, chat_id, 0);
  return TRUE;
}

gboolean okno_store_chat_set_number(OknoStore *st, gint64 chat_id, const char *number,
                                    GError **error)
{
  if (!okno_db_exec(okno_store_db(st), "UPDATE chats SET number = $2, updated_at = $3 WHERE id = $1",
                    OKNO_PARAMS(OKNO_INT(chat_id), OKNO_TEXT(number), OKNO_INT(okno_now())), error))
    return FALSE;
  notify_after(st, chat_id, 0);
  return TRUE;
}

gboolean okno_store_chat_set_department(OknoStore *st, gint64 chat_id, const char *department,
                                        GError **error)
{
  return okno_db_exec(okno_store_db(st), "UPDATE chats SET department = $2 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(chat_id), OKNO_TEXT(department ? department : "")),
                      error);
}

GPtrArray *okno_store_chat_open(OknoStore *st, guint limit, GError **error)
{
  return chats_query(st,
                     "SELECT " CHAT_COLUMNS " FROM chats c WHERE c.status <> 'closed' "
                     "ORDER BY c.id LIMIT $1",
                     OKNO_PARAMS(OKNO_INT(limit)), error);
}

GPtrArray *okno_store_chat_of_citizen(OknoStore *st, const char *email, guint limit,
                                      GError **error)
{
  g_autofree char *bidx = okno_store_blind_email(email);
  return chats_query(st,
                     "SELECT " CHAT_COLUMNS " FROM chats c WHERE c.citizen_bidx = $1 "
                     "ORDER BY c.id DESC LIMIT $2",
                     OKNO_PARAMS(OKNO_TEXT(bidx), OKNO_INT(limit)), error);
}
