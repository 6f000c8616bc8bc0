/* test_tokenizer.c: how text becomes search terms (src/text/tokenizer.h).
 * Expected stems are Snowball's, written out by hand; the same rules on PostgreSQL are
 * proven by test_search.c's query table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libstemmer.h>
#include <string.h>

#include "core/error.h"
#include "text/tokenizer.h"

static int collect(const OknoTerm *t, void *user)
{
  GString *out = user;
  if (out->len)
    g_string_append_c(out, ' ');
  g_string_append_len(out, t->term, (gssize)t->term_len);
  return 0;
}

/* The terms of `text`, space-separated. */
static char *terms(const char *text, gsize len)
{
  g_autoptr(OknoStemmer) s = okno_stemmer_new();
  GString *out = g_string_new(NULL);
  assert_int_equal(okno_text_scan(s, text, len, collect, out), 0);
  return g_string_free(out, FALSE);
}

#define assert_terms(text, expected)                   \
  do {                                                 \
    g_autofree char *got_ = terms(text, strlen(text)); \
    assert_string_equal(got_, expected);               \
  } while (0)

static void test_inflected_forms_share_one_stem(void **state)
{
  assert_terms("Заявление заявления заявлений ЗАЯВЛЕНИЮ заявлениями",
               "заявлен заявлен заявлен заявлен заявлен");
  assert_terms("налоговый налоговая налоговые", "налогов налогов налогов");
}

static void test_yo_is_e_in_any_case(void **state)
{
  assert_terms("Ёлка ёлки ЕЛКА елку", "елк елк елк елк");
  assert_terms("учётная учетной", "учетн учетн");
}

static void test_stop_words_are_dropped_after_yo_folding(void **state)
{
  /* «ещё» becomes «еще», which is on PostgreSQL's Russian stop list. */
  assert_terms("и в на ещё всё не", "");
  assert_terms("the documents of a family", "document famili");
}

static int collect_marked(const OknoTerm *t, void *user)
{
  GString *out = user;
  if (out->len)
    g_string_append_c(out, ' ');
  g_string_append_len(out, t->term, (gssize)t->term_len);
  if (t->stop)
    g_string_append_c(out, '*');
  return 0;
}

/* okno_text_scan_all (the classifier's scan) hands the stop words over too, unstemmed
 * and marked; the other words are what okno_text_scan gives. */
static void test_scan_all_keeps_the_stop_words_marked(void **state)
{
  g_autoptr(OknoStemmer) s = okno_stemmer_new();
  static const char text[] = "Лифт ещё НЕ работает, и the documents";
  g_autoptr(GString) out = g_string_new(NULL);
  assert_int_equal(okno_text_scan_all(s, text, strlen(text), collect_marked, out), 0);
  assert_string_equal(out->str, "лифт еще* не* работа и* the* document");
  assert_terms(text, "лифт работа document");
}

static void test_latin_words_use_the_english_stemmer(void **state)
{
  assert_terms("Documents RUNNING subsidies", "document run subsidi");
}

static void test_words_with_digits_are_kept_as_they_are(void **state)
{
  assert_terms("2-НДФЛ справка_2НДФЛ ABC123 500", "2 ндфл справк 2ндфл abc123 500");
}

static void test_punctuation_and_other_alphabets_separate_words(void **state)
{
  assert_terms("скан.pdf ivan@mail.ru «Кто-то»", "скан pdf ivan mail ru");
  assert_terms("café Straße", "caf stra e");
}

typedef struct {
  gsize start[4], end[4];
  guint n;
} Spans;

static int spans(const OknoTerm *t, void *user)
{
  Spans *sp = user;
  if (sp->n < 4) {
    sp->start[sp->n] = t->start;
    sp->end[sp->n] = t->end;
  }
  sp->n++;
  return 0;
}

static void test_invalid_utf8_separates_and_offsets_are_bytes(void **state)
{
  /* \xD0 alone, \xFF and a lone continuation byte are separators; offsets count bytes
   * of the original text (Cyrillic letters are two bytes). */
  const char text[] = "\xD0" "Паспорт\xFF\x80справки\xD1";
  g_autoptr(OknoStemmer) s = okno_stemmer_new();
  Spans sp = {0};
  g_autofree char *got = terms(text, sizeof text - 1);
  assert_string_equal(got, "паспорт справк");
  assert_int_equal(okno_text_scan(s, text, sizeof text - 1, spans, &sp), 0);
  assert_int_equal(sp.n, 2);
  assert_int_equal(sp.start[0], 1);
  assert_int_equal(sp.end[0], 15);
  assert_int_equal(sp.start[1], 17);
  assert_int_equal(sp.end[1], 31);
}

