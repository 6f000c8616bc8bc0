/* clamav.c: the clamd INSTREAM client and its reply parser (see clamav.h).
 *
 * How it works: the address is parsed (unix:PATH, /PATH or HOST[:PORT]), a GSocket is
 * connected in non-blocking mode, and every wait (connect, each send, the reply) is a
 * g_socket_condition_timed_wait() against one deadline, so a clamd that hangs costs
 * at most timeout_ms. clamd may stop reading and answer early (a size limit): a
 * failed send is therefore followed by an attempt to read the reply, whose text is
 * the better explanation. The reply is read up to its NUL, end of stream or
 * REPLY_MAX bytes and handed to okno_clamav_parse_reply(). */
#include "check/clamav.h"

#include <gio/gio.h>
#include <string.h>

#include "core/error.h"

#define REPLY_MAX 4096
#define DETAIL_MAX 200
#define DEFAULT_CHUNK (64 * 1024)
#define CLAMD_PORT 3310

/* Copies `n` bytes of `s` as printable ASCII (others '?'), at most DETAIL_MAX. */
static char *printable(const char *s, gsize n)
{
  char *out = g_strndup(s, MIN(n, (gsize)DETAIL_MAX));
  for (char *p = out; *p; p++)
    if ((guchar)*p < 0x20 || (guchar)*p > 0x7e)
      *p = '?';
  return out;
}

OknoClamReply okno_clamav_parse_reply(const char *reply, gsize len, char **detail)
{
  const char *nul = memchr(reply, '\0', len);
  gsize n = nul ? (gsize)(nul - reply) : len;
  static const char prefix[] = "stream: ";
  const gsize plen = sizeof prefix - 1;

  *detail = NULL;
  while (n > 0 && (reply[n - 1] == '\n' || reply[n - 1] == '\r' || reply[n - 1] == ' '))
    n--;
  if (n >= 6 && memcmp(reply + n - 6, " ERROR", 6) == 0) {
    *detail = printable(reply, n - 6);
    return OKNO_CLAM_ERROR;
  }
  if (n < plen || memcmp(reply, prefix, plen) != 0)
    return OKNO_CLAM_MALFORMED;
  if (n == plen + 2 && memcmp(reply + plen, "OK", 2) == 0)
    return OKNO_CLAM_CLEAN;
  if (n > plen + 6 && memcmp(reply + n - 6, " FOUND", 6) == 0) {
    gsize b = plen, e = n - 6;
    while (b < e && reply[b] == ' ')
      b++;
    while (e > b && reply[e - 1] == ' ')
      e--;
    if (e == b)
      return OKNO_CLAM_MALFORMED;
    *detail = g_strchomp(printable(reply + b, e - b)); /* cut at DETAIL_MAX: no end blank */
    return OKNO_CLAM_FOUND;
  }
  return OKNO_CLAM_MALFORMED;
}

/* The socket address of `spec`, or NULL with OKNO_ERROR_USER. */
static GSocketAddress *clamd_address(const char *spec, GError **error)
{
  g_autoptr(GSocketConnectable) net = NULL;
  g_autoptr(GSocketAddressEnumerator) en = NULL;
  g_autoptr(GError) e = NULL;
  GSocketAddress *addr;
  if (g_str_has_prefix(spec, "unix:"))
    spec += 5;
  if (spec[0] == '/')
    return g_unix_socket_address_new(spec);
  net = g_network_address_parse(spec, CLAMD_PORT, NULL);
  if (!net) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "[clamav] socket '%s' is neither unix:PATH nor HOST:PORT", spec);
    return NULL;
  }
  en = g_socket_connectable_enumerate(net);
  addr = g_socket_address_enumerator_next(en, NULL, &e);
  if (!addr)
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "clamd address %s: %s", spec,
                e ? e->message : "no address");
  return addr;
}

/* Waits for `cond` until `deadline` (monotonic us). */
static gboolean wait_for(GSocket *s, GIOCondition cond, gint64 deadline, const char *what,
                         GError **error)
{
  gint64 left = deadline - g_get_monotonic_time();
  g_autoptr(GError) e = NULL;
  if (left <= 0 || !g_socket_condition_timed_wait(s, cond, left, NULL, &e)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "clamd %s: %s", what,
                e && !g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ? e->message
                                                                           : "timed out");
    return FALSE;
  }
  return TRUE;
}

