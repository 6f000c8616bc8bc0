/* console_stats.c: the dashboard for supervisors, administrators and auditors
 * (console.h; docs/metrics.md, "Dashboard").
 *
 * GET /console/stats shows the figures of a period (from, to: YYYY-MM-DD, both days
 * included, Moscow time; by default the last 30 days) under filters (department: a
 * code, "-" for the triage queue,
 * channel, category, kind, sla, group = day | week), as tables (ops/stats.h) and, for
 * the tables that have one, an SVG chart drawn here on the server: role="img", a
 * <title> and <desc>, and the table itself right after it, so the page needs no script
 * and a screen reader reads the numbers. Supervisors see only their departments (the
 * filter offers those, and "all" means all of theirs); administrators and auditors see
 * every department; operators get 403 (okno_staff_can VIEW_STATS).
 *
 * GET /api/v1/stats with the same filters (no group) answers the JSON of `okno report
 * --json` for that query, built by the same function (ops/stats_json.h); dashboard=1
 * adds every other figure as --dashboard does, exact=1 counts the rows as --exact
 * does. Same roles; bad filters are 422 {"errors": {field: text}}.
 *
 * GET /console/stats/formal: the quarterly 59-FZ table, printable (formal_get below).
 *
 * GET /console/stats/export?table=ID&format=csv|xlsx with the same filters answers
 * one table as a download: the very table the page shows (ops/table.h). Bad filters
 * are a message next to the field on the page (400) or a 400 for a download. */
#include "web/console.h"

#include <glib/gstdio.h>
#include <string.h>

#include "appeal/appeal.h"
#include "core/clock.h"
#include "core/log.h"
#include "ops/calendar_file.h"
#include "ops/classify_auto.h"
#include "ops/stats.h"
#include "ops/stats_json.h"
#include "store/staff.h"
#include "store/stats.h"

#define MAX_DAYS 400
#define DEFAULT_DAYS 30

/* The production calendar for working hours, loaded once per process (NULL when it
 * cannot be: durations are then calendar hours, as store/stats.h says). */
static const OknoCalendar *calendar(const OknoConfig *cfg)
{
  static gsize once;
  static OknoCalendar *cal;
  if (g_once_init_enter(&once)) {
    g_autoptr(GError) err = NULL;
    cal = okno_calendar_load_default(cfg, &err);
    if (!cal)
      okno_log_warn("stats", "event=no_calendar error=\"%s\"", err->message);
    g_once_init_leave(&once, 1);
  }
  return cal;
}

typedef struct {
  char *from, *to;       /* as given, or the defaults */
  const char *department, *channel, *category, *kind, *sla, *group;
  OknoReportQuery q;
  gboolean weekly;
  JsonObject *errors;    /* field -> Russian text */
  GStrv departments;     /* a supervisor's own */
} Filters;

static void filters_clear(Filters *f)
{
  g_free(f->from);
  g_free(f->to);
  g_clear_pointer(&f->errors, json_object_unref);
  g_strfreev(f->departments);
}

static const char *param(OknoReq *req, const char *name)
{
  const char *v = g_hash_table_lookup(req->query, name);
  return v && *v ? v : NULL;
}

static char *day_name(gint64 us)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) m = g_date_time_to_timezone(t, okno_tz_moscow());
  return g_date_time_format(m, "%Y-%m-%d");
}

static gboolean in_list(const char *const *list, const char *v)
{
  for (; list && *list; list++)
    if (g_strcmp0(*list, v) == 0)
      return TRUE;
  return FALSE;
}

