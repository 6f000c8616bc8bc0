/* journal.h: the journal's operations above the store (docs/journal.md): signing tree
 * heads, verifying the whole journal against the store's rows, and proofs.
 *
 * Signing (okno_journal_sign) extends the latest signed head's frontier with the leaves
 * written since, signs (size, root, time) with the Ed25519 key and stores the head; a
 * journal that has not grown gets no new head unless `force`. okno_journal_signer_*
 * runs it on a thread every [journal] sign_interval seconds and once more at stop.
 *
 * Verification (okno_journal_verify) reads everything again and trusts nothing stored
 * but the public key: every leaf hash is recomputed from its entry, the tree from the
 * leaves (compared with the latest signed head, whose signature is checked), and every
 * entry's latest version from the row it names (appeals, messages, events); a row with
 * no leaf, a leaf with no row, a row that differs, a gap in the sequence or a changed
 * leaf is a problem. The report names the first problem in journal order (facts with
 * no leaf after those with one) with the appeal's number. */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "sec/journal_key.h"
#include "store/journal.h"

gboolean okno_journal_sign(OknoStore *st, const OknoJournalKey *key, gboolean force,
                           OknoJournalHead **head, GError **error);

typedef struct {
  gint64 seq;      /* the leaf concerned; 0 for a row that has no leaf */
  char *number;    /* the appeal's number, "" when unknown */
  char *record;    /* "appeal", "message", "event", "journal", "head" */
  gint64 id;       /* the row's id (0 for the journal and the head) */
  char *what;      /* one line, English */
  gint fact;       /* the fact's index in its batch leaf `seq`; -1: not in a batch */
} OknoJournalProblem;

typedef struct {
  gint64 size;          /* leaves in the journal */
  gint64 signed_size;   /* size of the latest signed head, 0 if none */
  guint8 root[OKNO_HASH_LEN]; /* recomputed root at signed_size */
  gint64 facts;         /* rows compared */
  gint64 before;        /* rows older than the journal (not compared) */
  GPtrArray *problems;  /* OknoJournalProblem, the first in journal order first */
  guint threads;        /* the threads it ran on (okno_journal_verify_set_threads) */
  guint pieces;         /* the pieces the rows' walk was cut into (all records) */
} OknoJournalReport;
void okno_journal_report_free(OknoJournalReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoJournalReport, okno_journal_report_free)

/* `pk`: the public key heads must verify with (NULL: the signer's key is not known;
 * signatures are then reported as not checked... a problem). NULL report only on a
 * store error. */
OknoJournalReport *okno_journal_verify(OknoStore *st, const guint8 *pk, GError **error);
/* Threads verify uses (1 or 2; default 2). Verify's work is a list of tasks: the walk
 * by seq (leaf hashes, batches, the tree, the heads), then each record's rows cut by
 * id into pieces (at least one per thread), each merged with its leaves. With 2,
 * outside a transaction and when the store can be opened a second time (store.h
 * okno_store_open_reader), a second thread on a second connection takes tasks from the
 * same list as the calling thread on `st`, both connections in read-only transactions
 * that see the same journal size (else, after a few tries, one thread); the report is
 * the one thread's, problem for problem. On one thread, outside a transaction, verify
 * reads in one read-only transaction too. Process-wide; for tests and benches. */
void okno_journal_verify_set_threads(guint n);
/* About how many ids of a record one piece of the rows' walk covers (0: the default,
 * 50,000). Process-wide; for tests (many pieces on a small store) and benches. */
void okno_journal_verify_set_piece(gint64 ids);
char *okno_journal_report_json(const OknoJournalReport *r);

/* Runs okno_journal_verify with the public key of the key file named by `cfg` (none:
 * heads are reported unchecked) and stores its result (store/journal.h
 * OknoJournalVerification, at `now`), logs it and sets the metrics
 * okno_journal_intact (1/0), okno_journal_problems and okno_journal_verified_size.
 * Due (`force` FALSE) only when the last stored result is [journal] verify_interval
 * or more before `now`; *ran says whether it ran. FALSE only on a store error. */
gboolean okno_journal_verify_due(OknoStore *st, const OknoConfig *cfg, gint64 now,
                                 gboolean force, gboolean *ran, GError **error);

/* ---- signed entry timestamps (docs/journal.md, "Receipts") ---- */

/* The bytes a signed entry timestamp's signature covers. Hex digests lower-case. */
GBytes *okno_journal_set_message(const char *number, gint64 seq, const char *leaf_hex,
                                 const char *original_sha256, const char *text_sha256,
                                 gint64 at);
