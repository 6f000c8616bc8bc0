/* mail/mime.c: untrusted message bytes to one OknoMessage (contract in mime.h).
 *
 * How it works: GMime 3 parses the structure in loose-compliance mode; its parser
 * warnings become the record's defects. Headers are not taken decoded from GMime:
 * their raw bytes go through okno_rfc2047_decode() here, an RFC 2047 decoder that joins
 * adjacent encoded-words of one charset before converting (a character split across
 * words survives), accepts a missing "?=", and sends raw 8-bit runs and every
 * decoded run through okno_charset_to_utf8(), so wrong and missing labels are judged
 * by charset.h's rules. Address headers are decoded the same way (encoded display
 * names re-quoted when they hold specials) and then split by GMime's address parser.
 *
 * The body is walked depth first (walk_part): multipart nesting, part count, decoded
 * bytes and wall time are checked at every part against the limits; crossing one sets
 * budget_exceeded and stops the walk. Leaves that are inline text/plain or text/html
 * without a filename are body text (the html ones dropped inside a
 * multipart/alternative that also offers plain text); every other leaf is an
 * attachment, typed by libmagic (one magic_t per thread in a GPrivate). message/rfc822
 * parts are attachments and are also walked, so a forwarded letter's text and files
 * are seen. The final text joins the plain parts, or the html parts through
 * okno_html_to_text() when there is no plain one. */
#include "mail/mime.h"

#include <gmime/gmime.h>
#include <magic.h>
#include <string.h>

#include "mail/charset.h"
#include "mail/html2text.h"
#include "mail/mime_stream.h"
#include "mail/rfc2047.h"

/* GMime 3.2 declares no autoptr cleanups; these make ownership visible here. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMessage, g_object_unref)

#define MAX_DEFECTS 64
#define FILENAME_MAX_BYTES 200
#define SUBJECT_MAX_CHARS 998
#define MAGIC_PEEK_BYTES (1024 * 1024)

typedef struct {
  const OknoMimeLimits *limits;
  OknoMessage *msg;
  GMimeParserOptions *opts;
  gint64 deadline_us;
  gint64 used_bytes;
  gint64 parts;
  gboolean stopped;
  GPtrArray *body;  /* BodyText*, the text parts in message order */
} Walk;

typedef struct {
  gboolean html;
  char *text;       /* UTF-8 */
} BodyText;

static void body_text_free(gpointer p)
{
  BodyText *b = p;
  g_free(b->text);
  g_free(b);
}

void okno_mime_init(void)
{
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    g_mime_init();
    g_once_init_leave(&once, 1);
  }
}

void okno_mime_limits_default(OknoMimeLimits *limits)
{
  limits->max_depth = 20;
  limits->max_parts = 500;
  limits->memory_budget = 256 * 1024 * 1024;
  limits->time_budget_ms = 5000;
}

