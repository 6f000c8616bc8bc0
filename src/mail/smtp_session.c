/* smtp_session.c: one SMTP or LMTP session as a state machine, without I/O.
 *
 * The way OpenSMTPD's smtp_session.c holds it: an explicit state enum, one
 * enter_state() that logs every transition, and a command table pairing each verb with
 * a check function (sequence and syntax; it writes the error reply and returns FALSE)
 * and a proceed function (does it, writes the success reply). The transport
 * (listener.c, or a fake in tests) feeds bytes in and receives replies and events
 * through OknoSmtpTransport (smtp_session.h).
 *
 * Line ends (the defence against SMTP smuggling, CVE-2023-51764/51765/51766): CRLF is
 * the only line end that ends anything. The sequences `<LF>.<LF>`, `<LF>.<CR><LF>`,
 * `<CR><LF>.<LF>`, `<CR>.<CR>` and the like never end a message, so the bytes behind
 * them stay inside it and can never run as commands of a second, forged message.
 *
 * The command arguments (paths, parameters, XFORWARD attributes) are parsed apart, in
 * smtp_args.c, which is pure and holds no session state.
 *
 * Input handling, in process():
 *  - command states: a command line ends with CRLF. A line with a bare LF (an LF not
 *    after a CR) or a bare CR in it is answered "500 5.5.2" and the session is closed:
 *    a client that does not end its lines with CRLF cannot be told where its next
 *    command starts, so nothing after it is trusted. A line longer than
 *    max_line_length (CRLF included) is answered "500 5.5.2 Line too long" once and
 *    skipped up to its LF. NUL in a command: 500.
 *  - DATA: a data line ends at LF; it is dot-unstuffed and stored with a CRLF end
 *    whatever the client used (RFC 5321 2.3.8: a bare LF is accepted as data), a bare
 *    CR is kept as it is, and so are NUL and 8-bit bytes. The message ends only at a
 *    "." line that itself ends in CRLF and follows a line that ended in CRLF (or the
 *    DATA command): `<CR><LF>.<CR><LF>`. A data line has no length cap here:
 *    RFC 5322's 998 is a rule for the message, so intake flags it instead of the
 *    client being refused (a long partial line is flushed in pieces, so the buffer stays
 *    small). Octets are counted as they arrive; past max_message_size the bytes are
 *    dropped, reading goes on to the "." line, and the answer is 552 5.3.4.
 *  - at the "." line the message (a Received: header prepended) goes to
 *    transport->deliver() and the session sits in DELIVERING, handling nothing, until
 *    okno_smtp_session_delivered(): pipelined commands after the message are answered
 *    only after the message's own reply, which waits for the durable commit.
 * LMTP (RFC 2033) differs in its greeting verb (LHLO), in answering DATA with one
 * reply per accepted recipient, and, with [lmtp] xforward, in taking Postfix's XFORWARD
 * command (its client's address and HELO, for the next transaction: SPF, DMARC and
 * rspamd then judge the real client, not the MTA in front). */
#include "mail/smtp_session.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "mail/smtp_args.h"
#include "mail/spool.h"

/* A partial data line is flushed into the message once this long. */
#define DATA_FLUSH 4096
/* Replies to bad commands before the session is dropped (OpenSMTPD: SMTP_KICK_THRESHOLD). */
#define MAX_ERRORS 20

typedef enum {
  S_CONNECTED,  /* greeted; waiting for HELO/EHLO (LMTP: LHLO) */
  S_HELO,       /* introduced; no transaction */
  S_MAIL,       /* MAIL accepted; no recipient yet */
  S_RCPT,       /* at least one recipient accepted */
  S_DATA,       /* reading the message */
  S_DELIVERING, /* message handed over; waiting for the durable commit */
  S_TLS,        /* TLS handshake under way */
  S_CLOSED,     /* close() requested; nothing more happens */
} SmtpState;

static const char *const state_names[] = {
  "connected", "helo", "mail", "rcpt", "data", "delivering", "tls", "closed",
};

struct OknoSmtpSession {
  const OknoConfig *cfg;
  OknoSmtpProto proto;
  const OknoSmtpTransport *t;
  gpointer io;
  char id[17];
  char *peer;
  gboolean tls_available, tls;
  SmtpState state;

