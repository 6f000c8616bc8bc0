/* search_queue.c: the search rows of what a transaction added, written by okno before
 * COMMIT (see search_queue.h): PostgreSQL's appeal_search, SQLite's appeal_fts. */
#include "store/search_queue.h"

void okno_search_queue_clear(OknoSearchQueue *q)
{
  if (q->appeals)
    g_array_set_size(q->appeals, 0);
  if (q->messages)
    g_array_set_size(q->messages, 0);
  if (q->message_set)
    g_hash_table_remove_all(q->message_set);
}

static void note(GArray **a, gint64 id)
{
  if (!*a)
    *a = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_array_append_val(*a, id);
}

char *okno_search_queue_id_list(const GArray *a, char open, char close)
{
  GString *s = g_string_new(NULL);
  g_string_append_c(s, open);
  for (guint i = 0; a && i < a->len; i++)
    g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? "," : "", g_array_index(a, gint64, i));
  g_string_append_c(s, close);
  return g_string_free(s, FALSE);
}

/* SQLite: an appeal's texts and files columns made from its rows, as the index's
 * rebuild triggers make them (migrations.c, step 16); A names the appeal's id. */
#define FTS_TEXTS(A)                                                                     \
  "coalesce((SELECT group_concat(m.text_terms, char(10)) FROM messages m"               \
  " WHERE m.appeal_id = " A " AND m.automatic = 0), '')"
#define FTS_FILES(A)                                                                     \
  "coalesce((SELECT group_concat(t.filename_terms, char(10)) FROM attachments t"         \
  " JOIN messages m ON m.id = t.message_ref WHERE m.appeal_id = " A "), '')"

/* SQLite: the new appeals' rows inserted whole (their messages and files are new too),
 * then the rows of older appeals that got a new message made again. Two statements
 * touch appeal_fts in the whole transaction, so FTS5 flushes its pending terms as a
 * segment about twice per transaction, not at every later statement of it (an
 * INSERT trigger's write made FTS5 flush at each statement's savepoint that followed:
 * a segment of a page or two per row, and the merges FTS5 owes for each, which grow
 * with the index: docs/bench.md "Intake on a filled store: FTS5 flushed at every
 * statement"). An id noted for a row rolled back since (a job undone in its
 * savepoint) selects nothing. */
static gboolean add_sqlite(OknoDb *db, const GArray *appeals, const GArray *messages,
                           GError **error)
{
  g_autofree char *a = okno_search_queue_id_list(appeals, '[', ']'),
                   *m = okno_search_queue_id_list(messages, '[', ']');
  if (appeals && appeals->len &&
      !okno_db_exec(db,
                    "INSERT INTO appeal_fts(rowid, subject, texts, files) "
                    "SELECT a.id, a.subject_terms, " FTS_TEXTS("a.id") ", " FTS_FILES("a.id")
                    " FROM appeals a WHERE a.id IN (SELECT value FROM json_each($1))",
                    OKNO_PARAMS(OKNO_TEXT(a)), error))
    return FALSE;
  return !(messages && messages->len) ||
         okno_db_exec(db,
                      "UPDATE appeal_fts SET texts = " FTS_TEXTS("appeal_fts.rowid")
                      ", files = " FTS_FILES("appeal_fts.rowid")
                      " WHERE rowid IN (SELECT appeal_id FROM messages"
                      " WHERE id IN (SELECT value FROM json_each($2)))"
                      " AND rowid NOT IN (SELECT value FROM json_each($1))",
                      OKNO_PARAMS(OKNO_TEXT(a), OKNO_TEXT(m)), error);
}

static gboolean add(OknoDb *db, const GArray *appeals, const GArray *messages, GError **error)
{
  g_autofree char *a = NULL, *m = NULL;
  if (okno_db_is_sqlite(db))
    return add_sqlite(db, appeals, messages, error);
  a = okno_search_queue_id_list(appeals, '{', '}');
  m = okno_search_queue_id_list(messages, '{', '}');
  return okno_db_exec(db, "SELECT okno_search_add($1::bigint[], $2::bigint[])",
                      OKNO_PARAMS(OKNO_TEXT(a), OKNO_TEXT(m)), error);
}

gboolean okno_search_queue_flush(OknoDb *db, OknoSearchQueue *q, GError **error)
{
  gboolean ok = TRUE;
  if ((q->appeals && q->appeals->len) || (q->messages && q->messages->len))
    ok = add(db, q->appeals, q->messages, error);
  okno_search_queue_clear(q);
  return ok;
}

static gboolean add_one(OknoStore *st, gint64 appeal_id, gint64 message_id, GError **error)
{
  g_autoptr(GArray) a = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_autoptr(GArray) m = g_array_new(FALSE, FALSE, sizeof(gint64));
  if (appeal_id)
    g_array_append_val(a, appeal_id);
  if (message_id)
    g_array_append_val(m, message_id);
  return add(okno_store_db(st), a, m, error);
}

gboolean okno_store_search_appeal_added(OknoStore *st, gint64 appeal_id, GError **error)
{
  OknoSearchQueue *q;
  if (!(q = okno_store_search_queue(st)))
    return add_one(st, appeal_id, 0, error);
  note(&q->appeals, appeal_id);
  return TRUE;
}

gboolean okno_store_search_message_added(OknoStore *st, gint64 message_id, GError **error)
{
  OknoSearchQueue *q;
  if (!(q = okno_store_search_queue(st)))
    return add_one(st, 0, message_id, error);
  note(&q->messages, message_id);
  if (!q->message_set)
    q->message_set = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
  g_hash_table_add(q->message_set, g_memdup2(&message_id, sizeof message_id));
  return TRUE;
}

gboolean okno_store_search_attachment_added(OknoStore *st, gint64 message_id, GError **error)
{
  OknoSearchQueue *q = okno_store_search_queue(st);
  /* A file of a message written in this transaction comes with its message's row. */
  if (q && q->message_set && g_hash_table_contains(q->message_set, &message_id))
    return TRUE;
  /* A file added to an older message: its appeal's row is made again (as the trigger
   * of an attachment's change does). */
  if (okno_db_is_sqlite(okno_store_db(st)))
    return okno_db_exec(okno_store_db(st),
                        "UPDATE appeal_fts SET files = " FTS_FILES("appeal_fts.rowid")
                        " WHERE rowid = (SELECT appeal_id FROM messages WHERE id = $1)",
                        OKNO_PARAMS(OKNO_INT(message_id)), error);
  return okno_db_exec(okno_store_db(st),
                      "SELECT okno_search_rebuild(array(SELECT appeal_id FROM messages "
                      "WHERE id = $1))",
                      OKNO_PARAMS(OKNO_INT(message_id)), error);
}
