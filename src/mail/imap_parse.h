/* imap_parse.h: the IMAP4rev1 server responses okno's IMAP client (imap_client.h)
 * reads, from untrusted bytes. Pure: no I/O, no clock.
 *
 * A response is one line ending in CRLF, in which a literal ("{N}" at the end of a
 * line, then N bytes) may carry more lines. okno_imap_response_length() says how many
 * bytes of a buffer make the first complete response (0: not yet complete), refusing
 * a literal over `max_literal` and a line over OKNO_IMAP_MAX_LINE bytes, so a server
 * can never make the client buffer without limit. okno_imap_response_parse() then
 * takes that response apart into the few things the client uses: the tag, a status
 * (OK/NO/BAD/BYE/PREAUTH) and its response code ("[UIDVALIDITY 7]"), an untagged
 * number with its kind ("* 3 EXISTS", "* 3 FETCH (...)"), SEARCH's numbers, and of
 * a FETCH the UID, RFC822.SIZE and the BODY[] literal. Anything it does not use is
 * skipped; anything malformed is an error (OKNO_ERROR_PERM), never a crash. */
#pragma once
#include <glib.h>

#define OKNO_IMAP_MAX_LINE 65536

typedef struct {
  char *tag;        /* "*" untagged, "+" a continuation request, else the command's tag */
  char *status;     /* "OK", "NO", "BAD", "BYE", "PREAUTH" (upper case) or NULL */
  char *code;       /* the response code without brackets ("UIDVALIDITY 7"), or NULL */
  char *kind;       /* an untagged response's keyword, upper case: "EXISTS", "FETCH",
                     * "SEARCH", "CAPABILITY", "FLAGS", ... or NULL */
  guint32 number;   /* "* N EXISTS|EXPUNGE|RECENT|FETCH": N; else 0 */
  char *text;       /* the human text after the status (or the continuation's), or NULL */
  GArray *search;   /* SEARCH: guint32 each (empty array when none); else NULL */
  /* FETCH items (0 / NULL when not in the response) */
  guint32 uid;
  guint64 size;     /* RFC822.SIZE */
  GBytes *body;     /* BODY[] (or BODY.PEEK[] answered as BODY[], or RFC822) */
} OknoImapResponse;

/* The length of the first complete response in `buf`; 0 when more bytes are needed;
 * -1 with an error when a line is longer than OKNO_IMAP_MAX_LINE or a literal larger
 * than `max_literal`. */
gssize okno_imap_response_length(const guint8 *buf, gsize len, guint64 max_literal,
                                 GError **error);

/* Parses one complete response (as okno_imap_response_length measured it). NULL with
 * an error when malformed. */
OknoImapResponse *okno_imap_response_parse(const guint8 *buf, gsize len, GError **error);
void okno_imap_response_free(OknoImapResponse *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoImapResponse, okno_imap_response_free)

/* An IMAP quoted string for a command argument ("INBOX" -> "\"INBOX\""); NULL when
 * `s` has a CR, LF or NUL (such a string needs a literal: okno never sends one). */
char *okno_imap_quote(const char *s);
