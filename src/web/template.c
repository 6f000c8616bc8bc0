/* template.c: the mustache-subset template engine (contract in template.h).
 *
 * Compiling is one left-to-right pass over the source with the current delimiters. Each
 * tag found closes the literal text before it; tags that produce no output of their own
 * (sections, inverted sections, closes, comments, partials, delimiter changes) are
 * "standalone" when they are alone on their line apart from spaces and tabs, and then
 * the whole line (its indentation and its line ending) is dropped, as the spec asks. The
 * result is a tree of nodes: text, escaped or raw variables, sections and inverted
 * sections with children, partials. Names are split on dots once, at compile time.
 *
 * Rendering walks the tree with a stack of JsonNode contexts. A name is resolved by its
 * first part in the innermost context object that has it, then the other parts strictly
 * inside that value ("." is the top of the stack). Falsy values (missing, null, false,
 * "", []) skip a section; an array repeats it once per element; anything else becomes
 * the new top of the stack for one pass.
 *
 * Standalone partials are indented: the spec says each line of the partial is prefixed
 * with the whitespace before the tag. Instead of re-compiling the partial per call site,
 * every node remembers whether it begins a line of its template ("bol") and text nodes
 * emit the current indentation after each inner line break, so one compiled partial
 * serves every indentation; nested standalone partials add their indentation up. */
#include "web/template.h"

#include <string.h>

#include "core/error.h"

typedef enum {
  NODE_TEXT,     /* literal bytes */
  NODE_ESCAPED,  /* {{name}} */
  NODE_RAW,      /* {{{name}}} and {{&name}} */
  NODE_SECTION,  /* {{#name}}...{{/name}} */
  NODE_INVERTED, /* {{^name}}...{{/name}} */
  NODE_PARTIAL,  /* {{>name}} */
} NodeKind;

typedef struct Node {
  NodeKind kind;
  gboolean bol;       /* begins a line of the template: indentation goes before it */
  guint line;         /* 1-based source line, for errors */
  char *text;         /* literal bytes (TEXT), else the tag name as written, trimmed */
  gsize len;          /* bytes of text */
  char **path;        /* the name split on dots; NULL for "." (and for TEXT) */
  char *indent;       /* standalone PARTIAL: the whitespace before the tag, else NULL */
  GPtrArray *children; /* SECTION, INVERTED: Node *, owned */
} Node;

struct _OknoTemplate {
  char *name;
  GPtrArray *nodes; /* Node *, owned */
};

struct _OknoTemplatePartials {
  GHashTable *by_name; /* char * -> OknoTemplate *, both owned */
};

static void node_free(gpointer data)
{
  Node *n = data;
  g_free(n->text);
  g_strfreev(n->path);
  g_free(n->indent);
  if (n->children)
    g_ptr_array_unref(n->children);
  g_free(n);
}

void okno_template_free(OknoTemplate *t)
{
  if (!t)
    return;
  g_free(t->name);
  g_ptr_array_unref(t->nodes);
  g_free(t);
}

const char *okno_template_name(const OknoTemplate *t)
{
  return t->name;
}

/* ---- compiling ---- */

/* The first occurrence of needle[0..nlen) in hay[0..hlen), or NULL. */
static const char *find_bytes(const char *hay, gsize hlen, const char *needle, gsize nlen)
{
  if (nlen == 0 || hlen < nlen)
    return NULL;
  const char *end = hay + hlen - nlen;
  for (const char *p = hay; p <= end; p++) {
    p = memchr(p, needle[0], (gsize)(end - p) + 1);
    if (!p)
      return NULL;
    if (memcmp(p, needle, nlen) == 0)
      return p;
  }
  return NULL;
}

static gboolean is_blank(char c)
{
  return c == ' ' || c == '\t';
}

typedef struct {
  const char *src;
  gsize len;
  const char *name;
  gsize line_pos; /* lines are counted up to here */
  guint line;     /* the line at line_pos */
  GPtrArray *open; /* the open section nodes, innermost last (borrowed) */
  GPtrArray *nodes; /* where the next node goes (borrowed) */
  GPtrArray *nodes_root; /* the template's top level (borrowed) */
  gboolean pending_bol; /* a no-output tag began a line: the next node begins it */
} Compiler;

/* The 1-based line of byte `pos` (positions are asked for in increasing order). */
static guint line_at(Compiler *c, gsize pos)
{
  for (; c->line_pos < pos && c->line_pos < c->len; c->line_pos++)
    if (c->src[c->line_pos] == '\n')
      c->line++;
  return c->line;
}

