/* fuzz_form.c: fuzz driver for form bodies (web/form.h) and the feedback form's field
 * checks (web/feedback.h), the code that reads what browsers and scripts post.
 *
 * The first byte chooses the encoding (even: multipart/form-data with boundary "b",
 * odd: application/x-www-form-urlencoded); the rest is the body. A body that parses is
 * then checked as a feedback form (which, when every field passes, builds the message
 * with GMime and runs the intake's attachment policy on it). Invariants: a refusal
 * sets OKNO_ERROR_USER with a message; every parsed field name and value is valid
 * UTF-8 without NUL and within the caps; a passing form yields a message. Nothing may
 * leak, crash or hang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/config.h"
#include "core/error.h"
#include "web/feedback.h"
#include "web/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static OknoConfig *cfg;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoForm) form = NULL;
  GHashTableIter it;
  gpointer k, v;

  if (size < 1)
    return 0;
  if (!cfg)
    cfg = okno_config_new_default();
  body = g_bytes_new(data + 1, size - 1);
  form = okno_form_parse((data[0] & 1) ? "application/x-www-form-urlencoded"
                                       : "multipart/form-data; boundary=b",
                         body, &err);
  if (!form) {
    if (!err || !g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER) || !err->message[0])
      abort();
    return 0;
  }
  if (g_hash_table_size(form->fields) > OKNO_FORM_MAX_FIELDS || form->files->len > OKNO_FORM_MAX_FILES)
    abort();
  g_hash_table_iter_init(&it, form->fields);
  while (g_hash_table_iter_next(&it, &k, &v))
    if (!g_utf8_validate(k, -1, NULL) || !g_utf8_validate(v, -1, NULL) ||
        strlen(v) > OKNO_FORM_MAX_VALUE || strlen(k) > OKNO_FORM_MAX_NAME)
      abort();
  {
    OknoFeedback fb = {0};
    JsonObject *errors = json_object_new();
    gboolean ok = okno_feedback_check(form, cfg, G_GINT64_CONSTANT(1795417200000000), &fb, errors);
    if (ok && (!fb.raw || json_object_get_size(errors) != 0))
      abort();
    if (!ok && json_object_get_size(errors) == 0)
      abort();
    okno_feedback_clear(&fb);
    json_object_unref(errors);
  }
  return 0;
}