/* Reads and checks the filters; FALSE when one is wrong (f->errors says which). */
static gboolean filters_read(OknoReq *req, const OknoUser *u, Filters *f, const char *from,
                             const char *to)
{
  gint64 now = okno_now();
  OknoChannel ch;
  OknoKind kind;
  OknoSlaClass sla;
  memset(f, 0, sizeof *f);
  f->errors = json_object_new();
  f->department = param(req, "department");
  f->channel = param(req, "channel");
  f->category = param(req, "category");
  f->kind = param(req, "kind");
  f->sla = param(req, "sla");
  f->group = param(req, "group");
  f->to = g_strdup(to ? to : param(req, "to"));
  f->from = g_strdup(from ? from : param(req, "from"));
  if (!f->to)
    f->to = day_name(now);
  if (!f->from) {
    gint64 end = 0;
    f->from = okno_date_parse_msk(f->to, 1 - DEFAULT_DAYS, &end) ? day_name(end) : day_name(now);
  }
  f->q.now = now;
  if (!okno_date_parse_msk(f->from, 0, &f->q.from))
    json_object_set_string_member(f->errors, "from", "Укажите дату в виде ГГГГ-ММ-ДД, например 2026-12-01.");
  if (!okno_date_parse_msk(f->to, 1, &f->q.to))
    json_object_set_string_member(f->errors, "to", "Укажите дату в виде ГГГГ-ММ-ДД, например 2026-12-31.");
  else if (f->q.from && f->q.to <= f->q.from)
    json_object_set_string_member(f->errors, "to", "Конец периода не может быть раньше его начала.");
  else if (f->q.from && f->q.to - f->q.from > (gint64)MAX_DAYS * 86400 * G_USEC_PER_SEC)
    json_object_set_string_member(f->errors, "to", "Выберите период не длиннее 400 дней.");
  if (f->channel && !okno_channel_parse(f->channel, &ch))
    json_object_set_string_member(f->errors, "channel", "Такого канала нет: выберите из списка.");
  if (f->kind && !okno_kind_parse(f->kind, &kind))
    json_object_set_string_member(f->errors, "kind", "Такого вида обращений нет: выберите из списка.");
  if (f->sla && !okno_sla_class_parse(f->sla, &sla))
    json_object_set_string_member(f->errors, "sla", "Такого класса нет: выберите из списка.");
  if (f->group && strcmp(f->group, "day") != 0 && strcmp(f->group, "week") != 0)
    json_object_set_string_member(f->errors, "group", "Выберите «по дням» или «по неделям».");
  f->weekly = f->group && strcmp(f->group, "week") == 0;
  if (!okno_staff_sees_every_department(u)) {
    f->departments = g_strdupv(u->departments);
    if (!f->departments)
      f->departments = g_new0(char *, 1);
    f->q.departments = (const char *const *)f->departments;
    if (f->department && !in_list(f->q.departments, f->department))
      json_object_set_string_member(f->errors, "department",
                                    "Этот отдел вам недоступен: выберите один из своих.");
  }
  /* "-" stands for the triage queue (department ""), whose code the form cannot send
   * as "" since "" means every department */
  f->q.department = g_strcmp0(f->department, "-") == 0 ? "" : f->department;
  f->q.channel = f->channel;
  f->q.category = f->category;
  f->q.kind = f->kind;
  f->q.sla_class = f->sla;
  return json_object_get_size(f->errors) == 0;
}

/* The filters as a query string (for the download links). */
static char *filters_query(const Filters *f)
{
  GString *s = g_string_new(NULL);
  const char *pairs[][2] = {
    {"from", f->from},       {"to", f->to},       {"department", f->department},
    {"channel", f->channel}, {"category", f->category}, {"kind", f->kind},
    {"sla", f->sla},         {"group", f->group},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(pairs); i++) {
    g_autofree char *v = NULL;
    if (!pairs[i][1])
      continue;
    v = g_uri_escape_string(pairs[i][1], NULL, FALSE);
    g_string_append_printf(s, "&%s=%s", pairs[i][0], v);
  }
  return g_string_free(s, FALSE);
}

/* ---- charts ---- */

static const char *const colours[] = {"#1f5fa8", "#2e8540", "#c0392b"};

/* Grouped columns: the first column of `t` labels the groups, each further column is a
 * series (a colour, named in the legend). Fixed view box; the page scales it. */