static Node *add_node(Compiler *c, NodeKind kind, gsize start, const char *text, gsize len)
{
  Node *n = g_new0(Node, 1);
  n->kind = kind;
  n->bol = c->pending_bol || start == 0 || c->src[start - 1] == '\n';
  c->pending_bol = FALSE;
  n->line = line_at(c, start);
  n->text = g_strndup(text, len);
  n->len = kind == NODE_TEXT ? len : strlen(n->text);
  g_ptr_array_add(c->nodes, n);
  return n;
}

static void add_text(Compiler *c, gsize start, gsize end)
{
  if (end > start)
    add_node(c, NODE_TEXT, start, c->src + start, end - start);
}

/* Parses trimmed "{{=open close=}}" content: two runs of non-blank bytes without '='
 * separated by blanks, each at most OKNO_TEMPLATE_MAX_DELIMITER bytes. */
static gboolean set_delimiters(const char *s, gsize len, char *open, char *close)
{
  gsize i = 0;
  gsize a = i;
  while (i < len && !g_ascii_isspace(s[i]) && s[i] != '=')
    i++;
  gsize alen = i - a;
  gsize gap = i;
  while (i < len && g_ascii_isspace(s[i]))
    i++;
  if (i == gap)
    return FALSE;
  gsize b = i;
  while (i < len && !g_ascii_isspace(s[i]) && s[i] != '=')
    i++;
  gsize blen = i - b;
  if (i != len || alen == 0 || blen == 0 || alen > OKNO_TEMPLATE_MAX_DELIMITER ||
      blen > OKNO_TEMPLATE_MAX_DELIMITER)
    return FALSE;
  memcpy(open, s + a, alen);
  open[alen] = '\0';
  memcpy(close, s + b, blen);
  close[blen] = '\0';
  return TRUE;
}

static gboolean compile_error(Compiler *c, gsize pos, GError **error, const char *fmt, ...)
  G_GNUC_PRINTF(4, 5);

static gboolean compile_error(Compiler *c, gsize pos, GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s:%u: %s", c->name, line_at(c, pos), msg);
  return FALSE;
}

