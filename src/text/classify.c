/* classify.c: the classifier of classify.h: features, training, prediction, the saved
 * form, and evaluation.
 *
 * Weights are kept feature-major (w[bucket * K + label]) so one feature's update or
 * score touches K consecutive floats. The true weights are scale * w: L2 shrinking
 * multiplies `scale` instead of every weight, and an update divides by it; when scale
 * gets small the weights are folded back (renormalise). Training keeps float weights
 * and double arithmetic per example. */
#include "text/classify.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "core/error.h"

#define MAGIC "OKNOCLS3"
/* Features of okno before 2026-12-06 (1) and before 2026-12-07 (2, without idf and stop
 * words): refused, retrain. */
#define MAGIC_OLD1 "OKNOCLS1"
#define MAGIC_OLD2 "OKNOCLS2"

const char okno_classifier_format[8] = MAGIC; /* no NUL: exactly the 8 bytes */
#define BITS_MIN 12
#define BITS_MAX 18
#define WEIGHTS_MAX (1u << 23) /* floats: 32 MiB */
#define NGRAM_MIN 3
#define NGRAM_MAX 5
#define WHY_MAX 3
/* The word features' (stems, stem pairs) part of the vector is scaled to this length,
 * the character n-grams' part to 1 (chosen by cross-validation on appeals-kz dev). */
#define WORD_WEIGHT 1.5

struct OknoClassifier {
  guint bits;
  guint k;           /* labels */
  char **labels;     /* k, NULL-terminated */
  float *bias;       /* k */
  float *w;          /* (1 << bits) * k */
  float *idf;        /* (1 << bits): each bucket's inverse document frequency */
  float idf_unseen;  /* the idf of a bucket no training text had */
};

/* ---- features ---- */

typedef struct {
  guint32 bucket;
  float value;
  guint16 word; /* index into the words of the text, for "why"; 0xFFFF: none */
  guint8 chars; /* 1: a character n-gram, 0: a stem or a stem pair */
} Feature;

typedef struct {
  guint bits;
  GArray *features;    /* Feature, unsorted while collecting */
  GPtrArray *words;    /* char*: the text's words (for "why") */
  guint64 prev_stem;   /* hash of the previous stem, 0 at the start */
} Collect;

