/* appeal_row.h: for the store's own files only (store.c, cabinet.c, ...): the columns
 * of an appeal row in the order okno_appeal_from_row() reads them, so every query that
 * returns appeals selects them the same way. Not part of the store's contract (appeals.h). */
#pragma once
#include "store/appeals.h"
#include "store/db.h"
#include "store/queue.h"

#define OKNO_APPEAL_COLUMNS                                                                    \
  "id, number, status, channel, queue, subject, from_name, from_email, phone, category, " \
  "related, received_at, deadline, updated_at, department, coalesce(assignee, 0), version, " \
  "kind, priority, priority_confirmed, sla_class, overdue, forward_deadline, extensions, "  \
  "answered, deadline_gen"

/* An open appeal (not answered, closed or rejected), written exactly so in the queries
 * and in the partial indexes of migration step 10: SQLite uses a partial index only
 * when the query repeats its condition word for word. */
#define OKNO_OPEN_SQL "status IN ('new', 'in_progress', 'needs_clarification')"
/* In a queue at all (quarantined appeals and those held as spam are in none; the
 * partial indexes of migration step 12 repeat it). */
#define OKNO_QUEUED_SQL "queue NOT IN ('quarantine', 'spam')"
/* Held out of every queue, as appeal_counts' `quarantine` column counts it (step 12). */
#define OKNO_HELD_SQL(R) R "queue IN ('quarantine', 'spam')"
/* The conditions of the partial indexes of migration 10: open and queued (the overdue
 * queue's and count's), and also assigned to nobody (the unassigned queue's). */
#define OKNO_LIVE_SQL OKNO_QUEUED_SQL " AND " OKNO_OPEN_SQL
#define OKNO_FREE_SQL OKNO_LIVE_SQL " AND assignee IS NULL"

/* The appeal's field table (store.c): OKNO_APPEAL_COLUMNS is its select list, written
 * out so that queries stay static strings; okno_store_open checks the two agree. */
#define OKNO_APPEAL_N_FIELDS 26
extern const OknoField okno_appeal_fields[OKNO_APPEAL_N_FIELDS];

/* The OknoAppeal of row `i` of `r`, selected with OKNO_APPEAL_COLUMNS first; caller
 * frees. NULL and OKNO_ERROR_INTERNAL when the row holds a value okno does not know
 * (okno_rows_map). */
OknoAppeal *okno_appeal_from_row(const OknoRows *r, guint i, GError **error);
/* Every row of `r` so (a GPtrArray of OknoAppeal*), or NULL as above. */
GPtrArray *okno_appeals_from_rows(const OknoRows *r, GError **error);

/* Full-text search as a filter (src/store/search.c): the words of `query` as the
 * backend's match text (NULL with OKNO_ERROR_USER when no word is left, as in
 * okno_store_search), and the condition on appeals.id that matches them, the match
 * text being parameter $placeholder (caller frees both). */
char *okno_search_words(const char *query, gboolean sqlite, GError **error);
char *okno_search_match_sql(gboolean sqlite, guint placeholder);

/* A keyset page (queue.h OknoPage) of the rows `r` of a statement that selected
 * OKNO_APPEAL_COLUMNS in `sort`'s order (reversed when `back`: a `before` page) with
 * LIMIT limit + 1; `cursor`: the statement was bounded by a token. Sets the next and
 * previous tokens (src/store/queue.c); caller frees. NULL as okno_appeal_from_row. */
OknoPage *okno_page_from_rows(const OknoRows *r, guint limit, OknoSort sort, gboolean cursor,
                              gboolean back, GError **error);

/* The answer of an optimistic "UPDATE appeals ... WHERE id = $1 AND version = $2
 * RETURNING version" (`r`, NULL when the statement failed: FALSE, error already set):
 * no row is a stale version (OKNO_ERROR_USER OKNO_STORE_STALE_TEXT, FALSE); else the new
 * version goes to *new_version (may be NULL) and TRUE. */
gboolean okno_store_versioned(const OknoRows *r, gint64 *new_version, GError **error);