static void test_overlong_words_are_dropped_and_long_ones_not_stemmed(void **state)
{
  /* PostgreSQL ignores words of 2047 bytes or more, and does not stem words over 1000. */
  g_autoptr(GString) t = g_string_new(NULL);
  g_autofree char *got = NULL;
  for (int i = 0; i < 1024; i++)
    g_string_append(t, "я");                           /* 2048 bytes: dropped */
  g_string_append(t, " ");
  for (int i = 0; i < 501; i++)
    g_string_append(t, "а");                           /* 1002 bytes: not stemmed */
  g_string_append(t, "ами справки");
  got = terms(t->str, t->len);
  assert_true(g_str_has_suffix(got, "аами справк"));
  assert_int_equal(strlen(got), 1002 + strlen("ами") + 1 + strlen("справк"));
}

static int stop_at_second(const OknoTerm *t, void *user)
{
  int *seen = user;
  return ++*seen == 2 ? 42 : 0;
}

static void test_a_callback_can_stop_the_scan(void **state)
{
  int seen = 0;
  const char *text = "паспорт полис справка";
  assert_int_equal(okno_text_scan(NULL, text, strlen(text), stop_at_second, &seen), 42);
  assert_int_equal(seen, 2);
}

static void test_query_words_are_folded_and_free_of_syntax(void **state)
{
  g_autoptr(GError) err = NULL;
  g_auto(GStrv) w = okno_text_query_words("\"Заявление\" OR справка* NEAR(ЁЛКА) -x^2", 32, &err);
  g_autofree char *joined = NULL;
  assert_non_null(w);
  joined = g_strjoinv("|", w);
  assert_string_equal(joined, "заявление|справка|near|елка|x|2");
}

static void test_a_query_of_no_words_or_too_many_is_a_user_error(void **state)
{
  const char *const empty[] = {"", "\"\" * () -", "и в на", "всё ещё", NULL};
  for (guint i = 0; empty[i]; i++) {
    g_autoptr(GError) err = NULL;
    assert_null(okno_text_query_words(empty[i], 32, &err));
    assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
    assert_string_equal(err->message, "the query has no words");
  }
  {
    g_autoptr(GError) err = NULL;
    g_auto(GStrv) ok = okno_text_query_words("раз1 два2 три3", 3, NULL);
    assert_non_null(ok);
    assert_null(okno_text_query_words("раз1 два2 три3 четыре4", 3, &err));
    assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
    assert_string_equal(err->message, "the query is too long: at most 3 words");
  }
}

/* ---- the FTS5 tokenizer ---- */

