/* store.c: the store's handle (see store.h): opening and migrating, transactions,
 * savepoints, counters; and, until they move to appeals.c, the appeal record's insert,
 * read, update and list (appeals.h).
 *
 * Written once over the driver interface (db.h); the backends differ only in their
 * drivers and migration steps. Every function here is one or two statements: the
 * transaction boundaries belong to the callers (the intake pipeline, the group-commit
 * writer, the outbound queue), never to this file. */
#include "store/store.h"

#include "store/appeal_row.h"
#include "store/appeals.h"

#include "core/clock.h"
#include "core/error.h"
#include "store/migrations.h"

struct OknoStore {
  OknoDb *db;
  int savepoints;
};

OknoDb *okno_store_db(OknoStore *st) { return st->db; }

/* ---- opening and migrating ---- */

static gboolean migrate(OknoStore *st, GError **error)
{
  guint count = 0;
  const char *const *steps = okno_migrations(st->db->driver->name, &count);
  /* One migrator at a time: SQLite's write lock, or a PostgreSQL advisory lock held
   * until the end of the transaction (the key is "okno" in ASCII). */
  const char *begin = okno_db_is_sqlite(st->db)
                          ? "BEGIN IMMEDIATE"
                          : "BEGIN; SELECT pg_advisory_xact_lock(1869311599)";

  for (;;) {
    g_autoptr(OknoRows) r = NULL;
    gint64 version;
    if (!okno_db_script(st->db, begin, error))
      return FALSE;
    if (!okno_db_script(st->db,
                        "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)",
                        error))
      goto fail;
    r = okno_db_query(st->db, "SELECT coalesce(max(version), 0) FROM schema_version",
                      OKNO_NO_PARAMS, error);
    if (!r)
      goto fail;
    version = okno_rows_int(r, 0, 0);
    if (version > (gint64)count) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "the store has schema version %" G_GINT64_FORMAT
                  ", newer than this okno knows (%u): upgrade okno",
                  version, count);
      goto fail;
    }
    if (version == (gint64)count)
      return okno_db_script(st->db, "COMMIT", error);
    if (!okno_db_script(st->db, steps[version], error) ||
        !okno_db_exec(st->db, "INSERT INTO schema_version(version) VALUES($1)",
                      OKNO_PARAMS(OKNO_INT(version + 1)), error) ||
        !okno_db_script(st->db, "COMMIT", error))
      goto fail;
  }
fail:
  okno_db_script(st->db, "ROLLBACK", NULL);
  return FALSE;
}

OknoStore *okno_store_open(const char *url, GError **error)
{
  OknoStore *st = g_new0(OknoStore, 1);
  st->db = okno_db_open(url, error);
  if (!st->db || !migrate(st, error)) {
    okno_store_close(st);
    return NULL;
  }
  return st;
}

void okno_store_close(OknoStore *st)
{
  if (!st)
    return;
  okno_db_close(st->db);
  g_free(st);
}

/* ---- transactions ---- */

gboolean okno_store_begin(OknoStore *st, GError **error)
{
  st->savepoints = 0;
  return okno_db_script(st->db, okno_db_is_sqlite(st->db) ? "BEGIN IMMEDIATE" : "BEGIN", error);
}

gboolean okno_store_commit(OknoStore *st, GError **error)
{
  return okno_db_script(st->db, "COMMIT", error);
}

void okno_store_rollback(OknoStore *st)
{
  okno_db_script(st->db, "ROLLBACK", NULL);
}

gboolean okno_store_savepoint(OknoStore *st, GError **error)
{
  if (!okno_db_script(st->db, "SAVEPOINT job", error))
    return FALSE;
  st->savepoints++;
  return TRUE;
}

gboolean okno_store_release(OknoStore *st, GError **error)
{
  st->savepoints--;
  return okno_db_script(st->db, "RELEASE SAVEPOINT job", error);
}