static void add_defect(OknoMessage *msg, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void add_defect(OknoMessage *msg, const char *fmt, ...)
{
  va_list ap;
  char *text;
  if (msg->defects->len >= MAX_DEFECTS)
    return;
  va_start(ap, fmt);
  text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  for (guint i = 0; i < msg->defects->len; i++)
    if (strcmp(g_ptr_array_index(msg->defects, i), text) == 0) {
      g_free(text);
      return;
    }
  g_ptr_array_add(msg->defects, text);
}

static void parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
  static const struct {
    GMimeParserWarning code;
    const char *text;
  } names[] = {
    {GMIME_WARN_DUPLICATED_HEADER, "duplicated header"},
    {GMIME_WARN_DUPLICATED_PARAMETER, "duplicated parameter"},
    {GMIME_WARN_UNENCODED_8BIT_HEADER, "unencoded 8-bit header"},
    {GMIME_WARN_INVALID_CONTENT_TYPE, "invalid Content-Type"},
    {GMIME_WARN_INVALID_RFC2047_HEADER_VALUE, "invalid RFC 2047 header value"},
    {GMIME_WARN_MALFORMED_MULTIPART, "multipart without parts"},
    {GMIME_WARN_TRUNCATED_MESSAGE, "truncated message"},
    {GMIME_WARN_MALFORMED_MESSAGE, "malformed message"},
    {GMIME_CRIT_INVALID_HEADER_NAME, "invalid header name"},
    {GMIME_CRIT_CONFLICTING_HEADER, "conflicting header"},
    {GMIME_CRIT_CONFLICTING_PARAMETER, "conflicting parameter"},
    {GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY, "multipart without boundary"},
    {GMIME_WARN_INVALID_PARAMETER, "invalid header parameter"},
    {GMIME_WARN_INVALID_ADDRESS_LIST, "invalid address list"},
    {GMIME_CRIT_NESTING_OVERFLOW, "MIME nesting overflow"},
    {GMIME_WARN_PART_WITHOUT_CONTENT, "part without content"},
    {GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT, "part without headers or content"},
  };
  OknoMessage *msg = data;
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    if (names[i].code == code) {
      add_defect(msg, "%s", names[i].text);
      return;
    }
  add_defect(msg, "parser warning %d", (int)code);
}

/* ---- headers ------------------------------------------------------------------ */

/* Collapses white space runs (and control characters) to one space, trimmed. */
static char *fold_space(char *s)
{
  char *w = s;
  gboolean space = FALSE;
  for (char *r = s; *r; r++) {
    if (g_ascii_isspace(*r) || ((guint8)*r < 0x20) || *r == 0x7F) {
      space = w != s;
      continue;
    }
    if (space)
      *w++ = ' ';
    space = FALSE;
    *w++ = *r;
  }
  *w = '\0';
  return s;
}

static const char *raw_header(GMimeObject *obj, const char *name)
{
  GMimeHeader *h = g_mime_header_list_get_header(g_mime_object_get_header_list(obj), name);
  return h ? g_mime_header_get_raw_value(h) : NULL;
}

static char *header_text(GMimeObject *obj, const char *name)
{
  const char *raw = raw_header(obj, name);
  return raw ? fold_space(okno_rfc2047_decode(raw, FALSE)) : g_strdup("");
}

/* "local@Domain" to "local@domain"; NULL or a string without '@' gives "". */
static char *normalise_email(const char *addr)
{
  const char *at = addr ? strrchr(addr, '@') : NULL;
  g_autofree char *domain = NULL;
  if (!at || at == addr || !at[1])
    return g_strdup("");
  domain = g_utf8_strdown(at + 1, -1);
  return g_strdup_printf("%.*s@%s", (int)(at - addr), addr, domain);
}

/* Last resort for broken address headers: the first word holding an '@'. */
static char *scan_email(const char *s)
{
  static const char stops[] = " \t<>\"(),;:[]";
  const char *at = strchr(s, '@');
  const char *b, *e;
  if (!at)
    return g_strdup("");
  for (b = at; b > s && !strchr(stops, b[-1]); b--)
    ;
  for (e = at + 1; *e && !strchr(stops, *e); e++)
    ;
  {
    g_autofree char *word = g_strndup(b, (gsize)(e - b));
    return normalise_email(word);
  }
}

/* First mailbox of an address header: display name and address. */
static void header_mailbox(GMimeObject *obj, const char *name, GMimeParserOptions *opts,
                           char **display, char **email)
{
  const char *raw = raw_header(obj, name);
  g_autofree char *text = raw ? fold_space(okno_rfc2047_decode(raw, TRUE)) : NULL;
  InternetAddressList *list = text ? internet_address_list_parse(opts, text) : NULL;
  InternetAddress *addr = NULL;

  *display = NULL;
  *email = NULL;
  for (int i = 0; list && !addr && i < internet_address_list_length(list); i++) {
    InternetAddress *a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(a)) {
      InternetAddressList *members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a));
      if (members && internet_address_list_length(members) > 0)
        addr = internet_address_list_get_address(members, 0);
    } else {
      addr = a;
    }
  }
  if (addr && INTERNET_ADDRESS_IS_MAILBOX(addr)) {
    const char *nm = internet_address_get_name(addr);
    *email = normalise_email(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(addr)));
    *display = fold_space(g_utf8_make_valid(nm ? nm : "", -1));
  }
  if (!*email || !**email) {
    g_free(*email);
    *email = text ? scan_email(text) : g_strdup("");
  }
  if (!*display)
    *display = g_strdup("");
  if (list)
    g_object_unref(list);
}