static char *chart_svg(const OknoTable *t, const char *id)
{
  const char *const *cols = okno_table_columns(t);
  guint rows = okno_table_rows(t), series = g_strv_length((char **)cols) - 1;
  const double W = 640, H = 260, left = 44, right = 8, top = 28, bottom = 44;
  double max = 0, step, bar;
  GString *s = g_string_new(NULL);
  g_autofree char *title = g_markup_printf_escaped("%s", okno_table_title(t));
  guint label_every;
  for (guint r = 0; r < rows; r++)
    for (guint c = 1; c <= series; c++) {
      g_autofree char *v = okno_table_cell_text(t, r, c);
      max = MAX(max, g_ascii_strtod(v, NULL));
    }
  if (max < 1)
    max = 1;
  step = rows ? (W - left - right) / rows : 0;
  bar = rows ? MIN(60.0, MAX(1.0, step * 0.8 / series)) : 0;
  label_every = rows > 16 ? (rows + 15) / 16 : 1;
  g_string_append_printf(s,
                         "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                         "aria-labelledby=\"%s-title %s-desc\" xmlns=\"http://www.w3.org/2000/svg\">"
                         "<title id=\"%s-title\">%s</title>"
                         "<desc id=\"%s-desc\">Диаграмма; те же числа — в таблице под ней.</desc>",
                         W, H, id, id, id, title, id);
  /* axis and the top value */
  g_string_append_printf(s,
                         "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#555\"/>"
                         "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#ccc\"/>"
                         "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" text-anchor=\"end\">%.0f</text>"
                         "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" text-anchor=\"end\">0</text>",
                         left, H - bottom, W - right, H - bottom, left, top, W - right, top,
                         left - 4, top + 4, max, left - 4, H - bottom + 4);
  for (guint c = 1; c <= series; c++) {
    g_autofree char *name = g_markup_printf_escaped("%s", cols[c]);
    double x = left + (c - 1) * 150;
    g_string_append_printf(s,
                           "<rect x=\"%.0f\" y=\"6\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                           "<text x=\"%.0f\" y=\"16\" font-size=\"12\">%s</text>",
                           x, colours[(c - 1) % G_N_ELEMENTS(colours)], x + 16, name);
  }
  for (guint r = 0; r < rows; r++) {
    double x0 = left + r * step + step * 0.1;
    g_autofree char *label = okno_table_cell_text(t, r, 0);
    g_autofree char *esc = g_markup_printf_escaped("%s", label);
    for (guint c = 1; c <= series; c++) {
      g_autofree char *v = okno_table_cell_text(t, r, c);
      double value = g_ascii_strtod(v, NULL);
      double h = (H - top - bottom) * value / max;
      g_autofree char *tip = g_markup_printf_escaped("%s, %s: %s", label, cols[c], v);
      g_string_append_printf(s,
                             "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                             "fill=\"%s\"><title>%s</title></rect>",
                             x0 + (c - 1) * bar, H - bottom - h, bar, h,
                             colours[(c - 1) % G_N_ELEMENTS(colours)], tip);
    }
    if (r % label_every == 0) {
      /* dates: only the day and month fit under a column */
      char shortl[8] = "";
      if (strlen(label) == 10 && label[2] == '.' && label[5] == '.')
        g_strlcpy(shortl, label, 6);
      g_string_append_printf(s,
                             "<text x=\"%.1f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\">%s</text>",
                             x0 + step * 0.4, H - bottom + 16, *shortl ? shortl : esc);
    }
  }
  g_string_append(s, "</svg>");
  return g_string_free(s, FALSE);
}

static JsonObject *table_json(const OknoStatsTable *st, const char *query)
{
  const OknoTable *t = st->table;
  JsonObject *o = json_object_new();
  JsonArray *cols = json_array_new(), *rows = json_array_new();
  for (const char *const *c = okno_table_columns(t); *c; c++)
    json_array_add_string_element(cols, *c);
  for (guint r = 0; r < okno_table_rows(t); r++) {
    JsonObject *row = json_object_new();
    JsonArray *cells = json_array_new();
    for (guint c = 0; c < okno_table_cells(t, r); c++) {
      JsonObject *cell = json_object_new();
      g_autofree char *text = okno_table_cell_text(t, r, c);
      json_object_set_string_member(cell, "text", text);
      json_object_set_boolean_member(cell, "num", okno_table_cell_is_number(t, r, c));
      json_object_set_boolean_member(cell, "head", c == 0);
      json_array_add_object_element(cells, cell);
    }
    json_object_set_array_member(row, "cells", cells);
    json_array_add_object_element(rows, row);
  }
  json_object_set_string_member(o, "id", st->id);
  json_object_set_string_member(o, "title", okno_table_title(t));
  json_object_set_array_member(o, "columns", cols);
  json_object_set_array_member(o, "rows", rows);
  json_object_set_boolean_member(o, "empty", okno_table_rows(t) == 0);
  if (st->chart && okno_table_rows(t) > 0) {
    g_autofree char *chart_id = g_strdup_printf("chart-%s", st->id);
    g_autofree char *svg = chart_svg(t, chart_id);
    json_object_set_string_member(o, "chart", svg);
  }
  {
    g_autofree char *csv = g_strdup_printf("/console/stats/export?table=%s&format=csv%s", st->id, query);
    g_autofree char *xlsx = g_strdup_printf("/console/stats/export?table=%s&format=xlsx%s", st->id, query);
    json_object_set_string_member(o, "csv", csv);
    json_object_set_string_member(o, "xlsx", xlsx);
  }
  return o;
}

