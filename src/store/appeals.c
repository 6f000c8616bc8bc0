/* appeals.c: the appeal record in the store (see appeals.h): its field table and row
 * mapping, insert, read, update and list, and assignment, merging and splitting under
 * optimistic locking. Portable SQL over db.h; transactions belong to the callers. */
#include "store/appeals.h"

#include "store/appeal_row.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "store/ids.h"
#include "store/journal.h"
#include "store/keys.h"
#include "store/search_queue.h"
#include "store/terms.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

/* ---- the record: its fields, insert, read, update, list ---- */

#define F(member, col, type) OKNO_FIELD(OknoAppeal, member, col, type)
#define E(member, col, names, none) OKNO_FIELD_ENUM(OknoAppeal, member, col, names, none)
const OknoField okno_appeal_fields[OKNO_APPEAL_N_FIELDS] = {
  F(id, "id", OKNO_F_INT),
  F(number, "number", OKNO_F_TEXT),
  E(status, "status", okno_status_names, 0),
  E(channel, "channel", okno_channel_names, 0),
  E(queue, "queue", okno_hold_names, 0),
  F(subject, "subject", OKNO_F_TEXT),
  F(from_name, "from_name", OKNO_F_TEXT),
  F(from_email, "from_email", OKNO_F_TEXT),
  F(phone, "phone", OKNO_F_TEXT),
  F(category, "category", OKNO_F_TEXT),
  F(related, "related", OKNO_F_TEXT),
  F(received_at, "received_at", OKNO_F_INT),
  F(deadline, "deadline", OKNO_F_INT),
  F(updated_at, "updated_at", OKNO_F_INT),
  F(department, "department", OKNO_F_TEXT),
  F(assignee, "coalesce(assignee, 0)", OKNO_F_INT),
  F(version, "version", OKNO_F_INT),
  E(kind, "kind", okno_kind_names, 0),
  E(priority, "priority", okno_priority_names, 0),
  F(priority_confirmed, "priority_confirmed", OKNO_F_BOOL),
  E(sla_class, "sla_class", okno_sla_class_names, OKNO_SLA_NONE),
  F(overdue, "overdue", OKNO_F_BOOL),
  F(forward_deadline, "forward_deadline", OKNO_F_INT),
  F(extensions, "extensions", OKNO_F_INT),
  F(answered, "answered", OKNO_F_BOOL),
  F(deadline_gen, "deadline_gen", OKNO_F_INT),
};
#undef F
#undef E

OknoAppeal *okno_appeal_from_row(const OknoRows *r, guint i, GError **error)
{
  OknoAppeal *a = g_new0(OknoAppeal, 1);
  if (!okno_rows_map(r, i, 0, okno_appeal_fields, OKNO_APPEAL_N_FIELDS, a, error)) {
    okno_appeal_free(a);
    return NULL;
  }
  return a;
}

GPtrArray *okno_appeals_from_rows(const OknoRows *r, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_appeal_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoAppeal *a = okno_appeal_from_row(r, i, error);
    if (!a) {
      g_ptr_array_unref(out);
      return NULL;
    }
    g_ptr_array_add(out, a);
  }
  return out;
}

gboolean okno_store_appeal_insert(OknoStore *st, OknoAppeal *a, GError **error)
{
  return okno_store_appeal_insert_keyed(st, a, NULL, error);
}

gboolean okno_store_appeal_insert_keyed(OknoStore *st, OknoAppeal *a, const OknoKeyAhead *k,
                                        GError **error)
{
  g_autofree char *name = NULL, *phone = NULL, *email = NULL, *subject = NULL;
  g_autofree char *bidx = okno_store_blind_email(a->from_email);
  g_autofree char *terms = okno_store_terms(a->subject);
  gint64 key_id = 0, id;
  if (!okno_store_key_insert_ahead(st, k, &key_id, error) ||
      !(subject = okno_store_seal_text(st, key_id, a->subject, error)) ||
      !(email = okno_store_seal_text(st, key_id, a->from_email, error)) ||
      !(name = okno_store_seal_text(st, key_id, a->from_name, error)) ||
      !(phone = okno_store_seal_text(st, key_id, a->phone, error)) ||
      !okno_store_reserve_id(st, OKNO_ID_APPEALS, &id, error) ||
      !okno_store_insert_row(
          st,
          "INSERT INTO appeals(number, status, channel, queue, subject, from_name, from_email, "
          "phone, category, related, received_at, deadline, updated_at, kind, priority, "
          "priority_confirmed, sla_class, forward_deadline, deadline_gen, key_id, from_bidx, "
          "subject_terms",
          OKNO_PARAMS(T(a->number), OKNO_TEXT(okno_status_name(a->status)),
                      OKNO_TEXT(okno_channel_name(a->channel)),
                      OKNO_TEXT(okno_hold_name(a->queue)), OKNO_TEXT(subject), OKNO_TEXT(name),
                      OKNO_TEXT(email), OKNO_TEXT(phone), T(a->category), T(a->related),
                      OKNO_INT(a->received_at), OKNO_INT(a->deadline),
                      OKNO_INT(a->received_at), OKNO_TEXT(okno_kind_name(a->kind)),
                      OKNO_TEXT(okno_priority_name(a->priority)),
                      OKNO_INT(a->priority_confirmed ? 1 : 0),
                      OKNO_TEXT(okno_sla_class_name(a->sla_class)),
                      OKNO_INT(a->forward_deadline), OKNO_INT(a->deadline_gen),
                      OKNO_INT(key_id), OKNO_TEXT(bidx), OKNO_TEXT(terms), OKNO_INT(id)),
          &id, error))
    return FALSE;
  a->id = id;
  okno_store_keys_remember(a->id, key_id);
  a->updated_at = a->received_at;
  a->version = 1;
  return okno_store_search_appeal_added(st, a->id, error) &&
         okno_store_journal_registration(st, a, error);
}

