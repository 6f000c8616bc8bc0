/* markdown.c: Markdown to safe HTML and to plain text with libcmark (see markdown.h). */
#include "text/markdown.h"

#include <cmark.h>
#include <string.h>

#define OPTIONS (CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8)

char *okno_markdown_html(const char *md)
{
  char *html = cmark_markdown_to_html(md, strlen(md), OPTIONS);
  char *out = g_strdup(html);
  free(html);
  return out;
}

static void block_end(GString *out)
{
  if (out->len && out->str[out->len - 1] != '\n')
    g_string_append_c(out, '\n');
}

char *okno_markdown_plain(const char *md)
{
  cmark_node *doc = cmark_parse_document(md, strlen(md), OPTIONS);
  cmark_iter *it = cmark_iter_new(doc);
  GString *out = g_string_new(NULL);
  cmark_event_type ev;
  while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
    cmark_node *n = cmark_iter_get_node(it);
    cmark_node_type t = cmark_node_get_type(n);
    const char *lit;
    if (ev == CMARK_EVENT_ENTER) {
      switch (t) {
      case CMARK_NODE_ITEM:
        block_end(out);
        g_string_append(out, "— ");
        break;
      case CMARK_NODE_CODE_BLOCK: /* a leaf: no exit event */
        block_end(out);
        lit = cmark_node_get_literal(n);
        g_string_append(out, lit ? lit : "");
        block_end(out);
        g_string_append_c(out, '\n');
        break;
      case CMARK_NODE_TEXT:
      case CMARK_NODE_CODE:
        lit = cmark_node_get_literal(n);
        g_string_append(out, lit ? lit : "");
        break;
      case CMARK_NODE_SOFTBREAK:
        g_string_append_c(out, ' ');
        break;
      case CMARK_NODE_LINEBREAK:
        g_string_append_c(out, '\n');
        break;
      default:
        break;
      }
    } else if (ev == CMARK_EVENT_EXIT) {
      switch (t) {
      case CMARK_NODE_LINK: {
        const char *url = cmark_node_get_url(n);
        if (url && (g_str_has_prefix(url, "https://") || g_str_has_prefix(url, "http://") ||
                    g_str_has_prefix(url, "mailto:")))
          g_string_append_printf(out, " (%s)", url);
        break;
      }
      case CMARK_NODE_LIST:
      case CMARK_NODE_PARAGRAPH:
      case CMARK_NODE_HEADING:
        block_end(out);
        if (!cmark_node_parent(n) || cmark_node_get_type(cmark_node_parent(n)) != CMARK_NODE_ITEM)
          g_string_append_c(out, '\n');
        break;
      default:
        break;
      }
    }
  }
  cmark_iter_free(it);
  cmark_node_free(doc);
  while (out->len && (out->str[out->len - 1] == '\n' || out->str[out->len - 1] == ' '))
    g_string_truncate(out, out->len - 1);
  return g_string_free(out, FALSE);
}
