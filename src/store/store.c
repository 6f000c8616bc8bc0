/* store.c: the store's handle (see store.h): opening and migrating, transactions,
 * savepoints, counters, the schema version and the instance id.
 *
 * Written once over the driver interface (db.h); the backends differ only in their
 * drivers and migration steps. Every function here is one or two statements: the
 * transaction boundaries belong to the callers (the intake pipeline, the group-commit
 * writer, the outbound queue), never to this file. */
#include "store/store.h"

#include "core/clock.h"
#include "core/error.h"
#include "store/migrations.h"
#include "store/terms.h"

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
  if (!st->db || !migrate(st, error) || !okno_store_search_prepare(st, error)) {
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
