/* cabinet.c: the store operations of the citizen cabinet (see cabinet.h), in portable
 * SQL over the driver (db.h), one statement each; the list is a keyset page like the
 * console's queues (okno_page_from_rows, src/store/queue.c). */
#include "store/cabinet.h"

#include "store/appeal_row.h"

#include "core/error.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")
#define MAX_MOVES 16 /* a chain of address moves longer than this is not followed */

static char *dup_or_empty(const char *s) { return g_strdup(s ? s : ""); }

/* ---- one-time codes ---- */

void okno_login_code_free(OknoLoginCode *c)
{
  if (!c)
    return;
  g_free(c->email);
  g_free(c->purpose);
  g_free(c->owner);
  g_free(c->code_hash);
  g_free(c);
}

gboolean okno_store_code_insert(OknoStore *st, const OknoLoginCode *c, GError **error)
{
  OknoDb *db = okno_store_db(st);
  return okno_db_exec(db,
                      "UPDATE login_codes SET used_at = $4 WHERE email = $1 AND purpose = $2 "
                      "AND owner = $3 AND used_at = 0",
                      OKNO_PARAMS(T(c->email), T(c->purpose), T(c->owner), OKNO_INT(c->created_at)),
                      error) &&
         okno_db_exec(db,
                      "INSERT INTO login_codes(email, purpose, owner, code_hash, created_at, "
                      "expires_at) VALUES($1, $2, $3, $4, $5, $6)",
                      OKNO_PARAMS(T(c->email), T(c->purpose), T(c->owner), T(c->code_hash),
                                  OKNO_INT(c->created_at), OKNO_INT(c->expires_at)),
                      error);
}

OknoLoginCode *okno_store_code_current(OknoStore *st, const char *email, const char *purpose,
                                       const char *owner, GError **error)
{
  OknoLoginCode *c;
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT id, email, purpose, owner, code_hash, created_at, expires_at, attempts "
      "FROM login_codes WHERE email = $1 AND purpose = $2 AND owner = $3 AND used_at = 0 "
      "ORDER BY id DESC LIMIT 1",
      OKNO_PARAMS(T(email), T(purpose), T(owner)), error);
  if (!r || okno_rows_count(r) == 0)
    return NULL;
  c = g_new0(OknoLoginCode, 1);
  c->id = okno_rows_int(r, 0, 0);
  c->email = dup_or_empty(okno_rows_text(r, 0, 1));
  c->purpose = dup_or_empty(okno_rows_text(r, 0, 2));
  c->owner = dup_or_empty(okno_rows_text(r, 0, 3));
  c->code_hash = dup_or_empty(okno_rows_text(r, 0, 4));
  c->created_at = okno_rows_int(r, 0, 5);
  c->expires_at = okno_rows_int(r, 0, 6);
  c->attempts = okno_rows_int(r, 0, 7);
  return c;
}

gboolean okno_store_code_attempt(OknoStore *st, gint64 id, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE login_codes SET attempts = attempts + 1 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id)), error);
}

gboolean okno_store_code_use(OknoStore *st, gint64 id, gint64 now, gboolean *won,
                             GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE login_codes SET used_at = $2 WHERE id = $1 AND used_at = 0 RETURNING id",
      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(now)), error);
  if (!r)
    return FALSE;
  *won = okno_rows_count(r) == 1;
  return TRUE;
}

gint64 okno_store_code_count(OknoStore *st, const char *email, gint64 since, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT count(*) FROM login_codes WHERE email = $1 AND created_at >= $2",
      OKNO_PARAMS(T(email), OKNO_INT(since)), error);
  return r ? okno_rows_int(r, 0, 0) : 0;
}

/* ---- address moves ---- */

gboolean okno_store_contact_move(OknoStore *st, const char *old_email, const char *new_email,
                                 gint64 now, GError **error)
{
  OknoDb *db = okno_store_db(st);
  return okno_db_exec(db, "DELETE FROM contact_moves WHERE email = $1",
                      OKNO_PARAMS(T(new_email)), error) &&
         okno_db_exec(db,
                      "INSERT INTO contact_moves(email, moved_to, at) VALUES($1, $2, $3) "
                      "ON CONFLICT(email) DO UPDATE SET moved_to = excluded.moved_to, at = excluded.at",
                      OKNO_PARAMS(T(old_email), T(new_email), OKNO_INT(now)), error);
}

