/* classify_history.h (ops): the staff decisions the appeals' history holds from before
 * the models learned from them (issue 19 item 2; docs/classify.md "Decisions made
 * before the learning"), taken as examples by `okno classify retrain`.
 *
 * What the history records as a staff decision, and is taken:
 *  - a transfer to a department (event `transferred` {"to", "by"}, always by a staff
 *    member): an example of OKNO_DEPARTMENT_MODEL, the latest transfer's department;
 *  - a supervisor's confirmation of urgency (event `priority_confirmed` {"class",
 *    "by"}): an example of OKNO_SLA_CLASS_MODEL, the class it gave (urgent, or
 *    accelerated kept).
 * Each only for an appeal the model has no operator example of (the example recorded
 * at a later decision is the latest one and stands), and an appeal whose texts were
 * purged or shredded gives no text when training and is skipped there.
 *
 * Not taken:
 *  - a category from before the category model: staff could not set one; it came only
 *    with the appeal, as the citizen's topic on the form or the same list's topic an
 *    operator picked while logging a call for the citizen (`received` names the
 *    operator, not the choice). Both are the citizen's topic relayed, which the
 *    learning never takes as an example, then or now;
 *  - any other SLA class: the policy's rules set it at registration and a change of
 *    kind sets it again; nothing tells such a default from a staff member's view. */
#pragma once
#include <glib.h>

#include "store/store.h"

/* Records the examples above in one transaction; *department and *sla_class (may be
 * NULL) get how many of each were added. Idempotent: a second call adds none. */
gboolean okno_classify_from_history(OknoStore *st, guint *department, guint *sla_class,
                                    GError **error);