void okno_store_rollback_to(OknoStore *st)
{
  okno_db_script(st->db, "ROLLBACK TO SAVEPOINT job", NULL);
  okno_db_script(st->db, "RELEASE SAVEPOINT job", NULL);
  st->savepoints--;
}

gboolean okno_store_next_seq(OknoStore *st, const char *counter, gint64 *value, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "INSERT INTO counters(name, value) VALUES($1, 1) "
      "ON CONFLICT(name) DO UPDATE SET value = counters.value + 1 RETURNING value",
      OKNO_PARAMS(OKNO_TEXT(counter)), error);
  if (!r)
    return FALSE;
  *value = okno_rows_int(r, 0, 0);
  return TRUE;
}

gboolean okno_store_schema_version(OknoStore *st, gint64 *version, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(st->db, "SELECT max(version) FROM schema_version",
                                        OKNO_NO_PARAMS, error);
  if (!r)
    return FALSE;
  *version = okno_rows_int(r, 0, 0);
  return TRUE;
}

gboolean okno_store_instance_id(OknoStore *st, char **value, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(st->db, "SELECT value FROM meta WHERE key = 'instance'",
                                        OKNO_NO_PARAMS, error);
  if (!r)
    return FALSE;
  if (okno_rows_count(r) != 1) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "store has no instance id");
    return FALSE;
  }
  *value = g_strdup(okno_rows_text(r, 0, 0));
  return TRUE;
}

/* ---- appeals ---- */

static char *dup_or_empty(const char *s) { return g_strdup(s ? s : ""); }

OknoAppeal *okno_appeal_from_row(const OknoRows *r, guint i)
{
  OknoAppeal *a = g_new0(OknoAppeal, 1);
  a->id = okno_rows_int(r, i, 0);
  a->number = dup_or_empty(okno_rows_text(r, i, 1));
  a->status = dup_or_empty(okno_rows_text(r, i, 2));
  a->channel = dup_or_empty(okno_rows_text(r, i, 3));
  a->queue = dup_or_empty(okno_rows_text(r, i, 4));
  a->subject = dup_or_empty(okno_rows_text(r, i, 5));
  a->from_name = dup_or_empty(okno_rows_text(r, i, 6));
  a->from_email = dup_or_empty(okno_rows_text(r, i, 7));
  a->phone = dup_or_empty(okno_rows_text(r, i, 8));
  a->category = dup_or_empty(okno_rows_text(r, i, 9));
  a->related = dup_or_empty(okno_rows_text(r, i, 10));
  a->received_at = okno_rows_int(r, i, 11);
  a->deadline = okno_rows_int(r, i, 12);
  a->updated_at = okno_rows_int(r, i, 13);
  a->department = dup_or_empty(okno_rows_text(r, i, 14));
  a->assignee = okno_rows_int(r, i, 15);
  a->version = okno_rows_int(r, i, 16);
  a->kind = dup_or_empty(okno_rows_text(r, i, 17));
  a->priority = dup_or_empty(okno_rows_text(r, i, 18));
  a->priority_confirmed = okno_rows_int(r, i, 19) != 0;
  a->sla_class = dup_or_empty(okno_rows_text(r, i, 20));
  a->overdue = okno_rows_int(r, i, 21) != 0;
  a->forward_deadline = okno_rows_int(r, i, 22);
  a->extensions = okno_rows_int(r, i, 23);
  a->answered = okno_rows_int(r, i, 24) != 0;
  a->deadline_gen = okno_rows_int(r, i, 25);
  return a;
}

#define T(s) OKNO_TEXT((s) ? (s) : "")

