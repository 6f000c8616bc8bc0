/* test_queue.c: the console's paged queues (store.h "queues", src/store/queue.c) over
 * 50,000 appeals, on SQLite and again (pg_...) on PostgreSQL when OKNO_TEST_PG_URL
 * names a server.
 *
 * The appeals are written by one INSERT ... SELECT over a recursive counter (the same
 * SQL on both backends): four departments ("" = triage, a, b, c), every status, a
 * third unassigned, deadlines before and after "now" (and some with none), ties of
 * received_at in threes (so the id breaks them), 1 in 97 quarantined. Every queue,
 * in both sort orders, for an administrator (every department) and an operator of a
 * and b, with and without a status filter, is checked against a plain SELECT written
 * independently here (NOT IN instead of the partial indexes' IN, a CASE instead of
 * `due`): its count equals count(*), its first three pages of 50 are exactly the first
 * 150 rows of the SELECT although an appeal arrives before each page, the previous
 * page of the third is the second, and the plan reads an index (SQLite: no table scan,
 * no temporary b-tree; PostgreSQL: no sequential scan of appeals, no sort of more than
 * MAX_SORTED estimated rows). Two
 * queues are walked to their end with arrivals every ten pages: no gap, no repeat. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "store/appeals.h"
#include "store/queue.h"
#include "store/rollup.h"
#include "store/staff.h"
#include "store/store.h"
#include "store/terms.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

#define N_APPEALS 50000
#define BASE G_GINT64_CONSTANT(1700000000000000) /* received_at of the first, in µs */
/* "now": half the deadlines (spread over 100,000 minutes from BASE) have passed */
#define NOW (BASE + G_GINT64_CONSTANT(50000) * 60000000)
#define PAGE 50

static const char *const OPERATOR_DEPTS[] = {"a", "b", NULL};

static void seed(OknoStore *st, gint64 users[3])
{
  OknoDb *db = okno_store_db(st);
  /* the subjects' search terms, as the store's insert would make them (store/terms.h) */
  g_autofree char *lost = okno_store_terms("Паспорт утерян");
  g_autofree char *question = okno_store_terms("Вопрос");
  for (int i = 0; i < 3; i++) {
    g_autofree char *login = g_strdup_printf("user%d", i);
    char *none[] = {NULL};
    OknoUser u = {.login = login, .role = "operator", .password_hash = "x", .totp_secret = "",
                  .departments = none};
    assert_true(okno_store_user_insert(st, &u, NULL));
    users[i] = u.id;
  }
  assert_true(okno_store_begin(st, NULL));
  /* PostgreSQL's search trigger rebuilds one appeal's document per row (1.5 ms each):
   * for the bulk insert it is off and the documents are built in one statement; so are
   * the rollups' (plpgsql upserts per row), counted again from the rows afterwards */
  if (!okno_db_is_sqlite(db))
    assert_true(okno_db_script(db, "ALTER TABLE appeals DISABLE TRIGGER appeal_search_appeal;"
                                   "ALTER TABLE appeals DISABLE TRIGGER appeal_roll_insert;"
                                   "ALTER TABLE appeals DISABLE TRIGGER appeal_roll27_insert;"
                                   "ALTER TABLE appeals DISABLE TRIGGER appeal_due36_insert",
                               NULL));
  assert_true(okno_db_exec(
      db,
      "WITH RECURSIVE s(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM s "
      "WHERE i < $1) "
      "INSERT INTO appeals(number, status, channel, queue, subject, from_email, received_at, "
      "deadline, updated_at, department, assignee, subject_terms) "
      "SELECT 'T-' || i, CASE i % 6 WHEN 0 THEN 'new' WHEN 1 THEN 'in_progress' "
      "WHEN 2 THEN 'needs_clarification' WHEN 3 THEN 'answered' WHEN 4 THEN 'closed' "
      "ELSE 'rejected' END, 'email', CASE WHEN i % 97 = 0 THEN 'quarantine' ELSE '' END, "
      "CASE WHEN i % 50 = 0 THEN 'Паспорт утерян' ELSE 'Вопрос' END, 'c@example.ru', "
      "$2 + (i / 3) * 1000000, "
      "CASE WHEN i % 11 = 0 THEN 0 ELSE $2 + ((i * 7919) % 100000) * 60000000 END, $2, "
      "CASE i % 4 WHEN 0 THEN '' WHEN 1 THEN 'a' WHEN 2 THEN 'b' ELSE 'c' END, "
      "CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN $3 ELSE CASE WHEN i % 2 = 0 THEN $4 ELSE $5 END END, "
      "CASE WHEN i % 50 = 0 THEN $6 ELSE $7 END "
      "FROM s",
      OKNO_PARAMS(OKNO_INT(N_APPEALS), OKNO_INT(BASE), OKNO_INT(users[0]), OKNO_INT(users[1]),
                  OKNO_INT(users[2]), OKNO_TEXT(lost), OKNO_TEXT(question)),
      NULL));
  /* SQLite: the search rows the store writes before COMMIT (store/search_queue.h) */
  if (okno_db_is_sqlite(db))
    assert_true(okno_db_script(db,
                               "INSERT INTO appeal_fts(rowid, subject, texts, files)"
                               " SELECT id, subject_terms, '', '' FROM appeals",
                               NULL));
  if (!okno_db_is_sqlite(db))
    assert_true(okno_db_script(db,
                               "SELECT okno_search_rebuild(array(SELECT id FROM appeals));"
                               /* the deferred triggers' events first (migration 37):
                                * ALTER TABLE refuses a table with some pending */
                               "SET CONSTRAINTS ALL IMMEDIATE;"
                               "ALTER TABLE appeals ENABLE TRIGGER appeal_search_appeal;"
                               "ALTER TABLE appeals ENABLE TRIGGER appeal_roll_insert;"
                               "ALTER TABLE appeals ENABLE TRIGGER appeal_roll27_insert;"
                               "ALTER TABLE appeals ENABLE TRIGGER appeal_due36_insert",
                               NULL));
  assert_true(okno_store_commit(st, NULL));
  if (!okno_db_is_sqlite(db))
    assert_true(okno_rollup_refill(st, NULL, NULL));
  assert_true(okno_db_script(db, "ANALYZE", NULL));
}

