/* test_classify_routes.c: the accuracy of the models' automatic decisions (issue 19
 * item 2; store/classify.h, ops/classify_auto.h): one decision per (appeal, model), a
 * later staff decision for another label counts as an error of that model only, the
 * same label does not, a period counts the decisions made in it, and the dashboard's
 * table shows the figures; a model saved by an older okno is retrained by the
 * scheduler's next pass. On SQLite, and on PostgreSQL as pg_*. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "core/clock.h"
#include "ops/classify.h"
#include "ops/classify_auto.h"
#include "ops/stats.h"
#include "store/classify.h"
#include "store/store.h"
#include "text/classify.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

#define HOUR (G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC)

static void test_accuracy_is_the_share_not_corrected(void **state)
{
  (void)state;
  assert_true(okno_classify_accuracy(0, 0) < 0);
  assert_true(fabs(okno_classify_accuracy(10, 1) - 0.9) < 1e-12);
  assert_true(fabs(okno_classify_accuracy(3, 0) - 1.0) < 1e-12);
  assert_true(fabs(okno_classify_accuracy(5, 7) - 0.0) < 1e-12); /* never below 0 */
}

static void routed(OknoStore *st, gint64 appeal, const char *model, const char *label)
{
  assert_true(okno_store_model_routed(st, appeal, model, label, NULL));
}

static const OknoModelAccuracy *find(GPtrArray *rows, const char *model)
{
  for (guint i = 0; i < rows->len; i++)
    if (strcmp(((OknoModelAccuracy *)rows->pdata[i])->model, model) == 0)
      return rows->pdata[i];
  return NULL;
}

static void test_corrections_count_per_model_and_period(void **state)
{
  Fx *fx = fixture(state);
  const gint64 t0 = okno_now();
  g_autoptr(GPtrArray) all = NULL, first = NULL, none = NULL;
  const OknoModelAccuracy *m;
  /* hour 0: appeal 1 decided by three models; appeal 2 by the category model */
  routed(fx->st, 1, "department", "roads");
  routed(fx->st, 1, "category", "дороги");
  routed(fx->st, 1, "sla_class", "simple");
  routed(fx->st, 2, "category", "ЖКХ");
  okno_clock_set(t0 + 2 * HOUR);
  routed(fx->st, 3, "category", "медицина");
  /* staff: appeal 1's category elsewhere (an error of the category model only); appeal
   * 2's category confirmed (no error); appeal 3 moved to a department (no decision of
   * the department model there: nothing) */
  assert_true(okno_store_model_corrected(fx->st, 1, "category", "ЖКХ", NULL));
  assert_true(okno_store_model_corrected(fx->st, 2, "category", "ЖКХ", NULL));
  assert_true(okno_store_model_corrected(fx->st, 3, "department", "health", NULL));
  /* a second correction of the same decision is still one error */
  assert_true(okno_store_model_corrected(fx->st, 1, "category", "образование", NULL));

  all = okno_store_models_accuracy(fx->st, t0, t0 + 3 * HOUR, NULL);
  assert_non_null(all);
  assert_int_equal(all->len, 3);
  m = find(all, "category");
  assert_non_null(m);
  assert_int_equal(m->routed, 3);
  assert_int_equal(m->corrected, 1);
  m = find(all, "department");
  assert_int_equal(m->routed, 1);
  assert_int_equal(m->corrected, 0);
  m = find(all, "sla_class");
  assert_int_equal(m->routed, 1);
  assert_int_equal(m->corrected, 0);

  /* the first hour only: the decisions made in it, corrected later or not */
  first = okno_store_models_accuracy(fx->st, t0, t0 + HOUR, NULL);
  m = find(first, "category");
  assert_int_equal(m->routed, 2);
  assert_int_equal(m->corrected, 1);
  none = okno_store_models_accuracy(fx->st, t0 - 2 * HOUR, t0, NULL);
  assert_int_equal(none->len, 0);
}

