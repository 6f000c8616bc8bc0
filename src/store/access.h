/* access.h: the staff access journal in the store (docs/journal.md, "Access"): one row
 * per staff read of an appeal (its page, a file, the original message, unmasked
 * personal data), each with its journal leaf (store/journal.h, ref "access") written in
 * the same transaction, so a row removed or edited by hand is found by verify.
 *
 * Actions: "view" (the appeal's page), "download" (a file, detail: its index), "raw"
 * (an original message, detail: its index), "unmask" (personal data in clear),
 * "export" (an evidence bundle). The department is the one the reader acted for: the
 * appeal's when the reader belongs to it, else the reader's first ("" for none).
 *
 * Like store.h: one connection, one thread; rows returned are owned by the caller;
 * errors OKNO_ERROR_TEMP or OKNO_ERROR_INTERNAL. okno_store_access_add opens no
 * transaction (the caller's: a read has none of its own, so the caller opens a small
 * one for it). */
#pragma once
#include <glib.h>

#include "store/store.h"

typedef struct {
  gint64 id;
  gint64 at;          /* microseconds */
  gint64 user_id;
  char *login;
  char *role;
  char *department;
  char *ip;
  char *action;
  gint64 appeal_id;
  char *number;       /* read back: the appeal's number */
  char *detail;
} OknoAccessRow;
void okno_access_row_free(OknoAccessRow *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoAccessRow, okno_access_row_free)

/* Inserts `r` (sets id and, when 0, at) and its journal leaf. */
gboolean okno_store_access_add(OknoStore *st, OknoAccessRow *r, GError **error);
/* okno_store_access_add in a transaction of its own that does not wait for the disk
 * (SQLite: synchronous=NORMAL for it, WAL; PostgreSQL: synchronous_commit off for it):
 * the read is committed, in order, before this returns, but a crash of the machine (not
 * of okno) may lose the last few reads; never a hole in the journal, since both stores
 * keep commits in order. What the console does for a read (a read changes nothing, and
 * a synced commit per page view would cost the console a disk sync each). */
gboolean okno_store_access_record(OknoStore *st, OknoAccessRow *r, GError **error);

/* The latest reads, newest first, at most `limit`: of appeal `appeal_id` (> 0), or of
 * user `user_id` (> 0), or every read (both 0). A GPtrArray of OknoAccessRow. */
GPtrArray *okno_store_access_list(OknoStore *st, gint64 appeal_id, gint64 user_id,
                                  guint limit, GError **error);
