/* test_html2text.c: the specification of html2text.h - what an HTML-only letter
 * becomes as text. Expected outputs are written out by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "mail/html2text.h"

static void check(const char *html, const char *want)
{
  g_autofree char *got = okno_html_to_text(html, strlen(html));
  assert_string_equal(got, want);
}

static void script_style_head_and_comments_are_dropped(void **state)
{
  check("<html><head><title>T</title><style>p{color:red}</style></head>"
        "<body><script type=\"text/javascript\">alert('x<b>')</script>"
        "<!-- hidden -->Видно<noscript>нет</noscript><template><p>t</p></template></body></html>",
        "Видно");
  check("a<SCRIPT>var s = '</p>';</SCRIPT>b", "ab");
}

static void character_references_are_decoded(void **state)
{
  check("&amp; &lt;b&gt; &quot;q&quot; &#1055;&#x440;&#X438; &laquo;x&raquo; a&nbsp;b",
        "& <b> \"q\" При «x» a b");
  check("AT&T &unknown; &#; &#xZZ;", "AT&T &unknown; &#; &#xZZ;");
  check("&#0; &#x110000; &#xD800;", "\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD");
}

static void links_show_their_target_when_the_text_differs(void **state)
{
  check("<a href=\"https://x.example/a?b=1&amp;c=2\">сайт</a>", "сайт (https://x.example/a?b=1&c=2)");
  check("<a href='https://x.example/'>https://x.example/</a>", "https://x.example/");
  check("<a href=\"mailto:help@x.example\">help@x.example</a>", "help@x.example");
  check("<a href=\"javascript:evil()\">click</a>", "click");
  check("<a name=\"top\">anchor</a>", "anchor");
}

static void lists_paragraphs_and_breaks_become_lines(void **state)
{
  check("<ul><li>один<li>два</ul>после", "- один\n- два\nпосле");
  check("<p>a</p><p></p><p></p><p>b</p>", "a\n\nb");
  check("line1<br>line2<br/><br /><br>line3", "line1\nline2\n\nline3");
  check("<h1>Title</h1><div>body</div>", "Title\nbody");
  check("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc");
}

static void whitespace_is_collapsed_and_trailing_space_removed(void **state)
{
  check("  many    spaces\n\n and\tlines   ", "many spaces and lines");
  check("<pre>keep  this\n  indent</pre>", "keep  this\n  indent");
  check("<p>text   </p>   ", "text");
}

static void malformed_markup_never_fails(void **state)
{
  check("a < b and 3<4 <3", "a < b and 3<4 <3");
  check("text <div class='x", "text");
  check("x<!-- never closed", "x");
  check("<b>bold <i>unclosed", "bold unclosed");
  check("<p title=\"a>b\">quoted</p>", "quoted");
  check("<p title=\"never closed>rest", "rest");
  check("", "");
}

static void no_markup_survives(void **state)
{
  const char *inputs[] = {
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>x</script>",
    "<img src=x onerror=alert(1)//",
    "<a href=\"<script>\">t</a>",
    "<!DOCTYPE html><?xml x?><svg><![CDATA[x]]></svg>",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(inputs); i++) {
    g_autofree char *got = okno_html_to_text(inputs[i], strlen(inputs[i]));
    for (const char *p = strchr(got, '<'); p; p = strchr(p + 1, '<'))
      assert_false(g_ascii_isalpha(p[1]) || p[1] == '/' || p[1] == '!' || p[1] == '?');
  }
}

static void invalid_utf8_is_repaired(void **state)
{
  check("ok \xFF done", "ok \xEF\xBF\xBD done");
  check("<img alt=\"фото\" src=x>", "фото");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(script_style_head_and_comments_are_dropped),
    cmocka_unit_test(character_references_are_decoded),
    cmocka_unit_test(links_show_their_target_when_the_text_differs),
    cmocka_unit_test(lists_paragraphs_and_breaks_become_lines),
    cmocka_unit_test(whitespace_is_collapsed_and_trailing_space_removed),
    cmocka_unit_test(malformed_markup_never_fails),
    cmocka_unit_test(no_markup_survives),
    cmocka_unit_test(invalid_utf8_is_repaired),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
