/* terms.c: the search index's terms, keyed hashes of stems (contract: terms.h).
 *
 * A term is SipHash-2-4 (libsodium's crypto_shorthash: a keyed PRF with an 8-byte
 * output) of the stem, under a 16-byte key derived from the search key once per text;
 * the 8 bytes are written as 16 letters 'a'+nibble so that no parser (FTS5's ascii
 * tokenizer, PostgreSQL's default parser under `simple`) can see anything but one
 * plain word in it. 64 bits: among a million distinct stems a collision is a
 * one-in-ten-million event, and one would only add a false match. SipHash replaced
 * keyed BLAKE2b-64 (until 2026-12-06), which cost two 128-byte compressions per stem
 * and made most of encryption's cost at intake (docs/crypto.md); the key check names
 * the function too, so a store indexed the old way is re-indexed at its next open.
 * The re-making of terms reads rows in pages of 500 by id, so a large store needs no
 * large memory. */
#include "store/terms.h"

#include <sodium.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/vault.h"
#include "store/keys.h"
#include "text/tokenizer.h"

#define PAGE 500

/* What search_state.key_check holds for terms made without a key file: "none2" for
 * SipHash under the all-zero key; "none" was unkeyed BLAKE2b (re-made at open). */
#define UNKEYED_CHECK "none2"
#define OLD_UNKEYED_CHECK "none"

typedef struct {
  guint8 key[crypto_shorthash_KEYBYTES];
  gboolean keyed;
  GString *out;
} Hasher;

static void hasher_init(Hasher *h, GString *out)
{
  static const char label[] = "okno-search-terms-siphash";
  OknoVault *v = okno_store_vault();
  h->keyed = v != NULL;
  memset(h->key, 0, sizeof h->key);
  if (v) {
    guint8 search_key[OKNO_VAULT_KEY_LEN];
    okno_vault_search_key(v, search_key);
    crypto_generichash(h->key, sizeof h->key, (const guint8 *)label, sizeof label - 1,
                       search_key, sizeof search_key);
    sodium_memzero(search_key, sizeof search_key);
  }
  h->out = out;
}

static void hasher_clear(Hasher *h) { sodium_memzero(h->key, sizeof h->key); }

static void put_term(Hasher *h, const char *term, gsize len)
{
  guint8 d[OKNO_TERM_LEN / 2];
  char w[OKNO_TERM_LEN];
  G_STATIC_ASSERT(sizeof d == crypto_shorthash_BYTES);
  crypto_shorthash(d, (const guint8 *)term, len, h->key);
  for (gsize i = 0; i < sizeof d; i++) {
    w[2 * i] = (char)('a' + (d[i] >> 4));
    w[2 * i + 1] = (char)('a' + (d[i] & 15));
  }
  if (h->out->len)
    g_string_append_c(h->out, ' ');
  g_string_append_len(h->out, w, sizeof w);
}

static int on_term(const OknoTerm *t, void *user)
{
  put_term(user, t->term, t->term_len);
  return 0;
}

char *okno_store_terms(const char *text)
{
  Hasher h;
  GString *out = g_string_new(NULL);
  hasher_init(&h, out);
  if (text)
    okno_text_scan(okno_stemmer_thread(), text, strlen(text), on_term, &h);
  hasher_clear(&h);
  return g_string_free(out, FALSE);
}

char **okno_store_query_terms(char **words)
{
  GPtrArray *out = g_ptr_array_new();
  for (char **w = words; w && *w; w++) {
    g_autofree char *t = okno_store_terms(*w);
    if (*t)
      g_ptr_array_add(out, g_steal_pointer(&t));
  }
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(out, FALSE);
}

char *okno_store_terms_key_check(void)
{
  Hasher h;
  GString *out = g_string_new(NULL);
  hasher_init(&h, out);
  if (!h.keyed) {
    g_string_free(out, TRUE);
    return g_strdup(UNKEYED_CHECK);
  }
  put_term(&h, "\0okno-search-check", sizeof "\0okno-search-check" - 1);
  hasher_clear(&h);
  return g_string_free(out, FALSE);
}

