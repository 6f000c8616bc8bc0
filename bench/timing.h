/* timing.h: the few timing helpers the C benchmarks share (bench/queue.c, stats.c, million.c,
 * deadline.c): milliseconds since a monotonic instant, and the p95 (or any percentile) of samples. */
#pragma once
#include <glib.h>
#include <stdlib.h>

static inline double ms_since(gint64 t0)
{
  return (double)(g_get_monotonic_time() - t0) / 1000.0;
}

static inline int bench_by_value(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The 95th percentile of v[0..n) (sorts v in place; n >= 1). */
static inline double p95(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, bench_by_value);
  return v[(n * 95 + 99) / 100 - 1];
}

/* The pct-th percentile of v[0..n) (sorts v in place; n >= 1; pct 1 to 100). */
static inline double percentile(double *v, int n, int pct)
{
  qsort(v, (size_t)n, sizeof *v, bench_by_value);
  return v[(n * pct + 99) / 100 - 1];
}
