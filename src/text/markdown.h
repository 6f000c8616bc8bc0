/* markdown.h: knowledge-base articles' Markdown (CommonMark, libcmark; docs/kb.md).
 *
 * okno_markdown_html renders for a web page: CMARK_OPT_SAFE, so raw HTML blocks and
 * inline HTML are left out (an HTML comment stands in) and javascript:, vbscript:,
 * file: and data: links (but images' data:image/png|gif|jpeg|webp) become empty;
 * invalid UTF-8 is replaced by U+FFFD. The result is HTML to put into a page as it is.
 *
 * okno_markdown_plain gives the text a citizen would read, without markup: paragraphs,
 * headings and list items each end with a newline (items start with «— »), a link's
 * address follows its text in parentheses (http, https and mailto only), code keeps its
 * text. It is what search indexes and what an operator inserts into a letter. Both
 * accept any bytes. */
#pragma once
#include <glib.h>

char *okno_markdown_html(const char *md);
char *okno_markdown_plain(const char *md);
