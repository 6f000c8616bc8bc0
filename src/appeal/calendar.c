/* calendar.c: the production calendar parser and the per-day table (see calendar.h).
 *
 * How it works: the parser reads the file line by line (bounded line length, UTF-8, no
 * NUL bytes), collects the listed exceptions with their line numbers (a hash table by
 * Julian day catches duplicates), then lays out one OknoCalendarDay per local day of the
 * covered years: the Monday-Friday default, the listed exception on top. Each day carries
 * its local midnight and its opening and closing instants, computed once through
 * GDateTime in the calendar's time zone, so that deadline arithmetic (deadline.c) is
 * integer arithmetic on this array plus one binary search to find the day of an instant.
 * Year header comments that state totals ("...; 247 working days, 1972 hours") are
 * checked against the lines, which catches a mistyped import before it is installed. */
#include "appeal/calendar.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"

#define CAL_MAX_FILE OKNO_CALENDAR_MAX_BYTES
#define CAL_MAX_LINE 256           /* bytes, without the newline */
#define CAL_MIN_YEAR 1992          /* the Labour Code norms this format describes */
#define CAL_MAX_YEAR 2199
#define CAL_MAX_SPAN 100           /* years in one file */

struct OknoCalendar {
  GTimeZone *tz;
  int first_year, last_year;
  int start_hour, end_hour;
  guint32 julian0; /* Julian day number of 1 January of first_year */
  OknoCalendarDay *days;
  gsize n_days;
  GMutex variants_lock;  /* guards variants (okno_calendar_with_hours) */
  GHashTable *variants;  /* start_hour * 100 + end_hour -> OknoCalendar* copy; or NULL */
};

typedef enum { KIND_OFF, KIND_WORK, KIND_SHORT, KIND_WORK_SHORT } Kind;

typedef struct {
  guint32 julian;
  Kind kind;
} Entry;

typedef struct {
  int year, days, hours, line;
} HeaderClaim;

void okno_calendar_set_no_data_error(GError **error, int year)
{
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
              "the production calendar has no data for %d; import it with okno calendar import", year);
}

/* Local instant of year-month-day hour:00 in `tz`; hour 24 is the next day's midnight. */
static gint64 local_instant(GTimeZone *tz, int year, int month, int mday, int hour)
{
  g_autoptr(GDateTime) dt = NULL;
  if (hour == 24) {
    GDate d;
    g_date_clear(&d, 1);
    g_date_set_dmy(&d, (GDateDay)mday, (GDateMonth)month, (GDateYear)year);
    g_date_add_days(&d, 1);
    return local_instant(tz, g_date_get_year(&d), g_date_get_month(&d), g_date_get_day(&d), 0);
  }
  dt = g_date_time_new(tz, year, month, mday, hour, 0, 0);
  return g_date_time_to_unix(dt) * G_USEC_PER_SEC;
}

static void compute_hours(OknoCalendar *cal)
{
  for (gsize i = 0; i < cal->n_days; i++) {
    OknoCalendarDay *d = &cal->days[i];
    if (d->flags & OKNO_DAY_WORKING) {
      int close = cal->end_hour - ((d->flags & OKNO_DAY_SHORT) ? 1 : 0);
      d->open_us = local_instant(cal->tz, d->year, d->month, d->mday, cal->start_hour);
      d->close_us = local_instant(cal->tz, d->year, d->month, d->mday, close);
    } else {
      d->open_us = d->close_us = 0;
    }
  }
}

/* "YYYY-MM-DD" exactly, a real date within the supported years. */
static gboolean parse_date(const char *s, gsize n, GDate *out)
{
  int v[3] = {0, 0, 0};
  const int widths[3] = {4, 2, 2};
  gsize pos = 0;
  if (n != 10 || s[4] != '-' || s[7] != '-')
    return FALSE;
  for (int f = 0; f < 3; f++) {
    for (int k = 0; k < widths[f]; k++, pos++) {
      if (!g_ascii_isdigit(s[pos]))
        return FALSE;
      v[f] = v[f] * 10 + (s[pos] - '0');
    }
    pos++; /* the '-' */
  }
  if (v[0] < CAL_MIN_YEAR || v[0] > CAL_MAX_YEAR || !g_date_valid_dmy((GDateDay)v[2], (GDateMonth)v[1], (GDateYear)v[0]))
    return FALSE;
  g_date_clear(out, 1);
  g_date_set_dmy(out, (GDateDay)v[2], (GDateMonth)v[1], (GDateYear)v[0]);
  return TRUE;
}

