/* journal_heads.c: the journal's signed tree heads and the stored results of its
 * verification (journal.h): the bytes a head's signature covers, writing and reading
 * heads, and the scheduler's verify results. The leaves themselves are journal.c. */
#include "store/journal.h"

#include <string.h>

#include "core/error.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

/* ---- signed tree heads ---- */

void okno_journal_head_free(OknoJournalHead *h)
{
  if (!h)
    return;
  g_free(h->key_id);
  if (h->signature)
    g_bytes_unref(h->signature);
  if (h->frontier)
    g_bytes_unref(h->frontier);
  g_free(h);
}

GBytes *okno_journal_head_message(gint64 size, const guint8 root[OKNO_HASH_LEN], gint64 at)
{
  GString *s = g_string_new("okno-tree-head 1\n");
  gsize len;
  g_string_append_printf(s, "size=%" G_GINT64_FORMAT "\nroot=", size);
  for (int i = 0; i < OKNO_HASH_LEN; i++)
    g_string_append_printf(s, "%02x", root[i]);
  g_string_append_printf(s, "\nat=%" G_GINT64_FORMAT "\n", at);
  len = s->len;
  return g_bytes_new_take(g_string_free(s, FALSE), len);
}

gboolean okno_store_journal_head_add(OknoStore *st, const OknoJournalHead *h, GError **error)
{
  gsize slen = 0, flen = 0;
  const void *sig = g_bytes_get_data(h->signature, &slen);
  const void *fr = h->frontier ? g_bytes_get_data(h->frontier, &flen) : NULL;
  return okno_db_exec(
      okno_store_db(st),
      "INSERT INTO journal_heads(size, root, at, key_id, signature, frontier) "
      "VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT(size) DO NOTHING",
      OKNO_PARAMS(OKNO_INT(h->size), OKNO_BLOB(h->root, OKNO_HASH_LEN), OKNO_INT(h->at),
                  T(h->key_id), OKNO_BLOB(sig ? sig : "", slen), OKNO_BLOB(fr ? fr : "", flen)),
      error);
}

OknoJournalHead *okno_store_journal_head(OknoStore *st, gint64 size, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT size, root, at, key_id, signature, frontier FROM journal_heads "
      "WHERE $1 = 0 OR size = $1 ORDER BY size DESC LIMIT 1",
      OKNO_PARAMS(OKNO_INT(size)), error);
  OknoJournalHead *h;
  g_autoptr(GBytes) root = NULL;
  gsize len = 0;
  const void *d;
  if (!r || !okno_rows_count(r))
    return NULL;
  root = okno_rows_blob(r, 0, 1);
  d = root ? g_bytes_get_data(root, &len) : NULL;
  if (len != OKNO_HASH_LEN) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "tree head %" G_GINT64_FORMAT
                " has a malformed root", okno_rows_int(r, 0, 0));
    return NULL;
  }
  h = g_new0(OknoJournalHead, 1);
  h->size = okno_rows_int(r, 0, 0);
  memcpy(h->root, d, OKNO_HASH_LEN);
  h->at = okno_rows_int(r, 0, 2);
  h->key_id = g_strdup(okno_rows_text(r, 0, 3));
  h->signature = okno_rows_blob(r, 0, 4);
  h->frontier = okno_rows_blob(r, 0, 5);
  if (!h->signature)
    h->signature = g_bytes_new(NULL, 0);
  if (!h->frontier)
    h->frontier = g_bytes_new(NULL, 0);
  return h;
}

gboolean okno_store_journal_before(OknoStore *st, const char *ref, gint64 *id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT appeals_before, messages_before, events_before FROM journal_state",
      OKNO_NO_PARAMS, error);
  guint col = g_strcmp0(ref, "appeal") == 0 ? 0 : g_strcmp0(ref, "message") == 0 ? 1 : 2;
  if (!r)
    return FALSE;
  if (g_strcmp0(ref, "access") == 0) { /* the access journal began with the journal */
    *id = 0;
    return TRUE;
  }
  *id = okno_rows_count(r) ? okno_rows_int(r, 0, col) : 0;
  return TRUE;
}

/* ---- verification results ---- */

void okno_journal_verification_free(OknoJournalVerification *v)
{
  if (!v)
    return;
  g_free(v->report);
  g_free(v);
}

gboolean okno_store_journal_verification_add(OknoStore *st, const OknoJournalVerification *v,
                                             GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO journal_verifications(at, intact, size, signed_size, problems, "
                      "report) VALUES($1, $2, $3, $4, $5, $6)",
                      OKNO_PARAMS(OKNO_INT(v->at), OKNO_INT(v->intact ? 1 : 0), OKNO_INT(v->size),
                                  OKNO_INT(v->signed_size), OKNO_INT(v->problems), T(v->report)),
                      error);
}

OknoJournalVerification *okno_store_journal_verification_last(OknoStore *st, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT at, intact, size, signed_size, problems, report FROM journal_verifications "
      "ORDER BY id DESC LIMIT 1",
      OKNO_NO_PARAMS, error);
  OknoJournalVerification *v;
  if (!r || !okno_rows_count(r))
    return NULL;
  v = g_new0(OknoJournalVerification, 1);
  v->at = okno_rows_int(r, 0, 0);
  v->intact = okno_rows_int(r, 0, 1) != 0;
  v->size = okno_rows_int(r, 0, 2);
  v->signed_size = okno_rows_int(r, 0, 3);
  v->problems = okno_rows_int(r, 0, 4);
  v->report = g_strdup(okno_rows_text(r, 0, 5));
  return v;
}