static char *strip_angles(const char *id)
{
  g_autofree char *copy = g_strstrip(g_strdup(id ? id : ""));
  gsize n = strlen(copy);
  if (n >= 2 && copy[0] == '<' && copy[n - 1] == '>')
    return g_strndup(copy + 1, n - 2);
  return g_steal_pointer(&copy);
}

static void read_headers(OknoMessage *msg, GMimeMessage *message, GMimeParserOptions *opts)
{
  GMimeObject *obj = GMIME_OBJECT(message);
  GMimeHeaderList *headers = g_mime_object_get_header_list(obj);
  GDateTime *date = g_mime_message_get_date(message);
  const char *raw;
  g_autofree char *reply_name = NULL;
  g_autoptr(GPtrArray) refs = g_ptr_array_new();

  msg->subject = header_text(obj, "Subject");
  if (g_utf8_strlen(msg->subject, -1) > SUBJECT_MAX_CHARS) {
    /* RFC 5322's line limit as a length for the whole decoded subject */
    *g_utf8_offset_to_pointer(msg->subject, SUBJECT_MAX_CHARS) = '\0';
    add_defect(msg, "subject over %d characters cut", SUBJECT_MAX_CHARS);
  }
  {
    g_autofree char *sender_name = NULL, *rp_name = NULL;
    header_mailbox(obj, "Sender", opts, &sender_name, &msg->sender_email);
    header_mailbox(obj, "Return-Path", opts, &rp_name, &msg->return_path_email);
    header_mailbox(obj, "From", opts, &msg->from_name, &msg->from_email);
    msg->from_header = *msg->from_email ? "From" : "";
    if (!*msg->from_email && *msg->sender_email) {
      g_free(msg->from_email);
      msg->from_email = g_strdup(msg->sender_email);
      if (!*msg->from_name) {
        g_free(msg->from_name);
        msg->from_name = g_steal_pointer(&sender_name);
      }
      msg->from_header = "Sender";
    }
  }
  header_mailbox(obj, "Reply-To", opts, &reply_name, &msg->reply_to_email);
  msg->message_id = strip_angles(g_mime_message_get_message_id(message));
  raw = raw_header(obj, "In-Reply-To");
  msg->in_reply_to = raw ? g_mime_utils_decode_message_id(raw) : NULL;
  if (!msg->in_reply_to)
    msg->in_reply_to = g_strdup("");
  raw = raw_header(obj, "References");
  if (raw) {
    GMimeReferences *r = g_mime_references_parse(opts, raw);
    for (int i = 0; r && i < g_mime_references_length(r); i++)
      g_ptr_array_add(refs, g_strdup(g_mime_references_get_message_id(r, i)));
    if (r)
      g_mime_references_free(r);
  }
  g_ptr_array_add(refs, NULL);
  msg->references = (char **)g_ptr_array_steal(refs, NULL);
  msg->date = date ? g_date_time_format(date, "%Y-%m-%dT%H:%M:%S%:z") : g_strdup("");
  msg->auto_submitted = header_text(obj, "Auto-Submitted");
  msg->precedence = header_text(obj, "Precedence");
  msg->list_id = header_text(obj, "List-Id");
  msg->x_autoreply = header_text(obj, "X-Autoreply");
  if (!*msg->x_autoreply) {
    g_free(msg->x_autoreply);
    msg->x_autoreply = header_text(obj, "X-Autorespond");
  }
  if (!*msg->x_autoreply) {
    g_free(msg->x_autoreply);
    msg->x_autoreply = header_text(obj, "X-Auto-Response-Suppress");
  }
  for (int i = 0; i < g_mime_header_list_get_count(headers); i++) {
    const char *name = g_mime_header_get_name(g_mime_header_list_get_header_at(headers, i));
    if (name && g_ascii_strncasecmp(name, "List-", 5) == 0)
      msg->has_list_headers = TRUE;
  }
}