static guint64 fnv(guint64 h, const void *data, gsize len)
{
  const unsigned char *p = data;
  for (gsize i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}
#define FNV_BASIS 14695981039346656037ull

static void add(Collect *c, guint64 h, guint16 word, guint8 chars)
{
  Feature f = {(guint32)((h ^ (h >> 32)) & ((1u << c->bits) - 1)), 1.0f, word, chars};
  g_array_append_val(c->features, f);
}

/* Length of the UTF-8 character starting at p (the tokenizer's words hold only ASCII
 * and two-byte Russian letters, so 1 or 2). */
static gsize char_len(unsigned char b)
{
  return b < 0x80 ? 1 : 2;
}

/* A stop word gives its word and pair features but no character n-grams, and is never
 * one of the words that explain a prediction. */
static int collect_term(const OknoTerm *t, void *user)
{
  Collect *c = user;
  guint16 word = c->words->len < 0xFFFF && !t->stop ? (guint16)c->words->len : 0xFFFF;
  guint64 stem = fnv(fnv(FNV_BASIS, "s", 1), t->term, t->term_len);
  if (word != 0xFFFF)
    g_ptr_array_add(c->words, g_strndup(t->word, t->word_len));
  add(c, stem, word, 0);
  if (c->prev_stem)
    add(c, fnv(fnv(FNV_BASIS, "b", 1), &(guint64[]){c->prev_stem ^ (stem * 31)}, 8), word, 0);
  c->prev_stem = stem;
  if (t->stop)
    return 0;

  /* Character n-grams of " word ": offsets of each character first. */
  gsize offs[130];
  gsize n = 0, i = 0;
  char padded[260];
  if (t->word_len > sizeof padded - 2)
    return 0;
  padded[0] = ' ';
  memcpy(padded + 1, t->word, t->word_len);
  padded[t->word_len + 1] = ' ';
  gsize plen = t->word_len + 2;
  while (i < plen && n < G_N_ELEMENTS(offs) - 1) {
    offs[n++] = i;
    i += char_len((unsigned char)padded[i]);
  }
  offs[n] = plen;
  for (gsize g = NGRAM_MIN; g <= NGRAM_MAX; g++)
    for (gsize a = 0; a + g <= n; a++)
      add(c, fnv(fnv(FNV_BASIS, "c", 1), padded + offs[a], offs[a + g] - offs[a]), word, 1);
  return 0;
}

static int cmp_feature(const void *a, const void *b)
{
  const Feature *x = a, *y = b;
  return (x->bucket > y->bucket) - (x->bucket < y->bucket);
}

/* The text's features: buckets ascending and distinct, each value its count. A bucket
 * shared by features of several words keeps the first word and the first feature's
 * part. */
static void featurize(guint bits, OknoStemmer *s, const char *text, GArray *out,
                      GPtrArray *words)
{
  Collect c = {bits, out, words, 0};
  g_array_set_size(out, 0);
  g_ptr_array_set_size(words, 0);
  if (text)
    okno_text_scan_all(s, text, strlen(text), collect_term, &c);
  if (!out->len)
    return;
  g_array_sort(out, cmp_feature);
  Feature *f = (Feature *)out->data;
  guint n = 0;
  for (guint i = 0; i < out->len; i++) {
    if (n && f[n - 1].bucket == f[i].bucket)
      f[n - 1].value += 1.0f;
    else
      f[n++] = f[i];
  }
  g_array_set_size(out, n);
}

/* Counts to weights: (1 + ln(count)) * idf; then the word features scaled to length
 * WORD_WEIGHT and the character n-grams to length 1 (each part L2-normalised on its own,
 * as a union of two TF-IDF vectors). */
static void weigh(const float *idf, GArray *x)
{
  Feature *f = (Feature *)x->data;
  double norm[2] = {0, 0};
  for (guint i = 0; i < x->len; i++) {
    f[i].value = (1.0f + logf(f[i].value)) * idf[f[i].bucket];
    norm[f[i].chars] += (double)f[i].value * f[i].value;
  }
  const double scale[2] = {norm[0] > 0 ? WORD_WEIGHT / sqrt(norm[0]) : 0,
                           norm[1] > 0 ? 1.0 / sqrt(norm[1]) : 0};
  for (guint i = 0; i < x->len; i++)
    f[i].value = (float)(f[i].value * scale[f[i].chars]);
}

/* ---- scores ---- */

/* p[0..k) = softmax of the scores of `x` under scale * w + bias. */
static void scores(const OknoClassifier *c, double scale, const GArray *x, double *p)
{
  const Feature *f = (const Feature *)x->data;
  for (guint j = 0; j < c->k; j++)
    p[j] = c->bias[j];
  for (guint i = 0; i < x->len; i++) {
    const float *row = c->w + (gsize)f[i].bucket * c->k;
    double v = scale * f[i].value;
    for (guint j = 0; j < c->k; j++)
      p[j] += v * row[j];
  }
  double max = p[0], sum = 0;
  for (guint j = 1; j < c->k; j++)
    max = MAX(max, p[j]);
  for (guint j = 0; j < c->k; j++)
    sum += (p[j] = exp(p[j] - max));
  for (guint j = 0; j < c->k; j++)
    p[j] /= sum;
}

/* ---- training ---- */

static guint choose_bits(guint k)
{
  guint bits = BITS_MAX;
  while (bits > BITS_MIN && ((gsize)1 << bits) * k > WEIGHTS_MAX)
    bits--;
  return bits;
}

static gboolean label_valid(const char *l)
{
  return l && *l && strlen(l) <= OKNO_CLASSIFY_LABEL_MAX && g_utf8_validate(l, -1, NULL);
}

static OknoClassifier *classifier_new(guint bits, guint k)
{
  OknoClassifier *c = g_new0(OknoClassifier, 1);
  c->bits = bits;
  c->k = k;
  c->labels = g_new0(char *, k + 1);
  c->bias = g_new0(float, k);
  c->w = g_new0(float, ((gsize)1 << bits) * k);
  c->idf = g_new(float, (gsize)1 << bits);
  return c;
}

void okno_classifier_free(OknoClassifier *c)
{
  if (!c)
    return;
  g_strfreev(c->labels);
  g_free(c->bias);
  g_free(c->w);
  g_free(c->idf);
  g_free(c);
}

guint okno_classifier_n_labels(const OknoClassifier *c)
{
  return c->k;
}

const char *okno_classifier_label(const OknoClassifier *c, guint i)
{
  g_return_val_if_fail(i < c->k, NULL);
  return c->labels[i];
}

static gint cmp_str_ptr(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void words_free(gpointer p)
{
  g_free(p);
}

/* One run of SGD from zero weights: the examples xs/ys visited in an order shuffled by
 * `seed` each epoch (order: n slots of scratch, prob: k). */
static void sgd(OknoClassifier *c, GArray *const *xs, const guint *ys, gsize n,
                const OknoTrainParams *p, guint32 seed, guint *order, double *prob)
{
  guint k = c->k;
  gsize total = ((gsize)1 << c->bits) * k;
  double scale = 1.0;
  GRand *rand = g_rand_new_with_seed(seed);
  for (gsize i = 0; i < n; i++)
    order[i] = (guint)i;
  for (guint e = 0; e < p->epochs; e++) {
    double rate = p->rate / (1.0 + e);
    for (gsize i = n; i > 1; i--) { /* Fisher-Yates */
      gsize j = (gsize)g_rand_int_range(rand, 0, (gint32)i);
      guint t = order[i - 1];
      order[i - 1] = order[j];
      order[j] = t;
    }
    for (gsize s = 0; s < n; s++) {
      guint i = order[s];
      const Feature *f = (const Feature *)xs[i]->data;
      scores(c, scale, xs[i], prob);
      scale *= 1.0 - rate * p->l2;
      if (scale < 1e-6) { /* fold the scale back into the weights */
        for (gsize w = 0; w < total; w++)
          c->w[w] = (float)(c->w[w] * scale);
        scale = 1.0;
      }
      for (guint j = 0; j < k; j++) {
        double g = prob[j] - (j == ys[i] ? 1.0 : 0.0);
        c->bias[j] = (float)(c->bias[j] - rate * g);
        prob[j] = g; /* reused as the gradient */
      }
      for (guint a = 0; a < xs[i]->len; a++) {
        float *row = c->w + (gsize)f[a].bucket * k;
        double step = rate * f[a].value / scale;
        for (guint j = 0; j < k; j++)
          row[j] = (float)(row[j] - step * prob[j]);
      }
    }
  }
  if (scale != 1.0)
    for (gsize w = 0; w < total; w++)
      c->w[w] = (float)(c->w[w] * scale);
  g_rand_free(rand);
}

OknoClassifier *okno_classifier_train(const OknoExample *examples, gsize n,
                                      const OknoTrainParams *params, GError **error)
{
  const OknoTrainParams defaults = OKNO_TRAIN_DEFAULTS;
  const OknoTrainParams *p = params ? params : &defaults;
  g_autoptr(GHashTable) index = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) names = g_ptr_array_new();

  if (n == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "no examples to train on");
    return NULL;
  }
  for (gsize i = 0; i < n; i++) {
    if (!label_valid(examples[i].label)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "example %zu: the label must be 1 to %d bytes of UTF-8", i + 1,
                  OKNO_CLASSIFY_LABEL_MAX);
      return NULL;
    }
    if (!g_hash_table_contains(index, examples[i].label))
      g_ptr_array_add(names, (gpointer)examples[i].label);
    g_hash_table_insert(index, (gpointer)examples[i].label, NULL);
  }
  if (names->len < 2 || names->len > OKNO_CLASSIFY_LABELS_MAX) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "the examples must have 2 to %d distinct labels, not %u",
                OKNO_CLASSIFY_LABELS_MAX, names->len);
    return NULL;
  }
  /* Labels sorted by bytes: the model does not depend on the examples' first order. */
  g_ptr_array_sort(names, cmp_str_ptr);
  guint k = names->len;
  OknoClassifier *c = classifier_new(choose_bits(k), k);
  for (guint j = 0; j < k; j++) {
    c->labels[j] = g_strdup(names->pdata[j]);
    g_hash_table_insert(index, c->labels[j], GUINT_TO_POINTER(j));
  }

  /* Features once, for every example; the idf from the examples' document frequencies
   * (smoothed: ln((1 + n) / (1 + df)) + 1). */
  g_autoptr(OknoStemmer) stem = okno_stemmer_new();
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(words_free);
  gsize rows = (gsize)1 << c->bits;
  GArray **xs = g_new0(GArray *, n);
  guint *ys = g_new(guint, n);
  guint *order = g_new(guint, n);
  guint32 *df = g_new0(guint32, rows);
  for (gsize i = 0; i < n; i++) {
    xs[i] = g_array_new(FALSE, FALSE, sizeof(Feature));
    featurize(c->bits, stem, examples[i].text, xs[i], words);
    for (guint a = 0; a < xs[i]->len; a++)
      df[g_array_index(xs[i], Feature, a).bucket]++;
    ys[i] = GPOINTER_TO_UINT(g_hash_table_lookup(index, examples[i].label));
  }
  c->idf_unseen = (float)(log(1.0 + (double)n) + 1.0);
  for (gsize r = 0; r < rows; r++)
    c->idf[r] = (float)(log((1.0 + (double)n) / (1.0 + df[r])) + 1.0);
  g_free(df);
  for (gsize i = 0; i < n; i++)
    weigh(c->idf, xs[i]);

  /* One model per seed, and their weights averaged. */
  guint seeds = MAX(p->seeds, 1u);
  float *sum_w = seeds > 1 ? g_new0(float, rows * k) : NULL;
  double *sum_b = g_new0(double, k);
  double *prob = g_new(double, k);
  for (guint sd = 0; sd < seeds; sd++) {
    if (sd) {
      memset(c->w, 0, rows * k * sizeof *c->w);
      memset(c->bias, 0, k * sizeof *c->bias);
    }
    sgd(c, xs, ys, n, p, p->seed + sd, order, prob);
    if (sum_w)
      for (gsize w = 0; w < rows * k; w++)
        sum_w[w] += c->w[w];
    for (guint j = 0; j < k; j++)
      sum_b[j] += c->bias[j];
  }
  if (sum_w)
    for (gsize w = 0; w < rows * k; w++)
      c->w[w] = sum_w[w] / (float)seeds;
  for (guint j = 0; j < k; j++)
    c->bias[j] = (float)(sum_b[j] / seeds);
  g_free(sum_w);
  g_free(sum_b);
  g_free(prob);
  for (gsize i = 0; i < n; i++)
    g_array_free(xs[i], TRUE);
  g_free(xs);
  g_free(ys);
  g_free(order);
  return c;
}

