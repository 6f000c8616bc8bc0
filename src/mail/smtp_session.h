/* smtp_session.h: the SMTP / LMTP session state machine, without any I/O.
 *
 * One OknoSmtpSession is one client connection, speaking SMTP (RFC 5321, with
 * PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, STARTTLS) or LMTP
 * (RFC 2033). It is pure: bytes go in through okno_smtp_session_feed(), replies and
 * events go out through the transport's callbacks. The listener (listener.h) owns the
 * sockets, the TLS handshake and the timers; unit tests and the fuzz driver drive a
 * session with a fake transport.
 *
 * Flow: okno_smtp_session_start() sends the 220 greeting. Input is buffered; every
 * complete line is handled in order. When a message ends (the "." line), the session
 * calls transport->deliver() with the message bytes (a Received: header prepended,
 * CRLF line ends) and the envelope, and stops handling input until the transport calls
 * okno_smtp_session_delivered() with the outcome: only then is the reply (250 / 451 /
 * 554; LMTP: one per accepted recipient) written and the pipelined commands behind the
 * message handled. STARTTLS works the same way: the session writes 220, drops any input
 * already buffered (RFC 3207), calls transport->starttls() and waits for
 * okno_smtp_session_tls_started(), which resets the session to its initial state.
 *
 * Callbacks must not free the session; transport->close() asks the transport to
 * close the connection once the replies written so far are flushed, and the transport
 * frees the session later from its own code. No callback is called after close(). */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "mail/envelope.h"

typedef enum {
  OKNO_PROTO_SMTP,
  OKNO_PROTO_LMTP,
} OknoSmtpProto;

typedef struct {
  /* Queue `len` bytes of replies for the client. */
  void (*write)(gpointer io, const char *data, gsize len);
  /* Close the connection after the queued replies. */
  void (*close)(gpointer io);
  /* Begin the TLS handshake (after the queued "220" is flushed); on success call
   * okno_smtp_session_tls_started(), on failure just close. May be NULL when the
   * session is created with tls_available FALSE. */
  void (*starttls)(gpointer io);
  /* A complete message. `msg` and `env` are borrowed for the call (take a reference /
   * copy to keep them). Later, exactly once, call okno_smtp_session_delivered(). */
  void (*deliver)(gpointer io, GBytes *msg, const OknoEnvelope *env);
} OknoSmtpTransport;

typedef struct OknoSmtpSession OknoSmtpSession;

/* `cfg` and `transport` must outlive the session (borrowed). `peer` is the client's
 * address for the Received: header and the envelope ("127.0.0.1", "unix"), copied.
 * `tls_available`: advertise and allow STARTTLS. */
OknoSmtpSession *okno_smtp_session_new(const OknoConfig *cfg, OknoSmtpProto proto,
                                       const char *peer, gboolean tls_available,
                                       const OknoSmtpTransport *transport, gpointer io);
void okno_smtp_session_free(OknoSmtpSession *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoSmtpSession, okno_smtp_session_free)

/* The session id: 16 hex digits, for log lines. Owned by the session. */
const char *okno_smtp_session_id(const OknoSmtpSession *s);

/* Sends the greeting. */
void okno_smtp_session_start(OknoSmtpSession *s);
/* Bytes from the client, any split. Input beyond what can be handled now (while a
 * delivery or a TLS handshake is pending) is kept and handled later: the transport
 * should stop reading while okno_smtp_session_wants_input() is FALSE. */
void okno_smtp_session_feed(OknoSmtpSession *s, const char *data, gsize len);
gboolean okno_smtp_session_wants_input(const OknoSmtpSession *s);
/* TRUE while reading a message (the transport applies data_timeout, not
 * command_timeout). */
gboolean okno_smtp_session_in_data(const OknoSmtpSession *s);
/* How many complete input lines (commands and data) the session has handled: the
 * transport's clock for "one command line within command_timeout" restarts when it
 * moves, not when a byte arrives. */
guint64 okno_smtp_session_lines(const OknoSmtpSession *s);

/* The outcome of the last deliver(): `err` NULL means durable (250); otherwise the
 * reply is okno_error_smtp_reply(err) (core/error.h): the error's own reply when it
 * carries one (a policy refusal such as DMARC "550 5.7.1", a virus "554 5.7.1", clamd
 * down "451 4.3.0"), else 451 4.3.0 for OKNO_ERROR_TEMP and 554 5.6.0 with
 * err->message. `res` may be NULL. */
void okno_smtp_session_delivered(OknoSmtpSession *s, const OknoIntakeResult *res,
                                 const GError *err);
/* The TLS handshake succeeded: back to the initial state, the client must EHLO again. */
void okno_smtp_session_tls_started(OknoSmtpSession *s);
/* The client took too long: 421 4.4.2 with `why` ("timeout exceeded" when NULL: silent,
 * or a command line not finished in time), then close; a partial message is dropped. */
void okno_smtp_session_timeout(OknoSmtpSession *s, const char *why);
/* The server is stopping. A session with no message under way gets 421 4.3.2 and is
 * closed at once; one in a transaction finishes its message, then answers QUIT with
 * 221 and anything else with 421 4.3.2 and closes. `force` (the grace period is over):
 * 421 and close now, except that a message already handed to deliver() still gets its
 * reply first (it may be registered: a 421 would make the client send it again). */
void okno_smtp_session_shutdown(OknoSmtpSession *s, gboolean force);
/* TRUE once close() has been requested. */
gboolean okno_smtp_session_closed(const OknoSmtpSession *s);
