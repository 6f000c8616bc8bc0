/* jobs.c: the store's SLA jobs (jobs.h).
 *
 * Portable SQL over db.h like store.c. The exactly-once rule of the scheduler lives in
 * okno_store_sla_job_finish: an UPDATE guarded by state = 'pending' and the lease
 * owner, with RETURNING telling the caller whether it was this call that finished the
 * job. The caller runs it inside the transaction that does the job's work, so the work
 * and the "done" mark commit together or not at all. */
#include "store/jobs.h"

#include "core/clock.h"

gboolean okno_store_sla_jobs_add(OknoStore *st, gint64 appeal_id, gint64 generation,
                                 const char *const *kinds, const gint64 *due, guint n,
                                 GError **error)
{
  g_autoptr(GString) sql = g_string_new("INSERT INTO sla_jobs(appeal_id, kind, generation, due_at) "
                                        "VALUES");
  g_autoptr(GArray) params = g_array_new(FALSE, FALSE, sizeof(OknoParam));
  OknoParam common[2] = {OKNO_INT(appeal_id), OKNO_INT(generation)};
  guint rows = 0;
  g_array_append_vals(params, common, 2);
  for (guint i = 0; i < n; i++) {
    OknoParam p[2] = {OKNO_TEXT(kinds[i]), OKNO_INT(due[i])};
    if (due[i] == 0)
      continue;
    g_string_append_printf(sql, "%s($1, $%u, $2, $%u)", rows ? ", " : "", params->len + 1,
                           params->len + 2);
    g_array_append_vals(params, p, 2);
    rows++;
  }
  if (!rows)
    return TRUE;
  g_string_append(sql, " ON CONFLICT (appeal_id, kind, generation) DO NOTHING");
  return okno_db_exec(okno_store_db(st), sql->str, &g_array_index(params, OknoParam, 0),
                      params->len, error);
}

gboolean okno_store_sla_jobs_set(OknoStore *st, gint64 appeal_id, gint64 generation,
                                 const char *const *kinds, const gint64 *due, guint n,
                                 GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE sla_jobs SET state = 'cancelled', lease_until = 0 "
                      "WHERE appeal_id = $1 AND state = 'pending' AND generation <> $2",
                      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(generation)), error) &&
         okno_store_sla_jobs_add(st, appeal_id, generation, kinds, due, n, error);
}

gboolean okno_store_sla_jobs_cancel(OknoStore *st, gint64 appeal_id, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE sla_jobs SET state = 'cancelled', lease_until = 0 "
                      "WHERE appeal_id = $1 AND state = 'pending'",
                      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
}

static const OknoField job_fields[] = {
  OKNO_FIELD(OknoSlaJob, id, "id", OKNO_F_INT),
  OKNO_FIELD(OknoSlaJob, appeal_id, "appeal_id", OKNO_F_INT),
  OKNO_FIELD(OknoSlaJob, kind, "kind", OKNO_F_TEXT),
  OKNO_FIELD(OknoSlaJob, generation, "generation", OKNO_F_INT),
  OKNO_FIELD(OknoSlaJob, due_at, "due_at", OKNO_F_INT),
};
static const OknoRecordType job_type =
    OKNO_RECORD_TYPE(OknoSlaJob, job_fields, NULL);

static void job_clear(gpointer p)
{
  okno_record_clear(&job_type, p);
}

GArray *okno_store_sla_jobs_claim(OknoStore *st, gint64 now, gint64 lease, guint limit,
                                  const char *owner, GError **error)
{
  OknoDb *db = okno_store_db(st);
#define CLAIM_SQL(lock)                                                                  \
  "UPDATE sla_jobs SET lease_until = $2, lease_owner = $4 WHERE id IN ("                 \
  "  SELECT id FROM sla_jobs WHERE state = 'pending' AND due_at <= $1"                   \
  "  AND lease_until <= $1 ORDER BY due_at, id LIMIT $3" lock ") RETURNING "
  static gsize sqlite_sql, pg_sql;
  const gsize n = G_N_ELEMENTS(job_fields);
  g_autoptr(OknoRows) r = okno_db_query(
      db,
      okno_db_is_sqlite(db)
          ? okno_record_sql(&sqlite_sql, CLAIM_SQL(""), &job_type, "")
          : okno_record_sql(&pg_sql, CLAIM_SQL(" FOR UPDATE SKIP LOCKED"), &job_type, ""),
      OKNO_PARAMS(OKNO_INT(now), OKNO_INT(now + lease), OKNO_INT(limit),
                  OKNO_TEXT(owner ? owner : "")),
      error);
#undef CLAIM_SQL
  g_autoptr(GArray) jobs = NULL;
  if (!r)
    return NULL;
  jobs = g_array_sized_new(FALSE, TRUE, sizeof(OknoSlaJob), okno_rows_count(r));
  g_array_set_clear_func(jobs, job_clear);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoSlaJob j = {0};
    gboolean ok = okno_rows_map(r, i, 0, job_fields, n, &j, error);
    g_array_append_val(jobs, j);
    if (!ok)
      return NULL;
  }
  return g_steal_pointer(&jobs);
}

gboolean okno_store_sla_job_finish(OknoStore *st, gint64 id, const char *owner,
                                   const char *state, gint64 now, gboolean *won,
                                   GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE sla_jobs SET state = $3, done_at = $4, lease_until = 0 "
      "WHERE id = $1 AND state = 'pending' AND lease_owner = $2 RETURNING id",
      OKNO_PARAMS(OKNO_INT(id), OKNO_TEXT(owner ? owner : ""), OKNO_TEXT(state), OKNO_INT(now)),
      error);
  if (!r)
    return FALSE;
  *won = okno_rows_count(r) > 0;
  return TRUE;
}

gboolean okno_store_sla_jobs_release(OknoStore *st, const char *owner, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE sla_jobs SET lease_until = 0, lease_owner = '' "
                      "WHERE state = 'pending' AND lease_owner = $1 AND lease_until > 0",
                      OKNO_PARAMS(OKNO_TEXT(owner ? owner : "")), error);
}

gint64 okno_store_sla_jobs_pending(OknoStore *st, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT count(*) FROM sla_jobs WHERE state = 'pending'",
      OKNO_NO_PARAMS, error);
  return r ? okno_rows_int(r, 0, 0) : 0;
}

