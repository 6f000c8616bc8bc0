/* act.h: the destruction act (акт об уничтожении персональных данных) of a retention
 * pass, with the fields of Roskomnadzor order No. 179 of 28.10.2022: the operator, the
 * categories of subjects and of data, the number of subjects, the grounds, the method,
 * the date and who destroyed it; one row per appeal; and the extract of the journal
 * proving it (each purge leaf's index and hash). Written as CSV (UTF-8, RFC 4180) and
 * as PDF (libharu, a Cyrillic TrueType font). Pure apart from reading the font file. */
#pragma once
#include <glib.h>

#include "core/config.h"

typedef struct {
  char *number;
  char *kind;
  char *category;
  gint64 closed_at;
  const char *grounds; /* "period", "request" */
  gint64 messages, attachments, events;
} OknoActAppeal;

typedef struct {
  gint64 seq;        /* leaf index is seq - 1 */
  char *number;
  char *ref;         /* "message", "event" */
  gint64 ref_id;
  char hash[65];     /* lower-case hex */
} OknoActLeaf;

typedef struct {
  gint64 id;         /* the act's number */
  gint64 at;
  const char *operator_name;
  const char *done_by;
  gint64 subjects;
  GPtrArray *appeals; /* OknoActAppeal* (not owned) */
  GArray *leaves;     /* OknoActLeaf (not owned) */
} OknoAct;

/* The act as CSV bytes (caller frees). */
GBytes *okno_act_csv(const OknoAct *act);
/* The act as PDF bytes, or NULL with an error (OKNO_ERROR_INTERNAL: no font file,
 * libharu failed). `font` is the TrueType file ([retention] act_font). */
GBytes *okno_act_pdf(const OknoAct *act, const char *font, GError **error);
