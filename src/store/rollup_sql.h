/* rollup_sql.h: the SQL of the working-hour histograms (stats_hours, migration 25),
 * shared by the triggers (store/migrations.c) and the rebuild when the production
 * calendar changes (store/rollup.c), so a row's bucket is computed the same way when it
 * is added and when it is taken away. Fixed for migration 25: a change here needs a new
 * migration step.
 *
 * stats_workdays holds the calendar store/rollup.c last synchronised: per Moscow day
 * number, `cum` (working µs of the days before it in the table), and the day's working
 * interval [open_us, close_us) (both the day's start on a day off). The working time
 * between instants a < b is W(b) - W(a), W(t) = cum + clamp(t - open_us, 0, close_us -
 * open_us) of t's day (of b - 1's day for the end, as okno_deadline_working_time
 * does); when either day is not in the table, b - a (calendar time), as store/stats.c's
 * hours() falls back. The bucket is of half hours: bucket m < 80 holds [m/2, (m+1)/2)
 * hours; 80 <= m < 170 holds [40 + (m-80)*4, 40 + (m-79)*4) hours; 170 holds 400 hours
 * and more (rollup.h says how medians are read from them). LEAST/GREATEST: SQLite's
 * min/max or PostgreSQL's least/greatest. */
#pragma once

#define ROLL_MSK "10800000000"
#define ROLL_DAYUS "86400000000"
#define ROLL_HALF_HOUR "1800000000"
#define ROLL_BUCKETS 171

#define ROLL_W(T, DAYT, LEAST, GREATEST)                                                   \
  "(SELECT w.cum + " LEAST "(" GREATEST "(" T " - w.open_us, 0), w.close_us - w.open_us)"  \
  " FROM stats_workdays w WHERE w.day = (" DAYT " + " ROLL_MSK ") / " ROLL_DAYUS ")"
/* Working µs from A to B (B > A). */
#define ROLL_WORK(A, B, LEAST, GREATEST)                                                   \
  "coalesce(" ROLL_W(B, B " - 1", LEAST, GREATEST) " - " ROLL_W(A, A, LEAST, GREATEST)     \
  ", " B " - " A ")"
#define ROLL_HALVES(A, B, LEAST, GREATEST)                                                 \
  "(CASE WHEN " B " <= " A " THEN 0 ELSE " ROLL_WORK(A, B, LEAST, GREATEST) " END / "      \
  ROLL_HALF_HOUR ")"
#define ROLL_BUCKET(A, B, LEAST, GREATEST)                                                 \
  LEAST "(170, CASE WHEN " ROLL_HALVES(A, B, LEAST, GREATEST) " < 80 THEN "               \
  ROLL_HALVES(A, B, LEAST, GREATEST) " ELSE 80 + (" ROLL_HALVES(A, B, LEAST, GREATEST)     \
  " - 80) / 8 END)"

#define ROLL_HOURS_KEY "day, department, channel, category, kind, sla_class, what, bucket"
/* Row R's (NEW, OLD; or "appeals" with S "count(*)" and a GROUP BY in the rebuild)
 * histogram contribution for `what` 0 (first answer, COL answered_first_at) or 1
 * (closing, closed_first_at), times S; no row when COL is 0. */
#define ROLL_HOURS_SELECT(R, S, WHAT, COL, LEAST, GREATEST)                                \
  "SELECT (" R ".received_at + " ROLL_MSK ") / " ROLL_DAYUS ", " R ".department, "        \
  R ".channel, " R ".category, " R ".kind, " R ".sla_class, " WHAT ", "                    \
  ROLL_BUCKET(R ".received_at", R "." COL, LEAST, GREATEST) ", " S                          \
  " WHERE " R "." COL " <> 0"
#define ROLL_HOURS_ROW(R, S, WHAT, COL, LEAST, GREATEST)                                   \
  "INSERT INTO stats_hours(" ROLL_HOURS_KEY ", n) "                                         \
  ROLL_HOURS_SELECT(R, S, WHAT, COL, LEAST, GREATEST)                                      \
  " ON CONFLICT(" ROLL_HOURS_KEY ") DO UPDATE SET n = stats_hours.n + excluded.n;"
