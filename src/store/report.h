/* report.h: figures read from the store for operators and supervisors: the gauges
 * `/metrics` reads at scrape time and the readiness check (web/metrics.h), and the
 * period report of `okno report` (docs/metrics.md). SQL only here.
 *
 * okno_store_gauges: cheap reads at any size of the registry: the outbound queue
 * (rows in state 'queued', through the index outbound_due) and its oldest row's
 * creation time, the overdue count (open queued appeals whose deadline is before
 * `now`, in the partial index appeals_open_due, as the console's overdue queue counts
 * them) and the appeals per status from appeal_counts (a few rows). FALSE with an
 * error when the store cannot be read.
 *
 * okno_store_ready: TRUE when the store answers and its schema version is the newest
 * this build knows; FALSE with an error saying which is not so. */
#pragma once
#include <glib.h>

#include "store/store.h"

typedef struct {
  gint64 outbound_queued;
  gint64 outbound_oldest_at; /* created_at (µs) of the oldest queued row; 0: none */
  gint64 overdue;
  GHashTable *by_status;     /* status name -> gint64* count (caller: okno_store_gauges_clear) */
} OknoStoreGauges;

gboolean okno_store_gauges(OknoStore *st, gint64 now, OknoStoreGauges *g, GError **error);
void okno_store_gauges_clear(OknoStoreGauges *g);

gboolean okno_store_ready(OknoStore *st, GError **error);
