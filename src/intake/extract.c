/* intake/extract.c: contact data and identifiers in free Russian text (extract.h).
 *
 * How it works, in two linear passes over a valid-UTF-8 copy of the text:
 *  1. E-mail addresses: at each '@', the local part is read backwards and the domain
 *     forwards, each with a bounded length (64 and 253 bytes, as in RFC 5321); the
 *     spans found are kept in order.
 *  2. Numbers: at each token start (a digit, '+', '(' or '№' not glued to a letter or
 *     digit before it, and not the continuation of "1234-", "12.", "12/"), matchers
 *     are tried in a fixed order, each looking a bounded distance ahead:
 *       appeal number (number.h; the compact 9-digit form only after "№"),
 *       SNILS written 3-3-3 2, phone written in groups, a bare run of digits.
 *     A match must end at a boundary too (no letter or digit glued after it). When
 *     nothing matches, a run of digits is skipped whole, so no value is ever taken
 *     out of a longer run and a long run is read once.
 * Both passes emit into one list in order of position (e-mail spans are skipped by
 * the number pass); a hash set drops repeated values.
 *
 * Decisions the header leaves open:
 *  - A bare run of 10 or 12 digits is an INN when the nearest keyword before it
 *    (within 64 bytes) is "ИНН" (then reported even with a wrong check), or, with no
 *    keyword, when its check digits are right. A bare 10-digit run after a phone
 *    keyword ("тел", "моб", "звон", "phone", "whatsapp", ...) is a phone.
 *  - A bare run of 11 digits is a SNILS after the keyword "СНИЛС", otherwise a phone
 *    when it starts with 7 or 8 and the rest is a Russian number.
 *  - A Russian number (after +7/7/8, or 10 digits alone) starts with 3, 4, 8 or 9
 *    (geographic, toll-free and mobile ranges); others are not taken as phones.
 *  - Ten digits without a country code are a phone only in a phone context or with
 *    the area code in parentheses: "(912) 345-67-89".
 *  - "+7" and ten digits is taken whatever the range; other countries: "+" followed
 *    by 8 to 15 digits not starting with 7 or 0.
 *  - E-mail: local part and domain labels each in ASCII or in another script
 *    (иван@почта.рф), not mixed: an address glued to Russian text ends where the
 *    script changes. The domain is lowercased, the local part kept as written. */
#include "intake/extract.h"

#include <string.h>

#include "appeal/number.h"

#define CONTEXT_BYTES 64
#define LOCAL_MAX 64
#define DOMAIN_MAX 253
#define PHONE_MAX_DIGITS 15
#define PHONE_MAX_GROUPS 6
#define SEP_MAX 3 /* characters between two groups of a phone */

typedef enum { CTX_NONE, CTX_PHONE, CTX_INN, CTX_SNILS } Context;

typedef struct {
  GPtrArray *out;
  GHashTable *seen; /* "kind:value" */
} Sink;

static void emit(Sink *s, OknoIdKind kind, char *value, gboolean valid)
{
  g_autofree char *key = g_strdup_printf("%d:%s", (int)kind, value);
  OknoExtracted *e;
  if (g_hash_table_contains(s->seen, key)) {
    g_free(value);
    return;
  }
  g_hash_table_add(s->seen, g_steal_pointer(&key));
  e = g_new0(OknoExtracted, 1);
  e->kind = kind;
  e->value = value;
  e->valid = valid;
  g_ptr_array_add(s->out, e);
}

static void extracted_free(gpointer p)
{
  OknoExtracted *e = p;
  g_free(e->value);
  g_free(e);
}

const char *okno_id_kind_name(OknoIdKind kind)
{
  switch (kind) {
  case OKNO_ID_PHONE: return "phone";
  case OKNO_ID_INN: return "inn";
  case OKNO_ID_SNILS: return "snils";
  case OKNO_ID_APPEAL: return "appeal";
  case OKNO_ID_EMAIL: return "email";
  }
  return "unknown";
}

static gboolean all_digits(const char *s, gsize n)
{
  if (!s || strlen(s) != n)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit(s[i]))
      return FALSE;
  return TRUE;
}