OknoAppeal *okno_store_appeal_get(OknoStore *st, const char *number, GError **error)
{
  /* prepared (db.h): the status check's and every card's read, by a unique index */
  g_autoptr(OknoRows) r = okno_db_query_prepared(
      okno_store_db(st), "SELECT " OKNO_APPEAL_COLUMNS " FROM appeals WHERE number = $1",
      OKNO_PARAMS(T(number)), error);
  return r && okno_rows_count(r) ? okno_appeal_from_row(r, 0, error) : NULL;
}

OknoAppeal *okno_store_appeal_get_by_id(OknoStore *st, gint64 id, GError **error)
{
  /* prepared (db.h): every card's and every job's read by primary key */
  g_autoptr(OknoRows) r = okno_db_query_prepared(
      okno_store_db(st), "SELECT " OKNO_APPEAL_COLUMNS " FROM appeals WHERE id = $1",
      OKNO_PARAMS(OKNO_INT(id)), error);
  return r && okno_rows_count(r) ? okno_appeal_from_row(r, 0, error) : NULL;
}

GPtrArray *okno_store_list(OknoStore *st, const OknoListFilter *f, GError **error)
{
  static const OknoListFilter none = {0};
  g_autoptr(OknoRows) r = NULL;
  g_autofree char *bidx = NULL;
  gint64 key = G_MAXINT64, id = G_MAXINT64;
  if (!f)
    f = &none;
  if (f->after && *f->after) {
    g_autoptr(OknoAppeal) a = okno_store_appeal_get(st, f->after, error);
    if (!a) {
      if (error && !*error)
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "no appeal %s (--after)", f->after);
      return NULL;
    }
    key = a->received_at;
    id = a->id;
  }
  if (f->from_email && *f->from_email)
    bidx = okno_store_blind_email(f->from_email);
  r = okno_db_query(okno_store_db(st),
                    "SELECT " OKNO_APPEAL_COLUMNS " FROM appeals "
                    "WHERE ($1 = '' OR status = $1) AND ($2 = '' OR channel = $2) "
                    "AND ($3 = '' OR queue = $3) AND ($4 = '' OR from_bidx = $4) "
                    "AND (received_at, id) < ($6, $7) "
                    "ORDER BY received_at DESC, id DESC LIMIT $5",
                    OKNO_PARAMS(T(f->status), T(f->channel), T(f->queue), T(bidx),
                                OKNO_INT(f->limit > 0 ? f->limit : G_MAXINT64),
                                OKNO_INT(key), OKNO_INT(id)),
                    error);
  return r ? okno_appeals_from_rows(r, error) : NULL;
}

gboolean okno_store_appeal_update(OknoStore *st, OknoAppeal *a, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE appeals SET status = $2, related = $3, deadline = $4, priority = $5, "
      "priority_confirmed = $6, sla_class = $7, overdue = $8, forward_deadline = $9, "
      "extensions = $10, answered = $11, deadline_gen = $12, updated_at = $13, "
      "queue = $15, version = version + 1 WHERE id = $1 AND ($14 = 0 OR version = $14) "
      "RETURNING version",
      OKNO_PARAMS(OKNO_INT(a->id), OKNO_TEXT(okno_status_name(a->status)), T(a->related),
                  OKNO_INT(a->deadline), OKNO_TEXT(okno_priority_name(a->priority)),
                  OKNO_INT(a->priority_confirmed ? 1 : 0),
                  OKNO_TEXT(okno_sla_class_name(a->sla_class)),
                  OKNO_INT(a->overdue ? 1 : 0), OKNO_INT(a->forward_deadline),
                  OKNO_INT(a->extensions), OKNO_INT(a->answered ? 1 : 0),
                  OKNO_INT(a->deadline_gen), OKNO_INT(okno_now()), OKNO_INT(a->version),
                  OKNO_TEXT(okno_hold_name(a->queue))),
      error);
  if (!okno_store_versioned(r, &a->version, error))
    return FALSE;
  return okno_store_journal_appeal_changed(st, a, error);
}

gboolean okno_store_versioned(const OknoRows *r, gint64 *new_version, GError **error)
{
  if (!r)
    return FALSE;
  if (!okno_rows_count(r)) {
    g_set_error_literal(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    return FALSE;
  }
  if (new_version)
    *new_version = okno_rows_int(r, 0, 0);
  return TRUE;
}

/* ---- assignment, merging, splitting ---- */

gboolean okno_store_appeal_assign(OknoStore *st, gint64 id, gint64 version,
                                  const char *department, gint64 assignee,
                                  gint64 *new_version, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE appeals SET department = $3, assignee = $4, version = version + 1, updated_at = $5 "
      "WHERE id = $1 AND ($2 = 0 OR version = $2) RETURNING version",
      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(version), T(department),
                  assignee ? OKNO_INT(assignee) : OKNO_NULL, OKNO_INT(okno_now())),
      error);
  if (!okno_store_versioned(r, new_version, error))
    return FALSE;
  /* Department and assignee are in the appeal's entry (docs/journal.md). */
  return okno_store_journal_appeal_id(st, id, error);
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
  if (!okno_store_versioned(dup, NULL, error))
    return FALSE;
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
  return okno_store_journal_appeal_id(st, dup_id, error) &&
         okno_store_journal_messages_of(st, target_id, error);
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
  return okno_store_journal_messages_of(st, fresh->id, error);
}
