/* journal.c: the journal's leaves and signed heads in the store (journal.h), and the
 * canonical entries of docs/journal.md.
 *
 * An entry is a few lines "name=value\n" after the line "okno-journal 1\n", the names
 * and their order fixed per record; values are integers in decimal, SHA-256 digests in
 * lower-case hex, and short tokens (numbers, statuses, kinds) with every byte outside
 * [A-Za-z0-9._:@+-] written %XX. Free text (subjects, bodies, addresses, the event's
 * detail) enters only as its digest, so the journal holds no personal data in clear and
 * an entry is the same bytes whoever recomputes it. */
#include "store/journal.h"
#include "store/keys.h"

#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "store/appeal_row.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

static gint journal_off; /* atomic: 1 when switched off */

void okno_journal_set_enabled(gboolean on) { g_atomic_int_set(&journal_off, on ? 0 : 1); }
gboolean okno_journal_enabled(void) { return !g_atomic_int_get(&journal_off); }

/* ---- canonical entries ---- */

static void put_token(GString *s, const char *name, const char *v)
{
  g_string_append(s, name);
  g_string_append_c(s, '=');
  for (const guchar *p = (const guchar *)(v ? v : ""); *p; p++) {
    if (g_ascii_isalnum(*p) || strchr("._:@+-", *p))
      g_string_append_c(s, (char)*p);
    else
      g_string_append_printf(s, "%%%02X", *p);
  }
  g_string_append_c(s, '\n');
}

static void put_int(GString *s, const char *name, gint64 v)
{
  char buf[24], *p = buf + sizeof buf;
  guint64 u = v < 0 ? (guint64)0 - (guint64)v : (guint64)v;
  do
    *--p = (char)('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    *--p = '-';
  g_string_append(s, name);
  g_string_append_c(s, '=');
  g_string_append_len(s, p, buf + sizeof buf - p);
  g_string_append_c(s, '\n');
}

/* `len` bytes as lower-case hex, appended. (One printf per byte cost the intake a
 * measurable share of its CPU: entries hold several digests each.) */
static void append_hex(GString *s, const void *data, gsize len)
{
  gsize at = s->len;
  g_string_set_size(s, at + 2 * len);
  sodium_bin2hex(s->str + at, 2 * len + 1, data ? data : (const void *)"", len);
}

static void put_digest(GString *s, const char *name, const void *data, gsize len)
{
  guint8 h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, data ? data : (const void *)"", len);
  g_string_append(s, name);
  g_string_append_c(s, '=');
  append_hex(s, h, sizeof h);
  g_string_append_c(s, '\n');
}

static void put_text_digest(GString *s, const char *name, const char *text)
{
  put_digest(s, name, text ? text : "", text ? strlen(text) : 0);
}

static GString *entry_start(const char *record)
{
  GString *s = g_string_new("okno-journal 1\n");
  put_token(s, "record", record);
  return s;
}

static GBytes *entry_end(GString *s)
{
  gsize len = s->len;
  return g_bytes_new_take(g_string_free(s, FALSE), len);
}

/* Version 1 (before the evidence branch) has no subject, contact, department, assignee
 * or priority; version 2 adds them (docs/journal.md). Leaves of version 1 stay valid:
 * verify compares a version-1 leaf with the row's version-1 entry. */
GBytes *okno_journal_entry_appeal_v(const OknoAppeal *a, int version)
{
  GString *s = version >= 2 ? g_string_new("okno-journal 2\n") : g_string_new("okno-journal 1\n");
  put_token(s, "record", "appeal");
  put_int(s, "id", a->id);
  put_token(s, "number", a->number);
  put_token(s, "kind", okno_kind_name(a->kind));
  put_token(s, "channel", okno_channel_name(a->channel));
  put_token(s, "status", okno_status_name(a->status));
  put_int(s, "received_at", a->received_at);
  put_int(s, "deadline", a->deadline);
  put_int(s, "forward_deadline", a->forward_deadline);
  put_int(s, "extensions", a->extensions);
  put_token(s, "related", a->related);
  if (version >= 2) {
    put_text_digest(s, "subject_sha256", a->subject);
    put_text_digest(s, "from_name_sha256", a->from_name);
    put_text_digest(s, "from_email_sha256", a->from_email);
    put_text_digest(s, "phone_sha256", a->phone);
    put_token(s, "department", a->department);
    put_int(s, "assignee", a->assignee);
    put_token(s, "priority", okno_priority_name(a->priority));
    put_int(s, "priority_confirmed", a->priority_confirmed ? 1 : 0);
  }
  return entry_end(s);
}

