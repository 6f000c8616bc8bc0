/* test_report.c: the period report (store/report.h, `okno report`) on both stores. A
 * known mix of appeals (three channels, three categories, three departments, every
 * status, answered or not, marked overdue or not, deadlines before and after "now",
 * some received outside the period) is inserted; the expected figures are counted
 * here from the same list by the definitions of report.h, without SQL, and compared
 * with the store's, for every department and for one. The store's gauges of /metrics
 * (overdue, appeals by status) are checked against the same list. Migration 20's
 * columns follow the events; migration 25 fills the rollups exactly as its triggers
 * keep them. Migration 27's rollups (backlog by age, load per operator, 59-FZ themes)
 * give the figures counted from the rows (q.exact) through status changes,
 * reassignments, transfers, theme changes, a purge and deletes, and equal a refill. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/clock.h"
#include "store/appeals.h"
#include "store/db.h"
#include "store/events.h"
#include "store/migrations.h"
#include "store/report.h"
#include "store/retention.h"
#include "store/rollup.h"
#include "store/rollup_open_sql.h"
#include "store/staff.h"
#include "store/stats.h"
#include "store/store.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

#define N 90
#define HOUR (G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC)

static const OknoChannel CHANNELS[] = {OKNO_CHANNEL_EMAIL, OKNO_CHANNEL_WEB, OKNO_CHANNEL_PHONE};
static const char *const CATEGORIES[] = {"вход", "паспорт", ""};
static const char *const DEPARTMENTS[] = {"", "a", "b"};
static const OknoStatus STATUSES[] = {OKNO_STATUS_NEW, OKNO_STATUS_IN_PROGRESS,
                                      OKNO_STATUS_ANSWERED, OKNO_STATUS_CLOSED,
                                      OKNO_STATUS_NEEDS_CLARIFICATION, OKNO_STATUS_REJECTED};

typedef struct {
  OknoAppeal *a;
  gboolean in_period;
} Spec;

static gint64 period_start(void)
{
  gint64 us = 0;
  assert_true(okno_time_parse("2026-12-01T00:00:00+03:00", &us));
  return us;
}

static void make(Spec *s, int i, gint64 start)
{
  OknoAppeal *a = g_new0(OknoAppeal, 1);
  memset(s, 0, sizeof *s);
  s->a = a;
  a->number = g_strdup_printf("R-%d", i);
  a->channel = CHANNELS[i % 3];
  a->category = g_strdup(CATEGORIES[(i / 3) % 3]);
  a->department = g_strdup(DEPARTMENTS[(i / 7) % 3]);
  a->status = STATUSES[i % 6];
  a->answered = a->status == OKNO_STATUS_ANSWERED || a->status == OKNO_STATUS_CLOSED;
  a->overdue = i % 5 == 2;
  a->deadline = i % 4 == 0 ? 0 : start + (i % 7) * 24 * HOUR;
  /* every tenth a day before the period, every eleventh on its last day's last hour */
  a->received_at = i % 10 == 9 ? start - 24 * HOUR
                   : i % 11 == 0 ? start + 31 * 24 * HOUR - HOUR
                                 : start + i * HOUR;
  s->in_period = i % 10 != 9;
  a->from_email = g_strdup("c@example.ru");
  a->subject = g_strdup("Вопрос");
}

static void insert_all(OknoStore *st, Spec *specs, gint64 start)
{
  assert_true(okno_store_begin(st, NULL));
  for (int i = 0; i < N; i++) {
    make(&specs[i], i, start);
    assert_true(okno_store_appeal_insert(st, specs[i].a, NULL));
    specs[i].a->version = 0;
    assert_true(okno_store_appeal_update(st, specs[i].a, NULL));
    assert_true(okno_store_appeal_assign(st, specs[i].a->id, 0, specs[i].a->department, 0, NULL,
                                         NULL));
  }
  assert_true(okno_store_commit(st, NULL));
}

static gint64 get(GHashTable *h, const char *key)
{
  gint64 *v = g_hash_table_lookup(h, key);
  return v ? *v : 0;
}

