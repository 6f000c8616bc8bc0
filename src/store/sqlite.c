/* sqlite.c: the SQLite driver of the store (db.h): the embedded default.
 *
 * WAL journal with synchronous=FULL: a COMMIT returns only after the WAL is synced, so
 * whatever the store commits survives a crash or power loss. busy_timeout makes the
 * several connections of one process (committer, outbound, CLI) wait for each other
 * instead of failing. Prepared statements are cached per connection by SQL text, each
 * with the map of its parameters: $1..$n placeholders may come in any order, and are
 * bound by position through the map made once at prepare (not looked up by name and
 * parsed at every call: the writer binds ~60 values per registration).
 *
 * A connection's page cache may grow to CACHE_KIB (allocated as pages are read, not up
 * front): a group of 64 registrations outgrew SQLite's default 2 MiB and spilled dirty
 * pages into the WAL mid-transaction (docs/bench.md, "The writer's own writes").
 *
 * SQLite's memory statistics are off (SQLITE_CONFIG_MEMSTATUS, set once before the
 * first connection): with them on, every sqlite3_malloc and free takes one process-wide
 * mutex to count, which the writer paid at every allocation and every other
 * connection's thread contended for (16 threads reading at once slept on it: 4,400
 * voluntary context switches in 48,000 reads, 400 to 900 without); nothing in okno
 * reads them. */
#include "store/db.h"

#include <sqlite3.h>

#include "core/error.h"
#include "text/tokenizer.h"

#define CACHE_KIB 16384
/* SQLite's own checkpoints, in frames, on every connection but a writer whose
 * checkpoints run apart (okno_db_sqlite_checkpoint_apart) */
#define WAL_AUTOCHECKPOINT 4000

typedef struct Checkpointer Checkpointer;

typedef struct {
  OknoDb base;
  sqlite3 *h;
  GHashTable *stmts; /* sql text -> Stmt* */
  Checkpointer *ckpt; /* okno_db_sqlite_checkpoint_apart */
} SqliteDb;

/* A prepared statement and, for each of its parameters (1..count), which of the
 * caller's values it takes (0-based: $k is value k - 1). */
typedef struct {
  sqlite3_stmt *st;
  int count;
  int *arg;
} Stmt;

static void set_error(GError **error, sqlite3 *h, int rc, const char *what)
{
  int code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_FULL ||
              rc == SQLITE_IOERR)
                 ? OKNO_ERROR_TEMP
                 : OKNO_ERROR_INTERNAL;
  g_set_error(error, OKNO_ERROR, code, "sqlite: %s: %s", what,
              h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
}

static void stmt_free(gpointer p)
{
  Stmt *c = p;
  sqlite3_finalize(c->st);
  g_free(c->arg);
  g_free(c);
}

static void checkpointer_stop(SqliteDb *s);

static void sqlite_close(OknoDb *db)
{
  SqliteDb *s = (SqliteDb *)db;
  checkpointer_stop(s);
  g_hash_table_destroy(s->stmts);
  sqlite3_close_v2(s->h);
  g_free(s);
}

/* The process-wide settings, before SQLite initialises (the first connection); a
 * library that initialised SQLite first keeps its own (the call then fails, harmless). */
static void configure_once(void)
{
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    g_once_init_leave(&done, 1);
  }
}

static OknoDb *sqlite_open(const char *path, GError **error)
{
  SqliteDb *s;
  sqlite3 *h = NULL;
  g_autofree char *dir = g_path_get_dirname(path);
  int rc;

  configure_once();

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
                      "PRAGMA wal_autocheckpoint=" G_STRINGIFY(WAL_AUTOCHECKPOINT) ";"
                      "PRAGMA cache_size=-" G_STRINGIFY(CACHE_KIB) ";",
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
  s->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, stmt_free);
  return &s->base;
}

/* The cached statement of `sql`, prepared (and its parameters mapped) on first use;
 * NULL with the error when it does not prepare or names a parameter not $1..$n. */
