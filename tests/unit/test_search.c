/* test_search.c: full-text search over appeals, the same on SQLite and PostgreSQL.
 *
 * A corpus of 20 appeals (Russian subjects and texts with inflected forms, ё, Latin
 * words, answers, attachment names) is written through the store's ordinary insert
 * operations, so the index is kept as in production (store/search_queue.h). A table
 * of queries with the appeal sets written out by hand runs on a fresh SQLite file and,
 * as pg_<name>, on a fresh PostgreSQL database when OKNO_TEST_PG_URL is set: the same
 * table passing on both is the proof that the backends agree. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/vault.h"
#include "store/appeals.h"
#include "store/messages.h"
#include "store/migrations.h"
#include "store/outbound.h"
#include "store/keys.h"
#include "store/search.h"
#include "store/store.h"
#include "store/terms.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"


/* ---- the corpus ---- */

typedef struct {
  const char *number;
  const char *subject;
  const char *text;        /* the citizen's message */
  const char *answer;      /* an outbound message, NULL if none */
  const char *files[2];    /* attachment names of the citizen's message */
} Doc;

static const Doc corpus[] = {
  {"26-000001", "Заявление на налоговый вычет",
   "Прошу принять заявление о возврате налога. Документы приложены.", NULL,
   {"заявление_вычет.pdf"}},
  {"26-000002", "Не могу войти на портал", "Учётная запись заблокирована после смены пароля",
   NULL, {NULL}},
  {"26-000003", "Справка о доходах", "Где получить справку 2-НДФЛ за 2025 год?", NULL,
   {"справка_2НДФЛ.pdf"}},
  {"26-000004", "Жалоба на сотрудника",
   "Сотрудник МФЦ отказал в приёме заявлений без объяснения причин.",
   "Ваша жалоба передана руководителю МФЦ.", {NULL}},
  {"26-000005", "Ошибка в ЕСИА",
   "При входе через Госуслуги появляется ошибка 500. Browser: Firefox, Windows 11", NULL,
   {"screenshot.png"}},
  {"26-000006", "Пенсия", "Почему пенсию начислили не полностью? Прошу проверить расчёт.",
   NULL, {"расчёт_пенсии.xlsx"}},
  {"26-000007", "Ёлочные базары", "Разрешение на торговлю ёлками в декабре", NULL, {NULL}},
  {"26-000008", "Елка во дворе", "Просим убрать упавшую елку", NULL, {"фото_елки.jpg"}},
  {"26-000009", "Запись к врачу",
   "Не получается записаться к врачу через портал, запись недоступна", NULL, {NULL}},
  {"26-000010", "Паспорт", "Замена паспорта в 45 лет: какие документы нужны?", NULL,
   {"паспорт_скан.pdf"}},
  {"26-000011", "Вопрос по ОСАГО",
   "Полис OSAGO не отображается в личном кабинете. Нужна ли лицензия страховой компании?",
   NULL, {NULL}},
  {"26-000012", "Subsidies for families", "Please send the documents about family subsidies",
   NULL, {"application_form.docx"}},
  {"26-000013", "Отказ в регистрации", "Мне отказали в регистрации по месту жительства",
   "Регистрация оформлена повторно, приносим извинения.", {NULL}},
  {"26-000014", "Многодетная семья", "Как оформить удостоверение многодетной семьи?", NULL,
   {"свидетельства_о_рождении.zip"}},
  {"26-000015", "Благодарность", "Спасибо сотрудникам за быстрый ответ!", NULL, {NULL}},
  {"26-000016", "Заявления не принимают",
   "Третий раз подаю заявления на субсидию, их не принимают", NULL, {NULL}},
  {"26-000017", "Проблема с оплатой штрафа", "Оплатил штраф ГИБДД, а он всё ещё висит", NULL,
   {"чек_оплаты.pdf", "квитанция.pdf"}},
  {"26-000018", "Субсидия на ЖКУ", "Прошу разъяснить порядок получения субсидии на оплату ЖКУ",
   NULL, {NULL}},
  {"26-000019", "Лицензия на такси",
   "Подал документы на лицензию такси, лицензия не выдана 30 дней", NULL, {NULL}},
  {"26-000020", "Детский сад", "Очередь в детский сад: наш номер не двигается", NULL,
   {"очередь.pdf"}},
};

