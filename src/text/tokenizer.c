/* tokenizer.c: words, stems and the FTS5 tokenizer "okno_ru" (contract: tokenizer.h).
 *
 * okno_text_scan() is the one normaliser. It walks the bytes: ASCII letters and digits
 * and the two-byte UTF-8 forms of А-Я, а-я, Ё, ё make words, anything else (including
 * invalid UTF-8) separates them, so it needs no decoder and cannot be confused by bad
 * input. A word is folded into a capped stack buffer (ASCII and Russian lowercase,
 * ё -> е: the same bytes the PostgreSQL schema's okno_search_text() produces with
 * translate()), classified the way PostgreSQL's parser types it (numword/uint ->
 * "simple", asciiword -> english_stem, word -> russian_stem, as the `russian` text
 * search configuration maps them), checked against the stop list of its dictionary and
 * stemmed with libstemmer (Snowball, the stemmer PostgreSQL's dictionaries are built
 * from). The stop lists are PostgreSQL 15's russian.stop and english.stop, sorted by
 * bytes for bsearch.
 *
 * The FTS5 tokenizer wraps unicode61 (remove_diacritics 0: it must not turn й into и)
 * to find spans and runs each span through okno_text_scan(); documents and queries go
 * through the same path, so a query word always meets the term it was indexed as. */
#include "text/tokenizer.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define WORD_MAX 2047   /* PostgreSQL drops longer words (MAXSTRLEN) */
#define STEM_MAX 1000   /* PostgreSQL leaves longer words unstemmed */

static const char *const russian_stop[] = {
  "а", "без", "более", "больше", "будет", "будто", "бы", "был", "была", "были", "было",
  "быть", "в", "вам", "вас", "вдруг", "ведь", "во", "вот", "впрочем", "все", "всегда",
  "всего", "всех", "всю", "вы", "где", "да", "даже", "два", "для", "до", "другой", "его",
  "ее", "ей", "ему", "если", "есть", "еще", "ж", "же", "за", "зачем", "здесь", "и", "из",
  "или", "им", "иногда", "их", "к", "как", "какая", "какой", "когда", "конечно", "кто",
  "куда", "ли", "лучше", "между", "меня", "мне", "много", "может", "можно", "мой", "моя",
  "мы", "на", "над", "надо", "наконец", "нас", "не", "него", "нее", "ней", "нельзя",
  "нет", "ни", "нибудь", "никогда", "ним", "них", "ничего", "но", "ну", "о", "об",
  "один", "он", "она", "они", "опять", "от", "перед", "по", "под", "после", "потом",
  "потому", "почти", "при", "про", "раз", "разве", "с", "сам", "свою", "себе", "себя",
  "сейчас", "со", "совсем", "так", "такой", "там", "тебя", "тем", "теперь", "то",
  "тогда", "того", "тоже", "только", "том", "тот", "три", "тут", "ты", "у", "уж", "уже",
  "хорошо", "хоть", "чего", "чем", "через", "что", "чтоб", "чтобы", "чуть", "эти",
  "этого", "этой", "этом", "этот", "эту", "я",
};

static const char *const english_stop[] = {
  "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any",
  "are", "as", "at", "be", "because", "been", "before", "being", "below", "between",
  "both", "but", "by", "can", "did", "do", "does", "doing", "don", "down", "during",
  "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
  "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into",
  "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor",
  "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
  "ourselves", "out", "over", "own", "s", "same", "she", "should", "so", "some", "such",
  "t", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there",
  "these", "they", "this", "those", "through", "to", "too", "under", "until", "up",
  "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
  "why", "will", "with", "you", "your", "yours", "yourself", "yourselves",
};

