/* phishing.h: is this letter phishing that imitates the portal? (okno check-mail)
 *
 * A pure function of one decoded message (mime.h), its raw bytes (for the headers
 * mime.h does not expose: Authentication-Results, Return-Path) and the config
 * ([portal] domains are the genuine domains; [smtp] hostname is our authserv-id, the
 * only one whose Authentication-Results are believed). No network, no store, no logs:
 * it can run in the same sandboxed worker as the MIME parser.
 *
 * Signals, each a reason with a stable code and a weight (docs/phishing.md has the
 * table): the sender's domains (From, Reply-To, Return-Path) against the portal's
 * (lookalike.h), a display name naming the portal, the authentication results, the
 * links in the text (mismatched shown text, lookalike hosts, shorteners, IP hosts,
 * user@ tricks, open redirects through the portal), attachments (executables, macros,
 * archives, double extensions, right-to-left overrides in names) and the words of
 * the text (requests for passwords, codes, card data, account confirmation; urgency
 * and threats). A code is reported once, with the first example found.
 *
 * Verdict: DANGEROUS when a strong reason holds (weight >= OKNO_PHISH_STRONG) or the
 * weights add up to it; SUSPICIOUS from OKNO_PHISH_SUSPICIOUS; CLEAN below.
 * portal_sender: NO when the letter does not claim to come from the portal; VERIFIED
 * when its From domain is the portal's and a trusted Authentication-Results says
 * dmarc=pass (or dkim=pass aligned with the From domain, or, with no DMARC record,
 * spf=pass aligned with it: the rule of mail/auth.h, which writes that header);
 * UNVERIFIED for every other
 * claim (the portal's domain without proof, a lookalike domain, a display name naming
 * the portal). */
#pragma once
#include <glib.h>

#include "check/rspamd.h"
#include "core/config.h"
#include "mail/mime.h"

#define OKNO_PHISH_SUSPICIOUS 4
#define OKNO_PHISH_STRONG 10

typedef enum {
  OKNO_VERDICT_CLEAN,
  OKNO_VERDICT_SUSPICIOUS,
  OKNO_VERDICT_DANGEROUS,
} OknoVerdict;

typedef enum {
  OKNO_PORTAL_SENDER_NO,
  OKNO_PORTAL_SENDER_UNVERIFIED,
  OKNO_PORTAL_SENDER_VERIFIED,
} OknoPortalSender;

typedef struct {
  const char *code;  /* stable, e.g. "sender_lookalike" (static string) */
  char *text;        /* plain Russian for the citizen, owned */
  int weight;
} OknoPhishReason;

/* What the letter points at, for the block list (check/blocklist.h): the sender's
 * domains (From, Reply-To, Return-Path) and the links' URLs and hosts, the portal's
 * own left out. Values are normalised as blocklist.h keeps them. */
typedef struct {
  const char *kind;  /* "domain" or "url" (static string) */
  char *value;       /* owned */
} OknoPhishIndicator;

typedef struct {
  OknoVerdict verdict;
  OknoPortalSender portal_sender;
  int score;            /* sum of the reasons' weights */
  GPtrArray *reasons;   /* of OknoPhishReason*, in the order found; owns them */
  GPtrArray *indicators; /* of OknoPhishIndicator*, each (kind, value) once; owns them */
  OknoRspamdResult *rspamd; /* rspamd's judgement folded in (check/citizen.h), or NULL; owned */
  gboolean partial;     /* rspamd was configured but could not be asked: okno's rules alone */
} OknoPhishResult;

/* Checks `msg` (never NULL) whose raw bytes are `raw`/`len` (the same message; may be
 * NULL/0, then the header signals are skipped). Never fails; the caller frees the
 * result with okno_phish_result_free(). Thread-safe. */
OknoPhishResult *okno_phishing_check(const OknoMessage *msg, const char *raw, gsize len,
                                     const OknoConfig *cfg);
/* Only the indicators of `msg` (its sender domains and links, as the check collects
 * them), without judging it: no reasons, verdict CLEAN. For intake's block-list match,
 * at a fraction of the check's cost (no lookalike judgements, no word scan). */
OknoPhishResult *okno_phishing_indicators(const OknoMessage *msg, const char *raw, gsize len,
                                          const OknoConfig *cfg);
void okno_phish_result_free(OknoPhishResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoPhishResult, okno_phish_result_free)

/* Adds a reason (one per code, as the check does: a heavier one replaces a lighter
 * one) and brings the order (heaviest first), score and verdict up to date. For
 * signals decided outside the pure check: the block list, the virus scanner. */
void okno_phish_add_reason(OknoPhishResult *r, const char *code, int weight, const char *text);

/* Sets the weight of the reason with `code` (nothing when there is none; the reason and
 * its text stay) and brings order, score and verdict up to date. For the citizen's check,
 * which lets rspamd's taught classifier outweigh okno's generic signals (citizen.h). */
void okno_phish_set_weight(OknoPhishResult *r, const char *code, int weight);

/* The reason with `code`, or NULL. */
const OknoPhishReason *okno_phish_find(const OknoPhishResult *r, const char *code);

/* "clean", "suspicious", "dangerous" / "no", "unverified", "verified". */
const char *okno_verdict_name(OknoVerdict v);
const char *okno_portal_sender_name(OknoPortalSender s);
/* The verdict said to a citizen, in Russian («Признаков мошенничества не найдено.», and
 * for a suspicious or dangerous letter what not to do): the /check page and `okno
 * check-mail` without --json show it. Static. */
const char *okno_verdict_text(OknoVerdict v);
