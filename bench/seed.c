/* bench/seed.c: the generated stores the C benchmarks share (seed.h).
 *
 * bench_seed writes o->n appeals by one INSERT ... SELECT over a recursive counter:
 * one every 30 s back from o->now (1,000,000 span about 347 days), 5 channels, 8
 * departments and triage, 6 categories, 40 assignees and a third unassigned, 15% open,
 * a fifth answered (each with its status_changed event to "answered" a few hours after
 * receipt), 1 in 10 overdue, a rating (1 to 5) for every fourth answered one; appeal i
 * (number B-i) is from c<i % o->citizens>@example.ru, its blind index (from_bidx) that
 * address as a store without a key file keeps it. The rollup triggers (migrations 25,
 * 27 and 36) and those copying events and ratings onto the appeal row (migrations 20, 25)
 * are off while the rows go in: each row is written with answered_first_at and rating
 * as those triggers would set them, and the rollups are then counted from the rows as
 * the migrations fill them (okno_rollup_refill: the same rows the triggers keep, test
 * `report`). No row is written twice (the triggers' cost on writers is bench_intake's
 * to measure); each step's time goes to stderr. The triggers are back at the end (on
 * SQLite made again from the statements sqlite_master held), so okno writing to the
 * store afterwards (bench/intake/run --prefill) keeps everything as in production.
 *
 * Without o->search the subject is "Вопрос" and the search index is left empty. With
 * it, the words come from a vocabulary of BENCH_WORDS made-up Russian words (three
 * syllables and a consonant) drawn by a Zipf law (rank r with weight 1 / (r + 10): the
 * commonest word in about 40% of appeals, as "заявление" would be): 4,096 subjects of 4
 * words and 4,096 text fragments of 15 words are drawn once (seeded), each appeal gets
 * a subject and two fragments (34 words) by arithmetic on its number, and the index
 * (SQLite: appeal_fts; PostgreSQL: appeal_search, its GIN index made after the rows)
 * gets their terms (store/terms.h) as the store's own writers would: subject, then
 * the texts. No messages rows are written: search reads the index and the appeal
 * rows only. */
#include <glib.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed.h"
#include "store/db.h"
#include "store/rollup.h"
#include "store/staff.h"
#include "store/terms.h"
#include "timing.h"

#define FRAGS 4096
/* SQLite's triggers dropped while the rows go in (made again after) */
#define SQLITE_OFF                                                                        \
  "'appeal_fts_appeal', 'appeal_roll_insert', 'appeal_roll_update', 'appeal_roll27_insert', " \
  "'appeal_roll27_update', 'appeal_stats_event', 'rating_roll_insert', 'appeal_due36_insert', " \
  "'appeal_due36_update'"

const char *bench_name = "bench";

void bench_die(const char *what, GError *err)
{
  fprintf(stderr, "%s: %s: %s\n", bench_name, what, err ? err->message : "failed");
  exit(2);
}

/* Runs `sql` (a script) and says on stderr how long it took, or dies. */
static void step(OknoDb *db, const char *what, const char *sql)
{
  GError *err = NULL;
  gint64 t0 = g_get_monotonic_time();
  if (!okno_db_script(db, sql, &err))
    bench_die(what, err);
  fprintf(stderr, "%s:   %s %.1f s\n", bench_name, what, ms_since(t0) / 1000.0);
}

char *bench_word(guint rank)
{
  static const char *const cons[] = {"б", "в", "г", "д", "ж", "з", "к", "л", "м", "н",
                                     "п", "р", "с", "т", "ф", "х", "ц", "ч", "ш"};
  static const char *const vow[] = {"а", "о", "у", "ы", "и", "е", "я", "ю"};
  static const char *const tail[] = {"к", "н", "т", "р", "л", "м"};
  guint s1 = rank % 152, s2 = (rank / 152) % 152, s3 = (rank * 37 + 11) % 152;
  return g_strdup_printf("%s%s%s%s%s%s%s", cons[s1 % 19], vow[s1 / 19], cons[s2 % 19],
                         vow[s2 / 19], cons[s3 % 19], vow[s3 / 19], tail[rank % 6]);
}

