/* tg_contact.h: the contact address of a Telegram chat.
 *
 * An appeal from the Telegram bot (channel telegram) keeps its chat as its contact in
 * the same column as an e-mail address, in the form "tg.CHATID@telegram.invalid"
 * (RFC 2606: .invalid never resolves, so no mail can leave for it). The address is
 * sealed and blind-indexed like any contact (store/keys.h), so a chat's appeals are
 * found, joined and answered the way a mailbox's are; the outbound queue sends what
 * is addressed to it through the Bot API instead of mail (store/outbound.h). Pure. */
#pragma once
#include <glib.h>

#define OKNO_TG_CONTACT_DOMAIN "telegram.invalid"

/* "tg.CHATID@telegram.invalid"; caller frees. */
char *okno_tg_contact(gint64 chat_id);
/* TRUE and *chat_id when `addr` (any case) is such an address with a chat id in
 * range; FALSE for anything else (NULL included). */
gboolean okno_tg_contact_chat(const char *addr, gint64 *chat_id);