static Stmt *statement(SqliteDb *s, const char *sql, GError **error)
{
  Stmt *c = g_hash_table_lookup(s->stmts, sql);
  sqlite3_stmt *st = NULL;
  int rc;
  if (c)
    return c;
  rc = sqlite3_prepare_v3(s->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
  if (rc != SQLITE_OK) {
    set_error(error, s->h, rc, "preparing");
    return NULL;
  }
  c = g_new0(Stmt, 1);
  c->st = st;
  c->count = sqlite3_bind_parameter_count(st);
  c->arg = g_new0(int, c->count > 0 ? c->count : 1);
  for (int idx = 1; idx <= c->count; idx++) {
    const char *name = sqlite3_bind_parameter_name(st, idx);
    gint64 k;
    if (!name || name[0] != '$' || (k = g_ascii_strtoll(name + 1, NULL, 10)) < 1 ||
        k > G_MAXINT) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "sqlite: parameter %s is not $1..$n",
                  name ? name : "?");
      stmt_free(c);
      return NULL;
    }
    c->arg[idx - 1] = (int)k - 1;
  }
  g_hash_table_insert(s->stmts, g_strdup(sql), c);
  return c;
}

static gboolean bind_params(SqliteDb *s, const Stmt *c, const OknoParam *params, gsize n,
                            GError **error)
{
  for (int idx = 1; idx <= c->count; idx++) {
    const OknoParam *p;
    int rc;
    if ((gsize)c->arg[idx - 1] >= n) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "sqlite: parameter $%d not given",
                  c->arg[idx - 1] + 1);
      return FALSE;
    }
    p = &params[c->arg[idx - 1]];
    switch (p->type) {
    case OKNO_P_TEXT:
      rc = p->text ? sqlite3_bind_text(c->st, idx, p->text, -1, SQLITE_STATIC)
                   : sqlite3_bind_null(c->st, idx);
      break;
    case OKNO_P_INT: rc = sqlite3_bind_int64(c->st, idx, p->i); break;
    case OKNO_P_BLOB:
      rc = sqlite3_bind_blob64(c->st, idx, p->blob ? p->blob : "", p->len, SQLITE_STATIC);
      break;
    default: rc = sqlite3_bind_null(c->st, idx); break;
    }
    if (rc != SQLITE_OK) {
      set_error(error, s->h, rc, "binding");
      return FALSE;
    }
  }
  return TRUE;
}

static void stmt_done(sqlite3_stmt *st)
{
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

/* The statement of `sql` prepared and bound, ready to step; NULL with the error. */
static sqlite3_stmt *bound(SqliteDb *s, const char *sql, const OknoParam *params, gsize n,
                           GError **error)
{
  Stmt *c = statement(s, sql, error);
  if (!c)
    return NULL;
  if (!bind_params(s, c, params, n, error)) {
    stmt_done(c->st);
    return NULL;
  }
  return c->st;
}

static OknoRows *sqlite_query(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                              GError **error)
{
  SqliteDb *s = (SqliteDb *)db;
  sqlite3_stmt *st = bound(s, sql, params, n, error);
  OknoRows *rows;
  int rc, ncols;

  if (!st)
    return NULL;
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
    stmt_done(st);
    okno_rows_free(rows);
    return NULL;
  }
  stmt_done(st);
  return rows;
}

/* A statement whose rows nobody reads: stepped to the end, no rows made. */
static gboolean sqlite_exec(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                            GError **error)
{
  SqliteDb *s = (SqliteDb *)db;
  sqlite3_stmt *st = bound(s, sql, params, n, error);
  int rc;
  if (!st)
    return FALSE;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    ;
  if (rc != SQLITE_DONE) {
    set_error(error, s->h, rc, "running");
    stmt_done(st);
    return FALSE;
  }
  stmt_done(st);
  return TRUE;
}

gboolean okno_db_sqlite_insert(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                               gint64 *rowid, GError **error)
{
  *rowid = 0;
  if (!okno_db_is_sqlite(db)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "not a SQLite store");
    return FALSE;
  }
  if (!sqlite_exec(db, sql, params, n, error))
    return FALSE;
  *rowid = sqlite3_last_insert_rowid(((SqliteDb *)db)->h);
  return TRUE;
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

