/* register.h: intake's third stage: a parsed, verified message (parse.h, verify.h)
 * into the registry, inside the caller's store transaction.
 *
 * Registration is a decision and then the writes. okno_register() looks up the facts
 * the decision needs in the store (OknoRegisterFacts), okno_register_decide() decides
 * from the message and those facts alone (pure: no store, no clock), and then the
 * decision is written:
 *   DUPLICATE  the same message again: the same Message-ID from the same sender, or
 *              the same content hash from the same sender within a day. An event on
 *              the first appeal (`duplicate_received`), nothing else.
 *   JOIN       a reply (In-Reply-To/References name a message of an appeal, ours or
 *              the citizen's, or else the subject carries a valid appeal number) from
 *              that appeal's own contact, whose sender is not unproved (verify.h),
 *              and not a «Повторное» appeal naming the number without threading: the
 *              message joins that appeal's history (`reply_joined`). When the appeal
 *              waited for a clarification and this brings a description, the status
 *              goes back to new and the deadline clock starts again from its arrival
 *              (`clarification_received`, `clock_resumed`).
 *   LINK       the same from anyone else: a new appeal, linked both ways to the one it
 *              quotes (`linked` on each).
 *   CREATE     otherwise a new appeal: number (appeal/number.h), status new, or
 *              needs_clarification without a description (the clock stays stopped
 *              until it comes); queue quarantine when the parse could not be trusted,
 *              suspicious when the sender is unproved or the letter points at a
 *              blocked domain or URL, else the normal flow; SLA class and deadline
 *              (appeal/sla.h), routing (appeal/routing.h, before the receipt, so that
 *              a department's own period is the deadline the receipt states). A
 *              «Повторное» appeal is linked to the earlier one (ops.h).
 * Then a receipt, a clarification request or a "reply added" notice is built
 * (receipt.h), DKIM-signed and queued in the same transaction, unless loop rules,
 * the hourly limit per address or the citizen's notification settings forbid it
 * (`autoreply_suppressed`). Mail to the [check] address registers no appeal: its
 * verdict (the block list applied) is queued back to the sender, and a dangerous
 * sample reports its links to the phishing list. */
#pragma once
#include <glib.h>

#include "check/blocklist.h"
#include "intake/parse.h"
#include "mail/envelope.h"
#include "ops/ops.h"
#include "store/store.h"

/* The holds (OknoAppeal.queue, appeal/appeal.h) intake puts an appeal in: quarantine
 * when the parse broke a budget or the message is empty; suspicious when the sender is
 * not proved (mail/auth.h) or the letter points at a blocked domain or URL; none in the
 * normal flow. */

/* OknoIntakeResult (and its outcome) is mail/envelope.h's: the SMTP session reports it. */

/* Frees what `r` holds (not `r`); g_auto(OknoIntakeResult) calls it. */
void okno_intake_result_clear(OknoIntakeResult *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(OknoIntakeResult, okno_intake_result_clear)

/* What the store already holds about a message. The appeals are owned by the facts
 * (okno_register_facts_clear). */
typedef struct {
  OknoAppeal *duplicate; /* the appeal that has this message already, or NULL */
  OknoAppeal *replied;   /* the appeal owning a message In-Reply-To/References name */
  OknoAppeal *numbered;  /* the appeal the subject's number names (looked up only when
                          * `replied` is NULL) */
  GPtrArray *blocklisted; /* OknoBlockHit* (verify.h); NULL: none */
} OknoRegisterFacts;

void okno_register_facts_clear(OknoRegisterFacts *f);

typedef enum {
  OKNO_REGISTER_DUPLICATE,
  OKNO_REGISTER_JOIN,
  OKNO_REGISTER_LINK,
  OKNO_REGISTER_CREATE,
} OknoRegisterAction;

typedef struct {
  OknoRegisterAction action;
  OknoAppeal *target;       /* DUPLICATE: the appeal that has the message; JOIN: the
                             * appeal joined (its writes update it); LINK: the appeal
                             * quoted; CREATE: NULL. Borrowed from the facts. */
  gboolean clock_resumes;   /* JOIN: the clarification the appeal waited for */
  OknoStatus status;        /* LINK, CREATE: new or needs_clarification */
  OknoHold queue;           /* LINK, CREATE: the hold (above) */
} OknoRegisterDecision;

/* The decision above, from `p` and `f` alone (pure). */
OknoRegisterDecision okno_register_decide(const OknoParsed *p, const OknoRegisterFacts *f);

/* The part of registration the message alone decides, so that it can run on intake's
 * parse pool (pipeline.h) instead of the store writer's one thread: the SHA-256 of the
 * bytes stored, the message row's meta (okno_parsed_meta_json), the SLA class
 * (appeal/sla.h okno_sla_classify), the message text's search terms (store/terms.h)
 * and the knowledge-base query of the subject and the description (ops/kb.h
 * okno_kb_query_new), and with a vault a new appeal's data key with the message row's
 * values sealed under it (store/keys.h OknoKeyAhead, store/messages.h
 * OknoMessageSealed: a new appeal inserts that key and those sealed bytes; a reply
 * joined to an appeal seals its row under that appeal's key in the writer, as before),
 * into p's prepared fields (parse.h). After verify: it reads
 * what verify added (the bytes, the authentication results, rspamd's judgement). Needs no store and no
 * transaction; does nothing to a [check] message or one already prepared.
 * okno_register() calls it when the caller did not. */
void okno_register_prepare(const OknoSlaEnv *env, OknoParsed *p);

/* Registers `p`, verified, inside the caller's transaction: the [check] flow, or
 * facts, decision and writes. `env` gives the SLA policy, the calendar and the DKIM
 * signer; `bl` the block list (verify.h OknoBlocklistCache). Fills `res` (zeroed by
 * the caller; res->number is the caller's to free, okno_intake_result_clear). FALSE
 * and the store's error leave the transaction for the caller to roll back. Safe to
 * call again with the same `p` after that transaction was rolled back (the group
 * commit runs a group twice when one of its jobs fails, store/commit.h): `p` is only
 * read (its prepared fields are made once; the block list applied to a [check]
 * message's verdict a second time adds nothing), and nothing is kept outside the
 * transaction. */
gboolean okno_register(const OknoSlaEnv *env, const OknoBlocklist *bl, OknoStore *st,
                       OknoParsed *p, OknoIntakeResult *res, GError **error);
