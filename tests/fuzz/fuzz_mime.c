/* fuzz_mime.c: libFuzzer driver for okno_mime_parse() (mail/mime.h).
 *
 * Parses the input with small limits (so deep nesting and budgets are exercised)
 * and touches every field of the record, so that the sanitizers see any read of
 * freed or uninitialised memory; the record is freed, so leaks show too. */
#include <stdint.h>
#include <string.h>

#include "mail/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  OknoMimeLimits limits = {.max_depth = 8, .max_parts = 64, .memory_budget = 1 << 20, .time_budget_ms = 2000};
  OknoMessage *m = okno_mime_parse((const char *)data, size, &limits);
  gsize total = 0;
  if (!m)
    return 0;
  g_assert(g_utf8_validate(m->subject, -1, NULL));
  g_assert(g_utf8_validate(m->from_name, -1, NULL));
  g_assert(g_utf8_validate(m->text, -1, NULL));
  total += strlen(m->from_email) + strlen(m->date) + strlen(m->message_id) + strlen(m->in_reply_to);
  for (char **r = m->references; *r; r++)
    total += strlen(*r);
  for (guint i = 0; i < m->attachments->len; i++) {
    const OknoAttachment *a = g_ptr_array_index(m->attachments, i);
    g_assert(g_utf8_validate(a->filename, -1, NULL));
    g_assert(*a->filename && !strchr(a->filename, '/') && !strchr(a->filename, '\\'));
    g_assert(g_bytes_get_size(a->data) == a->size);
    total += strlen(a->content_type) + strlen(a->declared_type) + strlen(a->sha256);
  }
  g_assert(total < ((gsize)1 << 40));
  okno_message_free(m);
  return 0;
}
