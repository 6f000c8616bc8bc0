/* test_kb.c: the knowledge base's text layer (text/docindex.h, text/markdown.h):
 * ranking by shared Russian stems in other word forms, title over body, the min_terms
 * rule, ties in the order of addition; Markdown rendered without raw HTML or
 * javascript: links, and to plain text as a letter would hold it. The store and the
 * web are in tests/it/test_kb.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "text/docindex.h"
#include "text/markdown.h"

static GArray *search(OknoDocIndex *x, OknoStemmer *s, const char *q, guint min_terms)
{
  return okno_doc_index_search(x, s, q, 10, min_terms);
}

static void test_ranks_by_stems_title_first_and_needs_min_terms(void **state)
{
  g_autoptr(OknoStemmer) s = okno_stemmer_new();
  g_autoptr(OknoDocIndex) x = okno_doc_index_new();
  g_autoptr(GArray) h = NULL;
  (void)state;
  okno_doc_index_add(x, s, 1, "Оплата госпошлины", "платежи", "Как оплатить пошлину картой.");
  okno_doc_index_add(x, s, 2, "Вход на портал", "вход",
                     "Если не приходит код из СМС, проверьте номер телефона.");
  okno_doc_index_add(x, s, 3, "Не приходит код из СМС", "смс, код", "Запросите код ещё раз.");
  okno_doc_index_add(x, s, 4, NULL, NULL, NULL);
  assert_int_equal(okno_doc_index_size(x), 4);
  /* other forms: «приходят», «кода», «смс» */
  h = search(x, s, "Мне не приходят кода по СМС", 2);
  assert_int_equal(h->len, 2);
  assert_int_equal(g_array_index(h, OknoDocHit, 0).id, 3); /* the title weighs more */
  assert_int_equal(g_array_index(h, OknoDocHit, 1).id, 2);
  assert_true(g_array_index(h, OknoDocHit, 0).score > g_array_index(h, OknoDocHit, 1).score);
  g_array_unref(g_steal_pointer(&h));
  /* one shared word is not enough with min_terms 2, is with 1 */
  h = search(x, s, "код и паспорт", 2);
  assert_int_equal(h->len, 0);
  g_array_unref(g_steal_pointer(&h));
  h = search(x, s, "код и паспорт", 1);
  assert_int_equal(h->len, 2);
  g_array_unref(g_steal_pointer(&h));
  /* a query of one word asks for one (min_terms is capped at the query's words) */
  h = search(x, s, "пошлины", 2);
  assert_int_equal(h->len, 1);
  assert_int_equal(g_array_index(h, OknoDocHit, 0).id, 1);
  g_array_unref(g_steal_pointer(&h));
  /* no words, stop words only, or nothing in common: none */
  static const char *const none[] = {"", "и в на", "!!! ???", "загранпаспорт"};
  for (guint i = 0; i < G_N_ELEMENTS(none); i++) {
    h = search(x, s, none[i], 1);
    assert_int_equal(h->len, 0);
    g_array_unref(g_steal_pointer(&h));
  }
  h = okno_doc_index_search(x, s, "код смс", 1, 1);
  assert_int_equal(h->len, 1); /* max */
}

static void test_ties_keep_the_order_of_addition(void **state)
{
  g_autoptr(OknoStemmer) s = okno_stemmer_new();
  g_autoptr(OknoDocIndex) x = okno_doc_index_new();
  g_autoptr(GArray) h = NULL;
  (void)state;
  for (gint64 i = 10; i < 15; i++)
    okno_doc_index_add(x, s, i, "Справка о доходах", NULL, NULL);
  h = search(x, s, "справку о доходах", 2);
  assert_int_equal(h->len, 5);
  for (guint i = 0; i < 5; i++)
    assert_int_equal(g_array_index(h, OknoDocHit, i).id, 10 + i);
}

static void test_markdown_is_safe_html_and_plain_text(void **state)
{
  const char *md = "# Код не приходит\n\nПроверьте **номер** в [профиле](https://p.example/me).\n\n"
                   "<script>alert(1)</script>\n\n[плохая](javascript:alert(1))\n\n"
                   "- один\n- два\n\n```\nкод <b>x</b>\n```\n";
  g_autofree char *html = okno_markdown_html(md);
  g_autofree char *plain = okno_markdown_plain(md);
  g_autofree char *bad = okno_markdown_html("\xff\xfe<i>x</i> \xd0");
  (void)state;
  assert_non_null(strstr(html, "<h1>Код не приходит</h1>"));
  assert_non_null(strstr(html, "<strong>номер</strong>"));
  assert_non_null(strstr(html, "<a href=\"https://p.example/me\">профиле</a>"));
  assert_null(strstr(html, "<script"));
  assert_null(strstr(html, "javascript:"));
  assert_non_null(strstr(html, "<pre><code>код &lt;b&gt;x&lt;/b&gt;"));
  assert_string_equal(plain, "Код не приходит\n\nПроверьте номер в профиле (https://p.example/me).\n\n"
                             "плохая\n\n— один\n— два\n\nкод <b>x</b>");
  assert_true(g_utf8_validate(bad, -1, NULL));
  assert_null(strstr(bad, "<i>"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ranks_by_stems_title_first_and_needs_min_terms),
    cmocka_unit_test(test_ties_keep_the_order_of_addition),
    cmocka_unit_test(test_markdown_is_safe_html_and_plain_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
