/* fuzz_rspamd_reply.c: fuzz driver for the rspamd answer parser (check/rspamd.h).
 *
 * Feeds the input to okno_rspamd_parse_reply and checks its contract: either a result
 * with a finite score, an action and symbol names that are printable ASCII, non-empty,
 * at most 64 bytes, at most 64 of them, sorted; or NULL with an error; and the result
 * printed as JSON (okno_rspamd_to_json) is valid JSON. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "check/rspamd.h"
#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable_bounded(const char *s, gboolean nonempty)
{
  if (strlen(s) > 64 || (nonempty && !*s))
    abort();
  for (const char *p = s; *p; p++)
    if ((guchar)*p < 0x20 || (guchar)*p > 0x7e)
      abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  GError *e = NULL;
  OknoRspamdResult *r = okno_rspamd_parse_reply((const char *)data, size, &e);
  if (!r) {
    if (!e)
      abort();
    g_error_free(e);
    return 0;
  }
  if (e || !isfinite(r->score) || !r->action || r->symbols->len > 64)
    abort();
  printable_bounded(r->action, FALSE);
  for (guint i = 0; i < r->symbols->len; i++) {
    printable_bounded(r->symbols->pdata[i], TRUE);
    if (i && strcmp(r->symbols->pdata[i - 1], r->symbols->pdata[i]) > 0)
      abort();
  }
  {
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonParser) p = json_parser_new();
    g_autofree char *text = NULL;
    okno_rspamd_to_json(b, r, "spam");
    text = okno_json_text(b, FALSE);
    if (!json_parser_load_from_data(p, text, -1, NULL))
      abort();
  }
  okno_rspamd_result_free(r);
  return 0;
}
