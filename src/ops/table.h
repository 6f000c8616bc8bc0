/* table.h: a table of figures and its exports, CSV and XLSX, for reports that people
 * open in a spreadsheet (okno report --csv|--xlsx; the dashboard's downloads).
 *
 * A table has a title, column headers and rows of cells; a cell is text, an integer or
 * a real (a duration, an average: written with one decimal, "1.5" in CSV, a number
 * rounded to one decimal in XLSX, "1,5" in okno_table_cell_text for Russian pages).
 * Contract:
 *  - okno_table_csv: RFC 4180 (comma, CRLF, a field quoted when it holds a comma, quote,
 *    CR or LF; quotes doubled), UTF-8 without a byte-order mark, the header row first.
 *    Never fails.
 *  - okno_table_xlsx: one worksheet named after the title (cut to Excel's 31
 *    characters, its forbidden characters []:*?/\ replaced), the header row bold and
 *    frozen, integers as numbers, text as text, columns sized to their content. Writes
 *    `path` (libxlsxwriter); FALSE with OKNO_ERROR_USER naming the path when it cannot.
 * Texts are UTF-8; neither function changes the table. */
#pragma once
#include <glib.h>

typedef struct OknoTable OknoTable;

/* `columns` NULL-terminated; copied. */
OknoTable *okno_table_new(const char *title, const char *const *columns);
void okno_table_free(OknoTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoTable, okno_table_free)

/* Starts a row; the cells that follow fill it left to right (at most one per column). */
void okno_table_row(OknoTable *t);
void okno_table_text(OknoTable *t, const char *text);
void okno_table_int(OknoTable *t, gint64 value);
void okno_table_real(OknoTable *t, double value);

/* Reading a table back (the dashboard draws its HTML tables from the same tables it
 * exports). Borrowed strings; cell text newly allocated ("" past the row's end). */
const char *okno_table_title(const OknoTable *t);
const char *const *okno_table_columns(const OknoTable *t);
guint okno_table_rows(const OknoTable *t);
guint okno_table_cells(const OknoTable *t, guint row);
char *okno_table_cell_text(const OknoTable *t, guint row, guint col);
gboolean okno_table_cell_is_number(const OknoTable *t, guint row, guint col);

char *okno_table_csv(const OknoTable *t);
gboolean okno_table_xlsx(const OknoTable *t, const char *path, GError **error);
