/* intake/validate.c: the meaningful part of a message, and the attachment policy
 * (validate.h).
 *
 * Description. The text is split into lines (CRLF, CR and LF alike) and read from
 * the top, each line classified once:
 *  - a quoted line ("> ...", also indented) is dropped;
 *  - a reply attribution ("On ... wrote:", "... пишет:", "... написал(а):", Gmail's
 *    and Yandex's "<date>, Name <addr>:", Mail.ru's "<date> от Name <addr>:"),
 *    possibly wrapped over two lines, is dropped; if the original follows quoted
 *    ("> ...") reading goes on (text written below the quote is kept), otherwise
 *    the original follows unquoted and everything after is dropped;
 *  - an original-message separator ("-----Original Message-----",
 *    "-----Исходное сообщение-----", "--- Исходное сообщение ---"), Outlook's
 *    underline before "From:/От:", and Outlook's header block ("From:/От:" followed
 *    by "Sent:/Отправлено:/Date:/Дата:", then "To:/Кому:" and "Subject:/Тема:")
 *    drop everything after; a forwarded letter ("Forwarded message", "Пересылаемое
 *    сообщение") is kept with its header block, since it is often the appeal itself;
 *  - the signature separator "-- " (or "--") and a device signature ("Отправлено с
 *    iPhone", "Sent from my iPhone", "Отправлено из мобильной Почты Mail.ru", "Get
 *    Outlook for Android", ...) drop everything after.
 * Then a closing near the end ("С уважением, ...", "Best regards", "Спасибо!") with
 * at most four short lines after it (a name, a position, a phone) is dropped, and
 * so is a greeting that stands alone on the first line ("Здравствуйте!", "Добрый
 * день, уважаемая поддержка!"): neither describes anything. Lines lose trailing
 * white space, runs of blank lines become one, and blank lines at both ends go.
 *
 * Attachments. Judged by libmagic's content_type (never by the name): PDF, JPEG,
 * PNG and DOCX are kept. A DOCX is a zip, and libmagic 5.44 says
 * "application/vnd.openxmlformats-officedocument.wordprocessingml.document" only
 * when "[Content_Types].xml" is the first member; for other member orders it says
 * "application/zip". The DOCX verdict is trusted; "application/zip" is accepted as a
 * DOCX only when the bytes name "word/document.xml" (searched in the first and the
 * last 64 KB, where the local headers and the central directory of a Word file
 * are). Either is refused when it carries macros ("vbaProject.bin": libmagic calls a
 * .docm a DOCX too). Reasons are whole Russian sentences naming the file, with what
 * to do instead where there is something to do. */
#include "intake/validate.h"

#include "mail/zip.h"

#include <string.h>

#define FILENAME_MAX_CHARS 80
#define ZIP_PROBE_BYTES (64 * 1024)
#define ATTRIBUTION_MAX_CHARS 300
#define CLOSING_TAIL_LINES 4
#define TAIL_LINE_MAX_CHARS 80

/* ---- description ---- */

/* `line` (valid UTF-8) lowercased for matching and trimmed of white space. ASCII and
 * Russian Cyrillic are folded inline; other letters go through g_unichar_tolower (no
 * special casing: this is for matching, not for display). g_utf8_strdown was a third
 * of intake's CPU time here. Caller frees. */
