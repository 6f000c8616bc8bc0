/* outbound.c: the outbound mail queue (see outbound.h). Portable SQL over db.h; the
 * lease makes a job one node's at a time, and a crashed node's jobs due again when the
 * lease runs out. Transactions belong to the callers. */
#include "store/outbound.h"
#include "store/keys.h"
#include "store/notify.h"

#include "appeal/tg_contact.h"

#include "core/clock.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

/* One job of `transport` for message `message_row_id` to `to` (an address, a chat id,
 * a phone), sealed under the appeal's key; `bidx` its blind index. */
static gboolean enqueue(OknoStore *st, const char *transport, gint64 appeal_id, gint64 key_id,
                        gint64 message_row_id, const char *env_from, const char *to,
                        const char *bidx, gboolean automatic, GError **error)
{
  gint64 now = okno_now();
  g_autofree char *sealed = okno_store_seal_text(st, key_id, to, error);
  if (!sealed)
    return FALSE;
  return okno_db_exec(
      okno_store_db(st),
      "INSERT INTO outbound(appeal_id, message_ref, env_from, env_to, automatic, "
      "next_attempt_at, created_at, to_bidx, transport) VALUES($1, $2, $3, $4, $5, $6, $6, $7, $8)",
      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(message_row_id), T(env_from), OKNO_TEXT(sealed),
                  OKNO_INT(automatic ? 1 : 0), OKNO_INT(now), OKNO_TEXT(bidx),
                  OKNO_TEXT(transport)),
      error);
}

/* The phone of appeal `appeal_id` when its contact `contact` allowed SMS (the
 * cabinet's setting "sms", store/notify.h: off without a row); NULL otherwise. */
static char *sms_phone(OknoStore *st, gint64 appeal_id, const char *contact, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  gboolean on = FALSE;
  const char *phone;
  /* the settings are usually read already in this transaction (the receipt's) */
  if (!okno_store_notify_enabled(st, contact, "sms", &on, error) || !on)
    return NULL;
  r = okno_db_query(okno_store_db(st), "SELECT phone FROM appeals WHERE id = $1",
                    OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  phone = r && okno_rows_count(r) ? okno_rows_text(r, 0, 0) : NULL;
  return phone && *phone ? g_strdup(phone) : NULL;
}

gboolean okno_store_outbound_enqueue(OknoStore *st, gint64 appeal_id, gint64 message_row_id,
                                     const char *env_from, const char *env_to,
                                     gboolean automatic, GError **error)
{
  gint64 key_id = 0, chat = 0;
  g_autofree char *bidx = okno_store_blind_email(env_to);
  g_autofree char *phone = NULL, *chat_text = NULL;
  g_autoptr(GError) e = NULL;
  if (!okno_store_key_of_appeal(st, appeal_id, &key_id, error))
    return FALSE;
  if (okno_tg_contact_chat(env_to, &chat)) { /* a Telegram chat's contact: the Bot API */
    chat_text = g_strdup_printf("%" G_GINT64_FORMAT, chat);
    if (!enqueue(st, "telegram", appeal_id, key_id, message_row_id, env_from, chat_text, bidx,
                 automatic, error))
      return FALSE;
  } else if (!enqueue(st, "mail", appeal_id, key_id, message_row_id, env_from, env_to, bidx,
                      automatic, error)) {
    return FALSE;
  }
  phone = sms_phone(st, appeal_id, env_to, &e);
  if (e) {
    g_propagate_error(error, g_steal_pointer(&e));
    return FALSE;
  }
  if (phone) {
    g_autofree char *phone_bidx = okno_store_blind_email(phone);
    return enqueue(st, "sms", appeal_id, key_id, message_row_id, env_from, phone, phone_bidx,
                   automatic, error);
  }
  return TRUE;
}

gint64 okno_store_count_automatic(OknoStore *st, const char *recipient, gint64 since,
                                  GError **error)
{
  g_autofree char *bidx = okno_store_blind_email(recipient);
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT count(*) FROM outbound WHERE automatic = 1 AND to_bidx = $1 AND created_at >= $2",
      OKNO_PARAMS(OKNO_TEXT(bidx), OKNO_INT(since)), error);
  return r ? okno_rows_int(r, 0, 0) : 0;
}

