/* keys.h: encryption at rest in the store (docs/crypto.md): the process's vault (the
 * key file, core/vault.h), the appeals' data keys (table data_keys, migration 13),
 * sealing and opening of column values under them, crypto-shredding and rotation.
 *
 * Every appeal gets its own random 32-byte data key when it is inserted (if the
 * process has a vault); the key is kept wrapped under the key file's current epoch
 * (data_keys: id, epoch, wrapped) and the appeal names it (appeals.key_id). Values of
 * an appeal (messages.raw, attachments.data, ...) are sealed under that key by the
 * store's own files, in the statement that writes them: no caller above the store
 * sees a sealed value, and no extra statement is run per field. A sealed value names
 * its key, so a message moved to another appeal (merge, split) still opens.
 * Unwrapped data keys are cached for the life of the process (a wrapped key is read
 * once per process).
 *
 * Without a vault (no key file) nothing is sealed and values are written clear; a
 * sealed value read without a vault is an OKNO_ERROR_USER naming the missing file.
 *
 * Contracts: like store.h, one connection and one thread per OknoStore; the vault
 * itself is shared by all threads. "Caller's transaction" functions run no BEGIN. */
#pragma once
#include <glib.h>

#include "core/vault.h"
#include "store/store.h"

/* The process's vault: set once at start (after loading [crypto] key_file), before any
 * store is opened; takes ownership; NULL: none. `path` is the key file okno looked for
 * (named in the error when sealed data is read without it). */
void okno_store_set_vault(OknoVault *v, const char *path);
OknoVault *okno_store_vault(void);
/* Whether the store holds any data key (hence sealed values). */
gboolean okno_store_has_sealed(OknoStore *st, gboolean *any, GError **error);
/* One line for a process starting without a vault on a store that holds sealed data:
 * FALSE and OKNO_ERROR_USER "the store holds encrypted data but the key file ... is
 * missing"; TRUE when there is a vault or nothing is sealed. */
gboolean okno_store_check_vault(OknoStore *st, GError **error);

/* ---- for the store's own files ---- */
/* A new data key for a new appeal (caller's transaction: one INSERT into data_keys);
 * *key_id 0 when the process has no vault (values then stay clear). */
gboolean okno_store_key_new(OknoStore *st, gint64 *key_id, GError **error);
/* The data key of appeal `appeal_id` (0: it has none, or no vault). Cached. */
gboolean okno_store_key_of_appeal(OknoStore *st, gint64 appeal_id, gint64 *key_id,
                                  GError **error);
/* appeals.c, after inserting appeal `appeal_id` with key `key_id`: remembered, so the
 * appeal's first messages find their key without a statement. */
void okno_store_keys_remember(gint64 appeal_id, gint64 key_id);
/* messages.c, after inserting message `message_id` of an appeal with key `key_id`, and
 * the key of a message (its attachments are sealed under it): from what this process
 * remembered, else one statement. */
void okno_store_keys_remember_message(gint64 message_id, gint64 key_id);
gboolean okno_store_key_of_message(OknoStore *st, gint64 message_id, gint64 *key_id,
                                   GError **error);
/* ---- a data key made ahead of the writer ----
 * Intake's parse pool makes a new appeal's data key and seals the message's values
 * under it before the registration reaches the group-commit writer's one thread
 * (register.h), which then only inserts the key (okno_store_key_insert_ahead) and the
 * sealed bytes. Nothing touches the store until then; an unused key (the message was a
 * duplicate, or joined an appeal with a key of its own) is simply freed. The key is
 * wrapped under the epoch current when it was made; when that epoch is no longer the
 * current one at the insert (`okno crypto rotate` ran between), it is wrapped again
 * under the current one there, so no data key is ever stored under a retired epoch
 * by this path (the same guarantee as okno_store_key_new). */
typedef struct OknoKeyAhead OknoKeyAhead;
/* NULL without an error when the process has no vault (nothing is sealed); NULL with
 * the error when the key file changed and does not load. Any thread. */
