/* store.c: the store's handle (see store.h): opening and migrating, transactions,
 * savepoints, counters, the schema version and the instance id.
 *
 * Written once over the driver interface (db.h); the backends differ only in their
 * drivers and migration steps. Every function here is one or two statements: the
 * transaction boundaries belong to the callers (the intake pipeline, the group-commit
 * writer, the outbound queue), never to this file. */
#include "store/store.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "store/ids.h"
#include "store/journal.h"
#include "store/migrations.h"
#include "store/search_queue.h"
#include "store/terms.h"

struct OknoStore {
  OknoDb *db;
  int savepoints;
  guint64 savepoints_made;       /* okno_store_savepoints_made */
  gboolean in_transaction;
  gint64 reg_appeal_id, reg_seq; /* okno_store_note_registration_leaf */
  gpointer journal_pending;      /* okno_store_journal_slot */
  OknoIdPool *ids;               /* PostgreSQL's writer: ids reserved ahead (ids.h) */
  OknoSearchQueue search;        /* search rows to write before COMMIT (search_queue.h) */
  GHashTable *memo;              /* okno_store_memo_get: key -> value, this transaction */
  GHashTable *memo_arrays;       /* okno_store_memo_array: key -> GPtrArray, the same */
  char *url;                     /* okno_store_open_reader */
  gboolean reading;              /* okno_store_read_begin */
  gboolean count_at_commit;      /* okno_store_count_at_commit (PostgreSQL only) */
  gboolean counting;             /* ... and the open transaction was begun so */
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

/* PostgreSQL: the number sequences of this year and the next (Moscow time) exist
 * before the first registration needs them (okno_next_seq also makes a missing one). */
static gboolean year_sequences(OknoStore *st, GError **error)
{
  g_autoptr(GDateTime) utc = NULL, msk = NULL;
  g_autofree char *now = NULL, *next = NULL;
  if (okno_db_is_sqlite(st->db))
    return TRUE;
  utc = g_date_time_new_from_unix_utc(okno_now() / G_USEC_PER_SEC);
  msk = g_date_time_to_timezone(utc, okno_tz_moscow());
  now = g_strdup_printf("appeal-%d", g_date_time_get_year(msk));
  next = g_strdup_printf("appeal-%d", g_date_time_get_year(msk) + 1);
  return okno_db_exec(st->db, "SELECT okno_seq_create($1), okno_seq_create($2)",
                      OKNO_PARAMS(OKNO_TEXT(now), OKNO_TEXT(next)), error);
}

OknoStore *okno_store_open(const char *url, GError **error)
{
  OknoStore *st = g_new0(OknoStore, 1);
  st->url = g_strdup(url);
  st->db = okno_db_open(url, error);
  if (!st->db || !migrate(st, error) || !year_sequences(st, error) ||
      !okno_store_search_prepare(st, error)) {
    okno_store_close(st);
    return NULL;
  }
  return st;
}

OknoStore *okno_store_open_reader(OknoStore *st, GError **error)
{
  OknoStore *r;
  if (!st->url || strstr(st->url, ":memory:"))
    return NULL; /* a database of this connection alone */
  r = g_new0(OknoStore, 1);
  r->url = g_strdup(st->url);
  r->db = okno_db_open(st->url, error);
  if (!r->db) {
    okno_store_close(r);
    return NULL;
  }
  return r;
}

gboolean okno_store_read_begin(OknoStore *st, GError **error)
{
  /* SQLite: a deferred transaction reads one WAL snapshot from its first read on. */
  if (st->in_transaction || st->reading) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "a transaction is already open");
    return FALSE;
  }
  st->reading = okno_db_script(st->db, okno_db_is_sqlite(st->db)
                                           ? "BEGIN DEFERRED"
                                           : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                               error);
  return st->reading;
}

void okno_store_read_end(OknoStore *st)
{
  if (st->reading)
    okno_db_script(st->db, "ROLLBACK", NULL);
  st->reading = FALSE;
}

