/* attachments.c: the attachment signals of the phishing check (see signals.h): files
 * that run programs, hide them, or hide what they are.
 *
 * How it works: each attachment of the decoded record is judged by its extensions
 * (executables, macros, archives, a program behind a document extension), its
 * libmagic type, macro markers in its bytes and, for a ZIP, the member names and
 * encryption flags of the central directory (at most ZIP_ENTRIES_MAX entries). Then a
 * second GMime parse of the raw bytes, only for messages with attachments or with an
 * HTML rendering the decoded record dropped (it prefers plain text), gives the file
 * names as sent (the record drops bidi controls: a right-to-left override) and the
 * links of that HTML (what a mail client shows and a click follows), read through
 * check_links() (capped: RAW_DEPTH_MAX nesting, RAW_PARTS_MAX parts, HTML_SCAN_MAX
 * bytes of HTML). */
#include <gmime/gmime.h>
#include <string.h>

#include "check/signals.h"
#include "mail/charset.h"
#include "mail/html2text.h"

#define ZIP_ENTRIES_MAX 1024
#define HTML_SCAN_MAX (1024 * 1024)   /* bytes of dropped HTML renderings read */
#define RAW_DEPTH_MAX 16              /* nesting walked in the raw parts */
#define RAW_PARTS_MAX 256

static const char *const exec_exts[] = {
  "exe", "scr", "js", "jse", "vbs", "vbe", "bat", "cmd", "ps1", "jar", "lnk", "hta", "iso",
  "img", "com", "pif", "msi", "wsf", "cpl", "reg", "vhd",
};
static const char *const exec_types[] = {
  "application/x-dosexec", "application/x-msdownload", "application/x-executable",
  "application/x-sharedlib", "application/x-pie-executable", "application/x-mach-binary",
  "application/vnd.microsoft.portable-executable", "application/x-ms-shortcut",
  "application/x-iso9660-image", "application/java-archive", "application/x-java-archive",
  "text/x-shellscript", "application/x-shellscript", "text/javascript",
  "application/javascript", "text/x-msdos-batch", "application/x-bat", "application/hta",
  "application/x-ms-ne-executable", "text/vbscript",
};
static const char *const macro_exts[] = {"docm", "xlsm", "pptm", "dotm", "xltm", "xlam", "ppsm"};
static const char *const document_exts[] = {
  "pdf", "doc", "docx", "xls", "xlsx", "rtf", "odt", "txt", "jpg", "jpeg", "png", "zip", "rar",
};
static const char *const office_exts[] = {"docx", "xlsx", "pptx", "odt", "ods", "odp", "docm", "xlsm", "pptm"};
static const char *const archive_exts[] = {"zip", "rar", "7z", "gz", "tgz", "bz2", "xz", "cab", "arj"};
static const char *const archive_types[] = {
  "application/zip", "application/x-rar", "application/vnd.rar", "application/x-rar-compressed",
  "application/x-7z-compressed", "application/gzip", "application/x-gzip", "application/x-tar",
  "application/x-bzip2", "application/x-xz", "application/vnd.ms-cab-compressed",
};

static gboolean in_list(const char *s, const char *const *list, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (g_ascii_strcasecmp(s, list[i]) == 0)
      return TRUE;
  return FALSE;
}
#define IN(s, list) in_list((s), (list), G_N_ELEMENTS(list))

/* The extension of `name` (after the last dot, "" if none) and, through *prev, the one
 * before it (spaces before the last dot ignored: "справка.pdf   .exe"). */
static char *extensions(const char *name, char **prev)
{
  const char *last = strrchr(name, '.');
  *prev = NULL;
  if (!last)
    return g_strdup("");
  {
    g_autofree char *stem = g_strndup(name, (gsize)(last - name));
    const char *pd;
    g_strchomp(stem);
    pd = strrchr(stem, '.');
    if (pd && pd[1])
      *prev = g_strdup(pd + 1);
  }
  return g_strdup(last + 1);
}

static gboolean bytes_contain(GBytes *data, const void *needle, gsize n)
{
  gsize len = 0;
  const guint8 *d = g_bytes_get_data(data, &len);
  return d && len >= n && memmem(d, len, needle, n) != NULL;
}

