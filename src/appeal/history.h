/* history.h: an appeal's events as sentences people read (the console's history,
 * docs/console.md "History").
 *
 * Every kind of event okno records is in okno_event_kinds[] with its Russian
 * sentence; okno_history_render() turns one event (its kind and its detail, a JSON
 * object's text as the store keeps it) into a sentence («Передано в отдел «Паспорта»:
 * правило «загранпаспорт»») and the detail as labelled lines («Причина: …») for a
 * <details> toggle. Nothing returned is JSON: nested values are flattened into lines,
 * and every e-mail address in them is masked (the first character, stars, the domain).
 * A kind not in the table still gets a sentence («Событие …»), and tests/check_events.py
 * fails the build's tests when the code records a kind the table lacks.
 * Pure: no I/O; thread-safe. */
#pragma once
#include <glib.h>

/* The kinds okno records, NULL-terminated. */
extern const char *const okno_event_kinds[];

/* Gives a department's name for its code (NULL: the code is shown). */
typedef const char *(*OknoDeptName)(const char *code, gpointer data);

typedef struct {
  char *sentence; /* one Russian sentence, ending with a full stop */
  GPtrArray *lines; /* char*: «Метка: значение», the detail flattened (may be empty) */
} OknoHistoryLine;
void okno_history_line_free(OknoHistoryLine *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoHistoryLine, okno_history_line_free)

/* The event `kind` with `detail` (NULL, "" or not a JSON object: no detail).
 * `dept` may be NULL. Never NULL. */
OknoHistoryLine *okno_history_render(const char *kind, const char *detail, OknoDeptName dept,
                                     gpointer data);
/* Whether `kind` has its own sentence. */
gboolean okno_history_known(const char *kind);
/* An e-mail address masked as the console shows it: «i***@example.ru»; other text as
 * given. Caller frees. */
char *okno_history_mask(const char *text);
/* A channel's name in Russian («электронная почта» for "email"); unknown: as given. */
const char *okno_history_channel(const char *name);