/* ---- prediction ---- */

void okno_prediction_free(OknoPrediction *p)
{
  if (!p)
    return;
  if (p->alternatives)
    g_array_free(p->alternatives, TRUE);
  g_strfreev(p->why);
  g_free(p);
}

typedef struct {
  guint j;
  double p;
} Ranked;

static int cmp_ranked(const void *a, const void *b)
{
  const Ranked *x = a, *y = b;
  if (x->p != y->p)
    return x->p < y->p ? 1 : -1;
  return (x->j > y->j) - (x->j < y->j);
}

typedef struct {
  guint word;
  double weight;
} WordWeight;

static int cmp_weight(const void *a, const void *b)
{
  const WordWeight *x = a, *y = b;
  if (x->weight != y->weight)
    return x->weight < y->weight ? 1 : -1;
  return (x->word > y->word) - (x->word < y->word);
}

OknoPrediction *okno_classifier_predict(const OknoClassifier *c, OknoStemmer *s,
                                        const char *text, guint n_alternatives)
{
  g_autoptr(GArray) x = g_array_new(FALSE, FALSE, sizeof(Feature));
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(words_free);
  g_autofree double *prob = g_new(double, c->k);
  g_autofree Ranked *rank = g_new(Ranked, c->k);
  OknoPrediction *p = g_new0(OknoPrediction, 1);

  featurize(c->bits, s, text, x, words);
  weigh(c->idf, x);
  scores(c, 1.0, x, prob);
  for (guint j = 0; j < c->k; j++)
    rank[j] = (Ranked){j, prob[j]};
  qsort(rank, c->k, sizeof *rank, cmp_ranked);
  p->best = (OknoLabelScore){c->labels[rank[0].j], rank[0].p};
  p->alternatives = g_array_new(FALSE, FALSE, sizeof(OknoLabelScore));
  for (guint j = 1; j < c->k && j <= n_alternatives; j++) {
    OknoLabelScore a = {c->labels[rank[j].j], rank[j].p};
    g_array_append_val(p->alternatives, a);
  }

  /* Why: each word's share of the best label's score. */
  g_autofree WordWeight *ww = g_new0(WordWeight, words->len + 1);
  const Feature *f = (const Feature *)x->data;
  for (guint i = 0; i < words->len; i++)
    ww[i].word = i;
  for (guint i = 0; i < x->len; i++)
    if (f[i].word < words->len)
      ww[f[i].word].weight += f[i].value * c->w[(gsize)f[i].bucket * c->k + rank[0].j];
  /* One entry per distinct word: the repeats' weights go to the first occurrence. */
  g_autoptr(GHashTable) first = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < words->len; i++) {
    gpointer at;
    if (g_hash_table_lookup_extended(first, words->pdata[i], NULL, &at)) {
      ww[GPOINTER_TO_UINT(at)].weight += ww[i].weight;
      ww[i].weight = -G_MAXDOUBLE;
    } else {
      g_hash_table_insert(first, words->pdata[i], GUINT_TO_POINTER(i));
    }
  }
  qsort(ww, words->len, sizeof *ww, cmp_weight);
  GStrvBuilder *why = g_strv_builder_new();
  for (guint i = 0; i < words->len && i < WHY_MAX && ww[i].weight > 0; i++)
    g_strv_builder_add(why, words->pdata[ww[i].word]);
  p->why = g_strv_builder_end(why);
  g_strv_builder_unref(why);
  return p;
}