static void check(OknoStore *st, const Spec *specs, gint64 start, gint64 now, const char *dept)
{
  OknoReportQuery q = {.from = start, .to = start + 31 * 24 * HOUR, .department = dept,
                       .now = now};
  OknoReport r;
  gint64 received = 0, answered = 0, on_time = 0, overdue = 0, open = 0;
  gint64 by_channel[3] = {0}, by_category[3] = {0}, by_department[3] = {0};
  assert_true(okno_store_report(st, &q, &r, NULL));
  for (int i = 0; i < N; i++) {
    const OknoAppeal *a = specs[i].a;
    gboolean is_open = okno_statuses[a->status].open;
    if (!specs[i].in_period || (dept && strcmp(a->department, dept) != 0))
      continue;
    received++;
    answered += a->answered;
    on_time += a->answered && !a->overdue;
    overdue += a->overdue || (is_open && a->deadline && a->deadline < now);
    open += is_open;
    by_channel[i % 3]++;
    by_category[(i / 3) % 3]++;
    by_department[(i / 7) % 3]++;
  }
  assert_true(received > 0 && answered > 0 && on_time > 0 && overdue > 0 && open > 0);
  assert_int_equal(r.received, received);
  assert_int_equal(r.answered, answered);
  assert_int_equal(r.on_time, on_time);
  assert_int_equal(r.overdue, overdue);
  assert_int_equal(r.open, open);
  for (int k = 0; k < 3; k++) {
    assert_int_equal(get(r.by_channel, okno_channel_name(CHANNELS[k])), by_channel[k]);
    assert_int_equal(get(r.by_category, CATEGORIES[k]), by_category[k]);
    assert_int_equal(get(r.by_department, DEPARTMENTS[k]), by_department[k]);
  }
  okno_report_clear(&r);
}

static void test_report_matches_counts(void **state)
{
  Fx *fx = fixture(state);
  Spec specs[N];
  gint64 start = period_start(), now = start + 3 * 24 * HOUR;
  OknoStoreGauges g;
  gint64 overdue_live = 0, is_new = 0;
  insert_all(fx->st, specs, start);
  check(fx->st, specs, start, now, NULL);
  check(fx->st, specs, start, now, "a");
  check(fx->st, specs, start, now, "");
  /* the gauges of /metrics over the same appeals (every one, whatever the period) */
  assert_true(okno_store_gauges(fx->st, now, &g, NULL));
  for (int i = 0; i < N; i++) {
    const OknoAppeal *a = specs[i].a;
    overdue_live += okno_statuses[a->status].open && a->deadline && a->deadline < now;
    is_new += a->status == OKNO_STATUS_NEW;
  }
  assert_int_equal(g.overdue, overdue_live);
  assert_int_equal(get(g.by_status, "new"), is_new);
  assert_int_equal(g.outbound_queued, 0);
  okno_store_gauges_clear(&g);
  assert_true(okno_store_ready(fx->st, NULL));
  for (int i = 0; i < N; i++)
    okno_appeal_free(specs[i].a);
}


/* ---- migration 20: the dashboard's columns on the appeal row (store/stats.c) ---- */

static gint64 column(OknoStore *st, gint64 id, const char *name)
{
  g_autofree char *sql = g_strdup_printf("SELECT %s FROM appeals WHERE id = $1", name);
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), sql, OKNO_PARAMS(OKNO_INT(id)), NULL);
  assert_non_null(r);
  assert_int_equal(okno_rows_count(r), 1);
  return okno_rows_int(r, 0, 0);
}

static void event_at(OknoStore *st, gint64 id, gint64 at, const char *kind, const char *detail)
{
  okno_clock_set(at);
  assert_true(okno_store_event_add(st, id, kind, detail, NULL));
}

#define CHANGE(f, t) "{\"from\":\"" f "\",\"to\":\"" t "\",\"by\":\"op\"}"
#define STATS_STEP 20

/* Events written before the step (the trigger and columns taken away again) are
 * read into the columns by step 20 itself; events added afterwards by the trigger, the
 * earliest instant kept whatever the order they come in. */
