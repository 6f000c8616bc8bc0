/* routing.h: which department's queue a new appeal goes to (issue 4).
 *
 * Administrators keep an ordered list of rules (store.h, okno_store_route_*); each
 * rule is a condition and the department it sends to:
 *   category       the appeal's category equals the value (case-insensitive);
 *   keyword        every word of the value occurs in the subject or the text, in any
 *                  inflected form (the search normalisation of text/tokenizer.h:
 *                  lowercase, ё = е, Snowball stems), e.g. «паспорт» matches
 *                  «паспорта»;
 *   sender_domain  the sender's domain equals the value or is a subdomain of it;
 *   channel        the channel equals the value (email, web, chat, messenger, phone).
 * The first rule that matches decides; if none does, the appeal stays in the default
 * triage queue (department ""). Either way the decision is an event `routed` on the
 * appeal: {"department": CODE or "", "queue": "department" or "triage", "rule": ID or
 * null, "kind": ..., "value": ...}.
 *
 * Later, staff move appeals between queues: a transfer to another department with a
 * reason, or an escalation («передать в вышестоящую инстанцию») to the parent of the
 * appeal's department, whose supervisors then see it. Either leaves the appeal
 * unassigned in the target queue and records an event (`transferred`, `escalated`:
 * {"from","to","reason","by"}). */
#pragma once
#include <glib.h>

#include "sec/staff.h"
#include "store/store.h"

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

/* The first of `rules` (OknoRouteRule*, in order) matching `in`, or NULL. Pure. */
const OknoRouteRule *okno_route_match(const GPtrArray *rules, const OknoRouteInput *in);

/* Inside the caller's transaction: routes the new appeal `a` (sets a->department and
 * bumps its version when a rule decides) and records the `routed` event. */
gboolean okno_route_appeal(OknoStore *st, OknoAppeal *a, const OknoRouteInput *in,
                           GError **error);

/* Inside the caller's transaction, as `by` (checked with okno_staff_can:
 * OKNO_ACT_TRANSFER / OKNO_ACT_ESCALATE), on appeal `number` read at `version`.
 * Errors: an unknown appeal or department, an empty reason, the same department, no
 * parent to escalate to, a stale version: OKNO_ERROR_USER with a Russian line; not
 * allowed: OKNO_ERROR_PERM «Недостаточно прав для этого действия.». On success the
 * new version is in *new_version (may be NULL). */
gboolean okno_appeal_transfer(OknoStore *st, const OknoUser *by, const char *number,
                              gint64 version, const char *department, const char *reason,
                              gint64 *new_version, GError **error);
gboolean okno_appeal_escalate(OknoStore *st, const OknoUser *by, const char *number,
                              gint64 version, const char *reason, gint64 *new_version,
                              GError **error);