/* Rewrites `column` of `table` from `source` for every row (`where` narrows them). */
static gboolean remake(OknoDb *db, const char *table, const char *source, const char *column,
                       const char *where, gint64 *rows, GError **error)
{
  g_autofree char *select = g_strdup_printf(
      "SELECT id, %s, %s FROM %s WHERE id > $1%s ORDER BY id LIMIT %d", source, column, table,
      where, PAGE);
  g_autofree char *update = g_strdup_printf("UPDATE %s SET %s = $2 WHERE id = $1", table, column);
  gint64 last = 0;
  for (;;) {
    g_autoptr(OknoRows) r = okno_db_query(db, select, OKNO_PARAMS(OKNO_INT(last)), error);
    if (!r)
      return FALSE;
    for (guint i = 0; i < okno_rows_count(r); i++) {
      g_autofree char *terms = okno_store_terms(okno_rows_text(r, i, 1));
      last = okno_rows_int(r, i, 0);
      if (g_strcmp0(terms, okno_rows_text(r, i, 2)) == 0)
        continue;
      if (!okno_db_exec(db, update, OKNO_PARAMS(OKNO_INT(last), OKNO_TEXT(terms)), error))
        return FALSE;
      if (rows)
        (*rows)++;
    }
    if (okno_rows_count(r) < PAGE)
      return TRUE;
  }
}

gboolean okno_store_search_reindex(OknoStore *st, gint64 *rows, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autofree char *check = okno_store_terms_key_check();
  if (rows)
    *rows = 0;
  return remake(db, "appeals", "subject", "subject_terms", "", rows, error) &&
         remake(db, "messages", "text", "text_terms", " AND automatic = 0", rows, error) &&
         remake(db, "attachments", "filename", "filename_terms", "", rows, error) &&
         okno_db_exec(db, "UPDATE search_state SET key_check = $1",
                      OKNO_PARAMS(OKNO_TEXT(check)), error);
}

/* The key the store's terms were made under ("" after migration 16: words; "none" or
 * "none2" without a key file; else a term of a fixed string). */
static char *stored_check(OknoDb *db, gboolean lock, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      db,
      lock && !okno_db_is_sqlite(db) ? "SELECT key_check FROM search_state FOR UPDATE"
                                     : "SELECT key_check FROM search_state",
      OKNO_NO_PARAMS, error);
  if (!r)
    return NULL;
  return g_strdup(okno_rows_count(r) ? okno_rows_text(r, 0, 0) : "");
}

static gboolean wanted(const char *stored, const char *mine)
{
  if (g_strcmp0(stored, mine) == 0)
    return FALSE;
  /* without a key file, terms made under one stay as they are */
  return *stored == '\0' || strcmp(stored, OLD_UNKEYED_CHECK) == 0 ||
         strcmp(stored, UNKEYED_CHECK) == 0 || strcmp(mine, UNKEYED_CHECK) != 0;
}

gboolean okno_store_search_prepare(OknoStore *st, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autofree char *mine = okno_store_terms_key_check();
  g_autofree char *stored = stored_check(db, FALSE, error);
  gint64 rows = 0;
  if (!stored)
    return FALSE;
  if (!wanted(stored, mine))
    return TRUE;
  if (!okno_store_begin(st, error))
    return FALSE;
  g_free(stored);
  /* again under the write lock: another process may have done it meanwhile */
  if (!(stored = stored_check(db, TRUE, error)) ||
      (wanted(stored, mine) && !okno_store_search_reindex(st, &rows, error)) ||
      !okno_store_commit(st, error)) {
    okno_store_rollback(st);
    return FALSE;
  }
  if (rows) {
    okno_log("search", "event=search_reindexed rows=%" G_GINT64_FORMAT, rows);
    /* the words the old index held go from the WAL now, not at some later checkpoint */
    if (okno_db_is_sqlite(db))
      okno_db_script(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL);
  }
  return TRUE;
}