/* A year header comment "# YYYY: ...; N working days, M hours" (the totals are optional:
 * returns FALSE when the comment does not state them). */
static gboolean parse_header_claim(const char *line, int lineno, HeaderClaim *claim)
{
  static GRegex *re;
  g_autoptr(GMatchInfo) m = NULL;
  if (g_once_init_enter(&re)) {
    GRegex *r = g_regex_new("^#\\s*(\\d{4}):.*;\\s*(\\d{1,3}) working days, (\\d{1,4}) hours\\s*$",
                            G_REGEX_OPTIMIZE, 0, NULL);
    g_once_init_leave(&re, r);
  }
  if (!g_regex_match(re, line, 0, &m))
    return FALSE;
  int vals[3];
  for (int g = 1; g <= 3; g++) {
    g_autofree char *t = g_match_info_fetch(m, g);
    guint64 n = 0;
    if (!g_ascii_string_to_unsigned(t, 10, 0, 9999, &n, NULL))
      return FALSE;
    vals[g - 1] = (int)n;
  }
  claim->year = vals[0];
  claim->days = vals[1];
  claim->hours = vals[2];
  claim->line = lineno;
  return TRUE;
}

/* Splits `line` at spaces and tabs into at most `max` tokens (pointer + length each). */
static int tokenize(const char *line, gsize len, const char **tok, gsize *tlen, int max)
{
  int n = 0;
  gsize i = 0;
  while (i < len) {
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
      i++;
    if (i >= len)
      break;
    if (n == max)
      return max + 1;
    tok[n] = line + i;
    while (i < len && line[i] != ' ' && line[i] != '\t')
      i++;
    tlen[n] = (gsize)(line + i - tok[n]);
    n++;
  }
  return n;
}

static gboolean tok_is(const char *t, gsize n, const char *word)
{
  return n == strlen(word) && memcmp(t, word, n) == 0;
}

/* Parses one data line (comment already cut) into `e`. */
static gboolean parse_entry(const char *line, gsize len, const char *name, int lineno,
                            Entry *e, GError **error)
{
  const char *tok[3];
  gsize tlen[3];
  GDate date;
  int n = tokenize(line, len, tok, tlen, 3);
  if (n < 2 || n > 3) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s:%d: expected 'YYYY-MM-DD KIND' (KIND: off, work, short or work short)", name, lineno);
    return FALSE;
  }
  if (!parse_date(tok[0], tlen[0], &date)) {
    g_autofree char *shown = g_strndup(tok[0], MIN(tlen[0], (gsize)40));
    g_autofree char *esc = g_strescape(shown, NULL);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s:%d: '%s' is not a date YYYY-MM-DD between %d and %d", name, lineno, esc,
                CAL_MIN_YEAR, CAL_MAX_YEAR);
    return FALSE;
  }
  if (n == 2 && tok_is(tok[1], tlen[1], "off"))
    e->kind = KIND_OFF;
  else if (n == 2 && tok_is(tok[1], tlen[1], "work"))
    e->kind = KIND_WORK;
  else if (n == 2 && tok_is(tok[1], tlen[1], "short"))
    e->kind = KIND_SHORT;
  else if (n == 3 && tok_is(tok[1], tlen[1], "work") && tok_is(tok[2], tlen[2], "short"))
    e->kind = KIND_WORK_SHORT;
  else {
    gsize rest = (gsize)(line + len - tok[1]);
    g_autofree char *shown = g_strndup(tok[1], MIN(rest, (gsize)40));
    g_autofree char *esc = g_strescape(shown, NULL);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s:%d: unknown kind '%s' (expected off, work, short or work short)", name, lineno, esc);
    return FALSE;
  }
  gboolean weekend = g_date_get_weekday(&date) >= G_DATE_SATURDAY;
  if ((e->kind == KIND_WORK || e->kind == KIND_WORK_SHORT) && !weekend) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s:%d: '%.*s' is a weekday, already a working day; 'work' is only for a Saturday or Sunday",
                name, lineno, (int)tlen[0], tok[0]);
    return FALSE;
  }
  if (e->kind == KIND_SHORT && weekend) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s:%d: '%.*s' is a Saturday or Sunday; a shortened working weekend day is 'work short'",
                name, lineno, (int)tlen[0], tok[0]);
    return FALSE;
  }
  e->julian = g_date_get_julian(&date);
  return TRUE;
}