static gint job_order(gconstpointer a, gconstpointer b)
{
  const OknoOutboundJob *x = *(OknoOutboundJob *const *)a, *y = *(OknoOutboundJob *const *)b;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* A job's columns as the claim returns them; then JOB_EXTRA's. */
static const OknoField job_fields[] = {
  OKNO_FIELD(OknoOutboundJob, id, "id", OKNO_F_INT),
  OKNO_FIELD(OknoOutboundJob, appeal_id, "coalesce(appeal_id, 0)", OKNO_F_INT),
  OKNO_FIELD(OknoOutboundJob, env_from, "env_from", OKNO_F_TEXT),
  OKNO_FIELD(OknoOutboundJob, env_to, "env_to", OKNO_F_TEXT),
  OKNO_FIELD(OknoOutboundJob, attempts, "attempts", OKNO_F_INT),
  OKNO_FIELD(OknoOutboundJob, created_at, "created_at", OKNO_F_INT),
  OKNO_FIELD(OknoOutboundJob, message_id, "mail_message_id", OKNO_F_TEXT),
};
static const OknoRecordType job_type =
    OKNO_RECORD_TYPE(OknoOutboundJob, job_fields, okno_outbound_job_free);

void okno_outbound_job_free(OknoOutboundJob *j)
{
  if (j) {
    g_clear_pointer(&j->raw, g_bytes_unref);
    g_clear_pointer(&j->number, g_free);
  }
  okno_record_free(&job_type, j);
}

/* After the job's columns: message_ref, mail_raw, and what a pass reads of the job's
 * appeal, in the claim's one statement (each a read by primary key; a query per job
 * was two round trips per receipt on PostgreSQL): the message's Message-ID and bytes,
 * which replace the job's own, and the appeal's number (its events' journal leaves). */
#define JOB_EXTRA                                                                          \
  ", message_ref, mail_raw, (SELECT message_id FROM messages WHERE id = "               \
  "outbound.message_ref), (SELECT raw FROM messages WHERE id = outbound.message_ref), "  \
  "(SELECT number FROM appeals WHERE id = outbound.appeal_id)"

GPtrArray *okno_store_outbound_claim(OknoStore *st, gint64 now, gint64 lease, guint limit,
                                     const char *owner, GError **error)
{
  /* Several nodes claim at once on PostgreSQL: each skips the rows another is
   * claiming instead of waiting for them. SQLite serialises its writers and has no
   * such clause. The statements are written once (okno_record_sql): claiming is hot. */
#define CLAIM_SQL(lock)                                                                    \
  "UPDATE outbound SET lease_until = $2, lease_owner = $4, attempts = attempts + 1 "       \
  "WHERE id IN ("                                                                           \
  "  SELECT id FROM outbound WHERE state = 'queued' AND next_attempt_at <= $1"             \
  "  AND transport = 'mail'"             \
  "  AND lease_until <= $1 ORDER BY next_attempt_at, id LIMIT $3" lock ") RETURNING "
  static gsize sqlite_sql, pg_sql;
  const gsize n = G_N_ELEMENTS(job_fields);
  const gboolean sqlite = okno_db_is_sqlite(okno_store_db(st));
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      sqlite ? okno_record_sql(&sqlite_sql, CLAIM_SQL(""), &job_type, JOB_EXTRA)
             : okno_record_sql(&pg_sql, CLAIM_SQL(" FOR UPDATE SKIP LOCKED"), &job_type,
                               JOB_EXTRA),
      OKNO_PARAMS(OKNO_INT(now), OKNO_INT(now + lease), OKNO_INT(limit), T(owner)), error);
#undef CLAIM_SQL
  g_autoptr(GPtrArray) jobs = NULL;
  if (!r)
    return NULL;
  jobs = okno_rows_map_all(r, &job_type, error);
  if (!jobs)
    return NULL;
  for (guint i = 0; i < jobs->len; i++) {
    OknoOutboundJob *j = jobs->pdata[i];
    const gboolean own = okno_rows_is_null(r, i, n); /* mail of no appeal: its own bytes */
    g_autoptr(GBytes) stored = okno_rows_blob(r, i, own ? n + 1 : n + 3);
    if (!own) { /* a missing message row sends nothing, under no Message-ID */
      const char *id = okno_rows_is_null(r, i, n + 2) ? "" : okno_rows_text(r, i, n + 2);
      g_free(j->message_id);
      j->message_id = g_strdup(id);
    }
    j->raw = stored ? okno_store_unseal(st, own ? "outbound.mail_raw" : "messages.raw", stored,
                                        error)
                    : g_bytes_new(NULL, 0);
    if (!j->raw)
      return NULL;
    if (!okno_rows_is_null(r, i, n + 4))
      j->number = g_strdup(okno_rows_text(r, i, n + 4));
  }
  /* RETURNING gives no order guarantee: oldest job first. */
  g_ptr_array_sort(jobs, job_order);
  return g_steal_pointer(&jobs);
}

