/* pg.c: the PostgreSQL driver of the store (db.h), through libpq.
 *
 * The URL is handed to libpq as it is (postgresql://user@host:port/db, with
 * ?host=/socket/dir and the other libpq URI parameters), after application_name and
 * connect_timeout defaults that the URL may override. Statements go through
 * PQexecParams with explicit parameter types: TEXT as text, INT as decimal text typed
 * int8, BLOB as binary bytea (paramFormats 1), so `$1 = ''` and `LIMIT $3` need no
 * casts in the portable SQL of store.c. Results come back in text format and are
 * materialised by column type: int2/int4/int8/bool as INT cells, bytea unescaped into
 * BLOB cells (the exact bytes), everything else as TEXT.
 *
 * Errors by SQLSTATE: class 40 (serialization failure, deadlock), 53 (out of
 * resources), 57P (shutdown) and 08 (connection), and a lost connection, are
 * OKNO_ERROR_TEMP (retry); the rest OKNO_ERROR_INTERNAL.
 *
 * A lost connection is re-established before the next statement, but never in the
 * middle of a transaction: if it broke inside one, every statement fails until the
 * caller's ROLLBACK, so a half-done transaction can never continue in autocommit on a
 * new connection. Durability is the server's: a COMMIT returns after the WAL flush
 * (synchronous_commit=on, the default). Server notices are dropped (they would
 * otherwise go to stderr). */
#include "store/db.h"

#include <libpq-fe.h>
#include <string.h>

#include "core/error.h"

/* Type OIDs from the server's pg_type catalogue (stable across versions). */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25 };

typedef struct {
  OknoDb base;
  PGconn *conn;
  gboolean lost_in_tx; /* the connection broke inside a transaction: wait for ROLLBACK */
} PgDb;

static void ignore_notice(void *arg, const char *message) {}

/* An error message of libpq on one line (libpq's may span several). */
static char *pg_message(const char *m)
{
  return g_strstrip(g_strdelimit(g_strdup(m && *m ? m : "unknown error"), "\r\n\t", ' '));
}

static void set_result_error(GError **error, PgDb *p, const PGresult *res)
{
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  g_autofree char *msg = pg_message(primary ? primary : PQerrorMessage(p->conn));
  gboolean temp = !state || g_str_has_prefix(state, "40") || g_str_has_prefix(state, "53") ||
                  g_str_has_prefix(state, "57P") || g_str_has_prefix(state, "08") ||
                  PQstatus(p->conn) == CONNECTION_BAD;
  if (state)
    g_set_error(error, OKNO_ERROR, temp ? OKNO_ERROR_TEMP : OKNO_ERROR_INTERNAL,
                "postgresql: %s (SQLSTATE %s)", msg, state);
  else
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "postgresql: %s", msg);
}

static void pg_close(OknoDb *db)
{
  PgDb *p = (PgDb *)db;
  PQfinish(p->conn);
  g_free(p);
}

static OknoDb *pg_open(const char *url, GError **error)
{
  const char *const keys[] = {"application_name", "connect_timeout", "dbname", NULL};
  const char *const values[] = {"okno", "10", url, NULL};
  char *perr = NULL;
  PQconninfoOption *opts = PQconninfoParse(url, &perr);
  PGconn *conn;
  PgDb *p;

  if (!opts) {
    g_autofree char *msg = pg_message(perr);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[store] url is not a valid PostgreSQL URL: %s",
                msg);
    PQfreemem(perr);
    return NULL;
  }
  PQconninfoFree(opts);
  conn = PQconnectdbParams(keys, values, 1);
  if (!conn || PQstatus(conn) != CONNECTION_OK) {
    g_autofree char *msg = pg_message(conn ? PQerrorMessage(conn) : "out of memory");
    /* The server may be restarting: worth a retry, like any lost connection. */
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "postgresql: cannot connect: %s", msg);
    PQfinish(conn);
    return NULL;
  }
  PQsetNoticeProcessor(conn, ignore_notice, NULL);
  p = g_new0(PgDb, 1);
  p->base.driver = &okno_pg_driver;
  p->conn = conn;
  return &p->base;
}

/* Makes sure the connection is usable before a statement (see the top comment).
 * Returns TRUE when the statement should run, FALSE with an error or with *done set
 * when a ROLLBACK has nothing left to undo. */
static gboolean ready(PgDb *p, const char *sql, gboolean *done, GError **error)
{
  *done = FALSE;
  if (PQstatus(p->conn) == CONNECTION_OK)
    return TRUE;
  if (g_ascii_strcasecmp(sql, "ROLLBACK") == 0) {
    /* The server already dropped the transaction with the connection. */
    p->lost_in_tx = FALSE;
    *done = TRUE;
    PQreset(p->conn);
    return FALSE;
  }
  if (!p->lost_in_tx)
    PQreset(p->conn);
  if (p->lost_in_tx || PQstatus(p->conn) != CONNECTION_OK) {
    g_autofree char *msg = pg_message(PQerrorMessage(p->conn));
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "postgresql: connection lost%s: %s",
                p->lost_in_tx ? " inside a transaction" : "", msg);
    return FALSE;
  }
  PQsetNoticeProcessor(p->conn, ignore_notice, NULL);
  return TRUE;
}