static gboolean send_all(GSocket *s, const void *buf, gsize len, gint64 deadline, GError **error)
{
  const char *p = buf;
  while (len > 0) {
    g_autoptr(GError) e = NULL;
    gssize n;
    if (!wait_for(s, G_IO_OUT, deadline, "send", error))
      return FALSE;
    n = g_socket_send(s, p, len, NULL, &e);
    if (n < 0) {
      if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        continue;
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "clamd send: %s", e->message);
      return FALSE;
    }
    p += n;
    len -= (gsize)n;
  }
  return TRUE;
}

/* Reads the reply (up to its NUL, end of stream or REPLY_MAX bytes). */
static GString *read_reply(GSocket *s, gint64 deadline, GError **error)
{
  g_autoptr(GString) r = g_string_new(NULL);
  char buf[512];
  while (r->len < REPLY_MAX && !memchr(r->str, '\0', r->len)) {
    g_autoptr(GError) e = NULL;
    gssize n;
    if (!wait_for(s, G_IO_IN | G_IO_HUP | G_IO_ERR, deadline, "reply", error))
      return NULL;
    n = g_socket_receive(s, buf, MIN(sizeof buf, REPLY_MAX - r->len), NULL, &e);
    if (n < 0 && g_error_matches(e, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      continue;
    if (n < 0) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "clamd reply: %s", e->message);
      return NULL;
    }
    if (n == 0)
      break;
    g_string_append_len(r, buf, n);
  }
  return g_steal_pointer(&r);
}

gboolean okno_clamav_scan(const char *socket_spec, gint64 timeout_ms, const void *data,
                          gsize len, gsize chunk, char **signature, GError **error)
{
  gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GSocket) s = NULL;
  g_autoptr(GError) e = NULL;
  g_autoptr(GError) send_err = NULL;
  g_autoptr(GString) reply = NULL;
  g_autofree char *detail = NULL;
  const char *p = data;
  gsize left = len;
  gboolean sent = TRUE;

  *signature = NULL;
  if (chunk == 0)
    chunk = DEFAULT_CHUNK;
  chunk = MIN(chunk, (gsize)G_MAXUINT32);
  addr = clamd_address(socket_spec, error);
  if (!addr)
    return FALSE;
  s = g_socket_new(g_socket_address_get_family(addr), G_SOCKET_TYPE_STREAM,
                   G_SOCKET_PROTOCOL_DEFAULT, &e);
  if (!s) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "clamd socket: %s", e->message);
    return FALSE;
  }
  g_socket_set_blocking(s, FALSE);
  if (!g_socket_connect(s, addr, NULL, &e)) {
    if (!g_error_matches(e, G_IO_ERROR, G_IO_ERROR_PENDING)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "clamd connect %s: %s", socket_spec,
                  e->message);
      return FALSE;
    }
    g_clear_error(&e);
    if (!wait_for(s, G_IO_OUT, deadline, "connect", error))
      return FALSE;
    if (!g_socket_check_connect_result(s, &e)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "clamd connect %s: %s", socket_spec,
                  e->message);
      return FALSE;
    }
  }

  sent = send_all(s, "zINSTREAM", 10, deadline, &send_err);
  while (sent && left > 0) {
    gsize n = MIN(left, chunk);
    guint32 be = GUINT32_TO_BE((guint32)n);
    sent = send_all(s, &be, 4, deadline, &send_err) && send_all(s, p, n, deadline, &send_err);
    p += n;
    left -= n;
  }
  if (sent) {
    static const guint8 end[4] = {0, 0, 0, 0};
    sent = send_all(s, end, 4, deadline, &send_err);
  }
  reply = read_reply(s, deadline, sent ? error : NULL);
  if (!reply || reply->len == 0) {
    if (!sent)
      g_propagate_error(error, g_steal_pointer(&send_err));
    else if (reply)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "clamd closed without a reply");
    return FALSE;
  }
  switch (okno_clamav_parse_reply(reply->str, reply->len, &detail)) {
  case OKNO_CLAM_CLEAN:
    if (!sent)
      break; /* "OK" for a stream it did not read whole proves nothing */
    return TRUE;
  case OKNO_CLAM_FOUND:
    *signature = g_steal_pointer(&detail);
    return TRUE;
  case OKNO_CLAM_ERROR:
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "clamd: %s ERROR", detail);
    return FALSE;
  case OKNO_CLAM_MALFORMED:
  default:
    break;
  }
  {
    g_autofree char *shown = printable(reply->str, reply->len);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "clamd: unexpected reply \"%s\"%s", shown,
                sent ? "" : " after a failed send");
  }
  return FALSE;
}
