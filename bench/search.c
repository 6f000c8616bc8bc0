/* bench/search.c: search p95 with encryption at rest (sealed texts, keyed-hash terms)
 * beside search p95 without it, measured in the same run on the same appeals.
 *
 * Two fresh SQLite stores in a temporary directory get the same SEARCH_APPEALS
 * appeals (default 20,000), written with the store's own insert calls as intake writes
 * them (appeal, message, one attachment): one store with a key file (so subjects,
 * texts and file names are sealed and the index holds keyed hashes of stems,
 * docs/crypto.md), one without (unkeyed hashes, clear texts). The texts are made from
 * a fixed vocabulary of Russian stems and endings by a seeded generator, so both
 * stores hold the same words. Then QUERIES queries of one or two words (inflected
 * forms of the vocabulary) run on each store with okno_store_search (best 20: the
 * ranked match, then each found appeal read back, opened on the encrypted store), in
 * alternating blocks of 50 so that a load change on the machine hits both; each block
 * runs once untimed first (the key file is loaded again for each block of the
 * encrypted store, which empties the process's cache of unwrapped data keys: the
 * warm-up fills it, as a serving process has). Prints
 *   search: sqlite 20000 appeals encryption on p95 1.23 ms  anchor: encryption off p95 1.20 ms
 * The figures are p95 over the queries, in milliseconds of wall time. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/vault.h"
#include "store/appeals.h"
#include "store/keys.h"
#include "store/messages.h"
#include "store/search.h"
#include "store/store.h"

#define QUERIES 400
#define BLOCK 50
#define LIMIT 20

static const char *const stems[] = {
  "заявлени", "справк", "пенси", "перерасчет", "пособи", "субсиди", "налог", "вычет",
  "паспорт", "регистраци", "запис", "очеред", "льгот", "выплат", "квитанци", "штраф",
  "лиценз", "докумен", "отказ", "жалоб", "сотрудник", "портал", "кабинет", "ошибк",
  "страниц", "пароль", "телефон", "адрес", "квартир", "семь", "ребенк", "школ", "сад",
  "больниц", "врач", "прием", "поликлиник", "автомобил", "дорог", "ремонт", "отоплени",
  "вод", "свет", "мусор", "двор", "дом", "улиц", "транспорт", "автобус", "маршрут",
};
static const char *const endings[] = {"а", "и", "у", "ой", "ами", "е", "ы", "ом"};

static void die(const char *what, GError *err)
{
  fprintf(stderr, "bench_search: %s: %s\n", what, err ? err->message : "failed");
  exit(2);
}

static char *words(GRand *r, guint n)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(s, "%s%s%s", i ? " " : "",
                           stems[g_rand_int_range(r, 0, G_N_ELEMENTS(stems))],
                           endings[g_rand_int_range(r, 0, G_N_ELEMENTS(endings))]);
  return g_string_free(s, FALSE);
}

static void load(OknoStore *st, gint64 n)
{
  GRand *r = g_rand_new_with_seed(15);
  GError *err = NULL;
  gint64 t0 = okno_now();
  for (gint64 i = 0; i < n; i++) {
    g_autofree char *number = g_strdup_printf("26-%06" G_GINT64_FORMAT, i + 1);
    g_autofree char *subject = words(r, 3);
    g_autofree char *text = words(r, 60);
    g_autofree char *file = g_strdup_printf("%s_%s.pdf", stems[i % G_N_ELEMENTS(stems)],
                                            stems[(i / 7) % G_N_ELEMENTS(stems)]);
    g_autoptr(GBytes) raw = g_bytes_new_static("Subject: x\r\n\r\nbody\r\n", 21);
    OknoAppeal a = {.number = number, .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                    .subject = subject, .from_name = "Иван Петров",
                    .from_email = "ivan@example.ru", .received_at = t0 + i};
    OknoMessageRow m = {.direction = "in", .sender = "ivan@example.ru", .subject = subject,
                        .text = text, .raw = raw, .created_at = t0 + i};
    OknoAttachment att = {.filename = file, .declared_type = "application/pdf",
                          .content_type = "application/pdf", .sha256 = "00"};
    if (i % 500 == 0 && !okno_store_begin(st, &err))
      die("begin", err);
    if (!okno_store_appeal_insert(st, &a, &err))
      die("appeal", err);
    m.appeal_id = a.id;
    if (!okno_store_message_insert(st, &m, &err) ||
        !okno_store_attachment_insert(st, m.id, &att, NULL, &err))
      die("message", err);
    if ((i % 500 == 499 || i == n - 1) && !okno_store_commit(st, &err))
      die("commit", err);
  }
  g_rand_free(r);
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double p95(GArray *ms)
{
  g_array_sort(ms, cmp_double);
  return g_array_index(ms, double, (guint)(ms->len * 0.95));
}

/* One block of queries `first`..`first + BLOCK` on `st`, times appended to `ms` (NULL:
 * a warm-up pass, not timed: the process's data keys unwrapped and cached, the pages
 * read, as in a process that has been serving for a while). */
