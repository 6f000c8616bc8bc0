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