static char *lower_trimmed(const char *line)
{
  GString *o = g_string_sized_new(strlen(line));
  for (const char *p = line; *p;) {
    gunichar u;
    if ((guchar)*p < 0x80) {
      g_string_append_c(o, g_ascii_tolower(*p));
      p++;
      continue;
    }
    if (((guchar)p[0] == 0xD0 || (guchar)p[0] == 0xD1) && ((guchar)p[1] & 0xC0) == 0x80) {
      /* U+0400..U+047F: two bytes, decoded in place */
      u = (((gunichar)p[0] & 0x1F) << 6) | ((gunichar)p[1] & 0x3F);
      p += 2;
    } else {
      u = g_utf8_get_char(p);
      p = g_utf8_next_char(p);
    }
    if (u >= 0x410 && u <= 0x42F)
      u += 0x20;
    else if (u >= 0x400 && u <= 0x40F)
      u += 0x50;
    else if (u < 0x430 || u >= 0x460) /* not lowercase Russian already */
      u = g_unichar_tolower(u);
    if (u >= 0x400 && u < 0x460) { /* Russian, lowercase: still two bytes */
      g_string_append_c(o, (char)(0xC0 | (u >> 6)));
      g_string_append_c(o, (char)(0x80 | (u & 0x3F)));
    } else {
      g_string_append_unichar(o, u);
    }
  }
  g_strstrip(o->str);
  return g_string_free(o, FALSE);
}

static gboolean starts_with_any(const char *s, const char *const *prefixes)
{
  for (const char *const *p = prefixes; *p; p++)
    if (g_str_has_prefix(s, *p))
      return TRUE;
  return FALSE;
}

static gboolean ends_with_any(const char *s, const char *const *suffixes)
{
  for (const char *const *p = suffixes; *p; p++)
    if (g_str_has_suffix(s, *p))
      return TRUE;
  return FALSE;
}

static gboolean is_quoted(const char *line)
{
  while (*line == ' ' || *line == '\t')
    line++;
  return *line == '>';
}

static gboolean is_blank(const char *line)
{
  for (; *line; line++)
    if (!g_ascii_isspace(*line))
      return FALSE;
  return TRUE;
}

/* "-----Original Message-----", "--- Исходное сообщение ---" and the like. */
static gboolean is_original_separator(const char *low)
{
  static const char *const phrases[] = {
    "original message", "исходное сообщение", "оригинальное сообщение",
    "исходное письмо", NULL,
  };
  const char *p = low;
  gsize n;
  while (*p == '-' || *p == '_' || *p == ' ' || *p == '=')
    p++;
  if (p == low)
    return FALSE;
  for (const char *const *ph = phrases; *ph; ph++) {
    n = strlen(*ph);
    if (strncmp(p, *ph, n) == 0) {
      p += n;
      while (*p == '-' || *p == '_' || *p == ' ' || *p == '=')
        p++;
      return *p == '\0';
    }
  }
  return FALSE;
}

static gboolean is_underline(const char *low)
{
  gsize n = 0;
  for (; *low; low++, n++)
    if (*low != '_')
      return FALSE;
  return n >= 10;
}

/* Outlook's header lines, also as "*From:*" when bold was turned into text. */
static gboolean header_line(const char *low, const char *const *names)
{
  while (*low == '*')
    low++;
  return starts_with_any(low, names);
}

static const char *const from_names[] = { "from:", "от:", NULL };
static const char *const sent_names[] = { "sent:", "date:", "отправлено:", "дата:", NULL };
static const char *const to_names[] = { "to:", "кому:", NULL };
static const char *const subject_names[] = { "subject:", "тема:", NULL };

/* Outlook's block before the original: "From:", then "Sent:" on the next line, and
 * both "To:" and "Subject:" within the few lines after. */
static gboolean is_outlook_block(char **lows, guint n, guint i)
{
  gboolean to = FALSE, subject = FALSE;
  if (!header_line(lows[i], from_names) || i + 1 >= n || !header_line(lows[i + 1], sent_names))
    return FALSE;
  for (guint k = i + 2; k < n && k < i + 7; k++) {
    to = to || header_line(lows[k], to_names);
    subject = subject || header_line(lows[k], subject_names);
  }
  return to && subject;
}

/* "16:35": a time of day, which every client's attribution carries. */
static gboolean has_time(const char *s)
{
  for (; s[0] && s[1] && s[2] && s[3]; s++)
    if (g_ascii_isdigit(s[0]) && s[1] == ':' && g_ascii_isdigit(s[2]) && g_ascii_isdigit(s[3]))
      return TRUE;
  return FALSE;
}

