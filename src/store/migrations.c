/* migrations.c: the store's schema, as forward-only versioned steps per backend.
 *
 * okno_store_open() applies every step newer than the store's schema_version, each in
 * its own transaction (BEGIN IMMEDIATE on SQLite, a transaction-level advisory lock on
 * PostgreSQL, so two processes starting at once apply a step once). Steps are never
 * edited once released: a change is a new step. Times are integer microseconds since
 * the epoch (UTC) on every backend. The PostgreSQL steps mirror the SQLite ones table
 * for table: BIGINT identity ids, BYTEA for raw bytes, BIGINT times, the same
 * defaults, checks and (partial) indexes. */
#include "store/migrations.h"

#include "store/appeal_row.h"
#include "store/rollup_sql.h"
#include "store/rollup_open_sql.h"
#include "store/queue_due_sql.h"

/* Step 3 of both backends (below): ID is the id column type, BIG a 64-bit integer. */
#define STAFF_TABLES(ID, BIG)                                                           \
  "CREATE TABLE departments("                                                           \
  "  code TEXT PRIMARY KEY,"                                                            \
  "  name TEXT NOT NULL,"                                                               \
  "  parent TEXT REFERENCES departments(code),"                                         \
  "  created_at " BIG " NOT NULL);"                                                    \
  "CREATE TABLE users("                                                                 \
  "  id " ID " PRIMARY KEY,"                                                            \
  "  login TEXT NOT NULL UNIQUE,"                                                       \
  "  display_name TEXT NOT NULL DEFAULT '',"                                            \
  "  email TEXT NOT NULL DEFAULT '',"                                                   \
  "  role TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'administrator',"    \
  "                                     'auditor')),"                                   \
  "  password_hash TEXT NOT NULL,"                                                      \
  "  totp_secret TEXT NOT NULL,"                                                        \
  "  totp_last_step " BIG " NOT NULL DEFAULT 0,"                                       \
  "  must_change_password INTEGER NOT NULL DEFAULT 1,"                                  \
  "  disabled INTEGER NOT NULL DEFAULT 0,"                                              \
  "  failed_attempts INTEGER NOT NULL DEFAULT 0,"                                       \
  "  locked_until " BIG " NOT NULL DEFAULT 0,"                                         \
  "  created_at " BIG " NOT NULL);"                                                    \
  "CREATE TABLE user_departments("                                                      \
  "  user_id " BIG " NOT NULL REFERENCES users(id),"                                   \
  "  department TEXT NOT NULL REFERENCES departments(code),"                            \
  "  PRIMARY KEY (user_id, department));"                                               \
  "CREATE TABLE recovery_codes("                                                        \
  "  id " ID " PRIMARY KEY,"                                                            \
  "  user_id " BIG " NOT NULL REFERENCES users(id),"                                   \
  "  code_hash TEXT NOT NULL,"                                                          \
  "  used_at " BIG " NOT NULL DEFAULT 0);"                                             \
  "CREATE INDEX recovery_codes_user ON recovery_codes(user_id);"                        \
  "CREATE TABLE login_journal("                                                         \
  "  id " ID " PRIMARY KEY,"                                                            \
  "  at " BIG " NOT NULL,"                                                             \
  "  login TEXT NOT NULL,"                                                              \
  "  user_id " BIG " REFERENCES users(id),"                                            \
  "  ip TEXT NOT NULL DEFAULT '',"                                                      \
  "  user_agent TEXT NOT NULL DEFAULT '',"                                              \
  "  result TEXT NOT NULL);"                                                            \
  "CREATE INDEX login_journal_user ON login_journal(user_id, at);"                      \
  "CREATE TABLE routing_rules("                                                         \
  "  id " ID " PRIMARY KEY,"                                                            \
  "  position INTEGER NOT NULL,"                                                        \
  "  kind TEXT NOT NULL CHECK (kind IN ('category', 'keyword', 'sender_domain',"       \
  "                                     'channel')),"                                   \
  "  value TEXT NOT NULL,"                                                              \
  "  department TEXT NOT NULL REFERENCES departments(code),"                            \
  "  created_at " BIG " NOT NULL);"                                                    \
  "ALTER TABLE appeals ADD COLUMN department TEXT NOT NULL DEFAULT '';"                 \
  "ALTER TABLE appeals ADD COLUMN assignee " BIG " REFERENCES users(id);"              \
  "ALTER TABLE appeals ADD COLUMN version " BIG " NOT NULL DEFAULT 1;"                 \
  "CREATE INDEX appeals_department ON appeals(department, status);"

/* The partial indexes of the open queues (overdue) and of the open unassigned ones,
 * with their conditions LIVE and FREE (step 10 wrote them with the conditions of then,
 * step 12 again with OKNO_LIVE_SQL and OKNO_FREE_SQL of appeal_row.h). */
#define PARTIAL_INDEXES(LIVE, FREE)                                                     \
  "CREATE INDEX appeals_open_recv ON appeals(received_at, id) WHERE " LIVE ";" \
  "CREATE INDEX appeals_open_due ON appeals(due, id) WHERE " LIVE ";"          \
  "CREATE INDEX appeals_open_dept_recv ON appeals(department, received_at, id) WHERE "  \
  LIVE ";"                                                                     \
  "CREATE INDEX appeals_open_dept_due ON appeals(department, due, id) WHERE "           \
  LIVE ";"                                                                     \
  "CREATE INDEX appeals_free_recv ON appeals(received_at, id) WHERE " FREE ";" \
  "CREATE INDEX appeals_free_due ON appeals(due, id) WHERE " FREE ";"          \
  "CREATE INDEX appeals_free_dept_recv ON appeals(department, received_at, id) WHERE "  \
  FREE ";"                                                                     \
  "CREATE INDEX appeals_free_dept_due ON appeals(department, due, id) WHERE "           \
  FREE ";"

/* What OKNO_LIVE_SQL and OKNO_FREE_SQL were at step 10 (before the spam hold). */
#define V10_LIVE_SQL "queue <> 'quarantine' AND " OKNO_OPEN_SQL
#define V10_FREE_SQL V10_LIVE_SQL " AND assignee IS NULL"

/* Step 10 of both backends (issue 23: every queue and list paged in SQL). `due` is the
 * deadline as a sort key (no deadline sorts last); the SQLite step adds it as a VIRTUAL
 * generated column, the PostgreSQL one as a STORED one (ALTER TABLE cannot add a stored
 * one on SQLite). One index per queue filter and sort order of src/store/queue.c
 * (keyset pages: the index gives the rows in order, so a page reads ~limit rows);
 * the partial indexes of open appeals (overdue) and of open unassigned ones carry
 * their queue's whole condition (OKNO_LIVE_SQL, OKNO_FREE_SQL in appeal_row.h, written
 * as the queries write it: SQLite uses a partial index only when the query repeats its
 * condition), so those queues and the overdue count read no row they do not show. appeal_counts holds the number of appeals per (department, status,
 * assignee, quarantine), kept by triggers in the same transaction as the appeal's
 * change, so a queue's count reads a few rows at any size of the registry. */
#define PAGING_INDEXES(BIG)                                                             \
  "DROP INDEX appeals_status;"                                                          \
  "DROP INDEX appeals_department;"                                                      \
  "DROP INDEX appeals_from_received;"                                                   \
  "CREATE INDEX appeals_k_recv ON appeals(received_at, id);"                            \
  "CREATE INDEX appeals_k_due ON appeals(due, id);"                                     \
  "CREATE INDEX appeals_dept_recv ON appeals(department, received_at, id);"             \
  "CREATE INDEX appeals_dept_due ON appeals(department, due, id);"                      \
  "CREATE INDEX appeals_assignee_recv ON appeals(assignee, received_at, id);"           \
  "CREATE INDEX appeals_assignee_due ON appeals(assignee, due, id);"                    \
  "CREATE INDEX appeals_status_recv ON appeals(status, received_at, id);"               \
  "CREATE INDEX appeals_status_due ON appeals(status, due, id);"                        \
  "CREATE INDEX appeals_dept_status_recv ON appeals(department, status, received_at, id);" \
  "CREATE INDEX appeals_dept_status_due ON appeals(department, status, due, id);"       \
  PARTIAL_INDEXES(V10_LIVE_SQL, V10_FREE_SQL)                                           \
  "CREATE INDEX appeals_from_recv ON appeals(from_email, received_at, id);"             \
  "CREATE TABLE appeal_counts("                                                         \
  "  department TEXT NOT NULL,"                                                         \
  "  status TEXT NOT NULL,"                                                             \
  "  assignee " BIG " NOT NULL,"                                                        \
  "  quarantine INTEGER NOT NULL,"                                                      \
  "  n " BIG " NOT NULL,"                                                               \
  "  PRIMARY KEY (department, status, assignee, quarantine));"                          \
  "INSERT INTO appeal_counts(department, status, assignee, quarantine, n)"              \
  "  SELECT department, status, coalesce(assignee, 0),"                                 \
  "    CASE WHEN queue = 'quarantine' THEN 1 ELSE 0 END, count(*)"                      \
  "  FROM appeals GROUP BY 1, 2, 3, 4;"

/* The appeal_counts row of NEW or OLD (SQLite trigger bodies). */
#define COUNT_ROW(R, D)                                                                 \
  "INSERT INTO appeal_counts(department, status, assignee, quarantine, n) VALUES("      \
  R ".department, " R ".status, coalesce(" R ".assignee, 0),"                           \
  " CASE WHEN " R ".queue = 'quarantine' THEN 1 ELSE 0 END, " D ")"                      \
  " ON CONFLICT(department, status, assignee, quarantine) DO UPDATE SET n = n + (" D ");"

/* Step 12 of both backends (issue 16): the spam hold. An appeal held as spam is in no
 * queue, like a quarantined one: the partial indexes are built again with the new
 * OKNO_QUEUED_SQL, and appeal_counts' `quarantine` column counts both holds. */
#define SPAM_HOLD_INDEXES                                                               \
  "DROP INDEX appeals_open_recv;"                                                       \
  "DROP INDEX appeals_open_due;"                                                        \
  "DROP INDEX appeals_open_dept_recv;"                                                  \
  "DROP INDEX appeals_open_dept_due;"                                                   \
  "DROP INDEX appeals_free_recv;"                                                       \
  "DROP INDEX appeals_free_due;"                                                        \
  "DROP INDEX appeals_free_dept_recv;"                                                  \
  "DROP INDEX appeals_free_dept_due;"                                                   \
  PARTIAL_INDEXES(OKNO_LIVE_SQL, OKNO_FREE_SQL)                                         \
  "DELETE FROM appeal_counts;"                                                          \
  "INSERT INTO appeal_counts(department, status, assignee, quarantine, n)"              \
  "  SELECT department, status, coalesce(assignee, 0),"                                 \
  "    CASE WHEN " OKNO_HELD_SQL("") " THEN 1 ELSE 0 END, count(*)"                     \
  "  FROM appeals GROUP BY 1, 2, 3, 4;"

/* The appeal_counts row of NEW or OLD from step 12 on (SQLite trigger bodies). */
#define COUNT_ROW_12(R, D)                                                              \
  "INSERT INTO appeal_counts(department, status, assignee, quarantine, n) VALUES("      \
  R ".department, " R ".status, coalesce(" R ".assignee, 0),"                           \
  " CASE WHEN " OKNO_HELD_SQL(R ".") " THEN 1 ELSE 0 END, " D ")"                         \
  " ON CONFLICT(department, status, assignee, quarantine) DO UPDATE SET n = n + (" D ");"

/* Step 14 of both backends (retention, issue 15; store/retention.h, docs/retention.md):
 * legal holds (held_since 0: not held now; held_total: microseconds of holds already
 * lifted, added to the period), the appeals whose personal data was destroyed, the
 * citizens' deletion requests, the destruction acts (CSV and PDF bytes, kept until
 * keep_until) and the single row guarding the daily pass (several nodes, one pass). */
#define RETENTION_TABLES(ID, BIG, BLOB)                                                 \
  "CREATE TABLE retention_holds("                                                       \
  "  appeal_id " BIG " PRIMARY KEY REFERENCES appeals(id),"                            \
  "  reason TEXT NOT NULL,"                                                             \
  "  held_by TEXT NOT NULL,"                                                            \
  "  held_since " BIG " NOT NULL,"                                                     \
  "  held_total " BIG " NOT NULL DEFAULT 0);"                                          \
  "CREATE TABLE destruction_acts("                                                      \
  "  id " ID " PRIMARY KEY,"                                                            \
  "  at " BIG " NOT NULL,"                                                             \
  "  done_by TEXT NOT NULL,"                                                            \
  "  appeals " BIG " NOT NULL,"                                                        \
  "  subjects " BIG " NOT NULL,"                                                       \
  "  csv " BLOB " NOT NULL,"                                                           \
  "  pdf " BLOB ","                                                                    \
  "  keep_until " BIG " NOT NULL);"                                                    \
  "CREATE TABLE retention_purges("                                                      \
  "  appeal_id " BIG " PRIMARY KEY REFERENCES appeals(id),"                            \
  "  at " BIG " NOT NULL,"                                                             \
  "  grounds TEXT NOT NULL,"                                                            \
  "  act_id " BIG " NOT NULL DEFAULT 0);"                                              \
  "CREATE INDEX retention_purges_act ON retention_purges(act_id);"                      \
  "CREATE TABLE deletion_requests("                                                     \
  "  appeal_id " BIG " PRIMARY KEY REFERENCES appeals(id),"                            \
  "  requested_at " BIG " NOT NULL,"                                                   \
  "  requested_by TEXT NOT NULL);"                                                      \
  "CREATE TABLE retention_runs(one INTEGER PRIMARY KEY CHECK (one = 1),"                \
  "  last_at " BIG " NOT NULL);"                                                       \
  "INSERT INTO retention_runs VALUES(1, 0);"
/* Step 13 of both backends (issue 15, store/keys.h): the blind indexes that replace
 * the lookups by contact address once it is sealed: from_bidx, sender_bidx and
 * outbound's to_bidx (the limit of automatic replies per address) hold the
 * keyed BLAKE2b of the lower-case address (its clear lower-case form in a store
 * without a key file, and in the rows written before). The indexes on the addresses
 * themselves go: a sealed value is never looked up. */
#define BLIND_INDEXES                                                                   \
  "ALTER TABLE appeals ADD COLUMN from_bidx TEXT NOT NULL DEFAULT '';"                  \
  "UPDATE appeals SET from_bidx = lower(from_email);"                                   \
  "DROP INDEX appeals_from;"                                                            \
  "DROP INDEX appeals_from_recv;"                                                       \
  "CREATE INDEX appeals_from_bidx ON appeals(from_bidx, received_at, id);"              \
  "ALTER TABLE messages ADD COLUMN sender_bidx TEXT NOT NULL DEFAULT '';"               \
  "UPDATE messages SET sender_bidx = lower(sender);"                                    \
  "DROP INDEX messages_hash;"                                                           \
  "CREATE INDEX messages_sender_hash ON messages(sender_bidx, content_hash)"            \
  "  WHERE content_hash <> '';"                                                         \
  "ALTER TABLE outbound ADD COLUMN to_bidx TEXT NOT NULL DEFAULT '';"                   \
  "UPDATE outbound SET to_bidx = lower(env_to);"                                        \
  "DROP INDEX outbound_auto;"                                                           \
  "CREATE INDEX outbound_auto_bidx ON outbound(to_bidx, created_at) WHERE automatic = 1;"

/* 20 (rollup, issue 20; store/stats.h, docs/metrics.md "Cost"): the instants and flags
 * the dashboard reads, kept on the appeal row so its figures need no event scans:
 * answered_first_at / closed_first_at (the earliest status_changed event to answered /
 * closed, 0: none), clarifications (status changes to needs_clarification), reopened
 * (a `reopened` event, or in_progress after answered or closed), forwarded and
 * forwarded_in_time (a `forwarded` event, one saying in_time yes). A trigger on events
 * keeps them in the transaction that adds the event (events.h okno_store_event_add is
 * the one writer); the step fills them from the events already there. The conditions
 * are those store/stats.c used to match the events with, so the figures are equal.
 * appeals_stats covers every column the figures read after the period, so each of
 * their statements reads that index only (docs/bench.md, "stats"). */
#define STATS_TO(s) "NEW.kind = 'status_changed' AND NEW.detail LIKE '%\"to\":\"" s "\"%'"
#define STATS_FIRST(col, s)                                                                \
  col " = CASE WHEN " STATS_TO(s) " AND (" col " = 0 OR NEW.at < " col ") THEN NEW.at"    \
  " ELSE " col " END"
#define STATS_EVENT_SET                                                                    \
  STATS_FIRST("answered_first_at", "answered") ", "                                        \
  STATS_FIRST("closed_first_at", "closed") ", "                                            \
  "clarifications = clarifications + CASE WHEN " STATS_TO("needs_clarification")           \
  " THEN 1 ELSE 0 END, "                                                                   \
  "reopened = CASE WHEN NEW.kind = 'reopened' OR (" STATS_TO("in_progress")                \
  " AND (NEW.detail LIKE '%\"from\":\"answered\"%' OR NEW.detail LIKE"                     \
  " '%\"from\":\"closed\"%')) THEN 1 ELSE reopened END, "                                  \
  "forwarded = CASE WHEN NEW.kind = 'forwarded' THEN 1 ELSE forwarded END, "               \
  "forwarded_in_time = CASE WHEN NEW.kind = 'forwarded' AND NEW.detail LIKE"               \
  " '%\"in_time\":\"yes\"%' THEN 1 ELSE forwarded_in_time END"
