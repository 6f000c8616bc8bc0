/* mail/html2text.c: HTML to plain text for HTML-only mail (rules in html2text.h).
 *
 * How it works: one pass over the (UTF-8) input with a tiny tokenizer. Outside a tag
 * the text is copied with whitespace runs collapsed and character references decoded.
 * At '<' followed by a letter, '/', '!' or '?' a tag is read to its '>' (quotes
 * respected; when a quote never closes, the first '>' ends the tag); a tag that never
 * ends is dropped with the rest of the input, a '<' followed by anything else is text.
 * Raw-text elements (script, style, head, template, noscript, title) are skipped to
 * their closing tag; block elements emit line breaks; an <a href> remembers where its
 * text starts in the output so that "text (href)" can be written at </a>. A final
 * pass trims trailing spaces and collapses blank-line runs. */
#include "mail/html2text.h"

#include <string.h>

#define HREF_MAX 2048
/* Stands for a '<' that was text until the final pass (never otherwise in the
 * output: put_text drops control characters). */
#define STRAY_LT '\x01'


typedef struct {
  GString *out;
  gboolean pre;
  char *href;         /* open <a>'s href, NULL if none */
  gsize link_start;   /* out->len when the link text began */
} Html2Text;

static const struct {
  const char *name;
  const char *utf8;
} entities[] = {
  {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"},
  {"nbsp", " "}, {"laquo", "«"}, {"raquo", "»"}, {"mdash", "—"}, {"ndash", "–"},
  {"hellip", "…"}, {"copy", "©"}, {"reg", "®"}, {"trade", "™"}, {"euro", "€"},
  {"lsquo", "‘"}, {"rsquo", "’"}, {"ldquo", "“"}, {"rdquo", "”"}, {"bdquo", "„"},
  {"bull", "•"}, {"middot", "·"}, {"deg", "°"}, {"times", "×"}, {"shy", ""},
  {"sect", "§"}, {"numero", "№"}, {"zwnj", ""}, {"zwj", ""}, {"thinsp", " "},
  {"ensp", " "}, {"emsp", " "}, {"iexcl", "¡"}, {"pound", "£"}, {"yen", "¥"},
};

static const char *const skipped_elements[] = {
  "script", "style", "head", "template", "noscript", "title",
};

static const char *const block_elements[] = {
  "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
  "ul", "ol", "table", "hr", "pre", "section", "article", "header", "footer", "dl",
  "dt", "dd", "address", "center", "form", "fieldset", "body", "html",
};

static gboolean in_list(const char *name, const char *const *list, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (g_ascii_strcasecmp(name, list[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean at_line_start(const GString *out)
{
  return out->len == 0 || out->str[out->len - 1] == '\n';
}

static void put_newline(Html2Text *h)
{
  while (h->out->len > 0 && h->out->str[h->out->len - 1] == ' ')
    g_string_truncate(h->out, h->out->len - 1);
  g_string_append_c(h->out, '\n');
}

/* Appends text with whitespace collapsed (kept as is inside <pre>). */
static void put_text(Html2Text *h, const char *s, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    char c = s[i];
    if ((guint8)c < 0x20 && !g_ascii_isspace(c))
      continue; /* control characters never reach the text */
    if (h->pre) {
      if (c != '\r')
        g_string_append_c(h->out, c);
    } else if (g_ascii_isspace(c)) {
      if (!at_line_start(h->out) && h->out->str[h->out->len - 1] != ' ')
        g_string_append_c(h->out, ' ');
    } else {
      g_string_append_c(h->out, c);
    }
  }
}

/* Decodes the character reference at s[0] == '&'; returns bytes consumed (0: not a
 * reference, the '&' is text) and appends the character. */
static gsize put_entity(Html2Text *h, const char *s, gsize n)
{
  gsize i = 1;
  if (i < n && s[i] == '#') {
    gboolean hex = i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X');
    guint64 cp = 0;
    gsize digits = 0;
    i += hex ? 2 : 1;
    for (; i < n && (hex ? g_ascii_isxdigit(s[i]) : g_ascii_isdigit(s[i])); i++, digits++)
      if (cp <= 0x10FFFF)
        cp = cp * (hex ? 16 : 10) + (guint64)(hex ? g_ascii_xdigit_value(s[i]) : g_ascii_digit_value(s[i]));
    if (digits == 0)
      return 0;
    if (i < n && s[i] == ';')
      i++;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      cp = 0xFFFD;
    if (cp == 0xA0)
      cp = ' ';
    if (cp < 0x20 && cp != '\n' && cp != '\t')
      cp = ' ';
    if (cp == '\n' || cp == '\t' || cp == ' ')
      put_text(h, " ", 1);
    else
      g_string_append_unichar(h->out, (gunichar)cp);
    return i;
  }
  while (i < n && i < 12 && g_ascii_isalnum(s[i]))
    i++;
  for (gsize e = 0; e < G_N_ELEMENTS(entities); e++) {
    gsize len = strlen(entities[e].name);
    if (len == i - 1 && strncmp(s + 1, entities[e].name, len) == 0) {
      put_text(h, entities[e].utf8, strlen(entities[e].utf8));
      return (i < n && s[i] == ';') ? i + 1 : i;
    }
  }
  return 0;
}

/* Finds attribute `attr` in a tag's attribute text; returns its value (quotes
 * removed, references not decoded) or NULL. */
static char *tag_attribute(const char *a, gsize n, const char *attr)
{
  gsize alen = strlen(attr), i = 0;
  while (i < n) {
    gsize name_start, name_len, vstart, vlen = 0;
    while (i < n && (g_ascii_isspace(a[i]) || a[i] == '/'))
      i++;
    name_start = i;
    while (i < n && !g_ascii_isspace(a[i]) && a[i] != '=' && a[i] != '/')
      i++;
    name_len = i - name_start;
    while (i < n && g_ascii_isspace(a[i]))
      i++;
    if (i < n && a[i] == '=') {
      i++;
      while (i < n && g_ascii_isspace(a[i]))
        i++;
      if (i < n && (a[i] == '"' || a[i] == '\'')) {
        char q = a[i++];
        vstart = i;
        while (i < n && a[i] != q)
          i++;
        vlen = i - vstart;
        if (i < n)
          i++;
      } else {
        vstart = i;
        while (i < n && !g_ascii_isspace(a[i]))
          i++;
        vlen = i - vstart;
      }
      if (name_len == alen && g_ascii_strncasecmp(a + name_start, attr, alen) == 0)
        return g_strndup(a + vstart, vlen);
    } else if (name_len == 0) {
      i++;
    }
  }
  return NULL;
}

/* Finds the '>' ending a tag that starts at s[0] == '<': quotes respected, unless a
 * quote never closes, then the first '>'. Returns its index or n if there is none. */
static gsize tag_end(const char *s, gsize n)
{
  char quote = 0;
  gsize i;
  for (i = 1; i < n; i++) {
    if (quote) {
      if (s[i] == quote)
        quote = 0;
    } else if (s[i] == '"' || s[i] == '\'') {
      if (i > 0 && s[i - 1] == '=')
        quote = s[i];
    } else if (s[i] == '>') {
      return i;
    }
  }
  if (quote) {
    const char *gt = memchr(s, '>', n);
    return gt ? (gsize)(gt - s) : n;
  }
  return n;
}

/* Closes the open link: "text (href)" when the text says something else. */
static void close_link(Html2Text *h)
{
  g_autofree char *text = NULL;
  if (!h->href)
    return;
  text = g_strstrip(g_strdup(h->out->str + h->link_start));
  if (*h->href && strcmp(text, h->href) != 0 && !g_str_has_prefix(h->href, "#") &&
      g_ascii_strncasecmp(h->href, "javascript:", 11) != 0 && !strchr(h->href, '<')) {
    const char *shown = h->href;
    if (g_ascii_strncasecmp(shown, "mailto:", 7) == 0 && strcmp(text, shown + 7) == 0)
      shown = NULL;
    if (shown && *text) {
      if (!at_line_start(h->out) && h->out->str[h->out->len - 1] != ' ')
        g_string_append_c(h->out, ' ');
      g_string_append_printf(h->out, "(%s)", shown);
    } else if (shown) {
      g_string_append(h->out, shown);
    }
  }
  g_clear_pointer(&h->href, g_free);
}

/* Handles one tag (between '<' and '>'); returns how far to skip past a raw-text
 * element's content, measured from `rest` (0 for an ordinary tag). */
static gsize handle_tag(Html2Text *h, const char *tag, gsize n, const char *rest, gsize rest_len)
{
  gboolean closing = n > 0 && tag[0] == '/';
  const char *p = tag + (closing ? 1 : 0);
  gsize name_len = 0;
  char name[16];

  while (name_len < n - (closing ? 1 : 0) && g_ascii_isalnum(p[name_len]))
    name_len++;
  if (name_len == 0 || name_len >= sizeof name)
    return 0;
  memcpy(name, p, name_len);
  name[name_len] = '\0';

  if (!closing && in_list(name, skipped_elements, G_N_ELEMENTS(skipped_elements))) {
    /* Skip to "</name" (case-insensitive), or to the end if it never closes. */
    for (gsize i = 0; i + 2 + name_len <= rest_len; i++)
      if (rest[i] == '<' && rest[i + 1] == '/' &&
          g_ascii_strncasecmp(rest + i + 2, name, name_len) == 0) {
        const char *gt = memchr(rest + i, '>', rest_len - i);
        return gt ? (gsize)(gt - rest) + 1 : rest_len;
      }
    return rest_len;
  }
  if (g_ascii_strcasecmp(name, "a") == 0) {
    close_link(h);
    if (!closing) {
      char *href = tag_attribute(p + name_len, n - name_len, "href");
      if (href) {
        Html2Text tmp = {.out = g_string_new(NULL)};
        for (gsize i = 0; href[i]; ) { /* decode &amp; and friends in the href */
          gsize used = href[i] == '&' ? put_entity(&tmp, href + i, strlen(href + i)) : 0;
          if (used)
            i += used;
          else if ((guint8)href[i++] >= 0x20)
            g_string_append_c(tmp.out, href[i - 1]);
        }
        g_free(href);
        h->href = g_strstrip(g_string_free(tmp.out, FALSE));
        if (strlen(h->href) > HREF_MAX) { /* cut on a character boundary */
          gsize cut = HREF_MAX;
          while (cut > 0 && ((guint8)h->href[cut] & 0xC0) == 0x80)
            cut--;
          h->href[cut] = '\0';
        }
        h->link_start = h->out->len;
      }
    }
    return 0;
  }
  if (g_ascii_strcasecmp(name, "pre") == 0)
    h->pre = !closing;
  if (g_ascii_strcasecmp(name, "td") == 0 || g_ascii_strcasecmp(name, "th") == 0) {
    put_text(h, " ", 1);
  } else if (g_ascii_strcasecmp(name, "img") == 0 && !closing) {
    g_autofree char *alt = tag_attribute(p + name_len, n - name_len, "alt");
    if (alt && *alt && !strchr(alt, '<'))
      put_text(h, alt, strlen(alt));
  } else if (in_list(name, block_elements, G_N_ELEMENTS(block_elements))) {
    gboolean br = g_ascii_strcasecmp(name, "br") == 0;
    if (br || !at_line_start(h->out))
      put_newline(h);
    if (!closing && g_ascii_strcasecmp(name, "p") == 0)
      put_newline(h);
    if (!closing && g_ascii_strcasecmp(name, "li") == 0)
      g_string_append(h->out, "- ");
  }
  return 0;
}

/* Final pass: no trailing spaces, no leading spaces on a line, at most one blank line
 * in a row, none at the start or end. */
static char *tidy(const GString *s)
{
  g_auto(GStrv) lines = g_strsplit(s->str, "\n", -1);
  GString *out = g_string_sized_new(s->len + 1);
  gboolean blank_pending = FALSE;
  for (gsize i = 0; lines[i]; i++) {
    char *line = g_strchomp(lines[i]);
    if (!*line) {
      blank_pending = out->len > 0;
      continue;
    }
    if (out->len > 0)
      g_string_append(out, blank_pending ? "\n\n" : "\n");
    blank_pending = FALSE;
    g_string_append(out, line);
  }
  return g_string_free(out, FALSE);
}

char *okno_html_to_text(const char *html, gsize len)
{
  g_autoptr(GString) no_nul = g_string_sized_new(len + 1);
  g_autofree char *valid = NULL;
  const char *s;
  gsize n, i = 0;
  Html2Text h = {.out = g_string_sized_new(len / 2 + 16)};
  g_autoptr(GString) out = NULL;

  for (gsize k = 0; html && k < len; k++) /* NUL bytes are dropped, not an end */
    if (html[k])
      g_string_append_c(no_nul, html[k]);
  valid = g_utf8_make_valid(no_nul->str, (gssize)no_nul->len);
  s = valid;
  n = strlen(valid);

  while (i < n) {
    char c = s[i];
    if (c == '<' && i + 1 < n &&
        (g_ascii_isalpha(s[i + 1]) || s[i + 1] == '/' || s[i + 1] == '!' || s[i + 1] == '?')) {
      gsize end;
      if (strncmp(s + i, "<!--", 4) == 0) {
        const char *close = g_strstr_len(s + i + 4, (gssize)(n - i - 4), "-->");
        i = close ? (gsize)(close - s) + 3 : n;
        continue;
      }
      end = tag_end(s + i, n - i);
      if (end >= n - i)
        break; /* a tag that never ends: markup, dropped with the rest */
      if (s[i + 1] != '!' && s[i + 1] != '?')
        i += handle_tag(&h, s + i + 1, end - 1, s + i + end + 1, n - i - end - 1);
      i += end + 1;
    } else if (c == '<') {
      g_string_append_c(h.out, STRAY_LT);
      i++;
    } else if (c == '&') {
      gsize used = put_entity(&h, s + i, n - i);
      if (!used)
        put_text(&h, "&", 1);
      i += used ? used : 1;
    } else {
      gsize j = i + 1;
      while (j < n && s[j] != '<' && s[j] != '&')
        j++;
      put_text(&h, s + i, j - i);
      i = j;
    }
  }
  close_link(&h);
  out = g_string_sized_new(h.out->len + 16);
  for (gsize k = 0; k < h.out->len; k++) {
    char c = h.out->str[k], next = h.out->str[k + 1];
    if (c == STRAY_LT) /* a stray '<' must not join what follows into a tag */
      g_string_append(out, g_ascii_isalpha(next) || next == '/' || next == '!' || next == '?' ? "< " : "<");
    else
      g_string_append_c(out, c);
  }
  g_string_free(h.out, TRUE);
  return tidy(out);
}
