/* console.c (store): the operator console's own records (src/web/console.c): answer
 * templates per department. Portable SQL over db.h; the contract is in console.h. */
#include "store/console.h"

#include "core/clock.h"
#include "core/error.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

gboolean okno_store_template_add(OknoStore *st, OknoAnswerTemplate *t, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "INSERT INTO answer_templates(department, name, body, created_at) "
      "VALUES($1, $2, $3, $4) ON CONFLICT (department, name) DO NOTHING RETURNING id",
      OKNO_PARAMS(T(t->department), T(t->name), T(t->body), OKNO_INT(okno_now())), error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "Шаблон с таким названием в этом отделе уже есть.");
    return FALSE;
  }
  t->id = okno_rows_int(r, 0, 0);
  return TRUE;
}

static const OknoField template_fields[] = {
  OKNO_FIELD(OknoAnswerTemplate, id, "id", OKNO_F_INT),
  OKNO_FIELD(OknoAnswerTemplate, department, "department", OKNO_F_TEXT),
  OKNO_FIELD(OknoAnswerTemplate, name, "name", OKNO_F_TEXT),
  OKNO_FIELD(OknoAnswerTemplate, body, "body", OKNO_F_TEXT),
};
static const OknoRecordType template_type =
    OKNO_RECORD_TYPE(OknoAnswerTemplate, template_fields, okno_answer_template_free);

void okno_answer_template_free(OknoAnswerTemplate *a)
{
  okno_record_free(&template_type, a);
}

GPtrArray *okno_store_template_list(OknoStore *st, const char *const *departments,
                                    GError **error)
{
  static gsize sql;
  GPtrArray *out = okno_db_records(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &template_type,
                      " FROM answer_templates ORDER BY department, name"),
      OKNO_NO_PARAMS, &template_type, error);
  for (guint i = 0; out && departments && i < out->len;) {
    const OknoAnswerTemplate *t = out->pdata[i];
    if (g_strv_contains(departments, t->department))
      i++;
    else
      g_ptr_array_remove_index(out, i);
  }
  return out;
}

OknoAnswerTemplate *okno_store_template_get(OknoStore *st, gint64 id, GError **error)
{
  static gsize sql;
  return okno_db_record(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &template_type,
                      " FROM answer_templates WHERE id = $1"),
      OKNO_PARAMS(OKNO_INT(id)), &template_type, error);
}

gboolean okno_store_template_remove(OknoStore *st, gint64 id, GError **error)
{
  return okno_db_exec(okno_store_db(st), "DELETE FROM answer_templates WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id)), error);
}

