/* stats.c: the dashboard's figures as tables (stats.h). */
#include "ops/stats.h"

#include <string.h>

#include "appeal/appeal.h"
#include "core/clock.h"

static void stats_table_free(gpointer p)
{
  OknoStatsTable *t = p;
  okno_table_free(t->table);
  g_free(t);
}

static OknoTable *add(GPtrArray *out, const char *id, gboolean chart, const char *title,
                      const char *const *columns)
{
  OknoStatsTable *t = g_new0(OknoStatsTable, 1);
  t->id = id;
  t->chart = chart;
  t->table = okno_table_new(title, columns);
  g_ptr_array_add(out, t);
  return t->table;
}

static void row_int(OknoTable *t, const char *label, gint64 v)
{
  okno_table_row(t);
  okno_table_text(t, label);
  okno_table_int(t, v);
}

static const char *words(const char *const table[][2], const char *name)
{
  for (guint i = 0; table[i][0]; i++)
    if (g_strcmp0(table[i][0], name) == 0)
      return table[i][1];
  return name;
}

const char *okno_stats_channel_words(const char *channel)
{
  static const char *const t[][2] = {
    {"email", "Электронная почта"}, {"web", "Форма на сайте"}, {"chat", "Чат"},
    {"messenger", "Мессенджер"},    {"phone", "Телефон"},      {NULL, NULL},
  };
  return words(t, channel);
}

const char *okno_stats_kind_words(const char *kind)
{
  static const char *const t[][2] = {
    {"support", "Запрос в поддержку"}, {"formal", "Обращение по 59-ФЗ"}, {NULL, NULL},
  };
  return words(t, kind);
}

const char *okno_stats_sla_words(const char *sla_class)
{
  static const char *const t[][2] = {
    {"", "Без класса"},     {"simple", "Простое"},   {"complex", "Сложное"},
    {"urgent", "Срочное"},  {"complaint", "Жалоба"}, {"accelerated", "Ускоренное"},
    {"formal", "59-ФЗ"},    {NULL, NULL},
  };
  return words(t, sla_class);
}

static void counts(OknoTable *t, GHashTable *h, const char *(*name)(const char *),
                   const char *none)
{
  g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(h), (GCompareFunc)g_strcmp0);
  for (GList *k = keys; k; k = k->next) {
    const char *key = k->data;
    row_int(t, *key ? (name ? name(key) : key) : none, *(gint64 *)g_hash_table_lookup(h, key));
  }
}

static char *day_text(gint64 us)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) m = t ? g_date_time_to_timezone(t, okno_tz_moscow()) : NULL;
  return m ? g_date_time_format(m, "%d.%m.%Y") : g_strdup("");
}

static void times_row(OknoTable *t, const char *what, const OknoStatsTimes *x)
{
  okno_table_row(t);
  okno_table_text(t, what);
  okno_table_int(t, x->n);
  okno_table_real(t, x->median_h);
  okno_table_real(t, x->p90_h);
}

