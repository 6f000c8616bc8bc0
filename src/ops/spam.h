/* spam.h: an operator's word on spam (docs/spam.md): mark an appeal as spam, or release
 * one from the spam hold.
 *
 * okno_ops_mark_spam() puts the appeal into the spam hold (OKNO_HOLD_SPAM: in no
 * regular queue): its clock stops (deadline 0, jobs cancelled, `clock_paused`), event
 * `marked_spam` with who did it. On an appeal already held it only records the word.
 * okno_ops_release_spam() takes an appeal out of the spam hold into the normal flow:
 * event `released_from_spam`, the deadline counted from now (`deadline_set`), and the
 * receipt the citizen did not get at registration, unless something other than the
 * spam judgement forbade it then (loop rules, a sender that failed SPF and DMARC:
 * `autoreply_suppressed` again with that reason). Both run inside the caller's
 * transaction, check the appeal's version (a stale one: OKNO_ERROR_USER
 * OKNO_STORE_STALE_TEXT) and leave teaching rspamd to the caller (it is network I/O:
 * after the commit, check/rspamd.h okno_rspamd_learn). */
#pragma once
#include <glib.h>

#include "ops/ops.h"

gboolean okno_ops_mark_spam(OknoStore *st, const char *number, gint64 version,
                            const char *actor, GError **error);
/* OKNO_ERROR_USER «Обращение не находится в очереди спама.» when it is not held. */
gboolean okno_ops_release_spam(const OknoSlaEnv *env, OknoStore *st, const char *number,
                               gint64 version, const char *actor, GError **error);
