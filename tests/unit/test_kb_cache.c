/* test_kb_cache.c: the knowledge base's shared indexes (issue 19; ops/kb.h,
 * store/kb.h okno_store_kb_generation / okno_store_kb_cases_mark): an index is built
 * once and searched again without a rebuild while nothing changed; an add, edit,
 * publication or withdrawal made through another handle on the same store (another
 * node) is seen by the next search; the similar answered appeals follow a new answer,
 * and the appeal itself is left out; a shredded appeal (which writes no event) is
 * suggested no more; a query made ahead of the match (ops/kb.h okno_kb_query_new)
 * matches the knowledge base of match time. On SQLite, and on PostgreSQL as pg_*. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "core/clock.h"
#include "core/vault.h"
#include "ops/kb.h"
#include "store/appeals.h"
#include "store/keys.h"
#include "store/kb.h"
#include "store/messages.h"
#include "store/store.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

static guint titles_found(OknoStore *st, const char *text, const char *title)
{
  g_autoptr(GPtrArray) found = okno_kb_match(st, text, 5, 2, NULL);
  guint n = 0;
  assert_non_null(found);
  for (guint i = 0; i < found->len; i++)
    n += !g_strcmp0(((OknoKbArticle *)found->pdata[i])->title, title);
  return n;
}

static void test_articles_index_is_rebuilt_only_on_a_change(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(OknoStore) other = okno_store_open(fx->db->url, NULL); /* another node */
  const char *q = "Не приходит код подтверждения по СМС на телефон";
  gint64 id, id2;
  guint builds;
  assert_non_null(other);
  id = okno_store_kb_add(fx->st, "Не приходит СМС с кодом", "Проверьте номер телефона.",
                         "портал", "смс, код", "cli:test", NULL);
  assert_true(id > 0);
  assert_int_equal(titles_found(fx->st, q, "Не приходит СМС с кодом"), 0); /* a draft */
  assert_true(okno_store_kb_publish(other, id, TRUE, NULL));
  assert_int_equal(titles_found(fx->st, q, "Не приходит СМС с кодом"), 1);
  builds = okno_kb_index_builds();
  assert_int_equal(titles_found(fx->st, q, "Не приходит СМС с кодом"), 1);
  assert_int_equal(titles_found(other, q, "Не приходит СМС с кодом"), 1);
  assert_int_equal(okno_kb_index_builds(), builds); /* nothing changed: no rebuild */
  /* an edit on the other node: the next search sees the new title */
  assert_true(okno_store_kb_edit(other, id, "Код из СМС не приходит", NULL, NULL, NULL,
                                 "cli:test", NULL, NULL));
  assert_int_equal(titles_found(fx->st, q, "Не приходит СМС с кодом"), 0);
  assert_int_equal(titles_found(fx->st, q, "Код из СМС не приходит"), 1);
  assert_int_equal(okno_kb_index_builds(), builds + 1);
  /* a second article, published; then the first withdrawn to draft */
  id2 = okno_store_kb_add(other, "Телефон для кода", "Код приходит на телефон из профиля.",
                          "", "", "cli:test", NULL);
  assert_true(id2 > 0 && okno_store_kb_publish(other, id2, TRUE, NULL));
  assert_int_equal(titles_found(fx->st, q, "Телефон для кода"), 1);
  assert_true(okno_store_kb_publish(other, id, FALSE, NULL));
  assert_int_equal(titles_found(fx->st, q, "Код из СМС не приходит"), 0);
  assert_int_equal(titles_found(fx->st, q, "Телефон для кода"), 1);
}

/* The titles of what `q` matches now, joined by "|". */
static char *query_titles(OknoStore *st, const OknoKbQuery *q)
{
  g_autoptr(GPtrArray) found = okno_kb_match_query(st, q, NULL);
  GString *s = g_string_new(NULL);
  assert_non_null(found);
  for (guint i = 0; i < found->len; i++)
    g_string_append_printf(s, "%s%s", i ? "|" : "", ((OknoKbArticle *)found->pdata[i])->title);
  return g_string_free(s, FALSE);
}

/* A query made ahead (intake's parse pool, register.h okno_register_prepare) gives what
 * a search at match time gives: its hits when the knowledge base is as it was, a new
 * search when an article was published, edited or withdrawn in between. */
static void test_a_query_made_ahead_sees_the_knowledge_base_of_match_time(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(OknoStore) other = okno_store_open(fx->db->url, NULL); /* another node */
  const char *text = "Не приходит код подтверждения по СМС на телефон";
  g_autoptr(OknoKbQuery) before = NULL, after = NULL;
  g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL;
  gint64 id, id2;
  guint builds;
  assert_non_null(other);
  id = okno_store_kb_add(fx->st, "Не приходит СМС с кодом", "Проверьте номер телефона.",
                         "портал", "смс, код", "cli:test", NULL);
  assert_true(id > 0 && okno_store_kb_publish(fx->st, id, TRUE, NULL));
  assert_int_equal(titles_found(fx->st, text, "Не приходит СМС с кодом"), 1); /* built */
  before = okno_kb_query_new(text, 5, 2);
  /* another node publishes a second article between the query and the match */
  id2 = okno_store_kb_add(other, "Телефон для кода", "Код приходит на телефон из профиля.",
                          "", "", "cli:test", NULL);
  assert_true(id2 > 0 && okno_store_kb_publish(other, id2, TRUE, NULL));
  t1 = query_titles(fx->st, before);
  assert_non_null(strstr(t1, "Телефон для кода"));
  assert_non_null(strstr(t1, "Не приходит СМС с кодом"));
  /* made against the index of now: its hits, no search and no build at match time */
  after = okno_kb_query_new(text, 5, 2);
  builds = okno_kb_index_builds();
  t2 = query_titles(fx->st, after);
  assert_string_equal(t2, t1);
  assert_int_equal(okno_kb_index_builds(), builds);
  /* withdrawn after the query was made: no longer offered */
  assert_true(okno_store_kb_publish(other, id2, FALSE, NULL));
  t3 = query_titles(fx->st, after);
  assert_string_equal(t3, "Не приходит СМС с кодом");
}

