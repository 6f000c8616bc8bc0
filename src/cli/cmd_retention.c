/* cmd_retention.c: `okno retention run --config F [--now RFC3339] [--dry-run] [--json]
 * [--by WHO]`, one retention pass (ops/retention.h, docs/retention.md), and
 * `okno retention acts --config F [--json]` / `okno retention act --config F ID
 * (--csv | --pdf) [--out FILE]`, the destruction acts.
 *
 * The pass prints one line per appeal it purged (or would purge, or keeps under a hold)
 * and a total line; --json prints the report as JSON. Tests move --now forward instead
 * of waiting years. Exit 0, 1 on a user error with one line, 2 on an internal error. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/error.h"
#include "ops/retention.h"
#include "store/retention.h"

static int run(int argc, char **argv)
{
  g_autofree char *now_text = NULL, *by = NULL;
  gboolean dry = FALSE, json = FALSE;
  const GOptionEntry extra[] = {
    {"now", 0, 0, G_OPTION_ARG_STRING, &now_text, "the instant of the pass (RFC 3339)", "TIME"},
    {"dry-run", 0, 0, G_OPTION_ARG_NONE, &dry, "only say what would be purged", NULL},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print the report as JSON", NULL},
    {"by", 0, 0, G_OPTION_ARG_STRING, &by, "who runs it (on the act)", "WHO"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "- one retention pass", extra, &code);
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoRetentionReport) rep = NULL;
  g_autofree char *out = NULL;
  gint64 now;
  if (!cfg)
    return code;
  if (argc != 1) {
    fprintf(stderr, "okno: retention run takes no arguments besides its options\n");
    return 1;
  }
  now = okno_now();
  if (now_text && !okno_time_parse(now_text, &now)) {
    fprintf(stderr, "okno: --now '%s' is not an RFC 3339 time\n", now_text);
    return 1;
  }
  st = okno_store_open(cfg->store_url, &err);
  if (!st)
    return okno_cli_fail(err);
  okno_clock_set(now); /* events carry the pass's time */
  rep = okno_retention_run(cfg, st, now, dry, by ? by : "okno retention run", &err);
  if (!rep)
    return okno_cli_fail(err);
  out = json ? okno_retention_report_json(rep) : okno_retention_report_text(rep);
  fputs(out, stdout);
  if (json)
    fputc('\n', stdout);
  return 0;
}

static int acts(int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry extra[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "- the destruction acts", extra, &code);
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) list = NULL;
  if (!cfg)
    return code;
  st = okno_store_open(cfg->store_url, &err);
  if (st)
    list = okno_store_acts_list(st, 1000, &err);
  if (!list)
    return okno_cli_fail(err);
  if (json)
    fputs("[", stdout);
  for (guint i = 0; i < list->len; i++) {
    const OknoDestructionAct *a = list->pdata[i];
    g_autofree char *at = okno_time_format_msk(a->at);
    g_autofree char *keep = okno_time_format_msk(a->keep_until);
    if (json)
      printf("%s{\"id\":%" G_GINT64_FORMAT ",\"at\":\"%s\",\"appeals\":%" G_GINT64_FORMAT
             ",\"subjects\":%" G_GINT64_FORMAT ",\"keep_until\":\"%s\"}",
             i ? "," : "", a->id, at, a->appeals, a->subjects, keep);
    else
      printf("%" G_GINT64_FORMAT " %s appeals=%" G_GINT64_FORMAT " subjects=%" G_GINT64_FORMAT
             " keep_until=%s\n", a->id, at, a->appeals, a->subjects, keep);
  }
  if (json)
    fputs("]\n", stdout);
  return 0;
}

static int act(int argc, char **argv)
{
  gboolean csv = FALSE, pdf = FALSE;
  g_autofree char *out = NULL;
  const GOptionEntry extra[] = {
    {"csv", 0, 0, G_OPTION_ARG_NONE, &csv, "the CSV", NULL},
    {"pdf", 0, 0, G_OPTION_ARG_NONE, &pdf, "the PDF", NULL},
    {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "write to FILE (default: stdout)", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "ID - one destruction act", extra, &code);
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoDestructionAct) a = NULL;
  GBytes *b;
  const void *d;
  gsize len;
  char *end = NULL;
  gint64 id;
  if (!cfg)
    return code;
  if (argc != 2 || csv == pdf) {
    fprintf(stderr, "okno: retention act takes one act number and --csv or --pdf\n");
    return 1;
  }
  id = g_ascii_strtoll(argv[1], &end, 10);
  if (!end || *end || id <= 0) {
    fprintf(stderr, "okno: '%s' is not an act number\n", argv[1]);
    return 1;
  }
  st = okno_store_open(cfg->store_url, &err);
  if (!st)
    return okno_cli_fail(err);
  a = okno_store_act_get(st, id, &err);
  if (!a) {
    if (err)
      return okno_cli_fail(err);
    fprintf(stderr, "okno: there is no act %" G_GINT64_FORMAT "\n", id);
    return 1;
  }
  b = csv ? a->csv : a->pdf;
  if (!b) {
    fprintf(stderr, "okno: act %" G_GINT64_FORMAT " has no PDF (see the log of its pass)\n", id);
    return 1;
  }
  d = g_bytes_get_data(b, &len);
  if (out) {
    if (!g_file_set_contents(out, d ? d : "", (gssize)len, &err)) {
      fprintf(stderr, "okno: %s\n", err->message);
      return 1;
    }
  } else {
    fwrite(d ? d : "", 1, len, stdout);
  }
  return 0;
}

int okno_cmd_retention(int argc, char **argv)
{
  static const char *const names[] = {"run", "acts", "act", NULL};
  int op = okno_cli_take_operation(&argc, argv, names);
  switch (op) {
  case 0: return run(argc, argv);
  case 1: return acts(argc, argv);
  case 2: return act(argc, argv);
  default:
    fprintf(stderr, "okno: retention takes an operation: run, acts or act\n");
    return 1;
  }
}
