/* stats.c: the dashboard's figures as tables (stats.h). */
#include "ops/stats.h"

#include <string.h>

#include "appeal/appeal.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "mail/receipt.h"
#include "ops/ops.h"
#include "core/json.h"
#include "store/appeals.h"
#include "store/events.h"
#include "store/outbound.h"
#include "store/rollup.h"
#include "store/staff.h"

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
  OknoChannel c;
  return okno_channel_parse(channel, &c) ? okno_channels[c].title : channel;
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

const char *okno_stats_ground_words(const char *ground)
{
  static const char *const t[][2] = {
    {"no_name_or_address", "не указаны фамилия или адрес для ответа"},
    {"obscene", "нецензурные либо оскорбительные выражения"},
    {"unreadable", "текст не поддаётся прочтению"},
    {"no_essence", "нельзя понять суть обращения"},
    {"repeated", "повторное обращение, переписка прекращена"},
    {NULL, NULL},
  };
  return words(t, ground);
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

/* The name of classifier code `code` in [formal] themes ("CODE:name"), or NULL. */
static const char *theme_name(const OknoConfig *cfg, const char *code, char **owned)
{
  gsize n = strlen(code);
  for (char **t = cfg ? cfg->formal_themes : NULL; t && *t; t++)
    if (strncmp(*t, code, n) == 0 && (*t)[n] == ':')
      return *owned = g_strstrip(g_strdup(*t + n + 1));
  return NULL;
}

static const char *section_name(const char *section)
{
  static const char *const t[][2] = {
    {"0001", "Государство, общество, политика"}, {"0002", "Социальная сфера"},
    {"0003", "Экономика"}, {"0004", "Оборона, безопасность, законность"},
    {"0005", "Жилищно-коммунальная сфера"}, {NULL, NULL},
  };
  return words(t, section);
}

static void theme_tables(GPtrArray *out, const OknoStatsFormal *f, const OknoConfig *cfg)
{
  static const char *const cols[] = {"Код", "Название", "Поступило", NULL};
  OknoTable *sections = add(out, "formal_sections", FALSE, "По разделам классификатора", cols);
  OknoTable *themes = add(out, "formal_themes", FALSE, "По темам классификатора", cols);
  g_autoptr(GHashTable) by_section = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GList) keys = f->themes ? g_list_sort(g_hash_table_get_keys(f->themes),
                                                  (GCompareFunc)g_strcmp0) : NULL;
  g_autoptr(GList) skeys = NULL;
  for (GList *k = keys; k; k = k->next) {
    const char *code = k->data;
    gint64 n = *(gint64 *)g_hash_table_lookup(f->themes, code);
    g_autofree char *owned = NULL;
    const char *dot = strchr(code, '.');
    char *section = *code ? g_strndup(code, dot ? (gsize)(dot - code) : strlen(code)) : g_strdup("");
    gint64 *sum = g_hash_table_lookup(by_section, section);
    okno_table_row(themes);
    okno_table_text(themes, *code ? code : "—");
    okno_table_text(themes, *code ? (theme_name(cfg, code, &owned) ? owned : "") : "Не указан");
    okno_table_int(themes, n);
    if (sum) {
      *sum += n;
      g_free(section);
    } else {
      g_hash_table_insert(by_section, section, g_memdup2(&n, sizeof n));
    }
  }
  skeys = g_list_sort(g_hash_table_get_keys(by_section), (GCompareFunc)g_strcmp0);
  for (GList *k = skeys; k; k = k->next) {
    const char *section = k->data;
    okno_table_row(sections);
    okno_table_text(sections, *section ? section : "—");
    okno_table_text(sections, *section ? section_name(section) : "Не указан");
    okno_table_int(sections, *(gint64 *)g_hash_table_lookup(by_section, section));
  }
}

