/* bench/million.c: the pages citizens and operators use, on a store of 1,000,000
 * appeals (issue 18 item 4), each figure beside its anchor measured in the same run.
 *
 * A fresh store on SQLite (a temporary directory) and, when OKNO_TEST_PG_URL names a
 * server, on PostgreSQL (a database okno_bench_million_<random>, dropped at the end;
 * MILLION_BACKENDS, default "sqlite postgresql") is filled by bench/seed.c with
 * MILLION_SIZE appeals (default 1000000) from MILLION_CITIZENS contacts (default 30%
 * of the appeals: 300,000), subjects and texts of Russian words in the search index.
 * Then, with the store calls the web handlers make:
 * - search (okno_store_search, best 20, as the console's search box): MILLION_QUERIES
 *   queries (default 200) of one or two words drawn from the texts' own word law;
 *   anchor: the same words' first 20 matches from the index without ranking;
 * - the cabinet list «Мои обращения» (okno_store_cabinet_list_own, as web/cabinet.c:
 *   first page of 50 and the total) of a random citizen, and
 *   the status check (okno_store_appeal_get by number, the e-mail compared, as
 *   web/pages.c okno_status_check) of a random appeal: 16 client threads (MILLION_CLIENTS),
 *   MILLION_ROUNDS (default 200) of each per thread without pause, each call served
 *   as okno's web server serves a request: by a pool of MILLION_WORKERS threads
 *   (default 4, http.workers' default), each with its own store connection, the call
 *   waiting in the pool's queue while every worker is busy (src/web/server.c) and
 *   timed from the client's submit to its answer; MILLION_WORKERS at or above the
 *   clients is the older mode, each client calling on its own connection (16
 *   connections). Every connection has its schema read and each measured statement
 *   run once, untimed, first, as a web worker's connection has after its first
 *   requests. Anchor: interleaved, okno_store_appeal_get_by_id of a random appeal (a
 *   SELECT by primary key) through the same pool; also the mean CPU time of the
 *   thread that ran each call (the client's side only on PostgreSQL), which a loaded
 *   machine does not inflate as it does wall time;
 * - the console's queue page as web/console.c builds it: okno_store_queue_page (50
 *   rows, cycling over the first 10 pages by their tokens), okno_store_queue_count and
 *   the six tabs' counts, for each queue as an operator of two departments and as an
 *   administrator; anchor: interleaved, one page of okno_store_list (51 rows newest
 *   first on appeals_k_recv).
 * Prints lines like
 *   search: sqlite 1000000 p95 31.2 ms (p50 4.1 ms; median 8123 matches)  anchor: unranked index lookup p95 1.2 ms
 *   cabinet: sqlite 1000000 16 clients 4 workers list p99 2.1 ms  anchor: SELECT by primary key p99 0.4 ms
 *   cpu: sqlite 1000000 16 clients 4 workers mean per call list 0.100 ms status 0.050 ms  anchor: SELECT by primary key 0.030 ms
 *   queue: sqlite 1000000 operator mine page p95 1.1 ms page+counts p95 9.0 ms  anchor: indexed page SELECT p95 0.6 ms
 * (wall time of the calling thread in milliseconds). `bench_million --fill URL` only
 * fills the store at URL that way (bench/intake/run --prefill); `bench_million
 * --measure URL` only measures a store so filled (the same MILLION_SIZE), the parts
 * MILLION_BACKENDS names ("search clients queues"), to look at one part again. MILLION_CHECK=1 (test
 * `bench_million`, tiny sizes) also checks what every call returned against what the
 * generator wrote and exits 1 on a difference: rows, never times. docs/bench.md says
 * what the figures mean. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "seed.h"
#include "store/appeal_row.h"
#include "store/appeals.h"
#include "store/cabinet.h"
#include "store/db.h"
#include "store/queue.h"
#include "store/search.h"
#include "timing.h"

#define LIMIT 50
#define PAGES 10

static const char *const queue_names[OKNO_QUEUE_COUNT] = {
  "mine", "department", "unassigned", "clarification", "overdue", "all",
};
static const char *const operator_depts[] = {"d1", "d2", NULL};
static const char *const seeded_status[] = {"new", "in_progress", "needs_clarification",
                                            "rejected", "answered"};

static gboolean check;      /* MILLION_CHECK: compare rows with the generator's */
static gint wrong;          /* rows that differed (atomic) */

