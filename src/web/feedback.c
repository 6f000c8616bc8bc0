/* feedback.c: the feedback form's checks and the message it becomes (feedback.h). */
#include "web/feedback.h"

#include <gmime/gmime.h>
#include <string.h>

#include "intake/validate.h"
#include "mail/mime.h"
#include "mail/mime_stream.h"
#include "sec/session.h"

static const OknoFeedbackCategory categories[] = {
  {"technical", "Техническая проблема"},
  {"registration", "Регистрация и вход"},
  {"documents", "Документы"},
  {"payments", "Платежи"},
  {"complaint", "Жалоба"},
  {"suggestion", "Предложение"},
  {"other", "Другое"},
};

const OknoFeedbackCategory *okno_feedback_categories(gsize *n)
{
  *n = G_N_ELEMENTS(categories);
  return categories;
}

const char *okno_feedback_category_label(const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS(categories); i++)
    if (g_strcmp0(key, categories[i].key) == 0)
      return categories[i].label;
  return NULL;
}

void okno_feedback_clear(OknoFeedback *fb)
{
  g_clear_pointer(&fb->name, g_free);
  g_clear_pointer(&fb->email, g_free);
  g_clear_pointer(&fb->phone, g_free);
  g_clear_pointer(&fb->category, g_free);
  g_clear_pointer(&fb->description, g_free);
  g_clear_pointer(&fb->raw, g_bytes_unref);
}

static const char *field(const OknoForm *f, const char *name)
{
  const char *v = g_hash_table_lookup(f->fields, name);
  return v ? v : "";
}

static char *trimmed(const char *s)
{
  return g_strstrip(g_strdup(s));
}

static gboolean has_control(const char *s, gboolean allow_newlines)
{
  for (const char *p = s; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (allow_newlines && (c == '\n' || c == '\r' || c == '\t'))
      continue;
    if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029)
      return TRUE;
  }
  return FALSE;
}

/* An addr-spec a mail system will deliver to: dot-atom local part (ASCII), a domain of
 * at least two labels of letters (any script), digits and hyphens. */
gboolean okno_feedback_email_ok(const char *e)
{
  static const char local_chars[] = "!#$%&'*+-/=?^_`{|}~.";
  const char *at = strrchr(e, '@');
  const char *label_start;
  if (!at || at == e || strlen(e) > 254 || at - e > 64 || e[0] == '.' || at[-1] == '.')
    return FALSE;
  for (const char *p = e; p < at; p++)
    if (!g_ascii_isalnum(*p) && !strchr(local_chars, *p))
      return FALSE;
  if (strstr(e, ".."))
    return FALSE;
  label_start = at + 1;
  if (!strchr(label_start, '.'))
    return FALSE;
  for (const char *p = label_start;; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (c == '.' || c == 0) {
      if (p == label_start || label_start[0] == '-' || p[-1] == '-')
        return FALSE;
      if (c == 0)
        return TRUE;
      label_start = p + 1;
    } else if (!g_unichar_isalnum(c) && c != '-') {
      return FALSE;
    }
  }
}

/* "+7 (912) 345-67-89", "8 912 3456789" -> "+79123456789"; NULL when not a phone. */
char *okno_feedback_phone_normal(const char *p)
{
  GString *d = g_string_new(NULL);
  for (const char *s = p; *s; s++) {
    if (g_ascii_isdigit(*s))
      g_string_append_c(d, *s);
    else if (!strchr(" +-().", *s) || (*s == '+' && s != p)) {
      g_string_free(d, TRUE);
      return NULL;
    }
  }
  if (d->len == 11 && d->str[0] == '8')
    d->str[0] = '7';
  else if (d->len == 10 && d->str[0] == '9')
    g_string_prepend_c(d, '7');
  if (d->len < 11 || d->len > 15) {
    g_string_free(d, TRUE);
    return NULL;
  }
  g_string_prepend_c(d, '+');
  return g_string_free(d, FALSE);
}

GBytes *okno_feedback_build(const OknoFeedback *fb, const char *subject_or_null,
                            const OknoForm *form, const OknoConfig *cfg, gint64 now)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc(now / G_USEC_PER_SEC);
  g_autofree char *subject =
      subject_or_null ? g_strdup(subject_or_null)
                      : g_strdup_printf("Обратная связь: %s", okno_feedback_category_label(fb->category));
  g_autofree char *rnd = okno_random_hex(12);
  g_autofree char *msgid = g_strdup_printf("web-%s@%s", rnd, cfg->hostname);
  GMimeMessage *m;
  GMimeTextPart *text;
  GBytes *raw;

  okno_mime_init();
  m = g_mime_message_new(TRUE);
  g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, fb->name, fb->email);
  g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, cfg->smtp_addresses[0]);
  g_mime_message_set_subject(m, subject, "utf-8");
  g_mime_message_set_date(m, date);
  g_mime_message_set_message_id(m, msgid);
  text = g_mime_text_part_new_with_subtype("plain");
  g_mime_text_part_set_text(text, fb->description);
  if (!form || form->files->len == 0) {
    g_mime_message_set_mime_part(m, GMIME_OBJECT(text));
  } else {
    GMimeMultipart *mp = g_mime_multipart_new_with_subtype("mixed");
    g_mime_multipart_add(mp, GMIME_OBJECT(text));
    for (guint i = 0; i < form->files->len; i++) {
      const OknoUpload *u = form->files->pdata[i];
      gsize len = 0;
      const guint8 *data = g_bytes_get_data(u->data, &len);
      GMimePart *part = g_mime_part_new_with_type("application", "octet-stream");
      GMimeStream *ms = g_mime_stream_mem_new_with_buffer((const char *)data, len);
      GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(ms, GMIME_CONTENT_ENCODING_DEFAULT);
      g_mime_part_set_content(part, w);
      g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
      g_mime_part_set_filename(part, *u->filename ? u->filename : "file");
      g_mime_multipart_add(mp, GMIME_OBJECT(part));
      g_object_unref(w);
      g_object_unref(ms);
      g_object_unref(part);
    }
    g_mime_message_set_mime_part(m, GMIME_OBJECT(mp));
    g_object_unref(mp);
  }
  g_object_unref(text);
  raw = okno_mime_write_crlf(GMIME_OBJECT(m));
  g_object_unref(m);
  return raw;
}

