/* signals.h: what the files of the phishing check share (internal to src/check/).
 *
 * okno_phishing_check() (phishing.c) fills one Check and hands it to each signal
 * family in turn: sender.c (raw headers, Authentication-Results, the sender's
 * domains), links.c (the links of the text), attachments.c (attachments and the
 * second parse of the raw parts), words.c (the words of the text). Each adds reasons
 * through add_reason() and may set the Check's flags that later passes read; none
 * keeps anything beyond its call. Not a public header: only these files include it. */
#pragma once
#include <glib.h>

#include "check/lookalike.h"
#include "check/phishing.h"

/* The state of one check. msg, cfg and portal are borrowed (portal is freed by
 * okno_phishing_check); res is the result being built (its reasons list owns its
 * reasons); outside_host is owned (set by the first link outside the portal). */
typedef struct {
  const OknoMessage *msg;
  const OknoConfig *cfg;
  OknoPortalSet *portal;
  OknoPhishResult *res;
  gboolean claims_portal;      /* From/display name present the letter as the portal's */
  gboolean asks_credentials;
  char *outside_host;          /* first link host that is not the portal's */
  gboolean indicators_only;    /* okno_phishing_indicators: collect, judge nothing */
} Check;

/* phishing.c: adds the reason `code` (a static string) with `weight` and a text
 * formatted from `fmt`; one reason per code: a heavier example replaces the text and
 * weight of a lighter one, otherwise the first example stays. */
void add_reason(Check *c, const char *code, int weight, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* phishing.c: records a domain or URL the letter points at (OknoPhishResult.indicators),
 * normalised; the portal's own domains and unparsable values are skipped. */
void add_indicator(Check *c, const char *kind, const char *value);
/* phishing.c: the reasons every judged domain may give besides a lookalike
 * (domain_invalid_idn, domain_mixed_script). */
void idn_reasons(Check *c, const OknoHostJudgement *j);
/* phishing.c: TRUE when hosts `a` and `b` have the same non-empty registrable domain. */
gboolean same_registrable(const char *a, const char *b);

/* sender.c: the sender signals from the header block of `raw`/`len` (the raw message,
 * "" and 0 when there is none) and c->msg's From and Reply-To; sets c->claims_portal
 * and c->res->portal_sender. Runs first: the link signals read claims_portal. */
void check_sender(Check *c, const char *raw, gsize len);
/* sender.c: the sender's domains (From, Reply-To, Return-Path of `raw`/`len`) as
 * indicators only. */
void sender_indicators(Check *c, const char *raw, gsize len);
/* links.c: the links found in the first `len` bytes of `text` (NUL-terminated; at
 * most LINKS_MAX links); sets c->outside_host. */
void check_links(Check *c, const char *text, gsize len);
/* attachments.c: one attachment of the decoded record. */
void check_attachment(Check *c, const OknoAttachment *a);
/* attachments.c: the second GMime parse of `raw`/`len` (len > 0): file names as sent
 * and the links of HTML renderings the decoded record dropped (through check_links). */
void check_raw_parts(Check *c, const char *raw, gsize len);
/* words.c: the words of `subject` and the first `len` bytes of `text`; sets
 * c->asks_credentials. */
void check_words(Check *c, const char *subject, const char *text, gsize len);