GBytes *okno_journal_entry_appeal(const OknoAppeal *a)
{
  return okno_journal_entry_appeal_v(a, 2);
}

GBytes *okno_journal_entry_message(const OknoMessageRow *m)
{
  gsize len = 0;
  const void *raw = m->raw ? g_bytes_get_data(m->raw, &len) : NULL;
  GString *s = entry_start("message");
  put_int(s, "id", m->id);
  put_int(s, "appeal_id", m->appeal_id);
  put_token(s, "direction", m->direction);
  put_int(s, "created_at", m->created_at);
  put_int(s, "automatic", m->automatic ? 1 : 0);
  put_int(s, "raw_size", (gint64)len);
  put_digest(s, "raw_sha256", raw, len);
  put_text_digest(s, "message_id_sha256", m->message_id);
  put_text_digest(s, "sender_sha256", m->sender);
  put_text_digest(s, "recipient_sha256", m->recipient);
  put_text_digest(s, "subject_sha256", m->subject);
  put_text_digest(s, "text_sha256", m->text);
  put_token(s, "content_hash", m->content_hash);
  put_text_digest(s, "meta_sha256", m->meta_json ? m->meta_json : "{}");
  return entry_end(s);
}

GBytes *okno_journal_entry_event(gint64 id, gint64 appeal_id, gint64 at, const char *kind,
                                 const char *detail_json)
{
  GString *s = entry_start("event");
  put_int(s, "id", id);
  put_int(s, "appeal_id", appeal_id);
  put_int(s, "at", at);
  put_token(s, "kind", kind);
  put_text_digest(s, "detail_sha256", detail_json ? detail_json : "{}");
  return entry_end(s);
}

/* The purge entry of docs/journal.md: the row `ref` `id` emptied at `at`, superseding
 * leaf `supersedes`; `row` is the row's entry as recomputed after the emptying. */
static GBytes *entry_purge(const char *ref, gint64 id, gint64 appeal_id, gint64 at,
                           gint64 supersedes, const char *emptied, GBytes *row)
{
  gsize len;
  const void *d = g_bytes_get_data(row, &len);
  GString *s = entry_start("purge");
  put_token(s, "ref", ref);
  put_int(s, "id", id);
  put_int(s, "appeal_id", appeal_id);
  put_int(s, "at", at);
  put_int(s, "supersedes", supersedes);
  put_token(s, "emptied", emptied);
  put_digest(s, "row_sha256", d, len);
  return entry_end(s);
}

/* The value of line `name=` of an entry, or NULL (caller frees). */
static char *entry_field(GBytes *entry, const char *name)
{
  gsize len;
  const char *d = g_bytes_get_data(entry, &len);
  g_autofree char *text = g_strndup(d ? d : "", len);
  g_autofree char *key = g_strdup_printf("\n%s=", name);
  const char *p = strstr(text, key), *end;
  if (!p)
    return NULL;
  p += strlen(key);
  end = strchr(p, '\n');
  return end ? g_strndup(p, (gsize)(end - p)) : NULL;
}

gboolean okno_journal_entry_is_purge(GBytes *entry)
{
  static const char head[] = "okno-journal 1\nrecord=purge\n";
  gsize len;
  const char *d = g_bytes_get_data(entry, &len);
  return d && len >= sizeof head - 1 && memcmp(d, head, sizeof head - 1) == 0;
}

gboolean okno_journal_purge_matches(GBytes *purge, GBytes *row, gint64 previous_seq)
{
  g_autofree char *want = entry_field(purge, "row_sha256");
  g_autofree char *sup = entry_field(purge, "supersedes");
  guint8 h[crypto_hash_sha256_BYTES];
  char hex[2 * sizeof h + 1];
  gsize len;
  const void *d = g_bytes_get_data(row, &len);
  if (!want || !sup || g_ascii_strtoll(sup, NULL, 10) != previous_seq)
    return FALSE;
  crypto_hash_sha256(h, d ? d : (const void *)"", len);
  for (gsize i = 0; i < sizeof h; i++)
    g_snprintf(hex + 2 * i, 3, "%02x", h[i]);
  return strcmp(hex, want) == 0;
}

