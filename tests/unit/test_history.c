/* test_history.c: the history's sentences (appeal/history.h) and the Russian periods
 * (appeal/sla.h okno_sla_period_parse_ru / _format_ru). Every kind of okno_event_kinds[]
 * is rendered, bare and with a detail holding every key its pattern names, and must give
 * one Russian sentence with no JSON and no unmasked address; tests/check_events.py (test
 * `event_sentences`) makes sure the code records no kind missing from that table.
 * Links only core, text and appeal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "appeal/history.h"
#include "appeal/sla.h"

/* A detail naming every key the patterns use, with awkward values: nested objects and
 * arrays, an address, a period, an instant, statuses and departments. */
static const char *rich =
    "{\"by\":\"ivanova\",\"reason\":\"repeated appeal\",\"from\":\"new\",\"to\":\"passports\","
    "\"status\":\"new\",\"deadline\":\"2026-12-10T18:00:00+03:00\",\"by_period\":\"10 calendar days\","
    "\"channel\":\"email\",\"number\":\"26-000001-1\",\"department\":\"passports\","
    "\"rule\":7,\"value\":\"загранпаспорт\",\"assignee\":\"petrov\",\"type\":\"answer\","
    "\"attempt\":2,\"next_attempt\":\"2026-12-06T10:00:00Z\",\"filename\":\"a.exe\","
    "\"content_type\":\"application/x-msdownload\",\"signature\":\"Eicar\",\"entry\":\"bad.example\","
    "\"from_domain\":\"mail.example\",\"kind\":\"snils\",\"missing\":\"description\","
    "\"verdict\":\"ham\",\"level\":2,\"ground\":\"part 4\",\"text\":\"Позвонить заявителю\","
    "\"into\":\"26-000002-8\",\"messages\":\"2,3\",\"error\":\"timeout\","
    "\"spf\":{\"result\":\"pass\",\"domain\":\"example.ru\"},"
    "\"cc\":[\"boss@example.ru\",\"deputy@example.ru\"],"
    "\"list\":[{\"name\":\"x\",\"mail\":\"citizen@mail.ru\"}]}";

static gboolean has_cyrillic(const char *s)
{
  for (const char *c = s; *c; c = g_utf8_next_char(c))
    if (g_utf8_get_char(c) >= 0x0410 && g_utf8_get_char(c) <= 0x044f)
      return TRUE;
  return FALSE;
}

static void assert_readable(const char *kind, const OknoHistoryLine *l)
{
  size_t n = strlen(l->sentence);
  if (!has_cyrillic(l->sentence) || strchr(l->sentence, '{') || strchr(l->sentence, '"') ||
      strstr(l->sentence, "citizen@") || n == 0 || !strchr(".!?", l->sentence[n - 1]))
    fail_msg("kind %s: not a readable sentence: %s", kind, l->sentence);
  for (guint i = 0; i < l->lines->len; i++) {
    const char *x = l->lines->pdata[i];
    if (strchr(x, '{') || strchr(x, '[') || strstr(x, "boss@") || strstr(x, "citizen@") ||
        !strstr(x, ": "))
      fail_msg("kind %s: detail line not readable: %s", kind, x);
  }
}

static const char *names(const char *code, gpointer data)
{
  (void)data;
  return strcmp(code, "passports") == 0 ? "Паспорта" : NULL;
}