static void test_stats_columns_follow_the_events(void **state)
{
  Fx *fx = fixture(state);
  OknoDb *db = okno_store_db(fx->st);
  Spec specs[3];
  gint64 start = period_start(), id[3];
  guint count = 0;
  const char *const *steps = okno_migrations(db->driver->name, &count);
  const char *const cols[] = {"answered_first_at", "closed_first_at", "clarifications",
                              "reopened", "forwarded", "forwarded_in_time"};
  /* migration 25's rollup triggers and the covering index (appeals_stats, since
   * migration 45 appeals_k_recv) read these columns: they go first */
  g_autoptr(GString) undo = g_string_new(fx->db->pg ? "DROP TRIGGER appeal_roll_insert ON appeals;"
                                                      "DROP TRIGGER appeal_roll_delete ON appeals;"
                                                      "DROP TRIGGER appeal_roll_update ON appeals;"
                                                      "DROP INDEX appeals_clarified;"
                                                      "DROP TRIGGER appeal_stats_event ON events;"
                                                      "DROP FUNCTION okno_appeal_stats_event();"
                                                      "DROP INDEX appeals_k_recv;"
                                                    : "DROP TRIGGER appeal_roll_insert;"
                                                      "DROP TRIGGER appeal_roll_delete;"
                                                      "DROP TRIGGER appeal_roll_update;"
                                                      "DROP INDEX appeals_clarified;"
                                                      "DROP TRIGGER appeal_stats_event;"
                                                      "DROP INDEX appeals_k_recv;");
  assert_true(count >= STATS_STEP);
  assert_non_null(strstr(steps[STATS_STEP - 1], "appeal_stats_event"));
  assert_true(okno_store_begin(fx->st, NULL));
  for (int i = 0; i < 3; i++) {
    make(&specs[i], i, start);
    assert_true(okno_store_appeal_insert(fx->st, specs[i].a, NULL));
    id[i] = specs[i].a->id;
  }
  assert_true(okno_store_commit(fx->st, NULL));
  for (guint i = 0; i < G_N_ELEMENTS(cols); i++)
    g_string_append_printf(undo, "ALTER TABLE appeals DROP COLUMN %s;", cols[i]);
  assert_true(okno_db_script(db, undo->str, NULL));

  /* before the step: written as an older okno did (no trigger) */
  event_at(fx->st, id[0], start + 5 * HOUR, "status_changed", CHANGE("in_progress", "answered"));
  event_at(fx->st, id[0], start + 2 * HOUR, "status_changed", CHANGE("new", "answered"));
  event_at(fx->st, id[0], start + 9 * HOUR, "status_changed", CHANGE("answered", "closed"));
  event_at(fx->st, id[0], start + 1 * HOUR, "status_changed", CHANGE("new", "needs_clarification"));
  event_at(fx->st, id[0], start + 3 * HOUR, "status_changed", CHANGE("in_progress", "needs_clarification"));
  event_at(fx->st, id[1], start + 4 * HOUR, "reopened", "{}");
  event_at(fx->st, id[1], start + 4 * HOUR, "forwarded", "{\"in_time\":\"yes\"}");
  event_at(fx->st, id[2], start + 4 * HOUR, "forwarded", "{\"in_time\":\"no\"}");
  event_at(fx->st, id[2], start + 6 * HOUR, "status_changed", CHANGE("new", "in_progress"));
  assert_true(okno_db_script(db, steps[STATS_STEP - 1], NULL));
  assert_int_equal(column(fx->st, id[0], "answered_first_at"), start + 2 * HOUR);
  assert_int_equal(column(fx->st, id[0], "closed_first_at"), start + 9 * HOUR);
  assert_int_equal(column(fx->st, id[0], "clarifications"), 2);
  assert_int_equal(column(fx->st, id[0], "reopened"), 0);
  assert_int_equal(column(fx->st, id[0], "forwarded"), 0);
  assert_int_equal(column(fx->st, id[1], "reopened"), 1);
  assert_int_equal(column(fx->st, id[1], "forwarded"), 1);
  assert_int_equal(column(fx->st, id[1], "forwarded_in_time"), 1);
  assert_int_equal(column(fx->st, id[1], "answered_first_at"), 0);
  assert_int_equal(column(fx->st, id[2], "forwarded"), 1);
  assert_int_equal(column(fx->st, id[2], "forwarded_in_time"), 0);
  assert_int_equal(column(fx->st, id[2], "reopened"), 0);

  /* after the step: the trigger */
  event_at(fx->st, id[2], start + 8 * HOUR, "status_changed", CHANGE("in_progress", "answered"));
  event_at(fx->st, id[2], start + 7 * HOUR, "status_changed", CHANGE("in_progress", "answered"));
  event_at(fx->st, id[2], start + 10 * HOUR, "status_changed", CHANGE("answered", "closed"));
  event_at(fx->st, id[2], start + 11 * HOUR, "status_changed", CHANGE("closed", "in_progress"));
  event_at(fx->st, id[2], start + 12 * HOUR, "status_changed",
           CHANGE("in_progress", "needs_clarification"));
  event_at(fx->st, id[2], start + 13 * HOUR, "note", CHANGE("in_progress", "answered"));
  event_at(fx->st, id[1], start + 13 * HOUR, "forwarded", "{\"in_time\":\"no\"}");
  assert_int_equal(column(fx->st, id[2], "answered_first_at"), start + 7 * HOUR);
  assert_int_equal(column(fx->st, id[2], "closed_first_at"), start + 10 * HOUR);
  assert_int_equal(column(fx->st, id[2], "reopened"), 1);
  assert_int_equal(column(fx->st, id[2], "clarifications"), 1);
  assert_int_equal(column(fx->st, id[1], "forwarded_in_time"), 1);
  assert_int_equal(column(fx->st, id[0], "answered_first_at"), start + 2 * HOUR);
  for (int i = 0; i < 3; i++)
    okno_appeal_free(specs[i].a);
}