static gint64 answered_appeal(OknoStore *st, guint n, const char *question, const char *answer)
{
  g_autofree char *number = g_strdup_printf("26-%06u", n);
  g_autoptr(GBytes) raw = g_bytes_new_static("Subject: x\r\n\r\nx\r\n", 17);
  OknoAppeal a = {.number = number, .status = OKNO_STATUS_ANSWERED,
                  .channel = OKNO_CHANNEL_EMAIL, .subject = "Обращение",
                  .from_name = "Иван Петров", .from_email = "ivan@example.ru",
                  .received_at = okno_now() + n, .answered = TRUE};
  OknoMessageRow in = {.direction = "in", .sender = "ivan@example.ru", .subject = "Обращение",
                       .text = question, .raw = raw, .created_at = okno_now() + n};
  OknoMessageRow out = {.direction = "out", .sender = "okno@example.ru",
                        .subject = "Ответ", .text = answer, .raw = raw,
                        .created_at = okno_now() + n + 1};
  assert_true(okno_store_appeal_insert(st, &a, NULL));
  a.answered = TRUE; /* the insert writes a new appeal's columns only */
  assert_true(okno_store_appeal_update(st, &a, NULL));
  in.appeal_id = out.appeal_id = a.id;
  assert_true(okno_store_message_insert(st, &in, NULL));
  assert_true(okno_store_message_insert(st, &out, NULL));
  return a.id;
}

static const char *first_number(GPtrArray *cases)
{
  assert_non_null(cases);
  return cases->len ? ((OknoKbCase *)cases->pdata[0])->number : "";
}

static void test_similar_cases_follow_new_answers(void **state)
{
  Fx *fx = fixture(state);
  const char *q = "Во дворе дома огромная яма на дороге, просим отремонтировать";
  guint builds;
  gint64 self;
  answered_appeal(fx->st, 1, "Не работает уличное освещение во дворе", "Фонари починят.");
  self = answered_appeal(fx->st, 2, "Яма на дороге во дворе дома, отремонтируйте дорогу",
                         "Ремонт запланирован.");
  {
    g_autoptr(GPtrArray) c = okno_kb_similar(fx->st, q, 0, 3, NULL);
    assert_string_equal(first_number(c), "26-000002");
    assert_string_equal(((OknoKbCase *)c->pdata[0])->answer, "Ремонт запланирован.");
  }
  builds = okno_kb_index_builds();
  {
    g_autoptr(GPtrArray) c = okno_kb_similar(fx->st, q, self, 3, NULL);
    assert_string_equal(first_number(c), ""); /* the appeal itself is left out */
  }
  assert_int_equal(okno_kb_index_builds(), builds);
  answered_appeal(fx->st, 3, "Огромная яма во дворе дома на дороге", "Яму засыплют.");
  {
    g_autoptr(GPtrArray) c = okno_kb_similar(fx->st, q, self, 3, NULL);
    assert_string_equal(first_number(c), "26-000003");
  }
  assert_int_equal(okno_kb_index_builds(), builds + 1);
}

static void test_a_shredded_appeal_is_suggested_no_more(void **state)
{
  Fx *fx = fixture(state);
  const char *q = "Во дворе дома огромная яма на дороге";
  g_autofree char *dir = g_dir_make_tmp("okno-kb-key-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "okno.key", NULL);
  g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
  gint64 id;
  assert_true(okno_vault_create(path, NULL));
  okno_store_set_vault(okno_vault_load(path, NULL), path);
  id = answered_appeal(fx->st, 1, "Яма на дороге во дворе дома", "Ремонт запланирован.");
  {
    g_autoptr(GPtrArray) c = okno_kb_similar(fx->st, q, 0, 3, NULL);
    assert_string_equal(first_number(c), "26-000001");
  }
  /* a shred writes no event: the cached index must forget the text all the same */
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_shred(fx->st, id, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  {
    g_autoptr(GPtrArray) c = okno_kb_similar(fx->st, q, 0, 3, NULL);
    assert_string_equal(first_number(c), "");
  }
  okno_store_set_vault(NULL, NULL);
  assert_int_equal(system(rm), 0);
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_articles_index_is_rebuilt_only_on_a_change),
    ON_BOTH(test_a_query_made_ahead_sees_the_knowledge_base_of_match_time),
    ON_BOTH(test_similar_cases_follow_new_answers),
    ON_BOTH(test_a_shredded_appeal_is_suggested_no_more),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