/* ---- checkpoints apart from the writer (okno_db_sqlite_checkpoint_apart) ----
 * The writer's connection calls wal_hook after each of its commits with the frames now
 * in the WAL. Past CKPT_SOFT it wakes the checkpointer thread, which copies them back
 * into the database on a connection of its own (PASSIVE: it never waits for nor holds
 * up the writer, and it commits nothing, so the writer's page cache stays valid).
 * SQLite starts the WAL over only when a write transaction begins on a WAL that is
 * wholly checkpointed, which under a steady load a thread apart never leaves it; so
 * past CKPT_HARD the writer copies what is left itself (little: the thread has done
 * the rest), and its next transaction starts the WAL over. The WAL stays under about
 * CKPT_HARD frames plus a group. */
#define CKPT_SOFT 2000
#define CKPT_HARD 8000

struct Checkpointer {
  GThread *thread;
  GMutex lock;
  GCond cond;
  gboolean wanted, stopping;
  sqlite3 *h;
};

static gpointer checkpointer_main(gpointer p)
{
  Checkpointer *c = p;
  g_mutex_lock(&c->lock);
  for (;;) {
    while (!c->wanted && !c->stopping)
      g_cond_wait(&c->cond, &c->lock);
    if (c->stopping)
      break;
    c->wanted = FALSE;
    g_mutex_unlock(&c->lock);
    /* A failure (busy: another checkpoint runs) is tried again at the next wake. */
    sqlite3_wal_checkpoint_v2(c->h, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    g_mutex_lock(&c->lock);
  }
  g_mutex_unlock(&c->lock);
  return NULL;
}

static int wal_hook(void *p, sqlite3 *h, const char *name, int frames)
{
  Checkpointer *c = p;
  if (frames >= CKPT_HARD) {
    sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  } else if (frames >= CKPT_SOFT) {
    g_mutex_lock(&c->lock);
    c->wanted = TRUE;
    g_cond_signal(&c->cond);
    g_mutex_unlock(&c->lock);
  }
  return SQLITE_OK;
}

static void checkpointer_stop(SqliteDb *s)
{
  Checkpointer *c = s->ckpt;
  if (!c)
    return;
  sqlite3_wal_hook(s->h, NULL, NULL);
  sqlite3_wal_autocheckpoint(s->h, WAL_AUTOCHECKPOINT);
  g_mutex_lock(&c->lock);
  c->stopping = TRUE;
  g_cond_signal(&c->cond);
  g_mutex_unlock(&c->lock);
  g_thread_join(c->thread);
  sqlite3_close_v2(c->h);
  g_mutex_clear(&c->lock);
  g_cond_clear(&c->cond);
  g_free(c);
  s->ckpt = NULL;
}

gboolean okno_db_sqlite_checkpoint_apart(OknoDb *db, GError **error)
{
  SqliteDb *s = (SqliteDb *)db;
  const char *path;
  sqlite3 *h = NULL;
  Checkpointer *c;
  int rc;
  if (!okno_db_is_sqlite(db)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "not a SQLite store");
    return FALSE;
  }
  if (s->ckpt)
    return TRUE;
  path = sqlite3_db_filename(s->h, "main");
  if (!path || !*path)
    return TRUE; /* a database in memory has no WAL */
  rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_busy_timeout(h, 10000);
    /* reads the schema, which opens the WAL: the checkpoint needs it open */
    rc = sqlite3_exec(h, "PRAGMA synchronous=FULL; SELECT count(*) FROM sqlite_schema;", NULL,
                      NULL, NULL);
  }
  if (rc != SQLITE_OK) {
    set_error(error, h, rc, "opening the checkpointer's connection");
    sqlite3_close_v2(h);
    return FALSE;
  }
  c = g_new0(Checkpointer, 1);
  c->h = h;
  g_mutex_init(&c->lock);
  g_cond_init(&c->cond);
  c->thread = g_thread_new("okno-checkpoint", checkpointer_main, c);
  s->ckpt = c;
  sqlite3_wal_hook(s->h, wal_hook, c); /* in place of wal_autocheckpoint's */
  return TRUE;
}

const OknoDbDriver okno_sqlite_driver = {
  .name = "sqlite",
  .open = sqlite_open,
  .close = sqlite_close,
  .query = sqlite_query,
  .exec_script = sqlite_exec_script,
  .exec = sqlite_exec,
};