/* ---- attachments ---------------------------------------------------------------- */

static void close_magic(gpointer m)
{
  magic_close(m);
}

static GPrivate thread_magic = G_PRIVATE_INIT(close_magic);

static char *magic_type(const guint8 *data, gsize len)
{
  magic_t m = g_private_get(&thread_magic);
  const char *type;
  if (!m) {
    m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
    if (!m)
      return g_strdup("application/octet-stream");
    if (magic_load(m, NULL) != 0) {
      magic_close(m);
      return g_strdup("application/octet-stream");
    }
    g_private_set(&thread_magic, m);
  }
  type = magic_buffer(m, len ? data : (const guint8 *)"", MIN(len, MAGIC_PEEK_BYTES));
  return g_strdup(type && strchr(type, '/') ? type : "application/octet-stream");
}

static const char *extension_for(const char *type)
{
  static const struct {
    const char *type, *ext;
  } map[] = {
    {"text/plain", ".txt"}, {"text/html", ".html"}, {"text/calendar", ".ics"},
    {"image/png", ".png"}, {"image/jpeg", ".jpg"}, {"image/gif", ".gif"},
    {"application/pdf", ".pdf"}, {"message/rfc822", ".eml"}, {"application/zip", ".zip"},
    {"application/vnd.ms-tnef", ".dat"}, {"application/pkcs7-signature", ".p7s"},
    {"application/pgp-signature", ".asc"}, {"text/csv", ".csv"}, {"application/xml", ".xml"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(map); i++)
    if (g_ascii_strcasecmp(type, map[i].type) == 0)
      return map[i].ext;
  return ".bin";
}

/* A safe file name: last path component, no control or format characters, no
 * leading dots, at most FILENAME_MAX_BYTES; generated when nothing is left. */
static char *sanitize_filename(const char *name, guint index, const char *type)
{
  g_autofree char *valid = g_utf8_make_valid(name ? name : "", -1);
  const char *base = valid;
  GString *out = g_string_new(NULL);
  for (const char *p = valid; *p; p++)
    if (*p == '/' || *p == '\\')
      base = p + 1;
  for (const char *p = base; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    GUnicodeType t = g_unichar_type(c);
    if (t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT || t == G_UNICODE_LINE_SEPARATOR ||
        t == G_UNICODE_PARAGRAPH_SEPARATOR)
      continue;
    if ((out->len == 0 && (c == '.' || g_unichar_isspace(c))))
      continue;
    if (out->len + 6 > FILENAME_MAX_BYTES)
      break;
    g_string_append_unichar(out, g_unichar_isspace(c) ? ' ' : c);
  }
  while (out->len > 0 && (out->str[out->len - 1] == ' ' || out->str[out->len - 1] == '.'))
    g_string_truncate(out, out->len - 1);
  if (out->len == 0) {
    if (g_ascii_strcasecmp(type, "message/rfc822") == 0)
      g_string_assign(out, "message.eml");
    else
      g_string_printf(out, "attachment-%u%s", index, extension_for(type));
  }
  return g_string_free(out, FALSE);
}

static void attachment_free(gpointer p)
{
  OknoAttachment *a = p;
  g_free(a->filename);
  g_free(a->declared_type);
  g_free(a->content_type);
  g_bytes_unref(a->data);
  g_free(a);
}

/* Counts decoded bytes against the memory budget; FALSE (and the walk stops) when
 * they do not fit. */
static gboolean charge_bytes(Walk *w, gsize n)
{
  if (w->used_bytes + (gint64)n > w->limits->memory_budget) {
    add_defect(w->msg, "decoded content over the memory budget of %" G_GINT64_FORMAT " bytes",
               w->limits->memory_budget);
    w->msg->budget_exceeded = TRUE;
    w->stopped = TRUE;
    return FALSE;
  }
  w->used_bytes += (gint64)n;
  return TRUE;
}

static void add_attachment(Walk *w, GMimeObject *obj, GBytes *bytes, const char *name,
                           const char *declared)
{
  gsize len;
  const guint8 *data = g_bytes_get_data(bytes, &len);
  OknoAttachment *a = g_new0(OknoAttachment, 1);
  GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_autofree char *lname = name ? g_ascii_strdown(name, -1) : NULL;

  a->size = len;
  a->declared_type = g_strdup(declared);
  a->content_type = magic_type(data, len);
  if ((g_strcmp0(lname, "winmail.dat") == 0 || strstr(declared, "ms-tnef")) &&
      (strcmp(a->content_type, "application/octet-stream") == 0 ||
       strcmp(a->content_type, "application/x-empty") == 0))
    g_free(a->content_type), a->content_type = g_strdup("application/vnd.ms-tnef");
  a->filename = sanitize_filename(name, w->msg->attachments->len + 1,
                                  *declared ? declared : a->content_type);
  if (name && strlen(name) > FILENAME_MAX_BYTES)
    add_defect(w->msg, "file name over %d bytes cut", FILENAME_MAX_BYTES);
  g_checksum_update(sum, data, len);
  g_strlcpy(a->sha256, g_checksum_get_string(sum), sizeof a->sha256);
  a->inline_part = disp && !g_mime_content_disposition_is_attachment(disp);
  a->data = g_bytes_ref(bytes); /* shared, not copied */
  g_ptr_array_add(w->msg->attachments, a);
}

/* ---- the walk ------------------------------------------------------------------- */

/* The bytes of a leaf with its transfer encoding undone, or of any other object
 * (an embedded message) as GMime writes it. */
static GBytes *object_bytes(GMimeObject *obj)
{
  GByteArray *arr = NULL;
  GMimeStream *mem;
  GMimeDataWrapper *content = GMIME_IS_PART(obj) ? g_mime_part_get_content(GMIME_PART(obj)) : NULL;
  if (content) {
    /* Sized once: decoding never makes the content longer (base64: 3/4 of it), and a
     * doubling array would hold up to twice the bytes of a large attachment. */
    gint64 enc = g_mime_stream_length(g_mime_data_wrapper_get_stream(content));
    gboolean b64 = g_mime_data_wrapper_get_encoding(content) == GMIME_CONTENT_ENCODING_BASE64;
    if (enc > 0 && enc < G_MAXUINT) { /* _sized_new would round up to a power of two */
      guint cap = (guint)(b64 ? enc / 4 * 3 + 3 : enc);
      arr = g_byte_array_new_take(g_malloc(cap), cap);
      g_byte_array_set_size(arr, 0);
    }
  }
  if (!arr)
    arr = g_byte_array_new();
  mem = g_mime_stream_mem_new_with_byte_array(arr);
  g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
  if (GMIME_IS_PART(obj)) {
    if (content)
      g_mime_data_wrapper_write_to_stream(content, mem);
  } else {
    g_mime_object_write_to_stream(obj, NULL, mem);
  }
  g_object_unref(mem);
  return g_byte_array_free_to_bytes(arr); /* the one reference: no copy */
}

/* An inline text/plain or text/html leaf without a file name: body text. */
static gboolean is_body_text(GMimeObject *obj, gboolean *html)
{
  GMimeContentType *ct = g_mime_object_get_content_type(obj);
  GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
  if (!GMIME_IS_PART(obj) || g_mime_part_get_filename(GMIME_PART(obj)))
    return FALSE;
  if (disp && g_mime_content_disposition_is_attachment(disp))
    return FALSE;
  *html = g_mime_content_type_is_type(ct, "text", "html");
  return *html || g_mime_content_type_is_type(ct, "text", "plain");
}

/* TRUE when body[from..] has a plain text part with more than white space. */
static gboolean has_plain(GPtrArray *body, guint from)
{
  for (guint i = from; i < body->len; i++) {
    const BodyText *b = g_ptr_array_index(body, i);
    for (const char *c = b->text; !b->html && *c; c++)
      if (!g_ascii_isspace(*c))
        return TRUE;
  }
  return FALSE;
}

static char *lower_type(GMimeObject *obj)
{
  g_autofree char *t = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(obj));
  return g_ascii_strdown(t ? t : "application/octet-stream", -1);
}