void okno_store_close(OknoStore *st)
{
  if (!st)
    return;
  okno_store_read_end(st);
  g_free(st->url);
  okno_journal_drop_pending(st);
  okno_id_pool_free(st->ids);
  okno_db_close(st->db);
  g_clear_pointer(&st->search.appeals, g_array_unref);
  g_clear_pointer(&st->search.messages, g_array_unref);
  g_clear_pointer(&st->search.message_set, g_hash_table_unref);
  g_clear_pointer(&st->memo, g_hash_table_unref);
  g_clear_pointer(&st->memo_arrays, g_hash_table_unref);
  g_free(st);
}

/* ---- transactions ---- */

static void forget_registration_leaf(OknoStore *st) { st->reg_appeal_id = st->reg_seq = 0; }

void okno_store_memo_forget(OknoStore *st)
{
  if (st->memo)
    g_hash_table_remove_all(st->memo);
  if (st->memo_arrays)
    g_hash_table_remove_all(st->memo_arrays);
}

GPtrArray *okno_store_memo_array(OknoStore *st, const char *key)
{
  GPtrArray *a = st->in_transaction && st->memo_arrays
                     ? g_hash_table_lookup(st->memo_arrays, key)
                     : NULL;
  return a ? g_ptr_array_ref(a) : NULL;
}

void okno_store_memo_array_set(OknoStore *st, const char *key, GPtrArray *array)
{
  if (!st->in_transaction || !array)
    return;
  if (!st->memo_arrays)
    st->memo_arrays = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify)g_ptr_array_unref);
  g_hash_table_replace(st->memo_arrays, g_strdup(key), g_ptr_array_ref(array));
}

const char *okno_store_memo_get(OknoStore *st, const char *key)
{
  return st->in_transaction && st->memo ? g_hash_table_lookup(st->memo, key) : NULL;
}

void okno_store_memo_set(OknoStore *st, const char *key, const char *value)
{
  if (!st->in_transaction)
    return;
  if (!st->memo)
    st->memo = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_replace(st->memo, g_strdup(key), g_strdup(value));
}

void okno_store_count_at_commit(OknoStore *st, gboolean on)
{
  st->count_at_commit = on && !okno_db_is_sqlite(st->db);
}

/* Migration 44: the appeals this transaction inserted, to count at its commit (the ids
 * the search queue noted; one rolled back since selects nothing), as a bigint[]
 * literal; NULL when there is nothing to count so. */
static char *new_appeal_ids(OknoStore *st)
{
  if (!st->counting || !st->search.appeals || !st->search.appeals->len)
    return NULL;
  return okno_search_queue_id_list(st->search.appeals, '{', '}');
}

/* ... and their count, the transaction's last statement before COMMIT, so that the
 * counter rows stay locked for the shortest time; on the writer's connection sent
 * without waiting (an error of it is the COMMIT's). */
static gboolean count_new_appeals(OknoStore *st, const char *ids, GError **error)
{
  return !ids || okno_db_exec(st->db, "SELECT okno_appeal_counts_add($1::bigint[])",
                              OKNO_PARAMS(OKNO_TEXT(ids)), error);
}

gboolean okno_store_begin(OknoStore *st, GError **error)
{
  st->savepoints = 0;
  forget_registration_leaf(st);
  okno_store_memo_forget(st);
  okno_journal_drop_pending(st);
  okno_search_queue_clear(&st->search);
  okno_id_pool_clear(st->ids);
  /* the INSERT triggers of the counters skip this transaction's appeals (migration 44) */
  st->in_transaction =
      okno_db_script(st->db,
                     okno_db_is_sqlite(st->db) ? "BEGIN IMMEDIATE"
                     : st->count_at_commit     ? "BEGIN; SET LOCAL okno.count_at_commit = 'on'"
                                               : "BEGIN",
                     error);
  st->counting = st->in_transaction && st->count_at_commit;
  return st->in_transaction;
}

