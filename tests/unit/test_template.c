/* test_template.c: the rules of okno's template engine (src/web/template.h) beyond the
 * mustache spec cases (test_mustache_spec.c runs those): escaping of the apostrophe,
 * the value formatting and falsy values okno chose, precise syntax errors with the
 * template's name and line, every cap (nesting, partial recursion, render work,
 * output size), nested partial indentation, and compile-once-render-many. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/error.h"
#include "web/template.h"

/* Renders `text` against the JSON `data` with `partials`; returns the output or NULL
 * with *error set. */
static char *render(const char *text, const char *data, OknoTemplatePartials *partials,
                    GError **error)
{
  g_autoptr(JsonNode) ctx = data ? json_from_string(data, NULL) : NULL;
  if (data)
    assert_non_null(ctx);
  g_autoptr(OknoTemplate) t = okno_template_compile(text, strlen(text), "page", error);
  if (!t)
    return NULL;
  return okno_template_render(t, ctx, partials, error);
}

static void assert_renders(const char *text, const char *data, const char *expected)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *out = render(text, data, NULL, &err);
  if (!out)
    fail_msg("%s: %s", text, err->message);
  assert_string_equal(out, expected);
}

static void assert_compile_error(const char *text, const char *message)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoTemplate) t = okno_template_compile(text, strlen(text), "page", &err);
  assert_null(t);
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
  assert_string_equal(err->message, message);
}

static void escaped_tags_escape_all_five_html_specials_raw_tags_none(void **state)
{
  (void)state;
  const char *data = "{\"x\": \"<a href='u' title=\\\"t\\\">&</a>\"}";
  assert_renders("{{x}}", data, "&lt;a href=&#39;u&#39; title=&quot;t&quot;&gt;&amp;&lt;/a&gt;");
  assert_renders("{{{x}}}", data, "<a href='u' title=\"t\">&</a>");
  assert_renders("{{& x }}", data, "<a href='u' title=\"t\">&</a>");
  /* escaped output is not re-read as a template */
  assert_renders("{{x}}", "{\"x\": \"{{x}}\"}", "{{x}}");
}

static void values_render_as_written_and_containers_as_nothing(void **state)
{
  (void)state;
  assert_renders("{{a}}|{{b}}|{{c}}|{{d}}|{{e}}|{{f}}|{{g}}|{{h}}",
                 "{\"a\": -3, \"b\": 0.1, \"c\": 2.5, \"d\": true, \"e\": false, \"f\": null,"
                 " \"g\": [1], \"h\": {\"k\": 1}}",
                 "-3|0.1|2.5|true|false|||");
  assert_renders("{{n}}", "{\"n\": 1e21}", "1e+21");
  assert_renders("{{n}}", "{\"n\": 1234567890123}", "1234567890123");
}

static void empty_string_null_false_and_empty_list_are_falsy_zero_is_not(void **state)
{
  (void)state;
  const char *t = "{{#v}}yes{{/v}}{{^v}}no{{/v}}";
  assert_renders(t, "{\"v\": \"\"}", "no");
  assert_renders(t, "{\"v\": null}", "no");
  assert_renders(t, "{\"v\": false}", "no");
  assert_renders(t, "{\"v\": []}", "no");
  assert_renders(t, "{}", "no");
  assert_renders(t, "{\"v\": 0}", "yes");
  assert_renders(t, "{\"v\": \"x\"}", "yes");
  assert_renders(t, "{\"v\": {}}", "yes");
}

static void sections_push_context_and_names_fall_back_to_outer_contexts(void **state)
{
  (void)state;
  assert_renders("{{#appeals}}{{number}} {{status}} {{org}};{{/appeals}}",
                 "{\"org\": \"ГИС\", \"appeals\": [{\"number\": \"А-1\", \"status\": \"new\"},"
                 " {\"number\": \"А-2\", \"status\": \"closed\", \"org\": \"own\"}]}",
                 "А-1 new ГИС;А-2 closed own;");
}

static void a_null_context_renders_every_name_empty(void **state)
{
  (void)state;
  assert_renders("[{{x}}{{#x}}s{{/x}}{{^x}}i{{/x}}{{.}}]", NULL, "[i]");
}

