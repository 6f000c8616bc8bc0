/* answers.c: the chat bot's configured answers: parsing and lookup (see answers.h). */
#include "text/answers.h"

#include <string.h>

#include "core/error.h"

typedef struct {
  GPtrArray *keywords; /* normalised, char* */
  char *answer;
} Pair;

struct OknoAnswers {
  GPtrArray *pairs; /* Pair* */
};

static void pair_free(Pair *p)
{
  g_ptr_array_unref(p->keywords);
  g_free(p->answer);
  g_free(p);
}

void okno_answers_free(OknoAnswers *a)
{
  if (!a)
    return;
  g_ptr_array_unref(a->pairs);
  g_free(a);
}

guint okno_answers_count(const OknoAnswers *a)
{
  return a ? a->pairs->len : 0;
}

char *okno_answers_normalise(const char *text)
{
  g_autofree char *folded = g_utf8_casefold(text, -1);
  GString *out = g_string_sized_new(strlen(folded));
  for (const char *p = folded; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    g_string_append_unichar(out, c == 0x451 ? 0x435 : c); /* ё -> е */
  }
  return g_string_free(out, FALSE);
}

static char *unescape(const char *s)
{
  GString *out = g_string_new(NULL);
  for (; *s; s++) {
    if (s[0] == '\\' && s[1] == 'n') {
      g_string_append_c(out, '\n');
      s++;
    } else {
      g_string_append_c(out, *s);
    }
  }
  return g_string_free(out, FALSE);
}

static gboolean parse_line(OknoAnswers *a, char *line, guint no, GError **error)
{
  char *eq = strchr(line, '=');
  g_auto(GStrv) words = NULL;
  g_autofree char *answer = NULL;
  Pair *p;
  if (!eq) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "line %u: no '=' between the keywords and the answer", no);
    return FALSE;
  }
  *eq = '\0';
  answer = unescape(g_strstrip(eq + 1));
  if (!*answer) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "line %u: the answer is empty", no);
    return FALSE;
  }
  p = g_new0(Pair, 1);
  p->keywords = g_ptr_array_new_with_free_func(g_free);
  words = g_strsplit(line, ",", -1);
  for (guint i = 0; words[i]; i++) {
    char *w = g_strstrip(words[i]);
    if (*w)
      g_ptr_array_add(p->keywords, okno_answers_normalise(w));
  }
  if (p->keywords->len == 0) {
    pair_free(p);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "line %u: no keyword before '='", no);
    return FALSE;
  }
  p->answer = g_steal_pointer(&answer);
  g_ptr_array_add(a->pairs, p);
  return TRUE;
}

OknoAnswers *okno_answers_parse(const char *text, gsize len, GError **error)
{
  OknoAnswers *a = g_new0(OknoAnswers, 1);
  gsize pos = 0;
  guint no = 0;
  a->pairs = g_ptr_array_new_with_free_func((GDestroyNotify)pair_free);
  if (!g_utf8_validate_len(text, len, NULL) || memchr(text, '\0', len)) {
    const char *end = NULL;
    guint bad = 1;
    g_utf8_validate_len(text, len, &end);
    for (const char *p = text; end && p < end; p++)
      bad += *p == '\n';
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "line %u: not UTF-8 text", bad);
    okno_answers_free(a);
    return NULL;
  }
  while (pos < len) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    gsize end = nl ? (gsize)(nl - text) : len;
    g_autofree char *line = NULL;
    char *s;
    no++;
    if (end - pos > OKNO_ANSWERS_MAX_LINE) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "line %u: longer than %d bytes", no,
                  OKNO_ANSWERS_MAX_LINE);
      okno_answers_free(a);
      return NULL;
    }
    line = g_strndup(text + pos, end - pos);
    pos = end + 1;
    s = g_strstrip(line);
    if (!*s || *s == '#')
      continue;
    if (a->pairs->len >= OKNO_ANSWERS_MAX_PAIRS) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "line %u: more than %d answers", no,
                  OKNO_ANSWERS_MAX_PAIRS);
      okno_answers_free(a);
      return NULL;
    }
    if (!parse_line(a, s, no, error)) {
      okno_answers_free(a);
      return NULL;
    }
  }
  return a;
}

/* Whether `kw` begins a word of `q` (both normalised). */
static gboolean begins_word(const char *q, const char *kw)
{
  gsize n = strlen(kw);
  for (const char *p = strstr(q, kw); p; p = strstr(p + 1, kw)) {
    if (p == q || !g_unichar_isalnum(g_utf8_get_char(g_utf8_prev_char(p))))
      return TRUE;
    if (!p[1] || n == 0)
      break;
  }
  return FALSE;
}

const char *okno_answers_find(const OknoAnswers *a, const char *question)
{
  g_autofree char *q = NULL;
  const Pair *best = NULL;
  guint best_score = 0;
  if (!a || !question)
    return NULL;
  q = okno_answers_normalise(question);
  for (guint i = 0; i < a->pairs->len; i++) {
    const Pair *p = a->pairs->pdata[i];
    guint score = 0;
    for (guint k = 0; k < p->keywords->len; k++)
      score += begins_word(q, p->keywords->pdata[k]);
    if (score > best_score) {
      best_score = score;
      best = p;
    }
  }
  return best ? best->answer : NULL;
}