/* A new appeal arriving while pages are read: newest, no deadline (last by deadline). */
static void arrive(OknoStore *st)
{
  static int n;
  g_autofree char *number = g_strdup_printf("NEW-%d", ++n);
  OknoAppeal a = {.number = number, .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .received_at = BASE + G_GINT64_CONSTANT(100000) * 1000000 + n};
  assert_true(okno_store_begin(st, NULL));
  assert_true(okno_store_appeal_insert(st, &a, NULL));
  assert_true(okno_store_commit(st, NULL));
}

/* The reference: the queue as a plain SELECT (ids in order, at most `limit`; 0: all). */
static char *reference_where(const OknoQueueQuery *q, gint64 user)
{
  g_autofree char *mine = g_strdup_printf("assignee = %" G_GINT64_FORMAT, user);
  g_autofree char *overdue = g_strdup_printf(
      "deadline <> 0 AND deadline < %" G_GINT64_FORMAT
      " AND status NOT IN ('answered', 'closed', 'rejected')", (gint64)NOW);
  const char *const conds[OKNO_QUEUE_COUNT] = {
    mine,
    "department IN ('a', 'b')",
    "assignee IS NULL AND status NOT IN ('answered', 'closed', 'rejected')",
    "status = 'needs_clarification'",
    overdue,
    "1 = 1",
  };
  return g_strdup_printf("queue <> 'quarantine' AND %s%s%s%s%s", conds[q->queue],
                         q->every_department ? "" : " AND department IN ('a', 'b', '')",
                         q->status ? " AND status = '" : "", q->status ? q->status : "",
                         q->status ? "'" : "");
}

static GArray *reference_ids(OknoStore *st, const OknoQueueQuery *q, gint64 user, gint64 limit)
{
  g_autofree char *where = reference_where(q, user);
  g_autofree char *sql = g_strdup_printf(
      "SELECT id FROM appeals WHERE %s ORDER BY %s LIMIT %" G_GINT64_FORMAT, where,
      q->sort == OKNO_SORT_DEADLINE
          ? "CASE WHEN deadline = 0 THEN 1 ELSE 0 END, deadline, id"
          : "received_at DESC, id DESC",
      limit ? limit : G_MAXINT64);
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), sql, OKNO_NO_PARAMS, NULL);
  GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  assert_non_null(r);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    gint64 id = okno_rows_int(r, i, 0);
    g_array_append_val(ids, id);
  }
  return ids;
}