/* The intake's attachment policy, on the message as the pipeline will see it. */
static char *attachment_errors(GBytes *raw, const OknoConfig *cfg, guint nfiles)
{
  OknoMimeLimits lim = {
    .max_depth = cfg->max_mime_depth,
    .max_parts = cfg->max_mime_parts,
    .memory_budget = cfg->parse_memory_budget,
    .time_budget_ms = cfg->parse_time_budget_ms,
  };
  gsize len = 0;
  const char *data = g_bytes_get_data(raw, &len);
  g_autoptr(OknoMessage) msg = okno_mime_parse(data, len, &lim);
  GString *errs = g_string_new(NULL);
  if (!msg || msg->budget_exceeded || msg->attachments->len != nfiles) {
    g_string_free(errs, TRUE);
    return g_strdup("Файлы не удалось прочитать. Попробуйте, пожалуйста, приложить их ещё раз.");
  }
  for (guint i = 0; i < msg->attachments->len; i++) {
    g_autofree char *why = okno_attachment_refusal(msg->attachments->pdata[i]);
    if (why)
      g_string_append_printf(errs, "%s%s", errs->len ? " " : "", why);
  }
  return g_string_free(errs, errs->len == 0);
}

gboolean okno_feedback_check(const OknoForm *form, const OknoConfig *cfg, gint64 now,
                             OknoFeedback *out, JsonObject *errors)
{
  g_autofree char *name = trimmed(field(form, "name"));
  g_autofree char *email = trimmed(field(form, "email"));
  g_autofree char *phone = trimmed(field(form, "phone"));
  g_autofree char *description = trimmed(field(form, "description"));
  const char *category = field(form, "category");
  const char *consent = field(form, "consent");
  glong dlen = g_utf8_strlen(description, -1);
  gboolean ok = TRUE;

#define ERR(f, text) (json_object_set_string_member(errors, f, text), ok = FALSE)
  if (!*name)
    ERR("name", "Укажите, пожалуйста, фамилию, имя и отчество.");
  else if (g_utf8_strlen(name, -1) > OKNO_FEEDBACK_MAX_NAME || has_control(name, FALSE))
    ERR("name", "ФИО указано неверно: не больше 200 букв, без служебных символов.");
  if (!*email)
    ERR("email", "Укажите адрес электронной почты: на него придёт ответ.");
  else if (!okno_feedback_email_ok(email))
    ERR("email", "Адрес электронной почты указан неверно. Пример: ivanov@mail.ru.");
  if (*phone && !(out->phone = okno_feedback_phone_normal(phone)))
    ERR("phone", "Номер телефона указан неверно. Пример: +7 912 345-67-89.");
  if (!okno_feedback_category_label(category))
    ERR("category", "Выберите, пожалуйста, тему обращения.");
  if (dlen < OKNO_FEEDBACK_MIN_DESCRIPTION) {
    g_autofree char *t = g_strdup_printf(
        "Опишите, пожалуйста, вопрос подробнее: не меньше %d символов (сейчас %ld).",
        OKNO_FEEDBACK_MIN_DESCRIPTION, dlen);
    ERR("description", t);
  } else if (dlen > OKNO_FEEDBACK_MAX_DESCRIPTION) {
    ERR("description", "Описание слишком длинное: не больше 20 000 символов. Подробности "
                       "можно приложить файлом.");
  } else if (has_control(description, TRUE)) {
    ERR("description", "Описание содержит служебные символы. Уберите их, пожалуйста.");
  }
  if (strcmp(consent, "yes") != 0 && strcmp(consent, "on") != 0 && strcmp(consent, "true") != 0)
    ERR("consent", "Нужно согласие на обработку персональных данных: без него мы не можем "
                   "принять обращение.");
  for (guint i = 0; i < form->files->len; i++)
    if (strcmp(((OknoUpload *)form->files->pdata[i])->field, "attachments") != 0) {
      ERR("attachments", "Файлы прикладываются в поле «Файлы».");
      break;
    }
  if (okno_form_files_size(form) > OKNO_FEEDBACK_MAX_FILES_TOTAL)
    ERR("attachments", "Общий размер файлов больше 10 МБ. Уберите, пожалуйста, часть файлов "
                       "или уменьшите их.");
  if (!ok)
    return FALSE;

  out->name = g_steal_pointer(&name);
  out->email = g_utf8_strdown(email, -1);
  if (!out->phone)
    out->phone = g_strdup("");
  out->category = g_strdup(category);
  /* line ends as the citizen typed them, as LF (the message is written with CRLF) */
  {
    g_auto(GStrv) lines = g_strsplit(description, "\r\n", -1);
    out->description = g_strjoinv("\n", lines);
  }
  out->raw = okno_feedback_build(out, NULL, form, cfg, now);
  if (form->files->len) {
    g_autofree char *why = attachment_errors(out->raw, cfg, form->files->len);
    if (why)
      ERR("attachments", why);
  }
#undef ERR
  return ok;
}