static int date_year(guint32 julian)
{
  GDate d;
  g_date_clear(&d, 1);
  g_date_set_julian(&d, julian);
  return g_date_get_year(&d);
}

/* Lays out the day table for first..last year from the entries. */
static void build_days(OknoCalendar *cal, const GArray *entries)
{
  GDate d;
  g_date_clear(&d, 1);
  g_date_set_dmy(&d, 1, G_DATE_JANUARY, (GDateYear)cal->first_year);
  cal->julian0 = g_date_get_julian(&d);
  g_date_set_dmy(&d, 31, G_DATE_DECEMBER, (GDateYear)cal->last_year);
  cal->n_days = g_date_get_julian(&d) - cal->julian0 + 1;
  cal->days = g_new0(OknoCalendarDay, cal->n_days);
  g_date_set_julian(&d, cal->julian0);
  for (gsize i = 0; i < cal->n_days; i++, g_date_add_days(&d, 1)) {
    OknoCalendarDay *day = &cal->days[i];
    day->year = g_date_get_year(&d);
    day->month = g_date_get_month(&d);
    day->mday = g_date_get_day(&d);
    day->weekday = g_date_get_weekday(&d);
    day->flags = day->weekday <= 5 ? OKNO_DAY_WORKING : 0;
    day->start_us = local_instant(cal->tz, day->year, day->month, day->mday, 0);
    if (i > 0)
      cal->days[i - 1].end_us = day->start_us;
  }
  cal->days[cal->n_days - 1].end_us =
      local_instant(cal->tz, cal->last_year, 12, 31, 24);
  for (guint i = 0; i < entries->len; i++) {
    const Entry *e = &g_array_index(entries, Entry, i);
    OknoCalendarDay *day = &cal->days[e->julian - cal->julian0];
    static const guint8 flags[] = {
      [KIND_OFF] = 0,
      [KIND_WORK] = OKNO_DAY_WORKING,
      [KIND_SHORT] = OKNO_DAY_WORKING | OKNO_DAY_SHORT,
      [KIND_WORK_SHORT] = OKNO_DAY_WORKING | OKNO_DAY_SHORT,
    };
    day->flags = flags[e->kind] | OKNO_DAY_LISTED;
  }
}

