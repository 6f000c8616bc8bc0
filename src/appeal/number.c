/* appeal/number.c: appeal numbers YY-NNNNNN-C with a Damm check digit (number.h).
 *
 * The Damm algorithm walks a 10x10 totally anti-symmetric quasigroup (the table
 * from H. M. Damm's 2004 thesis, as published everywhere): the interim digit starts
 * at 0 and becomes table[interim][digit] for each digit; the final interim is the
 * check digit, and a string followed by its check digit walks back to 0. The
 * quasigroup's properties make every single-digit error and every adjacent
 * transposition change the result.
 *
 * The matcher reads a year (two digits), an optional separator, the sequence and the
 * check digit (separated or glued to the sequence) with bounded look-ahead; the
 * sequence is re-formatted to its canonical width before the check is computed. */
#include "appeal/number.h"

#include <string.h>

#define SEQ_MIN_DIGITS 6
#define SEQ_MAX_DIGITS 9
#define SEQ_MAX G_GINT64_CONSTANT(999999999)
#define SEP_MAX_SPACES 3 /* spaces allowed on each side of a dash */

static const guint8 damm_table[10][10] = {
  {0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
  {7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
  {4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
  {1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
  {6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
  {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
  {5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
  {8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
  {9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
  {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
};

int okno_damm_digit(const char *digits)
{
  int interim = 0;
  g_return_val_if_fail(digits != NULL, -1);
  for (const char *c = digits; *c; c++) {
    if (!g_ascii_isdigit(*c))
      return -1;
    interim = damm_table[interim][*c - '0'];
  }
  return interim;
}

char *okno_number_format(int year, gint64 seq)
{
  g_autofree char *body = NULL;
  g_return_val_if_fail(seq >= 1 && seq <= SEQ_MAX, NULL);
  g_return_val_if_fail(year >= 0, NULL);
  body = g_strdup_printf("%02d%06" G_GINT64_FORMAT, year % 100, seq);
  return g_strdup_printf("%.2s-%s-%d", body, body + 2, okno_damm_digit(body));
}

/* Length of the dash-like character at p (ASCII '-', U+2010, U+2011, U+2012,
 * U+2013, U+2014, U+2212) or of a no-break space (U+00A0, U+202F); 0 otherwise. */
static gsize dash_len(const char *p, const char *end, gboolean *is_space)
{
  const guchar *u = (const guchar *)p;
  gsize left = (gsize)(end - p);
  *is_space = FALSE;
  if (left >= 1 && u[0] == '-')
    return 1;
  if (left >= 2 && u[0] == 0xC2 && u[1] == 0xA0) {
    *is_space = TRUE;
    return 2;
  }
  if (left >= 3 && u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0x90 && u[2] <= 0x94)
    return 3;
  if (left >= 3 && u[0] == 0xE2 && u[1] == 0x80 && u[2] == 0xAF) {
    *is_space = TRUE;
    return 3;
  }
  if (left >= 3 && u[0] == 0xE2 && u[1] == 0x88 && u[2] == 0x92)
    return 3;
  return 0;
}

/* Skips one separator at p: a few spaces, at most one dash (or no-break space), a
 * few spaces, at least one character in all. Returns the byte after it, or NULL. */
static const char *skip_separator(const char *p, const char *end)
{
  const char *s = p;
  gboolean dash_seen = FALSE;
  int spaces = 0;
  while (s < end) {
    gboolean space;
    gsize n;
    if (*s == ' ' && spaces < SEP_MAX_SPACES) {
      spaces++;
      s++;
      continue;
    }
    n = dash_len(s, end, &space);
    if (n == 0 || dash_seen)
      break;
    dash_seen = TRUE;
    spaces = space ? SEP_MAX_SPACES : 0; /* a no-break space stands alone */
    s += n;
  }
  return s > p ? s : NULL;
}

static gsize digit_run(const char *p, const char *end)
{
  const char *s = p;
  while (s < end && g_ascii_isdigit(*s))
    s++;
  return (gsize)(s - p);
}

static gint64 digits_value(const char *p, gsize n)
{
  gint64 v = 0;
  for (gsize i = 0; i < n; i++)
    v = v * 10 + (p[i] - '0');
  return v;
}

gsize okno_number_match(const char *p, gsize len, char **normalised, gboolean *check_ok)
{
  const char *end = p + len;
  const char *seq_start, *after;
  gsize first, seq_len;
  int check;
  gint64 seq;
  char year[3];

  if (normalised)
    *normalised = NULL;
  if (check_ok)
    *check_ok = FALSE;
  if (!p || len == 0)
    return 0;
  /* Never read a whole long digit run: a number has at most 2 + 9 + 1 digits. */
  first = digit_run(p, p + MIN(len, 2 + SEQ_MAX_DIGITS + 2));
  if (first == 2) {
    /* "YY<sep>NNNNNN<sep>C" or "YY<sep>NNNNNNC" */
    const char *after_sep;
    gsize run;
    seq_start = skip_separator(p + 2, end);
    if (!seq_start)
      return 0;
    run = digit_run(seq_start, MIN(end, seq_start + SEQ_MAX_DIGITS + 2));
    after_sep = run >= SEQ_MIN_DIGITS && run <= SEQ_MAX_DIGITS
                    ? skip_separator(seq_start + run, end)
                    : NULL;
    if (after_sep && after_sep < end && g_ascii_isdigit(*after_sep) &&
        (after_sep + 1 == end || !g_ascii_isdigit(after_sep[1]))) {
      seq_len = run;
      check = *after_sep - '0';
      after = after_sep + 1;
    } else if (run >= SEQ_MIN_DIGITS + 1 && run <= SEQ_MAX_DIGITS + 1) {
      seq_len = run - 1;
      check = seq_start[seq_len] - '0';
      after = seq_start + run;
    } else {
      return 0;
    }
  } else if (first >= 2 + SEQ_MIN_DIGITS + 1 && first <= 2 + SEQ_MAX_DIGITS + 1) {
    /* compact "YYNNNNNNC" */
    seq_start = p + 2;
    seq_len = first - 3;
    check = seq_start[seq_len] - '0';
    after = p + first;
  } else {
    return 0;
  }
  if (after < end && g_ascii_isdigit(*after))
    return 0;
  seq = digits_value(seq_start, seq_len);
  if (seq < 1)
    return 0;
  year[0] = p[0];
  year[1] = p[1];
  year[2] = '\0';
  {
    g_autofree char *canonical = okno_number_format((int)digits_value(year, 2), seq);
    if (check_ok)
      *check_ok = canonical[strlen(canonical) - 1] - '0' == check;
    if (normalised) {
      canonical[strlen(canonical) - 1] = (char)('0' + check);
      *normalised = g_steal_pointer(&canonical);
    }
  }
  return (gsize)(after - p);
}

gboolean okno_number_parse(const char *text, char **normalised, gboolean *check_ok)
{
  static const char numero[] = "\xE2\x84\x96"; /* U+2116 NUMERO SIGN */
  g_autofree char *copy = NULL;
  char *s;
  gsize len, used;

  if (normalised)
    *normalised = NULL;
  if (check_ok)
    *check_ok = FALSE;
  if (!text)
    return FALSE;
  copy = g_strstrip(g_strdup(text));
  s = copy;
  if (g_str_has_prefix(s, numero)) {
    s += strlen(numero);
    while (*s == ' ')
      s++;
  }
  len = strlen(s);
  used = okno_number_match(s, len, normalised, check_ok);
  if (used == 0 || used != len) {
    if (normalised)
      g_clear_pointer(normalised, g_free);
    if (check_ok)
      *check_ok = FALSE;
    return FALSE;
  }
  return TRUE;
}
