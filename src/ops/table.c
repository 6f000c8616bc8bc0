/* table.c: a table of figures as CSV and XLSX (the contract is in table.h). */
#include "ops/table.h"

#include <string.h>
#include <xlsxwriter.h>

#include "core/error.h"

typedef struct {
  char *text;  /* NULL: an integer */
  gint64 value;
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
      else
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
