/* lookalike.c: compares a host name with the portal's domains (see lookalike.h).
 *
 * How it works: the host is lowercased and brought to its ASCII (punycode) form and
 * its decoded Unicode form with GLib's IDN functions; every xn-- label is checked to
 * decode to a real non-ASCII label that re-encodes to itself. The Unicode form is
 * reduced to a skeleton (NFKC, case fold, confusables table below), split into
 * labels, and the registrable label is found left of the public suffix. Each portal
 * domain goes through the same steps, and the rules of lookalike.h are tried in
 * order against every portal domain; the earliest rule that holds for any of them
 * gives the kind. Labels are at most 63 characters, so the edit distance (plain
 * Levenshtein over code points, two rows) is cheap. */
#include "check/lookalike.h"

#include <string.h>

#define HOST_MAX_BYTES 253
#define LABEL_MAX_CHARS 63
#define EMBED_MIN_CHARS 4

/* Second-level public suffixes we know of (the rest are taken as one label). */
static const char *const second_level_suffixes[] = {
  "com.ru", "net.ru", "org.ru", "pp.ru", "gov.ru", "edu.ru", "msk.ru", "spb.ru",
  "com.ua", "org.ua", "gov.ua", "co.uk", "org.uk", "gov.uk", "ac.uk", "co.jp",
  "com.au", "com.br", "com.cn", "com.tr", "co.il", "com.kz", "gov.kz", "gov.by",
};

/* Characters that read as a Latin letter (after NFKC and case folding). Cyrillic and
 * Greek lookalikes, dotless i, and the digits people use for letters. */
static const struct {
  gunichar from;
  char to;
} confusables[] = {
  {0x0430, 'a'}, {0x0432, 'b'}, {0x0433, 'r'}, {0x0435, 'e'}, {0x0451, 'e'},
  {0x043A, 'k'}, {0x043C, 'm'}, {0x043D, 'h'}, {0x043E, 'o'}, {0x043F, 'n'},
  {0x0440, 'p'}, {0x0441, 'c'}, {0x0442, 't'}, {0x0443, 'y'}, {0x0445, 'x'},
  {0x044C, 'b'}, {0x0455, 's'}, {0x0456, 'i'}, {0x0457, 'i'}, {0x0458, 'j'},
  {0x0501, 'd'}, {0x051B, 'q'}, {0x051D, 'w'}, {0x04BB, 'h'}, {0x04CF, 'l'},
  {0x0261, 'g'}, {0x0131, 'i'}, {0x03B1, 'a'}, {0x03BF, 'o'}, {0x03BD, 'v'},
  {0x03C1, 'p'}, {0x03C4, 't'}, {0x03C5, 'u'}, {0x03B9, 'i'}, {0x03BA, 'k'},
  {0x03B5, 'e'}, {'0', 'o'}, {'1', 'l'},
};

/* One host brought to the forms the rules compare. */
typedef struct {
  char *ascii;      /* punycode form, lowercase, no trailing dot ("" if none) */
  char *display;    /* decoded Unicode form */
  char *skel;       /* skeleton of the whole name */
  char **labels;    /* skeleton labels */
  guint n_labels;
  guint reg;        /* index of the registrable label */
  char *suffix;     /* skeleton of the public suffix ("" if none) */
  gboolean punycode, invalid_idn, mixed_script;
} Forms;

static void forms_clear(Forms *f)
{
  g_free(f->ascii);
  g_free(f->display);
  g_free(f->skel);
  g_strfreev(f->labels);
  g_free(f->suffix);
}

char *okno_skeleton(const char *s)
{
  g_autofree char *nfkc = g_utf8_normalize(s, -1, G_NORMALIZE_NFKC);
  g_autofree char *folded = g_utf8_casefold(nfkc ? nfkc : "", -1);
  GString *out = g_string_sized_new(strlen(folded));
  for (const char *p = folded; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    gboolean mapped = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(confusables) && !mapped; i++)
      if (confusables[i].from == c) {
        g_string_append_c(out, confusables[i].to);
        mapped = TRUE;
      }
    if (!mapped)
      g_string_append_unichar(out, c);
  }
  return g_string_free(out, FALSE);
}

