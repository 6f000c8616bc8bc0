/* stats.h: the dashboard's figures (/console/stats, web/console_stats.c; docs/metrics.md)
 * over the appeals of a period and filters (store/report.h OknoReportQuery), read
 * from the appeals, their events and ratings. SQL only here.
 *
 * okno_store_stats fills OknoStats:
 *  - report: the totals and breakdowns exactly as `okno report` gives them
 *    (okno_store_report with the same query), so the page, its exports and the command
 *    agree;
 *  - series: one point per day (or per Monday-started week when `weekly`) from the
 *    period's first day to its last, gaps filled with zeros: appeals received that day,
 *    of them answered, of them overdue (report's definitions);
 *  - backlog: the appeals open now (queued: not held as spam or quarantine) under the
 *    filters but of any period, by their age at q->now: under 1 day, 1-3 days, 3-7,
 *    7-30, 30 and more (calendar days);
 *  - time to the first answer (the first status change to "answered") and to closing
 *    (the first change to "closed") of the period's appeals, in working hours on `cal`
 *    (calendar hours when cal is NULL or an instant lies outside it): how many, the
 *    median and the 90th percentile (nearest rank);
 *  - clarifications: appeals sent for clarification, how many times, and the median
 *    time they waited (working hours, from the change to needs_clarification to the next
 *    change away from it; a wait still open counts up to q->now);
 *  - reopened: appeals answered or closed and then taken back into work (a status
 *    change from answered/closed to in_progress, or the event "reopened");
 *    repeated: the period's appeals linked to an earlier one as repeated (related set);
 *  - ratings of the period's appeals: count per score 1..5, the average, and the
 *    latest comments (at most OKNO_STATS_COMMENTS, newest first);
 *  - load per operator: the period's appeals by assignee login ("" unassigned):
 *    assigned, answered, still open; most assigned first;
 *  - formal: the period's formal appeals under the other filters (OknoStatsFormal):
 *    received, forwarded to the competent body (and within the law's 7 days: the
 *    event's in_time), answered within 30 calendar days, extended, left unanswered
 *    by art. 11 ground (from the events' detail).
 * Whole-day periods are read from the rollups (store/rollup.h: the durations then from
 * histograms, their median and p90 to within a bucket; store/rollup_open.h: the load
 * per operator when no filter but the department is set, and the themes), others and
 * q->exact from the rows; the backlog from stats_open unless q->exact (any period). It first makes the rollup's calendar `cal` (okno_rollup_sync), which writes in
 * a transaction of its own when the calendar changed: a caller inside a transaction
 * calls okno_rollup_sync before beginning it.
 * FALSE with an error when the store cannot be read; okno_stats_clear frees. */
#pragma once
#include <glib.h>

#include "appeal/calendar.h"
#include "store/report.h"
#include "store/store.h"

#define OKNO_STATS_COMMENTS 20
#define OKNO_STATS_AGES 5

typedef struct {
  gint64 start; /* µs: the day's (week's) first instant, Moscow time */
  gint64 received, answered, overdue;
} OknoStatsPoint;

typedef struct {
  gint64 n;
  double median_h, p90_h; /* hours; 0 when n is 0 */
} OknoStatsTimes;

typedef struct {
  char *number;
  gint64 score, at;
  char *comment;
} OknoStatsComment;

typedef struct {
  char *login; /* "" unassigned */
  gint64 assigned, answered, open;
} OknoStatsLoad;

/* The period's formal appeals (kind formal, 59-FZ), whatever the kind filter says. */
typedef struct {
  gint64 received;
  gint64 forwarded, forwarded_in_time; /* event "forwarded"; in_time: within its 7 days */
  gint64 answered_30;                  /* first answer within 30 calendar days of receipt */
  gint64 extended;                     /* extensions > 0 */
  gint64 unanswered;                   /* event "left_unanswered" (art. 11) */
  GHashTable *grounds;                 /* ground -> gint64* count of those */
  GHashTable *themes;                  /* classifier code ("" none) -> gint64* received */
} OknoStatsFormal;

typedef struct {
  OknoReport report;
  GArray *series;           /* OknoStatsPoint */
  gint64 backlog[OKNO_STATS_AGES];
  OknoStatsTimes first_answer, closing, clarification_wait;
  gint64 clarified, clarifications;
  gint64 reopened, repeated;
  gint64 ratings[5];        /* [score - 1] */
  gint64 rated;
  double rating_avg;        /* 0 when none */
  GPtrArray *comments;      /* OknoStatsComment* */
  GPtrArray *load;          /* OknoStatsLoad* */
  OknoStatsFormal formal;
} OknoStats;

gboolean okno_store_stats(OknoStore *st, const OknoReportQuery *q, gboolean weekly,
                          const OknoCalendar *cal, OknoStats *s, GError **error);
void okno_stats_clear(OknoStats *s);

/* The backlog's age bands in Russian, [OKNO_STATS_AGES]. */
extern const char *const okno_stats_age_words[OKNO_STATS_AGES];

/* Sets (or replaces) the classifier code of appeal `appeal_id` (ops/stats.h checks it). */
gboolean okno_store_appeal_theme_set(OknoStore *st, gint64 appeal_id, const char *code,
                                     gint64 at, const char *by, GError **error);

/* The classifier code set on appeal `appeal_id` (new string; "" none), NULL on error. */
char *okno_store_appeal_theme_get(OknoStore *st, gint64 appeal_id, GError **error);

/* The weekly report mail (ops/stats.h): marks week `week` (a Monday-started week
 * number) as sent at `now`; *won TRUE for the one caller that marked it (any node). */
gboolean okno_store_stats_mail_claim(OknoStore *st, gint64 week, gint64 now, gboolean *won,
                                     GError **error);
