/* notify.h: citizens' notification settings in the store (the cabinet's
 * «Уведомления»): per contact address and event type, on or off.
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

/* ---- citizens' notification settings (the cabinet's «Уведомления») ----
 * Per contact address (lowercased here) and event type (okno_notify_types() in
 * ops/ops.h): on or off; a pair without a row is on. */
gboolean okno_store_notify_set(OknoStore *st, const char *email, const char *event,
                               gboolean enabled, GError **error);
/* *enabled for (email, event); TRUE when no row says otherwise. */
gboolean okno_store_notify_enabled(OknoStore *st, const char *email, const char *event,
                                   gboolean *enabled, GError **error);
