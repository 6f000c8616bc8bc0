/* migrations.c: the store's schema, as forward-only versioned steps per backend.
 *
 * okno_store_open() applies every step newer than the store's schema_version, each in
 * its own transaction (BEGIN IMMEDIATE on SQLite, a transaction-level advisory lock on
 * PostgreSQL, so two processes starting at once apply a step once). Steps are never
 * edited once released: a change is a new step. Times are integer microseconds since
 * the epoch (UTC) on every backend. The PostgreSQL steps mirror the SQLite ones table
 * for table: BIGINT identity ids, BYTEA for raw bytes, BIGINT times, the same
 * defaults, checks and (partial) indexes. */
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
  "  automatic INTEGER NOT NULL DEFAULT 0,"
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
  "  lease_owner TEXT NOT NULL DEFAULT '',"
  "  last_error TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  sent_at INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX outbound_due ON outbound(state, next_attempt_at);"
  "CREATE INDEX outbound_auto ON outbound(env_to, created_at) WHERE automatic = 1;",

  /* 2: full-text search (docs/search.md). One FTS5 row per appeal, rowid = appeal id:
   * its subject, its messages' texts (both directions, but not automatic mail such as
   * receipts, whose boilerplate every appeal shares) and its attachments' file names,
   * tokenized by okno_ru (src/text/tokenizer.c, registered on every connection).
   * Triggers keep it in step with every write: a message (unless automatic, e.g. a
   * receipt: messages.automatic) or attachment appends to the row; the rare changes
   * of messages rebuild it. */
#define SQLITE_FTS_REBUILD(where)                                                       \
  "  UPDATE appeal_fts SET"                                                             \
  "    texts = coalesce((SELECT group_concat(m.text, char(10)) FROM messages m"          \
  "      WHERE m.appeal_id = appeal_fts.rowid AND m.automatic = 0), ''),"                \
  "    files = coalesce((SELECT group_concat(t.filename, char(10)) FROM attachments t"   \
  "      JOIN messages m ON m.id = t.message_ref"                                        \
  "      WHERE m.appeal_id = appeal_fts.rowid), '')"                                     \
  "  " where ";"
  "CREATE VIRTUAL TABLE appeal_fts USING fts5(subject, texts, files, tokenize = 'okno_ru');"
  "INSERT INTO appeal_fts(rowid, subject, texts, files) SELECT id, subject, '', '' FROM appeals;"
  SQLITE_FTS_REBUILD("")
  "CREATE TRIGGER appeal_fts_appeal AFTER INSERT ON appeals BEGIN"
  "  INSERT INTO appeal_fts(rowid, subject, texts, files) VALUES(new.id, new.subject, '', '');"
  "END;"
  "CREATE TRIGGER appeal_fts_subject AFTER UPDATE OF subject ON appeals BEGIN"
  "  UPDATE appeal_fts SET subject = new.subject WHERE rowid = new.id;"
  "END;"
  "CREATE TRIGGER appeal_fts_appeal_gone AFTER DELETE ON appeals BEGIN"
  "  DELETE FROM appeal_fts WHERE rowid = old.id;"
  "END;"
  "CREATE TRIGGER appeal_fts_message AFTER INSERT ON messages WHEN new.automatic = 0 BEGIN"
  "  UPDATE appeal_fts SET texts = texts || char(10) || new.text WHERE rowid = new.appeal_id;"
  "END;"
  "CREATE TRIGGER appeal_fts_attachment AFTER INSERT ON attachments BEGIN"
  "  UPDATE appeal_fts SET files = files || char(10) || new.filename"
  "  WHERE rowid = (SELECT appeal_id FROM messages WHERE id = new.message_ref);"
  "END;"
  "CREATE TRIGGER appeal_fts_message_changed AFTER UPDATE OF appeal_id, text ON messages BEGIN"
  SQLITE_FTS_REBUILD("WHERE rowid IN (old.appeal_id, new.appeal_id)")
  "END;"
  "CREATE TRIGGER appeal_fts_message_gone AFTER DELETE ON messages BEGIN"
  SQLITE_FTS_REBUILD("WHERE rowid = old.appeal_id")
  "END;"
  "CREATE TRIGGER appeal_fts_attachment_changed AFTER UPDATE OF filename, message_ref"
  "  ON attachments BEGIN"
  SQLITE_FTS_REBUILD("WHERE rowid IN (SELECT appeal_id FROM messages"
                     "  WHERE id IN (old.message_ref, new.message_ref))")
  "END;"
  "CREATE TRIGGER appeal_fts_attachment_gone AFTER DELETE ON attachments BEGIN"
  SQLITE_FTS_REBUILD("WHERE rowid = (SELECT appeal_id FROM messages WHERE id = old.message_ref)")
  "END;",
