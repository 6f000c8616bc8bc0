/* bench/phishing.c: how well and how fast `okno check-mail` judges the labelled corpus,
 * beside MIME parsing alone measured in the same run.
 *
 *   bench_phishing [CORPUS_DIR]     (default: tests/data/phishing of the source tree)
 *
 * Reads manifest.tsv (file, label, ...) and okno.ini from the corpus directory, and
 * every sample into memory. Quality: one pass of okno_mime_parse + okno_phishing_check
 * over every sample; "flagged" is a verdict of suspicious or dangerous; precision and
 * recall of flagged against the label "phishing". Speed: for about half a second each,
 * messages per second of parse + check (what check-mail does) and of okno_mime_parse
 * alone (the baseline: the cost every intake path pays anyway). Prints one line:
 *   phishing: precision P recall R, N msg/s  baseline: parse only M msg/s */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "check/phishing.h"
#include "core/config.h"
#include "mail/mime.h"

#define RUN_US (G_USEC_PER_SEC / 2)

typedef struct {
  char *raw;
  gsize len;
  gboolean phishing;
} Sample;

static void sample_clear(gpointer p)
{
  g_free(((Sample *)p)->raw);
}

/* Runs parse (+ check when `check`) over the samples, round after round, for RUN_US;
 * returns messages per second. */
static double rate(const GArray *samples, const OknoMimeLimits *limits, const OknoConfig *cfg, gboolean check)
{
  gint64 start = g_get_monotonic_time(), now = start;
  guint64 n = 0;
  while (now - start < RUN_US) {
    for (guint i = 0; i < samples->len; i++) {
      const Sample *s = &g_array_index(samples, Sample, i);
      OknoMessage *m = okno_mime_parse(s->raw, s->len, limits);
      if (check)
        okno_phish_result_free(okno_phishing_check(m, s->raw, s->len, cfg));
      okno_message_free(m);
      n++;
    }
    now = g_get_monotonic_time();
  }
  return (double)n * G_USEC_PER_SEC / (double)(now - start);
}

int main(int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : OKNO_PHISHING_CORPUS;
  g_autofree char *manifest_path = g_build_filename(dir, "manifest.tsv", NULL);
  g_autofree char *config_path = g_build_filename(dir, "okno.ini", NULL);
  g_autofree char *manifest = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(GArray) samples = g_array_new(FALSE, TRUE, sizeof(Sample));
  g_auto(GStrv) lines = NULL;
  OknoMimeLimits limits;
  guint tp = 0, fp = 0, fn = 0;
  double with_check, parse_only;

  g_array_set_clear_func(samples, sample_clear);
  if (!(cfg = okno_config_load(config_path, &err)) || !g_file_get_contents(manifest_path, &manifest, NULL, &err)) {
    fprintf(stderr, "bench: %s\n", err->message);
    return 1;
  }
  lines = g_strsplit(manifest, "\n", -1);
  for (char **l = lines; *l; l++) {
    g_auto(GStrv) f = NULL;
    g_autofree char *path = NULL;
    Sample s = {0};
    if (**l == '#' || !**l)
      continue;
    f = g_strsplit(*l, "\t", 3);
    if (g_strv_length(f) < 2) {
      fprintf(stderr, "bench: malformed manifest line: %s\n", *l);
      return 1;
    }
    path = g_build_filename(dir, f[0], NULL);
    if (!g_file_get_contents(path, &s.raw, &s.len, &err)) {
      fprintf(stderr, "bench: %s\n", err->message);
      return 1;
    }
    s.phishing = strcmp(f[1], "phishing") == 0;
    g_array_append_val(samples, s);
  }
  okno_mime_limits_default(&limits);

  for (guint i = 0; i < samples->len; i++) {
    const Sample *s = &g_array_index(samples, Sample, i);
    g_autoptr(OknoMessage) m = okno_mime_parse(s->raw, s->len, &limits);
    g_autoptr(OknoPhishResult) r = okno_phishing_check(m, s->raw, s->len, cfg);
    gboolean flagged = r->verdict != OKNO_VERDICT_CLEAN;
    tp += flagged && s->phishing;
    fp += flagged && !s->phishing;
    fn += !flagged && s->phishing;
  }
  parse_only = rate(samples, &limits, cfg, FALSE);
  with_check = rate(samples, &limits, cfg, TRUE);
  printf("phishing: precision %.2f recall %.2f, %.0f msg/s  baseline: parse only %.0f msg/s\n",
         tp + fp ? (double)tp / (tp + fp) : 0.0, tp + fn ? (double)tp / (tp + fn) : 0.0, with_check,
         parse_only);
  return 0;
}
