/* cabinet.c: the store operations of the citizen cabinet (see cabinet.h), in portable
 * SQL over the driver (db.h), one statement each; the list is a keyset page like the
 * console's queues (okno_page_from_rows, src/store/queue.c). */
#include "store/cabinet.h"

#include <string.h>

#include "store/keys.h"

#include "store/appeal_row.h"

#include "core/error.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")
#define MAX_MOVES 16 /* a chain of address moves longer than this is not followed */

static char *dup_or_empty(const char *s) { return g_strdup(s ? s : ""); }

/* ---- one-time codes ---- */

/* A code's address and owner (the old address of an address change) are kept only as
 * blind indexes (docs/crypto.md): they are looked up, never read back. */
gboolean okno_store_code_insert(OknoStore *st, const OknoLoginCode *c, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autofree char *bidx = okno_store_blind_email(c->email);
  g_autofree char *owner = c->owner && *c->owner ? okno_store_blind_email(c->owner) : g_strdup("");
  return okno_db_exec(db,
                      "UPDATE login_codes SET used_at = $4 WHERE email_bidx = $1 AND purpose = $2 "
                      "AND owner = $3 AND used_at = 0",
                      OKNO_PARAMS(OKNO_TEXT(bidx), T(c->purpose), OKNO_TEXT(owner),
                                  OKNO_INT(c->created_at)),
                      error) &&
         okno_db_exec(db,
                      "INSERT INTO login_codes(email_bidx, purpose, owner, code_hash, created_at, "
                      "expires_at) VALUES($1, $2, $3, $4, $5, $6)",
                      OKNO_PARAMS(OKNO_TEXT(bidx), T(c->purpose), OKNO_TEXT(owner), T(c->code_hash),
                                  OKNO_INT(c->created_at), OKNO_INT(c->expires_at)),
                      error);
}

static const OknoField code_fields[] = {
  OKNO_FIELD(OknoLoginCode, id, "id", OKNO_F_INT),
  OKNO_FIELD(OknoLoginCode, purpose, "purpose", OKNO_F_TEXT),
  OKNO_FIELD(OknoLoginCode, code_hash, "code_hash", OKNO_F_TEXT),
  OKNO_FIELD(OknoLoginCode, created_at, "created_at", OKNO_F_INT),
  OKNO_FIELD(OknoLoginCode, expires_at, "expires_at", OKNO_F_INT),
  OKNO_FIELD(OknoLoginCode, attempts, "attempts", OKNO_F_INT),
};
static const OknoRecordType code_type =
    OKNO_RECORD_TYPE(OknoLoginCode, code_fields, okno_login_code_free);

void okno_login_code_free(OknoLoginCode *l)
{
  if (l) { /* not columns: the addresses the code was found by */
    g_free(l->email);
    g_free(l->owner);
  }
  okno_record_free(&code_type, l);
}

OknoLoginCode *okno_store_code_current(OknoStore *st, const char *email, const char *purpose,
                                       const char *owner, GError **error)
{
  static gsize sql;
  g_autofree char *bidx = okno_store_blind_email(email);
  g_autofree char *owner_bidx = owner && *owner ? okno_store_blind_email(owner) : g_strdup("");
  OknoLoginCode *c = okno_db_record(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &code_type,
                      " FROM login_codes WHERE email_bidx = $1 AND purpose = $2 AND owner = $3 "
                      "AND used_at = 0 ORDER BY id DESC LIMIT 1"),
      OKNO_PARAMS(OKNO_TEXT(bidx), T(purpose), OKNO_TEXT(owner_bidx)), &code_type, error);
  /* the row keeps no address: the record gives back the ones it was found by */
  if (c) {
    c->email = g_strdup(email ? email : "");
    c->owner = g_strdup(owner ? owner : "");
  }
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
  g_autofree char *bidx = okno_store_blind_email(email);
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT count(*) FROM login_codes WHERE email_bidx = $1 AND created_at >= $2",
      OKNO_PARAMS(OKNO_TEXT(bidx), OKNO_INT(since)), error);
  return r ? okno_rows_int(r, 0, 0) : 0;
}

