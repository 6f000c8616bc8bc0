/* test_retention.c: retention (appeal/retention.h, store/retention.h, ops/retention.h):
 * the periods per kind and category, the hold that stops the clock, the citizen's
 * deletion request, a malformed [retention] categories entry; and on both backends the
 * purge of one appeal (its personal columns emptied, the facts kept), the journal
 * verifying afterwards through the purge leaves while a purged row changed by hand is
 * still found, the holds' arithmetic, and the daily guard taken once per interval. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "appeal/retention.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "ops/journal.h"
#include "ops/retention.h"
#include "store/appeals.h"
#include "store/db.h"
#include "store/events.h"
#include "store/journal.h"
#include "store/messages.h"
#include "store/retention.h"
#include "store/store.h"

#define OKNO_STORE_FIXTURE
#include "store_backends.h"

#define DAY (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)

static void test_periods_by_kind_and_category(void **state)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  g_autoptr(OknoRetentionPolicy) p = okno_retention_policy_new(cfg, NULL);
  OknoRetentionFacts f = {.kind = OKNO_KIND_SUPPORT, .category = "technical", .closed_at = 1000};
  const char *grounds = NULL;
  (void)state;
  assert_non_null(p);
  assert_int_equal(okno_retention_days(p, OKNO_KIND_SUPPORT, ""), 365);
  assert_int_equal(okno_retention_days(p, OKNO_KIND_FORMAL, ""), 1825);
  assert_int_equal(okno_retention_days(p, OKNO_KIND_SUPPORT, "complaint"), 1825);
  assert_int_equal(okno_retention_days(p, OKNO_KIND_SUPPORT, "legal"), 1095);
  assert_int_equal(okno_retention_days(p, OKNO_KIND_FORMAL, "legal"), 1825); /* the longer */
  assert_int_equal(okno_retention_min_days(p), 30);
  assert_int_equal(okno_retention_due_at(p, &f, &grounds), 1000 + 365 * DAY);
  assert_string_equal(grounds, "period");
  /* A hold: never due while it lasts; its time is added once lifted. */
  f.held = TRUE;
  assert_int_equal(okno_retention_due_at(p, &f, NULL), 0);
  f.held = FALSE;
  f.held_total = 10 * DAY;
  assert_int_equal(okno_retention_due_at(p, &f, NULL), 1000 + 375 * DAY);
  f.held_total = 0;
  /* The citizen's request: the legal minimum after closing, or the request if later. */
  f.deletion_requested_at = 1000 + 5 * DAY;
  assert_int_equal(okno_retention_due_at(p, &f, &grounds), 1000 + 30 * DAY);
  assert_string_equal(grounds, "request");
  f.deletion_requested_at = 1000 + 100 * DAY;
  assert_int_equal(okno_retention_due_at(p, &f, NULL), 1000 + 100 * DAY);
  /* ... but not for a formal appeal or a category the law keeps longer. */
  f.kind = OKNO_KIND_FORMAL;
  assert_int_equal(okno_retention_due_at(p, &f, &grounds), 1000 + 1825 * DAY);
  assert_string_equal(grounds, "period");
  f.kind = OKNO_KIND_SUPPORT;
  f.category = "complaint";
  assert_int_equal(okno_retention_due_at(p, &f, NULL), 1000 + 1825 * DAY);
}

static void test_bad_categories_are_refused(void **state)
{
  static const char *const bad[] = {"complaint", "complaint:", ":30", "complaint:abc",
                                    "complaint:0", "complaint:40000", "complaint:30d"};
  (void)state;
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(OknoConfig) cfg = okno_config_new_default();
    g_autoptr(GError) err = NULL;
    g_strfreev(cfg->retention_categories);
    cfg->retention_categories = g_new0(char *, 2);
    cfg->retention_categories[0] = g_strdup(bad[i]);
    assert_null(okno_retention_policy_new(cfg, &err));
    assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
    assert_non_null(strstr(err->message, bad[i]));
  }
}

/* One closed appeal with a letter, an answer, a kept and a personal event. */
static gint64 closed_appeal(OknoStore *st, const char *number, const char *email)
{
  OknoAppeal a = {.number = (char *)number, .status = OKNO_STATUS_CLOSED,
                  .channel = OKNO_CHANNEL_EMAIL, .subject = "Тайна вклада", .from_name = "Пётр",
                  .from_email = (char *)email, .phone = "+79165550000",
                  .received_at = okno_now()};
  g_autoptr(GBytes) raw = g_bytes_new_static("From: petr\r\n\r\nсекрет\r\n", 23);
  OknoMessageRow m = {.direction = "in", .message_id = "m1@example.ru", .sender = email,
                      .subject = "Тайна вклада", .text = "секрет", .raw = raw,
                      .created_at = okno_now()};
  assert_true(okno_store_begin(st, NULL));
  assert_true(okno_store_appeal_insert(st, &a, NULL));
  m.appeal_id = a.id;
  assert_true(okno_store_message_insert(st, &m, NULL));
  assert_true(okno_store_event_add(st, a.id, "registered", "{\"number\":\"x\"}", NULL));
  assert_true(okno_store_event_add(st, a.id, "invalid_identifier", "{\"value\":\"112-233-445 00\"}",
                                   NULL));
  assert_true(okno_store_event_add(st, a.id, "status_changed", "{\"to\":\"closed\"}", NULL));
  assert_true(okno_store_commit(st, NULL));
  return a.id;
}

static gint64 count(OknoStore *st, const char *sql, gint64 id)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), sql, OKNO_PARAMS(OKNO_INT(id)), NULL);
  assert_non_null(r);
  return okno_rows_int(r, 0, 0);
}

