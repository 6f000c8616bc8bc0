/* html2text.h: HTML (UTF-8) to readable plain text, for HTML-only mail and forms.
 *
 * Tags are removed; the content of script, style, head, template, noscript and
 * comments is dropped entirely; block elements (p, div, br, li, tr, h1..h6,
 * blockquote) become line breaks, li gets "- ", a link with text differing from its
 * href becomes "text (href)"; character references (named common ones, &#N;, &#xN;)
 * are decoded; runs of blank lines collapse to one; the result has LF line ends and
 * no trailing spaces. Malformed HTML (unclosed tags, stray '<') never fails: what
 * cannot be read as markup is kept as text (a tag that never ends is dropped with
 * the rest; NUL bytes are dropped; invalid UTF-8 becomes U+FFFD). Output never
 * contains '<' followed by a letter, '/', '!' or '?' unless a character reference
 * (&lt;) wrote it. Pure, thread-safe; the caller frees the result. */
#pragma once
#include <glib.h>

char *okno_html_to_text(const char *html, gsize len);
