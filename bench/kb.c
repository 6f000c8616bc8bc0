/* bench/kb.c: how many texts per second the knowledge base matches (ops/kb.h: the
 * feedback form's offers, the receipt's «Возможно, ответ уже есть», the operator's
 * articles) and how many similar answered appeals it finds per second (the operator's
 * similar cases), beside the tokenizer alone over the same texts in the same run.
 *
 *   bench_kb [CORPUS_DIR]     (default: tests/data/appeals-kz of the source tree)
 *   KB_ARTICLES=200 KB_CASES=500 KB_QUERIES=5000 bench_kb
 *
 * A fresh SQLite store in a temporary directory gets KB_ARTICLES published articles
 * (title: a complaint's first six words, body: the complaint) and KB_CASES answered
 * appeals (a complaint and a staff answer), both from the corpus's real texts. Then
 * KB_QUERIES complaints of the corpus (cycled) are matched with okno_kb_match (best 3,
 * two shared stems), looked up with okno_kb_similar (best 3), and scanned by the
 * tokenizer alone (okno_text_scan, text/tokenizer.h): the anchor. Each timed loop runs
 * after one untimed call (which builds the shared index once, as a serving process has).
 * The third line is the old way for comparison: the published articles read from the
 * store and indexed again for each text (a tenth of the queries). Prints
 *   kb: 200 articles, match 1234 texts/s  anchor: tokenizer 23456 texts/s
 *   kb: 500 answered appeals, similar 1234 texts/s  anchor: tokenizer 23456 texts/s
 *   kb: 200 articles, rebuilt per call 12 texts/s  anchor: tokenizer 23456 texts/s */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "corpus.h"
#include "ops/kb.h"
#include "store/appeals.h"
#include "store/kb.h"
#include "store/messages.h"
#include "store/store.h"
#include "text/docindex.h"
#include "text/markdown.h"
#include "text/tokenizer.h"
#include "timing.h"

static void die(const char *what, GError *err)
{
  fprintf(stderr, "bench_kb: %s: %s\n", what, err ? err->message : "failed");
  exit(2);
}

static guint env_count(const char *name, guint dflt)
{
  const char *v = g_getenv(name);
  gint64 n = v ? g_ascii_strtoll(v, NULL, 10) : 0;
  return n > 0 && n < G_MAXINT ? (guint)n : dflt;
}

static void load(OknoStore *st, GPtrArray *texts, guint articles, guint cases)
{
  GError *err = NULL;
  gint64 t0 = okno_now();
  g_autoptr(GBytes) raw = g_bytes_new_static("Subject: x\r\n\r\nx\r\n", 17);
  if (!okno_store_begin(st, &err))
    die("begin", err);
  for (guint i = 0; i < articles; i++) {
    const char *text = texts->pdata[(i * 7 + 3) % texts->len];
    g_auto(GStrv) w = g_strsplit(text, " ", 7);
    g_autofree char *title = NULL;
    gint64 id;
    if (g_strv_length(w) == 7)
      g_free(w[6]), w[6] = NULL;
    title = g_strjoinv(" ", w);
    if (!(id = okno_store_kb_add(st, title, text, "", "", "cli:bench", &err)) ||
        !okno_store_kb_publish(st, id, TRUE, &err))
      die("article", err);
  }
  for (guint i = 0; i < cases; i++) {
    g_autofree char *number = g_strdup_printf("26-%06u", i + 1);
    OknoAppeal a = {.number = number, .status = OKNO_STATUS_ANSWERED,
                    .channel = OKNO_CHANNEL_EMAIL, .subject = "Обращение",
                    .from_name = "Иван Петров", .from_email = "ivan@example.ru",
                    .received_at = t0 + i, .answered = TRUE};
    OknoMessageRow in = {.direction = "in", .sender = "ivan@example.ru",
                         .subject = "Обращение", .text = texts->pdata[(i * 5 + 1) % texts->len],
                         .raw = raw, .created_at = t0 + i};
    OknoMessageRow out = {.direction = "out", .sender = "okno@example.ru", .subject = "Ответ",
                          .text = "Ваше обращение рассмотрено, меры приняты.", .raw = raw,
                          .created_at = t0 + i};
    if (!okno_store_appeal_insert(st, &a, &err))
      die("appeal", err);
    a.answered = TRUE; /* the insert writes a new appeal's columns only */
    if (!okno_store_appeal_update(st, &a, &err))
      die("appeal", err);
    in.appeal_id = out.appeal_id = a.id;
    if (!okno_store_message_insert(st, &in, &err) || !okno_store_message_insert(st, &out, &err))
      die("message", err);
  }
  if (!okno_store_commit(st, &err))
    die("commit", err);
}

static int count_term(const OknoTerm *t, void *user)
{
  (void)t;
  (*(guint *)user)++;
  return 0;
}