/* The type as the sender wrote it ("image/" stays "image/", where GMime would say
 * application/octet-stream): lowercased, before any ';', at most 127 bytes; "" if
 * the part has no Content-Type header. */
static char *declared_type(GMimeObject *obj)
{
  const char *raw = raw_header(obj, "Content-Type");
  g_autofree char *text = raw ? fold_space(okno_rfc2047_decode(raw, FALSE)) : g_strdup("");
  char *semi = strchr(text, ';');
  if (semi)
    *semi = '\0';
  g_strstrip(text);
  if (strlen(text) > 127) {
    gsize cut = 127;
    while (cut > 0 && ((guint8)text[cut] & 0xC0) == 0x80)
      cut--;
    text[cut] = '\0';
  }
  return g_utf8_strdown(text, -1);
}

static void walk_message(Walk *w, GMimeMessage *message, gint64 depth);

static void walk_part(Walk *w, GMimeObject *obj, gint64 depth)
{
  g_autofree char *type = lower_type(obj);
  g_autofree char *declared = declared_type(obj);
  gboolean html = FALSE;

  if (w->stopped)
    return;
  if (++w->parts > w->limits->max_parts) {
    add_defect(w->msg, "more than %" G_GINT64_FORMAT " MIME parts", w->limits->max_parts);
    w->msg->budget_exceeded = w->stopped = TRUE;
    return;
  }
  if (g_get_monotonic_time() > w->deadline_us) {
    add_defect(w->msg, "parsing took longer than %" G_GINT64_FORMAT " ms", w->limits->time_budget_ms);
    w->msg->budget_exceeded = w->stopped = TRUE;
    return;
  }
  if (GMIME_IS_MULTIPART(obj)) {
    GMimeMultipart *mp = GMIME_MULTIPART(obj);
    gboolean alternative = g_mime_content_type_is_type(g_mime_object_get_content_type(obj),
                                                       "multipart", "alternative");
    guint before = w->body->len;
    if (depth >= w->limits->max_depth) {
      add_defect(w->msg, "MIME nesting deeper than %" G_GINT64_FORMAT " levels", w->limits->max_depth);
      w->msg->budget_exceeded = w->stopped = TRUE;
      return;
    }
    for (int i = 0; i < g_mime_multipart_get_count(mp) && !w->stopped; i++)
      walk_part(w, g_mime_multipart_get_part(mp, i), depth + 1);
    /* An alternative with non-blank plain text drops its html renderings. */
    for (guint i = w->body->len; alternative && i > before && has_plain(w->body, before); i--)
      if (((BodyText *)g_ptr_array_index(w->body, i - 1))->html)
        g_ptr_array_remove_index(w->body, i - 1);
    return;
  }
  if (GMIME_IS_MESSAGE_PART(obj)) {
    GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    const char *name = g_mime_object_get_content_disposition_parameter(obj, "filename");
    if (!name)
      name = g_mime_object_get_content_type_parameter(obj, "name");
    if (inner) {
      g_autoptr(GBytes) bytes = object_bytes(GMIME_OBJECT(inner));
      if (!charge_bytes(w, g_bytes_get_size(bytes)))
        return;
      add_attachment(w, obj, bytes, name, declared);
      walk_message(w, inner, depth + 1);
    }
    return;
  }
  if (!GMIME_IS_PART(obj))
    return;
  {
    g_autoptr(GBytes) bytes = object_bytes(obj);
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);
    const char *label = g_mime_object_get_content_type_parameter(obj, "charset");
    if (!charge_bytes(w, len))
      return;
    if (is_body_text(obj, &html)) {
      BodyText *b = g_new0(BodyText, 1);
      b->html = html;
      b->text = okno_charset_to_utf8(data, len, label);
      g_ptr_array_add(w->body, b);
      return;
    }
    add_attachment(w, obj, bytes, g_mime_part_get_filename(GMIME_PART(obj)), declared);
    if (strcmp(type, "message/rfc822") == 0 && len > 0) {
      /* An encoded (e.g. base64) message/rfc822 is a leaf for GMime: parse it too. */
      g_autoptr(GMimeStream) stream = okno_mime_stream_borrowed(data, (gint64)len, 0, -1);
      g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
      g_autoptr(GMimeMessage) inner = g_mime_parser_construct_message(parser, w->opts);
      if (inner)
        walk_message(w, inner, depth + 1);
    }
  }
}

