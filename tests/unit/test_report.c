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

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), \
  {"pg_" #f, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_report_matches_counts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
