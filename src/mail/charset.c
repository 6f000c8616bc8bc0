/* mail/charset.c: bytes of a doubtful charset to UTF-8 (the rules are in charset.h).
 *
 * How it works: NUL bytes are removed first. Bytes with high bits that validate as
 * UTF-8 are returned as they are. Otherwise the label is mapped through a small
 * alias table (names mail clients use that iconv does not know) and tried with
 * g_convert(); a conversion error means the label lies. Unlabelled or lying bytes are
 * guessed: Cyrillic text in windows-1251, KOI8-R and ISO-8859-5 differs in which byte
 * ranges hold lower-case letters, so each candidate is scored by how many of its
 * letters come out lower case; Western text is told apart by its isolated high bytes
 * (an accented letter between ASCII letters) where Russian words are runs of them, and
 * then read among the Latin charsets (latin_guess below): uchardet's language models
 * propose one, and each candidate is judged by how many of its decoded high bytes are
 * symbols or control characters standing inside a word, which real text never has
 * (ISO-8859-2 Polish read as windows-1252 puts "¿ ³ ¶" inside words). */
#include "mail/charset.h"

#include <string.h>
#include <uchardet/uchardet.h>

/* Labels seen in mail that glibc iconv does not know under that name. */
static const struct {
  const char *label;
  const char *iconv_name;
} charset_aliases[] = {
  {"ks_c_5601-1987", "CP949"},
  {"ks_c_5601", "CP949"},
  {"gb2312", "GB18030"},
  {"gbk", "GB18030"},
  {"x-gbk", "GB18030"},
  {"iso-8859-8-i", "ISO-8859-8"},
  {"x-mac-cyrillic", "MACCYRILLIC"},
  {"x-cp1251", "CP1251"},
  {"win-1251", "CP1251"},
  {"cp-1251", "CP1251"},
  {"windows-1251", "CP1251"},
  {"windows-1258", "CP1258"},
  {"utf8", "UTF-8"},
  {"unicode-1-1-utf-7", "UTF-7"},
  {"x-unknown", NULL},
  {"unknown-8bit", NULL},
  {"x-user-defined", NULL},
};

/* Drops NUL bytes; returns a newly allocated NUL-terminated copy and its length. */
static char *strip_nuls(const char *bytes, gsize len, gsize *out_len)
{
  char *out = g_malloc(len + 1);
  gsize n = 0;
  for (gsize i = 0; i < len; i++)
    if (bytes[i] != '\0')
      out[n++] = bytes[i];
  out[n] = '\0';
  *out_len = n;
  return out;
}

/* Converts with iconv name `charset`; NULL if it is unknown, the bytes are invalid
 * in it or the result is not valid UTF-8. NULs the conversion produces (UTF-16 and
 * the like) are dropped. */
static char *convert_strict(const char *bytes, gsize len, const char *charset)
{
  gsize written = 0;
  g_autofree char *out = g_convert(bytes, (gssize)len, "UTF-8", charset, NULL, &written, NULL);
  gsize n = 0;
  char *clean;
  if (!out)
    return NULL;
  clean = strip_nuls(out, written, &n);
  if (!g_utf8_validate(clean, (gssize)n, NULL)) { /* iconv's UTF-8 lets some through */
    g_free(clean);
    return NULL;
  }
  return clean;
}

/* Single-byte conversion that survives bytes the table leaves undefined (0x98 in
 * windows-1251): each high byte is converted alone, U+FFFD where it has no meaning. */
static char *convert_bytewise(const char *bytes, gsize len, const char *charset)
{
  GString *s = g_string_sized_new(len * 2 + 1);
  GIConv cd = g_iconv_open("UTF-8", charset);
  for (gsize i = 0; i < len; i++) {
    char in_buf[1] = {bytes[i]}, out_buf[8];
    char *in = in_buf, *out = out_buf;
    gsize in_left = 1, out_left = sizeof out_buf;
    if ((guint8)bytes[i] < 0x80)
      g_string_append_c(s, bytes[i]);
    else if (cd != (GIConv)-1 && g_iconv(cd, &in, &in_left, &out, &out_left) != (gsize)-1)
      g_string_append_len(s, out_buf, (gssize)(sizeof out_buf - out_left));
    else
      g_string_append(s, "\xEF\xBF\xBD");
  }
  if (cd != (GIConv)-1)
    g_iconv_close(cd);
  return g_string_free(s, FALSE);
}

/* Maps a label to an iconv name: trims, drops an RFC 2231 "*language" suffix and
 * looks the alias table up. NULL for labels that say "unknown". */