guint bench_rank(GRand *r)
{
  static double cdf[BENCH_WORDS];
  static gsize done = 0;
  double u = g_rand_double(r);
  guint lo = 0, hi = BENCH_WORDS - 1;
  if (g_once_init_enter(&done)) {
    double sum = 0;
    for (guint k = 0; k < BENCH_WORDS; k++)
      cdf[k] = (sum += 1.0 / (k + 10.0));
    for (guint k = 0; k < BENCH_WORDS; k++)
      cdf[k] /= sum;
    g_once_init_leave(&done, 1);
  }
  while (lo < hi) {
    guint mid = (lo + hi) / 2;
    if (cdf[mid] < u)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* bench_frag(k, words, terms): k < FRAGS subjects of 4 words, then FRAGS fragments
 * of 15 words; in the caller's transaction. */
static void fragments(OknoDb *db)
{
  GRand *r = g_rand_new_with_seed(18);
  GError *err = NULL;
  gint64 t0 = g_get_monotonic_time();
  if (!okno_db_script(db, "CREATE TABLE bench_frag(k BIGINT PRIMARY KEY, words TEXT NOT NULL,"
                          " terms TEXT NOT NULL)", &err))
    bench_die("bench_frag", err);
  for (gint64 k = 0; k < 2 * FRAGS; k++) {
    GString *w = g_string_new(NULL);
    g_autofree char *terms = NULL;
    for (int j = 0; j < (k < FRAGS ? 4 : 15); j++) {
      g_autofree char *word = bench_word(bench_rank(r));
      g_string_append_printf(w, "%s%s", w->len ? " " : "", word);
    }
    if (k < FRAGS) /* a subject reads as one: capital first letter */
      g_string_prepend(w, "Вопрос: ");
    terms = okno_store_terms(w->str);
    if (!okno_db_exec(db, "INSERT INTO bench_frag(k, words, terms) VALUES($1, $2, $3)",
                      OKNO_PARAMS(OKNO_INT(k), OKNO_TEXT(w->str), OKNO_TEXT(terms)), &err))
      bench_die("bench_frag", err);
    g_string_free(w, TRUE);
  }
  g_rand_free(r);
  fprintf(stderr, "%s:   vocabulary %.1f s\n", bench_name, ms_since(t0) / 1000.0);
}

void bench_operators(OknoStore *st)
{
  GError *err = NULL;
  for (int i = 0; i < 40; i++) {
    g_autofree char *login = g_strdup_printf("op%02d", i);
    char *none[] = {NULL};
    OknoUser u = {.login = login, .role = "operator", .password_hash = "x", .totp_secret = "",
                  .departments = none};
    if (!okno_store_user_insert(st, &u, &err))
      bench_die("user", err);
  }
}

void bench_seed(OknoStore *st, const BenchSeed *o)
{
  OknoDb *db = okno_store_db(st);
  gboolean sqlite = okno_db_is_sqlite(db);
  GError *err = NULL;
  gint64 t0;
  g_autofree char *insert = NULL;
  g_autoptr(OknoRows) dropped = NULL;
  const char *subject = o->search ? "(SELECT words FROM bench_frag WHERE k = (i / 7 + i * 13) % 4096)"
                                  : "'Вопрос'";
  const char *terms = o->search ? "(SELECT terms FROM bench_frag WHERE k = (i / 7 + i * 13) % 4096)"
                                : "''";
  bench_operators(st);
  /* the triggers that copy events and ratings onto the appeal row, and the rollups'
   * (counted afterwards), off: the appeal rows get those columns directly; SQLite's
   * are dropped, their statements kept to make them again at the end */
  if (sqlite && !(dropped = okno_db_query(db, "SELECT sql FROM sqlite_master WHERE type = 'trigger'"
                                              " AND name IN (" SQLITE_OFF ")", NULL, 0, &err)))
    bench_die("triggers", err);
  step(db, "triggers off",
       sqlite ? "PRAGMA synchronous = OFF; DROP TRIGGER IF EXISTS appeal_fts_appeal;"
                "DROP TRIGGER appeal_roll_insert; DROP TRIGGER appeal_roll_update;"
                "DROP TRIGGER appeal_roll27_insert; DROP TRIGGER appeal_roll27_update;"
                "DROP TRIGGER appeal_stats_event; DROP TRIGGER rating_roll_insert;"
                "DROP TRIGGER appeal_due36_insert; DROP TRIGGER appeal_due36_update"
              : "ALTER TABLE appeals DISABLE TRIGGER appeal_search_appeal;"
                "ALTER TABLE appeals DISABLE TRIGGER appeal_counts_insert;"
                "ALTER TABLE appeals DISABLE TRIGGER appeal_roll_insert;"
                "ALTER TABLE appeals DISABLE TRIGGER appeal_roll_update;"
                "ALTER TABLE appeals DISABLE TRIGGER appeal_roll27_insert;"
                "ALTER TABLE appeals DISABLE TRIGGER appeal_roll27_update;"
                "ALTER TABLE appeals DISABLE TRIGGER appeal_due36_insert;"
                "ALTER TABLE appeals DISABLE TRIGGER appeal_due36_update;"
                "ALTER TABLE events DISABLE TRIGGER appeal_stats_event;"
                "ALTER TABLE ratings DISABLE TRIGGER rating_roll");
  if (!okno_store_begin(st, &err))
    bench_die("begin", err);
  if (o->search)
    fragments(db);
  t0 = g_get_monotonic_time();
  insert = g_strdup_printf(
      "WITH RECURSIVE s(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM s "
      "WHERE i < $1) "
      "INSERT INTO appeals(number, status, channel, queue, subject, subject_terms, from_email, "
      "from_bidx, category, received_at, deadline, updated_at, department, assignee, answered, "
      "overdue, kind, answered_first_at, rating) "
      "SELECT 'B-' || i, CASE i %% 20 WHEN 0 THEN 'new' WHEN 1 THEN 'in_progress' "
      "WHEN 2 THEN 'needs_clarification' WHEN 3 THEN 'rejected' WHEN 4 THEN 'answered' "
      "ELSE 'closed' END, CASE i %% 5 WHEN 0 THEN 'email' WHEN 1 THEN 'web' WHEN 2 THEN 'chat' "
      "WHEN 3 THEN 'messenger' ELSE 'phone' END, '', %s, %s, "
      "'c' || (i %% $3) || '@example.ru', 'c' || (i %% $3) || '@example.ru', "
      "'cat' || (i %% 6), $2 - ($1 - i) * 30000000, $2 - ($1 - i) * 30000000 + 86400000000 * 5, "
      "$2 - ($1 - i) * 30000000, CASE i %% 9 WHEN 0 THEN '' ELSE 'd' || (i %% 9) END, "
      "CASE WHEN i %% 3 = 0 THEN NULL ELSE (i %% 40) + 1 END, "
      "CASE WHEN i %% 5 = 4 THEN 1 ELSE 0 END, CASE WHEN i %% 10 = 7 THEN 1 ELSE 0 END, "
      "CASE WHEN i %% 50 = 11 THEN 'formal' ELSE 'support' END, "
      "CASE WHEN i %% 5 = 4 THEN $2 - ($1 - i) * 30000000 + (i %% 40) * 3600000000 ELSE 0 END, "
      "CASE WHEN i %% 5 = 4 AND i %% 4 = 0 THEN 1 + (i / 20) %% 5 ELSE 0 END FROM s",
      subject, terms);
  if (!okno_db_exec(db, insert, OKNO_PARAMS(OKNO_INT(o->n), OKNO_INT(o->now),
                                            OKNO_INT(o->citizens > 0 ? o->citizens : 50000)),
                    &err))
    bench_die("appeals", err);
  fprintf(stderr, "%s:   appeals %.1f s\n", bench_name, ms_since(t0) / 1000.0);
  /* each answered appeal's status_changed event at its answered_first_at (what the
   * trigger would have read from it), a rating where the row has one */
  step(db, "events and ratings",
       "INSERT INTO events(appeal_id, at, kind, detail) SELECT id, answered_first_at,"
       " 'status_changed', '{\"from\":\"in_progress\",\"to\":\"answered\",\"by\":\"op\"}'"
       " FROM appeals WHERE answered_first_at <> 0;"
       "INSERT INTO ratings(appeal_id, score, comment, email, created_at)"
       " SELECT id, rating, CASE WHEN id % 3 = 0 THEN 'Спасибо' ELSE '' END,"
       " from_email, received_at + 86400000000 FROM appeals WHERE rating > 0");
  if (o->search)
    step(db, "search index",
         sqlite ? "INSERT INTO appeal_fts(rowid, subject, texts, files)"
                  " SELECT a.id, a.subject_terms, f1.terms || ' ' || f2.terms, '' FROM appeals a"
                  " JOIN bench_frag f1 ON f1.k = 4096 + (a.id * 31) % 4096"
                  " JOIN bench_frag f2 ON f2.k = 4096 + ((a.id / 4096) * 7907 + a.id * 5) % 4096;"
                  "DROP TABLE bench_frag"
                : "DROP INDEX appeal_search_doc;"
                  "INSERT INTO appeal_search(appeal_id, doc) SELECT a.id,"
                  " okno_search_doc(a.subject_terms, 'A')"
                  " || okno_search_doc(f1.terms || ' ' || f2.terms, 'D') FROM appeals a"
                  " JOIN bench_frag f1 ON f1.k = 4096 + (a.id * 31) % 4096"
                  " JOIN bench_frag f2 ON f2.k = 4096 + ((a.id / 4096) * 7907 + a.id * 5) % 4096;"
                  "CREATE INDEX appeal_search_doc ON appeal_search USING gin(doc);"
                  "DROP TABLE bench_frag");
  if (!sqlite)
    step(db, "appeal_counts",
         "INSERT INTO appeal_counts(department, status, assignee, quarantine, n)"
         "  SELECT department, status, coalesce(assignee, 0),"
         "    CASE WHEN queue = 'quarantine' THEN 1 ELSE 0 END, count(*)"
         "  FROM appeals GROUP BY 1, 2, 3, 4;"
         /* the deferred triggers' events first (migration 37): ALTER TABLE refuses
          * a table with some pending */
         "SET CONSTRAINTS ALL IMMEDIATE;"
         "ALTER TABLE appeals ENABLE TRIGGER appeal_counts_insert");
  t0 = g_get_monotonic_time();
  /* the rollups counted from the rows, as the migrations fill them (test `report`
   * holds that equal to what the triggers keep); calendar hours */
  if (!okno_store_commit(st, &err) || !okno_rollup_refill(st, NULL, &err))
    bench_die("rollups", err);
  fprintf(stderr, "%s:   commit and rollups %.1f s\n", bench_name, ms_since(t0) / 1000.0);
  if (sqlite) {
    g_autoptr(GString) again = g_string_new(NULL);
    for (guint k = 0; k < okno_rows_count(dropped); k++)
      g_string_append_printf(again, "%s;\n", okno_rows_text(dropped, k, 0));
    step(db, "triggers on", again->str);
  }
  if (!sqlite)
    step(db, "triggers on",
         "ALTER TABLE appeals ENABLE TRIGGER appeal_search_appeal;"
         "ALTER TABLE appeals ENABLE TRIGGER appeal_roll_insert;"
         "ALTER TABLE appeals ENABLE TRIGGER appeal_roll_update;"
         "ALTER TABLE appeals ENABLE TRIGGER appeal_roll27_insert;"
         "ALTER TABLE appeals ENABLE TRIGGER appeal_roll27_update;"
         "ALTER TABLE appeals ENABLE TRIGGER appeal_due36_insert;"
         "ALTER TABLE appeals ENABLE TRIGGER appeal_due36_update;"
         "ALTER TABLE events ENABLE TRIGGER appeal_stats_event;"
         "ALTER TABLE ratings ENABLE TRIGGER rating_roll");
  step(db, "analyze", sqlite ? "ANALYZE" : "VACUUM ANALYZE");
}

void bench_pg_admin(const char *admin, const char *sql)
{
  PGconn *c = PQconnectdb(admin);
  PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
  if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
    fprintf(stderr, "%s: %s: %s", bench_name, sql, PQerrorMessage(c));
    exit(2);
  }
  PQclear(r);
  PQfinish(c);
}

char *bench_pg_create(const char *admin, const char *prefix, char **drop)
{
  g_autofree char *name = g_strdup_printf("%s_%08x", prefix, g_random_int());
  g_autofree char *create = g_strdup_printf("CREATE DATABASE %s", name);
  const char *path = strrchr(admin, '/');
  bench_pg_admin(admin, create);
  *drop = g_strdup_printf("DROP DATABASE %s WITH (FORCE)", name);
  return g_strdup_printf("%.*s/%s", path ? (int)(path - admin) : (int)strlen(admin), admin, name);
}