/* One pass over the source; see the file comment. */
static gboolean compile_nodes(Compiler *c, GError **error)
{
  char open[OKNO_TEMPLATE_MAX_DELIMITER + 1] = "{{";
  char close[OKNO_TEMPLATE_MAX_DELIMITER + 1] = "}}";
  gsize text_start = 0, pos = 0;

  for (;;) {
    gsize olen = strlen(open), clen = strlen(close);
    const char *hit = find_bytes(c->src + pos, c->len - pos, open, olen);
    if (!hit)
      break;
    gsize tag_start = (gsize)(hit - c->src);
    gsize p = tag_start + olen;
    char sigil = p < c->len ? c->src[p] : '\0';
    char closer[OKNO_TEMPLATE_MAX_DELIMITER + 2];
    if (sigil == '{' || sigil == '=') {
      /* {{{name}}} ends with "}" + close; {{=a b=}} with "=" + close */
      closer[0] = sigil == '{' ? '}' : '=';
      memcpy(closer + 1, close, clen + 1);
    } else {
      memcpy(closer, close, clen + 1);
    }
    if (sigil != '\0' && strchr("{&#^/>!=", sigil))
      p++;
    else
      sigil = '\0';
    gsize closer_len = strlen(closer);
    const char *end = find_bytes(c->src + p, c->len - p, closer, closer_len);
    if (!end)
      return compile_error(c, tag_start, error, "unclosed tag: no \"%s\" after \"%s\"", closer,
                           open);
    gsize tag_end = (gsize)(end - c->src) + closer_len;

    /* the name, trimmed */
    const char *name = c->src + p;
    gsize name_len = (gsize)(end - name);
    while (name_len && g_ascii_isspace(name[0]))
      name++, name_len--;
    while (name_len && g_ascii_isspace(name[name_len - 1]))
      name_len--;

    /* a no-output tag alone on its line takes the whole line with it */
    gboolean standalone = FALSE;
    gsize ws = tag_start, next = tag_end;
    if (sigil != '\0' && sigil != '{' && sigil != '&') {
      while (ws > text_start && is_blank(c->src[ws - 1]))
        ws--;
      if (ws == 0 || c->src[ws - 1] == '\n') {
        gsize r = tag_end;
        while (r < c->len && is_blank(c->src[r]))
          r++;
        if (r == c->len)
          standalone = TRUE, next = r;
        else if (c->src[r] == '\n')
          standalone = TRUE, next = r + 1;
        else if (c->src[r] == '\r' && r + 1 < c->len && c->src[r + 1] == '\n')
          standalone = TRUE, next = r + 2;
      }
    }
    if (standalone) {
      add_text(c, text_start, ws);
    } else {
      add_text(c, text_start, tag_start);
      ws = tag_start;
      next = tag_end;
    }
    gboolean at_bol = tag_start == 0 || c->src[tag_start - 1] == '\n';

    if (sigil != '!' && sigil != '=' && name_len == 0)
      return compile_error(c, tag_start, error, "empty tag name");
    switch (sigil) {
    case '!':
      c->pending_bol = c->pending_bol || (!standalone && at_bol);
      break;
    case '=':
      if (!set_delimiters(name, name_len, open, close))
        return compile_error(c, tag_start, error,
                             "bad delimiter change: want {{=open close=}}, two non-empty "
                             "delimiters of at most %d bytes without spaces or '='",
                             OKNO_TEMPLATE_MAX_DELIMITER);
      c->pending_bol = c->pending_bol || (!standalone && at_bol);
      break;
    case '/': {
      Node *top = c->open->len ? g_ptr_array_index(c->open, c->open->len - 1) : NULL;
      if (!top)
        return compile_error(c, tag_start, error, "{{/%.*s}} closes no open section",
                             (int)name_len, name);
      if (top->len != name_len || memcmp(top->text, name, name_len) != 0)
        return compile_error(c, tag_start, error,
                             "{{/%.*s}} does not match the open section {{%c%s}} of line %u",
                             (int)name_len, name, top->kind == NODE_SECTION ? '#' : '^',
                             top->text, top->line);
      g_ptr_array_set_size(c->open, c->open->len - 1);
      c->nodes = c->open->len ? ((Node *)g_ptr_array_index(c->open, c->open->len - 1))->children
                              : c->nodes_root;
      break;
    }
    default: {
      NodeKind kind = sigil == '#'   ? NODE_SECTION
                      : sigil == '^' ? NODE_INVERTED
                      : sigil == '>' ? NODE_PARTIAL
                      : sigil == '\0' ? NODE_ESCAPED
                                      : NODE_RAW;
      if ((kind == NODE_SECTION || kind == NODE_INVERTED) &&
          c->open->len >= OKNO_TEMPLATE_MAX_NESTING)
        return compile_error(c, tag_start, error, "sections nested deeper than %d",
                             OKNO_TEMPLATE_MAX_NESTING);
      Node *n = add_node(c, kind, tag_start, name, name_len);
      if (standalone) {
        n->bol = FALSE; /* its line is gone; a partial carries the indentation instead */
        if (kind == NODE_PARTIAL)
          n->indent = g_strndup(c->src + ws, tag_start - ws);
      }
      if (kind != NODE_PARTIAL && !(name_len == 1 && name[0] == '.'))
        n->path = g_strsplit(n->text, ".", -1);
      if (kind == NODE_SECTION || kind == NODE_INVERTED) {
        n->children = g_ptr_array_new_with_free_func(node_free);
        g_ptr_array_add(c->open, n);
        c->nodes = n->children;
      }
    }
    }
    pos = text_start = next;
  }
  if (c->open->len) {
    Node *top = g_ptr_array_index(c->open, c->open->len - 1);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s:%u: section {{%c%s}} is never closed",
                c->name, top->line, top->kind == NODE_SECTION ? '#' : '^', top->text);
    return FALSE;
  }
  add_text(c, text_start, c->len);
  if (c->pending_bol)
    add_node(c, NODE_TEXT, c->len, "", 0);
  return TRUE;
}

OknoTemplate *okno_template_compile(const char *text, gsize len, const char *name,
                                    GError **error)
{
  g_autoptr(OknoTemplate) t = g_new0(OknoTemplate, 1);
  t->name = g_strdup(name ? name : "template");
  t->nodes = g_ptr_array_new_with_free_func(node_free);
  if (len > OKNO_TEMPLATE_MAX_SOURCE) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s:1: template of %" G_GSIZE_FORMAT
                " bytes, more than the %d allowed", t->name, len, OKNO_TEMPLATE_MAX_SOURCE);
    return NULL;
  }
  g_autoptr(GPtrArray) open = g_ptr_array_new();
  Compiler c = {
    .src = text, .len = len, .name = t->name, .line = 1,
    .open = open, .nodes = t->nodes, .nodes_root = t->nodes,
  };
  if (!compile_nodes(&c, error))
    return NULL;
  return g_steal_pointer(&t);
}

