/* messages.h: the messages of appeals in the store, both directions: the rows with
 * their original bytes and attachments, the lookups of intake (duplicates, threads)
 * and of the console (the last inbound message, an attachment by position).
 * The Message-ID and content-hash indexes are partial: empty values are not indexed.
 * Like store.h: one connection, one thread; strings given are copied, rows returned
 * are owned by the caller; "not found" is NULL / 0 with no error set; errors are
 * OKNO_ERROR_TEMP (retry) or OKNO_ERROR_INTERNAL. No function opens a transaction. */
#pragma once
#include <glib.h>

#include "mail/mime.h"
#include "store/keys.h"
#include "store/store.h"

typedef struct OknoMessageSealed OknoMessageSealed;

typedef struct {
  gint64 id;
  gint64 appeal_id;
  const char *direction;   /* "in" or "out" */
  const char *message_id;  /* without <>, "" if none */
  const char *sender;      /* e-mail, lowercase */
  const char *recipient;
  const char *subject;
  const char *text;
  const char *content_hash; /* dedup key (hex), "" if none */
  gboolean automatic;      /* written by okno itself (a receipt): kept out of search */
  const char *meta_json;   /* envelope, extracted data, defects: a JSON object */
  GBytes *raw;             /* the original bytes, kept byte for byte */
  gint64 created_at;
  const guint8 *raw_sha256; /* optional: the SHA-256 of raw when the writer has it
                             * already (the journal's entry uses it, store/journal.h) */
  const char *text_terms;  /* optional: okno_store_terms(text) made already (intake makes
                            * them before the writer, register.h); NULL: made here */
  const OknoMessageSealed *sealed; /* optional: this row's values sealed ahead
                                    * (okno_message_sealed_new of this very row), used
                                    * when the appeal's key is theirs; NULL: sealed here */
} OknoMessageRow;

/* A message row's sealed values (sender, recipient, subject, text, meta, raw) made
 * before the writer's transaction under a key made ahead (keys.h OknoKeyAhead), so
 * that the writer's one thread does not seal them: okno_store_message_insert takes them
 * when the row's appeal has that key (a new appeal inserted with it), and seals the
 * row itself otherwise (a reply joined to an appeal with a key of its own). The same
 * bytes as the insert would seal but for the random nonces. */
struct OknoMessageSealed {
  gint64 key_id;
  char *sender, *recipient, *subject, *text, *meta;
  GBytes *raw;
};
/* The values of `m` (its appeal_id and id are not read) sealed under `k`. */
OknoMessageSealed *okno_message_sealed_new(const OknoKeyAhead *k, const OknoMessageRow *m);
void okno_message_sealed_free(OknoMessageSealed *s);

gboolean okno_store_message_insert(OknoStore *st, OknoMessageRow *m, GError **error);
gboolean okno_store_attachment_insert(OknoStore *st, gint64 message_row_id,
                                      const OknoAttachment *att, const char *refused,
                                      GError **error);
/* The original bytes of the `index`-th message (1-based, in the order of the appeal's
 * history, both directions) of appeal `number`; NULL if there is no such message. */
GBytes *okno_store_appeal_message_raw(OknoStore *st, const char *number, gint64 index,
                                      GError **error);

/* Appeal id of an earlier inbound message from `sender` with the same Message-ID, or
 * with the same content hash received at or after `since`. 0 if none. */
gint64 okno_store_find_duplicate(OknoStore *st, const char *sender, const char *message_id,
                                 const char *content_hash, gint64 since, GError **error);
/* Appeal id owning any message (either direction) whose Message-ID is in `ids`. */
gint64 okno_store_find_by_message_ids(OknoStore *st, const char *const *ids, GError **error);

/* The Message-ID (without <>) and the References JSON/meta of the appeal's last inbound
 * message: *message_id "" when none. *references (NULL-terminated, never NULL) holds
 * the ids of that message's References, read from its meta "references" when kept. */
gboolean okno_store_last_inbound(OknoStore *st, gint64 appeal_id, char **message_id,
                                 char ***references, GError **error);
/* The `k`-th (1-based) accepted attachment of appeal `appeal_id`, in the order of
 * okno_store_appeal_json (messages by id, then attachments by id; refused ones are
 * not counted and never given). NULL (no error) if there is none; caller frees the
 * strings and unrefs the bytes. */
GBytes *okno_store_attachment_get(OknoStore *st, gint64 appeal_id, gint64 k, char **filename,
                                  char **content_type, GError **error);
