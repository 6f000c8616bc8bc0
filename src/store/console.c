/* console.c (store): the rows behind the operator console (src/web/console.c):
 * answer templates per department, a staff member's live
 * sessions, and the threading data of an appeal's last inbound message. Portable SQL
 * over db.h like store.c; the contract is in store.h. */
#include "store/store.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

void okno_answer_template_free(OknoAnswerTemplate *t)
{
  if (!t)
    return;
  g_free(t->department);
  g_free(t->name);
  g_free(t->body);
  g_free(t);
}

gboolean okno_store_template_add(OknoStore *st, OknoAnswerTemplate *t, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "INSERT INTO answer_templates(department, name, body, created_at) "
      "VALUES($1, $2, $3, $4) ON CONFLICT (department, name) DO NOTHING RETURNING id",
      OKNO_PARAMS(T(t->department), T(t->name), T(t->body), OKNO_INT(okno_now())), error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Шаблон с таким названием в этом отделе уже есть.");
    return FALSE;
  }
  t->id = okno_rows_int(r, 0, 0);
  return TRUE;
}

static OknoAnswerTemplate *template_row(const OknoRows *r, guint i)
{
  OknoAnswerTemplate *t = g_new0(OknoAnswerTemplate, 1);
  t->id = okno_rows_int(r, i, 0);
  t->department = g_strdup(okno_rows_text(r, i, 1));
  t->name = g_strdup(okno_rows_text(r, i, 2));
  t->body = g_strdup(okno_rows_text(r, i, 3));
  return t;
}

GPtrArray *okno_store_template_list(OknoStore *st, const char *const *departments,
                                    GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT id, department, name, body FROM answer_templates ORDER BY department, name",
      OKNO_NO_PARAMS, error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_answer_template_free);
  for (guint i = 0; i < okno_rows_count(r); i++)
    if (!departments || g_strv_contains(departments, okno_rows_text(r, i, 1)))
      g_ptr_array_add(out, template_row(r, i));
  return out;
}

OknoAnswerTemplate *okno_store_template_get(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT id, department, name, body FROM answer_templates WHERE id = $1",
      OKNO_PARAMS(OKNO_INT(id)), error);
  return r && okno_rows_count(r) ? template_row(r, 0) : NULL;
}

gboolean okno_store_template_remove(OknoStore *st, gint64 id, GError **error)
{
  return okno_db_exec(okno_store_db(st), "DELETE FROM answer_templates WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id)), error);
}

void okno_session_info_free(OknoSessionInfo *s)
{
  if (!s)
    return;
  g_free(s->ip);
  g_free(s->user_agent);
  g_free(s);
}

GPtrArray *okno_store_session_list(OknoStore *st, const char *kind, const char *subject,
                                   gint64 now, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT id, created_at, last_seen, ip, user_agent FROM sessions WHERE kind = $1 "
      "AND subject = $2 AND revoked_at = 0 AND expires_at > $3 ORDER BY id DESC",
      OKNO_PARAMS(T(kind), T(subject), OKNO_INT(now)), error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_session_info_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoSessionInfo *s = g_new0(OknoSessionInfo, 1);
    s->id = okno_rows_int(r, i, 0);
    s->created_at = okno_rows_int(r, i, 1);
    s->last_seen = okno_rows_int(r, i, 2);
    s->ip = g_strdup(okno_rows_text(r, i, 3));
    s->user_agent = g_strdup(okno_rows_text(r, i, 4));
    g_ptr_array_add(out, s);
  }
  return out;
}

gboolean okno_store_session_revoke_id(OknoStore *st, gint64 id, const char *kind,
                                      const char *subject, gint64 now, gboolean *found,
                                      GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE sessions SET revoked_at = $4 WHERE id = $1 AND kind = $2 AND subject = $3 "
      "AND revoked_at = 0 RETURNING id",
      OKNO_PARAMS(OKNO_INT(id), T(kind), T(subject), OKNO_INT(now)), error);
  if (!r)
    return FALSE;
  *found = okno_rows_count(r) > 0;
  return TRUE;
}

gboolean okno_store_last_inbound(OknoStore *st, gint64 appeal_id, char **message_id,
                                 char ***references, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT message_id, meta FROM messages WHERE appeal_id = $1 AND direction = 'in' "
      "ORDER BY id DESC LIMIT 1",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func(g_free);
  *message_id = NULL;
  *references = NULL;
  if (!r)
    return FALSE;
  if (okno_rows_count(r)) {
    g_autoptr(JsonParser) p = json_parser_new();
    const char *meta = okno_rows_text(r, 0, 1);
    if (meta && json_parser_load_from_data(p, meta, -1, NULL) &&
        JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
      JsonObject *o = json_node_get_object(json_parser_get_root(p));
      JsonNode *n = json_object_get_member(o, "references");
      if (n && JSON_NODE_HOLDS_ARRAY(n)) {
        JsonArray *a = json_node_get_array(n);
        for (guint i = 0; i < json_array_get_length(a); i++) {
          const char *v = json_node_get_string(json_array_get_element(a, i));
          if (v && *v)
            g_ptr_array_add(refs, g_strdup(v));
        }
      }
    }
    *message_id = g_strdup(okno_rows_text(r, 0, 0) ? okno_rows_text(r, 0, 0) : "");
  } else {
    *message_id = g_strdup("");
  }
  g_ptr_array_add(refs, NULL);
  *references = (char **)g_ptr_array_free(g_steal_pointer(&refs), FALSE);
  return TRUE;
}

