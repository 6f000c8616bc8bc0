/* test_metrics.c: the metrics registry (core/metrics.h) and its text exposition: the
 * exact text of a small registry (HELP/TYPE, escaping of help and label values,
 * sorted series, histogram cumulative _bucket lines with +Inf, _sum and _count), the
 * get-or-create contract, and counting from several threads at once losing nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/metrics.h"

static void test_render_exact(void **state)
{
  OknoMetrics *m = okno_metrics_new();
  static const char *const by_channel[] = {"channel", "outcome", NULL};
  static const double buckets[] = {0.25, 1, 2.5};
  OknoMetricFamily *c = okno_metrics_counter(m, "okno_test_total", "Things \\ counted\nhere.",
                                             by_channel);
  OknoMetricFamily *g = okno_metrics_gauge(m, "okno_test_depth", "A depth.", NULL);
  OknoMetricFamily *h = okno_metrics_histogram(m, "okno_test_seconds", "Latency.", NULL,
                                               buckets, G_N_ELEMENTS(buckets));
  OknoMetricFamily *e = okno_metrics_counter(m, "okno_test_empty_total", "Nothing yet.", NULL);
  g_autofree char *text = NULL;
  (void)state;
  (void)e;
  okno_metric_add(c, 1, "smtp", "created");
  okno_metric_add(c, 2, "smtp", "created");
  okno_metric_add(c, 1, "a\"b\\c\nd", "rejected");
  okno_metric_set(g, 7.5);
  okno_metric_observe(h, 0.125);
  okno_metric_observe(h, 0.25);  /* on a bound: counted in that bucket (le) */
  okno_metric_observe(h, 2);
  okno_metric_observe(h, 30);
  text = okno_metrics_render(m);
  assert_string_equal(text,
      "# HELP okno_test_total Things \\\\ counted\\nhere.\n"
      "# TYPE okno_test_total counter\n"
      "okno_test_total{channel=\"a\\\"b\\\\c\\nd\",outcome=\"rejected\"} 1\n"
      "okno_test_total{channel=\"smtp\",outcome=\"created\"} 3\n"
      "# HELP okno_test_depth A depth.\n"
      "# TYPE okno_test_depth gauge\n"
      "okno_test_depth 7.5\n"
      "# HELP okno_test_seconds Latency.\n"
      "# TYPE okno_test_seconds histogram\n"
      "okno_test_seconds_bucket{le=\"0.25\"} 2\n"
      "okno_test_seconds_bucket{le=\"1\"} 2\n"
      "okno_test_seconds_bucket{le=\"2.5\"} 3\n"
      "okno_test_seconds_bucket{le=\"+Inf\"} 4\n"
      "okno_test_seconds_sum 32.375\n"
      "okno_test_seconds_count 4\n"
      "# HELP okno_test_empty_total Nothing yet.\n"
      "# TYPE okno_test_empty_total counter\n"
      "okno_test_empty_total 0\n");
  okno_metrics_free(m);
}

static void test_labelled_histogram_and_get_or_create(void **state)
{
  OknoMetrics *m = okno_metrics_new();
  static const char *const route[] = {"route", NULL};
  static const double buckets[] = {1};
  OknoMetricFamily *h = okno_metrics_histogram(m, "okno_h", "H.", route, buckets, 1);
  OknoMetricFamily *again = okno_metrics_histogram(m, "okno_h", "other help", NULL, NULL, 0);
  g_autofree char *text = NULL;
  (void)state;
  assert_ptr_equal(h, again);
  okno_metric_observe(again, 0.5, "api");
  assert_true(okno_metric_value(h, "api") == 1);
  assert_true(okno_metric_value(h, "console") == 0);
  text = okno_metrics_render(m);
  assert_string_equal(text,
      "# HELP okno_h H.\n"
      "# TYPE okno_h histogram\n"
      "okno_h_bucket{route=\"api\",le=\"1\"} 1\n"
      "okno_h_bucket{route=\"api\",le=\"+Inf\"} 1\n"
      "okno_h_sum{route=\"api\"} 0.5\n"
      "okno_h_count{route=\"api\"} 1\n");
  okno_metrics_free(m);
}

#define THREADS 4
#define PER_THREAD 20000

static gpointer count_many(gpointer data)
{
  OknoMetricFamily *c = data;
  for (int i = 0; i < PER_THREAD; i++)
    okno_metric_add(c, 1, i % 2 ? "odd" : "even");
  return NULL;
}

static void test_threads_lose_nothing(void **state)
{
  OknoMetrics *m = okno_metrics_new();
  static const char *const kind[] = {"kind", NULL};
  OknoMetricFamily *c = okno_metrics_counter(m, "okno_n_total", "N.", kind);
  GThread *t[THREADS];
  (void)state;
  for (int i = 0; i < THREADS; i++)
    t[i] = g_thread_new("count", count_many, c);
  for (int i = 0; i < THREADS; i++)
    g_thread_join(t[i]);
  assert_true(okno_metric_value(c, "odd") == THREADS * PER_THREAD / 2);
  assert_true(okno_metric_value(c, "even") == THREADS * PER_THREAD / 2);
  okno_metrics_free(m);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_render_exact),
    cmocka_unit_test(test_labelled_histogram_and_get_or_create),
    cmocka_unit_test(test_threads_lose_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
