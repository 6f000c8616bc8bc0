/* error.h: the one error model of okno.
 *
 * Every module reports failures as a GError in OKNO_ERROR. The code says who must act:
 *   OKNO_ERROR_USER      the caller's input is wrong (CLI exit 1, SMTP 5xx, HTTP 4xx);
 *   OKNO_ERROR_TEMP      a soft failure worth retrying (SMTP 4xx): disk full, db busy;
 *   OKNO_ERROR_PERM      a hard, final refusal of this input (SMTP 5xx);
 *   OKNO_ERROR_INTERNAL  a bug or broken environment (CLI exit 2).
 * Messages of USER and PERM errors are shown to people and are in Russian where
 * a citizen sees them; others are for the log and are in English. */
#pragma once
#include <glib.h>

#define OKNO_ERROR (okno_error_quark())
GQuark okno_error_quark(void);

typedef enum {
  OKNO_ERROR_USER = 1,
  OKNO_ERROR_TEMP,
  OKNO_ERROR_PERM,
  OKNO_ERROR_INTERNAL,
} OknoErrorCode;

/* CLI exit status for an error: 1 for USER/PERM, 2 otherwise. */
int okno_error_exit_code(const GError *err);

/* Errors that carry their own SMTP reply. The intake pipeline refuses or defers some
 * messages with a precise reply (e.g. "554 5.7.1" for a virus, "451 4.7.0" when the
 * scanner is down); the SMTP/LMTP session sends it as it is.
 * okno_set_smtp_error() sets an OKNO_ERROR whose code is TEMP for a 4xx `reply` and PERM
 * for a 5xx one, and whose message is "<reply> <enhanced> <text>", e.g.
 * "554 5.7.1 Сообщение отклонено ...". `reply` is 400..599, `enhanced` "X.Y.Z". */
void okno_set_smtp_error(GError **error, int reply, const char *enhanced, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
/* The SMTP reply line (without CRLF; caller frees) for an intake error: the message
 * itself when it starts with "4xx 4.y.z " / "5xx 5.y.z " (okno_set_smtp_error), else
 * "451 4.3.0 ..." for TEMP errors and "554 5.6.0 <message>" for the others. Control
 * characters are replaced with spaces. */
char *okno_error_smtp_reply(const GError *err);
