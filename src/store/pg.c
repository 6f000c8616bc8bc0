/* pg.c: the PostgreSQL driver of the store (db.h), through libpq.
 *
 * The URL is handed to libpq as it is (postgresql://user@host:port/db, with
 * ?host=/socket/dir and the other libpq URI parameters), after application_name and
 * connect_timeout defaults that the URL may override. Each new or reset connection
 * then turns the server's JIT compilation off for its session (SET jit = off; its
 * error, from a server without the setting, is ignored; a SET rather than a startup
 * option, which a pooler such as PgBouncer refuses): okno's statements are short, and
 * a plan whose estimate crossed jit_above_cost was compiled by LLVM at every run,
 * 11.6 % of the server's CPU at intake (docs/postgresql.md, "Where the server's time
 * goes"). Statements go through
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
 * otherwise go to stderr).
 *
 * Pipelining (issue 18; okno_db_set_pipelining, turned on by the group-commit writer
 * and the outbound queue's connection): inside a transaction, a statement whose rows
 * nobody reads (okno_db_exec, a SAVEPOINT) is sent in libpq's pipeline mode without
 * waiting for its answer, and so is a plain BEGIN that opens one (a round trip less
 * per transaction: its answer comes back with the next statement's); the
 * next statement that needs an answer (a query, RELEASE, COMMIT) is sent behind them
 * with a sync, and all the answers come back in one round trip. The first error among
 * them is that statement's error (the server aborted the rest), so a job in its
 * savepoint still fails as a whole and is undone. okno_db_sync collects what is in
 * flight on its own (the writer's check that a group's work went through, before its
 * COMMIT). A ROLLBACK first collects what is in flight, ignoring its errors.
 *
 * Prepared statements (issue 18), on the pipelining connection and on one whose
 * preparing is on (okno_db_set_preparing: the scheduler's incident pass, the outbound
 * queue's connection): a statement with
 * parameters is parsed once per connection and parameter types, under a name never
 * used twice (okno_1, okno_2, ...), and later sent by name, so the server skips its
 * parse and analysis. Its Parse goes into the pipeline before its first use; the name
 * is remembered only once the server answered that Parse with success, so a failed or
 * aborted pipeline never leaves a name okno believes in and the server does not know.
 * A reset connection forgets them all. At most PREPARED_MAX names per connection: the
 * statements of other connections (console, reports, with filters that make many
 * texts) stay unnamed, and so do the writer's beyond that bound. On any connection, a
 * hot read its caller asks to be prepared (okno_db_query_prepared: the cabinet list,
 * the status check) is named the same way, prepared in a round trip of its own the
 * first time (issue 18 item 4: parsing and planning were most of the server's time for
 * them). */
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
  guint64 round_trips; /* okno_db_round_trips */
  gboolean pipelining; /* okno_db_set_pipelining */
  gboolean preparing;  /* okno_db_set_preparing */
  /* what was sent in pipeline mode and not answered yet, in order: NULL for a
   * statement, a Parse for the Parse of a statement to be named */
  GPtrArray *inflight;
  GHashTable *prepared; /* "types|sql" -> name, each answered by the server's success */
  guint names;          /* names given on this connection (PREPARED_MAX at most) */
} PgDb;

enum { PREPARED_MAX = 512 };

typedef struct {
  char *key;  /* "types|sql" */
  char *name; /* okno_N */
} Parse;

static void parse_free(gpointer x)
{
  Parse *pp = x;
  if (!pp)
    return;
  g_free(pp->key);
  g_free(pp->name);
  g_free(pp);
}

/* Forgets what was in flight and the prepared statements: the server's session is
 * gone (a reset connection). */
static void forget(PgDb *p)
{
  g_ptr_array_set_size(p->inflight, 0);
  g_hash_table_remove_all(p->prepared);
}

static void ignore_notice(void *arg, const char *message)
{
  (void)arg;
  (void)message;
}

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

/* What every new or reset session gets before its first statement (see the top
 * comment): notices dropped, JIT off. */
