/* verify.h: intake's second stage: the checks of a parsed message that ask the world
 * outside. Unlike parse.h it does I/O, and blocks: call it on a worker thread (the
 * intake parse pool), before the SMTP reply.
 *
 * okno_verify() completes the parsed record (parse.h, its "verify" fields):
 *  - sender authentication (mail/auth.h: SPF, DKIM, DMARC over DNS), only for mail
 *    that came over SMTP/LMTP from an IP address (channel "email" with a client
 *    address) and only when `[auth] verify` is on; never for what okno built itself
 *    from a web form or a cabinet reply. The results go on top of the stored bytes as
 *    an Authentication-Results header (our authserv-id, the one check/sender.c
 *    believes). A DMARC p=reject failure refuses the message (550 5.7.1); a p=quarantine
 *    failure or unproved mail from the portal's own domains makes the sender
 *    "unproved" (okno_sender_unproved): no automatic answer, the suspicious queue, and
 *    never a join onto an existing appeal (register.h). A [check] letter whose sender
 *    failed SPF or DMARC gets no verdict mailed back (it would go to an address the
 *    sender may have forged: reflection). DNS trouble is temperror and accepted;
 *  - malware (check/clamav.h, docs/malware.md) when `[clamav] socket` is set: each
 *    attachment's decoded bytes, and the whole raw message when the parse stopped
 *    early (clamd's own MIME parser then reaches the files the parse did not). Under
 *    `[clamav] policy = refuse` a virus refuses the message (554 5.7.1); under strip
 *    the file is refused with a reason naming the signature. clamd unreachable or
 *    failing: 451 4.3.0 under both policies (nothing unscanned gets in). A [check]
 *    letter is never refused: what clamd finds becomes a reason of its verdict;
 *  - spam (check/rspamd.h, docs/spam.md) when `[rspamd] url` is set, for mail that
 *    came over SMTP/LMTP (not a [check] letter): the message with its envelope goes to
 *    rspamd; at or above `reject_score` it is refused (550 5.7.1, nothing stored), at
 *    or above `spam_score` (or when rspamd's own action says spam) it gets no
 *    automatic answer and registration puts it in the spam hold. rspamd unreachable:
 *    451 4.3.0 under `on_failure = tempfail`, accepted unscanned (p->spam_unscanned,
 *    an event) under `accept`. A sender that failed both SPF and DMARC gets no
 *    automatic answer either (no backscatter to a forged address);
 *  - the phishing check (check/phishing.h, pure): for a [check] letter the verdict on
 *    the letter it forwards (the first attached message/rfc822, else itself); for an
 *    appeal only the domains and links it points at, for the block list below.
 *
 * The block list (check/blocklist.h) lives in the store; the registering thread reads
 * it through an OknoBlocklistCache at most once a second (a block is in force on every
 * node within a second with nothing to invalidate), and okno_verify_blocklisted()
 * matches a message's indicators against it. */
#pragma once
#include <glib.h>

#include "check/blocklist.h"
#include "core/config.h"
#include "core/metrics.h"
#include "intake/parse.h"
#include "store/store.h"

/* Verifies `p` (fills p->auth, p->auth_json, p->infected, p->spam, p->spam_verdict,
 * p->spam_unscanned, p->phish, p->forwarded, p->checked_subject; may replace p->raw and set p->no_autoreply and refusal reasons
 * in p->refusals). TRUE: go on and register. FALSE: the message is refused or
 * deferred and nothing may be registered; *refusal (never NULL then) carries its SMTP
 * reply (core/error.h okno_set_smtp_error): 550 5.7.1 (DMARC p=reject), 554 5.7.1
 * (a virus under policy refuse, or in a message the parse could not split), 550 5.7.1
 * (spam at or above [rspamd] reject_score), 451 4.3.0 (clamd unavailable, or rspamd
 * under on_failure = tempfail). Logs one line per finding, without personal data. */
gboolean okno_verify(const OknoConfig *cfg, OknoParsed *p, GError **refusal);

/* The counter okno_rspamd_unscanned_total (core/metrics.h): messages accepted unscanned
 * because rspamd could not be asked under `on_failure = accept`; okno_verify() adds to
 * it, okno_intake_new() creates it when [rspamd] url is set so /metrics shows 0. */
OknoMetricFamily *okno_rspamd_unscanned_metric(void);

/* TRUE when authentication failed short of a refusal (action SUSPICIOUS): the From may
 * be forged. FALSE when not authenticated at all. */
gboolean okno_sender_unproved(const OknoParsed *p);

/* One indicator of a message found on the block list. Borrowed: the strings belong to
 * the message's p->phish and to the block list. */
typedef struct {
  const char *kind;  /* "domain" or "url" */
  const char *value; /* as the message has it */
  const char *entry; /* the list's entry it matched */
} OknoBlockHit;

/* The indicators of p->phish that `bl` lists, in the message's order (an array of
 * OknoBlockHit*, owned by the caller; empty when p->phish is NULL). */
GPtrArray *okno_verify_blocklisted(const OknoBlocklist *bl, const OknoParsed *p);

/* The block list as last read from the store. Zero-initialise; one per thread that
 * registers (it is not locked); okno_blocklist_cache_clear() frees it. */
typedef struct {
  OknoBlocklist *list;
  gint64 read_at; /* monotonic microseconds */
} OknoBlocklistCache;

/* The list, read again from `st` when the last read is a second old or more. NULL and
 * the store's error when it cannot be read. Borrowed until the next call. */
const OknoBlocklist *okno_blocklist_cache_get(OknoBlocklistCache *c, OknoStore *st,
                                              GError **error);
void okno_blocklist_cache_clear(OknoBlocklistCache *c);