gboolean okno_store_appeal_insert(OknoStore *st, OknoAppeal *a, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "INSERT INTO appeals(number, status, channel, queue, subject, from_name, from_email, "
      "phone, category, related, received_at, deadline, updated_at, kind, priority, "
      "priority_confirmed, sla_class, forward_deadline, deadline_gen) "
      "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11, $13, $14, $15, $16, "
      "$17, $18) RETURNING id",
      OKNO_PARAMS(T(a->number), T(a->status), T(a->channel), T(a->queue), T(a->subject),
                  T(a->from_name), T(a->from_email), T(a->phone), T(a->category),
                  T(a->related), OKNO_INT(a->received_at), OKNO_INT(a->deadline),
                  OKNO_TEXT(a->kind && *a->kind ? a->kind : "support"),
                  OKNO_TEXT(a->priority && *a->priority ? a->priority : "normal"),
                  OKNO_INT(a->priority_confirmed ? 1 : 0), T(a->sla_class),
                  OKNO_INT(a->forward_deadline), OKNO_INT(a->deadline_gen)),
      error);
  if (!r)
    return FALSE;
  a->id = okno_rows_int(r, 0, 0);
  a->updated_at = a->received_at;
  a->version = 1;
  return TRUE;
}

OknoAppeal *okno_store_appeal_get(OknoStore *st, const char *number, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db, "SELECT " OKNO_APPEAL_COLUMNS " FROM appeals WHERE number = $1",
      OKNO_PARAMS(T(number)), error);
  return r && okno_rows_count(r) ? okno_appeal_from_row(r, 0) : NULL;
}

OknoAppeal *okno_store_appeal_get_by_id(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db, "SELECT " OKNO_APPEAL_COLUMNS " FROM appeals WHERE id = $1",
      OKNO_PARAMS(OKNO_INT(id)), error);
  return r && okno_rows_count(r) ? okno_appeal_from_row(r, 0) : NULL;
}

GPtrArray *okno_store_list(OknoStore *st, const OknoListFilter *f, GError **error)
{
  static const OknoListFilter none = {0};
  g_autoptr(OknoRows) r = NULL;
  gint64 key = G_MAXINT64, id = G_MAXINT64;
  GPtrArray *out;
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
  r = okno_db_query(st->db,
                    "SELECT " OKNO_APPEAL_COLUMNS " FROM appeals "
                    "WHERE ($1 = '' OR status = $1) AND ($2 = '' OR channel = $2) "
                    "AND ($3 = '' OR queue = $3) AND ($4 = '' OR from_email = lower($4)) "
                    "AND (received_at, id) < ($6, $7) "
                    "ORDER BY received_at DESC, id DESC LIMIT $5",
                    OKNO_PARAMS(T(f->status), T(f->channel), T(f->queue), T(f->from_email),
                                OKNO_INT(f->limit > 0 ? f->limit : G_MAXINT64),
                                OKNO_INT(key), OKNO_INT(id)),
                    error);
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_appeal_free);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_ptr_array_add(out, okno_appeal_from_row(r, i));
  return out;
}

gboolean okno_store_appeal_update(OknoStore *st, OknoAppeal *a, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "UPDATE appeals SET status = $2, related = $3, deadline = $4, priority = $5, "
      "priority_confirmed = $6, sla_class = $7, overdue = $8, forward_deadline = $9, "
      "extensions = $10, answered = $11, deadline_gen = $12, updated_at = $13, "
      "version = version + 1 WHERE id = $1 AND ($14 = 0 OR version = $14) RETURNING version",
      OKNO_PARAMS(OKNO_INT(a->id), T(a->status), T(a->related), OKNO_INT(a->deadline),
                  OKNO_TEXT(a->priority && *a->priority ? a->priority : "normal"),
                  OKNO_INT(a->priority_confirmed ? 1 : 0), T(a->sla_class),
                  OKNO_INT(a->overdue ? 1 : 0), OKNO_INT(a->forward_deadline),
                  OKNO_INT(a->extensions), OKNO_INT(a->answered ? 1 : 0),
                  OKNO_INT(a->deadline_gen), OKNO_INT(okno_now()), OKNO_INT(a->version)),
      error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    return FALSE;
  }
  a->version = okno_rows_int(r, 0, 0);
  return TRUE;
}
