/* filters.h: an operator's saved queue filters (issue 21, docs/console.md "Saved
 * filters"): a name and the queue's query (view, status, search, sort), per user.
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / FALSE with no error set; errors are
 * OKNO_ERROR_TEMP (retry), OKNO_ERROR_INTERNAL, or OKNO_ERROR_USER with a Russian line
 * for the user's own mistakes. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "store/store.h"

#define OKNO_SAVED_FILTERS_MAX 30 /* per user */

typedef struct {
  gint64 id;
  gint64 user_id;
  char *name;  /* 1..100 characters */
  char *query; /* the query string of /console, built by the console (not the user) */
} OknoSavedFilter;
void okno_saved_filter_free(OknoSavedFilter *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoSavedFilter, okno_saved_filter_free)

/* Saves `query` as `name` for `user_id`, replacing the user's filter of that name (sets
 * *id). OKNO_ERROR_USER when the user has OKNO_SAVED_FILTERS_MAX already. */
gboolean okno_store_filter_save(OknoStore *st, gint64 user_id, const char *name,
                                const char *query, gint64 *id, GError **error);
/* The user's filters by name: a GPtrArray of OknoSavedFilter*, or NULL with an error. */
GPtrArray *okno_store_filter_list(OknoStore *st, gint64 user_id, GError **error);
/* Removes the user's filter `id`; *found says whether there was one (another user's is
 * not found). */
gboolean okno_store_filter_remove(OknoStore *st, gint64 user_id, gint64 id, gboolean *found,
                                  GError **error);