static void test_every_kind_has_a_sentence(void **state)
{
  guint n = 0;
  (void)state;
  for (const char *const *k = okno_event_kinds; *k; k++, n++) {
    g_autoptr(OknoHistoryLine) bare = okno_history_render(*k, NULL, NULL, NULL);
    g_autoptr(OknoHistoryLine) full = okno_history_render(*k, rich, names, NULL);
    g_autoptr(OknoHistoryLine) junk = okno_history_render(*k, "[1,{\"a\":", names, NULL);
    if (!okno_history_known(*k))
      fail_msg("kind %s is listed but has no pattern", *k);
    assert_readable(*k, bare);
    assert_readable(*k, full);
    assert_readable(*k, junk);
    assert_int_equal(bare->lines->len, 0);
    assert_true(full->lines->len > 20);
  }
  assert_true(n >= 50);
  /* an unknown kind still reads as a sentence, and is not "known" */
  {
    g_autoptr(OknoHistoryLine) u = okno_history_render("brand_new", rich, NULL, NULL);
    assert_false(okno_history_known("brand_new"));
    assert_readable("brand_new", u);
  }
}

static void test_sentences(void **state)
{
  static const struct {
    const char *kind, *detail, *want;
  } cases[] = {
    {"routed", "{\"department\":\"passports\",\"queue\":\"department\",\"rule\":3,"
               "\"kind\":\"subject\",\"value\":\"загранпаспорт\"}",
     "Передано в отдел «Паспорта»: правило «загранпаспорт»."},
    {"routed", "{\"department\":\"tax\",\"rule\":null}", "Передано в отдел «tax»."},
    /* the learning router (ops/classify.h): by itself, and unsure (left in triage) */
    {"routed", "{\"department\":\"passports\",\"queue\":\"department\",\"rule\":null,"
               "\"model\":\"department\",\"confidence\":0.914,\"why\":[\"загранпаспорт\",\"срок\"]}",
     "Передано в отдел «Паспорта» автоматически: модель «department» уверена на 91 % (слова: "
     "загранпаспорт, срок)."},
    {"routed", "{\"department\":\"\",\"queue\":\"triage\",\"rule\":null,\"model\":\"department\","
               "\"confidence\":0.31,\"why\":[\"яма\"],\"suggestions\":[{\"department\":\"passports\","
               "\"confidence\":0.31},{\"department\":\"tax\",\"confidence\":0.2}]}",
     "Оставлено в очереди разбора: ни одно правило не подошло; модель «department» не уверена "
     "(31 %), предлагает: «Паспорта» 31 %, «tax» 20 %."},
    {"routed", "{\"department\":\"\",\"queue\":\"triage\",\"rule\":null}",
     "Оставлено в очереди разбора: ни одно правило не подошло."},
    /* the category and SLA-class models (ops/classify_auto.h) and staff's decisions */
    {"category_classified", "{\"model\":\"category\",\"value\":\"дороги\","
                            "\"confidence\":0.874,\"why\":[\"ям\",\"дорог\"]}",
     "Категория «дороги» задана автоматически: модель «category» уверена на 87 % (слова: ям, "
     "дорог)."},
    {"sla_class_classified", "{\"model\":\"sla_class\",\"value\":\"urgent\","
                             "\"confidence\":0.5,\"why\":[]}",
     "Класс срока «срочное» задан автоматически: модель «sla_class» уверена на 50 %."},
    {"category_suggested", "{\"model\":\"category\",\"confidence\":0.3,\"why\":[\"яма\"],"
                           "\"suggestions\":[{\"value\":\"дороги\",\"confidence\":0.3}]}",
     "Категория оставлена сотруднику: модель «category» не уверена (30 %) и предлагает "
     "варианты."},
    {"sla_class_changed", "{\"from\":\"complex\",\"to\":\"simple\",\"by\":\"ivanova\"}",
     "Класс срока изменён с «сложное» на «простое» (ivanova)."},
    {"category_changed", "{\"to\":\"ЖКХ\",\"by\":\"ivanova\"}", "Категория изменена на «ЖКХ» (ivanova)."},
    {"category_confirmed", "{\"value\":\"ЖКХ\",\"by\":\"ivanova\"}",
     "Категория «ЖКХ» подтверждена (ivanova)."},
    {"status_changed", "{\"from\":\"new\",\"to\":\"in_progress\",\"by\":\"ivanova\"}",
     "Статус изменён с «Новое» на «В работе» (ivanova)."},
    {"deadline_extended", "{\"from\":\"x\",\"to\":\"2026-12-10T18:00:00+03:00\","
                          "\"by_period\":\"10 calendar days\",\"reason\":\"запрос в МВД\",\"by\":\"ivanova\"}",
     "Срок продлён на 10 календарных дней до 10.12.2026 18:00 (ivanova): запрос в МВД."},
    {"deadline_extended", "{\"by_period\":\"8 working hours\"}", "Срок продлён на 8 рабочих часов."},
    {"received", "{\"channel\":\"email\",\"session\":\"submit\"}",
     "Обращение получено по каналу «электронная почта»."},
    {"linked", "{\"number\":\"26-000001-1\",\"reason\":\"repeated appeal\"}",
     "Связано с обращением № 26-000001-1: повторное обращение."},
    {"clock_paused", "{\"reason\":\"waiting for the citizen's clarification\"}",
     "Срок приостановлен: ждём уточнения от заявителя."},
    {"note", "{\"by\":\"petrov\",\"text\":\"Перезвонить\"}", "Внутренняя заметка (petrov): Перезвонить."},
  };
  (void)state;
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(OknoHistoryLine) l = okno_history_render(cases[i].kind, cases[i].detail, names, NULL);
    if (strcmp(l->sentence, cases[i].want) != 0)
      fail_msg("%s: got «%s», want «%s»", cases[i].kind, l->sentence, cases[i].want);
  }
}