static void syntax_errors_name_the_template_and_line(void **state)
{
  (void)state;
  assert_compile_error("a\n{{#list}}\nb\n", "page:2: section {{#list}} is never closed");
  assert_compile_error("a\n{{^x}}\n{{#y}}\n{{/x}}\n",
                       "page:4: {{/x}} does not match the open section {{#y}} of line 3");
  assert_compile_error("{{^x}}{{/y}}", "page:1: {{/y}} does not match the open section {{^x}} of line 1");
  assert_compile_error("\n\n{{/x}}", "page:3: {{/x}} closes no open section");
  assert_compile_error("a\nb {{name\n c", "page:2: unclosed tag: no \"}}\" after \"{{\"");
  assert_compile_error("{{{name}}", "page:1: unclosed tag: no \"}}}\" after \"{{\"");
  assert_compile_error("x\n{{ }}", "page:2: empty tag name");
  const char *bad_delim = "page:1: bad delimiter change: want {{=open close=}}, two non-empty "
                          "delimiters of at most 16 bytes without spaces or '='";
  assert_compile_error("{{=<%=}}", bad_delim);
  assert_compile_error("{{=<% %> x=}}", bad_delim);
  assert_compile_error("{{=a=b c=}}", bad_delim);
  assert_compile_error("{{=<<<<<<<<<<<<<<<<< >>=}}", bad_delim);
  /* after a change, only the new delimiters open tags */
  assert_renders("{{=<% %>=}}{{x}}<%x%>", "{\"x\": 1}", "{{x}}1");
}

static void sections_nest_up_to_the_cap_and_no_deeper(void **state)
{
  (void)state;
  GString *ok = g_string_new(NULL);
  for (int i = 0; i < OKNO_TEMPLATE_MAX_NESTING; i++)
    g_string_append(ok, "{{#a}}");
  g_string_append(ok, "x");
  for (int i = 0; i < OKNO_TEMPLATE_MAX_NESTING; i++)
    g_string_append(ok, "{{/a}}");
  assert_renders(ok->str, "{\"a\": true}", "x");
  g_autofree char *deep = g_strconcat("{{#a}}", ok->str, "{{/a}}", NULL);
  g_string_free(ok, TRUE);
  assert_compile_error(deep, "page:1: sections nested deeper than 64");
}

static void a_partial_including_itself_stops_at_the_depth_cap(void **state)
{
  (void)state;
  g_autoptr(OknoTemplatePartials) p = okno_template_partials_new();
  const char *self = "x\n{{>self}}";
  assert_true(okno_template_partials_add(p, "self", self, strlen(self), NULL));
  g_autoptr(GError) err = NULL;
  g_autofree char *out = render("{{>self}}", "{}", p, &err);
  assert_null(out);
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
  assert_string_equal(err->message,
                      "self:2: {{>self}}: partials nested deeper than 32 (does it include itself?)");
}

static void render_work_is_capped(void **state)
{
  (void)state;
  /* 1000 x 1000 iterations visit 1,001,001 nodes: one more than the cap allows */
  GString *data = g_string_new("{\"l\": [0");
  for (int i = 1; i < 1000; i++)
    g_string_append(data, ",0");
  g_string_append(data, "]}");
  g_autoptr(GError) err = NULL;
  g_autofree char *out = render("\n{{#l}}{{#l}}{{.}}{{/l}}{{/l}}", data->str, NULL, &err);
  g_string_free(data, TRUE);
  assert_null(out);
  assert_string_equal(err->message,
                      "page:2: render stopped after 1000000 steps (runaway repetition?)");
}

static void output_size_is_capped(void **state)
{
  (void)state;
  g_autofree char *big = g_strnfill(100000, 'a');
  g_autofree char *data = g_strdup_printf("{\"s\": \"%s\", \"l\": [%s]}", big,
                                          "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
                                          "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1");
  g_autoptr(GError) err = NULL;
  /* 50 x 100,000 bytes = 5,000,000 > 4 MiB */
  g_autofree char *out = render("{{#l}}{{s}}{{/l}}", data, NULL, &err);
  assert_null(out);
  assert_string_equal(err->message, "page:1: output over 4194304 bytes");
  /* 40 x 100,000 fits */
  g_autofree char *data40 = g_strdup_printf("{\"s\": \"%s\", \"l\": [%s]}", big,
                                            "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
                                            "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1");
  g_autofree char *ok = render("{{#l}}{{s}}{{/l}}", data40, NULL, NULL);
  assert_non_null(ok);
  assert_int_equal(strlen(ok), 4000000);
}

static void nested_standalone_partials_add_their_indentation(void **state)
{
  (void)state;
  g_autoptr(OknoTemplatePartials) p = okno_template_partials_new();
  const char *a = "A\n {{>b}}\nA2\n", *b = "B1\n{{#x}}\n{{x}}\n{{/x}}\n";
  assert_true(okno_template_partials_add(p, "a", a, strlen(a), NULL));
  assert_true(okno_template_partials_add(p, "b", b, strlen(b), NULL));
  g_autofree char *out = render("<ul>\n  {{>a}}\n</ul>\n", "{\"x\": \"1\\n2\"}", p, NULL);
  /* interpolated text is not indented, only template lines are */
  assert_string_equal(out, "<ul>\n  A\n   B1\n   1\n2\n  A2\n</ul>\n");
  /* an inline partial is not indented */
  g_autofree char *inline_out = render("- {{>b}}", "{}", p, NULL);
  assert_string_equal(inline_out, "- B1\n");
}