static gint64 reference_count(OknoStore *st, const OknoQueueQuery *q, gint64 user)
{
  g_autofree char *where = reference_where(q, user);
  g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM appeals WHERE %s", where);
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), sql, OKNO_NO_PARAMS, NULL);
  assert_non_null(r);
  return okno_rows_int(r, 0, 0);
}

/* PostgreSQL may sort the few rows a bitmap index scan found for a selective branch
 * (its estimate, rows=N); a sort of more than this would be a queue read whole. */
#define MAX_SORTED 1000

static gint64 sorted_rows(const char *node)
{
  const char *r = strstr(node, "rows=");
  return r ? g_ascii_strtoll(r + 5, NULL, 10) : G_MAXINT64;
}

/* The plan reads `appeals` through an index, with no table scan and no sort of a
 * whole queue (SQLite: no temporary b-tree at all). */
static void assert_indexed(OknoStore *st, const OknoQueueQuery *q, gboolean count)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *plan = okno_store_queue_plan(st, q, count, &err);
  g_auto(GStrv) lines = NULL;
  gboolean sqlite = okno_db_is_sqlite(okno_store_db(st)), index = FALSE;
  assert_non_null(plan);
  lines = g_strsplit(plan, "\n", -1);
  for (char **l = lines; *l; l++) {
    const char *t = g_strstrip(*l);
    gboolean bad;
    if (g_str_has_prefix(t, "->"))
      t = g_strchug((char *)t + 2);
    if (sqlite)
      bad = strcmp(t, "SCAN appeals") == 0 || strstr(t, "TEMP B-TREE") != NULL;
    else
      bad = g_str_has_prefix(t, "Seq Scan on appeals") ||
            ((g_str_has_prefix(t, "Sort  (") || g_str_has_prefix(t, "Incremental Sort  (")) &&
             sorted_rows(t) > MAX_SORTED);
    if (bad)
      fail_msg("queue %d sort %d status %s count %d: %s\n%s", q->queue, q->sort,
               q->status ? q->status : "-", count, t, plan);
    index = index || strstr(t, sqlite ? "INDEX" : "Index") != NULL ||
            strstr(t, "appeal_counts") != NULL;
  }
  if (!index)
    fail_msg("queue %d: no index in the plan\n%s", q->queue, plan);
}

static void append_ids(GArray *ids, const OknoPage *p)
{
  for (guint i = 0; i < p->appeals->len; i++)
    g_array_append_val(ids, ((OknoAppeal *)p->appeals->pdata[i])->id);
}

static void check_queue(OknoStore *st, OknoQueueQuery *q, gint64 user)
{
  g_autoptr(GArray) want = reference_ids(st, q, user, 3 * PAGE);
  g_autoptr(GArray) got = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(OknoPage) p1 = NULL, p2 = NULL, p3 = NULL, back = NULL;
  g_autoptr(GError) err = NULL;
  OknoQueueQuery pq = *q;
  gint64 count = okno_store_queue_count(st, q, &err);

  assert_int_equal(count, reference_count(st, q, user));
  assert_indexed(st, q, TRUE);
  assert_indexed(st, q, FALSE);
  p1 = okno_store_queue_page(st, &pq, &err);
  assert_non_null(p1);
  assert_null(p1->prev);
  append_ids(got, p1);
  if (p1->next) {
    arrive(st);
    pq.after = p1->next;
    assert_indexed(st, &pq, FALSE); /* bounded by the cursor: still the index */
    p2 = okno_store_queue_page(st, &pq, &err);
    assert_non_null(p2);
    append_ids(got, p2);
    if (p2->next) {
      arrive(st);
      pq.after = p2->next;
      p3 = okno_store_queue_page(st, &pq, &err);
      assert_non_null(p3);
      append_ids(got, p3);
      /* the previous page of the third is the second */
      pq.after = NULL;
      pq.before = p3->prev;
      assert_indexed(st, &pq, FALSE);
      back = okno_store_queue_page(st, &pq, &err);
      assert_non_null(back);
      assert_int_equal(back->appeals->len, p2->appeals->len);
      for (guint i = 0; i < back->appeals->len; i++)
        assert_int_equal(((OknoAppeal *)back->appeals->pdata[i])->id,
                         ((OknoAppeal *)p2->appeals->pdata[i])->id);
    }
  }
  if (count >= 3 * PAGE) {
    assert_int_equal(p1->appeals->len, PAGE);
    assert_int_equal(p2->appeals->len, PAGE);
    assert_int_equal(p3->appeals->len, PAGE);
  }
  assert_int_equal(got->len, want->len);
  for (guint i = 0; i < got->len; i++)
    if (g_array_index(got, gint64, i) != g_array_index(want, gint64, i))
      fail_msg("queue %d sort %d status %s every %d: row %u is %" G_GINT64_FORMAT
               ", want %" G_GINT64_FORMAT,
               q->queue, q->sort, q->status ? q->status : "-", q->every_department, i,
               g_array_index(got, gint64, i), g_array_index(want, gint64, i));
}