/* The stems of recent words, so that a text scanned again (intake tokenises each
 * appeal for its search terms, its knowledge-base query and its SLA class) and the
 * words every appeal repeats are stemmed once: a direct-mapped table of STEM_SLOTS
 * entries, a slot per hash of the folded word, the newest word replacing the one in
 * its slot. A word or stem longer than STEM_CACHED bytes is never cached. The language
 * needs no field: a word of ASCII letters only goes to the English stemmer, any other
 * to the Russian one, so the word's bytes say which stemmed it. */
#define STEM_SLOTS 4096
#define STEM_CACHED 46

typedef struct {
  guint8 word_len; /* 0: an empty slot */
  guint8 stem_len;
  char word[STEM_CACHED];
  char stem[STEM_CACHED];
} StemSlot;

struct OknoStemmer {
  struct sb_stemmer *ru, *en;
  StemSlot *cache; /* STEM_SLOTS entries, made at the first stem */
};

OknoStemmer *okno_stemmer_new(void)
{
  OknoStemmer *s = g_new0(OknoStemmer, 1);
  s->ru = sb_stemmer_new("russian", "UTF_8");
  s->en = sb_stemmer_new("english", "UTF_8");
  if (!s->ru || !s->en)
    g_error("libstemmer: cannot create the Russian and English stemmers");
  return s;
}

void okno_stemmer_free(OknoStemmer *s)
{
  if (!s)
    return;
  sb_stemmer_delete(s->ru);
  sb_stemmer_delete(s->en);
  g_free(s->cache);
  g_free(s);
}

static GPrivate thread_stemmer = G_PRIVATE_INIT((GDestroyNotify)okno_stemmer_free);

OknoStemmer *okno_stemmer_thread(void)
{
  OknoStemmer *s = g_private_get(&thread_stemmer);
  if (!s) {
    s = okno_stemmer_new();
    g_private_set(&thread_stemmer, s);
  }
  return s;
}

/* The stem of word[0..len) by `stem` (s->ru or s->en, as the word's bytes say), through
 * the cache; sets *out_len. The pointer is valid until the next call on `s`. */
static const char *stem_word(OknoStemmer *s, struct sb_stemmer *stem, const char *word,
                             gsize len, gsize *out_len)
{
  const sb_symbol *r;
  StemSlot *slot = NULL;
  if (len <= STEM_CACHED) {
    guint32 h = 2166136261u; /* FNV-1a */
    for (gsize i = 0; i < len; i++)
      h = (h ^ (guint8)word[i]) * 16777619u;
    if (!s->cache)
      s->cache = g_new0(StemSlot, STEM_SLOTS);
    slot = &s->cache[h & (STEM_SLOTS - 1)];
    if (slot->word_len == len && memcmp(slot->word, word, len) == 0) {
      *out_len = slot->stem_len;
      return slot->stem;
    }
  }
  r = sb_stemmer_stem(stem, (const sb_symbol *)word, (int)len);
  if (!r)
    g_error("libstemmer: out of memory");
  *out_len = (gsize)sb_stemmer_length(stem);
  if (slot && len > 0 && *out_len <= STEM_CACHED) {
    slot->word_len = (guint8)len;
    slot->stem_len = (guint8)*out_len;
    memcpy(slot->word, word, len);
    memcpy(slot->stem, r, *out_len);
  }
  return (const char *)r;
}

typedef struct {
  const char *word;
  gsize len;
} Key;

static int cmp_stop(const void *k, const void *elem)
{
  const Key *key = k;
  const char *w = *(const char *const *)elem;
  gsize wl = strlen(w);
  int c = memcmp(key->word, w, MIN(key->len, wl));
  return c ? c : (key->len > wl) - (key->len < wl);
}

static gboolean is_stop(const char *const *list, gsize n, const char *word, gsize len)
{
  Key k = {word, len};
  return bsearch(&k, list, n, sizeof *list, cmp_stop) != NULL;
}

