/* bench/journal.c: `okno journal verify` (ops/journal.h okno_journal_verify) over a
 * journal of N facts (default 1,000,000; the first argument changes it), beside the
 * anchor measured in the same run: raw SHA-256 (libsodium) over the same bytes the
 * verify hashes (every entry once, as its leaf hash).
 *
 * The store is SQLite in a temporary directory: two appeals and N - 1 events written in
 * transactions of 10,000, in runs of FACTS (default 7, env JOURNAL_FACTS; 1: one leaf
 * per fact, as before batches) alternating between the appeals, so that each run
 * becomes one batch leaf as a registration's facts do (store/journal_batch.h: a run of
 * one appeal's facts in a transaction is one leaf), and a signed head over all of them,
 * so verify does everything it does in production (leaf hashes, batches parsed, the
 * fact index, the tree at the head, the head's signature, every event row recomputed
 * and compared with its fact), first as `okno journal verify` runs it (two threads when
 * the store allows, ops/journal.h okno_journal_verify_set_threads), then on one thread.
 * Prints:
 *   journal verify: N facts in L leaves in T s (R facts/s, 2 threads; one thread T1 s)  baseline: SHA-256 of the entries B s
 *
 * First, on a fresh store, the cost of the staff access journal per read: a read's row
 * and leaf in a transaction of their own that does not wait for the disk (what the
 * console does on every appeal page, store/access.h okno_store_access_record), beside the store work of the appeal page itself
 * (okno_store_appeal_json of an appeal with 10 messages and events), READS times each:
 *   access journal: X ms per read (its own transaction, not synced)  anchor: the appeal page's store reads Y ms
 * With JOURNAL_KEEP set the store's directory (okno.db, journal.key) is kept and named
 * on stderr, to profile `okno journal verify` on it alone; JOURNAL_STORE=DIR runs only
 * the verifies and the anchor again on such a kept store (N is then the store's). */
#include <glib.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "ops/journal.h"
#include "sec/journal_key.h"
#include "store/access.h"
#include "store/appeals.h"
#include "store/events.h"
#include "store/journal.h"

#define TX 10000
#define READS 500