GBytes *okno_journal_entry_access(const OknoAccessRow *r)
{
  GString *s = entry_start("access");
  put_int(s, "id", r->id);
  put_int(s, "appeal_id", r->appeal_id);
  put_int(s, "at", r->at);
  put_int(s, "user_id", r->user_id);
  put_token(s, "role", r->role);
  put_token(s, "department", r->department);
  put_token(s, "action", r->action);
  put_text_digest(s, "ip_sha256", r->ip);
  put_text_digest(s, "detail_sha256", r->detail);
  return entry_end(s);
}

/* ---- writing ---- */

/* Appends one leaf; *seq (may be NULL) gets its number. */
static gboolean append_seq(OknoStore *st, const char *kind, const char *ref, gint64 ref_id,
                           gint64 appeal_id, const char *number, gint64 at, GBytes *entry,
                           gint64 *seq, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gsize len;
  const void *data = g_bytes_get_data(entry, &len);
  guint8 leaf[OKNO_HASH_LEN];
  g_autoptr(OknoRows) r = NULL;
  /* One statement per leaf. PostgreSQL: the UPDATE locks journal_state's row first and
   * the insert takes the size it returns (read again after the lock, so two writers
   * never get the same seq). SQLite: one writer at a time holds the database, the insert
   * reads the size and the trigger journal_count (migration 11) adds one. */
  static const char *const pg_sql =
      "WITH s AS (UPDATE journal_state SET size = size + 1 RETURNING size) "
      "INSERT INTO journal(seq, kind, ref, ref_id, appeal_id, number, at, entry, leaf) "
      "SELECT s.size, $1, $2, $3, $4, coalesce($5, (SELECT number FROM appeals WHERE id = $4), ''), "
      "$6, $7, $8 FROM s RETURNING seq";
  static const char *const sqlite_sql =
      "INSERT INTO journal(seq, kind, ref, ref_id, appeal_id, number, at, entry, leaf) "
      "VALUES((SELECT size + 1 FROM journal_state), $1, $2, $3, $4, "
      "coalesce($5, (SELECT number FROM appeals WHERE id = $4), ''), $6, $7, $8) RETURNING seq";
  okno_merkle_leaf_hash(data, len, leaf);
  r = okno_db_query(db, okno_db_is_sqlite(db) ? sqlite_sql : pg_sql,
                    OKNO_PARAMS(OKNO_TEXT(kind), OKNO_TEXT(ref), OKNO_INT(ref_id),
                                OKNO_INT(appeal_id), OKNO_TEXT(number), OKNO_INT(at),
                                OKNO_BLOB(data ? data : "", len), OKNO_BLOB(leaf, sizeof leaf)),
                    error);
  if (!r)
    return FALSE;
  if (okno_rows_count(r) != 1) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "journal_state has no row");
    return FALSE;
  }
  if (seq)
    *seq = okno_rows_int(r, 0, 0);
  return TRUE;
}

static gboolean append(OknoStore *st, const char *kind, const char *ref, gint64 ref_id,
                       gint64 appeal_id, const char *number, gint64 at, GBytes *entry,
                       GError **error)
{
  return append_seq(st, kind, ref, ref_id, appeal_id, number, at, entry, NULL, error);
}

/* Does the latest leaf of (ref, ref_id) hold exactly `entry`? */
static gboolean latest_is(OknoStore *st, const char *ref, gint64 ref_id, GBytes *entry,
                          gboolean *same, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT entry FROM journal WHERE ref = $1 AND ref_id = $2 ORDER BY seq DESC LIMIT 1",
      OKNO_PARAMS(OKNO_TEXT(ref), OKNO_INT(ref_id)), error);
  g_autoptr(GBytes) last = NULL;
  if (!r)
    return FALSE;
  last = okno_rows_count(r) ? okno_rows_blob(r, 0, 0) : NULL;
  *same = last && g_bytes_equal(last, entry);
  return TRUE;
}

gboolean okno_store_journal_registration(OknoStore *st, const OknoAppeal *a, GError **error)
{
  g_autoptr(GBytes) e = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  e = okno_journal_entry_appeal(a);
  return append(st, "registration", "appeal", a->id, a->id, a->number, a->received_at, e, error);
}

gboolean okno_store_journal_appeal_changed(OknoStore *st, const OknoAppeal *a, GError **error)
{
  g_autoptr(GBytes) e = NULL;
  gboolean same = FALSE;
  if (!okno_journal_enabled())
    return TRUE;
  e = okno_journal_entry_appeal(a);
  if (!latest_is(st, "appeal", a->id, e, &same, error))
    return FALSE;
  return same || append(st, "appeal", "appeal", a->id, a->id, a->number, okno_now(), e, error);
}