static void test_details_are_lines_with_addresses_masked(void **state)
{
  g_autoptr(OknoHistoryLine) l = okno_history_render(
      "sla_escalated", "{\"deadline\":\"d\",\"level\":1,\"to\":[\"boss@example.ru\"],\"sent\":1}",
      NULL, NULL);
  gboolean seen = FALSE;
  (void)state;
  for (guint i = 0; i < l->lines->len; i++)
    if (strcmp(l->lines->pdata[i], "Куда: b***@example.ru") == 0)
      seen = TRUE;
  assert_true(seen);
  {
    g_autofree char *m = okno_history_mask("Пишите на ivan@mail.ru, или petr@ya.ru");
    assert_string_equal(m, "Пишите на i***@mail.ru, или p***@ya.ru");
  }
}

static void test_russian_periods(void **state)
{
  static const struct {
    const char *text;
    OknoPeriodUnit unit;
    gint64 amount;
    const char *back;
  } ok[] = {
    {"10 календарных дней", OKNO_PERIOD_CALENDAR_DAYS, 10, "10 календарных дней"},
    {"1 календарный день", OKNO_PERIOD_CALENDAR_DAYS, 1, "1 календарный день"},
    {"8 рабочих часов", OKNO_PERIOD_WORKING_HOURS, 8, "8 рабочих часов"},
    {"  3  Рабочих   ДНЯ ", OKNO_PERIOD_WORKING_DAYS, 3, "3 рабочих дня"},
    {"21 рабочий час", OKNO_PERIOD_WORKING_HOURS, 21, "21 рабочий час"},
    {"5 раб. ч", OKNO_PERIOD_WORKING_HOURS, 5, "5 рабочих часов"},
    {"2 раб. дн.", OKNO_PERIOD_WORKING_DAYS, 2, "2 рабочих дня"},
    {"12 кал. дн.", OKNO_PERIOD_CALENDAR_DAYS, 12, "12 календарных дней"},
    {"24 часа", OKNO_PERIOD_HOURS, 24, "24 часа"},
    {"11 часов", OKNO_PERIOD_HOURS, 11, "11 часов"},
    {"10 calendar days", OKNO_PERIOD_CALENDAR_DAYS, 10, "10 календарных дней"},
    {"8 working hours", OKNO_PERIOD_WORKING_HOURS, 8, "8 рабочих часов"},
  };
  static const char *const bad[] = {
    "", "10", "10 дней", "дней 10", "0 рабочих дней", "100001 рабочих часов",
    "10 календарных часов", "10 рабочих дней дней", "10 parsecs", "-3 рабочих дня",
    "10 рабочих", "1e3 рабочих часов", "10x рабочих часов", "\xff\xfe",
  };
  (void)state;
  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    OknoSlaPeriod p = {0};
    g_autofree char *f = NULL;
    if (!okno_sla_period_parse_ru(ok[i].text, &p))
      fail_msg("«%s» refused", ok[i].text);
    assert_int_equal(p.unit, ok[i].unit);
    assert_int_equal(p.amount, ok[i].amount);
    f = okno_sla_period_format_ru(&p);
    assert_string_equal(f, ok[i].back);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    OknoSlaPeriod p = {0};
    if (okno_sla_period_parse_ru(bad[i], &p))
      fail_msg("«%s» accepted", bad[i]);
  }
  assert_string_equal(okno_ru_plural(11, "a", "b", "c"), "c");
  assert_string_equal(okno_ru_plural(22, "a", "b", "c"), "b");
  assert_string_equal(okno_ru_plural(101, "a", "b", "c"), "a");
}

