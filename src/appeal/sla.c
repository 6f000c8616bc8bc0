/* sla.c: the SLA policy (sla.h): classes, their periods, the classifier, deadlines.
 *
 * How it works: okno_sla_policy_new() reads the [sla] strings of the config into a
 * table indexed by class (a period, and for urgent/accelerated a second, confirmed
 * period), a category -> class map and three word lists. Everything after that is
 * arithmetic on the production calendar (deadline.h); the only new piece of
 * arithmetic is okno_sla_working_before(), which walks the calendar's days backwards
 * to place a reminder N working hours before a deadline. The rules of the operations
 * and of the scheduler's jobs (at the end) read and change an OknoAppeal in memory
 * only; their English errors are the CLI's lines. */
#include "appeal/sla.h"

#include <string.h>

#include "appeal/routing.h"
#include "core/error.h"

struct OknoSlaPolicy {
  OknoSlaPeriod period[OKNO_SLA_N_CLASSES];
  OknoSlaPeriod confirmed[OKNO_SLA_N_CLASSES]; /* amount 0: confirmation changes nothing */
  GHashTable *categories;                      /* category -> GINT_TO_POINTER(class + 1) */
  char **urgent_words, **complaint_words, **accelerated_words;
  OknoSlaClass default_class;
  gint64 reminder_before_us, escalate_again_us; /* working time */
  GHashTable *overrides; /* "DEPT:CLASS" -> OknoSlaPeriod* ([sla] department_overrides) */
  GHashTable *hours;     /* "DEPT" -> GINT_TO_POINTER(start * 100 + end) ([sla] department_hours) */
};

static const struct {
  const char *word;
  OknoPeriodUnit unit;
} units[] = {
  {"working hours", OKNO_PERIOD_WORKING_HOURS}, {"working hour", OKNO_PERIOD_WORKING_HOURS},
  {"working days", OKNO_PERIOD_WORKING_DAYS},   {"working day", OKNO_PERIOD_WORKING_DAYS},
  {"calendar days", OKNO_PERIOD_CALENDAR_DAYS}, {"calendar day", OKNO_PERIOD_CALENDAR_DAYS},
  {"hours", OKNO_PERIOD_HOURS},                 {"hour", OKNO_PERIOD_HOURS},
};

gboolean okno_sla_period_parse(const char *text, OknoSlaPeriod *out)
{
  char *end = NULL;
  gint64 n;
  g_autofree char *rest = NULL;
  if (!text || !g_ascii_isdigit(*text))
    return FALSE;
  n = g_ascii_strtoll(text, &end, 10);
  if (n < 1 || n > OKNO_DEADLINE_MAX_AMOUNT || *end != ' ')
    return FALSE;
  rest = g_strstrip(g_ascii_strdown(end, -1));
  for (gsize i = 0; i < G_N_ELEMENTS(units); i++)
    if (!strcmp(rest, units[i].word)) {
      out->unit = units[i].unit;
      out->amount = n;
      return TRUE;
    }
  return FALSE;
}

char *okno_sla_period_format(const OknoSlaPeriod *p)
{
  const char *u = "hours";
  for (gsize i = 0; i < G_N_ELEMENTS(units); i += 2)
    if (units[i].unit == p->unit)
      u = units[i].word;
  return g_strdup_printf("%" G_GINT64_FORMAT " %s", p->amount, u);
}

const char *okno_ru_plural(gint64 n, const char *one, const char *few, const char *many)
{
  gint64 m10 = n % 10, m100 = n % 100;
  if (m10 == 1 && m100 != 11)
    return one;
  if (m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14))
    return few;
  return many;
}

char *okno_sla_period_format_ru(const OknoSlaPeriod *p)
{
  const char *adj = "", *noun;
  gint64 n = p->amount;
  switch (p->unit) {
  case OKNO_PERIOD_WORKING_HOURS:
    adj = okno_ru_plural(n, "рабочий ", "рабочих ", "рабочих ");
    noun = okno_ru_plural(n, "час", "часа", "часов");
    break;
  case OKNO_PERIOD_WORKING_DAYS:
    adj = okno_ru_plural(n, "рабочий ", "рабочих ", "рабочих ");
    noun = okno_ru_plural(n, "день", "дня", "дней");
    break;
  case OKNO_PERIOD_CALENDAR_DAYS:
    adj = okno_ru_plural(n, "календарный ", "календарных ", "календарных ");
    noun = okno_ru_plural(n, "день", "дня", "дней");
    break;
  case OKNO_PERIOD_HOURS:
  default:
    noun = okno_ru_plural(n, "час", "часа", "часов");
    break;
  }
  return g_strdup_printf("%" G_GINT64_FORMAT " %s%s", n, adj, noun);
}

