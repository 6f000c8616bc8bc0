/* cmd_classify.c: `okno classify` - the classifier's models from the command line
 * (issue 19, docs/classify.md; text/classify.h, store/classify.h, ops/classify.h).
 *
 *   okno classify train   --config C --model NAME --jsonl FILE|-
 *       lines {"text": "...", "label": "..."}: replaces the model's imported examples
 *       with the file's, trains the model on all its examples (with the operators'),
 *       saves it; prints {"model", "examples", "labels", "seconds"}.
 *   okno classify predict --config C --model NAME --jsonl FILE|-
 *       lines {"text": "..."} -> one line each, in the input's order:
 *       {"label", "confidence", "alternatives": [{"label", "confidence"}], "why": [...]}
 *   okno classify eval    --config C --model NAME --jsonl FILE (--folds K | --test FILE)
 *       stratified K-fold cross-validation over the file's examples, or a model trained
 *       on the file and measured on the --test file's: prints {"examples", "accuracy",
 *       "macro_f1", "classes": {LABEL: {"f1", "support"}}, "seconds"}. Touches nothing in
 *       the store (--model names the figures only).
 *   okno classify retrain --config C [--model NAME]
 *       first takes the staff decisions of the appeals' history the models never got
 *       (ops/classify_history.h), then trains every model (or one) again from its
 *       examples in the store; one line of JSON per model: {"model", "examples",
 *       "labels"}, and for the department and SLA-class models "from_history" (the
 *       examples this run took from the history).
 *   okno classify list --config C
 *       one line of JSON per model: {"model", "version" (0: never trained), "examples"
 *       (its training set), "stored_examples", "trained_at" (Moscow time or null),
 *       "routed" (appeals it routed by itself), "corrected" (of those, moved elsewhere
 *       by staff later), "routing_accuracy" (1 - corrected/routed, null when none)}.
 * A bad line of input is a user error naming the line (exit 1), and nothing changes. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "ops/classify.h"
#include "ops/classify_auto.h"
#include "ops/classify_history.h"
#include "store/classify.h"
#include "store/store.h"

#define INPUT_MAX ((gsize)1 << 30)

static gboolean model_name_valid(const char *name)
{
  if (!name || !*name || strlen(name) > 64)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

/* The JSON lines of `path` ("-": stdin), or NULL with the error printed. */
static GArray *read_examples(const char *path, gboolean labelled, int *code)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) err = NULL;
  GArray *out;
  if (g_strcmp0(path, "-") == 0) {
    GString *s = g_string_new(NULL);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0 && s->len < INPUT_MAX)
      g_string_append_len(s, buf, (gssize)n);
    len = s->len;
    data = g_string_free(s, FALSE);
  } else if (!g_file_get_contents(path, &data, &len, &err)) {
    fprintf(stderr, "okno: %s\n", err->message);
    *code = 1;
    return NULL;
  }
  if (!(out = okno_examples_read_jsonl(data, len, labelled, &err))) {
    fprintf(stderr, "okno: %s: %s\n", g_strcmp0(path, "-") == 0 ? "stdin" : path, err->message);
    *code = 1;
  }
  return out;
}

static void print_json(JsonBuilder *b)
{
  g_autofree char *text = okno_json_text(b, FALSE);
  printf("%s\n", text);
}

