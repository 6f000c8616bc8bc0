/* rfc2047.c: a raw header value (folded, any bytes) to UTF-8: RFC 2047 encoded-words
 * decoded and raw 8-bit runs converted, leniently, the way real mail needs (contract in
 * rfc2047.h). Used by mime.c for every header it reads; pure, no GMime. */
#include "mail/rfc2047.h"

#include <string.h>

#include "mail/charset.h"

#define CHARSET_LABEL_MAX 64

static void append_q(GByteArray *out, const char *s, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    guint8 c = (guint8)s[i];
    if (c == '\r' || c == '\n') /* a fold inside a spaced word: its blank stays */
      continue;
    if (c == '_' || c == '\t')
      c = ' ';
    else if (c == '=' && i + 2 < n && g_ascii_isxdigit(s[i + 1]) && g_ascii_isxdigit(s[i + 2])) {
      c = (guint8)(g_ascii_xdigit_value(s[i + 1]) * 16 + g_ascii_xdigit_value(s[i + 2]));
      i += 2;
    }
    g_byte_array_append(out, &c, 1);
  }
}

static void append_b(GByteArray *out, const char *s, gsize n)
{
  g_autoptr(GString) clean = g_string_sized_new(n + 4);
  gint state = 0;
  guint save = 0;
  gsize start = out->len;
  for (gsize i = 0; i < n; i++)
    if (g_ascii_isalnum(s[i]) || s[i] == '+' || s[i] == '/')
      g_string_append_c(clean, s[i]);
  while (clean->len % 4 != 0) /* missing padding */
    g_string_append_c(clean, '=');
  g_byte_array_set_size(out, (guint)(start + clean->len / 4 * 3 + 3));
  gsize w = g_base64_decode_step(clean->str, clean->len, out->data + start, &state, &save);
  g_byte_array_set_size(out, (guint)(start + w));
}

/* Lenient reading of an encoded-word's text that white space interrupts at s[i]
 * (mailers that put spaces in Q text, "=?utf-8?Q?Hello W=C3=A4rld?="): when a "?="
 * follows before any "=?" and the end of the header, and the text up to it holds only
 * what its encoding allows, returns the index of that "?=", else 0. */
static gsize spaced_word_end(const char *s, gsize n, gsize i, char enc)
{
  for (; i + 1 < n; i++) {
    guint8 c = (guint8)s[i];
    if (c == '?' && s[i + 1] == '=')
      return i;
    if (c == '=' && s[i + 1] == '?')
      return 0;
    if (g_ascii_isspace(c))
      continue;
    if (c < 0x21 || c > 0x7E || c == '?' ||
        (enc == 'B' && !g_ascii_isalnum(c) && c != '+' && c != '/' && c != '='))
      return 0;
  }
  return 0;
}

/* Recognises an encoded-word at s[0] ("=?charset?B|Q?text?="); fills its parts and
 * returns its length, 0 if s does not start one. The "?=" may be missing: the text
 * then ends at white space or the end. White space inside the text is taken as part
 * of it when a "?=" closes it (spaced_word_end). */
static gsize encoded_word(const char *s, gsize n, char *charset, char *enc,
                          const char **text, gsize *text_len)
{
  gsize i = 2, cs_len, t;
  if (n < 6 || s[0] != '=' || s[1] != '?')
    return 0;
  while (i < n && s[i] != '?' && !g_ascii_isspace(s[i]))
    i++;
  cs_len = i - 2;
  if (i + 2 >= n || s[i] != '?' || cs_len == 0 || cs_len >= CHARSET_LABEL_MAX || s[i + 2] != '?')
    return 0;
  *enc = g_ascii_toupper(s[i + 1]);
  if (*enc != 'B' && *enc != 'Q')
    return 0;
  memcpy(charset, s + 2, cs_len);
  charset[cs_len] = '\0';
  t = i + 3;
  for (i = t; i < n; i++) {
    if (s[i] == '?' && i + 1 < n && s[i + 1] == '=') {
      *text = s + t;
      *text_len = i - t;
      return i + 2;
    }
    if (g_ascii_isspace(s[i])) {
      gsize end = spaced_word_end(s, n, i, *enc);
      if (end) {
        *text = s + t;
        *text_len = end - t;
        return end + 2;
      }
      break;
    }
    /* "=?" starts the next word, unless it is base64 padding before "?=". */
    if (s[i] == '=' && i + 1 < n && s[i + 1] == '?' && !(i + 2 < n && s[i + 2] == '='))
      break;
  }
  *text = s + t;
  *text_len = i - t;
  return i;
}