/* The words of a Russian period after the number: lowercase, ё -> е, dots as spaces,
 * runs of spaces as one; a word is matched by its stem. */
gboolean okno_sla_period_parse_ru(const char *text, OknoSlaPeriod *out)
{
  g_autofree char *down = NULL;
  g_auto(GStrv) words = NULL;
  GPtrArray *w;
  const char *p;
  char *end = NULL;
  gint64 n;
  gboolean working = FALSE, calendar = FALSE, hours = FALSE, days = FALSE;
  guint i;
  if (!text || !g_utf8_validate(text, -1, NULL) || strlen(text) > 200)
    return FALSE;
  if (okno_sla_period_parse(text, out))
    return TRUE;
  p = text;
  while (*p == ' ' || *p == '\t')
    p++;
  if (!g_ascii_isdigit(*p))
    return FALSE;
  n = g_ascii_strtoll(p, &end, 10);
  if (n < 1 || n > OKNO_DEADLINE_MAX_AMOUNT || (*end && *end != ' ' && *end != '\t' &&
                                                 (guchar)*end < 0x80))
    return FALSE;
  down = g_utf8_strdown(end, -1);
  for (char *c = down; *c; c++)
    if (*c == '.' || *c == '\t')
      *c = ' ';
  words = g_strsplit(down, " ", -1);
  w = g_ptr_array_new();
  for (i = 0; words[i]; i++)
    if (*words[i])
      g_ptr_array_add(w, words[i]);
  /* ё -> е only matters for no word used here; the stems are compared as bytes */
  for (i = 0; i < w->len; i++) {
    const char *x = w->pdata[i];
    if ((g_str_has_prefix(x, "рабоч") || strcmp(x, "раб") == 0) && !working && !calendar &&
        !hours && !days)
      working = TRUE;
    else if ((g_str_has_prefix(x, "календарн") || strcmp(x, "кал") == 0) && !working &&
             !calendar && !hours && !days)
      calendar = TRUE;
    else if ((strcmp(x, "час") == 0 || strcmp(x, "часа") == 0 || strcmp(x, "часов") == 0 ||
              strcmp(x, "ч") == 0) && !hours && !days)
      hours = TRUE;
    else if ((strcmp(x, "день") == 0 || strcmp(x, "дня") == 0 || strcmp(x, "дней") == 0 ||
              strcmp(x, "дн") == 0) && !hours && !days)
      days = TRUE;
    else {
      g_ptr_array_free(w, TRUE);
      return FALSE;
    }
  }
  g_ptr_array_free(w, TRUE);
  if (hours && calendar)
    return FALSE;
  if (hours)
    out->unit = working ? OKNO_PERIOD_WORKING_HOURS : OKNO_PERIOD_HOURS;
  else if (days && (working || calendar))
    out->unit = working ? OKNO_PERIOD_WORKING_DAYS : OKNO_PERIOD_CALENDAR_DAYS;
  else
    return FALSE; /* «10 дней» alone: working or calendar? say which */
  out->amount = n;
  return TRUE;
}

