/* table.h: a table of figures and its exports, CSV and XLSX, for reports that people
 * open in a spreadsheet (okno report --csv|--xlsx; the dashboard's downloads).
 *
 * A table has a title, column headers and rows of cells; a cell is text or an integer.
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

char *okno_table_csv(const OknoTable *t);
gboolean okno_table_xlsx(const OknoTable *t, const char *path, GError **error);
