/* smtp_client.c: hands one message to an SMTP relay (see smtp_client.h).
 *
 * How it works: GSocketClient connects with a timeout that also bounds every later
 * read and write on the socket (and so on the TLS layer above it). A Session keeps the
 * current stream (the plain connection, or the TLS connection after STARTTLS) and a
 * small read buffer from which reply lines are cut at LF, capped in length and count.
 * step() sends one command and reads its reply; when the reply's class is not the one
 * the dialogue needs, step() classifies it into the result (4xx temporary, 5xx
 * permanent, anything else a temporary protocol error) and the dialogue stops. Local
 * failures (connect, I/O, timeout, TLS) are temporary with code 0. The body is
 * prepared in one pass: line endings to CRLF, leading dots doubled, final ".". */
#include "mail/smtp_client.h"

#include <gio/gio.h>
#include <string.h>

#include "core/log.h"

#define READ_BUF_SIZE 4096
#define PATH_MAX_LEN 256 /* RFC 5321 4.5.3.1.3 */

typedef struct {
  GSocketConnection *conn; /* the TCP connection (owned) */
  GIOStream *tls;          /* the TLS layer over conn after STARTTLS, else NULL */
  char buf[READ_BUF_SIZE];
  gsize len;
  GPtrArray *lines;        /* the last reply's lines, without CRLF */
  gboolean broken;         /* an I/O error happened: no QUIT */
  gboolean offers_starttls, offers_8bitmime;
} Session;

static GIOStream *session_io(Session *s)
{
  return s->tls ? s->tls : G_IO_STREAM(s->conn);
}

static void result_set(OknoSmtpResult *r, OknoSmtpOutcome outcome, int code, char *reply)
{
  r->outcome = outcome;
  r->code = code;
  g_free(r->reply);
  r->reply = reply;
}

static void result_local_failure(OknoSmtpResult *r, Session *s, const char *what,
                                 const GError *err)
{
  s->broken = TRUE;
  result_set(r, OKNO_SMTP_TEMP, 0, g_strdup_printf("%s: %s", what, err->message));
}

/* Cuts one line (LF-terminated, CR stripped) out of the buffer, reading as needed. */
static gboolean read_line(Session *s, GString *line, GError **error)
{
  GInputStream *in = g_io_stream_get_input_stream(session_io(s));
  for (;;) {
    char *lf = memchr(s->buf, '\n', s->len);
    if (lf) {
      gsize n = (gsize)(lf - s->buf) + 1;
      if (n > OKNO_SMTP_REPLY_LINE_MAX)
        break;
      gsize keep = n - 1;
      if (keep > 0 && s->buf[keep - 1] == '\r')
        keep--;
      g_string_append_len(g_string_truncate(line, 0), s->buf, (gssize)keep);
      memmove(s->buf, s->buf + n, s->len - n);
      s->len -= n;
      return TRUE;
    }
    if (s->len >= OKNO_SMTP_REPLY_LINE_MAX)
      break;
    gssize got = g_input_stream_read(in, s->buf + s->len, sizeof s->buf - s->len, NULL, error);
    if (got < 0)
      return FALSE;
    if (got == 0) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                  "connection closed by the relay");
      return FALSE;
    }
    s->len += (gsize)got;
  }
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
              "reply line longer than %d octets", OKNO_SMTP_REPLY_LINE_MAX);
  return FALSE;
}

/* Reads one reply (all its lines) into s->lines. Returns its code, or 0 with an error
 * for I/O failures and malformed replies. */
static int read_reply(Session *s, GError **error)
{
  g_autoptr(GString) line = g_string_sized_new(128);
  int code = 0;
  g_ptr_array_set_size(s->lines, 0);
  for (;;) {
    if (s->lines->len >= OKNO_SMTP_REPLY_LINES_MAX) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "reply of more than %d lines", OKNO_SMTP_REPLY_LINES_MAX);
      return 0;
    }
    if (!read_line(s, line, error))
      return 0;
    const char *l = line->str;
    if (line->len < 3 || !g_ascii_isdigit(l[0]) || !g_ascii_isdigit(l[1]) ||
        !g_ascii_isdigit(l[2]) || l[0] < '2' || l[0] > '5' ||
        (line->len > 3 && l[3] != ' ' && l[3] != '-')) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed reply line");
      return 0;
    }
    int c = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    if (code && c != code) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                  "reply lines with different codes (%d, %d)", code, c);
      return 0;
    }
    code = c;
    g_ptr_array_add(s->lines, g_strndup(line->str, line->len));
    if (line->len == 3 || l[3] == ' ')
      return code;
  }
}

