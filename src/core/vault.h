/* vault.h: encryption at rest (docs/crypto.md): the key file, its key epochs, the
 * sealing of values under data keys, the wrapping of data keys, and the blind index.
 *
 * In core/ and not sec/ because the store (below sec in the layers) seals and opens
 * rows in its row mapper, and a lower layer may not include a higher one.
 *
 * THE KEY FILE ([crypto] key_file, default okno.key beside the configuration file):
 * text, mode 0600, created only by okno_vault_create (`okno crypto init`), which never
 * overwrites one:
 *     okno-key 1
 *     index <base64 of 32 bytes>            the blind-index key (never rotated)
 *     epoch <id> <base64 of 32 bytes> [retired]   key-encryption keys (KEKs), id >= 1
 *     current <id>                          the epoch new data keys are wrapped under
 * Loading refuses a file that group or others may read, a malformed one, or one whose
 * current epoch is missing or retired. Saving replaces the file atomically (a 0600
 * temporary file, fsync, rename, fsync of the folder) under an exclusive lock on
 * "<key file>.lock", so two processes never lose each other's epochs.
 *
 * SEALED VALUES: version byte 0x01 | key id (8 bytes, big-endian) | nonce (24 bytes) |
 * XChaCha20-Poly1305 ciphertext + tag (16 bytes). The associated data is the header
 * (version, key id) followed by the caller's (the store passes "table.column" and the
 * row's identity where it has one), so a value moved to another column or row, or given
 * another key id, does not open. Text columns hold the same bytes in
 * base64 behind the prefix "~1" (okno_vault_seal_text); a JSON text with sealed member
 * values is marked "~2" (store/events.h).
 *
 * WRAPPED DATA KEYS: nonce (24) | XChaCha20-Poly1305 of the 32-byte data key (+16),
 * associated data "okno-dk" | key id | epoch (8 bytes each, big-endian).
 *
 * Thread safety: a vault is shared by the threads of a process; every function here
 * takes the vault's lock itself. Key material is wiped when freed. */
#pragma once
#include <glib.h>

#define OKNO_VAULT_KEY_LEN 32
#define OKNO_VAULT_SEAL_OVERHEAD (1 + 8 + 24 + 16)
#define OKNO_VAULT_TEXT_PREFIX "~1"
/* A JSON object some of whose member values are sealed texts (store/events.h). */
#define OKNO_VAULT_DETAIL_PREFIX "~2"

typedef struct OknoVault OknoVault;

/* Creates the key file `path` with a fresh index key and epoch 1 (current); mode 0600;
 * OKNO_ERROR_USER (one line naming the file) when it exists or cannot be written. */
gboolean okno_vault_create(const char *path, GError **error);
/* NULL and OKNO_ERROR_USER (one line naming the file) when it is missing, unreadable,
 * malformed or readable by group or others. */
OknoVault *okno_vault_load(const char *path, GError **error);
/* The vault of a key file's text (`label` names it in errors); for the fuzz driver
 * and tests: it is not saved anywhere. NULL and OKNO_ERROR_USER when malformed. */
OknoVault *okno_vault_parse(const char *label, const char *text, GError **error);
void okno_vault_free(OknoVault *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoVault, okno_vault_free)
const char *okno_vault_path(const OknoVault *v);

/* Reads the file again when it changed on disk since it was read (another process
 * rotated, retired or destroyed an epoch: a destroyed one is wiped from memory too).
 * FALSE with the error when the changed file does not load (the vault is then
 * unchanged). A stat(2) when nothing changed: cheap enough for every new data key. */
gboolean okno_vault_refresh(OknoVault *v, GError **error);

/* ---- epochs (each change is saved to the file before it returns) ---- */
gint64 okno_vault_current_epoch(OknoVault *v);
/* A new random KEK becomes the current epoch; the previous current one stays (not
 * retired). Returns the new id, 0 with the error when the file cannot be saved. */