  GByteArray *in;        /* input not handled yet, from in_pos */
  gsize in_pos;
  gboolean discarding;   /* skipping the rest of an overlong command line */
  gboolean processing;   /* process() is on the stack (deliver may answer inline) */
  gboolean stopping;     /* the server is shutting down */
  gboolean close_after_reply; /* forced shutdown while delivering */
  guint errors;
  guint64 lines;         /* complete input lines handled */

  char *helo;
  gboolean esmtp;
  char *xf_addr, *xf_helo; /* XFORWARD ADDR and HELO for the next transaction, or NULL */

  /* the transaction */
  char *mail_from;
  gboolean utf8;         /* MAIL ... SMTPUTF8 */
  GPtrArray *rcpts;      /* char *, distinct addresses, NULL-terminated */
  guint rcpt_accepted;   /* RCPT commands answered 250 (LMTP: replies owed) */
  guint rcpt_tried;

  /* the message */
  OknoSpool *spool;      /* the Received: header, then the content (NULL until DATA) */
  gboolean spool_failed; /* the spool could not write: 452 at the end of DATA */
  guint64 msg_size;      /* content octets received, also past the cap */
  gboolean line_start;   /* the next data byte begins a line */
  gboolean crlf_before;  /* ... and the line before it ended in CRLF */
  guint bare_lf;         /* data lines of this message that ended in a bare LF */
};

/* ---- replies, states, transaction ---- */

