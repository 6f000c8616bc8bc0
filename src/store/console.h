/* console.h: the operator console's own records in the store (src/web/console.c):
 * answer templates per department. The appeals, messages and sessions the console
 * shows have their own headers (appeals.h, messages.h, sessions.h).
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

typedef struct {
  gint64 id;
  char *department;
  char *name;
  char *body; /* mustache (web/template.h) */
} OknoAnswerTemplate;
void okno_answer_template_free(OknoAnswerTemplate *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoAnswerTemplate, okno_answer_template_free)
/* Adds a template (sets t->id). A taken name in the department is OKNO_ERROR_USER. */
gboolean okno_store_template_add(OknoStore *st, OknoAnswerTemplate *t, GError **error);
/* Templates of the departments in `departments` (NULL-terminated; NULL: every one),
 * by department then name: a GPtrArray of OknoAnswerTemplate*. */
GPtrArray *okno_store_template_list(OknoStore *st, const char *const *departments,
                                    GError **error);
OknoAnswerTemplate *okno_store_template_get(OknoStore *st, gint64 id, GError **error);
gboolean okno_store_template_remove(OknoStore *st, gint64 id, GError **error);
