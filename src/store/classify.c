/* classify.c (store): models and training examples (see classify.h; docs/classify.md).
 * Portable SQL over db.h; transactions belong to the callers. */
#include "store/classify.h"

#include "core/clock.h"
#include "core/error.h"
#include "store/appeal_row.h"
#include "store/appeals.h"
#include "store/db.h"
#include "store/journal.h"
#include "store/keys.h"

gboolean okno_store_model_save(OknoStore *st, const char *name, GBytes *model,
                               gint64 examples, gint64 last_example, GError **error)
{
  gsize len = 0;
  const void *data = g_bytes_get_data(model, &len);
  okno_store_memo_forget(st); /* the version remembered in the transaction */
  return okno_db_exec(
      okno_store_db(st),
      "INSERT INTO classify_models(name, model, version, examples, last_example, trained_at) "
      "VALUES($1, $2, 1, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET model = excluded.model, "
      "version = classify_models.version + 1, examples = excluded.examples, "
      "last_example = excluded.last_example, trained_at = excluded.trained_at",
      OKNO_PARAMS(OKNO_TEXT(name), OKNO_BLOB(data, len), OKNO_INT(examples),
                  OKNO_INT(last_example), OKNO_INT(okno_now())),
      error);
}

GBytes *okno_store_model_load(OknoStore *st, const char *name, gint64 *version,
                              gint64 *trained_at, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT model, version, trained_at FROM classify_models WHERE name = $1",
      OKNO_PARAMS(OKNO_TEXT(name)), error);
  if (!r || !okno_rows_count(r))
    return NULL;
  if (version)
    *version = okno_rows_int(r, 0, 1);
  if (trained_at)
    *trained_at = okno_rows_int(r, 0, 2);
  return okno_rows_blob(r, 0, 0);
}

gint64 okno_store_model_version(OknoStore *st, const char *name, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  g_autofree char *key = g_strconcat("model_version:", name, NULL);
  const char *memo = okno_store_memo_get(st, key); /* once per transaction */
  gint64 version;
  if (memo)
    return g_ascii_strtoll(memo, NULL, 10);
  r = okno_db_query(okno_store_db(st), "SELECT version FROM classify_models WHERE name = $1",
                    OKNO_PARAMS(OKNO_TEXT(name)), error);
  if (!r)
    return 0;
  version = okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
  {
    char text[G_ASCII_DTOSTR_BUF_SIZE];
    g_snprintf(text, sizeof text, "%" G_GINT64_FORMAT, version);
    okno_store_memo_set(st, key, text);
  }
  return version;
}

static GPtrArray *names_of(OknoRows *r);

GPtrArray *okno_store_model_names(OknoStore *st, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT name FROM classify_models UNION SELECT DISTINCT model FROM classify_examples "
      "ORDER BY 1",
      OKNO_NO_PARAMS, error);
  return names_of(r);
}

gboolean okno_store_examples_import(OknoStore *st, const char *model,
                                    const OknoExample *examples, gsize n, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gint64 key_id = 0, now = okno_now();
  /* The previous import's key goes with its rows. */
  if (!okno_db_exec(db,
                    "DELETE FROM data_keys WHERE id IN (SELECT DISTINCT key_id FROM "
                    "classify_examples WHERE model = $1 AND source = 'import' AND key_id <> 0)",
                    OKNO_PARAMS(OKNO_TEXT(model)), error) ||
      !okno_db_exec(db, "DELETE FROM classify_examples WHERE model = $1 AND source = 'import'",
                    OKNO_PARAMS(OKNO_TEXT(model)), error))
    return FALSE;
  if (okno_store_vault() && !okno_store_key_new(st, &key_id, error))
    return FALSE;
  for (gsize i = 0; i < n; i++) {
    g_autofree char *sealed = okno_store_seal_text(st, key_id, examples[i].text, error);
    if (!sealed ||
        !okno_db_exec(db,
                      "INSERT INTO classify_examples(model, source, appeal_id, key_id, text, "
                      "label, created_at) VALUES($1, 'import', 0, $2, $3, $4, $5)",
                      OKNO_PARAMS(OKNO_TEXT(model), OKNO_INT(key_id), OKNO_TEXT(sealed),
                                  OKNO_TEXT(examples[i].label), OKNO_INT(now)),
                      error))
      return FALSE;
  }
  return TRUE;
}

