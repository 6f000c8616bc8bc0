/* journal.h: the tamper-evident journal in the store (docs/journal.md): an append-only
 * list of leaves of an RFC 9162 Merkle tree (core/merkle.h), one per fact, written in
 * the same transaction as the fact, and the signed tree heads.
 *
 * Facts and their leaves ("ref" names the table, ref_id the row):
 *   registration   ref "appeal":  an appeal inserted (okno_store_appeal_insert)
 *   appeal         ref "appeal":  its state changed (status, deadline, related ...)
 *   message_in / message_out ref "message": a message stored, or moved to another appeal
 *   event          ref "event":   an event of an appeal's history
 *   access         ref "access":  a staff read (store/access.h)
 * The latest leaf of each (ref, ref_id) is the row's state as the journal knows it:
 * okno journal verify recomputes it from the row and compares (ops/journal.h).
 *
 * Sequence numbers run 1, 2, ... with no gap: the next one comes from the single row
 * of journal_state, updated in the writer's transaction, so it is held (row lock on
 * PostgreSQL, the write lock on SQLite) until the commit and undone with it (a
 * savepoint rolled back takes its leaves with it). Entries are canonical bytes built
 * by the okno_journal_entry_* functions below; no personal data appears in clear in
 * an entry (free text is given as its SHA-256).
 *
 * Like store.h: one connection, one thread; rows returned are owned by the caller;
 * errors OKNO_ERROR_TEMP or OKNO_ERROR_INTERNAL; no function opens a transaction. */
#pragma once
#include <glib.h>

#include "appeal/appeal.h"
#include "core/merkle.h"
#include "store/access.h"
#include "store/messages.h"
#include "store/store.h"

/* Journaling is on unless switched off for the whole process (the benchmark's "off"
 * arm, `[journal] enabled = false`); rows written while off are reported by verify as
 * facts without a leaf. */
void okno_journal_set_enabled(gboolean on);
gboolean okno_journal_enabled(void);
/* Batches (journal_batch.h) on, the default, or off for the whole process: off writes
 * every fact as a leaf of its own, as okno did before batches (tests build such
 * journals with it: they must still verify). */
void okno_journal_set_batches(gboolean on);

/* ---- work counters (docs/journal.md, "What a registration costs") ----
 * Process-wide and atomic, for the tests that count what one registration costs:
 * leaves appended, facts journaled, statements run by the journal's writers, and the
 * SHA-256 computations of the journal (entries' digests, leaf hashes) with the bytes
 * they hashed. okno_journal_count_sha256 is the journal's own accounting. */
typedef struct {
  guint64 leaves, facts, statements, sha256_calls, sha256_bytes;
} OknoJournalCounters;
void okno_journal_counters(OknoJournalCounters *out);
void okno_journal_count_sha256(gsize len);

/* ---- canonical entries (docs/journal.md, "Entries") ---- */
/* The current version (2); okno_journal_entry_appeal_v(a, 1) is the entry as version 1
 * wrote it (leaves written before version 2 are compared with it). */
GBytes *okno_journal_entry_appeal(const OknoAppeal *a);
GBytes *okno_journal_entry_appeal_v(const OknoAppeal *a, int version);
GBytes *okno_journal_entry_access(const OknoAccessRow *r);
GBytes *okno_journal_entry_message(const OknoMessageRow *m);
GBytes *okno_journal_entry_event(gint64 id, gint64 appeal_id, gint64 at, const char *kind,
                                 const char *detail_json);
/* The same from the detail's digest (okno_journal_detail_digest), made beforehand: an
 * event prepared outside the writer's transaction (store/events.h). Same bytes. */
GBytes *okno_journal_entry_event_digest(gint64 id, gint64 appeal_id, gint64 at,
                                        const char *kind, const guint8 detail_sha256[OKNO_HASH_LEN]);
/* The SHA-256 of an event's detail JSON (NULL: "{}"), as its entry's detail_sha256;
 * counted as the journal's work. */
void okno_journal_detail_digest(const char *detail_json, guint8 out[OKNO_HASH_LEN]);
/* The purge entry: the row `ref` `id` emptied at `at`, superseding leaf `supersedes`;
 * `row` is the row's entry as recomputed after the emptying (purges below). */
GBytes *okno_journal_entry_purge(const char *ref, gint64 id, gint64 appeal_id, gint64 at,
                                 gint64 supersedes, const char *emptied, GBytes *row);

