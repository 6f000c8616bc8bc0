/* feedback.h: the feedback form («Обратная связь»): its fields, their checks, and the
 * RFC 5322 message it becomes.
 *
 * A submitted form is checked field by field (okno_feedback_check: pure, no store, no
 * keys: the fuzz driver tests/fuzz/fuzz_form.c runs it), each error a Russian
 * sentence under the field's name, with the input kept for the page to show again.
 * A form that passes becomes an e-mail built with GMime (From: name <email>, To: the
 * first support address, Subject «Обратная связь: <тема>», the description as
 * text/plain UTF-8, the files as base64 attachments) and goes through the same intake
 * pipeline as mail (intake/pipeline.h) with envelope channel "web", the category and
 * the phone: the same numbering, receipt, validation and events. The attachment
 * policy is the intake's own (intake/validate.h: PDF/DOCX/JPEG/PNG by content, 10 MB,
 * images 5 MB), applied here to the message as the pipeline will parse it, so a file
 * the pipeline would refuse is refused on the form, next to the field; the total of
 * all files is capped at OKNO_FEEDBACK_MAX_FILES_TOTAL.
 *
 * Fields: name (ФИО), email, phone (optional), category (a key of
 * okno_feedback_categories), description (OKNO_FEEDBACK_MIN_DESCRIPTION..MAX
 * characters), attachments (files), consent ("yes": consent to the processing of
 * personal data, 152-FZ). The captcha fields are checked by the handler (captcha.h). */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>

#include "core/config.h"
#include "web/form.h"

#define OKNO_FEEDBACK_MIN_DESCRIPTION 100  /* characters */
#define OKNO_FEEDBACK_MAX_DESCRIPTION 20000
#define OKNO_FEEDBACK_MAX_NAME 200
#define OKNO_FEEDBACK_MAX_FILES_TOTAL (10 * 1024 * 1024)

typedef struct {
  const char *key;    /* "technical", ... (stored as the appeal's category) */
  const char *label;  /* «Техническая проблема», ... */
} OknoFeedbackCategory;

/* The categories, in the order the form lists them; *n is set to their number. */
const OknoFeedbackCategory *okno_feedback_categories(gsize *n);
/* The label of a category key, or NULL. */
const char *okno_feedback_category_label(const char *key);

typedef struct {
  char *name;
  char *email;        /* lowercase */
  char *phone;        /* "+79123456789" or "" */
  char *category;     /* a key */
  char *description;
  GBytes *raw;        /* the message built from the form (set when the check passes) */
} OknoFeedback;

void okno_feedback_clear(OknoFeedback *fb);

/* The message a form becomes: From the name and e-mail (no address when fb->email is
 * ""), To the first support address, `subject` (NULL: «Обратная связь: CATEGORY»),
 * fb->description as its text, the form's files (form may be NULL) attached, dated
 * `now`, Message-ID under cfg->hostname. Also used by the console's operator-logged
 * appeals (console_intake.c). */
GBytes *okno_feedback_build(const OknoFeedback *fb, const char *subject, const OknoForm *form,
                            const OknoConfig *cfg, gint64 now);
/* An addr-spec a mail system will deliver to (the form's check). */
gboolean okno_feedback_email_ok(const char *e);
/* "+7 (912) 345-67-89", "8 912 3456789" -> "+79123456789" (caller frees); NULL when not
 * a phone. */
char *okno_feedback_phone_normal(const char *p);

/* Checks the form. Adds "field": "text" to `errors` for every problem and returns
 * FALSE when there is one; TRUE with `out` filled (out->raw: the message, dated `now`,
 * Message-ID under cfg->hostname) when there is none. `out` is cleared by the caller
 * either way. */
gboolean okno_feedback_check(const OknoForm *form, const OknoConfig *cfg, gint64 now,
                             OknoFeedback *out, JsonObject *errors);