/* ---- migration 25: the rollups filled by the step equal those kept by the triggers ---- */

/* The rows of each query (none may be empty) as one text, `cols[k]` columns of the k-th. */
static char *tables_text(OknoDb *db, const char *const *sql, const guint *cols, gsize n)
{
  GString *out = g_string_new(NULL);
  for (gsize k = 0; k < n; k++) {
    g_autoptr(OknoRows) r = okno_db_query(db, sql[k], OKNO_NO_PARAMS, NULL);
    assert_non_null(r);
    assert_true(okno_rows_count(r) > 0);
    for (guint i = 0; i < okno_rows_count(r); i++) {
      for (guint c = 0; c < cols[k]; c++)
        g_string_append_printf(out, "%s|", okno_rows_text(r, i, c));
      g_string_append_c(out, '\n');
    }
  }
  return g_string_free(out, FALSE);
}

/* The rollups' non-empty rows as one text (a key whose appeals all moved away keeps a
 * row of zeros under the triggers; the fill writes none). */
static char *rollups(OknoDb *db)
{
  static const char *const sql[] = {
    "SELECT day, department, channel, category, kind, sla_class, received, answered, on_time,"
    " overdue, open, reopened, repeated, clarified, clarifications, forwarded,"
    " forwarded_in_time, answered_30, extended, rated, r1, r2, r3, r4, r5 FROM stats_daily"
    " WHERE received <> 0 ORDER BY 1, 2, 3, 4, 5, 6",
    "SELECT day, department, channel, category, kind, sla_class, what, bucket, n"
    " FROM stats_hours WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8",
  };
  const guint cols[] = {25, 9};
  return tables_text(db, sql, cols, G_N_ELEMENTS(sql));
}

