/* appeal/appeal.c: the appeal record and its status machine (appeal.h).
 *
 * The machine is a table of allowed moves, one row per status; a move is allowed when
 * `to` is in the row of `from`. A move is checked against the table first, then for
 * what the target status needs, and the first thing wrong is the one reported. */
#include "appeal/appeal.h"

#include <string.h>

#include "core/error.h"

static const struct {
  const char *from;
  const char *to[6];
} transitions[] = {
  {"new", {"in_progress", "needs_clarification", "answered", "closed", "rejected", NULL}},
  {"in_progress", {"needs_clarification", "answered", "closed", "rejected", NULL}},
  {"needs_clarification", {"in_progress", "closed", "rejected", NULL}},
  {"answered", {"closed", "in_progress", NULL}},
  {"closed", {"in_progress", NULL}},
  {"rejected", {NULL}},
};

gboolean okno_appeal_status_allowed(const char *from, const char *to)
{
  for (gsize i = 0; from && to && i < G_N_ELEMENTS(transitions); i++)
    if (!strcmp(transitions[i].from, from))
      return g_strv_contains(transitions[i].to, to);
  return FALSE;
}

gboolean okno_appeal_status_check(const OknoAppeal *a, const char *to, const char *reason,
                                  const char *answer, GError **error)
{
  if (!okno_appeal_status_allowed(a->status, to)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "appeal %s is %s and cannot become %s",
                a->number, a->status, to ? to : "");
    return FALSE;
  }
  if ((!strcmp(to, "rejected") || !strcmp(to, "needs_clarification")) && !(reason && *reason)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s needs --reason", to);
    return FALSE;
  }
  if (!strcmp(to, "answered") && !(answer && *answer)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "answered needs --answer TEXT");
    return FALSE;
  }
  return TRUE;
}

void okno_appeal_free(OknoAppeal *a)
{
  /* every string of the record, so that a new one is freed by adding it here */
  static const gsize strings[] = {
    G_STRUCT_OFFSET(OknoAppeal, number),     G_STRUCT_OFFSET(OknoAppeal, status),
    G_STRUCT_OFFSET(OknoAppeal, channel),    G_STRUCT_OFFSET(OknoAppeal, queue),
    G_STRUCT_OFFSET(OknoAppeal, subject),    G_STRUCT_OFFSET(OknoAppeal, from_name),
    G_STRUCT_OFFSET(OknoAppeal, from_email), G_STRUCT_OFFSET(OknoAppeal, phone),
    G_STRUCT_OFFSET(OknoAppeal, category),   G_STRUCT_OFFSET(OknoAppeal, related),
    G_STRUCT_OFFSET(OknoAppeal, department), G_STRUCT_OFFSET(OknoAppeal, kind),
    G_STRUCT_OFFSET(OknoAppeal, priority),   G_STRUCT_OFFSET(OknoAppeal, sla_class),
  };
  for (gsize i = 0; a && i < G_N_ELEMENTS(strings); i++)
    g_free(G_STRUCT_MEMBER(char *, a, strings[i]));
  g_free(a);
}
