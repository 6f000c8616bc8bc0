/* form.c: form bodies parsed by libsoup, then checked and capped (see form.h). */
#include "web/form.h"

#include <libsoup/soup.h>
#include <string.h>

#include "core/error.h"

static void upload_free(gpointer p)
{
  OknoUpload *u = p;
  g_free(u->field);
  g_free(u->filename);
  g_free(u->content_type);
  g_bytes_unref(u->data);
  g_free(u);
}

OknoForm *okno_form_new(void)
{
  OknoForm *f = g_new0(OknoForm, 1);
  f->fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  f->files = g_ptr_array_new_with_free_func(upload_free);
  return f;
}

void okno_form_free(OknoForm *f)
{
  if (!f)
    return;
  g_hash_table_destroy(f->fields);
  g_ptr_array_unref(f->files);
  g_free(f);
}

gsize okno_form_files_size(const OknoForm *f)
{
  gsize total = 0;
  for (guint i = 0; i < f->files->len; i++)
    total += g_bytes_get_size(((OknoUpload *)f->files->pdata[i])->data);
  return total;
}

static gboolean bad(GError **error, const char *text)
{
  g_set_error_literal(error, OKNO_ERROR, OKNO_ERROR_USER, text);
  return FALSE;
}

static gboolean text_ok(const char *s, gsize len)
{
  return g_utf8_validate_len(s, len, NULL) && memchr(s, '\0', len) == NULL;
}

static gboolean add_field(OknoForm *f, const char *name, const char *value, gsize len,
                          GError **error)
{
  if (!*name || strlen(name) > OKNO_FORM_MAX_NAME || !text_ok(name, strlen(name)))
    return bad(error, "Форма отправлена с неверным именем поля. Обновите, пожалуйста, "
                      "страницу и отправьте форму ещё раз.");
  if (len > OKNO_FORM_MAX_VALUE)
    return bad(error, "Одно из полей формы слишком длинное.");
  if (!text_ok(value, len))
    return bad(error, "Форма содержит текст не в кодировке UTF-8. Обновите, пожалуйста, "
                      "страницу и отправьте форму ещё раз.");
  if (g_hash_table_size(f->fields) >= OKNO_FORM_MAX_FIELDS &&
      !g_hash_table_contains(f->fields, name))
    return bad(error, "В форме слишком много полей.");
  g_hash_table_replace(f->fields, g_strdup(name), g_strndup(value, len));
  return TRUE;
}

/* The last path component of a client's file name, control characters dropped. */
static char *clean_filename(const char *name)
{
  const char *base = name;
  GString *s = g_string_new(NULL);
  g_autofree char *valid = NULL;
  for (const char *p = name; *p; p++)
    if (*p == '/' || *p == '\\')
      base = p + 1;
  valid = g_utf8_make_valid(base, -1);
  for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (!g_unichar_iscntrl(c))
      g_string_append_unichar(s, c);
  }
  if (s->len > 255)
    g_string_truncate(s, 255); /* may cut a character: make it valid again */
  {
    char *out = g_utf8_make_valid(s->str, s->len);
    g_string_free(s, TRUE);
    return out;
  }
}

static gboolean parse_urlencoded(OknoForm *f, GBytes *body, GError **error)
{
  gsize len = 0;
  const char *data = g_bytes_get_data(body, &len);
  g_autofree char *text = g_strndup(data ? data : "", len);
  g_autoptr(GHashTable) h = NULL;
  GHashTableIter it;
  gpointer k, v;
  /* soup_form_decode gives C strings: a NUL, raw or as %00, would cut a value short */
  if (memchr(data ? data : "", '\0', len) || g_strrstr(text, "%00"))
    return bad(error, "Форма содержит недопустимые символы.");
  h = soup_form_decode(text);
  if (!h)
    return bad(error, "Форма повреждена. Обновите, пожалуйста, страницу и отправьте её ещё раз.");
  if (g_hash_table_size(h) > OKNO_FORM_MAX_FIELDS)
    return bad(error, "В форме слишком много полей.");
  g_hash_table_iter_init(&it, h);
  while (g_hash_table_iter_next(&it, &k, &v))
    if (!add_field(f, k, v, strlen(v), error))
      return FALSE;
  return TRUE;
}

