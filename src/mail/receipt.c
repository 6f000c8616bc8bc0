/* mail/receipt.c: every letter okno writes: receipts, notices, answers (receipt.h).
 *
 * How it works: the Russian body is written first into a GString, one paragraph per
 * fact, in the order a citizen reads them (greeting, what happened to the message,
 * when, which message it was, the deadline, refused attachments, what to add, what
 * happens next, that this is automatic). Every letter has the same greeting and
 * signature around its own text (write_letter), so a letter written elsewhere (the
 * check@ verdict, check/reply.c) passes only its text to okno_auto_reply_build. Then
 * the message is written by hand, which keeps every byte under control: display names
 * and subject as RFC 2047 B encoded-words in UTF-8 (cut so that GMime, which our own
 * intake uses to read the copy back, decodes them; see append_encoded_words), headers
 * folded before 76 characters, a text/plain; charset=utf-8 body in quoted-printable,
 * CRLF line ends throughout. The output is 7-bit ASCII.
 *
 * Everything that comes from the citizen's message (name, subject, Message-IDs) is
 * untrusted: names and subjects lose control characters and are capped; Message-IDs
 * that could break a header (spaces, angle brackets, controls, non-ASCII) are left
 * out of In-Reply-To/References (the body still mentions nothing unsafe). */
#include "mail/receipt.h"

#include <string.h>

#include "core/clock.h"

#define NAME_MAX_CHARS 80
#define SUBJECT_MAX_CHARS 200
#define MSGID_MAX_BYTES 250
#define REFERENCES_MAX 20 /* the first reference and the newest ones are kept */
#define LINE_SOFT 76      /* header folding and quoted-printable line length */
#define EW_MAX_BYTES 42   /* text bytes in one B encoded-word: 56 base64 characters,
                             a 68-character word that fits after "Subject: " */
#define EW_Q_MAX_BYTES 15 /* text bytes in one Q encoded-word: at most 45 characters */

/* «23 ноября 2026 г., 16:35 (МСК)» for `us` in Moscow time. Caller frees. */
static char *russian_time(gint64 us)
{
  static const char *const months[] = {
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
  };
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) msk = g_date_time_to_timezone(utc, okno_tz_moscow());
  return g_strdup_printf("%d %s %d г., %02d:%02d (МСК)", g_date_time_get_day_of_month(msk),
                         months[g_date_time_get_month(msk) - 1], g_date_time_get_year(msk),
                         g_date_time_get_hour(msk), g_date_time_get_minute(msk));
}

char *okno_receipt_clean_line(const char *text, glong max_chars)
{
  g_autofree char *valid = g_utf8_make_valid(text ? text : "", -1);
  GString *out = g_string_new(NULL);
  glong n = 0;
  gboolean space = FALSE;
  for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (g_unichar_isspace(c) || g_unichar_iscntrl(c)) {
      space = out->len > 0;
      continue;
    }
    if (n >= max_chars) {
      g_string_append(out, "…");
      break;
    }
    if (space)
      g_string_append_c(out, ' ');
    space = FALSE;
    g_string_append_unichar(out, c);
    n++;
  }
  return g_string_free(out, FALSE);
}

/* A Message-ID that can go into a header between angle brackets. */
static gboolean safe_msgid(const char *id)
{
  gsize n = 0;
  if (!id || !*id)
    return FALSE;
  for (const char *p = id; *p; p++, n++)
    if (*p <= ' ' || *p >= 0x7f || *p == '<' || *p == '>' || *p == '"' || *p == '\\' ||
        n >= MSGID_MAX_BYTES)
      return FALSE;
  return TRUE;
}

/* The name to greet and to write in To: cleaned; an address as a display name greets
 * no one (""). Caller frees. */
static char *greeting_name(const char *to_name)
{
  char *name = okno_receipt_clean_line(to_name, NAME_MAX_CHARS);
  if (strchr(name, '@'))
    name[0] = '\0';
  return name;
}

/* The letter around `text`: the greeting (by `name` when there is one), `text`, and the
 * signature (the [outbound] from_name, else «Служба поддержки»). */
static void write_letter(GString *b, const OknoConfig *cfg, const char *name, const char *text)
{
  if (*name)
    g_string_append_printf(b, "Здравствуйте, %s!\n\n", name);
  else
    g_string_append(b, "Здравствуйте!\n\n");
  g_string_append(b, text);
  g_string_append_printf(b, "С уважением,\n%s\n",
                         cfg->outbound_from_name && *cfg->outbound_from_name
                             ? cfg->outbound_from_name
                             : "Служба поддержки");
}

