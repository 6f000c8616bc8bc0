/* auth.h: inbound sender authentication: SPF (RFC 7208), DKIM (RFC 6376), DMARC
 * (RFC 7489), the policy decision, and the Authentication-Results header (RFC 8601).
 *
 * The checks are done by the libraries real MTAs use: libspf2, libopendkim and
 * libopendmarc. None of them asks the DNS by itself: each is given okno's DNS layer
 * (dns.h: libspf2 through its SPF_dns_server_t hook, libopendkim through its key
 * lookup callback, the DMARC record fetched here and handed to libopendmarc), so every
 * lookup goes to `[dns] server`. The organizational domain comes from the public
 * suffix list (`[auth] public_suffix_list`, Debian's publicsuffix package).
 *
 * okno_auth_verify() does the lookups (it blocks: call it on a worker thread; all the
 * lookups of one message share `[auth] time_budget_ms`, past which they are
 * temperror) and
 * okno_auth_decide() the policy, a pure function:
 *   - DMARC fail with p=reject (or sp=reject for a subdomain) -> REJECT (550 5.7.1);
 *   - DMARC fail with p=quarantine -> SUSPICIOUS (queue "suspicious");
 *   - a From domain that is one of `[portal] domains` (or under one) and is not proved
 *     (DMARC pass, or without a DMARC record an aligned SPF or DKIM pass) -> SUSPICIOUS,
 *     whatever its policy says (REJECT stays REJECT);
 *   - anything else, DNS temperror included, -> ACCEPT, with the results recorded.
 * Results use RFC 8601's words: none, pass, fail, softfail, neutral, policy,
 * temperror, permerror. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>

#include "core/config.h"
#include "mail/dns.h"

typedef enum {
  OKNO_AUTH_ACCEPT,
  OKNO_AUTH_SUSPICIOUS,
  OKNO_AUTH_REJECT,
} OknoAuthAction;

typedef struct {
  char *domain;    /* d= ("" if absent or unreadable) */
  char *selector;  /* s= */
  char *result;    /* pass, fail, neutral, policy, temperror, permerror */
  char *reason;    /* English, from libopendkim ("" on pass) */
} OknoDkimResult;

typedef struct {
  /* SPF of MAIL FROM (of HELO for the null sender) */
  char *spf;           /* none, neutral, pass, fail, softfail, temperror, permerror */
  char *spf_identity;  /* "mailfrom" or "helo" */
  char *spf_domain;    /* the domain checked, "" if none */
  char *spf_address;   /* smtp.mailfrom value (address, or the HELO name) */
  char *spf_reason;
  /* DKIM: one result per signature examined; empty: dkim=none */
  GPtrArray *dkim;     /* OknoDkimResult* */
  /* DMARC */
  char *from_domain;   /* RFC 5322 From domain, lowercase, "" if none */
  char *dmarc;         /* none, pass, fail, temperror, permerror */
  char *dmarc_policy;  /* the policy that applies: none, quarantine, reject; "" without record */
  char *dmarc_reason;
  /* the decision */
  gboolean portal;     /* From is one of [portal] domains (or a subdomain of one) */
  OknoAuthAction action;
  char *action_reason; /* a code: "dmarc_reject", "dmarc_quarantine", "portal_unverified", "" */
} OknoAuthResult;

void okno_auth_result_free(OknoAuthResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoAuthResult, okno_auth_result_free)

typedef struct {
  const char *client_ip;   /* the SMTP client's IP address (v4 or v6), required */
  const char *helo;        /* EHLO/HELO argument, NULL or "" if none */
  const char *mail_from;   /* MAIL FROM address without <>, "" for the null sender */
  const char *from_domain; /* RFC 5322 From domain, NULL or "" if none */
  GBytes *raw;             /* the message (DKIM); NULL: DKIM not checked */
} OknoAuthInput;

/* Runs SPF, DKIM and DMARC for one message and decides (okno_auth_decide). Never
 * fails: DNS trouble becomes temperror, a broken signature or record a permerror or
 * neutral. NULL and an error only when the DNS server of the config is unusable
 * (OKNO_ERROR_USER) or the library cannot start (OKNO_ERROR_INTERNAL). Blocks for
 * the DNS lookups (each bounded by [dns] timeout_ms). Thread-safe. */
OknoAuthResult *okno_auth_verify(const OknoConfig *cfg, const OknoAuthInput *in, GError **error);

/* The same over a resolver of the caller's (dns.h); `dns` NULL answers every lookup
 * NXDOMAIN without any query (the fuzz driver). NULL only when a library cannot start. */
OknoAuthResult *okno_auth_verify_with(const OknoConfig *cfg, OknoDns *dns, const OknoAuthInput *in);

/* Sets r->portal, r->action and r->action_reason from the results (policy above). */
void okno_auth_decide(const OknoConfig *cfg, OknoAuthResult *r);

/* The Authentication-Results header field, folded, ending in CRLF (caller frees):
 * "Authentication-Results: ID;\r\n\tspf=...;\r\n\tdkim=...;\r\n\tdmarc=...\r\n".
 * Every value taken from the message or the envelope is written as an RFC 8601 token
 * or a quoted-string; control characters and non-ASCII bytes never get through. */
char *okno_auth_header(const char *authserv_id, const OknoAuthResult *r);

/* The results as a JSON object (the message meta's "authentication", the
 * "authentication" event): spf {result, identity, domain, reason}, dkim [{domain,
 * selector, result, reason}], dmarc {result, from_domain, policy, reason}, portal,
 * action ("accept", "suspicious", "reject"), action_reason. */
void okno_auth_to_json(JsonBuilder *b, const OknoAuthResult *r);

/* The refusal of a REJECT as an error carrying its SMTP reply (core/error.h,
 * OKNO_ERROR_PERM): "550 5.7.1 ..." in English (RFC 5321 reply text is ASCII), naming
 * the From domain and its DMARC policy. */
void okno_auth_reject_error(const OknoAuthResult *r, GError **error);

/* "accept", "suspicious", "reject". */
const char *okno_auth_action_name(OknoAuthAction a);

/* The organizational domain of `domain` (RFC 7489 3.2) from the public suffix list,
 * lowercase (caller frees); `domain` itself when the list does not know it. */
char *okno_auth_org_domain(const OknoConfig *cfg, const char *domain);