/* Length of the word character at p (1 or 2 bytes), 0 if p does not start one. */
static gsize word_char(const unsigned char *p, const unsigned char *end)
{
  if (g_ascii_isalnum(*p))
    return 1;
  if (p + 1 < end && p[1] >= 0x80 && p[1] <= 0xBF &&
      ((p[0] == 0xD0 && (p[1] == 0x81 || p[1] >= 0x90)) ||          /* Ё, А-п */
       (p[0] == 0xD1 && (p[1] <= 0x8F || p[1] == 0x91))))           /* р-я, ё */
    return 2;
  return 0;
}

/* Appends the folded form of the word character at p to out; returns its length. */
static gsize fold_char(const unsigned char *p, gsize n, char *out)
{
  if (n == 1) {
    out[0] = g_ascii_tolower(p[0]);
    return 1;
  }
  if ((p[0] == 0xD0 && p[1] == 0x81) || (p[0] == 0xD1 && p[1] == 0x91)) { /* Ё, ё -> е */
    out[0] = (char)0xD0;
    out[1] = (char)0xB5;
  } else if (p[0] == 0xD0 && p[1] <= 0x9F) {                              /* А-П */
    out[0] = (char)0xD0;
    out[1] = (char)(p[1] + 0x20);
  } else if (p[0] == 0xD0 && p[1] <= 0xAF) {                              /* Р-Я */
    out[0] = (char)0xD1;
    out[1] = (char)(p[1] - 0x20);
  } else {
    out[0] = (char)p[0];
    out[1] = (char)p[1];
  }
  return 2;
}

/* The scan of okno_text_scan and okno_text_scan_all: a stop word is skipped, or with
 * keep_stop handed to f unstemmed, t->stop set. */
static int scan(OknoStemmer *s, const char *text, gsize len, gboolean keep_stop,
                OknoTermFunc f, void *user)
{
  const unsigned char *p = (const unsigned char *)text, *end = p + len;
  char buf[WORD_MAX];

  while (p < end) {
    const unsigned char *start = p;
    gsize n, wlen = 0;
    gboolean digit = FALSE, ascii = TRUE, fits = TRUE;
    OknoTerm t;
    int rc;

    if (!(n = word_char(p, end))) {
      p++;
      continue;
    }
    for (; p < end && (n = word_char(p, end)); p += n) {
      digit |= g_ascii_isdigit(*p);
      ascii &= n == 1;
      if (wlen + n >= sizeof buf)
        fits = FALSE;
      else
        wlen += fold_char(p, n, buf + wlen);
    }
    if (!fits)
      continue; /* 2047 bytes or more: not a word in any language */
    t = (OknoTerm){.word = buf, .word_len = wlen, .term = buf, .term_len = wlen,
                   .start = (gsize)(start - (const unsigned char *)text),
                   .end = (gsize)(p - (const unsigned char *)text)};
    if (!digit) {
      struct sb_stemmer *stem = NULL;
      if (ascii) {
        t.stop = is_stop(english_stop, G_N_ELEMENTS(english_stop), buf, wlen);
        stem = s ? s->en : NULL;
      } else {
        t.stop = is_stop(russian_stop, G_N_ELEMENTS(russian_stop), buf, wlen);
        stem = s ? s->ru : NULL;
      }
      if (t.stop && !keep_stop)
        continue;
      if (stem && !t.stop && wlen <= STEM_MAX)
        t.term = stem_word(s, stem, buf, wlen, &t.term_len);
    }
    if ((rc = f(&t, user)) != 0)
      return rc;
  }
  return 0;
}

int okno_text_scan(OknoStemmer *s, const char *text, gsize len, OknoTermFunc f, void *user)
{
  return scan(s, text, len, FALSE, f, user);
}

int okno_text_scan_all(OknoStemmer *s, const char *text, gsize len, OknoTermFunc f,
                       void *user)
{
  return scan(s, text, len, TRUE, f, user);
}

typedef struct {
  GPtrArray *words;
  guint max;
} QueryWords;