static void test_the_dashboard_table_shows_the_figures(void **state)
{
  Fx *fx = fixture(state);
  const gint64 t0 = okno_now();
  g_autoptr(GPtrArray) tables = g_ptr_array_new();
  const OknoStatsTable *t;
  g_autofree char *name = NULL, *routed_text = NULL, *corrected = NULL, *acc = NULL;
  /* a period without decisions: no table */
  assert_true(okno_classify_stats_add(fx->st, t0, t0 + HOUR, tables, NULL));
  assert_int_equal(tables->len, 0);
  for (gint64 i = 1; i <= 3; i++)
    routed(fx->st, i, "category", "a");
  assert_true(okno_store_model_corrected(fx->st, 2, "category", "b", NULL));
  assert_true(okno_classify_stats_add(fx->st, t0, t0 + HOUR, tables, NULL));
  assert_int_equal(tables->len, 1);
  t = tables->pdata[0];
  assert_string_equal(t->id, "classify");
  assert_int_equal(okno_table_rows(t->table), 1);
  name = okno_table_cell_text(t->table, 0, 0);
  routed_text = okno_table_cell_text(t->table, 0, 1);
  corrected = okno_table_cell_text(t->table, 0, 2);
  acc = okno_table_cell_text(t->table, 0, 3);
  assert_string_equal(name, "Категория");
  assert_string_equal(routed_text, "3");
  assert_string_equal(corrected, "1");
  assert_string_equal(acc, "66,7");
  okno_table_free(t->table);
  g_free(tables->pdata[0]);
}

/* After an upgrade that changes the classifier's features, a stored model of the older
 * format is refused by the loader; the scheduler's pass must retrain it at once, even
 * with no new example and its interval not yet over, or it would route nothing. */
static void test_a_model_of_an_older_format_is_retrained_by_the_next_pass(void **state)
{
  Fx *fx = fixture(state);
  static const OknoExample ex[] = {
    {"пароль не подходит к учётной записи", "доступ"},
    {"деньги списали дважды за услугу", "оплата"},
  };
  const gint64 day = 24 * HOUR;
  g_autoptr(GBytes) saved = NULL, old = NULL, again = NULL;
  g_autoptr(GPtrArray) due = NULL;
  g_autofree guint8 *copy = NULL;
  gsize len = 0;
  guint trained = 9;
  assert_true(okno_store_examples_import(fx->st, "topic", ex, G_N_ELEMENTS(ex), NULL));
  assert_true(okno_classify_retrain(fx->st, "topic", NULL, NULL, NULL));
  /* freshly trained: not due within the interval */
  assert_true(okno_classify_retrain_due(fx->st, okno_now(), day, &trained, NULL));
  assert_int_equal(trained, 0);
  /* the same model as an older okno saved it */
  saved = okno_store_model_load(fx->st, "topic", NULL, NULL, NULL);
  assert_non_null(saved);
  len = g_bytes_get_size(saved);
  copy = g_memdup2(g_bytes_get_data(saved, NULL), len);
  memcpy(copy, "OKNOCLS2", 8);
  old = g_bytes_new(copy, len);
  assert_true(okno_store_model_save(fx->st, "topic", old, G_N_ELEMENTS(ex), G_MAXINT64, NULL));
  due = okno_store_models_due(fx->st, okno_now(), day, okno_classifier_format, NULL);
  assert_non_null(due);
  assert_int_equal(due->len, 1);
  assert_string_equal(due->pdata[0], "topic");
  assert_true(okno_classify_retrain_due(fx->st, okno_now(), day, &trained, NULL));
  assert_int_equal(trained, 1);
  again = okno_store_model_load(fx->st, "topic", NULL, NULL, NULL);
  assert_non_null(again);
  assert_memory_equal(g_bytes_get_data(again, NULL), okno_classifier_format, 8);
  /* and then it is not due again */
  assert_true(okno_classify_retrain_due(fx->st, okno_now(), day, &trained, NULL));
  assert_int_equal(trained, 0);
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_accuracy_is_the_share_not_corrected),
    ON_BOTH(test_corrections_count_per_model_and_period),
    ON_BOTH(test_the_dashboard_table_shows_the_figures),
    ON_BOTH(test_a_model_of_an_older_format_is_retrained_by_the_next_pass),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
