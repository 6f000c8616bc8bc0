/* metrics.c: the metrics registry and its text exposition (see metrics.h).
 *
 * One mutex per registry guards everything: families live in a GPtrArray (creation
 * order) and a name index; each family keeps its series in a hash keyed by the label
 * values (each value prefixed with its length, so no separator can be forged). A series
 * is a value (counter, gauge) or bucket counts, a sum and a count (histogram).
 * Rendering copies nothing out: it holds the lock while writing the text, which takes
 * microseconds for the few hundred series okno has. */
#include "core/metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABELS 4

typedef enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } Kind;

typedef struct {
  char **values;   /* n_labels label values */
  double value;    /* counter, gauge */
  guint64 *counts; /* histogram: per bucket (not cumulative), the last one +Inf */
  double sum;
  guint64 count;
} Series;

struct OknoMetricFamily {
  OknoMetrics *reg;
  Kind kind;
  char *name, *help;
  char **labels;
  guint n_labels;
  double *buckets;
  guint n_buckets;
  GHashTable *series; /* key -> Series* */
};

struct OknoMetrics {
  GMutex lock;
  GPtrArray *families;  /* OknoMetricFamily*, creation order */
  GHashTable *by_name;  /* name -> OknoMetricFamily* (borrowed) */
};

const double okno_metrics_latency_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,   0.25,   0.5,   1,    2.5,   5, 10};
const guint okno_metrics_latency_n_buckets = G_N_ELEMENTS(okno_metrics_latency_buckets);

static void series_free(gpointer p)
{
  Series *s = p;
  g_strfreev(s->values);
  g_free(s->counts);
  g_free(s);
}

static void family_free(gpointer p)
{
  OknoMetricFamily *f = p;
  g_free(f->name);
  g_free(f->help);
  g_strfreev(f->labels);
  g_free(f->buckets);
  g_hash_table_destroy(f->series);
  g_free(f);
}

OknoMetrics *okno_metrics_new(void)
{
  OknoMetrics *m = g_new0(OknoMetrics, 1);
  g_mutex_init(&m->lock);
  m->families = g_ptr_array_new_with_free_func(family_free);
  m->by_name = g_hash_table_new(g_str_hash, g_str_equal);
  return m;
}

void okno_metrics_free(OknoMetrics *m)
{
  if (!m)
    return;
  g_hash_table_destroy(m->by_name);
  g_ptr_array_unref(m->families);
  g_mutex_clear(&m->lock);
  g_free(m);
}

OknoMetrics *okno_metrics(void)
{
  static gsize once = 0;
  static OknoMetrics *global;
  if (g_once_init_enter(&once)) {
    global = okno_metrics_new();
    g_once_init_leave(&once, 1);
  }
  return global;
}

static OknoMetricFamily *family(OknoMetrics *m, Kind kind, const char *name, const char *help,
                                const char *const *label_names, const double *buckets,
                                guint n_buckets)
{
  OknoMetricFamily *f;
  g_mutex_lock(&m->lock);
  f = g_hash_table_lookup(m->by_name, name);
  if (!f) {
    f = g_new0(OknoMetricFamily, 1);
    f->reg = m;
    f->kind = kind;
    f->name = g_strdup(name);
    f->help = g_strdup(help);
    f->labels = g_strdupv((char **)(label_names ? label_names : (const char *const[]){NULL}));
    f->n_labels = g_strv_length(f->labels);
    g_assert(f->n_labels <= MAX_LABELS);
    if (kind == KIND_HISTOGRAM) {
      f->buckets = g_memdup2(buckets, sizeof(double) * n_buckets);
      f->n_buckets = n_buckets;
    }
    f->series = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, series_free);
    g_ptr_array_add(m->families, f);
    g_hash_table_insert(m->by_name, f->name, f);
  }
  g_mutex_unlock(&m->lock);
  return f;
}

OknoMetricFamily *okno_metrics_counter(OknoMetrics *m, const char *name, const char *help,
                                       const char *const *label_names)
{
  return family(m, KIND_COUNTER, name, help, label_names, NULL, 0);
}