static sqlite3 *fts_db(void)
{
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  assert_true(okno_text_fts5_register(db, NULL));
  assert_int_equal(sqlite3_exec(db,
                                "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'okno_ru');"
                                "INSERT INTO t(rowid, x) VALUES"
                                "(1, 'Моё Заявление о ёлках, и справки.'),"
                                "(2, 'Жалоба на отказ')",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  return db;
}

/* The first column of `sql` with `arg` bound, as text. */
static char *one(sqlite3 *db, const char *sql, const char *arg)
{
  sqlite3_stmt *st = NULL;
  char *out;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
  out = sqlite3_step(st) == SQLITE_ROW ? g_strdup((const char *)sqlite3_column_text(st, 0))
                                       : g_strdup("(none)");
  sqlite3_finalize(st);
  return out;
}

static void test_fts5_matches_inflected_forms_and_highlights_the_original_text(void **state)
{
  sqlite3 *db = fts_db();
  g_autofree char *hl = one(db, "SELECT highlight(t, 0, '[', ']') FROM t WHERE t MATCH ?1",
                            "\"заявлений\" \"ЕЛКА\"");
  g_autofree char *row = one(db, "SELECT rowid FROM t WHERE t MATCH ?1", "\"справка\"");
  g_autofree char *none = one(db, "SELECT rowid FROM t WHERE t MATCH ?1", "\"паспорт\"");
  assert_string_equal(hl, "Моё [Заявление] о [ёлках], и справки.");
  assert_string_equal(row, "1");
  assert_string_equal(none, "(none)");
  sqlite3_close(db);
}

static void test_fts5_tokenizer_takes_no_options(void **state)
{
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  assert_true(okno_text_fts5_register(db, NULL));
  assert_int_not_equal(
      sqlite3_exec(db, "CREATE VIRTUAL TABLE u USING fts5(x, tokenize = 'okno_ru porter')",
                   NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
}

/* Checks each term against libstemmer called directly on the word. */
typedef struct {
  struct sb_stemmer *ru, *en;
  guint checked;
} Direct;

static int check_direct(const OknoTerm *t, void *user)
{
  Direct *d = user;
  gboolean ascii = TRUE, digit = FALSE;
  const sb_symbol *r;
  for (gsize i = 0; i < t->word_len; i++) {
    ascii &= (guchar)t->word[i] < 0x80;
    digit |= g_ascii_isdigit(t->word[i]);
  }
  if (digit || t->word_len > 1000)
    return 0;
  r = sb_stemmer_stem(ascii ? d->en : d->ru, (const sb_symbol *)t->word, (int)t->word_len);
  assert_non_null(r);
  assert_int_equal(t->term_len, sb_stemmer_length(ascii ? d->en : d->ru));
  assert_memory_equal(t->term, r, t->term_len);
  d->checked++;
  return 0;
}

/* The stems one stemmer keeps for the words it met (more distinct words than it keeps,
 * so slots are replaced; some too long to keep) are the stems libstemmer gives. */
static void test_a_stemmer_kept_across_texts_stems_as_libstemmer(void **state)
{
  static const char *const roots[] = {"заявлен", "налогов", "пенси", "дорог", "школ",
                                      "больниц", "квартир", "переезд", "статистик",
                                      "достопримечательност", "report", "connect",
                                      "happi", "organiz"};
  static const char *const endings[] = {"", "а", "ы", "ие", "ия", "ий", "ой", "ого",
                                        "ому", "ыми", "ами", "ях", "ing", "ed", "s",
                                        "ation", "ness", "ly"};
  g_autoptr(OknoStemmer) s = okno_stemmer_new();
  Direct d = {sb_stemmer_new("russian", "UTF_8"), sb_stemmer_new("english", "UTF_8"), 0};
  GString *text = g_string_new(NULL);
  (void)state;
  static const char *const syllables[] = {"", "пере", "вы", "за", "по", "от", "un",
                                           "re", "pre", "под"};
  /* 10 x 10 prefixes x 14 roots x 18 endings: over 20,000 distinct words for 4,096
   * slots; "достопримечательност" with a prefix is over the 46 bytes a slot keeps */
  for (gsize a = 0; a < G_N_ELEMENTS(syllables); a++)
    for (gsize b = 0; b < G_N_ELEMENTS(syllables); b++)
      for (gsize r = 0; r < G_N_ELEMENTS(roots); r++)
        for (gsize e = 0; e < G_N_ELEMENTS(endings); e++)
          g_string_append_printf(text, "%s%s%s%s ", syllables[a], syllables[b], roots[r],
                                 endings[e]);
  for (int pass = 0; pass < 3; pass++) {
    d.checked = 0;
    assert_int_equal(okno_text_scan(s, text->str, text->len, check_direct, &d), 0);
    assert_int_equal(okno_text_scan_all(s, text->str, text->len, check_direct, &d), 0);
    assert_true(d.checked > 20000);
  }
  g_string_free(text, TRUE);
  sb_stemmer_delete(d.ru);
  sb_stemmer_delete(d.en);
}

typedef struct {
  OknoStemmer *first, *second;
  GString *terms;
} ThreadStem;

/* Runs on another thread: its stemmer twice, and the terms it gives (checked by the
 * caller: cmocka's asserts belong to the test's thread). */
static gpointer other_thread_stemmer(gpointer user)
{
  ThreadStem *ts = user;
  ts->first = okno_stemmer_thread();
  ts->second = okno_stemmer_thread();
  okno_text_scan(ts->first, "заявления", strlen("заявления"), collect, ts->terms);
  return NULL;
}

static void test_each_thread_has_its_own_stemmer_kept_for_its_life(void **state)
{
  OknoStemmer *mine = okno_stemmer_thread();
  ThreadStem ts = {NULL, NULL, g_string_new(NULL)};
  (void)state;
  g_thread_join(g_thread_new("stem", other_thread_stemmer, &ts));
  assert_non_null(mine);
  assert_ptr_equal(okno_stemmer_thread(), mine);
  assert_non_null(ts.first);
  assert_ptr_equal(ts.second, ts.first);
  assert_ptr_not_equal(ts.first, mine);
  assert_string_equal(ts.terms->str, "заявлен");
  g_string_free(ts.terms, TRUE);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_inflected_forms_share_one_stem),
    cmocka_unit_test(test_yo_is_e_in_any_case),
    cmocka_unit_test(test_stop_words_are_dropped_after_yo_folding),
    cmocka_unit_test(test_scan_all_keeps_the_stop_words_marked),
    cmocka_unit_test(test_latin_words_use_the_english_stemmer),
    cmocka_unit_test(test_words_with_digits_are_kept_as_they_are),
    cmocka_unit_test(test_punctuation_and_other_alphabets_separate_words),
    cmocka_unit_test(test_invalid_utf8_separates_and_offsets_are_bytes),
    cmocka_unit_test(test_overlong_words_are_dropped_and_long_ones_not_stemmed),
    cmocka_unit_test(test_a_callback_can_stop_the_scan),
    cmocka_unit_test(test_query_words_are_folded_and_free_of_syntax),
    cmocka_unit_test(test_a_query_of_no_words_or_too_many_is_a_user_error),
    cmocka_unit_test(test_fts5_matches_inflected_forms_and_highlights_the_original_text),
    cmocka_unit_test(test_fts5_tokenizer_takes_no_options),
    cmocka_unit_test(test_a_stemmer_kept_across_texts_stems_as_libstemmer),
    cmocka_unit_test(test_each_thread_has_its_own_stemmer_kept_for_its_life),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
