/* phish.c: phishing reports and the block list (see phish.h; docs/phishing.md).
 * Portable SQL over db.h; transactions belong to the callers. */
#include "store/phish.h"

#include "core/clock.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

gboolean okno_store_phish_report(OknoStore *st, const char *kind, const char *value,
                                 const char *reporter, const char *source, gboolean block,
                                 GError **error)
{
  gint64 now = okno_now();
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "INSERT INTO phishing_list(kind, value, blocked, reports, reported_by, source, "
      "created_at, updated_at) VALUES($1, $2, $3, 1, $4, $5, $6, $6) "
      "ON CONFLICT (kind, value) DO UPDATE SET reports = phishing_list.reports + 1, "
      "blocked = CASE WHEN excluded.blocked = 1 THEN 1 ELSE phishing_list.blocked END, "
      "updated_at = excluded.updated_at RETURNING id",
      OKNO_PARAMS(T(kind), T(value), OKNO_INT(block ? 1 : 0), T(reporter), T(source),
                  OKNO_INT(now)),
      error);
  if (!r)
    return FALSE;
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO phishing_reports(entry_id, reporter, source, action, at) "
                      "VALUES($1, $2, $3, $4, $5)",
                      OKNO_PARAMS(OKNO_INT(okno_rows_int(r, 0, 0)), T(reporter), T(source),
                                  OKNO_TEXT(block ? "block" : "report"), OKNO_INT(now)),
                      error);
}

gboolean okno_store_phish_unblock(OknoStore *st, const char *kind, const char *value,
                                  const char *by, gboolean *found, GError **error)
{
  gint64 now = okno_now();
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE phishing_list SET blocked = 0, updated_at = $3 WHERE kind = $1 AND value = $2 "
      "RETURNING id",
      OKNO_PARAMS(T(kind), T(value), OKNO_INT(now)), error);
  if (!r)
    return FALSE;
  *found = okno_rows_count(r) > 0;
  if (!*found)
    return TRUE;
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO phishing_reports(entry_id, reporter, source, action, at) "
                      "VALUES($1, $2, 'operator', 'unblock', $3)",
                      OKNO_PARAMS(OKNO_INT(okno_rows_int(r, 0, 0)), T(by), OKNO_INT(now)),
                      error);
}

static const OknoField phish_fields[] = {
  OKNO_FIELD(OknoPhishEntry, id, "id", OKNO_F_INT),
  OKNO_FIELD(OknoPhishEntry, kind, "kind", OKNO_F_TEXT),
  OKNO_FIELD(OknoPhishEntry, value, "value", OKNO_F_TEXT),
  OKNO_FIELD(OknoPhishEntry, blocked, "blocked", OKNO_F_BOOL),
  OKNO_FIELD(OknoPhishEntry, reports, "reports", OKNO_F_INT),
  OKNO_FIELD(OknoPhishEntry, reported_by, "reported_by", OKNO_F_TEXT),
  OKNO_FIELD(OknoPhishEntry, source, "source", OKNO_F_TEXT),
  OKNO_FIELD(OknoPhishEntry, created_at, "created_at", OKNO_F_INT),
  OKNO_FIELD(OknoPhishEntry, updated_at, "updated_at", OKNO_F_INT),
};
static const OknoRecordType phish_type =
    OKNO_RECORD_TYPE(OknoPhishEntry, phish_fields, okno_phish_entry_free);

void okno_phish_entry_free(OknoPhishEntry *p)
{
  okno_record_free(&phish_type, p);
}

GPtrArray *okno_store_phish_list(OknoStore *st, gboolean blocked_only, GError **error)
{
  static gsize sql;
  return okno_db_records(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &phish_type,
                      " FROM phishing_list WHERE blocked >= $1 ORDER BY updated_at DESC, id DESC"),
      OKNO_PARAMS(OKNO_INT(blocked_only ? 1 : 0)), &phish_type, error);
}

OknoBlocklist *okno_store_phish_blocklist(OknoStore *st, GError **error)
{
  g_autoptr(GPtrArray) rows = okno_store_phish_list(st, TRUE, error);
  OknoBlocklist *bl;
  if (!rows)
    return NULL;
  bl = okno_blocklist_new();
  for (guint i = 0; i < rows->len; i++) {
    const OknoPhishEntry *e = rows->pdata[i];
    okno_blocklist_add(bl, e->kind, e->value);
  }
  return bl;
}
