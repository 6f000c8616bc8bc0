/* act.c: the destruction act as CSV and as PDF (act.h).
 *
 * The CSV is UTF-8 with a BOM-less header block (field, value), an empty line, the
 * table of appeals, an empty line and the journal extract; fields are quoted when they
 * hold a comma, a quote or a line break (RFC 4180). The PDF is A4 portrait, written
 * with libharu in UTF-8 with the TrueType font given (embedded), one line per row,
 * new pages as needed. */
#include "ops/act.h"

#include <hpdf.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"

#define SUBJECTS_TEXT "граждане, направившие обращения (заявители)"
#define DATA_TEXT                                                                           \
  "фамилия, имя, отчество; адрес электронной почты; номер телефона; тексты обращений, "    \
  "ответов и уведомлений; исходные письма; вложения; иные сведения, сообщённые заявителем"
#define METHOD_TEXT                                                                         \
  "удаление (затирание) сведений в базе данных информационной системы okno с очисткой "    \
  "поискового индекса и журнала предзаписи, удаление файлов копий писем"

static const char *grounds_text(const char *g)
{
  return g && !strcmp(g, "request")
             ? "требование субъекта персональных данных об уничтожении, отзыв согласия (ч. 5 ст. 21 "
               "Федерального закона № 152-ФЗ)"
             : "достижение целей обработки, истечение срока хранения (ч. 4 ст. 21 "
               "Федерального закона № 152-ФЗ)";
}

static const char *kind_text(const char *kind)
{
  return kind && !strcmp(kind, "formal") ? "обращение по 59-ФЗ" : "обращение в поддержку";
}

/* The grounds of the act as a whole: those of its appeals, once each. */
static char *all_grounds(const OknoAct *act)
{
  gboolean period = FALSE, request = FALSE;
  for (guint i = 0; i < act->appeals->len; i++) {
    const OknoActAppeal *a = act->appeals->pdata[i];
    if (a->grounds && !strcmp(a->grounds, "request"))
      request = TRUE;
    else
      period = TRUE;
  }
  if (period && request)
    return g_strdup_printf("%s; %s", grounds_text("period"), grounds_text("request"));
  return g_strdup(grounds_text(request ? "request" : "period"));
}

static void csv_field(GString *s, const char *v)
{
  v = v ? v : "";
  if (strpbrk(v, ",\"\r\n")) {
    g_string_append_c(s, '"');
    for (const char *p = v; *p; p++) {
      if (*p == '"')
        g_string_append_c(s, '"');
      g_string_append_c(s, *p);
    }
    g_string_append_c(s, '"');
  } else {
    g_string_append(s, v);
  }
}

static void csv_row(GString *s, guint n, const char *const *fields)
{
  for (guint i = 0; i < n; i++) {
    if (i)
      g_string_append_c(s, ',');
    csv_field(s, fields[i]);
  }
  g_string_append(s, "\r\n");
}

#define ROW(s, ...)                                                                         \
  do {                                                                                      \
    const char *const f_[] = {__VA_ARGS__};                                                 \
    csv_row((s), G_N_ELEMENTS(f_), f_);                                                     \
  } while (0)

/* The header block's pairs, shared by the CSV and the PDF; caller frees the array. */
static GPtrArray *header_pairs(const OknoAct *act)
{
  GPtrArray *p = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *date = okno_time_format_msk(act->at);
  g_ptr_array_add(p, g_strdup("Акт об уничтожении персональных данных №"));
  g_ptr_array_add(p, g_strdup_printf("%" G_GINT64_FORMAT, act->id));
  g_ptr_array_add(p, g_strdup("Оператор"));
  g_ptr_array_add(p, g_strdup(act->operator_name));
  g_ptr_array_add(p, g_strdup("Категории субъектов персональных данных"));
  g_ptr_array_add(p, g_strdup(SUBJECTS_TEXT));
  g_ptr_array_add(p, g_strdup("Категории уничтоженных персональных данных"));
  g_ptr_array_add(p, g_strdup(DATA_TEXT));
  g_ptr_array_add(p, g_strdup("Количество субъектов"));
  g_ptr_array_add(p, g_strdup_printf("%" G_GINT64_FORMAT, act->subjects));
  g_ptr_array_add(p, g_strdup("Количество обращений"));
  g_ptr_array_add(p, g_strdup_printf("%u", act->appeals->len));
  g_ptr_array_add(p, g_strdup("Основание уничтожения"));
  g_ptr_array_add(p, all_grounds(act));
  g_ptr_array_add(p, g_strdup("Способ уничтожения"));
  g_ptr_array_add(p, g_strdup(METHOD_TEXT));
  g_ptr_array_add(p, g_strdup("Дата уничтожения"));
  g_ptr_array_add(p, g_steal_pointer(&date));
  g_ptr_array_add(p, g_strdup("Уничтожение произвёл"));
  g_ptr_array_add(p, g_strdup(act->done_by));
  return p;
}