static void mismatch(const char *what, gint64 got, gint64 want)
{
  fprintf(stderr, "bench_million: %s: got %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT "\n",
          what, got, want);
  g_atomic_int_inc(&wrong);
}

static gint64 env_int(const char *name, gint64 dflt)
{
  const char *v = g_getenv(name);
  return v && *v ? g_ascii_strtoll(v, NULL, 10) : dflt;
}

/* ---- search ---- */

static void bench_search(const char *backend, OknoStore *st, gint64 n)
{
  int queries = (int)env_int("MILLION_QUERIES", 200);
  OknoDb *db = okno_store_db(st);
  gboolean sqlite = okno_db_is_sqlite(db);
  g_autofree double *ms = g_new0(double, queries);
  g_autofree double *anchor = g_new0(double, queries);
  g_autofree double *matches = g_new0(double, queries);
  GRand *r = g_rand_new_with_seed(4);
  for (int q = 0; q < queries; q++) {
    g_autoptr(GError) err = NULL;
    g_autofree char *w1 = bench_word(bench_rank(r));
    g_autofree char *w2 = bench_word(bench_rank(r));
    g_autofree char *query = q % 2 ? g_strdup_printf("%s %s", w1, w2) : g_strdup(w1);
    g_autofree char *words = okno_search_words(query, sqlite, &err);
    g_autoptr(GPtrArray) found = NULL;
    g_autoptr(OknoRows) first = NULL, count = NULL;
    gint64 t0 = g_get_monotonic_time();
    if (!words)
      bench_die("query words", err);
    found = okno_store_search(st, query, 20, &err);
    ms[q] = ms_since(t0);
    t0 = g_get_monotonic_time();
    first = okno_db_query(db,
                          sqlite ? "SELECT rowid FROM appeal_fts WHERE appeal_fts MATCH $1 LIMIT 20"
                                 : "SELECT appeal_id FROM appeal_search "
                                   "WHERE doc @@ plainto_tsquery('simple', $1) LIMIT 20",
                          OKNO_PARAMS(OKNO_TEXT(words)), &err);
    anchor[q] = ms_since(t0);
    count = first ? okno_db_query(db,
                                  sqlite ? "SELECT count(*) FROM appeal_fts WHERE appeal_fts MATCH $1"
                                         : "SELECT count(*) FROM appeal_search "
                                           "WHERE doc @@ plainto_tsquery('simple', $1)",
                                  OKNO_PARAMS(OKNO_TEXT(words)), &err)
                  : NULL;
    if (!found || !count)
      bench_die("search", err);
    matches[q] = (double)okno_rows_int(count, 0, 0);
    if (check) {
      if ((gint64)found->len != MIN(20, okno_rows_int(count, 0, 0)))
        mismatch(query, found->len, MIN(20, okno_rows_int(count, 0, 0)));
      if (q == 0 && okno_rows_count(first) == 0)
        mismatch("search: matches of the first query", 0, 1);
    }
  }
  g_rand_free(r);
  printf("search: %s %" G_GINT64_FORMAT " p95 %.2f ms (p50 %.2f ms; median %.0f matches)  "
         "anchor: unranked index lookup p95 %.2f ms\n",
         backend, n, percentile(ms, queries, 95), percentile(ms, queries, 50),
         percentile(matches, queries, 50), percentile(anchor, queries, 95));
  fflush(stdout);
}

/* ---- the cabinet and the status check, 16 clients ---- */

/* The three calls a client makes, each as its own request. */
enum { CALL_LIST, CALL_STATUS, CALL_ANCHOR, CALLS };

/* One request: what to ask, and the answer. In pool mode a client pushes it to the
 * workers and waits on `done` for it to come back; directly, the client runs it. */
typedef struct {
  int call;
  const char *email, *number; /* CALL_LIST's citizen, CALL_STATUS's number */
  gint64 id;                  /* CALL_ANCHOR's appeal */
  OknoPage *page;             /* CALL_LIST's answer and total */
  gint64 total;
  OknoAppeal *appeal;         /* CALL_STATUS's or CALL_ANCHOR's answer */
  GError *err;
  double cpu;                 /* CPU time of the thread that ran the call, ms */
  GAsyncQueue *done;          /* pool mode: the client's, this request comes back on it */
} Call;