OknoMetricFamily *okno_metrics_gauge(OknoMetrics *m, const char *name, const char *help,
                                     const char *const *label_names)
{
  return family(m, KIND_GAUGE, name, help, label_names, NULL, 0);
}

OknoMetricFamily *okno_metrics_histogram(OknoMetrics *m, const char *name, const char *help,
                                         const char *const *label_names, const double *buckets,
                                         guint n_buckets)
{
  return family(m, KIND_HISTOGRAM, name, help, label_names, buckets, n_buckets);
}

/* Collects the label values of a call into `vals`; returns the series key. */
static char *series_key(OknoMetricFamily *f, va_list ap, const char **vals)
{
  GString *key = g_string_new(NULL);
  for (guint i = 0; i < f->n_labels; i++) {
    const char *v = va_arg(ap, const char *);
    vals[i] = v ? v : "";
    g_string_append_printf(key, "%zu:%s", strlen(vals[i]), vals[i]);
  }
  return g_string_free(key, FALSE);
}

/* Under the lock: the series of these values, created when new. */
static Series *series_get(OknoMetricFamily *f, char *key, const char **vals, gboolean create)
{
  Series *s = g_hash_table_lookup(f->series, key);
  if (s || !create) {
    g_free(key);
    return s;
  }
  s = g_new0(Series, 1);
  s->values = g_new0(char *, f->n_labels + 1);
  for (guint i = 0; i < f->n_labels; i++)
    s->values[i] = g_strdup(vals[i]);
  if (f->kind == KIND_HISTOGRAM)
    s->counts = g_new0(guint64, f->n_buckets + 1);
  g_hash_table_insert(f->series, key, s);
  return s;
}

/* The series of the label values in `ap`, created when new, with the registry locked
 * (the caller unlocks). */
static Series *series_locked(OknoMetricFamily *f, va_list ap)
{
  const char *vals[MAX_LABELS];
  char *key = series_key(f, ap, vals);
  g_mutex_lock(&f->reg->lock);
  return series_get(f, key, vals, TRUE);
}

void okno_metric_add(OknoMetricFamily *f, double v, ...)
{
  va_list ap;
  g_return_if_fail(f->kind != KIND_HISTOGRAM);
  va_start(ap, v);
  series_locked(f, ap)->value += v;
  va_end(ap);
  g_mutex_unlock(&f->reg->lock);
}

void okno_metric_set(OknoMetricFamily *f, double v, ...)
{
  va_list ap;
  g_return_if_fail(f->kind != KIND_HISTOGRAM);
  va_start(ap, v);
  series_locked(f, ap)->value = v;
  va_end(ap);
  g_mutex_unlock(&f->reg->lock);
}

void okno_metric_observe(OknoMetricFamily *f, double v, ...)
{
  va_list ap;
  Series *s;
  guint b = 0;
  g_return_if_fail(f->kind == KIND_HISTOGRAM);
  while (b < f->n_buckets && v > f->buckets[b])
    b++;
  va_start(ap, v);
  s = series_locked(f, ap);
  va_end(ap);
  s->counts[b]++;
  s->sum += v;
  s->count++;
  g_mutex_unlock(&f->reg->lock);
}

double okno_metric_value(OknoMetricFamily *f, ...)
{
  const char *vals[MAX_LABELS];
  va_list ap;
  char *key;
  Series *s;
  double v = 0;
  va_start(ap, f);
  key = series_key(f, ap, vals);
  va_end(ap);
  g_mutex_lock(&f->reg->lock);
  s = series_get(f, key, vals, FALSE);
  if (s)
    v = f->kind == KIND_HISTOGRAM ? (double)s->count : s->value;
  g_mutex_unlock(&f->reg->lock);
  return v;
}

/* ---- the text format ---- */

/* A float as the format wants it: shortest round-trip text, "+Inf", "-Inf", "NaN". */
static void append_double(GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (isnan(v)) {
    g_string_append(out, "NaN");
    return;
  }
  if (isinf(v)) {
    g_string_append(out, v > 0 ? "+Inf" : "-Inf");
    return;
  }
  for (int prec = 15; prec <= 17; prec++) {
    char fmt[8];
    g_snprintf(fmt, sizeof fmt, "%%.%dg", prec);
    g_ascii_formatd(buf, sizeof buf, fmt, v);
    if (prec == 17 || g_ascii_strtod(buf, NULL) == v)
      break;
  }
  g_string_append(out, buf);
}

