/* rollup_open.h: the dashboard's backlog by age, load per operator and 59-FZ themes
 * read from the rollups of migration 27 (stats_open, stats_load, stats_themes; SQL in
 * store/rollup_open_sql.h, docs/metrics.md "Cost"), or counted from the rows for the
 * reference. SQL only here.
 *
 * okno_rollup_backlog: the open, queued appeals under q's filters (of any period) by
 * their age at q->now in the bands of store/stats.h (edges 1, 3, 7 and 30 days after
 * receipt, to the microsecond). With `exact` one count over the appeal rows;
 * otherwise the open appeals per day of receipt from stats_open, each day wholly
 * inside one band added to it, and the few days a band's edge cuts (at most four)
 * counted from the rows, so the figures are the same.
 *
 * okno_rollup_load_usable: TRUE when the load per operator of q can come from
 * stats_load: a whole-day period (okno_rollup_usable) filtered at most by department
 * (stats_load has no channel, category, kind or SLA class). okno_rollup_load: its
 * rows as store/stats.c's live statement gives them: login ("" nobody), appeals,
 * answered, open; most appeals first.
 *
 * okno_rollup_themes: the formal appeals of a whole-day period under q's filters (its
 * kind is ignored: stats_themes holds only formal ones) by classifier code ("" none):
 * rows (code, count).
 *
 * okno_rollup_grounds: the detail of every `left_unanswered` event of q's appeals
 * (period and filters as given), read along the partial index events_unanswered, so
 * its cost follows those events, not the period's appeals.
 * NULL / FALSE with an error when the store cannot be read. */
#pragma once
#include <glib.h>

#include "store/db.h"
#include "store/report.h"

#define OKNO_BACKLOG_BANDS 5

gboolean okno_rollup_backlog(OknoDb *db, const OknoReportQuery *q, gboolean exact,
                             gint64 backlog[OKNO_BACKLOG_BANDS], GError **error);
gboolean okno_rollup_load_usable(const OknoReportQuery *q);
OknoRows *okno_rollup_load(OknoDb *db, const OknoReportQuery *q, GError **error);
OknoRows *okno_rollup_themes(OknoDb *db, const OknoReportQuery *q, GError **error);
OknoRows *okno_rollup_grounds(OknoDb *db, const OknoReportQuery *q, GError **error);