/* A reply attribution line (already joined with its wrapped continuation). Without
 * a quote after it, it must carry a time, so that prose ending in "написал:" is not
 * taken for one. */
static gboolean is_attribution(const char *low, gboolean quote_follows)
{
  static const char *const verbs[] = {
    "wrote:", "writes:", "пишет:", "написал:", "написала:", "написал(а):",
    "писал:", "писала:", "писал(а):", NULL,
  };
  if (!g_str_has_suffix(low, ":") || g_utf8_strlen(low, -1) > ATTRIBUTION_MAX_CHARS)
    return FALSE;
  if (!quote_follows && !has_time(low))
    return FALSE;
  if (ends_with_any(low, verbs))
    return TRUE;
  /* Gmail (ru), Yandex, Apple: "<date>, Name <addr>:"; Mail.ru "<date> от Name <addr>:"
   * or "<date> от addr:" */
  return strchr(low, '@') &&
         (g_str_has_suffix(low, ">:") || strstr(low, " от ") || strstr(low, " from "));
}

/* "---------- Forwarded message ---------", "Begin forwarded message:": what follows
 * is the forwarded letter, which is kept (it is often the whole point). */
static gboolean is_forward_separator(const char *low)
{
  static const char *const phrases[] = {
    "forwarded message", "пересылаемое сообщение", "пересланное сообщение",
    "begin forwarded message", "начало переадресованного сообщения", NULL,
  };
  for (const char *const *p = phrases; *p; p++)
    if (strstr(low, *p))
      return TRUE;
  return FALSE;
}

/* "Отправлено с iPhone", "Sent from my iPhone", "Отправлено из мобильной Почты
 * Mail.ru", "Get Outlook for Android". */
static gboolean is_device_signature(const char *low)
{
  static const char *const starts[] = {
    "отправлено с ", "отправлено из ", "sent from ", "get outlook for ", "sent with ",
    "отправлено через ", NULL,
  };
  static const char *const devices[] = {
    "iphone", "ipad", "android", "mail.ru", "яндекс", "yandex", "outlook", "samsung",
    "galaxy", "мобильн", "mobile", "windows", "huawei", "xiaomi", "устройства",
    "смартфона", "телефона", "почты", NULL,
  };
  if (g_utf8_strlen(low, -1) > TAIL_LINE_MAX_CHARS || !starts_with_any(low, starts))
    return FALSE;
  for (const char *const *d = devices; *d; d++)
    if (strstr(low, *d))
      return TRUE;
  return FALSE;
}

/* Characters after a leading phrase, with punctuation and spaces skipped. */
static glong rest_chars(const char *low, gsize phrase_len)
{
  const char *p = low + phrase_len;
  while (*p && (g_ascii_ispunct(*p) || *p == ' '))
    p++;
  return g_utf8_strlen(p, -1);
}

