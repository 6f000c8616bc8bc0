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

#include "check/citizen.h"
#include "check/phishing.h"
#include "check/rspamd.h"
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

/* Precision and recall of "flagged" for phishing against legitimate mail. */
typedef struct {
  guint tp, fp, fn, spam, spam_flagged;
} Score;

static void count(Score *sc, const char *label, gboolean flagged)
{
  gboolean phishing = strcmp(label, "phishing") == 0;
  if (strcmp(label, "spam") == 0) {
    sc->spam++;
    sc->spam_flagged += flagged;
    return;
  }
  sc->tp += flagged && phishing;
  sc->fp += flagged && !phishing;
  sc->fn += !flagged && phishing;
}

static void print_score(const char *name, const Score *sc)
{
  printf(" %s: precision %.3f recall %.3f (spam flagged %.2f);", name,
         sc->tp + sc->fp ? (double)sc->tp / (sc->tp + sc->fp) : 0.0,
         sc->tp + sc->fn ? (double)sc->tp / (sc->tp + sc->fn) : 0.0,
         sc->spam ? (double)sc->spam_flagged / sc->spam : 0.0);
}

/* The letter's role for `part`: evaluated (TRUE in *eval) or learnt from (*learn).
 * For "test": test letters are evaluated, dev letters learnt. For "dev" (tuning, the
 * test part untouched): dev letters whose file name's SHA-256 has an even next-to-last
 * hex digit are learnt, the other dev letters evaluated. */
static void role(const char *name, const char *letter_part, const char *part, gboolean *eval,
                 gboolean *learn)
{
  g_autofree char *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, name, -1);
  gboolean even = (g_ascii_xdigit_value(h[62]) % 2) == 0;
  *eval = *learn = FALSE;
  if (strcmp(part, "dev") == 0) {
    if (strcmp(letter_part, "dev") == 0)
      *(even ? learn : eval) = TRUE;
  } else if (strcmp(letter_part, part) == 0) {
    *eval = TRUE;
  } else if (strcmp(letter_part, "dev") == 0) {
    *learn = TRUE;
  }
}

/* Teaches rspamd's controller `ctl` the letters role() says to learn: phishing and spam to
 * Bayes as spam and phishing to the fuzzy storage (as operators' and citizens' reports
 * do), legitimate mail as ham. FALSE when rspamd refused a letter of each kind. */
static gboolean learn(const char *dir, char **lines, const char *part, const char *ctl)
{
  const char *password = g_getenv("OKNO_RSPAMD_PASSWORD") ? g_getenv("OKNO_RSPAMD_PASSWORD") : "";
  guint spam = 0, ham = 0, fuzzy = 0, failed = 0;
  for (char **l = lines; *l; l++) {
    g_auto(GStrv) f = NULL;
    g_autofree char *path = NULL, *raw = NULL;
    g_autoptr(GError) err = NULL;
    gsize len = 0;
    gboolean bad, eval, learnt;
    if (**l == '#' || !**l)
      continue;
    f = g_strsplit(*l, "\t", 6);
    if (g_strv_length(f) < 5)
      continue;
    role(f[0], f[3], part, &eval, &learnt);
    if (!learnt)
      continue;
    path = g_build_filename(dir, "mail", f[0], NULL);
    if (!g_file_get_contents(path, &raw, &len, NULL))
      continue;
    bad = strcmp(f[1], "ham") != 0;
    if (okno_rspamd_learn(ctl, password, 30000, bad, raw, len, &err))
      bad ? spam++ : ham++;
    else
      failed++;
    g_clear_error(&err);
    if (strcmp(f[1], "phishing") == 0 &&
        okno_rspamd_fuzzy_add(ctl, password, 30000, OKNO_RSPAMD_FUZZY_SPAM, raw, len, &err))
      fuzzy++;
  }
  printf("phishing: rspamd taught the learning letters: %u spam/phishing and %u legitimate "
         "to Bayes (%u declined: already known to it), %u phishing letters to the fuzzy "
         "storage\n", spam, ham, failed, fuzzy);
  return spam + ham > 0;
}