gboolean okno_store_commit(OknoStore *st, GError **error)
{
  g_autofree char *counted = new_appeal_ids(st);
  /* the leaves still waiting go in before the commit (PostgreSQL: without waiting, an
   * error of theirs is the COMMIT's); failing, the caller rolls back */
  if (!okno_journal_write_pending_last(st, error))
    return FALSE;
  /* The counts and search rows of what the transaction added go in with it (above;
   * search_queue.h); when they cannot, nothing of the transaction is kept. */
  if (st->in_transaction && (!okno_search_queue_flush(st->db, &st->search, error) ||
                             !count_new_appeals(st, counted, error))) {
    okno_store_rollback(st);
    return FALSE;
  }
  st->in_transaction = FALSE;
  st->counting = FALSE;
  forget_registration_leaf(st);
  okno_store_memo_forget(st);
  okno_id_pool_clear(st->ids);
  return okno_db_script(st->db, "COMMIT", error);
}

OknoSearchQueue *okno_store_search_queue(OknoStore *st)
{
  return st->in_transaction ? &st->search : NULL;
}

void okno_store_rollback(OknoStore *st)
{
  st->in_transaction = FALSE;
  st->counting = FALSE;
  forget_registration_leaf(st);
  okno_store_memo_forget(st);
  okno_journal_drop_pending(st);
  okno_search_queue_clear(&st->search);
  okno_id_pool_clear(st->ids);
  okno_db_script(st->db, "ROLLBACK", NULL);
}

void okno_store_note_registration_leaf(OknoStore *st, gint64 appeal_id, gint64 seq)
{
  if (!st->in_transaction)
    return;
  st->reg_appeal_id = appeal_id;
  st->reg_seq = seq;
}

gint64 okno_store_registration_leaf(OknoStore *st, gint64 appeal_id)
{
  return st->in_transaction && appeal_id && appeal_id == st->reg_appeal_id ? st->reg_seq : 0;
}

gboolean okno_store_in_transaction(OknoStore *st) { return st->in_transaction; }
gpointer *okno_store_journal_slot(OknoStore *st) { return &st->journal_pending; }
OknoIdPool **okno_store_id_pool_slot(OknoStore *st) { return &st->ids; }

gboolean okno_store_savepoint(OknoStore *st, GError **error)
{
  /* the journal's leaves wait until the commit; a savepoint rolled back drops only
   * those added since it began (journal.h) */
  if (!okno_db_script(st->db, "SAVEPOINT job", error))
    return FALSE;
  okno_journal_savepoint(st);
  st->savepoints++;
  st->savepoints_made++;
  return TRUE;
}

guint64 okno_store_savepoints_made(OknoStore *st) { return st->savepoints_made; }

void okno_store_job_end(OknoStore *st)
{
  /* what RELEASE does to the journal's waiting leaves, without a statement */
  okno_journal_job_end(st);
}

gboolean okno_store_sync(OknoStore *st, GError **error)
{
  return okno_db_sync(st->db, error);
}

gboolean okno_store_release(OknoStore *st, GError **error)
{
  if (okno_db_script(st->db, "RELEASE SAVEPOINT job", error)) {
    okno_journal_release(st);
    st->savepoints--;
    return TRUE;
  }
  /* A statement of the job sent without waiting (db.h, pipelining) failed: the job is
   * undone like one that returned FALSE. */
  okno_store_rollback_to(st);
  return FALSE;
}

void okno_store_rollback_to(OknoStore *st)
{
  forget_registration_leaf(st);
  okno_store_memo_forget(st);
  okno_journal_rollback_to(st);
  okno_db_script(st->db, "ROLLBACK TO SAVEPOINT job", NULL);
  okno_db_script(st->db, "RELEASE SAVEPOINT job", NULL);
  st->savepoints--;
}

/* SQLite: a row of `counters` (one writer at a time anyway). PostgreSQL: a sequence per
 * counter (migration 30), so the groups of several nodes never wait on one row; a
 * number taken by a registration undone later is not given again (a gap). */
gboolean okno_store_next_seq(OknoStore *st, const char *counter, gint64 *value, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      okno_db_is_sqlite(st->db)
          ? "INSERT INTO counters(name, value) VALUES($1, 1) "
            "ON CONFLICT(name) DO UPDATE SET value = counters.value + 1 RETURNING value"
          : "SELECT okno_next_seq($1)",
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
