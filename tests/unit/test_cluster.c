/* test_cluster.c: the mass incidents' text layer (text/cluster.h): sketches of the same
 * complaint in citizens' own words group together at the default threshold, unrelated
 * appeals of the same hour do not join them, the cosine of sketches and of a centroid,
 * and the store's keyed terms (any tokens) sketch like stems. The store, the scheduler's
 * pass and the console are in tests/it/test_incidents.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "text/cluster.h"

#define THRESHOLD 0.35 /* [incidents] similarity's default (core/config.c) */

/* The same outage (no SMS code at sign-in), as twelve citizens wrote it. */
static const char *const burst[] = {
  "Здравствуйте! Не приходит СМС с кодом подтверждения при входе на портал. Иван Петров",
  "Добрый день, мне не приходит код из смс, не могу войти в личный кабинет портала",
  "Не приходят смс-коды для входа на портал уже второй час. Помогите! Мария",
  "Почему не приходит код подтверждения по СМС? Войти на портал невозможно. С уважением, Олег Сидоров",
  "Третий раз запрашиваю код для входа на портал, смс так и не пришло",
  "Здравствуйте. СМС с кодом для входа не приходит, телефон в порядке. Анна Кузнецова",
  "Не могу зайти на портал: код подтверждения в смс не приходит",
  "Код из СМС не приходит, вход на портал не работает. Что случилось? Дмитрий",
  "Добрый вечер. Уже час жду смс с кодом подтверждения для входа, не приходит",
  "Портал не присылает смс с кодом при входе. Прошу разобраться. Елена Смирнова",
  "не приходит код смс вход на портал",
  "Здравствуйте, при входе на портал не приходит СМС-код подтверждения. Сергей Иванов",
};

/* Ordinary appeals of the same hour. */
static const char *const others[] = {
  "Здравствуйте! Прошу разъяснить, как оплатить госпошлину за загранпаспорт картой. Иван",
  "Добрый день. В заявлении на пособие по уходу за ребёнком неверно указана дата рождения",
  "Во дворе дома 5 по улице Ленина третью неделю не вывозят мусор. С уважением, Ольга",
  "Как записаться к врачу через портал, если поликлиника не отображается в списке?",
  "Прошу исправить ошибку в фамилии в выписке из реестра недвижимости. Пётр Васильев",
  "Не приходит пенсия за ноябрь, в личном кабинете статус «в обработке»",
};

static void sketch_all(OknoStemmer *st, const char *const *texts, guint n, OknoSketch *out)
{
  for (guint i = 0; i < n; i++)
    okno_sketch_from_text(&out[i], st, texts[i]);
}

static void test_a_burst_is_one_group_and_others_stay_out(void **state)
{
  g_autoptr(OknoStemmer) st = okno_stemmer_new();
  guint nb = G_N_ELEMENTS(burst), no = G_N_ELEMENTS(others), n = nb + no;
  g_autofree OknoSketch *sk = g_new0(OknoSketch, n);
  g_autofree guint *group = g_new0(guint, n);
  guint order[G_N_ELEMENTS(burst) + G_N_ELEMENTS(others)];
  g_autofree OknoSketch *mixed = g_new0(OknoSketch, n);
  (void)state;
  /* interleaved as they would arrive: an ordinary appeal after every second one */
  for (guint i = 0, b = 0, o = 0; i < n; i++)
    order[i] = (i % 3 == 2 && o < no) ? nb + o++ : b < nb ? b++ : nb + o++;
  sketch_all(st, burst, nb, sk);
  sketch_all(st, others, no, sk + nb);
  for (guint i = 0; i < n; i++)
    mixed[i] = sk[order[i]];
  okno_cluster_leader(mixed, n, THRESHOLD, group);
  {
    guint burst_group = G_MAXUINT, in_burst = 0;
    for (guint i = 0; i < n; i++)
      if (order[i] < nb) {
        if (burst_group == G_MAXUINT)
          burst_group = group[i];
        in_burst += group[i] == burst_group;
      }
    assert_int_equal(in_burst, nb);
    for (guint i = 0; i < n; i++)
      if (order[i] >= nb)
        assert_int_not_equal(group[i], burst_group);
  }
}

static void test_a_centroid_ranks_members_above_outsiders(void **state)
{
  g_autoptr(OknoStemmer) st = okno_stemmer_new();
  g_autoptr(OknoCentroid) c = okno_centroid_new();
  OknoSketch s;
  double lowest_member = 1, highest_other = 0;
  (void)state;
  for (guint i = 0; i < 6; i++) {
    okno_sketch_from_text(&s, st, burst[i]);
    okno_centroid_add(c, &s);
  }
  assert_int_equal(okno_centroid_members(c), 6);
  for (guint i = 6; i < G_N_ELEMENTS(burst); i++) {
    okno_sketch_from_text(&s, st, burst[i]);
    lowest_member = MIN(lowest_member, okno_centroid_similarity(c, &s));
  }
  for (guint i = 0; i < G_N_ELEMENTS(others); i++) {
    okno_sketch_from_text(&s, st, others[i]);
    highest_other = MAX(highest_other, okno_centroid_similarity(c, &s));
  }
  assert_true(lowest_member >= THRESHOLD);
  assert_true(highest_other < THRESHOLD);
  assert_true(highest_other < lowest_member);
}

