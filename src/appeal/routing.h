/* routing.h: which department's queue a new appeal goes to (issue 4): the decision.
 *
 * Administrators keep an ordered list of rules (kept in the store: store.h,
 * okno_store_route_*); each rule is a condition and the department it sends to:
 *   category       the appeal's category equals the value (case-insensitive);
 *   keyword        every word of the value occurs in the subject or the text, in any
 *                  inflected form (the search normalisation of text/tokenizer.h:
 *                  lowercase, ё = е, Snowball stems), e.g. «паспорт» matches
 *                  «паспорта»;
 *   sender_domain  the sender's domain equals the value or is a subdomain of it;
 *   channel        the channel equals the value (email, web, chat, messenger, phone).
 * The first rule that matches decides; if none does, the appeal stays in the default
 * triage queue (department ""). Everything here is pure: applying the decision at
 * registration (the event `routed`), and the later moves between queues by staff
 * (transfer, escalation), are operations of ops/ops.h. */
#pragma once
#include <glib.h>

/* One rule, as the store keeps it. */
typedef struct {
  gint64 id;
  gint64 position;   /* rules apply in ascending position, then id */
  char *kind;        /* category, keyword, sender_domain, channel */
  char *value;
  char *department;
} OknoRouteRule;
void okno_route_rule_free(OknoRouteRule *r);

typedef struct {
  const char *category;
  const char *channel;
  const char *sender;  /* e-mail address, may be empty */
  const char *subject;
  const char *text;    /* the message's description */
} OknoRouteInput;

/* A department code: 1 to 32 of a-z, 0-9, '-' and '_'. */
gboolean okno_department_code_valid(const char *code);

/* Valid kinds of rule: the four above. */
gboolean okno_route_kind_valid(const char *kind);

/* The first of `rules` (OknoRouteRule*, in order; may be NULL) matching `in`, or NULL:
 * the department it names decides. */
const OknoRouteRule *okno_route_match(const GPtrArray *rules, const OknoRouteInput *in);
