/* rollup.h: the dashboard's counts read from stats_daily (migration 25), the rollup the
 * triggers on appeals keep per Moscow day of receipt and (department, channel,
 * category, kind, sla_class) in the transaction of every change (docs/metrics.md
 * "Cost"). SQL only here.
 *
 * okno_rollup_usable: TRUE when `q` can be read from the rollup: q->exact is FALSE and
 * the period [q->from, q->to) begins and ends at Moscow midnights (the dashboard's and
 * `okno report`'s periods are whole days). Otherwise the callers (store/report.c,
 * store/stats.c) count the rows themselves, which is also the reference the tests hold
 * the rollup to (`okno report --exact`).
 *
 * okno_rollup_report fills OknoReport as okno_store_report defines it. The one figure
 * of "now", an appeal still open past a deadline the scheduler has not flagged yet,
 * is counted live from the partial index appeals_late_open and added to `overdue`.
 *
 * okno_rollup_stats fills, of OknoStats: report (as above), series, reopened,
 * repeated, ratings/rated/rating_avg, and the formal counts (received, forwarded,
 * forwarded_in_time, answered_30, extended); the caller reads the rest
 * (okno_rollup_times for the durations). FALSE with an
 * error when the store cannot be read. */
#pragma once
#include <glib.h>

#include "appeal/calendar.h"
#include "store/db.h"
#include "store/report.h"
#include "store/stats.h"

gboolean okno_rollup_usable(const OknoReportQuery *q);

/* The sum of a rollup column `c` (a bare name): each row's count fits an INTEGER, and
 * PostgreSQL sums INTEGERs in a bigint, where its sum of BIGINT accumulates in numeric
 * (3 to 6 times slower over a month of stats_daily). */
#define OKNO_SUM(c) "sum(CAST(" #c " AS INTEGER))"

/* okno_db_query of head + q's filter over a rollup's key columns (okno_report_filter
 * without the period) + " AND day >= .. AND day < .." (q's Moscow days) + tail. */
OknoRows *okno_rollup_query(OknoDb *db, const char *head, const OknoReportQuery *q,
                            const char *tail, GError **error);

/* Makes stats_workdays hold `cal` (NULL: none, durations in calendar hours) and, when
 * it did not, rebuilds stats_hours from the appeal rows in one transaction (the one
 * node whose update of meta 'stats_calendar' changed it does). Cheap when it holds it
 * already (one read). Must not run inside a transaction. */
gboolean okno_rollup_sync(OknoStore *st, const OknoCalendar *cal, GError **error);

/* Counts every rollup (stats_daily, stats_hours, migration 27's stats_open,
 * stats_load, stats_themes and migration 36's queue_due) again from the appeal rows,
 * as the migrations fill them: after rows were written with the triggers off
 * (bench/stats.c), or to repair. Must not run inside a transaction. */
gboolean okno_rollup_refill(OknoStore *st, const OknoCalendar *cal, GError **error);

/* The time to the first answer and to closing of q's appeals from the histograms: n
 * exact; median and p90 by nearest rank over the buckets, given as the upper edge of
 * the bucket holding that rank (okno_rollup_bucket_hours): the value read from the rows
 * lies in [edge - width, edge), width 0.5 h up to 40 h and 4 h up to 400 h; 400 for
 * the last bucket (400 h and more). */
gboolean okno_rollup_times(OknoDb *db, const OknoReportQuery *q, OknoStatsTimes *answer,
                           OknoStatsTimes *closing, GError **error);
double okno_rollup_bucket_hours(gint64 bucket);
gboolean okno_rollup_report(OknoDb *db, const OknoReportQuery *q, OknoReport *r,
                            GError **error);
gboolean okno_rollup_stats(OknoDb *db, const OknoReportQuery *q, gboolean weekly,
                           OknoStats *s, GError **error);

/* stats.c's day arithmetic, shared with the rollup: the Moscow day number of an
 * instant, and the series' empty points for q's period (daily or Monday weeks). */
gint64 okno_stats_day_of(gint64 us);
GArray *okno_stats_series_new(const OknoReportQuery *q, gboolean weekly);
/* Adds a day's counts to the point holding day `day` (ignored outside the period). */
void okno_stats_series_add(GArray *series, const OknoReportQuery *q, gboolean weekly,
                           gint64 day, gint64 received, gint64 answered, gint64 overdue);
