/* cmd_report.c: `okno report` - the figures of a period for scripts (docs/metrics.md).
 *
 *   okno report --config FILE --from YYYY-MM-DD --to YYYY-MM-DD [--department X]
 *               [--channel C] [--category C] [--kind K] [--sla-class S]
 *               [--exact] --json [--dashboard] | --csv [--out FILE] | --xlsx --out FILE
 *
 * The period is whole days in Moscow time, both ends included, by the time an appeal
 * was received. Prints {"from", "to", "department" (null: all), "received",
 * "answered", "on_time", "overdue", "open", "withdrawn", "by_channel", "by_category",
 * "by_department"} (store/report.h says what each counts). --csv and --xlsx give the
 * same figures as one table (ops/table.h): «Раздел», «Показатель», «Число», the totals
 * first («Итого»: received, answered, on_time, overdue, open, withdrawn, by those JSON names),
 * then each breakdown under its JSON name, «(нет)» standing for JSON's "" (no
 * category, the triage queue). The filters narrow every figure as the dashboard's do
 * (store/report.h). --dashboard adds the member "dashboard" with every other figure of
 * /console/stats (ops/stats_json.h; GET /api/v1/stats prints the same object). The
 * figures come from the rollup (store/rollup.h); --exact counts the appeal rows
 * instead, the reference the tests hold the rollup to. A bad date, an unknown channel, kind or SLA class, a period that ends before it
 * starts, not exactly one format, or --xlsx without --out is a user error (exit 1). */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "appeal/appeal.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "ops/calendar_file.h"
#include "ops/stats_json.h"
#include "ops/table.h"
#include "store/report.h"
#include "store/store.h"

static void table_counts(OknoTable *t, const char *section, GHashTable *h)
{
  g_autoptr(GList) keys = g_list_sort(g_hash_table_get_keys(h), (GCompareFunc)g_strcmp0);
  for (GList *k = keys; k; k = k->next) {
    okno_table_row(t);
    okno_table_text(t, section);
    okno_table_text(t, *(const char *)k->data ? k->data : "(нет)"); /* JSON's "" */
    okno_table_int(t, *(gint64 *)g_hash_table_lookup(h, k->data));
  }
}

/* The report as one table (see the top of the file). */
static OknoTable *report_table(const OknoReport *r, const char *from, const char *to)
{
  static const char *const columns[] = {"Раздел", "Показатель", "Число", NULL};
  g_autofree char *title = g_strdup_printf("Отчёт %s — %s", from, to);
  OknoTable *t = okno_table_new(title, columns);
  const struct { const char *name; gint64 value; } totals[] = {
    {"received", r->received}, {"answered", r->answered}, {"on_time", r->on_time},
    {"overdue", r->overdue}, {"open", r->open}, {"withdrawn", r->withdrawn},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(totals); i++) {
    okno_table_row(t);
    okno_table_text(t, "Итого");
    okno_table_text(t, totals[i].name);
    okno_table_int(t, totals[i].value);
  }
  table_counts(t, "by_channel", r->by_channel);
  table_counts(t, "by_category", r->by_category);
  table_counts(t, "by_department", r->by_department);
  return t;
}

