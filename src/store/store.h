/* store.h: okno's registry, as domain operations (the contract every backend keeps).
 *
 * One OknoStore is one connection, used by one thread at a time. All writes happen
 * inside okno_store_begin()/okno_store_commit(); a commit returns only once the data is
 * synced to disk (SQLite: WAL with synchronous=FULL; PostgreSQL: after the WAL flush,
 * synchronous_commit=on, which okno expects and docs/postgresql.md states). Savepoints let the group-commit
 * writer undo one registration without losing the others in the same transaction.
 *
 * Times are microseconds since the epoch (okno_now()); the store keeps them as RFC 3339
 * UTC text. Strings given are copied; rows returned are owned by the caller.
 * Errors: OKNO_ERROR_TEMP for contention and full disks (retry), OKNO_ERROR_INTERNAL
 * otherwise. "Not found" is not an error: getters return NULL / 0 with no error set. */
#pragma once
#include <glib.h>

#include "check/blocklist.h"
#include "mail/mime.h"
#include "store/db.h"

typedef struct OknoStore OknoStore;

OknoStore *okno_store_open(const char *url, GError **error); /* migrates to the latest */
void okno_store_close(OknoStore *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoStore, okno_store_close)
OknoDb *okno_store_db(OknoStore *st);

gboolean okno_store_begin(OknoStore *st, GError **error);
gboolean okno_store_commit(OknoStore *st, GError **error);
void okno_store_rollback(OknoStore *st);
gboolean okno_store_savepoint(OknoStore *st, GError **error);
gboolean okno_store_release(OknoStore *st, GError **error);
void okno_store_rollback_to(OknoStore *st);

/* The next value of a named counter (1, 2, ...), e.g. "appeal-2026". */
gboolean okno_store_next_seq(OknoStore *st, const char *counter, gint64 *value, GError **error);

/* ---- appeals ---- */
typedef struct {
  gint64 id;
  char *number;
  char *status;      /* new, needs_clarification, in_progress, answered, closed, rejected */
  char *channel;     /* email, web, chat, messenger, phone */
  char *queue;       /* "" (regular) or "quarantine" */
  char *subject;
  char *from_name;
  char *from_email;  /* the appeal's contact: lowercase */
  char *phone;       /* +7..., "" if none */
  char *category;    /* "" until classified */
  char *related;     /* number of a linked appeal, "" if none */
  gint64 received_at;
  gint64 deadline;   /* 0: none */
  gint64 updated_at;
} OknoAppeal;

void okno_appeal_free(OknoAppeal *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoAppeal, okno_appeal_free)

gboolean okno_store_appeal_insert(OknoStore *st, OknoAppeal *a, GError **error); /* sets id */
OknoAppeal *okno_store_appeal_get(OknoStore *st, const char *number, GError **error);
OknoAppeal *okno_store_appeal_get_by_id(OknoStore *st, gint64 id, GError **error);
gboolean okno_store_appeal_set_status(OknoStore *st, gint64 id, const char *status,
                                      GError **error);
/* Sets the deadline (0: none, the clock is stopped). */
gboolean okno_store_appeal_set_deadline(OknoStore *st, gint64 id, gint64 deadline,
                                        GError **error);

/* ---- messages (both directions) ---- */
typedef struct {
  gint64 id;
  gint64 appeal_id;
  const char *direction;   /* "in" or "out" */
  const char *message_id;  /* without <>, "" if none */
  const char *sender;      /* e-mail, lowercase */
  const char *recipient;
  const char *subject;
  const char *text;
  const char *content_hash; /* dedup key (hex), "" if none */
  gboolean automatic;      /* written by okno itself (a receipt): kept out of search */
  const char *meta_json;   /* envelope, extracted data, defects: a JSON object */
  GBytes *raw;             /* the original bytes, kept byte for byte */
  gint64 created_at;
} OknoMessageRow;

gboolean okno_store_message_insert(OknoStore *st, OknoMessageRow *m, GError **error);
gboolean okno_store_attachment_insert(OknoStore *st, gint64 message_row_id,
                                      const OknoAttachment *att, const char *refused,
                                      GError **error);
/* The original bytes of the `index`-th message (1-based, in the order of the appeal's
 * history, both directions) of appeal `number`; NULL if there is no such message. */
GBytes *okno_store_appeal_message_raw(OknoStore *st, const char *number, gint64 index,
                                      GError **error);

/* Appeal id of an earlier inbound message from `sender` with the same Message-ID, or
 * with the same content hash received at or after `since`. 0 if none. */
gint64 okno_store_find_duplicate(OknoStore *st, const char *sender, const char *message_id,
                                 const char *content_hash, gint64 since, GError **error);
/* Appeal id owning any message (either direction) whose Message-ID is in `ids`. */
gint64 okno_store_find_by_message_ids(OknoStore *st, const char *const *ids, GError **error);

/* ---- events ---- */
gboolean okno_store_event_add(OknoStore *st, gint64 appeal_id, const char *kind,
                              const char *detail_json, GError **error);

/* ---- outbound queue ---- */
/* Queues message row `message_row_id` for delivery; `automatic` marks receipts and
 * other machine mail (counted by okno_store_count_automatic). */
gboolean okno_store_outbound_enqueue(OknoStore *st, gint64 appeal_id, gint64 message_row_id,
                                     const char *env_from, const char *env_to,
                                     gboolean automatic, GError **error);
