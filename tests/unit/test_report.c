/* test_report.c: the period report (store/report.h, `okno report`) on both stores. A
 * known mix of appeals (three channels, three categories, three departments, every
 * status, answered or not, marked overdue or not, deadlines before and after "now",
 * some received outside the period) is inserted; the expected figures are counted
 * here from the same list by the definitions of report.h, without SQL, and compared
 * with the store's, for every department and for one. The store's gauges of /metrics
 * (overdue, appeals by status) are checked against the same list. */
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
  g_autoptr(GString) undo = g_string_new(fx->db->pg ? "DROP TRIGGER appeal_stats_event ON events;"
                                                      "DROP FUNCTION okno_appeal_stats_event();"
                                                      "DROP INDEX appeals_stats;"
                                                    : "DROP TRIGGER appeal_stats_event;"
                                                      "DROP INDEX appeals_stats;");
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

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), \
  {"pg_" #f, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_report_matches_counts),
    ON_BOTH(test_stats_columns_follow_the_events),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