#define STATS_EVENT_KINDS "('status_changed', 'reopened', 'forwarded')"
#define STATS_EV(cond) "EXISTS (SELECT 1 FROM events e WHERE e.appeal_id = appeals.id AND " cond ")"
#define STATS_EV_TO(s) "e.kind = 'status_changed' AND e.detail LIKE '%\"to\":\"" s "\"%'"
#define STATS_EV_MIN(s)                                                                    \
  "coalesce((SELECT min(e.at) FROM events e WHERE e.appeal_id = appeals.id AND "           \
  STATS_EV_TO(s) "), 0)"
#define STATS_COLUMNS(type)                                                                \
  "ALTER TABLE appeals ADD COLUMN answered_first_at " type " NOT NULL DEFAULT 0;"          \
  "ALTER TABLE appeals ADD COLUMN closed_first_at " type " NOT NULL DEFAULT 0;"            \
  "ALTER TABLE appeals ADD COLUMN clarifications " type " NOT NULL DEFAULT 0;"             \
  "ALTER TABLE appeals ADD COLUMN reopened " type " NOT NULL DEFAULT 0;"                   \
  "ALTER TABLE appeals ADD COLUMN forwarded " type " NOT NULL DEFAULT 0;"                  \
  "ALTER TABLE appeals ADD COLUMN forwarded_in_time " type " NOT NULL DEFAULT 0;"          \
  "UPDATE appeals SET answered_first_at = " STATS_EV_MIN("answered") ","                   \
  " closed_first_at = " STATS_EV_MIN("closed") ","                                         \
  " clarifications = (SELECT count(*) FROM events e WHERE e.appeal_id = appeals.id AND "   \
  STATS_EV_TO("needs_clarification") "),"                                                  \
  " reopened = CASE WHEN " STATS_EV("(e.kind = 'reopened' OR (" STATS_EV_TO("in_progress") \
  " AND (e.detail LIKE '%\"from\":\"answered\"%' OR e.detail LIKE '%\"from\":\"closed\"%')))") \
  " THEN 1 ELSE 0 END,"                                                                    \
  " forwarded = CASE WHEN " STATS_EV("e.kind = 'forwarded'") " THEN 1 ELSE 0 END,"         \
  " forwarded_in_time = CASE WHEN " STATS_EV("e.kind = 'forwarded' AND e.detail LIKE"      \
  " '%\"in_time\":\"yes\"%'") " THEN 1 ELSE 0 END"                                         \
  " WHERE id IN (SELECT appeal_id FROM events WHERE kind IN " STATS_EVENT_KINDS ");"        \
  "CREATE INDEX appeals_stats ON appeals(received_at, kind, department, channel, category," \
  "  sla_class, status, queue, answered, overdue, deadline, assignee, extensions,"         \
  "  answered_first_at, closed_first_at, clarifications, reopened, forwarded,"              \
  "  forwarded_in_time, related);"

/* 21 (ident, issue 15; docs/crypto.md): the same SQL on both stores (below). */
/* Step 22 (tgsms, issue 22), the same on both stores: see its comment in sqlite_steps. */
#define STEP_22_TRANSPORT                                                                 \
  "ALTER TABLE outbound ADD COLUMN transport TEXT NOT NULL DEFAULT 'mail';"              \
  "CREATE INDEX outbound_due_transport ON outbound(transport, state, next_attempt_at);"

#define STEP_21_IDENT \
  "ALTER TABLE login_codes RENAME COLUMN email TO email_bidx;" \
  "UPDATE login_codes SET email_bidx = lower(email_bidx), owner = lower(owner);" \
  "ALTER TABLE contact_moves RENAME COLUMN email TO email_bidx;" \
  "ALTER TABLE contact_moves RENAME COLUMN moved_to TO moved_bidx;" \
  "ALTER TABLE contact_moves ADD COLUMN email TEXT NOT NULL DEFAULT '';" \
  "UPDATE contact_moves SET email = email_bidx, email_bidx = lower(email_bidx), " \
  "moved_bidx = lower(moved_bidx);" \
  "ALTER TABLE notify_settings RENAME COLUMN email TO email_bidx;" \
  "UPDATE notify_settings SET email_bidx = lower(email_bidx);" \
  "ALTER TABLE sessions RENAME COLUMN subject TO subject_bidx;" \
  "ALTER TABLE sessions ADD COLUMN subject TEXT NOT NULL DEFAULT '';" \
  "UPDATE sessions SET subject = subject_bidx, subject_bidx = " \
  "CASE WHEN kind = 'citizen' THEN lower(subject_bidx) ELSE subject_bidx END;"

/* Step 23 of both backends: the intake source keys (store/sources.h). */
#define STEP_23_SOURCES(BIG)                                                          \
  "CREATE TABLE intake_sources("                                                      \
  "  source TEXT PRIMARY KEY,"                                                        \
  "  number TEXT NOT NULL,"                                                           \
  "  at " BIG " NOT NULL);"

/* 24 (kb, issue 19; store/kb.h, docs/kb.md): the knowledge base's articles and every
 * version of each (the article row is the newest version and whether it is
 * published). The same SQL on both stores but the id column (ID). */
#define STEP_24_KB(ID, BIG)                                                              \
  "CREATE TABLE kb_articles("                                                            \
  "  id " ID " PRIMARY KEY,"                                                             \
  "  title TEXT NOT NULL,"                                                               \
  "  body TEXT NOT NULL,"                                                                \
  "  category TEXT NOT NULL DEFAULT '',"                                                 \
  "  tags TEXT NOT NULL DEFAULT '',"                                                     \
  "  published INTEGER NOT NULL DEFAULT 0,"                                              \
  "  version INTEGER NOT NULL,"                                                          \
  "  author TEXT NOT NULL,"                                                              \
  "  created_at " BIG " NOT NULL,"                                                       \
  "  updated_at " BIG " NOT NULL,"                                                       \
  "  published_at " BIG " NOT NULL DEFAULT 0);"                                          \
  "CREATE INDEX kb_articles_published ON kb_articles(published, id);"                    \
  "CREATE TABLE kb_versions("                                                            \
  "  article_id " BIG " NOT NULL REFERENCES kb_articles(id),"                            \
  "  version INTEGER NOT NULL,"                                                          \
  "  title TEXT NOT NULL,"                                                               \
  "  body TEXT NOT NULL,"                                                                \
  "  category TEXT NOT NULL,"                                                            \
  "  tags TEXT NOT NULL,"                                                                \
  "  author TEXT NOT NULL,"                                                              \
  "  at " BIG " NOT NULL,"                                                               \
  "  PRIMARY KEY (article_id, version));"

/* 26 (chat, issue 22; docs/chat.md): the web chat's conversations and their messages.
 * A chat names the citizen by the session token's hash (token_hash), a signed-in
 * citizen's address by its blind index (citizen_bidx) and sealed (citizen); its texts
 * are sealed under the chat's own data key (key_id). The same SQL on both stores but
 * for the id column. */
#define STEP_26_CHAT(ID) \
  "CREATE TABLE chats(" \
  "  id " ID "," \
  "  token_hash TEXT NOT NULL UNIQUE," \
  "  status TEXT NOT NULL CHECK (status IN ('bot', 'waiting', 'active', 'closed'))," \
  "  operator TEXT NOT NULL DEFAULT ''," \
  "  citizen_bidx TEXT NOT NULL DEFAULT ''," \
  "  citizen TEXT NOT NULL DEFAULT ''," \
  "  key_id BIGINT NOT NULL DEFAULT 0," \
  "  number TEXT NOT NULL DEFAULT ''," \
  "  created_at BIGINT NOT NULL," \
  "  updated_at BIGINT NOT NULL);" \
  "CREATE INDEX chats_status ON chats(status, id);" \
  "CREATE INDEX chats_citizen ON chats(citizen_bidx) WHERE citizen_bidx <> '';" \
  "CREATE TABLE chat_messages(" \
  "  id " ID "," \
  "  chat_id BIGINT NOT NULL REFERENCES chats(id)," \
  "  author TEXT NOT NULL CHECK (author IN ('citizen', 'bot', 'operator', 'system'))," \
  "  operator TEXT NOT NULL DEFAULT ''," \
  "  text TEXT NOT NULL," \
  "  created_at BIGINT NOT NULL);" \
  "CREATE INDEX chat_messages_chat ON chat_messages(chat_id, id);"

/* 25 (rollup, issue 20 item 4; store/rollup.h, docs/metrics.md "Cost"): stats_daily, the
 * dashboard's counts per Moscow day of receipt and (department, channel, category, kind,
 * sla_class), kept by triggers on appeals in the transaction that changes the appeal:
 * an insert adds the row's contribution, a delete takes it away, an update that touches
 * a column read here takes the old row's away and adds the new one's. Every flag the
 * figures need is on the appeal row already (migration 20's trigger on events sets them
 * in the same transaction); the rating is copied onto the row (appeals.rating, 0: none)
 * by triggers on ratings. The step fills the table from the rows there. Three partial
 * indexes serve what stays live: the open appeals past a deadline the scheduler has not
 * flagged yet (a figure of "now"), the appeals sent for clarification, and the rating
 * comments newest first.
 * stats_hours holds the histograms of the time to the first answer and to closing in
 * working hours (store/rollup_sql.h), kept by the same triggers; the calendar they are
 * counted on (stats_workdays) is written, and stats_hours rebuilt, by store/rollup.c
 * when the calendar okno reads differs from the one stored (meta 'stats_calendar': ''
 * after this step, so the first read fills them). */
/* ROLL_DAY, ROLL_FLAG, ROLL_KEY, ROLL_COLS, ROLL_DAILY_FILL: store/rollup_sql.h. */
/* The contribution of row R (NEW, OLD, or appeals itself in the fill) times S. */
#define ROLL_VALUES(R, S)                                                                  \
  S ", " S " * " ROLL_FLAG(R "answered = 1") ", "                                          \
  S " * " ROLL_FLAG(R "answered = 1 AND " R "overdue = 0") ", "                            \
  S " * " ROLL_FLAG(R "overdue = 1") ", "                                                  \
  S " * " ROLL_FLAG(R "status IN ('new', 'in_progress', 'needs_clarification')") ", "      \
  S " * " ROLL_FLAG(R "reopened = 1") ", " S " * " ROLL_FLAG(R "related <> ''") ", "       \
  S " * " ROLL_FLAG(R "clarifications > 0") ", " S " * " R "clarifications, "              \
  S " * " ROLL_FLAG(R "forwarded = 1") ", " S " * " ROLL_FLAG(R "forwarded_in_time = 1") ", " \
  S " * " ROLL_FLAG(R "answered_first_at <> 0 AND " R "answered_first_at <= "              \
                    R "received_at + 2592000000000") ", "                                  \
  S " * " ROLL_FLAG(R "extensions > 0") ", " S " * " ROLL_FLAG(R "rating > 0") ", "        \
  S " * " ROLL_FLAG(R "rating = 1") ", " S " * " ROLL_FLAG(R "rating = 2") ", "            \
  S " * " ROLL_FLAG(R "rating = 3") ", " S " * " ROLL_FLAG(R "rating = 4") ", "            \
  S " * " ROLL_FLAG(R "rating = 5")
#define ROLL_SUM(c) c " = stats_daily." c " + excluded." c
#define ROLL_UPSERT ROLL_UPSERT_CLAUSE ";"
/* The upsert's clause alone (step 45's statement of several parts). */
#define ROLL_UPSERT_CLAUSE                                                                 \
  " ON CONFLICT(" ROLL_KEY ") DO UPDATE SET " ROLL_SUM("received") ", "                   \
  ROLL_SUM("answered") ", " ROLL_SUM("on_time") ", " ROLL_SUM("overdue") ", "              \
  ROLL_SUM("open") ", " ROLL_SUM("reopened") ", " ROLL_SUM("repeated") ", "                \
  ROLL_SUM("clarified") ", " ROLL_SUM("clarifications") ", " ROLL_SUM("forwarded") ", "    \
  ROLL_SUM("forwarded_in_time") ", " ROLL_SUM("answered_30") ", " ROLL_SUM("extended") ", " \
  ROLL_SUM("rated") ", " ROLL_SUM("r1") ", " ROLL_SUM("r2") ", " ROLL_SUM("r3") ", "       \
  ROLL_SUM("r4") ", " ROLL_SUM("r5")
/* One trigger statement: row R's contribution times S (R is NEW or OLD). */
#define ROLL_ROW(R, S)                                                                     \
  "INSERT INTO stats_daily(" ROLL_KEY ", " ROLL_COLS ") VALUES(" ROLL_DAY(R) ", "         \
  R ".department, " R ".channel, " R ".category, " R ".kind, " R ".sla_class, "            \
  ROLL_VALUES(R ".", S) ")" ROLL_UPSERT
/* The columns an update must touch to move the appeal's contribution. */
#define ROLL_CHANGED                                                                       \
  "OLD.received_at <> NEW.received_at OR OLD.department <> NEW.department OR"              \
  " OLD.channel <> NEW.channel OR OLD.category <> NEW.category OR OLD.kind <> NEW.kind OR" \
  " OLD.sla_class <> NEW.sla_class OR OLD.status <> NEW.status OR"                         \
  " OLD.answered <> NEW.answered OR OLD.overdue <> NEW.overdue OR"                         \
  " OLD.reopened <> NEW.reopened OR OLD.related <> NEW.related OR"                         \
  " OLD.clarifications <> NEW.clarifications OR OLD.forwarded <> NEW.forwarded OR"         \
  " OLD.forwarded_in_time <> NEW.forwarded_in_time OR"                                     \
  " OLD.answered_first_at <> NEW.answered_first_at OR OLD.extensions <> NEW.extensions OR" \
  " OLD.rating <> NEW.rating OR OLD.closed_first_at <> NEW.closed_first_at"
#define ROLL_TABLE(BIG)                                                                    \
  "ALTER TABLE appeals ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;"                      \
  "UPDATE appeals SET rating = (SELECT r.score FROM ratings r WHERE r.appeal_id = appeals.id)" \
  " WHERE id IN (SELECT appeal_id FROM ratings);"                                          \
  "CREATE TABLE stats_daily(day " BIG " NOT NULL, department TEXT NOT NULL,"               \
  "  channel TEXT NOT NULL, category TEXT NOT NULL, kind TEXT NOT NULL,"                   \
  "  sla_class TEXT NOT NULL,"                                                             \
  "  received " BIG " NOT NULL, answered " BIG " NOT NULL, on_time " BIG " NOT NULL,"      \
  "  overdue " BIG " NOT NULL, open " BIG " NOT NULL, reopened " BIG " NOT NULL,"          \
  "  repeated " BIG " NOT NULL, clarified " BIG " NOT NULL, clarifications " BIG " NOT NULL," \
  "  forwarded " BIG " NOT NULL, forwarded_in_time " BIG " NOT NULL,"                      \
  "  answered_30 " BIG " NOT NULL, extended " BIG " NOT NULL, rated " BIG " NOT NULL,"     \
  "  r1 " BIG " NOT NULL, r2 " BIG " NOT NULL, r3 " BIG " NOT NULL, r4 " BIG " NOT NULL,"  \
  "  r5 " BIG " NOT NULL, PRIMARY KEY (" ROLL_KEY "));"                                    \
  ROLL_DAILY_FILL                                                                          \
  "CREATE INDEX appeals_late_open ON appeals(received_at, deadline, department, channel,"  \
  "  category, kind, sla_class, status, overdue)"                                          \
  "  WHERE " OKNO_OPEN_SQL " AND overdue = 0 AND deadline <> 0;"                          \
  "CREATE INDEX appeals_clarified ON appeals(received_at) WHERE clarifications > 0;"    \
  "CREATE INDEX ratings_recent ON ratings(created_at, appeal_id) WHERE comment <> '';"   \
  "CREATE TABLE stats_workdays(day " BIG " PRIMARY KEY, cum " BIG " NOT NULL,"              \
  "  open_us " BIG " NOT NULL, close_us " BIG " NOT NULL);"                                \
  "CREATE TABLE stats_hours(day " BIG " NOT NULL, department TEXT NOT NULL,"              \
  "  channel TEXT NOT NULL, category TEXT NOT NULL, kind TEXT NOT NULL,"                   \
  "  sla_class TEXT NOT NULL, what INTEGER NOT NULL, bucket INTEGER NOT NULL,"             \
  "  n " BIG " NOT NULL, PRIMARY KEY (" ROLL_HOURS_KEY "));"                               \
  "INSERT INTO meta(key, value) VALUES('stats_calendar', '');"

/* 28 (incident, issue 19 item 5; store/incidents.h, docs/incidents.md): mass incidents,
 * their appeals (a removed one keeps its row, so the detection never puts it back), and
 * the detection pass's guard (one pass at a time across nodes). */
