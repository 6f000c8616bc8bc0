/* fuzz_tg_update.c: fuzz driver for the Telegram Update parser (intake/tg_update.h).
 *
 * Feeds the input to okno_tg_update_parse and checks its contract: either FALSE with
 * an error and the output cleared, or TRUE with valid UTF-8 strings within their
 * bounds, no control characters but line breaks and tabs, and a /status argument only
 * for a message; a file_id of URL-safe characters only, with a name without a slash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "intake/tg_update.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, glong max)
{
  if (!s || !g_utf8_validate(s, -1, NULL) || g_utf8_strlen(s, -1) > max)
    abort();
  for (const char *p = s; *p; p++)
    if ((guchar)*p < 0x20 && *p != '\n' && *p != '\t')
      abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  GError *e = NULL;
  OknoTgUpdate u = {0};
  if (!okno_tg_update_parse((const char *)data, size, &u, &e)) {
    if (!e || u.text || u.name || u.has_message)
      abort();
    g_error_free(e);
    return 0;
  }
  if (e)
    abort();
  if (u.has_message) {
    check_text(u.text, OKNO_TG_MAX_TEXT);
    check_text(u.name, OKNO_TG_MAX_NAME);
    check_text(u.chat_type, 32);
    if (u.status_arg && !g_utf8_validate(u.status_arg, -1, NULL))
      abort();
    if (!u.file_id != !u.file_name || (u.file_id && strlen(u.file_id) > 256) ||
        (u.file_name && (strchr(u.file_name, '/') || !g_utf8_validate(u.file_name, -1, NULL))))
      abort();
    for (const char *p = u.file_id; p && *p; p++)
      if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
        abort();
  } else if (u.text || u.status_arg || u.start) {
    abort();
  }
  okno_tg_update_clear(&u);
  return 0;
}