/* The receipt's proof (okno-receipt.json): appeal `appeal_id`'s registration leaf (its
 * entry, hash and number), the original's SHA-256 and size, the receipt text's SHA-256,
 * signed at once with `key`. NULL with no error when the appeal has no registration
 * leaf (journal off). Caller frees. */
char *okno_journal_set_json(OknoStore *st, const OknoJournalKey *key, gint64 appeal_id,
                            const char *original_sha256, gint64 original_size,
                            const char *text_sha256, GError **error);
/* Checks a receipt's proof (the JSON above) with public key `pk`, offline: the entry's
 * leaf hash, the entry naming the number, the key id and the signature; and, when not
 * NULL, that the receipt's text hashes to text_sha256. FALSE with one English line. */
gboolean okno_journal_set_check(const char *json, const guint8 *pk, const char *receipt_text,
                                GError **error);

/* The consistency proof from size `old` to size `new` (both <= the journal's size):
 * the roots of both and the proof's hashes. OKNO_ERROR_USER for bad sizes. */
gboolean okno_journal_consistency(OknoStore *st, gint64 old_size, gint64 new_size,
                                  guint8 old_root[OKNO_HASH_LEN], guint8 new_root[OKNO_HASH_LEN],
                                  GByteArray **proof, GError **error);
/* The inclusion proof of appeal `number`'s registration leaf in the latest signed head,
 * as JSON (docs/api.md /api/v1/proof/NUMBER); NULL with OKNO_ERROR_USER when there is
 * no such appeal (code OKNO_ERROR_NOT_FOUND style: *not_found TRUE) or no head covers it. */
char *okno_journal_proof_json(OknoStore *st, const char *number, gboolean *not_found,
                              GError **error);
/* A head as JSON: size, root (hex), at (RFC 3339), key_id, signature (base64). */
char *okno_journal_head_json(const OknoJournalHead *h);

/* ---- key rotation (docs/journal.md, "Key rotation") ---- */

/* Rotates the signing key in the key file at `key_path`: signs a last head with the old
 * key (when the journal grew), makes a new key (in KEY_PATH.next, 0600), writes the
 * rotation leaf signed by both keys and both public keys into journal_keys in one
 * transaction, renames KEY_PATH.next over KEY_PATH and signs the first head with the
 * new key (*head, may be NULL). Run again after a crash between the commit and the
 * rename, it finishes the rename. OKNO_ERROR_USER when the key file is not the
 * journal's current key. okno serve's signer picks up the new key file by itself
 * (signer_key_current); its receipts' entry timestamps need a restart. */
gboolean okno_journal_rotate_key(OknoStore *st, const char *key_path, OknoJournalHead **head,
                                 GError **error);
/* Rotation entry `entry` at leaf `seq` added to *ring (made from its old key when
 * NULL); FALSE with one English line when it is malformed or does not chain on. */
gboolean okno_journal_ring_follow(OknoJournalKeyring **ring, GBytes *entry, gint64 seq,
                                  GError **error);
/* The ring of the journal's keys from its rotation leaves (each checked); with no
 * rotation the ring of `current_pk` alone (NULL: an error). *rotations (may be NULL)
 * gets the rotation leaves. */
OknoJournalKeyring *okno_journal_keyring_of(OknoStore *st, const guint8 *current_pk,
                                            GPtrArray **rotations, GError **error);
/* The key history to publish (`okno journal key --history --json`): format
 * "okno-journal-keys 1", keys (key_id, public_key, from_seq, until_seq, from, until,
 * from_us, until_us; until 0/"" : current) and rotations (seq, entry). */
char *okno_journal_keys_json(OknoStore *st, const guint8 *current_pk, GError **error);
/* A ring from a base64 public key (a ring of one) or a key history JSON as above (every
 * rotation checked again: each must chain on and be signed by both keys). */
OknoJournalKeyring *okno_journal_keyring_parse(const char *text, GError **error);

/* The signing thread of okno serve. NULL key: no signer (a warning is logged). Each
 * head it signs that is larger than the last it sent goes to [journal] witnesses: an
 * e-mail address through the outbound queue, maildir:PATH delivered into that maildir
 * (a letter whose text holds the head's JSON). */
typedef struct OknoJournalSigner OknoJournalSigner;
OknoJournalSigner *okno_journal_signer_start(const OknoConfig *cfg, GError **error);
/* Signs a last head, stops the thread and frees. NULL does nothing. */
void okno_journal_signer_stop(OknoJournalSigner *s);