#undef SQLITE_FTS_REBUILD
  /* web: sessions of signed-in citizens and staff (src/sec/session.h: only the SHA-256
   * of the cookie token is kept), and single-use tokens (captcha challenges) remembered
   * until they expire so that a replay is refused. */
  "CREATE TABLE sessions("
  "  id INTEGER PRIMARY KEY,"
  "  token_hash TEXT NOT NULL UNIQUE,"
  "  kind TEXT NOT NULL CHECK (kind IN ('citizen', 'staff')),"
  "  subject TEXT NOT NULL,"
  "  csrf TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL,"
  "  last_seen INTEGER NOT NULL,"
  "  ip TEXT NOT NULL DEFAULT '',"
  "  user_agent TEXT NOT NULL DEFAULT '',"
  "  revoked_at INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX sessions_subject ON sessions(kind, subject);"
  "CREATE INDEX sessions_expiry ON sessions(expires_at);"
  "CREATE TABLE used_tokens(id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);"
  "CREATE INDEX used_tokens_expiry ON used_tokens(expires_at);",

  /* cabinet (src/store/cabinet.h, src/store/notify_settings.h): one-time sign-in codes
   * (only an HMAC of the code is kept), ratings (one per appeal), address moves (the
   * citizen's cabinet moved from one e-mail to another), notification settings per
   * contact and event type; and the outbound queue opened to mail that belongs to no
   * appeal (sign-in codes, address-change notices): appeal_id and message_ref may be
   * NULL, the bytes then live in outbound.raw with their Message-ID. */
  "CREATE TABLE login_codes("
  "  id INTEGER PRIMARY KEY,"
  "  email TEXT NOT NULL,"
  "  purpose TEXT NOT NULL CHECK (purpose IN ('login', 'change')),"
  "  owner TEXT NOT NULL DEFAULT '',"
  "  code_hash TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  used_at INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX login_codes_email ON login_codes(email, purpose);"
  "CREATE TABLE ratings("
  "  appeal_id INTEGER PRIMARY KEY REFERENCES appeals(id),"
  "  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),"
  "  comment TEXT NOT NULL DEFAULT '',"
  "  email TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL);"
  "CREATE TABLE contact_moves(email TEXT PRIMARY KEY, moved_to TEXT NOT NULL, at INTEGER NOT NULL);"
  "CREATE INDEX contact_moves_to ON contact_moves(moved_to);"
  "CREATE TABLE notify_settings("
  "  contact TEXT NOT NULL,"
  "  event TEXT NOT NULL,"
  "  email_on INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  PRIMARY KEY (contact, event));"
  "CREATE INDEX appeals_from_received ON appeals(from_email, received_at);"
  "CREATE TABLE outbound_new("
  "  id INTEGER PRIMARY KEY,"
  "  appeal_id INTEGER REFERENCES appeals(id),"
  "  message_ref INTEGER REFERENCES messages(id),"
  "  env_from TEXT NOT NULL,"
  "  env_to TEXT NOT NULL,"
  "  automatic INTEGER NOT NULL DEFAULT 0,"
  "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_attempt_at INTEGER NOT NULL,"
  "  lease_until INTEGER NOT NULL DEFAULT 0,"
  "  lease_owner TEXT NOT NULL DEFAULT '',"
  "  last_error TEXT NOT NULL DEFAULT '',"
  "  created_at INTEGER NOT NULL,"
  "  sent_at INTEGER NOT NULL DEFAULT 0,"
  "  raw BLOB,"
  "  message_id TEXT NOT NULL DEFAULT '');"
  "INSERT INTO outbound_new(id, appeal_id, message_ref, env_from, env_to, automatic, state,"
  "  attempts, next_attempt_at, lease_until, lease_owner, last_error, created_at, sent_at)"
  "  SELECT id, appeal_id, message_ref, env_from, env_to, automatic, state, attempts,"
  "  next_attempt_at, lease_until, lease_owner, last_error, created_at, sent_at FROM outbound;"
  "DROP TABLE outbound;"
  "ALTER TABLE outbound_new RENAME TO outbound;"
  "CREATE INDEX outbound_due ON outbound(state, next_attempt_at);"
  "CREATE INDEX outbound_auto ON outbound(env_to, created_at) WHERE automatic = 1;",


  /* oidc (src/store/oidc.h): the confirmed identity behind a citizen session signed in
   * with the portal's OpenID Connect provider: issuer + subject, the name, the verified
   * e-mail (the session's subject) and SNILS when the provider gives it. One row per
   * session; it goes when the session row goes. */
  "CREATE TABLE oidc_identities("
  "  session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,"
  "  issuer TEXT NOT NULL,"
  "  subject TEXT NOT NULL,"
  "  name TEXT NOT NULL DEFAULT '',"
  "  email TEXT NOT NULL,"
  "  snils TEXT NOT NULL DEFAULT '',"
  "  created_at BIGINT NOT NULL);"
  "CREATE INDEX oidc_identities_subject ON oidc_identities(issuer, subject);",

};

