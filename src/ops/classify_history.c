/* classify_history.c (ops): examples from the staff decisions in the appeals' history
 * (see classify_history.h). */
#include "ops/classify_history.h"

#include <json-glib/json-glib.h>

#include "appeal/appeal.h"
#include "ops/classify.h"
#include "ops/classify_auto.h"
#include "store/classify.h"
#include "store/events.h"

/* The string member `member` of the JSON object `json` ("" when absent or not one). */
static char *member_of(const char *json, const char *member)
{
  g_autoptr(JsonParser) p = json_parser_new();
  JsonNode *root;
  JsonObject *o;
  if (!json || !json_parser_load_from_data(p, json, -1, NULL))
    return g_strdup("");
  root = json_parser_get_root(p);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root))
    return g_strdup("");
  o = json_node_get_object(root);
  if (!json_object_has_member(o, member) ||
      json_node_get_value_type(json_object_get_member(o, member)) != G_TYPE_STRING)
    return g_strdup("");
  return g_strdup(json_object_get_string_member(o, member));
}

static gboolean sla_label_ok(const char *label)
{
  OknoSlaClass c;
  return okno_sla_class_parse(label, &c) && c != OKNO_SLA_FORMAL;
}

/* For each appeal with an event `kind` and no operator example of `model`: the latest
 * such event's `member` as its example, when `ok` takes it. */
static gboolean take(OknoStore *st, const char *model, const char *kind, const char *member,
                     gboolean (*ok)(const char *), guint *added, GError **error)
{
  g_autoptr(GArray) ids = okno_store_examples_missing(st, model, kind, error);
  *added = 0;
  if (!ids)
    return FALSE;
  for (guint i = 0; i < ids->len; i++) {
    gint64 id = g_array_index(ids, gint64, i);
    GError *err = NULL;
    g_autofree char *detail = okno_store_event_last(st, id, kind, &err);
    g_autofree char *label = NULL;
    if (err) {
      g_propagate_error(error, err);
      return FALSE;
    }
    label = member_of(detail, member);
    if (!*label || (ok && !ok(label)))
      continue; /* shredded, or not a value the model takes */
    if (!okno_store_model_corrected(st, id, model, label, error) ||
        !okno_store_example_from_appeal(st, model, id, label, error))
      return FALSE;
    (*added)++;
  }
  return TRUE;
}

gboolean okno_classify_from_history(OknoStore *st, guint *department, guint *sla_class,
                                    GError **error)
{
  guint d = 0, s = 0;
  if (!okno_store_begin(st, error))
    return FALSE;
  if (!take(st, OKNO_DEPARTMENT_MODEL, "transferred", "to", NULL, &d, error) ||
      !take(st, OKNO_SLA_CLASS_MODEL, "priority_confirmed", "class", sla_label_ok, &s, error) ||
      !okno_store_commit(st, error)) {
    okno_store_rollback(st);
    return FALSE;
  }
  if (department)
    *department = d;
  if (sla_class)
    *sla_class = s;
  return TRUE;
}