/* Runs `sql` (one statement with parameters, or a script when params is NULL and
 * script is TRUE) and returns its successful result, or NULL with an error. */
static PGresult *run(PgDb *p, const char *sql, gboolean script, const OknoParam *params,
                     gsize n, gboolean *done, GError **error)
{
  g_autofree Oid *types = g_new0(Oid, n + 1);
  g_autofree const char **values = g_new0(const char *, n + 1);
  g_autofree int *lengths = g_new0(int, n + 1);
  g_autofree int *formats = g_new0(int, n + 1);
  g_autoptr(GPtrArray) ints = g_ptr_array_new_with_free_func(g_free);
  PGTransactionStatusType before;
  PGresult *res;
  ExecStatusType status;

  if (!ready(p, sql, done, error))
    return NULL;
  for (gsize i = 0; i < n; i++) {
    const OknoParam *x = &params[i];
    switch (x->type) {
    case OKNO_P_TEXT: types[i] = OID_TEXT; values[i] = x->text; break;
    case OKNO_P_INT: {
      char *s = g_strdup_printf("%" G_GINT64_FORMAT, x->i);
      g_ptr_array_add(ints, s);
      types[i] = OID_INT8;
      values[i] = s;
      break;
    }
    case OKNO_P_BLOB:
      if (x->len > G_MAXINT) {
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "postgresql: parameter $%zu too large",
                    i + 1);
        return NULL;
      }
      types[i] = OID_BYTEA;
      values[i] = x->blob ? x->blob : "";
      lengths[i] = (int)x->len;
      formats[i] = 1;
      break;
    default:
      /* SQL NULL: no declared type (0), so the server takes the column's own type; a
       * NULL sent as text into a bytea column is refused (SQLSTATE 42804). */
      types[i] = 0;
      values[i] = NULL;
      break;
    }
  }
  before = PQtransactionStatus(p->conn);
  res = script ? PQexec(p->conn, sql)
               : PQexecParams(p->conn, sql, (int)n, types, values, lengths, formats, 0);
  status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return res;
  set_result_error(error, p, res);
  PQclear(res);
  if (PQstatus(p->conn) != CONNECTION_OK && before != PQTRANS_IDLE)
    p->lost_in_tx = TRUE;
  return NULL;
}

static OknoRows *pg_query(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                          GError **error)
{
  PgDb *p = (PgDb *)db;
  gboolean done;
  PGresult *res = run(p, sql, FALSE, params, n, &done, error);
  OknoRows *rows;
  int ncols, nrows;

  if (!res)
    return done ? okno_rows_new(1) : NULL;
  ncols = PQnfields(res);
  nrows = PQntuples(res);
  rows = okno_rows_new(ncols > 0 ? ncols : 1);
  for (int r = 0; r < nrows; r++) {
    okno_rows_add_row(rows);
    for (int c = 0; c < ncols; c++) {
      const char *v = PQgetvalue(res, r, c);
      if (PQgetisnull(res, r, c)) {
        okno_rows_set(rows, c, OKNO_P_NULL, NULL, 0, 0);
        continue;
      }
      switch (PQftype(res, c)) {
      case OID_INT2:
      case OID_INT4:
      case OID_INT8:
        okno_rows_set(rows, c, OKNO_P_INT, NULL, 0, g_ascii_strtoll(v, NULL, 10));
        break;
      case OID_BOOL: okno_rows_set(rows, c, OKNO_P_INT, NULL, 0, v[0] == 't'); break;
      case OID_BYTEA: {
        size_t len = 0;
        unsigned char *bytes = PQunescapeBytea((const unsigned char *)v, &len);
        if (!bytes) {
          g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "postgresql: out of memory");
          okno_rows_free(rows);
          PQclear(res);
          return NULL;
        }
        okno_rows_set(rows, c, OKNO_P_BLOB, bytes, len, 0);
        PQfreemem(bytes);
        break;
      }
      default: okno_rows_set(rows, c, OKNO_P_TEXT, v, PQgetlength(res, r, c), 0); break;
      }
    }
  }
  PQclear(res);
  return rows;
}

static gboolean pg_exec_script(OknoDb *db, const char *sql, GError **error)
{
  gboolean done;
  PGresult *res = run((PgDb *)db, sql, TRUE, NULL, 0, &done, error);
  PQclear(res);
  return res != NULL || done;
}

const OknoDbDriver okno_pg_driver = {
  .name = "postgresql",
  .open = pg_open,
  .close = pg_close,
  .query = pg_query,
  .exec_script = pg_exec_script,
};