/* The calling thread's CPU time so far, in microseconds. */
static gint64 thread_cpu_us(void)
{
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (gint64)t.tv_sec * G_USEC_PER_SEC + t.tv_nsec / 1000;
}

/* Runs `c` on the store `st` (as a web handler does on its worker's connection). */
static void call_run(OknoStore *st, Call *c)
{
  gint64 c0 = thread_cpu_us();
  if (c->call == CALL_LIST) {
    OknoCabinetFilter f = {.limit = LIMIT};
    c->page = okno_store_cabinet_list_own(st, c->email, &f, &c->total, &c->err);
  } else if (c->call == CALL_STATUS) {
    c->appeal = okno_store_appeal_get(st, c->number, &c->err);
  } else {
    c->appeal = okno_store_appeal_get_by_id(st, c->id, &c->err);
  }
  c->cpu = (double)(thread_cpu_us() - c0) / 1000.0;
}

/* A connection as a web worker's holds it after its first requests: opened, its
 * schema read (SQLite parses the whole schema at a connection's first statement,
 * milliseconds with 16 threads starting at once: 16 such calls were half the samples
 * above p99) and each statement measured run once (SQLite prepares it, PostgreSQL's
 * backend loads the catalogue entries its plan needs: 13 ms for the list's first plan
 * on a new connection, 0.5 ms later); not timed. */
static void warm(OknoStore *st)
{
  Call c[CALLS] = {{.call = CALL_ANCHOR, .id = 1}, {.call = CALL_STATUS, .number = "B-1"},
                   {.call = CALL_LIST, .email = "c1@example.ru"}};
  for (int k = 0; k < CALLS; k++) {
    call_run(st, &c[k]);
    okno_page_free(c[k].page);
    okno_appeal_free(c[k].appeal);
    if (c[k].err)
      bench_die("first statements", c[k].err);
  }
}

/* The pool of store connections the clients' calls go through, as the web server's
 * (src/web/server.c): an exclusive GThreadPool of `workers` threads, each with its own
 * store connection, a call waiting in the pool's queue while all are busy. */
typedef struct {
  const char *url;
  int workers;
  GThreadPool *threads;
  GMutex lock;
  GCond cond;
  int warmed;           /* threads whose connection is open and warm */
  OknoStore **stores;   /* workers each, closed after the pool ends */
} Pool;

static GPrivate worker_store; /* the pool thread's connection (no destructor: see Pool) */

static void pool_work(gpointer data, gpointer pool_data)
{
  Pool *p = pool_data;
  OknoStore *st = g_private_get(&worker_store);
  if (data == pool_data) { /* warm-up: one per thread, each waits for all */
    g_autoptr(GError) err = NULL;
    if (!(st = okno_store_open(p->url, &err)))
      bench_die("open", err);
    warm(st);
    g_private_set(&worker_store, st);
    g_mutex_lock(&p->lock);
    p->stores[p->warmed++] = st;
    g_cond_broadcast(&p->cond);
    while (p->warmed < p->workers)
      g_cond_wait(&p->cond, &p->lock);
    g_mutex_unlock(&p->lock);
    return;
  }
  call_run(st, data);
  g_async_queue_push(((Call *)data)->done, data);
}

typedef struct {
  OknoStore *st; /* direct mode: the client's own connection; NULL in pool mode */
  Pool *pool;
  gint64 n, citizens;
  int rounds;
  guint seed;
  double *ms[CALLS];  /* rounds each: list, status, anchor */
  double cpu[CALLS];  /* CPU time of the calls, ms */
} Client;

static gint64 citizen_appeals(gint64 n, gint64 citizens, gint64 c)
{
  return c == 0 ? n / citizens : c <= n ? (n - c) / citizens + 1 : 0;
}

/* One call from the client's submit to its answer: in pool mode its wait in the
 * pool's queue included. */
static void client_call(Client *cl, Call *c, int k)
{
  g_autoptr(GAsyncQueue) done = cl->pool ? g_async_queue_new() : NULL;
  gint64 t0 = g_get_monotonic_time();
  if (cl->pool) {
    c->done = done;
    g_thread_pool_push(cl->pool->threads, c, NULL);
    g_async_queue_pop(done);
  } else {
    call_run(cl->st, c);
  }
  cl->ms[c->call][k] = ms_since(t0);
  cl->cpu[c->call] += c->cpu;
}

