/* sources.h: where a registered message came from, once: the intake source key.
 *
 * A channel that pulls messages from somewhere that can hand the same message again
 * (an IMAP mailbox: the same UID after a crash between the commit and the move to the
 * done folder) gives each message a key (intake/imap_poll.c: "imap:ACCOUNT/FOLDER/
 * UIDVALIDITY/UID"). The pipeline (intake/pipeline.c) looks the key up and records it
 * inside the registration's own transaction (a unique row), so a message whose key is
 * in the store is never registered again: the row and the appeal are durable
 * together or not at all. Like store.h: one connection, one thread; no function opens
 * a transaction; errors are OKNO_ERROR_TEMP or OKNO_ERROR_INTERNAL. */
#pragma once
#include <glib.h>

#include "store/store.h"

/* The number of the appeal a message with `key` was registered into, in *number
 * (the caller's to free); *number NULL when the key is not in the store. */
gboolean okno_store_source_lookup(OknoStore *st, const char *key, char **number, GError **error);

/* Records `key` as registered into appeal `number` ("" when none: a message sent to
 * the [check] address). A key already recorded is a broken invariant of the caller
 * (it looked first, in the same transaction): the unique row refuses it. */
gboolean okno_store_source_record(OknoStore *st, const char *key, const char *number,
                                  GError **error);