static int cmd_train(const OknoConfig *cfg, const char *model, const char *jsonl)
{
  int code = 0;
  g_autoptr(GError) err = NULL;
  GArray *ex = read_examples(jsonl, TRUE, &code);
  g_autoptr(OknoStore) st = NULL;
  gsize n = 0;
  guint labels = 0;
  gint64 t0 = g_get_monotonic_time();
  if (!ex)
    return code;
  /* The file alone must make a model (the check okno_classifier_train makes), so that a
   * refused file changes nothing: the import commits before the training. */
  g_autoptr(GHashTable) distinct = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < ex->len; i++)
    g_hash_table_add(distinct, (gpointer)g_array_index(ex, OknoExample, i).label);
  if (g_hash_table_size(distinct) < 2 || g_hash_table_size(distinct) > OKNO_CLASSIFY_LABELS_MAX) {
    fprintf(stderr, "okno: the examples must have 2 to %d distinct labels, not %u\n",
            OKNO_CLASSIFY_LABELS_MAX, g_hash_table_size(distinct));
    okno_examples_free(ex);
    return 1;
  }
  st = okno_store_open(cfg->store_url, &err);
  if (!st || !okno_store_begin(st, &err)) {
    okno_examples_free(ex);
    return okno_cli_fail(err);
  }
  if (!okno_store_examples_import(st, model, (const OknoExample *)ex->data, ex->len, &err) ||
      !okno_store_commit(st, &err)) {
    okno_store_rollback(st);
    okno_examples_free(ex);
    return okno_cli_fail(err);
  }
  okno_examples_free(ex);
  if (!okno_classify_retrain(st, model, &n, &labels, &err))
    return okno_cli_fail(err);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  okno_json_str(b, "model", model);
  okno_json_int(b, "examples", (gint64)n);
  okno_json_int(b, "labels", labels);
  okno_json_double(b, "seconds", (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
  json_builder_end_object(b);
  print_json(b);
  return 0;
}

static int cmd_predict(const OknoConfig *cfg, const char *model, const char *jsonl)
{
  int code = 0;
  g_autoptr(GError) err = NULL;
  GArray *in = read_examples(jsonl, FALSE, &code);
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(OknoModelRef) m = NULL;
  if (!in)
    return code;
  st = okno_store_open(cfg->store_url, &err);
  if (st)
    m = okno_classify_model(st, model, &err);
  if (!m) {
    okno_examples_free(in);
    if (err)
      return okno_cli_fail(err);
    fprintf(stderr, "okno: there is no model %s: train it first (okno classify train)\n", model);
    return 1;
  }
  for (guint i = 0; i < in->len; i++) {
    const OknoExample *e = &g_array_index(in, OknoExample, i);
    g_autoptr(OknoPrediction) p =
      okno_classifier_predict(okno_model_classifier(m), okno_stemmer_thread(), e->text, 2);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    okno_json_str(b, "label", p->best.label);
    okno_json_double(b, "confidence", p->best.confidence);
    json_builder_set_member_name(b, "alternatives");
    json_builder_begin_array(b);
    for (guint a = 0; a < p->alternatives->len; a++) {
      const OknoLabelScore *s = &g_array_index(p->alternatives, OknoLabelScore, a);
      json_builder_begin_object(b);
      okno_json_str(b, "label", s->label);
      okno_json_double(b, "confidence", s->confidence);
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "why");
    json_builder_begin_array(b);
    for (char **w = p->why; *w; w++)
      json_builder_add_string_value(b, *w);
    json_builder_end_array(b);
    json_builder_end_object(b);
    print_json(b);
  }
  okno_examples_free(in);
  return 0;
}

static int cmd_eval(const char *model, const char *jsonl, int folds, const char *test)
{
  int code = 0;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoEvalResult) r = NULL;
  GArray *ex, *held = NULL;
  gint64 t0 = g_get_monotonic_time();
  if ((folds > 0) == (test != NULL)) {
    fprintf(stderr, "okno: classify eval takes one of --folds K or --test FILE\n");
    return 1;
  }
  if (!(ex = read_examples(jsonl, TRUE, &code)))
    return code;
  if (test && !(held = read_examples(test, TRUE, &code))) {
    okno_examples_free(ex);
    return code;
  }
  if (held) {
    g_autoptr(OknoClassifier) c =
      okno_classifier_train((const OknoExample *)ex->data, ex->len, NULL, &err);
    if (c) {
      g_autofree const char **pred = g_new0(const char *, held->len + 1);
      g_autofree const char **truth = g_new0(const char *, held->len + 1);
      for (guint i = 0; i < held->len; i++) {
        const OknoExample *e = &g_array_index(held, OknoExample, i);
        pred[i] = okno_classifier_label(
          c, okno_classifier_best(c, okno_stemmer_thread(), e->text, NULL));
        truth[i] = e->label;
      }
      r = okno_eval_score(pred, truth, held->len);
    }
  } else {
    r = okno_classifier_cross_validate((const OknoExample *)ex->data, ex->len, (guint)folds,
                                       NULL, &err);
  }
  okno_examples_free(ex);
  okno_examples_free(held);
  if (!r)
    return okno_cli_fail(err);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  okno_json_str(b, "model", model);
  okno_json_int(b, "examples", (gint64)r->n);
  okno_json_double(b, "accuracy", r->accuracy);
  okno_json_double(b, "macro_f1", r->macro_f1);
  json_builder_set_member_name(b, "classes");
  json_builder_begin_object(b);
  for (guint j = 0; j < r->labels->len; j++) {
    json_builder_set_member_name(b, r->labels->pdata[j]);
    json_builder_begin_object(b);
    okno_json_double(b, "f1", g_array_index(r->f1, double, j));
    okno_json_int(b, "support", g_array_index(r->support, guint, j));
    json_builder_end_object(b);
  }
  json_builder_end_object(b);
  okno_json_double(b, "seconds", (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC);
  json_builder_end_object(b);
  print_json(b);
  return 0;
}

static int cmd_retrain(const OknoConfig *cfg, const char *only)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = okno_store_open(cfg->store_url, &err);
  g_autoptr(GPtrArray) names = NULL;
  guint from_dept = 0, from_sla = 0;
  /* the staff decisions of the history first (ops/classify_history.h) */
  if (!st || !okno_classify_from_history(st, &from_dept, &from_sla, &err) ||
      !(names = okno_store_model_names(st, &err)))
    return okno_cli_fail(err);
  if (only && !g_ptr_array_find_with_equal_func(names, only, g_str_equal, NULL)) {
    fprintf(stderr, "okno: there is no model %s\n", only);
    return 1;
  }
  for (guint i = 0; i < names->len; i++) {
    const char *name = names->pdata[i];
    gsize n = 0;
    guint labels = 0;
    if (only && g_strcmp0(only, name) != 0)
      continue;
    if (!okno_classify_retrain(st, name, &n, &labels, &err))
      return okno_cli_fail(err);
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    okno_json_str(b, "model", name);
    okno_json_int(b, "examples", (gint64)n);
    okno_json_int(b, "labels", labels);
    if (g_str_equal(name, OKNO_DEPARTMENT_MODEL) || g_str_equal(name, OKNO_SLA_CLASS_MODEL))
      okno_json_int(b, "from_history",
                    g_str_equal(name, OKNO_DEPARTMENT_MODEL) ? from_dept : from_sla);
    json_builder_end_object(b);
    print_json(b);
  }
  return 0;
}