typedef struct {
  GString *out;       /* UTF-8 result */
  GString *raw;       /* pending literal bytes (may be 8-bit) */
  GByteArray *word;   /* pending decoded bytes of adjacent encoded-words */
  char charset[CHARSET_LABEL_MAX];
  gboolean phrase;    /* address header: quote decoded text holding specials */
  gboolean in_quote;
} HeaderDecoder;

static void flush_raw(HeaderDecoder *d)
{
  g_autofree char *utf8 = NULL;
  if (d->raw->len == 0)
    return;
  utf8 = okno_charset_to_utf8(d->raw->str, d->raw->len, NULL);
  g_string_append(d->out, utf8);
  g_string_truncate(d->raw, 0);
}

static void flush_word(HeaderDecoder *d)
{
  g_autofree char *utf8 = NULL;
  gboolean quote;
  if (d->word->len == 0)
    return;
  utf8 = okno_charset_to_utf8((const char *)d->word->data, d->word->len, d->charset);
  g_byte_array_set_size(d->word, 0);
  quote = d->phrase && !d->in_quote && strpbrk(utf8, "()<>@,;:\\\".[]") != NULL;
  if (!d->phrase || (!d->in_quote && !quote)) {
    g_string_append(d->out, utf8);
    return;
  }
  if (quote)
    g_string_append_c(d->out, '"');
  for (const char *p = utf8; *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c(d->out, '\\');
    g_string_append_c(d->out, *p);
  }
  if (quote)
    g_string_append_c(d->out, '"');
}

char *okno_rfc2047_decode(const char *value, gboolean phrase)
{
  gsize n = value ? strlen(value) : 0;
  g_autoptr(GString) raw = g_string_sized_new(64);
  g_autoptr(GByteArray) word = g_byte_array_new();
  HeaderDecoder d = {.out = g_string_sized_new(n + 1), .raw = raw, .word = word, .phrase = phrase};
  gsize ws_start = 0; /* where white space after the last encoded-word began in raw */
  gboolean after_word = FALSE;

  for (gsize i = 0; i < n;) {
    char charset[CHARSET_LABEL_MAX], enc = 0;
    const char *text = NULL;
    gsize text_len = 0, used = encoded_word(value + i, n - i, charset, &enc, &text, &text_len);
    if (used) {
      gboolean join = after_word && g_ascii_strcasecmp(charset, d.charset) == 0;
      if (after_word)
        g_string_truncate(d.raw, ws_start); /* white space between words goes */
      if (!join)
        flush_word(&d);
      flush_raw(&d);
      g_strlcpy(d.charset, charset, sizeof d.charset);
      if (enc == 'B')
        append_b(d.word, text, text_len);
      else
        append_q(d.word, text, text_len);
      after_word = TRUE;
      ws_start = d.raw->len;
      i += used;
      continue;
    }
    if (value[i] == '\r' || value[i] == '\n') { /* unfold */
      i++;
      continue;
    }
    if (after_word && !g_ascii_isspace(value[i])) {
      g_autofree char *pending = g_strndup(d.raw->str, d.raw->len);
      g_string_truncate(d.raw, 0);
      flush_word(&d);
      g_string_append(d.raw, pending);
      after_word = FALSE;
    }
    if (value[i] == '"' && (i == 0 || value[i - 1] != '\\'))
      d.in_quote = !d.in_quote;
    g_string_append_c(d.raw, value[i]);
    i++;
  }
  flush_word(&d);
  flush_raw(&d);
  return g_string_free(d.out, FALSE);
}
