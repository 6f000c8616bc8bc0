/* status.h: the status check without signing in (number + e-mail -> status only).
 *
 * The answer is the same for "no such appeal" and "the e-mail does not match", so the
 * form cannot be used to learn which numbers exist or whose they are. Each check
 * takes a token from the per-IP form bucket ([http] forms_per_hour, applied by the
 * server to the POST) and from the client's own status bucket ([http] status_checks_per_hour,
 * default 20, also for the JSON API), so guessing is slow from each address, and no number of
 * addresses guessing a number can lock its owner out of their own check (a per-number
 * bucket could). */
#pragma once
#include "appeal/appeal.h"
#include "web/server.h"

typedef enum {
  OKNO_LOOKUP_FOUND,
  OKNO_LOOKUP_NOT_FOUND,   /* no such appeal, or the e-mail does not match */
  OKNO_LOOKUP_BAD_INPUT,   /* *field and *message say what to fix */
  OKNO_LOOKUP_LIMITED,     /* the request has been answered with 429 */
  OKNO_LOOKUP_FAILED,      /* store error: the request has been answered with 500 */
} OknoStatusOutcome;

/* Checks `number` and `email` (from the form or the JSON body). On FOUND, *number_out
 * is the normalised number (caller frees), *status the appeal's status and *label
 * what a citizen reads of it (okno_statuses[].citizen, static). On BAD_INPUT, *field ("number" or "email") and
 * *message (Russian, static) are set. */
OknoStatusOutcome okno_status_check(OknoReq *req, const char *number, const char *email,
                                    char **number_out, OknoStatus *status, const char **label,
                                    const char **field, const char **message);