/* "С уважением, Иван Петров", "Best regards", "Спасибо!" */
static gboolean is_closing(const char *low)
{
  static const struct {
    const char *phrase;
    glong rest_max; /* what may follow on the same line: a name, "за помощь" */
  } closings[] = {
    { "с уважением", 60 }, { "с наилучшими пожеланиями", 60 }, { "всего доброго", 60 },
    { "всего хорошего", 60 }, { "best regards", 60 }, { "kind regards", 60 },
    { "regards", 60 }, { "sincerely", 60 }, { "yours sincerely", 60 },
    { "заранее спасибо", 25 }, { "заранее благодарю", 25 }, { "спасибо", 25 },
    { "благодарю", 25 }, { "thank you", 25 }, { "thanks", 25 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(closings); i++) {
    gsize n = strlen(closings[i].phrase);
    if (strncmp(low, closings[i].phrase, n) == 0 && !g_unichar_isalnum(g_utf8_get_char(low + n)) &&
        rest_chars(low, n) <= closings[i].rest_max)
      return TRUE;
  }
  return FALSE;
}

/* A greeting alone: the phrase, then at most three words ("Здравствуйте,
 * уважаемая служба поддержки!"). */
static gboolean is_greeting(const char *low)
{
  static const char *const greetings[] = {
    "здравствуйте", "добрый день", "добрый вечер", "доброе утро", "доброго дня",
    "доброго времени суток", "приветствую", "привет", "hello", "hi", "good afternoon",
    "good morning", "dear", "уважаемые", "уважаемый", "уважаемая", NULL,
  };
  for (const char *const *g = greetings; *g; g++) {
    gsize n = strlen(*g);
    if (strncmp(low, *g, n) == 0 && !g_unichar_isalnum(g_utf8_get_char(low + n))) {
      g_auto(GStrv) words = g_strsplit_set(low + n, " ,!.:;-\t", -1);
      int count = 0;
      for (char **w = words; *w; w++)
        count += **w != '\0';
      return count <= 3 && g_utf8_strlen(low, -1) <= 60;
    }
  }
  return FALSE;
}

/* The next non-blank line after index i, or NULL. */
static const char *next_nonblank(char **lines, guint n, guint i)
{
  for (guint k = i + 1; k < n; k++)
    if (!is_blank(lines[k]))
      return lines[k];
  return NULL;
}

char *okno_description_text(const char *text)
{
  g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);
  g_autoptr(GPtrArray) split = g_ptr_array_new(); /* lines, pointing into `valid` */
  char **lines;
  g_autoptr(GPtrArray) kept = g_ptr_array_new(); /* borrowed from `lines` */
  g_autoptr(GPtrArray) lows = NULL;               /* lower_trimmed() of each line */
  GString *out = g_string_new(NULL);
  guint n, forward_until = 0;

  /* one line end, then lines cut in place (g_strsplit's strstr is quadratic under
   * AddressSanitizer, whose interceptor measures the rest of the text each time) */
  for (char *p = valid; *p; p++)
    if (*p == '\r')
      *p = p[1] == '\n' ? ' ' : '\n';
  for (char *p = valid; p; ) {
    char *nl = strchr(p, '\n');
    g_ptr_array_add(split, p);
    if (nl)
      *nl = '\0';
    p = nl ? nl + 1 : NULL;
  }
  lines = (char **)split->pdata;
  n = split->len;
  /* every line lowercased once, for all the matching below */
  lows = g_ptr_array_new_full(n, g_free);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add(lows, lower_trimmed(lines[i]));

  for (guint i = 0; i < n; i++) {
    const char *low = lows->pdata[i];
    const char *after;
    gboolean quote_follows;
    g_strchomp(lines[i]);
    if (is_blank(lines[i])) { /* never a header; keeps the look-ahead below linear */
      g_ptr_array_add(kept, lines[i]);
      continue;
    }
    if (is_quoted(lines[i]))
      continue;
    if (is_original_separator(low) || g_strcmp0(lines[i], "--") == 0 ||
        is_device_signature(low))
      break;
    if (is_forward_separator(low))
      forward_until = i + 8; /* its header block is kept */
    if (i > forward_until && is_outlook_block((char **)lows->pdata, n, i))
      break;
    if (is_underline(low)) {
      const char *next = next_nonblank(lines, n, i);
      g_autofree char *next_low = next ? lower_trimmed(next) : NULL;
      if (next_low && header_line(next_low, from_names))
        break;
    }
    after = next_nonblank(lines, n, i);
    quote_follows = after && is_quoted(after);
    if (is_attribution(low, quote_follows)) {
      if (quote_follows)
        continue;
      break;
    }
    /* an attribution wrapped over two lines (Gmail wraps at 78 characters) */
    if (i + 1 < n && *low && !g_str_has_suffix(low, ":") &&
        g_str_has_suffix(lows->pdata[i + 1], ":")) {
      const char *next_low = lows->pdata[i + 1];
      g_autofree char *joined = g_strconcat(low, " ", next_low, NULL);
      after = next_nonblank(lines, n, i + 1);
      quote_follows = after && is_quoted(after);
      if (*next_low && is_attribution(joined, quote_follows)) {
        i++;
        if (quote_follows)
          continue;
        break;
      }
    }
    g_ptr_array_add(kept, lines[i]);
  }

  /* a closing and what follows it, when only a few short lines follow */
  {
    guint tail = 0;
    for (guint k = kept->len; k > 0; k--) {
      const char *line = kept->pdata[k - 1];
      g_autofree char *low = NULL;
      if (is_blank(line))
        continue;
      low = lower_trimmed(line);
      if (is_closing(low)) {
        g_ptr_array_set_size(kept, k - 1);
        break;
      }
      if (++tail > CLOSING_TAIL_LINES || g_utf8_strlen(low, -1) > TAIL_LINE_MAX_CHARS)
        break;
    }
  }

  /* a greeting alone on the first line */
  for (guint k = 0; k < kept->len; k++) {
    g_autofree char *low = NULL;
    if (is_blank(kept->pdata[k]))
      continue;
    low = lower_trimmed(kept->pdata[k]);
    if (is_greeting(low))
      g_ptr_array_remove_index(kept, k);
    break;
  }

  /* white space: one blank line at most between paragraphs, none at the ends */
  for (guint k = 0; k < kept->len; k++) {
    const char *line = kept->pdata[k];
    if (is_blank(line)) {
      if (out->len && out->str[out->len - 1] == '\n' &&
          !(out->len >= 2 && out->str[out->len - 2] == '\n'))
        g_string_append_c(out, '\n');
      continue;
    }
    g_string_append(out, line);
    g_string_append_c(out, '\n');
  }
  while (out->len && (out->str[out->len - 1] == '\n' || g_ascii_isspace(out->str[out->len - 1])))
    g_string_truncate(out, out->len - 1);
  {
    /* leading blank space (the first kept lines may be indented blank ones) */
    gsize lead = 0;
    while (lead < out->len && out->str[lead] == '\n')
      lead++;
    g_string_erase(out, 0, (gssize)lead);
  }
  return g_string_free(out, FALSE);
}