/* ---- writing leaves (inside the fact's transaction) ----
 * Inside a transaction (okno_store_begin) the leaves of appeals, messages and events
 * wait in memory, entries made, and are written together with multi-row INSERTs at
 * the commit, and before the journal is read or a leaf is appended at once (access,
 * purge, rotation): a group's leaves cost one statement per 32 leaves, not one per
 * job. Their seqs are given when written, so the sequence stays in commit order with
 * no gap. The facts added between two savepoint boundaries or job ends (a job) never
 * share a batch leaf with others, so the leaves are the ones a write at each boundary
 * would make, with or without savepoints. A
 * rollback drops the leaves waiting; a rollback to a savepoint drops those added since
 * it and makes those written since it (their rows undone) wait again. Outside a
 * transaction a leaf is appended at once. */
/* Writes the leaves waiting (any reader of the journal calls it). */
gboolean okno_journal_write_pending(OknoStore *st, GError **error);
/* The same as the transaction's last statement before its COMMIT (store.c): on
 * PostgreSQL with pipelining on, sent without waiting; an error of it is then the
 * COMMIT's. */
gboolean okno_journal_write_pending_last(OknoStore *st, GError **error);
/* Forgets the leaves waiting and every savepoint mark (a begin, a rollback). */
void okno_journal_drop_pending(OknoStore *st);
/* store.c at SAVEPOINT, its RELEASE and its ROLLBACK TO (each undoes one mark). */
void okno_journal_savepoint(OknoStore *st);
void okno_journal_release(OknoStore *st);
void okno_journal_rollback_to(OknoStore *st);
/* store.c at the end of a job run without a savepoint (okno_store_job_end): the facts
 * added after it never share a batch leaf with those added before, as after a
 * release. */
void okno_journal_job_end(OknoStore *st);
gboolean okno_store_journal_registration(OknoStore *st, const OknoAppeal *a, GError **error);
/* Appends an "appeal" fact when the appeal's entry differs from its latest leaf. */
gboolean okno_store_journal_appeal_changed(OknoStore *st, const OknoAppeal *a, GError **error);
/* The same, reading the appeal row `id` first. */
gboolean okno_store_journal_appeal_id(OknoStore *st, gint64 id, GError **error);
gboolean okno_store_journal_message(OknoStore *st, const OknoMessageRow *m, GError **error);
/* Re-journals every message of appeal `appeal_id` whose entry differs from its latest
 * leaf (messages moved by a merge or a split). */
gboolean okno_store_journal_messages_of(OknoStore *st, gint64 appeal_id, GError **error);
gboolean okno_store_journal_event(OknoStore *st, gint64 id, gint64 appeal_id, gint64 at,
                                  const char *kind, const char *detail_json, GError **error);
/* The same with the detail's digest made beforehand and the appeal's number when known
 * (NULL: looked up when the leaf is written), for an event prepared outside the
 * writer's transaction (store/events.h okno_store_event_prepare). */
gboolean okno_store_journal_event_digest(OknoStore *st, gint64 id, gint64 appeal_id,
                                         const char *number, gint64 at, const char *kind,
                                         const guint8 detail_sha256[OKNO_HASH_LEN],
                                         GError **error);
gboolean okno_store_journal_access(OknoStore *st, const OknoAccessRow *r, GError **error);

/* ---- purges (store/retention.h, docs/journal.md "Purges") ----
 * After the retention pass empties a row's personal fields, a "purge" leaf (ref the
 * row's table, kind "purge") records which fields were emptied (`emptied`, a token
 * such as "sender+subject+text"), the seq of the leaf it supersedes and the SHA-256 of
 * the row's entry recomputed after the emptying; verify then checks the row against
 * that digest instead of the superseded leaf's entry, so history still verifies. */
/* Purge leaves for every message of appeal `appeal_id`, as the rows are now. */
gboolean okno_store_journal_purge_messages(OknoStore *st, gint64 appeal_id, gint64 at,
                                           const char *emptied, GError **error);
/* A purge leaf for event `id`, as its row is now (none when the row is gone). */
gboolean okno_store_journal_purge_event(OknoStore *st, gint64 id, gint64 appeal_id, gint64 at,
                                        const char *emptied, GError **error);
/* TRUE when `entry` is a purge entry. */
gboolean okno_journal_entry_is_purge(GBytes *entry);
/* The same over `len` bytes at `data`. */
gboolean okno_journal_entry_is_purge_data(const void *data, gsize len);
/* TRUE when purge entry `purge` supersedes leaf `previous_seq` (0: the row had no
 * earlier leaf) and its row digest is the SHA-256 of `row` (the entry recomputed now). */
gboolean okno_journal_purge_matches(GBytes *purge, GBytes *row, gint64 previous_seq);

