/* db.h: the database driver interface under the store.
 *
 * The store's domain operations (store.h) are written once, in portable SQL, over this
 * small driver: a table of function pointers that sqlite.c (and pg.c) implement, the
 * way OpenSMTPD's queue_backend.c puts backends behind one table. SQL uses $1..$n
 * placeholders (PostgreSQL style; the SQLite driver binds them by name).
 *
 * Results are materialised (OknoRows): small rows, read after the statement is done.
 * A connection belongs to one thread at a time. */
#pragma once
#include <glib.h>

typedef enum { OKNO_P_NULL, OKNO_P_TEXT, OKNO_P_INT, OKNO_P_BLOB } OknoParamType;

typedef struct {
  OknoParamType type;
  const char *text;   /* TEXT (NULL binds NULL) */
  gint64 i;           /* INT */
  const void *blob;   /* BLOB */
  gsize len;
} OknoParam;

#define OKNO_TEXT(s) ((OknoParam){.type = OKNO_P_TEXT, .text = (s)})
#define OKNO_INT(v) ((OknoParam){.type = OKNO_P_INT, .i = (v)})
#define OKNO_BLOB(p, n) ((OknoParam){.type = OKNO_P_BLOB, .blob = (p), .len = (n)})
#define OKNO_NULL ((OknoParam){.type = OKNO_P_NULL})
/* okno_db_query(db, sql, OKNO_PARAMS(OKNO_TEXT(a), OKNO_INT(b)), &err) */
#define OKNO_PARAMS(...) ((const OknoParam[]){__VA_ARGS__}), \
  (sizeof((const OknoParam[]){__VA_ARGS__}) / sizeof(OknoParam))
#define OKNO_NO_PARAMS NULL, 0

typedef struct OknoRows OknoRows;
typedef struct OknoDb OknoDb;

typedef struct {
  const char *name; /* "sqlite", "postgresql" */
  OknoDb *(*open)(const char *url, GError **error);
  void (*close)(OknoDb *db);
  /* Runs one statement; returns its rows (possibly none), or NULL with an error
   * (OKNO_ERROR_TEMP for busy/locked/disk-full, OKNO_ERROR_INTERNAL otherwise). */
  OknoRows *(*query)(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                     GError **error);
  /* Runs a script of several statements without parameters (migrations). */
  gboolean (*exec_script)(OknoDb *db, const char *sql, GError **error);
  /* The round trips to the server so far (NULL: an embedded database, none). */
  guint64 (*round_trips)(OknoDb *db);
  /* Optional: runs one statement whose rows nobody reads (NULL: query's). */
  gboolean (*exec)(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                   GError **error);
  /* Optional: see okno_db_set_pipelining. */
  void (*set_pipelining)(OknoDb *db, gboolean on);
  /* Optional: see okno_db_sync (NULL: nothing is ever in flight). */
  gboolean (*sync)(OknoDb *db, GError **error);
  /* Optional: whether it is on (NULL: never). */
  gboolean (*pipelining)(OknoDb *db);
  /* Optional: see okno_db_set_preparing. */
  void (*set_preparing)(OknoDb *db, gboolean on);
  /* Optional: see okno_db_query_prepared (NULL: query's). */
  OknoRows *(*query_prepared)(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                              GError **error);
} OknoDbDriver;

struct OknoDb {
  const OknoDbDriver *driver;
};

OknoDb *okno_db_open(const char *url, GError **error);
void okno_db_close(OknoDb *db);
OknoRows *okno_db_query(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                        GError **error);
/* okno_db_query for a hot read of fixed text on a long-lived connection (a web worker's:
 * the cabinet list, the status check). PostgreSQL prepares it under a name on this
 * connection the first time (one more round trip, once) and then runs it by name, so
 * the server neither parses nor plans it at every call (issue 18 item 4: planning was
 * most of their server time); after five runs the server's plan cache may keep one
 * generic plan, so only for statements whose best plan does not depend on the values
 * (an equality on a unique or selective index). The connection's bound on names
 * (pg.c) applies; past it the statement runs unnamed. SQLite: okno_db_query (every
 * statement is prepared once per connection there). */
OknoRows *okno_db_query_prepared(OknoDb *db, const char *sql, const OknoParam *params,
                                 gsize n, GError **error);
/* Sealed text (store/keys.h, docs/crypto.md): a TEXT value that begins with
 * OKNO_VAULT_TEXT_PREFIX ("~1") and decodes as a sealed value, or with
 * OKNO_VAULT_DETAIL_PREFIX ("~2", an event detail with sealed members), is opened by
 * okno_db_query before the rows are returned, through the opener the store's key
 * module registers, so every reader above sees clear text. The opener returns FALSE
 * with an error when the process has no key file (the query then fails with it), and
 * TRUE with *clear NULL when the value does not open (its key was shredded, or a clear
 * text only looks sealed): the value then reads as "". */
