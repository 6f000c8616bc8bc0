/* smtp_client.h: a small blocking SMTP client that hands one message to a relay.
 *
 * One call, one connection: greeting, EHLO (HELO when EHLO is refused), STARTTLS when
 * the relay offers it, MAIL FROM, RCPT TO, DATA (the body's line endings normalised to
 * CRLF and leading dots doubled, RFC 5321 4.5.2), QUIT. Every connect, read and write
 * is bounded by the target's timeout. Replies are read with caps: a line longer than
 * OKNO_SMTP_REPLY_LINE_MAX octets or a reply of more than OKNO_SMTP_REPLY_LINES_MAX
 * lines ends the session as a temporary failure.
 *
 * TLS policy (opportunistic, for now): when the relay offers STARTTLS the session is
 * encrypted, but the relay's certificate is accepted whatever it is (self-signed,
 * wrong name, expired) and the problems are logged. This protects against passive
 * eavesdropping only; an active attacker can still impersonate the relay. A refused
 * STARTTLS (non-220 reply) continues in clear text. Pinning or verifying the relay's
 * certificate needs a configuration key that does not exist yet.
 *
 * The outcome is classified the way a queue needs it:
 *   OKNO_SMTP_SENT  the relay answered 2xx to the end of DATA;
 *   OKNO_SMTP_TEMP  a 4xx reply, a refused or broken connection, a timeout, a TLS
 *                   handshake failure or a malformed reply: try again later;
 *   OKNO_SMTP_PERM  a 5xx reply (to the greeting, MAIL, RCPT, DATA or the message).
 * Thread-safe: no shared state; each call uses its own socket. */
#pragma once
#include <glib.h>

#define OKNO_SMTP_REPLY_LINE_MAX 1000 /* octets per reply line, CRLF included */
#define OKNO_SMTP_REPLY_LINES_MAX 100 /* lines per (multi-line) reply */

typedef enum {
  OKNO_SMTP_SENT,
  OKNO_SMTP_TEMP,
  OKNO_SMTP_PERM,
} OknoSmtpOutcome;

typedef struct {
  const char *relay;     /* "host:port" or "[v6addr]:port"; port 25 when absent */
  const char *helo_name; /* our name for EHLO/HELO */
  guint timeout_seconds; /* per connect, read and write; 0 means 60 */
} OknoSmtpTarget;

typedef struct {
  OknoSmtpOutcome outcome;
  int code;     /* the deciding reply's code, 0 when no reply decided (I/O, timeout) */
  char *reply;  /* the deciding reply's lines joined by '\n' (codes included), or a
                 * local reason such as "connect: Connection refused". Owned by the
                 * result: release with okno_smtp_result_clear(). */
  gboolean tls; /* the message went over STARTTLS */
} OknoSmtpResult;

/* Delivers `message` (raw RFC 5322 bytes, any line endings) from `env_from` (may be
 * "" for a null reverse-path) to the single recipient `env_to`. Fills `result` (which
 * the caller clears) and returns its outcome. Never fails otherwise. */
OknoSmtpOutcome okno_smtp_send(const OknoSmtpTarget *target, const char *env_from,
                               const char *env_to, GBytes *message, OknoSmtpResult *result);
void okno_smtp_result_clear(OknoSmtpResult *result);
