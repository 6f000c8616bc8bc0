/* events.h: an appeal's history in the store: one row per event (status change,
 * assignment, mail sent...), with its detail as a JSON object; read back by render.c
 * and the cabinet (cabinet.h).
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

gboolean okno_store_event_add(OknoStore *st, gint64 appeal_id, const char *kind,
                              const char *detail_json, GError **error);
/* The detail (JSON text, caller frees) of the latest event `kind` of appeal
 * `appeal_id`; NULL with no error when it has none. */
char *okno_store_event_last(OknoStore *st, gint64 appeal_id, const char *kind, GError **error);
