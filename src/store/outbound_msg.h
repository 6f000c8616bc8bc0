/* outbound_msg.h: the outbound queue's Telegram and SMS jobs (transport 'telegram' and
 * 'sms', migration 22), delivered by ops/messenger.h.
 *
 * They share the table, the lease and the outcomes of mail (store/outbound.h:
 * okno_store_outbound_sent / retry / failed / release work on them by id and owner):
 * okno_store_outbound_enqueue queues them itself for mail to a Telegram chat's contact
 * (appeal/tg_contact.h) and, beside the mail, for the appeal's phone when its contact
 * allowed SMS. A job either names a message of its appeal (the text is the message's
 * text for Telegram, its subject for SMS) or carries its own text (a bot's answer
 * to /status), sealed under a data key of its own like mail of no appeal.
 * The recipient (a chat id, a phone) is sealed like an address; callers never see it
 * sealed and must log it only as okno_pii(). Like store.h: one connection, one thread;
 * rows returned are the caller's; no function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

typedef struct {
  gint64 id;
  gint64 appeal_id;   /* 0: a text of no appeal */
  char *to;           /* the chat id (decimal) or the phone */
  char *subject;      /* the message's subject; "" for a text of no appeal */
  char *text;         /* the message's text, or the job's own text */
  gboolean automatic; /* a receipt or notice (not an operator's answer) */
  gint64 attempts;    /* including this one */
  gint64 created_at;
} OknoMsgJob;
void okno_msg_job_free(OknoMsgJob *j);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoMsgJob, okno_msg_job_free)

/* Claims up to `limit` due jobs of `transport` ("telegram", "sms") for `lease`
 * microseconds in the name of `owner`, oldest first; a GPtrArray of OknoMsgJob*. */
GPtrArray *okno_store_msg_claim(OknoStore *st, const char *transport, gint64 now,
                                gint64 lease, guint limit, const char *owner, GError **error);

/* Queues `text` to `to` over `transport`, belonging to no appeal (counted as
 * automatic under the blind index of `contact`, the address it answers). */
gboolean okno_store_msg_enqueue_text(OknoStore *st, const char *transport, const char *to,
                                     const char *contact, const char *text, GError **error);

/* The number of the newest open appeal (new, in progress, waiting for a
 * clarification) whose contact is `contact`; NULL (and no error) when there is none. */
char *okno_store_open_appeal_of(OknoStore *st, const char *contact, GError **error);
