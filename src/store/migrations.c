/* migrations.c: the store's schema, as forward-only versioned steps per backend.
 *
 * okno_store_open() applies every step newer than the store's schema_version, each in
 * its own transaction (BEGIN IMMEDIATE on SQLite, so two processes starting at once
 * apply a step once). Steps are never edited once released: a change is a new step.
 * Times are INTEGER microseconds since the epoch (UTC) on every backend. */
#include "store/migrations.h"

static const char *const sqlite_steps[] = {
  /* 1: the registry, its messages, attachments, events and the outbound queue. */
  "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "INSERT INTO meta(key, value) VALUES('instance', lower(hex(randomblob(8))));"
  "CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
  "CREATE TABLE appeals("
  "  id INTEGER PRIMARY KEY,"
  "  number TEXT NOT NULL UNIQUE,"
  "  status TEXT NOT NULL,"
  "  channel TEXT NOT NULL,"
  "  queue TEXT NOT NULL DEFAULT '',"
  "  subject TEXT NOT NULL DEFAULT '',"
  "  from_name TEXT NOT NULL DEFAULT '',"
  "  from_email TEXT NOT NULL DEFAULT '',"
  "  phone TEXT NOT NULL DEFAULT '',"
  "  category TEXT NOT NULL DEFAULT '',"
  "  related TEXT NOT NULL DEFAULT '',"
  "  received_at INTEGER NOT NULL,"
  "  deadline INTEGER NOT NULL DEFAULT 0,"
  "  updated_at INTEGER NOT NULL);"
  "CREATE INDEX appeals_from ON appeals(from_email);"
  "CREATE INDEX appeals_status ON appeals(status);"
  "CREATE TABLE messages("
  "  id INTEGER PRIMARY KEY,"
  "  appeal_id INTEGER NOT NULL REFERENCES appeals(id),"
  "  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
  "  message_id TEXT NOT NULL DEFAULT '',"
  "  sender TEXT NOT NULL DEFAULT '',"
  "  recipient TEXT NOT NULL DEFAULT '',"
  "  subject TEXT NOT NULL DEFAULT '',"
  "  text TEXT NOT NULL DEFAULT '',"
  "  content_hash TEXT NOT NULL DEFAULT '',"
  "  meta TEXT NOT NULL DEFAULT '{}',"
  "  raw BLOB NOT NULL,"
  "  created_at INTEGER NOT NULL);"
  "CREATE INDEX messages_appeal ON messages(appeal_id);"
  "CREATE INDEX messages_msgid ON messages(message_id) WHERE message_id <> '';"
  "CREATE INDEX messages_hash ON messages(sender, content_hash) WHERE content_hash <> '';"
  "CREATE TABLE attachments("
  "  id INTEGER PRIMARY KEY,"
  "  message_ref INTEGER NOT NULL REFERENCES messages(id),"
  "  filename TEXT NOT NULL,"
  "  declared_type TEXT NOT NULL,"
  "  content_type TEXT NOT NULL,"
  "  size INTEGER NOT NULL,"
  "  sha256 TEXT NOT NULL,"
  "  refused TEXT,"
  "  data BLOB);"
  "CREATE INDEX attachments_message ON attachments(message_ref);"
  "CREATE TABLE events("
  "  id INTEGER PRIMARY KEY,"
  "  appeal_id INTEGER NOT NULL REFERENCES appeals(id),"
  "  at INTEGER NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  detail TEXT NOT NULL DEFAULT '{}');"
  "CREATE INDEX events_appeal ON events(appeal_id);"
  "CREATE TABLE outbound("
  "  id INTEGER PRIMARY KEY,"
  "  appeal_id INTEGER NOT NULL REFERENCES appeals(id),"
  "  message_ref INTEGER NOT NULL REFERENCES messages(id),"
  "  env_from TEXT NOT NULL,"
  "  env_to TEXT NOT NULL,"
  "  automatic INTEGER NOT NULL DEFAULT 0,"
  "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_attempt_at INTEGER NOT NULL,"
  "  lease_until INTEGER NOT NULL DEFAULT 0,"
  "  last_error TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  sent_at INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX outbound_due ON outbound(state, next_attempt_at);"
  "CREATE INDEX outbound_auto ON outbound(env_to, created_at) WHERE automatic = 1;",
};

const char *const *okno_migrations(const char *driver, guint *count)
{
  if (g_strcmp0(driver, "sqlite") == 0) {
    *count = G_N_ELEMENTS(sqlite_steps);
    return sqlite_steps;
  }
  *count = 0;
  return NULL;
}
