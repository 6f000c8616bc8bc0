/* incidents.h: mass incidents (issue 19 item 5, docs/incidents.md): the detection pass,
 * the supervisors' alert, and the operations on an incident's appeals.
 *
 * DETECTION is a scheduler job, not a step of registration: intake's registrations are
 * committed by one writer thread, which must not wait for clustering; the material
 * (the store's keyed stem hashes of each appeal's subject and first message) is already
 * in the store; and a pass over the store sees the appeals of every node. A pass runs
 * once per [incidents] interval across all nodes (store/incidents.h
 * okno_store_incident_claim) and, over the appeals received in the last [incidents]
 * window_minutes (text/cluster.h):
 *  1. an appeal not yet in an incident (nor removed from one) joins the open incident
 *     whose centroid it is most similar to, at [incidents] similarity or more;
 *  2. the rest are grouped by leader clustering at the same threshold; a group of at
 *     least [incidents] min_count appeals that is also at least [incidents] factor times
 *     the usual count becomes an incident. The usual count is how many appeals of the
 *     [incidents] baseline_days before the window were as similar to the group's
 *     centroid, scaled to the window's length.
 * Each appeal put in gets the event `incident_joined`; a new incident is mailed to the
 * supervisors of its department (the department most of its appeals are in; triage or
 * none with an address: [sla] supervisors) through the outbound queue, and listed on
 * the console's page /console/incidents. Everything runs in the caller's thread, each
 * incident's writes in one transaction. */
#pragma once
#include <glib.h>

#include "ops/ops.h"
#include "store/incidents.h"

typedef struct {
  guint items;  /* appeals in the window */
  guint joined; /* put into an open incident */
  guint raised; /* new incidents */
  guint letters; /* alert letters queued */
} OknoIncidentPass;

/* One pass at `now` (does not claim: okno_incidents_due does). */
gboolean okno_incidents_pass(const OknoSlaEnv *env, OknoStore *st, gint64 now,
                             OknoIncidentPass *out, GError **error);
/* The scheduler's entry: when [incidents] enabled and this node wins the claim, a pass;
 * *ran says whether it did. */
gboolean okno_incidents_due(const OknoSlaEnv *env, OknoStore *st, gint64 now, gboolean *ran,
                            OknoIncidentPass *out, GError **error);

/* In the caller's transaction: puts appeal `a` into incident `id` by `by` (a login)
 * with its event; OKNO_ERROR_USER when it is in another open incident. */
gboolean okno_incident_add(OknoStore *st, gint64 id, const OknoAppeal *a, const char *by,
                           GError **error);
/* In the caller's transaction: takes it out (event `incident_left`); OKNO_ERROR_USER
 * when it is not in. */
gboolean okno_incident_remove(OknoStore *st, gint64 id, const OknoAppeal *a, const char *by,
                              GError **error);
/* In the caller's transaction: answers appeal `a` of incident `id` with `text` as its
 * own answer (ops.h okno_ops_answer: threaded to its citizen, the status change, the
 * events) and the event `incident_answered`. OKNO_ERROR_USER when it was answered
 * already or has no e-mail address. */
gboolean okno_incident_answer_one(const OknoSlaEnv *env, OknoStore *st, gint64 id,
                                  const OknoAppeal *a, const char *text, const char *by,
                                  GError **error);
