/* jobs.h: the SLA jobs in the store (src/store/jobs.c; the scheduler,
 * ops/scheduler.h): reminders, overdue marks and escalations due at a time.
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

/* ---- SLA jobs (src/store/jobs.c; the scheduler, ops/scheduler.h) ----
 * One row per (appeal, kind, generation): "reminder", "overdue", "escalate". A job is
 * claimed under a lease in a node's name and finished once: okno_store_sla_job_finish
 * succeeds for one caller only, inside the transaction that does the job's work, so a
 * crash redoes an unfinished job and never repeats a finished one. */
typedef struct {
  gint64 id;
  gint64 appeal_id;
  char *kind; /* owned: freed with the array (its clear function) */
  gint64 generation;
  gint64 due_at;
} OknoSlaJob;

/* Cancels the appeal's pending jobs of other generations and adds `n` jobs of
 * `generation` (kinds[i] due at due[i]; a due time of 0 adds nothing); adding a job
 * that exists is a no-op. */
gboolean okno_store_sla_jobs_set(OknoStore *st, gint64 appeal_id, gint64 generation,
                                 const char *const *kinds, const gint64 *due, guint n,
                                 GError **error);
/* The same without the cancelling: for an appeal that has no job yet (one its caller
 * inserted in this transaction; registration), whose cancelling UPDATE would find
 * nothing. The jobs go in one statement. On PostgreSQL that UPDATE was the intake's
 * costliest statement outside search: planned while sla_jobs had no statistics, it
 * scanned every pending job through sla_jobs_due (docs/postgresql.md). */
gboolean okno_store_sla_jobs_add(OknoStore *st, gint64 appeal_id, gint64 generation,
                                 const char *const *kinds, const gint64 *due, guint n,
                                 GError **error);
/* Cancels every pending job of the appeal (the clock stopped, or the appeal is done). */
gboolean okno_store_sla_jobs_cancel(OknoStore *st, gint64 appeal_id, GError **error);
/* Claims up to `limit` pending jobs due at `now` whose lease has run out, for `lease`
 * microseconds in the name of `owner`, oldest due first (PostgreSQL: FOR UPDATE SKIP
 * LOCKED). Returns a GArray of OknoSlaJob. */
GArray *okno_store_sla_jobs_claim(OknoStore *st, gint64 now, gint64 lease, guint limit,
                                  const char *owner, GError **error);
/* Marks job `id` `state` ("done" or "cancelled") if it is still pending and leased by
 * `owner`. *won is TRUE when this call did it; FALSE means someone else already had. */
gboolean okno_store_sla_job_finish(OknoStore *st, gint64 id, const char *owner,
                                   const char *state, gint64 now, gboolean *won,
                                   GError **error);
/* Gives up `owner`'s leases on pending jobs (a node starting again). */
gboolean okno_store_sla_jobs_release(OknoStore *st, const char *owner, GError **error);
/* Counts pending jobs (status, tests). */
gint64 okno_store_sla_jobs_pending(OknoStore *st, GError **error);
