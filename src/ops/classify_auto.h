/* classify_auto.h (ops): the category and SLA-class models at work (issue 19 item 2,
 * docs/classify.md "Category and SLA class"): set at registration when sure, suggested
 * when not, and taught by every staff decision.
 *
 * MODELS. OKNO_CATEGORY_MODEL predicts the appeal's category (any label staff gave);
 * OKNO_SLA_CLASS_MODEL its SLA class (a label that okno_sla_class_parse takes; not
 * "formal", which only the appeal's kind gives). Both read the subject and the first
 * message, as the department model does (ops/classify.h).
 *
 * REGISTRATION (okno_classify_appeal). For each model that exists: the category only
 * when the appeal has none yet (a citizen's choice on the form stands), the SLA class
 * only for an appeal that is not formal. At or above [classify] auto_threshold the
 * value is set: event `category_classified` / `sla_class_classified` {"model",
 * "value", "confidence", "why": [words]}, and the decision is recorded
 * (store/classify.h okno_store_model_routed) for the accuracy; a new SLA class counts
 * the deadline again from `start` when the clock runs (event `deadline_set`, why
 * "classified by the model"). Below it nothing changes and the event
 * `category_suggested` / `sla_class_suggested` {"model", "confidence", "why",
 * "suggestions": [{"value", "confidence"}] (up to three)} lets the console offer them.
 *
 * STAFF DECISIONS (okno_classify_set). A category or an SLA class set by staff is an
 * example for its model (source "operator"), and when the model had decided that
 * appeal otherwise, its decision counts as corrected (an error). Event
 * `category_changed` / `sla_class_changed` {"from", "to", "by"}; a new SLA class on a
 * running clock counts the deadline again from the appeal's registration. The value the
 * appeal already has is a confirmation: the same example, event `category_confirmed` /
 * `sla_class_confirmed` {"value", "by"}, the appeal unchanged (version too). A
 * supervisor's confirmation of urgency (ops.h okno_ops_confirm_urgent) is an example of
 * the class it gives too. Such decisions made before the models learned are taken from
 * the history by `okno classify retrain` (ops/classify_history.h).
 *
 * MERGES (okno_classify_learn_merge). A duplicate merged into another appeal is about
 * the same thing: it becomes an example of the other appeal's department, category and
 * SLA class (those it has), and corrects the models' decisions on the duplicate. */
#pragma once
#include <glib.h>

#include "appeal/appeal.h"
#include "ops/ops.h"
#include "store/store.h"

#define OKNO_CATEGORY_MODEL "category"
#define OKNO_SLA_CLASS_MODEL "sla_class"

/* At registration, after routing: see above. `text` is the first message's text
 * (may be NULL). A damaged model is logged and skipped; intake never stops for it. */
gboolean okno_classify_appeal(const OknoSlaEnv *env, OknoStore *st, OknoAppeal *a,
                              const char *text, gint64 start, GError **error);

/* Staff (`actor`) set `field` ("category" or "sla_class") of appeal `number`, read at
 * `version` (0: any), to `value`. Bad input is OKNO_ERROR_USER in Russian (an unknown
 * field, an empty or over-long category, an unknown class, the class of a formal
 * appeal) and changes nothing. *new_version: the version
 * after (may be NULL). */
gboolean okno_classify_set(const OknoSlaEnv *env, OknoStore *st, const char *number,
                           gint64 version, const char *field, const char *value,
                           const char *actor, gint64 *new_version, GError **error);

/* The duplicate `dup_id` was merged into `target`: see above. */
gboolean okno_classify_learn_merge(OknoStore *st, gint64 dup_id, const OknoAppeal *target,
                                   GError **error);

/* The accuracy of a model's automatic decisions: the share not corrected later, in
 * [0, 1]; -1 when it decided nothing. */
double okno_classify_accuracy(gint64 routed, gint64 corrected);

/* classify_stats.c: the dashboard's table «Автоматическая классификация» (id
 * "classify"): per model that decided something in [from, to) (µs), its decisions,
 * those staff corrected later, and the accuracy in per cent (one decimal; "—" with no
 * decision), appended to `tables` (GPtrArray of ops/stats.h OknoStatsTable*) when some
 * model decided something then. Nothing appended on error (set). Models are named in Russian (department «Отдел»,
 * category «Категория», sla_class «Класс срока»; another by its name). */
gboolean okno_classify_stats_add(OknoStore *st, gint64 from, gint64 to, GPtrArray *tables,
                                 GError **error);