static void every_queue_pages_and_counts(OknoStore *st, const gint64 users[3])
{
  const char *const statuses[] = {NULL, "new"};
  for (int every = 0; every < 2; every++)
    for (int k = 0; k < OKNO_QUEUE_COUNT; k++)
      for (int sort = 0; sort < 2; sort++)
        for (gsize s = 0; s < G_N_ELEMENTS(statuses); s++) {
          OknoQueueQuery q = {.queue = k, .user = users[1], .every_department = every,
                              .departments = OPERATOR_DEPTS, .status = statuses[s],
                              .sort = sort, .now = NOW, .limit = PAGE};
          check_queue(st, &q, users[1]);
        }
}

/* Walks `q` to its end, an appeal arriving every ten pages: the ids read are exactly
 * the queue's ids as they were before the walk, plus arrivals that sort after the
 * cursor. */
static void walk(OknoStore *st, OknoQueueQuery q, gint64 user)
{
  g_autoptr(GArray) want = reference_ids(st, &q, user, 0);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  g_autofree char *token = NULL;
  guint pages = 0, rows = 0;
  for (;;) {
    g_autoptr(OknoPage) p = NULL;
    q.after = token;
    p = okno_store_queue_page(st, &q, NULL);
    assert_non_null(p);
    for (guint i = 0; i < p->appeals->len; i++) {
      gint64 id = ((OknoAppeal *)p->appeals->pdata[i])->id;
      assert_true(g_hash_table_add(seen, g_memdup2(&id, sizeof id))); /* no repeat */
      if (rows < want->len)
        assert_int_equal(id, g_array_index(want, gint64, rows)); /* no gap */
      rows++;
    }
    if (++pages % 10 == 0)
      arrive(st);
    if (!p->next)
      break;
    g_free(token);
    token = g_strdup(p->next);
  }
  assert_true(rows >= want->len);
  if (q.sort == OKNO_SORT_RECEIVED)
    assert_int_equal(rows, want->len); /* arrivals sort before the first cursor */
}

static void walks_to_the_end_while_appeals_arrive(OknoStore *st, const gint64 users[3])
{
  walk(st,
       (OknoQueueQuery){.queue = OKNO_QUEUE_ALL, .every_department = TRUE, .sort = OKNO_SORT_RECEIVED,
                        .now = NOW, .limit = 500},
       users[0]);
  walk(st,
       (OknoQueueQuery){.queue = OKNO_QUEUE_UNASSIGNED, .departments = OPERATOR_DEPTS,
                        .sort = OKNO_SORT_DEADLINE, .now = NOW, .limit = 500},
       users[0]);
}

