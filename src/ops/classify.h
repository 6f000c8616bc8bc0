/* classify.h (ops): the classifier at work (issue 19, docs/classify.md): training a
 * named model from the store's examples, the models shared by a process's threads, the
 * learning router, and the examples staff decisions give.
 *
 * ROUTING. At registration, after the administrators' rules (appeal/routing.h: a rule
 * that matches always decides), the model "department" (OKNO_DEPARTMENT_MODEL) predicts the department from the subject and the text. At or above
 * [classify] auto_threshold the appeal goes there: event `routed` {"department",
 * "queue": "department", "rule": null, "model", "confidence", "why": [words]}. Below
 * it, the appeal stays in triage and the event carries "suggestions": the top three
 * departments with their confidences, which the console offers the operator. A model
 * label that is not a department (any more) never routes.
 *
 * LEARNING. Each transfer of an appeal to a department by staff (and each routing
 * decision an operator makes in the console) is an example for the department model
 * (store/classify.h, source "operator"): the training set grows with the work, and a
 * correction of an automatic routing replaces the example. `okno classify retrain` and
 * the nightly scheduler job train every model again from its examples.
 *
 * Accuracy of automatic routing: an appeal routed by the model and later transferred
 * elsewhere by staff counts as an error (event `transferred` after a `routed` with a
 * "model"); okno_classify_accuracy counts them. */
#pragma once
#include <glib.h>

#include "appeal/appeal.h"
#include "appeal/routing.h"
#include "core/config.h"
#include "store/store.h"
#include "text/classify.h"

#define OKNO_DEPARTMENT_MODEL "department"

/* Trains model `name` from its examples in the store and saves it. Reads, trains
 * (seconds for tens of thousands of examples) and saves with one statement: call it
 * outside a transaction, so that intake never waits for the training. *examples and
 * *labels (may be NULL) get its size. Fewer than two labels among the examples:
 * OKNO_ERROR_USER (from text/classify.h), nothing saved. */
gboolean okno_classify_retrain(OknoStore *st, const char *name, gsize *examples,
                               guint *labels, GError **error);

/* The scheduler's pass: trains each model due (store/classify.h, okno_store_models_due:
 * an example newer than its model, and `interval` seconds since it was trained); a model
 * that cannot be trained (one label so far) is logged and left. *trained: how many. */
gboolean okno_classify_retrain_due(OknoStore *st, gint64 now, gint64 interval,
                                   guint *trained, GError **error);

/* The process's copy of model `name`, loaded again when the stored version changed
 * (one small query per call): a reference the caller drops with okno_model_release.
 * NULL with no error when the store has no such model. Thread-safe. */
typedef struct OknoModelRef OknoModelRef;
OknoModelRef *okno_classify_model(OknoStore *st, const char *name, GError **error);
const OknoClassifier *okno_model_classifier(const OknoModelRef *m);
void okno_model_release(OknoModelRef *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoModelRef, okno_model_release)

/* The learning router's decision for an appeal no rule matched: *department set (a
 * department that exists) when the model is at or above the threshold; the prediction
 * itself in *prediction (NULL when there is no model). Caller frees both. */
gboolean okno_classify_route(const OknoConfig *cfg, OknoStore *st, const OknoRouteInput *in,
                             char **department, OknoPrediction **prediction,
                             OknoModelRef **model, GError **error);

/* A staff decision on appeal `appeal_id`: its department is now `department` (an
 * example for OKNO_DEPARTMENT_MODEL; "" — the triage queue — is not a label). */
gboolean okno_classify_learn(OknoStore *st, gint64 appeal_id, const char *department,
                             GError **error);
