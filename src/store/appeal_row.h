/* appeal_row.h: for the store's own files only (store.c, cabinet.c, ...): the columns
 * of an appeal row in the order okno_appeal_from_row() reads them, so every query that
 * returns appeals selects them the same way. Not part of the store's contract (store.h). */
#pragma once
#include "store/db.h"
#include "store/store.h"

#define OKNO_APPEAL_COLUMNS                                                                    \
  "id, number, status, channel, queue, subject, from_name, from_email, phone, category, " \
  "related, received_at, deadline, updated_at, department, coalesce(assignee, 0), version, " \
  "kind, priority, priority_confirmed, sla_class, overdue, forward_deadline, extensions, "  \
  "answered, deadline_gen"

/* The OknoAppeal of row `i` of `r`, selected with OKNO_APPEAL_COLUMNS first; caller frees. */
OknoAppeal *okno_appeal_from_row(const OknoRows *r, guint i);
