/* classify_stats.c (ops): the accuracy of the models' automatic decisions as a table of
 * the supervisors' dashboard (see classify_auto.h; docs/classify.md "Accuracy"). */
#include "ops/classify_auto.h"

#include <string.h>

#include "ops/classify.h"
#include "ops/stats.h"
#include "store/classify.h"

static const char *model_words(const char *model)
{
  static const struct {
    const char *name, *words;
  } names[] = {
      {OKNO_DEPARTMENT_MODEL, "Отдел"},
      {OKNO_CATEGORY_MODEL, "Категория"},
      {OKNO_SLA_CLASS_MODEL, "Класс срока"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    if (strcmp(model, names[i].name) == 0)
      return names[i].words;
  return model;
}

gboolean okno_classify_stats_add(OknoStore *st, gint64 from, gint64 to, GPtrArray *tables,
                                 GError **error)
{
  static const char *const cols[] = {"Модель", "Решено автоматически", "Исправлено позже",
                                     "Точность, %", NULL};
  g_autoptr(GPtrArray) rows = okno_store_models_accuracy(st, from, to, error);
  OknoStatsTable *t;
  if (!rows)
    return FALSE;
  if (!rows->len)
    return TRUE; /* no model decided anything then: no table */
  t = g_new0(OknoStatsTable, 1);
  t->id = "classify";
  t->table = okno_table_new("Автоматическая классификация", cols);
  for (guint i = 0; i < rows->len; i++) {
    const OknoModelAccuracy *m = rows->pdata[i];
    double acc = okno_classify_accuracy(m->routed, m->corrected);
    okno_table_row(t->table);
    okno_table_text(t->table, model_words(m->model));
    okno_table_int(t->table, m->routed);
    okno_table_int(t->table, m->corrected);
    if (acc < 0)
      okno_table_text(t->table, "—");
    else
      okno_table_real(t->table, acc * 100);
  }
  g_ptr_array_add(tables, t);
  return TRUE;
}
