/* rfc2047.h: header values to UTF-8 (RFC 2047 encoded-words and raw 8-bit).
 *
 * okno_rfc2047_decode() unfolds `value` (a header's raw bytes, NULL as ""), decodes its
 * encoded-words, joining adjacent words of one charset before converting (a character
 * split across words survives), accepts a missing "?=" and white space inside Q text,
 * drops the white space between encoded-words, and sends raw 8-bit runs and every
 * decoded run through okno_charset_to_utf8(), so wrong and missing charset labels are
 * judged by charset.h's rules. With `phrase` (an address header's display name),
 * decoded text holding specials is re-quoted so that an address parser reads it as one
 * phrase. Always returns valid UTF-8 (caller frees); never fails. */
#pragma once
#include <glib.h>

char *okno_rfc2047_decode(const char *value, gboolean phrase);
