/* retention.h: how long okno keeps an appeal's personal data (docs/retention.md), pure:
 * no I/O, no log.
 *
 * The period is counted in days from the appeal's closing (its last change of status
 * to one that is not open) and depends on its kind and category: [retention]
 * support_days for support requests, formal_days for formal appeals, and, when the
 * category is listed in [retention] categories ("complaint:1825; legal:1095"), the
 * longer of the two. A legal hold stops the clock: while held the appeal is never due,
 * and the time it was held is added to the period. A citizen's request to delete a
 * closed support request makes it due [retention] deletion_days after closing (or at
 * the request, if later) instead of support_days. Contract: a policy is plain data,
 * read from any thread; the caller frees it. */
#pragma once
#include <glib.h>

#include "appeal/appeal.h"
#include "core/config.h"

typedef struct OknoRetentionPolicy OknoRetentionPolicy;

/* The policy of `cfg`'s [retention] group. NULL and OKNO_ERROR_USER naming the entry
 * when a categories entry is not "name:days" with days from 1 to 36500. */
OknoRetentionPolicy *okno_retention_policy_new(const OknoConfig *cfg, GError **error);
void okno_retention_policy_free(OknoRetentionPolicy *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoRetentionPolicy, okno_retention_policy_free)

/* The period in days for an appeal of `kind` in `category` ("" or NULL: none). */
gint64 okno_retention_days(const OknoRetentionPolicy *p, OknoKind kind, const char *category);
/* The shortest period of any kind or category (the cut-off of the store's first
 * selection: nothing closed later than now minus it can be due). */
gint64 okno_retention_min_days(const OknoRetentionPolicy *p);

/* What the clock knows of one closed appeal. */
typedef struct {
  OknoKind kind;
  const char *category;
  gint64 closed_at;        /* microseconds */
  gint64 held_total;       /* microseconds held in holds already lifted */
  gboolean held;           /* under a legal hold now */
  gint64 deletion_requested_at; /* 0: none; the citizen asked to delete it then */
} OknoRetentionFacts;

/* When the appeal's personal data is due for destruction (microseconds); 0 when it is
 * held (never due while the hold lasts). `grounds` (may be NULL) gets a static English
 * token: "period" (the retention period ran out) or "request" (the citizen asked). */
gint64 okno_retention_due_at(const OknoRetentionPolicy *p, const OknoRetentionFacts *f,
                             const char **grounds);
