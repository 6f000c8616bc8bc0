/* messages.c: the messages of appeals, both directions (see messages.h). Portable SQL
 * over db.h, one or two statements per function; transactions belong to the callers. */
#include "store/messages.h"

#include <json-glib/json-glib.h>

#include "store/ids.h"
#include "store/journal.h"
#include "store/keys.h"
#include "store/search_queue.h"
#include "store/terms.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

/* ---- messages ----
 * The Message-ID and content-hash indexes are partial (empty values are not indexed):
 * SQLite uses a partial index only when the query repeats its condition, hence the
 * "<> ''" terms below. Without them every lookup scans the whole table. */

gboolean okno_store_message_insert(OknoStore *st, OknoMessageRow *m, GError **error)
{
  gsize len = 0;
  const void *raw;
  gint64 key_id = 0, id;
  g_autoptr(GBytes) sealed = NULL;
  g_autofree char *recipient = NULL, *meta = NULL, *sender = NULL, *subject = NULL, *text = NULL;
  g_autofree char *bidx = okno_store_blind_email(m->sender);
  /* okno's own letters (receipts) are kept out of the search index (store/terms.h) */
  g_autofree char *terms = m->automatic    ? g_strdup("")
                           : m->text_terms ? g_strdup(m->text_terms)
                                           : okno_store_terms(m->text);
  if (!okno_store_key_of_appeal(st, m->appeal_id, &key_id, error))
    return FALSE;
  if (m->sealed && key_id && m->sealed->key_id == key_id) {
    /* sealed ahead under this very key (messages.h) */
    sender = g_strdup(m->sealed->sender);
    recipient = g_strdup(m->sealed->recipient);
    subject = g_strdup(m->sealed->subject);
    text = g_strdup(m->sealed->text);
    meta = g_strdup(m->sealed->meta);
    sealed = g_bytes_ref(m->sealed->raw);
  } else if (!(sender = okno_store_seal_text(st, key_id, m->sender, error)) ||
      !(subject = okno_store_seal_text(st, key_id, m->subject, error)) ||
      !(text = okno_store_seal_text(st, key_id, m->text, error)) ||
      !(recipient = okno_store_seal_text(st, key_id, m->recipient, error)) ||
      !(meta = okno_store_seal_text(st, key_id, m->meta_json ? m->meta_json : "{}", error)) ||
      !(sealed = okno_store_seal(st, key_id, "messages.raw",
                                 m->raw ? g_bytes_get_data(m->raw, NULL) : "",
                                 m->raw ? g_bytes_get_size(m->raw) : 0, error)))
    return FALSE;
  raw = g_bytes_get_data(sealed, &len);
  if (!okno_store_reserve_id(st, OKNO_ID_MESSAGES, &id, error) ||
      !okno_store_insert_row(
          st,
          "INSERT INTO messages(appeal_id, direction, message_id, sender, recipient, subject, "
          "text, content_hash, meta, raw, created_at, automatic, sender_bidx, text_terms",
          OKNO_PARAMS(OKNO_INT(m->appeal_id), T(m->direction), T(m->message_id),
                      OKNO_TEXT(sender), OKNO_TEXT(recipient), OKNO_TEXT(subject),
                      OKNO_TEXT(text), T(m->content_hash), OKNO_TEXT(meta), OKNO_BLOB(raw, len),
                      OKNO_INT(m->created_at), OKNO_INT(m->automatic ? 1 : 0),
                      OKNO_TEXT(bidx), OKNO_TEXT(terms), OKNO_INT(id)),
          &id, error))
    return FALSE;
  m->id = id;
  okno_store_keys_remember_message(m->id, key_id);
  return okno_store_search_message_added(st, m->id, error) &&
         okno_store_journal_message(st, m, error);
}

OknoMessageSealed *okno_message_sealed_new(const OknoKeyAhead *k, const OknoMessageRow *m)
{
  OknoMessageSealed *s = g_new0(OknoMessageSealed, 1);
  s->key_id = okno_store_key_ahead_id(k);
  s->sender = okno_store_key_ahead_seal_text(k, m->sender);
  s->recipient = okno_store_key_ahead_seal_text(k, m->recipient);
  s->subject = okno_store_key_ahead_seal_text(k, m->subject);
  s->text = okno_store_key_ahead_seal_text(k, m->text);
  s->meta = okno_store_key_ahead_seal_text(k, m->meta_json ? m->meta_json : "{}");
  s->raw = okno_store_key_ahead_seal(k, "messages.raw",
                                     m->raw ? g_bytes_get_data(m->raw, NULL) : "",
                                     m->raw ? g_bytes_get_size(m->raw) : 0);
  return s;
}

void okno_message_sealed_free(OknoMessageSealed *s)
{
  if (!s)
    return;
  g_free(s->sender);
  g_free(s->recipient);
  g_free(s->subject);
  g_free(s->text);
  g_free(s->meta);
  g_clear_pointer(&s->raw, g_bytes_unref);
  g_free(s);
}

gboolean okno_store_attachment_insert(OknoStore *st, gint64 message_row_id,
                                      const OknoAttachment *att, const char *refused,
                                      GError **error)
{
  gsize len = 0;
  const void *data = NULL;
  gint64 key_id = 0;
  g_autoptr(GBytes) sealed = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *terms = okno_store_terms(att->filename);
  if (!okno_store_key_of_message(st, message_row_id, &key_id, error) ||
      !(filename = okno_store_seal_text(st, key_id, att->filename, error)))
    return FALSE;
  if (att->data && !refused) {
    if (!(sealed = okno_store_seal(st, key_id, "attachments.data",
                                   g_bytes_get_data(att->data, NULL),
                                   g_bytes_get_size(att->data), error)))
      return FALSE;
    data = g_bytes_get_data(sealed, &len);
  }
  return okno_db_exec(
             okno_store_db(st),
             "INSERT INTO attachments(message_ref, filename, declared_type, content_type, size, "
             "sha256, refused, data, filename_terms) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)",
             OKNO_PARAMS(OKNO_INT(message_row_id), OKNO_TEXT(filename), T(att->declared_type),
                         T(att->content_type), OKNO_INT((gint64)att->size),
                         OKNO_TEXT(att->sha256), OKNO_TEXT(refused),
                         data ? OKNO_BLOB(data, len) : OKNO_NULL, OKNO_TEXT(terms)),
             error) &&
         okno_store_search_attachment_added(st, message_row_id, error);
}

