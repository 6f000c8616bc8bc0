/* sla_store.c: the store's SLA jobs and citizens' notification settings (store.h).
 *
 * Portable SQL over db.h like store.c. The exactly-once rule of the scheduler lives in
 * okno_store_sla_job_finish: an UPDATE guarded by state = 'pending' and the lease
 * owner, with RETURNING telling the caller whether it was this call that finished the
 * job. The caller runs it inside the transaction that does the job's work, so the work
 * and the "done" mark commit together or not at all. */
#include "store/store.h"

#include <string.h>

#include "core/clock.h"

gboolean okno_store_sla_jobs_set(OknoStore *st, gint64 appeal_id, gint64 generation,
                                 const char *const *kinds, const gint64 *due, guint n,
                                 GError **error)
{
  OknoDb *db = okno_store_db(st);
  if (!okno_db_exec(db,
                    "UPDATE sla_jobs SET state = 'cancelled', lease_until = 0 "
                    "WHERE appeal_id = $1 AND state = 'pending' AND generation <> $2",
                    OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(generation)), error))
    return FALSE;
  for (guint i = 0; i < n; i++) {
    if (due[i] == 0)
      continue;
    if (!okno_db_exec(db,
                      "INSERT INTO sla_jobs(appeal_id, kind, generation, due_at) "
                      "VALUES($1, $2, $3, $4) "
                      "ON CONFLICT (appeal_id, kind, generation) DO NOTHING",
                      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_TEXT(kinds[i]),
                                  OKNO_INT(generation), OKNO_INT(due[i])),
                      error))
      return FALSE;
  }
  return TRUE;
}

gboolean okno_store_sla_jobs_cancel(OknoStore *st, gint64 appeal_id, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE sla_jobs SET state = 'cancelled', lease_until = 0 "
                      "WHERE appeal_id = $1 AND state = 'pending'",
                      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
}

GArray *okno_store_sla_jobs_claim(OknoStore *st, gint64 now, gint64 lease, guint limit,
                                  const char *owner, GError **error)
{
  OknoDb *db = okno_store_db(st);
#define CLAIM_SQL(lock)                                                                  \
  "UPDATE sla_jobs SET lease_until = $2, lease_owner = $4 WHERE id IN ("                 \
  "  SELECT id FROM sla_jobs WHERE state = 'pending' AND due_at <= $1"                   \
  "  AND lease_until <= $1 ORDER BY due_at, id LIMIT $3" lock ") "                       \
  "RETURNING id, appeal_id, kind, generation, due_at"
  g_autoptr(OknoRows) r = okno_db_query(
      db, okno_db_is_sqlite(db) ? CLAIM_SQL("") : CLAIM_SQL(" FOR UPDATE SKIP LOCKED"),
      OKNO_PARAMS(OKNO_INT(now), OKNO_INT(now + lease), OKNO_INT(limit),
                  OKNO_TEXT(owner ? owner : "")),
      error);
#undef CLAIM_SQL
  GArray *jobs;
  if (!r)
    return NULL;
  jobs = g_array_sized_new(FALSE, TRUE, sizeof(OknoSlaJob), okno_rows_count(r));
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoSlaJob j = {0};
    j.id = okno_rows_int(r, i, 0);
    j.appeal_id = okno_rows_int(r, i, 1);
    g_strlcpy(j.kind, okno_rows_text(r, i, 2) ? okno_rows_text(r, i, 2) : "", sizeof j.kind);
    j.generation = okno_rows_int(r, i, 3);
    j.due_at = okno_rows_int(r, i, 4);
    g_array_append_val(jobs, j);
  }
  return jobs;
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

gboolean okno_store_notify_set(OknoStore *st, const char *email, const char *event,
                               gboolean enabled, GError **error)
{
  g_autofree char *lower = g_ascii_strdown(email ? email : "", -1);
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO notify_settings(email, event, enabled, updated_at) "
                      "VALUES($1, $2, $3, $4) ON CONFLICT (email, event) "
                      "DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
                      OKNO_PARAMS(OKNO_TEXT(lower), OKNO_TEXT(event), OKNO_INT(enabled ? 1 : 0),
                                  OKNO_INT(okno_now())),
                      error);
}

gboolean okno_store_notify_enabled(OknoStore *st, const char *email, const char *event,
                                   gboolean *enabled, GError **error)
{
  g_autofree char *lower = g_ascii_strdown(email ? email : "", -1);
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT enabled FROM notify_settings WHERE email = $1 AND event = $2",
      OKNO_PARAMS(OKNO_TEXT(lower), OKNO_TEXT(event)), error);
  if (!r)
    return FALSE;
  *enabled = okno_rows_count(r) == 0 || okno_rows_int(r, 0, 0) != 0;
  return TRUE;
}