/* Reads a ZIP archive's central directory records (names are stored in the clear):
 * the first member whose name has an executable extension (NULL if none), and
 * whether any member is encrypted (general purpose flag bit 0). */
static char *zip_look_inside(GBytes *data, gboolean *encrypted)
{
  gsize len = 0;
  const guint8 *d = g_bytes_get_data(data, &len);
  const guint8 *p = d, *end = d ? d + len : NULL;
  char *exec_member = NULL;
  guint seen = 0;
  *encrypted = FALSE;
  while (p && seen < ZIP_ENTRIES_MAX && (gsize)(end - p) >= 46 &&
         (p = memmem(p, (gsize)(end - p), "PK\x01\x02", 4)) && (gsize)(end - p) >= 46) {
    gsize nlen = (gsize)p[28] | ((gsize)p[29] << 8);
    seen++;
    *encrypted = *encrypted || (p[8] & 1);
    if (!exec_member && (gsize)(end - p) - 46 >= nlen && nlen > 0) {
      g_autofree char *raw = g_strndup((const char *)p + 46, nlen);
      g_autofree char *name = g_utf8_make_valid(raw, -1);
      g_autofree char *prev = NULL;
      g_autofree char *ext = extensions(name, &prev);
      if (IN(ext, exec_exts))
        exec_member = g_steal_pointer(&name);
    }
    p += 4;
  }
  return exec_member;
}

void check_attachment(Check *c, const OknoAttachment *a)
{
  g_autofree char *prev = NULL;
  g_autofree char *ext = extensions(a->filename, &prev);
  gboolean exec = IN(ext, exec_exts) || IN(a->content_type, exec_types);
  /* OOXML and ODF documents are ZIP files: libmagic may call them application/zip */
  gboolean archive = IN(ext, archive_exts) || (IN(a->content_type, archive_types) && !IN(ext, office_exts));
  static const char vba_ole[] = "_\0V\0B\0A\0_\0P\0R\0O\0J\0E\0C\0T";

  if (exec && prev && IN(prev, document_exts))
    add_reason(c, "attachment_double_extension", 10,
               "Имя вложения «%s» маскирует программу под документ: настоящее расширение — "
               "«.%s». Не открывайте его.", a->filename, ext);
  if (exec)
    add_reason(c, "attachment_executable", 10,
               "Вложение «%s» — это программа или сценарий. Не открывайте его: "
               "оно может заразить компьютер.", a->filename);
  if (IN(ext, macro_exts) || bytes_contain(a->data, "vbaProject.bin", 14) ||
      bytes_contain(a->data, vba_ole, sizeof vba_ole - 1))
    add_reason(c, "attachment_macro", 6,
               "Вложение «%s» — документ с макросами (встроенными программами). "
               "Не разрешайте запуск макросов.", a->filename);
  if (archive && !exec) {
    gboolean encrypted = FALSE;
    g_autofree char *member = zip_look_inside(a->data, &encrypted);
    add_reason(c, "attachment_archive", 3,
               "Вложение «%s» — архив. Содержимое архива не видно заранее; "
               "открывайте его, только если вы его ждали.", a->filename);
    if (member)
      add_reason(c, "attachment_executable", 10,
                 "В архиве «%s» лежит программа или сценарий «%s». Не открывайте его: "
                 "оно может заразить компьютер.", a->filename, member);
    if (encrypted)
      add_reason(c, "attachment_encrypted_archive", 6,
                 "Архив «%s» защищён паролем: так вредоносные программы прячут от антивируса.",
                 a->filename);
  }
}

/* Bidi controls that reverse how a name reads (U+202A..U+202E, U+2066..U+2069). */
static gboolean has_bidi_control(const char *s)
{
  for (const char *p = s; *p; p = g_utf8_next_char(p)) {
    gunichar ch = g_utf8_get_char(p);
    if ((ch >= 0x202A && ch <= 0x202E) || (ch >= 0x2066 && ch <= 0x2069))
      return TRUE;
  }
  return FALSE;
}