/* ---- rendering ---- */

typedef struct {
  GString *out;
  GPtrArray *stack; /* JsonNode * contexts, innermost last (borrowed) */
  OknoTemplatePartials *partials;
  guint partial_depth;
  guint steps;
} Renderer;

/* The value `path` names on the context stack (NULL path: the top), or NULL. */
static JsonNode *lookup(Renderer *r, char **path)
{
  if (!path)
    return g_ptr_array_index(r->stack, r->stack->len - 1);
  if (!path[0]) /* a name with no parts (it held only a NUL byte) names nothing */
    return NULL;
  JsonNode *v = NULL;
  for (guint i = r->stack->len; i-- > 0 && !v;) {
    JsonNode *ctx = g_ptr_array_index(r->stack, i);
    if (JSON_NODE_HOLDS_OBJECT(ctx))
      v = json_object_get_member(json_node_get_object(ctx), path[0]);
  }
  for (guint k = 1; v && path[k]; k++)
    v = JSON_NODE_HOLDS_OBJECT(v) ? json_object_get_member(json_node_get_object(v), path[k])
                                  : NULL;
  return v;
}

static gboolean is_falsy(JsonNode *v)
{
  if (!v || JSON_NODE_HOLDS_NULL(v))
    return TRUE;
  if (JSON_NODE_HOLDS_ARRAY(v))
    return json_array_get_length(json_node_get_array(v)) == 0;
  if (!JSON_NODE_HOLDS_VALUE(v))
    return FALSE;
  GType type = json_node_get_value_type(v);
  if (type == G_TYPE_BOOLEAN)
    return !json_node_get_boolean(v);
  if (type == G_TYPE_STRING)
    return json_node_get_string(v)[0] == '\0';
  return FALSE;
}

/* Appends a scalar as text: strings as they are, integers in decimal, doubles in the
 * shortest form that reads back to the same value, booleans as true/false; null,
 * objects and arrays as nothing. */
static void append_value(GString *out, JsonNode *v, gboolean escape)
{
  if (!v || !JSON_NODE_HOLDS_VALUE(v))
    return;
  GType type = json_node_get_value_type(v);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  const char *s;
  if (type == G_TYPE_STRING) {
    s = json_node_get_string(v);
  } else if (type == G_TYPE_INT64) {
    g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, json_node_get_int(v));
    s = buf;
  } else if (type == G_TYPE_DOUBLE) {
    double d = json_node_get_double(v);
    for (int prec = 1; prec <= 17; prec++) {
      char fmt[8];
      g_snprintf(fmt, sizeof fmt, "%%.%dg", prec);
      g_ascii_formatd(buf, sizeof buf, fmt, d);
      if (g_ascii_strtod(buf, NULL) == d)
        break;
    }
    s = buf;
  } else if (type == G_TYPE_BOOLEAN) {
    s = json_node_get_boolean(v) ? "true" : "false";
  } else {
    return;
  }
  if (!escape) {
    g_string_append(out, s);
    return;
  }
  for (; *s; s++) {
    switch (*s) {
    case '&': g_string_append(out, "&amp;"); break;
    case '<': g_string_append(out, "&lt;"); break;
    case '>': g_string_append(out, "&gt;"); break;
    case '"': g_string_append(out, "&quot;"); break;
    case '\'': g_string_append(out, "&#39;"); break;
    default: g_string_append_c(out, *s);
    }
  }
}