static gpointer client_run(gpointer data)
{
  Client *cl = data;
  GRand *r = g_rand_new_with_seed(cl->seed);
  if (cl->st)
    warm(cl->st);
  for (int k = 0; k < cl->rounds; k++) {
    gint64 c = g_rand_int_range(r, 0, (gint32)MIN(cl->citizens, cl->n + 1));
    gint64 i = 1 + (gint64)(g_rand_double(r) * (double)cl->n);
    g_autofree char *email = g_strdup_printf("c%" G_GINT64_FORMAT "@example.ru", c);
    g_autofree char *number = g_strdup_printf("B-%" G_GINT64_FORMAT, i);
    g_autofree char *addr = g_strdup_printf("C%" G_GINT64_FORMAT "@example.ru", i % cl->citizens);
    Call list = {.call = CALL_LIST, .email = email}, status = {.call = CALL_STATUS, .number = number},
         anchor = {.call = CALL_ANCHOR};
    client_call(cl, &list, k);
    if (!list.page)
      bench_die("cabinet", list.err);
    client_call(cl, &status, k);
    if (status.err)
      bench_die("status", status.err);
    /* the address as a citizen types it, compared as okno_status_check does */
    if (status.appeal && g_ascii_strcasecmp(status.appeal->from_email, addr) != 0)
      g_clear_pointer(&status.appeal, okno_appeal_free);
    anchor.id = 1 + (gint64)(g_rand_double(r) * (double)cl->n);
    client_call(cl, &anchor, k);
    if (!anchor.appeal)
      bench_die("anchor", anchor.err);
    if (check) {
      gint64 want = citizen_appeals(cl->n, cl->citizens, c);
      if (list.total != want || (gint64)list.page->appeals->len != MIN(want, LIMIT))
        mismatch("cabinet list total", list.total, want);
      if (!status.appeal)
        mismatch("status check found", 0, 1);
      else if (strcmp(okno_status_name(status.appeal->status),
                      i % 20 < 5 ? seeded_status[i % 20] : "closed"))
        mismatch("status check status", status.appeal->status, i % 20);
    }
    okno_page_free(list.page);
    okno_appeal_free(status.appeal);
    okno_appeal_free(anchor.appeal);
  }
  g_rand_free(r);
  return NULL;
}

/* MILLION_CLIENTS client threads, each making MILLION_ROUNDS of the three calls
 * without pause; their calls served by a pool of MILLION_WORKERS connections (default
 * 4, http.workers' default: okno's web server), or, when there are as many workers as
 * clients, each client on its own connection. */
