/* cmd_scheduler.c: `okno scheduler run --config F [--now RFC3339]`, one scheduler pass.
 *
 * Does every SLA job due by --now (default: the clock, okno_now()): reminders,
 * overdue marks and escalations (ops/scheduler.h), then delivers the outbound queue
 * once (unless --no-deliver) and prints the number of jobs done. Tests move --now
 * forward instead of sleeping; an operator can run it from cron when no `okno serve`
 * runs. Running it twice for the same instant does each job once. */
#include <stdio.h>
#include <string.h>

#include "ops/scheduler.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/error.h"

int okno_cmd_scheduler(int argc, char **argv)
{
  g_autofree char *now_text = NULL;
  gboolean no_deliver = FALSE;
  const GOptionEntry extra[] = {
    {"now", 0, 0, G_OPTION_ARG_STRING, &now_text, "the instant of the pass (RFC 3339)", "TIME"},
    {"no-deliver", 0, 0, G_OPTION_ARG_NONE, &no_deliver, "leave the mail to okno serve", NULL},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(GError) err = NULL;
  OknoScheduler *s;
  gint64 now, done;

  if (okno_cli_take_operation(&argc, argv, (const char *const[]){"run", NULL}) < 0) {
    fprintf(stderr, "okno: scheduler takes one operation: run\n");
    return 1;
  }
  cfg = okno_cli_setup(&argc, &argv, "- one pass of the SLA scheduler", extra, &code);
  if (!cfg)
    return code;
  if (argc != 1) {
    fprintf(stderr, "okno: scheduler run takes no arguments besides its options\n");
    return 1;
  }
  now = okno_now();
  if (now_text && !okno_time_parse(now_text, &now)) {
    fprintf(stderr, "okno: --now '%s' is not an RFC 3339 time\n", now_text);
    return 1;
  }
  s = okno_scheduler_new(cfg, NULL, &err);
  if (!s)
    return okno_cli_fail(err);
  /* Events and mail carry the pass's time. */
  okno_clock_set(now);
  done = okno_scheduler_run_once(s, now, &err);
  okno_scheduler_free(s);
  if (done < 0)
    return okno_cli_fail(err);
  printf("%" G_GINT64_FORMAT "\n", done);
  fflush(stdout);
  if (!no_deliver)
    okno_cli_deliver_once(cfg, "jobs done", "their mail");
  return 0;
}
