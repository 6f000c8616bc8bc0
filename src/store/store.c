/* store.c: the registry's domain operations in portable SQL (see store.h).
 *
 * Written once over the driver interface (db.h); the backends differ only in their
 * drivers and migration steps. Every function here is one or two statements: the
 * transaction boundaries belong to the callers (the intake pipeline, the group-commit
 * writer, the outbound queue), never to this file. */
#include "store/store.h"

#include "store/appeal_row.h"

#include "core/clock.h"
#include "core/error.h"
#include "store/migrations.h"

struct OknoStore {
  OknoDb *db;
  int savepoints;
};

OknoDb *okno_store_db(OknoStore *st) { return st->db; }

/* ---- opening and migrating ---- */

static gboolean migrate(OknoStore *st, GError **error)
{
  guint count = 0;
  const char *const *steps = okno_migrations(st->db->driver->name, &count);
  /* One migrator at a time: SQLite's write lock, or a PostgreSQL advisory lock held
   * until the end of the transaction (the key is "okno" in ASCII). */
  const char *begin = okno_db_is_sqlite(st->db)
                          ? "BEGIN IMMEDIATE"
                          : "BEGIN; SELECT pg_advisory_xact_lock(1869311599)";

  for (;;) {
    g_autoptr(OknoRows) r = NULL;
    gint64 version;
    if (!okno_db_script(st->db, begin, error))
      return FALSE;
    if (!okno_db_script(st->db,
                        "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)",
                        error))
      goto fail;
    r = okno_db_query(st->db, "SELECT coalesce(max(version), 0) FROM schema_version",
                      OKNO_NO_PARAMS, error);
    if (!r)
      goto fail;
    version = okno_rows_int(r, 0, 0);
    if (version > (gint64)count) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "the store has schema version %" G_GINT64_FORMAT
                  ", newer than this okno knows (%u): upgrade okno",
                  version, count);
      goto fail;
    }
    if (version == (gint64)count)
      return okno_db_script(st->db, "COMMIT", error);
    if (!okno_db_script(st->db, steps[version], error) ||
        !okno_db_exec(st->db, "INSERT INTO schema_version(version) VALUES($1)",
                      OKNO_PARAMS(OKNO_INT(version + 1)), error) ||
        !okno_db_script(st->db, "COMMIT", error))
      goto fail;
  }
fail:
  okno_db_script(st->db, "ROLLBACK", NULL);
  return FALSE;
}

OknoStore *okno_store_open(const char *url, GError **error)
{
  OknoStore *st = g_new0(OknoStore, 1);
  st->db = okno_db_open(url, error);
  if (!st->db || !migrate(st, error)) {
    okno_store_close(st);
    return NULL;
  }
  return st;
}

void okno_store_close(OknoStore *st)
{
  if (!st)
    return;
  okno_db_close(st->db);
  g_free(st);
}

/* ---- transactions ---- */

gboolean okno_store_begin(OknoStore *st, GError **error)
{
  st->savepoints = 0;
  return okno_db_script(st->db, okno_db_is_sqlite(st->db) ? "BEGIN IMMEDIATE" : "BEGIN", error);
}

gboolean okno_store_commit(OknoStore *st, GError **error)
{
  return okno_db_script(st->db, "COMMIT", error);
}

void okno_store_rollback(OknoStore *st)
{
  okno_db_script(st->db, "ROLLBACK", NULL);
}

gboolean okno_store_savepoint(OknoStore *st, GError **error)
{
  if (!okno_db_script(st->db, "SAVEPOINT job", error))
    return FALSE;
  st->savepoints++;
  return TRUE;
}

gboolean okno_store_release(OknoStore *st, GError **error)
{
  st->savepoints--;
  return okno_db_script(st->db, "RELEASE SAVEPOINT job", error);
}

void okno_store_rollback_to(OknoStore *st)
{
  okno_db_script(st->db, "ROLLBACK TO SAVEPOINT job", NULL);
  okno_db_script(st->db, "RELEASE SAVEPOINT job", NULL);
  st->savepoints--;
}

