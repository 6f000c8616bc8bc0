/* seal.h: sealing the rows written clear before the key file existed (`okno crypto
 * seal-existing`, docs/crypto.md "Turning encryption on").
 *
 * An appeal written without a key file has no data key (appeals.key_id 0) and its
 * values are clear. okno_store_seal_existing() gives each such appeal a data key and
 * seals, under it, what the store's writers seal for a new appeal: the appeal's
 * contact and subject, its messages' addresses, subjects, texts, meta and original
 * bytes, its attachments' names and bytes, its outbound envelopes and mail, its
 * rating; the blind indexes are recomputed under the key file's index key. Clear
 * values stay readable until then (they are opened as they are). One transaction per
 * appeal, so it can be stopped and run again: an appeal with a data key is never
 * touched twice. Run it with okno stopped: on PostgreSQL a message written to an
 * appeal while its transaction runs would be written clear and stay so. The search terms are not its concern
 * (okno_store_search_prepare made them under the key at open). Needs the process's
 * vault: OKNO_ERROR_USER without it. *sealed: the appeals sealed. */
#pragma once
#include <glib.h>

#include "store/store.h"

gboolean okno_store_seal_existing(OknoStore *st, gint64 *sealed, GError **error);

/* The cabinet's identity rows written without the key file (migration 21): sign-in
 * codes, notification settings, address moves and citizens' sessions whose blind
 * index is still the lower-case address get the keyed index, and the addresses they
 * give back (contact_moves.email, sessions.subject) are sealed under a data key of
 * their own (okno_store_seal_secret). One transaction; a second run finds nothing.
 * Needs the vault (OKNO_ERROR_USER without it). *rows: the rows converted. */
gboolean okno_store_seal_identities(OknoStore *st, gint64 *rows, GError **error);