gboolean okno_store_journal_appeal_id(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoAppeal) a = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  a = okno_store_appeal_get_by_id(st, id, error);
  if (!a)
    return error && *error ? FALSE : TRUE;
  return okno_store_journal_appeal_changed(st, a, error);
}

gboolean okno_store_journal_message(OknoStore *st, const OknoMessageRow *m, GError **error)
{
  g_autoptr(GBytes) e = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  e = okno_journal_entry_message(m);
  return append(st, g_strcmp0(m->direction, "out") == 0 ? "message_out" : "message_in",
                "message", m->id, m->appeal_id, NULL, m->created_at, e, error);
}

#define MESSAGE_COLUMNS                                                                      \
  "m.id, m.appeal_id, m.direction, m.message_id, m.sender, m.recipient, m.subject, m.text, " \
  "m.content_hash, m.meta, m.raw, m.created_at, m.automatic, coalesce(a.number, '')"

/* NULL with the error when the row's sealed bytes do not open (store/keys.h). */
static GBytes *message_entry_of_row(OknoStore *st, const OknoRows *r, guint i, GError **error)
{
  g_autoptr(GBytes) stored = okno_rows_blob(r, i, 10);
  g_autoptr(GBytes) raw = stored ? okno_store_unseal(st, "messages.raw", stored, error) : NULL;
  if (stored && !raw)
    return NULL;
  OknoMessageRow m = {
      .id = okno_rows_int(r, i, 0),
      .appeal_id = okno_rows_int(r, i, 1),
      .direction = okno_rows_text(r, i, 2),
      .message_id = okno_rows_text(r, i, 3),
      .sender = okno_rows_text(r, i, 4),
      .recipient = okno_rows_text(r, i, 5),
      .subject = okno_rows_text(r, i, 6),
      .text = okno_rows_text(r, i, 7),
      .content_hash = okno_rows_text(r, i, 8),
      .meta_json = okno_rows_text(r, i, 9),
      .raw = raw,
      .created_at = okno_rows_int(r, i, 11),
      .automatic = okno_rows_int(r, i, 12) != 0,
  };
  return okno_journal_entry_message(&m);
}

/* The messages of appeal `appeal_id` as MESSAGE_COLUMNS rows, by id. */
static OknoRows *messages_of_appeal(OknoStore *st, gint64 appeal_id, GError **error)
{
  return okno_db_query(okno_store_db(st),
                       "SELECT " MESSAGE_COLUMNS " FROM messages m LEFT JOIN appeals a "
                       "ON a.id = m.appeal_id WHERE m.appeal_id = $1 ORDER BY m.id",
                       OKNO_PARAMS(OKNO_INT(appeal_id)), error);
}

gboolean okno_store_journal_messages_of(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  r = messages_of_appeal(st, appeal_id, error);
  if (!r)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    g_autoptr(GBytes) e = message_entry_of_row(st, r, i, error);
    gboolean same = FALSE;
    gint64 id = okno_rows_int(r, i, 0);
    if (!e || !latest_is(st, "message", id, e, &same, error))
      return FALSE;
    if (!same &&
        !append(st,
                g_strcmp0(okno_rows_text(r, i, 2), "out") == 0 ? "message_out" : "message_in",
                "message", id, appeal_id, NULL, okno_rows_int(r, i, 11), e, error))
      return FALSE;
  }
  return TRUE;
}

/* The seq of the latest leaf of (ref, ref_id), 0 when it has none. */
static gboolean latest_seq(OknoStore *st, const char *ref, gint64 ref_id, gint64 *seq,
                           GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT coalesce(max(seq), 0) FROM journal WHERE ref = $1 AND ref_id = $2",
      OKNO_PARAMS(OKNO_TEXT(ref), OKNO_INT(ref_id)), error);
  if (!r)
    return FALSE;
  *seq = okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
  return TRUE;
}

static gboolean append_purge(OknoStore *st, const char *ref, gint64 id, gint64 appeal_id,
                             gint64 at, const char *emptied, GBytes *row, GError **error)
{
  gint64 prev = 0;
  g_autoptr(GBytes) e = NULL;
  if (!latest_seq(st, ref, id, &prev, error))
    return FALSE;
  e = entry_purge(ref, id, appeal_id, at, prev, emptied, row);
  return append(st, "purge", ref, id, appeal_id, NULL, at, e, error);
}