OknoCalendar *okno_calendar_parse(const char *text, gsize len, const char *name, GError **error)
{
  g_autoptr(GArray) entries = g_array_new(FALSE, FALSE, sizeof(Entry));
  g_autoptr(GArray) claims = g_array_new(FALSE, FALSE, sizeof(HeaderClaim));
  g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal); /* julian -> line */
  g_autoptr(OknoCalendar) cal = NULL;
  int lineno = 0, first = 0, last = 0;
  gsize pos = 0;

  if (len > CAL_MAX_FILE) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: larger than %d bytes; not a calendar", name,
                CAL_MAX_FILE);
    return NULL;
  }
  while (pos < len) {
    const char *line = text + pos;
    const char *nl = memchr(line, '\n', len - pos);
    gsize llen = nl ? (gsize)(nl - line) : len - pos;
    char buf[CAL_MAX_LINE + 1];
    Entry e;
    pos += llen + (nl ? 1 : 0);
    lineno++;
    if (llen > 0 && line[llen - 1] == '\r')
      llen--;
    if (llen > CAL_MAX_LINE) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s:%d: line longer than %d bytes", name, lineno,
                  CAL_MAX_LINE);
      return NULL;
    }
    if (!g_utf8_validate_len(line, llen, NULL)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s:%d: not UTF-8 text", name, lineno);
      return NULL;
    }
    memcpy(buf, line, llen);
    buf[llen] = '\0';
    g_strstrip(buf);
    if (buf[0] == '#') {
      HeaderClaim c;
      if (parse_header_claim(buf, lineno, &c))
        g_array_append_val(claims, c);
      continue;
    }
    char *hash = strchr(buf, '#'); /* a trailing comment */
    if (hash)
      *hash = '\0';
    if (!buf[0])
      continue;
    if (!parse_entry(buf, strlen(buf), name, lineno, &e, error))
      return NULL;
    gpointer prev = g_hash_table_lookup(seen, GUINT_TO_POINTER(e.julian));
    if (prev) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s:%d: %.10s is already listed on line %d", name,
                  lineno, buf, GPOINTER_TO_INT(prev));
      return NULL;
    }
    g_hash_table_insert(seen, GUINT_TO_POINTER(e.julian), GINT_TO_POINTER(lineno));
    g_array_append_val(entries, e);
    int y = date_year(e.julian);
    if (!first || y < first)
      first = y;
    last = MAX(last, y);
  }
  if (entries->len == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: no calendar lines (YYYY-MM-DD KIND)", name);
    return NULL;
  }
  if (last - first + 1 > CAL_MAX_SPAN) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: covers %d..%d, more than %d years", name, first,
                last, CAL_MAX_SPAN);
    return NULL;
  }
  {
    g_autofree gboolean *has = g_new0(gboolean, last - first + 1);
    for (guint i = 0; i < entries->len; i++)
      has[date_year(g_array_index(entries, Entry, i).julian) - first] = TRUE;
    for (int y = first; y <= last; y++)
      if (!has[y - first]) {
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                    "%s: no lines for %d, between %d and %d; every covered year needs its holidays", name, y,
                    first, last);
        return NULL;
      }
  }
  cal = g_new0(OknoCalendar, 1);
  g_mutex_init(&cal->variants_lock);
  cal->tz = g_time_zone_ref(okno_tz_moscow());
  cal->first_year = first;
  cal->last_year = last;
  cal->start_hour = 9;
  cal->end_hour = 18;
  build_days(cal, entries);
  compute_hours(cal);
  for (guint i = 0; i < claims->len; i++) {
    const HeaderClaim *c = &g_array_index(claims, HeaderClaim, i);
    int days = 0, hours = 0;
    if (c->year < first || c->year > last) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s:%d: header for %d, but no lines for %d", name,
                  c->line, c->year, c->year);
      return NULL;
    }
    okno_calendar_year_totals(cal, c->year, &days, &hours, NULL);
    if (days != c->days || hours != c->hours) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "%s:%d: the header says %d working days, %d hours for %d, but the lines give %d days, %d hours",
                  name, c->line, c->days, c->hours, c->year, days, hours);
      return NULL;
    }
  }
  return g_steal_pointer(&cal);
}

void okno_calendar_free(OknoCalendar *cal)
{
  if (!cal)
    return;
  if (cal->tz)
    g_time_zone_unref(cal->tz);
  g_clear_pointer(&cal->variants, g_hash_table_unref);
  g_mutex_clear(&cal->variants_lock);
  g_free(cal->days);
  g_free(cal);
}

static void free_variant(gpointer cal) { okno_calendar_free(cal); }