guint okno_classifier_best(const OknoClassifier *c, OknoStemmer *s, const char *text,
                           double *confidence)
{
  GArray *x = g_array_sized_new(FALSE, FALSE, sizeof(Feature), 256);
  GPtrArray *words = g_ptr_array_new_with_free_func(words_free);
  double stack[64];
  double *prob = c->k <= G_N_ELEMENTS(stack) ? stack : g_new(double, c->k);
  guint best = 0;
  featurize(c->bits, s, text, x, words);
  weigh(c->idf, x);
  scores(c, 1.0, x, prob);
  for (guint j = 1; j < c->k; j++)
    if (prob[j] > prob[best])
      best = j;
  if (confidence)
    *confidence = prob[best];
  if (prob != stack)
    g_free(prob);
  g_array_free(x, TRUE);
  g_ptr_array_free(words, TRUE);
  return best;
}

/* ---- saved form ---- */

static void put32(GByteArray *b, guint32 v)
{
  guint32 le = GUINT32_TO_LE(v);
  g_byte_array_append(b, (const guint8 *)&le, 4);
}

static void putf(GByteArray *b, float f)
{
  guint32 v;
  memcpy(&v, &f, 4);
  put32(b, v);
}

GBytes *okno_classifier_save(const OknoClassifier *c)
{
  GByteArray *b = g_byte_array_new();
  gsize rows = (gsize)1 << c->bits;
  guint32 n_rows = 0;
  g_byte_array_append(b, (const guint8 *)MAGIC, 8);
  put32(b, c->bits);
  put32(b, c->k);
  for (guint j = 0; j < c->k; j++) {
    guint16 len = GUINT16_TO_LE((guint16)strlen(c->labels[j]));
    g_byte_array_append(b, (const guint8 *)&len, 2);
    g_byte_array_append(b, (const guint8 *)c->labels[j], (guint)strlen(c->labels[j]));
  }
  for (guint j = 0; j < c->k; j++)
    putf(b, c->bias[j]);
  putf(b, c->idf_unseen);
  guint count_at = b->len;
  put32(b, 0);
  for (gsize r = 0; r < rows; r++) {
    const float *row = c->w + r * c->k;
    gboolean any = c->idf[r] != c->idf_unseen;
    for (guint j = 0; j < c->k && !any; j++)
      any = row[j] != 0.0f;
    if (!any)
      continue;
    put32(b, (guint32)r);
    putf(b, c->idf[r]);
    for (guint j = 0; j < c->k; j++)
      putf(b, row[j]);
    n_rows++;
  }
  guint32 le = GUINT32_TO_LE(n_rows);
  memcpy(b->data + count_at, &le, 4);
  return g_byte_array_free_to_bytes(b);
}