static void session_setup(PGconn *conn)
{
  PQsetNoticeProcessor(conn, ignore_notice, NULL);
  PQclear(PQexec(conn, "SET jit = off"));
}

static void pg_close(OknoDb *db)
{
  PgDb *p = (PgDb *)db;
  PQfinish(p->conn);
  g_ptr_array_unref(p->inflight);
  g_hash_table_destroy(p->prepared);
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
  session_setup(conn);
  p = g_new0(PgDb, 1);
  p->base.driver = &okno_pg_driver;
  p->conn = conn;
  p->inflight = g_ptr_array_new_with_free_func(parse_free);
  p->prepared = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
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
    forget(p);
    PQreset(p->conn);
    if (PQstatus(p->conn) == CONNECTION_OK)
      session_setup(p->conn);
    return FALSE;
  }
  forget(p);
  if (!p->lost_in_tx)
    PQreset(p->conn);
  if (p->lost_in_tx || PQstatus(p->conn) != CONNECTION_OK) {
    g_autofree char *msg = pg_message(PQerrorMessage(p->conn));
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "postgresql: connection lost%s: %s",
                p->lost_in_tx ? " inside a transaction" : "", msg);
    return FALSE;
  }
  session_setup(p->conn);
  return TRUE;
}

/* The parameters of one statement as libpq takes them. */
typedef struct {
  Oid *types;
  const char **values;
  int *lengths;
  int *formats;
  GPtrArray *ints;
} Params;

static void params_clear(Params *b)
{
  g_free(b->types);
  g_free(b->values);
  g_free(b->lengths);
  g_free(b->formats);
  g_ptr_array_unref(b->ints);
}

static gboolean params_build(Params *b, const OknoParam *params, gsize n, GError **error)
{
  b->types = g_new0(Oid, n + 1);
  b->values = g_new0(const char *, n + 1);
  b->lengths = g_new0(int, n + 1);
  b->formats = g_new0(int, n + 1);
  b->ints = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; i < n; i++) {
    const OknoParam *x = &params[i];
    switch (x->type) {
    case OKNO_P_TEXT: b->types[i] = OID_TEXT; b->values[i] = x->text; break;
    case OKNO_P_INT: {
      char *s = g_strdup_printf("%" G_GINT64_FORMAT, x->i);
      g_ptr_array_add(b->ints, s);
      b->types[i] = OID_INT8;
      b->values[i] = s;
      break;
    }
    case OKNO_P_BLOB:
      if (x->len > G_MAXINT) {
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "postgresql: parameter $%zu too large",
                    i + 1);
        return FALSE;
      }
      b->types[i] = OID_BYTEA;
      b->values[i] = x->blob ? x->blob : "";
      b->lengths[i] = (int)x->len;
      b->formats[i] = 1;
      break;
    default:
      /* SQL NULL: no declared type (0), so the server takes the column's own type; a
       * NULL sent as text into a bytea column is refused (SQLSTATE 42804). */
      b->types[i] = 0;
      b->values[i] = NULL;
      break;
    }
  }
  return TRUE;
}

/* The name `sql` is sent by, or NULL to send it unnamed (see the top comment; `hot`:
 * okno_db_query_prepared's, named without pipelining too). A new
 * name's Parse is queued in the pipeline when `pipelined`, else prepared at once (one
 * round trip, the first time only); NULL with *error when that Parse failed. */
