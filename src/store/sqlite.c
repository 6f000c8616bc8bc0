/* sqlite.c: the SQLite driver of the store (db.h): the embedded default.
 *
 * WAL journal with synchronous=FULL: a COMMIT returns only after the WAL is synced, so
 * whatever the store commits survives a crash or power loss. busy_timeout makes the
 * several connections of one process (committer, outbound, CLI) wait for each other
 * instead of failing. Prepared statements are cached per connection by SQL text.
 * $1..$n placeholders are bound by name, so a statement may use them in any order.
 *
 * A connection's page cache may grow to CACHE_KIB (allocated as pages are read, not up
 * front): a group of 64 registrations outgrew SQLite's default 2 MiB and spilled dirty
 * pages into the WAL mid-transaction (docs/bench.md, "The writer's own writes"). */
#include "store/db.h"

#include <sqlite3.h>

#include "core/error.h"
#include "text/tokenizer.h"

#define CACHE_KIB 16384

typedef struct {
  OknoDb base;
  sqlite3 *h;
  GHashTable *stmts; /* sql text -> sqlite3_stmt* */
} SqliteDb;

static void set_error(GError **error, sqlite3 *h, int rc, const char *what)
{
  int code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_FULL ||
              rc == SQLITE_IOERR)
                 ? OKNO_ERROR_TEMP
                 : OKNO_ERROR_INTERNAL;
  g_set_error(error, OKNO_ERROR, code, "sqlite: %s: %s", what,
              h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
}

static void finalize_stmt(gpointer st) { sqlite3_finalize(st); }

static void sqlite_close(OknoDb *db)
{
  SqliteDb *s = (SqliteDb *)db;
  g_hash_table_destroy(s->stmts);
  sqlite3_close_v2(s->h);
  g_free(s);
}

static OknoDb *sqlite_open(const char *path, GError **error)
{
  SqliteDb *s;
  sqlite3 *h = NULL;
  g_autofree char *dir = g_path_get_dirname(path);
  int rc;

  if (g_mkdir_with_parents(dir, 0700) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "cannot create directory %s: %s", dir,
                g_strerror(errno));
    return NULL;
  }
  rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "cannot open the store %s: %s", path,
                h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
    sqlite3_close_v2(h);
    return NULL;
  }
  sqlite3_busy_timeout(h, 10000);
  if (!okno_text_fts5_register(h, error)) { /* search's tokenizer, before any statement */
    sqlite3_close_v2(h);
    return NULL;
  }
  /* Switching a new file to WAL while another connection migrates it can answer
   * SQLITE_BUSY without waiting in the busy handler: try again for up to 10 s. */
  for (int tries = 0;; tries++) {
    rc = sqlite3_exec(h,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                      "PRAGMA wal_autocheckpoint=4000; PRAGMA cache_size=-" G_STRINGIFY(CACHE_KIB) ";",
                      NULL, NULL, NULL);
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries >= 1000)
      break;
    g_usleep(10000);
  }
  if (rc != SQLITE_OK) {
    set_error(error, h, rc, "setting up the connection");
    sqlite3_close_v2(h);
    return NULL;
  }
  s = g_new0(SqliteDb, 1);
  s->base.driver = &okno_sqlite_driver;
  s->h = h;
  s->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                   finalize_stmt);
  return &s->base;
}

static gboolean bind_params(SqliteDb *s, sqlite3_stmt *st, const OknoParam *params, gsize n,
                            GError **error)
{
  int count = sqlite3_bind_parameter_count(st);
  for (int idx = 1; idx <= count; idx++) {
    const char *name = sqlite3_bind_parameter_name(st, idx);
    gint64 k;
    const OknoParam *p;
    int rc;
    if (!name || name[0] != '$' || (k = g_ascii_strtoll(name + 1, NULL, 10)) < 1 ||
        (gsize)k > n) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "sqlite: parameter %s not given",
                  name ? name : "?");
      return FALSE;
    }
    p = &params[k - 1];
    switch (p->type) {
    case OKNO_P_TEXT:
      rc = p->text ? sqlite3_bind_text(st, idx, p->text, -1, SQLITE_STATIC)
                   : sqlite3_bind_null(st, idx);
      break;
    case OKNO_P_INT: rc = sqlite3_bind_int64(st, idx, p->i); break;
    case OKNO_P_BLOB:
      rc = sqlite3_bind_blob64(st, idx, p->blob ? p->blob : "", p->len, SQLITE_STATIC);
      break;
    default: rc = sqlite3_bind_null(st, idx); break;
    }
    if (rc != SQLITE_OK) {
      set_error(error, s->h, rc, "binding");
      return FALSE;
    }
  }
  return TRUE;
}