GPtrArray *okno_stats_tables(const OknoStats *s, gboolean weekly)
{
  static const char *const summary_cols[] = {"Показатель", "Значение", NULL};
  static const char *const series_cols[] = {"Начало", "Поступило", "Отвечено", "Просрочено", NULL};
  static const char *const channel_cols[] = {"Канал", "Поступило", NULL};
  static const char *const category_cols[] = {"Категория", "Поступило", NULL};
  static const char *const department_cols[] = {"Отдел", "Поступило", NULL};
  static const char *const times_cols[] = {"Что", "Обращений", "Медиана, ч", "90-й перцентиль, ч", NULL};
  static const char *const backlog_cols[] = {"Возраст", "Открыто", NULL};
  static const char *const rating_cols[] = {"Оценка", "Число", NULL};
  static const char *const comment_cols[] = {"Обращение", "Оценка", "Дата", "Комментарий", NULL};
  static const char *const load_cols[] = {"Оператор", "Назначено", "Отвечено", "В работе", NULL};
  GPtrArray *out = g_ptr_array_new_with_free_func(stats_table_free);
  const OknoReport *r = &s->report;
  OknoTable *t;
  gint64 judged = r->on_time + r->overdue;

  t = add(out, "summary", FALSE, "Итоги", summary_cols);
  row_int(t, "Поступило", r->received);
  row_int(t, "Отвечено", r->answered);
  row_int(t, "Отвечено в срок", r->on_time);
  row_int(t, "Просрочено", r->overdue);
  row_int(t, "Открыто", r->open);
  okno_table_row(t);
  okno_table_text(t, "Соблюдение сроков, %");
  okno_table_real(t, judged ? 100.0 * (double)r->on_time / (double)judged : 0);
  row_int(t, "Возвращено в работу", s->reopened);
  row_int(t, "Повторные обращения", s->repeated);
  row_int(t, "Запрошено уточнений", s->clarifications);
  row_int(t, "Обращений с уточнением", s->clarified);
  row_int(t, "Оценок", s->rated);
  okno_table_row(t);
  okno_table_text(t, "Средняя оценка");
  okno_table_real(t, s->rating_avg);

  t = add(out, "series", TRUE, weekly ? "По неделям" : "По дням", series_cols);
  for (guint i = 0; s->series && i < s->series->len; i++) {
    const OknoStatsPoint *p = &g_array_index(s->series, OknoStatsPoint, i);
    g_autofree char *day = day_text(p->start);
    okno_table_row(t);
    okno_table_text(t, day);
    okno_table_int(t, p->received);
    okno_table_int(t, p->answered);
    okno_table_int(t, p->overdue);
  }

  t = add(out, "channels", TRUE, "По каналам", channel_cols);
  for (guint c = 0; c < OKNO_N_CHANNELS; c++) {
    const char *name = okno_channel_name((OknoChannel)c);
    gint64 *n = g_hash_table_lookup(r->by_channel, name);
    row_int(t, okno_stats_channel_words(name), n ? *n : 0);
  }
  t = add(out, "categories", TRUE, "По категориям", category_cols);
  counts(t, r->by_category, NULL, "Без категории");
  t = add(out, "departments", FALSE, "По отделам", department_cols);
  counts(t, r->by_department, NULL, "Сортировка (без отдела)");

  t = add(out, "times", FALSE, "Сроки в рабочих часах", times_cols);
  times_row(t, "До первого ответа", &s->first_answer);
  times_row(t, "До закрытия", &s->closing);
  times_row(t, "Ожидание уточнения", &s->clarification_wait);

  t = add(out, "backlog", TRUE, "Открытые по возрасту", backlog_cols);
  for (guint i = 0; i < OKNO_STATS_AGES; i++)
    row_int(t, okno_stats_age_words[i], s->backlog[i]);

  t = add(out, "ratings", TRUE, "Оценки", rating_cols);
  for (guint i = 0; i < 5; i++) {
    char label[2] = {(char)('1' + i), 0};
    row_int(t, label, s->ratings[i]);
  }

  t = add(out, "comments", FALSE, "Комментарии к оценкам", comment_cols);
  for (guint i = 0; s->comments && i < s->comments->len; i++) {
    const OknoStatsComment *c = s->comments->pdata[i];
    g_autofree char *day = day_text(c->at);
    okno_table_row(t);
    okno_table_text(t, c->number);
    okno_table_int(t, c->score);
    okno_table_text(t, day);
    okno_table_text(t, c->comment);
  }

  t = add(out, "load", FALSE, "Нагрузка операторов", load_cols);
  for (guint i = 0; s->load && i < s->load->len; i++) {
    const OknoStatsLoad *l = s->load->pdata[i];
    okno_table_row(t);
    okno_table_text(t, *l->login ? l->login : "Не назначено");
    okno_table_int(t, l->assigned);
    okno_table_int(t, l->answered);
    okno_table_int(t, l->open);
  }
  return out;
}

const OknoStatsTable *okno_stats_table_find(const GPtrArray *tables, const char *id)
{
  for (guint i = 0; tables && i < tables->len; i++) {
    const OknoStatsTable *t = tables->pdata[i];
    if (g_strcmp0(t->id, id) == 0)
      return t;
  }
  return NULL;
}
