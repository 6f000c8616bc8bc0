/* store_backends.h: a fresh, empty database on either backend, for the store's tests.
 *
 * test_db_new(FALSE) makes a temporary directory and a sqlite: URL in it;
 * test_db_new(TRUE) creates a database okno_t_<random> on the PostgreSQL server named
 * by OKNO_TEST_PG_URL (an admin URL such as the one scripts/pg-test-cluster prints)
 * and a URL pointing at it, or returns NULL when the variable is not set (the caller
 * skips the test). test_db_free() removes the directory or drops the database (with
 * FORCE, so a connection left open by a failed test cannot keep it alive). The
 * returned struct and its strings belong to the caller until test_db_free(). */
#pragma once
#include <glib.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  gboolean pg;
  char *url;     /* sqlite:DIR/okno.db or postgresql://.../okno_t_XXXX */
  char *dir;     /* SQLite: the temporary directory */
  char *pg_name; /* PostgreSQL: the database name */
} TestDb;

/* Runs one statement on the admin database; aborts the test program on failure. */
static inline void test_db_admin(const char *sql)
{
  PGconn *c = PQconnectdb(g_getenv("OKNO_TEST_PG_URL"));
  PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
  if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
    g_error("test database: %s: %s", sql, PQerrorMessage(c));
  PQclear(r);
  PQfinish(c);
}

/* The admin URL with its database name replaced by `name`. */
static inline char *test_db_url_for(const char *admin, const char *name)
{
  const char *auth = strstr(admin, "://");
  const char *path, *query;
  g_assert(auth);
  auth += 3;
  query = strchr(auth, '?');
  path = strchr(auth, '/');
  if (!query)
    query = auth + strlen(auth);
  if (!path || path > query)
    path = query;
  return g_strdup_printf("%.*s/%s%s", (int)(path - admin), admin, name, query);
}

static inline TestDb *test_db_new(gboolean pg)
{
  TestDb *db;
  const char *admin = g_getenv("OKNO_TEST_PG_URL");
  if (pg && (!admin || !*admin))
    return NULL;
  db = g_new0(TestDb, 1);
  db->pg = pg;
  if (pg) {
    g_autofree char *sql = NULL;
    db->pg_name = g_strdup_printf("okno_t_%08x%08x", g_random_int(), g_random_int());
    sql = g_strdup_printf("CREATE DATABASE %s", db->pg_name);
    test_db_admin(sql);
    db->url = test_db_url_for(admin, db->pg_name);
  } else {
    db->dir = g_dir_make_tmp("okno-store-XXXXXX", NULL);
    g_assert(db->dir);
    db->url = g_strdup_printf("sqlite:%s/okno.db", db->dir);
  }
  return db;
}

static inline void test_db_free(TestDb *db)
{
  if (!db)
    return;
  if (db->pg) {
    g_autofree char *sql = g_strdup_printf("DROP DATABASE %s WITH (FORCE)", db->pg_name);
    test_db_admin(sql);
  } else {
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", db->dir);
    g_assert_cmpint(system(cmd), ==, 0);
  }
  g_free(db->url);
  g_free(db->dir);
  g_free(db->pg_name);
  g_free(db);
}

/* ---- the fixture of the store's cmocka tests ----
 * Each test gets a fresh store on one backend and a clock frozen at 1795000000
 * (2026-11-18 14:06:40 Moscow). The PostgreSQL variant leaves *state NULL when no
 * server is configured, and fixture() then skips the test. Needs <cmocka.h>,
 * "core/clock.h" and "store/store.h" included before this header. */
#ifdef OKNO_STORE_FIXTURE
typedef struct {
  TestDb *db;
  OknoStore *st;
} Fx;

static G_GNUC_UNUSED int setup_on(void **state, gboolean pg)
{
  TestDb *db = test_db_new(pg);
  Fx *fx;
  *state = NULL;
  if (!db)
    return 0; /* no PostgreSQL server: fixture() skips the test */
  fx = g_new0(Fx, 1);
  fx->db = db;
  fx->st = okno_store_open(db->url, NULL);
  assert_non_null(fx->st);
  okno_clock_set(G_GINT64_CONSTANT(1795000000) * G_USEC_PER_SEC);
  *state = fx;
  return 0;
}

static G_GNUC_UNUSED int setup_sqlite(void **state) { return setup_on(state, FALSE); }
static G_GNUC_UNUSED int setup_pg(void **state) { return setup_on(state, TRUE); }

static G_GNUC_UNUSED Fx *fixture(void **state)
{
  if (!*state) {
    print_message("OKNO_TEST_PG_URL is not set: PostgreSQL test skipped\n");
    skip();
  }
  return *state;
}

static G_GNUC_UNUSED int teardown(void **state)
{
  Fx *fx = fixture(state);
  if (!fx)
    return 0;
  okno_store_close(fx->st);
  test_db_free(fx->db);
  g_free(fx);
  okno_clock_set(0);
  return 0;
}
#endif
