/* mime.h: untrusted message bytes in, one decoded record out (GMime 3 underneath).
 *
 * This is the narrow interface behind which all MIME parsing happens: it takes bytes
 * and limits, touches no store, no key and no network, and returns plain data, so it
 * can move into a sandboxed worker process without changing callers.
 *
 * Decoding rules (what a citizen's mail client may send, and what we make of it):
 *  - Headers: RFC 2047 encoded-words (also split mid-character, or missing "?="),
 *    raw 8-bit bytes (UTF-8, windows-1251, KOI8-R guessed by charset.h), RFC 2231
 *    parameters (filenames), all to UTF-8.
 *  - Body: the inline text/plain and text/html leaves without a file name, in
 *    message order, joined with line breaks; inside a multipart/alternative that
 *    has non-blank plain text its html renderings are dropped (text/plain
 *    preferred); html is turned into text by html2text.h (no markup, no script
 *    survives). text_from_html says that no plain part had anything to say. Parts are decoded from their
 *    transfer encoding and converted to UTF-8 from their declared charset, or from a
 *    guessed one when the label is wrong, unknown or missing (charset.h).
 *  - Attachments: every leaf that is not the chosen body text (and every part with
 *    Content-Disposition: attachment or a filename) is listed with its decoded bytes,
 *    its SHA-256 and its type judged by libmagic from the bytes. A message/rfc822
 *    part is an attachment ("message.eml" unless named, GMime's re-serialisation of
 *    it) and is walked as well: a forwarded letter's text joins the body text and
 *    its files are listed after it. Outlook's winmail.dat is
 *    listed as it is (type application/vnd.ms-tnef); policy decides what is kept.
 *  - Limits: nesting deeper than max_depth, more than max_parts parts, more decoded
 *    bytes than memory_budget, or more wall time than time_budget_ms stop the walk;
 *    the record then has budget_exceeded set and whatever was decoded before.
 *
 * The result never fails for malformed input: the worst message still gives a record
 * (with `defects` saying what was wrong). It returns NULL only when raw is empty. */
#pragma once
#include <glib.h>

typedef struct {
  gint64 max_depth;       /* multipart nesting */
  gint64 max_parts;
  gint64 memory_budget;   /* decoded bytes, all parts together */
  gint64 time_budget_ms;
} OknoMimeLimits;

typedef struct {
  char *filename;         /* UTF-8, path parts and control characters removed; never NULL
                             ("attachment-N" with an extension from the type if unnamed) */
  char *declared_type;    /* lowercased "type/subtype" as the Content-Type header wrote
                             it (even when malformed, e.g. "image/"), "" if absent */
  char *content_type;     /* libmagic's judgement of the bytes, "type/subtype" */
  gsize size;             /* decoded bytes */
  char sha256[65];        /* lowercase hex of the decoded bytes */
  GBytes *data;           /* decoded bytes (empty for size 0) */
  gboolean inline_part;   /* Content-Disposition: inline (e.g. an embedded image) */
} OknoAttachment;

typedef struct {
  char *subject;          /* decoded, UTF-8, whitespace folded; "" if absent */
  char *from_name;        /* display name, "" if none */
  char *from_email;       /* addr-spec lowercased in the domain; "" if none found */
  char *reply_to_email;   /* "" if none */
  char *sender_email;     /* the Sender header's address, "" if none */
  char *return_path_email; /* the Return-Path header's address, "" if none or <> */
  const char *from_header; /* where from_email came from: "From", "Sender" or "" (static) */
  char *message_id;       /* without angle brackets; "" if absent */
  char *in_reply_to;      /* without angle brackets; "" if absent */
  char **references;      /* NULL-terminated, without angle brackets, oldest first */
  char *date;             /* RFC 3339 of the Date header, "" if absent or unparsable */
  char *text;             /* body text, UTF-8, LF line ends, "" if none */
  gboolean text_from_html;
  GPtrArray *attachments; /* of OknoAttachment*, in message order */

  /* Headers that decide whether we may answer automatically (loop.h). Raw values,
   * trimmed; "" if absent. */
  char *auto_submitted;
  char *precedence;
  char *list_id;
  gboolean has_list_headers; /* any List-* header (List-Unsubscribe, List-Post, ...) */
  char *x_autoreply;      /* X-Autoreply / X-Autorespond / X-Auto-Response-Suppress */
  char *content_type;     /* top-level "type/subtype", e.g. multipart/report for bounces */

  GPtrArray *defects;     /* of char*, English, for operators: what was odd */
  gboolean budget_exceeded;
} OknoMessage;

/* Parses `len` bytes (CRLF or LF line ends, NUL bytes tolerated). Never NULL unless
 * len == 0. */
OknoMessage *okno_mime_parse(const char *raw, gsize len, const OknoMimeLimits *limits);
void okno_message_free(OknoMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoMessage, okno_message_free)

/* Default limits (the same as the config defaults). */
void okno_mime_limits_default(OknoMimeLimits *limits);

/* Calls g_mime_init once, thread-safely. Every entry point above calls it. */
void okno_mime_init(void);