static const char *const pg_steps[] = {
  /* 1: the registry, its messages, attachments, events and the outbound queue. */
  "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "INSERT INTO meta(key, value) VALUES('instance', md5(random()::text || clock_timestamp()::text));"
  "CREATE TABLE counters(name TEXT PRIMARY KEY, value BIGINT NOT NULL);"
  "CREATE TABLE appeals("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
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
  "  received_at BIGINT NOT NULL,"
  "  deadline BIGINT NOT NULL DEFAULT 0,"
  "  updated_at BIGINT NOT NULL);"
  "CREATE INDEX appeals_from ON appeals(from_email);"
  "CREATE INDEX appeals_status ON appeals(status);"
  "CREATE TABLE messages("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  appeal_id BIGINT NOT NULL REFERENCES appeals(id),"
  "  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
  "  message_id TEXT NOT NULL DEFAULT '',"
  "  sender TEXT NOT NULL DEFAULT '',"
  "  recipient TEXT NOT NULL DEFAULT '',"
  "  subject TEXT NOT NULL DEFAULT '',"
  "  text TEXT NOT NULL DEFAULT '',"
  "  content_hash TEXT NOT NULL DEFAULT '',"
  "  automatic INTEGER NOT NULL DEFAULT 0,"
  "  meta TEXT NOT NULL DEFAULT '{}',"
  "  raw BYTEA NOT NULL,"
  "  created_at BIGINT NOT NULL);"
  "CREATE INDEX messages_appeal ON messages(appeal_id);"
  "CREATE INDEX messages_msgid ON messages(message_id) WHERE message_id <> '';"
  "CREATE INDEX messages_hash ON messages(sender, content_hash) WHERE content_hash <> '';"
  "CREATE TABLE attachments("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  message_ref BIGINT NOT NULL REFERENCES messages(id),"
  "  filename TEXT NOT NULL,"
  "  declared_type TEXT NOT NULL,"
  "  content_type TEXT NOT NULL,"
  "  size BIGINT NOT NULL,"
  "  sha256 TEXT NOT NULL,"
  "  refused TEXT,"
  "  data BYTEA);"
  "CREATE INDEX attachments_message ON attachments(message_ref);"
  "CREATE TABLE events("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  appeal_id BIGINT NOT NULL REFERENCES appeals(id),"
  "  at BIGINT NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  detail TEXT NOT NULL DEFAULT '{}');"
  "CREATE INDEX events_appeal ON events(appeal_id);"
  "CREATE TABLE outbound("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  appeal_id BIGINT NOT NULL REFERENCES appeals(id),"
  "  message_ref BIGINT NOT NULL REFERENCES messages(id),"
  "  env_from TEXT NOT NULL,"
  "  env_to TEXT NOT NULL,"
  "  automatic INTEGER NOT NULL DEFAULT 0,"
  "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_attempt_at BIGINT NOT NULL,"
  "  lease_until BIGINT NOT NULL DEFAULT 0,"
  "  lease_owner TEXT NOT NULL DEFAULT '',"
  "  last_error TEXT NOT NULL DEFAULT '',"
  "  created_at BIGINT NOT NULL,"
  "  sent_at BIGINT NOT NULL DEFAULT 0);"
  "CREATE INDEX outbound_due ON outbound(state, next_attempt_at);"
  "CREATE INDEX outbound_auto ON outbound(env_to, created_at) WHERE automatic = 1;",

  /* 2: full-text search (docs/search.md). okno_search_text() turns text into what
   * okno's tokenizer sees (Latin and Russian letters and digits, lowercased without
   * depending on the locale, ё -> е, everything else a space), so the `russian`
   * configuration's parser finds the same words on both backends. One tsvector per
   * appeal (subject weight A, file names B, texts D; automatic mail left out) under a
   * GIN index, kept by triggers as on SQLite: inserts append (automatic messages are
   * skipped), the rare changes of messages rebuild the appeal's row. */
  "CREATE FUNCTION okno_search_text(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT"
  "  PARALLEL SAFE AS $$ SELECT regexp_replace(translate(t,"
  "    'ABCDEFGHIJKLMNOPQRSTUVWXYZАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯё',"
  "    'abcdefghijklmnopqrstuvwxyzабвгдеежзийклмнопрстуфхцчшщъыьэюяе'),"
  "    '[^0-9a-zа-я]+', ' ', 'g') $$;"
  "CREATE FUNCTION okno_search_doc(t text, w \"char\") RETURNS tsvector LANGUAGE sql"
  "  IMMUTABLE STRICT PARALLEL SAFE AS"
  "  $$ SELECT setweight(to_tsvector('russian'::regconfig, okno_search_text(t)), w) $$;"
  "CREATE TABLE appeal_search("
  "  appeal_id BIGINT PRIMARY KEY REFERENCES appeals(id) ON DELETE CASCADE,"
  "  doc tsvector NOT NULL);"
  "CREATE INDEX appeal_search_doc ON appeal_search USING gin(doc);"
  "CREATE FUNCTION okno_search_rebuild(ids BIGINT[]) RETURNS void LANGUAGE sql AS $$"
  "  INSERT INTO appeal_search(appeal_id, doc) SELECT a.id,"
  "    okno_search_doc(a.subject, 'A')"
  "    || okno_search_doc(coalesce((SELECT string_agg(m.text, E'\\n' ORDER BY m.id)"
  "         FROM messages m WHERE m.appeal_id = a.id AND m.automatic = 0), ''), 'D')"
  "    || okno_search_doc(coalesce((SELECT string_agg(t.filename, E'\\n' ORDER BY t.id)"
  "                                 FROM attachments t JOIN messages m ON m.id = t.message_ref"
  "                                 WHERE m.appeal_id = a.id), ''), 'B')"
  "  FROM appeals a WHERE a.id = ANY(ids)"
  "  ON CONFLICT (appeal_id) DO UPDATE SET doc = excluded.doc $$;"
  "SELECT okno_search_rebuild(array(SELECT id FROM appeals));"
  "CREATE FUNCTION okno_search_trigger() RETURNS trigger LANGUAGE plpgsql AS $$"
  "BEGIN"
  "  IF TG_TABLE_NAME = 'appeals' THEN"
  "    PERFORM okno_search_rebuild(ARRAY[new.id]);"
  "  ELSIF TG_TABLE_NAME = 'messages' AND TG_OP = 'INSERT' THEN"
  "    IF new.automatic = 0 THEN"
  "      UPDATE appeal_search SET doc = doc || okno_search_doc(new.text, 'D')"
  "      WHERE appeal_id = new.appeal_id;"
  "    END IF;"
  "  ELSIF TG_TABLE_NAME = 'messages' THEN"
  "    PERFORM okno_search_rebuild(ARRAY[old.appeal_id] || CASE WHEN TG_OP = 'UPDATE'"
  "                                THEN ARRAY[new.appeal_id] ELSE '{}' END);"
  "  ELSIF TG_OP = 'INSERT' THEN"
  "    UPDATE appeal_search SET doc = doc || okno_search_doc(new.filename, 'B')"
  "    WHERE appeal_id = (SELECT appeal_id FROM messages WHERE id = new.message_ref);"
  "  ELSE"
  "    PERFORM okno_search_rebuild(array(SELECT appeal_id FROM messages WHERE id IN"
  "      (old.message_ref, CASE WHEN TG_OP = 'UPDATE' THEN new.message_ref END)));"
  "  END IF;"
  "  RETURN NULL;"
  "END $$;"
  "CREATE TRIGGER appeal_search_appeal AFTER INSERT OR UPDATE OF subject ON appeals"
  "  FOR EACH ROW EXECUTE FUNCTION okno_search_trigger();"
  "CREATE TRIGGER appeal_search_message AFTER INSERT OR DELETE OR UPDATE OF appeal_id, text"
  "  ON messages FOR EACH ROW EXECUTE FUNCTION okno_search_trigger();"
  "CREATE TRIGGER appeal_search_attachment AFTER INSERT OR DELETE"
  "  OR UPDATE OF filename, message_ref ON attachments"
  "  FOR EACH ROW EXECUTE FUNCTION okno_search_trigger();",
  /* web: sessions and single-use tokens (the SQLite step above, table for table). */
  "CREATE TABLE sessions("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  token_hash TEXT NOT NULL UNIQUE,"
  "  kind TEXT NOT NULL CHECK (kind IN ('citizen', 'staff')),"
  "  subject TEXT NOT NULL,"
  "  csrf TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL,"
  "  expires_at BIGINT NOT NULL,"
  "  last_seen BIGINT NOT NULL,"
  "  ip TEXT NOT NULL DEFAULT '',"
  "  user_agent TEXT NOT NULL DEFAULT '',"
  "  revoked_at BIGINT NOT NULL DEFAULT 0);"
  "CREATE INDEX sessions_subject ON sessions(kind, subject);"
  "CREATE INDEX sessions_expiry ON sessions(expires_at);"
  "CREATE TABLE used_tokens(id TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);"
  "CREATE INDEX used_tokens_expiry ON used_tokens(expires_at);",

  /* cabinet (src/store/cabinet.h, src/store/notify_settings.h): one-time sign-in codes
   * (only an HMAC of the code is kept), ratings (one per appeal), address moves (the
   * citizen's cabinet moved from one e-mail to another), notification settings per
   * contact and event type; and the outbound queue opened to mail that belongs to no
   * appeal (sign-in codes, address-change notices): appeal_id and message_ref may be
   * NULL, the bytes then live in outbound.raw with their Message-ID. */
  "CREATE TABLE login_codes("
  "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
  "  email TEXT NOT NULL,"
  "  purpose TEXT NOT NULL CHECK (purpose IN ('login', 'change')),"
  "  owner TEXT NOT NULL DEFAULT '',"
  "  code_hash TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL,"
  "  expires_at BIGINT NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  used_at BIGINT NOT NULL DEFAULT 0);"
  "CREATE INDEX login_codes_email ON login_codes(email, purpose);"
  "CREATE TABLE ratings("
  "  appeal_id BIGINT PRIMARY KEY REFERENCES appeals(id),"
  "  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),"
  "  comment TEXT NOT NULL DEFAULT '',"
  "  email TEXT NOT NULL,"
  "  created_at BIGINT NOT NULL);"
  "CREATE TABLE contact_moves(email TEXT PRIMARY KEY, moved_to TEXT NOT NULL, at BIGINT NOT NULL);"
  "CREATE INDEX contact_moves_to ON contact_moves(moved_to);"
  "CREATE TABLE notify_settings("
  "  contact TEXT NOT NULL,"
  "  event TEXT NOT NULL,"
  "  email_on INTEGER NOT NULL,"
  "  updated_at BIGINT NOT NULL,"
  "  PRIMARY KEY (contact, event));"
  "CREATE INDEX appeals_from_received ON appeals(from_email, received_at);"
  "ALTER TABLE outbound ALTER COLUMN appeal_id DROP NOT NULL,"
  "  ALTER COLUMN message_ref DROP NOT NULL,"
  "  ADD COLUMN raw BYTEA,"
  "  ADD COLUMN message_id TEXT NOT NULL DEFAULT '';",


  /* oidc (src/store/oidc.h): the confirmed identity behind a citizen session signed in
   * with the portal's OpenID Connect provider: issuer + subject, the name, the verified
   * e-mail (the session's subject) and SNILS when the provider gives it. One row per
   * session; it goes when the session row goes. */
  "CREATE TABLE oidc_identities("
  "  session_id BIGINT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,"
  "  issuer TEXT NOT NULL,"
  "  subject TEXT NOT NULL,"
  "  name TEXT NOT NULL DEFAULT '',"
  "  email TEXT NOT NULL,"
  "  snils TEXT NOT NULL DEFAULT '',"
  "  created_at BIGINT NOT NULL);"
  "CREATE INDEX oidc_identities_subject ON oidc_identities(issuer, subject);",

};

const char *const *okno_migrations(const char *driver, guint *count)
{
  if (g_strcmp0(driver, "sqlite") == 0) {
    *count = G_N_ELEMENTS(sqlite_steps);
    return sqlite_steps;
  }
  if (g_strcmp0(driver, "postgresql") == 0) {
    *count = G_N_ELEMENTS(pg_steps);
    return pg_steps;
  }
  *count = 0;
  return NULL;
}