static OknoRows *sqlite_query(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                              GError **error)
{
  SqliteDb *s = (SqliteDb *)db;
  sqlite3_stmt *st = g_hash_table_lookup(s->stmts, sql);
  OknoRows *rows;
  int rc, ncols;

  if (!st) {
    rc = sqlite3_prepare_v3(s->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
      set_error(error, s->h, rc, "preparing");
      return NULL;
    }
    g_hash_table_insert(s->stmts, g_strdup(sql), st);
  }
  if (!bind_params(s, st, params, n, error)) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return NULL;
  }
  ncols = sqlite3_column_count(st);
  rows = okno_rows_new(ncols > 0 ? ncols : 1);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    okno_rows_add_row(rows);
    for (int c = 0; c < ncols; c++) {
      switch (sqlite3_column_type(st, c)) {
      case SQLITE_INTEGER:
        okno_rows_set(rows, c, OKNO_P_INT, NULL, 0, sqlite3_column_int64(st, c));
        break;
      case SQLITE_FLOAT:
        okno_rows_set(rows, c, OKNO_P_INT, NULL, 0, (gint64)sqlite3_column_double(st, c));
        break;
      case SQLITE_TEXT: {
        const unsigned char *t = sqlite3_column_text(st, c);
        okno_rows_set(rows, c, OKNO_P_TEXT, t, sqlite3_column_bytes(st, c), 0);
        break;
      }
      case SQLITE_BLOB: {
        const void *b = sqlite3_column_blob(st, c);
        okno_rows_set(rows, c, OKNO_P_BLOB, b, sqlite3_column_bytes(st, c), 0);
        break;
      }
      default: okno_rows_set(rows, c, OKNO_P_NULL, NULL, 0, 0); break;
      }
    }
  }
  if (rc != SQLITE_DONE) {
    set_error(error, s->h, rc, "running");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    okno_rows_free(rows);
    return NULL;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rows;
}

static gboolean sqlite_exec_script(OknoDb *db, const char *sql, GError **error)
{
  SqliteDb *s = (SqliteDb *)db;
  char *msg = NULL;
  int rc = sqlite3_exec(s->h, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "sqlite: %s", msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return FALSE;
  }
  return TRUE;
}

gboolean okno_db_sqlite_backup(OknoDb *db, const char *dest, GError **error)
{
  SqliteDb *s = (SqliteDb *)db;
  sqlite3 *to = NULL;
  sqlite3_backup *b;
  int rc;
  if (!okno_db_is_sqlite(db)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "not a SQLite store");
    return FALSE;
  }
  rc = sqlite3_open_v2(dest, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "cannot create %s: %s", dest,
                to ? sqlite3_errmsg(to) : sqlite3_errstr(rc));
    sqlite3_close_v2(to);
    return FALSE;
  }
  b = sqlite3_backup_init(to, "main", s->h, "main");
  if (!b) {
    set_error(error, to, sqlite3_errcode(to), "backup");
    sqlite3_close_v2(to);
    return FALSE;
  }
  /* Pages in steps, so the writers of a running okno serve are held up only briefly;
   * a write meanwhile makes SQLite restart the copy (a consistent snapshot). */
  do {
    rc = sqlite3_backup_step(b, 256);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
      sqlite3_sleep(20);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    set_error(error, to, rc, "backup");
    sqlite3_close_v2(to);
    return FALSE;
  }
  /* The copy is one self-contained file, not in WAL mode. */
  rc = sqlite3_exec(to, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    set_error(error, to, rc, "backup journal mode");
    sqlite3_close_v2(to);
    return FALSE;
  }
  sqlite3_close_v2(to);
  return TRUE;
}

const OknoDbDriver okno_sqlite_driver = {
  .name = "sqlite",
  .open = sqlite_open,
  .close = sqlite_close,
  .query = sqlite_query,
  .exec_script = sqlite_exec_script,
};