/* ---- address moves ---- */

/* A move is keyed by the blind indexes of both addresses; the old address, which
 * okno_store_contact_owned gives back, is sealed beside its index (docs/crypto.md). */
gboolean okno_store_contact_move(OknoStore *st, const char *old_email, const char *new_email,
                                 gint64 now, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autofree char *old_bidx = okno_store_blind_email(old_email);
  g_autofree char *new_bidx = okno_store_blind_email(new_email);
  g_autofree char *sealed = okno_store_seal_secret(st, old_email ? old_email : "", error);
  return sealed &&
         okno_db_exec(db, "DELETE FROM contact_moves WHERE email_bidx = $1",
                      OKNO_PARAMS(OKNO_TEXT(new_bidx)), error) &&
         okno_db_exec(db,
                      "INSERT INTO contact_moves(email_bidx, moved_bidx, email, at) "
                      "VALUES($1, $2, $3, $4) ON CONFLICT(email_bidx) DO UPDATE SET "
                      "moved_bidx = excluded.moved_bidx, email = excluded.email, at = excluded.at",
                      OKNO_PARAMS(OKNO_TEXT(old_bidx), OKNO_TEXT(new_bidx), OKNO_TEXT(sealed),
                                  OKNO_INT(now)),
                      error);
}

/* Adds to `out` the addresses of `r`'s rows (column `col`) not there yet nor `subject`,
 * while `out` holds fewer than MAX_MOVES. */
static void add_moved(GPtrArray *out, const char *subject, const OknoRows *r, guint col)
{
  for (guint k = 0; k < okno_rows_count(r) && out->len < MAX_MOVES; k++) {
    const char *e = okno_rows_text(r, k, col);
    gboolean seen = FALSE;
    for (guint j = 0; j < out->len && !seen; j++)
      seen = g_ascii_strcasecmp(out->pdata[j], e) == 0;
    if (!seen && g_ascii_strcasecmp(e, subject) != 0)
      g_ptr_array_add(out, g_strdup(e));
  }
}

