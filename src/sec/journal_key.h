/* journal_key.h: the journal's Ed25519 signing key (libsodium) and its file.
 *
 * The file holds "okno-journal-key 1\n" and the 32-byte seed in base64 on one line; it
 * is created only by okno_journal_key_create() (the command `okno journal init`), with
 * mode 0600, and never overwritten. Loading refuses a file that others may read.
 * The key's fingerprint (its id in signed heads) is the lower-case hex SHA-256 of the
 * 32-byte public key; the public key is published in base64 (standard alphabet). */
#pragma once
#include <glib.h>

#define OKNO_JOURNAL_PK_LEN 32
#define OKNO_JOURNAL_SIG_LEN 64

typedef struct {
  guint8 pk[OKNO_JOURNAL_PK_LEN];
  guint8 sk[64];
  char *fingerprint;
} OknoJournalKey;

/* NULL and OKNO_ERROR_USER (one line naming the file) when it is missing, unreadable,
 * malformed or readable by group or others. */
OknoJournalKey *okno_journal_key_load(const char *path, GError **error);
/* Creates a new key file; OKNO_ERROR_USER when the file already exists. */
gboolean okno_journal_key_create(const char *path, GError **error);
void okno_journal_key_free(OknoJournalKey *k);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoJournalKey, okno_journal_key_free)

char *okno_journal_key_public_base64(const guint8 pk[OKNO_JOURNAL_PK_LEN]);
/* The 32 bytes of a base64 public key; FALSE if it is not one. */
gboolean okno_journal_key_public_parse(const char *b64, guint8 pk[OKNO_JOURNAL_PK_LEN]);
char *okno_journal_key_fingerprint(const guint8 pk[OKNO_JOURNAL_PK_LEN]);
/* A detached signature (64 bytes) of `msg`. */
GBytes *okno_journal_key_sign(const OknoJournalKey *k, GBytes *msg);
gboolean okno_journal_signature_ok(const guint8 pk[OKNO_JOURNAL_PK_LEN], GBytes *msg,
                                   GBytes *sig);

/* ---- key rotation (docs/journal.md, "Key rotation") ----
 * A rotation is a statement signed by both the old and the new key:
 *   okno-key-rotation 1\nold=<old public key, hex>\nnew=<new public key, hex>\nat=<us>\n
 * so a verifier who trusts either key can follow the chain to the other. */
GBytes *okno_journal_rotation_message(const guint8 old_pk[OKNO_JOURNAL_PK_LEN],
                                      const guint8 new_pk[OKNO_JOURNAL_PK_LEN], gint64 at);

/* One key of a keyring and when it was valid: heads of sizes from_seq..until_seq - 1
 * (until_seq 0: still valid) and statements timed from_at..until_at - 1 (0: now). The
 * first key's from_seq and from_at are 0. */
typedef struct {
  guint8 pk[OKNO_JOURNAL_PK_LEN];
  char *key_id;
  gint64 from_seq, until_seq;
  gint64 from_at, until_at;
} OknoJournalKeyPeriod;

/* The keys of a journal in order, each rotation checked. */
typedef struct {
  GPtrArray *keys; /* OknoJournalKeyPeriod, the first key first */
} OknoJournalKeyring;
OknoJournalKeyring *okno_journal_keyring_new(const guint8 first_pk[OKNO_JOURNAL_PK_LEN]);
void okno_journal_keyring_free(OknoJournalKeyring *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoJournalKeyring, okno_journal_keyring_free)
/* Adds the rotation at leaf `seq`, time `at`: FALSE with one English line when `old_pk`
 * is not the ring's last key, `at` is not after its start, or either signature of the
 * rotation message does not verify. */
gboolean okno_journal_keyring_rotate(OknoJournalKeyring *r, const guint8 old_pk[OKNO_JOURNAL_PK_LEN],
                                     const guint8 new_pk[OKNO_JOURNAL_PK_LEN], gint64 at, gint64 seq,
                                     GBytes *old_sig, GBytes *new_sig, GError **error);
/* The period of key `key_id` (a fingerprint); NULL when it is not in the ring. */
const OknoJournalKeyPeriod *okno_journal_keyring_find(const OknoJournalKeyring *r,
                                                      const char *key_id);
/* TRUE when the key with fingerprint `key_id` may have signed a statement at time `at`
 * (and, `size` > 0, a head of that size). */
gboolean okno_journal_key_period_covers(const OknoJournalKeyPeriod *p, gint64 at, gint64 size);