typedef gboolean (*OknoDbTextOpener)(OknoDb *db, const char *stored, char **clear,
                                     GError **error);
void okno_db_set_text_opener(OknoDbTextOpener opener);
/* Same, discarding rows. */
gboolean okno_db_exec(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                      GError **error);
gboolean okno_db_script(OknoDb *db, const char *sql, GError **error);
gboolean okno_db_is_sqlite(const OknoDb *db);
/* A debug counter: how many times this connection waited for the server's answer
 * (PostgreSQL; 0 on SQLite). Tests and benches divide it by what was done. */
guint64 okno_db_round_trips(OknoDb *db);
/* PostgreSQL (pg.c): with pipelining on, inside a transaction, okno_db_exec and a
 * SAVEPOINT return at once and their answers come back with the next statement that
 * needs one; an error of theirs is then that statement's error; a plain "BEGIN"
 * (okno_db_script) returns at once too. For connections whose transactions fail as a
 * whole: the group-commit writer's and the outbound queue's; nothing else turns it
 * on. SQLite: nothing. */
void okno_db_set_pipelining(OknoDb *db, gboolean on);
/* With pipelining on: waits for the answers of every statement sent without waiting
 * (one round trip; none when nothing is in flight) and returns the first error among
 * them, so that it shows here and not as the next statement's (the group-commit
 * writer's check before its COMMIT); FALSE too when the transaction was already
 * aborted by an error (PostgreSQL's COMMIT would then answer ROLLBACK, no error) or the
 * connection is lost. SQLite: TRUE at once. */
gboolean okno_db_sync(OknoDb *db, GError **error);
/* Whether okno_db_set_pipelining turned it on for this connection (FALSE on SQLite). */
gboolean okno_db_pipelining(OknoDb *db);
/* PostgreSQL (pg.c): while on, a statement with parameters is prepared once on this
 * connection under a name and then sent by name, as the pipelining connection's are
 * (the server skips its parsing, and its planning once the plan cache keeps a generic
 * plan); turned off, statements go unnamed again (the names stay with the session).
 * For passes that run the same statements over and over (the scheduler's incident
 * detection, the outbound queue); a console's or a report's statements stay unnamed,
 * their plans custom to their parameters. SQLite: nothing. */
void okno_db_set_preparing(OknoDb *db, gboolean on);
/* SQLite only: runs `sql`, an INSERT of one row into a table whose id is its INTEGER
 * PRIMARY KEY, and sets *rowid to that row's id (the connection's last insert rowid:
 * rows the table's triggers insert elsewhere do not change it). For the writer's
 * inserts instead of RETURNING id, which SQLite runs as a trigger filling a temporary
 * table, opened and closed at every row. FALSE with the error (and *rowid 0). */
gboolean okno_db_sqlite_insert(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                               gint64 *rowid, GError **error);
/* SQLite only, for the group-commit writer's connection: its WAL checkpoints are done
 * by a thread of their own, on a connection of its own, no longer inside the writer's
 * commits (sqlite.c says how the WAL stays bounded); okno_db_close stops the thread.
 * FALSE with the error when that connection does not open (nothing changed). */
gboolean okno_db_sqlite_checkpoint_apart(OknoDb *db, GError **error);
/* SQLite only: copies the whole database into a new file `dest` with the online backup
 * API (a consistent snapshot while others write; the copy in rollback-journal mode). */
gboolean okno_db_sqlite_backup(OknoDb *db, const char *dest, GError **error);

/* Rows. Column values are read by index; a NULL value reads as NULL text, 0, or a
 * NULL blob with length 0. Rows own their memory. */
guint okno_rows_count(const OknoRows *r);
const char *okno_rows_text(const OknoRows *r, guint row, guint col);
gint64 okno_rows_int(const OknoRows *r, guint row, guint col);
/* Column `col` of every row as integers, in row order: a new GArray of gint64; NULL
 * for NULL rows (a failed query), so `okno_rows_ints(okno_db_query(...), 0)` passes a
 * query's failure on. */
GArray *okno_rows_ints(const OknoRows *r, guint col);
GBytes *okno_rows_blob(const OknoRows *r, guint row, guint col); /* new ref or NULL */
/* The same value's bytes without a reference (TEXT without its NUL), valid while `r`
 * is: NULL and *len 0 for NULL or an integer. */