gboolean okno_store_next_seq(OknoStore *st, const char *counter, gint64 *value, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "INSERT INTO counters(name, value) VALUES($1, 1) "
      "ON CONFLICT(name) DO UPDATE SET value = counters.value + 1 RETURNING value",
      OKNO_PARAMS(OKNO_TEXT(counter)), error);
  if (!r)
    return FALSE;
  *value = okno_rows_int(r, 0, 0);
  return TRUE;
}

/* ---- appeals ---- */

#define F(member, col, type) OKNO_FIELD(OknoAppeal, member, col, type)
#define E(member, col, names, none) OKNO_FIELD_ENUM(OknoAppeal, member, col, names, none)
const OknoField okno_appeal_fields[OKNO_APPEAL_N_FIELDS] = {
  F(id, "id", OKNO_F_INT),
  F(number, "number", OKNO_F_TEXT),
  E(status, "status", okno_status_names, 0),
  E(channel, "channel", okno_channel_names, 0),
  E(queue, "queue", okno_hold_names, 0),
  F(subject, "subject", OKNO_F_TEXT),
  F(from_name, "from_name", OKNO_F_TEXT),
  F(from_email, "from_email", OKNO_F_TEXT),
  F(phone, "phone", OKNO_F_TEXT),
  F(category, "category", OKNO_F_TEXT),
  F(related, "related", OKNO_F_TEXT),
  F(received_at, "received_at", OKNO_F_INT),
  F(deadline, "deadline", OKNO_F_INT),
  F(updated_at, "updated_at", OKNO_F_INT),
  F(department, "department", OKNO_F_TEXT),
  F(assignee, "coalesce(assignee, 0)", OKNO_F_INT),
  F(version, "version", OKNO_F_INT),
  E(kind, "kind", okno_kind_names, 0),
  E(priority, "priority", okno_priority_names, 0),
  F(priority_confirmed, "priority_confirmed", OKNO_F_BOOL),
  E(sla_class, "sla_class", okno_sla_class_names, OKNO_SLA_NONE),
  F(overdue, "overdue", OKNO_F_BOOL),
  F(forward_deadline, "forward_deadline", OKNO_F_INT),
  F(extensions, "extensions", OKNO_F_INT),
  F(answered, "answered", OKNO_F_BOOL),
  F(deadline_gen, "deadline_gen", OKNO_F_INT),
};
#undef F
#undef E

OknoAppeal *okno_appeal_from_row(const OknoRows *r, guint i, GError **error)
{
  OknoAppeal *a = g_new0(OknoAppeal, 1);
  if (!okno_rows_map(r, i, 0, okno_appeal_fields, OKNO_APPEAL_N_FIELDS, a, error)) {
    okno_appeal_free(a);
    return NULL;
  }
  return a;
}

GPtrArray *okno_appeals_from_rows(const OknoRows *r, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_appeal_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoAppeal *a = okno_appeal_from_row(r, i, error);
    if (!a) {
      g_ptr_array_unref(out);
      return NULL;
    }
    g_ptr_array_add(out, a);
  }
  return out;
}

static char *dup_or_empty(const char *s) { return g_strdup(s ? s : ""); }

#define T(s) OKNO_TEXT((s) ? (s) : "")

