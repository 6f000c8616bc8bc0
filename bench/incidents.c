/* bench/incidents.c: appeals per second through the mass incidents' detection pass
 * (ops/incidents.h okno_incidents_pass: the window's appeals read from the store,
 * sketched from their stored terms and grouped by text/cluster.h's leader
 * clustering), beside the tokenizer sketching the same texts in the same run (what
 * intake pays per appeal anyway).
 *
 *   bench_incidents [CORPUS_DIR]     (default: tests/data/appeals-kz of the source tree)
 *   INCIDENT_APPEALS=5000 bench_incidents
 *
 * A fresh SQLite store in a temporary directory gets INCIDENT_APPEALS appeals (default
 * 5,000: the most a pass reads from one window) received in the last half hour, each a
 * complaint of the corpus (cycled) with two words of another one added, so that no two
 * are the same text. [incidents] min_count is set above the count so that no incident
 * is raised and each pass does the same work; three passes are timed, the best kept.
 * The clustering alone (okno_cluster_leader over the sketches) is the second line.
 * Prints
 *   incidents: 5000 appeals, pass 1234 appeals/s  anchor: tokenizer 23456 texts/s
 *   incidents: 5000 appeals, clustering 12345 appeals/s  anchor: tokenizer 23456 texts/s */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "corpus.h"
#include "ops/incidents.h"
#include "store/appeals.h"
#include "store/messages.h"
#include "store/store.h"
#include "text/cluster.h"
#include "timing.h"

static void die(const char *what, GError *err)
{
  fprintf(stderr, "bench_incidents: %s: %s\n", what, err ? err->message : "failed");
  exit(2);
}

static char *text_of(GPtrArray *corpus, guint i)
{
  const char *base = corpus->pdata[i % corpus->len];
  g_auto(GStrv) other = g_strsplit(corpus->pdata[(i * 13 + 7) % corpus->len], " ", -1);
  guint n = g_strv_length(other);
  return g_strdup_printf("%s %s %s", base, other[(i / corpus->len) % n],
                         other[(i / corpus->len + 1) % n]);
}

static void load(OknoStore *st, GPtrArray *corpus, guint n, gint64 now)
{
  GError *err = NULL;
  g_autoptr(GBytes) raw = g_bytes_new_static("Subject: x\r\n\r\nx\r\n", 17);
  if (!okno_store_begin(st, &err))
    die("begin", err);
  for (guint i = 0; i < n; i++) {
    g_autofree char *number = g_strdup_printf("26-%06u", i + 1);
    g_autofree char *text = text_of(corpus, i);
    gint64 at = now - 29 * 60 * G_USEC_PER_SEC + (gint64)i * (29 * 60 * G_USEC_PER_SEC / n);
    OknoAppeal a = {.number = number, .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                    .subject = "Обращение", .from_name = "Иван Петров",
                    .from_email = "ivan@example.ru", .received_at = at};
    OknoMessageRow m = {.direction = "in", .sender = "ivan@example.ru", .subject = "Обращение",
                        .text = text, .raw = raw, .created_at = at};
    if (!okno_store_appeal_insert(st, &a, &err))
      die("appeal", err);
    m.appeal_id = a.id;
    if (!okno_store_message_insert(st, &m, &err))
      die("message", err);
  }
  if (!okno_store_commit(st, &err))
    die("commit", err);
}

int main(int argc, char **argv)
{
  const char *corpus_dir = argc > 1 ? argv[1] : OKNO_APPEALS_CORPUS;
  const char *env = g_getenv("INCIDENT_APPEALS");
  gint64 want = env ? g_ascii_strtoll(env, NULL, 10) : 5000;
  guint n = want > 0 && want <= 5000 ? (guint)want : 5000;
  g_autoptr(GPtrArray) corpus = bench_corpus_texts(corpus_dir);
  g_autofree char *dir = g_dir_make_tmp("okno-bench-incidents-XXXXXX", NULL);
  g_autofree char *url = g_strdup_printf("sqlite:%s/incidents.db", dir);
  g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
  g_autoptr(OknoStemmer) stem = okno_stemmer_new();
  g_autofree OknoSketch *sk = g_new0(OknoSketch, n);
  g_autofree guint *group = g_new0(guint, n);
  OknoConfig *cfg = okno_config_new_default();
  OknoSlaEnv senv = {.cfg = cfg};
  GError *err = NULL;
  OknoStore *st;
  double best_pass = 0, best_cluster = 0, anchor;
  guint groups = 0;
  gint64 now = okno_now(), t0;
  g_setenv("OKNO_LOG", "quiet", FALSE);
  cfg->incidents_min_count = n + 1;
  if (!(st = okno_store_open(url, &err)))
    die("open", err);
  load(st, corpus, n, now);

  t0 = g_get_monotonic_time();
  for (guint i = 0; i < n; i++) {
    g_autofree char *text = text_of(corpus, i);
    okno_sketch_from_text(&sk[i], stem, text);
  }
  anchor = n / (ms_since(t0) / 1000.0);

  for (int r = 0; r < 3; r++) {
    OknoIncidentPass out;
    double rate;
    t0 = g_get_monotonic_time();
    if (!okno_incidents_pass(&senv, st, now, &out, &err))
      die("pass", err);
    rate = out.items / (ms_since(t0) / 1000.0);
    if (out.items != n || out.raised)
      die("the pass saw other appeals than loaded", NULL);
    best_pass = MAX(best_pass, rate);
    t0 = g_get_monotonic_time();
    groups = okno_cluster_leader(sk, n, cfg->incidents_similarity, group);
    best_cluster = MAX(best_cluster, n / (ms_since(t0) / 1000.0));
  }
  fprintf(stderr, "bench_incidents: %u appeals, %u groups at similarity %.2f\n", n, groups,
          cfg->incidents_similarity);
  printf("incidents: %u appeals, pass %.0f appeals/s  anchor: tokenizer %.0f texts/s\n", n,
         best_pass, anchor);
  printf("incidents: %u appeals, clustering %.0f appeals/s  anchor: tokenizer %.0f texts/s\n",
         n, best_cluster, anchor);
  okno_store_close(st);
  okno_config_free(cfg);
  if (system(rm) != 0)
    fprintf(stderr, "bench_incidents: could not remove %s\n", dir);
  return 0;
}