/* ---- the filter form's choices ---- */

static void option(JsonArray *a, const char *value, const char *words, const char *selected)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "value", value);
  json_object_set_string_member(o, "words", words);
  json_object_set_boolean_member(o, "selected", g_strcmp0(value, selected) == 0);
  json_array_add_object_element(a, o);
}

static gboolean form_json(OknoReq *req, const OknoUser *u, const Filters *f, JsonObject *o,
                          GError **error)
{
  JsonArray *depts = json_array_new(), *chans = json_array_new(), *kinds = json_array_new(),
            *slas = json_array_new();
  g_autoptr(GPtrArray) all = okno_store_department_list(req->store, error);
  if (!all) {
    json_array_unref(depts);
    json_array_unref(chans);
    json_array_unref(kinds);
    json_array_unref(slas);
    return FALSE;
  }
  if (okno_staff_sees_every_department(u))
    option(depts, "-", "Сортировка (без отдела)", f->department);
  for (guint i = 0; i < all->len; i++) {
    const OknoDepartment *d = all->pdata[i];
    if (!f->departments || in_list((const char *const *)f->departments, d->code))
      option(depts, d->code, *d->name ? d->name : d->code, f->department);
  }
  for (guint c = 0; c < OKNO_N_CHANNELS; c++)
    option(chans, okno_channel_name((OknoChannel)c),
           okno_stats_channel_words(okno_channel_name((OknoChannel)c)), f->channel);
  for (guint k = 0; k < OKNO_N_KINDS; k++)
    option(kinds, okno_kind_name((OknoKind)k), okno_stats_kind_words(okno_kind_name((OknoKind)k)),
           f->kind);
  for (int c = OKNO_SLA_SIMPLE; c < OKNO_SLA_N_CLASSES; c++)
    option(slas, okno_sla_class_name((OknoSlaClass)c),
           okno_stats_sla_words(okno_sla_class_name((OknoSlaClass)c)), f->sla);
  json_object_set_array_member(o, "departments", depts);
  json_object_set_array_member(o, "channels", chans);
  json_object_set_array_member(o, "kinds", kinds);
  json_object_set_array_member(o, "slas", slas);
  json_object_set_string_member(o, "from", f->from);
  json_object_set_string_member(o, "to", f->to);
  json_object_set_string_member(o, "category", f->category ? f->category : "");
  json_object_set_boolean_member(o, "weekly", f->weekly);
  json_object_set_boolean_member(o, "all_departments", f->departments == NULL);
  return TRUE;
}

/* The signed-in user when they may see the dashboard (else answered 403/redirect). */
static OknoUser *stats_user(OknoReq *req)
{
  OknoUser *u = okno_console_user(req, FALSE);
  if (u && !okno_staff_can(u, OKNO_ACT_VIEW_STATS, NULL, NULL)) {
    okno_req_error(req, 403, "Статистика доступна руководителям, администраторам и аудиторам.");
    okno_user_free(u);
    return NULL;
  }
  return u;
}

static void stats_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = stats_user(req);
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) tables = NULL;
  g_autofree char *query = NULL;
  Filters f;
  OknoStats s;
  JsonObject *o;
  JsonArray *ta;
  gboolean ok;
  if (!u)
    return;
  ok = filters_read(req, u, &f, NULL, NULL);
  o = okno_console_ctx(u);
  if (!form_json(req, u, &f, o, &err)) {
    json_object_unref(o);
    filters_clear(&f);
    okno_req_error(req, 500, NULL);
    return;
  }
  json_object_set_object_member(o, "errors", json_object_ref(f.errors));
  if (!ok) {
    okno_req_page(req, 400, "console_stats", "Статистика", o);
    filters_clear(&f);
    return;
  }
  if (!okno_store_stats(req->store, &f.q, f.weekly, calendar(req->cfg), &s, &err)) {
    okno_log_warn("stats", "event=stats_failed error=\"%s\"", err->message);
    json_object_unref(o);
    filters_clear(&f);
    okno_req_error(req, 500, NULL);
    return;
  }
  tables = okno_stats_tables(&s, f.weekly, req->cfg);
  okno_classify_stats_add(req->store, f.q.from, f.q.to, tables, NULL); /* ops/classify_auto.h */
  query = filters_query(&f);
  ta = json_array_new();
  for (guint i = 0; i < tables->len; i++)
    json_array_add_object_element(ta, table_json(tables->pdata[i], query));
  json_object_set_array_member(o, "tables", ta);
  json_object_set_boolean_member(o, "shown", TRUE);
  okno_stats_clear(&s);
  filters_clear(&f);
  okno_req_page(req, 200, "console_stats", "Статистика", o);
}

