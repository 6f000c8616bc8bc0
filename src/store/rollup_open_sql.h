/* rollup_open_sql.h: the SQL of migration 27 (issue 20 item 4; store/rollup_open.h,
 * docs/metrics.md "Cost"), shared by the step (store/migrations.c) and the refill of
 * the rollups from the rows (store/rollup.c okno_rollup_refill), so a row counts the
 * same way when the triggers add it and when the rows are counted again. Fixed for
 * migration 27: a change here needs a new migration step.
 *
 * Three rollups kept by triggers on appeals in the transaction of every change, each
 * keyed by the Moscow day of receipt:
 *  - stats_open (day, department, channel, category, kind, sla_class): n, the appeals
 *    open and queued now (OKNO_LIVE_SQL of store/appeal_row.h, written out), for the
 *    backlog by age;
 *  - stats_load (day, department, assignee; 0 for nobody): n appeals, of them answered
 *    (answered = 1) and open (new, in_progress, needs_clarification), for the load per
 *    operator;
 *  - stats_themes (day, department, channel, category, sla_class, theme): n formal
 *    appeals by their classifier code (appeals.theme, '' none; copied from
 *    appeal_themes by triggers on it).
 * A row whose count falls to 0 is deleted, so stats_open holds only what is open. */
#pragma once

#define R27_DAY(R) "(" R ".received_at + 10800000000) / 86400000000"
#define R27_OPEN(R) R ".status IN ('new', 'in_progress', 'needs_clarification')"
#define R27_LIVE(R) R ".queue NOT IN ('quarantine', 'spam') AND " R27_OPEN(R)
#define R27_FLAG(c) "CASE WHEN " c " THEN 1 ELSE 0 END"

#define R27_OPEN_KEY "day, department, channel, category, kind, sla_class"
#define R27_LOAD_KEY "day, department, assignee"
#define R27_THEME_KEY "day, department, channel, category, sla_class, theme"

#define R27_TABLES(BIG)                                                                    \
  "ALTER TABLE appeals ADD COLUMN theme TEXT NOT NULL DEFAULT '';"                         \
  "UPDATE appeals SET theme = (SELECT t.code FROM appeal_themes t WHERE t.appeal_id = appeals.id)" \
  " WHERE id IN (SELECT appeal_id FROM appeal_themes);"                                    \
  "CREATE TABLE stats_open(day " BIG " NOT NULL, department TEXT NOT NULL,"               \
  "  channel TEXT NOT NULL, category TEXT NOT NULL, kind TEXT NOT NULL,"                   \
  "  sla_class TEXT NOT NULL, n " BIG " NOT NULL, PRIMARY KEY (" R27_OPEN_KEY "));"        \
  "CREATE TABLE stats_load(day " BIG " NOT NULL, department TEXT NOT NULL,"               \
  "  assignee " BIG " NOT NULL, n " BIG " NOT NULL, answered " BIG " NOT NULL,"            \
  "  open " BIG " NOT NULL, PRIMARY KEY (" R27_LOAD_KEY "));"                              \
  "CREATE TABLE stats_themes(day " BIG " NOT NULL, department TEXT NOT NULL,"             \
  "  channel TEXT NOT NULL, category TEXT NOT NULL, sla_class TEXT NOT NULL,"              \
  "  theme TEXT NOT NULL, n " BIG " NOT NULL, PRIMARY KEY (" R27_THEME_KEY "));"           \
  "CREATE INDEX events_unanswered ON events(appeal_id) WHERE kind = 'left_unanswered';"

/* The three tables counted from the rows (the step's fill and okno_rollup_refill). */
#define R27_FILL                                                                           \
  R27_OPEN_FROM("appeals") ";" R27_LOAD_FROM("appeals") ";" R27_THEMES_FROM("appeals") ";"
/* Each counted from the rows of SRC, a relation named appeals ("appeals" itself, or a
 * subquery of its rows aliased appeals: migration 44's count of a transaction's new
 * appeals), grouped by its key; without the statement's end. */