int okno_cmd_report(int argc, char **argv)
{
  gboolean json = FALSE, csv = FALSE, xlsx = FALSE, exact = FALSE, dashboard = FALSE;
  g_autofree char *out = NULL;
  g_autofree char *from = NULL, *to = NULL, *department = NULL;
  g_autofree char *channel = NULL, *category = NULL, *kind = NULL, *sla_class = NULL;
  const GOptionEntry extra[] = {
    {"from", 0, 0, G_OPTION_ARG_STRING, &from, "first day (Moscow time)", "YYYY-MM-DD"},
    {"to", 0, 0, G_OPTION_ARG_STRING, &to, "last day, included", "YYYY-MM-DD"},
    {"department", 0, 0, G_OPTION_ARG_STRING, &department, "one department's appeals", "CODE"},
    {"channel", 0, 0, G_OPTION_ARG_STRING, &channel, "one channel's appeals", "CHANNEL"},
    {"category", 0, 0, G_OPTION_ARG_STRING, &category, "one category's appeals", "CATEGORY"},
    {"kind", 0, 0, G_OPTION_ARG_STRING, &kind, "support or formal appeals only", "KIND"},
    {"sla-class", 0, 0, G_OPTION_ARG_STRING, &sla_class, "one SLA class's appeals", "CLASS"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    {"dashboard", 0, 0, G_OPTION_ARG_NONE, &dashboard, "JSON: every figure of the dashboard too", NULL},
    {"exact", 0, 0, G_OPTION_ARG_NONE, &exact, "count the appeal rows, not the rollup", NULL},
    {"csv", 0, 0, G_OPTION_ARG_NONE, &csv, "print CSV (or write it to --out)", NULL},
    {"xlsx", 0, 0, G_OPTION_ARG_NONE, &xlsx, "write an Excel workbook to --out", NULL},
    {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "file to write", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "- figures of a period", extra, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *text = NULL;
  OknoReportQuery q = {0};
  OknoReport r;

  if (!cfg)
    return code;
  if (argc > 1) {
    fprintf(stderr, "okno: report takes no arguments besides its options\n");
    return 1;
  }
  if (!okno_date_parse_msk(from, 0, &q.from) || !okno_date_parse_msk(to, 1, &q.to)) {
    fprintf(stderr, "okno: report needs --from and --to as dates, e.g. --from 2026-12-01 "
                    "--to 2026-12-31\n");
    return 1;
  }
  if (q.to <= q.from) {
    fprintf(stderr, "okno: --to %s is before --from %s\n", to, from);
    return 1;
  }
  if (json + csv + xlsx != 1) {
    fprintf(stderr, "okno: report needs one format: --json, --csv or --xlsx\n");
    return 1;
  }
  if (dashboard && !json) {
    fprintf(stderr, "okno: --dashboard goes with --json\n");
    return 1;
  }
  if (xlsx && !out) {
    fprintf(stderr, "okno: --xlsx writes a file: add --out FILE\n");
    return 1;
  }
  {
    OknoChannel c;
    OknoKind k;
    OknoSlaClass sc;
    if ((channel && !okno_channel_parse(channel, &c)) || (kind && !okno_kind_parse(kind, &k)) ||
        (sla_class && !okno_sla_class_parse(sla_class, &sc))) {
      fprintf(stderr, "okno: unknown --channel, --kind or --sla-class (see okno report --help)\n");
      return 1;
    }
  }
  q.department = department;
  q.channel = channel;
  q.category = category;
  q.kind = kind;
  q.sla_class = sla_class;
  q.now = okno_now();
  q.exact = exact;
  st = okno_store_open(cfg->store_url, &err);
  if (!st)
    return okno_cli_fail(err);
  if (dashboard) {
    g_autoptr(OknoCalendar) cal = okno_calendar_load_default(cfg, NULL);
    OknoStats s;
    if (!okno_store_stats(st, &q, FALSE, cal, &s, &err))
      return okno_cli_fail(err);
    b = json_builder_new();
    json_builder_begin_object(b);
    okno_stats_report_json(b, &s.report, from, to, department);
    okno_stats_dashboard_json(b, &s);
    json_builder_end_object(b);
    okno_stats_clear(&s);
    text = okno_json_text(b, TRUE);
    printf("%s\n", text);
    return 0;
  }
  if (!okno_store_report(st, &q, &r, &err))
    return okno_cli_fail(err);
  if (csv || xlsx) {
    g_autoptr(OknoTable) t = report_table(&r, from, to);
    g_autofree char *body = csv ? okno_table_csv(t) : NULL;
    gboolean ok = xlsx ? okno_table_xlsx(t, out, &err)
                       : out ? g_file_set_contents(out, body, -1, &err)
                             : fputs(body, stdout) >= 0;
    okno_report_clear(&r);
    return ok ? 0 : okno_cli_fail(err);
  }
  b = json_builder_new();
  json_builder_begin_object(b);
  okno_stats_report_json(b, &r, from, to, department);
  json_builder_end_object(b);
  text = okno_json_text(b, TRUE);
  printf("%s\n", text);
  okno_report_clear(&r);
  return 0;
}