static const char *statement_name(PgDb *p, const char *sql, const Params *b, gsize n,
                                  gboolean pipelined, gboolean hot, GError **error)
{
  g_autoptr(GString) key = NULL;
  const char *name;
  Parse *pp;

  if ((!p->pipelining && !p->preparing && !hot) || n == 0 || strchr(sql, ';'))
    return NULL;
  key = g_string_new(NULL);
  for (gsize i = 0; i < n; i++)
    g_string_append_printf(key, "%u,", b->types[i]);
  g_string_append_c(key, '|');
  g_string_append(key, sql);
  if ((name = g_hash_table_lookup(p->prepared, key->str)))
    return name;
  for (guint i = 0; i < p->inflight->len; i++) { /* parsed earlier in this pipeline */
    Parse *q = g_ptr_array_index(p->inflight, i);
    if (q && strcmp(q->key, key->str) == 0)
      return q->name;
  }
  if (p->names >= PREPARED_MAX)
    return NULL;
  pp = g_new0(Parse, 1);
  pp->key = g_string_free(g_steal_pointer(&key), FALSE);
  pp->name = g_strdup_printf("okno_%u", ++p->names);
  if (pipelined) {
    if (!PQsendPrepare(p->conn, pp->name, sql, (int)n, b->types)) {
      set_result_error(error, p, NULL);
      parse_free(pp);
      return NULL;
    }
    g_ptr_array_add(p->inflight, pp);
    return pp->name;
  }
  {
    PGresult *res = PQprepare(p->conn, pp->name, sql, (int)n, b->types);
    p->round_trips++;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
      set_result_error(error, p, res);
      PQclear(res);
      parse_free(pp);
      return NULL;
    }
    PQclear(res);
  }
  name = pp->name;
  g_hash_table_insert(p->prepared, g_steal_pointer(&pp->key), g_steal_pointer(&pp->name));
  g_free(pp);
  return name;
}

/* Sends one statement in pipeline mode, by name when it has one. */
static gboolean send_statement(PgDb *p, const char *sql, const char *name, const Params *b,
                               gsize n)
{
  return name ? PQsendQueryPrepared(p->conn, name, (int)n, b->values, b->lengths, b->formats, 0)
              : PQsendQueryParams(p->conn, sql, (int)n, b->types, b->values, b->lengths,
                                  b->formats, 0);
}

/* A statement of the pipeline failed or was aborted: its error, once (the first). */
static void pipe_error(PgDb *p, PGresult *res, GError **first)
{
  ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || *first)
    return;
  if (status == PGRES_PIPELINE_ABORTED)
    g_set_error(first, OKNO_ERROR, OKNO_ERROR_INTERNAL, "postgresql: statement aborted");
  else
    set_result_error(first, p, res);
}

/* Sends `sql` behind the statements in flight, then a sync, and reads every answer:
 * returns the last statement's result, or NULL with the first error among them. With
 * sql NULL, only collects what is in flight (the result is then NULL: check *error).
 * Leaves pipeline mode. */
static PGresult *pipe_sync(PgDb *p, const char *sql, const Params *b, gsize n, GError **error)
{
  g_autoptr(GError) first = NULL;
  g_autoptr(GPtrArray) inflight = NULL;
  PGresult *last = NULL, *res;
  const char *name = sql ? statement_name(p, sql, b, n, TRUE, FALSE, &first) : NULL;
  guint waiting;
  gboolean sent = !sql || (!first && send_statement(p, sql, name, b, n));

  inflight = p->inflight; /* answered below, in this order */
  p->inflight = g_ptr_array_new_with_free_func(parse_free);
  waiting = inflight->len + (sql && sent ? 1 : 0);
  p->round_trips++;
  if (!sent || !PQpipelineSync(p->conn)) {
    if (!first)
      set_result_error(&first, p, NULL);
    g_propagate_error(error, g_steal_pointer(&first));
    return NULL;
  }
  for (guint i = 0; i < waiting; i++) {
    Parse *pp = i < inflight->len ? g_ptr_array_index(inflight, i) : NULL;
    res = PQgetResult(p->conn);
    if (!res) { /* the connection broke */
      pipe_error(p, NULL, &first);
      break;
    }
    if (pp && PQresultStatus(res) == PGRES_COMMAND_OK) /* the server knows the name now */
      g_hash_table_insert(p->prepared, g_steal_pointer(&pp->key), g_steal_pointer(&pp->name));
    if (i + 1 == waiting && sql && !first)
      last = res;
    else {
      pipe_error(p, res, &first);
      PQclear(res);
    }
    while ((res = PQgetResult(p->conn)) != NULL) /* the NULL that ends each answer */
      PQclear(res);
  }
  /* the sync's own answer, then back to normal mode */
  while ((res = PQgetResult(p->conn)) != NULL) {
    gboolean sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
    PQclear(res);
    if (sync)
      break;
  }
  PQexitPipelineMode(p->conn);
  if (last && PQresultStatus(last) != PGRES_COMMAND_OK && PQresultStatus(last) != PGRES_TUPLES_OK) {
    pipe_error(p, last, &first);
    g_clear_pointer(&last, PQclear);
  }
  if (first) {
    PQclear(last);
    g_propagate_error(error, g_steal_pointer(&first));
    if (PQstatus(p->conn) != CONNECTION_OK)
      p->lost_in_tx = TRUE;
    return NULL;
  }
  return last;
}