static void test_rollup_fill_equals_triggers(void **state)
{
  Fx *fx = fixture(state);
  OknoDb *db = okno_store_db(fx->st);
  Spec specs[N];
  gint64 start = period_start();
  guint count = 0, step = 0;
  const char *const *steps = okno_migrations(db->driver->name, &count);
  g_autofree char *kept = NULL, *filled = NULL;
  for (guint i = 0; i < count; i++)
    if (strstr(steps[i], "CREATE TABLE stats_daily"))
      step = i + 1;
  assert_true(step > 20);
  insert_all(fx->st, specs, start);
  /* answers, closings, a reopening, clarifications, forwards, ratings, transfers */
  for (int i = 0; i < N; i += 4) {
    gint64 id = specs[i].a->id;
    event_at(fx->st, id, start + (i + 2) * HOUR, "status_changed", CHANGE("new", "answered"));
    if (i % 8 == 0)
      event_at(fx->st, id, start + (i + 30) * HOUR, "status_changed", CHANGE("answered", "closed"));
    if (i % 12 == 0)
      event_at(fx->st, id, start + (i + 40) * HOUR, "status_changed", CHANGE("closed", "in_progress"));
    if (i % 5 == 0)
      event_at(fx->st, id, start + (i + 1) * HOUR, "status_changed",
               CHANGE("new", "needs_clarification"));
    if (i % 7 == 0)
      event_at(fx->st, id, start + (i + 3) * HOUR, "forwarded", "{\"in_time\":\"yes\"}");
  }
  assert_true(okno_db_exec(db, "INSERT INTO ratings(appeal_id, score, comment, email, created_at)"
                               " SELECT id, 1 + id % 5, '', 'c@example.ru', received_at FROM appeals"
                               " WHERE id % 3 = 0", OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE ratings SET score = 5 WHERE appeal_id % 2 = 0",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET department = 'b', category = 'вход'"
                               " WHERE id % 5 = 1", OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "DELETE FROM ratings WHERE appeal_id % 9 = 0", OKNO_NO_PARAMS, NULL));
  kept = rollups(db);

  /* step 25 undone and run again: its fill, then the histograms' rebuild */
  assert_true(okno_db_script(
      db,
      fx->db->pg ? "DROP TRIGGER appeal_roll_insert ON appeals;"
                   "DROP TRIGGER appeal_roll_delete ON appeals;"
                   "DROP TRIGGER appeal_roll_update ON appeals; DROP TRIGGER rating_roll ON ratings;"
                   "DROP FUNCTION okno_appeal_roll(); DROP FUNCTION okno_rating_roll();"
                 : "DROP TRIGGER appeal_roll_insert; DROP TRIGGER appeal_roll_delete;"
                   "DROP TRIGGER appeal_roll_update; DROP TRIGGER rating_roll_insert;"
                   "DROP TRIGGER rating_roll_update; DROP TRIGGER rating_roll_delete;",
      NULL));
  assert_true(okno_db_script(db,
                             "DROP INDEX appeals_late_open; DROP INDEX appeals_clarified;"
                             "DROP INDEX ratings_recent; DROP TABLE stats_daily;"
                             "DROP TABLE stats_hours; DROP TABLE stats_workdays;"
                             "ALTER TABLE appeals DROP COLUMN rating;"
                             "DELETE FROM meta WHERE key = 'stats_calendar';",
                             NULL));
  assert_true(okno_db_script(db, steps[step - 1], NULL));
  assert_true(okno_rollup_sync(fx->st, NULL, NULL));
  filled = rollups(db);
  assert_string_equal(filled, kept);
  for (int i = 0; i < N; i++)
    okno_appeal_free(specs[i].a);
}


/* ---- migration 27: backlog, load and themes from the rollups equal the rows ---- */

static char *rollups27(OknoDb *db)
{
  static const char *const sql[] = {
    "SELECT day, department, channel, category, kind, sla_class, n FROM stats_open"
    " ORDER BY 1, 2, 3, 4, 5, 6",
    "SELECT day, department, assignee, n, answered, open FROM stats_load ORDER BY 1, 2, 3",
    "SELECT day, department, channel, category, sla_class, theme, n FROM stats_themes"
    " ORDER BY 1, 2, 3, 4, 5, 6",
  };
  const guint cols[] = {7, 6, 7};
  return tables_text(db, sql, cols, G_N_ELEMENTS(sql));
}

static char *load_text(const OknoStats *s)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < s->load->len; i++) {
    const OknoStatsLoad *l = g_ptr_array_index(s->load, i);
    g_string_append_printf(out, "%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                           ";", l->login, l->assigned, l->answered, l->open);
  }
  return g_string_free(out, FALSE);
}

/* Every figure of migration 27 read from the rollups and from the rows. */
static void compare27(OknoStore *st, OknoReportQuery q, gboolean *any_backlog)
{
  OknoStats roll, rows;
  g_autofree char *lr = NULL, *lx = NULL;
  GHashTableIter it;
  gpointer k, v;
  q.exact = FALSE;
  assert_true(okno_store_stats(st, &q, FALSE, NULL, &roll, NULL));
  q.exact = TRUE;
  assert_true(okno_store_stats(st, &q, FALSE, NULL, &rows, NULL));
  for (int i = 0; i < OKNO_STATS_AGES; i++) {
    assert_int_equal(roll.backlog[i], rows.backlog[i]);
    *any_backlog = *any_backlog || (i > 0 && i < OKNO_STATS_AGES - 1 && rows.backlog[i] > 0);
  }
  lr = load_text(&roll);
  lx = load_text(&rows);
  assert_string_equal(lr, lx);
  assert_int_equal(g_hash_table_size(roll.formal.themes), g_hash_table_size(rows.formal.themes));
  g_hash_table_iter_init(&it, rows.formal.themes);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    gint64 *n = g_hash_table_lookup(roll.formal.themes, k);
    assert_non_null(n);
    assert_int_equal(*n, *(gint64 *)v);
  }
  assert_int_equal(roll.formal.unanswered, rows.formal.unanswered);
  okno_stats_clear(&roll);
  okno_stats_clear(&rows);
}