/* ---- attachments ---- */

static gboolean bytes_contain(GBytes *data, const char *needle)
{
  gsize len = 0, nlen = strlen(needle);
  const char *d = data ? g_bytes_get_data(data, &len) : NULL;
  gsize head = MIN(len, ZIP_PROBE_BYTES);
  gsize tail_from = len > ZIP_PROBE_BYTES ? len - ZIP_PROBE_BYTES : 0;
  if (!d)
    return FALSE;
  return memmem(d, head, needle, nlen) || memmem(d + tail_from, len - tail_from, needle, nlen);
}

/* The file name as shown in a reason: valid UTF-8, no control characters, capped. */
static char *shown_name(const char *filename)
{
  g_autofree char *valid = g_utf8_make_valid(filename ? filename : "", -1);
  GString *s = g_string_new(NULL);
  glong n = 0;
  for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (g_unichar_iscntrl(c))
      continue;
    if (n++ == FILENAME_MAX_CHARS) {
      g_string_append(s, "…");
      break;
    }
    g_string_append_unichar(s, c);
  }
  return g_string_free(s, FALSE);
}

static char *refusal(const char *filename, const char *why)
{
  g_autofree char *name = shown_name(filename);
  if (!*name)
    return g_strdup_printf("Файл без имени не принят: %s", why);
  return g_strdup_printf("Файл «%s» не принят: %s", name, why);
}