static gint64 problems(OknoStore *st)
{
  g_autoptr(OknoJournalReport) rep = okno_journal_verify(st, NULL, NULL);
  assert_non_null(rep);
  return rep->problems->len;
}

static void test_purge_empties_and_history_verifies(void **state)
{
  Fx *fx = fixture(state);
  gint64 id = closed_appeal(fx->st, "26-000001-9", "petr@example.ru");
  gint64 other = closed_appeal(fx->st, "26-000002-4", "anna@example.ru");
  OknoPurgeCounts c = {0};
  assert_int_equal(problems(fx->st), 0);
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_retention_purge(fx->st, id, okno_now(), "period", &c, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  assert_int_equal(c.messages, 1);
  assert_int_equal(c.events, 2); /* invalid_identifier and status_changed; registered kept */
  okno_purge_counts_clear(&c);
  assert_int_equal(count(fx->st, "SELECT count(*) FROM appeals WHERE id = $1 AND subject = '' "
                                 "AND from_email = '' AND from_name = '' AND phone = ''", id), 1);
  assert_int_equal(count(fx->st, "SELECT count(*) FROM messages WHERE appeal_id = $1 AND "
                                 "text = '' AND sender = '' AND subject = ''", id), 1);
  assert_int_equal(count(fx->st, "SELECT count(*) FROM events WHERE appeal_id = $1 AND "
                                 "detail LIKE '%112-233%'", id), 0);
  assert_int_equal(count(fx->st, "SELECT count(*) FROM events WHERE appeal_id = $1 AND "
                                 "kind = 'registered' AND detail <> '{\"purged\":true}'", id), 1);
  assert_int_equal(count(fx->st, "SELECT count(*) FROM messages WHERE appeal_id = $1 AND "
                                 "text = 'секрет'", other), 1);
  assert_int_equal(okno_store_retention_purged_at(fx->st, id, NULL), okno_now());
  /* The journal: one purge leaf per emptied message and event, and verify passes. */
  assert_int_equal(count(fx->st, "SELECT count(*) FROM journal WHERE kind = 'purge' AND "
                                 "appeal_id = $1", id), 3);
  assert_int_equal(problems(fx->st), 0);
  /* A purged row changed by hand is still a problem, and so is a purge leaf's row. */
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_db_exec(okno_store_db(fx->st),
                           "UPDATE messages SET subject = 'вписано' WHERE appeal_id = $1",
                           OKNO_PARAMS(OKNO_INT(id)), NULL));
  assert_int_equal(problems(fx->st), 1);
  okno_store_rollback(fx->st);
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_db_exec(okno_store_db(fx->st),
                           "UPDATE events SET detail = '{}' WHERE appeal_id = $1 AND kind = "
                           "'invalid_identifier'", OKNO_PARAMS(OKNO_INT(id)), NULL));
  assert_int_equal(problems(fx->st), 1);
  okno_store_rollback(fx->st);
  assert_int_equal(problems(fx->st), 0);
}

static void test_holds_and_the_daily_guard(void **state)
{
  Fx *fx = fixture(state);
  gint64 id = closed_appeal(fx->st, "26-000001-9", "petr@example.ru");
  gint64 t = okno_now();
  gboolean was = TRUE, won = FALSE;
  g_autoptr(OknoRetentionHold) h = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  g_autoptr(OknoRetentionReport) rep = NULL;
  assert_true(okno_store_begin(fx->st, NULL));
  assert_false(okno_retention_hold(fx->st, "26-000001-9", " ", "boss", t, &err));
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
  assert_true(okno_retention_hold(fx->st, "26-000001-9", "суд", "boss", t, NULL));
  assert_true(okno_store_retention_hold(fx->st, id, "суд, уточнено", "boss", t + DAY, &was, NULL));
  assert_true(was);
  assert_true(okno_store_retention_unhold(fx->st, id, t + 3 * DAY, &was, NULL));
  assert_true(was);
  assert_true(okno_store_retention_unhold(fx->st, id, t + 4 * DAY, &was, NULL));
  assert_false(was);
  assert_true(okno_store_commit(fx->st, NULL));
  h = okno_store_retention_hold_get(fx->st, id, NULL);
  assert_non_null(h);
  assert_false(h->held);
  assert_int_equal(h->held_total, 3 * DAY); /* from the first hold, not the re-hold */
  assert_string_equal(h->reason, "суд, уточнено");
  /* A pass a year and a day after closing keeps it: the three held days are added. */
  rep = okno_retention_run(cfg, fx->st, t + 366 * DAY, FALSE, "test", NULL);
  assert_non_null(rep);
  assert_int_equal(rep->purged, 0);
  g_clear_pointer(&rep, okno_retention_report_free);
  rep = okno_retention_run(cfg, fx->st, t + 369 * DAY, TRUE, "test", NULL);
  assert_int_equal(rep->purged, 1);
  assert_int_equal(rep->act_id, 0); /* a dry run writes nothing */
  assert_int_equal(okno_store_retention_purged_at(fx->st, id, NULL), 0);
  /* The daily guard: once per interval, whoever asks. */
  assert_true(okno_store_retention_claim(fx->st, t, DAY, &won, NULL));
  assert_true(won);
  assert_true(okno_store_retention_claim(fx->st, t + DAY / 2, DAY, &won, NULL));
  assert_false(won);
  assert_true(okno_store_retention_claim(fx->st, t + DAY, DAY, &won, NULL));
  assert_true(won);
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_periods_by_kind_and_category),
    cmocka_unit_test(test_bad_categories_are_refused),
    ON_BOTH(test_purge_empties_and_history_verifies),
    ON_BOTH(test_holds_and_the_daily_guard),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