/* The public corpus (tests/data/mailcorpus: file, label, lang, part, source): the
 * combined check, rspamd alone and okno's rules alone on the same letters of one part
 * (OKNO_BENCH_PART, default "test"), rspamd at OKNO_RSPAMD_URL (bench/phishing/run
 * starts one); with OKNO_RSPAMD_CONTROLLER_URL rspamd first learns the dev part (for
 * "dev": half of it, role()). One line; with OKNO_BENCH_VERBOSE each letter's verdicts on stderr. */
static int public_corpus(const char *dir, char **lines, const OknoConfig *cfg)
{
  const char *part = g_getenv("OKNO_BENCH_PART") ? g_getenv("OKNO_BENCH_PART") : "test";
  const char *url = g_getenv("OKNO_RSPAMD_URL");
  const char *ctl = g_getenv("OKNO_RSPAMD_CONTROLLER_URL");
  gboolean verbose = g_getenv("OKNO_BENCH_VERBOSE") != NULL;
  OknoMimeLimits limits;
  Score comb = {0}, rsp = {0}, rules = {0};
  guint n = 0, phish = 0, legit = 0, unreachable = 0;
  okno_mime_limits_default(&limits);
  if (url && ctl && !learn(dir, lines, part, ctl))
    return 1;
  for (char **l = lines; *l; l++) {
    g_auto(GStrv) f = NULL;
    g_autofree char *path = NULL, *raw = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(OknoMessage) m = NULL;
    g_autoptr(OknoPhishResult) r = NULL;
    g_autoptr(OknoRspamdResult) rs = NULL;
    OknoRspamdEnvelope env = {0};
    gboolean okno_flag, rspamd_flag = FALSE, eval, learnt;
    gsize len = 0;
    if (**l == '#' || !**l)
      continue;
    f = g_strsplit(*l, "\t", 6);
    if (g_strv_length(f) < 5) {
      fprintf(stderr, "bench: malformed manifest line: %s\n", *l);
      return 1;
    }
    role(f[0], f[3], part, &eval, &learnt);
    if (!eval)
      continue;
    path = g_build_filename(dir, "mail", f[0], NULL);
    if (!g_file_get_contents(path, &raw, &len, &err)) {
      fprintf(stderr, "bench: %s\n", err->message);
      return 1;
    }
    n++;
    phish += strcmp(f[1], "phishing") == 0;
    legit += strcmp(f[1], "ham") == 0;
    m = okno_mime_parse(raw, len, &limits);
    r = okno_phishing_check(m, raw, len, cfg);
    okno_flag = r->verdict != OKNO_VERDICT_CLEAN;
    count(&rules, f[1], okno_flag);
    if (url) {
      rs = okno_rspamd_check(url, 30000, &env, raw, len, &err);
      if (rs) {
        rspamd_flag = okno_rspamd_flags(rs);
        okno_phish_add_rspamd(r, rs);
      } else {
        unreachable++;
      }
    }
    count(&rsp, f[1], rspamd_flag);
    count(&comb, f[1], r->verdict != OKNO_VERDICT_CLEAN);
    if (verbose) {
      fprintf(stderr, "%s\t%s\tscore=%d\trspamd=%.2f\tcombined=%s\t", f[0], f[1], r->score,
              rs ? rs->score : -1.0, okno_verdict_name(r->verdict));
      if (rs)
        fprintf(stderr, "bayes=%+.2f ", rs->bayes);
      for (guint i = 0; i < r->reasons->len; i++)
        fprintf(stderr, "%s ", ((const OknoPhishReason *)g_ptr_array_index(r->reasons, i))->code);
      fprintf(stderr, "\n");
    }
  }
  printf("phishing (%s part of %s: %u letters, %u phishing, %u legitimate):", part, dir, n,
         phish, legit);
  print_score("combined", &comb);
  if (url)
    print_score("rspamd alone", &rsp);
  print_score("okno rules alone", &rules);
  printf("\n");
  if (!url)
    printf("phishing: rspamd skipped (OKNO_RSPAMD_URL is not set; bench/phishing/run starts "
           "Debian's rspamd): the combined figure is okno's rules alone\n");
  if (unreachable)
    printf("phishing: rspamd did not answer for %u letters (counted as not flagged)\n",
           unreachable);
  return 0;
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
  if (g_str_has_prefix(manifest, "# file\tlabel\tlang\tpart"))
    return public_corpus(dir, lines, cfg);
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
