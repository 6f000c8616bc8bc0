/* cli_common.c: option parsing and error printing shared by the subcommands. */
#include "cli/cli.h"

#include <stdio.h>

#include "core/clock.h"
#include "core/error.h"

int okno_cli_fail(const GError *err)
{
  fprintf(stderr, "okno: %s\n", err ? err->message : "unknown error");
  return okno_error_exit_code(err);
}

OknoConfig *okno_cli_setup(int *argc, char ***argv, const char *usage,
                           const GOptionEntry *extra, int *exit_code)
{
  g_autofree char *config_path = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new(usage);
  const GOptionEntry base[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file (INI)", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  OknoConfig *cfg;

  g_option_context_add_main_entries(ctx, base, NULL);
  if (extra)
    g_option_context_add_main_entries(ctx, extra, NULL);
  if (!g_option_context_parse(ctx, argc, argv, &err)) {
    fprintf(stderr, "okno: %s\n", err->message);
    *exit_code = 1;
    return NULL;
  }
  if (!okno_clock_init_from_env()) {
    fprintf(stderr, "okno: OKNO_FAKE_NOW is not an RFC 3339 time\n");
    *exit_code = 1;
    return NULL;
  }
  cfg = config_path ? okno_config_load(config_path, &err) : okno_config_new_default();
  if (!cfg) {
    *exit_code = okno_cli_fail(err);
    return NULL;
  }
  return cfg;
}
