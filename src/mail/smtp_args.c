/* smtp_args.c: the arguments of SMTP/LMTP commands (the contracts are in smtp_args.h).
 * Untrusted bytes in, plain values out; no session state. */
#include "mail/smtp_args.h"

#include <string.h>

void okno_smtp_path_clear(OknoSmtpPath *p)
{
  g_clear_pointer(&p->addr, g_free);
}

gboolean okno_smtp_path_parse(const char *args, const char *keyword, gboolean is_mail,
                              OknoSmtpPath *out)
{
  gsize klen = strlen(keyword);
  const char *p, *end;
  gboolean quoted = FALSE;
  out->size = -1;
  out->utf8 = FALSE;
  out->bad_param = NULL;
  if (g_ascii_strncasecmp(args, keyword, klen) != 0)
    return FALSE;
  p = args + klen;
  while (*p == ' ')
    p++;
  if (*p != '<')
    return FALSE;
  p++;
  if (*p == '@') { /* source route "@a,@b:": obsolete, ignored */
    const char *colon = strchr(p, ':');
    if (!colon)
      return FALSE;
    p = colon + 1;
  }
  for (end = p; *end && (quoted || *end != '>'); end++) {
    if (*end == '"')
      quoted = !quoted;
    else if (*end == '\\' && quoted && end[1])
      end++;
  }
  if (*end != '>' || end - p > OKNO_SMTP_MAX_PATH)
    return FALSE;
  out->addr = g_strndup(p, end - p);
  for (const char *c = out->addr; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f || (*c == ' ' && !strchr(out->addr, '"')))
      return FALSE; /* a space only inside a quoted local part */
  if (!g_utf8_validate(out->addr, -1, NULL))
    return FALSE;
  if (*out->addr) {
    const char *at = strrchr(out->addr, '@');
    gboolean postmaster = g_ascii_strcasecmp(out->addr, "postmaster") == 0;
    if (!postmaster && (!at || at == out->addr || !at[1] || strpbrk(at + 1, "<>()[],;: \"\\")))
      return FALSE;
  } else if (!is_mail) {
    return FALSE; /* RCPT TO:<> */
  }
  p = end + 1;
  if (*p && *p != ' ')
    return FALSE;
  /* ESMTP parameters */
  while (*p) {
    g_autofree char *param = NULL;
    const char *q;
    while (*p == ' ')
      p++;
    if (!*p)
      break;
    for (q = p; *q && *q != ' '; q++)
      ;
    param = g_strndup(p, q - p);
    if (is_mail && g_ascii_strncasecmp(param, "SIZE=", 5) == 0) {
      char *num_end = NULL;
      guint64 v;
      if (!g_ascii_isdigit(param[5]))
        return (out->bad_param = p, TRUE);
      v = g_ascii_strtoull(param + 5, &num_end, 10);
      if (*num_end)
        return (out->bad_param = p, TRUE);
      out->size = v > G_MAXINT64 ? G_MAXINT64 : (gint64)v;
    } else if (is_mail && (g_ascii_strcasecmp(param, "BODY=8BITMIME") == 0 ||
                           g_ascii_strcasecmp(param, "BODY=7BIT") == 0)) {
      /* 8-bit bodies are kept as they are either way */
    } else if (is_mail && g_ascii_strcasecmp(param, "SMTPUTF8") == 0) {
      out->utf8 = TRUE;
    } else {
      out->bad_param = p;
      return TRUE;
    }
    p = q;
  }
  return TRUE;
}

gboolean okno_smtp_is_ascii(const char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s >= 0x80)
      return FALSE;
  return TRUE;
}

char *okno_smtp_param_name(const char *param)
{
  gsize n = strcspn(param, " =");
  return g_strndup(param, MIN(n, 64));
}

/* xtext (RFC 3461 4) to printable ASCII; NULL if malformed or unprintable. */
static char *xtext_decode(const char *v, gsize n)
{
  g_autoptr(GString) out = g_string_sized_new(n);
  for (gsize i = 0; i < n; i++) {
    guint8 c = (guint8)v[i];
    if (c == '+') {
      if (i + 2 >= n || !g_ascii_isxdigit(v[i + 1]) || !g_ascii_isxdigit(v[i + 2]))
        return NULL;
      c = (guint8)(g_ascii_xdigit_value(v[i + 1]) * 16 + g_ascii_xdigit_value(v[i + 2]));
      i += 2;
    }
    if (c <= 0x20 || c >= 0x7F)
      return NULL;
    g_string_append_c(out, (char)c);
  }
  return g_string_free(g_steal_pointer(&out), FALSE);
}

OknoXforwardResult okno_smtp_xforward_parse(const char *args, char **addr, char **helo)
{
  g_auto(GStrv) words = g_strsplit(args, " ", -1);
  g_autofree char *a = NULL, *h = NULL;
  static const char *const unused[] = {"NAME=", "PROTO=", "PORT=", "IDENT=", "SOURCE="};
  for (char **w = words; *w; w++) {
    const char *eq = strchr(*w, '=');
    g_autofree char *value = NULL;
    gboolean known = FALSE;
    if (!**w)
      continue;
    if (!eq || eq == *w || !(value = xtext_decode(eq + 1, strlen(eq + 1))))
      return OKNO_XFORWARD_BAD_VALUE;
    if (strcmp(value, "[UNAVAILABLE]") == 0 || strcmp(value, "[TEMPUNAVAIL]") == 0)
      continue;
    if (g_ascii_strncasecmp(*w, "ADDR=", 5) == 0) {
      const char *ip = g_ascii_strncasecmp(value, "IPV6:", 5) == 0 ? value + 5 : value;
      if (strlen(ip) > 64 || !g_hostname_is_ip_address(ip))
        return OKNO_XFORWARD_BAD_ADDR;
      g_free(a);
      a = g_strdup(ip);
      continue;
    }
    if (g_ascii_strncasecmp(*w, "HELO=", 5) == 0) {
      g_free(h);
      h = g_strndup(value, 255);
      continue;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(unused); i++)
      known = known || g_ascii_strncasecmp(*w, unused[i], strlen(unused[i])) == 0;
    if (!known)
      return OKNO_XFORWARD_UNKNOWN;
  }
  *addr = g_steal_pointer(&a);
  *helo = g_steal_pointer(&h);
  return OKNO_XFORWARD_OK;
}
