/* test_chat.c: the web chat's pure parts: the bot's answers file (text/answers.h) and
 * the WebSocket messages (web/chat_proto.h): what is accepted, what is refused with
 * which Russian sentence, and which answer a question finds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <glib.h>

#include "text/answers.h"
#include "web/chat_proto.h"

static const char FILE_TEXT[] =
    "# ответы\n"
    "\n"
    "паспорт, загранпаспорт = Паспорт — в МФЦ.\\nСрок 30 дней.\n"
    "пенсия = Пенсию назначает СФР.\n"
    "паспорт, пенсия, справка = Справку о пенсии выдаёт СФР.\n"
    "ёлка = Праздник.\n";

static OknoAnswers *load(void)
{
  g_autoptr(GError) err = NULL;
  OknoAnswers *a = okno_answers_parse(FILE_TEXT, strlen(FILE_TEXT), &err);
  assert_null(err);
  assert_non_null(a);
  return a;
}

static void answers_match_word_starts_case_and_yo(void **state)
{
  g_autoptr(OknoAnswers) a = load();
  assert_int_equal(okno_answers_count(a), 4);
  assert_string_equal(okno_answers_find(a, "Где получить ПАСПОРТА?"), "Паспорт — в МФЦ.\nСрок 30 дней.");
  assert_string_equal(okno_answers_find(a, "Когда пенсия?"), "Пенсию назначает СФР.");
  /* most keywords wins */
  assert_string_equal(okno_answers_find(a, "справка о пенсии для паспорта"), "Справку о пенсии выдаёт СФР.");
  /* ё = е both ways */
  assert_string_equal(okno_answers_find(a, "Елка во дворе"), "Праздник.");
  /* not inside a word, no match at all */
  assert_null(okno_answers_find(a, "суперпаспорт"));
  assert_null(okno_answers_find(a, "как записаться к врачу"));
}

static void answers_errors_name_the_line(void **state)
{
  static const struct {
    const char *text, *message;
  } cases[] = {
      {"а = б\nбез равенства\n", "line 2: no '=' between the keywords and the answer"},
      {" , = ответ", "line 1: no keyword before '='"},
      {"# c\nключ =   \n", "line 2: the answer is empty"},
      {"ключ = \xff\n", "line 1: not UTF-8 text"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(GError) err = NULL;
    assert_null(okno_answers_parse(cases[i].text, strlen(cases[i].text), &err));
    assert_non_null(err);
    assert_string_equal(err->message, cases[i].message);
  }
  {
    g_autoptr(GError) err = NULL;
    g_autoptr(OknoAnswers) empty = okno_answers_parse("", 0, &err);
    assert_non_null(empty);
    assert_int_equal(okno_answers_count(empty), 0);
    assert_null(okno_answers_find(empty, "паспорт"));
  }
}

static gboolean parse(const char *json, gboolean staff, OknoChatCmd *cmd, char **why)
{
  return okno_chat_cmd_parse(json, strlen(json), staff, cmd, why);
}

static void proto_accepts_the_commands_of_each_side(void **state)
{
  OknoChatCmd cmd;
  char *why = NULL;
  assert_true(parse("{\"t\":\"say\",\"text\":\"  Здравствуйте!\\nВопрос  \"}", FALSE, &cmd, &why));
  assert_int_equal(cmd.type, OKNO_CHAT_SAY);
  assert_string_equal(cmd.text, "Здравствуйте!\nВопрос");
  okno_chat_cmd_clear(&cmd);
  assert_true(parse("{\"t\":\"hello\",\"token\":\"00112233445566778899aabbccddeeff"
                    "00112233445566778899aabbccddeeff\",\"since\":42}", FALSE, &cmd, &why));
  assert_int_equal(cmd.since, 42);
  assert_non_null(cmd.token);
  okno_chat_cmd_clear(&cmd);
  assert_true(parse("{\"t\":\"appeal\",\"chat\":7}", TRUE, &cmd, &why));
  assert_int_equal(cmd.type, OKNO_CHAT_APPEAL);
  assert_int_equal(cmd.chat, 7);
  okno_chat_cmd_clear(&cmd);
  assert_null(why);
}

static void proto_refuses_with_a_russian_sentence(void **state)
{
  static const struct {
    const char *json;
    gboolean staff;
    const char *why;
  } cases[] = {
      {"не json", FALSE, "Сообщение не удалось прочитать"},
      {"[1]", FALSE, "Сообщение не удалось прочитать"},
      {"{\"t\":\"take\",\"chat\":1}", FALSE, "Неизвестная команда"},
      {"{\"t\":\"operator\"}", TRUE, "Неизвестная команда"},
      {"{\"t\":\"say\"}", TRUE, "Не указан чат"},
      {"{\"t\":\"say\",\"text\":\"   \"}", FALSE, "Напишите"},
      {"{\"t\":\"say\",\"text\":7}", FALSE, "Сообщение не удалось прочитать"},
      {"{\"t\":\"say\",\"text\":\"a\\u0007b\"}", FALSE, "недопустимые символы"},
      {"{\"t\":\"history\",\"chat\":-3}", TRUE, "Номер чата"},
      {"{\"t\":\"history\",\"chat\":1.5}", TRUE, "Номер чата"},
      {"{\"t\":\"hello\",\"token\":\"ABC\"}", FALSE, "Чат не найден"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    OknoChatCmd cmd;
    g_autofree char *why = NULL;
    assert_false(parse(cases[i].json, cases[i].staff, &cmd, &why));
    assert_non_null(strstr(why, cases[i].why));
    assert_null(cmd.text);
    assert_null(cmd.token);
  }
  {
    /* 4000 characters pass, 4001 do not */
    GString *j = g_string_new("{\"t\":\"say\",\"text\":\"");
    OknoChatCmd cmd;
    g_autofree char *why = NULL;
    for (int i = 0; i < 4000; i++)
      g_string_append(j, "ы");
    g_string_append(j, "\"}");
    assert_true(parse(j->str, FALSE, &cmd, &why));
    okno_chat_cmd_clear(&cmd);
    g_string_insert(j, 19, "ы");
    assert_false(parse(j->str, FALSE, &cmd, &why));
    assert_non_null(strstr(why, "слишком длинное"));
    g_string_free(j, TRUE);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(answers_match_word_starts_case_and_yo),
    cmocka_unit_test(answers_errors_name_the_line),
    cmocka_unit_test(proto_accepts_the_commands_of_each_side),
    cmocka_unit_test(proto_refuses_with_a_russian_sentence),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
