/* fuzz_chat_answers.c: fuzz driver for the chat bot's answers file (text/answers.h).
 * The input is parsed as a file; when it parses, its own lines are asked as questions.
 * Invariants: a refusal names a line; a parsed set never holds more pairs than the
 * input has lines; every answer found is non-empty UTF-8. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "text/answers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoAnswers) a = okno_answers_parse((const char *)data, size, &err);
  guint lines = 1;
  for (size_t i = 0; i < size; i++)
    lines += data[i] == '\n';
  if (!a) {
    if (!err || !g_str_has_prefix(err->message, "line "))
      abort();
    return 0;
  }
  if (okno_answers_count(a) > lines)
    abort();
  {
    g_autofree char *text = g_strndup((const char *)data, size);
    g_auto(GStrv) qs = g_strsplit(text, "\n", 50);
    for (guint i = 0; qs[i]; i++) {
      const char *ans = okno_answers_find(a, qs[i]);
      if (ans && (!*ans || !g_utf8_validate(ans, -1, NULL)))
        abort();
    }
  }
  return 0;
}
