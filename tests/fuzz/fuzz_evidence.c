/* fuzz_evidence.c: fuzz driver for what `okno evidence verify` reads from outside
 * (ops/evidence.h, ops/journal.h): a receipt's okno-receipt.json proof
 * (okno_journal_set_check) and a whole receipt .eml (okno_evidence_verify on a file).
 *
 * Invariants: nothing crashes or leaks, and nothing is accepted: the public key is one
 * nobody holds the secret of (all zero bytes is not a point any signature verifies
 * with), so a proof or a receipt that passes is a bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ops/evidence.h"
#include "ops/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const guint8 pk[OKNO_JOURNAL_PK_LEN] = {0};
  g_autofree char *text = g_strndup((const char *)data, size);
  g_autofree char *path = NULL;
  const char *what = NULL;
  guint checked = 0;
  int fd;
  if (okno_journal_set_check(text, pk, "text", NULL) ||
      okno_journal_set_check(text, pk, NULL, NULL))
    abort();
  fd = g_file_open_tmp("okno-fuzz-receipt-XXXXXX.eml", &path, NULL);
  if (fd >= 0) {
    if (write(fd, data, size) != (ssize_t)size)
      abort();
    close(fd);
    if (okno_evidence_verify(pk, path, &what, &checked, NULL))
      abort();
    g_unlink(path);
  }
  return 0;
}