static void test_time_left_without_a_calendar_and_overdue(void **state)
{
  const gint64 h = (gint64)3600 * G_USEC_PER_SEC, now = (gint64)1790000000 * G_USEC_PER_SEC;
  gint64 hours = 0;
  OknoLeft cls;
  (void)state;
  {
    g_autofree char *t = okno_sla_left(NULL, now, 0, &hours, &cls);
    assert_string_equal(t, "");
    assert_int_equal(cls, OKNO_LEFT_NONE);
  }
  {
    g_autofree char *t = okno_sla_left(NULL, now, now + 30 * h + 5, &hours, &cls);
    assert_string_equal(t, "осталось 30 ч");
    assert_int_equal(cls, OKNO_LEFT_PLENTY);
    assert_int_equal(hours, 30);
  }
  {
    g_autofree char *t = okno_sla_left(NULL, now, now + 23 * h, &hours, &cls);
    assert_string_equal(t, "осталось 23 ч");
    assert_int_equal(cls, OKNO_LEFT_SOON);
  }
  {
    g_autofree char *t = okno_sla_left(NULL, now, now - 2 * h - 10, &hours, &cls);
    assert_string_equal(t, "просрочено на 2 ч");
    assert_int_equal(cls, OKNO_LEFT_OVERDUE);
    assert_int_equal(hours, -2);
  }
  {
    g_autofree char *t = okno_sla_left(NULL, now, now - 10, &hours, &cls);
    assert_string_equal(t, "просрочено менее чем на 1 ч");
  }
}

/* json-glib reads "\\222" in a JSON string as an octal escape, a byte that is not
 * UTF-8: the sentence and the detail lines stay valid UTF-8 (the fuzzer found this). */
static void test_octal_escapes_stay_utf8(void **state)
{
  (void)state;
  g_autoptr(OknoHistoryLine) l =
      okno_history_render("status_changed", "{\"from\":\"a\\222b\",\"x\\222\":[\"c\\222\"]}",
                          NULL, NULL);
  assert_non_null(l->sentence);
  assert_true(g_utf8_validate(l->sentence, -1, NULL));
  assert_non_null(strstr(l->sentence, "a\xef\xbf\xbd"));
  assert_true(l->lines->len >= 2);
  for (guint i = 0; i < l->lines->len; i++)
    assert_true(g_utf8_validate(l->lines->pdata[i], -1, NULL));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_kind_has_a_sentence),
    cmocka_unit_test(test_sentences),
    cmocka_unit_test(test_details_are_lines_with_addresses_masked),
    cmocka_unit_test(test_russian_periods),
    cmocka_unit_test(test_time_left_without_a_calendar_and_overdue),
    cmocka_unit_test(test_octal_escapes_stay_utf8),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
