/* fuzz_retention.c: fuzz driver for what retention parses (appeal/retention.h,
 * store/journal.h): the [retention] categories list ("CATEGORY:DAYS; ...") and the purge
 * entries verify reads back from the journal (okno_journal_purge_matches).
 *
 * Invariants: a categories list either loads (every period then from 1 to 36500 days,
 * never shorter than the kind's) or is refused with OKNO_ERROR_USER; a held appeal is
 * never due; an entry that is not a purge never matches; a purge entry matches no row
 * once its digest line is changed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "appeal/retention.h"
#include "core/config.h"
#include "core/error.h"
#include "store/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, size);
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoRetentionPolicy) p = NULL;
  g_autoptr(GBytes) entry = g_bytes_new(data, size);
  g_autoptr(GBytes) row = g_bytes_new_static("row", 3);
  char **parts;

  /* the categories list */
  g_strfreev(cfg->retention_categories);
  parts = g_strsplit(text, ";", 64);
  for (char **q = parts; *q; q++)
    g_strstrip(*q);
  cfg->retention_categories = parts;
  p = okno_retention_policy_new(cfg, &err);
  if (p) {
    OknoRetentionFacts f = {.kind = OKNO_KIND_SUPPORT, .closed_at = 1, .held = TRUE};
    for (char **q = parts; *q; q++) {
      const char *colon = strchr(*q, ':');
      g_autofree char *cat = colon ? g_strstrip(g_strndup(*q, (gsize)(colon - *q))) : NULL;
      gint64 d = okno_retention_days(p, OKNO_KIND_SUPPORT, cat);
      if (!colon || d < 365 || d > 36500)
        abort();
    }
    if (okno_retention_due_at(p, &f, NULL) != 0)
      abort();
  } else if (!g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER)) {
    abort();
  }

  /* a journal entry read back by verify */
  if (!okno_journal_entry_is_purge(entry) && okno_journal_purge_matches(entry, row, 0))
    abort();
  return 0;
}
