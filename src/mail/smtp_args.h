/* smtp_args.h: the arguments of SMTP/LMTP commands, parsed apart from the session.
 *
 * Everything here reads bytes a client chose and nothing else: pure functions, no
 * session state, no I/O, thread-safe. The session (smtp_session.c) decides what a
 * result means for the dialogue and which reply it gets. */
#pragma once
#include <glib.h>

/* RFC 5321 4.5.3.1.3: a path is at most 256 octets. */
#define OKNO_SMTP_MAX_PATH 256

typedef struct {
  char *addr;            /* without the angle brackets; "" for the null path */
  gint64 size;           /* SIZE=, -1 if absent */
  gboolean utf8;         /* SMTPUTF8 */
  const char *bad_param; /* points into the arguments: an unsupported parameter */
} OknoSmtpPath;

/* Parses "FROM:<addr> PARAMS" (is_mail) or "TO:<addr> PARAMS" (`keyword` given,
 * case-insensitive; spaces after the colon tolerated; a source route dropped). FALSE on
 * bad syntax: no angle brackets, a path over OKNO_SMTP_MAX_PATH, control characters,
 * invalid UTF-8, no domain (but "postmaster"), "<>" as a recipient. An unknown or
 * malformed ESMTP parameter is not a syntax error: TRUE with bad_param pointing at it.
 * MAIL knows SIZE=, BODY=7BIT|8BITMIME and SMTPUTF8; RCPT knows none. Fills `out`,
 * whose addr the caller clears with okno_smtp_path_clear() either way. */
gboolean okno_smtp_path_parse(const char *args, const char *keyword, gboolean is_mail,
                              OknoSmtpPath *out);
void okno_smtp_path_clear(OknoSmtpPath *p);

/* TRUE when `s` has no byte >= 0x80. */
gboolean okno_smtp_is_ascii(const char *s);

/* The first word of an unsupported parameter (at most 64 bytes), for the reply;
 * caller frees. */
char *okno_smtp_param_name(const char *param);

typedef enum {
  OKNO_XFORWARD_OK,
  OKNO_XFORWARD_BAD_VALUE, /* no "=", an empty name, or a value that is not xtext of
                              printable ASCII */
  OKNO_XFORWARD_BAD_ADDR,  /* ADDR is no IP address */
  OKNO_XFORWARD_UNKNOWN,   /* an attribute Postfix does not define */
} OknoXforwardResult;

/* Parses Postfix's XFORWARD arguments "ATTR=value ..." (XFORWARD_README): values are
 * xtext (RFC 3461 4: "+XX" for a byte) of printable ASCII; "[UNAVAILABLE]" and
 * "[TEMPUNAVAIL]" mean unknown. ADDR (an IPv4 or IPv6 address, "IPV6:" prefix allowed)
 * and HELO (cut at 255 bytes) are returned in *addr and *helo (newly allocated; left
 * NULL when absent or unknown); NAME, PROTO, PORT, IDENT and SOURCE are accepted and
 * not used. On any error nothing is returned. */
OknoXforwardResult okno_smtp_xforward_parse(const char *args, char **addr, char **helo);