char **okno_store_contact_owned(OknoStore *st, const char *subject, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(OknoRows) away = okno_db_query(db, "SELECT 1 FROM contact_moves WHERE email = $1",
                                           OKNO_PARAMS(T(subject)), error);
  if (!away)
    return NULL;
  if (okno_rows_count(away) == 0)
    g_ptr_array_add(out, g_strdup(subject));
  /* breadth first over "moved to": each address has one row, so no address repeats
   * unless the rows form a cycle, which the bound and the membership check stop */
  for (guint i = 0; i < out->len && out->len < MAX_MOVES; i++) {
    g_autoptr(OknoRows) r = okno_db_query(
        db, "SELECT email FROM contact_moves WHERE moved_to = $1 ORDER BY email",
        OKNO_PARAMS(T(out->pdata[i])), error);
    if (!r)
      return NULL;
    for (guint k = 0; k < okno_rows_count(r) && out->len < MAX_MOVES; k++) {
      const char *e = okno_rows_text(r, k, 0);
      gboolean seen = FALSE;
      for (guint j = 0; j < out->len && !seen; j++)
        seen = g_strcmp0(out->pdata[j], e) == 0;
      if (!seen && g_strcmp0(e, subject) != 0)
        g_ptr_array_add(out, g_strdup(e));
    }
  }
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/* ---- the list ---- */

OknoPage *okno_store_cabinet_list(OknoStore *st, const char *const *emails,
                                  const OknoCabinetFilter *f, gint64 *total, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(GArray) params = g_array_new(FALSE, TRUE, sizeof(OknoParam));
  g_autoptr(GString) where = g_string_new("WHERE from_email IN (");
  g_autofree char *count_sql = NULL, *list_sql = NULL;
  g_autoptr(OknoRows) c = NULL, r = NULL;
  gboolean back = FALSE, cursor = FALSE;
  gint64 key = 0, id = 0;
  OknoParam p;
  guint n = 0;

  *total = 0;
  if (f->after || f->before) {
    back = !f->after;
    cursor = TRUE;
    if (!okno_page_token_parse(back ? f->before : f->after, OKNO_SORT_RECEIVED, &key, &id)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "Ссылка на страницу устарела: откройте список сначала.");
      return NULL;
    }
  }
  for (; emails && *emails; emails++) {
    p = OKNO_TEXT(*emails);
    g_array_append_val(params, p);
    g_string_append_printf(where, "%s$%u", n ? ", " : "", n + 1);
    n++;
  }
  if (n == 0) {
    OknoPage *empty = g_new0(OknoPage, 1);
    empty->appeals = g_ptr_array_new_with_free_func((GDestroyNotify)okno_appeal_free);
    return empty;
  }
  g_string_append_printf(where, ") AND ($%u = '' OR status = $%u) AND received_at >= $%u "
                                "AND received_at < $%u",
                         n + 1, n + 1, n + 2, n + 3);
  p = T(f->status);
  g_array_append_val(params, p);
  p = OKNO_INT(f->since);
  g_array_append_val(params, p);
  p = OKNO_INT(f->until > 0 ? f->until : G_MAXINT64);
  g_array_append_val(params, p);
  count_sql = g_strdup_printf("SELECT count(*) FROM appeals %s", where->str);
  c = okno_db_query(db, count_sql, (const OknoParam *)params->data, params->len, error);
  if (!c)
    return NULL;
  *total = okno_rows_int(c, 0, 0);
  list_sql = g_strdup_printf("SELECT " OKNO_APPEAL_COLUMNS " FROM appeals %s "
                             "AND (received_at, id) %s ($%u, $%u) "
                             "ORDER BY received_at %s, id %s LIMIT $%u",
                             where->str, back ? ">" : "<", n + 4, n + 5, back ? "ASC" : "DESC",
                             back ? "ASC" : "DESC", n + 6);
  p = OKNO_INT(cursor ? key : G_MAXINT64);
  g_array_append_val(params, p);
  p = OKNO_INT(cursor ? id : G_MAXINT64);
  g_array_append_val(params, p);
  p = OKNO_INT((gint64)f->limit + 1);
  g_array_append_val(params, p);
  r = okno_db_query(db, list_sql, (const OknoParam *)params->data, params->len, error);
  if (!r)
    return NULL;
  if (back && okno_rows_count(r) <= f->limit) {
    OknoCabinetFilter first = *f;
    first.after = first.before = NULL;
    return okno_store_cabinet_list(st, emails - n, &first, total, error);
  }
  return okno_page_from_rows(r, f->limit, OKNO_SORT_RECEIVED, cursor, back, error);
}

/* ---- the card ---- */

static void file_free(OknoCabinetFile *f)
{
  g_free(f->filename);
  g_free(f->content_type);
  g_free(f->refused);
  g_free(f);
}

static void message_free(OknoCabinetMessage *m)
{
  g_free(m->direction);
  g_free(m->message_id);
  g_free(m->recipient);
  g_free(m->subject);
  g_free(m->text);
  g_ptr_array_unref(m->files);
  g_free(m);
}

