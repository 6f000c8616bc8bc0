/* scheduler.h: deadline reminders, overdue marking and escalation, from jobs in the store.
 *
 * Every deadline has three jobs in the store (okno_ops_start_clock writes them,
 * store.h "SLA jobs"): a reminder to the assignee's e-mail (or [sla] operators) [sla]
 * reminder_before working hours before it; at the deadline the appeal is marked
 * overdue and escalated to the supervisors of its department; [sla]
 * escalate_again_after working hours later it is escalated one level up, to the
 * supervisors of the parent department (store.h okno_store_department_supervisors).
 * [sla] supervisors / supervisors_level2 are the fallback when there is nobody (triage,
 * no parent, no enabled supervisor with an e-mail). A pass claims the
 * due jobs under a lease in this node's name and does each in its own transaction
 * together with marking it done (okno_store_sla_job_finish), so a crash loses no job,
 * a job is never done twice, and several nodes share the work. A job whose appeal has
 * moved on (a newer deadline generation, an answer, a closed or paused appeal) is
 * cancelled instead. Each job done is an event (reminder_sent, overdue, sla_escalated:
 * not routing's `escalated`, which moves the appeal to the parent department)
 * naming whom it told.
 *
 * Each pass of okno serve also runs the daily retention job (okno_scheduler_retention),
 * and trains the classifier's models that have new examples (okno_scheduler_classify).
 * Each pass also runs `okno journal verify` when [journal] verify_interval (default a
 * day) has passed since the last stored result (ops/journal.h okno_journal_verify_due):
 * the result is stored for the auditor's console and set as metrics. And on [stats]
 * weekly_day it sends the weekly report mail (ops/stats.h okno_stats_weekly_mail; a
 * failure is logged, the SLA jobs still run).
 * After the classifier, each pass runs the mass incidents' detection when [incidents]
 * interval has passed since any node's last (ops/incidents.h).
 *
 * In `okno serve` the scheduler runs passes on a thread of its own every [sla]
 * scheduler_interval seconds; `okno scheduler run --now T` runs one pass at T. Whether
 * a job is still current and whom it tells are the SLA's rules (appeal/sla.h
 * okno_sla_job_current, okno_sla_job_recipients). */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "ops/ops.h"

typedef struct OknoScheduler OknoScheduler;

/* Opens its own store connection and loads the SLA environment (policy, calendar,
 * DKIM). `owner` names this node on leases (NULL: host name). */
OknoScheduler *okno_scheduler_new(const OknoConfig *cfg, const char *owner, GError **error);
/* Stops the thread if started, then frees. */
void okno_scheduler_free(OknoScheduler *s);
/* One pass at `now`: does every job due by then. Returns the number of jobs done
 * (cancelled ones not counted) or -1 with an error. */
gint64 okno_scheduler_run_once(OknoScheduler *s, gint64 now, GError **error);
/* The daily retention job (ops/retention.h): when at least [retention] interval seconds
 * have passed since the last pass of any node (the store's guard), runs one retention
 * pass at `now`; *ran says whether it did. Each scheduler pass of okno serve calls it. */
gboolean okno_scheduler_retention(OknoScheduler *s, gint64 now, gboolean *ran, GError **error);
/* Trains each model with examples newer than it, once [classify] retrain_interval
 * seconds have passed since it was last trained (ops/classify.h); 0: never. Training
 * runs outside any transaction. Two nodes may train the same model at once: the
 * training is deterministic, so both save the same model. */
gboolean okno_scheduler_classify(OknoScheduler *s, gint64 now, GError **error);
/* Mass incidents (ops/incidents.h): a detection pass when [incidents] interval has
 * passed since any node's last. */
gboolean okno_scheduler_incidents(OknoScheduler *s, gint64 now, GError **error);
/* Releases this owner's old leases, then runs a pass every [sla] scheduler_interval
 * seconds (at okno_now()) on a thread of its own. */
void okno_scheduler_start(OknoScheduler *s);
