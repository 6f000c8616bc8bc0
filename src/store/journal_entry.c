/* journal_entry.c: the canonical entries of docs/journal.md (contract: journal.h), the
 * bytes a leaf hashes, apart from the store's reading and writing of leaves (journal.c).
 *
 * An entry is a few lines "name=value\n" after the line "okno-journal 1\n", the names
 * and their order fixed per record; values are integers in decimal, SHA-256 digests in
 * lower-case hex, and short tokens (numbers, statuses, kinds) with every byte outside
 * [A-Za-z0-9._:@+-] written %XX. Free text (subjects, bodies, addresses, the event's
 * detail) enters only as its digest, so the journal holds no personal data in clear and
 * an entry is the same bytes whoever recomputes it. Pure functions: no store, no I/O. */
#include "store/journal.h"

#include <sodium.h>
#include <string.h>

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
  okno_journal_count_sha256(len);
  okno_sha256(data ? data : (const void *)"", len, h);
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
  GString *s = g_string_sized_new(256); /* an event's or a message's entry, ungrown */
  g_string_append(s, "okno-journal 1\n");
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
  if (m->raw_sha256) { /* the writer hashed these bytes already: once is enough */
    g_string_append(s, "raw_sha256=");
    append_hex(s, m->raw_sha256, crypto_hash_sha256_BYTES);
    g_string_append_c(s, '\n');
  } else {
    put_digest(s, "raw_sha256", raw, len);
  }
  put_text_digest(s, "message_id_sha256", m->message_id);
  put_text_digest(s, "sender_sha256", m->sender);
  put_text_digest(s, "recipient_sha256", m->recipient);
  put_text_digest(s, "subject_sha256", m->subject);
  put_text_digest(s, "text_sha256", m->text);
  put_token(s, "content_hash", m->content_hash);
  put_text_digest(s, "meta_sha256", m->meta_json ? m->meta_json : "{}");
  return entry_end(s);
}

void okno_journal_detail_digest(const char *detail_json, guint8 out[OKNO_HASH_LEN])
{
  const char *d = detail_json ? detail_json : "{}";
  gsize len = strlen(d);
  okno_journal_count_sha256(len);
  okno_sha256(d, len, out);
}

GBytes *okno_journal_entry_event_digest(gint64 id, gint64 appeal_id, gint64 at,
                                        const char *kind, const guint8 detail_sha256[OKNO_HASH_LEN])
{
  GString *s = entry_start("event");
  put_int(s, "id", id);
  put_int(s, "appeal_id", appeal_id);
  put_int(s, "at", at);
  put_token(s, "kind", kind);
  g_string_append(s, "detail_sha256=");
  append_hex(s, detail_sha256, OKNO_HASH_LEN);
  g_string_append_c(s, '\n');
  return entry_end(s);
}

GBytes *okno_journal_entry_event(gint64 id, gint64 appeal_id, gint64 at, const char *kind,
                                 const char *detail_json)
{
  guint8 h[OKNO_HASH_LEN];
  okno_journal_detail_digest(detail_json, h);
  return okno_journal_entry_event_digest(id, appeal_id, at, kind, h);
}

/* The purge entry of docs/journal.md: the row `ref` `id` emptied at `at`, superseding
 * leaf `supersedes`; `row` is the row's entry as recomputed after the emptying. */
GBytes *okno_journal_entry_purge(const char *ref, gint64 id, gint64 appeal_id, gint64 at,
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

gboolean okno_journal_entry_is_purge_data(const void *data, gsize len)
{
  static const char head[] = "okno-journal 1\nrecord=purge\n";
  return data && len >= sizeof head - 1 && memcmp(data, head, sizeof head - 1) == 0;
}

gboolean okno_journal_entry_is_purge(GBytes *entry)
{
  gsize len;
  const void *d = g_bytes_get_data(entry, &len);
  return okno_journal_entry_is_purge_data(d, len);
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

/* ---- key rotations ---- */

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
