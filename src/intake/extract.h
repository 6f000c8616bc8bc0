/* extract.h: contact data and identifiers found in an appeal's text.
 *
 * From free Russian text (UTF-8) it finds:
 *  - phone numbers, normalised to "+7" and ten digits ("8 (912) 345-67-89", "+7 912 3456789",
 *    "89123456789", "912-345-67-89" with a phone word nearby); other countries kept as
 *    +<digits> when written with "+";
 *  - INN: 10 digits (organisation) or 12 digits (person), with their check digits
 *    verified (Federal Tax Service algorithm); an invalid one is reported, not dropped;
 *  - SNILS: "123-456-789 01" or 11 digits near the word СНИЛС, check number verified
 *    (Pension Fund algorithm; numbers up to 001-001-998 have no check);
 *  - appeal numbers in okno's format (number.h), valid check digit or not;
 *  - e-mail addresses.
 * Digits that are part of a longer run of digits, or glued to letters, or joined to
 * more digits by "-", ".", "/" or "," ("1234-89123456789", "2026.89123456789") are
 * not taken apart. Each value is reported once, in order of first appearance.
 * Pure, thread-safe, linear time; invalid UTF-8 is repaired first.
 *
 * How ambiguous digits are read (see extract.c for all rules):
 *  - 10 or 12 bare digits: an INN after the word ИНН (valid or not), a phone after a
 *    phone word (тел., моб., звоните, WhatsApp, phone ...), otherwise an INN only if
 *    its check digits are right;
 *  - 11 bare digits: a SNILS after the word СНИЛС, otherwise a phone if they start
 *    with 7 or 8; "123-456-789 01" (also with spaces) is always a SNILS;
 *  - a Russian phone's ten national digits start with 3, 4, 8 or 9; ten digits with
 *    no 8/+7 need a phone word or the area code in parentheses;
 *  - appeal numbers need their separators ("26-000123-3", "26 000123 3"); the
 *    compact "260001233" counts only right after "№". */
#pragma once
#include <glib.h>

typedef enum {
  OKNO_ID_PHONE,
  OKNO_ID_INN,
  OKNO_ID_SNILS,
  OKNO_ID_APPEAL,
  OKNO_ID_EMAIL,
} OknoIdKind;

typedef struct {
  OknoIdKind kind;
  char *value;     /* normalised: "+79123456789", "7707083893", "11223344595",
                      "26-000123-3", "user@example.ru" */
  gboolean valid;  /* check digits (INN, SNILS, appeal number); TRUE for others */
} OknoExtracted;

/* Returns a GPtrArray of OknoExtracted* (free with g_ptr_array_unref). */
GPtrArray *okno_extract(const char *text);

const char *okno_id_kind_name(OknoIdKind kind); /* "phone", "inn", "snils", "appeal", "email" */

/* The checks on their own (digits only, no separators). */
gboolean okno_inn_valid(const char *digits);
gboolean okno_snils_valid(const char *digits);