GBytes *okno_act_csv(const OknoAct *act)
{
  GString *s = g_string_new(NULL);
  g_autoptr(GPtrArray) pairs = header_pairs(act);
  gsize len;
  for (guint i = 0; i + 1 < pairs->len; i += 2)
    ROW(s, pairs->pdata[i], pairs->pdata[i + 1]);
  g_string_append(s, "\r\n");
  ROW(s, "Номер обращения", "Вид", "Категория", "Дата закрытия", "Основание", "Сообщений",
      "Вложений", "Событий");
  for (guint i = 0; i < act->appeals->len; i++) {
    const OknoActAppeal *a = act->appeals->pdata[i];
    g_autofree char *closed = okno_time_format_msk(a->closed_at);
    g_autofree char *m = g_strdup_printf("%" G_GINT64_FORMAT, a->messages);
    g_autofree char *t = g_strdup_printf("%" G_GINT64_FORMAT, a->attachments);
    g_autofree char *e = g_strdup_printf("%" G_GINT64_FORMAT, a->events);
    ROW(s, a->number, kind_text(a->kind), a->category, closed,
        a->grounds && !strcmp(a->grounds, "request") ? "требование субъекта" : "истечение срока",
        m, t, e);
  }
  g_string_append(s, "\r\n");
  ROW(s, "Выписка из журнала (RFC 9162)", "", "", "");
  ROW(s, "Номер обращения", "Индекс листа", "Запись", "Хеш листа SHA-256");
  for (guint i = 0; i < act->leaves->len; i++) {
    const OknoActLeaf *l = &g_array_index(act->leaves, OknoActLeaf, i);
    g_autofree char *idx = g_strdup_printf("%" G_GINT64_FORMAT, l->seq - 1);
    g_autofree char *rec = g_strdup_printf("purge %s %" G_GINT64_FORMAT, l->ref, l->ref_id);
    ROW(s, l->number, idx, rec, l->hash);
  }
  len = s->len;
  return g_bytes_new_take(g_string_free(s, FALSE), len);
}

/* ---- PDF ---- */

typedef struct {
  HPDF_Doc doc;
  HPDF_Page page;
  HPDF_Font font;
  float y;
  HPDF_STATUS error;
} Pdf;

static void on_error(HPDF_STATUS code, HPDF_STATUS detail, void *data)
{
  (void)detail;
  ((Pdf *)data)->error = code;
}

#define MARGIN 50.0f
#define SIZE 9.0f
#define LEAD 12.0f

