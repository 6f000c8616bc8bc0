/* imap_parse.c: IMAP server responses, from untrusted bytes (see imap_parse.h).
 *
 * A cursor walks the response; every read checks the end first. A FETCH's items are
 * name/value pairs where a value is a number, an atom, NIL, a quoted string, a
 * literal or a parenthesised list (skipped, nested at most 32 deep). */
#include "mail/imap_parse.h"

#include <string.h>

#include "core/error.h"

#define MAX_DEPTH 32

static gboolean bad(GError **error, const char *what)
{
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_PERM, "malformed IMAP response: %s", what);
  return FALSE;
}

/* A literal's size when the line [start, eol) ends in "{N}" or "{N+}"; -1 otherwise. */
static gint64 literal_at_end(const guint8 *start, const guint8 *eol)
{
  const guint8 *p = eol;
  guint64 n = 0, scale = 1;
  if (p == start || p[-1] != '}')
    return -1;
  p--;
  if (p > start && p[-1] == '+')
    p--;
  if (p == start || !g_ascii_isdigit(p[-1]))
    return -1;
  while (p > start && g_ascii_isdigit(p[-1])) {
    if (scale > G_GUINT64_CONSTANT(1000000000000))
      return G_MAXINT64; /* absurdly long: refused by the caller's limit */
    n += (guint64)(p[-1] - '0') * scale;
    scale *= 10;
    p--;
  }
  if (p == start || p[-1] != '{')
    return -1;
  return n > (guint64)G_MAXINT64 / 2 ? G_MAXINT64 : (gint64)n;
}

gssize okno_imap_response_length(const guint8 *buf, gsize len, guint64 max_literal,
                                 GError **error)
{
  gsize pos = 0;
  for (;;) {
    const guint8 *line = buf + pos, *eol = NULL;
    gsize avail = len - pos;
    gint64 lit;
    for (gsize i = 0; i + 1 < avail && i <= OKNO_IMAP_MAX_LINE; i++)
      if (line[i] == '\r' && line[i + 1] == '\n') {
        eol = line + i;
        break;
      }
    if (!eol) {
      if (avail > OKNO_IMAP_MAX_LINE) {
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_PERM, "IMAP response line over %d bytes",
                    OKNO_IMAP_MAX_LINE);
        return -1;
      }
      return 0;
    }
    pos += (gsize)(eol - line) + 2;
    lit = literal_at_end(line, eol);
    if (lit < 0)
      return pos > G_MAXSSIZE ? -1 : (gssize)pos;
    if ((guint64)lit > max_literal) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_PERM,
                  "IMAP literal of %" G_GINT64_FORMAT " bytes over the limit", lit);
      return -1;
    }
    if ((guint64)(len - pos) < (guint64)lit)
      return 0;
    pos += (gsize)lit;
  }
}

typedef struct {
  const guint8 *p, *end;
} Cur;

static gboolean at(const Cur *c, char ch) { return c->p < c->end && *c->p == (guint8)ch; }

static gboolean eat(Cur *c, char ch)
{
  if (!at(c, ch))
    return FALSE;
  c->p++;
  return TRUE;
}

static gboolean at_eol(const Cur *c)
{
  return c->end - c->p >= 2 && c->p[0] == '\r' && c->p[1] == '\n';
}

static gboolean atom_char(guint8 ch) { return ch > ' ' && ch < 0x7f && !strchr("(){\"[]", ch); }

/* An atom (may be empty). Upper-cased when `upper`. */
static char *atom(Cur *c, gboolean upper)
{
  const guint8 *s = c->p;
  while (c->p < c->end && atom_char(*c->p))
    c->p++;
  return upper ? g_ascii_strup((const char *)s, c->p - s) : g_strndup((const char *)s, c->p - s);
}

static gboolean number(Cur *c, guint64 *out)
{
  guint64 n = 0;
  if (c->p >= c->end || !g_ascii_isdigit(*c->p))
    return FALSE;
  while (c->p < c->end && g_ascii_isdigit(*c->p)) {
    if (n > G_MAXUINT64 / 10 - 10)
      return FALSE;
    n = n * 10 + (guint64)(*c->p++ - '0');
  }
  *out = n;
  return TRUE;
}

/* The text up to the CRLF ending the current line; the cursor stays on the CR. */
static char *rest_of_line(Cur *c)
{
  const guint8 *s = c->p;
  while (c->p < c->end && !at_eol(c))
    c->p++;
  return g_strndup((const char *)s, c->p - s);
}

