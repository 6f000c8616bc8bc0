/* db.c: driver dispatch and the materialised result rows (see db.h). */
#include "store/db.h"

#include <string.h>

#include "core/error.h"

/* A value. TEXT (with a terminating NUL kept inside, so text reads need no copy) and
 * BLOB bytes of up to SMALL bytes are copied into the rows' arena, one growing buffer
 * for all of them, so that reading a row costs no allocation of its own (verify reads
 * millions); larger ones, and sealed text once opened, are GBytes of their own. */
typedef struct {
  OknoParamType type;
  gint64 i;
  gsize at, len; /* in the arena when !bytes; len counts TEXT's NUL */
  GBytes *bytes;
} Cell;

#define SMALL 512

struct OknoRows {
  guint ncols;
  GArray *cells; /* ncols * nrows Cells */
  GByteArray *arena;
};

OknoDb *okno_db_open(const char *url, GError **error)
{
  if (g_str_has_prefix(url, "sqlite:"))
    return okno_sqlite_driver.open(url + 7, error);
  if (g_str_has_prefix(url, "postgresql://") || g_str_has_prefix(url, "postgres://"))
    return okno_pg_driver.open(url, error);
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
              "store url '%s' is not supported (use sqlite:PATH or postgresql://...)", url);
  return NULL;
}

void okno_db_close(OknoDb *db)
{
  if (db)
    db->driver->close(db);
}

static OknoDbTextOpener text_opener;

void okno_db_set_text_opener(OknoDbTextOpener opener) { text_opener = opener; }

/* Opens the sealed TEXT cells of `r` in place (db.h); FALSE with the opener's error. */
static gboolean open_sealed(OknoDb *db, OknoRows *r, GError **error)
{
  for (guint i = 0; i < r->cells->len; i++) {
    Cell *c = &g_array_index(r->cells, Cell, i);
    const char *t;
    char *clear = NULL;
    if (c->type != OKNO_P_TEXT)
      continue;
    t = c->bytes ? g_bytes_get_data(c->bytes, NULL) : (const char *)r->arena->data + c->at;
    if (t[0] != '~' || (t[1] != '1' && t[1] != '2'))
      continue;
    if (!text_opener(db, t, &clear, error))
      return FALSE;
    g_clear_pointer(&c->bytes, g_bytes_unref);
    if (!clear)
      clear = g_strdup("");
    c->bytes = g_bytes_new_take(clear, strlen(clear) + 1);
  }
  return TRUE;
}

/* The rows `r` of a statement with their sealed text opened, or NULL (r freed). */
static OknoRows *opened(OknoDb *db, OknoRows *r, GError **error)
{
  if (r && text_opener && !open_sealed(db, r, error)) {
    okno_rows_free(r);
    return NULL;
  }
  return r;
}

OknoRows *okno_db_query(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                        GError **error)
{
  return opened(db, db->driver->query(db, sql, params, n, error), error);
}

OknoRows *okno_db_query_prepared(OknoDb *db, const char *sql, const OknoParam *params,
                                 gsize n, GError **error)
{
  return opened(db,
                (db->driver->query_prepared ? db->driver->query_prepared : db->driver->query)(
                    db, sql, params, n, error),
                error);
}

gboolean okno_db_exec(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                      GError **error)
{
  OknoRows *r;
  if (db->driver->exec)
    return db->driver->exec(db, sql, params, n, error);
  r = db->driver->query(db, sql, params, n, error);
  if (!r)
    return FALSE;
  okno_rows_free(r);
  return TRUE;
}

gboolean okno_db_script(OknoDb *db, const char *sql, GError **error)
{
  return db->driver->exec_script(db, sql, error);
}

gboolean okno_db_is_sqlite(const OknoDb *db) { return db->driver == &okno_sqlite_driver; }

void okno_db_set_pipelining(OknoDb *db, gboolean on)
{
  if (db->driver->set_pipelining)
    db->driver->set_pipelining(db, on);
}

gboolean okno_db_sync(OknoDb *db, GError **error)
{
  return db->driver->sync ? db->driver->sync(db, error) : TRUE;
}

void okno_db_set_preparing(OknoDb *db, gboolean on)
{
  if (db->driver->set_preparing)
    db->driver->set_preparing(db, on);
}

gboolean okno_db_pipelining(OknoDb *db)
{
  return db->driver->pipelining && db->driver->pipelining(db);
}

