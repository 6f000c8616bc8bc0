/* fuzz_classify.c: fuzz driver for the classifier's two parsers (text/classify.h): the
 * saved form of a model and the JSON lines of examples.
 *
 * The input is tried as a saved model: one that loads must predict any text without
 * crashing (a confidence in [0, 1]) and save back to the same bytes. Then as JSON lines
 * (labelled and not): examples that read must be trainable or refused with a user error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/error.h"
#include "text/classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static OknoStemmer *s;
  g_autoptr(GBytes) b = g_bytes_new(data, size);
  g_autoptr(OknoClassifier) c = okno_classifier_load(b, NULL);
  if (!s)
    s = okno_stemmer_new();
  if (c) {
    double p = -1;
    okno_classifier_best(c, s, "Не могу войти в личный кабинет", &p);
    if (!(p >= 0 && p <= 1))
      abort();
    g_autoptr(GBytes) again = okno_classifier_save(c);
    if (!g_bytes_equal(b, again))
      abort();
  }
  for (int labelled = 0; labelled < 2; labelled++) {
    GError *error = NULL;
    GArray *ex = okno_examples_read_jsonl((const char *)data, size, labelled, &error);
    if (!ex) {
      if (!g_error_matches(error, OKNO_ERROR, OKNO_ERROR_USER))
        abort();
      g_error_free(error);
      continue;
    }
    if (labelled && ex->len <= 64) {
      g_autoptr(OknoClassifier) t =
        okno_classifier_train((const OknoExample *)ex->data, ex->len,
                              &(OknoTrainParams){2, 1.0, 1e-6, 1, 1}, &error);
      if (!t && !g_error_matches(error, OKNO_ERROR, OKNO_ERROR_USER))
        abort();
      g_clear_error(&error);
    }
    okno_examples_free(ex);
  }
  return 0;
}