const OknoCalendar *okno_calendar_with_hours(const OknoCalendar *cal, int start_hour, int end_hour,
                                             GError **error)
{
  OknoCalendar *self = (OknoCalendar *)cal; /* only the lock-guarded cache changes */
  OknoCalendar *copy;
  gpointer key = GINT_TO_POINTER(start_hour * 100 + end_hour);
  if (start_hour < 0 || end_hour > 24 || end_hour - start_hour < 2) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "working hours %d..%d: need 0 <= start, end <= 24 and at least two hours", start_hour, end_hour);
    return NULL;
  }
  if (start_hour == cal->start_hour && end_hour == cal->end_hour)
    return cal;
  g_mutex_lock(&self->variants_lock);
  if (!self->variants)
    self->variants = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free_variant);
  copy = g_hash_table_lookup(self->variants, key);
  if (!copy) {
    copy = g_new0(OknoCalendar, 1);
    g_mutex_init(&copy->variants_lock);
    copy->tz = g_time_zone_ref(cal->tz);
    copy->first_year = cal->first_year;
    copy->last_year = cal->last_year;
    copy->julian0 = cal->julian0;
    copy->n_days = cal->n_days;
    copy->days = g_memdup2(cal->days, cal->n_days * sizeof *cal->days);
    copy->start_hour = start_hour;
    copy->end_hour = end_hour;
    compute_hours(copy);
    g_hash_table_insert(self->variants, key, copy);
  }
  g_mutex_unlock(&self->variants_lock);
  return copy;
}

gboolean okno_calendar_set_hours(OknoCalendar *cal, int start_hour, int end_hour, GError **error)
{
  if (start_hour < 0 || end_hour > 24 || end_hour - start_hour < 2) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "working hours %d..%d: need 0 <= start, end <= 24 and at least two hours", start_hour, end_hour);
    return FALSE;
  }
  cal->start_hour = start_hour;
  cal->end_hour = end_hour;
  compute_hours(cal);
  return TRUE;
}

int okno_calendar_first_year(const OknoCalendar *cal) { return cal->first_year; }
int okno_calendar_last_year(const OknoCalendar *cal) { return cal->last_year; }

const OknoCalendarDay *okno_calendar_days(const OknoCalendar *cal, gsize *n_days)
{
  *n_days = cal->n_days;
  return cal->days;
}

gboolean okno_calendar_find_instant(const OknoCalendar *cal, gint64 us, gsize *index, GError **error)
{
  gsize lo = 0, hi = cal->n_days;
  if (us < cal->days[0].start_us || us >= cal->days[cal->n_days - 1].end_us) {
    g_autoptr(GDateTime) u = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
    g_autoptr(GDateTime) l = u ? g_date_time_to_timezone(u, cal->tz) : NULL;
    okno_calendar_set_no_data_error(error, l ? g_date_time_get_year(l) : (us < 0 ? 1969 : 9999));
    return FALSE;
  }
  while (hi - lo > 1) { /* invariant: days[lo].start_us <= us < days[hi].start_us */
    gsize mid = lo + (hi - lo) / 2;
    if (cal->days[mid].start_us <= us)
      lo = mid;
    else
      hi = mid;
  }
  *index = lo;
  return TRUE;
}

gboolean okno_calendar_find_date(const OknoCalendar *cal, int year, int month, int mday, gsize *index,
                                 GError **error)
{
  GDate d;
  if (year < 1 || year > 9999 || !g_date_valid_dmy((GDateDay)mday, (GDateMonth)month, (GDateYear)year)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%04d-%02d-%02d is not a date", year, month, mday);
    return FALSE;
  }
  if (year < cal->first_year || year > cal->last_year) {
    okno_calendar_set_no_data_error(error, year);
    return FALSE;
  }
  g_date_clear(&d, 1);
  g_date_set_dmy(&d, (GDateDay)mday, (GDateMonth)month, (GDateYear)year);
  *index = g_date_get_julian(&d) - cal->julian0;
  return TRUE;
}

gboolean okno_calendar_year_totals(const OknoCalendar *cal, int year, int *working_days, int *norm_hours,
                                   GError **error)
{
  gsize i;
  int days = 0, hours = 0;
  if (!okno_calendar_find_date(cal, year, 1, 1, &i, error))
    return FALSE;
  for (; i < cal->n_days && cal->days[i].year == year; i++) {
    if (!(cal->days[i].flags & OKNO_DAY_WORKING))
      continue;
    days++;
    hours += (cal->days[i].flags & OKNO_DAY_SHORT) ? 7 : 8;
  }
  *working_days = days;
  *norm_hours = hours;
  return TRUE;
}