gboolean okno_stats_set_theme(const OknoConfig *cfg, OknoStore *st, const char *number,
                              const char *code, const char *actor, GError **error)
{
  g_autoptr(OknoAppeal) a = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *owned = NULL, *detail = NULL;
  if (!code || !theme_name(cfg, code, &owned)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Код «%s» не найден в классификаторе ([formal] themes).", code ? code : "");
    return FALSE;
  }
  a = okno_store_appeal_get(st, number, error);
  if (!a) {
    if (error && !*error)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Обращение № %s не найдено.", number);
    return FALSE;
  }
  if (a->kind != OKNO_KIND_FORMAL) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Обращение № %s — не обращение по 59-ФЗ: тема классификатора ему не нужна.",
                number);
    return FALSE;
  }
  b = json_builder_new();
  json_builder_begin_object(b);
  okno_json_str(b, "code", code);
  okno_json_str(b, "by", actor ? actor : "");
  json_builder_end_object(b);
  detail = okno_json_text(b, FALSE);
  return okno_store_appeal_theme_set(st, a->id, code, okno_now(), actor, error) &&
         okno_store_event_add(st, a->id, "theme_set", detail, error);
}

GPtrArray *okno_stats_tables(const OknoStats *s, gboolean weekly, const OknoConfig *cfg)
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
  row_int(t, "Отозвано заявителями", r->withdrawn);
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

  t = add(out, "formal", FALSE, "Обращения по 59-ФЗ", summary_cols);
  row_int(t, "Поступило", s->formal.received);
  row_int(t, "Направлено по компетенции", s->formal.forwarded);
  row_int(t, "из них в течение 7 дней", s->formal.forwarded_in_time);
  row_int(t, "Дан ответ в течение 30 дней", s->formal.answered_30);
  row_int(t, "Срок рассмотрения продлён", s->formal.extended);
  row_int(t, "Оставлено без ответа (ст. 11)", s->formal.unanswered);
  for (const char *const *g = okno_ops_art11_grounds(); *g; g++) {
    gint64 *n = s->formal.grounds ? g_hash_table_lookup(s->formal.grounds, *g) : NULL;
    g_autofree char *label = g_strdup_printf("ст. 11: %s", okno_stats_ground_words(*g));
    row_int(t, label, n ? *n : 0);
  }

  theme_tables(out, &s->formal, cfg);

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

/* ---- the weekly report mail ---- */

/* A table as text lines "label: value, value" (the column names after the first in
 * brackets when there are several). */
static void table_text(GString *out, const OknoTable *t)
{
  const char *const *cols = okno_table_columns(t);
  guint n = g_strv_length((char **)cols);
  g_string_append_printf(out, "%s", okno_table_title(t));
  if (n > 2) {
    g_string_append(out, " (");
    for (guint c = 1; c < n; c++)
      g_string_append_printf(out, "%s%s", c > 1 ? "; " : "", cols[c]);
    g_string_append(out, ")");
  }
  g_string_append(out, ":\n");
  for (guint r = 0; r < okno_table_rows(t); r++) {
    g_autofree char *label = okno_table_cell_text(t, r, 0);
    g_string_append_printf(out, "  %s:", label);
    for (guint c = 1; c < okno_table_cells(t, r); c++) {
      g_autofree char *v = okno_table_cell_text(t, r, c);
      g_string_append_printf(out, "%s %s", c > 1 ? ";" : "", v);
    }
    g_string_append(out, "\n");
  }
  g_string_append(out, "\n");
}