#define STEP_28_INCIDENTS(ID, BIG)                                                         \
  "CREATE TABLE incidents("                                                                \
  "  id " ID " PRIMARY KEY,"                                                               \
  "  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),"            \
  "  department TEXT NOT NULL DEFAULT '',"                                                 \
  "  first_appeal " BIG " NOT NULL REFERENCES appeals(id),"                                \
  "  appeals INTEGER NOT NULL DEFAULT 0,"                                                  \
  "  window_count INTEGER NOT NULL,"                                                       \
  "  usual_milli " BIG " NOT NULL,"                                                        \
  "  created_at " BIG " NOT NULL,"                                                         \
  "  updated_at " BIG " NOT NULL,"                                                         \
  "  closed_at " BIG " NOT NULL DEFAULT 0,"                                                \
  "  closed_by TEXT NOT NULL DEFAULT '',"                                                  \
  "  answered_at " BIG " NOT NULL DEFAULT 0);"                                             \
  "CREATE INDEX incidents_status ON incidents(status, id);"                                \
  "CREATE TABLE incident_appeals("                                                         \
  "  incident_id " BIG " NOT NULL REFERENCES incidents(id),"                               \
  "  appeal_id " BIG " NOT NULL REFERENCES appeals(id),"                                   \
  "  removed INTEGER NOT NULL DEFAULT 0,"                                                  \
  "  added_by TEXT NOT NULL,"                                                              \
  "  added_at " BIG " NOT NULL,"                                                           \
  "  PRIMARY KEY (incident_id, appeal_id));"                                               \
  "CREATE INDEX incident_appeals_appeal ON incident_appeals(appeal_id);"                   \
  "CREATE TABLE incident_state(one INTEGER PRIMARY KEY CHECK (one = 1),"                   \
  "  ran_at " BIG " NOT NULL);"                                                            \
  "INSERT INTO incident_state(one, ran_at) VALUES(1, 0);"

/* Step 45 (pgserver, issue 18 item 2): fewer indexes written per new appeal, each
 * query keeping an index that serves it.
 * - appeals_stats (received_at, then the 19 columns the dashboard reads; step 20) and
 *   appeals_k_recv (received_at, id; step 10, the "all" queue's order) led with the
 *   same column: one index now, appeals_k_recv, (received_at, id) and the 19 columns
 *   (SQLite: as key columns; PostgreSQL: INCLUDE, not part of the key), so the queue
 *   reads it in (received_at, id) order as before and the dashboard's statements read
 *   the period's range of it alone as they read appeals_stats.
 * - outbound_due (state, next_attempt_at) and outbound_due_transport (transport, state,
 *   next_attempt_at) indexed every row, sent or failed too, and a row's move to 'sent'
 *   wrote both again: one partial index of the queued rows, outbound_queued (transport,
 *   next_attempt_at) WHERE state = 'queued', serves the claims (transport, queued, due;
 *   store/outbound.c, outbound_msg.c), the release of a node's leases and the report's
 *   count of the queued rows (store/report.c), and a sent row leaves nothing in it. */
#define STATS_COVERED                                                                      \
  "kind, department, channel, category, sla_class, status, queue, answered, overdue,"      \
  " deadline, assignee, extensions, answered_first_at, closed_first_at, clarifications,"   \
  " reopened, forwarded, forwarded_in_time, related"
#define STEP_45_INDEXES(K_RECV)                                                            \
  "DROP INDEX appeals_stats;"                                                              \
  "DROP INDEX appeals_k_recv;"                                                             \
  "CREATE INDEX appeals_k_recv ON appeals" K_RECV ";"                                      \
  "DROP INDEX outbound_due;"                                                               \
  "DROP INDEX outbound_due_transport;"                                                     \
  "CREATE INDEX outbound_queued ON outbound(transport, next_attempt_at)"                   \
  " WHERE state = 'queued';"