static void partials_missing_render_empty_and_a_broken_one_is_refused(void **state)
{
  (void)state;
  g_autoptr(OknoTemplatePartials) p = okno_template_partials_new();
  assert_true(okno_template_partials_add(p, "head", "H", 1, NULL));
  g_autoptr(GError) err = NULL;
  assert_false(okno_template_partials_add(p, "head", "{{#x}}", 6, &err));
  assert_string_equal(err->message, "head:1: section {{#x}} is never closed");
  /* the set is unchanged: the old "head" still renders */
  g_autofree char *out = render("[{{>head}}|{{>nope}}]", "{}", p, NULL);
  assert_string_equal(out, "[H|]");
  assert_string_equal(okno_template_name(okno_template_partials_lookup(p, "head")), "head");
  assert_null(okno_template_partials_lookup(p, "nope"));
}

static void one_compiled_template_renders_many_contexts(void **state)
{
  (void)state;
  const char *text = "Здравствуйте, {{name}}! {{#n}}№ {{n}}{{/n}}";
  g_autoptr(OknoTemplate) t = okno_template_compile(text, strlen(text), "mail", NULL);
  assert_non_null(t);
  g_autoptr(JsonNode) a = json_from_string("{\"name\": \"Анна\", \"n\": \"А-7\"}", NULL);
  g_autoptr(JsonNode) b = json_from_string("{\"name\": \"<Борис>\"}", NULL);
  g_autofree char *ra = okno_template_render(t, a, NULL, NULL);
  g_autofree char *rb = okno_template_render(t, b, NULL, NULL);
  g_autofree char *ra2 = okno_template_render(t, a, NULL, NULL);
  assert_string_equal(ra, "Здравствуйте, Анна! № А-7");
  assert_string_equal(rb, "Здравствуйте, &lt;Борис&gt;! ");
  assert_string_equal(ra2, ra);
}

static void nul_bytes_and_oversized_sources(void **state)
{
  (void)state;
  g_autoptr(OknoTemplate) t = okno_template_compile("a\0{{x}}", 7, "bin", NULL);
  assert_non_null(t);
  g_autoptr(JsonNode) ctx = json_from_string("{\"x\": \"b\"}", NULL);
  g_autofree char *out = okno_template_render(t, ctx, NULL, NULL);
  assert_int_equal(out[0], 'a');
  assert_int_equal(out[1], '\0');
  assert_string_equal(out + 2, "b");
  g_autoptr(GError) err = NULL;
  g_autofree char *huge = g_strnfill(OKNO_TEMPLATE_MAX_SOURCE + 1, ' ');
  assert_null(okno_template_compile(huge, OKNO_TEMPLATE_MAX_SOURCE + 1, "huge", &err));
  assert_string_equal(err->message, "huge:1: template of 1048577 bytes, more than the 1048576 allowed");
}

/* Found by fuzzing: a tag whose name starts with a NUL byte named no member, and every
 * lookup of it was a json-glib critical; under nested sections that was 28 s of logging.
 * Criticals are fatal here, so the old behaviour fails this test. */
static void a_name_that_is_only_a_nul_byte_names_nothing(void **state)
{
  (void)state;
  GLogLevelFlags old = g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
  g_autoptr(OknoTemplate) t = okno_template_compile("[{{\0x}}]", 8, "nul", NULL);
  assert_non_null(t);
  g_autoptr(JsonNode) ctx = json_from_string("{\"x\": \"b\"}", NULL);
  g_autofree char *out = okno_template_render(t, ctx, NULL, NULL);
  assert_non_null(out);
  assert_string_equal(out, "[]");
  g_log_set_always_fatal(old);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(escaped_tags_escape_all_five_html_specials_raw_tags_none),
    cmocka_unit_test(values_render_as_written_and_containers_as_nothing),
    cmocka_unit_test(empty_string_null_false_and_empty_list_are_falsy_zero_is_not),
    cmocka_unit_test(sections_push_context_and_names_fall_back_to_outer_contexts),
    cmocka_unit_test(a_null_context_renders_every_name_empty),
    cmocka_unit_test(syntax_errors_name_the_template_and_line),
    cmocka_unit_test(sections_nest_up_to_the_cap_and_no_deeper),
    cmocka_unit_test(a_partial_including_itself_stops_at_the_depth_cap),
    cmocka_unit_test(render_work_is_capped),
    cmocka_unit_test(output_size_is_capped),
    cmocka_unit_test(nested_standalone_partials_add_their_indentation),
    cmocka_unit_test(partials_missing_render_empty_and_a_broken_one_is_refused),
    cmocka_unit_test(one_compiled_template_renders_many_contexts),
    cmocka_unit_test(nul_bytes_and_oversized_sources),
    cmocka_unit_test(a_name_that_is_only_a_nul_byte_names_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
