/* imap_client.h: a small blocking IMAP4rev1 client over GIO, for the mailbox okno
 * takes appeals from (intake/imap_poll.h). One connection, used from one thread.
 *
 * It speaks what that job needs: LOGIN (after STARTTLS, or over TLS from the start,
 * when asked: GTlsClientConnection, the system's trust store), SELECT with its
 * UIDVALIDITY, UID SEARCH, UID FETCH (the sizes of a batch, then BODY.PEEK[] of each
 * under a size limit), UID MOVE or, without the MOVE capability, UID COPY + UID STORE \Deleted +
 * (UID) EXPUNGE, CREATE, and IDLE (RFC 2177) until the mailbox changes or a timeout.
 * Responses are read through imap_parse.h, so a server can make it buffer no more
 * than one message's size limit. Errors: OKNO_ERROR_TEMP for the network, a timeout
 * or a server's NO/BYE (try again later), OKNO_ERROR_PERM for a BAD, or a malformed
 * response (the connection is then best closed and opened again). A
 * cancelled `cancel` ends any wait with G_IO_ERROR_CANCELLED. */
#pragma once
#include <gio/gio.h>

typedef enum {
  OKNO_IMAP_TLS_NONE,     /* plain text (a mailbox on the same host or a test) */
  OKNO_IMAP_TLS_STARTTLS, /* STARTTLS before LOGIN */
  OKNO_IMAP_TLS_TLS,      /* TLS from the first byte (port 993) */
} OknoImapTls;

typedef struct {
  const char *host;
  guint16 port;
  OknoImapTls tls;
  const char *user, *password;
  guint timeout_seconds;  /* every read and write; 0: 60 */
  guint64 max_message;    /* okno_imap_fetch refuses a larger message */
} OknoImapOptions;

typedef struct OknoImapClient OknoImapClient;

/* Connects, reads the greeting, does TLS as asked and logs in. */
OknoImapClient *okno_imap_connect(const OknoImapOptions *o, GCancellable *cancel,
                                  GError **error);
/* LOGOUT (best effort) and frees. */
void okno_imap_close(OknoImapClient *c);

/* A capability the server announced ("MOVE", "IDLE", "UIDPLUS"). */
gboolean okno_imap_has(OknoImapClient *c, const char *capability);

/* SELECT: *uidvalidity set from the response code. */
gboolean okno_imap_select(OknoImapClient *c, const char *folder, guint32 *uidvalidity,
                          GError **error);
/* CREATE; a folder that already exists is no error. */
gboolean okno_imap_create(OknoImapClient *c, const char *folder, GError **error);
/* UID SEARCH UNDELETED: the UIDs, ascending. */
GArray *okno_imap_search(OknoImapClient *c, GError **error);
/* The sizes (RFC822.SIZE) of `n` messages in one command: sizes[i] is 0 when UID
 * uids[i] is gone. A caller fetches only what is under its limit. */
gboolean okno_imap_sizes(OknoImapClient *c, const guint32 *uids, guint n, guint64 *sizes,
                         GError **error);
/* The message `uid` (without setting \Seen). NULL with OKNO_ERROR_PERM when its
 * response is malformed or larger than max_message (the connection is then best
 * opened again); NULL without an error when the UID is gone. */
GBytes *okno_imap_fetch(OknoImapClient *c, guint32 uid, GError **error);
/* Moves `n` messages to `folder` in one command (n 0: nothing). */
gboolean okno_imap_move(OknoImapClient *c, const guint32 *uids, guint n, const char *folder,
                        GError **error);
/* IDLE until the server reports a change or `seconds` pass (then DONE). Without the
 * IDLE capability a NOOP after the wait. */
gboolean okno_imap_idle(OknoImapClient *c, guint seconds, GError **error);
