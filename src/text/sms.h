/* sms.h: an SMS text fitted to the GSM limits (issue 22, ops/messenger.h).
 *
 * A text goes in the GSM 03.38 default alphabet (7-bit, with its extension table,
 * whose characters ^ { } \ [ ~ ] | € take two septets) when every character has a
 * place there, else in UCS-2. One SMS holds 160 septets or 70 UCS-2 units; a
 * concatenated message 153 or 67 per part (the user data header takes the rest), and
 * a two-unit character (an extension character, a UTF-16 surrogate pair) is never
 * split across parts. A text that needs more than `max_parts` parts is cut to fit,
 * after a whole character, and ends with "..." (GSM) or "…" (UCS-2). Pure. */
#pragma once
#include <glib.h>

typedef enum { OKNO_SMS_GSM7, OKNO_SMS_UCS2 } OknoSmsCoding;

#define OKNO_SMS_GSM_SINGLE 160
#define OKNO_SMS_GSM_PART 153
#define OKNO_SMS_UCS2_SINGLE 70
#define OKNO_SMS_UCS2_PART 67

typedef struct {
  OknoSmsCoding coding;
  char *text;      /* UTF-8, what to send (cut when `cut`) */
  guint parts;     /* SMS it takes, 1..max_parts (0 for an empty text) */
  guint units;     /* septets (GSM) or UTF-16 units (UCS-2) of `text` */
  gboolean cut;
} OknoSmsPlan;

/* Plans `utf8` (invalid UTF-8 is repaired first) for at most `max_parts` (>= 1) parts.
 * The plan's text is the caller's (okno_sms_plan_clear). */
void okno_sms_plan(const char *utf8, guint max_parts, OknoSmsPlan *out);
void okno_sms_plan_clear(OknoSmsPlan *p);
/* The units `c` takes in the GSM default alphabet (1 or 2), 0 when it has no place. */
guint okno_sms_gsm_units(gunichar c);