/* ---- key rotations (docs/journal.md, "Key rotation") ----
 * A rotation of the signing key is a leaf (kind "key_rotation", ref "journal_key",
 * ref_id the rotation's number 1, 2, ...; appeal 0) whose entry holds both public keys
 * (hex), the time and the rotation message's signatures by the old and by the new key
 * (sec/journal_key.h okno_journal_rotation_message). The store does not check them:
 * ops/journal.c does, when writing and when verifying. */
#define OKNO_JOURNAL_ROTATION_PK_LEN 32
typedef struct {
  gint64 id;   /* set by okno_store_journal_rotation */
  gint64 at;   /* microseconds */
  guint8 old_pk[OKNO_JOURNAL_ROTATION_PK_LEN];
  guint8 new_pk[OKNO_JOURNAL_ROTATION_PK_LEN];
  GBytes *old_sig, *new_sig; /* 64 bytes each */
} OknoJournalRotation;
void okno_journal_rotation_clear(OknoJournalRotation *r);
GBytes *okno_journal_entry_rotation(const OknoJournalRotation *r);
/* FALSE when `entry` is not exactly a rotation entry (then *r holds nothing to clear). */
gboolean okno_journal_entry_rotation_parse(GBytes *entry, OknoJournalRotation *r);
/* Appends the rotation's leaf (r->id gets the next rotation number); *seq its seq. */
gboolean okno_store_journal_rotation(OknoStore *st, OknoJournalRotation *r, gint64 *seq,
                                     GError **error);
/* Every rotation leaf, in seq order. */
GPtrArray *okno_store_journal_rotations(OknoStore *st, GError **error);

/* ---- reading ----
 * A leaf as stored (okno_store_journal_leaves: a batch is one leaf, kind and ref
 * "batch", ref_id its appeal), or one fact (the functions that read a record's facts:
 * a fact inside a batch comes as its own OknoJournalLeaf with the batch's seq, leaf
 * and appeal, the fact's kind, ref, ref_id and entry, `batch` the batch entry the leaf
 * hashes and `fact` its index in it). */
typedef struct {
  gint64 seq;
  char *kind;
  char *ref;
  gint64 ref_id;
  gint64 appeal_id;
  char *number; /* the appeal's number when written, "" if none */
  gint64 at;
  GBytes *entry;
  GBytes *leaf;
  GBytes *batch; /* NULL: `entry` is what `leaf` hashes */
  gint fact;     /* with `batch`: the fact's index in it */
} OknoJournalLeaf;
void okno_journal_leaf_free(OknoJournalLeaf *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoJournalLeaf, okno_journal_leaf_free)

/* The number of leaves (journal_state), committed or in this transaction. */
gboolean okno_store_journal_size(OknoStore *st, gint64 *size, GError **error);
/* Leaves with seq > after, at most `limit`, in seq order. */
GPtrArray *okno_store_journal_leaves(OknoStore *st, gint64 after, guint limit, GError **error);
/* The facts of `ref` with after < ref_id <= upto, alone or in batches (via the index
 * journal_facts), ordered by ref_id, seq, fact, as views into a page that owns their
 * bytes (verify's merge: nothing allocated per fact). A fact whose index row names a
 * fact its batch does not hold (or another ref or id) has kind "batch" and an empty
 * entry. */
typedef struct {
  gint64 seq;
  gint64 ref_id;
  gint fact;           /* the fact's index in its batch leaf; -1: a leaf of its own */
  const char *kind;    /* kind_len bytes, not NUL-terminated */
  gsize kind_len;
  const char *number;  /* the leaf's appeal number when written, "" if none */
  const void *entry;   /* the fact's entry, len bytes */
  gsize len;
  gint64 appeal_id, at; /* the leaf's */
  const void *hashed;  /* what the leaf hashes (the batch entry, or `entry`), hashed_len bytes */
  gsize hashed_len;
  const void *leaf;    /* the stored leaf hash, leaf_len bytes */
  gsize leaf_len;
} OknoJournalFactView;
typedef struct OknoJournalFactPage OknoJournalFactPage;
OknoJournalFactPage *okno_store_journal_fact_page(OknoStore *st, const char *ref, gint64 after,
                                                  gint64 upto, GError **error);
/* The page's facts (OknoJournalFactView), valid until the page is freed. */
const GArray *okno_journal_fact_page_facts(const OknoJournalFactPage *p);
void okno_journal_fact_page_free(OknoJournalFactPage *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoJournalFactPage, okno_journal_fact_page_free)
/* The rows of the fact index journal_facts (the facts inside batch leaves). */
gboolean okno_store_journal_index_size(OknoStore *st, gint64 *rows, GError **error);
/* The index's rows per leaf, as gint64 pairs (seq, rows) in seq order (all of them:
 * for naming a broken batch only). */