char *okno_sla_left(const OknoCalendar *cal, gint64 now, gint64 deadline, gint64 *hours,
                    OknoLeft *cls)
{
  const gint64 hour = (gint64)3600 * G_USEC_PER_SEC;
  gint64 working = 0;
  *hours = 0;
  *cls = OKNO_LEFT_NONE;
  if (!deadline)
    return g_strdup("");
  if (now >= deadline) {
    *hours = -((now - deadline) / hour);
    *cls = OKNO_LEFT_OVERDUE;
    return *hours ? g_strdup_printf("просрочено на %" G_GINT64_FORMAT " ч", -*hours)
                  : g_strdup("просрочено менее чем на 1 ч");
  }
  if (!cal || !okno_deadline_working_time(cal, now, deadline, &working, NULL)) {
    *hours = (deadline - now) / hour;
    *cls = *hours >= 24 ? OKNO_LEFT_PLENTY : OKNO_LEFT_SOON;
    return *hours ? g_strdup_printf("осталось %" G_GINT64_FORMAT " ч", *hours)
                  : g_strdup("осталось менее 1 ч");
  }
  *hours = working / hour;
  *cls = *hours >= 24 ? OKNO_LEFT_PLENTY : OKNO_LEFT_SOON;
  return *hours ? g_strdup_printf("осталось %" G_GINT64_FORMAT " раб. ч", *hours)
                : g_strdup("осталось менее 1 раб. ч");
}

void okno_sla_policy_free(OknoSlaPolicy *p)
{
  if (!p)
    return;
  g_clear_pointer(&p->categories, g_hash_table_unref);
  g_clear_pointer(&p->overrides, g_hash_table_unref);
  g_clear_pointer(&p->hours, g_hash_table_unref);
  g_strfreev(p->urgent_words);
  g_strfreev(p->complaint_words);
  g_strfreev(p->accelerated_words);
  g_free(p);
}

static gboolean period_key(const char *key, const char *value, OknoSlaPeriod *out,
                           GError **error)
{
  if (okno_sla_period_parse(value, out))
    return TRUE;
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
              "[sla] %s = '%s': write a period as N working hours, N working days, "
              "N calendar days or N hours (N from 1 to %d)",
              key, value ? value : "", OKNO_DEADLINE_MAX_AMOUNT);
  return FALSE;
}

/* Lowercase, ё -> е: the form words are compared in. */
static char *fold(const char *s)
{
  g_autofree char *down = g_utf8_strdown(s ? s : "", -1);
  GString *out = g_string_sized_new(strlen(down));
  for (const char *c = down; *c; c = g_utf8_next_char(c)) {
    gunichar u = g_utf8_get_char(c);
    g_string_append_unichar(out, u == 0x0451 ? 0x0435 : u);
  }
  return g_string_free(out, FALSE);
}

static char **fold_list(char **words)
{
  guint n = words ? g_strv_length(words) : 0;
  char **out = g_new0(char *, n + 1);
  for (guint i = 0; i < n; i++)
    out[i] = fold(words[i]);
  return out;
}

