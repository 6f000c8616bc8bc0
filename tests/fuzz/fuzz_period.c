/* fuzz_period.c: fuzz driver for the Russian periods of the extend form
 * (appeal/sla.h okno_sla_period_parse_ru) and the history's sentences
 * (appeal/history.h okno_history_render, the input as an event's detail).
 *
 * Invariants: an accepted period has an amount in range, and its Russian form parses
 * back to the same period; a rendered event is a non-empty UTF-8 sentence and every
 * detail line has a label. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "appeal/history.h"
#include "appeal/sla.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, size);
  OknoSlaPeriod p = {0}, q = {0};
  if (okno_sla_period_parse_ru(text, &p)) {
    g_autofree char *ru = okno_sla_period_format_ru(&p);
    if (p.amount < 1 || p.amount > OKNO_DEADLINE_MAX_AMOUNT || !okno_sla_period_parse_ru(ru, &q) ||
        q.unit != p.unit || q.amount != p.amount)
      abort();
  }
  if (size < 65536 && g_utf8_validate(text, -1, NULL)) {
    g_autoptr(OknoHistoryLine) l = okno_history_render("status_changed", text, NULL, NULL);
    if (!l->sentence || !*l->sentence || !g_utf8_validate(l->sentence, -1, NULL))
      abort();
    for (guint i = 0; i < l->lines->len; i++)
      if (!strstr(l->lines->pdata[i], ": "))
        abort();
  }
  return 0;
}
