/* tg_contact.c: a Telegram chat's contact address (tg_contact.h). */
#include "appeal/tg_contact.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *okno_tg_contact(gint64 chat_id)
{
  return g_strdup_printf("tg.%" G_GINT64_FORMAT "@" OKNO_TG_CONTACT_DOMAIN, chat_id);
}

gboolean okno_tg_contact_chat(const char *addr, gint64 *chat_id)
{
  const char *at, *p;
  char *end = NULL;
  gint64 v;
  if (!addr || g_ascii_strncasecmp(addr, "tg.", 3) != 0 || !(at = strchr(addr, '@')) ||
      g_ascii_strcasecmp(at + 1, OKNO_TG_CONTACT_DOMAIN) != 0)
    return FALSE;
  p = addr + 3;
  if (p == at || at - p > 21 || (*p != '-' && !g_ascii_isdigit(*p)))
    return FALSE;
  errno = 0;
  v = g_ascii_strtoll(p, &end, 10);
  if (errno || end != at || (*p == '-' && p + 1 == at))
    return FALSE;
  *chat_id = v;
  return TRUE;
}