OknoKeyAhead *okno_store_key_ahead_new(GError **error);
/* Wipes the key from memory. NULL is allowed. */
void okno_store_key_ahead_free(OknoKeyAhead *k);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoKeyAhead, okno_store_key_ahead_free)
gint64 okno_store_key_ahead_id(const OknoKeyAhead *k);
/* As okno_store_seal_text and okno_store_seal under key `k` (which need not be stored
 * yet): the same forms, opened by the same readers once the key is inserted. */
char *okno_store_key_ahead_seal_text(const OknoKeyAhead *k, const char *text);
GBytes *okno_store_key_ahead_seal(const OknoKeyAhead *k, const char *ad, const void *data,
                                  gsize len);
/* okno_store_key_new with key `k` instead of a new one (caller's transaction: one
 * INSERT into data_keys); `k` NULL: okno_store_key_new itself. */
gboolean okno_store_key_insert_ahead(OknoStore *st, const OknoKeyAhead *k, gint64 *key_id,
                                     GError **error);

/* `data` sealed under key `key_id` with associated data `ad` ("table.column"); a new
 * reference to `data` itself (clear) when key_id is 0. NULL with the error when the key
 * does not open. */
GBytes *okno_store_seal(OknoStore *st, gint64 key_id, const char *ad, const void *data,
                        gsize len, GError **error);
/* Text columns: `text` sealed under key `key_id` in the text form (core/vault.h; a
 * copy of `text` when key_id is 0); every query opens it again by itself (db.h's text
 * opener): readers need do nothing. The associated data is OKNO_STORE_TEXT_AD with the
 * key id: the key is the appeal's, so a value moved to another appeal does not open.
 * NULL with the error when the key does not open. */
#define OKNO_STORE_TEXT_AD "okno-text"
char *okno_store_seal_text(OknoStore *st, gint64 key_id, const char *text, GError **error);
/* A secret of no appeal (a staff member's TOTP secret, issue 12) sealed under a data
 * key of its own, made here (one INSERT into data_keys); a copy of `text` without a
 * vault. Read back by every query like any sealed text. */
char *okno_store_seal_secret(OknoStore *st, const char *text, GError **error);
/* The blind index of a contact address (e-mail): keyed BLAKE2b (core/vault.h) of its
 * lower-case form under the key file's index key; that lower-case form itself when
 * the process has no vault. Caller frees. */
char *okno_store_blind_email(const char *email);
/* The clear bytes of a stored value: `stored` itself (a new reference) when it is not
 * sealed, else opened; NULL with the error when its key is gone (shredded), there is
 * no vault, or the value was altered. NULL `stored` gives NULL with no error. */
GBytes *okno_store_unseal(OknoStore *st, const char *ad, GBytes *stored, GError **error);

/* ---- crypto-shredding and rotation ---- */
/* Destroys the data key of appeal `appeal_id`: its data_keys row is deleted (caller's
 * transaction) and the key epoch it was wrapped under is retired in the key file at
 * once (a new current epoch is started first when it was the current one). After the
 * caller COMMITs, it calls okno_store_keys_collect(), which re-wraps the retired
 * epoch's other keys under the current epoch and destroys the retired KEK: only then
 * can no copy of the store taken before (a backup) open the appeal's values. A rolled
 * back shred leaves the key; its epoch is still retired (harmless: collect moves it).
 * An appeal with no data key (written clear, or already shredded) is not an error.
 * Without a vault: OKNO_ERROR_USER. */
gboolean okno_store_appeal_shred(OknoStore *st, gint64 appeal_id, GError **error);
/* Re-wraps every data key of every retired epoch under the current one and destroys
 * those epochs in the key file. Runs its own transactions (never inside the caller's).
 * *moved (may be NULL): the keys re-wrapped. */
gboolean okno_store_keys_collect(OknoStore *st, gint64 *moved, GError **error);
/* `okno crypto rotate`: a new current epoch, every other retired, then collect: every
 * data key ends wrapped under the new KEK and every old KEK is gone from the key file.
 * Safe while okno serves (other processes read the key file again when it changes).
 * Its own transactions. */
gboolean okno_store_keys_rotate(OknoStore *st, gint64 *moved, GError **error);
