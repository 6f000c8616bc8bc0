/* number.h: appeal numbers, short enough to dictate, with a check digit.
 *
 * Form: YY-NNNNNN-C, e.g. "26-000123-7": the two-digit year of registration, the
 * sequence number within that year (six digits, more when a year passes 999 999),
 * and a Damm check digit over YY and NNNNNN, which catches every single mistyped
 * digit and every swap of two adjacent digits. The sequence comes from the store's
 * per-year counter, so numbers are unique across nodes sharing one store.
 * Parsing is lenient with separators: "26-000123-7", "26 000123 7", "260001237",
 * "№26-000123-7" all name the same appeal. Pure, thread-safe. */
#pragma once
#include <glib.h>

/* Formats year (full, e.g. 2026) and sequence (>= 1). Caller frees. */
char *okno_number_format(int year, gint64 seq);

/* Parses and normalises `text` to "YY-NNNNNN-C" in `*normalised` (caller frees).
 * Returns FALSE if it is not of the form at all; TRUE with *check_ok FALSE if the
 * form is right but the check digit is wrong. */
gboolean okno_number_parse(const char *text, char **normalised, gboolean *check_ok);

/* The Damm check digit of a string of ASCII digits. */
int okno_damm_digit(const char *digits);
