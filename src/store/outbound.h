/* outbound.h: the outbound mail queue in the store: jobs queued for a message of an
 * appeal or for mail of no appeal (kept as its own bytes), claimed under a lease in a
 * node's name (ops/outbound.c delivers them), then sent, retried or failed.
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

/* Queues message row `message_row_id` for delivery; `automatic` marks receipts and
 * other machine mail (counted by okno_store_count_automatic). */
gboolean okno_store_outbound_enqueue(OknoStore *st, gint64 appeal_id, gint64 message_row_id,
                                     const char *env_from, const char *env_to,
                                     gboolean automatic, GError **error);
gint64 okno_store_count_automatic(OknoStore *st, const char *recipient, gint64 since,
                                  GError **error);

typedef struct {
  gint64 id;
  gint64 appeal_id;  /* 0: mail of no appeal (okno_store_outbound_enqueue_mail) */
  char *env_from;
  char *env_to;
  char *message_id;
  GBytes *raw;
  char *number;      /* the appeal's number, read with the claim; NULL: no appeal */
  gint64 attempts;   /* including this one */
  gint64 created_at;
} OknoOutboundJob;
void okno_outbound_job_free(OknoOutboundJob *j);

/* Claims up to `limit` due jobs for `lease` microseconds in the name of `owner` (a
 * node's stable name). A crashed claimer's jobs are due again when its lease runs out,
 * or at once when the same owner starts again and calls okno_store_outbound_release.
 * Returns a GPtrArray of OknoOutboundJob*. */
GPtrArray *okno_store_outbound_claim(OknoStore *st, gint64 now, gint64 lease, guint limit,
                                     const char *owner, GError **error);
/* Gives up every lease `owner` holds on queued jobs (a node restarting after a crash:
 * what its previous life claimed is its own to deliver again). */
gboolean okno_store_outbound_release(OknoStore *st, const char *owner, GError **error);
gboolean okno_store_outbound_sent(OknoStore *st, gint64 id, gint64 now, GError **error);
/* The same for jobs ids[0..n) at once (one statement per 64 jobs). */
gboolean okno_store_outbound_sent_many(OknoStore *st, const gint64 *ids, guint n, gint64 now,
                                       GError **error);
gboolean okno_store_outbound_retry(OknoStore *st, gint64 id, gint64 next_attempt,
                                   const char *reason, GError **error);
gboolean okno_store_outbound_failed(OknoStore *st, gint64 id, const char *reason,
                                    GError **error);
/* Counts by state, for tests and status: queued, sent, failed. */
gboolean okno_store_outbound_counts(OknoStore *st, gint64 *queued, gint64 *sent,
                                    gint64 *failed, GError **error);

/* Queues mail that belongs to no appeal (a notice to a staff member, a check@ verdict,
 * a cabinet's sign-in code or address-change notice), kept as its own bytes (already
 * signed) with `message_id` (no <>); counted as automatic; delivered like any job
 * (OknoOutboundJob.appeal_id is then 0). */
gboolean okno_store_outbound_enqueue_mail(OknoStore *st, const char *env_from,
                                          const char *env_to, const char *message_id,
                                          GBytes *raw, GError **error);
/* The same for any transport (store/outbound_msg.h): `data` (the mail, or a Telegram
 * text) sealed with `env_to` under a new data key, `bidx` the blind index counted by
 * okno_store_count_automatic. */
gboolean okno_store_outbound_enqueue_own(OknoStore *st, const char *transport,
                                         const char *env_from, const char *env_to,
                                         const char *bidx, const char *message_id,
                                         const void *data, gsize len, GError **error);
