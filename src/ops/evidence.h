/* evidence.h: evidence bundles and their offline check (docs/journal.md, "Evidence
 * bundles").
 *
 * okno_evidence_export writes, into an empty (or new) directory, everything that proves
 * appeal NUMBER's history: the original bytes of every message both ways
 * (messages/ID-in.eml, ID-out.eml), its events (events.json), every leaf of the appeal
 * with its inclusion proof to one signed tree head (leaves.json, head.json; a head is
 * signed first if the journal grew since the last), the public key (public_key.txt), a
 * README.txt in Russian on how to verify, and MANIFEST.json (SHA-256 of every other
 * file) signed with the journal key (MANIFEST.sig). It needs the key file.
 *
 * okno_evidence_verify needs only the public key: no configuration, no store. PATH is
 * a bundle directory or a receipt .eml. A bundle passes when the manifest's signature
 * verifies, every file is listed with its hash and nothing else is there, the head's
 * signature verifies, each leaf hashes its entry and is included in the head, each
 * message file has the size and SHA-256 its leaf states, and each event recomputes to
 * its leaf's entry. A receipt passes when its okno-receipt.json proof verifies
 * (ops/journal.h okno_journal_set_check), its text is the text the proof signs and its
 * Subject names the number. FALSE with OKNO_ERROR_USER and one English line that
 * names the file at fault. */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "sec/journal_key.h"
#include "store/store.h"

/* *files gets the number of files written. OKNO_ERROR_USER for an unknown appeal, a
 * directory that is not empty, or no key. */
gboolean okno_evidence_export(OknoStore *st, const OknoJournalKey *key, const char *number,
                              const char *dir, guint *files, GError **error);
/* The bundle in `dir` as one POSIX ustar archive (files under `prefix`/, as `tar -x`
 * restores them), for a download; then the directory is removed when `remove`. */
GBytes *okno_evidence_tar(const char *dir, const char *prefix, gboolean remove, GError **error);

/* `what` (not NULL) gets "bundle" or "receipt"; *checked the number of items checked. */
gboolean okno_evidence_verify(const guint8 pk[OKNO_JOURNAL_PK_LEN], const char *path,
                              const char **what, guint *checked, GError **error);
/* The same with the journal's keys (a key history, docs/journal.md "Key rotation"): the
 * head (bundle) or the entry timestamp (receipt) must be signed by the key it names,
 * one of the ring's, valid at its time (and, for a head, for its size). */
gboolean okno_evidence_verify_ring(const OknoJournalKeyring *ring, const char *path,
                                   const char **what, guint *checked, GError **error);