static void add_message(OknoStore *st, gint64 appeal, const char *dir, const char *text,
                        const char *const *files)
{
  g_autoptr(GBytes) raw = g_bytes_new_static("Subject: x\r\n\r\nbody\r\n", 21);
  OknoMessageRow m = {.appeal_id = appeal, .direction = dir, .text = text, .raw = raw,
                      .created_at = okno_now()};
  assert_true(okno_store_message_insert(st, &m, NULL));
  for (guint i = 0; files && i < 2 && files[i]; i++) {
    OknoAttachment att = {.filename = (char *)files[i], .declared_type = "application/pdf",
                          .content_type = "application/pdf", .size = 0, .sha256 = "00"};
    assert_true(okno_store_attachment_insert(st, m.id, &att, NULL, NULL));
  }
}

/* Appeal i is registered i minutes after the first, as intake would: appeal, message,
 * attachments, then (for some) the operator's answer. */
static void load_corpus(OknoStore *st)
{
  gint64 t0 = okno_now();
  for (guint i = 0; i < G_N_ELEMENTS(corpus); i++) {
    const Doc *d = &corpus[i];
    OknoAppeal a = {.number = (char *)d->number, .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                    .subject = (char *)d->subject, .from_email = "citizen@example.ru",
                    .received_at = t0 + (gint64)i * 60 * G_USEC_PER_SEC};
    assert_true(okno_store_begin(st, NULL));
    assert_true(okno_store_appeal_insert(st, &a, NULL));
    add_message(st, a.id, "in", d->text, d->files);
    if (d->answer)
      add_message(st, a.id, "out", d->answer, NULL);
    assert_true(okno_store_commit(st, NULL));
  }
}

static gint by_text(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The numbers found, sorted and without the common "26-0000" prefix: "01 04 16". */
static char *found_set(OknoStore *st, const char *query)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) found = okno_store_search(st, query, 0, &err);
  g_autoptr(GPtrArray) nums = g_ptr_array_new();
  if (!found)
    fail_msg("search '%s' failed: %s", query, err ? err->message : "?");
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add(nums, ((OknoAppeal *)g_ptr_array_index(found, i))->number + 7);
  g_ptr_array_sort(nums, by_text);
  g_ptr_array_add(nums, NULL);
  return g_strjoinv(" ", (char **)nums->pdata);
}

/* The table: query -> the appeals that must be found, by hand from the corpus. */
static const struct {
  const char *query, *expected, *why;
} table[] = {
  {"заявление", "01 04 16", "«заявлений» and «Заявления» share the stem with «заявление»"},
  {"ЗАЯВЛЕНИЙ", "01 04 16", "case and inflection of the query do not matter"},
  {"ёлка", "07 08", "ё = е: «ёлками» and «Елка», «елку», «елки»"},
  {"елки", "07 08", "the same from the е side"},
  {"справка", "03", "«справку» in the text, «справка» in a file name"},
  {"пенсии", "06", "«Пенсия», «пенсию»"},
  {"расчет", "06", "«расчёт» found by «расчет»"},
  {"портал", "02 09", "a plain word in two texts"},
  {"запись", "02 09", "«запись», «Запись»"},
  {"documents", "12", "English words are stemmed in English; Russian «документы» is another word"},
  {"DOCUMENT", "12", "the English stem, uppercase"},
  {"firefox", "05", "Latin words in a Russian text"},
  {"ошибка 500", "05", "a number is a word"},
  {"2-НДФЛ", "03", "«2» and «ндфл» as in the text «2-НДФЛ»"},
  {"жалоба мфц", "04", "words are ANDed across subject and text"},
  {"отказ", "13", "«Отказ»; «отказал» is another stem (Snowball: «отказа»)"},
  {"отказали", "04 13", "«отказали» and «отказал» share «отказа»"},
  {"регистрация", "13", "«регистрации», «Регистрация»"},
  {"извинения", "13", "words of the outbound answer are indexed"},
  {"руководителю", "04", "the outbound answer of appeal 4"},
  {"свидетельство", "14", "attachment names are indexed: «свидетельства_о_рождении.zip»"},
  {"screenshot", "05", "a Latin file name"},
  {"квитанция", "17", "the second attachment of a message"},
  {"pdf", "01 03 10 17 20", "the extension is a word of the file name"},
  {"субсидия", "16 18", "«субсидию», «Субсидия», «субсидии»; English «subsidies» is not Russian"},
  {"штраф ГИБДД", "17", "two words in the text"},
  {"осаго", "11", "Cyrillic «ОСАГО»"},
  {"OSAGO", "11", "Latin «OSAGO»"},
  {"лицензия", "11 19", "«лицензию», «лицензия»"},
  {"детский сад", "20", "subject and text"},
  {"\"заявление\" OR справка*", "",
   "quotes, OR and * are not syntax: both words, and no appeal has both"},
  {"налог* -вычет", "01", "- is not NOT: «налога» and «вычет» are both in appeal 1"},
  {"NEAR(справка паспорт)", "", "NEAR( is a word («near»), not an operator"},
  {"справка) OR (паспорт", "", "unbalanced parentheses are harmless"},
  {"семья удостоверение", "14", "«семьи», «удостоверение»"},
  {"такси", "19", "an indeclinable word"},
  {"налоговая", "01", "«налоговый» and «налоговая» share «налогов»"},
};

