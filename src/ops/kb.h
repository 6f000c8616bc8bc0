/* kb.h (ops): the knowledge base at work (issue 19, docs/kb.md): the published articles
 * that match a text (the /help search, the feedback form's offers, the receipt's
 * «Возможно, ответ уже есть»), the answered appeals most like an appeal (the console's
 * suggestions), and a citizen's withdrawal of an appeal the answer was found for.
 *
 * Matching searches a text/docindex.h index of the published articles (title,
 * category and tags, the body as plain text) or of the recent answered appeals
 * (subject and question), built once per process and shared by its threads. Each call
 * first reads the store's cheap mark (store/kb.h: the knowledge base's generation, or
 * the newest message and event ids for the cases) and rebuilds the index only when the
 * mark changed since it was built, so a publication or an answer on any node of the
 * store is seen by the next call on every node. Thread-safe. */
#pragma once
#include <glib.h>

#include "ops/ops.h"
#include "store/kb.h"

/* Published articles (OknoKbArticle*) matching `text`, best first, at most `max`; each
 * holding at least `min_terms` of the text's distinct stems (docindex.h). A text
 * without words gives none. */
GPtrArray *okno_kb_match(OknoStore *st, const char *text, guint max, guint min_terms,
                         GError **error);

/* okno_kb_match() in two steps, so that the costly part runs where no store is held
 * (intake's parse pool, register.h okno_register_prepare): okno_kb_query_new() cuts
 * `text` into its stems on any thread, without a store, and, when this process has
 * built the articles' index already, finds the hits in that index (kept with the
 * query, by its mark). okno_kb_match_query() then reads the store's mark: the same
 * mark, those hits; another (an article published or changed since), the index of
 * now searched by the query's stems. Either way the articles okno_kb_match(st, text,
 * max, min_terms) gives at that moment. */
typedef struct OknoKbQuery OknoKbQuery;
OknoKbQuery *okno_kb_query_new(const char *text, guint max, guint min_terms);
void okno_kb_query_free(OknoKbQuery *q);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoKbQuery, okno_kb_query_free)
GPtrArray *okno_kb_match_query(OknoStore *st, const OknoKbQuery *q, GError **error);

/* Of the OKNO_KB_CASES_SCANNED most recent answered appeals, `except_id` left out,
 * the `max` (OknoKbCase*) whose subject and question are most like `text` (at least
 * two shared stems), best first. */
#define OKNO_KB_CASES_SCANNED 500
GPtrArray *okno_kb_similar(OknoStore *st, const char *text, gint64 except_id, guint max,
                           GError **error);

/* How many times this process built an index (articles and cases): for tests. */
guint okno_kb_index_builds(void);

/* The citizen withdraws open appeal `number` (status withdrawn, the event `withdrawn`
 * with `why` when given, the status notice; appeal/appeal.h's machine refuses it with
 * OKNO_ERROR_USER when the appeal is no longer open). `actor` is the status change's
 * by: the cabinet gives «заявитель», never an address. */
gboolean okno_ops_withdraw(const OknoSlaEnv *env, OknoStore *st, const char *number,
                           const char *why, const char *actor, GError **error);
