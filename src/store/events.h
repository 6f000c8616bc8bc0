/* events.h: an appeal's history in the store: one row per event (status change,
 * assignment, mail sent...), with its detail as a JSON object; read back by render.c
 * and the cabinet (cabinet.h).
 *
 * Personal data in details (issue 15, docs/crypto.md "Event details"): an event of a
 * kind not in okno_store_fact_event_kinds[] (those hold facts only: numbers, statuses,
 * departments, instants) may carry a person's words or data (an operator's reason, a
 * note, the value typed as a SNILS, a file name, a delivery error quoting an address).
 * With a key file, each member of such a detail is sealed under the appeal's data key,
 * except the members the store's own SQL matches on (a status change's `to` and `from`,
 * a forwarding's `in_time`): the
 * stored text is "~2" followed by the JSON with each sealed value written as the string
 * "~1<base64>" (the raw value token sealed, so opening gives the detail back byte for
 * byte and the journal's digest of it stays valid). Every query opens it by itself
 * (db.h's text opener): readers see the detail as it was written. A member whose key
 * was shredded reads as "".
 *
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

gboolean okno_store_event_add(OknoStore *st, gint64 appeal_id, const char *kind,
                              const char *detail_json, GError **error);
/* An event made ready before its transaction, on another connection or thread (the
 * outbound queue's outcomes, ops/outbound.c, prepared on its own connection before its
 * job enters the group-commit writer, store/commit.h): the detail as stored (sealed as
 * said below), its SHA-256 for the journal's entry and the appeal's number for the
 * leaf, so that okno_store_event_add_prepared only INSERTs. It holds nothing of the
 * transaction: added twice (a writer's group run again) it is the same event. The
 * event's time is taken when added, as okno_store_event_add does. */
typedef struct {
  gint64 appeal_id;
  char *kind;
  char *detail;  /* the detail JSON as given */
  char *stored;  /* the detail as stored */
  char *number;  /* the appeal's number; NULL: looked up when the leaf is written */
  gboolean digested; /* detail_sha256 made (the journal was on when prepared) */
  guint8 detail_sha256[32];
} OknoEventPrepared;
/* `number`: the appeal's number when the caller has read it (the journal's leaf names
 * it), NULL to have it read here. FALSE with the error when the appeal's key does not
 * open or the store failed (*out then holds nothing to clear). */
gboolean okno_store_event_prepare(OknoStore *st, gint64 appeal_id, const char *number,
                                  const char *kind, const char *detail_json,
                                  OknoEventPrepared *out, GError **error);
void okno_store_event_prepared_clear(OknoEventPrepared *p);
/* Adds the prepared event, exactly as okno_store_event_add would have added it. */
gboolean okno_store_event_add_prepared(OknoStore *st, const OknoEventPrepared *p,
                                       GError **error);
/* The detail (JSON text, caller frees) of the latest event `kind` of appeal
 * `appeal_id`; NULL with no error when it has none. */
char *okno_store_event_last(OknoStore *st, gint64 appeal_id, const char *kind, GError **error);

/* The kinds whose detail holds facts only, never a person's words or data
 * (NULL-terminated): stored clear, and kept by a retention purge. */
extern const char *const okno_store_fact_event_kinds[];
gboolean okno_store_event_kind_is_fact(const char *kind);
/* The detail as stored: sealed as said above, or a copy of `detail_json` (no key file,
 * an appeal without a data key, a kind of facts only). NULL with the error when the
 * appeal's key does not open. */
char *okno_store_event_detail_seal(OknoStore *st, gint64 appeal_id, const char *kind,
                                   const char *detail_json, GError **error);