gboolean okno_store_journal_purge_messages(OknoStore *st, gint64 appeal_id, gint64 at,
                                           const char *emptied, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  r = messages_of_appeal(st, appeal_id, error);
  if (!r)
    return FALSE;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    g_autoptr(GBytes) row = message_entry_of_row(st, r, i, error);
    if (!row ||
        !append_purge(st, "message", okno_rows_int(r, i, 0), appeal_id, at, emptied, row, error))
      return FALSE;
  }
  return TRUE;
}

gboolean okno_store_journal_purge_event(OknoStore *st, gint64 id, gint64 appeal_id, gint64 at,
                                        const char *emptied, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GBytes) row = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  r = okno_db_query(okno_store_db(st), "SELECT at, kind, detail FROM events WHERE id = $1",
                    OKNO_PARAMS(OKNO_INT(id)), error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r))
    return TRUE;
  row = okno_journal_entry_event(id, appeal_id, okno_rows_int(r, 0, 0), okno_rows_text(r, 0, 1),
                                 okno_rows_text(r, 0, 2));
  return append_purge(st, "event", id, appeal_id, at, emptied, row, error);
}

gboolean okno_store_journal_event(OknoStore *st, gint64 id, gint64 appeal_id, gint64 at,
                                  const char *kind, const char *detail_json, GError **error)
{
  g_autoptr(GBytes) e = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  e = okno_journal_entry_event(id, appeal_id, at, kind, detail_json);
  return append(st, "event", "event", id, appeal_id, NULL, at, e, error);
}

gboolean okno_store_journal_access(OknoStore *st, const OknoAccessRow *r, GError **error)
{
  g_autoptr(GBytes) e = NULL;
  if (!okno_journal_enabled())
    return TRUE;
  e = okno_journal_entry_access(r);
  return append(st, "access", "access", r->id, r->appeal_id, NULL, r->at, e, error);
}

/* ---- key rotations ---- */

#define LEAF_COLUMNS "seq, kind, ref, ref_id, appeal_id, number, at, entry, leaf"
static GPtrArray *leaves_of_rows(const OknoRows *r);

static void put_hex(GString *s, const char *name, const void *data, gsize len)
{
  g_string_append(s, name);
  g_string_append_c(s, '=');
  append_hex(s, data, len);
  g_string_append_c(s, '\n');
}

static char *fingerprint_hex(const guint8 pk[OKNO_JOURNAL_ROTATION_PK_LEN])
{
  guint8 h[crypto_hash_sha256_BYTES];
  char *out = g_malloc(2 * sizeof h + 1);
  crypto_hash_sha256(h, pk, OKNO_JOURNAL_ROTATION_PK_LEN);
  sodium_bin2hex(out, 2 * sizeof h + 1, h, sizeof h);
  return out;
}

GBytes *okno_journal_entry_rotation(const OknoJournalRotation *r)
{
  GString *s = entry_start("key_rotation");
  g_autofree char *old_fp = fingerprint_hex(r->old_pk), *new_fp = fingerprint_hex(r->new_pk);
  gsize olen = 0, nlen = 0;
  const void *os = r->old_sig ? g_bytes_get_data(r->old_sig, &olen) : NULL;
  const void *ns = r->new_sig ? g_bytes_get_data(r->new_sig, &nlen) : NULL;
  put_int(s, "id", r->id);
  put_int(s, "at", r->at);
  put_token(s, "old_key", old_fp);
  put_hex(s, "old_public_key", r->old_pk, OKNO_JOURNAL_ROTATION_PK_LEN);
  put_token(s, "new_key", new_fp);
  put_hex(s, "new_public_key", r->new_pk, OKNO_JOURNAL_ROTATION_PK_LEN);
  put_hex(s, "old_signature", os, olen);
  put_hex(s, "new_signature", ns, nlen);
  return entry_end(s);
}

void okno_journal_rotation_clear(OknoJournalRotation *r)
{
  g_clear_pointer(&r->old_sig, g_bytes_unref);
  g_clear_pointer(&r->new_sig, g_bytes_unref);
}

/* `len` bytes of lower-case hex in field `name` of `entry` into `out`. */
static gboolean field_hex(GBytes *entry, const char *name, guint8 *out, gsize len)
{
  g_autofree char *v = entry_field(entry, name);
  gsize bin = 0;
  const char *end = NULL;
  return v && strlen(v) == 2 * len &&
         sodium_hex2bin(out, len, v, strlen(v), NULL, &bin, &end) == 0 && bin == len &&
         (!end || !*end);
}