gboolean okno_store_appeal_insert(OknoStore *st, OknoAppeal *a, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "INSERT INTO appeals(number, status, channel, queue, subject, from_name, from_email, "
      "phone, category, related, received_at, deadline, updated_at, kind, priority, "
      "priority_confirmed, sla_class, forward_deadline, deadline_gen) "
      "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11, $13, $14, $15, $16, "
      "$17, $18) RETURNING id",
      OKNO_PARAMS(T(a->number), OKNO_TEXT(okno_status_name(a->status)),
                  OKNO_TEXT(okno_channel_name(a->channel)), OKNO_TEXT(okno_hold_name(a->queue)),
                  T(a->subject), T(a->from_name), T(a->from_email), T(a->phone),
                  T(a->category), T(a->related), OKNO_INT(a->received_at),
                  OKNO_INT(a->deadline), OKNO_TEXT(okno_kind_name(a->kind)),
                  OKNO_TEXT(okno_priority_name(a->priority)),
                  OKNO_INT(a->priority_confirmed ? 1 : 0),
                  OKNO_TEXT(okno_sla_class_name(a->sla_class)),
                  OKNO_INT(a->forward_deadline), OKNO_INT(a->deadline_gen)),
      error);
  if (!r)
    return FALSE;
  a->id = okno_rows_int(r, 0, 0);
  a->updated_at = a->received_at;
  a->version = 1;
  return TRUE;
}

OknoAppeal *okno_store_appeal_get(OknoStore *st, const char *number, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db, "SELECT " OKNO_APPEAL_COLUMNS " FROM appeals WHERE number = $1",
      OKNO_PARAMS(T(number)), error);
  return r && okno_rows_count(r) ? okno_appeal_from_row(r, 0, error) : NULL;
}

OknoAppeal *okno_store_appeal_get_by_id(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db, "SELECT " OKNO_APPEAL_COLUMNS " FROM appeals WHERE id = $1",
      OKNO_PARAMS(OKNO_INT(id)), error);
  return r && okno_rows_count(r) ? okno_appeal_from_row(r, 0, error) : NULL;
}

GPtrArray *okno_store_list(OknoStore *st, const OknoListFilter *f, GError **error)
{
  static const OknoListFilter none = {0};
  g_autoptr(OknoRows) r = NULL;
  gint64 key = G_MAXINT64, id = G_MAXINT64;
  if (!f)
    f = &none;
  if (f->after && *f->after) {
    g_autoptr(OknoAppeal) a = okno_store_appeal_get(st, f->after, error);
    if (!a) {
      if (error && !*error)
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "no appeal %s (--after)", f->after);
      return NULL;
    }
    key = a->received_at;
    id = a->id;
  }
  r = okno_db_query(st->db,
                    "SELECT " OKNO_APPEAL_COLUMNS " FROM appeals "
                    "WHERE ($1 = '' OR status = $1) AND ($2 = '' OR channel = $2) "
                    "AND ($3 = '' OR queue = $3) AND ($4 = '' OR from_email = lower($4)) "
                    "AND (received_at, id) < ($6, $7) "
                    "ORDER BY received_at DESC, id DESC LIMIT $5",
                    OKNO_PARAMS(T(f->status), T(f->channel), T(f->queue), T(f->from_email),
                                OKNO_INT(f->limit > 0 ? f->limit : G_MAXINT64),
                                OKNO_INT(key), OKNO_INT(id)),
                    error);
  return r ? okno_appeals_from_rows(r, error) : NULL;
}

gboolean okno_store_appeal_update(OknoStore *st, OknoAppeal *a, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "UPDATE appeals SET status = $2, related = $3, deadline = $4, priority = $5, "
      "priority_confirmed = $6, sla_class = $7, overdue = $8, forward_deadline = $9, "
      "extensions = $10, answered = $11, deadline_gen = $12, updated_at = $13, "
      "version = version + 1 WHERE id = $1 AND ($14 = 0 OR version = $14) RETURNING version",
      OKNO_PARAMS(OKNO_INT(a->id), OKNO_TEXT(okno_status_name(a->status)), T(a->related),
                  OKNO_INT(a->deadline), OKNO_TEXT(okno_priority_name(a->priority)),
                  OKNO_INT(a->priority_confirmed ? 1 : 0),
                  OKNO_TEXT(okno_sla_class_name(a->sla_class)),
                  OKNO_INT(a->overdue ? 1 : 0), OKNO_INT(a->forward_deadline),
                  OKNO_INT(a->extensions), OKNO_INT(a->answered ? 1 : 0),
                  OKNO_INT(a->deadline_gen), OKNO_INT(okno_now()), OKNO_INT(a->version)),
      error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    return FALSE;
  }
  a->version = okno_rows_int(r, 0, 0);
  return TRUE;
}