static const char *const sqlite_steps[] = {
  /* 1: the registry, its messages, attachments, events and the outbound queue. */
  "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "INSERT INTO meta(key, value) VALUES('instance', lower(hex(randomblob(8))));"
  "CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
  "CREATE TABLE appeals("
  "  id INTEGER PRIMARY KEY,"
  "  number TEXT NOT NULL UNIQUE,"
  "  status TEXT NOT NULL,"
  "  channel TEXT NOT NULL,"
  "  queue TEXT NOT NULL DEFAULT '',"
  "  subject TEXT NOT NULL DEFAULT '',"
  "  from_name TEXT NOT NULL DEFAULT '',"
  "  from_email TEXT NOT NULL DEFAULT '',"
  "  phone TEXT NOT NULL DEFAULT '',"
  "  category TEXT NOT NULL DEFAULT '',"
  "  related TEXT NOT NULL DEFAULT '',"
  "  received_at INTEGER NOT NULL,"
  "  deadline INTEGER NOT NULL DEFAULT 0,"
  "  updated_at INTEGER NOT NULL);"
  "CREATE INDEX appeals_from ON appeals(from_email);"
  "CREATE INDEX appeals_status ON appeals(status);"
  "CREATE TABLE messages("
  "  id INTEGER PRIMARY KEY,"
  "  appeal_id INTEGER NOT NULL REFERENCES appeals(id),"
  "  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
  "  message_id TEXT NOT NULL DEFAULT '',"
  "  sender TEXT NOT NULL DEFAULT '',"
  "  recipient TEXT NOT NULL DEFAULT '',"
  "  subject TEXT NOT NULL DEFAULT '',"
  "  text TEXT NOT NULL DEFAULT '',"
  "  content_hash TEXT NOT NULL DEFAULT '',"
  "  automatic INTEGER NOT NULL DEFAULT 0,"
  "  meta TEXT NOT NULL DEFAULT '{}',"
  "  raw BLOB NOT NULL,"
  "  created_at INTEGER NOT NULL);"
  "CREATE INDEX messages_appeal ON messages(appeal_id);"
  "CREATE INDEX messages_msgid ON messages(message_id) WHERE message_id <> '';"
  "CREATE INDEX messages_hash ON messages(sender, content_hash) WHERE content_hash <> '';"
  "CREATE TABLE attachments("
  "  id INTEGER PRIMARY KEY,"
  "  message_ref INTEGER NOT NULL REFERENCES messages(id),"
  "  filename TEXT NOT NULL,"
  "  declared_type TEXT NOT NULL,"
  "  content_type TEXT NOT NULL,"
  "  size INTEGER NOT NULL,"
  "  sha256 TEXT NOT NULL,"
  "  refused TEXT,"
  "  data BLOB);"
  "CREATE INDEX attachments_message ON attachments(message_ref);"
  "CREATE TABLE events("
  "  id INTEGER PRIMARY KEY,"
  "  appeal_id INTEGER NOT NULL REFERENCES appeals(id),"
  "  at INTEGER NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  detail TEXT NOT NULL DEFAULT '{}');"
  "CREATE INDEX events_appeal ON events(appeal_id);"
  "CREATE TABLE outbound("
  "  id INTEGER PRIMARY KEY,"
  "  appeal_id INTEGER NOT NULL REFERENCES appeals(id),"
  "  message_ref INTEGER NOT NULL REFERENCES messages(id),"
  "  env_from TEXT NOT NULL,"
  "  env_to TEXT NOT NULL,"
  "  automatic INTEGER NOT NULL DEFAULT 0,"
  "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_attempt_at INTEGER NOT NULL,"
  "  lease_until INTEGER NOT NULL DEFAULT 0,"
  "  lease_owner TEXT NOT NULL DEFAULT '',"
  "  last_error TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  sent_at INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX outbound_due ON outbound(state, next_attempt_at);"
  "CREATE INDEX outbound_auto ON outbound(env_to, created_at) WHERE automatic = 1;",

  /* 2: full-text search (docs/search.md). One FTS5 row per appeal, rowid = appeal id:
   * its subject, its messages' texts (both directions, but not automatic mail such as
   * receipts, whose boilerplate every appeal shares) and its attachments' file names,
   * tokenized by okno_ru (src/text/tokenizer.c, registered on every connection).
   * Triggers keep it in step with every write: a message (unless automatic, e.g. a
   * receipt: messages.automatic) or attachment appends to the row; the rare changes
   * of messages rebuild it. */
#define SQLITE_FTS_REBUILD(where)                                                       \
  "  UPDATE appeal_fts SET"                                                             \
  "    texts = coalesce((SELECT group_concat(m.text, char(10)) FROM messages m"          \
  "      WHERE m.appeal_id = appeal_fts.rowid AND m.automatic = 0), ''),"                \
  "    files = coalesce((SELECT group_concat(t.filename, char(10)) FROM attachments t"   \
  "      JOIN messages m ON m.id = t.message_ref"                                        \
  "      WHERE m.appeal_id = appeal_fts.rowid), '')"                                     \
  "  " where ";"
  "CREATE VIRTUAL TABLE appeal_fts USING fts5(subject, texts, files, tokenize = 'okno_ru');"
  "INSERT INTO appeal_fts(rowid, subject, texts, files) SELECT id, subject, '', '' FROM appeals;"
  SQLITE_FTS_REBUILD("")
  "CREATE TRIGGER appeal_fts_appeal AFTER INSERT ON appeals BEGIN"
  "  INSERT INTO appeal_fts(rowid, subject, texts, files) VALUES(new.id, new.subject, '', '');"
  "END;"
  "CREATE TRIGGER appeal_fts_subject AFTER UPDATE OF subject ON appeals BEGIN"
  "  UPDATE appeal_fts SET subject = new.subject WHERE rowid = new.id;"
  "END;"
  "CREATE TRIGGER appeal_fts_appeal_gone AFTER DELETE ON appeals BEGIN"
  "  DELETE FROM appeal_fts WHERE rowid = old.id;"
  "END;"
  "CREATE TRIGGER appeal_fts_message AFTER INSERT ON messages WHEN new.automatic = 0 BEGIN"
  "  UPDATE appeal_fts SET texts = texts || char(10) || new.text WHERE rowid = new.appeal_id;"
  "END;"
  "CREATE TRIGGER appeal_fts_attachment AFTER INSERT ON attachments BEGIN"
  "  UPDATE appeal_fts SET files = files || char(10) || new.filename"
  "  WHERE rowid = (SELECT appeal_id FROM messages WHERE id = new.message_ref);"
  "END;"
  "CREATE TRIGGER appeal_fts_message_changed AFTER UPDATE OF appeal_id, text ON messages BEGIN"
  SQLITE_FTS_REBUILD("WHERE rowid IN (old.appeal_id, new.appeal_id)")
  "END;"
  "CREATE TRIGGER appeal_fts_message_gone AFTER DELETE ON messages BEGIN"
  SQLITE_FTS_REBUILD("WHERE rowid = old.appeal_id")
  "END;"
  "CREATE TRIGGER appeal_fts_attachment_changed AFTER UPDATE OF filename, message_ref"
  "  ON attachments BEGIN"
  SQLITE_FTS_REBUILD("WHERE rowid IN (SELECT appeal_id FROM messages"
                     "  WHERE id IN (old.message_ref, new.message_ref))")
  "END;"
  "CREATE TRIGGER appeal_fts_attachment_gone AFTER DELETE ON attachments BEGIN"
  SQLITE_FTS_REBUILD("WHERE rowid = (SELECT appeal_id FROM messages WHERE id = old.message_ref)")
  "END;",
#undef SQLITE_FTS_REBUILD
  /* 3: staff accounts, departments and routing (docs/security.md, issue 4).
   * users: one row per staff account (Argon2id hash, TOTP secret and the step of the
   * last accepted code for replay protection, lock-out state); user_departments: the
   * departments a user works in (a supervisor supervises each of them);
   * recovery_codes: SHA-256 of the one-time codes, used_at 0 until used;
   * login_journal: every sign-in attempt (never a password or code);
   * departments: code, Russian name, parent (escalation "one level up");
   * routing_rules: applied in `position` order at registration.
   * appeals gain department ('' = the default triage queue), assignee (a user) and
   * version (optimistic locking: every update bumps it).
   * outbound may now carry mail that belongs to no appeal (a lock-out notice to a
   * staff member): appeal_id and message_ref become optional and the bytes then live
   * in mail_raw / mail_message_id. SQLite cannot drop NOT NULL, so the table is
   * rebuilt (nothing references it). */
  STAFF_TABLES("INTEGER", "INTEGER")
  "CREATE TABLE outbound_new("
  "  id INTEGER PRIMARY KEY,"
  "  appeal_id INTEGER REFERENCES appeals(id),"
  "  message_ref INTEGER REFERENCES messages(id),"
  "  env_from TEXT NOT NULL,"
  "  env_to TEXT NOT NULL,"
  "  automatic INTEGER NOT NULL DEFAULT 0,"
  "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_attempt_at INTEGER NOT NULL,"
  "  lease_until INTEGER NOT NULL DEFAULT 0,"
  "  lease_owner TEXT NOT NULL DEFAULT '',"
  "  last_error TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  sent_at INTEGER NOT NULL DEFAULT 0,"
  "  mail_message_id TEXT NOT NULL DEFAULT '',"
  "  mail_raw BLOB,"
  "  CHECK (message_ref IS NOT NULL OR mail_raw IS NOT NULL));"
  "INSERT INTO outbound_new(id, appeal_id, message_ref, env_from, env_to, automatic, state,"
  "  attempts, next_attempt_at, lease_until, lease_owner, last_error, created_at, sent_at)"
  "  SELECT id, appeal_id, message_ref, env_from, env_to, automatic, state, attempts,"
  "  next_attempt_at, lease_until, lease_owner, last_error, created_at, sent_at FROM outbound;"
  "DROP TABLE outbound;"
  "ALTER TABLE outbound_new RENAME TO outbound;"
  "CREATE INDEX outbound_due ON outbound(state, next_attempt_at);"
  "CREATE INDEX outbound_auto ON outbound(env_to, created_at) WHERE automatic = 1;",
  /* 4: SLA (docs/sla.md). Appeals get their kind (support request or formal appeal
   * under 59-FZ), priority and whether a supervisor confirmed it, their SLA class, the
   * overdue flag, the formal appeal's forwarding deadline, the number of extensions,
   * whether an answer was given, and the generation of their deadline (bumped whenever
   * it changes, so the jobs of an older deadline are told apart). The assignee is
   * step 3's appeals.assignee (a user; reminders go to that user's e-mail).
   * sla_jobs holds the scheduler's jobs: one row per (appeal, kind, generation),
   * claimed under a lease, done once. notify_settings: per contact address and event
   * type, whether the citizen wants the notification (no row: yes). */
  "ALTER TABLE appeals ADD COLUMN kind TEXT NOT NULL DEFAULT 'support';"
  "ALTER TABLE appeals ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';"
  "ALTER TABLE appeals ADD COLUMN priority_confirmed INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE appeals ADD COLUMN sla_class TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE appeals ADD COLUMN overdue INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE appeals ADD COLUMN forward_deadline INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE appeals ADD COLUMN extensions INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE appeals ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE appeals ADD COLUMN deadline_gen INTEGER NOT NULL DEFAULT 0;"
  "CREATE TABLE sla_jobs("
  "  id INTEGER PRIMARY KEY,"
  "  appeal_id INTEGER NOT NULL REFERENCES appeals(id),"
  "  kind TEXT NOT NULL CHECK (kind IN ('reminder', 'overdue', 'escalate')),"
  "  generation INTEGER NOT NULL,"
  "  due_at INTEGER NOT NULL,"
  "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'cancelled')),"
  "  lease_owner TEXT NOT NULL DEFAULT '',"
  "  lease_until INTEGER NOT NULL DEFAULT 0,"
  "  done_at INTEGER NOT NULL DEFAULT 0,"
  "  UNIQUE (appeal_id, kind, generation));"
  "CREATE INDEX sla_jobs_due ON sla_jobs(due_at) WHERE state = 'pending';"
  "CREATE TABLE notify_settings("
  "  email TEXT NOT NULL,"
  "  event TEXT NOT NULL,"
  "  enabled INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  PRIMARY KEY (email, event));",
  /* 5 (clam): phishing reports and the block list (docs/phishing.md).
   * phishing_list holds one row per reported sender domain or URL (normalised by
   * check/blocklist.h): whether it is blocked (used by check-mail and intake), how
   * many reports, who reported it first; phishing_reports keeps every report (who,
   * how, when). The check@ address's verdicts, mail of no appeal, use step 3's
   * outbound.mail_raw / mail_message_id. */
  "CREATE TABLE phishing_list("
  "  id INTEGER PRIMARY KEY,"
  "  kind TEXT NOT NULL CHECK (kind IN ('domain', 'url')),"
  "  value TEXT NOT NULL,"
  "  blocked INTEGER NOT NULL DEFAULT 0,"
  "  reports INTEGER NOT NULL DEFAULT 0,"
  "  reported_by TEXT NOT NULL DEFAULT '',"
  "  source TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  UNIQUE (kind, value));"
  "CREATE INDEX phishing_list_blocked ON phishing_list(blocked);"
  "CREATE TABLE phishing_reports("
  "  id INTEGER PRIMARY KEY,"
  "  entry_id INTEGER NOT NULL REFERENCES phishing_list(id),"
  "  reporter TEXT NOT NULL,"
  "  source TEXT NOT NULL,"
  "  action TEXT NOT NULL,"
  "  at INTEGER NOT NULL);"
  "CREATE INDEX phishing_reports_entry ON phishing_reports(entry_id);",
  /* 6: web (issue 3): sessions of signed-in citizens and staff (src/sec/session.h:
   * only the SHA-256 of the cookie token is kept), and single-use tokens (captcha
   * challenges) remembered until they expire so that a replay is refused. */
  "CREATE TABLE sessions("
  "  id INTEGER PRIMARY KEY,"
  "  token_hash TEXT NOT NULL UNIQUE,"
  "  kind TEXT NOT NULL CHECK (kind IN ('citizen', 'staff')),"
  "  subject TEXT NOT NULL,"
  "  csrf TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL,"
  "  last_seen INTEGER NOT NULL,"
  "  ip TEXT NOT NULL DEFAULT '',"
  "  user_agent TEXT NOT NULL DEFAULT '',"
  "  revoked_at INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX sessions_subject ON sessions(kind, subject);"
  "CREATE INDEX sessions_expiry ON sessions(expires_at);"
  "CREATE TABLE used_tokens(id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);"
  "CREATE INDEX used_tokens_expiry ON used_tokens(expires_at);",
  /* 7: the cabinet (issue 3; src/store/cabinet.h): one-time sign-in codes (only an
   * HMAC of the code is kept), ratings (one per appeal), address moves (the citizen's
   * cabinet moved from one e-mail to another), and an index for the list of a contact's
   * appeals. Notification settings are step 4's notify_settings; sign-in codes and
   * address-change notices are outbound mail of no appeal (step 3's mail_raw). */
  "CREATE TABLE login_codes("
  "  id INTEGER PRIMARY KEY,"
  "  email TEXT NOT NULL,"
  "  purpose TEXT NOT NULL CHECK (purpose IN ('login', 'change')),"
  "  owner TEXT NOT NULL DEFAULT '',"
  "  code_hash TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  used_at INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX login_codes_email ON login_codes(email, purpose);"
  "CREATE TABLE ratings("
  "  appeal_id INTEGER PRIMARY KEY REFERENCES appeals(id),"
  "  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),"
  "  comment TEXT NOT NULL DEFAULT '',"
  "  email TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL);"
  "CREATE TABLE contact_moves(email TEXT PRIMARY KEY, moved_to TEXT NOT NULL, at INTEGER NOT NULL);"
  "CREATE INDEX contact_moves_to ON contact_moves(moved_to);"
  "CREATE INDEX appeals_from_received ON appeals(from_email, received_at);",
  /* 8 (console): answer templates per department (a mustache body with {{name}}
   * {{number}} {{received}} {{deadline}} {{operator}}; src/web/console.c). */
  "CREATE TABLE answer_templates("
  "  id INTEGER PRIMARY KEY,"
  "  department TEXT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  body TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  UNIQUE (department, name));",
  /* 9 (oidc; src/store/oidc.h): the confirmed identity behind a citizen session signed in
   * with the portal's OpenID Connect provider: issuer + subject, the name, the verified
   * e-mail (the session's subject) and SNILS when the provider gives it. One row per
   * session; it goes when the session row goes. */
  "CREATE TABLE oidc_identities("
  "  session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,"
  "  issuer TEXT NOT NULL,"
  "  subject TEXT NOT NULL,"
  "  name TEXT NOT NULL DEFAULT '',"
  "  email TEXT NOT NULL,"
  "  snils TEXT NOT NULL DEFAULT '',"
  "  created_at BIGINT NOT NULL);"
  "CREATE INDEX oidc_identities_subject ON oidc_identities(issuer, subject);",
  /* 10 (paging, issue 23): the sort key `due`, the queue indexes and appeal_counts
   * (see PAGING_INDEXES above); the counts follow every insert, delete and change of
   * department, status, assignee or queue by triggers. */
  "ALTER TABLE appeals ADD COLUMN due INTEGER GENERATED ALWAYS AS"
  "  (CASE WHEN deadline = 0 THEN 9223372036854775807 ELSE deadline END) VIRTUAL;"
  PAGING_INDEXES("INTEGER")
  "CREATE TRIGGER appeal_counts_insert AFTER INSERT ON appeals BEGIN "
  COUNT_ROW("new", "1") " END;"
  "CREATE TRIGGER appeal_counts_delete AFTER DELETE ON appeals BEGIN "
  COUNT_ROW("old", "-1") " END;"
  "CREATE TRIGGER appeal_counts_update AFTER UPDATE OF department, status, assignee, queue"
  "  ON appeals WHEN old.department IS NOT new.department OR old.status IS NOT new.status"
  "  OR old.assignee IS NOT new.assignee OR old.queue IS NOT new.queue BEGIN "
  COUNT_ROW("old", "-1") COUNT_ROW("new", "1") " END;",
  /* 11 (journal, issue 14; store/journal.h, docs/journal.md): the leaves of the
   * tamper-evident journal (seq 1, 2, ... with no gap, from journal_state's one row),
   * the signed tree heads, and the highest ids of the facts that existed before the
   * journal did (verify does not ask for their leaves). */
  "CREATE TABLE journal("
  "  seq INTEGER PRIMARY KEY,"
  "  kind TEXT NOT NULL,"
  "  ref TEXT NOT NULL,"
  "  ref_id INTEGER NOT NULL,"
  "  appeal_id INTEGER NOT NULL DEFAULT 0,"
  "  number TEXT NOT NULL DEFAULT '',"
  "  at INTEGER NOT NULL,"
  "  entry BLOB NOT NULL,"
  "  leaf BLOB NOT NULL);"
  "CREATE INDEX journal_ref ON journal(ref, ref_id, seq);"
  "CREATE TABLE journal_state("
  "  one INTEGER PRIMARY KEY CHECK (one = 1),"
  "  size INTEGER NOT NULL,"
  "  appeals_before INTEGER NOT NULL,"
  "  messages_before INTEGER NOT NULL,"
  "  events_before INTEGER NOT NULL);"
  "INSERT INTO journal_state VALUES(1, 0, (SELECT coalesce(max(id), 0) FROM appeals),"
  "  (SELECT coalesce(max(id), 0) FROM messages), (SELECT coalesce(max(id), 0) FROM events));"
  "CREATE TABLE journal_heads("
  "  size INTEGER PRIMARY KEY,"
  "  root BLOB NOT NULL,"
  "  at INTEGER NOT NULL,"
  "  key_id TEXT NOT NULL,"
  "  signature BLOB NOT NULL,"
  "  frontier BLOB NOT NULL);"
  /* The leaf's insert counts itself, in the same statement (store/journal.c). */
  "CREATE TRIGGER journal_count AFTER INSERT ON journal BEGIN"
  "  UPDATE journal_state SET size = size + 1; END;",
  /* 12 (spam, issue 16): the spam hold (SPAM_HOLD_INDEXES above) and the counting
   * triggers that put it beside quarantine. */
  "DROP TRIGGER appeal_counts_insert;"
  "DROP TRIGGER appeal_counts_delete;"
  "DROP TRIGGER appeal_counts_update;"
  SPAM_HOLD_INDEXES
  "CREATE TRIGGER appeal_counts_insert AFTER INSERT ON appeals BEGIN "
  COUNT_ROW_12("new", "1") " END;"
  "CREATE TRIGGER appeal_counts_delete AFTER DELETE ON appeals BEGIN "
  COUNT_ROW_12("old", "-1") " END;"
  "CREATE TRIGGER appeal_counts_update AFTER UPDATE OF department, status, assignee, queue"
  "  ON appeals WHEN old.department IS NOT new.department OR old.status IS NOT new.status"
  "  OR old.assignee IS NOT new.assignee OR old.queue IS NOT new.queue BEGIN "
  COUNT_ROW_12("old", "-1") COUNT_ROW_12("new", "1") " END;",
  /* 13 (crypto, issue 15; store/keys.h, docs/crypto.md): the appeals' data keys,
   * wrapped under a key epoch of the key file (never in clear here), and the key each
   * appeal's values are sealed under (0: written clear, before encryption was on). */
  "CREATE TABLE data_keys("
  "  id INTEGER PRIMARY KEY,"
  "  epoch INTEGER NOT NULL,"
  "  wrapped BLOB NOT NULL,"
  "  created_at INTEGER NOT NULL);"
  "CREATE INDEX data_keys_epoch ON data_keys(epoch);"
  "ALTER TABLE appeals ADD COLUMN key_id INTEGER NOT NULL DEFAULT 0;"
  BLIND_INDEXES,
  /* 14 (retention, issue 15): RETENTION_TABLES above. */
  RETENTION_TABLES("INTEGER", "INTEGER", "BLOB"),
  /* 15 (evidence, issue 14; store/access.h, store/journal.h): the staff access
   * journal (every read of an appeal, a file, an original or unmasked personal data,
   * each with its journal leaf), the results of the daily `journal verify`, and the
   * journal's public keys (old keys stay, so heads signed before a rotation verify). */
  "CREATE TABLE access_log("
  "  id INTEGER PRIMARY KEY,"
  "  at INTEGER NOT NULL,"
  "  user_id INTEGER NOT NULL,"
  "  login TEXT NOT NULL,"
  "  role TEXT NOT NULL,"
  "  department TEXT NOT NULL DEFAULT '',"
  "  ip TEXT NOT NULL DEFAULT '',"
  "  action TEXT NOT NULL,"
  "  appeal_id INTEGER NOT NULL,"
  "  detail TEXT NOT NULL DEFAULT '');"
  "CREATE INDEX access_log_appeal ON access_log(appeal_id, id);"
  "CREATE INDEX access_log_user ON access_log(user_id, id);"
  "CREATE TABLE journal_verifications("
  "  id INTEGER PRIMARY KEY,"
  "  at INTEGER NOT NULL,"
  "  intact INTEGER NOT NULL,"
  "  size INTEGER NOT NULL,"
  "  signed_size INTEGER NOT NULL,"
  "  problems INTEGER NOT NULL,"
  "  report TEXT NOT NULL);"
  "CREATE TABLE journal_keys("
  "  key_id TEXT PRIMARY KEY,"
  "  public_key BLOB NOT NULL,"
  "  added_at INTEGER NOT NULL);",
  /* 16 (search over keyed hashes, issue 15; store/terms.h): the index holds keyed
   * hashes of stems, never words. Each indexed text gets a terms column that okno
   * fills when it writes the row (the texts themselves are sealed from now on), and
   * the index is made again over those columns with FTS5's ascii tokenizer (a term is
   * 16 letters a-p). Existing rows get their terms at the next okno_store_open
   * (okno_store_search_prepare, search_state.key_check '' until then). */
#define SQLITE_FTS_REBUILD(where)                                                       \
  "  UPDATE appeal_fts SET"                                                             \
  "    texts = coalesce((SELECT group_concat(m.text_terms, char(10)) FROM messages m"    \
  "      WHERE m.appeal_id = appeal_fts.rowid AND m.automatic = 0), ''),"                \
  "    files = coalesce((SELECT group_concat(t.filename_terms, char(10))"                \
  "      FROM attachments t JOIN messages m ON m.id = t.message_ref"                     \
  "      WHERE m.appeal_id = appeal_fts.rowid), '')"                                     \
  "  " where ";"
  "ALTER TABLE appeals ADD COLUMN subject_terms TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE messages ADD COLUMN text_terms TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE attachments ADD COLUMN filename_terms TEXT NOT NULL DEFAULT '';"
  "CREATE TABLE search_state("
  "  one INTEGER PRIMARY KEY CHECK (one = 1),"
  "  key_check TEXT NOT NULL);"
  "INSERT INTO search_state VALUES(1, '');"
  "DROP TRIGGER appeal_fts_appeal;"
  "DROP TRIGGER appeal_fts_subject;"
  "DROP TRIGGER appeal_fts_appeal_gone;"
  "DROP TRIGGER appeal_fts_message;"
  "DROP TRIGGER appeal_fts_attachment;"
  "DROP TRIGGER appeal_fts_message_changed;"
  "DROP TRIGGER appeal_fts_message_gone;"
  "DROP TRIGGER appeal_fts_attachment_changed;"
  "DROP TRIGGER appeal_fts_attachment_gone;"
  "DROP TABLE appeal_fts;"
  "CREATE VIRTUAL TABLE appeal_fts USING fts5(subject, texts, files, tokenize = 'ascii');"
  "INSERT INTO appeal_fts(rowid, subject, texts, files) SELECT id, '', '', '' FROM appeals;"
  "CREATE TRIGGER appeal_fts_appeal AFTER INSERT ON appeals BEGIN"
  "  INSERT INTO appeal_fts(rowid, subject, texts, files)"
  "  VALUES(new.id, new.subject_terms, '', '');"
  "END;"
  "CREATE TRIGGER appeal_fts_subject AFTER UPDATE OF subject_terms ON appeals BEGIN"
  "  UPDATE appeal_fts SET subject = new.subject_terms WHERE rowid = new.id;"
  "END;"
  "CREATE TRIGGER appeal_fts_appeal_gone AFTER DELETE ON appeals BEGIN"
  "  DELETE FROM appeal_fts WHERE rowid = old.id;"
  "END;"
  "CREATE TRIGGER appeal_fts_message AFTER INSERT ON messages WHEN new.automatic = 0 BEGIN"
  "  UPDATE appeal_fts SET texts = texts || char(10) || new.text_terms"
  "  WHERE rowid = new.appeal_id;"
  "END;"
  "CREATE TRIGGER appeal_fts_attachment AFTER INSERT ON attachments BEGIN"
  "  UPDATE appeal_fts SET files = files || char(10) || new.filename_terms"
  "  WHERE rowid = (SELECT appeal_id FROM messages WHERE id = new.message_ref);"
  "END;"
  "CREATE TRIGGER appeal_fts_message_changed AFTER UPDATE OF appeal_id, text_terms"
  "  ON messages BEGIN"
  SQLITE_FTS_REBUILD("WHERE rowid IN (old.appeal_id, new.appeal_id)")
  "END;"
  "CREATE TRIGGER appeal_fts_message_gone AFTER DELETE ON messages BEGIN"
  SQLITE_FTS_REBUILD("WHERE rowid = old.appeal_id")
  "END;"
  "CREATE TRIGGER appeal_fts_attachment_changed AFTER UPDATE OF filename_terms, message_ref"
  "  ON attachments BEGIN"
  SQLITE_FTS_REBUILD("WHERE rowid IN (SELECT appeal_id FROM messages"
                     "  WHERE id IN (old.message_ref, new.message_ref))")
  "END;"
  "CREATE TRIGGER appeal_fts_attachment_gone AFTER DELETE ON attachments BEGIN"
  SQLITE_FTS_REBUILD("WHERE rowid = (SELECT appeal_id FROM messages WHERE id = old.message_ref)")
  "END;",
#undef SQLITE_FTS_REBUILD
  /* 17 (stats, issue 20; store/stats.h): the weeks whose report mail went out to the
   * departments' supervisors, so that one node sends it once a week; the formal
   * appeals' classifier codes. */
  "CREATE TABLE stats_mail_weeks(week INTEGER PRIMARY KEY, sent_at INTEGER NOT NULL);"
  /* and the typical thematic classifier's code an operator set on a formal appeal */
  "CREATE TABLE appeal_themes(appeal_id INTEGER PRIMARY KEY REFERENCES appeals(id),"
  "  code TEXT NOT NULL, set_at INTEGER NOT NULL, set_by TEXT NOT NULL DEFAULT '');",
  /* 18 (desk, issue 21; store/filters.h, store/queue.h): an operator's saved queue
   * filters, and the indexes of the queue's column orders (not the subject's: it is
   * sealed since step 16, so its order means nothing). */
  "CREATE TABLE saved_filters("
  "  id INTEGER PRIMARY KEY,"
  "  user_id INTEGER NOT NULL,"
  "  name TEXT NOT NULL,"
  "  query TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  UNIQUE (user_id, name));"
  /* the console's column orders (store/queue.h OknoColumn): each read in order and
   * stopped after a page, not sorted (number has its UNIQUE index) */
  "CREATE INDEX appeals_col_channel ON appeals(channel, id);"
  "CREATE INDEX appeals_col_status ON appeals(status, id);"
  "CREATE INDEX appeals_col_department ON appeals(department, id);"
  "CREATE INDEX appeals_col_assignee ON appeals(coalesce(assignee, 0), id);",
  /* 19 (classify, issue 19; store/classify.h, docs/classify.md): the classifier's
   * models (the saved form of text/classify.h, versioned) and training examples
   * (imported texts sealed under one data key per import; operators' decisions by
   * appeal, never a copy of the text), and the appeals the model routed by itself
   * (corrected: staff moved them elsewhere later). */
  "CREATE TABLE classify_models("
  "  name TEXT PRIMARY KEY,"
  "  model BLOB NOT NULL,"
  "  version INTEGER NOT NULL,"
  "  examples INTEGER NOT NULL,"
  "  last_example INTEGER NOT NULL,"
  "  trained_at INTEGER NOT NULL);"
  "CREATE TABLE classify_examples("
  "  id INTEGER PRIMARY KEY,"
  "  model TEXT NOT NULL,"
  "  source TEXT NOT NULL CHECK (source IN ('import', 'operator')),"
  "  appeal_id INTEGER NOT NULL,"
  "  key_id INTEGER NOT NULL,"
  "  text TEXT NOT NULL,"
  "  label TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL);"
  "CREATE INDEX classify_examples_model ON classify_examples(model, source, appeal_id);"
  "CREATE TABLE classify_routes("
  "  appeal_id INTEGER PRIMARY KEY,"
  "  model TEXT NOT NULL,"
  "  label TEXT NOT NULL,"
  "  at INTEGER NOT NULL,"
  "  corrected INTEGER NOT NULL DEFAULT 0);",
  /* 20 (rollup, issue 20): STATS_COLUMNS above and the trigger. */
  STATS_COLUMNS("INTEGER")
  "CREATE TRIGGER appeal_stats_event AFTER INSERT ON events"
  "  WHEN NEW.kind IN " STATS_EVENT_KINDS " BEGIN"
  "  UPDATE appeals SET " STATS_EVENT_SET " WHERE id = NEW.appeal_id; END;",
  /* 21 (ident, issue 15; docs/crypto.md): the cabinet's identity tables keep no address
   * in clear. Each address column used for lookups becomes a blind index
   * (okno_store_blind_email: keyed BLAKE2b, or the lower-case address without a key
   * file) under the name *_bidx, keeping its keys and indexes; an address read back
   * gets a sealed column of its own (contact_moves.email, sessions.subject). Rows are
   * converted to the no-key form here (lower-case); `okno crypto seal-existing`
   * (store/seal.c) seals and blinds them under the key file. A staff session's
   * subject (a login, not an address) stays as it is in both columns. */
  STEP_21_IDENT,
  /* 22 (tgsms, issue 22; store/outbound.h, ops/messenger.h): the outbound queue also
   * carries Telegram messages and SMS: `transport` says which deliverer claims a job
   * ('mail' for every job before this step). A telegram or sms job names the message
   * of the appeal it tells about (its text, its subject) or carries its own text in
   * mail_raw; env_to is the chat id or the phone, sealed like an address. */
  STEP_22_TRANSPORT,
  /* 23 (imap, issue 22; store/sources.h): where a message pulled from an IMAP mailbox
   * came from (account, folder, UIDVALIDITY, UID), recorded in its registration's
   * transaction so that it is never registered twice. */
  STEP_23_SOURCES("INTEGER"),
  /* 24 (kb, issue 19): STEP_24_KB above. */
  STEP_24_KB("INTEGER", "INTEGER"),
  /* 25 (rollup, issue 20 item 4): ROLL_TABLE above and its triggers. */
  ROLL_TABLE("INTEGER")
  "CREATE TRIGGER appeal_roll_insert AFTER INSERT ON appeals BEGIN "
  ROLL_ROW("NEW", "1") ROLL_HOURS_BOTH("NEW", "1", "min", "max") " END;"
  "CREATE TRIGGER appeal_roll_delete AFTER DELETE ON appeals BEGIN "
  ROLL_ROW("OLD", "-1") ROLL_HOURS_BOTH("OLD", "-1", "min", "max") " END;"
  "CREATE TRIGGER appeal_roll_update AFTER UPDATE ON appeals WHEN " ROLL_CHANGED " BEGIN "
  ROLL_ROW("OLD", "-1") ROLL_HOURS_BOTH("OLD", "-1", "min", "max")
  ROLL_ROW("NEW", "1") ROLL_HOURS_BOTH("NEW", "1", "min", "max") " END;"
  "CREATE TRIGGER rating_roll_insert AFTER INSERT ON ratings BEGIN"
  "  UPDATE appeals SET rating = NEW.score WHERE id = NEW.appeal_id; END;"
  "CREATE TRIGGER rating_roll_update AFTER UPDATE ON ratings BEGIN"
  "  UPDATE appeals SET rating = 0 WHERE id = OLD.appeal_id;"
  "  UPDATE appeals SET rating = NEW.score WHERE id = NEW.appeal_id; END;"
  "CREATE TRIGGER rating_roll_delete AFTER DELETE ON ratings BEGIN"
  "  UPDATE appeals SET rating = 0 WHERE id = OLD.appeal_id; END;",
  /* 26 (chat, issue 22): the web chat's chats and messages (store/chat.h). */
  STEP_26_CHAT("INTEGER PRIMARY KEY"),
  /* 27 (roll3, issue 20 item 4; store/rollup_open_sql.h, docs/metrics.md "Cost"): the
   * open appeals, the load per operator and the 59-FZ themes rolled up by day of
   * receipt, kept by triggers on appeals; the classifier code copied onto the appeal
   * row from appeal_themes; the events leaving an appeal unanswered indexed. */
  R27_TABLES("INTEGER") R27_FILL
  "CREATE TRIGGER appeal_roll27_insert AFTER INSERT ON appeals BEGIN " R27_ROW("NEW", "1")
  " END;"
  "CREATE TRIGGER appeal_roll27_delete AFTER DELETE ON appeals BEGIN " R27_ROW("OLD", "-1")
  R27_PRUNE " END;"
  "CREATE TRIGGER appeal_roll27_update AFTER UPDATE ON appeals WHEN " R27_CHANGED " BEGIN "
  R27_ROW("OLD", "-1") R27_ROW("NEW", "1") R27_PRUNE " END;"
  "CREATE TRIGGER theme_roll_insert AFTER INSERT ON appeal_themes BEGIN"
  "  UPDATE appeals SET theme = NEW.code WHERE id = NEW.appeal_id; END;"
  "CREATE TRIGGER theme_roll_update AFTER UPDATE ON appeal_themes BEGIN"
  "  UPDATE appeals SET theme = '' WHERE id = OLD.appeal_id AND OLD.appeal_id <> NEW.appeal_id;"
  "  UPDATE appeals SET theme = NEW.code WHERE id = NEW.appeal_id; END;"
  "CREATE TRIGGER theme_roll_delete AFTER DELETE ON appeal_themes BEGIN"
  "  UPDATE appeals SET theme = '' WHERE id = OLD.appeal_id; END;",
  /* 28 (incident, issue 19 item 5): STEP_28_INCIDENTS above. */
  STEP_28_INCIDENTS("INTEGER", "INTEGER"),
  /* 29 (learn, issue 19 item 2; store/classify.h): the category and SLA-class models
   * route too, so an appeal has one automatic decision per model: the key becomes
   * (appeal_id, model); the period's accuracy reads by (model, at). */
  "CREATE TABLE classify_routes_29("
  "  appeal_id INTEGER NOT NULL,"
  "  model TEXT NOT NULL,"
  "  label TEXT NOT NULL,"
  "  at INTEGER NOT NULL,"
  "  corrected INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (appeal_id, model));"
  "INSERT INTO classify_routes_29(appeal_id, model, label, at, corrected)"
  "  SELECT appeal_id, model, label, at, corrected FROM classify_routes;"
  "DROP TABLE classify_routes;"
  "ALTER TABLE classify_routes_29 RENAME TO classify_routes;"
  "CREATE INDEX classify_routes_at ON classify_routes(model, at);",
  /* 30 (pgfast, issue 18): nothing on SQLite (numbers stay in `counters`, the FTS5
   * index stays with its triggers); PostgreSQL's step 30 below. */
  "SELECT 1;",
  /* 31 (jbatch, issue 14; store/journal_batch.h, docs/journal.md "Batches"): the index
   * of the facts inside batch leaves (a registration's facts in one leaf): where each
   * fact (ref, ref_id) is, the batch's seq and the fact's index in it. */
  "CREATE TABLE journal_facts("
  "  ref TEXT NOT NULL,"
  "  ref_id INTEGER NOT NULL,"
  "  seq INTEGER NOT NULL,"
  "  fact INTEGER NOT NULL,"
  "  PRIMARY KEY (ref, ref_id, seq, fact)) WITHOUT ROWID;",
  /* 32: unused (the million branch needed no step; SELECT 1 keeps the steps positional) */
  "SELECT 1;",
  /* 33 (kbspeed, issue 19; store/kb.h okno_store_kb_generation): one row counting the
   * knowledge base's changes, so each node's cached index of the published articles
   * is rebuilt only when an article was added, edited, published or withdrawn; and
   * the count of appeals shredded (store/keys.c), which write no event, so that the
   * cached index of similar answered appeals forgets a shredded text at once. */
  "CREATE TABLE kb_state(id INTEGER PRIMARY KEY, generation BIGINT NOT NULL,"
  "  shreds BIGINT NOT NULL DEFAULT 0);"
  "INSERT INTO kb_state(id, generation) VALUES(1, (SELECT count(*) FROM kb_articles));",
  /* 34 (chan, issue 22): the department a chat was routed to at handover ("" triage),
   * which filters the operators' chat queue (store/chat.h); the one-time codes that
   * link a Telegram chat to a citizen's cabinet (store/tg_link.h). */
  "ALTER TABLE chats ADD COLUMN department TEXT NOT NULL DEFAULT '';"
  "CREATE TABLE tg_links(code_hash TEXT PRIMARY KEY, contact TEXT NOT NULL,"
  "  expires_at INTEGER NOT NULL);",
  /* 35: unused (the jverify branch needed no step; SELECT 1 keeps the steps positional) */
  "SELECT 1;",
  /* 36 (pgsearch, issue 18 item 4; store/queue_due_sql.h): the open appeals per
   * department and day of `due`, so the overdue count reads whole past days from it and
   * only today's appeals from the rows (store/queue.c). */
  R36_TABLE("INTEGER") R36_FILL
  "CREATE TRIGGER appeal_due36_insert AFTER INSERT ON appeals BEGIN " R36_ROW("NEW", "1")
  " END;"
  "CREATE TRIGGER appeal_due36_delete AFTER DELETE ON appeals BEGIN " R36_ROW("OLD", "-1")
  R36_PRUNE " END;"
  "CREATE TRIGGER appeal_due36_update AFTER UPDATE ON appeals WHEN " R36_CHANGED " BEGIN "
  R36_ROW("OLD", "-1") R36_ROW("NEW", "1") R36_PRUNE " END;",
  /* 37 (pgev, issue 18 item 3): nothing on SQLite (one writer at a time anyway). */
  "SELECT 1;",
  /* 38, 39: reserved for branches of the same session that needed no schema change
   * (SELECT 1 keeps the steps positional). */
  "SELECT 1;",
  "SELECT 1;",
  /* 40 (pg1, issue 18 item 2): nothing on SQLite. */
  "SELECT 1;",
  /* 41, 42: reserved for other branches of the same session (SELECT 1 keeps the steps
   * positional; a branch that uses one puts its step here). */
  "SELECT 1;",
  "SELECT 1;",
  /* 43 (prefill, issue 18 item 4; store/search_queue.h): the search rows of new
   * appeals, messages and files are written by okno once per transaction, before
   * COMMIT, as on PostgreSQL since step 30: the INSERT triggers wrote appeal_fts in the
   * middle of a group, and FTS5 then flushed its pending terms at every later
   * statement (docs/bench.md, "Intake on a filled store: FTS5 flushed at every
   * statement"). Changes and deletions keep their triggers. */
  "DROP TRIGGER appeal_fts_appeal;"
  "DROP TRIGGER appeal_fts_message;"
  "DROP TRIGGER appeal_fts_attachment;",
  /* 44 (pgcount, issue 18 item 2): nothing on SQLite (its triggers run in the process,
   * at each row, with no deferred event to queue). */
  "SELECT 1;",
  /* 45 (pgserver, issue 18 item 2; docs/postgresql.md "Indexes written per appeal"):
   * STEP_45_INDEXES, the same on both stores but for the covering index's form. */
  STEP_45_INDEXES("(received_at, id, " STATS_COVERED ")"),
};

