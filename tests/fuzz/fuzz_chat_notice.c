/* fuzz_chat_notice.c: fuzz driver for the chat's cross-node notice payloads
 * (store/chat_listen.h okno_chat_notice_parse, "NODE:CHAT:MSG") and the Telegram link
 * codes' normal form (store/tg_link.h okno_tg_link_normal). Invariants: an accepted
 * payload has a node of 16 characters, a chat >= 1 and a message >= 0, and printing
 * them back gives the same payload's numbers; a normal form holds only A-Z and 0-9
 * and is its own normal form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "store/chat_listen.h"
#include "store/tg_link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup((const char *)data, size);
  g_autofree char *norm = okno_tg_link_normal(text);
  g_autofree char *again = okno_tg_link_normal(norm);
  char node[17];
  gint64 chat = 0, msg = 0;
  if (strspn(norm, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != strlen(norm) || strcmp(norm, again) != 0)
    abort();
  if (okno_chat_notice_parse(text, node, &chat, &msg)) {
    g_autofree char *back = NULL;
    char node2[17];
    gint64 chat2 = 0, msg2 = 0;
    if (strlen(node) != 16 || chat < 1 || msg < 0)
      abort();
    back = g_strdup_printf("%s:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, node, chat, msg);
    if (!okno_chat_notice_parse(back, node2, &chat2, &msg2) || chat2 != chat || msg2 != msg ||
        strcmp(node2, node) != 0)
      abort();
  }
  return 0;
}