/* A string value: quoted, literal or NIL. `out` NULL: skipped. */
static gboolean string_value(Cur *c, GBytes **out, GError **error)
{
  if (eat(c, '"')) {
    GString *s = g_string_new(NULL);
    while (c->p < c->end && *c->p != '"' && *c->p != '\r' && *c->p != '\n') {
      if (*c->p == '\\' && c->end - c->p >= 2)
        c->p++;
      g_string_append_c(s, (char)*c->p++);
    }
    if (!eat(c, '"')) {
      g_string_free(s, TRUE);
      return bad(error, "unterminated quoted string");
    }
    if (out)
      *out = g_string_free_to_bytes(s);
    else
      g_string_free(s, TRUE);
    return TRUE;
  }
  if (eat(c, '{')) {
    guint64 n;
    if (!number(c, &n) || (eat(c, '+'), !eat(c, '}')) || !at_eol(c))
      return bad(error, "literal");
    c->p += 2;
    if ((guint64)(c->end - c->p) < n)
      return bad(error, "literal longer than the response");
    if (out)
      *out = g_bytes_new(c->p, (gsize)n);
    c->p += n;
    return TRUE;
  }
  return bad(error, "string expected");
}

/* Any value, skipped (lists nested at most MAX_DEPTH). */
static gboolean skip_value(Cur *c, guint depth, GError **error)
{
  if (at(c, '"') || at(c, '{'))
    return string_value(c, NULL, error);
  if (eat(c, '(')) {
    if (depth >= MAX_DEPTH)
      return bad(error, "lists nested too deep");
    while (!eat(c, ')')) {
      if (c->p >= c->end || at_eol(c))
        return bad(error, "unterminated list");
      if (eat(c, ' '))
        continue;
      if (!skip_value(c, depth + 1, error))
        return FALSE;
    }
    return TRUE;
  }
  {
    const guint8 *s = c->p;
    g_free(atom(c, FALSE));
    /* an atom may carry a section: BODY[HEADER.FIELDS (A B)]<0> */
    if (eat(c, '[')) {
      while (c->p < c->end && *c->p != ']' && !at_eol(c))
        c->p++;
      if (!eat(c, ']'))
        return bad(error, "unterminated section");
      g_free(atom(c, FALSE));
    }
    if (c->p == s)
      return bad(error, "value expected");
  }
  return TRUE;
}

/* A FETCH item's name, upper case, with its section ("BODY[]", "BODY[HEADER]"). */
static char *item_name(Cur *c, GError **error)
{
  g_autofree char *name = atom(c, TRUE);
  GString *s;
  if (!*name) {
    bad(error, "FETCH item name expected");
    return NULL;
  }
  if (!at(c, '['))
    return g_steal_pointer(&name);
  s = g_string_new(name);
  while (c->p < c->end && *c->p != ']' && !at_eol(c))
    g_string_append_c(s, g_ascii_toupper((char)*c->p++));
  if (!eat(c, ']')) {
    g_string_free(s, TRUE);
    bad(error, "unterminated section");
    return NULL;
  }
  g_string_append_c(s, ']');
  if (eat(c, '<')) { /* a partial fetch's origin */
    guint64 n;
    if (!number(c, &n) || !eat(c, '>')) {
      g_string_free(s, TRUE);
      bad(error, "origin");
      return NULL;
    }
  }
  return g_string_free(s, FALSE);
}

