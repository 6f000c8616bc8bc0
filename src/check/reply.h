/* reply.h: the answer of the check@ address ([check] address, docs/phishing.md): the
 * verdict of the phishing check on the letter the citizen forwarded, with every reason,
 * in plain Russian, and what to do.
 *
 * Subject «Проверка письма: признаков мошенничества не найдено», «...: письмо
 * подозрительное» or «...: письмо опасно» by verdict; the text says what was checked
 * (the attached letter, or the citizen's own when nothing was attached, with advice to
 * forward as an attachment), the verdict, whether the portal really sent it, every
 * reason that weighs anything (cleaned to one line each), the advice for the verdict,
 * and where to ask for help ([smtp] addresses' first). Same headers, encoding and
 * safety rules as a receipt (mail/receipt.h okno_auto_reply_build); Message-ID
 * <okno.check.RANDOM@host>. Pure: the caller signs, stores and queues it. */
#pragma once
#include <glib.h>

#include "check/phishing.h"
#include "core/config.h"

typedef struct {
  const char *to_email;
  const char *to_name;                 /* may be "" */
  const char *orig_message_id;         /* the citizen's message, "" if none */
  const char *const *orig_references;  /* NULL-terminated or NULL */
  const char *checked_subject;         /* subject of the letter checked */
  gboolean forwarded;                  /* the letter checked was attached (message/rfc822) */
  const OknoPhishResult *result;
} OknoCheckReplyInfo;

/* As okno_receipt_build(): the bytes, or NULL when an address is unsafe; *message_id,
 * and when not NULL *subject and *text, for the caller (all NULL with NULL). */
GBytes *okno_check_reply_build(const OknoConfig *cfg, const OknoCheckReplyInfo *info,
                               char **message_id, char **subject, char **text);
