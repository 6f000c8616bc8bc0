/* validate.h: what an appeal must have, and which attachments it may keep.
 *
 * Description: the text after removing quoted lines ("> ..."), the quoted original
 * after a reply header ("-----Original Message-----", "--- Исходное сообщение ---",
 * "<date>, <name> пишет:/wrote:"), the signature (after "-- " or a short closing
 * such as "С уважением, ..." / "Отправлено с iPhone"), and white space. Empty
 * means "no description".
 *
 * Attachment policy: kept when libmagic says PDF, DOCX, JPEG or PNG, the size is
 * not zero and at most 10 MB (5 MB for images); otherwise refused with a reason
 * in Russian for the citizen ("файл «x.exe» не принят: такой тип файлов не
 * принимается; допустимы PDF, DOCX, JPEG и PNG"). A name that hides the type
 * (a.pdf.exe) is judged by the bytes, never by the name. Pure, thread-safe. */
#pragma once
#include <glib.h>

#include "mail/mime.h"

/* The meaningful part of a message text (caller frees). "" when nothing is left. */
char *okno_description_text(const char *text);

/* NULL when `att` may be kept, else the reason in Russian (caller frees). */
char *okno_attachment_refusal(const OknoAttachment *att);

#define OKNO_ATTACHMENT_MAX (10 * 1024 * 1024)
#define OKNO_IMAGE_MAX (5 * 1024 * 1024)