static char *label_to_iconv(const char *label)
{
  g_autofree char *name = g_ascii_strdown(label, -1);
  char *star = strchr(g_strstrip(name), '*');
  if (star)
    *star = '\0';
  if (!*name)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(charset_aliases); i++)
    if (strcmp(name, charset_aliases[i].label) == 0)
      return g_strdup(charset_aliases[i].iconv_name);
  return g_steal_pointer(&name);
}

/* Shift-JIS: every high byte a valid lead+trail pair or a half-width katakana, at
 * least two pairs, and most leads in 0x81-0x9F (kana and common kanji; in the Russian
 * 8-bit charsets these are punctuation or box drawing, rare in text). */
static gboolean looks_shift_jis(const guint8 *b, gsize len)
{
  gsize pairs = 0, low_leads = 0;
  for (gsize i = 0; i < len; i++) {
    guint8 c = b[i];
    if (c < 0x80 || (c >= 0xA1 && c <= 0xDF))
      continue;
    if (!((c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC)) || i + 1 >= len)
      return FALSE;
    if (!((b[i + 1] >= 0x40 && b[i + 1] <= 0x7E) || (b[i + 1] >= 0x80 && b[i + 1] <= 0xFC)))
      return FALSE;
    pairs++;
    low_leads += c <= 0x9F;
    i++;
  }
  return pairs >= 2 && low_leads * 2 >= pairs;
}

/* GB2312 (EUC-CN): every run of high bytes of even length made of pairs lead A1-F7,
 * trail A1-FE, at least two pairs, and a tenth of the bytes in A1-BF that are no letter in
 * windows-1251 (Chinese trail bytes fall there a third of the time; Russian text has
 * them only as «», №, Ё) -- the Russian charsets are judged first. */
static gboolean looks_gb2312(const guint8 *b, gsize len)
{
  gsize pairs = 0, odd = 0, high = 0;
  for (gsize i = 0; i < len; i++) {
    guint8 c = b[i];
    if (c < 0x80)
      continue;
    if (c < 0xA1 || c > 0xF7 || i + 1 >= len || b[i + 1] < 0xA1 || b[i + 1] > 0xFE)
      return FALSE;
    for (gsize k = i; k <= i + 1; k++) {
      guint8 x = b[k];
      high++;
      if (x >= 0xA1 && x <= 0xBF && x != 0xA8 && x != 0xB8 && x != 0xAB && x != 0xBB &&
          x != 0xB9)
        odd++;
    }
    pairs++;
    i++;
  }
  return pairs >= 2 && odd * 100 >= high * 10;
}

/* The Russian guess below, and whether it is sure: Cyrillic words in a Russian charset
 * are mostly lower case in it. */
static const char *guess_russian(const char *bytes, gsize len, gboolean *sure);
static const char *latin_guess(const char *bytes, gsize len);

const char *okno_charset_guess(const char *bytes, gsize len)
{
  gboolean sure = FALSE;
  const char *ru = guess_russian(bytes, len, &sure);
  if (sure)
    return ru;
  if (looks_shift_jis((const guint8 *)bytes, len))
    return "shift_jis";
  if (looks_gb2312((const guint8 *)bytes, len))
    return "gb2312";
  return strcmp(ru, "iso-8859-1") == 0 ? latin_guess(bytes, len) : ru;
}

static const char *guess_russian(const char *bytes, gsize len, gboolean *sure)
{
  /* Lower-case letter counts per candidate: cp1251 has lower case at E0-FF (and B8 ё),
   * KOI8-R at C0-DF (and A3 ё), ISO-8859-5 at D0-EF (and F1 ё). */
  gsize low1251 = 0, lowkoi = 0, low88595 = 0, letters = 0, high = 0, runs = 0, mixed = 0;
  for (gsize i = 0; i < len; i++) {
    guint8 c = (guint8)bytes[i];
    if (c < 0x80)
      continue;
    high++;
    if (c >= 0xB0 || c == 0xA8 || c == 0xA3)
      letters++;
    if (c >= 0xE0 || c == 0xB8)
      low1251++;
    if ((c >= 0xC0 && c <= 0xDF) || c == 0xA3)
      lowkoi++;
    if ((c >= 0xD0 && c <= 0xEF) || c == 0xF1)
      low88595++;
    if (i + 1 < len && (guint8)bytes[i + 1] >= 0xB0 && c >= 0xB0)
      runs++;
    if ((i > 0 && g_ascii_isalpha(bytes[i - 1])) || (i + 1 < len && g_ascii_isalpha(bytes[i + 1])))
      mixed++;
  }
  /* Russian words are runs of high bytes; Western text has mostly isolated ones, and
   * in Latin text of any kind (a Polish pangram has runs too) most high bytes touch an
   * ASCII letter of their word, which Russian words never hold. */
  if (high == 0 || letters * 2 < high || runs * 2 < high || mixed * 2 > high)
    return "iso-8859-1";
  /* sure when the winner's lower case is at least three quarters of the high bytes */
  if (lowkoi > low1251 && lowkoi >= low88595) {
    *sure = lowkoi * 4 >= high * 3;
    return "koi8-r";
  }
  if (low88595 > low1251 && low88595 > lowkoi) {
    *sure = low88595 * 4 >= high * 3;
    return "iso-8859-5";
  }
  *sure = low1251 * 4 >= high * 3;
  return "windows-1251";
}