/* The receipt's text between the greeting and the signature. */
static void write_body(GString *b, const OknoConfig *cfg, const OknoReceiptInfo *info,
                       gboolean ask)
{
  g_autofree char *registered = russian_time(info->registered_at);
  g_autofree char *subject = okno_receipt_clean_line(info->orig_subject, SUBJECT_MAX_CHARS);

  if (info->joined)
    g_string_append_printf(b,
                           "Ваше сообщение добавлено к обращению № %s. Обращение "
                           "зарегистрировано %s.\n\n",
                           info->number, registered);
  else
    g_string_append_printf(b,
                           "Ваше обращение зарегистрировано под номером %s.\n"
                           "Дата и время регистрации: %s.\n\n",
                           info->number, registered);

  g_string_append(b, "Мы получили ваше письмо");
  if (*subject)
    g_string_append_printf(b, " с темой «%s»", subject);
  else
    g_string_append(b, " без темы");
  if (safe_msgid(info->orig_message_id))
    g_string_append_printf(b, " (идентификатор письма: <%s>)", info->orig_message_id);
  g_string_append(b, ".\n\n");
  if (info->original_sha256 && *info->original_sha256)
    g_string_append_printf(b, "Контрольная сумма SHA-256 вашего письма в том виде, в каком "
                              "мы его получили: %s.\n\n", info->original_sha256);
  if (info->proof_json && *info->proof_json)
    g_string_append(b, "К письму приложено подтверждение регистрации (файл "
                       "okno-receipt.json), подписанное электронной подписью журнала "
                       "портала: по нему можно доказать, что и когда мы получили.\n\n");

  if (info->deadline != 0) {
    g_autofree char *deadline = russian_time(info->deadline);
    g_string_append_printf(b, "Ожидаемый срок ответа: до %s.\n\n", deadline);
  } else if (ask) {
    g_string_append(b, "Срок рассмотрения начнёт отсчитываться, когда мы получим ваше "
                       "уточнение.\n\n");
  }

  if (!info->joined && info->formal)
    g_string_append(b, "Обращение зарегистрировано как обращение гражданина в порядке, "
                       "установленном Федеральным законом от 02.05.2006 № 59-ФЗ «О порядке "
                       "рассмотрения обращений граждан Российской Федерации».\n\n");
  else if (!info->joined)
    g_string_append(b, "Ваше письмо зарегистрировано как запрос в службу поддержки. "
                       "Обращением в порядке Федерального закона № 59-ФЗ «О порядке "
                       "рассмотрения обращений граждан Российской Федерации» оно не "
                       "является: электронная почта не подтверждает личность отправителя. "
                       "Если вы хотите подать официальное обращение, войдите в личный "
                       "кабинет портала с подтверждённой учётной записью и подайте его в "
                       "разделе «Мои обращения».\n\n");

  if (info->refused && info->refused[0]) {
    g_string_append(b, "Не все вложения приняты:\n");
    for (const char *const *r = info->refused; *r; r++)
      g_string_append_printf(b, "— %s\n", *r);
    g_string_append(b, "Если эти файлы нужны для рассмотрения обращения, пришлите их, "
                       "пожалуйста, в ответ на это письмо в формате PDF, DOCX, JPEG или "
                       "PNG.\n\n");
  }

  if (info->quarantined)
    g_string_append(b, "Ваше письмо не удалось прочитать автоматически. Оно сохранено "
                       "полностью, и его прочитает оператор; ничего отправлять повторно "
                       "не нужно.\n\n");

  if (ask)
    g_string_append(b,
                    "Чтобы мы могли помочь, пожалуйста, опишите проблему. В письме "
                    "не хватает описания. Напишите, пожалуйста:\n"
                    "— что вы делали (например, какую услугу получали или какую "
                    "страницу открывали);\n"
                    "— что произошло (что пошло не так, какое сообщение об ошибке вы "
                    "увидели);\n"
                    "— когда это случилось (дата и примерное время);\n"
                    "— номера, которые помогут найти ваше дело: номер обращения, номер "
                    "заявления или заказа.\n"
                    "Для этого ответьте на это письмо, сохранив номер обращения в теме "
                    "письма: так ваш ответ добавится к этому же обращению.\n\n");

  if (!info->joined && info->articles && info->articles[0]) {
    const char *url = cfg->public_url ? cfg->public_url : "";
    gsize len = strlen(url);
    g_string_append(b, "Возможно, ответ уже есть:\n");
    for (guint i = 0; i < 6 && info->articles[i] && info->articles[i + 1]; i += 2) {
      g_autofree char *title = okno_receipt_clean_line(info->articles[i], 200);
      if (len)
        g_string_append_printf(b, "— %s: %.*s%s\n", title,
                               (int)(url[len - 1] == '/' ? len - 1 : len), url,
                               info->articles[i + 1]);
      else
        g_string_append_printf(b, "— %s\n", title);
    }
    g_string_append(b, "Если статья ответила на ваш вопрос, обращение можно отозвать в "
                       "личном кабинете («Мои обращения»).\n\n");
  }

  g_string_append(b, "Что дальше: обращение рассмотрят специалисты службы поддержки, "
                     "ответ придёт на этот адрес электронной почты. Если вы хотите "
                     "что-то добавить, ответьте на это письмо, не меняя номер обращения "
                     "в теме.");
  if (cfg->public_url && *cfg->public_url) {
    const char *url = cfg->public_url;
    gsize len = strlen(url);
    g_string_append_printf(b,
                           " Узнать состояние обращения можно на странице %.*s/status "
                           "по номеру обращения и адресу электронной почты.",
                           (int)(len > 0 && url[len - 1] == '/' ? len - 1 : len), url);
  }
  g_string_append(b, "\n\nЭто письмо отправлено автоматически.\n\n");
}