OknoSlaPolicy *okno_sla_policy_new(const OknoConfig *cfg, GError **error)
{
  g_autoptr(OknoSlaPolicy) p = g_new0(OknoSlaPolicy, 1);
  const struct {
    const char *key;
    const char *value;
    OknoSlaPeriod *dst;
  } periods[] = {
    {"simple", cfg->sla_simple, &p->period[OKNO_SLA_SIMPLE]},
    {"complex", cfg->sla_complex, &p->period[OKNO_SLA_COMPLEX]},
    {"urgent", cfg->sla_urgent, &p->period[OKNO_SLA_URGENT]},
    {"urgent_confirmed", cfg->sla_urgent_confirmed, &p->confirmed[OKNO_SLA_URGENT]},
    {"complaint", cfg->sla_complaint, &p->period[OKNO_SLA_COMPLAINT]},
    {"accelerated", cfg->sla_accelerated, &p->period[OKNO_SLA_ACCELERATED]},
    {"accelerated_confirmed", cfg->sla_accelerated_confirmed, &p->confirmed[OKNO_SLA_ACCELERATED]},
    {"formal", cfg->sla_formal, &p->period[OKNO_SLA_FORMAL]},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(periods); i++)
    if (!period_key(periods[i].key, periods[i].value, periods[i].dst, error))
      return NULL;
  if (!okno_sla_class_parse(cfg->sla_default_class, &p->default_class) ||
      p->default_class == OKNO_SLA_FORMAL) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "[sla] default_class = '%s': use simple, complex, urgent, complaint or accelerated",
                cfg->sla_default_class ? cfg->sla_default_class : "");
    return NULL;
  }
  p->categories = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (char **c = cfg->sla_categories; c && *c; c++) {
    const char *colon = strchr(*c, ':');
    g_autofree char *name = colon ? g_strstrip(g_strndup(*c, (gsize)(colon - *c))) : NULL;
    g_autofree char *cls = colon ? g_strstrip(g_strdup(colon + 1)) : NULL;
    OknoSlaClass k;
    if (!colon || !*name || !okno_sla_class_parse(cls, &k) || k == OKNO_SLA_FORMAL) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "[sla] categories: '%s' should be CATEGORY:CLASS, CLASS one of simple, "
                  "complex, urgent, complaint, accelerated",
                  *c);
      return NULL;
    }
    g_hash_table_replace(p->categories, g_steal_pointer(&name), GINT_TO_POINTER(k + 1));
  }
  p->overrides = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (char **o = cfg->sla_department_overrides; o && *o; o++) {
    g_autofree char *dept = NULL;
    OknoSlaClass k;
    OknoSlaPeriod per;
    if (!okno_sla_override_parse(*o, &dept, &k, &per)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "[sla] department_overrides: '%s' should be DEPT:CLASS=PERIOD, e.g. "
                  "passports:complex=5 working days (CLASS one of simple, complex, urgent, "
                  "complaint, accelerated; PERIOD N working hours, N working days, "
                  "N calendar days or N hours)",
                  *o);
      return NULL;
    }
    g_hash_table_replace(p->overrides, g_strdup_printf("%s:%s", dept, okno_sla_class_name(k)),
                         g_memdup2(&per, sizeof per));
  }
  p->hours = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (char **o = cfg->sla_department_hours; o && *o; o++) {
    char *dept = NULL;
    int start, end;
    if (!okno_sla_hours_parse(*o, &dept, &start, &end)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "[sla] department_hours: '%s' should be DEPT:HH-HH, e.g. passports:08-17 "
                  "(whole hours, start before end, at least two hours)",
                  *o);
      return NULL;
    }
    g_hash_table_replace(p->hours, dept, GINT_TO_POINTER(start * 100 + end));
  }
  p->urgent_words = fold_list(cfg->sla_urgent_words);
  p->complaint_words = fold_list(cfg->sla_complaint_words);
  p->accelerated_words = fold_list(cfg->sla_accelerated_words);
  p->reminder_before_us = cfg->sla_reminder_before * G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC;
  p->escalate_again_us = cfg->sla_escalate_again_after * G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC;
  return g_steal_pointer(&p);
}

gboolean okno_sla_override_parse(const char *item, char **department, OknoSlaClass *cls,
                                 OknoSlaPeriod *period)
{
  const char *colon = item ? strchr(item, ':') : NULL;
  const char *eq = colon ? strchr(colon, '=') : NULL;
  g_autofree char *dept = NULL, *name = NULL, *per = NULL;
  if (!eq)
    return FALSE;
  dept = g_strstrip(g_strndup(item, (gsize)(colon - item)));
  name = g_strstrip(g_strndup(colon + 1, (gsize)(eq - colon - 1)));
  per = g_strstrip(g_strdup(eq + 1));
  if (!okno_department_code_valid(dept) || !okno_sla_class_parse(name, cls) ||
      *cls == OKNO_SLA_FORMAL || !okno_sla_period_parse(per, period))
    return FALSE;
  *department = g_steal_pointer(&dept);
  return TRUE;
}

/* A whole hour 0..24 written as one or two digits; -1 otherwise. */
static int parse_hour(const char *s)
{
  gsize n = strlen(s);
  if (n < 1 || n > 2 || !g_ascii_isdigit(s[0]) || (n == 2 && !g_ascii_isdigit(s[1])))
    return -1;
  int h = n == 2 ? (s[0] - '0') * 10 + (s[1] - '0') : s[0] - '0';
  return h <= 24 ? h : -1;
}

gboolean okno_sla_hours_parse(const char *item, char **department, int *start_hour,
                              int *end_hour)
{
  const char *colon = item ? strchr(item, ':') : NULL;
  const char *dash = colon ? strchr(colon, '-') : NULL;
  g_autofree char *dept = NULL, *a = NULL, *b = NULL;
  int start, end;
  if (!dash)
    return FALSE;
  dept = g_strstrip(g_strndup(item, (gsize)(colon - item)));
  a = g_strstrip(g_strndup(colon + 1, (gsize)(dash - colon - 1)));
  b = g_strstrip(g_strdup(dash + 1));
  start = parse_hour(a);
  end = parse_hour(b);
  if (!okno_department_code_valid(dept) || start < 0 || end < 0 || end - start < 2)
    return FALSE;
  *department = g_steal_pointer(&dept);
  *start_hour = start;
  *end_hour = end;
  return TRUE;
}