GPtrArray *okno_store_cabinet_messages(OknoStore *st, gint64 appeal_id, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) r = okno_db_query(
      db,
      "SELECT id, direction, message_id, subject, text, automatic, created_at, recipient "
      "FROM messages WHERE appeal_id = $1 ORDER BY id",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  g_autoptr(OknoRows) f = r ? okno_db_query(
      db,
      "SELECT t.id, t.message_ref, t.filename, t.content_type, t.size, t.refused "
      "FROM attachments t JOIN messages m ON m.id = t.message_ref WHERE m.appeal_id = $1 "
      "ORDER BY t.id",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error) : NULL;
  GPtrArray *out;
  if (!f)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)message_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoCabinetMessage *m = g_new0(OknoCabinetMessage, 1);
    m->id = okno_rows_int(r, i, 0);
    m->direction = dup_or_empty(okno_rows_text(r, i, 1));
    m->message_id = dup_or_empty(okno_rows_text(r, i, 2));
    m->subject = dup_or_empty(okno_rows_text(r, i, 3));
    m->text = dup_or_empty(okno_rows_text(r, i, 4));
    m->automatic = okno_rows_int(r, i, 5) != 0;
    m->created_at = okno_rows_int(r, i, 6);
    m->recipient = dup_or_empty(okno_rows_text(r, i, 7));
    m->files = g_ptr_array_new_with_free_func((GDestroyNotify)file_free);
    for (guint k = 0; k < okno_rows_count(f); k++) {
      OknoCabinetFile *a;
      if (okno_rows_int(f, k, 1) != m->id)
        continue;
      a = g_new0(OknoCabinetFile, 1);
      a->id = okno_rows_int(f, k, 0);
      a->filename = dup_or_empty(okno_rows_text(f, k, 2));
      a->content_type = dup_or_empty(okno_rows_text(f, k, 3));
      a->size = okno_rows_int(f, k, 4);
      a->refused = okno_rows_is_null(f, k, 5) ? NULL : dup_or_empty(okno_rows_text(f, k, 5));
      g_ptr_array_add(m->files, a);
    }
    g_ptr_array_add(out, m);
  }
  return out;
}

static void event_free(OknoCabinetEvent *e)
{
  g_free(e->kind);
  g_free(e->detail);
  g_free(e);
}

GPtrArray *okno_store_cabinet_events(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT at, kind, detail FROM events WHERE appeal_id = $1 ORDER BY id",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)event_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoCabinetEvent *e = g_new0(OknoCabinetEvent, 1);
    e->at = okno_rows_int(r, i, 0);
    e->kind = dup_or_empty(okno_rows_text(r, i, 1));
    e->detail = dup_or_empty(okno_rows_text(r, i, 2));
    g_ptr_array_add(out, e);
  }
  return out;
}

GBytes *okno_store_cabinet_file(OknoStore *st, gint64 appeal_id, gint64 id, char **filename,
                                char **content_type, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT t.data, t.filename, t.content_type FROM attachments t "
      "JOIN messages m ON m.id = t.message_ref "
      "WHERE t.id = $1 AND m.appeal_id = $2 AND t.refused IS NULL AND t.data IS NOT NULL",
      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(appeal_id)), error);
  if (!r || okno_rows_count(r) == 0)
    return NULL;
  *filename = dup_or_empty(okno_rows_text(r, 0, 1));
  *content_type = dup_or_empty(okno_rows_text(r, 0, 2));
  return okno_rows_blob(r, 0, 0);
}

/* ---- ratings ---- */

gboolean okno_store_rating_insert(OknoStore *st, gint64 appeal_id, gint64 score,
                                  const char *comment, const char *email, gint64 now,
                                  gboolean *fresh, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "INSERT INTO ratings(appeal_id, score, comment, email, created_at) "
      "VALUES($1, $2, $3, $4, $5) ON CONFLICT(appeal_id) DO NOTHING RETURNING appeal_id",
      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(score), T(comment), T(email), OKNO_INT(now)),
      error);
  if (!r)
    return FALSE;
  *fresh = okno_rows_count(r) == 1;
  return TRUE;
}

gboolean okno_store_rating_get(OknoStore *st, gint64 appeal_id, gint64 *score, char **comment,
                               gint64 *at, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT score, comment, created_at FROM ratings WHERE appeal_id = $1",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  if (!r || okno_rows_count(r) == 0)
    return FALSE;
  *score = okno_rows_int(r, 0, 0);
  *comment = dup_or_empty(okno_rows_text(r, 0, 1));
  *at = okno_rows_int(r, 0, 2);
  return TRUE;
}