static int weighted(const char *d, const int *w, gsize n)
{
  int sum = 0;
  for (gsize i = 0; i < n; i++)
    sum += (d[i] - '0') * w[i];
  return sum;
}

gboolean okno_inn_valid(const char *digits)
{
  static const int w10[] = { 2, 4, 10, 3, 5, 9, 4, 6, 8 };
  static const int w11[] = { 7, 2, 4, 10, 3, 5, 9, 4, 6, 8 };
  static const int w12[] = { 3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8 };
  if (all_digits(digits, 10))
    return weighted(digits, w10, 9) % 11 % 10 == digits[9] - '0';
  if (all_digits(digits, 12))
    return weighted(digits, w11, 10) % 11 % 10 == digits[10] - '0' &&
           weighted(digits, w12, 11) % 11 % 10 == digits[11] - '0';
  return FALSE;
}

gboolean okno_snils_valid(const char *digits)
{
  static const int w[] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
  int number = 0, sum, check;
  if (!all_digits(digits, 11))
    return FALSE;
  for (int i = 0; i < 9; i++)
    number = number * 10 + (digits[i] - '0');
  if (number <= 1001998)
    return TRUE; /* issued before check numbers existed */
  sum = weighted(digits, w, 9);
  check = sum < 100 ? sum : sum % 101;
  if (check == 100)
    check = 0;
  return check == (digits[9] - '0') * 10 + (digits[10] - '0');
}

/* ---- characters and boundaries ---- */

/* The character that ends just before byte `pos` (0 at the start of the text). */
static gunichar char_before(const char *t, gsize pos)
{
  const char *prev;
  if (pos == 0)
    return 0;
  prev = g_utf8_find_prev_char(t, t + pos);
  return prev ? g_utf8_get_char(prev) : 0;
}

static gboolean is_joiner(char c) { return c == '-' || c == '.' || c == '/' || c == ','; }

/* May a number start at byte `pos`? Not glued to a letter or digit, and not the
 * continuation of "1234-", "12.", "12/", "1,": those belong to a longer thing. */
static gboolean token_start(const char *t, gsize pos)
{
  if (g_unichar_isalnum(char_before(t, pos)))
    return FALSE;
  return !(pos >= 2 && is_joiner(t[pos - 1]) && g_ascii_isdigit(t[pos - 2]));
}

/* May a number end at byte `pos`? The mirror of token_start. */
static gboolean token_end(const char *t, gsize pos, gsize len)
{
  if (pos >= len)
    return TRUE;
  if (g_unichar_isalnum(g_utf8_get_char(t + pos)))
    return FALSE;
  return !(pos + 1 < len && is_joiner(t[pos]) && g_ascii_isdigit(t[pos + 1]));
}

static gsize digit_run(const char *t, gsize pos, gsize len)
{
  gsize e = pos;
  while (e < len && g_ascii_isdigit(t[e]))
    e++;
  return e - pos;
}

/* The nearest keyword before `pos` within CONTEXT_BYTES, at the start of a word. */
static Context context_before(const char *t, gsize pos)
{
  static const struct {
    const char *word;
    Context ctx;
  } keywords[] = {
    { "инн", CTX_INN }, { "inn", CTX_INN }, { "снилс", CTX_SNILS }, { "snils", CTX_SNILS },
    { "тел", CTX_PHONE }, { "моб", CTX_PHONE }, { "сотов", CTX_PHONE },
    { "звон", CTX_PHONE }, { "позвон", CTX_PHONE }, { "перезвон", CTX_PHONE },
    { "ватсап", CTX_PHONE }, { "вотсап", CTX_PHONE }, { "вайбер", CTX_PHONE },
    { "phone", CTX_PHONE }, { "tel", CTX_PHONE }, { "mob", CTX_PHONE },
    { "whatsapp", CTX_PHONE }, { "viber", CTX_PHONE }, { "telegram", CTX_PHONE },
  };
  gsize from = pos > CONTEXT_BYTES ? pos - CONTEXT_BYTES : 0;
  g_autofree char *window = NULL;
  Context found = CTX_NONE;
  gunichar prev = 0;
  while (from < pos && ((guchar)t[from] & 0xC0) == 0x80)
    from++; /* start on a character */
  window = g_utf8_strdown(t + from, (gssize)(pos - from));
  for (const char *w = window; *w; w = g_utf8_next_char(w)) {
    gunichar c = g_utf8_get_char(w);
    if (g_unichar_isalnum(c) && !g_unichar_isalnum(prev))
      for (gsize k = 0; k < G_N_ELEMENTS(keywords); k++)
        if (g_str_has_prefix(w, keywords[k].word))
          found = keywords[k].ctx;
    prev = c;
  }
  return found;
}