/* Appends `text` (valid UTF-8) as RFC 2047 encoded-words, each preceded by a space or,
 * when the line would pass LINE_SOFT, by CRLF SP; *col is the current line length.
 * Every word holds whole characters, and every word but the last a multiple of three
 * bytes, so no base64 padding appears inside a run of words: GMime 3.2.13 stops
 * decoding a run of adjacent words at the first padding. A stretch with no such cut
 * (rare mixes of character widths) becomes a Q word instead. */
static void append_encoded_words(GString *h, const char *text, gsize *col)
{
  const char *p = text;
  gboolean first = TRUE; /* the first word stays on the header's own line */
  while (*p) {
    const char *aligned = NULL, *q = p, *end;
    GString *word = g_string_new(NULL);
    while (*q) {
      const char *next = g_utf8_next_char(q);
      if ((gsize)(next - p) > EW_MAX_BYTES)
        break;
      q = next;
      if ((q - p) % 3 == 0)
        aligned = q;
    }
    end = *q == '\0' ? q : aligned;
    if (end) {
      g_autofree char *b64 = g_base64_encode((const guchar *)p, (gsize)(end - p));
      g_string_append_printf(word, "=?utf-8?B?%s?=", b64);
    } else {
      end = p;
      while (*end && g_utf8_next_char(end) - p <= EW_Q_MAX_BYTES)
        end = g_utf8_next_char(end);
      g_string_append(word, "=?utf-8?Q?");
      for (const char *c = p; c < end; c++)
        if (g_ascii_isalnum(*c))
          g_string_append_c(word, *c);
        else
          g_string_append_printf(word, "=%02X", (guchar)*c);
      g_string_append(word, "?=");
    }
    if (!first && *col + 1 + word->len > LINE_SOFT) {
      g_string_append(h, "\r\n");
      *col = 0;
    }
    first = FALSE;
    g_string_append_c(h, ' ');
    g_string_append_len(h, word->str, word->len);
    *col += 1 + word->len;
    g_string_free(word, TRUE);
    p = end;
  }
}

/* One "Name: mailbox" header: the display name as a quoted string when it is plain
 * ASCII, as encoded-words otherwise; none when empty. */
static void append_mailbox_header(GString *h, const char *field, const char *name,
                                  const char *addr)
{
  gsize col = strlen(field) + 1;
  gboolean ascii = TRUE;
  g_string_append_printf(h, "%s:", field);
  for (const char *c = name; *c && ascii; c++)
    ascii = *c >= ' ' && *c < 0x7f;
  if (*name && ascii) {
    g_string_append(h, " \"");
    for (const char *c = name; *c; c++) {
      if (*c == '"' || *c == '\\')
        g_string_append_c(h, '\\');
      g_string_append_c(h, *c);
    }
    g_string_append_c(h, '"');
    col += strlen(name) + 3;
  } else if (*name) {
    append_encoded_words(h, name, &col);
  }
  if (*name && col + 3 + strlen(addr) > LINE_SOFT)
    g_string_append(h, "\r\n");
  g_string_append_printf(h, *name ? " <%s>\r\n" : " %s\r\n", addr);
}