/* ---- messages ----
 * The Message-ID and content-hash indexes are partial (empty values are not indexed):
 * SQLite uses a partial index only when the query repeats its condition, hence the
 * "<> ''" terms below. Without them every lookup scans the whole table. */

gboolean okno_store_message_insert(OknoStore *st, OknoMessageRow *m, GError **error)
{
  gsize len = 0;
  const void *raw = m->raw ? g_bytes_get_data(m->raw, &len) : "";
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "INSERT INTO messages(appeal_id, direction, message_id, sender, recipient, subject, "
      "text, content_hash, meta, raw, created_at, automatic) "
      "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
      OKNO_PARAMS(OKNO_INT(m->appeal_id), T(m->direction), T(m->message_id), T(m->sender),
                  T(m->recipient), T(m->subject), T(m->text), T(m->content_hash),
                  OKNO_TEXT(m->meta_json ? m->meta_json : "{}"), OKNO_BLOB(raw, len),
                  OKNO_INT(m->created_at), OKNO_INT(m->automatic ? 1 : 0)),
      error);
  if (!r)
    return FALSE;
  m->id = okno_rows_int(r, 0, 0);
  return TRUE;
}

gboolean okno_store_attachment_insert(OknoStore *st, gint64 message_row_id,
                                      const OknoAttachment *att, const char *refused,
                                      GError **error)
{
  gsize len = 0;
  const void *data = att->data && !refused ? g_bytes_get_data(att->data, &len) : NULL;
  return okno_db_exec(
      st->db,
      "INSERT INTO attachments(message_ref, filename, declared_type, content_type, size, "
      "sha256, refused, data) VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
      OKNO_PARAMS(OKNO_INT(message_row_id), T(att->filename), T(att->declared_type),
                  T(att->content_type), OKNO_INT((gint64)att->size), OKNO_TEXT(att->sha256),
                  OKNO_TEXT(refused), data ? OKNO_BLOB(data, len) : OKNO_NULL),
      error);
}

GBytes *okno_store_appeal_message_raw(OknoStore *st, const char *number, gint64 index,
                                      GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  if (index < 1)
    return NULL;
  r = okno_db_query(st->db,
                    "SELECT m.raw FROM messages m JOIN appeals a ON a.id = m.appeal_id "
                    "WHERE a.number = $1 ORDER BY m.id LIMIT 1 OFFSET $2",
                    OKNO_PARAMS(T(number), OKNO_INT(index - 1)), error);
  return r && okno_rows_count(r) ? okno_rows_blob(r, 0, 0) : NULL;
}

gint64 okno_store_find_duplicate(OknoStore *st, const char *sender, const char *message_id,
                                 const char *content_hash, gint64 since, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  if (message_id && *message_id) {
    r = okno_db_query(st->db,
                      "SELECT appeal_id FROM messages WHERE message_id = $1 AND message_id <> '' "
                      "AND sender = $2 AND direction = 'in' ORDER BY id LIMIT 1",
                      OKNO_PARAMS(OKNO_TEXT(message_id), T(sender)), error);
    if (!r)
      return 0;
    if (okno_rows_count(r))
      return okno_rows_int(r, 0, 0);
    g_clear_pointer(&r, okno_rows_free);
  }
  if (!content_hash || !*content_hash)
    return 0;
  r = okno_db_query(st->db,
                    "SELECT appeal_id FROM messages WHERE sender = $1 AND content_hash = $2 "
                    "AND content_hash <> '' AND direction = 'in' AND created_at >= $3 "
                    "ORDER BY id LIMIT 1",
                    OKNO_PARAMS(T(sender), OKNO_TEXT(content_hash), OKNO_INT(since)), error);
  return r && okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
}

