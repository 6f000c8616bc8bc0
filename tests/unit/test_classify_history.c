/* test_classify_history.c: the staff decisions of the appeals' history become examples
 * (ops/classify_history.h, `okno classify retrain`): the latest transfer of an appeal
 * for the department model, a confirmation of urgency for the SLA-class model; an
 * appeal the model has an operator example of keeps it; a class the model does not take
 * and a shredded value are skipped; a second pass adds nothing. On SQLite, and on
 * PostgreSQL as pg_*. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/clock.h"
#include "ops/classify.h"
#include "ops/classify_auto.h"
#include "ops/classify_history.h"
#include "store/appeals.h"
#include "store/classify.h"
#include "store/events.h"
#include "store/messages.h"
#include "store/store.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

static gint64 appeal(OknoStore *st, guint n, const char *text)
{
  g_autofree char *number = g_strdup_printf("26-%06u", n);
  g_autoptr(GBytes) raw = g_bytes_new_static("Subject: x\r\n\r\nx\r\n", 17);
  OknoAppeal a = {.number = number, .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .subject = "Обращение", .from_name = "Иван Петров",
                  .from_email = "ivan@example.ru", .received_at = okno_now() + n};
  OknoMessageRow m = {.direction = "in", .sender = "ivan@example.ru", .subject = "Обращение",
                      .text = text, .raw = raw, .created_at = okno_now() + n};
  assert_true(okno_store_appeal_insert(st, &a, NULL));
  m.appeal_id = a.id;
  assert_true(okno_store_message_insert(st, &m, NULL));
  return a.id;
}

static void ev(OknoStore *st, gint64 id, const char *kind, const char *detail)
{
  assert_true(okno_store_event_add(st, id, kind, detail, NULL));
}

static gint by_text(gconstpointer a, gconstpointer b)
{
  return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* "text=label" of each operator example of `model`, sorted, joined by "; ". */
static char *examples(OknoStore *st, const char *model)
{
  gint64 last = 0;
  g_autoptr(GPtrArray) rows = okno_store_examples(st, model, &last, NULL);
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);
  assert_non_null(rows);
  for (guint i = 0; i < rows->len; i++) {
    const OknoStoredExample *e = rows->pdata[i];
    if (g_str_equal(e->source, "operator"))
      g_ptr_array_add(parts, g_strdup_printf("%s=%s", strrchr(e->text, '\n') ? strrchr(e->text, '\n') + 1 : e->text, e->label));
  }
  g_ptr_array_sort(parts, by_text);
  g_ptr_array_add(parts, NULL);
  return g_strjoinv("; ", (char **)parts->pdata);
}

static void test_history_decisions_become_examples_once(void **state)
{
  Fx *fx = fixture(state);
  gint64 a = appeal(fx->st, 1, "яма на дороге"), b = appeal(fx->st, 2, "нет воды"),
         c = appeal(fx->st, 3, "нет отопления"), d = appeal(fx->st, 4, "шум ночью");
  guint dept = 9, sla = 9;
  g_autofree char *got_dept = NULL, *got_sla = NULL;
  /* a: transferred twice before the learning, then confirmed urgent */
  ev(fx->st, a, "transferred", "{\"from\": \"\", \"to\": \"roads\", \"by\": \"ivan\"}");
  ev(fx->st, a, "transferred", "{\"from\": \"roads\", \"to\": \"city\", \"by\": \"ivan\"}");
  ev(fx->st, a, "priority_confirmed", "{\"class\": \"urgent\", \"by\": \"boss\"}");
  /* b: transferred before, and decided by staff since the learning (the example stands) */
  ev(fx->st, b, "transferred", "{\"to\": \"roads\", \"by\": \"ivan\"}");
  assert_true(okno_store_example_from_appeal(fx->st, OKNO_DEPARTMENT_MODEL, b, "water", NULL));
  /* c: accelerated kept by a confirmation; d: a class the model does not take */
  ev(fx->st, c, "priority_confirmed", "{\"class\": \"accelerated\", \"by\": \"boss\"}");
  ev(fx->st, d, "priority_confirmed", "{\"class\": \"formal\", \"by\": \"boss\"}");
  ev(fx->st, d, "transferred", "{\"to\": \"\", \"by\": \"ivan\"}"); /* shredded: "" */

  assert_true(okno_classify_from_history(fx->st, &dept, &sla, NULL));
  assert_int_equal(dept, 1);
  assert_int_equal(sla, 2);
  got_dept = examples(fx->st, OKNO_DEPARTMENT_MODEL);
  got_sla = examples(fx->st, OKNO_SLA_CLASS_MODEL);
  assert_string_equal(got_dept, "нет воды=water; яма на дороге=city");
  assert_string_equal(got_sla, "нет отопления=accelerated; яма на дороге=urgent");

  assert_true(okno_classify_from_history(fx->st, &dept, &sla, NULL));
  assert_int_equal(dept, 0);
  assert_int_equal(sla, 0);
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_history_decisions_become_examples_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