gint64 okno_vault_new_epoch(OknoVault *v, GError **error);
/* Marks `epoch` retired (it will be destroyed by okno_vault_destroy_epoch once no data
 * key is wrapped under it). When it is the current one, a new epoch becomes current
 * first. Unknown epochs are ignored. */
gboolean okno_vault_retire_epoch(OknoVault *v, gint64 epoch, GError **error);
/* Every retired epoch id, ascending (a GArray of gint64). */
GArray *okno_vault_retired_epochs(OknoVault *v);
/* Removes `epoch` (retired, not current) from the file and wipes its KEK in memory. */
gboolean okno_vault_destroy_epoch(OknoVault *v, gint64 epoch, GError **error);
/* Every epoch id in the file, ascending. */
GArray *okno_vault_epochs(OknoVault *v);

/* ---- data keys ---- */
/* A fresh random data key and a random key id (> 0, 63 bits). */
void okno_vault_new_data_key(guint8 dk[OKNO_VAULT_KEY_LEN], gint64 *key_id);
/* `dk` wrapped under `epoch`'s KEK; NULL and OKNO_ERROR_INTERNAL when the epoch is not
 * in the vault. */
GBytes *okno_vault_wrap(OknoVault *v, gint64 epoch, gint64 key_id,
                        const guint8 dk[OKNO_VAULT_KEY_LEN], GError **error);
/* FALSE and OKNO_ERROR_USER when the epoch is gone (destroyed: crypto-shredded) or the
 * wrapped key does not open under it (another key file). */
gboolean okno_vault_unwrap(OknoVault *v, gint64 epoch, gint64 key_id, GBytes *wrapped,
                           guint8 dk[OKNO_VAULT_KEY_LEN], GError **error);

/* ---- values (no vault needed: the data key is the caller's) ---- */
GBytes *okno_vault_seal(const guint8 dk[OKNO_VAULT_KEY_LEN], gint64 key_id, const char *ad,
                        const void *data, gsize len);
/* The key id a sealed value names; 0 when `data` is not a sealed value. */
gint64 okno_vault_sealed_key_id(const void *data, gsize len);
/* The clear bytes; NULL and OKNO_ERROR_INTERNAL when the value does not open (tampered,
 * moved to another column, another key). */
GBytes *okno_vault_open(const guint8 dk[OKNO_VAULT_KEY_LEN], const char *ad, const void *data,
                        gsize len, GError **error);
/* The text form of a sealed value: OKNO_VAULT_TEXT_PREFIX + base64 (standard). */
char *okno_vault_seal_text(const guint8 dk[OKNO_VAULT_KEY_LEN], gint64 key_id, const char *ad,
                           const char *text);
/* The key id of a sealed text, 0 when `text` is not one (then it is clear text). */
gint64 okno_vault_sealed_text_key_id(const char *text);
/* The clear text of a sealed text (NUL-terminated), NULL with the error as okno_vault_open. */
char *okno_vault_open_text(const guint8 dk[OKNO_VAULT_KEY_LEN], const char *ad,
                           const char *text, GError **error);

/* ---- blind index ---- */
/* Lower-case hex (32 characters) of keyed BLAKE2b-128 of `domain` "\0" `value`, under
 * the index key: equal values give equal indexes, and without the key file an index
 * tells nothing of the value. Callers normalise the value first (e-mail lowercase). */
char *okno_vault_blind(OknoVault *v, const char *domain, const char *value);
/* The same into `out` (33 bytes), for hot paths. */
void okno_vault_blind_into(OknoVault *v, const char *domain, const char *value, char out[33]);
/* The key of the search index's terms (store/terms.h): BLAKE2b-256 keyed by the index
 * key over "okno-search-terms", so it changes with neither rotation nor epochs, and
 * one key never serves two purposes. */
void okno_vault_search_key(OknoVault *v, guint8 out[OKNO_VAULT_KEY_LEN]);