gint64 okno_store_find_by_message_ids(OknoStore *st, const char *const *ids, GError **error)
{
  for (; ids && *ids; ids++) {
    g_autoptr(OknoRows) r = NULL;
    if (!**ids)
      continue;
    r = okno_db_query(st->db,
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

/* ---- events ---- */

gboolean okno_store_event_add(OknoStore *st, gint64 appeal_id, const char *kind,
                              const char *detail_json, GError **error)
{
  return okno_db_exec(st->db,
                      "INSERT INTO events(appeal_id, at, kind, detail) VALUES($1, $2, $3, $4)",
                      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(okno_now()), T(kind),
                                  OKNO_TEXT(detail_json ? detail_json : "{}")),
                      error);
}

/* ---- outbound queue ---- */

gboolean okno_store_outbound_enqueue(OknoStore *st, gint64 appeal_id, gint64 message_row_id,
                                     const char *env_from, const char *env_to,
                                     gboolean automatic, GError **error)
{
  gint64 now = okno_now();
  return okno_db_exec(
      st->db,
      "INSERT INTO outbound(appeal_id, message_ref, env_from, env_to, automatic, "
      "next_attempt_at, created_at) VALUES($1, $2, $3, $4, $5, $6, $6)",
      OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(message_row_id), T(env_from), T(env_to),
                  OKNO_INT(automatic ? 1 : 0), OKNO_INT(now)),
      error);
}

gint64 okno_store_count_automatic(OknoStore *st, const char *recipient, gint64 since,
                                  GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db, "SELECT count(*) FROM outbound WHERE automatic = 1 AND env_to = $1 AND created_at >= $2",
      OKNO_PARAMS(T(recipient), OKNO_INT(since)), error);
  return r ? okno_rows_int(r, 0, 0) : 0;
}

void okno_outbound_job_free(OknoOutboundJob *j)
{
  if (!j)
    return;
  g_free(j->env_from);
  g_free(j->env_to);
  g_free(j->message_id);
  g_clear_pointer(&j->raw, g_bytes_unref);
  g_free(j);
}

static gint job_order(gconstpointer a, gconstpointer b)
{
  const OknoOutboundJob *x = *(OknoOutboundJob *const *)a, *y = *(OknoOutboundJob *const *)b;
  return x->id < y->id ? -1 : x->id > y->id;
}