/* An address we can put into a header as it is. */
static gboolean safe_address(const char *addr)
{
  const char *at;
  if (!addr || !g_utf8_validate(addr, -1, NULL) || strlen(addr) > 254)
    return FALSE;
  for (const char *c = addr; *c; c++)
    if ((guchar)*c <= ' ' || *c == 0x7f || strchr("<>\"\\(),;:[]", *c))
      return FALSE;
  at = strrchr(addr, '@');
  return at && at > addr && at[1];
}

/* " <first> ... <newest>" for References (the original's chain, then its own id),
 * folded with CRLF SP before LINE_SOFT; "" when there is none. A very long chain
 * keeps its first id and the newest ones (REFERENCES_MAX in all). */
static char *references_value(const OknoReceiptInfo *info)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new();
  GString *v = g_string_new(NULL);
  gsize col = strlen("References:");
  guint keep_from;
  for (const char *const *r = info->orig_references; r && *r; r++)
    if (safe_msgid(*r))
      g_ptr_array_add(ids, (gpointer)*r);
  if (safe_msgid(info->orig_message_id))
    g_ptr_array_add(ids, (gpointer)info->orig_message_id);
  keep_from = ids->len > REFERENCES_MAX ? ids->len - (REFERENCES_MAX - 1) : 1;
  for (guint i = 0; i < ids->len; i++) {
    const char *ref = ids->pdata[i];
    if (i > 0 && i < keep_from)
      continue;
    if (col + 3 + strlen(ref) > LINE_SOFT) {
      g_string_append(v, "\r\n");
      col = 0;
    }
    g_string_append_printf(v, " <%s>", ref);
    col += 3 + strlen(ref);
  }
  return g_string_free(v, FALSE);
}

/* The body in quoted-printable with CRLF line ends and lines of at most 76. */
void okno_quoted_printable_append(GString *out, const char *text)
{
  static const char hex[] = "0123456789ABCDEF";
  gsize len = strlen(text), at = out->len, col = 0;
  char *o;
  /* At most 6 bytes per input byte ("=\r\n" then "=XX"): room once, written in place. */
  g_string_set_size(out, at + len * 6);
  o = out->str + at;
  for (const char *p = text; *p; p++) {
    guchar c = (guchar)*p;
    gsize n;
    if (c == '\n') {
      *o++ = '\r';
      *o++ = '\n';
      col = 0;
      continue;
    }
    n = (c >= 33 && c <= 126 && c != '=') ||
                ((c == ' ' || c == '\t') && p[1] != '\n' && p[1] != '\0')
            ? 1
            : 3;
    if (col + n > LINE_SOFT - 1) {
      *o++ = '=';
      *o++ = '\r';
      *o++ = '\n';
      col = 0;
    }
    if (n == 1) {
      *o++ = (char)c;
    } else {
      *o++ = '=';
      *o++ = hex[c >> 4];
      *o++ = hex[c & 15];
    }
    col += n;
  }
  g_string_truncate(out, (gsize)(o - out->str));
}

/* The message around `body`: headers (threaded to `orig_message_id`/`orig_refs` when
 * given) and the quoted-printable text; *id_out gets our new Message-ID. NULL when an
 * address cannot be written into a header. `auto_submitted` is the RFC 3834 value;
 * NULL for a letter a person wrote (an operator's answer): no Auto-Submitted. */