static int add_query_word(const OknoTerm *t, void *user)
{
  QueryWords *q = user;
  if (q->words->len >= q->max)
    return 1;
  g_ptr_array_add(q->words, g_strndup(t->word, t->word_len));
  return 0;
}

char **okno_text_query_words(const char *query, guint max_words, GError **error)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
  QueryWords q = {words, max_words};

  if (okno_text_scan(NULL, query ? query : "", query ? strlen(query) : 0, add_query_word, &q)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "the query is too long: at most %u words", max_words);
    return NULL;
  }
  if (words->len == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "the query has no words");
    return NULL;
  }
  g_ptr_array_add(words, NULL);
  g_ptr_array_set_free_func(words, NULL);
  return (char **)g_ptr_array_free(g_steal_pointer(&words), FALSE);
}

/* ---- the FTS5 tokenizer ---- */

typedef struct {
  fts5_tokenizer inner_methods; /* unicode61 */
  Fts5Tokenizer *inner;
  OknoStemmer *stemmer;
} OknoFts;

typedef struct {
  OknoFts *tok;
  const char *text;
  void *ctx;
  int (*token)(void *ctx, int flags, const char *token, int n, int start, int end);
  int span_start;
} Span;

static int emit_term(const OknoTerm *t, void *user)
{
  Span *sp = user;
  return sp->token(sp->ctx, 0, t->term, (int)t->term_len, sp->span_start + (int)t->start,
                   sp->span_start + (int)t->end);
}

static int on_span(void *user, int flags, const char *token, int n, int start, int end)
{
  Span *sp = user;
  sp->span_start = start;
  return okno_text_scan(sp->tok->stemmer, sp->text + start, (gsize)(end - start), emit_term, sp);
}

static void fts_delete(Fts5Tokenizer *t)
{
  OknoFts *tok = (OknoFts *)t;
  if (!tok)
    return;
  if (tok->inner)
    tok->inner_methods.xDelete(tok->inner);
  okno_stemmer_free(tok->stemmer);
  g_free(tok);
}

static int fts_create(void *api_ptr, const char **args, int nargs, Fts5Tokenizer **out)
{
  fts5_api *api = api_ptr;
  const char *inner_args[] = {"remove_diacritics", "0"};
  void *inner_ctx = NULL;
  OknoFts *tok;
  int rc;

  *out = NULL;
  if (nargs != 0)
    return SQLITE_ERROR; /* okno_ru takes no options */
  tok = g_new0(OknoFts, 1);
  rc = api->xFindTokenizer(api, "unicode61", &inner_ctx, &tok->inner_methods);
  if (rc == SQLITE_OK)
    rc = tok->inner_methods.xCreate(inner_ctx, inner_args, G_N_ELEMENTS(inner_args),
                                    &tok->inner);
  if (rc != SQLITE_OK) {
    fts_delete((Fts5Tokenizer *)tok);
    return rc;
  }
  tok->stemmer = okno_stemmer_new();
  *out = (Fts5Tokenizer *)tok;
  return SQLITE_OK;
}

static int fts_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int len,
                        int (*token)(void *, int, const char *, int, int, int))
{
  OknoFts *tok = (OknoFts *)t;
  Span sp = {.tok = tok, .text = text, .ctx = ctx, .token = token};
  return tok->inner_methods.xTokenize(tok->inner, &sp, flags, text, len, on_span);
}

gboolean okno_text_fts5_register(sqlite3 *db, GError **error)
{
  static fts5_tokenizer methods = {fts_create, fts_delete, fts_tokenize};
  fts5_api *api = NULL;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL);

  if (rc == SQLITE_OK) {
    sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (!api || api->iVersion < 2) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                "sqlite: FTS5 is not available: okno needs SQLite built with FTS5");
    return FALSE;
  }
  rc = api->xCreateTokenizer(api, "okno_ru", api, &methods, NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "sqlite: registering okno_ru: %s",
                sqlite3_errstr(rc));
    return FALSE;
  }
  return TRUE;
}
