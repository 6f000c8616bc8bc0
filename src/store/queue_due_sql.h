/* queue_due_sql.h: the SQL of migration 36 (issue 18 item 4; store/queue.c, docs/DESIGN.md
 * "Counts"), shared by the step (store/migrations.c), the refill of the rollups from the
 * rows (store/rollup.c okno_rollup_refill) and the tests, so a row counts the same way
 * when the triggers add it and when the rows are counted again. Fixed for migration 36:
 * a change here needs a new migration step.
 *
 * queue_due (department, day): n, the appeals open and queued now (OKNO_LIVE_SQL of
 * store/appeal_row.h, written out) whose sort key `due` falls in that UTC day (due
 * divided by 86,400,000,000 µs; an appeal without a deadline has the largest `due`, so
 * its day is never before today). Kept by triggers on appeals in the transaction of
 * every change; a row whose count falls to 0 is deleted, so the table holds a row per
 * department and day that has open appeals due on it (a few thousand at a million
 * appeals). The overdue count at `now` is then the sum of the days before now's day
 * plus the open appeals due between the start of now's day and now, counted from the
 * rows (the partial index appeals_open[_dept]_due): at a million appeals a few
 * thousand rollup rows and a few hundred index entries instead of every overdue
 * appeal's entry. */
#pragma once

#define R36_DAY_US "86400000000"
#define R36_DAY(R) "(" R ".due / " R36_DAY_US ")"
#define R36_LIVE(R)                                                                        \
  R ".queue NOT IN ('quarantine', 'spam') AND "                                            \
  R ".status IN ('new', 'in_progress', 'needs_clarification')"

#define R36_TABLE(BIG)                                                                     \
  "CREATE TABLE queue_due(department TEXT NOT NULL, day " BIG " NOT NULL,"                 \
  "  n " BIG " NOT NULL, PRIMARY KEY (department, day));"

/* The table counted from the rows (the step's fill and okno_rollup_refill); R36_FROM
 * counts the rows of SRC, a relation named appeals ("appeals" itself, or a subquery of
 * its rows aliased appeals: migration 44), without the statement's end. */
#define R36_FILL R36_FROM("appeals") ";"
#define R36_FROM(SRC)                                                                      \
  "INSERT INTO queue_due(department, day, n) SELECT department, " R36_DAY("appeals")       \
  ", count(*) FROM " SRC " WHERE " R36_LIVE("appeals") " GROUP BY 1, 2"

/* Row R's (NEW or OLD) contribution times S. */
#define R36_ROW(R, S)                                                                      \
  "INSERT INTO queue_due(department, day, n) SELECT " R ".department, " R36_DAY(R) ", " S  \
  " WHERE " R36_LIVE(R) " ON CONFLICT(department, day) DO UPDATE SET n = queue_due.n + excluded.n;"

/* After OLD's contribution went: its row left at 0 goes. */
#define R36_PRUNE                                                                          \
  "DELETE FROM queue_due WHERE department = OLD.department AND day = " R36_DAY("OLD")      \
  " AND n = 0;"

/* The columns an update must touch to move the appeal's contribution. */
#define R36_CHANGED                                                                        \
  "OLD.department <> NEW.department OR OLD.due <> NEW.due OR OLD.status <> NEW.status"     \
  " OR OLD.queue <> NEW.queue"