gboolean okno_store_example_from_appeal(OknoStore *st, const char *model, gint64 appeal_id,
                                        const char *label, GError **error)
{
  OknoDb *db = okno_store_db(st);
  return okno_db_exec(db,
                      "DELETE FROM classify_examples WHERE model = $1 AND source = 'operator' "
                      "AND appeal_id = $2",
                      OKNO_PARAMS(OKNO_TEXT(model), OKNO_INT(appeal_id)), error) &&
         okno_db_exec(db,
                      "INSERT INTO classify_examples(model, source, appeal_id, key_id, text, "
                      "label, created_at) VALUES($1, 'operator', $2, 0, '', $3, $4)",
                      OKNO_PARAMS(OKNO_TEXT(model), OKNO_INT(appeal_id), OKNO_TEXT(label),
                                  OKNO_INT(okno_now())),
                      error);
}

GArray *okno_store_examples_missing(OknoStore *st, const char *model, const char *kind,
                                    GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT DISTINCT e.appeal_id FROM events e WHERE e.kind = $2 AND NOT EXISTS"
      " (SELECT 1 FROM classify_examples x WHERE x.model = $1 AND x.source = 'operator'"
      "  AND x.appeal_id = e.appeal_id) ORDER BY e.appeal_id",
      OKNO_PARAMS(OKNO_TEXT(model), OKNO_TEXT(kind)), error);
  return okno_rows_ints(r, 0);
}

void okno_stored_example_free(OknoStoredExample *e)
{
  if (!e)
    return;
  g_free(e->text);
  g_free(e->label);
  g_free(e->source);
  g_free(e);
}

GPtrArray *okno_store_examples(OknoStore *st, const char *model, gint64 *last_id,
                               GError **error)
{
  /* An operator example's text is the appeal's subject and its first incoming message
   * (two columns: sealed values open only whole, never inside an expression). */
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT e.text, '', e.label, e.source, 0, e.id FROM classify_examples e"
      " WHERE e.model = $1 AND e.source = 'import'"
      " UNION ALL"
      " SELECT a.subject, COALESCE((SELECT m.text FROM messages m WHERE m.appeal_id = a.id"
      "   AND m.direction = 'in' ORDER BY m.id LIMIT 1), ''), e.label, e.source, 1, e.id"
      " FROM classify_examples e JOIN appeals a ON a.id = e.appeal_id"
      " WHERE e.model = $1 AND e.source = 'operator' ORDER BY 5, 6",
      OKNO_PARAMS(OKNO_TEXT(model)), error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_stored_example_free);
  if (last_id)
    *last_id = 0;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    if (last_id)
      *last_id = MAX(*last_id, okno_rows_int(r, i, 5));
    const char *a = okno_rows_text(r, i, 0), *b = okno_rows_text(r, i, 1);
    OknoStoredExample *e;
    if (!*a && !*b)
      continue; /* purged or shredded */
    e = g_new0(OknoStoredExample, 1);
    e->text = *b ? g_strconcat(a, "\n", b, NULL) : g_strdup(a);
    e->label = g_strdup(okno_rows_text(r, i, 2));
    e->source = g_strdup(okno_rows_text(r, i, 3));
    g_ptr_array_add(out, e);
  }
  return out;
}

static GPtrArray *names_of(OknoRows *r)
{
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < okno_rows_count(r); i++)
    g_ptr_array_add(out, g_strdup(okno_rows_text(r, i, 0)));
  return out;
}

GPtrArray *okno_store_models_due(OknoStore *st, gint64 now, gint64 interval,
                                 const char format[8], GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT e.model FROM classify_examples e LEFT JOIN classify_models m ON m.name = e.model"
      " GROUP BY e.model, m.last_example, m.trained_at"
      " HAVING MAX(e.id) > COALESCE(m.last_example, 0) AND COALESCE(m.trained_at, 0) <= $1"
      " UNION SELECT name FROM classify_models WHERE substr(model, 1, 8) <> $2"
      " ORDER BY 1",
      OKNO_PARAMS(OKNO_INT(now - interval), OKNO_BLOB(format, 8)), error);
  return names_of(r);
}