GArray *okno_store_journal_index_counts(OknoStore *st, GError **error);
/* The leaf hashes of seq first..last (inclusive) as one array of 32-byte hashes. */
GByteArray *okno_store_journal_leaf_hashes(OknoStore *st, gint64 first, gint64 last,
                                           GError **error);
/* Every fact of appeal `appeal_id` (its registration, changes, messages, events, staff
 * reads), in seq order, each batch as its facts in order. */
GPtrArray *okno_store_journal_leaves_of_appeal(OknoStore *st, gint64 appeal_id, GError **error);
/* The original bytes of message `id` (as received or as sent); NULL when none. */
GBytes *okno_store_journal_message_raw(OknoStore *st, gint64 id, GError **error);
/* Event `id` as journaled: its appeal, time, kind and detail JSON; FALSE with no error
 * when there is no such event. */
gboolean okno_store_journal_event_row(OknoStore *st, gint64 id, gint64 *appeal_id, gint64 *at,
                                      char **kind, char **detail, GError **error);
/* Appeal `appeal_id`'s registration fact (its first appeal fact; in a batch: `batch`
 * is the entry the leaf hashes); NULL (no error) when it has none. */
OknoJournalLeaf *okno_store_journal_registration_leaf(OknoStore *st, gint64 appeal_id,
                                                      GError **error);
/* The same for appeal `number`. */
OknoJournalLeaf *okno_store_journal_registration_of(OknoStore *st, const char *number,
                                                    GError **error);
/* The seq of appeal `number`'s registration leaf (its batch's); 0 if none. */
gint64 okno_store_journal_registration_seq(OknoStore *st, const char *number, GError **error);

/* A fact as it is now: its row id, appeal id and number, and its recomputed entry. */
typedef struct {
  gint64 id;
  gint64 appeal_id;
  char *number;
  GBytes *entry;
  GBytes *entry_v1; /* appeals: the version-1 entry, for leaves written before v2 */
} OknoJournalFact;
void okno_journal_fact_free(OknoJournalFact *f);
/* The rows of `ref` ("appeal", "message", "event", "access") with after < id <= upto,
 * at most `limit`, by id, each with the entry recomputed from the row. */
GPtrArray *okno_store_journal_facts(OknoStore *st, const char *ref, gint64 after, gint64 upto,
                                    guint limit, GError **error);
/* The lowest and highest id of `ref`'s rows (both 0 when it has none). */
gboolean okno_store_journal_ids(OknoStore *st, const char *ref, gint64 *min, gint64 *max,
                                GError **error);

/* ---- signed tree heads ---- */
typedef struct {
  gint64 size;
  guint8 root[OKNO_HASH_LEN];
  gint64 at;                 /* microseconds */
  char *key_id;              /* the signing key's fingerprint (sec/journal_key.h) */
  GBytes *signature;         /* Ed25519 over okno_journal_head_message() */
  GBytes *frontier;          /* okno_merkle_frontier_save() of the tree of this size */
} OknoJournalHead;
void okno_journal_head_free(OknoJournalHead *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoJournalHead, okno_journal_head_free)

/* The bytes a head's signature covers (docs/journal.md, "Tree heads"). */
GBytes *okno_journal_head_message(gint64 size, const guint8 root[OKNO_HASH_LEN], gint64 at);
gboolean okno_store_journal_head_add(OknoStore *st, const OknoJournalHead *h, GError **error);
/* The latest head (largest size), or the head of exactly `size` when size > 0; NULL
 * (no error) when there is none. */
OknoJournalHead *okno_store_journal_head(OknoStore *st, gint64 size, GError **error);

/* The highest id of `ref`'s rows that existed before the journal (migration 11). */
gboolean okno_store_journal_before(OknoStore *st, const char *ref, gint64 *id, GError **error);

/* ---- results of `journal verify` run by the scheduler (daily) ---- */
typedef struct {
  gint64 at;          /* microseconds */
  gboolean intact;
  gint64 size;
  gint64 signed_size;
  gint64 problems;
  char *report;       /* okno_journal_report_json() */
} OknoJournalVerification;
void okno_journal_verification_free(OknoJournalVerification *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoJournalVerification, okno_journal_verification_free)
gboolean okno_store_journal_verification_add(OknoStore *st, const OknoJournalVerification *v,
                                             GError **error);
/* The latest result; NULL (no error) when verify never ran. */
OknoJournalVerification *okno_store_journal_verification_last(OknoStore *st, GError **error);