gboolean okno_journal_entry_rotation_parse(GBytes *entry, OknoJournalRotation *r)
{
  static const char head[] = "okno-journal 1\nrecord=key_rotation\n";
  guint8 os[64], ns[64];
  gsize len;
  const char *d = g_bytes_get_data(entry, &len);
  g_autofree char *id = NULL, *at = NULL;
  memset(r, 0, sizeof *r);
  if (!d || len < sizeof head - 1 || memcmp(d, head, sizeof head - 1) != 0)
    return FALSE;
  id = entry_field(entry, "id");
  at = entry_field(entry, "at");
  if (!id || !at || !field_hex(entry, "old_public_key", r->old_pk, sizeof r->old_pk) ||
      !field_hex(entry, "new_public_key", r->new_pk, sizeof r->new_pk) ||
      !field_hex(entry, "old_signature", os, sizeof os) ||
      !field_hex(entry, "new_signature", ns, sizeof ns))
    return FALSE;
  r->id = g_ascii_strtoll(id, NULL, 10);
  r->at = g_ascii_strtoll(at, NULL, 10);
  r->old_sig = g_bytes_new(os, sizeof os);
  r->new_sig = g_bytes_new(ns, sizeof ns);
  {
    /* the entry must be exactly the one these fields give (no extra or reordered lines) */
    g_autoptr(GBytes) again = okno_journal_entry_rotation(r);
    if (!g_bytes_equal(again, entry)) {
      okno_journal_rotation_clear(r);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean okno_store_journal_rotation(OknoStore *st, OknoJournalRotation *r, gint64 *seq,
                                     GError **error)
{
  g_autoptr(OknoRows) n = okno_db_query(
      okno_store_db(st), "SELECT count(*) FROM journal WHERE ref = 'journal_key'", OKNO_NO_PARAMS,
      error);
  g_autoptr(GBytes) e = NULL;
  if (!n)
    return FALSE;
  r->id = okno_rows_int(n, 0, 0) + 1;
  e = okno_journal_entry_rotation(r);
  return append_seq(st, "key_rotation", "journal_key", r->id, 0, "", r->at, e, seq, error);
}

GPtrArray *okno_store_journal_rotations(OknoStore *st, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT " LEAF_COLUMNS " FROM journal WHERE ref = 'journal_key' ORDER BY seq",
      OKNO_NO_PARAMS, error);
  return r ? leaves_of_rows(r) : NULL;
}

/* ---- reading ---- */

void okno_journal_leaf_free(OknoJournalLeaf *l)
{
  if (!l)
    return;
  g_free(l->kind);
  g_free(l->ref);
  g_free(l->number);
  if (l->entry)
    g_bytes_unref(l->entry);
  if (l->leaf)
    g_bytes_unref(l->leaf);
  g_free(l);
}


static GPtrArray *leaves_of_rows(const OknoRows *r)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_journal_leaf_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoJournalLeaf *l = g_new0(OknoJournalLeaf, 1);
    l->seq = okno_rows_int(r, i, 0);
    l->kind = g_strdup(okno_rows_text(r, i, 1));
    l->ref = g_strdup(okno_rows_text(r, i, 2));
    l->ref_id = okno_rows_int(r, i, 3);
    l->appeal_id = okno_rows_int(r, i, 4);
    l->number = g_strdup(okno_rows_text(r, i, 5) ? okno_rows_text(r, i, 5) : "");
    l->at = okno_rows_int(r, i, 6);
    l->entry = okno_rows_blob(r, i, 7);
    l->leaf = okno_rows_blob(r, i, 8);
    if (!l->entry)
      l->entry = g_bytes_new(NULL, 0);
    if (!l->leaf)
      l->leaf = g_bytes_new(NULL, 0);
    g_ptr_array_add(out, l);
  }
  return out;
}

gboolean okno_store_journal_size(OknoStore *st, gint64 *size, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), "SELECT size FROM journal_state",
                                        OKNO_NO_PARAMS, error);
  if (!r)
    return FALSE;
  *size = okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
  return TRUE;
}

GPtrArray *okno_store_journal_leaves(OknoStore *st, gint64 after, guint limit, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT " LEAF_COLUMNS " FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2",
      OKNO_PARAMS(OKNO_INT(after), OKNO_INT(limit)), error);
  return r ? leaves_of_rows(r) : NULL;
}

