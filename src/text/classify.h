/* classify.h: a text classifier for routing (issue 19, docs/classify.md): a named model
 * predicts one label of a text with a confidence, the alternatives, and the words that
 * weighed most.
 *
 * FEATURES. The text's words as search sees them (text/tokenizer.h: lowercase, ё = е),
 * with the stop words kept (okno_text_scan_all: «не», «очень», «уже» tell urgency
 * apart). Each word gives its Snowball stem (a stop word: itself), the pair (previous
 * word's, its own), and, unless a stop word, the character 3- to 5-grams of " word "
 * (so misspellings and unknown inflections still share most features). Each feature
 * is hashed (FNV-1a, 64 bit) into 2^bits buckets; a count becomes (1 + ln(count)) times
 * the bucket's idf (ln((1 + n) / (1 + df)) + 1 over the n training texts); the stems and
 * pairs are scaled to length 1.5 and the character n-grams to length 1, each part on its
 * own (so the many n-grams of a long text do not drown its words). Each choice was made
 * by cross-validation on appeals-kz dev (docs/classify.md).
 * bits is chosen from the number of labels so that the weights stay under 32 MiB.
 *
 * MODEL. Multinomial logistic regression (softmax) over those features with a bias per
 * label, trained by stochastic gradient descent with L2 regularisation (the weight-scale
 * trick, so an update touches only the example's features), a step size decaying with
 * each epoch, and the examples visited in an order shuffled by a seed; `seeds` such runs
 * with consecutive seeds are averaged (weights and biases), which steadies the model
 * against the order. The same examples in the same order give the same model, byte for
 * byte, on every machine.
 * The confidence is the softmax probability; the alternatives are the next labels by
 * probability. "Why" is the words (never a stop word) whose features added most to the
 * chosen label's score.
 *
 * A model is immutable once trained or loaded: any number of threads may predict with
 * it at once, each with its own OknoStemmer.
 *
 * SAVED FORM (okno_classifier_save, the store keeps it as a blob), little-endian:
 *   "OKNOCLS3" | u32 bits | u32 n_labels | n_labels x (u16 length, UTF-8 bytes) |
 *   n_labels x f32 bias | f32 idf of unseen buckets | u32 n_rows |
 *   n_rows x (u32 bucket, f32 idf, n_labels x f32 weight)
 * with buckets strictly ascending and below 2^bits, 1 <= n_labels <= OKNO_CLASSIFY_LABELS_MAX,
 * labels non-empty, distinct, at most 200 bytes, valid UTF-8, every weight finite, every
 * idf finite and positive, and no row that says nothing (the unseen idf and all weights
 * 0: such buckets are not written). okno_classifier_load() refuses anything else (it has
 * a fuzz target); a model saved as "OKNOCLS1" or "OKNOCLS2" (older features) is refused
 * with a message to retrain it. */
#pragma once
#include <glib.h>

#include "text/tokenizer.h"

#define OKNO_CLASSIFY_LABELS_MAX 1000
#define OKNO_CLASSIFY_LABEL_MAX 200

typedef struct OknoClassifier OknoClassifier;

typedef struct {
  const char *text;
  const char *label; /* non-empty, at most OKNO_CLASSIFY_LABEL_MAX bytes of UTF-8 */
} OknoExample;

typedef struct {
  guint epochs;      /* per run, default 20 (chosen by cross-validation on appeals-kz dev) */
  double rate;       /* initial step size, default 2.0 */
  double l2;         /* regularisation per example, default 1e-6 */
  guint32 seed;      /* shuffling of the first run, default 1 */
  guint seeds;       /* runs, with the seeds seed, seed + 1, ...: their weights are
                        averaged; default 3 (0 counts as 1) */
} OknoTrainParams;
#define OKNO_TRAIN_DEFAULTS {20, 2.0, 1e-6, 1, 3}

/* A model trained on examples[0..n). NULL with OKNO_ERROR_USER when n == 0, when fewer
 * than two distinct labels occur, or when a label is empty, too long, not UTF-8, or
 * when there are more than OKNO_CLASSIFY_LABELS_MAX of them. `params` may be NULL. */
OknoClassifier *okno_classifier_train(const OknoExample *examples, gsize n,
                                      const OknoTrainParams *params, GError **error);
void okno_classifier_free(OknoClassifier *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoClassifier, okno_classifier_free)

guint okno_classifier_n_labels(const OknoClassifier *c);
const char *okno_classifier_label(const OknoClassifier *c, guint i);

typedef struct {
  const char *label;   /* points into the model */
  double confidence;   /* in [0, 1]; the labels' confidences sum to 1 */
} OknoLabelScore;

typedef struct {
  OknoLabelScore best;
  GArray *alternatives; /* of OknoLabelScore: the next labels, most likely first */
  char **why;           /* NULL-terminated: up to 3 words of the text, most weight first */
} OknoPrediction;
void okno_prediction_free(OknoPrediction *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoPrediction, okno_prediction_free)

/* The prediction for `text` (any bytes; a text without words gets the label the biases
 * prefer), with at most `n_alternatives` alternatives. `s` is the caller's stemmer. */
OknoPrediction *okno_classifier_predict(const OknoClassifier *c, OknoStemmer *s,
                                        const char *text, guint n_alternatives);
/* Only the best label's index and its confidence: no allocation (the benchmark's path). */
guint okno_classifier_best(const OknoClassifier *c, OknoStemmer *s, const char *text,
                           double *confidence);

GBytes *okno_classifier_save(const OknoClassifier *c);
/* NULL with OKNO_ERROR_USER ("the model is damaged: ...") for anything not in the saved
 * form above. */
OknoClassifier *okno_classifier_load(GBytes *bytes, GError **error);
/* The first 8 bytes of every model okno_classifier_save() writes (its format). */
extern const char okno_classifier_format[8];

/* ---- evaluation ---- */

typedef struct {
  gsize n;              /* examples predicted */
  double accuracy;
  double macro_f1;      /* the mean of the labels' F1 (a label never predicted nor true
                           in the test parts does not count) */
  GPtrArray *labels;    /* char*: every label seen, sorted */
  GArray *f1;           /* double per label, in `labels` order */
  GArray *support;      /* guint per label: its true examples */
} OknoEvalResult;
void okno_eval_result_free(OknoEvalResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoEvalResult, okno_eval_result_free)

/* Stratified k-fold cross-validation: examples are dealt to `folds` parts label by label
 * in their order, each part is predicted by a model trained on the others. folds >= 2
 * and at most n, else OKNO_ERROR_USER. */
OknoEvalResult *okno_classifier_cross_validate(const OknoExample *examples, gsize n,
                                               guint folds, const OknoTrainParams *params,
                                               GError **error);
/* Scores predictions against the truth: predicted[i] and truth[i] for i < n. */
OknoEvalResult *okno_eval_score(const char *const *predicted, const char *const *truth,
                                gsize n);

/* ---- JSON lines (the command line's input, docs/classify.md) ---- */

/* Reads `len` bytes of JSON lines, one object per non-empty line with a string "text"
 * and, when `labelled`, a string "label" (other members are ignored). Returns the
 * examples (OknoExample with owned strings: free with okno_examples_free) or NULL with
 * OKNO_ERROR_USER naming the line: «line N: ...» for a line that is not such an object,
 * a text that is not UTF-8, a label that is not valid (see okno_classifier_train), or
 * a line over 1 MiB. */
GArray *okno_examples_read_jsonl(const char *data, gsize len, gboolean labelled,
                                 GError **error);
void okno_examples_free(GArray *examples);
