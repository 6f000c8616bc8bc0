/* fuzz_smtp_lineends: SMTP smuggling searched for, in mixtures of bare CR and LF.
 *
 * Each input byte picks a token (CR, LF, CRLF, ".", a NUL, a space, text, or a whole
 * command: MAIL, RCPT, DATA, RSET, NOOP); the tokens are fed, in chunks the first byte
 * chooses, to an SMTP or LMTP session that is already in DATA. The oracle is the rule
 * against smuggling (smtp_session.c): a message ends only at <CR><LF>.<CR><LF>, so the
 * session may deliver at most as many messages as that sequence occurs in the stream
 * (counting the DATA command's own CRLF), and never more than the DATA commands it
 * accepted. Any other outcome aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/smtp_session.h"

typedef struct {
  OknoSmtpSession *s;
  gboolean closed;
  guint deliveries;
  guint data_ok; /* "354" replies */
} Io;

static void w(gpointer io, const char *data, gsize len)
{
  Io *f = io;
  if (f->closed)
    abort();
  if (len >= 3 && memcmp(data, "354", 3) == 0)
    f->data_ok++;
}

static void c(gpointer io)
{
  ((Io *)io)->closed = TRUE;
}

static void d(gpointer io, GBytes *msg, const OknoEnvelope *env)
{
  Io *f = io;
  OknoIntakeResult r = {.number = (char *)"26-000001-0"};
  f->deliveries++;
  okno_smtp_session_delivered(f->s, &r, NULL);
}

static const OknoSmtpTransport transport = {w, c, NULL, d};

static const char *const tokens[] = {
  "\r", "\n", "\r\n", ".", "\0", " ", "x", "Subject: s",
  "MAIL FROM:<forged@portal.example>", "RCPT TO:<support@portal.example>", "DATA", "RSET",
  "NOOP", "..", "\r\n.\r\n", "\n.\n",
};

static gsize count_ends(const GByteArray *b)
{
  gsize n = 0;
  for (gsize i = 0; i + 5 <= b->len; i++)
    if (memcmp(b->data + i, "\r\n.\r\n", 5) == 0)
      n++;
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static OknoConfig *cfg;
  static const char prefix[] =
    "EHLO c.example\r\nMAIL FROM:<a@mail.example>\r\nRCPT TO:<support@portal.example>\r\nDATA\r\n";
  g_autoptr(GByteArray) in = g_byte_array_new();
  Io f = {0};
  gsize chunk, lhlo = 0;
  if (!cfg) {
    g_setenv("OKNO_LOG", "quiet", TRUE);
    cfg = okno_config_new_default();
    cfg->max_message_size = 4096;
  }
  if (size < 1)
    return 0;
  chunk = (data[0] >> 1) % 16 + 1;
  if (data[0] & 1) { /* LMTP: LHLO instead of EHLO */
    g_byte_array_append(in, (const guint8 *)"LHLO", 4);
    lhlo = 4;
  }
  g_byte_array_append(in, (const guint8 *)prefix + lhlo, sizeof prefix - 1 - lhlo);
  for (size_t i = 1; i < size; i++) {
    const char *t = tokens[data[i] % G_N_ELEMENTS(tokens)];
    gsize n = data[i] % G_N_ELEMENTS(tokens) == 4 ? 1 : strlen(t);
    g_byte_array_append(in, (const guint8 *)t, n);
  }
  f.s = okno_smtp_session_new(cfg, (data[0] & 1) ? OKNO_PROTO_LMTP : OKNO_PROTO_SMTP,
                              "192.0.2.1", FALSE, &transport, &f);
  okno_smtp_session_start(f.s);
  for (gsize off = 0; off < in->len && !f.closed; off += chunk)
    okno_smtp_session_feed(f.s, (const char *)in->data + off, MIN(chunk, in->len - off));
  /* "DATA\r\n" ends in CRLF, so the ".\r\n" right behind it also shows as "\r\n.\r\n" */
  if (f.deliveries > count_ends(in) || f.deliveries > f.data_ok)
    abort();
  okno_smtp_session_free(f.s);
  return 0;
}