/* Escapes `\`, newline and (in label values) `"`. */
static void append_escaped(GString *out, const char *s, gboolean quote)
{
  for (; *s; s++) {
    if (*s == '\\')
      g_string_append(out, "\\\\");
    else if (*s == '\n')
      g_string_append(out, "\\n");
    else if (*s == '"' && quote)
      g_string_append(out, "\\\"");
    else
      g_string_append_c(out, *s);
  }
}

/* {a="x",b="y"} plus an optional le="..." (NULL: none); nothing when no labels at all. */
static void append_labels(GString *out, const OknoMetricFamily *f, const Series *s,
                          const char *le)
{
  if (f->n_labels == 0 && !le)
    return;
  g_string_append_c(out, '{');
  for (guint i = 0; i < f->n_labels; i++) {
    g_string_append_printf(out, "%s%s=\"", i ? "," : "", f->labels[i]);
    append_escaped(out, s->values[i], TRUE);
    g_string_append_c(out, '"');
  }
  if (le)
    g_string_append_printf(out, "%sle=\"%s\"", f->n_labels ? "," : "", le);
  g_string_append_c(out, '}');
}

static gint series_cmp(gconstpointer a, gconstpointer b, gpointer data)
{
  const Series *x = *(Series *const *)a, *y = *(Series *const *)b;
  guint n = GPOINTER_TO_UINT(data);
  for (guint i = 0; i < n; i++) {
    int c = strcmp(x->values[i], y->values[i]);
    if (c)
      return c;
  }
  return 0;
}

static void render_family(GString *out, OknoMetricFamily *f)
{
  static const char *const types[] = {"counter", "gauge", "histogram"};
  g_autoptr(GPtrArray) list = g_ptr_array_new();
  GHashTableIter it;
  gpointer value;
  Series zero = {0};
  g_hash_table_iter_init(&it, f->series);
  while (g_hash_table_iter_next(&it, NULL, &value))
    g_ptr_array_add(list, value);
  g_string_append_printf(out, "# HELP %s ", f->name);
  append_escaped(out, f->help, FALSE);
  g_string_append_printf(out, "\n# TYPE %s %s\n", f->name, types[f->kind]);
  if (list->len == 0 && f->n_labels == 0 && f->kind != KIND_HISTOGRAM)
    g_ptr_array_add(list, &zero);
  g_ptr_array_sort_with_data(list, series_cmp, GUINT_TO_POINTER(f->n_labels));
  for (guint i = 0; i < list->len; i++) {
    const Series *s = list->pdata[i];
    if (f->kind != KIND_HISTOGRAM) {
      g_string_append(out, f->name);
      append_labels(out, f, s, NULL);
      g_string_append_c(out, ' ');
      append_double(out, s->value);
      g_string_append_c(out, '\n');
      continue;
    }
    guint64 cum = 0;
    for (guint b = 0; b <= f->n_buckets; b++) {
      g_autoptr(GString) le = g_string_new(NULL);
      cum += s->counts[b];
      append_double(le, b < f->n_buckets ? f->buckets[b] : INFINITY);
      g_string_append_printf(out, "%s_bucket", f->name);
      append_labels(out, f, s, le->str);
      g_string_append_printf(out, " %" G_GUINT64_FORMAT "\n", cum);
    }
    g_string_append_printf(out, "%s_sum", f->name);
    append_labels(out, f, s, NULL);
    g_string_append_c(out, ' ');
    append_double(out, s->sum);
    g_string_append_printf(out, "\n%s_count", f->name);
    append_labels(out, f, s, NULL);
    g_string_append_printf(out, " %" G_GUINT64_FORMAT "\n", s->count);
  }
}

char *okno_metrics_render(OknoMetrics *m)
{
  GString *out = g_string_new(NULL);
  g_mutex_lock(&m->lock);
  for (guint i = 0; i < m->families->len; i++)
    render_family(out, m->families->pdata[i]);
  g_mutex_unlock(&m->lock);
  return g_string_free(out, FALSE);
}