static const OknoField info_fields[] = {
  OKNO_FIELD(OknoModelInfo, name, "n.name", OKNO_F_TEXT),
  OKNO_FIELD(OknoModelInfo, version, "COALESCE(m.version, 0)", OKNO_F_INT),
  OKNO_FIELD(OknoModelInfo, examples, "COALESCE(m.examples, 0)", OKNO_F_INT),
  OKNO_FIELD(OknoModelInfo, stored,
             "(SELECT COUNT(*) FROM classify_examples e WHERE e.model = n.name)", OKNO_F_INT),
  OKNO_FIELD(OknoModelInfo, trained_at, "COALESCE(m.trained_at, 0)", OKNO_F_INT),
  OKNO_FIELD(OknoModelInfo, routed,
             "(SELECT COUNT(*) FROM classify_routes r WHERE r.model = n.name)", OKNO_F_INT),
  OKNO_FIELD(OknoModelInfo, corrected,
             "(SELECT COUNT(*) FROM classify_routes r WHERE r.model = n.name AND r.corrected = 1)",
             OKNO_F_INT),
};
static const OknoRecordType info_type =
    OKNO_RECORD_TYPE(OknoModelInfo, info_fields, okno_model_info_free);

void okno_model_info_free(OknoModelInfo *m)
{
  okno_record_free(&info_type, m);
}

GPtrArray *okno_store_model_list(OknoStore *st, GError **error)
{
  static gsize sql;
  return okno_db_records(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &info_type,
                      " FROM (SELECT name FROM classify_models UNION SELECT model FROM"
                      " classify_examples) n LEFT JOIN classify_models m ON m.name = n.name"
                      " ORDER BY n.name"),
      OKNO_NO_PARAMS, &info_type, error);
}

gboolean okno_store_model_routed(OknoStore *st, gint64 appeal_id, const char *model,
                                 const char *label, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO classify_routes(appeal_id, model, label, at) VALUES($1, $2, $3, $4)",
                      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_TEXT(model), OKNO_TEXT(label),
                                  OKNO_INT(okno_now())),
                      error);
}

gboolean okno_store_model_corrected(OknoStore *st, gint64 appeal_id, const char *model,
                                    const char *label, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE classify_routes SET corrected = 1 WHERE appeal_id = $1"
                      " AND model = $2 AND label <> $3",
                      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_TEXT(model), OKNO_TEXT(label)),
                      error);
}

static const OknoField accuracy_fields[] = {
  OKNO_FIELD(OknoModelAccuracy, model, "model", OKNO_F_TEXT),
  OKNO_FIELD(OknoModelAccuracy, routed, "COUNT(*)", OKNO_F_INT),
  OKNO_FIELD(OknoModelAccuracy, corrected, "COALESCE(SUM(corrected), 0)", OKNO_F_INT),
};
static const OknoRecordType accuracy_type =
    OKNO_RECORD_TYPE(OknoModelAccuracy, accuracy_fields, okno_model_accuracy_free);

void okno_model_accuracy_free(OknoModelAccuracy *m)
{
  okno_record_free(&accuracy_type, m);
}

GPtrArray *okno_store_models_accuracy(OknoStore *st, gint64 from, gint64 to, GError **error)
{
  static gsize sql;
  return okno_db_records(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &accuracy_type,
                      " FROM classify_routes WHERE at >= $1 AND at < $2 GROUP BY model"
                      " ORDER BY model"),
      OKNO_PARAMS(OKNO_INT(from), OKNO_INT(to)), &accuracy_type, error);
}

gboolean okno_store_model_accuracy(OknoStore *st, const char *model, gint64 since,
                                   gint64 *routed, gint64 *corrected, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT COUNT(*), COALESCE(SUM(corrected), 0) FROM classify_routes WHERE model = $1 AND at >= $2",
      OKNO_PARAMS(OKNO_TEXT(model), OKNO_INT(since)), error);
  if (!r)
    return FALSE;
  *routed = okno_rows_int(r, 0, 0);
  *corrected = okno_rows_int(r, 0, 1);
  return TRUE;
}

gboolean okno_store_appeal_set_category(OknoStore *st, gint64 appeal_id, gint64 version,
                                        const char *category, gint64 *new_version,
                                        GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE appeals SET category = $3, version = version + 1, updated_at = $4"
      " WHERE id = $1 AND ($2 = 0 OR version = $2) RETURNING version",
      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(version), OKNO_TEXT(category),
                  OKNO_INT(okno_now())),
      error);
  if (!okno_store_versioned(r, new_version, error))
    return FALSE;
  /* the category is in the appeal's journal entry when it changes (docs/journal.md) */
  return okno_store_journal_appeal_id(st, appeal_id, error);
}