#define ROLL_HOURS_BOTH(R, S, LEAST, GREATEST)                                             \
  ROLL_HOURS_ROW(R, S, "0", "answered_first_at", LEAST, GREATEST)                          \
  ROLL_HOURS_ROW(R, S, "1", "closed_first_at", LEAST, GREATEST)
/* The histogram `what` (COL as above) counted from the rows of SRC, a relation named
 * appeals ("appeals" itself, or a subquery of its rows aliased appeals), grouped by the
 * key; without the statement's end (";", or an ORDER BY and an upsert). */
#define ROLL_HOURS_FROM(SRC, WHAT, COL, LEAST, GREATEST)                                   \
  "INSERT INTO stats_hours(" ROLL_HOURS_KEY ", n) SELECT (received_at + " ROLL_MSK ") / "  \
  ROLL_DAYUS ", department, channel, category, kind, sla_class, " WHAT ", "                \
  ROLL_BUCKET("appeals.received_at", "appeals." COL, LEAST, GREATEST) ", count(*)"         \
  " FROM " SRC " WHERE " COL " <> 0 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"

/* stats_daily (migration 25): the key, the counted columns, and the table counted from
 * the rows (the step's fill and store/rollup.c okno_rollup_refill; ROLL_DAILY_SELECT
 * counts the rows of SRC, a relation named appeals, for migration 44's count of a
 * transaction's new appeals). */
#define ROLL_DAY(R) "(" R ".received_at + 10800000000) / 86400000000"
#define ROLL_FLAG(c) "CASE WHEN " c " THEN 1 ELSE 0 END"
#define ROLL_KEY "day, department, channel, category, kind, sla_class"
#define ROLL_COLS                                                                          \
  "received, answered, on_time, overdue, open, reopened, repeated, clarified,"             \
  " clarifications, forwarded, forwarded_in_time, answered_30, extended, rated,"           \
  " r1, r2, r3, r4, r5"
#define ROLL_DAILY_FILL                                                                    \
  "INSERT INTO stats_daily(" ROLL_KEY ", " ROLL_COLS ") " ROLL_DAILY_SELECT("appeals")      \
  " GROUP BY 1, 2, 3, 4, 5, 6;"
#define ROLL_DAILY_SELECT(SRC)                                                             \
  "SELECT " ROLL_DAY("appeals") ","                                                        \
  "  department, channel, category, kind, sla_class, count(*),"                            \
  "  sum(" ROLL_FLAG("answered = 1") "), sum(" ROLL_FLAG("answered = 1 AND overdue = 0") "),"    \
  "  sum(" ROLL_FLAG("overdue = 1") "),"                                                   \
  "  sum(" ROLL_FLAG("status IN ('new', 'in_progress', 'needs_clarification')") "),"       \
  "  sum(" ROLL_FLAG("reopened = 1") "), sum(" ROLL_FLAG("related <> ''") "),"             \
  "  sum(" ROLL_FLAG("clarifications > 0") "), sum(clarifications),"                      \
  "  sum(" ROLL_FLAG("forwarded = 1") "), sum(" ROLL_FLAG("forwarded_in_time = 1") "),"    \
  "  sum(" ROLL_FLAG("answered_first_at <> 0 AND answered_first_at <= received_at + 2592000000000") ")," \
  "  sum(" ROLL_FLAG("extensions > 0") "), sum(" ROLL_FLAG("rating > 0") "),"              \
  "  sum(" ROLL_FLAG("rating = 1") "), sum(" ROLL_FLAG("rating = 2") "),"                  \
  "  sum(" ROLL_FLAG("rating = 3") "), sum(" ROLL_FLAG("rating = 4") "),"                  \
  "  sum(" ROLL_FLAG("rating = 5") ") FROM " SRC
