/* fuzz_imap_response.c: fuzz driver for the IMAP response parser (mail/imap_parse.h).
 *
 * Walks the input as the client does: okno_imap_response_length over what is left,
 * then okno_imap_response_parse of each complete response. Checks the contract: a
 * length never beyond the buffer, a body never beyond the response, a parsed
 * response always has a tag, SEARCH numbers are never 0, and feeding the same
 * bytes one byte at a time finds the same first length (no response is complete
 * before all of it is there). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "mail/imap_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  gsize pos = 0;
  gssize first = okno_imap_response_length(data, size, 1 << 20, NULL);
  if (first > (gssize)size)
    abort();
  if (first > 0 && first <= 512)
    for (gsize k = 0; k < (gsize)first; k++)
      if (okno_imap_response_length(data, k, 1 << 20, NULL) > 0)
        abort();
  while (pos < size) {
    gssize n = okno_imap_response_length(data + pos, size - pos, 1 << 20, NULL);
    g_autoptr(OknoImapResponse) r = NULL;
    if (n <= 0)
      break;
    if ((gsize)n > size - pos)
      abort();
    r = okno_imap_response_parse(data + pos, (gsize)n, NULL);
    if (r) {
      if (!r->tag || !*r->tag)
        abort();
      if (r->body && g_bytes_get_size(r->body) > (gsize)n)
        abort();
      for (guint i = 0; r->search && i < r->search->len; i++)
        if (g_array_index(r->search, guint32, i) == 0)
          abort();
    }
    pos += (gsize)n;
  }
  {
    g_autofree char *s = g_strndup((const char *)data, size);
    g_autofree char *q = okno_imap_quote(s);
    if (q && (q[0] != '"' || q[strlen(q) - 1] != '"'))
      abort();
  }
  return 0;
}
