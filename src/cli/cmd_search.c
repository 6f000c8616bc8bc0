/* cmd_search.c: `okno search` - full-text search over the registry.
 *
 *   okno search --config FILE [--json] [--limit N] QUERY...
 *
 * The words of QUERY (several arguments are one query) must all occur in an appeal's
 * subject, messages or attachment names, in any inflected form (docs/search.md).
 * Appeals come best first; --json prints them as the summaries of `okno list --json`,
 * without it one line each. A query with no words (only punctuation or stop words) is
 * a user error (exit 1). */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cli/cli.h"
#include "core/error.h"
#include "store/search.h"
#include "store/store.h"

int okno_cmd_search(int argc, char **argv)
{
  gboolean json = FALSE;
  gint limit = 0;
  const GOptionEntry extra[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    {"limit", 0, 0, G_OPTION_ARG_INT, &limit, "at most N appeals", "N"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "QUERY...", extra, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autofree char *query = NULL;
  g_autoptr(GPtrArray) found = NULL;

  if (!cfg)
    return code;
  if (argc < 2) {
    fprintf(stderr, "okno: search needs a query, e.g. okno search заявление\n");
    return 1;
  }
  if (limit < 0) {
    fprintf(stderr, "okno: --limit must be positive\n");
    return 1;
  }
  query = g_strjoinv(" ", argv + 1);
  st = okno_store_open(cfg->store_url, &err);
  if (!st)
    return okno_cli_fail(err);
  found = okno_store_search(st, query, limit, &err);
  if (!found)
    return okno_cli_fail(err);
  okno_cli_print_appeals(found, json);
  return 0;
}
