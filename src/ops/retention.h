/* retention.h: the retention pass and legal holds above the store (docs/retention.md).
 *
 * okno_retention_run does one pass at `now`: every closed appeal whose period
 * (appeal/retention.h) has run out and which is not under a legal hold has its personal
 * data purged (store/retention.h), each in its own transaction with its event
 * "retention_purged", and its files removed (the outbound maildir's copies of its
 * letters); a pass that purged anything writes a destruction act (ops/act.h); acts past
 * their own period are deleted; then the store is compacted so emptied bytes leave the
 * files. With dry_run nothing changes: the report says what would be done. Held
 * appeals that would otherwise be due are reported as kept.
 *
 * okno_retention_hold / okno_retention_unhold put an appeal under a legal hold or lift
 * it, with an event each ("retention_hold" with the reason and who, "retention_unhold"),
 * in the caller's transaction. Errors for people are OKNO_ERROR_USER in Russian (the
 * console shows them; the command line prints them). */
#pragma once
#include <glib.h>

#include "appeal/appeal.h"
#include "core/config.h"
#include "ops/ops.h"
#include "store/store.h"

typedef struct {
  char *number;
  char *kind;        /* okno_kind_name */
  char *category;
  gint64 closed_at;
  gint64 due_at;     /* when it fell due (0: held) */
  const char *grounds; /* "period", "request" */
  const char *action;  /* "purged", "would purge", "held" */
  gint64 messages, attachments, events;
  guint files;       /* files removed */
} OknoRetentionLine;

typedef struct {
  gint64 now;
  gboolean dry_run;
  GPtrArray *lines;  /* OknoRetentionLine*, by appeal id */
  gint64 purged;     /* appeals purged (or that would be) */
  gint64 held;       /* due but held */
  gint64 subjects;   /* distinct citizens among the purged */
  gint64 act_id;     /* the act written, 0: none */
  gint64 acts_expired;
} OknoRetentionReport;
void okno_retention_report_free(OknoRetentionReport *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoRetentionReport, okno_retention_report_free)

/* One pass (see above) on `st` (no transaction open); `by` names who runs it on the
 * act ("okno retention run", "scheduler"). NULL on a store error or a bad [retention]
 * group (OKNO_ERROR_USER). */
OknoRetentionReport *okno_retention_run(const OknoConfig *cfg, OknoStore *st, gint64 now,
                                        gboolean dry_run, const char *by, GError **error);
/* The report as JSON: now, dry_run, purged, held, subjects, act (id or null),
 * acts_expired, appeals [{number, kind, category, closed_at, due_at, grounds, action,
 * messages, attachments, events, files}]. Caller frees. */
char *okno_retention_report_json(const OknoRetentionReport *r);
/* One line per appeal and a total line, for people. Caller frees. */
char *okno_retention_report_text(const OknoRetentionReport *r);

/* Legal holds on appeal `number`, at `now`, in the caller's transaction. An empty
 * reason is OKNO_ERROR_USER «Укажите основание удержания.»; an unknown number
 * OKNO_ERROR_USER too; a purged appeal cannot be held (its data is gone). */
gboolean okno_retention_hold(OknoStore *st, const char *number, const char *reason,
                             const char *by, gint64 now, GError **error);
gboolean okno_retention_unhold(OknoStore *st, const char *number, const char *by, gint64 now,
                               GError **error);

/* ---- the citizen's deletion request (docs/retention.md) ----
 * NULL when the citizen may ask to delete appeal `a` now: a support request, not open,
 * whose period is [retention] support_days (no category kept longer by law); else the
 * reason in Russian, for the cabinet. */
const char *okno_retention_deletion_refusal(const OknoConfig *cfg, const OknoAppeal *a);
/* Records the request of `by` (the cabinet's address) to delete `a`, with the event
 * "deletion_requested" and a notice letter to the citizen saying when the data will be
 * destroyed (*due: [retention] deletion_days after closing, or now if later), in the
 * caller's transaction. A refusal (above) is OKNO_ERROR_USER with its text; a request
 * made before changes nothing (*due is then the same date). */
gboolean okno_retention_request_deletion(const OknoSlaEnv *env, OknoStore *st,
                                         const OknoAppeal *a, const char *by, gint64 now,
                                         gint64 *due, GError **error);