/* TRUE when one label holds letters of two scripts (Common/Inherited ignored). */
static gboolean label_mixes_scripts(const char *label)
{
  GUnicodeScript first = G_UNICODE_SCRIPT_INVALID_CODE;
  for (const char *p = label; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    GUnicodeScript s;
    if (!g_unichar_isalpha(c))
      continue;
    s = g_unichar_get_script(c);
    if (s == G_UNICODE_SCRIPT_COMMON || s == G_UNICODE_SCRIPT_INHERITED)
      continue;
    if (first == G_UNICODE_SCRIPT_INVALID_CODE)
      first = s;
    else if (s != first)
      return TRUE;
  }
  return FALSE;
}

/* `s` with every invisible or control character (format, separators, controls)
 * replaced by U+FFFD. Caller frees. */
static char *visible(const char *s)
{
  GString *out = g_string_sized_new(strlen(s));
  for (const char *p = s; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    GUnicodeType t = g_unichar_type(c);
    gboolean hidden = t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT || t == G_UNICODE_LINE_SEPARATOR ||
                      t == G_UNICODE_PARAGRAPH_SEPARATOR || t == G_UNICODE_SPACE_SEPARATOR;
    g_string_append_unichar(out, hidden ? 0xFFFD : c);
  }
  return g_string_free(out, FALSE);
}

/* An xn-- label is valid when it decodes to a non-ASCII label of letters, marks,
 * digits and hyphens that encodes back to itself. */
static gboolean idn_label_valid(const char *label)
{
  g_autofree char *uni = g_hostname_to_unicode(label);
  g_autofree char *back = NULL;
  if (!uni || !*uni || g_str_is_ascii(uni) || !g_utf8_validate(uni, -1, NULL))
    return FALSE;
  for (const char *p = uni; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (!g_unichar_isalnum(c) && !g_unichar_ismark(c) && c != '-')
      return FALSE;
  }
  back = g_hostname_to_ascii(uni);
  return back && g_ascii_strcasecmp(back, label) == 0;
}

static void forms_init(Forms *f, const char *host)
{
  gsize len = host ? strnlen(host, HOST_MAX_BYTES) : 0;
  g_autofree char *valid = g_utf8_make_valid(host ? host : "", (gssize)len);
  g_autofree char *lower = g_utf8_strdown(g_strstrip(valid), -1);
  g_auto(GStrv) ascii_labels = NULL;
  gsize n = strlen(lower);

  memset(f, 0, sizeof *f);
  while (n > 0 && lower[n - 1] == '.')
    lower[--n] = '\0';
  f->ascii = g_hostname_to_ascii(lower);
  if (!f->ascii)
    f->ascii = g_strdup(lower);
  ascii_labels = g_strsplit(f->ascii, ".", -1);
  for (char **l = ascii_labels; *l; l++)
    if (g_ascii_strncasecmp(*l, "xn--", 4) == 0) {
      f->punycode = TRUE;
      if (!idn_label_valid(*l))
        f->invalid_idn = TRUE;
    }
  f->display = g_hostname_to_unicode(f->ascii);
  if (!f->display || !g_utf8_validate(f->display, -1, NULL)) {
    g_free(f->display);
    f->display = g_strdup(lower);
  }
  /* Decoded punycode may hold anything: invisible and control characters (a
   * right-to-left override) would deceive the reader of the display form. */
  {
    char *shown = visible(f->display);
    g_free(f->display);
    f->display = shown;
  }
  f->skel = okno_skeleton(f->display);
  f->labels = g_strsplit(f->skel, ".", -1);
  f->n_labels = g_strv_length(f->labels);
  {
    g_auto(GStrv) shown = g_strsplit(f->display, ".", -1);
    g_autofree char *nfkc = NULL;
    for (char **l = shown; *l && !f->mixed_script; l++) {
      nfkc = g_utf8_normalize(*l, -1, G_NORMALIZE_NFKC);
      f->mixed_script = nfkc && label_mixes_scripts(nfkc);
      g_clear_pointer(&nfkc, g_free);
    }
  }
  if (f->n_labels >= 3) {
    g_autofree char *last2 =
      g_strconcat(f->labels[f->n_labels - 2], ".", f->labels[f->n_labels - 1], NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(second_level_suffixes); i++)
      if (strcmp(last2, second_level_suffixes[i]) == 0) {
        f->reg = f->n_labels - 3;
        f->suffix = g_steal_pointer(&last2);
        return;
      }
  }
  if (f->n_labels >= 2) {
    f->reg = f->n_labels - 2;
    f->suffix = g_strdup(f->labels[f->n_labels - 1]);
  } else {
    f->reg = 0;
    f->suffix = g_strdup("");
  }
}

