/* classify_auto.c (ops): the category and SLA-class models set, suggest and learn
 * (see classify_auto.h; docs/classify.md "Category and SLA class"). */
#include "ops/classify_auto.h"

#include <math.h>
#include <string.h>

#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "ops/classify.h"
#include "store/appeals.h"
#include "store/classify.h"
#include "store/events.h"

#define CATEGORY_MAX 200
#define SUGGESTIONS 3

/* A label `model` may set: any category; an SLA class okno_sla_class_parse takes, but
 * not "formal" (the kind gives it). */
static gboolean usable(const char *model, const char *label, OknoSlaClass *cls)
{
  if (strcmp(model, OKNO_SLA_CLASS_MODEL) == 0)
    return okno_sla_class_parse(label, cls) && *cls != OKNO_SLA_FORMAL;
  return label && *label;
}

static void add_double(JsonBuilder *b, const char *name, double x)
{
  okno_json_double(b, name, round(x * 1000) / 1000);
}

/* The event of a model's prediction: decided (the value set) or only suggestions. */
static char *prediction_detail(const char *model, const OknoPrediction *p, gboolean decided)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  OknoSlaClass cls;
  json_builder_begin_object(b);
  okno_json_str(b, "model", model);
  if (decided)
    okno_json_str(b, "value", p->best.label);
  add_double(b, "confidence", p->best.confidence);
  json_builder_set_member_name(b, "why");
  json_builder_begin_array(b);
  for (char **w = p->why; w && *w; w++)
    json_builder_add_string_value(b, *w);
  json_builder_end_array(b);
  if (!decided) {
    json_builder_set_member_name(b, "suggestions");
    json_builder_begin_array(b);
    for (guint i = 0, n = 0; i <= p->alternatives->len && n < SUGGESTIONS; i++) {
      const OknoLabelScore *s =
          i == 0 ? &p->best : &g_array_index(p->alternatives, OknoLabelScore, i - 1);
      if (!usable(model, s->label, &cls))
        continue;
      json_builder_begin_object(b);
      okno_json_str(b, "value", s->label);
      add_double(b, "confidence", s->confidence);
      json_builder_end_object(b);
      n++;
    }
    json_builder_end_array(b);
  }
  json_builder_end_object(b);
  return okno_json_text(b, FALSE);
}

/* One model's turn at registration. */
static gboolean classify_one(const OknoSlaEnv *env, OknoStore *st, OknoAppeal *a,
                             const char *model, const char *text, gint64 start, GError **error)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoModelRef) m = okno_classify_model(st, model, &err);
  g_autoptr(OknoPrediction) p = NULL;
  g_autofree char *detail = NULL, *kind = NULL;
  OknoSlaClass cls = OKNO_SLA_NONE;
  gboolean decided;
  if (err) {
    if (!g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER)) {
      g_propagate_error(error, g_steal_pointer(&err));
      return FALSE;
    }
    okno_log("classify", "event=model_unusable model=%s error=\"%s\"", model, err->message);
    return TRUE;
  }
  if (!m)
    return TRUE;
  p = okno_classifier_predict(okno_model_classifier(m), okno_stemmer_thread(), text, 4);
  decided = p->best.confidence >= env->cfg->classify_auto_threshold &&
            usable(model, p->best.label, &cls);
  detail = prediction_detail(model, p, decided);
  kind = g_strconcat(model, decided ? "_classified" : "_suggested", NULL);
  if (decided) {
    if (strcmp(model, OKNO_CATEGORY_MODEL) == 0) {
      if (!okno_store_appeal_set_category(st, a->id, 0, p->best.label, &a->version, error))
        return FALSE;
      g_free(a->category);
      a->category = g_strdup(p->best.label);
    } else if (cls != a->sla_class) {
      a->sla_class = cls;
      if (a->deadline ? !okno_ops_start_clock(env, st, a, start, "classified by the model", error)
                      : !okno_store_appeal_update(st, a, error))
        return FALSE;
    }
    if (!okno_store_model_routed(st, a->id, model, p->best.label, error))
      return FALSE;
  }
  okno_log("classify", "event=%s appeal=%s model=%s confidence=%.3f", kind, a->number, model,
           p->best.confidence);
  return okno_store_event_add(st, a->id, kind, detail, error);
}

gboolean okno_classify_appeal(const OknoSlaEnv *env, OknoStore *st, OknoAppeal *a,
                              const char *text, gint64 start, GError **error)
{
  g_autofree char *all = g_strconcat(a->subject ? a->subject : "", "\n", text ? text : "", NULL);
  if (!env || !env->cfg)
    return TRUE;
  if (!*a->category && !classify_one(env, st, a, OKNO_CATEGORY_MODEL, all, start, error))
    return FALSE;
  if (a->kind != OKNO_KIND_FORMAL &&
      !classify_one(env, st, a, OKNO_SLA_CLASS_MODEL, all, start, error))
    return FALSE;
  return TRUE;
}

/* A staff decision for `model` on appeal `id`: an example, and the model's own
 * decision corrected when it was another. */