static gboolean department_mail(const OknoConfig *cfg, OknoStore *st, const OknoCalendar *cal,
                                const OknoDepartment *d, gint64 from, gint64 to, gint64 now,
                                guint *sent, GError **error)
{
  static const char *const shown[] = {"summary", "channels", "times", "backlog"};
  g_auto(GStrv) emails = okno_store_department_supervisors(st, d->code, error);
  g_autoptr(GPtrArray) tables = NULL;
  g_autoptr(GString) text = g_string_new(NULL);
  g_autofree char *first = NULL, *last = NULL, *subject = NULL, *f_iso = NULL, *l_iso = NULL;
  OknoReportQuery q = {.from = from, .to = to, .now = now, .department = d->code};
  OknoStats s;
  if (!emails)
    return FALSE;
  if (!emails[0])
    return TRUE;
  if (!okno_store_stats(st, &q, FALSE, cal, &s, error))
    return FALSE;
  tables = okno_stats_tables(&s, FALSE, cfg);
  okno_stats_clear(&s);
  {
    g_autoptr(GDateTime) a = g_date_time_new_from_unix_utc(from / G_USEC_PER_SEC);
    g_autoptr(GDateTime) b = g_date_time_new_from_unix_utc((to - 1) / G_USEC_PER_SEC);
    g_autoptr(GDateTime) am = g_date_time_to_timezone(a, okno_tz_moscow());
    g_autoptr(GDateTime) bm = g_date_time_to_timezone(b, okno_tz_moscow());
    first = g_date_time_format(am, "%d.%m.%Y");
    last = g_date_time_format(bm, "%d.%m.%Y");
    f_iso = g_date_time_format(am, "%Y-%m-%d");
    l_iso = g_date_time_format(bm, "%Y-%m-%d");
  }
  subject = g_strdup_printf("Еженедельный отчёт: %s, %s — %s", *d->name ? d->name : d->code,
                            first, last);
  g_string_append_printf(text,
                         "Направляем показатели отдела «%s» за неделю с %s по %s включительно "
                         "(по дате поступления обращений, время московское).\n\n",
                         *d->name ? d->name : d->code, first, last);
  for (gsize i = 0; i < G_N_ELEMENTS(shown); i++) {
    const OknoStatsTable *t = okno_stats_table_find(tables, shown[i]);
    if (t)
      table_text(text, t->table);
  }
  if (cfg->public_url && *cfg->public_url) {
    g_autofree char *dept = g_uri_escape_string(d->code, NULL, FALSE);
    g_string_append_printf(text, "Подробнее, с графиками и выгрузкой в Excel: %s/console/stats"
                                 "?from=%s&to=%s&department=%s\n",
                           cfg->public_url, f_iso, l_iso, dept);
  }
  for (char **e = emails; *e; e++) {
    g_autofree char *mid = NULL;
    g_autoptr(GBytes) msg = okno_notice_build(cfg, "weekly", *e, "", subject, text->str, &mid);
    if (!msg) {
      okno_log_warn("stats", "event=weekly_mail_skipped department=%s reason=bad_address",
                    d->code);
      continue;
    }
    if (!okno_store_outbound_enqueue_mail(st, cfg->outbound_from, *e, mid, msg, error))
      return FALSE;
    (*sent)++;
  }
  return TRUE;
}

gboolean okno_stats_weekly_mail(const OknoConfig *cfg, OknoStore *st, const OknoCalendar *cal,
                                gint64 now, guint *sent, GError **error)
{
  static const char *const days[] = {"monday", "tuesday", "wednesday", "thursday",
                                     "friday", "saturday", "sunday"};
  const char *want = cfg->stats_weekly_day;
  g_autoptr(GDateTime) t = NULL;
  g_autoptr(GDateTime) m = NULL;
  g_autoptr(GPtrArray) depts = NULL;
  gint64 msk_day, week, to;
  int dow = -1;
  gboolean won = FALSE;
  *sent = 0;
  if (!want || !*want)
    return TRUE;
  for (int i = 0; i < 7; i++)
    if (g_ascii_strcasecmp(want, days[i]) == 0)
      dow = i + 1;
  if (dow < 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "[stats] weekly_day: \"%s\" is not a day name (monday ... sunday)", want);
    return FALSE;
  }
  t = g_date_time_new_from_unix_utc(now / G_USEC_PER_SEC);
  m = g_date_time_to_timezone(t, okno_tz_moscow());
  if (g_date_time_get_day_of_week(m) != dow)
    return TRUE;
  /* the day's start in Moscow (UTC+3), its Monday-started week, the 7 days before it */
  msk_day = (now + G_GINT64_CONSTANT(3 * 3600) * G_USEC_PER_SEC) / (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC);
  week = (msk_day + 3) / 7;
  to = msk_day * G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC - G_GINT64_CONSTANT(3 * 3600) * G_USEC_PER_SEC;
  /* the calendar sync writes in its own transaction (store/rollup.h) */
  if (!okno_rollup_sync(st, cal, error))
    return FALSE;
  if (!okno_store_begin(st, error))
    return FALSE;
  if (!okno_store_stats_mail_claim(st, week, now, &won, error))
    goto fail;
  if (!won) {
    okno_store_rollback(st);
    return TRUE;
  }
  if (!(depts = okno_store_department_list(st, error)))
    goto fail;
  for (guint i = 0; i < depts->len; i++)
    if (!department_mail(cfg, st, cal, depts->pdata[i], to - 7 * G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC,
                         to, now, sent, error))
      goto fail;
  if (!okno_store_commit(st, error))
    goto fail;
  okno_log("stats", "event=weekly_mail week=%" G_GINT64_FORMAT " letters=%u", week, *sent);
  return TRUE;
fail:
  okno_store_rollback(st);
  *sent = 0;
  return FALSE;
}
