/* pipeline.h: one message through intake, in three stages, from every channel.
 *
 * Every channel that brings mail (the SMTP/LMTP listener, `okno submit`, the web form
 * and the cabinet, tests) calls this module and nothing below it. A message goes
 * through:
 *  1. parse (parse.h): pure, no I/O: MIME under the parse budgets, the contact, the
 *     description, identifiers, attachment policy, loop rules, the content hash, the
 *     number in the subject. A message that breaks a budget is not refused: it is
 *     registered (original bytes kept) in the quarantine queue and acknowledged.
 *  2. verify (verify.h): I/O that blocks: SPF/DKIM/DMARC over DNS (mail/auth.h) for
 *     mail from an IP address when `[auth] verify` is on, clamd (check/clamav.h) when
 *     `[clamav] socket` is set, and the phishing check. It may refuse the message
 *     before anything is stored: DMARC p=reject 550 5.7.1, a virus 554 5.7.1 (policy
 *     refuse), clamd down 451 4.3.0. An unproved sender (p=quarantine failure, or the
 *     portal's own domains unproved) goes to OKNO_QUEUE_SUSPICIOUS, gets no automatic
 *     answer and never joins an existing appeal.
 *  3. register (register.h): store I/O inside a transaction: the facts looked up
 *     (duplicate, the appeal replied to), a pure decision (duplicate, join, link or
 *     create), the writes, the receipt queued in the outbound queue, events. The
 *     phishing block list (read from the store at most once a second) is matched here:
 *     a letter pointing at a blocked domain or URL also waits in the suspicious queue.
 *     Mail sent only to the `[check] address` is not registered: its phishing verdict
 *     is mailed back (docs/phishing.md), unless its sender failed authentication.
 * Stages 1 and 2 run on a pool of parse threads; stage 3 on the group-commit writer
 * (store/commit.h): registrations of many sessions share one transaction and one sync,
 * and the `done` callback fires only after the commit is durable: only then does the
 * listener answer 250. okno_intake_submit_sync runs the same path and waits. */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "intake/parse.h"
#include "intake/register.h"
#include "mail/dkim.h"
#include "store/commit.h"

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

/* The same, waiting on the calling thread until the registration is durable (okno
 * submit, tests); `res` is the caller's (okno_intake_result_clear). A policy refusal
 * is FALSE with the error carrying its SMTP reply (as above). */
gboolean okno_intake_submit_sync(OknoIntake *in, GBytes *raw, const OknoEnvelope *env,
                                 OknoIntakeResult *res, GError **error);

/* The intake's DKIM signer ([dkim] in the config; NULL when signing is off), for mail
 * okno sends outside intake (the cabinet's sign-in codes and notices), signed with
 * okno_dkim_sign_or_plain like every other message of okno. Borrowed: valid while `in`
 * is; okno_dkim_sign may be called from any thread. */
OknoDkim *okno_intake_dkim(OknoIntake *in);
/* The group-commit writer the intake registers through (store/commit.h), for other
 * writers of the same process (the outbound queue, ops/outbound.h); alive until
 * okno_intake_free. */
OknoCommitter *okno_intake_committer(OknoIntake *in);

/* Messages registered since start, and the number of commits (syncs) that made them
 * durable: their ratio is the group-commit factor. */
void okno_intake_stats(OknoIntake *in, guint64 *messages, guint64 *commits);