GPtrArray *okno_store_outbound_claim(OknoStore *st, gint64 now, gint64 lease, guint limit,
                                     const char *owner, GError **error)
{
  /* Several nodes claim at once on PostgreSQL: each skips the rows another is
   * claiming instead of waiting for them. SQLite serialises its writers and has no
   * such clause. */
#define CLAIM_SQL(lock)                                                                    \
  "UPDATE outbound SET lease_until = $2, lease_owner = $4, attempts = attempts + 1 "       \
  "WHERE id IN ("                                                                           \
  "  SELECT id FROM outbound WHERE state = 'queued' AND next_attempt_at <= $1"             \
  "  AND lease_until <= $1 ORDER BY next_attempt_at, id LIMIT $3" lock ") "                \
  "RETURNING id, coalesce(appeal_id, 0), env_from, env_to, attempts, created_at, message_ref, " \
  "mail_message_id, mail_raw"
  g_autoptr(OknoRows) r = okno_db_query(
      st->db, okno_db_is_sqlite(st->db) ? CLAIM_SQL("") : CLAIM_SQL(" FOR UPDATE SKIP LOCKED"),
      OKNO_PARAMS(OKNO_INT(now), OKNO_INT(now + lease), OKNO_INT(limit), T(owner)), error);
#undef CLAIM_SQL
  GPtrArray *jobs;
  if (!r)
    return NULL;
  jobs = g_ptr_array_new_with_free_func((GDestroyNotify)okno_outbound_job_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoOutboundJob *j = g_new0(OknoOutboundJob, 1);
    g_autoptr(OknoRows) m = NULL;
    j->id = okno_rows_int(r, i, 0);
    j->appeal_id = okno_rows_int(r, i, 1);
    j->env_from = dup_or_empty(okno_rows_text(r, i, 2));
    j->env_to = dup_or_empty(okno_rows_text(r, i, 3));
    j->attempts = okno_rows_int(r, i, 4);
    j->created_at = okno_rows_int(r, i, 5);
    if (okno_rows_is_null(r, i, 6)) { /* mail of no appeal carries its own bytes */
      j->message_id = dup_or_empty(okno_rows_text(r, i, 7));
      j->raw = okno_rows_blob(r, i, 8);
      if (!j->raw)
        j->raw = g_bytes_new(NULL, 0);
      g_ptr_array_add(jobs, j);
      continue;
    }
    m = okno_db_query(st->db, "SELECT message_id, raw FROM messages WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(okno_rows_int(r, i, 6))), error);
    if (!m) {
      okno_outbound_job_free(j);
      g_ptr_array_unref(jobs);
      return NULL;
    }
    j->message_id = dup_or_empty(okno_rows_count(m) ? okno_rows_text(m, 0, 0) : NULL);
    j->raw = okno_rows_count(m) ? okno_rows_blob(m, 0, 1) : g_bytes_new(NULL, 0);
    g_ptr_array_add(jobs, j);
  }
  /* RETURNING gives no order guarantee: oldest job first. */
  g_ptr_array_sort(jobs, job_order);
  return jobs;
}

gboolean okno_store_outbound_release(OknoStore *st, const char *owner, GError **error)
{
  return okno_db_exec(st->db,
                      "UPDATE outbound SET lease_until = 0, lease_owner = '' "
                      "WHERE state = 'queued' AND lease_owner = $1 AND lease_until > 0",
                      OKNO_PARAMS(T(owner)), error);
}

gboolean okno_store_outbound_sent(OknoStore *st, gint64 id, gint64 now, GError **error)
{
  return okno_db_exec(st->db,
                      "UPDATE outbound SET state = 'sent', sent_at = $2, lease_until = 0, "
                      "last_error = '' WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(now)), error);
}

gboolean okno_store_outbound_retry(OknoStore *st, gint64 id, gint64 next_attempt,
                                   const char *reason, GError **error)
{
  return okno_db_exec(st->db,
                      "UPDATE outbound SET next_attempt_at = $2, lease_until = 0, "
                      "last_error = $3 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(next_attempt), T(reason)), error);
}

gboolean okno_store_outbound_failed(OknoStore *st, gint64 id, const char *reason,
                                    GError **error)
{
  return okno_db_exec(st->db,
                      "UPDATE outbound SET state = 'failed', lease_until = 0, last_error = $2 "
                      "WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), T(reason)), error);
}

gboolean okno_store_outbound_counts(OknoStore *st, gint64 *queued, gint64 *sent,
                                    gint64 *failed, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "SELECT count(*) FILTER (WHERE state = 'queued'), count(*) FILTER (WHERE state = 'sent'), "
      "count(*) FILTER (WHERE state = 'failed') FROM outbound",
      OKNO_NO_PARAMS, error);
  if (!r)
    return FALSE;
  *queued = okno_rows_int(r, 0, 0);
  *sent = okno_rows_int(r, 0, 1);
  *failed = okno_rows_int(r, 0, 2);
  return TRUE;
}

/* ---- web: sessions, single-use tokens, instance secrets ---- */

void okno_session_row_free(OknoSessionRow *s)
{
  if (!s)
    return;
  g_free(s->kind);
  g_free(s->subject);
  g_free(s->csrf);
  g_free(s);
}

gboolean okno_store_session_insert(OknoStore *st, OknoSessionRow *s, const char *token_hash,
                                   const char *ip, const char *user_agent, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "INSERT INTO sessions(token_hash, kind, subject, csrf, created_at, expires_at, "
      "last_seen, ip, user_agent) VALUES($1, $2, $3, $4, $5, $6, $5, $7, $8) RETURNING id",
      OKNO_PARAMS(T(token_hash), T(s->kind), T(s->subject), T(s->csrf), OKNO_INT(s->created_at),
                  OKNO_INT(s->expires_at), T(ip), T(user_agent)),
      error);
  if (!r)
    return FALSE;
  s->id = okno_rows_int(r, 0, 0);
  s->last_seen = s->created_at;
  return TRUE;
}

OknoSessionRow *okno_store_session_get(OknoStore *st, const char *token_hash, gint64 now,
                                       GError **error)
{
  OknoSessionRow *s;
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "SELECT id, kind, subject, csrf, created_at, expires_at, last_seen FROM sessions "
      "WHERE token_hash = $1 AND revoked_at = 0 AND expires_at > $2",
      OKNO_PARAMS(T(token_hash), OKNO_INT(now)), error);
  if (!r || okno_rows_count(r) == 0)
    return NULL;
  s = g_new0(OknoSessionRow, 1);
  s->id = okno_rows_int(r, 0, 0);
  s->kind = g_strdup(okno_rows_text(r, 0, 1));
  s->subject = g_strdup(okno_rows_text(r, 0, 2));
  s->csrf = g_strdup(okno_rows_text(r, 0, 3));
  s->created_at = okno_rows_int(r, 0, 4);
  s->expires_at = okno_rows_int(r, 0, 5);
  s->last_seen = okno_rows_int(r, 0, 6);
  return s;
}

gboolean okno_store_session_touch(OknoStore *st, gint64 id, gint64 now, GError **error)
{
  return okno_db_exec(st->db, "UPDATE sessions SET last_seen = $2 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(now)), error);
}

gboolean okno_store_session_revoke(OknoStore *st, const char *token_hash, gint64 now,
                                   GError **error)
{
  return okno_db_exec(st->db,
                      "UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at = 0",
                      OKNO_PARAMS(T(token_hash), OKNO_INT(now)), error);
}

gboolean okno_store_session_revoke_subject(OknoStore *st, const char *kind,
                                           const char *subject, gint64 now, GError **error)
{
  return okno_db_exec(st->db,
                      "UPDATE sessions SET revoked_at = $3 "
                      "WHERE kind = $1 AND subject = $2 AND revoked_at = 0",
                      OKNO_PARAMS(T(kind), T(subject), OKNO_INT(now)), error);
}

gboolean okno_store_web_purge(OknoStore *st, gint64 now, GError **error)
{
  return okno_db_exec(st->db, "DELETE FROM sessions WHERE expires_at < $1",
                      OKNO_PARAMS(OKNO_INT(now)), error) &&
         okno_db_exec(st->db, "DELETE FROM used_tokens WHERE expires_at < $1",
                      OKNO_PARAMS(OKNO_INT(now)), error);
}

gboolean okno_store_token_use(OknoStore *st, const char *id, gint64 expires_at,
                              gboolean *fresh, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "INSERT INTO used_tokens(id, expires_at) VALUES($1, $2) ON CONFLICT(id) DO NOTHING "
      "RETURNING id",
      OKNO_PARAMS(T(id), OKNO_INT(expires_at)), error);
  if (!r)
    return FALSE;
  *fresh = okno_rows_count(r) == 1;
  return TRUE;
}

gboolean okno_store_secret(OknoStore *st, const char *name, const char *fresh_value,
                           char **value, GError **error)
{
  g_autofree char *key = g_strconcat("secret:", name, NULL);
  g_autoptr(OknoRows) r = NULL;
  if (!okno_db_exec(st->db,
                    "INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT(key) DO NOTHING",
                    OKNO_PARAMS(T(key), T(fresh_value)), error))
    return FALSE;
  r = okno_db_query(st->db, "SELECT value FROM meta WHERE key = $1", OKNO_PARAMS(T(key)), error);
  if (!r)
    return FALSE;
  if (okno_rows_count(r) == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "secret %s vanished", name);
    return FALSE;
  }
  *value = g_strdup(okno_rows_text(r, 0, 0));
  return TRUE;
}