const void *okno_rows_blob_data(const OknoRows *r, guint row, guint col, gsize *len);
gboolean okno_rows_is_null(const OknoRows *r, guint row, guint col);
void okno_rows_free(OknoRows *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoRows, okno_rows_free)

/* ---- mapping rows to records ----
 * A record's columns are listed once, in a table of fields: the SQL expression
 * selected and where its value goes in the record. okno_fields_sql() writes the select
 * list from the table and okno_rows_map() fills a record from a row of it, so no reader
 * counts columns by hand and a column added to the table is selected and read at once.
 *
 *   INT     gint64, NULL reads 0          BOOL    gboolean, non-zero is TRUE
 *   TEXT    char * (g_strdup), NULL reads ""
 *   ENUM    int: the index of the column's text in `names` (NULL-terminated); a text
 *           not in `names` is a broken invariant: okno_rows_map fails. `none`: when the
 *           column is "" or NULL and "" is not in `names`, the value stored (-1 for the
 *           optional enums such as the SLA class; any other value makes "" an error). */
typedef enum { OKNO_F_INT, OKNO_F_BOOL, OKNO_F_TEXT, OKNO_F_ENUM } OknoFieldType;

typedef struct {
  const char *column;
  OknoFieldType type;
  gsize offset;
  const char *const *names; /* ENUM */
  int none;                 /* ENUM: the value of "" when "" is not a name; 0: an error */
} OknoField;

#define OKNO_FIELD(T, member, col, type) {(col), (type), G_STRUCT_OFFSET(T, member), NULL, 0}
#define OKNO_FIELD_ENUM(T, member, col, names, none) \
  {(col), OKNO_F_ENUM, G_STRUCT_OFFSET(T, member), (names), (none)}

/* "col1, col2, ..." of the `n` fields; caller frees. */
char *okno_fields_sql(const OknoField *f, gsize n);
/* Fills `record` from the `n` columns of row `row` of `r` starting at column `first`
 * (selected with okno_fields_sql(f, n)). FALSE and OKNO_ERROR_INTERNAL naming the
 * column when an ENUM column holds a text not in its names; the record is then partly
 * filled (its owner frees it as usual). */
gboolean okno_rows_map(const OknoRows *r, guint row, guint first, const OknoField *f, gsize n,
                       gpointer record, GError **error);
/* A record type: its field table, the record's size and how to free one. Records are
 * made zeroed (g_malloc0), then filled by okno_rows_map from column 0. */
typedef struct {
  const OknoField *fields;
  gsize n;
  gsize size;
  GDestroyNotify free;
} OknoRecordType;
#define OKNO_RECORD_TYPE(T, fields, free) \
  {(fields), G_N_ELEMENTS(fields), sizeof(T), (GDestroyNotify)(free)}

/* Frees the TEXT fields of `record` (as okno_rows_map fills them), not the record:
 * for a record's free function, before what its table does not hold. */
void okno_record_clear(const OknoRecordType *t, gpointer record);
/* okno_record_clear, then the record itself; NULL does nothing. The free function of
 * a record whose table holds all it owns. */
void okno_record_free(const OknoRecordType *t, gpointer record);
/* Every row of `r` as a record of type `t`: a GPtrArray that frees them. NULL with the
 * error (nothing left allocated) when a row does not map. */
GPtrArray *okno_rows_map_all(const OknoRows *r, const OknoRecordType *t, GError **error);
/* The record of the first row of `r`; NULL when `r` is NULL or has no rows (no error:
 * "not found") or the row does not map (the error). */
gpointer okno_rows_map_first(const OknoRows *r, const OknoRecordType *t, GError **error);
/* The statement `before` okno_fields_sql(t's fields) `after`, built on the first call
 * and kept in *cache (a static of the caller, 0 at first) for the life of the process:
 * a reader's statement written once, not at every call. Thread-safe. */
const char *okno_record_sql(gsize *cache, const char *before, const OknoRecordType *t,
                            const char *after);
/* okno_db_query, then every row as a record (okno_rows_map_all) or the first one
 * (okno_rows_map_first); NULL with the error. */
GPtrArray *okno_db_records(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                           const OknoRecordType *t, GError **error);
gpointer okno_db_record(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                        const OknoRecordType *t, GError **error);

/* For drivers: building a result. */
OknoRows *okno_rows_new(guint ncols);
void okno_rows_add_row(OknoRows *r);
void okno_rows_set(OknoRows *r, guint col, OknoParamType type, const void *p, gsize len,
                   gint64 i);

extern const OknoDbDriver okno_sqlite_driver;
extern const OknoDbDriver okno_pg_driver;