static void bench_clients(const char *backend, const char *url, gint64 n, gint64 citizens)
{
  int clients = (int)env_int("MILLION_CLIENTS", 16), rounds = (int)env_int("MILLION_ROUNDS", 200);
  int workers = (int)CLAMP(env_int("MILLION_WORKERS", 4), 1, clients), all = clients * rounds;
  g_autofree Client *cl = g_new0(Client, clients);
  g_autofree GThread **th = g_new0(GThread *, clients);
  g_autofree double *ms = g_new0(double, (gsize)all * CALLS);
  g_autofree char *mode = workers < clients ? g_strdup_printf("%d clients %d workers", clients, workers)
                                            : g_strdup_printf("%d clients own connections", clients);
  Pool pool = {.url = url, .workers = workers};
  g_autofree OknoStore **stores = g_new0(OknoStore *, workers);
  double cpu[CALLS] = {0, 0, 0}, *list = ms, *status = ms + all, *anchor = ms + 2 * all;
  if (workers < clients) {
    pool.stores = stores;
    g_mutex_init(&pool.lock);
    g_cond_init(&pool.cond);
    pool.threads = g_thread_pool_new(pool_work, &pool, workers, TRUE, NULL);
    for (int w = 0; w < workers; w++)
      g_thread_pool_push(pool.threads, &pool, NULL);
  }
  for (int t = 0; t < clients; t++) {
    g_autoptr(GError) err = NULL;
    cl[t] = (Client){.pool = pool.threads ? &pool : NULL, .n = n, .citizens = citizens,
                     .rounds = rounds, .seed = 100 + t};
    for (int k = 0; k < CALLS; k++)
      cl[t].ms[k] = ms + k * all + t * rounds;
    if (!pool.threads && !(cl[t].st = okno_store_open(url, &err)))
      bench_die("open", err);
  }
  if (pool.threads) { /* every connection warm before the first measured call */
    g_mutex_lock(&pool.lock);
    while (pool.warmed < workers)
      g_cond_wait(&pool.cond, &pool.lock);
    g_mutex_unlock(&pool.lock);
  }
  for (int t = 0; t < clients; t++)
    th[t] = g_thread_new("client", client_run, &cl[t]);
  for (int t = 0; t < clients; t++) {
    g_thread_join(th[t]);
    if (cl[t].st)
      okno_store_close(cl[t].st);
    for (int k = 0; k < CALLS; k++)
      cpu[k] += cl[t].cpu[k] / all;
  }
  if (pool.threads) { /* no call is left: the threads end, then their connections close */
    g_thread_pool_free(pool.threads, FALSE, TRUE);
    for (int w = 0; w < workers; w++)
      okno_store_close(stores[w]);
    g_mutex_clear(&pool.lock);
    g_cond_clear(&pool.cond);
  }
  printf("cabinet: %s %" G_GINT64_FORMAT " %s list p99 %.2f ms (p50 %.2f ms)  "
         "anchor: SELECT by primary key p99 %.2f ms (p50 %.2f ms)\n",
         backend, n, mode, percentile(list, all, 99), percentile(list, all, 50),
         percentile(anchor, all, 99), percentile(anchor, all, 50));
  printf("status: %s %" G_GINT64_FORMAT " %s check p99 %.2f ms (p50 %.2f ms)  "
         "anchor: SELECT by primary key p99 %.2f ms (p50 %.2f ms)\n",
         backend, n, mode, percentile(status, all, 99), percentile(status, all, 50),
         percentile(anchor, all, 99), percentile(anchor, all, 50));
  printf("cpu: %s %" G_GINT64_FORMAT " %s mean per call list %.3f ms status %.3f ms  "
         "anchor: SELECT by primary key %.3f ms\n",
         backend, n, mode, cpu[CALL_LIST], cpu[CALL_STATUS], cpu[CALL_ANCHOR]);
  fflush(stdout);
}

/* ---- the console's queues ---- */

static void bench_queues(const char *backend, OknoStore *st, gint64 n, gint64 now)
{
  int rounds = (int)env_int("MILLION_QUEUE_ROUNDS", 40);
  for (int every = 0; every < 2; every++)
    for (int k = 0; k < OKNO_QUEUE_COUNT; k++) {
      OknoQueueQuery q = {.queue = k, .user = 2, .every_department = every,
                          .departments = operator_depts, .now = now, .limit = LIMIT};
      g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func(g_free);
      g_autofree double *page = g_new0(double, rounds), *whole = g_new0(double, rounds),
                        *anchor = g_new0(double, rounds);
      OknoListFilter lf = {.limit = LIMIT + 1};
      g_ptr_array_add(tokens, NULL);
      while (tokens->len < PAGES) { /* the first pages' tokens */
        g_autoptr(GError) err = NULL;
        g_autoptr(OknoPage) p = NULL;
        q.after = tokens->pdata[tokens->len - 1];
        if (!(p = okno_store_queue_page(st, &q, &err)))
          bench_die("page", err);
        if (!p->next)
          break;
        g_ptr_array_add(tokens, g_strdup(p->next));
      }
      for (int r = 0; r < rounds; r++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(OknoPage) p = NULL;
        g_autoptr(GPtrArray) a = NULL;
        gint64 total, t0 = g_get_monotonic_time();
        q.after = tokens->pdata[r % tokens->len];
        p = okno_store_queue_page(st, &q, &err);
        page[r] = ms_since(t0);
        total = p ? okno_store_queue_count(st, &q, &err) : -1;
        for (int t = 0; t < OKNO_QUEUE_COUNT && total >= 0; t++) {
          OknoQueueQuery tab = q;
          tab.queue = t;
          if (okno_store_queue_count(st, &tab, &err) < 0)
            total = -1;
        }
        whole[r] = ms_since(t0);
        if (total < 0)
          bench_die("queue", err);
        if (check && !q.after && (gint64)p->appeals->len != MIN(total, LIMIT))
          mismatch(queue_names[k], p->appeals->len, MIN(total, LIMIT));
        if (check && every && k == OKNO_QUEUE_ALL && total == 0)
          mismatch("administrator's queue all", 0, 1);
        t0 = g_get_monotonic_time();
        a = okno_store_list(st, &lf, &err);
        anchor[r] = ms_since(t0);
        if (!a)
          bench_die("anchor", err);
      }
      printf("queue: %s %" G_GINT64_FORMAT " %s %s page p95 %.2f ms page+counts p95 %.2f ms  "
             "anchor: indexed page SELECT p95 %.2f ms\n",
             backend, n, every ? "administrator" : "operator", queue_names[k],
             percentile(page, rounds, 95), percentile(whole, rounds, 95),
             percentile(anchor, rounds, 95));
      fflush(stdout);
    }
}