static void walk_message(Walk *w, GMimeMessage *message, gint64 depth)
{
  GMimeObject *body = g_mime_message_get_mime_part(message);
  if (depth > w->limits->max_depth) {
    add_defect(w->msg, "MIME nesting deeper than %" G_GINT64_FORMAT " levels", w->limits->max_depth);
    w->msg->budget_exceeded = w->stopped = TRUE;
    return;
  }
  if (body)
    walk_part(w, body, depth);
}

/* Joins the body texts with a line break between them (html ones through
 * html2text): LF line ends, no trailing white space, no control characters but LF
 * and TAB. *from_html says that no plain part had anything to say. */
static char *join_texts(GPtrArray *body, gboolean *from_html)
{
  GString *out = g_string_new(NULL);
  *from_html = !has_plain(body, 0) && body->len > 0;
  for (guint i = 0; i < body->len; i++) {
    const BodyText *b = g_ptr_array_index(body, i);
    g_autofree char *converted = b->html ? okno_html_to_text(b->text, strlen(b->text)) : NULL;
    const char *t = converted ? converted : b->text;
    if (out->len > 0 && out->str[out->len - 1] != '\n')
      g_string_append_c(out, '\n');
    for (const char *p = t; *p; p++) {
      if (*p == '\r') {
        if (p[1] != '\n')
          g_string_append_c(out, '\n');
      } else if ((guint8)*p >= 0x20 || *p == '\n' || *p == '\t') {
        g_string_append_c(out, *p);
      }
    }
  }
  while (out->len > 0 && g_ascii_isspace(out->str[out->len - 1]))
    g_string_truncate(out, out->len - 1);
  return g_string_free(out, FALSE);
}