static GBytes *write_message(const OknoConfig *cfg, const char *number, const char *to_email,
                             const char *name, const char *subject, const char *body,
                             const char *orig_message_id, const char *refs,
                             const char *auto_submitted, const char *json_attachment,
                             char **id_out)
{
  g_autofree char *from_name = okno_receipt_clean_line(cfg->outbound_from_name, NAME_MAX_CHARS);
  g_autofree char *date = NULL;
  const char *host = cfg->hostname && *cfg->hostname ? cfg->hostname : NULL;
  GString *m;
  gsize col;

  *id_out = NULL;
  if (!safe_address(to_email) || !safe_address(cfg->outbound_from))
    return NULL;
  if (!host)
    host = strchr(cfg->outbound_from, '@') + 1;
  *id_out = g_strdup_printf("okno.%s.%08x%08x@%s", number, g_random_int(), g_random_int(), host);
  date = okno_time_format_rfc5322(okno_now());
  m = g_string_sized_new(strlen(body) * 3 + 1024);
  g_string_append_printf(m, "Date: %s\r\n", date);
  append_mailbox_header(m, "From", from_name, cfg->outbound_from);
  append_mailbox_header(m, "To", name, to_email);
  g_string_append(m, "Subject:");
  col = strlen("Subject:");
  append_encoded_words(m, subject, &col);
  g_string_append(m, "\r\n");
  g_string_append_printf(m, "Message-ID: <%s>\r\n", *id_out);
  if (safe_msgid(orig_message_id))
    g_string_append_printf(m, "In-Reply-To: <%s>\r\n", orig_message_id);
  if (refs && *refs)
    g_string_append_printf(m, "References:%s\r\n", refs);
  if (auto_submitted)
    g_string_append_printf(m, "Auto-Submitted: %s\r\n"
                              "X-Auto-Response-Suppress: All\r\n",
                           auto_submitted);
  if (json_attachment) {
    /* multipart/mixed: the text, then the proof as a small base64 JSON file */
    g_autofree char *b64 = g_base64_encode((const guchar *)json_attachment,
                                           strlen(json_attachment));
    char boundary[40];
    g_snprintf(boundary, sizeof boundary, "okno-%08x%08x", g_random_int(), g_random_int());
    g_string_append_printf(m, "MIME-Version: 1.0\r\n"
                              "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                              "--%s\r\n"
                              "Content-Type: text/plain; charset=utf-8\r\n"
                              "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                           boundary, boundary);
    okno_quoted_printable_append(m, body);
    g_string_append_printf(m, "\r\n--%s\r\n"
                              "Content-Type: application/json; name=\"okno-receipt.json\"\r\n"
                              "Content-Disposition: attachment; filename=\"okno-receipt.json\"\r\n"
                              "Content-Transfer-Encoding: base64\r\n\r\n",
                           boundary);
    for (gsize i = 0, n = strlen(b64); i < n; i += 76)
      g_string_append_printf(m, "%.*s\r\n", (int)MIN(76, n - i), b64 + i);
    g_string_append_printf(m, "--%s--\r\n", boundary);
    return g_string_free_to_bytes(m);
  }
  g_string_append(m, "MIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n"
                     "Content-Transfer-Encoding: quoted-printable\r\n"
                     "\r\n");
  okno_quoted_printable_append(m, body);
  return g_string_free_to_bytes(m);
}

/* The message around `letter`, a whole letter's text, with the caller's out values. */
static GBytes *letter_message(const OknoConfig *cfg, const char *tag, const char *to_email,
                              const char *name, const char *orig_message_id, const char *refs,
                              const char *subject, const char *letter,
                              const char *json_attachment, char **message_id,
                              char **subject_out, char **text_out)
{
  g_autofree char *id = NULL;
  GBytes *out = write_message(cfg, tag, to_email, name, subject, letter, orig_message_id, refs,
                              "auto-replied", json_attachment, &id);
  if (message_id)
    *message_id = out ? g_steal_pointer(&id) : NULL;
  if (subject_out)
    *subject_out = out ? g_strdup(subject) : NULL;
  if (text_out)
    *text_out = out ? g_strdup(letter) : NULL;
  return out;
}

static GBytes *auto_reply(const OknoConfig *cfg, const char *tag, const char *to_email,
                          const char *to_name, const char *orig_message_id,
                          const char *const *orig_references, const char *subject,
                          const char *text, const char *json_attachment, char **message_id,
                          char **subject_out, char **text_out)
{
  const OknoReceiptInfo thread = {.orig_message_id = orig_message_id,
                                  .orig_references = orig_references};
  g_autofree char *name = greeting_name(to_name);
  g_autofree char *refs = references_value(&thread);
  g_autoptr(GString) body = g_string_new(NULL);
  write_letter(body, cfg, name, text);
  return letter_message(cfg, tag, to_email, name, orig_message_id, refs, subject, body->str,
                        json_attachment, message_id, subject_out, text_out);
}

GBytes *okno_auto_reply_build(const OknoConfig *cfg, const char *tag, const char *to_email,
                              const char *to_name, const char *orig_message_id,
                              const char *const *orig_references, const char *subject,
                              const char *text, char **message_id, char **subject_out,
                              char **text_out)
{
  return auto_reply(cfg, tag, to_email, to_name, orig_message_id, orig_references, subject, text,
                    NULL, message_id, subject_out, text_out);
}

GBytes *okno_receipt_build_text(const OknoConfig *cfg, const OknoReceiptInfo *info,
                                const char *letter, char **message_id, char **subject_out,
                                char **text_out)
{
  g_autofree char *subject = NULL, *name = NULL, *refs = NULL;
  gboolean ask = info->needs_description && !info->quarantined;

  if (message_id)
    *message_id = NULL;
  if (subject_out)
    *subject_out = NULL;
  if (text_out)
    *text_out = NULL;
  g_return_val_if_fail(info->number && *info->number, NULL);
  if (info->joined)
    subject = g_strdup_printf("Ваше сообщение добавлено к обращению № %s", info->number);
  else if (ask)
    subject = g_strdup_printf("Обращение № %s: требуется уточнение", info->number);
  else
    subject = g_strdup_printf("Обращение № %s зарегистрировано", info->number);
  name = greeting_name(info->to_name);
  refs = references_value(info);
  return letter_message(cfg, info->number, info->to_email, name, info->orig_message_id, refs,
                        subject, letter, info->proof_json, message_id, subject_out, text_out);
}

GBytes *okno_receipt_build(const OknoConfig *cfg, const OknoReceiptInfo *info,
                           char **message_id, char **subject_out, char **text_out)
{
  g_autofree char *letter = NULL;
  if (!info->number || !*info->number) /* refused there, before any text is written */
    return okno_receipt_build_text(cfg, info, "", message_id, subject_out, text_out);
  letter = okno_receipt_text(cfg, info);
  return okno_receipt_build_text(cfg, info, letter, message_id, subject_out, text_out);
}

char *okno_receipt_text(const OknoConfig *cfg, const OknoReceiptInfo *info)
{
  g_autoptr(GString) text = g_string_new(NULL);
  g_autoptr(GString) letter = g_string_new(NULL);
  g_autofree char *name = greeting_name(info->to_name);
  write_body(text, cfg, info, info->needs_description && !info->quarantined);
  write_letter(letter, cfg, name, text->str);
  return g_strdup(letter->str);
}

GBytes *okno_notice_build(const OknoConfig *cfg, const char *number, const char *to_email,
                          const char *to_name, const char *subject, const char *text,
                          char **message_id)
{
  g_autofree char *name = greeting_name(to_name);
  g_autofree char *subj = okno_receipt_clean_line(subject, SUBJECT_MAX_CHARS);
  g_autofree char *middle = g_strconcat(text, "\n\nЭто письмо отправлено автоматически.\n\n", NULL);
  g_autoptr(GString) body = g_string_new(NULL);
  write_letter(body, cfg, name, middle);
  return write_message(cfg, number, to_email, name, subj, body->str, NULL, NULL,
                       "auto-generated", NULL, message_id);
}

GBytes *okno_reply_build(const OknoConfig *cfg, const OknoReplyInfo *info, char **message_id,
                         char **subject_out)
{
  OknoReceiptInfo thread = {
    .orig_message_id = info->orig_message_id ? info->orig_message_id : "",
    .orig_references = info->orig_references,
  };
  g_autofree char *name = greeting_name(info->to_name);
  g_autofree char *refs = references_value(&thread);
  g_autofree char *subject = NULL;
  g_autofree char *text = g_utf8_make_valid(info->text, -1);
  GBytes *m;
  *subject_out = NULL;
  g_return_val_if_fail(info->number && *info->number, NULL);
  /* the body is ours to send as text: CR and other controls but newline and tab dropped */
  for (char *c = text; *c; c++)
    if ((guchar)*c < ' ' && *c != '\n' && *c != '\t')
      *c = ' ';
  subject = g_strdup_printf("Ответ на обращение № %s", info->number);
  m = write_message(cfg, info->number, info->to_email, name, subject, text,
                    thread.orig_message_id, refs, NULL, NULL, message_id);
  if (m)
    *subject_out = g_steal_pointer(&subject);
  return m;
}

char *okno_receipt_time(gint64 us)
{
  return russian_time(us);
}