typedef struct {
  const guint8 *p, *end;
} Reader;

static gboolean get(Reader *r, void *out, gsize n)
{
  if ((gsize)(r->end - r->p) < n)
    return FALSE;
  memcpy(out, r->p, n);
  r->p += n;
  return TRUE;
}

static gboolean get32(Reader *r, guint32 *v)
{
  if (!get(r, v, 4))
    return FALSE;
  *v = GUINT32_FROM_LE(*v);
  return TRUE;
}

static gboolean getf(Reader *r, float *f)
{
  guint32 v;
  if (!get32(r, &v))
    return FALSE;
  memcpy(f, &v, 4);
  return isfinite(*f);
}

static OknoClassifier *damaged(OknoClassifier *c, GError **error, const char *why)
{
  okno_classifier_free(c);
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "the model is damaged: %s", why);
  return NULL;
}

OknoClassifier *okno_classifier_load(GBytes *bytes, GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data(bytes, &len);
  if (!data) /* empty bytes: no pointer arithmetic on NULL */
    data = (const guint8 *)"", len = 0;
  Reader r = {data, data + len};
  char magic[8];
  guint32 bits, k, n_rows;
  OknoClassifier *c = NULL;

  if (data && len >= 8 && (memcmp(data, MAGIC_OLD1, 8) == 0 || memcmp(data, MAGIC_OLD2, 8) == 0)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "the model was trained by an older okno (other features): "
                "retrain it (okno classify retrain; the scheduler's next pass does)");
    return NULL;
  }
  if (!get(&r, magic, 8) || memcmp(magic, MAGIC, 8))
    return damaged(NULL, error, "not a model");
  if (!get32(&r, &bits) || !get32(&r, &k))
    return damaged(NULL, error, "truncated header");
  if (bits < BITS_MIN || bits > BITS_MAX || k < 2 || k > OKNO_CLASSIFY_LABELS_MAX ||
      ((gsize)1 << bits) * k > WEIGHTS_MAX)
    return damaged(NULL, error, "bad size");
  c = classifier_new(bits, k);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint j = 0; j < k; j++) {
    guint16 l;
    if (!get(&r, &l, 2))
      return damaged(c, error, "truncated label");
    l = GUINT16_FROM_LE(l);
    if (l == 0 || l > OKNO_CLASSIFY_LABEL_MAX || (gsize)(r.end - r.p) < l)
      return damaged(c, error, "bad label");
    c->labels[j] = g_strndup((const char *)r.p, l);
    r.p += l;
    if (strlen(c->labels[j]) != l || !g_utf8_validate(c->labels[j], -1, NULL) ||
        g_hash_table_contains(seen, c->labels[j]))
      return damaged(c, error, "bad label");
    g_hash_table_add(seen, c->labels[j]);
  }
  for (guint j = 0; j < k; j++)
    if (!getf(&r, &c->bias[j]))
      return damaged(c, error, "bad bias");
  if (!getf(&r, &c->idf_unseen) || !(c->idf_unseen > 0))
    return damaged(c, error, "bad idf");
  for (gsize i = 0; i < ((gsize)1 << bits); i++)
    c->idf[i] = c->idf_unseen;
  if (!get32(&r, &n_rows) || n_rows > (1u << bits))
    return damaged(c, error, "bad row count");
  gint64 last = -1;
  for (guint32 i = 0; i < n_rows; i++) {
    guint32 at;
    if (!get32(&r, &at) || at >= (1u << bits) || (gint64)at <= last)
      return damaged(c, error, "bad row");
    last = at;
    if (!getf(&r, &c->idf[at]) || !(c->idf[at] > 0))
      return damaged(c, error, "bad idf");
    gboolean any = c->idf[at] != c->idf_unseen;
    for (guint j = 0; j < k; j++) {
      if (!getf(&r, &c->w[(gsize)at * k + j]))
        return damaged(c, error, "bad weight");
      any |= c->w[(gsize)at * k + j] != 0.0f;
    }
    if (!any) /* the saved form holds no row that says nothing */
      return damaged(c, error, "empty row");
  }
  if (r.p != r.end)
    return damaged(c, error, "trailing bytes");
  return c;
}

