/* fuzz_smtp.c: arbitrary client bytes into one SMTP/LMTP session (smtp_session.h).
 *
 * Input layout: byte 0 picks the protocol (bit 0: LMTP), STARTTLS availability (bit 1),
 * how deliveries end (bits 2-3: at once accepted, at once temp-failed, later accepted,
 * later perm-failed) and how the session ends (bits 4-5: EOF, timeout, shutdown,
 * forced shutdown), bit 6 trusts XFORWARD ([lmtp] xforward); byte 1 sets the chunk size the rest is fed in. A fake transport
 * completes TLS handshakes and held deliveries between chunks, and checks that nothing
 * is written after close(). Limits are set low so the caps are reached. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "mail/smtp_session.h"

typedef struct {
  OknoSmtpSession *s;
  guint mode;
  gboolean closed, tls_pending, held;
  gsize out_len;
} FuzzIo;

static void fz_write(gpointer io, const char *data, gsize len)
{
  FuzzIo *f = io;
  if (f->closed)
    abort(); /* the session must not write after close() */
  if (len < 2 || data[len - 2] != '\r' || data[len - 1] != '\n')
    abort(); /* every reply is a CRLF-terminated line */
  f->out_len += len;
}

static void fz_close(gpointer io)
{
  ((FuzzIo *)io)->closed = TRUE;
}

static void fz_starttls(gpointer io)
{
  ((FuzzIo *)io)->tls_pending = TRUE;
}

static void finish(FuzzIo *f)
{
  OknoIntakeResult r = {.number = (char *)"2026-000001"};
  g_autoptr(GError) e = NULL;
  switch ((f->mode >> 2) & 3) {
  case 1: e = g_error_new(OKNO_ERROR, OKNO_ERROR_TEMP, "busy"); break;
  case 3: e = g_error_new(OKNO_ERROR, OKNO_ERROR_PERM, "refused\r\n550 injected"); break;
  default: break;
  }
  okno_smtp_session_delivered(f->s, e ? NULL : &r, e);
}

static void fz_deliver(gpointer io, GBytes *msg, const OknoEnvelope *env)
{
  FuzzIo *f = io;
  if (!env->rcpt_to || !env->rcpt_to[0] || !env->mail_from)
    abort(); /* a message always has a sender and a recipient */
  if (((f->mode >> 2) & 3) >= 2)
    f->held = TRUE;
  else
    finish(f);
}

static const OknoSmtpTransport transport = {fz_write, fz_close, fz_starttls, fz_deliver};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static OknoConfig *cfg;
  FuzzIo f = {0};
  gsize chunk;
  if (!cfg) {
    g_setenv("OKNO_LOG", "quiet", TRUE);
    cfg = okno_config_new_default();
    cfg->max_message_size = 1024;
    cfg->max_line_length = 512;
    cfg->max_recipients = 3;
  }
  if (size < 2)
    return 0;
  f.mode = data[0];
  cfg->lmtp_xforward = (f.mode & 64) != 0;
  chunk = data[1] % 64 + 1;
  data += 2;
  size -= 2;
  f.s = okno_smtp_session_new(cfg, (f.mode & 1) ? OKNO_PROTO_LMTP : OKNO_PROTO_SMTP,
                              "192.0.2.1", (f.mode & 2) != 0, &transport, &f);
  okno_smtp_session_start(f.s);
  while (size > 0 && !f.closed) {
    gsize n = MIN(chunk, size);
    okno_smtp_session_feed(f.s, (const char *)data, n);
    data += n;
    size -= n;
    if (f.tls_pending) {
      f.tls_pending = FALSE;
      okno_smtp_session_tls_started(f.s);
    }
    if (f.held) {
      f.held = FALSE;
      finish(&f);
    }
  }
  switch ((f.mode >> 4) & 3) {
  case 1: okno_smtp_session_timeout(f.s, (f.mode & 64) ? "message took too long" : NULL); break;
  case 2: okno_smtp_session_shutdown(f.s, FALSE); break;
  case 3: okno_smtp_session_shutdown(f.s, TRUE); break;
  default: break;
  }
  okno_smtp_session_free(f.s);
  return 0;
}
