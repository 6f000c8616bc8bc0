/* test_tg_update.c: the Telegram Update parser (src/intake/tg_update.h) and a chat's
 * contact address (src/appeal/tg_contact.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "appeal/tg_contact.h"
#include "core/error.h"
#include "intake/tg_update.h"

static gboolean parse(const char *json, OknoTgUpdate *u, GError **e)
{
  memset(u, 0, sizeof *u);
  return okno_tg_update_parse(json, strlen(json), u, e);
}

static void test_a_message_gives_chat_name_and_text(void **state)
{
  (void)state;
  g_auto(OknoTgUpdate) u = {0};
  assert_true(parse("{\"update_id\":7,\"message\":{\"message_id\":3,\"date\":1764979200,"
                    "\"chat\":{\"id\":-1001234567890,\"type\":\"group\"},"
                    "\"from\":{\"first_name\":\"Иван\",\"last_name\":\"Петров\"},"
                    "\"text\":\"Не могу войти\\u0007 в кабинет\"}}", &u, NULL));
  assert_true(u.has_message);
  assert_int_equal(u.update_id, 7);
  assert_int_equal(u.chat_id, G_GINT64_CONSTANT(-1001234567890));
  assert_int_equal(u.message_id, 3);
  assert_string_equal(u.name, "Иван Петров");
  assert_string_equal(u.text, "Не могу войти в кабинет"); /* the bell is dropped */
  assert_string_equal(u.chat_type, "group");
  assert_null(u.status_arg);
  assert_false(u.start);
}

static void test_commands_and_files(void **state)
{
  (void)state;
  g_auto(OknoTgUpdate) a = {0};
  g_auto(OknoTgUpdate) b = {0};
  g_auto(OknoTgUpdate) c = {0};
  g_auto(OknoTgUpdate) d = {0};
  assert_true(parse("{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{\"id\":5},"
                    "\"text\":\"/status@okno_bot  26-000001-5 \"}}", &a, NULL));
  assert_string_equal(a.status_arg, "26-000001-5");
  assert_true(parse("{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{\"id\":5},"
                    "\"text\":\"/start\"}}", &b, NULL));
  assert_true(b.start);
  assert_true(parse("{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{\"id\":5},"
                    "\"text\":\"/statusfoo\"}}", &c, NULL));
  assert_null(c.status_arg); /* not the command */
  {
    g_auto(OknoTgUpdate) l = {0};
    g_auto(OknoTgUpdate) m = {0};
    assert_true(parse("{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{\"id\":5},"
                      "\"text\":\"/link@okno_bot\"}}", &l, NULL));
    assert_true(l.link);
    assert_true(parse("{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{\"id\":5},"
                      "\"text\":\"/linked\"}}", &m, NULL));
    assert_false(m.link); /* not the command */
  }
  assert_true(parse("{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{\"id\":5},"
                    "\"from\":{\"username\":\"ivan\"},\"caption\":\"скан\","
                    "\"document\":{},\"photo\":[]}}", &d, NULL));
  assert_string_equal(d.text, "скан");
  assert_string_equal(d.name, "@ivan");
  assert_int_equal(d.files, 2);
  assert_null(d.file_id); /* neither has a file_id */
}

static void test_the_file_to_fetch(void **state)
{
  (void)state;
  g_auto(OknoTgUpdate) doc = {0};
  g_auto(OknoTgUpdate) photo = {0};
  g_auto(OknoTgUpdate) bad = {0};
  assert_true(parse("{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{\"id\":5},"
                    "\"document\":{\"file_id\":\"BQAC-x_1\",\"file_name\":\"../a/b.pdf\"}}}",
                    &doc, NULL));
  assert_string_equal(doc.file_id, "BQAC-x_1");
  assert_string_equal(doc.file_name, ".._a_b.pdf"); /* no path in a name */
  assert_true(parse("{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{\"id\":5},"
                    "\"photo\":[{\"file_id\":\"small\"},{\"file_id\":\"large\"}]}}",
                    &photo, NULL));
  assert_string_equal(photo.file_id, "large");
  assert_string_equal(photo.file_name, "photo.jpg");
  assert_true(parse("{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{\"id\":5},"
                    "\"document\":{\"file_id\":\"a/../b?c\"}}}", &bad, NULL));
  assert_null(bad.file_id); /* only URL-safe characters go into the getFile URL */
  assert_int_equal(bad.files, 1);
}

static void test_other_updates_and_bad_input(void **state)
{
  (void)state;
  static const char *const bad[] = {
    "", "[]", "{\"update_id\":\"1\"}", "{\"update_id\":1.5}",
    "{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{\"id\":\"5\"}}}",
    "{\"update_id\":1,\"message\":{\"chat\":{\"id\":5}}}",
  };
  g_auto(OknoTgUpdate) u = {0};
  assert_true(parse("{\"update_id\":9,\"edited_message\":{\"chat\":{\"id\":1}}}", &u, NULL));
  assert_false(u.has_message);
  assert_null(u.text);
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) e = NULL;
    OknoTgUpdate v;
    assert_false(parse(bad[i], &v, &e));
    assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_USER));
    assert_false(v.has_message);
    assert_null(v.text);
  }
}

static void test_chat_contact_address_round_trip(void **state)
{
  (void)state;
  static const char *const not_ours[] = {
    NULL, "", "ivan@example.ru", "tg.@telegram.invalid", "tg.-@telegram.invalid",
    "tg.12a@telegram.invalid", "tg.12@telegram.invalid.example", "tg.1@telegram",
    "tg.99999999999999999999@telegram.invalid",
  };
  g_autofree char *a = okno_tg_contact(G_GINT64_CONSTANT(-1001234567890));
  gint64 id = 0;
  assert_string_equal(a, "tg.-1001234567890@telegram.invalid");
  assert_true(okno_tg_contact_chat(a, &id));
  assert_int_equal(id, G_GINT64_CONSTANT(-1001234567890));
  assert_true(okno_tg_contact_chat("TG.42@Telegram.Invalid", &id));
  assert_int_equal(id, 42);
  for (guint i = 0; i < G_N_ELEMENTS(not_ours); i++)
    assert_false(okno_tg_contact_chat(not_ours[i], &id));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_a_message_gives_chat_name_and_text),
    cmocka_unit_test(test_commands_and_files),
    cmocka_unit_test(test_the_file_to_fetch),
    cmocka_unit_test(test_other_updates_and_bad_input),
    cmocka_unit_test(test_chat_contact_address_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
