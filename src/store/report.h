/* report.h: figures read from the store for operators and supervisors: the gauges
 * `/metrics` reads at scrape time and the readiness check (web/metrics.h), and the
 * period report of `okno report` (docs/metrics.md). SQL only here.
 *
 * okno_store_gauges: cheap reads at any size of the registry: the outbound queue
 * (rows in state 'queued', the partial index outbound_queued) and its oldest row's
 * creation time, the overdue count (open queued appeals whose deadline is before
 * `now`, in the partial index appeals_open_due, as the console's overdue queue counts
 * them) and the appeals per status from appeal_counts (a few rows). FALSE with an
 * error when the store cannot be read.
 *
 * okno_store_report: the period report of `okno report` over the appeals received in
 * [q->from, q->to) (µs), of one department when q->department is not NULL ("" is the
 * triage queue), quarantined ones included: received; answered (an answer was given);
 * on_time (answered and never marked overdue); overdue (marked overdue by the
 * scheduler, or still open with a deadline before q->now); open (new, in_progress,
 * needs_clarification); withdrawn (by the citizen, docs/kb.md); and the received counted by channel, category and department
 * (name -> gint64*, "" for none). The other filters of the query narrow every figure
 * alike. Each figure is one statement in SQL (FILTER
 * aggregates, GROUP BY), the same on both backends. okno_report_clear frees the tables.
 *
 * okno_store_ready: TRUE when the store answers and its schema version is the newest
 * this build knows; FALSE with an error saying which is not so. */
#pragma once
#include <glib.h>

#include "store/db.h"
#include "store/store.h"

typedef struct {
  gint64 outbound_queued;
  gint64 outbound_oldest_at; /* created_at (µs) of the oldest queued row; 0: none */
  gint64 overdue;
  GHashTable *by_status;     /* status name -> gint64* count (caller: okno_store_gauges_clear) */
} OknoStoreGauges;

gboolean okno_store_gauges(OknoStore *st, gint64 now, OknoStoreGauges *g, GError **error);
void okno_store_gauges_clear(OknoStoreGauges *g);

gboolean okno_store_ready(OknoStore *st, GError **error);

typedef struct {
  gint64 from, to;        /* µs, [from, to) */
  const char *department; /* NULL: every department ("" is the triage queue) */
  gint64 now;             /* for "still open past its deadline" */
  /* Further filters (the dashboard's, web/console_stats.c); NULL or "": any. */
  const char *channel, *category, *kind, *sla_class;
  /* NULL: no limit; else only these departments (NULL-terminated; empty: none), for a
   * supervisor who sees only their own. */
  const char *const *departments;
  /* TRUE: count the appeal rows themselves, never the rollup (store/rollup.h): the
   * reference `okno report --exact` prints and the tests compare the rollup with. */
  gboolean exact;
} OknoReportQuery;

typedef struct {
  gint64 received, answered, on_time, overdue, open;
  gint64 withdrawn; /* withdrawn by their citizens (status withdrawn, docs/kb.md) */
  GHashTable *by_channel, *by_category, *by_department; /* char* -> gint64* */
} OknoReport;

gboolean okno_store_report(OknoStore *st, const OknoReportQuery *q, OknoReport *r,
                           GError **error);
void okno_report_clear(OknoReport *r);

/* The query's filter as SQL for the other figures' statements (store/stats.c): appends
 * to `sql` a condition over the appeals table's own columns ("1 = 1 AND ..."), the
 * period [from, to) on received_at when `period`, and every filter set, numbering its
 * parameters after those already in `params` (OknoParam, texts borrowed from q). */
void okno_report_filter(const OknoReportQuery *q, gboolean period, GString *sql,
                        GArray *params);
/* okno_db_query of head + the filter + tail (tail may be NULL). */
OknoRows *okno_report_query(OknoDb *db, const char *head, const OknoReportQuery *q,
                            gboolean period, const char *tail, GError **error);
