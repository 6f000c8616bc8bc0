/* cmd_deadline.c: `okno deadline`, one deadline computed on the production calendar.
 *
 *   okno deadline --config FILE --from RFC3339
 *                 (--working-hours N | --working-days N | --calendar-days N | --hours N)
 *                 [--department D]
 *
 * Loads the calendar in use (okno_calendar_load_default), applies the one amount given
 * through okno_deadline_add() and prints the deadline as RFC 3339 with the Moscow offset.
 * Exactly one amount is accepted; anything else is exit 1 with one line saying what to
 * fix. --department D counts working hours and working days on D's own hours when
 * [sla] department_hours gives it some (okno_sla_calendar; a department without its own
 * hours, or an unknown code, uses the calendar's); --hours and --calendar-days do not
 * depend on hours. */
#include <stdio.h>

#include "appeal/calendar.h"
#include "appeal/deadline.h"
#include "appeal/sla.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/error.h"
#include "ops/calendar_file.h"

int okno_cmd_deadline(int argc, char **argv)
{
  g_autofree char *from_text = NULL;
  g_autofree char *department = NULL;
  char *amounts[4] = {NULL, NULL, NULL, NULL}; /* indexed by OknoPeriodUnit */
  static const char *const flags[4] = {"--working-hours", "--working-days", "--calendar-days", "--hours"};
  const GOptionEntry extra[] = {
    {"from", 0, 0, G_OPTION_ARG_STRING, &from_text, "start instant (RFC 3339 with offset)", "TIME"},
    {"working-hours", 0, 0, G_OPTION_ARG_STRING, &amounts[OKNO_PERIOD_WORKING_HOURS], "N working hours", "N"},
    {"working-days", 0, 0, G_OPTION_ARG_STRING, &amounts[OKNO_PERIOD_WORKING_DAYS], "N working days", "N"},
    {"calendar-days", 0, 0, G_OPTION_ARG_STRING, &amounts[OKNO_PERIOD_CALENDAR_DAYS], "N calendar days", "N"},
    {"hours", 0, 0, G_OPTION_ARG_STRING, &amounts[OKNO_PERIOD_HOURS], "N hours around the clock", "N"},
    /* FILENAME: raw bytes, so a Cyrillic name works whatever the locale (checked below). */
    {"department", 0, 0, G_OPTION_ARG_FILENAME, &department, "department code: count on its own hours ([sla] department_hours)", "D"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoCalendar) cal = NULL;
  g_autoptr(OknoSlaPolicy) policy = NULL;
  g_autofree char *out = NULL;
  int code = 1, given = 0, unit = -1;
  guint64 amount = 0;
  gint64 from = 0, deadline = 0;
  g_autoptr(OknoConfig) cfg =
      okno_cli_setup(&argc, &argv, "--from TIME (--working-hours N | --working-days N | --calendar-days N | --hours N)",
                     extra, &code);

  if (!cfg)
    goto out;
  code = 1;
  if (argc > 1) {
    fprintf(stderr, "okno: unexpected argument '%s' (deadline takes only options)\n", argv[1]);
    goto out;
  }
  for (int u = 0; u < 4; u++)
    if (amounts[u]) {
      given++;
      unit = u;
    }
  if (given != 1) {
    fprintf(stderr, "okno: give exactly one of --working-hours, --working-days, --calendar-days, --hours\n");
    goto out;
  }
  if (!g_ascii_string_to_unsigned(amounts[unit], 10, 1, OKNO_DEADLINE_MAX_AMOUNT, &amount, NULL)) {
    fprintf(stderr, "okno: %s needs a whole number from 1 to %d\n", flags[unit], OKNO_DEADLINE_MAX_AMOUNT);
    goto out;
  }
  if (department && !g_utf8_validate(department, -1, NULL)) {
    fprintf(stderr, "okno: --department must be UTF-8 text\n");
    goto out;
  }
  if (!from_text) {
    fprintf(stderr, "okno: --from is required (RFC 3339 with an offset, e.g. 2026-05-08T17:30:00+03:00)\n");
    goto out;
  }
  if (!okno_time_parse(from_text, &from)) {
    fprintf(stderr, "okno: --from needs RFC 3339 with an offset, e.g. 2026-05-08T17:30:00+03:00\n");
    goto out;
  }
  if (unit != OKNO_PERIOD_HOURS && !(cal = okno_calendar_load_default(cfg, &err))) {
    code = okno_cli_fail(err);
    goto out;
  }
  if (cal && !(policy = okno_sla_policy_new(cfg, &err))) {
    code = okno_cli_fail(err);
    goto out;
  }
  if (!okno_deadline_add(cal ? okno_sla_calendar(policy, cal, department) : NULL, from, (OknoPeriodUnit)unit, (gint64)amount, &deadline, &err)) {
    code = okno_cli_fail(err);
    goto out;
  }
  out = okno_time_format_msk(deadline);
  printf("%s\n", out);
  code = 0;
out:
  for (int u = 0; u < 4; u++)
    g_free(amounts[u]);
  return code;
}
