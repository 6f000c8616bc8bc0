/* incidents.h: mass incidents (issue 19 item 5, docs/incidents.md): many similar appeals
 * in a short window grouped as one incident, which supervisors answer at once.
 *
 * An incident is a row of `incidents` (migration 28): open or closed, the department
 * most of its appeals belong to ("" = triage), the appeal that named it (its subject
 * is the incident's title, read through the appeal so it stays sealed), how many
 * appeals the detecting window held and how many such a window usually holds. Its
 * appeals are rows of `incident_appeals`; a removed appeal keeps its row (removed = 1)
 * so the detection never puts it back. An appeal is in at most one incident at a time
 * (okno_store_incident_add refuses a second).
 *
 * The detection's material is the store's keyed stem hashes (store/terms.h): an
 * appeal's subject_terms and its first inbound message's text_terms, never its words.
 * No function opens a transaction; errors are OKNO_ERROR_USER (told to the user),
 * OKNO_ERROR_TEMP or OKNO_ERROR_INTERNAL. */
#pragma once
#include <glib.h>

#include "store/store.h"

typedef struct {
  gint64 id;
  gboolean open;
  char *department;
  gint64 first_appeal;
  char *title;        /* the first appeal's subject (opened) */
  gint64 appeals;     /* members now */
  gint64 window_count; /* appeals in the window when it was raised */
  double usual;       /* such appeals in a window of that length, usually */
  gint64 created_at, updated_at, closed_at, answered_at;
  char *closed_by;
} OknoIncident;
void okno_incident_free(OknoIncident *x);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoIncident, okno_incident_free)

/* One appeal as the detection sees it. */
typedef struct {
  gint64 appeal_id;
  gint64 received_at;
  char *department;
  char *terms;       /* subject_terms and the first inbound text_terms, space-separated */
  gint64 incident;   /* the incident it is in (removed or not), 0: none */
} OknoIncidentItem;
void okno_incident_item_free(OknoIncidentItem *x);

/* The pass's guard: TRUE in *won when no pass of any node began in the last
 * `interval_us` (then this one is recorded as begun at `now`). */
gboolean okno_store_incident_claim(OknoStore *st, gint64 now, gint64 interval_us,
                                   gboolean *won, GError **error);
/* Appeals received in [from, to), queued (not quarantined or held as spam), oldest
 * first, at most `limit`: GPtrArray of OknoIncidentItem. */
GPtrArray *okno_store_incident_items(OknoStore *st, gint64 from, gint64 to, gint64 limit,
                                     GError **error);
/* The items of incident `id`'s current (not removed) appeals. */
GPtrArray *okno_store_incident_members(OknoStore *st, gint64 id, GError **error);

/* A new open incident; its id (0 on error). */
gint64 okno_store_incident_create(OknoStore *st, const char *department, gint64 first_appeal,
                                  gint64 window_count, double usual, gint64 now, GError **error);
/* Puts appeal `appeal_id` into incident `id` (by `by`: a login or "okno"). *added FALSE
 * (no error) when it is already there; OKNO_ERROR_USER when it is in another open
 * incident. Keeps the incident's count. */
gboolean okno_store_incident_add(OknoStore *st, gint64 id, gint64 appeal_id, const char *by,
                                 gint64 now, gboolean *added, GError **error);
/* Takes the appeal out (its row stays, removed = 1). *removed FALSE when it was not in. */
gboolean okno_store_incident_remove(OknoStore *st, gint64 id, gint64 appeal_id, gint64 now,
                                    gboolean *removed, GError **error);
/* Closes an open incident; *closed FALSE when it was closed already. */
gboolean okno_store_incident_close(OknoStore *st, gint64 id, const char *by, gint64 now,
                                   gboolean *closed, GError **error);
gboolean okno_store_incident_answered(OknoStore *st, gint64 id, gint64 now, GError **error);
/* The incident, NULL with no error when there is none. */
OknoIncident *okno_store_incident_get(OknoStore *st, gint64 id, GError **error);
/* Incidents newest first: open ones only, or every one; at most `limit`. */
GPtrArray *okno_store_incident_list(OknoStore *st, gboolean open_only, gint64 limit,
                                    GError **error);
/* The ids of incident `id`'s current appeals, oldest first (GArray of gint64). */
GArray *okno_store_incident_appeal_ids(OknoStore *st, gint64 id, GError **error);
/* The open incident appeal `appeal_id` is in, 0 when none. */
gint64 okno_store_incident_of(OknoStore *st, gint64 appeal_id, GError **error);