static char *reply_text(Session *s)
{
  g_ptr_array_add(s->lines, NULL);
  char *text = g_strjoinv("\n", (char **)s->lines->pdata);
  g_ptr_array_remove_index(s->lines, s->lines->len - 1);
  return text;
}

/* Sends `cmd` (without CRLF; NULL to only read, e.g. the greeting or the end of DATA)
 * and reads the reply. TRUE when its first digit is `want`; otherwise the result says
 * why the dialogue stops. The reply code is left in *code. */
static gboolean step(Session *s, const char *cmd, int want, int *code, OknoSmtpResult *r)
{
  g_autoptr(GError) err = NULL;
  if (cmd) {
    g_autofree char *wire = g_strconcat(cmd, "\r\n", NULL);
    GOutputStream *out = g_io_stream_get_output_stream(session_io(s));
    if (!g_output_stream_write_all(out, wire, strlen(wire), NULL, NULL, &err)) {
      result_local_failure(r, s, "write", err);
      return FALSE;
    }
  }
  *code = read_reply(s, &err);
  if (*code == 0) {
    result_local_failure(r, s, "reply", err);
    return FALSE;
  }
  if (*code / 100 == want)
    return TRUE;
  result_set(r, *code / 100 == 5 ? OKNO_SMTP_PERM : OKNO_SMTP_TEMP, *code, reply_text(s));
  return FALSE;
}

/* The EHLO reply's keywords we act on. */
static void read_capabilities(Session *s)
{
  s->offers_starttls = s->offers_8bitmime = FALSE;
  for (guint i = 1; i < s->lines->len; i++) {
    const char *kw = (const char *)s->lines->pdata[i] + 4;
    if (g_ascii_strcasecmp(kw, "STARTTLS") == 0)
      s->offers_starttls = TRUE;
    else if (g_ascii_strcasecmp(kw, "8BITMIME") == 0)
      s->offers_8bitmime = TRUE;
  }
}

static gboolean greet(Session *s, const char *helo_name, OknoSmtpResult *r)
{
  int code;
  g_autofree char *ehlo = g_strdup_printf("EHLO %s", helo_name);
  if (step(s, ehlo, 2, &code, r)) {
    read_capabilities(s);
    return TRUE;
  }
  if (code / 100 != 5) /* 4xx or a broken connection: no point in HELO */
    return FALSE;
  g_autofree char *helo = g_strdup_printf("HELO %s", helo_name);
  s->offers_starttls = s->offers_8bitmime = FALSE;
  return step(s, helo, 2, &code, r);
}

static gboolean accept_any_certificate(GTlsConnection *conn, GTlsCertificate *cert,
                                       GTlsCertificateFlags errors, gpointer relay)
{
  if (errors)
    okno_log("outbound", "event=tls_unverified relay=%s flags=0x%x", (const char *)relay,
             (unsigned)errors);
  return TRUE;
}

/* STARTTLS and the handshake. TRUE to go on (encrypted, or in clear text when the
 * relay refused STARTTLS); FALSE when the session is lost. */
static gboolean start_tls(Session *s, const OknoSmtpTarget *t, OknoSmtpResult *r)
{
  int code;
  g_autoptr(GError) err = NULL;
  if (!step(s, "STARTTLS", 2, &code, r)) {
    if (code == 0)
      return FALSE;
    okno_log("outbound", "event=starttls_refused relay=%s code=%d", t->relay, code);
    g_clear_pointer(&r->reply, g_free);
    return TRUE;
  }
  if (s->len > 0) { /* bytes sent before the handshake: command injection (CVE-2011-0411) */
    s->broken = TRUE;
    result_set(r, OKNO_SMTP_TEMP, 0, g_strdup("starttls: data after the 220 reply"));
    return FALSE;
  }
  g_autoptr(GSocketConnectable) id = g_network_address_parse(t->relay, 25, &err);
  if (id)
    s->tls = g_tls_client_connection_new(G_IO_STREAM(s->conn), id, &err);
  if (!s->tls) {
    result_local_failure(r, s, "tls", err);
    return FALSE;
  }
  g_signal_connect(s->tls, "accept-certificate", G_CALLBACK(accept_any_certificate),
                   (gpointer)t->relay);
  if (!g_tls_connection_handshake(G_TLS_CONNECTION(s->tls), NULL, &err)) {
    result_local_failure(r, s, "tls handshake", err);
    return FALSE;
  }
  return greet(s, t->helo_name, r);
}