GPtrArray *okno_store_journal_leaves_of(OknoStore *st, const char *ref, gint64 after,
                                        gint64 upto, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT " LEAF_COLUMNS " FROM journal WHERE ref = $1 AND ref_id > $2 AND ref_id <= $3 "
      "ORDER BY ref_id, seq",
      OKNO_PARAMS(OKNO_TEXT(ref), OKNO_INT(after), OKNO_INT(upto)), error);
  return r ? leaves_of_rows(r) : NULL;
}

GByteArray *okno_store_journal_leaf_hashes(OknoStore *st, gint64 first, gint64 last,
                                           GError **error)
{
  GByteArray *out = g_byte_array_new();
  for (gint64 from = first; from <= last;) {
    g_autoptr(OknoRows) r = okno_db_query(
        okno_store_db(st),
        "SELECT seq, leaf FROM journal WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT 10000",
        OKNO_PARAMS(OKNO_INT(from), OKNO_INT(last)), error);
    guint n;
    if (!r) {
      g_byte_array_unref(out);
      return NULL;
    }
    n = okno_rows_count(r);
    for (guint i = 0; i < n; i++) {
      g_autoptr(GBytes) b = okno_rows_blob(r, i, 1);
      gsize len = 0;
      const void *d = b ? g_bytes_get_data(b, &len) : NULL;
      if (okno_rows_int(r, i, 0) != from + i || len != OKNO_HASH_LEN) {
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                    "journal leaf %" G_GINT64_FORMAT " is missing or malformed", from + i);
        g_byte_array_unref(out);
        return NULL;
      }
      g_byte_array_append(out, d, OKNO_HASH_LEN);
    }
    if (n == 0) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                  "journal leaf %" G_GINT64_FORMAT " is missing", from);
      g_byte_array_unref(out);
      return NULL;
    }
    from += n;
  }
  return out;
}

GPtrArray *okno_store_journal_leaves_of_appeal(OknoStore *st, gint64 appeal_id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT " LEAF_COLUMNS " FROM journal WHERE appeal_id = $1 ORDER BY seq",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  return r ? leaves_of_rows(r) : NULL;
}

GBytes *okno_store_journal_message_raw(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), "SELECT raw FROM messages WHERE id = $1",
                                        OKNO_PARAMS(OKNO_INT(id)), error);
  g_autoptr(GBytes) stored = r && okno_rows_count(r) ? okno_rows_blob(r, 0, 0) : NULL;
  /* sealed under the appeal's data key (store/keys.h): the evidence is the original */
  return stored ? okno_store_unseal(st, "messages.raw", stored, error) : NULL;
}

gboolean okno_store_journal_event_row(OknoStore *st, gint64 id, gint64 *appeal_id, gint64 *at,
                                      char **kind, char **detail, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT appeal_id, at, kind, detail FROM events WHERE id = $1",
      OKNO_PARAMS(OKNO_INT(id)), error);
  if (!r || !okno_rows_count(r))
    return FALSE;
  *appeal_id = okno_rows_int(r, 0, 0);
  *at = okno_rows_int(r, 0, 1);
  *kind = g_strdup(okno_rows_text(r, 0, 2));
  *detail = g_strdup(okno_rows_text(r, 0, 3));
  return TRUE;
}

OknoJournalLeaf *okno_store_journal_registration_leaf(OknoStore *st, gint64 appeal_id,
                                                      GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT " LEAF_COLUMNS " FROM journal WHERE ref = 'appeal' AND ref_id = $1 "
      "AND kind = 'registration' ORDER BY seq LIMIT 1",
      OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  g_autoptr(GPtrArray) one = NULL;
  if (!r || !okno_rows_count(r))
    return NULL;
  one = leaves_of_rows(r);
  return g_ptr_array_steal_index(one, 0);
}

gint64 okno_store_journal_registration_seq(OknoStore *st, const char *number, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT j.seq FROM journal j JOIN appeals a ON a.id = j.ref_id "
      "WHERE a.number = $1 AND j.ref = 'appeal' AND j.kind = 'registration' "
      "ORDER BY j.seq LIMIT 1",
      OKNO_PARAMS(T(number)), error);
  return r && okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
}

void okno_journal_fact_free(OknoJournalFact *f)
{
  if (!f)
    return;
  g_free(f->number);
  if (f->entry)
    g_bytes_unref(f->entry);
  if (f->entry_v1)
    g_bytes_unref(f->entry_v1);
  g_free(f);
}

/* A fact of row i of r: its id (column 0), appeal id (column 1), number (column
 * `number_col`) and the entry given (taken). */