GBytes *okno_store_appeal_message_raw(OknoStore *st, const char *number, gint64 index,
                                      GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  if (index < 1)
    return NULL;
  r = okno_db_query(okno_store_db(st),
                    "SELECT m.raw FROM messages m JOIN appeals a ON a.id = m.appeal_id "
                    "WHERE a.number = $1 ORDER BY m.id LIMIT 1 OFFSET $2",
                    OKNO_PARAMS(T(number), OKNO_INT(index - 1)), error);
  if (r && okno_rows_count(r)) {
    g_autoptr(GBytes) stored = okno_rows_blob(r, 0, 0);
    return okno_store_unseal(st, "messages.raw", stored, error);
  }
  return NULL;
}

gint64 okno_store_find_duplicate(OknoStore *st, const char *sender, const char *message_id,
                                 const char *content_hash, gint64 since, GError **error)
{
  g_autofree char *bidx = okno_store_blind_email(sender);
  /* One statement (one round trip on PostgreSQL): the Message-ID's match wins, then the
   * content's; COALESCE reads the second only when the first found nothing, and an
   * empty Message-ID or hash matches nothing (the partial indexes' conditions). */
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT coalesce((SELECT appeal_id FROM messages WHERE message_id = $1 "
      "AND message_id <> '' AND sender_bidx = $2 AND direction = 'in' ORDER BY id LIMIT 1), "
      "(SELECT appeal_id FROM messages WHERE sender_bidx = $2 AND content_hash = $3 "
      "AND content_hash <> '' AND direction = 'in' AND created_at >= $4 ORDER BY id LIMIT 1), 0)",
      OKNO_PARAMS(OKNO_TEXT(message_id ? message_id : ""), OKNO_TEXT(bidx),
                  OKNO_TEXT(content_hash ? content_hash : ""), OKNO_INT(since)),
      error);
  return r && okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
}

gint64 okno_store_find_by_message_ids(OknoStore *st, const char *const *ids, GError **error)
{
  for (; ids && *ids; ids++) {
    g_autoptr(OknoRows) r = NULL;
    if (!**ids)
      continue;
    r = okno_db_query(okno_store_db(st),
                      "SELECT appeal_id FROM messages WHERE message_id = $1 AND message_id <> '' "
                      "ORDER BY id LIMIT 1",
                      OKNO_PARAMS(OKNO_TEXT(*ids)), error);
    if (!r)
      return 0;
    if (okno_rows_count(r))
      return okno_rows_int(r, 0, 0);
  }
  return 0;
}

gboolean okno_store_last_inbound(OknoStore *st, gint64 appeal_id, char **message_id,
                                 char ***references, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT message_id, meta FROM messages WHERE appeal_id = $1 AND direction = 'in' "
      "ORDER BY id DESC LIMIT 1",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func(g_free);
  *message_id = NULL;
  *references = NULL;
  if (!r)
    return FALSE;
  if (okno_rows_count(r)) {
    g_autoptr(JsonParser) p = json_parser_new();
    const char *meta = okno_rows_text(r, 0, 1);
    if (meta && json_parser_load_from_data(p, meta, -1, NULL) &&
        JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
      JsonObject *o = json_node_get_object(json_parser_get_root(p));
      JsonNode *n = json_object_get_member(o, "references");
      if (n && JSON_NODE_HOLDS_ARRAY(n)) {
        JsonArray *a = json_node_get_array(n);
        for (guint i = 0; i < json_array_get_length(a); i++) {
          const char *v = json_node_get_string(json_array_get_element(a, i));
          if (v && *v)
            g_ptr_array_add(refs, g_strdup(v));
        }
      }
    }
    *message_id = g_strdup(okno_rows_text(r, 0, 0) ? okno_rows_text(r, 0, 0) : "");
  } else {
    *message_id = g_strdup("");
  }
  g_ptr_array_add(refs, NULL);
  *references = (char **)g_ptr_array_free(g_steal_pointer(&refs), FALSE);
  return TRUE;
}

GBytes *okno_store_attachment_get(OknoStore *st, gint64 appeal_id, gint64 k, char **filename,
                                  char **content_type, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  GBytes *data;
  *filename = *content_type = NULL;
  if (k < 1)
    return NULL;
  r = okno_db_query(okno_store_db(st),
                    "SELECT a.filename, a.content_type, a.data FROM attachments a "
                    "JOIN messages m ON m.id = a.message_ref WHERE m.appeal_id = $1 "
                    "AND a.refused IS NULL ORDER BY m.id, a.id LIMIT 1 OFFSET $2",
                    OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(k - 1)), error);
  if (!r || !okno_rows_count(r))
    return NULL;
  {
    g_autoptr(GBytes) stored = okno_rows_blob(r, 0, 2);
    data = stored ? okno_store_unseal(st, "attachments.data", stored, error) : g_bytes_new(NULL, 0);
    if (!data)
      return NULL;
  }
  *filename = g_strdup(okno_rows_text(r, 0, 0));
  *content_type = g_strdup(okno_rows_text(r, 0, 1));
  return data;
}
