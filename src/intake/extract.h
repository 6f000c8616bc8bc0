/* extract.h: contact data and identifiers found in an appeal's text.
 *
 * From free Russian text (UTF-8) it finds:
 *  - phone numbers, normalised to +7XXXXXXXXXX ("8 (912) 345-67-89", "+7 912 3456789",
 *    "89123456789", "912-345-67-89" with a phone word nearby); other countries kept as
 *    +<digits> when written with "+";
 *  - INN: 10 digits (organisation) or 12 digits (person), with their check digits
 *    verified (Federal Tax Service algorithm); an invalid one is reported, not dropped;
 *  - SNILS: "123-456-789 01" or 11 digits near the word СНИЛС, check number verified
 *    (Pension Fund algorithm; numbers up to 001-001-998 have no check);
 *  - appeal numbers in okno's format (number.h), valid check digit or not;
 *  - e-mail addresses.
 * Digits that are part of a longer run of digits are not taken apart. Each value is
 * reported once, in order of first appearance. Pure, thread-safe, linear time. */
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
                      "26-000123-4", "user@example.ru" */
  gboolean valid;  /* check digits (INN, SNILS, appeal number); TRUE for others */
} OknoExtracted;

/* Returns a GPtrArray of OknoExtracted* (free with g_ptr_array_unref). */
GPtrArray *okno_extract(const char *text);

const char *okno_id_kind_name(OknoIdKind kind); /* "phone", "inn", "snils", "appeal", "email" */

/* The checks on their own (digits only, no separators). */
gboolean okno_inn_valid(const char *digits);
gboolean okno_snils_valid(const char *digits);
