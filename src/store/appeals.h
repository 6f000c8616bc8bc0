/* appeals.h: the appeal record in the store (OknoAppeal: appeal/appeal.h): insert,
 * read, update under optimistic locking, assignment, merging and splitting, the list
 * of `okno list`, and the JSON of `okno show --json` / `okno list --json`.
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "appeal/appeal.h"
#include "store/keys.h"
#include "store/store.h"

gboolean okno_store_appeal_insert(OknoStore *st, OknoAppeal *a, GError **error); /* sets id */
/* The same with the data key made ahead `k` (store/keys.h: inserted here, and the
 * appeal's values sealed under it); NULL `k`: a new key, as okno_store_appeal_insert. */
gboolean okno_store_appeal_insert_keyed(OknoStore *st, OknoAppeal *a,
                                        const OknoKeyAhead *k, GError **error);
OknoAppeal *okno_store_appeal_get(OknoStore *st, const char *number, GError **error);
OknoAppeal *okno_store_appeal_get_by_id(OknoStore *st, gint64 id, GError **error);
/* What a stale optimistic version gives (OKNO_ERROR_USER, Russian: the console shows it). */
#define OKNO_STORE_STALE_TEXT \
  "Обращение уже изменил другой сотрудник: обновите страницу и повторите действие."
/* Writes every mutable field of `a` (status, related, deadline, the SLA fields from
 * priority on and the hold queue; kind, number and contact never change), sets updated_at to now and
 * bumps the version, if the row's version is still a->version (0 skips the check: the
 * intake pipeline, which owns a new appeal); a->version gets the new one. A stale
 * version is OKNO_ERROR_USER OKNO_STORE_STALE_TEXT and changes nothing. The department
 * and the assignee change only through okno_store_appeal_assign (below), which checks
 * the version too. */
gboolean okno_store_appeal_update(OknoStore *st, OknoAppeal *a, GError **error);

/* Moves appeal `id` to `department` ("" = triage) and gives it to `assignee` (0:
 * nobody) if its version is still `version`; bumps the version (new one in
 * *new_version, may be NULL). A stale version is OKNO_ERROR_USER «Обращение уже
 * изменил другой сотрудник: обновите страницу и повторите действие.»; an unknown id
 * too. version 0 skips the check (the intake pipeline, which owns a new appeal). */
gboolean okno_store_appeal_assign(OknoStore *st, gint64 id, gint64 version,
                                  const char *department, gint64 assignee,
                                  gint64 *new_version, GError **error);

/* Merges duplicate appeal `dup_id` (read at `dup_version`) into `target_id`: its
 * messages move to the target (so later replies in the duplicate's thread join the
 * target; the search index follows), its own events stay where they are (history
 * kept), and it becomes `closed` with `related` = the target's number; both versions
 * are bumped (the target's new one in *target_version, may be NULL). A stale
 * dup_version is OKNO_ERROR_USER as in okno_store_appeal_assign. Caller's transaction. */
gboolean okno_store_appeal_merge(OknoStore *st, gint64 dup_id, gint64 dup_version,
                                 gint64 target_id, const char *target_number,
                                 gint64 *target_version, GError **error);

/* Splits inbound messages out of appeal `from_id` (read at `from_version`) into the new
 * appeal `fresh`, which the caller filled (number from okno_store_next_seq, contact,
 * channel, category, status, department, assignee...); it is inserted here (fresh->id
 * and fresh->version set; department and assignee through okno_store_appeal_assign). `indexes` (n of
 * them) are 1-based positions in the source's history ordered by message id, as in
 * okno_store_appeal_json and the console page. Each must name an inbound message of the
 * source, and at least one inbound message must stay there; else OKNO_ERROR_USER with
 * a Russian line. The messages move with their attachments (rows keyed by message);
 * nothing is deleted; the source's version is bumped (*new_from_version, may be NULL).
 * A stale from_version is OKNO_ERROR_USER OKNO_STORE_STALE_TEXT. Caller's transaction;
 * the caller writes the events. */
gboolean okno_store_appeal_split(OknoStore *st, gint64 from_id, gint64 from_version,
                                 const gint64 *indexes, guint n, OknoAppeal *fresh,
                                 gint64 *new_from_version, GError **error);

/* ---- reading for people ---- */
/* The appeal as the JSON contract of `okno show --json` (DESIGN.md). NULL if unknown. */
char *okno_store_appeal_json(OknoStore *st, const char *number, GError **error);
/* Filters of `okno list`; NULL or "" strings do not filter. */
typedef struct {
  const char *status;
  const char *channel;
  const char *queue;
  const char *from_email;
  gint64 limit;      /* 0: no limit */
  const char *after; /* an appeal number: only appeals listed after it (keyset paging) */
} OknoListFilter;
/* Appeals matching `f` (may be NULL), newest first (received_at, then id, descending):
 * a GPtrArray of OknoAppeal* (free with g_ptr_array_unref). The order is the index
 * appeals_k_recv's, so a page of `limit` after an appeal reads about `limit` rows. An
 * unknown `after` number is OKNO_ERROR_USER. */
GPtrArray *okno_store_list(OknoStore *st, const OknoListFilter *f, GError **error);
/* Appeals (OknoAppeal*) as the JSON array of summaries that `okno list --json` prints. */
char *okno_appeals_json(const GPtrArray *appeals);
