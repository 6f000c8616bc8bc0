/* classify.c (ops): training from the store, the shared models, the learning router
 * and the examples staff decisions give (see classify.h; docs/classify.md). */
#include "ops/classify.h"

#include "core/error.h"
#include "core/log.h"
#include "store/classify.h"
#include "store/staff.h"

gboolean okno_classify_retrain(OknoStore *st, const char *name, gsize *examples,
                               guint *labels, GError **error)
{
  gint64 last = 0;
  g_autoptr(GPtrArray) rows = okno_store_examples(st, name, &last, error);
  g_autofree OknoExample *ex = NULL;
  g_autoptr(OknoClassifier) c = NULL;
  g_autoptr(GBytes) saved = NULL;
  if (!rows)
    return FALSE;
  ex = g_new(OknoExample, rows->len + 1);
  for (guint i = 0; i < rows->len; i++) {
    const OknoStoredExample *e = rows->pdata[i];
    ex[i] = (OknoExample){e->text, e->label};
  }
  if (!(c = okno_classifier_train(ex, rows->len, NULL, error)))
    return FALSE;
  saved = okno_classifier_save(c);
  if (!okno_store_model_save(st, name, saved, rows->len, last, error))
    return FALSE;
  if (examples)
    *examples = rows->len;
  if (labels)
    *labels = okno_classifier_n_labels(c);
  okno_log("classify", "event=trained model=%s examples=%u labels=%u", name, rows->len,
           okno_classifier_n_labels(c));
  return TRUE;
}

gboolean okno_classify_retrain_due(OknoStore *st, gint64 now, gint64 interval,
                                   guint *trained, GError **error)
{
  g_autoptr(GPtrArray) due = okno_store_models_due(st, now, interval * G_USEC_PER_SEC,
                                                   okno_classifier_format, error);
  *trained = 0;
  if (!due)
    return FALSE;
  for (guint i = 0; i < due->len; i++) {
    g_autoptr(GError) err = NULL;
    if (okno_classify_retrain(st, due->pdata[i], NULL, NULL, &err)) {
      (*trained)++;
    } else if (g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER)) {
      okno_log("classify", "event=not_trained model=%s reason=\"%s\"", (char *)due->pdata[i],
               err->message);
    } else {
      g_propagate_error(error, g_steal_pointer(&err));
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- the shared models ---- */

struct OknoModelRef {
  char *name;
  gint64 version;
  OknoClassifier *c;
};

static GMutex models_lock;
static GHashTable *models; /* name -> OknoModelRef (an atomic rc box) */

static void model_clear(gpointer p)
{
  OknoModelRef *m = p;
  g_free(m->name);
  okno_classifier_free(m->c);
}

void okno_model_release(OknoModelRef *m)
{
  if (m)
    g_atomic_rc_box_release_full(m, model_clear);
}

const OknoClassifier *okno_model_classifier(const OknoModelRef *m)
{
  return m->c;
}

OknoModelRef *okno_classify_model(OknoStore *st, const char *name, GError **error)
{
  g_autoptr(GError) err = NULL;
  gint64 version = okno_store_model_version(st, name, &err);
  OknoModelRef *m = NULL;
  if (err) {
    g_propagate_error(error, g_steal_pointer(&err));
    return NULL;
  }
  if (!version)
    return NULL;
  g_mutex_lock(&models_lock);
  if (!models)
    models = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)okno_model_release);
  m = g_hash_table_lookup(models, name);
  if (m && m->version == version)
    m = g_atomic_rc_box_acquire(m);
  else
    m = NULL;
  g_mutex_unlock(&models_lock);
  if (m)
    return m;

  /* Load outside the lock; two threads may both load a new version: the later one wins. */
  gint64 loaded_version = 0;
  g_autoptr(GBytes) blob = okno_store_model_load(st, name, &loaded_version, NULL, error);
  g_autoptr(OknoClassifier) c = NULL;
  if (!blob)
    return NULL;
  if (!(c = okno_classifier_load(blob, error)))
    return NULL;
  m = g_atomic_rc_box_new0(OknoModelRef);
  m->name = g_strdup(name);
  m->version = loaded_version;
  m->c = g_steal_pointer(&c);
  g_mutex_lock(&models_lock);
  g_hash_table_replace(models, m->name, g_atomic_rc_box_acquire(m));
  g_mutex_unlock(&models_lock);
  return m;
}

/* ---- routing and learning ---- */

gboolean okno_classify_route(const OknoConfig *cfg, OknoStore *st, const OknoRouteInput *in,
                             char **department, OknoPrediction **prediction,
                             OknoModelRef **model, GError **error)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoModelRef) m = okno_classify_model(st, OKNO_DEPARTMENT_MODEL, &err);
  g_autofree char *text = NULL;
  *department = NULL;
  *prediction = NULL;
  *model = NULL;
  if (err) {
    /* A damaged model must not stop intake: the appeal goes to triage. */
    if (!g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER)) {
      g_propagate_error(error, g_steal_pointer(&err));
      return FALSE;
    }
    okno_log("classify", "event=model_unusable model=%s error=\"%s\"", OKNO_DEPARTMENT_MODEL,
             err->message);
    return TRUE;
  }
  if (!m)
    return TRUE;
  text = g_strconcat(in->subject ? in->subject : "", "\n", in->text ? in->text : "", NULL);
  *prediction = okno_classifier_predict(m->c, okno_stemmer_thread(), text, 2);
  if ((*prediction)->best.confidence >= cfg->classify_auto_threshold) {
    g_autoptr(OknoDepartment) d = okno_store_department_get(st, (*prediction)->best.label, &err);
    if (err) {
      g_propagate_error(error, g_steal_pointer(&err));
      return FALSE;
    }
    if (d)
      *department = g_strdup(d->code);
  }
  *model = g_steal_pointer(&m);
  return TRUE;
}

gboolean okno_classify_learn(OknoStore *st, gint64 appeal_id, const char *department,
                             GError **error)
{
  if (!department || !*department)
    return TRUE;
  return okno_store_model_corrected(st, appeal_id, OKNO_DEPARTMENT_MODEL, department, error) &&
         okno_store_example_from_appeal(st, OKNO_DEPARTMENT_MODEL, appeal_id, department,
                                        error);
}