static gboolean fetch_items(Cur *c, OknoImapResponse *r, GError **error)
{
  if (!eat(c, '('))
    return bad(error, "FETCH without its list");
  while (!eat(c, ')')) {
    g_autofree char *name = NULL;
    if (eat(c, ' '))
      continue;
    if (c->p >= c->end || at_eol(c))
      return bad(error, "unterminated FETCH list");
    if (!(name = item_name(c, error)))
      return FALSE;
    if (!eat(c, ' '))
      return bad(error, "FETCH item without a value");
    if (!strcmp(name, "UID") || !strcmp(name, "RFC822.SIZE")) {
      guint64 n;
      if (!number(c, &n))
        return bad(error, "number expected");
      if (name[0] == 'U') {
        if (n == 0 || n > G_MAXUINT32)
          return bad(error, "UID out of range");
        r->uid = (guint32)n;
      } else {
        r->size = n;
      }
    } else if (!strcmp(name, "BODY[]") || !strcmp(name, "RFC822")) {
      GBytes *b = NULL;
      if (!string_value(c, &b, error))
        return FALSE;
      if (r->body)
        g_bytes_unref(r->body);
      r->body = b;
    } else if (!skip_value(c, 0, error)) {
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean is_status(const char *w)
{
  return !strcmp(w, "OK") || !strcmp(w, "NO") || !strcmp(w, "BAD") || !strcmp(w, "BYE") ||
         !strcmp(w, "PREAUTH");
}

static gboolean status_rest(Cur *c, OknoImapResponse *r, GError **error)
{
  if (!eat(c, ' '))
    return TRUE; /* "a1 OK" with no text */
  if (eat(c, '[')) {
    const guint8 *s = c->p;
    while (c->p < c->end && *c->p != ']' && !at_eol(c))
      c->p++;
    if (!at(c, ']'))
      return bad(error, "unterminated response code");
    r->code = g_strndup((const char *)s, c->p - s);
    c->p++;
    eat(c, ' ');
  }
  r->text = rest_of_line(c);
  return TRUE;
}

static gboolean parse_into(Cur *c, OknoImapResponse *r, GError **error)
{
  r->tag = atom(c, FALSE);
  if (!*r->tag)
    return bad(error, "tag expected");
  if (!strcmp(r->tag, "+")) {
    eat(c, ' ');
    r->text = rest_of_line(c);
    return TRUE;
  }
  if (!eat(c, ' '))
    return bad(error, "space after the tag expected");
  if (c->p < c->end && g_ascii_isdigit(*c->p)) {
    guint64 n;
    if (strcmp(r->tag, "*") != 0 || !number(c, &n) || n > G_MAXUINT32 || !eat(c, ' '))
      return bad(error, "message number");
    r->number = (guint32)n;
    r->kind = atom(c, TRUE);
    if (!strcmp(r->kind, "FETCH"))
      return eat(c, ' ') ? fetch_items(c, r, error) : bad(error, "FETCH");
    r->text = rest_of_line(c);
    return TRUE;
  }
  {
    g_autofree char *word = atom(c, TRUE);
    if (is_status(word)) {
      r->status = g_steal_pointer(&word);
      return status_rest(c, r, error);
    }
    if (strcmp(r->tag, "*") != 0)
      return bad(error, "a tagged response without a status");
    if (!*word)
      return bad(error, "keyword expected");
    r->kind = g_steal_pointer(&word);
  }
  if (!strcmp(r->kind, "SEARCH")) {
    r->search = g_array_new(FALSE, FALSE, sizeof(guint32));
    while (eat(c, ' ')) {
      guint64 n;
      if (at(c, '('))
        return skip_value(c, 0, error); /* (MODSEQ n) closes the list */
      if (!number(c, &n) || n == 0 || n > G_MAXUINT32)
        return bad(error, "SEARCH number");
      guint32 v = (guint32)n;
      g_array_append_val(r->search, v);
    }
    return TRUE;
  }
  eat(c, ' ');
  r->text = rest_of_line(c);
  return TRUE;
}

OknoImapResponse *okno_imap_response_parse(const guint8 *buf, gsize len, GError **error)
{
  g_autoptr(OknoImapResponse) r = g_new0(OknoImapResponse, 1);
  Cur c = {buf, buf + len};
  if (!parse_into(&c, r, error))
    return NULL;
  /* What remains is the line's CRLF (extensions may add text after a FETCH's list). */
  while (c.p < c.end && !at_eol(&c))
    c.p++;
  if (!at_eol(&c) || c.end - c.p != 2) {
    bad(error, "junk after the response");
    return NULL;
  }
  return g_steal_pointer(&r);
}

void okno_imap_response_free(OknoImapResponse *r)
{
  if (!r)
    return;
  g_free(r->tag);
  g_free(r->status);
  g_free(r->code);
  g_free(r->kind);
  g_free(r->text);
  if (r->search)
    g_array_unref(r->search);
  if (r->body)
    g_bytes_unref(r->body);
  g_free(r);
}

char *okno_imap_quote(const char *s)
{
  GString *q;
  if (!s || strpbrk(s, "\r\n"))
    return NULL;
  q = g_string_new("\"");
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      g_string_append_c(q, '\\');
    g_string_append_c(q, *s);
  }
  g_string_append_c(q, '"');
  return g_string_free(q, FALSE);
}