char *okno_attachment_refusal(const OknoAttachment *att)
{
  static const char *const archives[] = {
    "application/zip", "application/x-rar", "application/x-rar-compressed",
    "application/vnd.rar", "application/x-7z-compressed", "application/gzip",
    "application/x-gzip", "application/x-tar", "application/x-bzip2", "application/x-xz",
    NULL,
  };
  const char *type = att->content_type ? att->content_type : "";
  g_autofree char *base = g_ascii_strdown(att->filename ? att->filename : "", -1);
  gboolean docx_type =
      strcmp(type, "application/vnd.openxmlformats-officedocument.wordprocessingml.document") == 0;
  gboolean image = strcmp(type, "image/jpeg") == 0 || strcmp(type, "image/png") == 0;
  gboolean word_zip = FALSE;

  if (att->size == 0)
    return refusal(att->filename, "файл пустой.");
  if (strcmp(type, "application/vnd.ms-tnef") == 0 ||
      g_strcmp0(att->declared_type, "application/ms-tnef") == 0 ||
      g_strcmp0(att->declared_type, "application/vnd.ms-tnef") == 0 ||
      strcmp(base, "winmail.dat") == 0)
    return refusal(att->filename,
                   "это служебный файл программы Outlook (формат TNEF), вложения из "
                   "него прочитать нельзя. Пожалуйста, отправьте файлы обычными "
                   "вложениями: в Outlook выберите для письма формат HTML или «Обычный "
                   "текст» вместо «Форматированный текст (RTF)».");

  if (docx_type || strcmp(type, "application/zip") == 0) {
    if (bytes_contain(att->data, "vbaProject.bin"))
      return refusal(att->filename, "документы с макросами не принимаются. Сохраните, "
                                    "пожалуйста, документ как обычный DOCX или PDF.");
    /* libmagic's own DOCX verdict is trusted; a plain zip must name Word's part */
    word_zip = docx_type || bytes_contain(att->data, "word/document.xml");
  }
  if (word_zip && att->data) {
    /* inflated within limits: a zip bomb is no document (a broken archive is judged as
     * before: what cannot be read cannot explode either) */
    gsize n = 0;
    const guint8 *d = g_bytes_get_data(att->data, &n);
    OknoZipVerdict v = okno_zip_inspect(d, n, NULL, NULL);
    if (v == OKNO_ZIP_TOO_MANY || v == OKNO_ZIP_TOO_BIG || v == OKNO_ZIP_RATIO)
      return refusal(att->filename,
                     "документ при распаковке занимает слишком много места или состоит из "
                     "слишком многих частей (так устроены «zip-бомбы»). Сохраните, "
                     "пожалуйста, документ заново или пришлите его в формате PDF.");
  }
  if (g_str_has_prefix(type, "application/vnd.ms-word.") ||
      strcmp(type, "application/vnd.ms-office") == 0 /* libmagic for some .docm/.doc */)
    return refusal(att->filename, "документы с макросами и документы старых форматов "
                                  "Word не принимаются. Сохраните, пожалуйста, документ "
                                  "как DOCX или PDF.");
  if (strcmp(type, "application/msword") == 0 || strcmp(type, "application/rtf") == 0 ||
      strcmp(type, "text/rtf") == 0)
    return refusal(att->filename, "документы в формате DOC и RTF не принимаются. "
                                  "Сохраните, пожалуйста, документ как DOCX или PDF.");
  if (!word_zip && g_strv_contains(archives, type))
    return refusal(att->filename, "архивы не принимаются. Приложите, пожалуйста, сами "
                                  "файлы в формате PDF, DOCX, JPEG или PNG.");
  if (!word_zip && strcmp(type, "application/pdf") != 0 && !image)
    return refusal(att->filename, "такие файлы не принимаются. Можно прикладывать PDF, "
                                  "DOCX, JPEG и PNG.");
  if (image && att->size > OKNO_IMAGE_MAX)
    return refusal(att->filename, "изображение больше 5 МБ. Уменьшите, пожалуйста, "
                                  "размер изображения или пришлите его в формате PDF.");
  if (att->size > OKNO_ATTACHMENT_MAX)
    return refusal(att->filename, "он больше 10 МБ.");
  return NULL;
}
