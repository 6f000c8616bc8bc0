/* journal_keys.h: the journal's public keys, old and current (table journal_keys,
 * migration 15; docs/journal.md "Key rotation").
 *
 * One row per key that has signed the journal: its fingerprint (key_id), the 32-byte
 * public key and added_at, the time from which it signs (0 for the first key). A key
 * is valid from its added_at until the next key's added_at; the newest row is the
 * current key. `okno journal rotate-key` writes the rows in the transaction of the
 * rotation's leaf (store/journal.h); the leaf, signed by both keys, is the proof, the
 * rows are the index the signer and `okno journal key --history` read.
 *
 * Like store.h: one connection, one thread; no function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

typedef struct {
  char *key_id;
  GBytes *public_key;
  gint64 added_at;
} OknoJournalKeyRow;
void okno_journal_key_row_free(OknoJournalKeyRow *k);

/* Adds a key (nothing when key_id is there already). */
gboolean okno_store_journal_key_add(OknoStore *st, const char *key_id, const guint8 *pk,
                                    gsize pk_len, gint64 added_at, GError **error);
/* Every key, oldest first (OknoJournalKeyRow). */
GPtrArray *okno_store_journal_keys(OknoStore *st, GError **error);
/* *current gets the key_id of the newest key, NULL when the table is empty (no
 * rotation yet). */
gboolean okno_store_journal_key_current(OknoStore *st, char **current, GError **error);