/* ---- phishing reports and the block list ---- */

void okno_phish_entry_free(OknoPhishEntry *e)
{
  if (!e)
    return;
  g_free(e->kind);
  g_free(e->value);
  g_free(e->reported_by);
  g_free(e->source);
  g_free(e);
}

gboolean okno_store_phish_report(OknoStore *st, const char *kind, const char *value,
                                 const char *reporter, const char *source, gboolean block,
                                 GError **error)
{
  gint64 now = okno_now();
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "INSERT INTO phishing_list(kind, value, blocked, reports, reported_by, source, "
      "created_at, updated_at) VALUES($1, $2, $3, 1, $4, $5, $6, $6) "
      "ON CONFLICT (kind, value) DO UPDATE SET reports = phishing_list.reports + 1, "
      "blocked = CASE WHEN excluded.blocked = 1 THEN 1 ELSE phishing_list.blocked END, "
      "updated_at = excluded.updated_at RETURNING id",
      OKNO_PARAMS(T(kind), T(value), OKNO_INT(block ? 1 : 0), T(reporter), T(source),
                  OKNO_INT(now)),
      error);
  if (!r)
    return FALSE;
  return okno_db_exec(st->db,
                      "INSERT INTO phishing_reports(entry_id, reporter, source, action, at) "
                      "VALUES($1, $2, $3, $4, $5)",
                      OKNO_PARAMS(OKNO_INT(okno_rows_int(r, 0, 0)), T(reporter), T(source),
                                  OKNO_TEXT(block ? "block" : "report"), OKNO_INT(now)),
                      error);
}