char **okno_store_contact_owned(OknoStore *st, const char *subject, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *bidx = okno_store_blind_email(subject);
  /* one round trip for the subject (issue 18 item 4: the cabinet list ran four
   * statements): whether it moved away (a row of its own, first column 1) and the
   * addresses moved to it (first column 0), in email_bidx order */
  g_autoptr(OknoRows) first = okno_db_query_prepared(
      db,
      "SELECT 1, email, email_bidx FROM contact_moves WHERE email_bidx = $1 UNION ALL "
      "SELECT 0, email, email_bidx FROM contact_moves WHERE moved_bidx = $1 ORDER BY 3",
      OKNO_PARAMS(OKNO_TEXT(bidx)), error);
  if (!first)
    return NULL;
  for (guint k = 0; k < okno_rows_count(first); k++)
    if (okno_rows_int(first, k, 0) == 1) { /* moved away: owns nothing */
      g_ptr_array_add(out, NULL);
      return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
    }
  g_ptr_array_add(out, g_strdup(subject));
  add_moved(out, subject, first, 1);
  /* then breadth first over "moved to": each address has one row, so no address
   * repeats unless the rows form a cycle, which the bound and the membership check
   * stop; the order is the rows' (the addresses are sealed: no ORDER BY on them) */
  for (guint i = 1; i < out->len && out->len < MAX_MOVES; i++) {
    g_autofree char *to = okno_store_blind_email(out->pdata[i]);
    g_autoptr(OknoRows) r = okno_db_query(
        db, "SELECT email FROM contact_moves WHERE moved_bidx = $1 ORDER BY email_bidx",
        OKNO_PARAMS(OKNO_TEXT(to)), error);
    if (!r)
      return NULL;
    add_moved(out, subject, r, 0);
  }
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/* ---- the list ---- */

/* okno_store_cabinet_list; when `moves` is not NULL, the same statement also counts
 * the rows of contact_moves that name the first address (as moved away or moved to),
 * into *moves, or -1 when the page has no row to carry the count. */
static OknoPage *cabinet_page(OknoStore *st, const char *const *emails,
                              const OknoCabinetFilter *f, gint64 *total, gint64 *moves,
                              GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(GArray) params = g_array_new(FALSE, TRUE, sizeof(OknoParam));
  g_autoptr(GString) where = g_string_new("WHERE from_bidx IN (");
  g_autoptr(GPtrArray) blinded = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *count_sql = NULL, *count_col = NULL, *list_sql = NULL;
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
    g_ptr_array_add(blinded, okno_store_blind_email(*emails));
    p = OKNO_TEXT(blinded->pdata[blinded->len - 1]);
    g_array_append_val(params, p);
    g_string_append_printf(where, "%s$%u", n ? ", " : "", n + 1);
    n++;
  }
  if (n == 0) {
    OknoPage *empty = g_new0(OknoPage, 1);
    empty->appeals = g_ptr_array_new_with_free_func((GDestroyNotify)okno_appeal_free);
    return empty;
  }
  g_string_append_printf(where, ") AND queue <> 'spam' AND ($%u = '' OR status = $%u) "
                                "AND received_at >= $%u AND received_at < $%u",
                         n + 1, n + 1, n + 2, n + 3);
  p = T(f->status);
  g_array_append_val(params, p);
  p = OKNO_INT(f->since);
  g_array_append_val(params, p);
  p = OKNO_INT(f->until > 0 ? f->until : G_MAXINT64);
  g_array_append_val(params, p);
  /* the page and its total in one round trip (issue 18 item 4). A first page that
   * is not full holds every match, so its row count is the total: its statement
   * counts nothing (the page of a citizen's few appeals, the common case, reads its
   * rows once); a page after a cursor carries the count as an uncorrelated
   * subquery, computed once, beside each row, and a full first page asks for it in
   * a second statement */
  count_sql = g_strdup_printf("SELECT count(*) FROM appeals %s", where->str);
  count_col = cursor ? g_strdup_printf("(%s)", count_sql) : g_strdup("-1");
  list_sql = g_strdup_printf("SELECT " OKNO_APPEAL_COLUMNS ", %s%s FROM appeals %s "
                             "AND (received_at, id) %s ($%u, $%u) "
                             "ORDER BY received_at %s, id %s LIMIT $%u",
                             count_col,
                             moves ? ", (SELECT count(*) FROM contact_moves WHERE email_bidx = "
                                     "$1) + (SELECT count(*) FROM contact_moves WHERE "
                                     "moved_bidx = $1)"
                                   : "",
                             where->str, back ? ">" : "<", n + 4, n + 5,
                             back ? "ASC" : "DESC", back ? "ASC" : "DESC", n + 6);
  p = OKNO_INT(cursor ? key : G_MAXINT64);
  g_array_append_val(params, p);
  p = OKNO_INT(cursor ? id : G_MAXINT64);
  g_array_append_val(params, p);
  p = OKNO_INT((gint64)f->limit + 1);
  g_array_append_val(params, p);
  /* prepared (db.h): a handful of texts (how many contacts, a cursor or not), each
   * read through appeals_from_bidx whatever the values */
  r = okno_db_query_prepared(db, list_sql, (const OknoParam *)params->data, params->len,
                             error);
  if (!r)
    return NULL;
  if (moves)
    *moves = okno_rows_count(r) > 0 ? okno_rows_int(r, 0, OKNO_APPEAL_N_FIELDS + 1) : -1;
  if (!cursor && okno_rows_count(r) <= f->limit) {
    *total = okno_rows_count(r); /* the whole list on one page (0: nothing matches) */
  } else if (okno_rows_count(r) > 0 && cursor) {
    *total = okno_rows_int(r, 0, OKNO_APPEAL_N_FIELDS);
  } else { /* a full first page, or no row to carry it: the page is past the end */
    c = okno_db_query(db, count_sql, (const OknoParam *)params->data, n + 3, error);
    if (!c)
      return NULL;
    *total = okno_rows_int(c, 0, 0);
  }
  if (back && okno_rows_count(r) <= f->limit) {
    OknoCabinetFilter first = *f;
    first.after = first.before = NULL;
    return cabinet_page(st, emails - n, &first, total, moves, error);
  }
  return okno_page_from_rows(r, f->limit, OKNO_SORT_RECEIVED, cursor, back, error);
}

