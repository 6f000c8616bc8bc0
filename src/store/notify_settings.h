/* notify_settings.h: which e-mail notifications a contact wants, per event type.
 *
 * A contact (an e-mail address, lowercase) may turn off the e-mail of each event type;
 * with no row for a type, it is on. Every sender of mail to citizens asks
 * okno_notify_enabled() before queueing (the receipt sender does for "registered"
 * and "clarification"). Stored in the table notify_settings (contact, event, email_on).
 * NOTE for the merge: the `sla` branch adds a table for the same settings; the two are
 * to be unified into one, keeping this small API.
 * Same rules as store.h: the caller's connection and thread, no transaction opened. */
#pragma once
#include <glib.h>

#include "store/store.h"

typedef enum {
  OKNO_NOTIFY_REGISTERED = 1 << 0,    /* the appeal was registered (the receipt) */
  OKNO_NOTIFY_STATUS = 1 << 1,        /* its status changed */
  OKNO_NOTIFY_ANSWER = 1 << 2,        /* an answer was sent */
  OKNO_NOTIFY_CLARIFICATION = 1 << 3, /* we need something from the citizen */
  OKNO_NOTIFY_DEADLINE = 1 << 4,      /* a reminder before the deadline */
} OknoNotifyEvent;

#define OKNO_NOTIFY_ALL 0x1f
#define OKNO_NOTIFY_COUNT 5

/* The machine name ("registered", "status", "answer", "clarification", "deadline") and
 * the Russian label of the `i`-th type (0 .. OKNO_NOTIFY_COUNT-1); static strings. */
OknoNotifyEvent okno_notify_event_at(guint i, const char **name, const char **label);

/* The bitmask of types whose e-mail is on for `contact` (OKNO_NOTIFY_ALL by default).
 * FALSE on a store error. */
gboolean okno_notify_settings_get(OknoStore *st, const char *contact, guint *mask,
                                  GError **error);
/* Turns the e-mail of one type on or off for `contact`. */
gboolean okno_notify_settings_set(OknoStore *st, const char *contact, OknoNotifyEvent event,
                                  gboolean on, gint64 now, GError **error);
/* Whether `contact` gets e-mail for `event`. On a store error: TRUE (a notice too many is
 * better than a lost one) with *error set. */
gboolean okno_notify_enabled(OknoStore *st, const char *contact, OknoNotifyEvent event,
                             GError **error);