/* Runs the table; prints each query that found other appeals; returns their count. */
static guint table_failures(OknoStore *st)
{
  guint failures = 0;
  for (guint i = 0; i < G_N_ELEMENTS(table); i++) {
    g_autofree char *got = found_set(st, table[i].query);
    if (strcmp(got, table[i].expected) != 0) {
      print_error("query «%s»: expected {%s}, found {%s} (%s)\n", table[i].query,
                  table[i].expected, got, table[i].why);
      failures++;
    }
  }
  return failures;
}

static void test_the_query_table_finds_the_same_appeals_on_every_backend(void **state)
{
  Fx *fx = fixture(state);
  load_corpus(fx->st);
  assert_int_equal(table_failures(fx->st), 0);
}

/* ---- the index holds keyed hashes of stems, never words (store/terms.h) ---- */

/* A key file for the process (in the SQLite store's folder, or a temporary one). */
static char *use_key_file(const Fx *fx)
{
  g_autofree char *dir = fx->db->dir ? g_strdup(fx->db->dir) : g_dir_make_tmp("okno-sk-XXXXXX", NULL);
  char *path = g_build_filename(dir, "okno.key", NULL);
  assert_true(okno_vault_create(path, NULL));
  okno_store_set_vault(okno_vault_load(path, NULL), path);
  assert_non_null(okno_store_vault());
  return path;
}

static void forget_key_file(char *path)
{
  okno_store_set_vault(NULL, NULL);
  g_unlink(path);
  g_free(path);
}

/* Counts the stored values of `column` that are not sealed (clear text, not empty). */
static gint64 clear_values(OknoStore *st, const char *tbl, const char *column)
{
  g_autofree char *sql = g_strdup_printf(
      "SELECT count(*) FROM %s WHERE %s <> '' AND substr(%s, 1, 2) <> '~1'", tbl, column,
      column);
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), sql, OKNO_NO_PARAMS, NULL);
  assert_non_null(r);
  return okno_rows_int(r, 0, 0);
}

/* Whether what the index holds is made of terms only: letters a-p, separators, and on
 * PostgreSQL the tsvector's quotes, positions and weights; no Cyrillic, no other
 * Latin letter. */
static void assert_index_holds_terms_only(OknoStore *st)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) r = okno_db_query(
      db,
      okno_db_is_sqlite(db) ? "SELECT subject || ' ' || texts || ' ' || files FROM appeal_fts"
                            : "SELECT doc::text FROM appeal_search",
      OKNO_NO_PARAMS, NULL);
  guint terms = 0;
  assert_non_null(r);
  assert_true(okno_rows_count(r) > 0);
  for (guint i = 0; i < okno_rows_count(r); i++)
    for (const char *p = okno_rows_text(r, i, 0); *p; p++) {
      if (*p >= 'a' && *p <= 'p')
        terms++;
      else if (!strchr(" \n':,ABD0123456789", *p))
        fail_msg("the index holds '%c' (0x%02x) in «%.60s»", *p, (guint8)*p,
                 okno_rows_text(r, i, 0));
    }
  assert_true(terms > 0);
}