/* PostgreSQL: the bodies of the four counter trigger functions (steps 12, 25, 27 and
 * 36; step 44 makes them again behind a test), each statement given the changed row
 * (NEW, OLD) and TG_OP. */
#define PG_COUNTS_BODY                                                                     \
  "  INSERT INTO appeal_counts AS c(department, status, assignee, quarantine, n)"          \
  "  SELECT department, status, assignee, quarantine, sum(d) FROM ("                       \
  "    SELECT OLD.department, OLD.status, coalesce(OLD.assignee, 0),"                      \
  "      CASE WHEN " OKNO_HELD_SQL("OLD.") " THEN 1 ELSE 0 END, -1 WHERE TG_OP <> 'INSERT'" \
  "    UNION ALL SELECT NEW.department, NEW.status, coalesce(NEW.assignee, 0),"            \
  "      CASE WHEN " OKNO_HELD_SQL("NEW.") " THEN 1 ELSE 0 END, 1 WHERE TG_OP <> 'DELETE'" \
  "  ) AS x(department, status, assignee, quarantine, d)"                                  \
  "  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"                                              \
  "  ON CONFLICT (department, status, assignee, quarantine) DO UPDATE SET n = c.n + excluded.n;"
#define PG_ROLL_BODY                                                                       \
  "  IF TG_OP <> 'INSERT' THEN " ROLL_ROW("OLD", "-1")                                     \
  ROLL_HOURS_BOTH("OLD", "-1", "least", "greatest") " END IF;"                             \
  "  IF TG_OP <> 'DELETE' THEN " ROLL_ROW("NEW", "1")                                      \
  ROLL_HOURS_BOTH("NEW", "1", "least", "greatest") " END IF;"
#define PG_R27_BODY                                                                        \
  "  IF TG_OP <> 'INSERT' THEN " R27_ROW("OLD", "-1") " END IF;"                           \
  "  IF TG_OP <> 'DELETE' THEN " R27_ROW("NEW", "1") " END IF;"                            \
  "  IF TG_OP <> 'INSERT' THEN " R27_PRUNE " END IF;"
#define PG_R36_BODY                                                                        \
  "  IF TG_OP <> 'INSERT' THEN " R36_ROW("OLD", "-1") " END IF;"                           \
  "  IF TG_OP <> 'DELETE' THEN " R36_ROW("NEW", "1") " END IF;"                            \
  "  IF TG_OP <> 'INSERT' THEN " R36_PRUNE " END IF;"

/* Step 44 (PostgreSQL, pgcount): a transaction that counts its new appeals at COMMIT
 * (store.h okno_store_count_at_commit) says so in okno.count_at_commit; their INSERT
 * triggers then queue nothing, and okno_appeal_counts_add(ids) adds them once, before
 * COMMIT, with one upsert per counter table grouped by its key, the rows locked in key
 * order. The ids counted so go into okno.counted (for the transaction): a change or a
 * deletion of one of them in the same transaction is already in its count (the rows
 * as they are just before COMMIT), so the four functions skip its events. */
#define PG_AT_COMMIT "current_setting('okno.count_at_commit', true) IS DISTINCT FROM 'on'"
#define PG_COUNTED_SKIP                                                                    \
  "  IF TG_OP <> 'INSERT' AND OLD.id = ANY(coalesce(nullif("                               \
  "current_setting('okno.counted', true), ''), '{}')::bigint[]) THEN RETURN NULL; END IF;"
#define PG_COUNTER_FUNCTION(NAME, BODY)                                                    \
  "CREATE OR REPLACE FUNCTION " NAME "() RETURNS trigger LANGUAGE plpgsql"                 \
  "  SET plan_cache_mode = force_generic_plan AS $$ BEGIN" PG_COUNTED_SKIP BODY            \
  "  RETURN NULL; END $$;"
/* The INSERT trigger behind the test, the DELETE one apart (it was one trigger for both). */
#define PG_COUNTER_TRIGGERS(NAME, FUNCTION)                                                \
  "DROP TRIGGER " NAME "_insert_delete ON appeals;"                                        \
  "CREATE CONSTRAINT TRIGGER " NAME "_insert AFTER INSERT ON appeals"                      \
  "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (" PG_AT_COMMIT ")"                   \
  "  EXECUTE FUNCTION " FUNCTION "();"                                                     \
  "CREATE CONSTRAINT TRIGGER " NAME "_delete AFTER DELETE ON appeals"                      \
  "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " FUNCTION "();"
/* The rows of the appeals `ids`, under the name of the table. */
#define PG_NEW_APPEALS "(SELECT * FROM appeals WHERE id = ANY(ids)) AS appeals"
#define PG_HOURS_ADD(WHAT, COL)                                                            \
  ROLL_HOURS_FROM(PG_NEW_APPEALS, WHAT, COL, "least", "greatest")                          \
  " ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"                                                       \
  " ON CONFLICT(" ROLL_HOURS_KEY ") DO UPDATE SET n = stats_hours.n + excluded.n;"