static void test_cosine_and_terms(void **state)
{
  OknoSketch a, b, e;
  (void)state;
  okno_sketch_from_terms(&a, "aaaa bbbb cccc dddd");
  okno_sketch_from_terms(&b, "  dddd cccc  eeee ffff dddd ");
  okno_sketch_from_terms(&e, "");
  assert_int_equal(a.n, 4);
  assert_int_equal(b.n, 4); /* repeats and blanks skipped */
  assert_true(fabs(okno_sketch_cosine(&a, &b) - 0.5) < 1e-9);
  assert_true(fabs(okno_sketch_cosine(&a, &a) - 1.0) < 1e-9);
  assert_true(okno_sketch_cosine(&a, &e) == 0);
  for (guint i = 1; i < a.n; i++)
    assert_true(a.h[i - 1] < a.h[i]);
  {
    g_autoptr(OknoCentroid) c = okno_centroid_new();
    assert_true(okno_centroid_similarity(c, &a) == 0);
    okno_centroid_add(c, &a);
    assert_true(fabs(okno_centroid_similarity(c, &a) - 1.0) < 1e-9);
    assert_true(okno_centroid_similarity(c, &e) == 0);
  }
}

static void test_a_long_text_is_capped(void **state)
{
  g_autoptr(GString) t = g_string_new(NULL);
  OknoSketch s;
  (void)state;
  for (guint i = 0; i < 1000; i++)
    g_string_append_printf(t, "w%u ", i);
  okno_sketch_from_terms(&s, t->str);
  assert_int_equal(s.n, OKNO_SKETCH_MAX);
}

/* Leader clustering as a scan of every group would do it (the rule of cluster.h): the
 * inverted index must give the same groups, ties included. */
static guint leader_by_scan(const OknoSketch *sk, guint n, double threshold, guint *out)
{
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func((GDestroyNotify)okno_centroid_free);
  for (guint i = 0; i < n; i++) {
    double best = -1;
    guint at = 0;
    for (guint g = 0; g < groups->len; g++) {
      double v = okno_centroid_similarity(groups->pdata[g], &sk[i]);
      if (v > best) {
        best = v;
        at = g;
      }
    }
    if (best < threshold || sk[i].n == 0) {
      at = groups->len;
      g_ptr_array_add(groups, okno_centroid_new());
    }
    okno_centroid_add(groups->pdata[at], &sk[i]);
    out[i] = at;
  }
  return groups->len;
}

static void test_leader_groups_as_a_scan_of_every_group(void **state)
{
  enum { N = 600 };
  const double thresholds[] = {0.2, 0.35, 0.6};
  g_autofree OknoSketch *sk = g_new0(OknoSketch, N);
  g_autofree guint *fast = g_new0(guint, N), *slow = g_new0(guint, N);
  GRand *r = g_rand_new_with_seed(19);
  guint several = 0;
  (void)state;
  /* texts of 0 to 11 words from 60: many overlap a little, some a lot, a few are empty */
  for (guint i = 0; i < N; i++) {
    g_autoptr(GString) t = g_string_new(NULL);
    guint words = g_rand_int_range(r, 0, 12), base = g_rand_int_range(r, 0, 6) * 10;
    for (guint w = 0; w < words; w++)
      g_string_append_printf(t, "w%u ", base + g_rand_int_range(r, 0, 14));
    okno_sketch_from_terms(&sk[i], t->str);
  }
  for (guint k = 0; k < G_N_ELEMENTS(thresholds); k++) {
    guint a = okno_cluster_leader(sk, N, thresholds[k], fast);
    guint b = leader_by_scan(sk, N, thresholds[k], slow);
    assert_int_equal(a, b);
    assert_memory_equal(fast, slow, N * sizeof(guint));
    several += a > 1 && a < N / 2; /* the case is not trivial */
  }
  assert_true(several >= 2);
  g_rand_free(r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_a_burst_is_one_group_and_others_stay_out),
    cmocka_unit_test(test_a_centroid_ranks_members_above_outsiders),
    cmocka_unit_test(test_cosine_and_terms),
    cmocka_unit_test(test_a_long_text_is_capped),
    cmocka_unit_test(test_leader_groups_as_a_scan_of_every_group),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