/* Queues mail that belongs to no appeal (the check@ address's verdicts): the job
 * carries its own `message_id` (no <>) and `raw` bytes; its appeal_id reads 0. */
gboolean okno_store_outbound_enqueue_raw(OknoStore *st, const char *message_id, GBytes *raw,
                                         const char *env_from, const char *env_to,
                                         gboolean automatic, GError **error);
gint64 okno_store_count_automatic(OknoStore *st, const char *recipient, gint64 since,
                                  GError **error);

typedef struct {
  gint64 id;
  gint64 appeal_id;  /* 0: mail of no appeal (okno_store_outbound_enqueue_raw) */
  char *env_from;
  char *env_to;
  char *message_id;
  GBytes *raw;
  gint64 attempts;   /* including this one */
  gint64 created_at;
} OknoOutboundJob;
void okno_outbound_job_free(OknoOutboundJob *j);

/* Claims up to `limit` due jobs for `lease` microseconds in the name of `owner` (a
 * node's stable name). A crashed claimer's jobs are due again when its lease runs out,
 * or at once when the same owner starts again and calls okno_store_outbound_release.
 * Returns a GPtrArray of OknoOutboundJob*. */
GPtrArray *okno_store_outbound_claim(OknoStore *st, gint64 now, gint64 lease, guint limit,
                                     const char *owner, GError **error);
/* Gives up every lease `owner` holds on queued jobs (a node restarting after a crash:
 * what its previous life claimed is its own to deliver again). */
gboolean okno_store_outbound_release(OknoStore *st, const char *owner, GError **error);
gboolean okno_store_outbound_sent(OknoStore *st, gint64 id, gint64 now, GError **error);
gboolean okno_store_outbound_retry(OknoStore *st, gint64 id, gint64 next_attempt,
                                   const char *reason, GError **error);
gboolean okno_store_outbound_failed(OknoStore *st, gint64 id, const char *reason,
                                    GError **error);
/* Counts by state, for tests and status: queued, sent, failed. */
gboolean okno_store_outbound_counts(OknoStore *st, gint64 *queued, gint64 *sent,
                                    gint64 *failed, GError **error);

/* ---- phishing reports and the block list (docs/phishing.md) ---- */
typedef struct {
  gint64 id;
  char *kind;        /* "domain" or "url" */
  char *value;       /* normalised (check/blocklist.h) */
  gboolean blocked;  /* used by check-mail and intake */
  gint64 reports;    /* reports received */
  char *reported_by; /* who reported (or blocked) it first */
  char *source;      /* how that first report came: "cli", "check-address", "operator" */
  gint64 created_at;
  gint64 updated_at;
} OknoPhishEntry;
void okno_phish_entry_free(OknoPhishEntry *e);

/* Records one report of `value` (normalised by the caller) by `reporter` through
 * `source`, creating the entry if needed; `block` also puts it on the block list
 * (never takes it off). `action` ("report", "block") goes into the report history. */
gboolean okno_store_phish_report(OknoStore *st, const char *kind, const char *value,
                                 const char *reporter, const char *source, gboolean block,
                                 GError **error);
/* Takes an entry off the block list (it stays as reported); *found FALSE if unknown. */
gboolean okno_store_phish_unblock(OknoStore *st, const char *kind, const char *value,
                                  const char *by, gboolean *found, GError **error);
/* Entries (OknoPhishEntry*), blocked ones only when `blocked_only`, newest first. */
GPtrArray *okno_store_phish_list(OknoStore *st, gboolean blocked_only, GError **error);
/* The blocked entries as a block list to match against (caller frees). */
OknoBlocklist *okno_store_phish_blocklist(OknoStore *st, GError **error);

/* ---- reading for people ---- */
/* The appeal as the JSON contract of `okno show --json` (DESIGN.md). NULL if unknown. */
char *okno_store_appeal_json(OknoStore *st, const char *number, GError **error);
/* All appeals, newest first, as a JSON array of summaries. Filters may be NULL. */
typedef struct {
  const char *status;
  const char *channel;
  const char *queue;
  const char *from_email;
  gint64 limit; /* 0: no limit */
} OknoListFilter;
/* All appeals matching `f` (may be NULL), newest first: a GPtrArray of OknoAppeal*
 * (free with g_ptr_array_unref). */
GPtrArray *okno_store_list(OknoStore *st, const OknoListFilter *f, GError **error);
/* Appeals (OknoAppeal*) as the JSON array of summaries that `okno list --json` prints. */
char *okno_appeals_json(const GPtrArray *appeals);

/* ---- full-text search (docs/search.md; src/store/search.c) ---- */
/* Appeals whose subject, message texts (both directions) and attachment file names
 * together hold every word of `query`, best first (bm25 on SQLite, ts_rank on
 * PostgreSQL; ties newest first), at most `limit` (0: no limit). Words are normalised
 * as indexed (src/text/tokenizer.h: lowercase, ё = е, Snowball stems, stop words
 * dropped); quotes and operators in `query` are plain separators, never syntax.
 * A query with no words left, or more than 32, is OKNO_ERROR_USER. Returns a
 * GPtrArray of OknoAppeal* (possibly empty) owned by the caller. */
GPtrArray *okno_store_search(OknoStore *st, const char *query, gint64 limit, GError **error);