#define PG_COUNTS_ADD                                                                      \
  "CREATE FUNCTION okno_appeal_counts_add(ids BIGINT[]) RETURNS void LANGUAGE plpgsql"     \
  "  SET plan_cache_mode = force_generic_plan AS $$ BEGIN"                                 \
  "  PERFORM set_config('okno.counted', ids::text, true);"                                 \
  "  INSERT INTO appeal_counts AS c(department, status, assignee, quarantine, n)"          \
  "  SELECT department, status, coalesce(assignee, 0),"                                    \
  "    CASE WHEN " OKNO_HELD_SQL("") " THEN 1 ELSE 0 END, count(*) FROM " PG_NEW_APPEALS    \
  "  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"                                              \
  "  ON CONFLICT (department, status, assignee, quarantine) DO UPDATE SET n = c.n + excluded.n;" \
  "  INSERT INTO stats_daily(" ROLL_KEY ", " ROLL_COLS ") " ROLL_DAILY_SELECT(PG_NEW_APPEALS) \
  "  GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6" ROLL_UPSERT                      \
  PG_HOURS_ADD("0", "answered_first_at") PG_HOURS_ADD("1", "closed_first_at")              \
  R27_OPEN_FROM(PG_NEW_APPEALS) " ORDER BY 1, 2, 3, 4, 5, 6"                               \
  " ON CONFLICT(" R27_OPEN_KEY ") DO UPDATE SET n = stats_open.n + excluded.n;"            \
  R27_LOAD_FROM(PG_NEW_APPEALS) " ORDER BY 1, 2, 3"                                        \
  " ON CONFLICT(" R27_LOAD_KEY ") DO UPDATE SET n = stats_load.n + excluded.n,"            \
  " answered = stats_load.answered + excluded.answered, open = stats_load.open + excluded.open;" \
  R27_THEMES_FROM(PG_NEW_APPEALS) " ORDER BY 1, 2, 3, 4, 5, 6"                             \
  " ON CONFLICT(" R27_THEME_KEY ") DO UPDATE SET n = stats_themes.n + excluded.n;"         \
  R36_FROM(PG_NEW_APPEALS) " ORDER BY 1, 2"                                                \
  " ON CONFLICT(department, day) DO UPDATE SET n = queue_due.n + excluded.n;"              \
  "  END $$;"

/* Step 45 (PostgreSQL): okno_appeal_counts_add in one statement. Step 44's nine
 * statements each read the group's rows again (id = ANY(ids)); now they are read once,
 * into the CTE `appeals` (materialized, named as the table so the same SELECTs count
 * it), and the eight upserts are parts of one statement. Their tables differ, and
 * stats_hours' two parts differ in `what`, a column of its key, so no row is upserted
 * twice by the statement; each part still takes its rows in key order, and the whole
 * statement runs behind journal_state's row as step 44's did (no deadlock between
 * writers, whatever order the parts run in). */
#define PG_CTE_HOURS(NAME, WHAT, COL)                                                      \
  ", " NAME " AS (" ROLL_HOURS_FROM("appeals", WHAT, COL, "least", "greatest")            \
  " ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"                                                       \
  " ON CONFLICT(" ROLL_HOURS_KEY ") DO UPDATE SET n = stats_hours.n + excluded.n)"
#define PG_COUNTS_ADD_45                                                                   \
  "CREATE OR REPLACE FUNCTION okno_appeal_counts_add(ids BIGINT[]) RETURNS void"           \
  "  LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$ BEGIN"                \
  "  PERFORM set_config('okno.counted', ids::text, true);"                                 \
  "  WITH appeals AS MATERIALIZED (SELECT * FROM appeals WHERE id = ANY(ids)),"            \
  "  counts AS (INSERT INTO appeal_counts AS c(department, status, assignee, quarantine, n)" \
  "  SELECT department, status, coalesce(assignee, 0),"                                    \
  "    CASE WHEN " OKNO_HELD_SQL("") " THEN 1 ELSE 0 END, count(*) FROM appeals"            \
  "  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"                                              \
  "  ON CONFLICT (department, status, assignee, quarantine) DO UPDATE SET n = c.n + excluded.n)," \
  "  daily AS (INSERT INTO stats_daily(" ROLL_KEY ", " ROLL_COLS ") "                       \
  ROLL_DAILY_SELECT("appeals")                                                             \
  "  GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6" ROLL_UPSERT_CLAUSE ")"            \
  PG_CTE_HOURS("hours0", "0", "answered_first_at")                                         \
  PG_CTE_HOURS("hours1", "1", "closed_first_at")                                           \
  ", opened AS (" R27_OPEN_FROM("appeals") " ORDER BY 1, 2, 3, 4, 5, 6"                      \
  " ON CONFLICT(" R27_OPEN_KEY ") DO UPDATE SET n = stats_open.n + excluded.n)"            \
  ", loads AS (" R27_LOAD_FROM("appeals") " ORDER BY 1, 2, 3"                               \
  " ON CONFLICT(" R27_LOAD_KEY ") DO UPDATE SET n = stats_load.n + excluded.n,"            \
  " answered = stats_load.answered + excluded.answered, open = stats_load.open + excluded.open)" \
  ", themes AS (" R27_THEMES_FROM("appeals") " ORDER BY 1, 2, 3, 4, 5, 6"                  \
  " ON CONFLICT(" R27_THEME_KEY ") DO UPDATE SET n = stats_themes.n + excluded.n)"         \
  " " R36_FROM("appeals") " ORDER BY 1, 2"                                                 \
  " ON CONFLICT(department, day) DO UPDATE SET n = queue_due.n + excluded.n;"              \
  "  END $$;"

