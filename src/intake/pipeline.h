/* pipeline.h: one message through intake: parse -> check -> extract -> register.
 *
 * Every channel that brings mail (the SMTP/LMTP listener, `okno submit`, tests) calls
 * this module and nothing below it. The work is split in two:
 *  - parsing (mime.h, extract.h, validate.h, loop.h) is a pure function of the bytes,
 *    run on a worker thread under the parse budgets;
 *  - registering runs inside a store transaction: deduplication, threading onto an
 *    existing appeal, numbering, the receipt queued in the outbound queue, events.
 * In `serve`, registrations of many sessions share one transaction and one sync
 * (commit.h): the `done` callback fires only after the commit is durable, and only
 * then does the listener answer 250. A message whose parse breaks the budgets is still
 * registered (original bytes kept) in the quarantine queue and acknowledged.
 *
 * Mail that came over SMTP/LMTP from an IP address is authenticated on the parse
 * thread (SPF, DKIM, DMARC: mail/auth.h) when `[auth] verify` is on: the results are
 * prepended to the stored bytes as an Authentication-Results header, kept in the
 * message meta ("authentication") and recorded as an `authentication` event; a DMARC
 * p=reject failure is refused (550 5.7.1, an error carrying its reply: core/error.h;
 * nothing stored), p=quarantine failures and unproved mail from the portal's own
 * domains go to the queue OKNO_QUEUE_SUSPICIOUS, get no automatic answer (the From may
 * be forged) and never join an existing appeal.
 *
 * Attachments are scanned by clamd when `[clamav] socket` is set (check/clamav.h,
 * docs/malware.md): a virus is refused (554 5.7.1) or the file stripped, by policy;
 * clamd down is 451 4.3.0. A message pointing at a blocked domain or URL (the phishing
 * block list, check/blocklist.h) also waits in OKNO_QUEUE_SUSPICIOUS. Mail sent only to
 * the `[check] address` is not registered: its phishing verdict is mailed back
 * (docs/phishing.md), unless its sender failed authentication (no reflection). */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "mail/dkim.h"
#include "mail/envelope.h"
#include "store/store.h"

/* The queues (OknoAppeal.queue) intake puts an appeal in; "" is the normal flow. */
#define OKNO_QUEUE_QUARANTINE "quarantine" /* the parse broke a budget, or empty */
#define OKNO_QUEUE_SUSPICIOUS "suspicious" /* the sender is not proved (mail/auth.h) or the
                                            * letter points at a blocked domain or URL */

/* Frees what `r` holds (its number). */
void okno_intake_result_clear(OknoIntakeResult *r);

typedef struct OknoIntake OknoIntake;

/* Opens its own store connection(s) from cfg->store_url. */
OknoIntake *okno_intake_new(const OknoConfig *cfg, GError **error);
/* Waits for everything in flight, then frees. */
void okno_intake_free(OknoIntake *in);

/* Called once on the main context that was thread-default when the message was
 * submitted. `err` NULL: the registration is durable (answer 250). Otherwise its code
 * is OKNO_ERROR_TEMP (answer 451, the client retries) or OKNO_ERROR_PERM (answer
 * 5xx); the reply line is okno_error_smtp_reply(err) (core/error.h): the error's own
 * reply when it carries one (a policy refusal: "550 5.7.1 ..." for DMARC p=reject,
 * "554 5.7.1 ..." for a virus under [clamav] policy = refuse; "451 4.3.0 ..." when
 * clamd cannot be reached), else 451 4.3.0 / 554 5.6.0. Nothing is registered when
 * err is set. `res` is never NULL and is valid during the call only. */
typedef void (*OknoIntakeDone)(const OknoIntakeResult *res, const GError *err,
                               gpointer user_data);

/* Takes a reference on `raw`; copies `env`. Never blocks. */
void okno_intake_submit_async(OknoIntake *in, GBytes *raw, const OknoEnvelope *env,
                              OknoIntakeDone done, gpointer user_data);

/* The same, synchronously, with its own transaction (okno submit, tests). A policy
 * refusal is FALSE with the error carrying its SMTP reply (as above). */
gboolean okno_intake_submit_sync(OknoIntake *in, GBytes *raw, const OknoEnvelope *env,
                                 OknoIntakeResult *res, GError **error);

/* The intake's DKIM signer ([dkim] in the config; NULL when signing is off), for mail
 * okno sends outside intake (the cabinet's sign-in codes and notices), signed with
 * okno_dkim_sign_or_plain like every other message of okno. Borrowed: valid while `in`
 * is; okno_dkim_sign may be called from any thread. */
OknoDkim *okno_intake_dkim(OknoIntake *in);

/* Messages registered since start, and the number of commits (syncs) that made them
 * durable: their ratio is the group-commit factor. */
void okno_intake_stats(OknoIntake *in, guint64 *messages, guint64 *commits);