static void compare27_all(OknoStore *st, gint64 start, gint64 now)
{
  static const char *const mine[] = {"a", "", NULL};
  const OknoReportQuery base = {.from = start - 24 * HOUR, .to = start + 31 * 24 * HOUR,
                                .now = now};
  OknoReportQuery q = base;
  gboolean any = FALSE;
  compare27(st, q, &any);
  q.department = "a";
  compare27(st, q, &any);
  q = base;
  q.channel = "web"; /* the load then from the rows */
  compare27(st, q, &any);
  q = base;
  q.departments = mine;
  q.category = "паспорт";
  compare27(st, q, &any);
  q = base;
  q.kind = "formal";
  q.sla_class = "";
  compare27(st, q, &any);
  assert_true(any); /* some band between the edges held appeals */
}

static void test_rollup27_equals_rows(void **state)
{
  Fx *fx = fixture(state);
  OknoDb *db = okno_store_db(fx->st);
  Spec specs[N];
  gint64 start = period_start(), users[3];
  g_autofree char *kept = NULL, *filled = NULL;
  OknoPurgeCounts pc = {0};
  for (int i = 0; i < 3; i++) {
    g_autofree char *login = g_strdup_printf("op%d", i);
    char *none[] = {NULL};
    OknoUser u = {.login = login, .role = "operator", .password_hash = "x", .totp_secret = "",
                  .departments = none};
    assert_true(okno_store_user_insert(fx->st, &u, NULL));
    users[i] = u.id;
  }
  insert_all(fx->st, specs, start);
  /* formal appeals, assignees, a few themes, a quarantined and a spam one */
  for (int i = 0; i < N; i++) {
    g_autofree char *who = i % 4 == 3 ? g_strdup("NULL")
                                      : g_strdup_printf("%" G_GINT64_FORMAT, users[i % 3]);
    g_autofree char *sql = g_strdup_printf(
        "UPDATE appeals SET kind = '%s', assignee = %s, queue = '%s' WHERE id = %" G_GINT64_FORMAT,
        i % 3 ? "formal" : "support", who, i == 5 ? "quarantine" : i == 6 ? "spam" : "",
        specs[i].a->id);
    assert_true(okno_db_exec(db, sql, OKNO_NO_PARAMS, NULL));
  }
  for (int i = 1; i < N; i += 3)
    assert_true(okno_store_appeal_theme_set(fx->st, specs[i].a->id, i % 2 ? "0001.0002" : "0003.0004",
                                            start, "op", NULL));
  kept = rollups27(db);
  compare27_all(fx->st, start, start + 3 * 24 * HOUR + 5 * HOUR);

  /* status changes, reassignment, transfers, theme changes and removals, a purge, deletes */
  assert_true(okno_db_exec(db, "UPDATE appeals SET status = 'closed', answered = 1 WHERE id % 7 = 0",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET status = 'in_progress' WHERE id % 11 = 4",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET assignee = NULL WHERE id % 5 = 2",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET assignee = $1 WHERE id % 5 = 3",
                           OKNO_PARAMS(OKNO_INT(users[0])), NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET department = 'b', channel = 'web',"
                               " received_at = received_at - 86400000000 WHERE id % 6 = 1",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET queue = '' WHERE queue = 'quarantine'",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET kind = 'support' WHERE id % 9 = 1",
                           OKNO_NO_PARAMS, NULL));
  for (int i = 1; i < N; i += 6)
    assert_true(okno_store_appeal_theme_set(fx->st, specs[i].a->id, "0005.0006", start, "op", NULL));
  assert_true(okno_db_exec(db, "DELETE FROM appeal_themes WHERE appeal_id % 4 = 0",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_retention_purge(fx->st, specs[2].a->id, start, "period", &pc, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  okno_purge_counts_clear(&pc);
  assert_true(okno_db_exec(db, "DELETE FROM appeal_themes WHERE appeal_id IN ($1, $2)",
                           OKNO_PARAMS(OKNO_INT(specs[10].a->id), OKNO_INT(specs[13].a->id)), NULL));
  assert_true(okno_db_exec(db, "DELETE FROM appeals WHERE id IN ($1, $2)",
                           OKNO_PARAMS(OKNO_INT(specs[10].a->id), OKNO_INT(specs[13].a->id)), NULL));
  event_at(fx->st, specs[4].a->id, start + 50 * HOUR, "left_unanswered", "{\"ground\":\"obscene\"}");
  for (gint64 h = 0; h < 48; h += 7)
    compare27_all(fx->st, start, start + (3 * 24 + h) * HOUR);
  compare27_all(fx->st, start, start + 40 * 24 * HOUR);

  /* the rows the triggers kept are those a refill counts */
  g_free(kept);
  kept = rollups27(db);
  assert_true(okno_db_script(db, "DELETE FROM stats_open; DELETE FROM stats_load;"
                                 "DELETE FROM stats_themes;" R27_FILL, NULL));
  filled = rollups27(db);
  assert_string_equal(filled, kept);
  for (int i = 0; i < N; i++)
    okno_appeal_free(specs[i].a);
}

/* The plan of `sql` as one text: PostgreSQL's EXPLAIN (sequential scans priced out, so
 * the plan names an index whenever one serves the statement, whatever the table's
 * size), SQLite's EXPLAIN QUERY PLAN. */
static char *plan_of(Fx *fx, const char *sql)
{
  OknoDb *db = okno_store_db(fx->st);
  g_autofree char *explain =
      g_strdup_printf("%s %s", fx->db->pg ? "EXPLAIN" : "EXPLAIN QUERY PLAN", sql);
  g_autoptr(OknoRows) r = NULL;
  GString *plan = g_string_new(NULL);
  assert_true(okno_db_exec(db, fx->db->pg ? "SET enable_seqscan = off" : "SELECT 1",
                           OKNO_NO_PARAMS, NULL));
  r = okno_db_query(db, explain, OKNO_NO_PARAMS, NULL);
  assert_non_null(r);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_string_append_printf(plan, "%s\n", okno_rows_text(r, i, fx->db->pg ? 0 : 3));
  return g_string_free(plan, FALSE);
}

/* Migration 45 dropped appeals_stats, outbound_due and outbound_due_transport: the
 * statements they served are served by the indexes that replaced them (the dashboard's
 * period range by the covering appeals_k_recv, the outbound queue's claim, release and
 * count by the partial outbound_queued), on both stores. */
static void test_the_merged_indexes_serve_their_statements(void **state)
{
  Fx *fx = fixture(state);
  static const struct {
    const char *sql, *index;
  } cases[] = {
    {"SELECT +assignee, count(*), count(*) FILTER (WHERE answered = 1) FROM appeals"
     " WHERE 1 = 1 AND received_at >= 1 AND received_at < 2 GROUP BY 1", "appeals_k_recv"},
    {"SELECT received_at, answered_first_at, closed_first_at FROM appeals"
     " WHERE 1 = 1 AND received_at >= 1 AND received_at < 2", "appeals_k_recv"},
    {"SELECT id FROM outbound WHERE state = 'queued' AND next_attempt_at <= 5"
     " AND transport = 'mail' AND lease_until <= 5 ORDER BY next_attempt_at, id LIMIT 8",
     "outbound_queued"},
    {"SELECT count(*), coalesce(min(created_at), 0) FROM outbound WHERE state = 'queued'",
     "outbound_queued"},
    {"UPDATE outbound SET lease_until = 0, lease_owner = ''"
     " WHERE state = 'queued' AND lease_owner = 'n' AND lease_until > 0", "outbound_queued"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *plan = plan_of(fx, cases[i].sql);
    if (!strstr(plan, cases[i].index))
      fail_msg("%s\nnot through %s:\n%s", cases[i].sql, cases[i].index, plan);
  }
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), \
  {"pg_" #f, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_report_matches_counts),
    ON_BOTH(test_stats_columns_follow_the_events),
    ON_BOTH(test_rollup_fill_equals_triggers),
    ON_BOTH(test_rollup27_equals_rows),
    ON_BOTH(test_the_merged_indexes_serve_their_statements),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