guint64 okno_db_round_trips(OknoDb *db)
{
  return db->driver->round_trips ? db->driver->round_trips(db) : 0;
}

static void cell_clear(gpointer p)
{
  Cell *c = p;
  g_clear_pointer(&c->bytes, g_bytes_unref);
}

OknoRows *okno_rows_new(guint ncols)
{
  OknoRows *r = g_new0(OknoRows, 1);
  r->ncols = ncols;
  r->cells = g_array_new(FALSE, TRUE, sizeof(Cell));
  g_array_set_clear_func(r->cells, cell_clear);
  r->arena = g_byte_array_new();
  return r;
}

void okno_rows_add_row(OknoRows *r) { g_array_set_size(r->cells, r->cells->len + r->ncols); }

void okno_rows_set(OknoRows *r, guint col, OknoParamType type, const void *p, gsize len,
                   gint64 i)
{
  Cell *c;
  g_return_if_fail(col < r->ncols && r->cells->len >= r->ncols);
  c = &g_array_index(r->cells, Cell, r->cells->len - r->ncols + col);
  c->type = type;
  c->i = i;
  if (type != OKNO_P_TEXT && type != OKNO_P_BLOB)
    return;
  if (len > SMALL) {
    char *copy = g_malloc(len + 1);
    memcpy(copy, p, len);
    copy[len] = '\0';
    c->bytes = g_bytes_new_take(copy, type == OKNO_P_TEXT ? len + 1 : len);
    return;
  }
  c->at = r->arena->len;
  c->len = type == OKNO_P_TEXT ? len + 1 : len;
  g_byte_array_set_size(r->arena, (guint)(c->at + len + 1)); /* a NUL after blobs too */
  if (len)
    memcpy(r->arena->data + c->at, p, len);
  r->arena->data[c->at + len] = 0;
}

/* A TEXT or BLOB cell's bytes (TEXT's with its NUL) and their length. */
static const char *cell_data(const OknoRows *r, const Cell *c, gsize *len)
{
  if (c->bytes)
    return g_bytes_get_data(c->bytes, len);
  *len = c->len;
  return (const char *)r->arena->data + c->at;
}

static const Cell *cell(const OknoRows *r, guint row, guint col)
{
  g_return_val_if_fail(r && col < r->ncols && (row + 1) * r->ncols <= r->cells->len, NULL);
  return &g_array_index(r->cells, Cell, row * r->ncols + col);
}

guint okno_rows_count(const OknoRows *r) { return r && r->ncols ? r->cells->len / r->ncols : 0; }

const char *okno_rows_text(const OknoRows *r, guint row, guint col)
{
  const Cell *c = cell(r, row, col);
  if (!c || c->type == OKNO_P_NULL)
    return NULL;
  gsize len;
  if (c->type == OKNO_P_INT)
    return NULL;
  return cell_data(r, c, &len);
}

gint64 okno_rows_int(const OknoRows *r, guint row, guint col)
{
  const Cell *c = cell(r, row, col);
  if (!c)
    return 0;
  if (c->type == OKNO_P_INT)
    return c->i;
  if (c->type == OKNO_P_TEXT) {
    gsize len;
    return g_ascii_strtoll(cell_data(r, c, &len), NULL, 10);
  }
  return 0;
}

GArray *okno_rows_ints(const OknoRows *r, guint col)
{
  GArray *out;
  if (!r)
    return NULL;
  out = g_array_sized_new(FALSE, FALSE, sizeof(gint64), okno_rows_count(r));
  for (guint i = 0; i < okno_rows_count(r); i++) {
    gint64 v = okno_rows_int(r, i, col);
    g_array_append_val(out, v);
  }
  return out;
}

GBytes *okno_rows_blob(const OknoRows *r, guint row, guint col)
{
  const Cell *c = cell(r, row, col);
  gsize len;
  const char *d;
  if (!c || (c->type != OKNO_P_TEXT && c->type != OKNO_P_BLOB))
    return NULL;
  if (c->bytes && c->type == OKNO_P_BLOB)
    return g_bytes_ref(c->bytes);
  if (c->bytes) /* without the terminating NUL */
    return g_bytes_new_from_bytes(c->bytes, 0, g_bytes_get_size(c->bytes) - 1);
  d = cell_data(r, c, &len);
  return g_bytes_new(d, c->type == OKNO_P_TEXT ? len - 1 : len);
}