/* ---- phones ---- */

/* "+7" and ten digits, from the digits of a Russian number (10 national digits), or NULL
 * when the national number does not start with 3, 4, 8 or 9. */
static char *russian_phone(const char *national)
{
  if (!strchr("3489", national[0]))
    return NULL;
  return g_strdup_printf("+7%.10s", national);
}

/* Normalises the digits of one candidate; NULL when it is not a phone. */
static char *phone_value(const char *d, gsize n, gboolean plus, gboolean paren, Context ctx)
{
  if (plus) {
    if (d[0] == '7') /* +7 is unambiguous: Russia or Kazakhstan */
      return n == 11 ? g_strdup_printf("+%.11s", d) : NULL;
    return n >= 8 && n <= PHONE_MAX_DIGITS && d[0] != '0' ? g_strdup_printf("+%.*s", (int)n, d)
                                                           : NULL;
  }
  if (n == 11 && (d[0] == '7' || d[0] == '8'))
    return russian_phone(d + 1);
  if (n == 10 && (paren || ctx == CTX_PHONE))
    return russian_phone(d);
  return NULL;
}

/* A phone at `pos` ('+', '(' or a digit): groups of digits joined by spaces, dashes
 * and parentheses. The longest prefix of groups that is a phone wins. Returns the
 * end of the match, 0 if none; *value gets the normalised number. */
static gsize match_phone(const char *t, gsize pos, gsize len, char **value)
{
  char digits[PHONE_MAX_DIGITS + 1];
  gsize ends[PHONE_MAX_GROUPS], counts[PHONE_MAX_GROUPS];
  gsize p = pos, n = 0;
  int groups = 0;
  gboolean plus = FALSE, paren = FALSE, grouped;
  Context ctx = CTX_NONE;
  gboolean ctx_known = FALSE;

  *value = NULL;
  if (t[p] == '+') {
    plus = TRUE;
    p++;
  }
  while (groups < PHONE_MAX_GROUPS) {
    gsize s = p, run, opened;
    int seps = 0;
    /* separators before this group (none before the first, except '(') */
    opened = 0;
    while (s < len && seps < SEP_MAX &&
           (t[s] == ' ' || t[s] == '-' || t[s] == '(' || t[s] == ')') &&
           (groups > 0 || t[s] == '(')) {
      if (t[s] == '(')
        opened = s + 1;
      s++;
      seps++;
    }
    run = digit_run(t, s, MIN(len, s + PHONE_MAX_DIGITS + 1));
    if (run == 0 || n + run > PHONE_MAX_DIGITS)
      break;
    if (opened && run == 3 && s + 3 < len && t[s + 3] == ')' && n <= 1)
      paren = TRUE; /* "(912)" or "8 (912)": an area code */
    memcpy(digits + n, t + s, run);
    n += run;
    p = s + run;
    ends[groups] = p;
    counts[groups] = n;
    groups++;
  }
  grouped = groups > 1;
  for (int g = groups - 1; g >= 0; g--) {
    gsize end = ends[g];
    /* each shorter prefix must also end at a boundary ("8 912 345 67 89 2 шт") */
    if (!token_end(t, end, len))
      continue;
    if (counts[g] == 10 && !paren && !ctx_known) {
      ctx = context_before(t, pos);
      ctx_known = TRUE;
    }
    *value = phone_value(digits, counts[g], plus, paren, ctx);
    if (*value)
      return end;
    if (!grouped)
      break;
  }
  return 0;
}

/* ---- SNILS written 123-456-789 01 ---- */