gboolean okno_store_phish_unblock(OknoStore *st, const char *kind, const char *value,
                                  const char *by, gboolean *found, GError **error)
{
  gint64 now = okno_now();
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "UPDATE phishing_list SET blocked = 0, updated_at = $3 WHERE kind = $1 AND value = $2 "
      "RETURNING id",
      OKNO_PARAMS(T(kind), T(value), OKNO_INT(now)), error);
  if (!r)
    return FALSE;
  *found = okno_rows_count(r) > 0;
  if (!*found)
    return TRUE;
  return okno_db_exec(st->db,
                      "INSERT INTO phishing_reports(entry_id, reporter, source, action, at) "
                      "VALUES($1, $2, 'operator', 'unblock', $3)",
                      OKNO_PARAMS(OKNO_INT(okno_rows_int(r, 0, 0)), T(by), OKNO_INT(now)),
                      error);
}

GPtrArray *okno_store_phish_list(OknoStore *st, gboolean blocked_only, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      st->db,
      "SELECT id, kind, value, blocked, reports, reported_by, source, created_at, updated_at "
      "FROM phishing_list WHERE blocked >= $1 ORDER BY updated_at DESC, id DESC",
      OKNO_PARAMS(OKNO_INT(blocked_only ? 1 : 0)), error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_phish_entry_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoPhishEntry *e = g_new0(OknoPhishEntry, 1);
    e->id = okno_rows_int(r, i, 0);
    e->kind = dup_or_empty(okno_rows_text(r, i, 1));
    e->value = dup_or_empty(okno_rows_text(r, i, 2));
    e->blocked = okno_rows_int(r, i, 3) != 0;
    e->reports = okno_rows_int(r, i, 4);
    e->reported_by = dup_or_empty(okno_rows_text(r, i, 5));
    e->source = dup_or_empty(okno_rows_text(r, i, 6));
    e->created_at = okno_rows_int(r, i, 7);
    e->updated_at = okno_rows_int(r, i, 8);
    g_ptr_array_add(out, e);
  }
  return out;
}

OknoBlocklist *okno_store_phish_blocklist(OknoStore *st, GError **error)
{
  g_autoptr(GPtrArray) rows = okno_store_phish_list(st, TRUE, error);
  OknoBlocklist *bl;
  if (!rows)
    return NULL;
  bl = okno_blocklist_new();
  for (guint i = 0; i < rows->len; i++) {
    const OknoPhishEntry *e = rows->pdata[i];
    okno_blocklist_add(bl, e->kind, e->value);
  }
  return bl;
}