OknoPage *okno_store_cabinet_list(OknoStore *st, const char *const *emails,
                                  const OknoCabinetFilter *f, gint64 *total, GError **error)
{
  return cabinet_page(st, emails, f, total, NULL, error);
}

OknoPage *okno_store_cabinet_list_own(OknoStore *st, const char *subject,
                                      const OknoCabinetFilter *f, gint64 *total, GError **error)
{
  const char *alone[] = {subject ? subject : "", NULL};
  g_auto(GStrv) owned = NULL;
  gint64 moves = 0;
  /* first as if no address moved, asking in the same statement whether one did */
  g_autoptr(OknoPage) page = cabinet_page(st, alone, f, total, &moves, error);
  if (!page || moves == 0)
    return g_steal_pointer(&page);
  owned = okno_store_contact_owned(st, alone[0], error);
  if (!owned)
    return NULL;
  /* no row told: the page is right if the cabinet holds the subject alone */
  if (moves < 0 && g_strv_length(owned) == 1 && strcmp(owned[0], alone[0]) == 0)
    return g_steal_pointer(&page);
  return cabinet_page(st, (const char *const *)owned, f, total, NULL, error);
}

/* ---- the card ---- */

#define FILE_EXTRA ", t.message_ref, t.refused"

static void file_free(OknoCabinetFile *f);
/* An attachment's columns; then its message and why it was refused (NULL: kept),
 * which the record holds otherwise (FILE_EXTRA). */
static const OknoField file_fields[] = {
  OKNO_FIELD(OknoCabinetFile, id, "t.id", OKNO_F_INT),
  OKNO_FIELD(OknoCabinetFile, filename, "t.filename", OKNO_F_TEXT),
  OKNO_FIELD(OknoCabinetFile, content_type, "t.content_type", OKNO_F_TEXT),
  OKNO_FIELD(OknoCabinetFile, size, "t.size", OKNO_F_INT),
};
static const OknoRecordType file_type =
    OKNO_RECORD_TYPE(OknoCabinetFile, file_fields, file_free);

static void file_free(OknoCabinetFile *f)
{
  if (f)
    g_free(f->refused);
  okno_record_free(&file_type, f);
}

static void message_free(OknoCabinetMessage *m);
static const OknoField message_fields[] = {
  OKNO_FIELD(OknoCabinetMessage, id, "id", OKNO_F_INT),
  OKNO_FIELD(OknoCabinetMessage, direction, "direction", OKNO_F_TEXT),
  OKNO_FIELD(OknoCabinetMessage, message_id, "message_id", OKNO_F_TEXT),
  OKNO_FIELD(OknoCabinetMessage, recipient, "recipient", OKNO_F_TEXT),
  OKNO_FIELD(OknoCabinetMessage, subject, "subject", OKNO_F_TEXT),
  OKNO_FIELD(OknoCabinetMessage, text, "text", OKNO_F_TEXT),
  OKNO_FIELD(OknoCabinetMessage, automatic, "automatic", OKNO_F_BOOL),
  OKNO_FIELD(OknoCabinetMessage, created_at, "created_at", OKNO_F_INT),
};
static const OknoRecordType message_type =
    OKNO_RECORD_TYPE(OknoCabinetMessage, message_fields, message_free);

static void message_free(OknoCabinetMessage *m)
{
  if (m)
    g_clear_pointer(&m->files, g_ptr_array_unref);
  okno_record_free(&message_type, m);
}

