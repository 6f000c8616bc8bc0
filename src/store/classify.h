/* classify.h (store): the classifier's models and training examples (issue 19,
 * docs/classify.md; the classifier itself is text/classify.h).
 *
 * A model is kept by name as the saved form of text/classify.h with a version that
 * grows with every save, so a process that caches a loaded model notices a new one
 * with one small query (okno_store_model_version).
 *
 * Examples are (text, label) pairs of a model, from two sources:
 *  - "import": `okno classify train` replaces all of a model's imported examples with
 *    a file's; their texts are sealed (core/vault.h) under one data key per import,
 *    destroyed with the rows when the next import replaces them;
 *  - "operator": a routing decision by staff on an appeal (a transfer, a category, an
 *    SLA class, a merge): the row holds the appeal's id and the label, never the text,
 *    which is read from the appeal's first incoming message when training; one row per
 *    (model, appeal), the latest decision replacing earlier ones. An appeal whose
 *    contents were purged (retention) or shredded gives an empty text and is skipped.
 *
 * Like store.h: one connection, one thread; strings given are copied, results are the
 * caller's; "not found" is NULL / 0 with no error set; errors OKNO_ERROR_TEMP or
 * OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"
#include "text/classify.h"

/* Saves `model` (the saved form) as model `name`, replacing the previous one, with
 * the number of examples it was trained on and the id of the newest of them (what
 * okno_store_examples gave as *last_id). */
gboolean okno_store_model_save(OknoStore *st, const char *name, GBytes *model,
                               gint64 examples, gint64 last_example, GError **error);
/* The saved form of model `name`, and its version and training time when not NULL;
 * NULL with no error when there is none. */
GBytes *okno_store_model_load(OknoStore *st, const char *name, gint64 *version,
                              gint64 *trained_at, GError **error);
/* The version of model `name`, 0 when there is none (or on error, set). */
gint64 okno_store_model_version(OknoStore *st, const char *name, GError **error);
/* The names of the models with examples or a saved model, sorted. */
GPtrArray *okno_store_model_names(OknoStore *st, GError **error);
/* The names of the models due for training at `now`: with an example newer than the
 * newest their saved model was trained on (or no saved model), and trained at least
 * `interval` microseconds ago; and, whatever their examples and time, the saved models
 * whose first 8 bytes are not `format` (a model saved by an older okno, which the
 * classifier refuses: until retrained it would route nothing). */
GPtrArray *okno_store_models_due(OknoStore *st, gint64 now, gint64 interval,
                                 const char format[8], GError **error);

typedef struct {
  char *name;
  gint64 version;    /* 0: examples only, never trained */
  gint64 examples;   /* the saved model's training set */
  gint64 stored;     /* examples in the store now */
  gint64 trained_at; /* 0: never */
  gint64 routed;     /* appeals it routed by itself */
  gint64 corrected;  /* of those, moved elsewhere by staff later */
} OknoModelInfo;
void okno_model_info_free(OknoModelInfo *m);
/* Every model (OknoModelInfo*), by name. */
GPtrArray *okno_store_model_list(OknoStore *st, GError **error);

/* Replaces model `model`'s imported examples with examples[0..n). */
gboolean okno_store_examples_import(OknoStore *st, const char *model,
                                    const OknoExample *examples, gsize n, GError **error);
/* Records that staff put appeal `appeal_id` under `label` for model `model`. */
gboolean okno_store_example_from_appeal(OknoStore *st, const char *model, gint64 appeal_id,
                                        const char *label, GError **error);

/* The appeals (GArray of gint64, ascending) that have an event `kind` and no operator
 * example of `model`: staff decisions kept in the history that the model never got as
 * examples (ops/classify_history.h). One scan of the events of that kind. */
GArray *okno_store_examples_missing(OknoStore *st, const char *model, const char *kind,
                                    GError **error);

/* Records that model `model` routed appeal `appeal_id` to `label` by itself. */
gboolean okno_store_model_routed(OknoStore *st, gint64 appeal_id, const char *model,
                                 const char *label, GError **error);
/* Staff put appeal `appeal_id` under `label` for model `model`: if that model decided
 * it by itself for another label, that decision counts as corrected (an error of the
 * model); the same label confirms it. One automatic decision per (appeal, model). */
gboolean okno_store_model_corrected(OknoStore *st, gint64 appeal_id, const char *model,
                                    const char *label, GError **error);
/* Of the appeals model `model` routed by itself since `since`: how many, and how many
 * staff corrected. */
gboolean okno_store_model_accuracy(OknoStore *st, const char *model, gint64 since,
                                   gint64 *routed, gint64 *corrected, GError **error);

/* One model's automatic decisions made in [from, to) (µs): how many, and how many
 * staff corrected later (the correction may come after `to`). */
typedef struct {
  char *model;
  gint64 routed;
  gint64 corrected;
} OknoModelAccuracy;
void okno_model_accuracy_free(OknoModelAccuracy *m);
/* Every model that decided something in [from, to) (OknoModelAccuracy*), by name. */
GPtrArray *okno_store_models_accuracy(OknoStore *st, gint64 from, gint64 to, GError **error);

typedef struct {
  char *text;
  char *label;
  char *source; /* "import" or "operator" */
} OknoStoredExample;
void okno_stored_example_free(OknoStoredExample *e);

/* Model `model`'s examples (OknoStoredExample*), imported ones first, each group in
 * the order it was recorded; operator examples with an empty text are left out.
 * *last_id (may be NULL): the largest example id, 0 when none. */
GPtrArray *okno_store_examples(OknoStore *st, const char *model, gint64 *last_id,
                               GError **error);

/* Sets appeal `appeal_id`'s category if its version is still `version` (0: any),
 * bumping the version (*new_version, may be NULL); a stale version is OKNO_ERROR_USER
 * OKNO_STORE_STALE_TEXT and changes nothing. */
gboolean okno_store_appeal_set_category(OknoStore *st, gint64 appeal_id, gint64 version,
                                        const char *category, gint64 *new_version,
                                        GError **error);
