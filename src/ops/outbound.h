/* outbound.h: delivery of the outbound queue (receipts, answers, notifications).
 *
 * Queued messages live in the store (store.h, okno_store_outbound_*), written in the
 * same transaction as the registration that produced them, so a crash loses none.
 * A delivery pass claims due jobs under a lease and hands each to the transport:
 *  - maildir:PATH (the embedded default): the message is written to PATH/tmp, synced,
 *    and renamed into PATH/new under a name derived from the job id, so delivering
 *    the same job twice (a crash after the rename, before the store heard of it)
 *    replaces the file instead of duplicating it;
 *  - smtp://HOST:PORT: handed to a relay with mail/smtp_client.h. 2xx: sent. 4xx, a
 *    refused or broken connection, a timeout: retried with exponential backoff from
 *    retry_min_seconds up to retry_max_seconds, until give_up_after_seconds, then
 *    failed. 5xx: failed at once, the reply recorded.
 * Each outcome is an event on the appeal (sent, deferred with reason, failed).
 * Telegram messages and SMS in the same queue are ops/messenger.h's: an OknoOutbound
 * owns one when [telegram] token or [sms] url is set, and starts, wakes, runs and
 * stops it with itself. */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "store/commit.h"

typedef struct OknoOutbound OknoOutbound;

/* Opens its own store connection. */
OknoOutbound *okno_outbound_new(const OknoConfig *cfg, GError **error);
/* Stops the thread if started, then frees. */
void okno_outbound_free(OknoOutbound *ob);

/* From now on, on a SQLite store, the passes' writes (the claim of a batch, then its
 * outcomes and events) go through the group-commit writer `c` (store/commit.h), each
 * in one of its groups, instead of committing on this module's own connection: a
 * commit there makes SQLite drop the writer's page cache, which on a large store cost
 * the intake a fifth of its CPU (docs/bench.md, "Intake on a filled store"). Each is
 * still all or nothing (a job of the group: undone alone if it fails) and durable
 * when the pass goes on, so nothing changes in what is delivered or recorded. Before
 * okno_outbound_start; `c` must outlive this module. PostgreSQL: nothing changes. */
void okno_outbound_use_committer(OknoOutbound *ob, OknoCommitter *c);

/* One pass now, on the calling thread: delivers every due job. Returns the number of
 * jobs it finished (sent or failed), or -1 with an error when the store failed. */
int okno_outbound_run_once(OknoOutbound *ob, GError **error);

/* Runs passes on a thread of its own: at once when woken, otherwise every few seconds
 * (the soonest retry). */
/* (First it releases the leases this node held before a restart, see store.h.) */
void okno_outbound_start(OknoOutbound *ob);
void okno_outbound_wake(OknoOutbound *ob); /* thread-safe */

/* Removes the maildir copies of job `job_id` (new/ and cur/, any maildir flags) written
 * by the store whose instance id is `instance`, when the transport is a maildir (the
 * retention purge, ops/retention.h). Returns how many files it removed; one it cannot
 * remove is logged. */
guint okno_outbound_maildir_remove(const OknoConfig *cfg, const char *instance, gint64 job_id);