static void add_fact(GPtrArray *out, const OknoRows *r, guint i, guint number_col, GBytes *entry)
{
  OknoJournalFact *f = g_new0(OknoJournalFact, 1);
  f->id = okno_rows_int(r, i, 0);
  f->appeal_id = okno_rows_int(r, i, 1);
  f->number = g_strdup(okno_rows_text(r, i, number_col));
  f->entry = entry;
  g_ptr_array_add(out, f);
}

GPtrArray *okno_store_journal_facts(OknoStore *st, const char *ref, gint64 after, guint limit,
                                    GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GPtrArray) out =
      g_ptr_array_new_with_free_func((GDestroyNotify)okno_journal_fact_free);
  if (g_strcmp0(ref, "appeal") == 0) {
    r = okno_db_query(db,
                      "SELECT " OKNO_APPEAL_COLUMNS " FROM appeals WHERE id > $1 "
                      "ORDER BY id LIMIT $2",
                      OKNO_PARAMS(OKNO_INT(after), OKNO_INT(limit)), error);
    if (!r)
      return NULL;
    for (guint i = 0; i < okno_rows_count(r); i++) {
      g_autoptr(OknoAppeal) a = okno_appeal_from_row(r, i, error);
      OknoJournalFact *f;
      if (!a)
        return NULL;
      f = g_new0(OknoJournalFact, 1);
      f->id = f->appeal_id = a->id;
      f->number = g_strdup(a->number);
      f->entry = okno_journal_entry_appeal(a);
      f->entry_v1 = okno_journal_entry_appeal_v(a, 1);
      g_ptr_array_add(out, f);
    }
  } else if (g_strcmp0(ref, "message") == 0) {
    r = okno_db_query(db,
                      "SELECT " MESSAGE_COLUMNS " FROM messages m LEFT JOIN appeals a "
                      "ON a.id = m.appeal_id WHERE m.id > $1 ORDER BY m.id LIMIT $2",
                      OKNO_PARAMS(OKNO_INT(after), OKNO_INT(limit)), error);
    if (!r)
      return NULL;
    for (guint i = 0; i < okno_rows_count(r); i++) {
      GBytes *e = message_entry_of_row(st, r, i, error);
      if (!e)
        return NULL;
      add_fact(out, r, i, 13, e);
    }
  } else if (g_strcmp0(ref, "event") == 0) {
    r = okno_db_query(db,
                      "SELECT e.id, e.appeal_id, e.at, e.kind, e.detail, coalesce(a.number, '') "
                      "FROM events e LEFT JOIN appeals a ON a.id = e.appeal_id WHERE e.id > $1 "
                      "ORDER BY e.id LIMIT $2",
                      OKNO_PARAMS(OKNO_INT(after), OKNO_INT(limit)), error);
    if (!r)
      return NULL;
    for (guint i = 0; i < okno_rows_count(r); i++)
      add_fact(out, r, i, 5,
               okno_journal_entry_event(okno_rows_int(r, i, 0), okno_rows_int(r, i, 1),
                                        okno_rows_int(r, i, 2), okno_rows_text(r, i, 3),
                                        okno_rows_text(r, i, 4)));
  } else if (g_strcmp0(ref, "access") == 0) {
    r = okno_db_query(db,
                      "SELECT l.id, l.appeal_id, l.at, l.user_id, l.role, l.department, l.ip, "
                      "l.action, l.detail, coalesce(a.number, '') FROM access_log l "
                      "LEFT JOIN appeals a ON a.id = l.appeal_id WHERE l.id > $1 "
                      "ORDER BY l.id LIMIT $2",
                      OKNO_PARAMS(OKNO_INT(after), OKNO_INT(limit)), error);
    if (!r)
      return NULL;
    for (guint i = 0; i < okno_rows_count(r); i++) {
      OknoAccessRow row = {
          .id = okno_rows_int(r, i, 0),
          .appeal_id = okno_rows_int(r, i, 1),
          .at = okno_rows_int(r, i, 2),
          .user_id = okno_rows_int(r, i, 3),
          .role = (char *)okno_rows_text(r, i, 4),
          .department = (char *)okno_rows_text(r, i, 5),
          .ip = (char *)okno_rows_text(r, i, 6),
          .action = (char *)okno_rows_text(r, i, 7),
          .detail = (char *)okno_rows_text(r, i, 8),
      };
      add_fact(out, r, i, 9, okno_journal_entry_access(&row));
    }
  } else {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "no journaled record '%s'", ref);
    return NULL;
  }
  return g_steal_pointer(&out);
}

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