static const char *const pg_steps[] = {
  /* 1: the registry, its messages, attachments, events and the outbound queue. */
  "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "INSERT INTO meta(key, value) VALUES('instance', md5(random()::text || clock_timestamp()::text));"
  "CREATE TABLE counters(name TEXT PRIMARY KEY, value BIGINT NOT NULL);"
  "CREATE TABLE appeals("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  number TEXT NOT NULL UNIQUE,"
  "  status TEXT NOT NULL,"
  "  channel TEXT NOT NULL,"
  "  queue TEXT NOT NULL DEFAULT '',"
  "  subject TEXT NOT NULL DEFAULT '',"
  "  from_name TEXT NOT NULL DEFAULT '',"
  "  from_email TEXT NOT NULL DEFAULT '',"
  "  phone TEXT NOT NULL DEFAULT '',"
  "  category TEXT NOT NULL DEFAULT '',"
  "  related TEXT NOT NULL DEFAULT '',"
  "  received_at BIGINT NOT NULL,"
  "  deadline BIGINT NOT NULL DEFAULT 0,"
  "  updated_at BIGINT NOT NULL);"
  "CREATE INDEX appeals_from ON appeals(from_email);"
  "CREATE INDEX appeals_status ON appeals(status);"
  "CREATE TABLE messages("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  appeal_id BIGINT NOT NULL REFERENCES appeals(id),"
  "  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
  "  message_id TEXT NOT NULL DEFAULT '',"
  "  sender TEXT NOT NULL DEFAULT '',"
  "  recipient TEXT NOT NULL DEFAULT '',"
  "  subject TEXT NOT NULL DEFAULT '',"
  "  text TEXT NOT NULL DEFAULT '',"
  "  content_hash TEXT NOT NULL DEFAULT '',"
  "  automatic INTEGER NOT NULL DEFAULT 0,"
  "  meta TEXT NOT NULL DEFAULT '{}',"
  "  raw BYTEA NOT NULL,"
  "  created_at BIGINT NOT NULL);"
  "CREATE INDEX messages_appeal ON messages(appeal_id);"
  "CREATE INDEX messages_msgid ON messages(message_id) WHERE message_id <> '';"
  "CREATE INDEX messages_hash ON messages(sender, content_hash) WHERE content_hash <> '';"
  "CREATE TABLE attachments("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  message_ref BIGINT NOT NULL REFERENCES messages(id),"
  "  filename TEXT NOT NULL,"
  "  declared_type TEXT NOT NULL,"
  "  content_type TEXT NOT NULL,"
  "  size BIGINT NOT NULL,"
  "  sha256 TEXT NOT NULL,"
  "  refused TEXT,"
  "  data BYTEA);"
  "CREATE INDEX attachments_message ON attachments(message_ref);"
  "CREATE TABLE events("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  appeal_id BIGINT NOT NULL REFERENCES appeals(id),"
  "  at BIGINT NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  detail TEXT NOT NULL DEFAULT '{}');"
  "CREATE INDEX events_appeal ON events(appeal_id);"
  "CREATE TABLE outbound("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  appeal_id BIGINT NOT NULL REFERENCES appeals(id),"
  "  message_ref BIGINT NOT NULL REFERENCES messages(id),"
  "  env_from TEXT NOT NULL,"
  "  env_to TEXT NOT NULL,"
  "  automatic INTEGER NOT NULL DEFAULT 0,"
  "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_attempt_at BIGINT NOT NULL,"
  "  lease_until BIGINT NOT NULL DEFAULT 0,"
  "  lease_owner TEXT NOT NULL DEFAULT '',"
  "  last_error TEXT NOT NULL DEFAULT '',"
  "  created_at BIGINT NOT NULL,"
  "  sent_at BIGINT NOT NULL DEFAULT 0);"
  "CREATE INDEX outbound_due ON outbound(state, next_attempt_at);"
  "CREATE INDEX outbound_auto ON outbound(env_to, created_at) WHERE automatic = 1;",

  /* 2: full-text search (docs/search.md). okno_search_text() turns text into what
   * okno's tokenizer sees (Latin and Russian letters and digits, lowercased without
   * depending on the locale, ё -> е, everything else a space), so the `russian`
   * configuration's parser finds the same words on both backends. One tsvector per
   * appeal (subject weight A, file names B, texts D; automatic mail left out) under a
   * GIN index, kept by triggers as on SQLite: inserts append (automatic messages are
   * skipped), the rare changes of messages rebuild the appeal's row. */
  "CREATE FUNCTION okno_search_text(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT"
  "  PARALLEL SAFE AS $$ SELECT regexp_replace(translate(t,"
  "    'ABCDEFGHIJKLMNOPQRSTUVWXYZАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯё',"
  "    'abcdefghijklmnopqrstuvwxyzабвгдеежзийклмнопрстуфхцчшщъыьэюяе'),"
  "    '[^0-9a-zа-я]+', ' ', 'g') $$;"
  "CREATE FUNCTION okno_search_doc(t text, w \"char\") RETURNS tsvector LANGUAGE sql"
  "  IMMUTABLE STRICT PARALLEL SAFE AS"
  "  $$ SELECT setweight(to_tsvector('russian'::regconfig, okno_search_text(t)), w) $$;"
  "CREATE TABLE appeal_search("
  "  appeal_id BIGINT PRIMARY KEY REFERENCES appeals(id) ON DELETE CASCADE,"
  "  doc tsvector NOT NULL);"
  "CREATE INDEX appeal_search_doc ON appeal_search USING gin(doc);"
  "CREATE FUNCTION okno_search_rebuild(ids BIGINT[]) RETURNS void LANGUAGE sql AS $$"
  "  INSERT INTO appeal_search(appeal_id, doc) SELECT a.id,"
  "    okno_search_doc(a.subject, 'A')"
  "    || okno_search_doc(coalesce((SELECT string_agg(m.text, E'\\n' ORDER BY m.id)"
  "         FROM messages m WHERE m.appeal_id = a.id AND m.automatic = 0), ''), 'D')"
  "    || okno_search_doc(coalesce((SELECT string_agg(t.filename, E'\\n' ORDER BY t.id)"
  "                                 FROM attachments t JOIN messages m ON m.id = t.message_ref"
  "                                 WHERE m.appeal_id = a.id), ''), 'B')"
  "  FROM appeals a WHERE a.id = ANY(ids)"
  "  ON CONFLICT (appeal_id) DO UPDATE SET doc = excluded.doc $$;"
  "SELECT okno_search_rebuild(array(SELECT id FROM appeals));"
  "CREATE FUNCTION okno_search_trigger() RETURNS trigger LANGUAGE plpgsql AS $$"
  "BEGIN"
  "  IF TG_TABLE_NAME = 'appeals' THEN"
  "    PERFORM okno_search_rebuild(ARRAY[new.id]);"
  "  ELSIF TG_TABLE_NAME = 'messages' AND TG_OP = 'INSERT' THEN"
  "    IF new.automatic = 0 THEN"
  "      UPDATE appeal_search SET doc = doc || okno_search_doc(new.text, 'D')"
  "      WHERE appeal_id = new.appeal_id;"
  "    END IF;"
  "  ELSIF TG_TABLE_NAME = 'messages' THEN"
  "    PERFORM okno_search_rebuild(ARRAY[old.appeal_id] || CASE WHEN TG_OP = 'UPDATE'"
  "                                THEN ARRAY[new.appeal_id] ELSE '{}' END);"
  "  ELSIF TG_OP = 'INSERT' THEN"
  "    UPDATE appeal_search SET doc = doc || okno_search_doc(new.filename, 'B')"
  "    WHERE appeal_id = (SELECT appeal_id FROM messages WHERE id = new.message_ref);"
  "  ELSE"
  "    PERFORM okno_search_rebuild(array(SELECT appeal_id FROM messages WHERE id IN"
  "      (old.message_ref, CASE WHEN TG_OP = 'UPDATE' THEN new.message_ref END)));"
  "  END IF;"
  "  RETURN NULL;"
  "END $$;"
  "CREATE TRIGGER appeal_search_appeal AFTER INSERT OR UPDATE OF subject ON appeals"
  "  FOR EACH ROW EXECUTE FUNCTION okno_search_trigger();"
  "CREATE TRIGGER appeal_search_message AFTER INSERT OR DELETE OR UPDATE OF appeal_id, text"
  "  ON messages FOR EACH ROW EXECUTE FUNCTION okno_search_trigger();"
  "CREATE TRIGGER appeal_search_attachment AFTER INSERT OR DELETE"
  "  OR UPDATE OF filename, message_ref ON attachments"
  "  FOR EACH ROW EXECUTE FUNCTION okno_search_trigger();",
  /* 3: staff accounts, departments and routing: the SQLite step 3, table for table.
   * outbound's appeal_id and message_ref become optional (mail for staff). */
  STAFF_TABLES("BIGINT GENERATED BY DEFAULT AS IDENTITY", "BIGINT")
  "ALTER TABLE outbound ALTER COLUMN appeal_id DROP NOT NULL,"
  "  ALTER COLUMN message_ref DROP NOT NULL,"
  "  ADD COLUMN mail_message_id TEXT NOT NULL DEFAULT '',"
  "  ADD COLUMN mail_raw BYTEA,"
  "  ADD CONSTRAINT outbound_has_bytes CHECK (message_ref IS NOT NULL OR mail_raw IS NOT NULL);",
  /* 4: SLA: the SQLite step 4, table for table (assignee is step 3's). */
  "ALTER TABLE appeals ADD COLUMN kind TEXT NOT NULL DEFAULT 'support';"
  "ALTER TABLE appeals ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';"
  "ALTER TABLE appeals ADD COLUMN priority_confirmed INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE appeals ADD COLUMN sla_class TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE appeals ADD COLUMN overdue INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE appeals ADD COLUMN forward_deadline BIGINT NOT NULL DEFAULT 0;"
  "ALTER TABLE appeals ADD COLUMN extensions INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE appeals ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE appeals ADD COLUMN deadline_gen INTEGER NOT NULL DEFAULT 0;"
  "CREATE TABLE sla_jobs("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  appeal_id BIGINT NOT NULL REFERENCES appeals(id),"
  "  kind TEXT NOT NULL CHECK (kind IN ('reminder', 'overdue', 'escalate')),"
  "  generation INTEGER NOT NULL,"
  "  due_at BIGINT NOT NULL,"
  "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'cancelled')),"
  "  lease_owner TEXT NOT NULL DEFAULT '',"
  "  lease_until BIGINT NOT NULL DEFAULT 0,"
  "  done_at BIGINT NOT NULL DEFAULT 0,"
  "  UNIQUE (appeal_id, kind, generation));"
  "CREATE INDEX sla_jobs_due ON sla_jobs(due_at) WHERE state = 'pending';"
  "CREATE TABLE notify_settings("
  "  email TEXT NOT NULL,"
  "  event TEXT NOT NULL,"
  "  enabled INTEGER NOT NULL,"
  "  updated_at BIGINT NOT NULL,"
  "  PRIMARY KEY (email, event));",
  /* 5 (clam): phishing reports and the block list (see the SQLite step 5). */
  "CREATE TABLE phishing_list("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  kind TEXT NOT NULL CHECK (kind IN ('domain', 'url')),"
  "  value TEXT NOT NULL,"
  "  blocked INTEGER NOT NULL DEFAULT 0,"
  "  reports BIGINT NOT NULL DEFAULT 0,"
  "  reported_by TEXT NOT NULL DEFAULT '',"
  "  source TEXT NOT NULL DEFAULT '',"
  "  created_at BIGINT NOT NULL,"
  "  updated_at BIGINT NOT NULL,"
  "  UNIQUE (kind, value));"
  "CREATE INDEX phishing_list_blocked ON phishing_list(blocked);"
  "CREATE TABLE phishing_reports("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  entry_id BIGINT NOT NULL REFERENCES phishing_list(id),"
  "  reporter TEXT NOT NULL,"
  "  source TEXT NOT NULL,"
  "  action TEXT NOT NULL,"
  "  at BIGINT NOT NULL);"
  "CREATE INDEX phishing_reports_entry ON phishing_reports(entry_id);",
  /* 6: web: sessions and single-use tokens (the SQLite step 6, table for table). */
  "CREATE TABLE sessions("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  token_hash TEXT NOT NULL UNIQUE,"
  "  kind TEXT NOT NULL CHECK (kind IN ('citizen', 'staff')),"
  "  subject TEXT NOT NULL,"
  "  csrf TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL,"
  "  expires_at BIGINT NOT NULL,"
  "  last_seen BIGINT NOT NULL,"
  "  ip TEXT NOT NULL DEFAULT '',"
  "  user_agent TEXT NOT NULL DEFAULT '',"
  "  revoked_at BIGINT NOT NULL DEFAULT 0);"
  "CREATE INDEX sessions_subject ON sessions(kind, subject);"
  "CREATE INDEX sessions_expiry ON sessions(expires_at);"
  "CREATE TABLE used_tokens(id TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);"
  "CREATE INDEX used_tokens_expiry ON used_tokens(expires_at);",
  /* 7: the cabinet: the SQLite step 7, table for table. */
  "CREATE TABLE login_codes("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  email TEXT NOT NULL,"
  "  purpose TEXT NOT NULL CHECK (purpose IN ('login', 'change')),"
  "  owner TEXT NOT NULL DEFAULT '',"
  "  code_hash TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL,"
  "  expires_at BIGINT NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  used_at BIGINT NOT NULL DEFAULT 0);"
  "CREATE INDEX login_codes_email ON login_codes(email, purpose);"
  "CREATE TABLE ratings("
  "  appeal_id BIGINT PRIMARY KEY REFERENCES appeals(id),"
  "  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),"
  "  comment TEXT NOT NULL DEFAULT '',"
  "  email TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL);"
  "CREATE TABLE contact_moves(email TEXT PRIMARY KEY, moved_to TEXT NOT NULL, at BIGINT NOT NULL);"
  "CREATE INDEX contact_moves_to ON contact_moves(moved_to);"
  "CREATE INDEX appeals_from_received ON appeals(from_email, received_at);",
  /* 8 (console): answer templates, the SQLite step 8. */
  "CREATE TABLE answer_templates("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  department TEXT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  body TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL,"
  "  UNIQUE (department, name));",
  /* 9 (oidc; src/store/oidc.h): the confirmed identity behind a citizen session signed in
   * with the portal's OpenID Connect provider: issuer + subject, the name, the verified
   * e-mail (the session's subject) and SNILS when the provider gives it. One row per
   * session; it goes when the session row goes. */
  "CREATE TABLE oidc_identities("
  "  session_id BIGINT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,"
  "  issuer TEXT NOT NULL,"
  "  subject TEXT NOT NULL,"
  "  name TEXT NOT NULL DEFAULT '',"
  "  email TEXT NOT NULL,"
  "  snils TEXT NOT NULL DEFAULT '',"
  "  created_at BIGINT NOT NULL);"
  "CREATE INDEX oidc_identities_subject ON oidc_identities(issuer, subject);",
  /* 10 (paging, issue 23): the SQLite step 10. The trigger writes both rows of a change
   * in one statement in key order, so two transactions moving counts in opposite
   * directions lock the rows in the same order (a deadlock left is class 40: retried). */
  "ALTER TABLE appeals ADD COLUMN due BIGINT GENERATED ALWAYS AS"
  "  (CASE WHEN deadline = 0 THEN 9223372036854775807 ELSE deadline END) STORED;"
  PAGING_INDEXES("BIGINT")
  "CREATE FUNCTION okno_appeal_counts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
  "  INSERT INTO appeal_counts AS c(department, status, assignee, quarantine, n)"
  "  SELECT department, status, assignee, quarantine, sum(d) FROM ("
  "    SELECT OLD.department, OLD.status, coalesce(OLD.assignee, 0),"
  "      CASE WHEN OLD.queue = 'quarantine' THEN 1 ELSE 0 END, -1 WHERE TG_OP <> 'INSERT'"
  "    UNION ALL SELECT NEW.department, NEW.status, coalesce(NEW.assignee, 0),"
  "      CASE WHEN NEW.queue = 'quarantine' THEN 1 ELSE 0 END, 1 WHERE TG_OP <> 'DELETE'"
  "  ) AS x(department, status, assignee, quarantine, d)"
  "  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
  "  ON CONFLICT (department, status, assignee, quarantine) DO UPDATE SET n = c.n + excluded.n;"
  "  RETURN NULL; END $$;"
  "CREATE TRIGGER appeal_counts_insert_delete AFTER INSERT OR DELETE ON appeals"
  "  FOR EACH ROW EXECUTE FUNCTION okno_appeal_counts();"
  "CREATE TRIGGER appeal_counts_update AFTER UPDATE OF department, status, assignee, queue"
  "  ON appeals FOR EACH ROW WHEN ((OLD.department, OLD.status, OLD.assignee, OLD.queue)"
  "  IS DISTINCT FROM (NEW.department, NEW.status, NEW.assignee, NEW.queue))"
  "  EXECUTE FUNCTION okno_appeal_counts();",
  /* 11 (journal, issue 14; store/journal.h, docs/journal.md): the leaves of the
   * tamper-evident journal (seq 1, 2, ... with no gap, from journal_state's one row),
   * the signed tree heads, and the highest ids of the facts that existed before the
   * journal did (verify does not ask for their leaves). */
  "CREATE TABLE journal("
  "  seq BIGINT PRIMARY KEY,"
  "  kind TEXT NOT NULL,"
  "  ref TEXT NOT NULL,"
  "  ref_id BIGINT NOT NULL,"
  "  appeal_id BIGINT NOT NULL DEFAULT 0,"
  "  number TEXT NOT NULL DEFAULT '',"
  "  at BIGINT NOT NULL,"
  "  entry BYTEA NOT NULL,"
  "  leaf BYTEA NOT NULL);"
  "CREATE INDEX journal_ref ON journal(ref, ref_id, seq);"
  "CREATE TABLE journal_state("
  "  one INTEGER PRIMARY KEY CHECK (one = 1),"
  "  size BIGINT NOT NULL,"
  "  appeals_before BIGINT NOT NULL,"
  "  messages_before BIGINT NOT NULL,"
  "  events_before BIGINT NOT NULL);"
  "INSERT INTO journal_state VALUES(1, 0, (SELECT coalesce(max(id), 0) FROM appeals),"
  "  (SELECT coalesce(max(id), 0) FROM messages), (SELECT coalesce(max(id), 0) FROM events));"
  "CREATE TABLE journal_heads("
  "  size BIGINT PRIMARY KEY,"
  "  root BYTEA NOT NULL,"
  "  at BIGINT NOT NULL,"
  "  key_id TEXT NOT NULL,"
  "  signature BYTEA NOT NULL,"
  "  frontier BYTEA NOT NULL);",
  /* 12 (spam, issue 16): the SQLite step 12; the function the triggers call is
   * replaced in place. */
  SPAM_HOLD_INDEXES
  "CREATE OR REPLACE FUNCTION okno_appeal_counts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
  PG_COUNTS_BODY "  RETURN NULL; END $$;",
  /* 13 (crypto, issue 15): as SQLite's step 13. */
  "CREATE TABLE data_keys("
  "  id BIGINT PRIMARY KEY,"
  "  epoch BIGINT NOT NULL,"
  "  wrapped BYTEA NOT NULL,"
  "  created_at BIGINT NOT NULL);"
  "CREATE INDEX data_keys_epoch ON data_keys(epoch);"
  "ALTER TABLE appeals ADD COLUMN key_id BIGINT NOT NULL DEFAULT 0;"
  BLIND_INDEXES,
  /* 14 (retention, issue 15): RETENTION_TABLES above. */
  RETENTION_TABLES("BIGINT GENERATED BY DEFAULT AS IDENTITY", "BIGINT", "BYTEA"),
  /* 15 (evidence, issue 14; store/access.h, store/journal.h): the staff access
   * journal (every read of an appeal, a file, an original or unmasked personal data,
   * each with its journal leaf), the results of the daily `journal verify`, and the
   * journal's public keys (old keys stay, so heads signed before a rotation verify). */
  "CREATE TABLE access_log("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  at BIGINT NOT NULL,"
  "  user_id BIGINT NOT NULL,"
  "  login TEXT NOT NULL,"
  "  role TEXT NOT NULL,"
  "  department TEXT NOT NULL DEFAULT '',"
  "  ip TEXT NOT NULL DEFAULT '',"
  "  action TEXT NOT NULL,"
  "  appeal_id BIGINT NOT NULL,"
  "  detail TEXT NOT NULL DEFAULT '');"
  "CREATE INDEX access_log_appeal ON access_log(appeal_id, id);"
  "CREATE INDEX access_log_user ON access_log(user_id, id);"
  "CREATE TABLE journal_verifications("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  at BIGINT NOT NULL,"
  "  intact BIGINT NOT NULL,"
  "  size BIGINT NOT NULL,"
  "  signed_size BIGINT NOT NULL,"
  "  problems BIGINT NOT NULL,"
  "  report TEXT NOT NULL);"
  "CREATE TABLE journal_keys("
  "  key_id TEXT PRIMARY KEY,"
  "  public_key BYTEA NOT NULL,"
  "  added_at BIGINT NOT NULL);",
  /* 16 (search over keyed hashes, issue 15; store/terms.h): as SQLite's step 16. The
   * tsvectors are built with the `simple` configuration from the terms columns (a term
   * is one asciiword of 16 letters a-p, so the parser keeps it whole); the words they
   * held are emptied at once, and the terms come at the next okno_store_open. */
  "ALTER TABLE appeals ADD COLUMN subject_terms TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE messages ADD COLUMN text_terms TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE attachments ADD COLUMN filename_terms TEXT NOT NULL DEFAULT '';"
  "CREATE TABLE search_state("
  "  one INTEGER PRIMARY KEY CHECK (one = 1),"
  "  key_check TEXT NOT NULL);"
  "INSERT INTO search_state VALUES(1, '');"
  "DROP TRIGGER appeal_search_appeal ON appeals;"
  "DROP TRIGGER appeal_search_message ON messages;"
  "DROP TRIGGER appeal_search_attachment ON attachments;"
  "CREATE OR REPLACE FUNCTION okno_search_doc(t text, w \"char\") RETURNS tsvector"
  "  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS"
  "  $$ SELECT setweight(to_tsvector('simple'::regconfig, t), w) $$;"
  "CREATE OR REPLACE FUNCTION okno_search_rebuild(ids BIGINT[]) RETURNS void LANGUAGE sql AS $$"
  "  INSERT INTO appeal_search(appeal_id, doc) SELECT a.id,"
  "    okno_search_doc(a.subject_terms, 'A')"
  "    || okno_search_doc(coalesce((SELECT string_agg(m.text_terms, ' ' ORDER BY m.id)"
  "         FROM messages m WHERE m.appeal_id = a.id AND m.automatic = 0), ''), 'D')"
  "    || okno_search_doc(coalesce((SELECT string_agg(t.filename_terms, ' ' ORDER BY t.id)"
  "                                 FROM attachments t JOIN messages m ON m.id = t.message_ref"
  "                                 WHERE m.appeal_id = a.id), ''), 'B')"
  "  FROM appeals a WHERE a.id = ANY(ids)"
  "  ON CONFLICT (appeal_id) DO UPDATE SET doc = excluded.doc $$;"
  "UPDATE appeal_search SET doc = ''::tsvector;"
  "CREATE OR REPLACE FUNCTION okno_search_trigger() RETURNS trigger LANGUAGE plpgsql AS $$"
  "BEGIN"
  "  IF TG_TABLE_NAME = 'appeals' THEN"
  "    PERFORM okno_search_rebuild(ARRAY[new.id]);"
  "  ELSIF TG_TABLE_NAME = 'messages' AND TG_OP = 'INSERT' THEN"
  "    IF new.automatic = 0 THEN"
  "      UPDATE appeal_search SET doc = doc || okno_search_doc(new.text_terms, 'D')"
  "      WHERE appeal_id = new.appeal_id;"
  "    END IF;"
  "  ELSIF TG_TABLE_NAME = 'messages' THEN"
  "    PERFORM okno_search_rebuild(ARRAY[old.appeal_id] || CASE WHEN TG_OP = 'UPDATE'"
  "                                THEN ARRAY[new.appeal_id] ELSE '{}' END);"
  "  ELSIF TG_OP = 'INSERT' THEN"
  "    UPDATE appeal_search SET doc = doc || okno_search_doc(new.filename_terms, 'B')"
  "    WHERE appeal_id = (SELECT appeal_id FROM messages WHERE id = new.message_ref);"
  "  ELSE"
  "    PERFORM okno_search_rebuild(array(SELECT appeal_id FROM messages WHERE id IN"
  "      (old.message_ref, CASE WHEN TG_OP = 'UPDATE' THEN new.message_ref END)));"
  "  END IF;"
  "  RETURN NULL;"
  "END $$;"
  "CREATE TRIGGER appeal_search_appeal AFTER INSERT OR UPDATE OF subject_terms ON appeals"
  "  FOR EACH ROW EXECUTE FUNCTION okno_search_trigger();"
  "CREATE TRIGGER appeal_search_message AFTER INSERT OR DELETE"
  "  OR UPDATE OF appeal_id, text_terms ON messages"
  "  FOR EACH ROW EXECUTE FUNCTION okno_search_trigger();"
  "CREATE TRIGGER appeal_search_attachment AFTER INSERT OR DELETE"
  "  OR UPDATE OF filename_terms, message_ref ON attachments"
  "  FOR EACH ROW EXECUTE FUNCTION okno_search_trigger();",
  /* 17 (stats, issue 20): as SQLite's step 17. */
  "CREATE TABLE stats_mail_weeks(week BIGINT PRIMARY KEY, sent_at BIGINT NOT NULL);"
  "CREATE TABLE appeal_themes(appeal_id BIGINT PRIMARY KEY REFERENCES appeals(id),"
  "  code TEXT NOT NULL, set_at BIGINT NOT NULL, set_by TEXT NOT NULL DEFAULT '');",
  /* 18 (desk, issue 21; store/filters.h, store/queue.h): saved queue filters and the
   * column orders' indexes, the SQLite step 18. */
  "CREATE TABLE saved_filters("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  user_id BIGINT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  query TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL,"
  "  UNIQUE (user_id, name));"
  "CREATE INDEX appeals_col_channel ON appeals(channel, id);"
  "CREATE INDEX appeals_col_status ON appeals(status, id);"
  "CREATE INDEX appeals_col_department ON appeals(department, id);"
  "CREATE INDEX appeals_col_assignee ON appeals((coalesce(assignee, 0)), id);",
  /* 19 (classify, issue 19; store/classify.h, docs/classify.md): the classifier's
   * models (the saved form of text/classify.h, versioned) and training examples
   * (imported texts sealed under one data key per import; operators' decisions by
   * appeal, never a copy of the text), and the appeals the model routed by itself
   * (corrected: staff moved them elsewhere later). */
  "CREATE TABLE classify_models("
  "  name TEXT PRIMARY KEY,"
  "  model BYTEA NOT NULL,"
  "  version BIGINT NOT NULL,"
  "  examples BIGINT NOT NULL,"
  "  last_example BIGINT NOT NULL,"
  "  trained_at BIGINT NOT NULL);"
  "CREATE TABLE classify_examples("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  model TEXT NOT NULL,"
  "  source TEXT NOT NULL CHECK (source IN ('import', 'operator')),"
  "  appeal_id BIGINT NOT NULL,"
  "  key_id BIGINT NOT NULL,"
  "  text TEXT NOT NULL,"
  "  label TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL);"
  "CREATE INDEX classify_examples_model ON classify_examples(model, source, appeal_id);"
  "CREATE TABLE classify_routes("
  "  appeal_id BIGINT PRIMARY KEY,"
  "  model TEXT NOT NULL,"
  "  label TEXT NOT NULL,"
  "  at BIGINT NOT NULL,"
  "  corrected BIGINT NOT NULL DEFAULT 0);",
  /* 20 (rollup, issue 20): as SQLite's step 20. */
  STATS_COLUMNS("BIGINT")
  "CREATE FUNCTION okno_appeal_stats_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
  "  UPDATE appeals SET " STATS_EVENT_SET " WHERE id = NEW.appeal_id;"
  "  RETURN NULL; END $$;"
  "CREATE TRIGGER appeal_stats_event AFTER INSERT ON events FOR EACH ROW"
  "  WHEN (NEW.kind IN " STATS_EVENT_KINDS ") EXECUTE FUNCTION okno_appeal_stats_event();",
  /* 21 (ident, issue 15): the SQLite step 21, statement for statement. */
  STEP_21_IDENT,
  /* 22 (tgsms, issue 22): the SQLite step 22. */
  STEP_22_TRANSPORT,
  /* 23 (imap, issue 22): as SQLite's step 23. */
  STEP_23_SOURCES("BIGINT"),
  /* 24 (kb, issue 19): the SQLite step 24. */
  STEP_24_KB("BIGINT GENERATED BY DEFAULT AS IDENTITY", "BIGINT"),
  /* 25 (rollup, issue 20 item 4): as SQLite's step 25, the triggers as functions. */
  ROLL_TABLE("BIGINT")
  "CREATE FUNCTION okno_appeal_roll() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
  PG_ROLL_BODY "  RETURN NULL; END $$;"
  "CREATE TRIGGER appeal_roll_insert_delete AFTER INSERT OR DELETE ON appeals FOR EACH ROW"
  "  EXECUTE FUNCTION okno_appeal_roll();"
  "CREATE TRIGGER appeal_roll_update AFTER UPDATE ON appeals FOR EACH ROW"
  "  WHEN (" ROLL_CHANGED ") EXECUTE FUNCTION okno_appeal_roll();"
  "CREATE FUNCTION okno_rating_roll() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
  "  IF TG_OP <> 'INSERT' THEN UPDATE appeals SET rating = 0 WHERE id = OLD.appeal_id; END IF;"
  "  IF TG_OP <> 'DELETE' THEN UPDATE appeals SET rating = NEW.score"
  "    WHERE id = NEW.appeal_id; END IF;"
  "  RETURN NULL; END $$;"
  "CREATE TRIGGER rating_roll AFTER INSERT OR UPDATE OR DELETE ON ratings FOR EACH ROW"
  "  EXECUTE FUNCTION okno_rating_roll();",
  /* 26 (chat, issue 22): as SQLite's step 26. */
  STEP_26_CHAT("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
  /* 27 (roll3, issue 20 item 4): as SQLite's step 27, the triggers as functions. */
  R27_TABLES("BIGINT") R27_FILL
  "CREATE FUNCTION okno_appeal_roll27() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
  PG_R27_BODY "  RETURN NULL; END $$;"
  "CREATE TRIGGER appeal_roll27_insert_delete AFTER INSERT OR DELETE ON appeals FOR EACH ROW"
  "  EXECUTE FUNCTION okno_appeal_roll27();"
  "CREATE TRIGGER appeal_roll27_update AFTER UPDATE ON appeals FOR EACH ROW"
  "  WHEN (" R27_CHANGED ") EXECUTE FUNCTION okno_appeal_roll27();"
  "CREATE FUNCTION okno_theme_roll() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
  "  IF TG_OP = 'DELETE' THEN UPDATE appeals SET theme = '' WHERE id = OLD.appeal_id;"
  "  ELSE"
  "    IF TG_OP = 'UPDATE' THEN IF OLD.appeal_id <> NEW.appeal_id THEN"
  "      UPDATE appeals SET theme = '' WHERE id = OLD.appeal_id; END IF; END IF;"
  "    UPDATE appeals SET theme = NEW.code WHERE id = NEW.appeal_id;"
  "  END IF;"
  "  RETURN NULL; END $$;"
  "CREATE TRIGGER theme_roll AFTER INSERT OR UPDATE OR DELETE ON appeal_themes FOR EACH ROW"
  "  EXECUTE FUNCTION okno_theme_roll();",
  /* 28 (incident, issue 19 item 5): as SQLite's step 28. */
  STEP_28_INCIDENTS("BIGINT GENERATED BY DEFAULT AS IDENTITY", "BIGINT"),
  /* 29 (learn, issue 19 item 2): as SQLite's step 29. */
  "ALTER TABLE classify_routes DROP CONSTRAINT classify_routes_pkey;"
  "ALTER TABLE classify_routes ADD PRIMARY KEY (appeal_id, model);"
  "CREATE INDEX classify_routes_at ON classify_routes(model, at);",
  /* 30 (pgfast, issue 18; docs/postgresql.md "Intake's fast path"):
   * - numbers: one sequence per counter (okno_seq_appeal_2026 for "appeal-2026") instead
   *   of the `counters` row every node's group waited on. okno_next_seq() makes a missing
   *   sequence on demand (two makers at once: the loser's unique_violation, or
   *   duplicate_table when its catalog check came after the winner's commit, is ignored),
   *   starting after the counter's last value, so numbers continue where they were;
   *   the sequences of the existing counters are made here.
   * - search: the INSERT triggers that rewrote an appeal's tsvector once per row are
   *   dropped; okno builds the row once per registration before the group's COMMIT
   *   (okno_search_add, store/search_queue.h). Changes and deletions keep the triggers. */
  "CREATE FUNCTION okno_seq_name(counter text) RETURNS text LANGUAGE sql IMMUTABLE STRICT"
  "  AS $$ SELECT 'okno_seq_' || regexp_replace(lower(counter), '[^a-z0-9]', '_', 'g') $$;"
  "CREATE FUNCTION okno_seq_create(counter text) RETURNS void LANGUAGE plpgsql AS $$"
  "DECLARE s text := okno_seq_name(counter);"
  "BEGIN"
  "  IF to_regclass(s) IS NULL THEN"
  "    BEGIN"
  "      EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START WITH %s', s,"
  "        coalesce((SELECT value FROM counters WHERE name = counter), 0) + 1);"
  "    EXCEPTION WHEN unique_violation OR duplicate_table OR duplicate_object THEN NULL;"
  "    END;"
  "  END IF;"
  "END $$;"
  "CREATE FUNCTION okno_next_seq(counter text) RETURNS bigint LANGUAGE plpgsql AS $$"
  "DECLARE s text := okno_seq_name(counter);"
  "BEGIN"
  "  IF to_regclass(s) IS NULL THEN"
  "    PERFORM okno_seq_create(counter);"
  "  END IF;"
  "  RETURN nextval(s::regclass);"
  "END $$;"
  "SELECT okno_seq_create(name) FROM counters;"
  "CREATE FUNCTION okno_search_add(appeal_ids BIGINT[], message_ids BIGINT[]) RETURNS void"
  "  LANGUAGE plpgsql AS $$"
  "DECLARE m record;"
  "BEGIN"
  "  IF cardinality(appeal_ids) > 0 THEN"
  "    PERFORM okno_search_rebuild(appeal_ids);"
  "  END IF;"
  "  FOR m IN SELECT id, appeal_id, automatic, text_terms FROM messages"
  "           WHERE id = ANY(message_ids) AND NOT appeal_id = ANY(appeal_ids) ORDER BY id LOOP"
  "    UPDATE appeal_search SET doc = doc"
  "      || okno_search_doc(CASE WHEN m.automatic = 0 THEN m.text_terms ELSE '' END, 'D')"
  "      || okno_search_doc(coalesce((SELECT string_agg(t.filename_terms, ' ' ORDER BY t.id)"
  "                                   FROM attachments t WHERE t.message_ref = m.id), ''), 'B')"
  "    WHERE appeal_id = m.appeal_id AND (m.automatic = 0"
  "      OR EXISTS (SELECT 1 FROM attachments t WHERE t.message_ref = m.id));"
  "  END LOOP;"
  "END $$;"
  "DROP TRIGGER appeal_search_appeal ON appeals;"
  "DROP TRIGGER appeal_search_message ON messages;"
  "DROP TRIGGER appeal_search_attachment ON attachments;"
  "CREATE TRIGGER appeal_search_appeal AFTER UPDATE OF subject_terms ON appeals"
  "  FOR EACH ROW EXECUTE FUNCTION okno_search_trigger();"
  "CREATE TRIGGER appeal_search_message AFTER DELETE OR UPDATE OF appeal_id, text_terms"
  "  ON messages FOR EACH ROW EXECUTE FUNCTION okno_search_trigger();"
  "CREATE TRIGGER appeal_search_attachment AFTER DELETE"
  "  OR UPDATE OF filename_terms, message_ref ON attachments"
  "  FOR EACH ROW EXECUTE FUNCTION okno_search_trigger();",
  /* 31 (jbatch, issue 14): as SQLite's step 31. */
  "CREATE TABLE journal_facts("
  "  ref TEXT NOT NULL,"
  "  ref_id BIGINT NOT NULL,"
  "  seq BIGINT NOT NULL,"
  "  fact INTEGER NOT NULL,"
  "  PRIMARY KEY (ref, ref_id, seq, fact));",
  /* 32: unused (the million branch needed no step; SELECT 1 keeps the steps positional) */
  "SELECT 1;",
  /* 33 (kbspeed, issue 19): as SQLite's step 33. */
  "CREATE TABLE kb_state(id INTEGER PRIMARY KEY, generation BIGINT NOT NULL,"
  "  shreds BIGINT NOT NULL DEFAULT 0);"
  "INSERT INTO kb_state(id, generation) VALUES(1, (SELECT count(*) FROM kb_articles));",
  /* 34 (chan, issue 22): as SQLite's step 34. */
  "ALTER TABLE chats ADD COLUMN department TEXT NOT NULL DEFAULT '';"
  "CREATE TABLE tg_links(code_hash TEXT PRIMARY KEY, contact TEXT NOT NULL,"
  "  expires_at BIGINT NOT NULL);",
  /* 35: unused (the jverify branch needed no step; SELECT 1 keeps the steps positional) */
  "SELECT 1;",
  /* 36 (pgsearch, issue 18 item 4): as SQLite's step 36, the triggers as a function;
   * and a BRIN index of appeal_search's ids (rows are written in id order, so a range
   * of 16 pages holds a narrow range of ids): search finds the newest matches of a
   * word as the GIN index's matches ANDed with the block ranges of a window of the
   * newest ids (store/search.c pg_cutoff). */
  R36_TABLE("BIGINT") R36_FILL
  "CREATE INDEX appeal_search_recent ON appeal_search USING brin (appeal_id)"
  "  WITH (pages_per_range = 16, autosummarize = on);"
  "CREATE FUNCTION okno_appeal_due36() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
  PG_R36_BODY "  RETURN NULL; END $$;"
  "CREATE TRIGGER appeal_due36_insert_delete AFTER INSERT OR DELETE ON appeals FOR EACH ROW"
  "  EXECUTE FUNCTION okno_appeal_due36();"
  "CREATE TRIGGER appeal_due36_update AFTER UPDATE ON appeals FOR EACH ROW"
  "  WHEN (" R36_CHANGED ") EXECUTE FUNCTION okno_appeal_due36();",
  /* 37 (pgev, issue 18 item 3; docs/postgresql.md "Nodes"): the triggers that add an
   * appeal's change to the shared counter rows (appeal_counts, the rollups of steps 25
   * and 27, queue_due) fire at COMMIT instead of at each statement (deferred constraint
   * triggers, same functions, same conditions). An immediate one locked the counter row
   * of every new appeal ('' department, status new) from a group's first INSERT to its
   * COMMIT, so a second node's group waited at its first INSERT for the whole of the
   * first's (pg_stat_activity: Lock/transactionid on INSERT INTO appeals); now the rows
   * are locked at the commit, behind journal_state's row which every group's leaves lock
   * first, so nodes overlap their groups and still take the counter rows in turn. The
   * counts are the same; a transaction reads its own changes in them only after it. */
  "DROP TRIGGER appeal_counts_insert_delete ON appeals;"
  "DROP TRIGGER appeal_counts_update ON appeals;"
  "DROP TRIGGER appeal_roll_insert_delete ON appeals;"
  "DROP TRIGGER appeal_roll_update ON appeals;"
  "DROP TRIGGER appeal_roll27_insert_delete ON appeals;"
  "DROP TRIGGER appeal_roll27_update ON appeals;"
  "DROP TRIGGER appeal_due36_insert_delete ON appeals;"
  "DROP TRIGGER appeal_due36_update ON appeals;"
  "CREATE CONSTRAINT TRIGGER appeal_counts_insert_delete AFTER INSERT OR DELETE ON appeals"
  "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION okno_appeal_counts();"
  "CREATE CONSTRAINT TRIGGER appeal_counts_update AFTER UPDATE OF department, status,"
  "  assignee, queue ON appeals DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
  "  WHEN ((OLD.department, OLD.status, OLD.assignee, OLD.queue)"
  "  IS DISTINCT FROM (NEW.department, NEW.status, NEW.assignee, NEW.queue))"
  "  EXECUTE FUNCTION okno_appeal_counts();"
  "CREATE CONSTRAINT TRIGGER appeal_roll_insert_delete AFTER INSERT OR DELETE ON appeals"
  "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION okno_appeal_roll();"
  "CREATE CONSTRAINT TRIGGER appeal_roll_update AFTER UPDATE ON appeals"
  "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
  "  WHEN (" ROLL_CHANGED ") EXECUTE FUNCTION okno_appeal_roll();"
  "CREATE CONSTRAINT TRIGGER appeal_roll27_insert_delete AFTER INSERT OR DELETE ON appeals"
  "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION okno_appeal_roll27();"
  "CREATE CONSTRAINT TRIGGER appeal_roll27_update AFTER UPDATE ON appeals"
  "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
  "  WHEN (" R27_CHANGED ") EXECUTE FUNCTION okno_appeal_roll27();"
  "CREATE CONSTRAINT TRIGGER appeal_due36_insert_delete AFTER INSERT OR DELETE ON appeals"
  "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION okno_appeal_due36();"
  "CREATE CONSTRAINT TRIGGER appeal_due36_update AFTER UPDATE ON appeals"
  "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
  "  WHEN (" R36_CHANGED ") EXECUTE FUNCTION okno_appeal_due36();",
  /* 38, 39: reserved, unused (see the SQLite steps). */
  "SELECT 1;",
  "SELECT 1;",
  /* 40 (pg1, issue 18 item 2; docs/postgresql.md "Where the server's time goes"):
   * - the deferred counter triggers of step 37 plan their statements once: with the
   *   default plan_cache_mode, PL/pgSQL kept re-planning them for every row (a custom
   *   plan, cheaper on paper because TG_OP folds into it), half of their 7.8 % of the
   *   server's CPU at intake; a generic plan tests TG_OP as a one-time filter instead.
   * - the large columns of mail are compressed with lz4 instead of pglz where the server
   *   has it (sealed, they do not compress, and pglz spent 2.4 % of the server's CPU
   *   finding that out); a server built without lz4 keeps pglz. */
  "ALTER FUNCTION okno_appeal_counts() SET plan_cache_mode = force_generic_plan;"
  "ALTER FUNCTION okno_appeal_roll() SET plan_cache_mode = force_generic_plan;"
  "ALTER FUNCTION okno_appeal_roll27() SET plan_cache_mode = force_generic_plan;"
  "ALTER FUNCTION okno_appeal_due36() SET plan_cache_mode = force_generic_plan;"
  "DO $$ BEGIN"
  "  ALTER TABLE messages ALTER COLUMN raw SET COMPRESSION lz4,"
  "    ALTER COLUMN text SET COMPRESSION lz4;"
  "  ALTER TABLE attachments ALTER COLUMN data SET COMPRESSION lz4;"
  "  ALTER TABLE outbound ALTER COLUMN mail_raw SET COMPRESSION lz4;"
  "EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;"
  "END $$;",
  /* 41, 42: reserved (see the SQLite steps). */
  "SELECT 1;",
  "SELECT 1;",
  /* 43 (prefill, issue 18 item 4): nothing on PostgreSQL (its search rows have been
   * written by okno before COMMIT since step 30). */
  "SELECT 1;",
  /* 44 (pgcount, issue 18 item 2; docs/postgresql.md "Counted once per group"): the
   * group-commit writer's new appeals are counted once per group, just before COMMIT
   * (PG_COUNTS_ADD above; store.h okno_store_count_at_commit), instead of by the four
   * deferred triggers of step 37 firing at COMMIT once per appeal and upserting the same
   * rows again for each appeal of the group (1.1 ms of the server's CPU per appeal at
   * intake). The INSERT triggers stay for every other transaction (the console, imports,
   * tests, loaders), each now apart from its DELETE trigger (renamed X_insert and
   * X_delete); changes keep their triggers. */
  PG_COUNTER_FUNCTION("okno_appeal_counts", PG_COUNTS_BODY)
  PG_COUNTER_FUNCTION("okno_appeal_roll", PG_ROLL_BODY)
  PG_COUNTER_FUNCTION("okno_appeal_roll27", PG_R27_BODY)
  PG_COUNTER_FUNCTION("okno_appeal_due36", PG_R36_BODY)
  PG_COUNTER_TRIGGERS("appeal_counts", "okno_appeal_counts")
  PG_COUNTER_TRIGGERS("appeal_roll", "okno_appeal_roll")
  PG_COUNTER_TRIGGERS("appeal_roll27", "okno_appeal_roll27")
  PG_COUNTER_TRIGGERS("appeal_due36", "okno_appeal_due36")
  PG_COUNTS_ADD,
  /* 45 (pgserver, issue 18 item 2; docs/postgresql.md "Indexes written per appeal"):
   * STEP_45_INDEXES (the covering columns as INCLUDE, out of the key) and
   * okno_appeal_counts_add reading the group's rows once (PG_COUNTS_ADD_45). */
  STEP_45_INDEXES("(received_at, id) INCLUDE (" STATS_COVERED ")")
  PG_COUNTS_ADD_45,
};

const char *const *okno_migrations(const char *driver, guint *count)
{
  if (g_strcmp0(driver, "sqlite") == 0) {
    *count = G_N_ELEMENTS(sqlite_steps);
    return sqlite_steps;
  }
  if (g_strcmp0(driver, "postgresql") == 0) {
    *count = G_N_ELEMENTS(pg_steps);
    return pg_steps;
  }
  *count = 0;
  return NULL;
}