static gboolean parse_multipart(OknoForm *f, const char *content_type, GBytes *body,
                                GError **error)
{
  SoupMessageHeaders *h = soup_message_headers_new(SOUP_MESSAGE_HEADERS_MULTIPART);
  SoupMultipart *mp;
  gboolean ok = TRUE;
  gsize body_len = 0;
  const char *body_data = g_bytes_get_data(body, &body_len);
  /* libsoup 3.2 runs strstr() over part headers: it needs a NUL after the last byte
   * (found by fuzz_form; a flattened request body has one, other GBytes need not) */
  char *copy = g_malloc(body_len + 1);
  g_autoptr(GBytes) terminated = NULL;
  if (body_len)
    memcpy(copy, body_data, body_len);
  copy[body_len] = '\0';
  terminated = g_bytes_new_take(copy, body_len);
  soup_message_headers_replace(h, "Content-Type", content_type);
  mp = soup_multipart_new_from_message(h, terminated);
  soup_message_headers_unref(h);
  if (!mp)
    return bad(error, "Форма повреждена (неверный формат multipart). Обновите, пожалуйста, "
                      "страницу и отправьте её ещё раз.");
  if (soup_multipart_get_length(mp) > OKNO_FORM_MAX_FIELDS + OKNO_FORM_MAX_FILES)
    ok = bad(error, "В форме слишком много полей.");
  for (int i = 0; ok && i < soup_multipart_get_length(mp); i++) {
    SoupMessageHeaders *ph = NULL;
    GBytes *pb = NULL;
    char *disposition = NULL;
    GHashTable *params = NULL;
    const char *name, *filename;
    if (!soup_multipart_get_part(mp, i, &ph, &pb) ||
        !soup_message_headers_get_content_disposition(ph, &disposition, &params)) {
      ok = bad(error, "Форма повреждена: у части формы нет заголовка Content-Disposition.");
      break;
    }
    name = g_hash_table_lookup(params, "name");
    filename = g_hash_table_lookup(params, "filename");
    if (g_ascii_strcasecmp(disposition, "form-data") != 0 || !name || !*name) {
      ok = bad(error, "Форма повреждена: у части формы нет имени поля.");
    } else if (filename) {
      gsize size = g_bytes_get_size(pb);
      if (!*filename && size == 0) {
        /* an empty file input */
      } else if (f->files->len >= OKNO_FORM_MAX_FILES) {
        ok = bad(error, "Можно приложить не больше 10 файлов.");
      } else if (strlen(name) > OKNO_FORM_MAX_NAME || !text_ok(name, strlen(name))) {
        ok = bad(error, "Форма отправлена с неверным именем поля.");
      } else {
        OknoUpload *u = g_new0(OknoUpload, 1);
        const char *ct = soup_message_headers_get_content_type(ph, NULL);
        u->field = g_strdup(name);
        u->filename = clean_filename(filename);
        u->content_type = g_utf8_make_valid(ct ? ct : "", -1);
        u->data = g_bytes_ref(pb);
        g_ptr_array_add(f->files, u);
      }
    } else {
      gsize len = 0;
      const char *data = g_bytes_get_data(pb, &len);
      ok = add_field(f, name, data ? data : "", len, error);
    }
    g_free(disposition);
    g_hash_table_destroy(params);
  }
  soup_multipart_free(mp);
  return ok;
}

OknoForm *okno_form_parse(const char *content_type, GBytes *body, GError **error)
{
  g_autoptr(OknoForm) f = okno_form_new();
  g_autofree char *mime = NULL;
  const char *semi;
  if (!content_type)
    content_type = "";
  semi = strchr(content_type, ';');
  mime = g_ascii_strdown(content_type, semi ? semi - content_type : -1);
  g_strstrip(mime);
  if (strcmp(mime, "application/x-www-form-urlencoded") == 0) {
    if (!parse_urlencoded(f, body, error))
      return NULL;
  } else if (strcmp(mime, "multipart/form-data") == 0) {
    if (!parse_multipart(f, content_type, body, error))
      return NULL;
  } else {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_PERM,
                "Неподдерживаемый тип данных: отправьте форму как "
                "application/x-www-form-urlencoded или multipart/form-data.");
    return NULL;
  }
  return g_steal_pointer(&f);
}