/* ---- evaluation ---- */

void okno_eval_result_free(OknoEvalResult *r)
{
  if (!r)
    return;
  if (r->labels)
    g_ptr_array_free(r->labels, TRUE);
  if (r->f1)
    g_array_free(r->f1, TRUE);
  if (r->support)
    g_array_free(r->support, TRUE);
  g_free(r);
}

OknoEvalResult *okno_eval_score(const char *const *predicted, const char *const *truth,
                                gsize n)
{
  g_autoptr(GHashTable) at = g_hash_table_new(g_str_hash, g_str_equal);
  OknoEvalResult *r = g_new0(OknoEvalResult, 1);
  gsize right = 0;
  r->n = n;
  r->labels = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; i < 2 * n; i++) {
    const char *l = i < n ? truth[i] : predicted[i - n];
    if (!g_hash_table_contains(at, l)) {
      g_hash_table_insert(at, (gpointer)l, NULL);
      g_ptr_array_add(r->labels, g_strdup(l));
    }
  }
  g_ptr_array_sort(r->labels, cmp_str_ptr);
  g_hash_table_remove_all(at);
  for (guint j = 0; j < r->labels->len; j++)
    g_hash_table_insert(at, r->labels->pdata[j], GUINT_TO_POINTER(j));
  guint L = r->labels->len;
  g_autofree guint *tp = g_new0(guint, L + 1), *fp = g_new0(guint, L + 1),
                   *fn = g_new0(guint, L + 1);
  for (gsize i = 0; i < n; i++) {
    guint t = GPOINTER_TO_UINT(g_hash_table_lookup(at, truth[i]));
    guint p = GPOINTER_TO_UINT(g_hash_table_lookup(at, predicted[i]));
    if (t == p) {
      tp[t]++;
      right++;
    } else {
      fp[p]++;
      fn[t]++;
    }
  }
  r->f1 = g_array_sized_new(FALSE, FALSE, sizeof(double), L);
  r->support = g_array_sized_new(FALSE, FALSE, sizeof(guint), L);
  double sum = 0;
  for (guint j = 0; j < L; j++) {
    double f1 = tp[j] ? 2.0 * tp[j] / (2.0 * tp[j] + fp[j] + fn[j]) : 0.0;
    guint support = tp[j] + fn[j];
    g_array_append_val(r->f1, f1);
    g_array_append_val(r->support, support);
    sum += f1;
  }
  r->accuracy = n ? (double)right / (double)n : 0.0;
  r->macro_f1 = L ? sum / L : 0.0;
  return r;
}