static void export_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = stats_user(req);
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) tables = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *name = NULL;
  const char *id = param(req, "table"), *format = param(req, "format");
  const OknoStatsTable *t;
  Filters f;
  OknoStats s;
  if (!u)
    return;
  if (!format || (strcmp(format, "csv") != 0 && strcmp(format, "xlsx") != 0)) {
    okno_req_error(req, 400, "Укажите формат выгрузки: csv или xlsx.");
    return;
  }
  if (!filters_read(req, u, &f, NULL, NULL)) {
    filters_clear(&f);
    okno_req_error(req, 400, "Неверные условия отбора: откройте статистику и исправьте их.");
    return;
  }
  if (!okno_store_stats(req->store, &f.q, f.weekly, calendar(req->cfg), &s, &err)) {
    filters_clear(&f);
    okno_req_error(req, 500, NULL);
    return;
  }
  tables = okno_stats_tables(&s, f.weekly, req->cfg);
  okno_classify_stats_add(req->store, f.q.from, f.q.to, tables, NULL);
  okno_stats_clear(&s);
  t = id ? okno_stats_table_find(tables, id) : NULL;
  if (!t) {
    filters_clear(&f);
    okno_req_error(req, 404, "Такой таблицы в статистике нет.");
    return;
  }
  name = g_strdup_printf("okno-%s-%s-%s.%s", t->id, f.from, f.to, format);
  filters_clear(&f);
  if (strcmp(format, "csv") == 0) {
    char *csv = okno_table_csv(t->table);
    bytes = g_bytes_new_take(csv, strlen(csv));
    okno_req_bytes(req, "text/csv; charset=utf-8", bytes, name);
    return;
  }
  {
    g_autofree char *dir = g_dir_make_tmp("okno-stats-XXXXXX", &err);
    g_autofree char *path = dir ? g_build_filename(dir, "table.xlsx", NULL) : NULL;
    char *data = NULL;
    gsize len = 0;
    gboolean ok = path && okno_table_xlsx(t->table, path, &err) &&
                  g_file_get_contents(path, &data, &len, &err);
    if (path)
      g_unlink(path);
    if (dir)
      g_rmdir(dir);
    if (!ok) {
      okno_log_warn("stats", "event=xlsx_failed error=\"%s\"", err ? err->message : "");
      okno_req_error(req, 500, NULL);
      return;
    }
    bytes = g_bytes_new_take(data, len);
    okno_req_bytes(req, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   bytes, name);
  }
}

/* GET /console/stats/formal?year=YYYY&quarter=1..4 (default: the current quarter): the
 * 59-FZ table of a quarter alone, printable (stats.css hides the rest in print), with
 * its downloads; the other filters as on the dashboard. */
