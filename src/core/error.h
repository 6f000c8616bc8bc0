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