/* A plain BEGIN (not "BEGIN; ..."): on a pipelining connection it opens the pipeline. */
static gboolean is_begin(const char *sql) { return strcmp(sql, "BEGIN") == 0; }

/* Whether `sql` may go into the pipeline without waiting (see the top comment). */
static gboolean may_wait(PgDb *p, const char *sql, gboolean later)
{
  PGTransactionStatusType tx;
  if (!p->pipelining || !later || strchr(sql, ';'))
    return FALSE;
  if (p->inflight->len > 0)
    return TRUE;
  tx = PQtransactionStatus(p->conn);
  return tx == PQTRANS_INTRANS || (tx == PQTRANS_IDLE && is_begin(sql));
}

/* Runs `sql` (one statement with parameters, or a script when params is NULL and
 * script is TRUE) and returns its successful result, or NULL with an error. `later`:
 * nobody reads its rows, so it may be sent in the pipeline without waiting; it then
 * returns an empty result at once. `hot`: named even without pipelining
 * (okno_db_query_prepared). */
static PGresult *run(PgDb *p, const char *sql, gboolean script, const OknoParam *params,
                     gsize n, gboolean later, gboolean hot, gboolean *done, GError **error)
{
  Params b = {0};
  PGTransactionStatusType before;
  PGresult *res = NULL;
  ExecStatusType status;
  const char *name;

  if (p->inflight->len > 0 && g_ascii_strncasecmp(sql, "ROLLBACK", 8) == 0) {
    /* what is in flight is undone anyway: collect it, ignoring its errors */
    g_autoptr(GError) ignored = NULL;
    PQclear(pipe_sync(p, NULL, NULL, 0, &ignored));
  }
  if (!ready(p, sql, done, error))
    return NULL;
  if (!params_build(&b, params, n, error))
    goto out;
  if (may_wait(p, sql, later)) {
    if (PQpipelineStatus(p->conn) == PQ_PIPELINE_OFF && !PQenterPipelineMode(p->conn))
      goto send_failed;
    {
      GError *perr = NULL;
      name = statement_name(p, sql, &b, n, TRUE, FALSE, &perr);
      if (perr) {
        g_propagate_error(error, perr);
        if (PQstatus(p->conn) != CONNECTION_OK)
          p->lost_in_tx = TRUE;
        goto out;
      }
    }
    if (!send_statement(p, sql, name, &b, n))
      goto send_failed;
    g_ptr_array_add(p->inflight, NULL);
    res = PQmakeEmptyPGresult(p->conn, PGRES_COMMAND_OK);
    goto out;
  }
  if (p->inflight->len > 0 && !strchr(sql, ';')) {
    res = pipe_sync(p, sql, &b, n, error);
    goto out;
  }
  if (p->inflight->len > 0) {
    /* a script cannot go into a pipeline: collect what is in flight first */
    GError *first = NULL;
    PQclear(pipe_sync(p, NULL, NULL, 0, &first));
    if (first) {
      g_propagate_error(error, first);
      goto out;
    }
  }
  before = PQtransactionStatus(p->conn);
  {
    GError *perr = NULL;
    name = script ? NULL : statement_name(p, sql, &b, n, FALSE, hot, &perr);
    if (perr) {
      g_propagate_error(error, perr);
      if (PQstatus(p->conn) != CONNECTION_OK && before != PQTRANS_IDLE)
        p->lost_in_tx = TRUE;
      goto out;
    }
  }
  p->round_trips++;
  res = script ? PQexec(p->conn, sql)
        : name ? PQexecPrepared(p->conn, name, (int)n, b.values, b.lengths, b.formats, 0)
               : PQexecParams(p->conn, sql, (int)n, b.types, b.values, b.lengths, b.formats, 0);
  status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    goto out;
  set_result_error(error, p, res);
  g_clear_pointer(&res, PQclear);
  if (PQstatus(p->conn) != CONNECTION_OK && before != PQTRANS_IDLE)
    p->lost_in_tx = TRUE;
  goto out;
send_failed:
  set_result_error(error, p, NULL);
  if (PQstatus(p->conn) != CONNECTION_OK)
    p->lost_in_tx = TRUE;
out:
  params_clear(&b);
  return res;
}

