/* ids.c: row ids reserved ahead in blocks on the writer's PostgreSQL connection (see
 * ids.h). */
#include "store/ids.h"

#include "core/error.h"
#include "store/db.h"

/* The first block of a transaction, then doubling up to the last. */
enum { BLOCK_FIRST = 16, BLOCK_MAX = 512 };

typedef struct {
  GArray *ids; /* gint64, in the server's order */
  guint next;  /* the next one to hand out */
  guint block; /* the size of the next block */
} Pool;

struct OknoIdPool {
  Pool t[OKNO_ID_N];
};

static const char *const table_names[OKNO_ID_N] = {"appeals", "messages", "events"};

void okno_id_pool_clear(OknoIdPool *pool)
{
  if (!pool)
    return;
  for (int i = 0; i < OKNO_ID_N; i++) {
    if (pool->t[i].ids)
      g_array_set_size(pool->t[i].ids, 0);
    pool->t[i].next = 0;
    pool->t[i].block = BLOCK_FIRST;
  }
}

void okno_id_pool_free(OknoIdPool *pool)
{
  if (!pool)
    return;
  for (int i = 0; i < OKNO_ID_N; i++)
    if (pool->t[i].ids)
      g_array_unref(pool->t[i].ids);
  g_free(pool);
}

gboolean okno_store_reserve_id(OknoStore *st, OknoIdTable table, gint64 *id, GError **error)
{
  OknoDb *db = okno_store_db(st);
  OknoIdPool **slot;
  Pool *p;
  *id = 0;
  g_return_val_if_fail(table >= 0 && table < OKNO_ID_N, FALSE);
  if (okno_db_is_sqlite(db) || !okno_db_pipelining(db) || !okno_store_in_transaction(st))
    return TRUE;
  slot = okno_store_id_pool_slot(st);
  if (!*slot) {
    *slot = g_new0(OknoIdPool, 1);
    okno_id_pool_clear(*slot);
  }
  p = &(*slot)->t[table];
  if (!p->ids || p->next >= p->ids->len) {
    g_autoptr(OknoRows) r = okno_db_query(
        db, "SELECT nextval(pg_get_serial_sequence($1, 'id')) FROM generate_series(1, $2)",
        OKNO_PARAMS(OKNO_TEXT(table_names[table]), OKNO_INT(p->block)), error);
    if (!r)
      return FALSE;
    if (p->ids)
      g_array_unref(p->ids);
    if (!(p->ids = okno_rows_ints(r, 0)) || p->ids->len == 0) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                  "postgresql: no ids reserved for %s", table_names[table]);
      return FALSE;
    }
    p->next = 0;
    p->block = MIN(p->block * 2, BLOCK_MAX);
  }
  *id = g_array_index(p->ids, gint64, p->next++);
  if (*id <= 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                "postgresql: a reserved id of %s is not positive", table_names[table]);
    return FALSE;
  }
  return TRUE;
}

/* The INSERT statements of okno_store_insert_row, written once per call site and kind:
 * `columns` is a literal of the caller, so its address names it. */
typedef enum { SQL_WITH_ID, SQL_RETURNING, SQL_PLAIN, SQL_N } SqlKind;

static const char *insert_sql(const char *columns, gsize values, SqlKind kind)
{
  static GMutex lock;
  static GHashTable *made; /* columns -> char *[SQL_N] */
  char **sqls;
  const char *out;
  g_mutex_lock(&lock);
  if (!made)
    made = g_hash_table_new(g_direct_hash, g_direct_equal);
  if (!(sqls = g_hash_table_lookup(made, columns))) {
    sqls = g_new0(char *, SQL_N);
    g_hash_table_insert(made, (gpointer)columns, sqls);
  }
  if (!sqls[kind]) {
    GString *sql = g_string_new(columns);
    gsize count = values + (kind == SQL_WITH_ID);
    if (kind == SQL_WITH_ID)
      g_string_append(sql, ", id");
    g_string_append(sql, ") VALUES(");
    for (gsize i = 0; i < count; i++)
      g_string_append_printf(sql, "%s$%zu", i ? ", " : "", i + 1);
    g_string_append_c(sql, ')');
    if (kind == SQL_RETURNING)
      g_string_append(sql, " RETURNING id");
    sqls[kind] = g_string_free(sql, FALSE);
  }
  out = sqls[kind];
  g_mutex_unlock(&lock);
  return out;
}

gboolean okno_store_insert_row(OknoStore *st, const char *columns, const OknoParam *params,
                               gsize n, gint64 *id, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) r = NULL;
  gsize values = n - 1; /* without the id */
  g_return_val_if_fail(n >= 2 && params[n - 1].type == OKNO_P_INT, FALSE);
  if (params[n - 1].i > 0) {
    *id = params[n - 1].i;
    return okno_db_exec(db, insert_sql(columns, values, SQL_WITH_ID), params, n, error);
  }
  if (okno_db_is_sqlite(db))
    return okno_db_sqlite_insert(db, insert_sql(columns, values, SQL_PLAIN), params, values, id,
                                 error);
  r = okno_db_query(db, insert_sql(columns, values, SQL_RETURNING), params, values, error);
  if (!r)
    return FALSE;
  if (okno_rows_count(r) != 1) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "an INSERT returned no id");
    return FALSE;
  }
  *id = okno_rows_int(r, 0, 0);
  return TRUE;
}
