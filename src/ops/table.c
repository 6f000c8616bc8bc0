/* table.c: a table of figures as CSV and XLSX (the contract is in table.h). */
#include "ops/table.h"

#include <math.h>
#include <string.h>
#include <xlsxwriter.h>

#include "core/error.h"

typedef struct {
  char *text;  /* NULL: a number */
  gint64 value;
  gboolean real; /* the number is `x`, shown with one decimal */
  double x;
} Cell;

struct OknoTable {
  char *title;
  GStrv columns;
  GPtrArray *rows; /* GArray of Cell */
};

static void cells_free(gpointer p)
{
  GArray *row = p;
  for (guint i = 0; i < row->len; i++)
    g_free(g_array_index(row, Cell, i).text);
  g_array_unref(row);
}

OknoTable *okno_table_new(const char *title, const char *const *columns)
{
  OknoTable *t = g_new0(OknoTable, 1);
  t->title = g_strdup(title);
  t->columns = g_strdupv((char **)columns);
  t->rows = g_ptr_array_new_with_free_func(cells_free);
  return t;
}

void okno_table_free(OknoTable *t)
{
  if (!t)
    return;
  g_free(t->title);
  g_strfreev(t->columns);
  g_ptr_array_unref(t->rows);
  g_free(t);
}

void okno_table_row(OknoTable *t)
{
  g_ptr_array_add(t->rows, g_array_new(FALSE, TRUE, sizeof(Cell)));
}

static void add_cell(OknoTable *t, Cell c)
{
  GArray *row;
  g_return_if_fail(t->rows->len > 0);
  row = g_ptr_array_index(t->rows, t->rows->len - 1);
  g_return_if_fail(row->len < g_strv_length(t->columns));
  g_array_append_val(row, c);
}

void okno_table_text(OknoTable *t, const char *text)
{
  add_cell(t, (Cell){.text = g_strdup(text ? text : "")});
}

void okno_table_int(OknoTable *t, gint64 value)
{
  add_cell(t, (Cell){.value = value});
}

void okno_table_real(OknoTable *t, double value)
{
  add_cell(t, (Cell){.real = TRUE, .x = value});
}

const char *okno_table_title(const OknoTable *t)
{
  return t->title;
}

const char *const *okno_table_columns(const OknoTable *t)
{
  return (const char *const *)t->columns;
}

guint okno_table_rows(const OknoTable *t)
{
  return t->rows->len;
}

guint okno_table_cells(const OknoTable *t, guint row)
{
  return row < t->rows->len ? ((GArray *)g_ptr_array_index(t->rows, row))->len : 0;
}

static const Cell *cell_at(const OknoTable *t, guint row, guint col)
{
  GArray *r = row < t->rows->len ? g_ptr_array_index(t->rows, row) : NULL;
  return r && col < r->len ? &g_array_index(r, Cell, col) : NULL;
}

/* A real with one decimal and the C locale's point. */
static char *real_text(double x, char point)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  char *dot;
  g_ascii_formatd(buf, sizeof buf, "%.1f", x);
  if ((dot = strchr(buf, '.')))
    *dot = point;
  return g_strdup(buf);
}

char *okno_table_cell_text(const OknoTable *t, guint row, guint col)
{
  const Cell *c = cell_at(t, row, col);
  if (!c)
    return g_strdup("");
  if (c->text)
    return g_strdup(c->text);
  if (c->real)
    return real_text(c->x, ',');
  return g_strdup_printf("%" G_GINT64_FORMAT, c->value);
}

gboolean okno_table_cell_is_number(const OknoTable *t, guint row, guint col)
{
  const Cell *c = cell_at(t, row, col);
  return c && !c->text;
}

static void csv_field(GString *out, const char *s)
{
  if (!strpbrk(s, ",\"\r\n")) {
    g_string_append(out, s);
    return;
  }
  g_string_append_c(out, '"');
  for (; *s; s++) {
    if (*s == '"')
      g_string_append_c(out, '"');
    g_string_append_c(out, *s);
  }
  g_string_append_c(out, '"');
}

char *okno_table_csv(const OknoTable *t)
{
  GString *out = g_string_new(NULL);
  for (guint c = 0; t->columns[c]; c++) {
    if (c)
      g_string_append_c(out, ',');
    csv_field(out, t->columns[c]);
  }
  g_string_append(out, "\r\n");
  for (guint r = 0; r < t->rows->len; r++) {
    GArray *row = g_ptr_array_index(t->rows, r);
    for (guint c = 0; c < row->len; c++) {
      const Cell *cell = &g_array_index(row, Cell, c);
      if (c)
        g_string_append_c(out, ',');
      if (cell->text)
        csv_field(out, cell->text);
      else if (cell->real) {
        g_autofree char *x = real_text(cell->x, '.');
        g_string_append(out, x);
      } else
        g_string_append_printf(out, "%" G_GINT64_FORMAT, cell->value);
    }
    g_string_append(out, "\r\n");
  }
  return g_string_free(out, FALSE);
}

/* Excel's sheet names: at most 31 characters, none of []:*?/\ */
static char *sheet_name(const char *title)
{
  GString *s = g_string_new(NULL);
  glong n = 0;
  for (const char *p = title; *p && n < 31; p = g_utf8_next_char(p), n++) {
    gunichar c = g_utf8_get_char(p);
    g_string_append_unichar(s, strchr("[]:*?/\\", (int)c) && c < 0x80 ? '_' : c);
  }
  if (s->len == 0)
    g_string_append(s, "Sheet1");
  return g_string_free(s, FALSE);
}

gboolean okno_table_xlsx(const OknoTable *t, const char *path, GError **error)
{
  lxw_workbook *wb = workbook_new(path);
  g_autofree char *name = sheet_name(t->title);
  lxw_worksheet *ws;
  lxw_format *bold;
  guint ncols = g_strv_length(t->columns);
  g_autofree double *width = g_new0(double, MAX(ncols, 1));
  lxw_error rc;
  if (!wb) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "cannot write %s", path);
    return FALSE;
  }
  ws = workbook_add_worksheet(wb, name);
  bold = workbook_add_format(wb);
  format_set_bold(bold);
  for (guint c = 0; c < ncols; c++) {
    worksheet_write_string(ws, 0, (lxw_col_t)c, t->columns[c], bold);
    width[c] = (double)g_utf8_strlen(t->columns[c], -1);
  }
  for (guint r = 0; r < t->rows->len; r++) {
    GArray *row = g_ptr_array_index(t->rows, r);
    for (guint c = 0; c < row->len; c++) {
      const Cell *cell = &g_array_index(row, Cell, c);
      if (cell->text) {
        worksheet_write_string(ws, (lxw_row_t)(r + 1), (lxw_col_t)c, cell->text, NULL);
        width[c] = MAX(width[c], (double)g_utf8_strlen(cell->text, -1));
      } else if (cell->real) {
        worksheet_write_number(ws, (lxw_row_t)(r + 1), (lxw_col_t)c, round(cell->x * 10) / 10, NULL);
        width[c] = MAX(width[c], 8.0);
      } else {
        worksheet_write_number(ws, (lxw_row_t)(r + 1), (lxw_col_t)c, (double)cell->value, NULL);
        width[c] = MAX(width[c], 8.0);
      }
    }
  }
  for (guint c = 0; c < ncols; c++)
    worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, MIN(width[c] + 2, 80), NULL);
  worksheet_freeze_panes(ws, 1, 0);
  rc = workbook_close(wb);
  if (rc != LXW_NO_ERROR) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "cannot write %s: %s", path, lxw_strerror(rc));
    return FALSE;
  }
  return TRUE;
}