/* pg_query and pg_query_prepared: `hot` as run's. */
static OknoRows *query_rows(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                            gboolean hot, GError **error)
{
  PgDb *p = (PgDb *)db;
  gboolean done;
  PGresult *res = run(p, sql, FALSE, params, n, FALSE, hot, &done, error);
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

static OknoRows *pg_query(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                          GError **error)
{
  return query_rows(db, sql, params, n, FALSE, error);
}

static OknoRows *pg_query_prepared(OknoDb *db, const char *sql, const OknoParam *params,
                                   gsize n, GError **error)
{
  return query_rows(db, sql, params, n, TRUE, error);
}

static gboolean pg_exec_script(OknoDb *db, const char *sql, GError **error)
{
  gboolean done;
  /* a savepoint's or a plain BEGIN's answer is not waited for (its failure fails what
   * follows) */
  PGresult *res = run((PgDb *)db, sql, TRUE, NULL, 0,
                      g_str_has_prefix(sql, "SAVEPOINT ") || is_begin(sql), FALSE, &done, error);
  PQclear(res);
  return res != NULL || done;
}

static gboolean pg_exec(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                        GError **error)
{
  gboolean done;
  PGresult *res = run((PgDb *)db, sql, FALSE, params, n, TRUE, FALSE, &done, error);
  PQclear(res);
  return res != NULL || done;
}

static void pg_set_pipelining(OknoDb *db, gboolean on) { ((PgDb *)db)->pipelining = on; }
static void pg_set_preparing(OknoDb *db, gboolean on) { ((PgDb *)db)->preparing = on; }

/* okno_db_sync: collects what is in flight (pipe_sync with no statement of its own).
 * Also FALSE when the transaction is already aborted by an error nobody reported (a
 * caller that swallowed one): its COMMIT would answer ROLLBACK without an error. */
static gboolean pg_sync(OknoDb *db, GError **error)
{
  PgDb *p = (PgDb *)db;
  GError *first = NULL;
  if (p->inflight->len > 0)
    PQclear(pipe_sync(p, NULL, NULL, 0, &first));
  if (first) {
    g_propagate_error(error, first);
    return FALSE;
  }
  if (PQstatus(p->conn) != CONNECTION_OK) {
    p->lost_in_tx = TRUE;
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP,
                "postgresql: connection lost inside a transaction");
    return FALSE;
  }
  if (PQtransactionStatus(p->conn) == PQTRANS_INERROR) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                "postgresql: the transaction was aborted by an earlier error");
    return FALSE;
  }
  return TRUE;
}

static gboolean pg_pipelining(OknoDb *db) { return ((PgDb *)db)->pipelining; }

static guint64 pg_round_trips(OknoDb *db) { return ((PgDb *)db)->round_trips; }

const OknoDbDriver okno_pg_driver = {
  .name = "postgresql",
  .open = pg_open,
  .close = pg_close,
  .query = pg_query,
  .exec_script = pg_exec_script,
  .round_trips = pg_round_trips,
  .exec = pg_exec,
  .set_pipelining = pg_set_pipelining,
  .sync = pg_sync,
  .pipelining = pg_pipelining,
  .set_preparing = pg_set_preparing,
  .query_prepared = pg_query_prepared,
};