const OknoCalendar *okno_sla_calendar(const OknoSlaPolicy *p, const OknoCalendar *cal,
                                      const char *department)
{
  gpointer v;
  const OknoCalendar *own;
  if (!department || !*department || !p->hours ||
      !(v = g_hash_table_lookup(p->hours, department)))
    return cal;
  own = okno_calendar_with_hours(cal, GPOINTER_TO_INT(v) / 100, GPOINTER_TO_INT(v) % 100, NULL);
  return own ? own : cal; /* validated at load: cannot fail */
}

const OknoSlaPeriod *okno_sla_override(const OknoSlaPolicy *p, const char *department,
                                       OknoSlaClass c)
{
  g_autofree char *key = NULL;
  if (!department || !*department || !p->overrides)
    return NULL;
  key = g_strdup_printf("%s:%s", department, okno_sla_class_name(c));
  return g_hash_table_lookup(p->overrides, key);
}

static gboolean has_word(const char *folded, char **words)
{
  for (char **w = words; w && *w; w++)
    if (**w && strstr(folded, *w))
      return TRUE;
  return FALSE;
}

OknoSlaClass okno_sla_classify(const OknoSlaPolicy *p, OknoKind kind, const char *category,
                               const char *subject, const char *text)
{
  g_autofree char *s = NULL, *t = NULL;
  gpointer mapped;
  if (kind == OKNO_KIND_FORMAL)
    return OKNO_SLA_FORMAL;
  if (category && *category && (mapped = g_hash_table_lookup(p->categories, category)))
    return (OknoSlaClass)(GPOINTER_TO_INT(mapped) - 1);
  s = fold(subject);
  t = fold(text);
  if (has_word(s, p->accelerated_words) || has_word(t, p->accelerated_words))
    return OKNO_SLA_ACCELERATED;
  if (has_word(s, p->urgent_words) || has_word(t, p->urgent_words))
    return OKNO_SLA_URGENT;
  if (has_word(s, p->complaint_words) || has_word(t, p->complaint_words))
    return OKNO_SLA_COMPLAINT;
  return p->default_class;
}

gboolean okno_sla_deadline(const OknoSlaPolicy *p, const OknoSlaFacts *facts,
                           const OknoCalendar *cal, gint64 *deadline, char **reason,
                           GError **error)
{
  OknoSlaClass c = facts->sla_class >= 0 && facts->sla_class < OKNO_SLA_N_CLASSES
                       ? facts->sla_class
                       : OKNO_SLA_SIMPLE;
  const OknoSlaPeriod *per = &p->period[c];
  const OknoSlaPeriod *dept = okno_sla_override(p, facts->department, c);
  gboolean confirmed = facts->confirmed && p->confirmed[c].amount > 0;
  if (confirmed)
    per = &p->confirmed[c];
  else if (dept)
    per = dept;
  if (!okno_deadline_add(okno_sla_calendar(p, cal, facts->department), facts->start, per->unit,
                         per->amount, deadline, error))
    return FALSE;
  if (reason) {
    g_autofree char *text = okno_sla_period_format(per);
    *reason = g_strdup_printf("%s%s%s%s: %s", okno_sla_class_name(c),
                              confirmed ? " confirmed" : "", !confirmed && dept ? " in " : "",
                              !confirmed && dept ? facts->department : "", text);
  }
  return TRUE;
}

gboolean okno_sla_working_before(const OknoCalendar *cal, gint64 to, gint64 amount_us,
                                 gint64 *out, GError **error)
{
  gsize n_days = 0, i;
  const OknoCalendarDay *days = okno_calendar_days(cal, &n_days);
  gint64 left = amount_us;
  if (!okno_calendar_find_instant(cal, to, &i, error))
    return FALSE;
  for (;;) {
    const OknoCalendarDay *d = &days[i];
    if (d->flags & OKNO_DAY_WORKING) {
      gint64 hi = MIN(to, d->close_us);
      if (hi > d->open_us) {
        if (hi - d->open_us >= left) {
          *out = hi - left;
          return TRUE;
        }
        left -= hi - d->open_us;
      }
    }
    if (i == 0) {
      okno_calendar_set_no_data_error(error, d->year - 1);
      return FALSE;
    }
    i--;
  }
}