OknoEvalResult *okno_classifier_cross_validate(const OknoExample *examples, gsize n,
                                               guint folds, const OknoTrainParams *params,
                                               GError **error)
{
  if (folds < 2 || folds > n) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "--folds must be from 2 to the number of examples (%zu)", n);
    return NULL;
  }
  /* Deal each label's examples round-robin, so every part has every label. */
  g_autofree guint *part = g_new(guint, n);
  g_autoptr(GHashTable) next = g_hash_table_new(g_str_hash, g_str_equal);
  for (gsize i = 0; i < n; i++) {
    guint at = GPOINTER_TO_UINT(g_hash_table_lookup(next, examples[i].label ? examples[i].label : ""));
    part[i] = at % folds;
    g_hash_table_insert(next, (gpointer)(examples[i].label ? examples[i].label : ""),
                        GUINT_TO_POINTER(at + 1));
  }
  g_autofree const char **pred = g_new0(const char *, n);
  g_autofree const char **truth = g_new0(const char *, n);
  g_autofree OknoExample *train = g_new(OknoExample, n);
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func((GDestroyNotify)okno_classifier_free);
  g_autoptr(OknoStemmer) s = okno_stemmer_new();
  for (guint k = 0; k < folds; k++) {
    gsize m = 0;
    for (gsize i = 0; i < n; i++)
      if (part[i] != k)
        train[m++] = examples[i];
    OknoClassifier *c = okno_classifier_train(train, m, params, error);
    if (!c)
      return NULL;
    g_ptr_array_add(models, c);
    for (gsize i = 0; i < n; i++)
      if (part[i] == k) {
        pred[i] = c->labels[okno_classifier_best(c, s, examples[i].text, NULL)];
        truth[i] = examples[i].label;
      }
  }
  return okno_eval_score(pred, truth, n);
}