/* The Latin charsets rule 3 chooses among, in the order ties go: the Western one first
 * (the most common), then Central European (Polish, Czech, Slovak, Hungarian ...),
 * Baltic and Turkish. ISO-8859-1 is not listed: windows-1252 decodes everything it
 * does, and more (its 0x80-0x9F are typographic quotes and dashes, not controls). */
static const char *const latin_charsets[] = {
  "windows-1252", "windows-1250", "iso-8859-2", "iso-8859-15", "windows-1257", "iso-8859-13",
  "windows-1254", "iso-8859-9", "iso-8859-4", "iso-8859-3", "iso-8859-16",
};

/* How wrong `utf8` looks as Latin text: each C1 control counts 3; each non-ASCII
 * character that is no letter counts 2 when it stands between two letters ("Pro¶ba",
 * "ja¼ñ") and 1 when it ends a word ("gęśl±"), but for the marks ™ ® © that follow
 * names. */
static gsize latin_penalty(const char *utf8)
{
  gsize penalty = 0;
  gunichar prev = 0;
  for (const char *p = utf8; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    const char *next = g_utf8_next_char(p);
    if (c >= 0x80 && c < 0xA0)
      penalty += 3;
    else if (c >= 0x80 && !g_unichar_isalpha(c) && g_unichar_isalpha(prev) &&
             c != 0x2122 && c != 0xAE && c != 0xA9)
      penalty += *next && g_unichar_isalpha(g_utf8_get_char(next)) ? 2 : 1;
    prev = c;
  }
  return penalty;
}

/* Rule 3 for Western-looking bytes: the candidate with the lowest latin_penalty, where
 * uchardet's proposal (when it names one of latin_charsets) is tried first and so wins
 * ties. Returns a static iconv name. */
static const char *latin_guess(const char *bytes, gsize len)
{
  const char *best = latin_charsets[0], *proposal = NULL;
  gsize best_penalty = G_MAXSIZE;
  uchardet_t ud = uchardet_new();
  if (ud && uchardet_handle_data(ud, bytes, len) == 0) {
    uchardet_data_end(ud);
    for (gsize i = 0; i < G_N_ELEMENTS(latin_charsets); i++)
      if (g_ascii_strcasecmp(uchardet_get_charset(ud), latin_charsets[i]) == 0)
        proposal = latin_charsets[i];
  }
  if (ud)
    uchardet_delete(ud);
  for (gssize i = proposal ? -1 : 0; i < (gssize)G_N_ELEMENTS(latin_charsets); i++) {
    const char *cs = i < 0 ? proposal : latin_charsets[i];
    g_autofree char *text = convert_strict(bytes, len, cs);
    gsize penalty = text ? latin_penalty(text) : G_MAXSIZE;
    if (penalty < best_penalty) {
      best = cs;
      best_penalty = penalty;
    }
  }
  return best;
}

char *okno_charset_to_utf8(const char *bytes, gsize len, const char *label)
{
  gsize n = 0;
  g_autofree char *clean = strip_nuls(bytes ? bytes : "", bytes ? len : 0, &n);
  gboolean ascii = TRUE;
  const char *guess;
  char *out;

  for (gsize i = 0; i < n && ascii; i++)
    ascii = (guint8)clean[i] < 0x80;
  /* Rule 1; pure ASCII still goes through a label so that 7-bit encodings
   * (ISO-2022-JP, UTF-7) are decoded. */
  if (!ascii && g_utf8_validate(clean, (gssize)n, NULL))
    return g_steal_pointer(&clean);
  if (label && *label) { /* rule 2 */
    g_autofree char *name = label_to_iconv(label);
    if (name && (out = convert_strict(clean, n, name)))
      return out;
  }
  if (ascii)
    return g_steal_pointer(&clean);
  guess = okno_charset_guess(clean, n); /* rule 3 */
  if ((out = convert_strict(clean, n, guess)))
    return out;
  return convert_bytewise(clean, n, guess);
}