static int cmd_list(const OknoConfig *cfg)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = okno_store_open(cfg->store_url, &err);
  g_autoptr(GPtrArray) models = NULL;
  if (!st || !(models = okno_store_model_list(st, &err)))
    return okno_cli_fail(err);
  for (guint i = 0; i < models->len; i++) {
    const OknoModelInfo *m = models->pdata[i];
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *at = m->trained_at ? okno_time_format_msk(m->trained_at) : NULL;
    json_builder_begin_object(b);
    okno_json_str(b, "model", m->name);
    okno_json_int(b, "version", m->version);
    okno_json_int(b, "examples", m->examples);
    okno_json_int(b, "stored_examples", m->stored);
    okno_json_int(b, "routed", m->routed);
    okno_json_int(b, "corrected", m->corrected);
    json_builder_set_member_name(b, "routing_accuracy");
    if (m->routed)
      okno_json_double(b, NULL, 1.0 - (double)m->corrected / (double)m->routed);
    else
      json_builder_add_null_value(b);
    json_builder_set_member_name(b, "trained_at");
    if (at)
      json_builder_add_string_value(b, at);
    else
      json_builder_add_null_value(b);
    json_builder_end_object(b);
    print_json(b);
  }
  return 0;
}

int okno_cmd_classify(int argc, char **argv)
{
  g_autofree char *model = NULL, *jsonl = NULL, *test = NULL;
  int folds = 0, code = 0;
  const GOptionEntry extra[] = {
    {"model", 0, 0, G_OPTION_ARG_STRING, &model, "the model's name (e.g. department)", "NAME"},
    {"jsonl", 0, 0, G_OPTION_ARG_FILENAME, &jsonl, "JSON lines to read (- for stdin)", "FILE"},
    {"folds", 0, 0, G_OPTION_ARG_INT, &folds, "eval: cross-validation parts", "K"},
    {"test", 0, 0, G_OPTION_ARG_FILENAME, &test, "eval: held-out JSON lines", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(OknoConfig) cfg = okno_cli_setup(
    &argc, &argv, "train|predict|eval|retrain - the classifier's models", extra, &code);
  const char *sub = argc >= 2 ? argv[1] : "";
  if (!cfg)
    return code;
  if (argc != 2) {
    fprintf(stderr, "okno: classify takes one of train, predict, eval, retrain, list, e.g. "
                    "okno classify train --config okno.ini --model department --jsonl examples.jsonl\n");
    return 1;
  }
  if (model && !model_name_valid(model)) {
    fprintf(stderr, "okno: --model must be 1 to 64 of a-z, A-Z, 0-9, '-' and '_'\n");
    return 1;
  }
  if (g_str_equal(sub, "retrain"))
    return cmd_retrain(cfg, model);
  if (g_str_equal(sub, "list"))
    return cmd_list(cfg);
  if (!model || !jsonl) {
    fprintf(stderr, "okno: classify %s needs --model NAME and --jsonl FILE\n", sub);
    return 1;
  }
  if (g_str_equal(sub, "train"))
    return cmd_train(cfg, model, jsonl);
  if (g_str_equal(sub, "predict"))
    return cmd_predict(cfg, model, jsonl);
  if (g_str_equal(sub, "eval"))
    return cmd_eval(model, jsonl, folds, test);
  fprintf(stderr, "okno: classify takes one of train, predict, eval, retrain, list, not %s\n", sub);
  return 1;
}
