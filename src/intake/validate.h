/* validate.h: what an appeal must have, and which attachments it may keep.
 *
 * Description: the text after removing quoted lines ("> ..."), the quoted original
 * after a reply header ("-----Original Message-----", "--- Исходное сообщение ---",
 * Outlook's "From:/Sent:/To:/Subject:" block, "<date>, <name> пишет:/wrote:",
 * "<date>, Name <addr>:" of Gmail, Yandex, Mail.ru, Apple Mail), the signature
 * (after "-- ", a device line such as "Отправлено с iPhone" / "Sent from my iPhone"
 * / "Отправлено из мобильной Почты Mail.ru", or a closing near the end such as
 * "С уважением, ..." with a few short lines after it), a greeting standing alone on
 * the first line ("Здравствуйте!"), and white space. Empty means "no description".
 * A forwarded letter ("---------- Forwarded message ---------") is kept: it is often
 * the appeal itself. Text written below a quote (bottom-posting) is kept.
 *
 * Attachment policy: kept when libmagic says PDF, DOCX, JPEG or PNG, the size is
 * not zero and at most 10 MB (5 MB for images); otherwise refused with a reason
 * in Russian for the citizen, a whole sentence naming the file:
 *   «Файл «x.exe» не принят: такие файлы не принимаются. Можно прикладывать PDF,
 *    DOCX, JPEG и PNG.»   «Файл «a.pdf» не принят: он больше 10 МБ.»
 *   «Файл «b.png» не принят: файл пустой.»
 * with specific reasons for images over 5 MB, archives, macros, DOC/RTF and
 * Outlook's winmail.dat (TNEF). "application/zip" counts as DOCX only when the
 * bytes name "word/document.xml"; a Word file with macros (vbaProject.bin) is
 * refused. A name that hides the type (a.pdf.exe) is judged by the bytes, never by
 * the name. Pure, thread-safe. */
#pragma once
#include <glib.h>

#include "mail/mime.h"

/* The meaningful part of a message text (caller frees). "" when nothing is left. */
char *okno_description_text(const char *text);

/* NULL when `att` may be kept, else the reason in Russian (caller frees). */
char *okno_attachment_refusal(const OknoAttachment *att);

#define OKNO_ATTACHMENT_MAX (10 * 1024 * 1024)
#define OKNO_IMAGE_MAX (5 * 1024 * 1024)
