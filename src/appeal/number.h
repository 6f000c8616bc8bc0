/* number.h: appeal numbers, short enough to dictate, with a check digit.
 *
 * Form: YY-NNNNNN-C, e.g. "26-000123-3": the two-digit year of registration, the
 * sequence number within that year (six digits, more when a year passes 999 999),
 * and a Damm check digit over YY and NNNNNN, which catches every single mistyped
 * digit and every swap of two adjacent digits. The sequence comes from the store's
 * per-year counter, so numbers are unique across nodes sharing one store.
 *
 * Parsing is lenient with separators: "26-000123-3", "26 000123 3", "260001237"
 * (compact: the first two digits are the year, the last one the check digit),
 * "26–000123–3" (en dash, non-breaking hyphen or no-break space), "26 - 000123 - 3",
 * "№26-000123-3", "№ 26-000123-3" all name the same appeal. The sequence may be
 * written with extra leading zeros ("26-0000123-3"); the normalised form always has
 * the canonical width (at least six digits), and the check digit is verified against
 * that canonical form. The sequence has at most nine digits. Pure, thread-safe. */
#pragma once
#include <glib.h>

/* Formats year (full, e.g. 2026) and sequence (1 .. 999 999 999). Caller frees.
 * NULL (and a critical warning) when seq is out of range. */
char *okno_number_format(int year, gint64 seq);

/* Parses and normalises `text` to "YY-NNNNNN-C" in `*normalised` (caller frees).
 * Leading and trailing white space and a leading "№" are ignored; anything else
 * around the number makes it "not of the form".
 * Returns FALSE if it is not of the form at all (then *normalised is NULL); TRUE with
 * *check_ok FALSE if the form is right but the check digit is wrong. `normalised`
 * and `check_ok` may be NULL. */
gboolean okno_number_parse(const char *text, char **normalised, gboolean *check_ok);

/* Matches a number at the very start of `p` (at most `len` bytes, no prefix, no
 * leading space; the byte after the match is not a digit). Returns the number of
 * bytes consumed, 0 when there is no number there; on success fills *normalised
 * (caller frees) and *check_ok as okno_number_parse does. Looks at most a few dozen
 * bytes ahead, so scanning a text with it at every token start is linear.
 * For the scanner in extract.h. */
gsize okno_number_match(const char *p, gsize len, char **normalised, gboolean *check_ok);

/* The Damm check digit (0..9) of a string of ASCII digits; -1 if `digits` holds
 * anything else. The empty string gives 0. */
int okno_damm_digit(const char *digits);