/* ---- JSON lines ---- */

#define LINE_MAX_BYTES (1 << 20)

void okno_examples_free(GArray *examples)
{
  if (!examples)
    return;
  for (guint i = 0; i < examples->len; i++) {
    OknoExample *e = &g_array_index(examples, OknoExample, i);
    g_free((char *)e->text);
    g_free((char *)e->label);
  }
  g_array_free(examples, TRUE);
}

static const char *string_member(JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

static gboolean blank(const char *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (p[i] != ' ' && p[i] != '\t')
      return FALSE;
  return TRUE;
}

GArray *okno_examples_read_jsonl(const char *data, gsize len, gboolean labelled,
                                 GError **error)
{
  GArray *out = g_array_new(FALSE, FALSE, sizeof(OknoExample));
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  const char *p = data, *end = data + len;
  guint line = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (gsize)(end - p));
    const char *stop = nl ? nl : end;
    gsize n = (gsize)(stop - p);
    const char *why = NULL;
    line++;
    if (n && stop[-1] == '\r')
      n--;
    if (n > LINE_MAX_BYTES) {
      why = "the line is longer than 1 MiB";
    } else if (!blank(p, n)) {
      JsonNode *root;
      JsonObject *o;
      const char *text, *label = NULL;
      if (!g_utf8_validate(p, (gssize)n, NULL))
        why = "not UTF-8";
      else if (!json_parser_load_from_data(parser, p, (gssize)n, NULL) ||
               !(root = json_parser_get_root(parser)) || !JSON_NODE_HOLDS_OBJECT(root))
        why = "not a JSON object";
      else if (!(text = string_member(o = json_node_get_object(root), "text")))
        why = "no string \"text\"";
      else if (labelled && (!(label = string_member(o, "label")) || !label_valid(label)))
        why = "the \"label\" must be a string of 1 to 200 bytes";
      else {
        OknoExample e = {g_strdup(text), g_strdup(label)};
        g_array_append_val(out, e);
      }
    }
    if (why) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "line %u: %s", line, why);
      okno_examples_free(out);
      return NULL;
    }
    p = nl ? nl + 1 : end;
  }
  return out;
}