static gboolean render_error(const OknoTemplate *t, const Node *n, GError **error,
                             const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static gboolean render_error(const OknoTemplate *t, const Node *n, GError **error,
                             const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s:%u: %s", t->name, n->line, msg);
  return FALSE;
}

/* Renders `nodes` of template `t` with every template line prefixed by `indent`. */
static gboolean render_nodes(Renderer *r, const OknoTemplate *t, GPtrArray *nodes,
                             const char *indent, GError **error)
{
  for (guint i = 0; i < nodes->len; i++) {
    Node *n = g_ptr_array_index(nodes, i);
    if (++r->steps > OKNO_TEMPLATE_MAX_STEPS)
      return render_error(t, n, error, "render stopped after %d steps (runaway repetition?)",
                          OKNO_TEMPLATE_MAX_STEPS);
    if (n->bol)
      g_string_append(r->out, indent);
    switch (n->kind) {
    case NODE_TEXT: {
      const char *s = n->text, *end = n->text + n->len;
      while (s < end && r->out->len <= OKNO_TEMPLATE_MAX_OUTPUT) {
        const char *nl = memchr(s, '\n', (gsize)(end - s));
        const char *stop = nl ? nl + 1 : end;
        g_string_append_len(r->out, s, stop - s);
        s = stop;
        if (nl && s < end)
          g_string_append(r->out, indent);
      }
      break;
    }
    case NODE_ESCAPED:
    case NODE_RAW:
      append_value(r->out, lookup(r, n->path), n->kind == NODE_ESCAPED);
      break;
    case NODE_INVERTED:
      if (is_falsy(lookup(r, n->path)) && !render_nodes(r, t, n->children, indent, error))
        return FALSE;
      break;
    case NODE_SECTION: {
      JsonNode *v = lookup(r, n->path);
      if (is_falsy(v))
        break;
      JsonArray *list = JSON_NODE_HOLDS_ARRAY(v) ? json_node_get_array(v) : NULL;
      guint count = list ? json_array_get_length(list) : 1;
      for (guint k = 0; k < count; k++) {
        /* each pass counts, so sections of empty sections are bounded too */
        if (k && ++r->steps > OKNO_TEMPLATE_MAX_STEPS)
          return render_error(t, n, error, "render stopped after %d steps (runaway repetition?)",
                              OKNO_TEMPLATE_MAX_STEPS);
        g_ptr_array_add(r->stack, list ? json_array_get_element(list, k) : v);
        gboolean ok = render_nodes(r, t, n->children, indent, error);
        g_ptr_array_set_size(r->stack, r->stack->len - 1);
        if (!ok)
          return FALSE;
      }
      break;
    }
    case NODE_PARTIAL: {
      const OknoTemplate *p = okno_template_partials_lookup(r->partials, n->text);
      if (!p)
        break;
      if (r->partial_depth >= OKNO_TEMPLATE_MAX_PARTIAL_DEPTH)
        return render_error(t, n, error,
                            "{{>%s}}: partials nested deeper than %d (does it include itself?)",
                            n->text, OKNO_TEMPLATE_MAX_PARTIAL_DEPTH);
      g_autofree char *inner = n->indent ? g_strconcat(indent, n->indent, NULL) : NULL;
      r->partial_depth++;
      gboolean ok = render_nodes(r, p, p->nodes, inner ? inner : "", error);
      r->partial_depth--;
      if (!ok)
        return FALSE;
      break;
    }
    }
    if (r->out->len > OKNO_TEMPLATE_MAX_OUTPUT)
      return render_error(t, n, error, "output over %d bytes", OKNO_TEMPLATE_MAX_OUTPUT);
  }
  return TRUE;
}

char *okno_template_render(const OknoTemplate *t, JsonNode *context,
                           OknoTemplatePartials *partials, GError **error)
{
  g_autoptr(JsonNode) empty = context ? NULL : json_node_new(JSON_NODE_NULL);
  g_autoptr(GPtrArray) stack = g_ptr_array_new();
  g_ptr_array_add(stack, context ? context : empty);
  Renderer r = { .out = g_string_new(NULL), .stack = stack, .partials = partials };
  if (!render_nodes(&r, t, t->nodes, "", error)) {
    g_string_free(r.out, TRUE);
    return NULL;
  }
  return g_string_free(r.out, FALSE);
}

/* ---- partials ---- */

OknoTemplatePartials *okno_template_partials_new(void)
{
  OknoTemplatePartials *p = g_new0(OknoTemplatePartials, 1);
  p->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify)okno_template_free);
  return p;
}

void okno_template_partials_free(OknoTemplatePartials *p)
{
  if (!p)
    return;
  g_hash_table_unref(p->by_name);
  g_free(p);
}

gboolean okno_template_partials_add(OknoTemplatePartials *p, const char *name,
                                    const char *text, gsize len, GError **error)
{
  OknoTemplate *t = okno_template_compile(text, len, name, error);
  if (!t)
    return FALSE;
  g_hash_table_replace(p->by_name, g_strdup(name), t);
  return TRUE;
}

const OknoTemplate *okno_template_partials_lookup(const OknoTemplatePartials *p,
                                                  const char *name)
{
  return p ? g_hash_table_lookup(p->by_name, name) : NULL;
}
