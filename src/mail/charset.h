/* charset.h: bytes of an unknown or doubtful charset to UTF-8, the way Russian mail
 * needs it.
 *
 * Rules, in order:
 *  1. bytes with high bits that are valid UTF-8 are taken as UTF-8, whatever the label
 *     says (a part labelled GB2312 or windows-1251 that holds UTF-8 is common in the
 *     wild); pure ASCII still goes through its label, so 7-bit encodings such as
 *     ISO-2022-JP and UTF-7 are decoded;
 *  2. a known label (iconv name or alias: cp1251, koi8-r, iso-8859-5, windows-1258 ...)
 *     is used when the bytes convert without error;
 *  3. otherwise the bytes are guessed among windows-1251, KOI8-R and ISO-8859-5 by the
 *     share of Cyrillic letters each decoding gives in lower case (Russian prose is
 *     mostly lower case; a wrong guess is mostly upper case), falling back to
 *     windows-1251; text whose high bytes do not look like Cyrillic words (isolated
 *     accented letters) is read in the Latin charset that uchardet proposes, unless
 *     another of windows-1252, windows-1250, ISO-8859-2, ISO-8859-15, windows-1257,
 *     ISO-8859-13, windows-1254, ISO-8859-9, -4, -3, -16 puts fewer symbols and
 *     controls inside words (so Polish, Czech, Hungarian or Lithuanian subjects come
 *     out right, not as «Pro¶ba»);
 *     when the Russian guess is not sure (its lower case under three quarters of the
 *     high bytes), Shift-JIS and GB2312 are tried by their byte structure (a Chinese
 *     or Japanese subject is no longer read as KOI8-R mojibake);
 *  4. NUL bytes are dropped; the result is always valid UTF-8 (never NULL).
 * Pure, thread-safe (uchardet keeps no state between calls). */
#pragma once
#include <glib.h>

/* `bytes` may be NULL when len is 0; `label` may be NULL or "". Caller frees. */
char *okno_charset_to_utf8(const char *bytes, gsize len, const char *label);

/* The charset rule 3 would choose for these bytes: "windows-1251", "koi8-r",
 * "iso-8859-5", "shift_jis", "gb2312" or one of the Latin charsets of rule 3
 * ("windows-1252", "windows-1250", "iso-8859-2" ...). Exposed for tests. */
const char *okno_charset_guess(const char *bytes, gsize len);