/* The raw parts walk: file names as sent (bidi controls) and, when the body text came
 * from a plain part, the hrefs of the HTML renderings the decoded record dropped. */
typedef struct {
  Check *c;
  gboolean want_html;
  gsize html_bytes;  /* decoded HTML read so far, capped at HTML_SCAN_MAX */
  guint parts;       /* parts visited, capped at RAW_PARTS_MAX */
} RawWalk;

static void raw_leaf(RawWalk *w, GMimePart *part)
{
  const char *fn = g_mime_part_get_filename(part);
  GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
  if (fn) {
    g_autofree char *valid = g_utf8_make_valid(fn, -1);
    if (has_bidi_control(valid)) {
      GString *shown = g_string_new(NULL);
      for (const char *p = valid; *p; p = g_utf8_next_char(p))
        if (g_unichar_type(g_utf8_get_char(p)) != G_UNICODE_FORMAT)
          g_string_append_unichar(shown, g_utf8_get_char(p));
      add_reason(w->c, "attachment_rlo", 10,
                 "В имени вложения «%s» спрятан символ, переворачивающий текст: настоящее "
                 "расширение файла не то, что видно. Не открывайте его.", shown->str);
      g_string_free(shown, TRUE);
    }
  } else if (w->want_html && ct && g_mime_content_type_is_type(ct, "text", "html") &&
             w->html_bytes < HTML_SCAN_MAX) {
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    g_autoptr(GByteArray) bytes = g_byte_array_new();
    GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(bytes);
    g_autofree char *utf8 = NULL;
    g_autofree char *text = NULL;
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
    if (content)
      g_mime_data_wrapper_write_to_stream(content, mem);
    g_object_unref(mem);
    if (bytes->len > HTML_SCAN_MAX - w->html_bytes)
      g_byte_array_set_size(bytes, (guint)(HTML_SCAN_MAX - w->html_bytes));
    w->html_bytes += bytes->len;
    utf8 = okno_charset_to_utf8((const char *)bytes->data, bytes->len,
                                g_mime_content_type_get_parameter(ct, "charset"));
    text = okno_html_to_text(utf8, strlen(utf8));
    check_links(w->c, text, strlen(text));
  }
}

static void raw_walk(RawWalk *w, GMimeObject *obj, guint depth)
{
  if (!obj || depth > RAW_DEPTH_MAX || ++w->parts > RAW_PARTS_MAX)
    return;
  if (GMIME_IS_MULTIPART(obj)) {
    int n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
    for (int i = 0; i < n; i++)
      raw_walk(w, g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), depth + 1);
  } else if (GMIME_IS_PART(obj)) {
    raw_leaf(w, GMIME_PART(obj));
  }
}

/* TRUE when `needle` (lowercase ASCII) occurs in the `len` bytes at `hay`, ASCII case
 * ignored. */
static gboolean mem_find_ci(const char *hay, gsize len, const char *needle)
{
  gsize n = strlen(needle);
  for (gsize i = 0; i + n <= len; i++)
    if (g_ascii_tolower(hay[i]) == needle[0] && g_ascii_strncasecmp(hay + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/* Parses the raw message again with GMime (the decoded record keeps neither) when it
 * has attachments or may hold a dropped HTML rendering; skipped when the first parse
 * ran out of budget. */
void check_raw_parts(Check *c, const char *raw, gsize len)
{
  RawWalk w = {.c = c};
  GMimeStream *stream;
  GMimeParser *parser;
  GMimeMessage *message;
  w.want_html = !c->msg->text_from_html && *c->msg->text && mem_find_ci(raw, len, "text/html");
  if (c->msg->budget_exceeded || (c->msg->attachments->len == 0 && !w.want_html))
    return;
  okno_mime_init();
  stream = g_mime_stream_mem_new_with_buffer(raw, len);
  parser = g_mime_parser_new_with_stream(stream);
  message = g_mime_parser_construct_message(parser, NULL);
  if (message) {
    raw_walk(&w, g_mime_message_get_mime_part(message), 0);
    g_object_unref(message);
  }
  g_object_unref(parser);
  g_object_unref(stream);
}
