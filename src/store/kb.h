/* kb.h (store): the knowledge base's articles (issue 19, docs/kb.md) and the answered
 * appeals operators are shown as similar cases.
 *
 * An article has a title, a Markdown body (text/markdown.h renders it), a category and
 * tags (free text, comma-separated), an author (a staff login, or "cli:USER" from the
 * command line), and is a draft until published. Every add and edit keeps a version
 * (kb_versions: 1, 2, ...); the article row is the newest one. Articles are public
 * texts, not personal data: they are stored clear and indexed in memory
 * (text/docindex.h, ops/kb.h).
 *
 * Like store.h: one connection, one thread; strings given are copied, results are the
 * caller's; "not found" is NULL / FALSE with no error set; errors OKNO_ERROR_TEMP or
 * OKNO_ERROR_INTERNAL. No function opens a transaction (add and edit write two rows:
 * the caller wraps them). */
#pragma once
#include <glib.h>

#include "store/store.h"

#define OKNO_KB_TITLE_MAX 200   /* characters */
#define OKNO_KB_BODY_MAX 100000 /* characters */
#define OKNO_KB_TAGS_MAX 500    /* characters, category too */

typedef struct {
  gint64 id;
  char *title, *body, *category, *tags, *author;
  gboolean published;
  gint64 version, created_at, updated_at, published_at;
} OknoKbArticle;
void okno_kb_article_free(OknoKbArticle *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoKbArticle, okno_kb_article_free)

/* Checks an article's fields (title and body non-empty after trimming, valid UTF-8,
 * within the caps above). FALSE with *field ("title", "body", "category", "tags") and a
 * Russian *message for the first one wrong. */
gboolean okno_kb_check(const char *title, const char *body, const char *category,
                       const char *tags, const char **field, const char **message);

/* A new draft (version 1); its id, 0 on error. The fields must pass okno_kb_check. */
gint64 okno_store_kb_add(OknoStore *st, const char *title, const char *body,
                         const char *category, const char *tags, const char *author,
                         GError **error);
/* A new version of article `id`: NULL fields keep their value. FALSE with no error when
 * there is no such article. *version (may be NULL) gets the new version. */
gboolean okno_store_kb_edit(OknoStore *st, gint64 id, const char *title, const char *body,
                            const char *category, const char *tags, const char *author,
                            gint64 *version, GError **error);
/* Publishes (or, FALSE, withdraws to draft) article `id`; FALSE with no error when
 * there is no such article. */
gboolean okno_store_kb_publish(OknoStore *st, gint64 id, gboolean published, GError **error);
OknoKbArticle *okno_store_kb_get(OknoStore *st, gint64 id, GError **error);
/* Articles (OknoKbArticle*), newest first by last change; published ones only when
 * `published_only`. */
GPtrArray *okno_store_kb_list(OknoStore *st, gboolean published_only, GError **error);
/* The versions of article `id` (OknoKbArticle*, version and updated_at = the version's
 * time, published FALSE), newest first. */
GPtrArray *okno_store_kb_versions(OknoStore *st, gint64 id, GError **error);

/* The knowledge base's generation as a string naming this store and its count of
 * changes ("instance:N:0"): every add, edit, publication and withdrawal changes it in
 * its own transaction, so an index built from the published articles is current as
 * long as the string read now is the one read when it was built, on any node of the
 * store. One indexed one-row read. NULL only on error. */
char *okno_store_kb_generation(OknoStore *st, GError **error);

/* An answered appeal as a similar case: its question and the answer staff sent. */
typedef struct {
  gint64 id;
  char *number, *department, *subject, *question, *answer;
} OknoKbCase;
void okno_kb_case_free(OknoKbCase *c);
/* The `limit` most recently received appeals that were answered by staff (an outgoing
 * message that is not automatic), except `except_id`, with their subject, first
 * incoming text and last staff answer (OknoKbCase*). Purged or shredded ones (no
 * answer text left) are skipped. */
GPtrArray *okno_store_kb_cases(OknoStore *st, gint64 except_id, gint64 limit, GError **error);
/* A mark of the store's appeals' texts, "instance:M:E:S" (the newest message and
 * event ids, the count of shredded appeals): whatever changes which appeals are
 * answered or what their texts are (an answer, a merge, a purge) adds a message or an
 * event, and a shred (store/keys.h, which writes no event) counts up S, so the cases
 * read by okno_store_kb_cases are unchanged while the mark is. Two primary-key reads
 * and a one-row read. NULL only on error. */
char *okno_store_kb_cases_mark(OknoStore *st, GError **error);
/* Appeal `appeal_id`'s subject and first incoming text, one string ("" when there is
 * none); NULL only on error. */
char *okno_store_kb_appeal_text(OknoStore *st, gint64 appeal_id, GError **error);
