/* outbound_msg.c: the outbound queue's Telegram and SMS jobs (outbound_msg.h).
 * Portable SQL over db.h, the claim as store/outbound.c's (SKIP LOCKED on PostgreSQL). */
#include "store/outbound_msg.h"

#include <string.h>

#include "core/clock.h"
#include "store/keys.h"
#include "store/outbound.h"

void okno_msg_job_free(OknoMsgJob *j)
{
  if (!j)
    return;
  g_free(j->to);
  g_free(j->subject);
  g_free(j->text);
  g_free(j);
}

static gint job_order(gconstpointer a, gconstpointer b)
{
  const OknoMsgJob *x = *(OknoMsgJob *const *)a, *y = *(OknoMsgJob *const *)b;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* The subject and text of message `ref` into `j`. */
static gboolean job_message(OknoStore *st, OknoMsgJob *j, gint64 ref, GError **error)
{
  g_autoptr(OknoRows) m = okno_db_query(okno_store_db(st),
                                        "SELECT subject, text FROM messages WHERE id = $1",
                                        OKNO_PARAMS(OKNO_INT(ref)), error);
  if (!m)
    return FALSE;
  j->subject = g_strdup(okno_rows_count(m) ? okno_rows_text(m, 0, 0) : "");
  j->text = g_strdup(okno_rows_count(m) ? okno_rows_text(m, 0, 1) : "");
  return TRUE;
}

GPtrArray *okno_store_msg_claim(OknoStore *st, const char *transport, gint64 now,
                                gint64 lease, guint limit, const char *owner, GError **error)
{
  const gboolean sqlite = okno_db_is_sqlite(okno_store_db(st));
  g_autofree char *sql = g_strdup_printf(
      "UPDATE outbound SET lease_until = $2, lease_owner = $4, attempts = attempts + 1 "
      "WHERE id IN (SELECT id FROM outbound WHERE transport = $5 AND state = 'queued' "
      "AND next_attempt_at <= $1 AND lease_until <= $1 ORDER BY next_attempt_at, id LIMIT $3%s) "
      "RETURNING id, coalesce(appeal_id, 0), env_to, attempts, created_at, "
      "coalesce(message_ref, 0), mail_raw, automatic",
      sqlite ? "" : " FOR UPDATE SKIP LOCKED");
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), sql,
      OKNO_PARAMS(OKNO_INT(now), OKNO_INT(now + lease), OKNO_INT(limit),
                  OKNO_TEXT(owner ? owner : ""), OKNO_TEXT(transport)),
      error);
  g_autoptr(GPtrArray) jobs = NULL;
  if (!r)
    return NULL;
  jobs = g_ptr_array_new_with_free_func((GDestroyNotify)okno_msg_job_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoMsgJob *j = g_new0(OknoMsgJob, 1);
    gint64 ref = okno_rows_int(r, i, 5);
    j->id = okno_rows_int(r, i, 0);
    j->appeal_id = okno_rows_int(r, i, 1);
    j->to = g_strdup(okno_rows_text(r, i, 2));
    j->attempts = okno_rows_int(r, i, 3);
    j->created_at = okno_rows_int(r, i, 4);
    j->automatic = okno_rows_int(r, i, 7) != 0;
    g_ptr_array_add(jobs, j);
    if (ref) {
      if (!job_message(st, j, ref, error))
        return NULL;
    } else {
      g_autoptr(GBytes) stored = okno_rows_blob(r, i, 6);
      g_autoptr(GBytes) clear =
          stored ? okno_store_unseal(st, "outbound.mail_raw", stored, error) : g_bytes_new(NULL, 0);
      gsize len = 0;
      const char *p;
      if (!clear)
        return NULL;
      p = g_bytes_get_data(clear, &len);
      j->subject = g_strdup("");
      j->text = g_strndup(p ? p : "", len);
    }
  }
  g_ptr_array_sort(jobs, job_order);
  return g_steal_pointer(&jobs);
}

gboolean okno_store_msg_enqueue_text(OknoStore *st, const char *transport, const char *to,
                                     const char *contact, const char *text, GError **error)
{
  g_autofree char *bidx = okno_store_blind_email(contact);
  return okno_store_outbound_enqueue_own(st, transport, "", to, bidx, "", text, strlen(text),
                                         error);
}

char *okno_store_open_appeal_of(OknoStore *st, const char *contact, GError **error)
{
  g_autofree char *bidx = okno_store_blind_email(contact);
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT number FROM appeals WHERE from_bidx = $1 "
      "AND status IN ('new', 'in_progress', 'needs_clarification') ORDER BY id DESC LIMIT 1",
      OKNO_PARAMS(OKNO_TEXT(bidx)), error);
  return r && okno_rows_count(r) ? g_strdup(okno_rows_text(r, 0, 0)) : NULL;
}