int main(int argc, char **argv)
{
  gint64 n = argc > 1 ? g_ascii_strtoll(argv[1], NULL, 10) : 1000000;
  gint64 facts = g_getenv("JOURNAL_FACTS") ? g_ascii_strtoll(g_getenv("JOURNAL_FACTS"), NULL, 10) : 7;
  const char *reuse = g_getenv("JOURNAL_STORE");
  g_autofree char *dir = reuse ? g_strdup(reuse) : g_dir_make_tmp("okno-bench-journal-XXXXXX", NULL);
  g_autofree char *url = g_strdup_printf("sqlite:%s/okno.db", dir);
  g_autofree char *key_path = g_build_filename(dir, "journal.key", NULL);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(OknoJournalKey) key = NULL;
  g_autoptr(OknoJournalHead) head = NULL;
  g_autoptr(OknoJournalReport) rep = NULL;
  OknoAppeal a = {.number = "26-000001-9", .status = OKNO_STATUS_NEW,
                  .channel = OKNO_CHANNEL_EMAIL, .from_email = "ivan@example.ru",
                  .subject = "Вопрос", .received_at = okno_now()};
  gint64 t0, t_verify, t_one, t_sha = 0, bytes = 0, b_id = 0;
  if (sodium_init() < 0 || n < 2 || facts < 1 || facts > 64)
    return 2;
  okno_journal_set_batches(facts > 1);
  st = okno_store_open(url, &err);
  if (!st || (!reuse && !okno_journal_key_create(key_path, &err)) ||
      !(key = okno_journal_key_load(key_path, &err))) {
    fprintf(stderr, "bench_journal: %s\n", err ? err->message : "no key");
    return 2;
  }
  if (reuse) { /* a kept store: its head, then the verifies alone */
    head = okno_store_journal_head(st, 0, &err);
    if (!head)
      goto fail;
    goto verify;
  }
  {
    OknoAppeal b = {.number = "26-000002-4", .status = OKNO_STATUS_NEW,
                    .channel = OKNO_CHANNEL_EMAIL, .from_email = "petr@example.ru",
                    .subject = "Вопрос", .received_at = okno_now()};
    gint64 t_access = 0, t_page = 0;
    if (!okno_store_begin(st, &err) || !okno_store_appeal_insert(st, &b, &err))
      goto fail;
    for (int i = 0; i < 10; i++)
      if (!okno_store_event_add(st, b.id, "note", "{\"note\":\"заметка оператора\"}", &err))
        goto fail;
    if (!okno_store_commit(st, &err))
      goto fail;
    b_id = b.id;
    for (int i = 0; i < READS; i++) {
      OknoAccessRow r = {.user_id = 1, .login = "petrov", .role = "operator", .department = "it",
                         .ip = "192.0.2.1", .action = "view", .appeal_id = b.id, .detail = ""};
      g_autofree char *json = NULL;
      t0 = g_get_monotonic_time();
      if (!okno_store_access_record(st, &r, &err))
        goto fail;
      t_access += g_get_monotonic_time() - t0;
      t0 = g_get_monotonic_time();
      json = okno_store_appeal_json(st, b.number, &err);
      if (!json)
        goto fail;
      t_page += g_get_monotonic_time() - t0;
    }
    printf("access journal: %.2f ms per read (its own transaction, not synced)  anchor: the appeal "
           "page's store reads %.2f ms\n", t_access / 1e3 / READS, t_page / 1e3 / READS);
    fflush(stdout);
    a.number = "26-000001-9";
  }
  fprintf(stderr, "bench_journal: writing %" G_GINT64_FORMAT " facts, %" G_GINT64_FORMAT
          " to a leaf...\n", n, facts);
  for (gint64 i = 0; i < n;) {
    if (!okno_store_begin(st, &err))
      break;
    if (i == 0 && !okno_store_appeal_insert(st, &a, &err))
      break;
    if (i == 0)
      i++;
    for (gint64 k = 0; k < TX && i < n; k++, i++) {
      g_autofree char *detail = g_strdup_printf("{\"note\":\"событие %" G_GINT64_FORMAT "\"}", i);
      if (!okno_store_event_add(st, (k / facts) % 2 ? b_id : a.id, "note", detail, &err))
        break;
    }
    if (err || !okno_store_commit(st, &err))
      break;
  }
  if (err || !okno_journal_sign(st, key, FALSE, &head, &err)) {
  fail:
    fprintf(stderr, "bench_journal: %s\n", err ? err->message : "failed");
    return 2;
  }
verify:
  t0 = g_get_monotonic_time();
  rep = okno_journal_verify(st, key->pk, &err);
  t_verify = g_get_monotonic_time() - t0;
  if (!rep || rep->problems->len || rep->size != head->size) {
    fprintf(stderr, "bench_journal: verify failed: %s\n", rep ? "problems" : err->message);
    return 2;
  }
  { /* the same verify on one thread */
    g_autoptr(OknoJournalReport) one = NULL;
    okno_journal_verify_set_threads(1);
    t0 = g_get_monotonic_time();
    one = okno_journal_verify(st, key->pk, &err);
    t_one = g_get_monotonic_time() - t0;
    okno_journal_verify_set_threads(2);
    if (!one || one->problems->len || one->size != head->size) {
      fprintf(stderr, "bench_journal: verify failed: %s\n", one ? "problems" : err->message);
      return 2;
    }
  }
  /* the anchor: SHA-256 of the same entries, read once */
  for (gint64 after = 0;;) {
    g_autoptr(GPtrArray) page = okno_store_journal_leaves(st, after, 20000, &err);
    if (!page || page->len == 0)
      break;
    t0 = g_get_monotonic_time();
    for (guint i = 0; i < page->len; i++) {
      OknoJournalLeaf *l = page->pdata[i];
      gsize len;
      const guint8 *d = g_bytes_get_data(l->entry, &len);
      guint8 h[crypto_hash_sha256_BYTES];
      crypto_hash_sha256_state s;
      crypto_hash_sha256_init(&s);
      crypto_hash_sha256_update(&s, (const guint8 *)"", 1);
      crypto_hash_sha256_update(&s, d, len);
      crypto_hash_sha256_final(&s, h);
      bytes += (gint64)len;
    }
    t_sha += g_get_monotonic_time() - t0;
    after = ((OknoJournalLeaf *)page->pdata[page->len - 1])->seq;
  }
  printf("journal verify: %" G_GINT64_FORMAT " facts in %" G_GINT64_FORMAT
         " leaves in %.2f s (%.0f facts/s, %u threads; one thread %.2f s)  baseline: SHA-256 of "
         "the entries (%.1f MB) %.2f s\n",
         rep->facts, rep->size, t_verify / 1e6, rep->facts / (t_verify / 1e6),
         rep->threads, t_one / 1e6, bytes / 1e6, t_sha / 1e6);
  if (reuse || g_getenv("JOURNAL_KEEP")) { /* for profiling verify alone: the store stays */
    fprintf(stderr, "bench_journal: the store is kept in %s\n", dir);
    return 0;
  }
  {
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
      return 2;
  }
  return 0;
}