/* Levenshtein distance over code points; labels longer than LABEL_MAX_CHARS give
 * G_MAXINT (no DNS label is that long). */
static int edit_distance(const char *a, const char *b)
{
  gunichar ua[LABEL_MAX_CHARS], ub[LABEL_MAX_CHARS];
  int row[LABEL_MAX_CHARS + 1];
  glong la = g_utf8_strlen(a, -1), lb = g_utf8_strlen(b, -1);
  const char *p;
  if (la > LABEL_MAX_CHARS || lb > LABEL_MAX_CHARS)
    return G_MAXINT;
  p = a;
  for (glong i = 0; i < la; i++, p = g_utf8_next_char(p))
    ua[i] = g_utf8_get_char(p);
  p = b;
  for (glong i = 0; i < lb; i++, p = g_utf8_next_char(p))
    ub[i] = g_utf8_get_char(p);
  for (glong j = 0; j <= lb; j++)
    row[j] = (int)j;
  for (glong i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (glong j = 1; j <= lb; j++) {
      int up = row[j];
      int best = diag + (ua[i - 1] == ub[j - 1] ? 0 : 1);
      best = MIN(best, up + 1);
      best = MIN(best, row[j - 1] + 1);
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

/* The edit distance tolerated for a portal label of this many characters. */
static int typo_budget(const char *label)
{
  glong n = g_utf8_strlen(label, -1);
  return n >= 8 ? 2 : n >= 5 ? 1 : 0;
}

static gboolean near(const char *token, const char *portal_label)
{
  int budget = typo_budget(portal_label);
  glong lt = g_utf8_strlen(token, -1), lp = g_utf8_strlen(portal_label, -1);
  if (ABS(lt - lp) > budget)
    return FALSE;
  return edit_distance(token, portal_label) <= budget;
}

static gboolean is_subdomain_or_same(const char *host, const char *domain)
{
  gsize lh = strlen(host), ld = strlen(domain);
  if (ld == 0 || lh < ld)
    return FALSE;
  if (lh == ld)
    return strcmp(host, domain) == 0;
  return host[lh - ld - 1] == '.' && strcmp(host + lh - ld, domain) == 0;
}

/* The portal label (or a near miss of it) inside a label left of the suffix. */
static gboolean embeds(const Forms *h, const char *portal_label)
{
  if (g_utf8_strlen(portal_label, -1) < EMBED_MIN_CHARS)
    return FALSE;
  for (guint i = 0; i <= h->reg && i < h->n_labels; i++) {
    g_auto(GStrv) tokens = NULL;
    if (strstr(h->labels[i], portal_label))
      return TRUE;
    tokens = g_strsplit_set(h->labels[i], "-_", -1);
    for (char **t = tokens; *t; t++)
      if (**t && near(*t, portal_label))
        return TRUE;
  }
  return FALSE;
}

/* The kind `h` has against one portal domain (OTHER if none). */
static OknoHostKind judge_one(const Forms *h, const Forms *p)
{
  const char *hl, *pl;
  if (!*p->ascii || !*h->ascii)
    return OKNO_HOST_OTHER;
  if (is_subdomain_or_same(h->ascii, p->ascii))
    return OKNO_HOST_PORTAL;
  if (is_subdomain_or_same(h->skel, p->skel))
    return OKNO_HOST_HOMOGLYPH;
  hl = h->labels[h->reg];
  pl = p->labels[p->reg];
  if (!*pl || p->n_labels < 2 || h->n_labels < 2)
    return OKNO_HOST_OTHER;
  if (strcmp(hl, pl) == 0 && strcmp(h->suffix, p->suffix) != 0)
    return OKNO_HOST_OTHER_TLD;
  if (strcmp(hl, pl) != 0 && near(hl, pl))
    return OKNO_HOST_TYPO;
  if (embeds(h, pl))
    return OKNO_HOST_EMBEDDED;
  return OKNO_HOST_OTHER;
}

struct OknoPortalSet {
  guint n;
  char **domains;  /* as configured */
  Forms *forms;
};

OknoPortalSet *okno_portal_set_new(const char *const *portal_domains)
{
  OknoPortalSet *set = g_new0(OknoPortalSet, 1);
  set->domains = g_strdupv((char **)portal_domains);
  set->n = set->domains ? g_strv_length(set->domains) : 0;
  set->forms = g_new0(Forms, MAX(set->n, 1));
  for (guint i = 0; i < set->n; i++)
    forms_init(&set->forms[i], set->domains[i]);
  return set;
}

void okno_portal_set_free(OknoPortalSet *set)
{
  if (!set)
    return;
  for (guint i = 0; i < set->n; i++)
    forms_clear(&set->forms[i]);
  g_free(set->forms);
  g_strfreev(set->domains);
  g_free(set);
}

void okno_host_judge(const char *host, const OknoPortalSet *portal, OknoHostJudgement *out)
{
  Forms h;
  forms_init(&h, host);
  memset(out, 0, sizeof *out);
  out->kind = OKNO_HOST_OTHER;
  for (guint i = 0; portal && i < portal->n; i++) {
    OknoHostKind k = judge_one(&h, &portal->forms[i]);
    /* The enum lists the rules in their order, OTHER first: lower non-zero wins. */
    if (k != OKNO_HOST_OTHER && (out->kind == OKNO_HOST_OTHER || k < out->kind)) {
      out->kind = k;
      g_free(out->portal_domain);
      out->portal_domain = g_strdup(portal->domains[i]);
    }
  }
  out->display = g_steal_pointer(&h.display);
  out->punycode = h.punycode;
  out->invalid_idn = h.invalid_idn;
  out->mixed_script = h.mixed_script;
  forms_clear(&h);
}

gboolean okno_portal_named_in(const OknoPortalSet *portal, const char *text)
{
  g_autofree char *skel = NULL;
  if (!text || !*text || !portal)
    return FALSE;
  skel = okno_skeleton(text);
  for (guint i = 0; i < portal->n; i++) {
    const Forms *p = &portal->forms[i];
    if (*p->skel && strstr(skel, p->skel))
      return TRUE;
    if (p->n_labels >= 2 && g_utf8_strlen(p->labels[p->reg], -1) >= EMBED_MIN_CHARS &&
        strstr(skel, p->labels[p->reg]))
      return TRUE;
  }
  return FALSE;
}

void okno_host_judgement_clear(OknoHostJudgement *j)
{
  g_clear_pointer(&j->portal_domain, g_free);
  g_clear_pointer(&j->display, g_free);
}

gboolean okno_host_kind_is_lookalike(OknoHostKind kind)
{
  return kind == OKNO_HOST_HOMOGLYPH || kind == OKNO_HOST_OTHER_TLD || kind == OKNO_HOST_TYPO ||
         kind == OKNO_HOST_EMBEDDED;
}

char *okno_host_registrable(const char *host)
{
  Forms f;
  GString *out;
  forms_init(&f, host);
  out = g_string_new(NULL);
  if (f.n_labels >= 2) {
    /* The registrable domain in ASCII form: the same labels of the punycode name. */
    g_auto(GStrv) ascii = g_strsplit(f.ascii, ".", -1);
    guint n = g_strv_length(ascii);
    if (n == f.n_labels)
      for (guint i = f.reg; i < n; i++)
        g_string_append_printf(out, "%s%s", i > f.reg ? "." : "", ascii[i]);
  }
  forms_clear(&f);
  return g_string_free(out, FALSE);
}