static void search_and_tokens(OknoStore *st)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoPage) p = NULL;
  OknoQueueQuery q = {.queue = OKNO_QUEUE_ALL, .every_department = TRUE, .search = "паспорта",
                      .sort = OKNO_SORT_RECEIVED, .now = NOW, .limit = PAGE};
  gint64 count;
  /* 1 in 50 subjects holds «Паспорт» (1,000), less those quarantined (i % 4850 == 0) */
  count = okno_store_queue_count(st, &q, &err);
  assert_int_equal(count, 1000 - 10);
  p = okno_store_queue_page(st, &q, &err);
  assert_int_equal(p->appeals->len, PAGE);
  assert_string_equal(((OknoAppeal *)p->appeals->pdata[0])->number, "T-50000");
  q.after = "bm90IGEgdG9rZW4"; /* "not a token" */
  assert_null(okno_store_queue_page(st, &q, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  g_clear_error(&err);
  q.after = p->next;
  q.sort = OKNO_SORT_DEADLINE; /* a token of another order */
  assert_null(okno_store_queue_page(st, &q, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
}

static void counts_follow_changes(OknoStore *st, const gint64 users[3])
{
  gint64 v = 0;
  OknoQueueQuery q = {.queue = OKNO_QUEUE_UNASSIGNED, .every_department = TRUE,
                      .sort = OKNO_SORT_RECEIVED, .now = NOW, .limit = PAGE};
  g_autoptr(OknoAppeal) a = NULL;
  gint64 before, mine;
  before = okno_store_queue_count(st, &q, NULL);
  q.queue = OKNO_QUEUE_MINE;
  q.user = users[2];
  mine = okno_store_queue_count(st, &q, NULL);
  a = okno_store_appeal_get(st, "T-6", NULL); /* new, unassigned */
  assert_true(okno_store_begin(st, NULL));
  assert_true(okno_store_appeal_assign(st, a->id, a->version, "a", users[2], &v, NULL));
  assert_true(okno_store_commit(st, NULL));
  assert_int_equal(okno_store_queue_count(st, &q, NULL), mine + 1);
  assert_int_equal(okno_store_queue_count(st, &q, NULL), reference_count(st, &q, users[2]));
  q.queue = OKNO_QUEUE_UNASSIGNED;
  assert_int_equal(okno_store_queue_count(st, &q, NULL), before - 1);
  /* closing it leaves the open queues' counts */
  a->version = v;
  a->status = OKNO_STATUS_CLOSED;
  assert_true(okno_store_begin(st, NULL));
  assert_true(okno_store_appeal_update(st, a, NULL));
  assert_true(okno_store_commit(st, NULL));
  q.queue = OKNO_QUEUE_ALL;
  q.status = "closed";
  assert_int_equal(okno_store_queue_count(st, &q, NULL), reference_count(st, &q, 0));
}

static void test_queues_over_50000_appeals(void **state)
{
  Fx *fx = fixture(state);
  gint64 users[3];
  /* durability is not under test: every arrival's commit need not wait for the disk */
  if (okno_db_is_sqlite(okno_store_db(fx->st)))
    assert_true(okno_db_script(okno_store_db(fx->st), "PRAGMA synchronous = OFF", NULL));
  seed(fx->st, users);
  search_and_tokens(fx->st);
  every_queue_pages_and_counts(fx->st, users);
  walks_to_the_end_while_appeals_arrive(fx->st, users);
  counts_follow_changes(fx->st, users);
}

/* ---- the overdue count from queue_due (migration 36) ---- */

#define DAY G_GINT64_CONSTANT(86400000000)

/* The rollup as text, one "department day n;" per row. */
static char *queue_due_text(OknoDb *db)
{
  g_autoptr(OknoRows) r = okno_db_query(db, "SELECT department, day, n FROM queue_due ORDER BY 1, 2",
                                        OKNO_NO_PARAMS, NULL);
  GString *out = g_string_new(NULL);
  assert_non_null(r);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_string_append_printf(out, "%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT ";",
                           okno_rows_text(r, i, 0), okno_rows_int(r, i, 1), okno_rows_int(r, i, 2));
  return g_string_free(out, FALSE);
}

/* okno_store_queue_count of the overdue queue at `now` against count(*) over the rows,
 * for an administrator and for the operator of a and b, without and with a status. */
static void overdue_equals_rows(OknoStore *st, gint64 now)
{
  for (int k = 0; k < 4; k++) {
    gboolean every = k % 2, status = k / 2;
    OknoQueueQuery q = {.queue = OKNO_QUEUE_OVERDUE, .every_department = every,
                        .departments = OPERATOR_DEPTS, .now = now, .limit = PAGE,
                        .status = status ? "in_progress" : NULL};
    g_autofree char *sql = g_strdup_printf(
        "SELECT count(*) FROM appeals WHERE queue NOT IN ('quarantine', 'spam') AND status"
        " NOT IN ('answered', 'closed', 'rejected') AND deadline <> 0 AND deadline < %" G_GINT64_FORMAT
        "%s%s", now, every ? "" : " AND department IN ('a', 'b', '')",
        status ? " AND status = 'in_progress'" : "");
    g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), sql, OKNO_NO_PARAMS, NULL);
    assert_non_null(r);
    assert_int_equal(okno_store_queue_count(st, &q, NULL), okno_rows_int(r, 0, 0));
  }
}

/* Every `now` from two days before BASE's day to five after, in steps of 7 hours, at
 * the edges of the day after BASE's, and within the epoch's first day (all counted
 * from the rows). */
static void overdue_all(OknoStore *st)
{
  gint64 day0 = BASE / DAY * DAY;
  gint64 edges[] = {day0 + 2 * DAY - 1, day0 + 2 * DAY, day0 + 2 * DAY + 1};
  for (gint64 now = day0 - 2 * DAY; now < day0 + 5 * DAY; now += 7 * 3600 * G_GINT64_CONSTANT(1000000))
    overdue_equals_rows(st, now);
  for (guint i = 0; i < G_N_ELEMENTS(edges); i++)
    overdue_equals_rows(st, edges[i]);
  overdue_equals_rows(st, 0);
  overdue_equals_rows(st, DAY - 1);
}

static void test_overdue_count_from_rollup_equals_rows(void **state)
{
  Fx *fx = fixture(state);
  OknoDb *db = okno_store_db(fx->st);
  g_autofree char *kept = NULL, *filled = NULL;
  gint64 day0 = BASE / DAY * DAY;
  g_autoptr(OknoRows) parts = NULL;
  /* 400 appeals, the triggers on: deadlines every 37 minutes from a day before BASE's
   * day (a tenth with none), every status, four departments, some held */
  assert_true(okno_db_exec(
      db,
      "WITH RECURSIVE s(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM s "
      "WHERE i < 400) "
      "INSERT INTO appeals(number, status, channel, queue, subject, from_email, received_at, "
      "deadline, updated_at, department) "
      "SELECT 'R-' || i, CASE i % 6 WHEN 0 THEN 'new' WHEN 1 THEN 'in_progress' "
      "WHEN 2 THEN 'needs_clarification' WHEN 3 THEN 'answered' WHEN 4 THEN 'closed' "
      "ELSE 'rejected' END, 'email', CASE i % 23 WHEN 0 THEN 'quarantine' WHEN 1 THEN 'spam' "
      "ELSE '' END, 'Вопрос', 'c@example.ru', $1, "
      "CASE WHEN i % 10 = 0 THEN 0 ELSE $1 - 86400000000 + i * 2220000000 END, $1, "
      "CASE i % 4 WHEN 0 THEN '' WHEN 1 THEN 'a' WHEN 2 THEN 'b' ELSE 'c' END FROM s",
      OKNO_PARAMS(OKNO_INT(day0)), NULL));
  /* at the end of the day after BASE's: overdue both in whole days and earlier today */
  parts = okno_db_query(db, "SELECT (SELECT sum(n) FROM queue_due WHERE day < $1),"
                            " (SELECT count(*) FROM appeals WHERE due >= $2 AND due < $3"
                            " AND status = 'new')",
                        OKNO_PARAMS(OKNO_INT(day0 / DAY + 1), OKNO_INT(day0 + DAY),
                                    OKNO_INT(day0 + 2 * DAY - 1)),
                        NULL);
  assert_non_null(parts);
  assert_true(okno_rows_int(parts, 0, 0) > 0 && okno_rows_int(parts, 0, 1) > 0);
  overdue_all(fx->st);
  /* status changes, transfers, new deadlines, holds and releases, deletes */
  assert_true(okno_db_exec(db, "UPDATE appeals SET status = 'closed' WHERE id % 7 = 0",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET status = 'in_progress' WHERE id % 11 = 3",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET department = 'b' WHERE id % 5 = 1",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET deadline = deadline + 86400000000 WHERE id % 3 = 1"
                               " AND deadline <> 0", OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET deadline = 0 WHERE id % 13 = 2",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET queue = '' WHERE queue = 'quarantine'",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "UPDATE appeals SET queue = 'spam' WHERE id % 17 = 5",
                           OKNO_NO_PARAMS, NULL));
  assert_true(okno_db_exec(db, "DELETE FROM appeals WHERE id % 19 = 4", OKNO_NO_PARAMS, NULL));
  overdue_all(fx->st);
  /* the rows the triggers kept are those a refill counts, and no row is left at 0 */
  kept = queue_due_text(db);
  assert_true(okno_rollup_refill(fx->st, NULL, NULL));
  filled = queue_due_text(db);
  assert_string_equal(filled, kept);
  g_clear_pointer(&parts, okno_rows_free);
  parts = okno_db_query(db, "SELECT count(*) FROM queue_due WHERE n <= 0", OKNO_NO_PARAMS, NULL);
  assert_non_null(parts);
  assert_int_equal(okno_rows_int(parts, 0, 0), 0);
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), \
  {"pg_" #f, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_queues_over_50000_appeals),
    ON_BOTH(test_overdue_count_from_rollup_equals_rows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
