/* test_mustache_spec.c: runs every case of the official mustache spec files shipped in
 * tests/data/mustache/ (interpolation, sections, inverted, comments, partials,
 * delimiters; see SOURCE.md there) through web/template.h and compares the output byte
 * for byte with the case's "expected". Each file is one cmocka test that lists every
 * failing case (name, template, expected, got) and fails if there is any; at the end the
 * total "N/M spec cases pass" is printed. No case is skipped: lambdas live in the
 * optional ~lambdas file, which is not shipped because the engine does not support them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "web/template.h"

static guint total_cases, total_passed;

/* Runs one case; on a mismatch or error prints why and returns FALSE. */
static gboolean run_case(const char *file, JsonObject *tc)
{
  const char *name = json_object_get_string_member(tc, "name");
  const char *text = json_object_get_string_member(tc, "template");
  const char *expected = json_object_get_string_member(tc, "expected");
  JsonNode *data = json_object_get_member(tc, "data");
  g_autoptr(OknoTemplatePartials) partials = okno_template_partials_new();
  g_autoptr(GError) err = NULL;

  if (json_object_has_member(tc, "partials")) {
    JsonObject *po = json_object_get_object_member(tc, "partials");
    g_autoptr(GList) names = json_object_get_members(po);
    for (GList *l = names; l; l = l->next) {
      const char *ptext = json_object_get_string_member(po, l->data);
      if (!okno_template_partials_add(partials, l->data, ptext, strlen(ptext), &err)) {
        printf("FAIL %s / %s: partial %s: %s\n", file, name, (char *)l->data, err->message);
        return FALSE;
      }
    }
  }
  g_autoptr(OknoTemplate) t = okno_template_compile(text, strlen(text), name, &err);
  g_autofree char *got = t ? okno_template_render(t, data, partials, &err) : NULL;
  if (!got) {
    printf("FAIL %s / %s: %s\n", file, name, err->message);
    return FALSE;
  }
  if (g_strcmp0(got, expected) != 0) {
    g_autofree char *et = g_strescape(text, NULL);
    g_autofree char *ee = g_strescape(expected, NULL);
    g_autofree char *eg = g_strescape(got, NULL);
    printf("FAIL %s / %s\n  template: \"%s\"\n  expected: \"%s\"\n  got:      \"%s\"\n", file,
           name, et, ee, eg);
    return FALSE;
  }
  return TRUE;
}

static void run_spec_file(void **state)
{
  const char *file = *state;
  const char *root = g_getenv("OKNO_SOURCE_DIR");
  g_autofree char *path =
    g_build_filename(root ? root : ".", "tests", "data", "mustache", file, NULL);
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) err = NULL;
  if (!json_parser_load_from_file(parser, path, &err))
    fail_msg("cannot read %s: %s", path, err->message);
  JsonArray *cases = json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)),
                                                  "tests");
  guint n = json_array_get_length(cases), passed = 0;
  for (guint i = 0; i < n; i++)
    passed += run_case(file, json_array_get_object_element(cases, i));
  printf("%s: %u/%u spec cases pass\n", file, passed, n);
  total_cases += n;
  total_passed += passed;
  assert_true(n > 0);
  assert_int_equal(passed, n);
}

int main(void)
{
  static const char *files[] = {
    "interpolation.json", "sections.json", "inverted.json",
    "comments.json", "partials.json", "delimiters.json",
  };
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_prestate(run_spec_file, (void *)files[0]),
    cmocka_unit_test_prestate(run_spec_file, (void *)files[1]),
    cmocka_unit_test_prestate(run_spec_file, (void *)files[2]),
    cmocka_unit_test_prestate(run_spec_file, (void *)files[3]),
    cmocka_unit_test_prestate(run_spec_file, (void *)files[4]),
    cmocka_unit_test_prestate(run_spec_file, (void *)files[5]),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  printf("mustache spec: %u/%u spec cases pass (0 skipped)\n", total_passed, total_cases);
  return failed || total_passed != total_cases || total_cases == 0;
}
