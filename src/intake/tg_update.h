/* tg_update.h: a Telegram Bot API Update (the JSON the webhook receives) read into
 * what okno needs of it (web/telegram_routes.c, docs/channels.md).
 *
 * Only "message" updates carry anything for okno: its chat, the sender's name, the
 * text (or a file's caption) and how many files came with it (photo, document, voice,
 * video, audio), and the file_id and name of the one okno fetches (a document, else
 * the largest photo; web/telegram_routes.c). Other updates (an edited
 * message, a channel post, a callback) are valid and carry no message. A text that is
 * the command "/status NUMBER" (or "/status@bot NUMBER") names NUMBER; "/start" and
 * "/help" are marked, and so is "/link". Pure: no store, no I/O. Bounds: the body at most
 * OKNO_TG_MAX_UPDATE bytes, names and texts repaired to valid UTF-8 without control
 * characters other than line breaks and tabs, the text at most OKNO_TG_MAX_TEXT
 * characters (Telegram's own limit is 4096). */
#pragma once
#include <glib.h>

#define OKNO_TG_MAX_UPDATE (256 * 1024)
#define OKNO_TG_MAX_TEXT 8192
#define OKNO_TG_MAX_NAME 200

typedef struct {
  gint64 update_id;
  gboolean has_message;  /* FALSE: nothing for okno in this update */
  gint64 message_id;
  gint64 chat_id;
  gint64 date;           /* Unix seconds, 0 if absent */
  char *chat_type;       /* "private", "group", ...; "" if absent */
  char *name;            /* "First Last" or @username; "" if none */
  char *text;            /* text or caption; "" if none */
  guint files;           /* files attached */
  char *file_id;         /* the document's, else the largest photo's; NULL if none */
  char *file_name;       /* the document's name, "photo.jpg", or "file"; NULL if none */
  char *status_arg;      /* "/status X": X trimmed ("" when missing); NULL otherwise */
  gboolean start;        /* "/start" or "/help" */
  gboolean link;         /* "/link": a code to link the chat to a cabinet */
} OknoTgUpdate;

void okno_tg_update_clear(OknoTgUpdate *u);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(OknoTgUpdate, okno_tg_update_clear)

/* Parses `len` bytes of `data`. FALSE and OKNO_ERROR_USER (a one-line reason) when it
 * is not an Update object (no integer update_id, a message without an integer chat
 * id, too large); `out` (zeroed by the caller) is then cleared. */
gboolean okno_tg_update_parse(const char *data, gsize len, OknoTgUpdate *out, GError **error);