const void *okno_rows_blob_data(const OknoRows *r, guint row, guint col, gsize *len)
{
  const Cell *c = cell(r, row, col);
  gsize size = 0;
  const char *d;
  *len = 0;
  if (!c || (c->type != OKNO_P_TEXT && c->type != OKNO_P_BLOB))
    return NULL;
  d = cell_data(r, c, &size);
  *len = c->type == OKNO_P_TEXT ? size - 1 : size;
  return d;
}

gboolean okno_rows_is_null(const OknoRows *r, guint row, guint col)
{
  const Cell *c = cell(r, row, col);
  return !c || c->type == OKNO_P_NULL;
}

char *okno_fields_sql(const OknoField *f, gsize n)
{
  GString *s = g_string_new(NULL);
  for (gsize i = 0; i < n; i++)
    g_string_append_printf(s, "%s%s", i ? ", " : "", f[i].column);
  return g_string_free(s, FALSE);
}

gboolean okno_rows_map(const OknoRows *r, guint row, guint first, const OknoField *f, gsize n,
                       gpointer record, GError **error)
{
  for (gsize i = 0; i < n; i++) {
    guint col = first + (guint)i;
    gpointer at = G_STRUCT_MEMBER_P(record, f[i].offset);
    const char *text;
    switch (f[i].type) {
    case OKNO_F_INT:
      *(gint64 *)at = okno_rows_int(r, row, col);
      break;
    case OKNO_F_BOOL:
      *(gboolean *)at = okno_rows_int(r, row, col) != 0;
      break;
    case OKNO_F_TEXT:
      text = okno_rows_text(r, row, col);
      *(char **)at = g_strdup(text ? text : "");
      break;
    case OKNO_F_ENUM: {
      text = okno_rows_text(r, row, col);
      if (!text)
        text = "";
      int value = -2;
      for (int k = 0; f[i].names[k]; k++)
        if (!strcmp(f[i].names[k], text)) {
          value = k;
          break;
        }
      if (value == -2 && !*text && f[i].none)
        value = f[i].none;
      if (value == -2) {
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                    "the store holds '%s' in %s, which okno does not know", text,
                    f[i].column);
        return FALSE;
      }
      *(int *)at = value;
      break;
    }
    }
  }
  return TRUE;
}

void okno_record_clear(const OknoRecordType *t, gpointer record)
{
  for (gsize i = 0; i < t->n; i++)
    if (t->fields[i].type == OKNO_F_TEXT)
      g_clear_pointer((char **)G_STRUCT_MEMBER_P(record, t->fields[i].offset), g_free);
}

void okno_record_free(const OknoRecordType *t, gpointer record)
{
  if (!record)
    return;
  okno_record_clear(t, record);
  g_free(record);
}

GPtrArray *okno_rows_map_all(const OknoRows *r, const OknoRecordType *t, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(t->free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    gpointer record = g_malloc0(t->size);
    g_ptr_array_add(out, record);
    if (!okno_rows_map(r, i, 0, t->fields, t->n, record, error))
      return NULL;
  }
  return g_steal_pointer(&out);
}

gpointer okno_rows_map_first(const OknoRows *r, const OknoRecordType *t, GError **error)
{
  gpointer record;
  if (!r || !okno_rows_count(r))
    return NULL;
  record = g_malloc0(t->size);
  if (!okno_rows_map(r, 0, 0, t->fields, t->n, record, error)) {
    t->free(record);
    return NULL;
  }
  return record;
}

const char *okno_record_sql(gsize *cache, const char *before, const OknoRecordType *t,
                            const char *after)
{
  if (g_once_init_enter(cache)) {
    g_autofree char *cols = okno_fields_sql(t->fields, t->n);
    g_once_init_leave(cache, (gsize)g_strconcat(before, cols, after, NULL));
  }
  return (const char *)*cache;
}

GPtrArray *okno_db_records(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                           const OknoRecordType *t, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(db, sql, params, n, error);
  return r ? okno_rows_map_all(r, t, error) : NULL;
}

gpointer okno_db_record(OknoDb *db, const char *sql, const OknoParam *params, gsize n,
                        const OknoRecordType *t, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(db, sql, params, n, error);
  return okno_rows_map_first(r, t, error);
}

void okno_rows_free(OknoRows *r)
{
  if (!r)
    return;
  g_array_unref(r->cells);
  g_byte_array_unref(r->arena);
  g_free(r);
}