/* The body as it goes on the wire after DATA, ending with CRLF "." CRLF. */
static GString *data_payload(GBytes *message, gboolean *eight_bit)
{
  gsize n;
  const guchar *p = g_bytes_get_data(message, &n);
  GString *out = g_string_sized_new(n + n / 32 + 8);
  gboolean bol = TRUE;
  *eight_bit = FALSE;
  for (gsize i = 0; i < n; i++) {
    guchar c = p[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < n && p[i + 1] == '\n')
        i++;
      g_string_append_len(out, "\r\n", 2);
      bol = TRUE;
      continue;
    }
    if (bol && c == '.')
      g_string_append_c(out, '.');
    if (c >= 0x80)
      *eight_bit = TRUE;
    g_string_append_c(out, (char)c);
    bol = FALSE;
  }
  if (!bol)
    g_string_append_len(out, "\r\n", 2);
  g_string_append_len(out, ".\r\n", 3);
  return out;
}

static gboolean address_ok(const char *addr)
{
  if (strlen(addr) > PATH_MAX_LEN)
    return FALSE;
  for (const guchar *p = (const guchar *)addr; *p; p++)
    if (*p < 0x21 || *p == 0x7f || *p == '<' || *p == '>')
      return FALSE;
  return TRUE;
}

static gboolean dialogue(Session *s, const OknoSmtpTarget *t, const char *env_from,
                         const char *env_to, GBytes *message, OknoSmtpResult *r)
{
  int code;
  if (!step(s, NULL, 2, &code, r) || !greet(s, t->helo_name, r))
    return FALSE;
  if (s->offers_starttls && !start_tls(s, t, r))
    return FALSE;
  r->tls = s->tls != NULL;

  gboolean eight_bit;
  g_autoptr(GString) payload = data_payload(message, &eight_bit);
  g_autofree char *mail = g_strdup_printf("MAIL FROM:<%s>%s", env_from,
                                          eight_bit && s->offers_8bitmime ? " BODY=8BITMIME" : "");
  g_autofree char *rcpt = g_strdup_printf("RCPT TO:<%s>", env_to);
  if (!step(s, mail, 2, &code, r) || !step(s, rcpt, 2, &code, r) ||
      !step(s, "DATA", 3, &code, r))
    return FALSE;

  g_autoptr(GError) err = NULL;
  GOutputStream *out = g_io_stream_get_output_stream(session_io(s));
  if (!g_output_stream_write_all(out, payload->str, payload->len, NULL, NULL, &err)) {
    result_local_failure(r, s, "write", err);
    return FALSE;
  }
  if (!step(s, NULL, 2, &code, r))
    return FALSE;
  result_set(r, OKNO_SMTP_SENT, code, reply_text(s));
  return TRUE;
}

OknoSmtpOutcome okno_smtp_send(const OknoSmtpTarget *target, const char *env_from,
                               const char *env_to, GBytes *message, OknoSmtpResult *result)
{
  memset(result, 0, sizeof *result);
  if (!address_ok(env_from) || !*env_to || !address_ok(env_to)) {
    result_set(result, OKNO_SMTP_PERM, 0, g_strdup("invalid envelope address"));
    return result->outcome;
  }
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, target->timeout_seconds ? target->timeout_seconds : 60);
  g_autoptr(GError) err = NULL;
  Session s = {.lines = g_ptr_array_new_with_free_func(g_free)};
  s.conn = g_socket_client_connect_to_host(client, target->relay, 25, NULL, &err);
  if (!s.conn) {
    result_local_failure(result, &s, "connect", err);
  } else if (dialogue(&s, target, env_from, env_to, message, result) || !s.broken) {
    int code;
    OknoSmtpResult quit = {0};
    step(&s, "QUIT", 2, &code, &quit); /* best effort: the outcome is already known */
    okno_smtp_result_clear(&quit);
  }
  if (s.tls)
    g_io_stream_close(s.tls, NULL, NULL);
  g_clear_object(&s.tls);
  if (s.conn)
    g_io_stream_close(G_IO_STREAM(s.conn), NULL, NULL);
  g_clear_object(&s.conn);
  g_ptr_array_unref(s.lines);
  return result->outcome;
}

void okno_smtp_result_clear(OknoSmtpResult *result)
{
  g_clear_pointer(&result->reply, g_free);
}