static OknoMessage *message_new(void)
{
  OknoMessage *msg = g_new0(OknoMessage, 1);
  msg->attachments = g_ptr_array_new_with_free_func(attachment_free);
  msg->defects = g_ptr_array_new_with_free_func(g_free);
  return msg;
}

/* Fields no header filled become "" (the contract never has NULL strings). */
static void fill_empty(OknoMessage *msg)
{
  if (!msg->from_header)
    msg->from_header = "";
  char **fields[] = {&msg->subject, &msg->from_name, &msg->from_email, &msg->reply_to_email,
                     &msg->sender_email, &msg->return_path_email,
                     &msg->message_id, &msg->in_reply_to, &msg->date, &msg->text,
                     &msg->auto_submitted, &msg->precedence, &msg->list_id,
                     &msg->x_autoreply, &msg->content_type};
  for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
    if (!*fields[i])
      *fields[i] = g_strdup("");
  if (!msg->references)
    msg->references = g_new0(char *, 1);
}

/* TRUE when the line at s is a header field: a name of printable ASCII, then ':'. */
static gboolean is_header_line(const char *s, gsize n)
{
  gsize i = 0;
  while (i < n && s[i] > 0x20 && s[i] < 0x7F && s[i] != ':')
    i++;
  return i > 0 && i < n && s[i] == ':';
}

