/* imap_poll.h: an existing mailbox as a channel: the `[imap]` job of `okno serve`.
 *
 * A thread logs in to the mailbox (mail/imap_client.h), selects `[imap] folder` and
 * takes every message in it through the intake pipeline (intake/pipeline.h: parse,
 * authentication, rspamd and clamd checks, registration: the same path as SMTP), a
 * batch at a time so that registrations share a commit. Each message carries the
 * source key "imap:USER@HOST/FOLDER/UIDVALIDITY/UID" (store/sources.h), recorded in its
 * registration's transaction: a message seen again after a crash (registered, not yet
 * moved) is answered DUPLICATE and never registered twice. After the commit the
 * message is moved to `done_folder`; one registered in the quarantine hold (it broke a
 * parse budget, or was empty), refused by a check (a virus, DMARC reject) or larger
 * than [smtp] max_message_size goes to `quarantine_folder` instead, so it never stalls
 * the rest. When the folder's UIDVALIDITY changes, the keys change with it and the
 * messages are checked again as any mail is: the same Message-ID or content from the
 * same sender is a duplicate (register.h), so nothing is registered twice. Then the
 * thread waits in IDLE (or polls without it) up to `poll_interval` seconds. Any network
 * or server error closes the connection; it is opened again after poll_interval. */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "intake/pipeline.h"

typedef struct OknoImapPoll OknoImapPoll;

/* Starts the thread when [imap] host is set (NULL without an error otherwise). An
 * unreadable password_file is an error. `cfg` and `in` must outlive the job. */
OknoImapPoll *okno_imap_poll_start(const OknoConfig *cfg, OknoIntake *in, GError **error);
/* Ends any wait, lets the batch in progress commit, joins the thread. NULL: nothing. */
void okno_imap_poll_stop(OknoImapPoll *p);
