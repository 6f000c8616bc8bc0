/* loop.h: may okno answer this message automatically? (RFC 3834 and practice)
 *
 * No automatic mail (receipt, clarification request) goes to a message that:
 *  - has Auto-Submitted other than "no" (auto-replied, auto-generated, auto-notified);
 *  - has Precedence bulk, list or junk; a List-Id or any List-* header;
 *  - has X-Autoreply/X-Autorespond, or X-Auto-Response-Suppress naming All/AutoReply;
 *  - is a delivery or read report (multipart/report);
 *  - has an empty envelope sender (bounce), or a sender whose local part is
 *    MAILER-DAEMON, postmaster, noreply/no-reply/donotreply/do-not-reply (any case,
 *    with or without "-" or "_" or ".", with or without a "+tag"), or is one of our
 *    own addresses ([smtp] addresses, [outbound] from or [check] address); "sender" here is
 *    each of the envelope sender, From and Reply-To;
 *  - has no address to answer at all: the answer goes to Reply-To, else From (never
 *    to the envelope sender alone), and that address must contain '@'.
 * Header values are judged by their first token, case-insensitively ("auto-replied;
 * owner=..." is auto-replied, "No (comment)" is no). msg->x_autoreply holds the
 * X-Autoreply/X-Autorespond/X-Auto-Response-Suppress values together: it forbids an
 * answer unless all its tokens are report-only suppressions (DR, NDR, RN, NRN, OOF).
 * The message is still registered; only the automatic answer is withheld, and the
 * returned reason (English, for the events) says why. Pure, thread-safe. */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "mail/mime.h"

/* `envelope_from` is the SMTP MAIL FROM ("" for the null path, NULL when the message
 * did not come over SMTP). Returns NULL when an automatic answer is allowed,
 * otherwise a static string with the reason. */
const char *okno_loop_no_autoreply_reason(const OknoConfig *cfg, const OknoMessage *msg,
                                          const char *envelope_from);
