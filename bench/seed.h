/* bench/seed.h: the generated stores the C benchmarks share (bench/stats.c,
 * bench/million.c): a fresh store filled by one INSERT ... SELECT over a recursive
 * counter, and a scratch PostgreSQL database per run.
 *
 * Contract: every function exits the process (status 2, the reason on stderr after
 * bench_name) on any failure: a benchmark has nothing to recover. */
#pragma once
#include <glib.h>

#include "store/store.h"

/* The program's name in error lines ("bench_stats"); set by main. */
extern const char *bench_name;

typedef struct {
  gint64 n;          /* appeals */
  gint64 now;        /* the newest appeal's received_at (one every 30 s back from it) */
  gint64 citizens;   /* distinct contacts: appeal i is c<i % citizens>@example.ru */
  gboolean search;   /* subjects from a Russian vocabulary and the search index filled */
} BenchSeed;

/* Fills the fresh store `st` with o->n appeals (bench/seed.c says how), 40 operators
 * op00..op39 (user ids 1..40) first. Then ANALYZE (PostgreSQL: VACUUM ANALYZE). */
void bench_seed(OknoStore *st, const BenchSeed *o);

/* The 40 operators op00..op39 (user ids 1..40 in a fresh store), no departments. */
void bench_operators(OknoStore *st);

/* With o->search: the word of vocabulary rank `rank` (0: the most frequent), the
 * same word bench_seed's texts use. Caller frees. */
char *bench_word(guint rank);
/* A rank drawn from the texts' distribution (Zipf over BENCH_WORDS words). */
guint bench_rank(GRand *r);
#define BENCH_WORDS 5000

/* Dies with `what` and err's message. */
G_GNUC_NORETURN void bench_die(const char *what, GError *err);

/* A fresh database `<prefix>_<random>` on the server OKNO_TEST_PG_URL names (`admin`):
 * its URL; *drop (caller frees) is the statement bench_pg_admin runs to drop it. */
char *bench_pg_create(const char *admin, const char *prefix, char **drop);
/* Runs one statement on the admin database. */
void bench_pg_admin(const char *admin, const char *sql);
