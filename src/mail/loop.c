/* mail/loop.c: may okno answer this message automatically? (loop.h)
 *
 * The rules of loop.h are checked one after another, the first that applies gives the
 * reason. Header values are compared case-insensitively on their first token (what
 * comes before ';', '(' or white space), since RFC 3834 allows parameters and
 * comments after the keyword. Local parts are compared after lowercasing and
 * dropping '-', '_', '.' and any "+tag", so "No_Reply+x", "do-not-reply" and
 * "MAILER-DAEMON" all reduce to the forms listed.
 *
 * mime.h gives X-Autoreply, X-Autorespond and X-Auto-Response-Suppress in one
 * field. X-Auto-Response-Suppress alone may name only some kinds of answers
 * (DR, NDR, RN, NRN, OOF: reports and out-of-office), which do not concern a
 * receipt; so the field forbids an answer unless every token in it is one of those
 * (header names, if present, are ignored as tokens). "All", "AutoReply", or any
 * value of X-Autoreply/X-Autorespond ("yes") forbid it. */
#include "mail/loop.h"

#include <string.h>

/* The first token of a header value, lowercased, into buf. */
static const char *first_token(const char *value, char *buf, gsize cap)
{
  gsize n = 0;
  const char *p = value ? value : "";
  while (*p == ' ' || *p == '\t')
    p++;
  while (*p && *p != ';' && *p != '(' && *p != ' ' && *p != '\t' && *p != '\r' &&
         *p != '\n' && n + 1 < cap)
    buf[n++] = g_ascii_tolower(*p++);
  buf[n] = '\0';
  return buf;
}

static gboolean is_set(const char *s) { return s && *s; }

/* TRUE when X-Autoreply / X-Autorespond / X-Auto-Response-Suppress forbid answers. */
static gboolean x_autoreply_forbids(const char *value)
{
  static const char *const harmless[] = {
    "dr", "ndr", "rn", "nrn", "oof", "x-auto-response-suppress", NULL,
  };
  g_auto(GStrv) tokens = NULL;
  if (!is_set(value))
    return FALSE;
  tokens = g_strsplit_set(value, " \t\r\n,;:", -1);
  for (char **t = tokens; *t; t++) {
    gboolean ok = FALSE;
    if (!**t)
      continue;
    for (const char *const *h = harmless; *h && !ok; h++)
      ok = g_ascii_strcasecmp(*t, *h) == 0;
    if (!ok)
      return TRUE;
  }
  return FALSE;
}

/* TRUE when the local part of `addr` is one of the automatic senders' names. */
static gboolean robot_local_part(const char *addr)
{
  static const char *const robots[] = {
    "mailerdaemon", "postmaster", "noreply", "donotreply", NULL,
  };
  char local[128];
  gsize n = 0;
  const char *at = strrchr(addr, '@');
  const char *end = at ? at : addr + strlen(addr);
  for (const char *p = addr; p < end && *p != '+' && n + 1 < sizeof local; p++)
    if (*p != '-' && *p != '_' && *p != '.')
      local[n++] = g_ascii_tolower(*p);
  local[n] = '\0';
  for (const char *const *r = robots; *r; r++)
    if (strcmp(local, *r) == 0)
      return TRUE;
  return FALSE;
}

const char *okno_loop_no_autoreply_reason(const OknoConfig *cfg, const OknoMessage *msg,
                                          const char *envelope_from)
{
  char tok[64];
  const char *answer_to;
  const char *senders[3];

  first_token(msg->auto_submitted, tok, sizeof tok);
  if (*tok && strcmp(tok, "no") != 0)
    return "auto-submitted message (RFC 3834)";

  first_token(msg->precedence, tok, sizeof tok);
  if (strcmp(tok, "bulk") == 0 || strcmp(tok, "list") == 0 || strcmp(tok, "junk") == 0)
    return "precedence bulk, list or junk";

  if (is_set(msg->list_id) || msg->has_list_headers)
    return "mailing list message (List-* header)";

  if (x_autoreply_forbids(msg->x_autoreply))
    return "automatic-reply headers (X-Autoreply or X-Auto-Response-Suppress)";

  first_token(msg->content_type, tok, sizeof tok);
  if (strcmp(tok, "multipart/report") == 0 || strcmp(tok, "message/delivery-status") == 0 ||
      strcmp(tok, "message/disposition-notification") == 0)
    return "delivery or read report";

  if (envelope_from && !*envelope_from)
    return "null envelope sender (bounce)";

  /* where an answer would go: Reply-To, else the sender recovered from From, Sender,
   * Return-Path or the envelope (intake/parse.h) */
  answer_to = is_set(msg->reply_to_email)      ? msg->reply_to_email
              : is_set(msg->from_email)        ? msg->from_email
              : is_set(msg->sender_email)      ? msg->sender_email
              : is_set(msg->return_path_email) ? msg->return_path_email
                                               : envelope_from;
  senders[0] = envelope_from;
  senders[1] = msg->from_email;
  senders[2] = answer_to;
  for (gsize i = 0; i < G_N_ELEMENTS(senders); i++) {
    if (!is_set(senders[i]))
      continue;
    if (robot_local_part(senders[i]))
      return "sender is an automatic address (mailer-daemon, postmaster, no-reply)";
    if (okno_config_is_support_address(cfg, senders[i]) ||
        okno_config_is_check_address(cfg, senders[i]) ||
        (is_set(cfg->outbound_from) && g_ascii_strcasecmp(cfg->outbound_from, senders[i]) == 0))
      return "sender is one of our own support addresses";
  }

  if (!is_set(answer_to) || !strchr(answer_to, '@'))
    return "no address to answer";
  return NULL;
}