static gboolean learn(OknoStore *st, gint64 id, const char *model, const char *label,
                      GError **error)
{
  return okno_store_model_corrected(st, id, model, label, error) &&
         okno_store_example_from_appeal(st, model, id, label, error);
}

static char *change_detail(const char *from, const char *to, const char *by)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  if (*from)
    okno_json_str(b, "from", from);
  okno_json_str(b, "to", to);
  okno_json_str(b, "by", by);
  json_builder_end_object(b);
  return okno_json_text(b, FALSE);
}

/* Staff confirmed the value the appeal has: an example like a change, nothing else
 * changes (the version stays). */
static gboolean confirm(OknoStore *st, const OknoAppeal *a, const char *model,
                        const char *value, const char *actor, gint64 *new_version,
                        GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *detail = NULL;
  json_builder_begin_object(b);
  okno_json_str(b, "value", value);
  okno_json_str(b, "by", actor);
  json_builder_end_object(b);
  detail = okno_json_text(b, FALSE);
  if (new_version)
    *new_version = a->version;
  return learn(st, a->id, model, value, error) &&
         okno_store_event_add(st, a->id,
                              strcmp(model, OKNO_CATEGORY_MODEL) == 0 ? "category_confirmed"
                                                                      : "sla_class_confirmed",
                              detail, error);
}

gboolean okno_classify_set(const OknoSlaEnv *env, OknoStore *st, const char *number,
                           gint64 version, const char *field, const char *value,
                           const char *actor, gint64 *new_version, GError **error)
{
  g_autoptr(OknoAppeal) a = okno_store_appeal_get(st, number, error);
  g_autofree char *v = g_strstrip(g_strdup(value ? value : ""));
  g_autofree char *detail = NULL, *from = NULL;
  const gboolean category = g_strcmp0(field, "category") == 0;
  OknoSlaClass cls = OKNO_SLA_NONE;
  if (!a) {
    if (error && !*error)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Нет обращения № %s.", number);
    return FALSE;
  }
  if (version && a->version != version) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    return FALSE;
  }
  if (!category && g_strcmp0(field, "sla_class") != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Выберите, что изменить: категорию или класс срока.");
    return FALSE;
  }
  if (category) {
    gboolean bad = !*v || strlen(v) > CATEGORY_MAX || !g_utf8_validate(v, -1, NULL);
    for (const char *c = v; !bad && *c; c++)
      bad = (unsigned char)*c < 0x20;
    if (bad) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "Укажите категорию: одна строка, не длиннее %d байт.", CATEGORY_MAX);
      return FALSE;
    }
    if (strcmp(v, a->category) == 0)
      return confirm(st, a, OKNO_CATEGORY_MODEL, v, actor, new_version, error);
    from = g_strdup(a->category);
    if (!okno_store_appeal_set_category(st, a->id, a->version, v, new_version, error))
      return FALSE;
  } else {
    if (!okno_sla_class_parse(v, &cls) || cls == OKNO_SLA_FORMAL) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Выберите класс срока из списка.");
      return FALSE;
    }
    if (a->kind == OKNO_KIND_FORMAL) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "Срок официального обращения установлен законом: класс срока не меняется.");
      return FALSE;
    }
    if (cls == a->sla_class)
      return confirm(st, a, OKNO_SLA_CLASS_MODEL, v, actor, new_version, error);
    from = g_strdup(okno_sla_class_name(a->sla_class));
    a->sla_class = cls;
    if (a->deadline ? !okno_ops_start_clock(env, st, a, a->received_at, "SLA class changed by staff", error)
                    : !okno_store_appeal_update(st, a, error))
      return FALSE;
    if (new_version)
      *new_version = a->version;
  }
  detail = change_detail(from, v, actor);
  okno_log("classify", "event=%s_changed appeal=%s", category ? "category" : "sla_class",
           a->number);
  return learn(st, a->id, category ? OKNO_CATEGORY_MODEL : OKNO_SLA_CLASS_MODEL, v, error) &&
         okno_store_event_add(st, a->id, category ? "category_changed" : "sla_class_changed",
                              detail, error);
}

gboolean okno_classify_learn_merge(OknoStore *st, gint64 dup_id, const OknoAppeal *target,
                                   GError **error)
{
  OknoSlaClass cls;
  const char *sla = okno_sla_class_name(target->sla_class);
  return (!*target->department ||
          learn(st, dup_id, OKNO_DEPARTMENT_MODEL, target->department, error)) &&
         (!*target->category || learn(st, dup_id, OKNO_CATEGORY_MODEL, target->category, error)) &&
         (!usable(OKNO_SLA_CLASS_MODEL, sla, &cls) ||
          learn(st, dup_id, OKNO_SLA_CLASS_MODEL, sla, error));
}

double okno_classify_accuracy(gint64 routed, gint64 corrected)
{
  if (routed <= 0)
    return -1;
  return (double)(routed - CLAMP(corrected, 0, routed)) / (double)routed;
}
