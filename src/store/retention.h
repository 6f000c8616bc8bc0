/* retention.h: retention in the store (docs/retention.md): legal holds, the closed
 * appeals a pass looks at, the purge of one appeal's personal data, the destruction
 * acts and the guard of the daily pass.
 *
 * The purge (okno_store_retention_purge) empties, in the caller's transaction, what
 * okno holds about the person behind an appeal: the appeal's subject, name, e-mail and
 * phone; each message's sender, recipient, subject, text, meta, content hash and
 * original bytes; attachments' names and bytes; the outbound queue's recipient and
 * bytes; the rating's comment and address; the search index's row; and the detail of
 * the events whose detail may hold personal text (every kind but those listed in
 * retention.c, which hold only facts). Ids, numbers, kinds, statuses, times, sizes
 * and digests stay: the log of facts is kept. Each emptied message and event gets a
 * purge leaf in the journal (store/journal.h), so okno journal verify still passes.
 *
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "appeal/appeal.h"
#include "store/store.h"

/* ---- legal holds ---- */
typedef struct {
  gboolean held;      /* held now */
  char *reason;       /* the latest hold's reason */
  char *held_by;
  gint64 held_since;  /* microseconds; 0 when not held now */
  gint64 held_total;  /* microseconds of holds already lifted */
} OknoRetentionHold;
void okno_retention_hold_free(OknoRetentionHold *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoRetentionHold, okno_retention_hold_free)

/* The hold record of appeal `appeal_id`, NULL (no error) when it was never held. */
OknoRetentionHold *okno_store_retention_hold_get(OknoStore *st, gint64 appeal_id, GError **error);
/* Puts appeal `appeal_id` under a hold from `now` (a hold already on keeps its start
 * and takes the new reason); *was_held says whether it was held already. */
gboolean okno_store_retention_hold(OknoStore *st, gint64 appeal_id, const char *reason,
                                   const char *by, gint64 now, gboolean *was_held,
                                   GError **error);
/* Lifts the hold: its time goes into held_total. *was_held FALSE: there was none. */
gboolean okno_store_retention_unhold(OknoStore *st, gint64 appeal_id, gint64 now,
                                     gboolean *was_held, GError **error);

/* ---- a pass ---- */
typedef struct {
  gint64 appeal_id;
  char *number;
  OknoKind kind;
  char *category;
  char *from_email;      /* to count the subjects of an act; never logged */
  gint64 closed_at;
  gint64 held_total;
  gboolean held;
  gint64 deletion_requested_at; /* 0: none */
} OknoRetentionCandidate;
void okno_retention_candidate_free(OknoRetentionCandidate *c);

/* The appeals not open and not yet purged that closed at or before `closed_before`
 * (microseconds) or whose citizen asked for deletion, by id. closed_at is the time of
 * the latest status_changed event (the appeal's updated_at when it has none). */
GPtrArray *okno_store_retention_candidates(OknoStore *st, gint64 closed_before, GError **error);

typedef struct {
  gint64 messages;
  gint64 attachments;
  gint64 events;        /* events whose detail was emptied */
  GArray *outbound_ids; /* gint64: the appeal's outbound jobs (their maildir files) */
} OknoPurgeCounts;
void okno_purge_counts_clear(OknoPurgeCounts *c);

/* Purges appeal `appeal_id` at `at` on `grounds` ("period", "request") as the header
 * says and records it in retention_purges. Fills *out (the caller clears it). */
gboolean okno_store_retention_purge(OknoStore *st, gint64 appeal_id, gint64 at,
                                    const char *grounds, OknoPurgeCounts *out, GError **error);
/* The time appeal `appeal_id` was purged, 0 when it was not. */
gint64 okno_store_retention_purged_at(OknoStore *st, gint64 appeal_id, GError **error);
/* After a pass, outside any transaction: SQLite merges the search index's segments and
 * truncates the WAL (so emptied bytes leave the files; the connection writes with
 * secure_delete on, see okno_store_retention_secure); PostgreSQL vacuums the tables
 * the purge touched. */
gboolean okno_store_retention_compact(OknoStore *st, GError **error);
/* SQLite: PRAGMA secure_delete = ON for this connection (freed space is zeroed);
 * nothing on PostgreSQL. Outside any transaction. */
gboolean okno_store_retention_secure(OknoStore *st, GError **error);

/* The daily pass's guard: TRUE in *won for exactly one caller per `interval`
 * microseconds (the last pass's time is stored; several nodes, one pass). */
gboolean okno_store_retention_claim(OknoStore *st, gint64 now, gint64 interval, gboolean *won,
                                    GError **error);

/* ---- citizens' deletion requests ---- */
/* Records that `by` (the citizen's address) asked to delete appeal `appeal_id` at
 * `now`; *already TRUE when it had been asked before (nothing changes then). */
gboolean okno_store_deletion_request(OknoStore *st, gint64 appeal_id, const char *by,
                                     gint64 now, gboolean *already, GError **error);
/* The closing time of appeal `appeal_id` as the pass counts it (its latest
 * status_changed event, else updated_at); 0 when there is no such appeal. */
gint64 okno_store_retention_closed_at(OknoStore *st, gint64 appeal_id, GError **error);
/* When deletion of appeal `appeal_id` was requested, 0 when it was not. */
gint64 okno_store_deletion_requested_at(OknoStore *st, gint64 appeal_id, GError **error);

/* ---- destruction acts ---- */
typedef struct {
  gint64 id;
  gint64 at;
  char *done_by;
  gint64 appeals;
  gint64 subjects;
  gint64 keep_until;
  GBytes *csv;  /* NULL in lists */
  GBytes *pdf;  /* NULL in lists, or when none was made */
} OknoDestructionAct;
void okno_destruction_act_free(OknoDestructionAct *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoDestructionAct, okno_destruction_act_free)

/* Stores act `a` (id set) and links the purges of `appeal_ids` (gint64) to it. */
gboolean okno_store_act_add(OknoStore *st, OknoDestructionAct *a, const GArray *appeal_ids,
                            GError **error);
/* Sets act `id`'s CSV and PDF (NULL: none). */
gboolean okno_store_act_set_bytes(OknoStore *st, gint64 id, GBytes *csv, GBytes *pdf,
                                  GError **error);
/* Acts newest first without their bytes (OknoDestructionAct*). */
GPtrArray *okno_store_acts_list(OknoStore *st, guint limit, GError **error);
/* One act with its bytes; NULL (no error) when there is none. */
OknoDestructionAct *okno_store_act_get(OknoStore *st, gint64 id, GError **error);
/* Deletes the acts kept until before `now`; their count in *deleted. */
gboolean okno_store_acts_expire(OknoStore *st, gint64 now, gint64 *deleted, GError **error);

/* The purge leaves of appeal `appeal_id` (seq, ref, ref_id and leaf hash in an
 * OknoJournalLeaf each, store/journal.h), in seq order: the act's journal extract. */
GPtrArray *okno_store_retention_purge_leaves(OknoStore *st, gint64 appeal_id, GError **error);
