/* queue.h: the console's queues of appeals in the store, paged by keyset
 * (src/store/queue.c; docs/DESIGN.md "Paging"), and the page tokens shared with the
 * cabinet's list (cabinet.h).
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

/* ---- the console's queues, paged (src/store/queue.c; docs/DESIGN.md "Paging") ----
 * Keyset pages: a page is the `limit` rows that follow (or precede) a cursor in the
 * queue's order, read through an index that gives the rows in that order (migration
 * step 10), so a page costs about `limit` index entries whatever the registry's size,
 * and an appeal arriving meanwhile never shifts the rows of the next page (no gap, no
 * repeat: new appeals sort first by received time, or where their deadline puts them).
 * A user who does not see every department gets one branch per visible department
 * merged in order (UNION ALL: SQLite's MERGE, PostgreSQL's Merge Append), never a sort.
 * Counts come from appeal_counts (per department, status, assignee and quarantine,
 * kept by triggers in the appeal's own transaction): a few rows summed at any size.
 * The overdue count depends on the time, so it counts the partial index of open
 * appeals by due time (as many entries as appeals are overdue). With a full-text
 * search, pages and counts follow the matches (as many as the words match). */
typedef enum {
  OKNO_QUEUE_MINE,          /* assigned to the user */
  OKNO_QUEUE_DEPARTMENT,    /* in the user's departments (not triage) */
  OKNO_QUEUE_UNASSIGNED,    /* open and assigned to nobody */
  OKNO_QUEUE_CLARIFICATION, /* status needs_clarification */
  OKNO_QUEUE_OVERDUE,       /* open, with a deadline before `now` */
  OKNO_QUEUE_ALL,           /* everything the user sees */
  OKNO_QUEUE_COUNT
} OknoQueue;

typedef enum {
  OKNO_SORT_RECEIVED, /* newest first: received_at, id descending */
  OKNO_SORT_DEADLINE, /* soonest deadline first, none last: due, id ascending */
} OknoSort;

/* A column to sort by instead of `sort` (issue 21: «sorting by any column»): the rows
 * ordered by the column, then id, ascending or (desc) descending, in SQL, paged by
 * keyset on (column, id) like the other orders, each read through its own index
 * (column, id) (migration 18) with the queue's conditions as filters: a page costs the
 * index entries it takes to find a page of the queue (bench/queue.c measures it). The citizen's address and the subject are not
 * sortable: they are sealed at rest (store/keys.h), so their stored order means nothing. */
typedef enum {
  OKNO_COLUMN_NONE, /* `sort` orders the page */
  OKNO_COLUMN_NUMBER,
  OKNO_COLUMN_CHANNEL,
  OKNO_COLUMN_STATUS,
  OKNO_COLUMN_DEPARTMENT,
  OKNO_COLUMN_ASSIGNEE, /* the assignee's id; nobody (0) first */
  OKNO_COLUMN_COUNT
} OknoColumn;
/* "number", "channel", "status", "department", "assignee" ("" for NONE). */
extern const char *const okno_column_names[OKNO_COLUMN_COUNT];
/* The column named `name`, or OKNO_COLUMN_NONE. */
OknoColumn okno_column_parse(const char *name);

typedef struct {
  OknoQueue queue;
  gint64 user;                    /* the user's id (OKNO_QUEUE_MINE) */
  gboolean every_department;      /* administrators and auditors see every department */
  const char *const *departments; /* the user's departments (NULL-terminated, may be NULL);
                                   * without every_department the user sees these and
                                   * triage (""), as okno_staff_can(VIEW) allows */
  const char *status;             /* NULL or "": any status */
  const char *search;             /* NULL or "": no full-text filter (words as in
                                   * okno_store_search; none left is OKNO_ERROR_USER) */
  OknoSort sort;
  OknoColumn column;              /* not NONE: sort by this column instead (see above) */
  gboolean desc;                  /* with `column`: descending */
  gint64 now;                     /* the instant "overdue" is measured at */
  const char *after;              /* a page token: the rows after it (NULL: the start) */
  const char *before;             /* a page token: the rows before it (if after is NULL) */
  guint limit;                    /* rows per page, 1 to 500 */
} OknoQueueQuery;
/* Quarantined appeals are in no queue. */

typedef struct {
  GPtrArray *appeals; /* OknoAppeal*, in the queue's order */
  char *next;         /* token of the next page (after=), NULL on the last page */
  char *prev;         /* token of the previous page (before=), NULL on the first */
} OknoPage;
void okno_page_free(OknoPage *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoPage, okno_page_free)

/* One page of `q`. Tokens are opaque (base64url of the sort key); one of another sort
 * order (or column and direction) or not made here is OKNO_ERROR_USER with a Russian line. A `before` page that
 * reaches the start is the first page, full. */
OknoPage *okno_store_queue_page(OknoStore *st, const OknoQueueQuery *q, GError **error);
/* The appeals held as spam (queue 'spam', docs/spam.md) that q's user sees
 * (q->every_department, q->departments and triage), newest first, at most q->limit
 * (the held are few: one page, no tokens; the other fields of `q` are ignored).
 * An array of OknoAppeal*, or NULL with an error. */
GPtrArray *okno_store_spam_held(OknoStore *st, const OknoQueueQuery *q, GError **error);
/* The number of appeals in q's queue with its status and search filters (cursors and
 * limit are ignored); -1 with an error. */
gint64 okno_store_queue_count(OknoStore *st, const OknoQueueQuery *q, GError **error);
/* The plan of the statement okno_store_queue_page (count FALSE) or
 * okno_store_queue_count (TRUE) runs for `q`: SQLite's EXPLAIN QUERY PLAN details or
 * PostgreSQL's EXPLAIN lines, one a line (caller frees). For tests and benchmarks. */
char *okno_store_queue_plan(OknoStore *st, const OknoQueueQuery *q, gboolean count,
                            GError **error);

/* Page tokens of the keyset order (received_at or due, then id), shared with the
 * cabinet's list (store/cabinet.h): encode; decode gives FALSE when `token` is not one
 * of `sort`'s. */
char *okno_page_token(OknoSort sort, gint64 key, gint64 id);
gboolean okno_page_token_parse(const char *token, OknoSort sort, gint64 *key, gint64 *id);