static void test_the_query_table_finds_the_same_appeals_with_sealed_texts(void **state)
{
  Fx *fx = fixture(state);
  char *key = use_key_file(fx);
  /* the store opened again with the key: its (empty) index is now under the key */
  okno_store_close(fx->st);
  fx->st = okno_store_open(fx->db->url, NULL);
  assert_non_null(fx->st);
  load_corpus(fx->st);
  assert_int_equal(table_failures(fx->st), 0);
  /* subjects, texts and file names are sealed, and read back clear */
  assert_int_equal(clear_values(fx->st, "appeals", "subject"), 0);
  assert_int_equal(clear_values(fx->st, "messages", "subject"), 0);
  assert_int_equal(clear_values(fx->st, "messages", "text"), 0);
  assert_int_equal(clear_values(fx->st, "attachments", "filename"), 0);
  {
    g_autoptr(OknoAppeal) a = okno_store_appeal_get(fx->st, "26-000014", NULL);
    g_autoptr(OknoRows) r = okno_db_query(
        okno_store_db(fx->st),
        "SELECT t.filename, m.text FROM attachments t JOIN messages m ON m.id = t.message_ref "
        "JOIN appeals a ON a.id = m.appeal_id WHERE a.number = '26-000014' ORDER BY t.id",
        OKNO_NO_PARAMS, NULL);
    assert_non_null(a);
    assert_string_equal(a->subject, corpus[13].subject);
    assert_non_null(r);
    assert_string_equal(okno_rows_text(r, 0, 0), corpus[13].files[0]);
    assert_string_equal(okno_rows_text(r, 0, 1), corpus[13].text);
  }
  assert_index_holds_terms_only(fx->st);
  forget_key_file(key);
}

/* A store written clear, then given a key file (`okno crypto init`): opening it makes
 * its terms again under the key, so search keeps finding; a process without the key
 * file never makes them again without it. */
static void test_a_key_file_made_later_reindexes_under_the_key(void **state)
{
  Fx *fx = fixture(state);
  char *key;
  g_autofree char *before = NULL;
  load_corpus(fx->st);
  before = found_set(fx->st, "заявление");
  assert_string_equal(before, "01 04 16");
  key = use_key_file(fx);
  /* the same process, unaware of the change: its terms no longer match the index */
  {
    g_autofree char *stale = found_set(fx->st, "заявление");
    assert_string_equal(stale, "");
  }
  okno_store_close(fx->st);
  fx->st = okno_store_open(fx->db->url, NULL);
  assert_non_null(fx->st);
  {
    g_autofree char *got = found_set(fx->st, "заявление");
    g_autofree char *files = found_set(fx->st, "pdf");
    assert_string_equal(got, "01 04 16");
    assert_string_equal(files, "01 03 10 17 20");
  }
  /* without the key file: the index under the key stays as it is */
  okno_store_set_vault(NULL, NULL);
  okno_store_close(fx->st);
  fx->st = okno_store_open(fx->db->url, NULL);
  assert_non_null(fx->st);
  okno_store_close(fx->st);
  okno_store_set_vault(okno_vault_load(key, NULL), key);
  fx->st = okno_store_open(fx->db->url, NULL);
  {
    g_autoptr(OknoRows) r = okno_db_query(okno_store_db(fx->st),
                                          "SELECT key_check FROM search_state", OKNO_NO_PARAMS,
                                          NULL);
    g_autofree char *got = found_set(fx->st, "елки");
    g_autofree char *mine = okno_store_terms_key_check();
    assert_string_equal(okno_rows_text(r, 0, 0), mine);
    assert_string_equal(got, "07 08");
  }
  forget_key_file(key);
}

/* A clear store indexed by an older term function (unkeyed BLAKE2b, key check "none")
 * is indexed again at its next open: the index made the old way finds nothing through
 * today's query terms until then, and everything after. */
