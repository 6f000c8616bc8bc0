/* fuzz_kb.c: fuzz driver for the knowledge base's text handling (text/markdown.h,
 * text/docindex.h): any bytes as an article's Markdown and as a query.
 *
 * The Markdown rendered for a page must be valid UTF-8 and never hold raw HTML from
 * the input (no "<script", no "javascript:" link); the plain text must be valid UTF-8.
 * The input indexed as a document and searched for itself must find itself whenever
 * it has an indexable word (the title holds it, so min_terms 1 is met). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "text/docindex.h"
#include "text/markdown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_term(const OknoTerm *t, void *user)
{
  (void)t;
  (*(guint *)user)++;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static OknoStemmer *stemmer;
  g_autofree char *text = g_strndup((const char *)data, size); /* up to the first NUL */
  g_autofree char *html = NULL, *plain = NULL, *lower = NULL;
  g_autoptr(OknoDocIndex) x = okno_doc_index_new();
  g_autoptr(GArray) hits = NULL;
  guint terms = 0;

  if (!stemmer)
    stemmer = okno_stemmer_new();
  html = okno_markdown_html(text);
  plain = okno_markdown_plain(text);
  if (!g_utf8_validate(html, -1, NULL) || !g_utf8_validate(plain, -1, NULL))
    abort();
  lower = g_ascii_strdown(html, -1);
  if (strstr(lower, "<script") || strstr(lower, "href=\"javascript:"))
    abort();
  okno_doc_index_add(x, stemmer, 7, text, NULL, plain);
  hits = okno_doc_index_search(x, stemmer, text, 3, 1);
  okno_text_scan(stemmer, text, strlen(text), count_term, &terms);
  if (hits->len > 1 || (terms && hits->len != 1) || (!terms && hits->len))
    abort();
  if (hits->len && g_array_index(hits, OknoDocHit, 0).id != 7)
    abort();
  return 0;
}