GPtrArray *okno_store_cabinet_messages(OknoStore *st, gint64 appeal_id, GError **error)
{
  static gsize messages_sql, files_sql;
  const gsize nf = G_N_ELEMENTS(file_fields);
  OknoDb *db = okno_store_db(st);
  g_autoptr(GPtrArray) out = okno_db_records(
      db,
      okno_record_sql(&messages_sql, "SELECT ", &message_type,
                      " FROM messages WHERE appeal_id = $1 ORDER BY id"),
      OKNO_PARAMS(OKNO_INT(appeal_id)), &message_type, error);
  g_autoptr(OknoRows) f = out ? okno_db_query(
      db,
      okno_record_sql(&files_sql, "SELECT ", &file_type,
                      FILE_EXTRA " FROM attachments t JOIN messages m ON m.id = t.message_ref "
                      "WHERE m.appeal_id = $1 ORDER BY t.id"),
      OKNO_PARAMS(OKNO_INT(appeal_id)), error) : NULL;
  g_autoptr(GPtrArray) files = f ? okno_rows_map_all(f, &file_type, error) : NULL;
  if (!files)
    return NULL;
  for (guint i = 0; i < out->len; i++) {
    OknoCabinetMessage *m = out->pdata[i];
    m->files = g_ptr_array_new_with_free_func((GDestroyNotify)file_free);
    for (guint k = 0; k < files->len; k++) {
      OknoCabinetFile *a = files->pdata[k];
      if (!a || okno_rows_int(f, k, nf) != m->id)
        continue;
      files->pdata[k] = NULL; /* now the message's */
      a->refused = okno_rows_is_null(f, k, nf + 1) ? NULL
                                                   : dup_or_empty(okno_rows_text(f, k, nf + 1));
      g_ptr_array_add(m->files, a);
    }
  }
  return g_steal_pointer(&out);
}

static void event_free(OknoCabinetEvent *e);
static const OknoField event_fields[] = {
  OKNO_FIELD(OknoCabinetEvent, at, "at", OKNO_F_INT),
  OKNO_FIELD(OknoCabinetEvent, kind, "kind", OKNO_F_TEXT),
  OKNO_FIELD(OknoCabinetEvent, detail, "detail", OKNO_F_TEXT),
};
static const OknoRecordType event_type =
    OKNO_RECORD_TYPE(OknoCabinetEvent, event_fields, event_free);

static void event_free(OknoCabinetEvent *c)
{
  okno_record_free(&event_type, c);
}

GPtrArray *okno_store_cabinet_events(OknoStore *st, gint64 appeal_id, GError **error)
{
  static gsize sql;
  return okno_db_records(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &event_type,
                      " FROM events WHERE appeal_id = $1 ORDER BY id"),
      OKNO_PARAMS(OKNO_INT(appeal_id)), &event_type, error);
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
  {
    g_autoptr(GBytes) stored = okno_rows_blob(r, 0, 0);
    GBytes *data = okno_store_unseal(st, "attachments.data", stored, error);
    if (!data)
      return NULL;
    *filename = dup_or_empty(okno_rows_text(r, 0, 1));
    *content_type = dup_or_empty(okno_rows_text(r, 0, 2));
    return data;
  }
}

/* ---- ratings ---- */

gboolean okno_store_rating_insert(OknoStore *st, gint64 appeal_id, gint64 score,
                                  const char *comment, const char *email, gint64 now,
                                  gboolean *fresh, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  g_autofree char *sealed_comment = NULL, *sealed_email = NULL;
  gint64 key_id = 0;
  /* the citizen's words and address, under the appeal's key (docs/crypto.md); no
   * comment stays "" (it says nothing, and the statistics select the rated with one) */
  if (!okno_store_key_of_appeal(st, appeal_id, &key_id, error) ||
      !(sealed_comment = comment && *comment ? okno_store_seal_text(st, key_id, comment, error)
                                             : g_strdup("")) ||
      !(sealed_email = okno_store_seal_text(st, key_id, email, error)))
    return FALSE;
  r = okno_db_query(
      okno_store_db(st),
      "INSERT INTO ratings(appeal_id, score, comment, email, created_at) "
      "VALUES($1, $2, $3, $4, $5) ON CONFLICT(appeal_id) DO NOTHING RETURNING appeal_id",
      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(score), OKNO_TEXT(sealed_comment),
                  OKNO_TEXT(sealed_email), OKNO_INT(now)),
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