static void bench_store(const char *backend, const char *url, gint64 n, gint64 citizens)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = okno_store_open(url, &err);
  gint64 now = okno_now(), t0 = g_get_monotonic_time();
  if (!st)
    bench_die("open", err);
  bench_seed(st, &(BenchSeed){.n = n, .now = now, .citizens = citizens, .search = TRUE});
  fprintf(stderr, "bench_million: %s: %" G_GINT64_FORMAT " appeals written in %.0f s\n",
          backend, n, ms_since(t0) / 1000.0);
  bench_search(backend, st, n);
  bench_clients(backend, url, n, citizens);
  bench_queues(backend, st, n, now);
}

int main(int argc, char **argv)
{
  const char *admin = g_getenv("OKNO_TEST_PG_URL");
  const char *backends = g_getenv("MILLION_BACKENDS") ? g_getenv("MILLION_BACKENDS")
                                                       : "sqlite postgresql";
  gint64 n = env_int("MILLION_SIZE", 1000000);
  gint64 citizens = env_int("MILLION_CITIZENS", n * 3 / 10);
  g_autofree char *dir = g_dir_make_tmp("okno-bench-million-XXXXXX", NULL);
  g_autofree char *url = g_strdup_printf("sqlite:%s/okno.db", dir);
  g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
  bench_name = "bench_million";
  check = env_int("MILLION_CHECK", 0) != 0;
  g_setenv("OKNO_LOG", "quiet", FALSE);
  if (n <= 0 || citizens <= 0 || !dir)
    return 2;
  if (argc == 3 && strcmp(argv[1], "--fill") == 0) { /* bench/intake/run --prefill */
    g_autoptr(GError) err = NULL;
    g_autoptr(OknoStore) st = okno_store_open(argv[2], &err);
    if (!st)
      bench_die("open", err);
    bench_seed(st, &(BenchSeed){.n = n, .now = okno_now(), .citizens = citizens, .search = TRUE});
    return system(rm) != 0;
  }
  if (argc == 3 && strcmp(argv[1], "--measure") == 0) { /* a store filled by --fill */
    g_autoptr(GError) err = NULL;
    g_autoptr(OknoStore) st = okno_store_open(argv[2], &err);
    const char *backend = g_str_has_prefix(argv[2], "sqlite:") ? "sqlite" : "postgresql";
    if (!st)
      bench_die("open", err);
    if (strstr(backends, "search"))
      bench_search(backend, st, n);
    if (strstr(backends, "clients"))
      bench_clients(backend, argv[2], n, citizens);
    if (strstr(backends, "queues"))
      bench_queues(backend, st, n, okno_now());
    return system(rm) != 0 || wrong;
  }
  if (strstr(backends, "sqlite"))
    bench_store("sqlite", url, n, citizens);
  if (system(rm) != 0)
    fprintf(stderr, "bench_million: could not remove %s\n", dir);
  if (admin && *admin && strstr(backends, "postgresql")) {
    g_autofree char *drop = NULL;
    g_autofree char *pg_url = bench_pg_create(admin, "okno_bench_million", &drop);
    bench_store("postgresql", pg_url, n, citizens);
    bench_pg_admin(admin, drop);
  }
  if (wrong)
    fprintf(stderr, "bench_million: %d results differ from the generated store\n", wrong);
  return wrong ? 1 : 0;
}