#define R27_OPEN_FROM(SRC)                                                                 \
  "INSERT INTO stats_open(" R27_OPEN_KEY ", n) SELECT " R27_DAY("appeals") ", department," \
  " channel, category, kind, sla_class, count(*) FROM " SRC " WHERE " R27_LIVE("appeals")  \
  " GROUP BY 1, 2, 3, 4, 5, 6"
#define R27_LOAD_FROM(SRC)                                                                 \
  "INSERT INTO stats_load(" R27_LOAD_KEY ", n, answered, open) SELECT " R27_DAY("appeals") \
  ", department, coalesce(assignee, 0), count(*), sum(" R27_FLAG("answered = 1") "),"      \
  " sum(" R27_FLAG(R27_OPEN("appeals")) ") FROM " SRC " GROUP BY 1, 2, 3"
#define R27_THEMES_FROM(SRC)                                                               \
  "INSERT INTO stats_themes(" R27_THEME_KEY ", n) SELECT " R27_DAY("appeals") ","          \
  " department, channel, category, sla_class, theme, count(*) FROM " SRC                   \
  " WHERE kind = 'formal' GROUP BY 1, 2, 3, 4, 5, 6"

/* Row R's (NEW or OLD) contribution times S. */
#define R27_ROW(R, S)                                                                      \
  "INSERT INTO stats_open(" R27_OPEN_KEY ", n) SELECT " R27_DAY(R) ", " R ".department, "  \
  R ".channel, " R ".category, " R ".kind, " R ".sla_class, " S " WHERE " R27_LIVE(R)      \
  " ON CONFLICT(" R27_OPEN_KEY ") DO UPDATE SET n = stats_open.n + excluded.n;"            \
  "INSERT INTO stats_load(" R27_LOAD_KEY ", n, answered, open) VALUES(" R27_DAY(R) ", "    \
  R ".department, coalesce(" R ".assignee, 0), " S ", " S " * " R27_FLAG(R ".answered = 1") \
  ", " S " * " R27_FLAG(R27_OPEN(R)) ") ON CONFLICT(" R27_LOAD_KEY ") DO UPDATE SET"       \
  " n = stats_load.n + excluded.n, answered = stats_load.answered + excluded.answered,"    \
  " open = stats_load.open + excluded.open;"                                               \
  "INSERT INTO stats_themes(" R27_THEME_KEY ", n) SELECT " R27_DAY(R) ", " R ".department, " \
  R ".channel, " R ".category, " R ".sla_class, " R ".theme, " S " WHERE " R ".kind = 'formal'" \
  " ON CONFLICT(" R27_THEME_KEY ") DO UPDATE SET n = stats_themes.n + excluded.n;"

/* After OLD's contribution went: its rows left at 0 go. */
#define R27_PRUNE                                                                          \
  "DELETE FROM stats_open WHERE day = " R27_DAY("OLD") " AND department = OLD.department"  \
  " AND channel = OLD.channel AND category = OLD.category AND kind = OLD.kind"             \
  " AND sla_class = OLD.sla_class AND n = 0;"                                              \
  "DELETE FROM stats_load WHERE day = " R27_DAY("OLD") " AND department = OLD.department"  \
  " AND assignee = coalesce(OLD.assignee, 0) AND n = 0;"                                   \
  "DELETE FROM stats_themes WHERE day = " R27_DAY("OLD") " AND department = OLD.department" \
  " AND channel = OLD.channel AND category = OLD.category AND sla_class = OLD.sla_class"   \
  " AND theme = OLD.theme AND n = 0;"

/* The columns an update must touch to move the appeal's contribution. */
#define R27_CHANGED                                                                        \
  "OLD.received_at <> NEW.received_at OR OLD.department <> NEW.department OR"              \
  " OLD.channel <> NEW.channel OR OLD.category <> NEW.category OR OLD.kind <> NEW.kind OR" \
  " OLD.sla_class <> NEW.sla_class OR OLD.status <> NEW.status OR OLD.queue <> NEW.queue"  \
  " OR OLD.answered <> NEW.answered OR OLD.theme <> NEW.theme OR"                          \
  " coalesce(OLD.assignee, 0) <> coalesce(NEW.assignee, 0)"