gboolean okno_sla_checkpoints(const OknoSlaPolicy *p, const OknoCalendar *cal, gint64 start,
                              gint64 deadline, gint64 *reminder, gint64 *escalate_again,
                              GError **error)
{
  if (!okno_sla_working_before(cal, deadline, p->reminder_before_us, reminder, error))
    return FALSE;
  if (*reminder <= start)
    *reminder = start + (deadline - start) / 2;
  return okno_deadline_add(cal, deadline, OKNO_PERIOD_WORKING_HOURS,
                           p->escalate_again_us / (G_GINT64_CONSTANT(3600) * G_USEC_PER_SEC), escalate_again,
                           error);
}

gboolean okno_sla_extension_check(const OknoAppeal *a, const OknoSlaPeriod *by,
                                  const char *reason, GError **error)
{
  if (!(reason && *reason)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "an extension needs --reason");
    return FALSE;
  }
  if (!a->deadline) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "appeal %s has no running deadline to extend (status %s)", a->number,
                okno_status_name(a->status));
    return FALSE;
  }
  if (a->kind != OKNO_KIND_FORMAL)
    return TRUE;
  if (a->extensions > 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "formal appeal %s was already extended once (59-FZ art. 12 allows one extension)",
                a->number);
    return FALSE;
  }
  if (by->unit != OKNO_PERIOD_CALENDAR_DAYS || by->amount > OKNO_SLA_FORMAL_MAX_EXTENSION_DAYS) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "a formal appeal is extended by at most %d calendar days (59-FZ art. 12)",
                OKNO_SLA_FORMAL_MAX_EXTENSION_DAYS);
    return FALSE;
  }
  return TRUE;
}

gboolean okno_sla_confirm(const OknoSlaPolicy *p, const OknoCalendar *cal, OknoAppeal *a,
                          gint64 now, gint64 *deadline, char **reason, GError **error)
{
  OknoSlaFacts facts = {.confirmed = TRUE, .start = now};
  if (a->kind == OKNO_KIND_FORMAL) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "formal appeal %s follows 59-FZ periods; extend it instead", a->number);
    return FALSE;
  }
  if (!okno_statuses[a->status].open) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "appeal %s is %s", a->number,
                okno_status_name(a->status));
    return FALSE;
  }
  facts.sla_class = a->sla_class == OKNO_SLA_ACCELERATED ? OKNO_SLA_ACCELERATED : OKNO_SLA_URGENT;
  a->sla_class = facts.sla_class;
  a->priority = OKNO_PRIORITY_URGENT;
  a->priority_confirmed = TRUE;
  facts.department = a->department; /* a confirmed period in working hours counts on its hours */
  if (!cal) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "no production calendar is loaded");
    return FALSE;
  }
  if (!okno_sla_deadline(p, &facts, cal, deadline, reason, error))
    return FALSE;
  if (a->deadline && a->deadline < *deadline)
    *deadline = a->deadline;
  return TRUE;
}

gboolean okno_sla_job_current(gint64 generation, const OknoAppeal *a)
{
  return a && generation == a->deadline_gen && a->deadline != 0 &&
         (a->status == OKNO_STATUS_NEW || a->status == OKNO_STATUS_IN_PROGRESS);
}

const char *const *okno_sla_job_recipients(const OknoConfig *cfg, const char *kind,
                                           const char *assignee_email, const char *one[2])
{
  if (!strcmp(kind, "reminder")) {
    if (assignee_email && *assignee_email) {
      one[0] = assignee_email;
      one[1] = NULL;
      return one;
    }
    return (const char *const *)cfg->sla_operators;
  }
  if (!strcmp(kind, "escalate") && cfg->sla_supervisors_level2 && cfg->sla_supervisors_level2[0])
    return (const char *const *)cfg->sla_supervisors_level2;
  return (const char *const *)cfg->sla_supervisors;
}