static void run_block(OknoStore *st, char **queries, guint first, GArray *ms)
{
  if (ms)
    run_block(st, queries, first, NULL);
  for (guint q = first; q < first + BLOCK && q < QUERIES; q++) {
    GError *err = NULL;
    gint64 t0 = g_get_monotonic_time();
    GPtrArray *found = okno_store_search(st, queries[q], LIMIT, &err);
    double took = (double)(g_get_monotonic_time() - t0) / 1000.0;
    if (!found)
      die("search", err);
    g_ptr_array_unref(found);
    if (ms)
      g_array_append_val(ms, took);
  }
}

int main(void)
{
  const char *env = g_getenv("SEARCH_APPEALS");
  gint64 n = env ? g_ascii_strtoll(env, NULL, 10) : 20000;
  g_autofree char *dir = g_dir_make_tmp("okno-bench-search-XXXXXX", NULL);
  g_autofree char *key = g_build_filename(dir, "okno.key", NULL);
  g_autofree char *url_on = g_strdup_printf("sqlite:%s/on.db", dir);
  g_autofree char *url_off = g_strdup_printf("sqlite:%s/off.db", dir);
  g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
  GError *err = NULL;
  OknoStore *on = NULL, *off = NULL;
  GRand *r = g_rand_new_with_seed(59);
  char *queries[QUERIES];
  g_autoptr(GArray) ms_on = g_array_new(FALSE, FALSE, sizeof(double));
  g_autoptr(GArray) ms_off = g_array_new(FALSE, FALSE, sizeof(double));
  g_setenv("OKNO_LOG", "quiet", FALSE);
  for (guint q = 0; q < QUERIES; q++)
    queries[q] = words(r, q % 2 ? 2 : 1);
  g_rand_free(r);

  if (!(off = okno_store_open(url_off, &err)))
    die("open", err);
  load(off, n);
  if (!okno_vault_create(key, &err))
    die("key file", err);
  okno_store_set_vault(okno_vault_load(key, &err), key);
  if (!okno_store_vault() || !(on = okno_store_open(url_on, &err)))
    die("open", err);
  load(on, n);
  fprintf(stderr, "bench_search: %" G_GINT64_FORMAT " appeals in each store\n", n);
  for (guint first = 0; first < QUERIES; first += BLOCK) {
    okno_store_set_vault(okno_vault_load(key, &err), key);
    run_block(on, queries, first, ms_on);
    okno_store_set_vault(NULL, NULL);
    run_block(off, queries, first, ms_off);
  }
  printf("search: sqlite %" G_GINT64_FORMAT " appeals encryption on p95 %.2f ms  "
         "anchor: encryption off p95 %.2f ms\n",
         n, p95(ms_on), p95(ms_off));
  okno_store_close(on);
  okno_store_close(off);
  for (guint q = 0; q < QUERIES; q++)
    g_free(queries[q]);
  if (system(rm) != 0)
    fprintf(stderr, "bench_search: could not remove %s\n", dir);
  return 0;
}
