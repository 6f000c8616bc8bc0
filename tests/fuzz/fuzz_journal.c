/* fuzz_journal.c: fuzz driver for what the journal takes from outside (sec/journal_key.h,
 * core/merkle.h): a published public key in base64 (`okno journal verify --key`), a key
 * file's text, proofs of any length and content handed to the RFC 9162 verifiers, and a
 * key history (`okno evidence verify --key FILE`, ops/journal.h okno_journal_keyring_parse)
 * or a key rotation entry (store/journal.h).
 *
 * Invariants: a parsed public key re-encodes to base64 that parses to the same bytes; a
 * key file that loads has a 64-hex-digit fingerprint; the verifiers never crash or read
 * past the proof, and accept a proof only when its length is a multiple of 32; a key
 * history that parses is a ring of at least one key whose periods follow each other; a
 * rotation entry that parses rebuilds to the same bytes, and so does a batch entry
 * (store/journal_batch.h), whose fact count (okno_journal_batch_count) is the parse's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "core/merkle.h"
#include "ops/journal.h"
#include "sec/journal_key.h"
#include "store/journal.h"
#include "store/journal_batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, size);
  guint8 pk[OKNO_JOURNAL_PK_LEN], again[OKNO_JOURNAL_PK_LEN];
  guint8 a[OKNO_HASH_LEN] = {0}, b[OKNO_HASH_LEN] = {0};
  guint64 x = 0, y = 0;

  {
    OknoJournalKeyring *ring = okno_journal_keyring_parse(text, NULL);
    OknoJournalRotation r;
    g_autoptr(GBytes) entry = g_bytes_new(data, size);
    for (guint i = 1; ring && i < ring->keys->len; i++) {
      const OknoJournalKeyPeriod *p = ring->keys->pdata[i - 1], *q = ring->keys->pdata[i];
      if (p->until_seq != q->from_seq || p->until_at != q->from_at || q->from_seq <= p->from_seq)
        abort();
    }
    if (ring && ring->keys->len < 1)
      abort();
    okno_journal_keyring_free(ring);
    {
      GPtrArray *facts = okno_journal_batch_parse(data, size);
      /* the counting check (verify's) accepts exactly what the parse accepts */
      if (okno_journal_batch_count(data, size) != (facts ? (gint64)facts->len : -1))
        abort();
      if (facts) {
        g_autoptr(GBytes) rebuilt = okno_journal_entry_batch(
            (OknoJournalBatchFact *const *)facts->pdata, facts->len);
        if (!g_bytes_equal(rebuilt, entry) || facts->len == 0)
          abort();
        g_ptr_array_unref(facts);
      }
    }
    if (okno_journal_entry_rotation_parse(entry, &r)) {
      g_autoptr(GBytes) again_entry = okno_journal_entry_rotation(&r);
      if (!g_bytes_equal(again_entry, entry))
        abort();
      okno_journal_rotation_clear(&r);
    }
  }
  if (okno_journal_key_public_parse(text, pk)) {
    g_autofree char *b64 = okno_journal_key_public_base64(pk);
    if (!okno_journal_key_public_parse(b64, again) || memcmp(pk, again, sizeof pk) != 0)
      abort();
  }
  {
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp("okno-fuzz-key-XXXXXX", &path, NULL);
    if (fd >= 0) {
      OknoJournalKey *k;
      if (write(fd, data, size) != (ssize_t)size)
        abort();
      close(fd);
      g_chmod(path, 0600);
      k = okno_journal_key_load(path, NULL);
      if (k && strlen(k->fingerprint) != 64)
        abort();
      okno_journal_key_free(k);
      g_unlink(path);
    }
  }
  if (size >= 16) {
    memcpy(&x, data, 8);
    memcpy(&y, data + 8, 8);
    x %= 1 << 20;
    y %= 1 << 20;
    if (okno_merkle_verify_inclusion(a, x, y, data + 16, size - 16, b) && (size - 16) % 32)
      abort();
    if (okno_merkle_verify_consistency(x, y, a, b, data + 16, size - 16) && (size - 16) % 32)
      abort();
  }
  return 0;
}