GBytes *okno_store_attachment_get(OknoStore *st, gint64 appeal_id, gint64 k, char **filename,
                                  char **content_type, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  GBytes *data;
  *filename = *content_type = NULL;
  if (k < 1)
    return NULL;
  r = okno_db_query(okno_store_db(st),
                    "SELECT a.filename, a.content_type, a.data FROM attachments a "
                    "JOIN messages m ON m.id = a.message_ref WHERE m.appeal_id = $1 "
                    "AND a.refused IS NULL ORDER BY m.id, a.id LIMIT 1 OFFSET $2",
                    OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(k - 1)), error);
  if (!r || !okno_rows_count(r))
    return NULL;
  data = okno_rows_blob(r, 0, 2);
  if (!data)
    data = g_bytes_new(NULL, 0);
  *filename = g_strdup(okno_rows_text(r, 0, 0));
  *content_type = g_strdup(okno_rows_text(r, 0, 1));
  return data;
}

gboolean okno_store_appeal_merge(OknoStore *st, gint64 dup_id, gint64 dup_version,
                                 gint64 target_id, const char *target_number,
                                 gint64 *target_version, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gint64 now = okno_now();
  g_autoptr(OknoRows) dup = okno_db_query(
      db,
      "UPDATE appeals SET status = 'closed', related = $3, version = version + 1, "
      "updated_at = $4 WHERE id = $1 AND version = $2 RETURNING version",
      OKNO_PARAMS(OKNO_INT(dup_id), OKNO_INT(dup_version), T(target_number), OKNO_INT(now)),
      error);
  g_autoptr(OknoRows) target = NULL;
  if (!dup)
    return FALSE;
  if (!okno_rows_count(dup)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    return FALSE;
  }
  if (!okno_db_exec(db, "UPDATE messages SET appeal_id = $2 WHERE appeal_id = $1",
                    OKNO_PARAMS(OKNO_INT(dup_id), OKNO_INT(target_id)), error))
    return FALSE;
  target = okno_db_query(db,
                         "UPDATE appeals SET version = version + 1, updated_at = $2 "
                         "WHERE id = $1 RETURNING version",
                         OKNO_PARAMS(OKNO_INT(target_id), OKNO_INT(now)), error);
  if (!target)
    return FALSE;
  if (target_version && okno_rows_count(target))
    *target_version = okno_rows_int(target, 0, 0);
  return TRUE;
}

gboolean okno_store_appeal_split(OknoStore *st, gint64 from_id, gint64 from_version,
                                 const gint64 *indexes, guint n, OknoAppeal *fresh,
                                 gint64 *new_from_version, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gint64 now = okno_now();
  g_autoptr(OknoRows) msgs = NULL, from = NULL;
  g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  guint inbound = 0;
  if (n == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Отметьте входящие сообщения для выделения.");
    return FALSE;
  }
  from = okno_db_query(db,
                       "UPDATE appeals SET version = version + 1, updated_at = $3 "
                       "WHERE id = $1 AND version = $2 RETURNING version",
                       OKNO_PARAMS(OKNO_INT(from_id), OKNO_INT(from_version), OKNO_INT(now)),
                       error);
  if (!from)
    return FALSE;
  if (!okno_rows_count(from)) {
    g_set_error_literal(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    return FALSE;
  }
  msgs = okno_db_query(db, "SELECT id, direction FROM messages WHERE appeal_id = $1 ORDER BY id",
                       OKNO_PARAMS(OKNO_INT(from_id)), error);
  if (!msgs)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(msgs); i++)
    inbound += strcmp(okno_rows_text(msgs, i, 1), "in") == 0;
  for (guint i = 0; i < n; i++) {
    gint64 id;
    gboolean seen = FALSE;
    if (indexes[i] < 1 || indexes[i] > (gint64)okno_rows_count(msgs) ||
        strcmp(okno_rows_text(msgs, (guint)indexes[i] - 1, 1), "in") != 0) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "Выделить можно только входящие сообщения этого обращения.");
      return FALSE;
    }
    id = okno_rows_int(msgs, (guint)indexes[i] - 1, 0);
    for (guint j = 0; j < ids->len; j++)
      seen |= g_array_index(ids, gint64, j) == id;
    if (!seen)
      g_array_append_val(ids, id);
  }
  if (ids->len >= inbound) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Нельзя выделить все входящие сообщения: в обращении должно остаться хотя бы одно.");
    return FALSE;
  }
  if (!okno_store_appeal_insert(st, fresh, error) ||
      (((fresh->department && *fresh->department) || fresh->assignee) &&
       !okno_store_appeal_assign(st, fresh->id, 0, fresh->department, fresh->assignee,
                                 &fresh->version, error)))
    return FALSE;
  for (guint j = 0; j < ids->len; j++)
    if (!okno_db_exec(db, "UPDATE messages SET appeal_id = $2 WHERE id = $1 AND appeal_id = $3",
                      OKNO_PARAMS(OKNO_INT(g_array_index(ids, gint64, j)), OKNO_INT(fresh->id),
                                  OKNO_INT(from_id)),
                      error))
      return FALSE;
  if (new_from_version)
    *new_from_version = okno_rows_int(from, 0, 0);
  return TRUE;
}