static gsize match_snils_formatted(const char *t, gsize pos, gsize len, char **value)
{
  static const int shape[] = { 3, 3, 3, 2 };
  char d[12];
  gsize p = pos, n = 0;
  *value = NULL;
  for (int g = 0; g < 4; g++) {
    if (g > 0) {
      if (p >= len || !(t[p] == '-' || t[p] == ' ' || (g == 3 && t[p] == '\t')))
        return 0;
      p++;
      if (g == 3 && p < len && t[p] == ' ' && t[p - 1] == '-')
        p++;
    }
    if (digit_run(t, p, MIN(len, p + 4)) != (gsize)shape[g])
      return 0;
    memcpy(d + n, t + p, (gsize)shape[g]);
    n += (gsize)shape[g];
    p += (gsize)shape[g];
  }
  if (!token_end(t, p, len))
    return 0;
  d[11] = '\0';
  *value = g_strdup(d);
  return p;
}

/* ---- numbers at one token start ---- */

/* Tries every number matcher at `pos`. Returns the end of the match, 0 if none. */
static gsize match_number(Sink *s, const char *t, gsize pos, gsize len, gboolean after_numero)
{
  g_autofree char *value = NULL;
  gboolean ok = FALSE;
  gsize used, run, end;

  if (g_ascii_isdigit(t[pos])) {
    run = digit_run(t, pos, len);
    used = okno_number_match(t + pos, len - pos, &value, &ok);
    /* the compact form (only digits) is an appeal number only after "№" */
    if (used && (used != run || after_numero) && token_end(t, pos + used, len)) {
      emit(s, OKNO_ID_APPEAL, g_steal_pointer(&value), ok);
      return pos + used;
    }
    g_clear_pointer(&value, g_free);
    end = match_snils_formatted(t, pos, len, &value);
    if (end) {
      ok = okno_snils_valid(value);
      emit(s, OKNO_ID_SNILS, g_steal_pointer(&value), ok);
      return end;
    }
    /* a bare run of digits, alone between boundaries */
    if (token_end(t, pos + run, len) && (run == 10 || run == 11 || run == 12)) {
      g_autofree char *d = g_strndup(t + pos, run);
      Context ctx = context_before(t, pos);
      if (run == 11 && ctx == CTX_SNILS) {
        ok = okno_snils_valid(d);
        emit(s, OKNO_ID_SNILS, g_steal_pointer(&d), ok);
        return pos + run;
      }
      if (run != 11 && (ctx == CTX_INN || (ctx != CTX_PHONE && okno_inn_valid(d)))) {
        ok = okno_inn_valid(d);
        emit(s, OKNO_ID_INN, g_steal_pointer(&d), ok);
        return pos + run;
      }
    }
  }
  end = match_phone(t, pos, len, &value);
  if (end) {
    emit(s, OKNO_ID_PHONE, g_steal_pointer(&value), TRUE);
    return end;
  }
  return 0;
}

/* ---- e-mail ---- */

static gboolean local_char(char c)
{
  return g_ascii_isalnum(c) || (c && strchr("!#$%&'*+/=?^_`{|}~.-", c));
}

typedef struct {
  gsize start, end;
  char *value;
} Span;

/* The e-mail address around the '@' at `at`, or FALSE. `floor` is where the local
 * part may begin at the earliest (the end of the previous address). */