/* The bytes of one stray line before the header to skip: a blank line or a line that
 * is no header field ("Сообщение ниже:", a terminal's prompt pasted into a file), when
 * a header field follows it. An mbox "From " line is not stray: GMime reads it. Returns
 * 0 when the message starts as it should. */
static gsize stray_first_line(const char *raw, gsize len)
{
  const char *nl = memchr(raw, '\n', len);
  gsize first = nl ? (gsize)(nl - raw) + 1 : len;
  if (!nl || first >= len || is_header_line(raw, first) ||
      (len >= 5 && memcmp(raw, "From ", 5) == 0))
    return 0;
  return is_header_line(raw + first, len - first) ? first : 0;
}

OknoMessage *okno_mime_parse(const char *raw, gsize len, const OknoMimeLimits *limits)
{
  OknoMimeLimits defaults;
  OknoMessage *msg;
  GMimeParserOptions *opts;
  const char *fallback[] = {"utf-8", "windows-1251", NULL};
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  g_autoptr(GMimeMessage) message = NULL;
  g_autoptr(GPtrArray) body = g_ptr_array_new_with_free_func(body_text_free);
  Walk w = {0};
  gsize skip;

  if (!raw || len == 0)
    return NULL;
  okno_mime_init();
  if (!limits) {
    okno_mime_limits_default(&defaults);
    limits = &defaults;
  }
  msg = message_new();
  opts = g_mime_parser_options_new();
  g_mime_parser_options_set_address_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_fallback_charsets(opts, fallback);
  g_mime_parser_options_set_warning_callback(opts, parser_warning, msg);

  if ((skip = stray_first_line(raw, len)) > 0)
    add_defect(msg, "a stray first line before the header was skipped");
  stream = okno_mime_stream_borrowed(raw, (gint64)len, (gint64)skip, -1);
  parser = g_mime_parser_new_with_stream(stream);
  g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
  message = g_mime_parser_construct_message(parser, opts);
  if (!message) {
    add_defect(msg, "not a MIME message; the bytes are kept as text");
    msg->text = okno_charset_to_utf8(raw, len, NULL);
    g_mime_parser_options_free(opts);
    fill_empty(msg);
    return msg;
  }
  read_headers(msg, message, opts);
  {
    GMimeObject *top = g_mime_message_get_mime_part(message);
    msg->content_type = top ? lower_type(top) : g_strdup("text/plain");
  }
  w = (Walk){.limits = limits, .msg = msg, .opts = opts, .body = body,
             .deadline_us = g_get_monotonic_time() + limits->time_budget_ms * 1000};
  walk_message(&w, message, 0);
  msg->text = join_texts(body, &msg->text_from_html);
  g_mime_parser_options_free(opts);
  fill_empty(msg);
  return msg;
}

void okno_message_free(OknoMessage *msg)
{
  if (!msg)
    return;
  g_free(msg->subject);
  g_free(msg->from_name);
  g_free(msg->from_email);
  g_free(msg->reply_to_email);
  g_free(msg->sender_email);
  g_free(msg->return_path_email);
  g_free(msg->message_id);
  g_free(msg->in_reply_to);
  g_strfreev(msg->references);
  g_free(msg->date);
  g_free(msg->text);
  g_ptr_array_unref(msg->attachments);
  g_free(msg->auto_submitted);
  g_free(msg->precedence);
  g_free(msg->list_id);
  g_free(msg->x_autoreply);
  g_free(msg->content_type);
  g_ptr_array_unref(msg->defects);
  g_free(msg);
}
