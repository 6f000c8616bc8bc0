/* sms.c: GSM 03.38 or UCS-2, and the cut at a number of parts (sms.h). */
#include "text/sms.h"

#include <string.h>

/* The GSM 03.38 default alphabet's characters outside ASCII, and the ASCII it lacks. */
static const gunichar gsm_extra[] = {
  0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x00D8, 0x00F8, 0x00C5,
  0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3, 0x0398, 0x039E,
  0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
  0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

guint okno_sms_gsm_units(gunichar c)
{
  if (c == '\n' || c == '\r' || (c >= 0x20 && c < 0x7F && !strchr("`^{}\\[~]|", (int)c)))
    return 1;
  if (c == '^' || c == '{' || c == '}' || c == '\\' || c == '[' || c == '~' || c == ']' ||
      c == '|' || c == 0x20AC || c == '\f')
    return 2;
  for (guint i = 0; i < G_N_ELEMENTS(gsm_extra); i++)
    if (gsm_extra[i] == c)
      return 1;
  return 0;
}

static guint units_of(OknoSmsCoding coding, gunichar c)
{
  return coding == OKNO_SMS_GSM7 ? okno_sms_gsm_units(c) : (c > 0xFFFF ? 2 : 1);
}

/* Parts the characters of `s` (up to `end`) take in parts of `part` units, a two-unit
 * character never split; *units the total. */
static guint count_parts(OknoSmsCoding coding, const char *s, const char *end, guint part,
                         guint *units)
{
  guint parts = 0, room = 0;
  *units = 0;
  for (const char *p = s; p < end && *p; p = g_utf8_next_char(p)) {
    guint u = units_of(coding, g_utf8_get_char(p));
    *units += u;
    if (u > room) {
      parts++;
      room = part;
    }
    room -= u;
  }
  return parts;
}

void okno_sms_plan(const char *utf8, guint max_parts, OknoSmsPlan *out)
{
  g_autofree char *valid = g_utf8_make_valid(utf8 ? utf8 : "", -1);
  const char *end = valid + strlen(valid);
  guint single, part, units, parts;
  memset(out, 0, sizeof *out);
  max_parts = MAX(max_parts, 1);
  out->coding = OKNO_SMS_GSM7;
  for (const char *p = valid; *p; p = g_utf8_next_char(p))
    if (!okno_sms_gsm_units(g_utf8_get_char(p))) {
      out->coding = OKNO_SMS_UCS2;
      break;
    }
  single = out->coding == OKNO_SMS_GSM7 ? OKNO_SMS_GSM_SINGLE : OKNO_SMS_UCS2_SINGLE;
  part = out->coding == OKNO_SMS_GSM7 ? OKNO_SMS_GSM_PART : OKNO_SMS_UCS2_PART;
  parts = count_parts(out->coding, valid, end, part, &units);
  if (units <= single) {
    out->text = g_strdup(valid);
    out->units = units;
    out->parts = units ? 1 : 0;
    return;
  }
  if (parts <= max_parts) {
    out->text = g_strdup(valid);
    out->units = units;
    out->parts = parts;
    return;
  }
  /* Too long: the longest prefix that fits with the mark after it. */
  {
    const char *mark = out->coding == OKNO_SMS_GSM7 ? "..." : "…";
    const char *cut = valid;
    g_autoptr(GString) s = NULL;
    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
      g_autoptr(GString) t = g_string_new_len(valid, g_utf8_next_char(p) - valid);
      guint u;
      g_string_append(t, mark);
      if ((max_parts == 1 ? (count_parts(out->coding, t->str, t->str + t->len, single, &u), u > single)
                          : count_parts(out->coding, t->str, t->str + t->len, part, &u) > max_parts))
        break;
      cut = g_utf8_next_char(p);
    }
    while (cut > valid && cut[-1] == ' ')
      cut--;
    s = g_string_new_len(valid, cut - valid);
    g_string_append(s, mark);
    out->parts = max_parts == 1 ? 1 : count_parts(out->coding, s->str, s->str + s->len, part, &out->units);
    if (max_parts == 1)
      count_parts(out->coding, s->str, s->str + s->len, single, &out->units);
    out->text = g_string_free(g_steal_pointer(&s), FALSE);
    out->cut = TRUE;
  }
}

void okno_sms_plan_clear(OknoSmsPlan *p)
{
  g_clear_pointer(&p->text, g_free);
}
