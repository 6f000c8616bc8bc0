/* cmd_migrate.c: `okno migrate` - brings the store's schema to this okno's version.
 *
 *   okno migrate --config FILE
 *
 * Opening the store applies every pending migration step (store.c, migrations.c), each
 * in its own transaction and safe against other nodes migrating at the same moment;
 * this command does only that and prints the schema version reached, so a deployment
 * can migrate once before it starts (or restarts) its `okno serve` nodes. Exit codes:
 * 0 done, 1 a wrong configuration or a store newer than this okno, 2 the store
 * cannot be reached or the step failed. */
#include <stdio.h>

#include "cli/cli.h"
#include "core/error.h"
#include "store/store.h"

int okno_cmd_migrate(int argc, char **argv)
{
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "", NULL, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = NULL;
  gint64 version = 0;

  if (!cfg)
    return code;
  if (argc != 1) {
    fprintf(stderr, "okno: migrate takes no arguments besides --config FILE\n");
    return 1;
  }
  st = okno_store_open(cfg->store_url, &err);
  if (!st)
    return okno_cli_fail(err);
  if (!okno_store_schema_version(st, &version, &err))
    return okno_cli_fail(err);
  printf("schema version %" G_GINT64_FORMAT "\n", version);
  return 0;
}