static void formal_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = stats_user(req);
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) tables = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *query = NULL, *from = NULL, *to = NULL, *title = NULL;
  const char *ys = param(req, "year"), *qs = param(req, "quarter");
  gint64 year, quarter;
  const OknoStatsTable *t;
  Filters f;
  OknoStats s;
  JsonObject *o;
  JsonArray *years;
  if (!u)
    return;
  {
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(okno_now() / G_USEC_PER_SEC);
    now = g_date_time_to_timezone(utc, okno_tz_moscow());
  }
  year = ys ? g_ascii_strtoll(ys, NULL, 10) : g_date_time_get_year(now);
  quarter = qs ? g_ascii_strtoll(qs, NULL, 10) : (g_date_time_get_month(now) - 1) / 3 + 1;
  if (year < 2000 || year > 2100 || quarter < 1 || quarter > 4) {
    okno_req_error(req, 400, "Укажите год (например, 2026) и квартал от 1 до 4.");
    return;
  }
  from = g_strdup_printf("%04" G_GINT64_FORMAT "-%02" G_GINT64_FORMAT "-01", year, quarter * 3 - 2);
  to = g_strdup_printf("%04" G_GINT64_FORMAT "-%02" G_GINT64_FORMAT "-%02d", year, quarter * 3,
                       g_date_get_days_in_month((GDateMonth)(quarter * 3), (GDateYear)year));
  if (!filters_read(req, u, &f, from, to)) {
    filters_clear(&f);
    okno_req_error(req, 400, "Неверные условия отбора: проверьте отдел и другие фильтры.");
    return;
  }
  if (!okno_store_stats(req->store, &f.q, FALSE, calendar(req->cfg), &s, &err)) {
    filters_clear(&f);
    okno_req_error(req, 500, NULL);
    return;
  }
  tables = okno_stats_tables(&s, FALSE, req->cfg);
  okno_stats_clear(&s);
  query = filters_query(&f);
  o = okno_console_ctx(u);
  {
    static const char *const ids[] = {"formal", "formal_sections", "formal_themes"};
    JsonArray *ta = json_array_new();
    for (gsize i = 0; i < G_N_ELEMENTS(ids); i++)
      if ((t = okno_stats_table_find(tables, ids[i])))
        json_array_add_object_element(ta, table_json(t, query));
    json_object_set_array_member(o, "tables", ta);
  }
  title = g_strdup_printf("Обращения граждан по 59-ФЗ: %" G_GINT64_FORMAT " квартал %"
                          G_GINT64_FORMAT " г.", quarter, year);
  json_object_set_string_member(o, "heading", title);
  years = json_array_new();
  {
    g_autofree char *chosen = g_strdup_printf("%" G_GINT64_FORMAT, year);
    for (gint64 y = g_date_time_get_year(now); y >= g_date_time_get_year(now) - 5; y--) {
      g_autofree char *v = g_strdup_printf("%" G_GINT64_FORMAT, y);
      option(years, v, v, chosen);
    }
  }
  json_object_set_array_member(o, "years", years);
  for (int i = 1; i <= 4; i++) {
    g_autofree char *name = g_strdup_printf("q%d", i);
    json_object_set_boolean_member(o, name, quarter == i);
  }
  json_object_set_string_member(o, "from", f.from);
  json_object_set_string_member(o, "to", f.to);
  filters_clear(&f);
  okno_req_page(req, 200, "console_stats_formal", title, o);
}

/* GET /api/v1/stats: the twin of `okno report --json` (top of the file). */
static void api_get(OknoReq *req)
{
  g_autoptr(OknoUser) u = stats_user(req);
  g_autoptr(GError) err = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  gboolean dashboard = g_strcmp0(param(req, "dashboard"), "1") == 0;
  Filters f;
  OknoStats s;
  if (!u)
    return;
  if (!filters_read(req, u, &f, NULL, NULL)) {
    okno_req_field_errors(req, json_object_ref(f.errors));
    filters_clear(&f);
    return;
  }
  f.q.exact = g_strcmp0(param(req, "exact"), "1") == 0;
  if (!okno_store_stats(req->store, &f.q, FALSE, calendar(req->cfg), &s, &err)) {
    okno_log_warn("stats", "event=stats_failed error=\"%s\"", err->message);
    filters_clear(&f);
    okno_req_error(req, 500, NULL);
    return;
  }
  b = json_builder_new();
  json_builder_begin_object(b);
  okno_stats_report_json(b, &s.report, f.from, f.to, f.q.department);
  if (dashboard)
    okno_stats_dashboard_json(b, &s);
  json_builder_end_object(b);
  okno_stats_clear(&s);
  filters_clear(&f);
  okno_req_json(req, 200, json_builder_get_root(b));
}

static const OknoRoute routes[] = {
  {"GET", "/api/v1/stats", OKNO_ROUTE_STAFF, api_get},
  {"GET", "/console/stats/formal", OKNO_ROUTE_STAFF, formal_get},
  {"GET", "/console/stats", OKNO_ROUTE_STAFF, stats_get},
  {"GET", "/console/stats/export", OKNO_ROUTE_STAFF, export_get},
};

void okno_console_stats_routes(OknoWeb *web)
{
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
}
