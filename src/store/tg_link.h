/* tg_link.h: one-time codes that link a Telegram chat to a citizen's cabinet (issue
 * 22, docs/channels.md "Telegram in the cabinet").
 *
 * The bot gives a chat that sends /link a code; the citizen, signed in to the cabinet,
 * types it there; the cabinet then owns the chat's contact address
 * ("tg.CHATID@telegram.invalid", appeal/tg_contact.h) through an address move
 * (store/cabinet.h okno_store_contact_move), so the chat's appeals are in its list.
 * Only the code's SHA-256 is kept (of its normal form: upper case, no '-' or spaces),
 * with the chat's contact sealed (store/keys.h) and an expiry; a code is used at most
 * once. Like store.h: one connection, one thread; no function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

/* Keeps `code` for `contact` until `expires_at` (µs); first drops expired codes. */
gboolean okno_store_tg_link_add(OknoStore *st, const char *code, const char *contact,
                                gint64 expires_at, gint64 now, GError **error);
/* Uses `code` up: the contact it was given for (caller frees) and the code deleted;
 * NULL with no error when no such code is kept or it expired before `now`. */
char *okno_store_tg_link_take(OknoStore *st, const char *code, gint64 now, GError **error);
/* `code`'s normal form: A-Z and 0-9 only, upper case (caller frees). */
char *okno_tg_link_normal(const char *code);
