/* error.c: the OKNO_ERROR domain (see error.h). */
#include "core/error.h"

#include <stdarg.h>

G_DEFINE_QUARK(okno-error-quark, okno_error)

int okno_error_exit_code(const GError *err)
{
  if (err && err->domain == OKNO_ERROR &&
      (err->code == OKNO_ERROR_USER || err->code == OKNO_ERROR_PERM))
    return 1;
  return 2;
}

void okno_set_smtp_error(GError **error, int reply, const char *enhanced, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *text = NULL;
  va_start(ap, fmt);
  text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, OKNO_ERROR, reply < 500 ? OKNO_ERROR_TEMP : OKNO_ERROR_PERM, "%d %s %s",
              reply, enhanced, text);
}

/* "4xx 4.y.z " or "5xx 5.y.z " at the start of `s`, the class digits agreeing. */
static gboolean has_reply_prefix(const char *s)
{
  const char *p = s + 6;
  if ((s[0] != '4' && s[0] != '5') || !g_ascii_isdigit(s[1]) || !g_ascii_isdigit(s[2]) ||
      s[3] != ' ' || s[4] != s[0] || s[5] != '.' || !g_ascii_isdigit(*p))
    return FALSE;
  while (g_ascii_isdigit(*p))
    p++;
  if (*p++ != '.' || !g_ascii_isdigit(*p))
    return FALSE;
  while (g_ascii_isdigit(*p))
    p++;
  return *p == ' ';
}

char *okno_error_smtp_reply(const GError *err)
{
  char *line;
  if (err->domain == OKNO_ERROR && has_reply_prefix(err->message))
    line = g_strdup(err->message);
  else if (g_error_matches(err, OKNO_ERROR, OKNO_ERROR_TEMP))
    return g_strdup("451 4.3.0 Temporary failure, please try again later");
  else
    line = g_strdup_printf("554 5.6.0 %s", err->message);
  for (char *p = line; *p; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      *p = ' ';
  return line;
}