gboolean okno_store_outbound_release(OknoStore *st, const char *owner, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE outbound SET lease_until = 0, lease_owner = '' "
                      "WHERE state = 'queued' AND lease_owner = $1 AND lease_until > 0",
                      OKNO_PARAMS(T(owner)), error);
}

gboolean okno_store_outbound_sent(OknoStore *st, gint64 id, gint64 now, GError **error)
{
  return okno_store_outbound_sent_many(st, &id, 1, now, error);
}

gboolean okno_store_outbound_sent_many(OknoStore *st, const gint64 *ids, guint n, gint64 now,
                                       GError **error)
{
  enum { CHUNK = 64 };
  for (guint done = 0; done < n;) {
    guint k = MIN(CHUNK, n - done);
    g_autoptr(GString) sql = g_string_new("UPDATE outbound SET state = 'sent', sent_at = $1, "
                                          "lease_until = 0, last_error = '' WHERE id IN (");
    OknoParam params[CHUNK + 1];
    params[0] = OKNO_INT(now);
    for (guint i = 0; i < k; i++) {
      params[i + 1] = OKNO_INT(ids[done + i]);
      g_string_append_printf(sql, "%s$%u", i ? ", " : "", i + 2);
    }
    g_string_append_c(sql, ')');
    if (!okno_db_exec(okno_store_db(st), sql->str, params, k + 1, error))
      return FALSE;
    done += k;
  }
  return TRUE;
}

gboolean okno_store_outbound_retry(OknoStore *st, gint64 id, gint64 next_attempt,
                                   const char *reason, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE outbound SET next_attempt_at = $2, lease_until = 0, "
                      "last_error = $3 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(next_attempt), T(reason)), error);
}

gboolean okno_store_outbound_failed(OknoStore *st, gint64 id, const char *reason,
                                    GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE outbound SET state = 'failed', lease_until = 0, last_error = $2 "
                      "WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), T(reason)), error);
}

gboolean okno_store_outbound_counts(OknoStore *st, gint64 *queued, gint64 *sent,
                                    gint64 *failed, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT count(*) FILTER (WHERE state = 'queued'), count(*) FILTER (WHERE state = 'sent'), "
      "count(*) FILTER (WHERE state = 'failed') FROM outbound",
      OKNO_NO_PARAMS, error);
  if (!r)
    return FALSE;
  *queued = okno_rows_int(r, 0, 0);
  *sent = okno_rows_int(r, 0, 1);
  *failed = okno_rows_int(r, 0, 2);
  return TRUE;
}

gboolean okno_store_outbound_enqueue_own(OknoStore *st, const char *transport,
                                         const char *env_from, const char *env_to,
                                         const char *bidx, const char *message_id,
                                         const void *data, gsize len, GError **error)
{
  gint64 now = okno_now(), key_id = 0;
  g_autofree char *to = NULL;
  g_autoptr(GBytes) sealed = NULL;
  const void *p;
  /* what belongs to no appeal (sign-in codes, notices) is sealed under a data key of
   * its own */
  if (!okno_store_key_new(st, &key_id, error) ||
      !(to = okno_store_seal_text(st, key_id, env_to, error)) ||
      !(sealed = okno_store_seal(st, key_id, "outbound.mail_raw", data, len, error)))
    return FALSE;
  p = g_bytes_get_data(sealed, &len);
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO outbound(env_from, env_to, automatic, next_attempt_at, "
                      "created_at, mail_message_id, mail_raw, to_bidx, transport) "
                      "VALUES($1, $2, 1, $3, $3, $4, $5, $6, $7)",
                      OKNO_PARAMS(T(env_from), OKNO_TEXT(to), OKNO_INT(now), T(message_id),
                                  OKNO_BLOB(p ? p : "", len), OKNO_TEXT(bidx),
                                  OKNO_TEXT(transport)),
                      error);
}

gboolean okno_store_outbound_enqueue_mail(OknoStore *st, const char *env_from,
                                          const char *env_to, const char *message_id,
                                          GBytes *raw, GError **error)
{
  g_autofree char *bidx = okno_store_blind_email(env_to);
  return okno_store_outbound_enqueue_own(st, "mail", env_from, env_to, bidx, message_id,
                                         g_bytes_get_data(raw, NULL), g_bytes_get_size(raw),
                                         error);
}
