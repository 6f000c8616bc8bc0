/* receipt.h: every message okno writes: the receipt on intake, the operator's answer,
 * notices to citizens and staff, and the frame of any other automatic reply.
 *
 * A receipt (or, when the appeal lacks what it needs, a request to clarify) is a
 * complete RFC 5322 message in Russian: From the support address, To the citizen,
 * Subject with the appeal number, In-Reply-To/References to the citizen's message,
 * Auto-Submitted: auto-replied, a fresh Message-ID of ours, UTF-8 quoted-printable
 * text: number, registration time (Europe/Moscow), the original Message-ID and
 * subject, the expected deadline, refused attachments with reasons, what to add and
 * how, and what happens next. Pure: the caller stores and queues it.
 *
 * Subjects: «Обращение № N зарегистрировано»; «Обращение № N: требуется уточнение»
 * when needs_description; «Ваше сообщение добавлено к обращению № N» when joined
 * (joined wins). A quarantined message is not asked for a description (it could not
 * be read, an operator will): quarantined overrides needs_description.
 * Times are written «23 ноября 2026 г., 16:35 (МСК)»; Date is okno_now() in Moscow
 * time. The bytes are 7-bit ASCII with CRLF line ends (RFC 5322 as on the wire);
 * Message-ID is <okno.NUMBER.RANDOM16HEX@cfg->hostname>. Names, subjects and
 * Message-IDs from the citizen's message are cleaned (control characters dropped,
 * capped) and unsafe Message-IDs are left out of In-Reply-To/References. */
#pragma once
#include <glib.h>

#include "core/config.h"

typedef struct {
  const char *number;
  gint64 registered_at;
  gint64 deadline;            /* 0: none stated (when asking for a description, the
                                 receipt says the clock starts with the answer) */
  const char *to_email;
  const char *to_name;        /* may be "" */
  const char *orig_message_id; /* "" if none */
  const char *orig_subject;
  const char *const *orig_references; /* NULL-terminated or NULL */
  gboolean joined;            /* a reply joined an existing appeal */
  gboolean needs_description; /* ask for a description */
  gboolean quarantined;       /* could not be read automatically */
  gboolean formal;            /* a formal appeal under 59-FZ (else a support request,
                                 and the receipt tells how to file a formal appeal) */
  const char *const *refused; /* Russian reasons for refused attachments, or NULL */
  const char *original_sha256; /* lower-case hex SHA-256 of the citizen's message as
                                  received, stated in the text; NULL: not stated */
  const char *const *articles; /* «Возможно, ответ уже есть» (docs/kb.md): pairs of
                                  title and path ("/help/12"), NULL-terminated, at most
                                  three pairs read; NULL or empty: no such part. The
                                  address is [http] public_url + path (the title alone
                                  without public_url). Not in a joined message's text. */
  const char *proof_json;     /* the signed entry timestamp (docs/journal.md,
                                 "Receipts"), attached as okno-receipt.json (base64);
                                 NULL: a plain text/plain receipt */
} OknoReceiptInfo;

/* Returns the message bytes; *message_id gets our Message-ID (no <>), and, when not
 * NULL, *subject and *text the decoded subject and body (for the appeal's history, so
 * nobody has to parse our own message back). Caller frees all.
 * Returns NULL (and the outputs NULL) when to_email or cfg->outbound_from cannot be
 * written into a header as it is (no '@', white space, control or <>"(),;: chars). */
GBytes *okno_receipt_build(const OknoConfig *cfg, const OknoReceiptInfo *info,
                           char **message_id, char **subject, char **text);
/* The receipt's text exactly as okno_receipt_build writes it (the *text it returns),
 * without building the message: its SHA-256 goes into the signed entry timestamp
 * before the receipt is built with it. Caller frees. */
char *okno_receipt_text(const OknoConfig *cfg, const OknoReceiptInfo *info);
/* okno_receipt_build with `letter`, the text okno_receipt_text made for the same info
 * (proof_json then only non-empty, as the text mentions the attachment either way;
 * the signed entry timestamp hashes the text before the receipt is built): the
 * message around it, without writing the text a second time. */
GBytes *okno_receipt_build_text(const OknoConfig *cfg, const OknoReceiptInfo *info,
                                const char *letter, char **message_id, char **subject,
                                char **text);

/* An operator's answer (src/web/console.c): the same threading and headers as a
 * receipt (From the official address, In-Reply-To/References to the citizen's last
 * message, our Message-ID), Subject «Ответ на обращение № N», the operator's `text`
 * as the body, and no Auto-Submitted (a person wrote it). Control characters other
 * than newline and tab are dropped from the text. NULL when an address cannot be
 * written as it is (as okno_receipt_build); caller frees the bytes, *message_id and
 * *subject. */
typedef struct {
  const char *number;
  const char *to_email;
  const char *to_name;                /* may be "" */
  const char *orig_message_id;        /* the citizen's last message; "" if none */
  const char *const *orig_references; /* NULL-terminated or NULL */
  const char *text;
} OknoReplyInfo;
GBytes *okno_reply_build(const OknoConfig *cfg, const OknoReplyInfo *info, char **message_id,
                         char **subject);

/* Any other automatic message of okno (a notification to the citizen, a reminder or
 * escalation to staff), written like a receipt: greeting (to `to_name` when it is a
 * name), `text` (Russian, paragraphs separated by blank lines), the automatic-mail
 * note and the signature; Auto-Submitted: auto-generated; `subject` as given.
 * `number` goes into the Message-ID. Returns NULL (and *message_id NULL) when an
 * address cannot be written into a header; caller frees both. */
GBytes *okno_notice_build(const OknoConfig *cfg, const char *number, const char *to_email,
                          const char *to_name, const char *subject, const char *text,
                          char **message_id);
/* «23 ноября 2026 г., 16:35 (МСК)»: `us` in Moscow time, as receipts write it. */
char *okno_receipt_time(gint64 us);

/* An automatic answer to a citizen's message whose text another module wrote (the
 * check@ verdict: check/reply.h): the greeting (by the cleaned `to_name`, none when it
 * is an address), `text` (Russian, ending with its own closing paragraph), and the
 * signature; threaded to `orig_message_id` and `orig_references` like a receipt, with
 * the same headers, encoding and safety rules, Auto-Submitted: auto-replied, and
 * Message-ID <okno.TAG.RANDOM16HEX@host>. Outputs and NULL as okno_receipt_build()
 * (*text the whole text, greeting and signature included). */
GBytes *okno_auto_reply_build(const OknoConfig *cfg, const char *tag, const char *to_email,
                              const char *to_name, const char *orig_message_id,
                              const char *const *orig_references, const char *subject,
                              const char *text, char **message_id, char **subject_out,
                              char **text_out);

/* Untrusted one-line text (a name, a subject, a phrase quoting a letter) made safe to
 * write into a letter: valid UTF-8, no control characters, white space folded, at most
 * `max_chars` characters (an ellipsis marks a cut). NULL reads as "". Caller frees. */
char *okno_receipt_clean_line(const char *text, glong max_chars);

/* The body encoding of every letter here: `text` (lines ending in LF) appended to `out`
 * as quoted-printable (RFC 2045 6.7) with CRLF line ends: printable ASCII but '=' as it
 * is, space and tab as they are unless they end a line, every other byte as =XX
 * (upper-case hex), soft line breaks ("=" CRLF) keeping lines at most 75 characters
 * before the "=". */
void okno_quoted_printable_append(GString *out, const char *text);