static gboolean match_email(const char *t, gsize at, gsize len, gsize floor, Span *span)
{
  gsize s = at, e = at + 1, last_dot, label_start;
  gboolean label_ascii = TRUE;
  int letters = 0; /* the kind of letters in the local part: 1 ASCII, 2 other */
  g_autofree char *domain = NULL;

  /* Backwards over the local part: ASCII as RFC 5322 allows, or letters and digits
   * of any script (RFC 6531), but not both kinds of letters: "письмоivan@" is
   * "ivan@". */
  while (s > floor && at - s <= LOCAL_MAX) {
    const char *prev = g_utf8_find_prev_char(t + floor, t + s);
    gunichar c = prev ? g_utf8_get_char(prev) : 0;
    if (!prev || (c < 0x80 ? !local_char((char)c) : !g_unichar_isalnum(c)))
      break;
    if (g_unichar_isalpha(c)) {
      int kind = c < 0x80 ? 1 : 2;
      if (letters && letters != kind)
        break;
      letters = kind;
    }
    s = (gsize)(prev - t);
  }
  if (at - s > LOCAL_MAX)
    return FALSE; /* a longer run than a local part can be */
  while (s < at && t[s] == '.')
    s++;
  if (s == at || t[at - 1] == '.')
    return FALSE;

  label_start = e;
  while (e < len && e - at <= DOMAIN_MAX) {
    gunichar c = g_utf8_get_char(t + e);
    gboolean ascii = c < 0x80;
    if (c == '.') {
      if (e == label_start)
        break;
      label_start = e + 1;
    } else if (c == '-' || (ascii ? g_ascii_isalnum((char)c) : g_unichar_isalnum(c))) {
      if (e == label_start)
        label_ascii = ascii;
      else if (c != '-' && ascii != label_ascii)
        break; /* "mail.ruспасибо": the address ends where the script changes */
    } else {
      break;
    }
    e = (gsize)(g_utf8_next_char(t + e) - t);
  }
  while (e > at + 1 && (t[e - 1] == '.' || t[e - 1] == '-'))
    e--; /* "пишите на a@b.ru." */
  last_dot = 0;
  for (gsize k = at + 1; k < e; k++)
    if (t[k] == '.')
      last_dot = k;
  if (last_dot == 0 || last_dot >= e || e - last_dot < 3 || last_dot == at + 1)
    return FALSE;
  /* the top-level domain is letters */
  for (const char *c = t + last_dot + 1; c < t + e; c = g_utf8_next_char(c))
    if (!g_unichar_isalpha(g_utf8_get_char(c)))
      return FALSE;
  domain = g_utf8_strdown(t + at + 1, (gssize)(e - at - 1));
  span->start = s;
  span->end = e;
  span->value = g_strdup_printf("%.*s@%s", (int)(at - s), t + s, domain);
  return TRUE;
}

static GArray *find_emails(const char *t, gsize len)
{
  GArray *spans = g_array_new(FALSE, FALSE, sizeof(Span));
  gsize floor = 0;
  const char *at = t;
  while ((at = memchr(at, '@', len - (gsize)(at - t)))) {
    Span sp;
    gsize i = (gsize)(at - t);
    if (match_email(t, i, len, floor, &sp)) {
      g_array_append_val(spans, sp);
      floor = sp.end;
      at = t + MAX(sp.end, i + 1);
    } else {
      at++;
    }
  }
  return spans;
}

GPtrArray *okno_extract(const char *text)
{
  static const char numero[] = "\xE2\x84\x96"; /* № */
  g_autofree char *copy = g_utf8_make_valid(text ? text : "", -1);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  Sink sink = { g_ptr_array_new_with_free_func(extracted_free), seen };
  const char *t = copy;
  gsize len = strlen(copy), i = 0;
  guint next_email = 0;
  g_autoptr(GArray) emails = find_emails(t, len);

  while (i < len) {
    Span *em = next_email < emails->len ? &g_array_index(emails, Span, next_email) : NULL;
    gsize limit = em ? em->start : len, end = 0;
    char c = t[i];
    if (em && i >= em->start) {
      emit(&sink, OKNO_ID_EMAIL, em->value, TRUE);
      em->value = NULL;
      i = em->end;
      next_email++;
      continue;
    }
    if (strncmp(t + i, numero, 3) == 0 && token_start(t, i)) {
      gsize j = i + 3, spaces = 0;
      while (j < limit && t[j] == ' ' && spaces++ < 3)
        j++;
      if (j < limit && g_ascii_isdigit(t[j]) && (end = match_number(&sink, t, j, limit, TRUE)))
        i = end;
      else
        i = j;
      continue;
    }
    if ((g_ascii_isdigit(c) || c == '+' || c == '(') && token_start(t, i) &&
        (end = match_number(&sink, t, i, limit, FALSE))) {
      i = end;
      continue;
    }
    i += g_ascii_isdigit(c) ? digit_run(t, i, limit) : 1;
  }
  for (guint k = next_email; k < emails->len; k++)
    g_free(g_array_index(emails, Span, k).value);
  return sink.out;
}
