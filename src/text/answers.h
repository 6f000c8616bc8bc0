/* answers.h: the chat bot's configured answers ([chat] answers, docs/chat.md): simple
 * keyword -> answer pairs, and the lookup of a citizen's question among them.
 *
 * The file is UTF-8 text, one pair per line:
 *     паспорт, загранпаспорт = Заграничный паспорт оформляется ...
 * keywords separated by commas before the first '=', the answer after it ("\n" in the
 * answer is a line break). Blank lines and lines starting with '#' are skipped.
 * A keyword matches where a word of the question begins with it, case and ё/е aside
 * («паспорт» matches «Паспорта»). The pair with the most matching keywords wins (the
 * first such pair on a tie); no match: NULL, and the bot hands over to an operator.
 *
 * Pure: no I/O here (the caller reads the file); the parser is fuzzed
 * (tests/fuzz/fuzz_chat_answers.c). */
#pragma once
#include <glib.h>

#define OKNO_ANSWERS_MAX_LINE 4000    /* bytes of one line */
#define OKNO_ANSWERS_MAX_PAIRS 10000

typedef struct OknoAnswers OknoAnswers;

/* Parses `len` bytes of `text`. NULL with OKNO_ERROR_USER naming the line and the
 * problem (no '=', no keyword, an empty answer, a line too long, invalid UTF-8, too
 * many pairs). An empty file is an empty set. */
OknoAnswers *okno_answers_parse(const char *text, gsize len, GError **error);
void okno_answers_free(OknoAnswers *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoAnswers, okno_answers_free)
/* Pairs in the set. */
guint okno_answers_count(const OknoAnswers *a);
/* The answer to `question` (valid UTF-8), borrowed from `a`, or NULL. */
const char *okno_answers_find(const OknoAnswers *a, const char *question);
/* `text` lower-cased (Unicode case folding) with ё as е: the form keywords and
 * questions are compared in. Caller frees. */
char *okno_answers_normalise(const char *text);