static void reply(OknoSmtpSession *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void reply(OknoSmtpSession *s, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *text = NULL;
  g_autoptr(GString) line = g_string_new(NULL);
  if (s->state == S_CLOSED)
    return;
  va_start(ap, fmt);
  text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  /* A reply is one line whatever went into it. */
  for (const char *p = text; *p; p++)
    g_string_append_c(line, (*p == '\r' || *p == '\n') ? ' ' : *p);
  g_string_append(line, "\r\n");
  s->t->write(s->io, line->str, line->len);
}

static void enter_state(OknoSmtpSession *s, SmtpState next)
{
  if (s->state == next)
    return;
  okno_log("smtp", "session=%s event=state from=%s to=%s", s->id, state_names[s->state],
           state_names[next]);
  s->state = next;
}

static void close_session(OknoSmtpSession *s)
{
  if (s->state == S_CLOSED)
    return;
  enter_state(s, S_CLOSED);
  s->t->close(s->io);
}

static void reset_transaction(OknoSmtpSession *s)
{
  g_clear_pointer(&s->mail_from, g_free);
  g_clear_pointer(&s->xf_addr, g_free); /* XFORWARD lasts one transaction */
  g_clear_pointer(&s->xf_helo, g_free);
  g_ptr_array_set_size(s->rcpts, 0);
  s->rcpt_accepted = s->rcpt_tried = 0;
  s->utf8 = FALSE;
  if (s->spool)
    okno_spool_clear(s->spool);
  s->spool_failed = FALSE;
  s->msg_size = 0;
}

/* Into the spool; a write error (disk full) is remembered and answered at the end. */
static void spool_put(OknoSmtpSession *s, const void *p, gsize n)
{
  g_autoptr(GError) err = NULL;
  if (s->spool_failed || okno_spool_append(s->spool, p, n, &err))
    return;
  okno_log_warn("smtp", "session=%s event=spool-failed error=\"%s\"", s->id, err->message);
  s->spool_failed = TRUE;
}

/* Back to "introduced" (or "connected" before any HELO) after a transaction. */
static void end_transaction(OknoSmtpSession *s)
{
  reset_transaction(s);
  enter_state(s, s->helo ? S_HELO : S_CONNECTED);
}

/* The server is stopping: 421 and close (RFC 5321 3.8). */
static void say_goodbye(OknoSmtpSession *s)
{
  reply(s, "421 4.3.2 %s Service shutting down, closing transmission channel",
        s->cfg->hostname);
  close_session(s);
}

/* Counts a refused command; a client that keeps failing is dropped. */
static void refused(OknoSmtpSession *s)
{
  if (++s->errors >= MAX_ERRORS) {
    reply(s, "421 4.7.0 %s Error: too many errors", s->cfg->hostname);
    okno_log("smtp", "session=%s event=kicked reason=errors", s->id);
    close_session(s);
  }
}

static const char *hello_verb(const OknoSmtpSession *s)
{
  return s->proto == OKNO_PROTO_LMTP ? "LHLO" : "HELO/EHLO";
}

/* ---- the commands ---- */

typedef struct {
  const char *verb;
  gboolean smtp, lmtp;                    /* where the verb exists */
  gboolean (*check)(OknoSmtpSession *s, const char *args, OknoSmtpPath *path);
  void (*proceed)(OknoSmtpSession *s, const char *args, OknoSmtpPath *path);
} SmtpCommand;

static gboolean check_noargs(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  if (*args) {
    reply(s, "501 5.5.4 Syntax error: no arguments allowed");
    return FALSE;
  }
  return TRUE;
}

static gboolean check_helo(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  if (!*args) {
    reply(s, "501 5.5.4 Syntax: %s hostname", s->proto == OKNO_PROTO_LMTP ? "LHLO" : "EHLO");
    return FALSE;
  }
  return TRUE;
}

static void do_helo(OknoSmtpSession *s, const char *args, gboolean esmtp)
{
  g_autoptr(GString) h = g_string_new(NULL);
  /* The name goes into the Received: header: printable ASCII, one word, capped. */
  for (const char *p = args; *p && *p != ' ' && h->len < 255; p++)
    g_string_append_c(h, g_ascii_isgraph(*p) ? *p : '?');
  g_free(s->helo);
  s->helo = g_string_free(g_steal_pointer(&h), FALSE);
  s->esmtp = esmtp;
  reset_transaction(s); /* RFC 5321 4.1.4: EHLO is an implicit RSET */
  enter_state(s, S_HELO);
}

static void proceed_helo(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  do_helo(s, args, FALSE);
  reply(s, "250 %s", s->cfg->hostname);
}

/* XFORWARD (Postfix's XFORWARD_README): "ATTR=value ..." with xtext values ("+XX" for
 * a byte), for the next transaction. NAME, PROTO, PORT, IDENT and SOURCE are read and
 * not used; ADDR must be an IP address ("IPV6:" prefix allowed), HELO a host name;
 * "[UNAVAILABLE]" and "[TEMPUNAVAIL]" mean unknown. Offered only on the LMTP listener
 * with [lmtp] xforward: anyone who can send it can choose the address SPF judges. */
static gboolean xforward_trusted(OknoSmtpSession *s)
{
  return s->proto == OKNO_PROTO_LMTP && s->cfg->lmtp_xforward;
}

static void proceed_ehlo(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  g_autofree char *size = g_strdup_printf("SIZE %" G_GINT64_FORMAT, s->cfg->max_message_size);
  const char *ext[] = {
    "PIPELINING", size, "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES",
    (s->tls_available && !s->tls) ? "STARTTLS" : NULL,
    xforward_trusted(s) ? "XFORWARD NAME ADDR PROTO HELO" : NULL,
  };
  gsize n = 0;
  do_helo(s, args, TRUE);
  reply(s, "250-%s", s->cfg->hostname);
  for (gsize i = 0; i < G_N_ELEMENTS(ext); i++) /* the offered ones, in order */
    if (ext[i])
      ext[n++] = ext[i];
  for (gsize i = 0; i < n; i++)
    reply(s, "250%c%s", i + 1 == n ? ' ' : '-', ext[i]);
}

static gboolean check_xforward(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  if (!xforward_trusted(s)) {
    reply(s, "502 5.5.1 Error: XFORWARD is not offered here");
    return FALSE;
  }
  if (s->state != S_HELO) {
    reply(s, "503 5.5.1 Error: XFORWARD only between LHLO and MAIL");
    return FALSE;
  }
  if (!*args) {
    reply(s, "501 5.5.4 Syntax: XFORWARD attribute=value...");
    return FALSE;
  }
  return TRUE;
}

static void proceed_xforward(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  g_autofree char *addr = NULL, *helo = NULL;
  switch (okno_smtp_xforward_parse(args, &addr, &helo)) {
  case OKNO_XFORWARD_BAD_VALUE:
    reply(s, "501 5.5.4 Bad XFORWARD attribute");
    return;
  case OKNO_XFORWARD_BAD_ADDR:
    reply(s, "501 5.5.4 Bad XFORWARD address");
    return;
  case OKNO_XFORWARD_UNKNOWN:
    reply(s, "501 5.5.4 Unknown XFORWARD attribute");
    return;
  case OKNO_XFORWARD_OK:
    break;
  }
  if (addr) {
    g_free(s->xf_addr);
    s->xf_addr = g_steal_pointer(&addr);
  }
  if (helo) {
    g_free(s->xf_helo);
    s->xf_helo = g_steal_pointer(&helo);
  }
  reply(s, "250 2.0.0 Ok");
}

static gboolean check_starttls(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  if (!s->tls_available) {
    reply(s, "502 5.5.1 Error: STARTTLS is not offered here");
    return FALSE;
  }
  if (s->tls) {
    reply(s, "503 5.5.1 Error: TLS already active");
    return FALSE;
  }
  if (s->state != S_HELO) {
    reply(s, "503 5.5.1 Error: send %s first, and no STARTTLS inside a transaction",
          hello_verb(s));
    return FALSE;
  }
  return check_noargs(s, args, path);
}

static void proceed_starttls(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  reply(s, "220 2.0.0 Ready to start TLS");
  /* RFC 3207 5: nothing the client sent before the handshake may be acted upon. */
  s->in_pos = s->in->len;
  enter_state(s, S_TLS);
  s->t->starttls(s->io);
}

static gboolean check_mail(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  if (s->state == S_CONNECTED) {
    reply(s, "503 5.5.1 Error: send %s first", hello_verb(s));
    return FALSE;
  }
  if (s->state != S_HELO) {
    reply(s, "503 5.5.1 Error: nested MAIL command");
    return FALSE;
  }
  if (!okno_smtp_path_parse(args, "FROM:", TRUE, path)) {
    reply(s, "501 5.1.7 Bad sender address syntax");
    return FALSE;
  }
  if (path->bad_param || (!s->esmtp && (path->size >= 0 || path->utf8))) {
    g_autofree char *name = okno_smtp_param_name(path->bad_param ? path->bad_param : "parameters");
    reply(s, "555 5.5.4 Unsupported option: %s", name);
    return FALSE;
  }
  if (path->size > s->cfg->max_message_size) {
    reply(s, "552 5.3.4 Message size exceeds fixed maximum message size");
    return FALSE;
  }
  if (!path->utf8 && !okno_smtp_is_ascii(path->addr)) {
    reply(s, "553 5.6.7 Address needs SMTPUTF8");
    return FALSE;
  }
  return TRUE;
}

static void proceed_mail(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  char tag[OKNO_PII_BUF];
  s->mail_from = g_steal_pointer(&path->addr);
  s->utf8 = path->utf8;
  okno_log("smtp", "session=%s event=mail from=%s size=%" G_GINT64_FORMAT, s->id,
           okno_pii(s->mail_from, tag), path->size);
  enter_state(s, S_MAIL);
  reply(s, "250 2.1.0 Ok");
}

static gboolean check_rcpt(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  char tag[OKNO_PII_BUF];
  if (s->state != S_MAIL && s->state != S_RCPT) {
    reply(s, "503 5.5.1 Error: need MAIL command");
    return FALSE;
  }
  s->rcpt_tried++;
  if (!okno_smtp_path_parse(args, "TO:", FALSE, path)) {
    reply(s, "501 5.1.3 Bad recipient address syntax");
    return FALSE;
  }
  if (path->bad_param) {
    g_autofree char *name = okno_smtp_param_name(path->bad_param);
    reply(s, "555 5.5.4 Unsupported option: %s", name);
    return FALSE;
  }
  if (!s->utf8 && !okno_smtp_is_ascii(path->addr)) {
    reply(s, "553 5.6.7 Address needs SMTPUTF8");
    return FALSE;
  }
  if (s->rcpt_accepted >= (guint64)s->cfg->max_recipients) {
    reply(s, "452 4.5.3 Error: too many recipients");
    return FALSE;
  }
  if (!okno_config_is_support_address(s->cfg, path->addr) &&
      !okno_config_is_check_address(s->cfg, path->addr)) {
    okno_log("smtp", "session=%s event=rcpt to=%s result=rejected", s->id,
             okno_pii(path->addr, tag));
    reply(s, "550 5.1.1 <%s>: Recipient address rejected: no such mailbox here", path->addr);
    return FALSE;
  }
  return TRUE;
}

static void proceed_rcpt(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  char tag[OKNO_PII_BUF];
  gboolean seen = FALSE;
  for (guint i = 0; i < s->rcpts->len; i++)
    if (g_ascii_strcasecmp(g_ptr_array_index(s->rcpts, i), path->addr) == 0)
      seen = TRUE;
  okno_log("smtp", "session=%s event=rcpt to=%s result=accepted", s->id,
           okno_pii(path->addr, tag));
  if (!seen)
    g_ptr_array_add(s->rcpts, g_steal_pointer(&path->addr));
  s->rcpt_accepted++;
  enter_state(s, S_RCPT);
  reply(s, "250 2.1.5 Ok");
}

static gboolean check_data(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  if (s->state == S_MAIL && s->rcpt_tried > 0) {
    reply(s, "554 5.5.1 Error: no valid recipients");
    return FALSE;
  }
  if (s->state != S_RCPT) {
    reply(s, "503 5.5.1 Error: need %s command", s->state == S_MAIL ? "RCPT" : "MAIL");
    return FALSE;
  }
  return check_noargs(s, args, path);
}


static void proceed_data(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  g_autofree char *date = okno_time_format_rfc5322(okno_now());
  g_autofree char *hdr = NULL;
  const char *with = s->proto == OKNO_PROTO_LMTP ? (s->tls ? "LMTPS" : "LMTP")
                     : !s->esmtp                 ? "SMTP"
                     : s->tls                    ? "ESMTPS"
                                                 : "ESMTP";
  hdr = s->xf_addr || s->xf_helo
            ? g_strdup_printf("Received: from %s (%s)\r\n\tby %s (okno) with %s id %s"
                              " (XFORWARD from %s);\r\n\t%s\r\n",
                              s->xf_helo ? s->xf_helo : s->helo, s->xf_addr ? s->xf_addr : s->peer,
                              s->cfg->hostname, with, s->id, s->peer, date)
            : g_strdup_printf("Received: from %s (%s)\r\n\tby %s (okno) with %s id %s;\r\n\t%s\r\n",
                              s->helo, s->peer, s->cfg->hostname, with, s->id, date);
  if (!s->spool)
    s->spool = okno_spool_new(s->cfg->spool_dir, (gsize)s->cfg->spool_threshold);
  okno_spool_clear(s->spool);
  s->spool_failed = FALSE;
  spool_put(s, hdr, strlen(hdr));
  s->msg_size = 0;
  s->line_start = TRUE;
  s->crlf_before = TRUE; /* the DATA command's own CRLF */
  s->bare_lf = 0;
  enter_state(s, S_DATA);
  reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

static void proceed_rset(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  end_transaction(s);
  reply(s, "250 2.0.0 Ok");
}

static void proceed_noop(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  reply(s, "250 2.0.0 Ok");
}

static gboolean check_vrfy(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  if (!*args) {
    reply(s, "501 5.5.4 Syntax: VRFY address");
    return FALSE;
  }
  return TRUE;
}

static void proceed_vrfy(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  reply(s, "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery");
}

static void proceed_help(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  reply(s, "214 2.0.0 Commands: %s MAIL RCPT DATA RSET NOOP VRFY HELP QUIT%s",
        s->proto == OKNO_PROTO_LMTP ? "LHLO" : "HELO EHLO",
        s->tls_available ? " STARTTLS" : "");
}

static void proceed_quit(OknoSmtpSession *s, const char *args, OknoSmtpPath *path)
{
  reply(s, "221 2.0.0 Bye");
  close_session(s);
}

static const SmtpCommand commands[] = {
  {"HELO", TRUE, FALSE, check_helo, proceed_helo},
  {"EHLO", TRUE, FALSE, check_helo, proceed_ehlo},
  {"LHLO", FALSE, TRUE, check_helo, proceed_ehlo},
  {"STARTTLS", TRUE, TRUE, check_starttls, proceed_starttls},
  {"MAIL", TRUE, TRUE, check_mail, proceed_mail},
  {"RCPT", TRUE, TRUE, check_rcpt, proceed_rcpt},
  {"DATA", TRUE, TRUE, check_data, proceed_data},
  {"RSET", TRUE, TRUE, check_noargs, proceed_rset},
  {"NOOP", TRUE, TRUE, NULL, proceed_noop},
  {"VRFY", TRUE, TRUE, check_vrfy, proceed_vrfy},
  {"HELP", TRUE, TRUE, NULL, proceed_help},
  {"QUIT", TRUE, TRUE, check_noargs, proceed_quit},
  {"XFORWARD", FALSE, TRUE, check_xforward, proceed_xforward},
};

static void handle_command(OknoSmtpSession *s, const char *line)
{
  gsize vlen = strcspn(line, " ");
  const char *args = line + vlen;
  const SmtpCommand *cmd = NULL;
  OknoSmtpPath path = {0};
  while (*args == ' ')
    args++;
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
    const SmtpCommand *c = &commands[i];
    if (strlen(c->verb) == vlen && g_ascii_strncasecmp(c->verb, line, vlen) == 0 &&
        (s->proto == OKNO_PROTO_LMTP ? c->lmtp : c->smtp))
      cmd = c;
  }
  if (s->stopping && !(cmd && cmd->proceed == proceed_quit)) {
    say_goodbye(s);
    return;
  }
  if (!cmd) {
    reply(s, "500 5.5.1 Error: command not recognized");
    refused(s);
    return;
  }
  if (cmd->check && !cmd->check(s, args, &path)) {
    okno_smtp_path_clear(&path);
    refused(s);
    return;
  }
  cmd->proceed(s, args, &path);
  okno_smtp_path_clear(&path);
}

/* ---- the message ---- */

/* One piece of a data line; `eol`: the line ends here. */
static void data_append(OknoSmtpSession *s, const guint8 *p, gsize n, gboolean eol)
{
  if (s->line_start && n > 0 && p[0] == '.') { /* RFC 5321 4.5.2 */
    p++;
    n--;
  }
  s->line_start = eol;
  s->msg_size += n + (eol ? 2 : 0);
  if (s->msg_size > (guint64)s->cfg->max_message_size) {
    /* Too big: keep counting to the end, keep nothing. */
    okno_spool_clear(s->spool);
    return;
  }
  spool_put(s, p, n);
  if (eol)
    spool_put(s, "\r\n", 2);
}

static void data_end(OknoSmtpSession *s)
{
  guint replies = s->proto == OKNO_PROTO_LMTP ? s->rcpt_accepted : 1;
  g_autoptr(GBytes) bytes = NULL;
  OknoEnvelope env = {0};
  if (s->msg_size > (guint64)s->cfg->max_message_size) {
    okno_log("smtp", "session=%s event=message result=too-big size=%" G_GUINT64_FORMAT,
             s->id, s->msg_size);
    for (guint i = 0; i < replies; i++)
      reply(s, "552 5.3.4 Message size exceeds fixed maximum message size");
    end_transaction(s);
    return;
  }
  okno_log("smtp", "session=%s event=data-end size=%" G_GUINT64_FORMAT " bare_lf=%u spooled=%d",
           s->id, s->msg_size, s->bare_lf, okno_spool_on_disk(s->spool));
  bytes = s->spool_failed ? NULL : okno_spool_finish(s->spool, NULL);
  if (!bytes) {
    for (guint i = 0; i < replies; i++)
      reply(s, "452 4.3.1 Insufficient system storage, try again later");
    end_transaction(s);
    return;
  }
  env.channel = OKNO_CHANNEL_EMAIL;
  env.mail_from = s->mail_from;
  env.rcpt_to = (const char *const *)s->rcpts->pdata;
  env.client_addr = s->xf_addr ? s->xf_addr : s->peer; /* XFORWARD: the MTA's client */
  env.helo = s->xf_helo ? s->xf_helo : s->helo;
  env.session_id = s->id;
  env.tls = s->tls;
  enter_state(s, S_DELIVERING);
  s->t->deliver(s->io, bytes, &env);
}

void okno_smtp_session_delivered(OknoSmtpSession *s, const OknoIntakeResult *res,
                                 const GError *err)
{
  guint replies = s->proto == OKNO_PROTO_LMTP ? s->rcpt_accepted : 1;
  g_autofree char *line = NULL;
  if (s->state != S_DELIVERING)
    return; /* closed meanwhile (timeout, forced shutdown) */
  if (!err)
    line = res && res->number ? g_strdup_printf("250 2.0.0 Ok: registered as %s", res->number)
           : res && res->outcome == OKNO_INTAKE_CHECKED
               ? g_strdup("250 2.0.0 Ok: checked, the verdict will be sent by mail")
               : g_strdup("250 2.0.0 Ok: registered");
  else
    line = okno_error_smtp_reply(err); /* 451 4.3.0, 554 5.6.0, or the error's own */
  okno_log("smtp", "session=%s event=message result=%s appeal=%s", s->id,
           err ? (err->code == OKNO_ERROR_TEMP ? "deferred" : "refused") : "accepted",
           res && res->number ? res->number : "-");
  for (guint i = 0; i < replies; i++)
    reply(s, "%s", line);
  end_transaction(s);
  if (s->close_after_reply) {
    say_goodbye(s);
    return;
  }
  /* The pipelined commands behind the message, if they are already here. */
  if (!s->processing)
    okno_smtp_session_feed(s, "", 0);
}

/* ---- input ---- */

/* Handles one command line; FALSE when a complete line is not there yet. */
static gboolean command_step(OknoSmtpSession *s)
{
  const guint8 *p = s->in->data + s->in_pos;
  gsize avail = s->in->len - s->in_pos;
  const guint8 *lf = memchr(p, '\n', avail);
  gsize max = (gsize)s->cfg->max_line_length, len, n;
  if (!lf) {
    if (avail >= max) {
      if (!s->discarding) {
        reply(s, "500 5.5.2 Error: line too long");
        refused(s);
      }
      s->discarding = TRUE;
      s->in_pos += avail;
    }
    return FALSE;
  }
  len = lf - p + 1;
  s->in_pos += len;
  s->lines++;
  if (s->discarding) {
    s->discarding = FALSE;
    return TRUE;
  }
  if (len > max) {
    reply(s, "500 5.5.2 Error: line too long");
    refused(s);
    return TRUE;
  }
  if (len < 2 || p[len - 2] != '\r' || memchr(p, '\r', len - 2)) {
    /* A bare LF ends this line, or a bare CR sits inside it: no safe way to know
     * where the client meant its commands to start, so none of them is run. */
    okno_log("smtp", "session=%s event=kicked reason=bare-%s", s->id,
             len < 2 || p[len - 2] != '\r' ? "lf" : "cr");
    reply(s, "500 5.5.2 Error: bare <CR> or <LF> received, lines must end with <CR><LF>");
    close_session(s);
    return TRUE;
  }
  n = len - 2;
  if (memchr(p, '\0', n)) {
    reply(s, "500 5.5.2 Error: invalid character in command");
    refused(s);
    return TRUE;
  }
  {
    g_autofree char *line = g_strndup((const char *)p, n);
    handle_command(s, line);
  }
  return TRUE;
}

/* Handles one data line (or flushes a long partial one); FALSE when more input is
 * needed. */
static gboolean data_step(OknoSmtpSession *s)
{
  const guint8 *p = s->in->data + s->in_pos;
  gsize avail = s->in->len - s->in_pos;
  const guint8 *lf = memchr(p, '\n', avail);
  gsize n;
  gboolean crlf;
  if (!lf) {
    if (avail >= DATA_FLUSH) {
      gsize take = p[avail - 1] == '\r' ? avail - 1 : avail; /* CR may start CRLF */
      data_append(s, p, take, FALSE);
      s->in_pos += take;
    }
    return FALSE;
  }
  n = lf - p;
  s->in_pos += n + 1;
  s->lines++;
  crlf = n && p[n - 1] == '\r';
  if (crlf)
    n--;
  else
    s->bare_lf++;
  if (s->line_start && s->crlf_before && crlf && n == 1 && p[0] == '.') {
    data_end(s);
    return TRUE;
  }
  data_append(s, p, n, TRUE);
  s->crlf_before = crlf;
  return TRUE;
}

void okno_smtp_session_feed(OknoSmtpSession *s, const char *data, gsize len)
{
  if (s->state == S_CLOSED)
    return;
  if (len)
    g_byte_array_append(s->in, (const guint8 *)data, len);
  if (s->processing)
    return;
  s->processing = TRUE;
  for (;;) {
    gboolean more;
    if (s->state == S_CLOSED || s->state == S_DELIVERING || s->state == S_TLS)
      break;
    more = s->state == S_DATA ? data_step(s) : command_step(s);
    if (!more)
      break;
  }
  s->processing = FALSE;
  if (s->in_pos) {
    g_byte_array_remove_range(s->in, 0, s->in_pos);
    s->in_pos = 0;
  }
}

/* ---- life cycle and events ---- */

OknoSmtpSession *okno_smtp_session_new(const OknoConfig *cfg, OknoSmtpProto proto,
                                       const char *peer, gboolean tls_available,
                                       const OknoSmtpTransport *transport, gpointer io)
{
  OknoSmtpSession *s = g_new0(OknoSmtpSession, 1);
  s->cfg = cfg;
  s->proto = proto;
  s->t = transport;
  s->io = io;
  g_snprintf(s->id, sizeof s->id, "%08x%08x", g_random_int(), g_random_int());
  s->peer = g_strdup(peer ? peer : "unknown");
  s->tls_available = tls_available && transport->starttls;
  s->in = g_byte_array_new();
  s->rcpts = g_ptr_array_new_null_terminated(4, g_free, TRUE);
  s->state = S_CONNECTED;
  return s;
}

void okno_smtp_session_free(OknoSmtpSession *s)
{
  if (!s)
    return;
  reset_transaction(s);
  g_ptr_array_unref(s->rcpts);
  okno_spool_free(s->spool);
  g_byte_array_unref(s->in);
  g_free(s->helo);
  g_free(s->xf_addr);
  g_free(s->xf_helo);
  g_free(s->peer);
  g_free(s);
}

const char *okno_smtp_session_id(const OknoSmtpSession *s)
{
  return s->id;
}

void okno_smtp_session_start(OknoSmtpSession *s)
{
  char tag[OKNO_PII_BUF];
  okno_log("smtp", "session=%s event=connected proto=%s peer=%s", s->id,
           s->proto == OKNO_PROTO_LMTP ? "lmtp" : "smtp", okno_pii(s->peer, tag));
  reply(s, "220 %s %s okno", s->cfg->hostname, s->proto == OKNO_PROTO_LMTP ? "LMTP" : "ESMTP");
}

gboolean okno_smtp_session_wants_input(const OknoSmtpSession *s)
{
  return s->state != S_DELIVERING && s->state != S_TLS && s->state != S_CLOSED;
}

gboolean okno_smtp_session_in_data(const OknoSmtpSession *s)
{
  return s->state == S_DATA;
}

guint64 okno_smtp_session_lines(const OknoSmtpSession *s)
{
  return s->lines;
}

gboolean okno_smtp_session_closed(const OknoSmtpSession *s)
{
  return s->state == S_CLOSED;
}

void okno_smtp_session_tls_started(OknoSmtpSession *s)
{
  if (s->state != S_TLS)
    return;
  s->tls = TRUE;
  g_clear_pointer(&s->helo, g_free); /* RFC 3207 4.2: forget what came before */
  s->esmtp = FALSE;
  reset_transaction(s);
  okno_log("smtp", "session=%s event=tls", s->id);
  enter_state(s, S_CONNECTED);
  okno_smtp_session_feed(s, "", 0);
}

void okno_smtp_session_timeout(OknoSmtpSession *s, const char *why)
{
  if (s->state == S_CLOSED)
    return;
  okno_log("smtp", "session=%s event=timeout state=%s why=\"%s\"", s->id,
           state_names[s->state], why ? why : "timeout exceeded");
  reply(s, "421 4.4.2 %s Error: %s", s->cfg->hostname, why ? why : "timeout exceeded");
  close_session(s);
}

void okno_smtp_session_shutdown(OknoSmtpSession *s, gboolean force)
{
  if (s->state == S_CLOSED)
    return;
  s->stopping = TRUE;
  if (force && s->state == S_DELIVERING) {
    /* The commit is under way: its answer is still given, then the session ends. */
    s->close_after_reply = TRUE;
    return;
  }
  if (force || s->state == S_CONNECTED || s->state == S_HELO)
    say_goodbye(s);
}