/* Texts per second of the tokenizer alone over the first `n` queries. */
static double tokenizer_rate(GPtrArray *texts, guint n)
{
  g_autoptr(OknoStemmer) s = okno_stemmer_new();
  guint terms = 0;
  gint64 t0 = g_get_monotonic_time();
  for (guint q = 0; q < n; q++) {
    const char *t = texts->pdata[q % texts->len];
    okno_text_scan(s, t, strlen(t), count_term, &terms);
  }
  if (!terms)
    die("tokenizer", NULL);
  return n / (ms_since(t0) / 1000.0);
}

/* The way before the shared index: read and index the published articles per text. */
static guint rebuilt_match(OknoStore *st, OknoStemmer *s, const char *text)
{
  GError *err = NULL;
  g_autoptr(GPtrArray) all = okno_store_kb_list(st, TRUE, &err);
  g_autoptr(OknoDocIndex) x = okno_doc_index_new();
  g_autoptr(GArray) hits = NULL;
  if (!all)
    die("list", err);
  for (guint i = 0; i < all->len; i++) {
    const OknoKbArticle *a = all->pdata[i];
    g_autofree char *plain = okno_markdown_plain(a->body);
    g_autofree char *tags = g_strconcat(a->category, " ", a->tags, NULL);
    okno_doc_index_add(x, s, i, a->title, tags, plain);
  }
  hits = okno_doc_index_search(x, s, text, 3, 2);
  return hits->len;
}

typedef GPtrArray *(*Lookup)(OknoStore *st, const char *text, GError **error);

static GPtrArray *match(OknoStore *st, const char *text, GError **error)
{
  return okno_kb_match(st, text, 3, 2, error);
}

static GPtrArray *similar_cases(OknoStore *st, const char *text, GError **error)
{
  return okno_kb_similar(st, text, 0, 3, error);
}

/* Texts per second of `lookup` over `queries` texts, after one untimed call that builds
 * the shared index (its time on stderr); *hits gets the results' count. */
static double rate_of(OknoStore *st, GPtrArray *texts, guint queries, const char *what,
                      Lookup lookup, guint *hits)
{
  GError *err = NULL;
  gint64 t0 = g_get_monotonic_time();
  GPtrArray *r = lookup(st, texts->pdata[0], &err);
  if (!r)
    die(what, err);
  g_ptr_array_unref(r);
  fprintf(stderr, "bench_kb: the %s' index built in %.1f ms\n", what, ms_since(t0));
  t0 = g_get_monotonic_time();
  for (guint q = 0; q < queries; q++) {
    if (!(r = lookup(st, texts->pdata[q % texts->len], &err)))
      die(what, err);
    *hits += r->len;
    g_ptr_array_unref(r);
  }
  return queries / (ms_since(t0) / 1000.0);
}

int main(int argc, char **argv)
{
  const char *corpus = argc > 1 ? argv[1] : OKNO_APPEALS_CORPUS;
  guint articles = env_count("KB_ARTICLES", 200), cases = env_count("KB_CASES", OKNO_KB_CASES_SCANNED);
  guint queries = env_count("KB_QUERIES", 5000), old_queries = MAX(1, queries / 10);
  g_autoptr(GPtrArray) texts = bench_corpus_texts(corpus);
  g_autofree char *dir = g_dir_make_tmp("okno-bench-kb-XXXXXX", NULL);
  g_autofree char *url = g_strdup_printf("sqlite:%s/kb.db", dir);
  g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
  g_autoptr(OknoStemmer) s = okno_stemmer_new();
  GError *err = NULL;
  OknoStore *st;
  guint found = 0, similar = 0, old_found = 0;
  double match_rate, similar_rate, old_rate, anchor, old_anchor;
  gint64 t0;
  g_setenv("OKNO_LOG", "quiet", FALSE);
  if (!(st = okno_store_open(url, &err)))
    die("open", err);
  load(st, texts, articles, cases);
  fprintf(stderr, "bench_kb: %u texts, %u articles, %u answered appeals, %u queries\n",
          texts->len, articles, cases, queries);

  match_rate = rate_of(st, texts, queries, "articles", match, &found);
  similar_rate = rate_of(st, texts, queries, "cases", similar_cases, &similar);
  anchor = tokenizer_rate(texts, queries);

  t0 = g_get_monotonic_time();
  for (guint q = 0; q < old_queries; q++)
    old_found += rebuilt_match(st, s, texts->pdata[q % texts->len]);
  old_rate = old_queries / (ms_since(t0) / 1000.0);
  old_anchor = tokenizer_rate(texts, old_queries);
  fprintf(stderr, "bench_kb: %u articles offered, %u similar appeals, %u by the old way\n",
          found, similar, old_found);

  printf("kb: %u articles, match %.0f texts/s  anchor: tokenizer %.0f texts/s\n", articles,
         match_rate, anchor);
  printf("kb: %u answered appeals, similar %.0f texts/s  anchor: tokenizer %.0f texts/s\n",
         cases, similar_rate, anchor);
  printf("kb: %u articles, rebuilt per call %.1f texts/s  anchor: tokenizer %.0f texts/s\n",
         articles, old_rate, old_anchor);
  okno_store_close(st);
  if (system(rm) != 0)
    fprintf(stderr, "bench_kb: could not remove %s\n", dir);
  return 0;
}