static void new_page(Pdf *p)
{
  p->page = HPDF_AddPage(p->doc);
  HPDF_Page_SetSize(p->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
  HPDF_Page_SetFontAndSize(p->page, p->font, SIZE);
  p->y = HPDF_Page_GetHeight(p->page) - MARGIN;
}

/* Writes `text` from the left margin, wrapped at the page's width, in `size` points. */
static void put_text(Pdf *p, const char *text, float size)
{
  const char *rest = text;
  float width;
  HPDF_Page_SetFontAndSize(p->page, p->font, size);
  width = HPDF_Page_GetWidth(p->page) - 2 * MARGIN;
  do {
    HPDF_REAL real = 0;
    HPDF_UINT n = HPDF_Font_MeasureText(p->font, (const HPDF_BYTE *)rest, (HPDF_UINT)strlen(rest),
                                        width, size, 0, 0, HPDF_FALSE, &real);
    g_autofree char *part = NULL;
    if (n == 0)
      n = (HPDF_UINT)strlen(rest);
    /* never cut a UTF-8 sequence */
    while (n < strlen(rest) && ((guchar)rest[n] & 0xC0) == 0x80)
      n--;
    if (n == 0)
      n = (HPDF_UINT)(g_utf8_next_char(rest) - rest);
    part = g_strndup(rest, n);
    if (p->y < MARGIN + LEAD)
      new_page(p);
    HPDF_Page_BeginText(p->page);
    HPDF_Page_TextOut(p->page, MARGIN, p->y, part);
    HPDF_Page_EndText(p->page);
    p->y -= size + 3;
    rest += n;
    while (*rest == ' ')
      rest++;
  } while (*rest);
  HPDF_Page_SetFontAndSize(p->page, p->font, SIZE);
}

GBytes *okno_act_pdf(const OknoAct *act, const char *font, GError **error)
{
  Pdf p = {0};
  const char *name;
  g_autoptr(GPtrArray) pairs = header_pairs(act);
  g_autoptr(GByteArray) out = g_byte_array_new();
  g_autofree char *title = g_strdup_printf("АКТ № %" G_GINT64_FORMAT
                                           " об уничтожении персональных данных", act->id);
  if (!font || !g_file_test(font, G_FILE_TEST_IS_REGULAR)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                "no font file %s for the act's PDF ([retention] act_font)", font ? font : "");
    return NULL;
  }
  p.doc = HPDF_New(on_error, &p);
  if (!p.doc) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "libharu: out of memory");
    return NULL;
  }
  HPDF_UseUTFEncodings(p.doc);
  HPDF_SetCurrentEncoder(p.doc, "UTF-8");
  name = HPDF_LoadTTFontFromFile(p.doc, font, HPDF_TRUE);
  if (name)
    p.font = HPDF_GetFont(p.doc, name, "UTF-8");
  if (!p.font || p.error) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "libharu: cannot load %s (0x%04X)", font,
                (unsigned)p.error);
    HPDF_Free(p.doc);
    return NULL;
  }
  new_page(&p);
  put_text(&p, title, 13);
  p.y -= 6;
  for (guint i = 2; i + 1 < pairs->len; i += 2) {
    g_autofree char *line = g_strdup_printf("%s: %s", (char *)pairs->pdata[i],
                                            (char *)pairs->pdata[i + 1]);
    put_text(&p, line, SIZE);
  }
  p.y -= 6;
  put_text(&p, "Уничтоженные сведения по обращениям:", 11);
  for (guint i = 0; i < act->appeals->len; i++) {
    const OknoActAppeal *a = act->appeals->pdata[i];
    g_autofree char *closed = okno_time_format_msk(a->closed_at);
    g_autofree char *line = g_strdup_printf(
        "№ %s — %s%s%s, закрыто %s, основание: %s; сообщений %" G_GINT64_FORMAT
        ", вложений %" G_GINT64_FORMAT ", событий %" G_GINT64_FORMAT,
        a->number, kind_text(a->kind), *a->category ? ", категория " : "", a->category, closed,
        a->grounds && !strcmp(a->grounds, "request") ? "требование субъекта" : "истечение срока",
        a->messages, a->attachments, a->events);
    put_text(&p, line, SIZE);
  }
  p.y -= 6;
  put_text(&p, "Выписка из журнала (листы RFC 9162, подтверждающие уничтожение):", 11);
  for (guint i = 0; i < act->leaves->len; i++) {
    const OknoActLeaf *l = &g_array_index(act->leaves, OknoActLeaf, i);
    g_autofree char *line = g_strdup_printf("№ %s, лист %" G_GINT64_FORMAT ", purge %s %"
                                            G_GINT64_FORMAT ", SHA-256 %s",
                                            l->number, l->seq - 1, l->ref, l->ref_id, l->hash);
    put_text(&p, line, 7.5f);
  }
  p.y -= 18;
  put_text(&p, "Подпись лица, уничтожившего персональные данные: ____________________", SIZE);
  if (HPDF_SaveToStream(p.doc) != HPDF_OK || p.error) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "libharu: cannot write the PDF (0x%04X)",
                (unsigned)p.error);
    HPDF_Free(p.doc);
    return NULL;
  }
  HPDF_ResetStream(p.doc);
  for (;;) {
    HPDF_BYTE buf[4096];
    HPDF_UINT32 n = sizeof buf;
    HPDF_STATUS rc = HPDF_ReadFromStream(p.doc, buf, &n);
    g_byte_array_append(out, buf, n);
    if (rc == HPDF_STREAM_EOF || n == 0)
      break;
    if (rc != HPDF_OK) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "libharu: cannot read the PDF back");
      HPDF_Free(p.doc);
      return NULL;
    }
  }
  HPDF_Free(p.doc);
  return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}