static void test_terms_of_an_older_function_are_made_again_at_open(void **state)
{
  Fx *fx = fixture(state);
  load_corpus(fx->st);
  assert_true(okno_db_exec(okno_store_db(fx->st),
                           "UPDATE messages SET text_terms = 'aaaaaaaaaaaaaaaa' WHERE automatic = 0",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(okno_store_db(fx->st),
                           "UPDATE attachments SET filename_terms = 'aaaaaaaaaaaaaaaa'",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(okno_store_db(fx->st), "UPDATE search_state SET key_check = 'none'",
                           OKNO_NO_PARAMS, NULL));
  {
    g_autofree char *stale = found_set(fx->st, "pdf");
    assert_string_equal(stale, "");
  }
  okno_store_close(fx->st);
  fx->st = okno_store_open(fx->db->url, NULL);
  assert_non_null(fx->st);
  {
    g_autoptr(OknoRows) r = okno_db_query(okno_store_db(fx->st),
                                          "SELECT key_check FROM search_state", OKNO_NO_PARAMS,
                                          NULL);
    g_autofree char *files = found_set(fx->st, "pdf");
    g_autofree char *got = found_set(fx->st, "заявление");
    assert_string_equal(okno_rows_text(r, 0, 0), "none2");
    assert_string_equal(files, "01 03 10 17 20");
    assert_string_equal(got, "01 04 16");
  }
}

static void test_subject_and_repeated_words_rank_first(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(GPtrArray) found = NULL;
  load_corpus(fx->st);
  /* Appeal 19 has «Лицензия» in its subject and twice in its text; appeal 11 once in a
   * longer text. */
  found = okno_store_search(fx->st, "лицензии", 0, NULL);
  assert_non_null(found);
  assert_int_equal(found->len, 2);
  assert_string_equal(((OknoAppeal *)g_ptr_array_index(found, 0))->number, "26-000019");
  assert_string_equal(((OknoAppeal *)g_ptr_array_index(found, 1))->number, "26-000011");
}

static void test_equal_ranks_come_newest_first_and_limit_cuts(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(GPtrArray) all = NULL, one = NULL;
  const char *const none[] = {NULL};
  for (int i = 0; i < 3; i++) {
    g_autofree char *number = g_strdup_printf("26-00010%d", i);
    OknoAppeal a = {.number = number, .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                    .subject = "Одинаковая тема", .received_at = okno_now() + i};
    assert_true(okno_store_begin(fx->st, NULL));
    assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
    add_message(fx->st, a.id, "in", "одинаковый текст", none);
    assert_true(okno_store_commit(fx->st, NULL));
  }
  all = okno_store_search(fx->st, "тема", 0, NULL);
  assert_non_null(all);
  assert_int_equal(all->len, 3);
  assert_string_equal(((OknoAppeal *)g_ptr_array_index(all, 0))->number, "26-000102");
  assert_string_equal(((OknoAppeal *)g_ptr_array_index(all, 1))->number, "26-000101");
  assert_string_equal(((OknoAppeal *)g_ptr_array_index(all, 2))->number, "26-000100");
  one = okno_store_search(fx->st, "одинаковый", 1, NULL);
  assert_non_null(one);
  assert_int_equal(one->len, 1);
  assert_string_equal(((OknoAppeal *)g_ptr_array_index(one, 0))->number, "26-000102");
}

/* Only the newest OKNO_SEARCH_RANKED matches are ranked (issue 18 item 4): the 10
 * oldest appeals say the word three times in their subjects, so they would rank first
 * among all matches, but OKNO_SEARCH_RANKED newer ones hold it too: none of the 10 is
 * returned, and the word in one of them alone still finds it. */
static void test_only_the_newest_matches_are_ranked(void **state)
{
  Fx *fx = fixture(state);
  gint64 t0 = okno_now();
  assert_true(okno_store_begin(fx->st, NULL));
  for (int i = 0; i < OKNO_SEARCH_RANKED + 10; i++) {
    g_autofree char *number = g_strdup_printf("26-%06d", i + 1);
    OknoAppeal a = {.number = number, .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                    .subject = i < 10 ? "Жалоба жалоба жалоба редкое" : "Обычная жалоба",
                    .received_at = t0 + i};
    assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  }
  assert_true(okno_store_commit(fx->st, NULL));
  {
    g_autoptr(GPtrArray) found = okno_store_search(fx->st, "жалоба", 20, NULL);
    g_autoptr(GPtrArray) rare = okno_store_search(fx->st, "редкое", 20, NULL);
    assert_non_null(found);
    assert_int_equal(found->len, 20);
    for (guint i = 0; i < found->len; i++)
      assert_string_equal(((OknoAppeal *)found->pdata[i])->subject, "Обычная жалоба");
    assert_non_null(rare);
    assert_int_equal(rare->len, 10);
  }
}

static void test_a_query_without_words_is_a_user_error(void **state)
{
  Fx *fx = fixture(state);
  const char *const empty[] = {"", "  \"*\" -- () ", "всё ещё", "и в на", "the and of"};
  load_corpus(fx->st);
  for (guint i = 0; i < G_N_ELEMENTS(empty); i++) {
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) found = okno_store_search(fx->st, empty[i], 0, &err);
    assert_null(found);
    assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
    assert_string_equal(err->message, "the query has no words");
  }
}

static void test_words_added_later_are_found_at_once(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *before = NULL, *after = NULL;
  const char *const files[] = {"Договор_аренды.odt", NULL};
  g_autoptr(OknoAppeal) a = NULL;
  load_corpus(fx->st);
  before = found_set(fx->st, "договор");
  assert_string_equal(before, "");
  a = okno_store_appeal_get(fx->st, "26-000015", NULL);
  assert_non_null(a);
  assert_true(okno_store_begin(fx->st, NULL));
  add_message(fx->st, a->id, "in", "И ещё вопрос про договоры.", files);
  assert_true(okno_store_commit(fx->st, NULL));
  after = found_set(fx->st, "договоров аренда");
  assert_string_equal(after, "15");
}

static void test_a_rolled_back_appeal_leaves_nothing_in_the_index(void **state)
{
  Fx *fx = fixture(state);
  const char *const none[] = {NULL};
  g_autofree char *got = NULL;
  OknoAppeal a = {.number = "26-000200", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .subject = "Призрачное обращение", .received_at = okno_now()};
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  add_message(fx->st, a.id, "in", "призрак", none);
  okno_store_rollback(fx->st);
  got = found_set(fx->st, "призрачное");
  assert_string_equal(got, "");
}

static void test_receipts_are_not_indexed_but_operators_answers_are(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(GBytes) raw = g_bytes_new_static("x", 1);
  OknoAppeal a = {.number = "26-000022", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .subject = "Перерасчёт за отопление", .received_at = okno_now()};
  /* The pipeline marks what okno writes by itself (store.h: OknoMessageRow.automatic). */
  OknoMessageRow receipt = {.direction = "out", .text = "Ваше обращение зарегистрировано",
                            .automatic = TRUE, .raw = raw, .created_at = okno_now()};
  OknoMessageRow answer = {.direction = "out", .text = "Перерасчёт выполнен, квитанция исправлена",
                           .raw = raw, .created_at = okno_now()};
  g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL;
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  receipt.appeal_id = answer.appeal_id = a.id;
  assert_true(okno_store_message_insert(fx->st, &receipt, NULL));
  assert_true(okno_store_outbound_enqueue(fx->st, a.id, receipt.id, "s@p", "c@p", TRUE, NULL));
  assert_true(okno_store_message_insert(fx->st, &answer, NULL));
  assert_true(okno_store_outbound_enqueue(fx->st, a.id, answer.id, "s@p", "c@p", FALSE, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  r1 = found_set(fx->st, "зарегистрировано");
  r2 = found_set(fx->st, "квитанции исправлены");
  r3 = found_set(fx->st, "перерасчет отопления");
  assert_string_equal(r1, "");
  assert_string_equal(r2, "22");
  assert_string_equal(r3, "22");
}

/* Merging appeals (moving a message) and removing an attachment are not store
 * operations yet; the schema's triggers already keep the index right for them. */
static void test_moving_a_message_moves_its_words_and_removed_names_go(void **state)
{
  Fx *fx = fixture(state);
  OknoDb *db = okno_store_db(fx->st);
  g_autofree char *moved = NULL, *left = NULL, *gone = NULL, *still = NULL;
  load_corpus(fx->st);
  assert_true(okno_store_begin(fx->st, NULL));
  /* appeal 16's message («заявления на субсидию») joins appeal 18 */
  assert_true(okno_db_exec(db,
                           "UPDATE messages SET appeal_id ="
                           " (SELECT id FROM appeals WHERE number = $2)"
                           " WHERE appeal_id = (SELECT id FROM appeals WHERE number = $1)",
                           OKNO_PARAMS(OKNO_TEXT("26-000016"), OKNO_TEXT("26-000018")), NULL));
  assert_true(okno_db_exec(db, "DELETE FROM attachments WHERE filename = $1",
                           OKNO_PARAMS(OKNO_TEXT("квитанция.pdf")), NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  moved = found_set(fx->st, "третий раз");   /* only in the moved text */
  left = found_set(fx->st, "заявления");      /* 16 keeps its subject */
  gone = found_set(fx->st, "квитанция");
  still = found_set(fx->st, "чек оплаты");
  assert_string_equal(moved, "18");
  assert_string_equal(left, "01 04 16 18");
  assert_string_equal(gone, "");
  assert_string_equal(still, "17");
}

static void test_search_json_gives_the_list_summaries(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *json = NULL, *list = NULL;
  g_autoptr(JsonParser) p = json_parser_new(), lp = json_parser_new();
  JsonArray *arr, *all;
  JsonNode *first = NULL;
  load_corpus(fx->st);
  {
    g_autoptr(GPtrArray) found = okno_store_search(fx->st, "жалоба", 0, NULL);
    g_autoptr(GPtrArray) appeals = okno_store_list(fx->st, NULL, NULL);
    assert_non_null(found);
    assert_non_null(appeals);
    json = okno_appeals_json(found);
    list = okno_appeals_json(appeals);
  }
  assert_non_null(json);
  assert_non_null(list);
  assert_true(json_parser_load_from_data(p, json, -1, NULL));
  assert_true(json_parser_load_from_data(lp, list, -1, NULL));
  arr = json_node_get_array(json_parser_get_root(p));
  all = json_node_get_array(json_parser_get_root(lp));
  assert_int_equal(json_array_get_length(arr), 1);
  for (guint i = 0; i < json_array_get_length(all); i++) {
    JsonObject *o = json_array_get_object_element(all, i);
    if (!strcmp(json_object_get_string_member(o, "number"), "26-000004"))
      first = json_array_get_element(all, i);
  }
  assert_non_null(first);
  assert_true(json_node_equal(json_array_get_element(arr, 0), first));
}

/* A store made by an okno that knew only schema step 1, with an appeal in it: opening
 * it with this okno applies step 2, which indexes what was already there. */
static void test_upgrading_indexes_existing_appeals(void **state)
{
  Fx *fx = fixture(state);
  gboolean pg = fx->db->pg;
  guint count = 0;
  const char *const *steps;
  OknoDb *db;
  g_autofree char *got = NULL;

  okno_store_close(fx->st);
  test_db_free(fx->db);
  fx->db = test_db_new(pg);
  db = okno_db_open(fx->db->url, NULL);
  assert_non_null(db);
  steps = okno_migrations(db->driver->name, &count);
  assert_true(count >= 2);
  assert_true(okno_db_script(db, steps[0], NULL));
  assert_true(okno_db_script(
      db,
      "CREATE TABLE schema_version(version INTEGER NOT NULL);"
      "INSERT INTO schema_version(version) VALUES(1);"
      "INSERT INTO appeals(number, status, channel, subject, received_at, updated_at)"
      "  VALUES('26-000021', 'new', 'email', 'Старое обращение', 1, 1);"
      "INSERT INTO messages(appeal_id, direction, text, raw, created_at)"
      "  VALUES((SELECT id FROM appeals), 'in', 'Архивные документы', '', 1);"
      "INSERT INTO attachments(message_ref, filename, declared_type, content_type, size, sha256)"
      "  VALUES((SELECT id FROM messages), 'опись.pdf', '', '', 0, '');",
      NULL));
  okno_db_close(db);
  fx->st = okno_store_open(fx->db->url, NULL);
  assert_non_null(fx->st);
  got = found_set(fx->st, "старые архивный опись");
  assert_string_equal(got, "21");
}

/* Each test on SQLite, then as pg_<name> on PostgreSQL (see test_store.c). */
#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

/* SQLite: a transaction's search rows go into FTS5 together before COMMIT
 * (store/search_queue.h), so the index gains a segment per transaction, not one per
 * statement that followed a write to it (FTS5 flushes its pending terms at each
 * statement's savepoint); merges off, so that only what the transaction wrote is
 * counted. Every registration is still found. */
static void test_a_transaction_writes_its_search_rows_at_once(void **state)
{
  Fx *fx = fixture(state);
  OknoDb *db = okno_store_db(fx->st);
  const char *const files[] = {"смета_ремонта.pdf", NULL};
  g_autoptr(OknoRows) before = NULL, after = NULL;
  g_autofree char *got = NULL, *by_file = NULL;
  gint64 t0 = okno_now();
  assert_true(okno_db_script(db,
                             "INSERT INTO appeal_fts(appeal_fts, rank) VALUES('automerge', 0);"
                             "INSERT INTO appeal_fts(appeal_fts, rank) VALUES('crisismerge', 64);",
                             NULL));
  before = okno_db_query(db, "SELECT count(*) FROM appeal_fts_data", NULL, 0, NULL);
  assert_non_null(before);
  assert_true(okno_store_begin(fx->st, NULL));
  for (guint i = 0; i < 12; i++) {
    g_autofree char *number = g_strdup_printf("26-0000%02u", 31 + i);
    OknoAppeal a = {.number = number, .status = OKNO_STATUS_NEW,
                    .channel = OKNO_CHANNEL_EMAIL, .subject = "Ремонт подъезда",
                    .from_email = "citizen@example.ru",
                    .received_at = t0 + (gint64)i * G_USEC_PER_SEC};
    assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
    add_message(fx->st, a.id, "in", "Прошу отремонтировать крыльцо", files);
  }
  assert_true(okno_store_commit(fx->st, NULL));
  after = okno_db_query(db, "SELECT count(*) FROM appeal_fts_data", NULL, 0, NULL);
  assert_non_null(after);
  /* one flush: a leaf or two and the structure; one per statement made 36 or more */
  assert_true(okno_rows_int(after, 0, 0) - okno_rows_int(before, 0, 0) <= 4);
  got = found_set(fx->st, "крыльцо ремонт");
  by_file = found_set(fx->st, "смета");
  assert_string_equal(got, "31 32 33 34 35 36 37 38 39 40 41 42");
  assert_string_equal(by_file, got);
}

/* Rows written outside a transaction are indexed at once, and a file added later to an
 * older message makes its appeal's row again. */
static void test_rows_outside_a_transaction_and_late_files_are_found(void **state)
{
  Fx *fx = fixture(state);
  const char *const files[] = {"акт_осмотра.pdf", NULL};
  const char *const late[] = {"фотоотчёт.zip", NULL};
  g_autoptr(GBytes) raw = g_bytes_new_static("x", 1);
  OknoAppeal a = {.number = "26-000043", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .subject = "Протечка крыши", .from_email = "citizen@example.ru",
                  .received_at = okno_now()};
  OknoMessageRow m = {.direction = "in", .text = "Течёт потолок на кухне", .raw = raw,
                      .created_at = okno_now()};
  OknoAttachment att = {.filename = (char *)late[0], .declared_type = "application/zip",
                        .content_type = "application/zip", .size = 0, .sha256 = "00"};
  g_autofree char *subject = NULL, *text = NULL, *file = NULL, *later = NULL;
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  add_message(fx->st, a.id, "in", "Прошу составить акт", files);
  subject = found_set(fx->st, "протечка");
  file = found_set(fx->st, "акт осмотра");
  assert_string_equal(subject, "43");
  assert_string_equal(file, "43");
  m.appeal_id = a.id;
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_message_insert(fx->st, &m, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_attachment_insert(fx->st, m.id, &att, NULL, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  text = found_set(fx->st, "потолок кухня");
  later = found_set(fx->st, "фотоотчёт");
  assert_string_equal(text, "43");
  assert_string_equal(later, "43");
}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_the_query_table_finds_the_same_appeals_on_every_backend),
    ON_BOTH(test_subject_and_repeated_words_rank_first),
    ON_BOTH(test_equal_ranks_come_newest_first_and_limit_cuts),
    ON_BOTH(test_only_the_newest_matches_are_ranked),
    ON_BOTH(test_a_query_without_words_is_a_user_error),
    ON_BOTH(test_words_added_later_are_found_at_once),
    ON_BOTH(test_a_rolled_back_appeal_leaves_nothing_in_the_index),
    ON_BOTH(test_receipts_are_not_indexed_but_operators_answers_are),
    ON_BOTH(test_moving_a_message_moves_its_words_and_removed_names_go),
    ON_BOTH(test_search_json_gives_the_list_summaries),
    ON_BOTH(test_upgrading_indexes_existing_appeals),
    ON_BOTH(test_the_query_table_finds_the_same_appeals_with_sealed_texts),
    ON_BOTH(test_a_key_file_made_later_reindexes_under_the_key),
    ON_BOTH(test_terms_of_an_older_function_are_made_again_at_open),
    ON_BOTH(test_rows_outside_a_transaction_and_late_files_are_found),
    cmocka_unit_test_setup_teardown(test_a_transaction_writes_its_search_rows_at_once,
                                    setup_sqlite, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
