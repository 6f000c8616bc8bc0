/* messenger.h: delivery of the outbound queue's Telegram messages and SMS
 * (store/outbound_msg.h; issue 22, docs/channels.md).
 *
 * A pass claims due jobs of each transport under a lease in the node's name, sends
 * each, and records the outcome with its event on the appeal (outbound_sent,
 * outbound_deferred, outbound_failed, the detail naming the transport) in one
 * transaction per job, so a job is sent once unless okno dies between the answer and
 * that commit (then once more, as for mail):
 *  - telegram: POST {[telegram] api_url}/bot{token}/sendMessage with {"chat_id",
 *    "text"} (an operator's answer or the bot's own text as it is; for a receipt or
 *    notice, its subject and a line on how the chat goes on; cut to 4096 characters). {"ok": true}: sent. 429:
 *    retried after the answer's parameters.retry_after seconds (at least 1). Another
 *    4xx (a chat that blocked the bot, an unknown chat): failed at once. 5xx, no
 *    connection, a timeout: retried with the mail queue's backoff ([outbound]
 *    retry_min_seconds ... give_up_after_seconds).
 *  - sms: GET {[sms] url}?username&password&from&to&text&charset=UTF-8&coding=0|2, the
 *    message's subject fitted by text/sms.h to [sms] max_parts parts (GSM 03.38 as
 *    coding 0, else UCS-2 as coding 2). 2xx: sent (Kannel: "0: Accepted for
 *    delivery"). Another 4xx (a wrong password): failed. 5xx, no connection: retried.
 * The bot's token and the SMS password appear in no log line, event or reason; chat
 * ids and phones only as okno_pii() tags. */
#pragma once
#include <glib.h>

#include "core/config.h"

typedef struct OknoMessenger OknoMessenger;

/* Opens its own store connection; `owner` names the node on its leases. NULL with no
 * error when neither [telegram] token nor [sms] url is set (nothing to deliver). */
OknoMessenger *okno_messenger_new(const OknoConfig *cfg, const char *owner, GError **error);
/* Stops the thread if started, then frees; NULL does nothing. */
void okno_messenger_free(OknoMessenger *m);
/* One pass on the calling thread: the jobs finished (sent or failed), -1 on a store
 * error. */
int okno_messenger_run_once(OknoMessenger *m, GError **error);
/* Releases this owner's old leases, then runs passes on a thread of its own: when
 * woken, else every second. */
void okno_messenger_start(OknoMessenger *m);
void okno_messenger_wake(OknoMessenger *m); /* thread-safe; NULL does nothing */
