/* metrics.h: a small, thread-safe registry of Prometheus metrics (docs/metrics.md).
 *
 * A registry holds families (counter, gauge, histogram), each with a name, a help text
 * and a fixed list of label names; a family holds one series per set of label values,
 * created the first time it is touched. Every layer counts into the process-wide
 * registry okno_metrics() at the place where the event happens; `okno serve` renders it
 * on [metrics] listen (web/metrics.h) in the text exposition format 0.0.4.
 *
 * Contract:
 *  - okno_metrics_counter/gauge/histogram return the family of that name, creating it
 *    on first call; a second call with the same name returns the same family (its help,
 *    labels and buckets are those of the first call). Families are never freed before
 *    their registry, so a caller may keep the pointer (e.g. in a static).
 *  - label_names is a NULL-terminated list (NULL for none, at most 4 labels); the
 *    add/set/observe calls take exactly that many label values (strings, any UTF-8;
 *    NULL counts as "") after the number.
 *  - Histogram buckets are upper bounds in increasing order, without +Inf (added).
 *  - All functions may be called from any thread at once (one mutex per registry;
 *    the critical sections are a hash lookup and an addition).
 *  - okno_metrics_render: families in the order they were first created, series
 *    sorted by their label values; HELP and TYPE before each family (a family with no
 *    series yet shows only those, except an unlabelled counter or gauge, shown as 0);
 *    label values and help escaped as the format says; caller frees. */
#pragma once
#include <glib.h>

typedef struct OknoMetrics OknoMetrics;
typedef struct OknoMetricFamily OknoMetricFamily;

OknoMetrics *okno_metrics_new(void);
void okno_metrics_free(OknoMetrics *m);
/* The process-wide registry (created on first use, never freed). */
OknoMetrics *okno_metrics(void);

OknoMetricFamily *okno_metrics_counter(OknoMetrics *m, const char *name, const char *help,
                                       const char *const *label_names);
OknoMetricFamily *okno_metrics_gauge(OknoMetrics *m, const char *name, const char *help,
                                     const char *const *label_names);
OknoMetricFamily *okno_metrics_histogram(OknoMetrics *m, const char *name, const char *help,
                                         const char *const *label_names, const double *buckets,
                                         guint n_buckets);

/* Counter: adds `v` (>= 0). Gauge: adds `v` (any sign). */
void okno_metric_add(OknoMetricFamily *f, double v, ...);
/* Gauge: sets the value. */
void okno_metric_set(OknoMetricFamily *f, double v, ...);
/* Histogram: counts one observation of `v`. */
void okno_metric_observe(OknoMetricFamily *f, double v, ...);
/* The value of a counter or gauge series (0 when it does not exist yet); for a
 * histogram, its count. For tests and for readers inside the process. */
double okno_metric_value(OknoMetricFamily *f, ...);

char *okno_metrics_render(OknoMetrics *m);

/* Buckets in seconds for latencies from a millisecond to ten seconds. */
extern const double okno_metrics_latency_buckets[];
extern const guint okno_metrics_latency_n_buckets;
