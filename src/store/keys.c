/* keys.c: the appeals' data keys, sealing and opening, crypto-shredding and rotation
 * (keys.h, docs/crypto.md). The process's vault and the cache of unwrapped data keys
 * are process-wide (one per process, shared by every store connection and thread). */
#include "store/keys.h"

#include "core/json.h"

#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"

typedef struct {
  guint8 dk[OKNO_VAULT_KEY_LEN];
} DataKey;

static GMutex lock;
static OknoVault *vault;
static char *vault_path;
static GHashTable *cache;        /* key id (gint64*) -> DataKey* */
/* appeal id -> key id of appeals this process saw; message ids as -id (the
 * attachments of a message just inserted find their key without a statement) */
static GHashTable *appeal_keys;
#define APPEAL_KEYS_MAX 65536

static void data_key_free(gpointer p)
{
  sodium_memzero(p, sizeof(DataKey));
  g_free(p);
}

static void ensure_tables(void)
{
  if (!cache) {
    cache = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, data_key_free);
    appeal_keys = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  }
}

static void set_no_vault(GError **error)
{
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
              "the store holds encrypted data but the key file %s is missing: put it back "
              "(docs/crypto.md)",
              vault_path ? vault_path : "([crypto] key_file)");
}

static gboolean data_key(OknoDb *db, gint64 key_id, guint8 dk[OKNO_VAULT_KEY_LEN],
                         GError **error);

static gboolean open_text(OknoDb *db, const char *stored, char **clear, GError **error);

typedef struct {
  OknoDb *db;
  const char *json;
  GString *out;
  gsize copied;
  GError *error;
} Opening;

static void open_member(gsize key_at, gsize key_len, gsize value_at, gsize value_len,
                        void *user)
{
  Opening *o = user;
  g_autofree char *sealed = NULL, *clear = NULL;
  (void)key_at;
  (void)key_len;
  if (o->error || value_len < 4 || strncmp(o->json + value_at, "\"" OKNO_VAULT_TEXT_PREFIX, 3) != 0)
    return;
  sealed = g_strndup(o->json + value_at + 1, value_len - 2);
  if (!open_text(o->db, sealed, &clear, &o->error))
    return;
  g_string_append_len(o->out, o->json + o->copied, value_at - o->copied);
  g_string_append(o->out, clear ? clear : "\"\"");
  o->copied = value_at + value_len;
}

/* A detail of store/events.h ("~2" + JSON with sealed member values): the JSON as it
 * was written; a member that does not open (shredded) reads as "". */
static gboolean open_detail(OknoDb *db, const char *stored, char **clear, GError **error)
{
  const char *json = stored + strlen(OKNO_VAULT_DETAIL_PREFIX);
  Opening o = {.db = db, .json = json, .out = g_string_new(NULL)};
  if (!okno_json_scan_members(json, strlen(json), open_member, &o) || o.error) {
    g_string_free(o.out, TRUE);
    *clear = NULL;
    if (o.error) {
      g_propagate_error(error, o.error);
      return FALSE;
    }
    return TRUE; /* clear text that only begins like a detail */
  }
  g_string_append(o.out, json + o.copied);
  *clear = g_string_free(o.out, FALSE);
  return TRUE;
}

/* The opener of sealed text of db.h: "" for a value that does not open. */
static gboolean open_text(OknoDb *db, const char *stored, char **clear, GError **error)
{
  guint8 dk[OKNO_VAULT_KEY_LEN];
  gint64 key_id;
  g_autoptr(GError) e = NULL;
  if (g_str_has_prefix(stored, OKNO_VAULT_DETAIL_PREFIX))
    return open_detail(db, stored, clear, error);
  key_id = okno_vault_sealed_text_key_id(stored);
  *clear = NULL;
  if (!key_id)
    return TRUE; /* clear text that only begins like a sealed one */
  if (!vault) {
    set_no_vault(error);
    return FALSE;
  }
  if (!data_key(db, key_id, dk, &e))
    return TRUE; /* shredded */
  *clear = okno_vault_open_text(dk, OKNO_STORE_TEXT_AD, stored, NULL);
  sodium_memzero(dk, sizeof dk);
  return TRUE;
}

void okno_store_set_vault(OknoVault *v, const char *path)
{
  okno_db_set_text_opener(open_text);
  g_mutex_lock(&lock);
  g_clear_pointer(&vault, okno_vault_free);
  g_free(vault_path);
  vault = v;
  vault_path = g_strdup(path);
  if (cache) {
    g_hash_table_remove_all(cache);
    g_hash_table_remove_all(appeal_keys);
  }
  g_mutex_unlock(&lock);
}

OknoVault *okno_store_vault(void) { return vault; }

gboolean okno_store_has_sealed(OknoStore *st, gboolean *any, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), "SELECT 1 FROM data_keys LIMIT 1",
                                        OKNO_NO_PARAMS, error);
  if (!r)
    return FALSE;
  *any = okno_rows_count(r) > 0;
  return TRUE;
}

gboolean okno_store_check_vault(OknoStore *st, GError **error)
{
  gboolean any = FALSE;
  if (vault)
    return TRUE;
  if (!okno_store_has_sealed(st, &any, error))
    return FALSE;
  if (any) {
    set_no_vault(error);
    return FALSE;
  }
  return TRUE;
}

/* ---- the cache ---- */

static void cache_put(gint64 key_id, const guint8 dk[OKNO_VAULT_KEY_LEN])
{
  DataKey *k = g_new(DataKey, 1);
  memcpy(k->dk, dk, OKNO_VAULT_KEY_LEN);
  g_mutex_lock(&lock);
  ensure_tables();
  g_hash_table_replace(cache, g_memdup2(&key_id, sizeof key_id), k);
  g_mutex_unlock(&lock);
}

static gboolean cache_get(gint64 key_id, guint8 dk[OKNO_VAULT_KEY_LEN])
{
  DataKey *k;
  g_mutex_lock(&lock);
  ensure_tables();
  k = g_hash_table_lookup(cache, &key_id);
  if (k)
    memcpy(dk, k->dk, OKNO_VAULT_KEY_LEN);
  g_mutex_unlock(&lock);
  return k != NULL;
}

static void cache_drop(gint64 key_id)
{
  g_mutex_lock(&lock);
  ensure_tables();
  g_hash_table_remove(cache, &key_id);
  g_mutex_unlock(&lock);
}

static void remember_appeal(gint64 appeal_id, gint64 key_id)
{
  g_mutex_lock(&lock);
  ensure_tables();
  if (g_hash_table_size(appeal_keys) >= APPEAL_KEYS_MAX)
    g_hash_table_remove_all(appeal_keys);
  g_hash_table_replace(appeal_keys, g_memdup2(&appeal_id, sizeof appeal_id),
                       g_memdup2(&key_id, sizeof key_id));
  g_mutex_unlock(&lock);
}

static void forget_appeal(gint64 appeal_id)
{
  g_mutex_lock(&lock);
  ensure_tables();
  g_hash_table_remove(appeal_keys, &appeal_id);
  g_mutex_unlock(&lock);
}

/* The data key `key_id`, from the cache or the store (then unwrapped and cached). */
static gboolean data_key(OknoDb *db, gint64 key_id, guint8 dk[OKNO_VAULT_KEY_LEN],
                         GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GBytes) wrapped = NULL;
  g_autoptr(GError) e = NULL;
  gint64 epoch;
  if (!vault) {
    set_no_vault(error);
    return FALSE;
  }
  if (cache_get(key_id, dk))
    return TRUE;
  r = okno_db_query(db, "SELECT epoch, wrapped FROM data_keys WHERE id = $1",
                    OKNO_PARAMS(OKNO_INT(key_id)), error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "the data key %016" G_GINT64_MODIFIER "x is gone (the data was shredded)",
                key_id);
    return FALSE;
  }
  epoch = okno_rows_int(r, 0, 0);
  wrapped = okno_rows_blob(r, 0, 1);
  if (!okno_vault_unwrap(vault, epoch, key_id, wrapped, dk, &e)) {
    /* another process may have rotated: read the key file again, once */
    if (!okno_vault_refresh(vault, error) ||
        !okno_vault_unwrap(vault, epoch, key_id, wrapped, dk, error))
      return FALSE;
  }
  cache_put(key_id, dk);
  return TRUE;
}

struct OknoKeyAhead {
  gint64 key_id;
  gint64 epoch;     /* current when `wrapped` was made */
  GBytes *wrapped;
  guint8 dk[OKNO_VAULT_KEY_LEN];
};

OknoKeyAhead *okno_store_key_ahead_new(GError **error)
{
  OknoKeyAhead *k;
  if (!vault || !okno_vault_refresh(vault, error))
    return NULL;
  k = g_new0(OknoKeyAhead, 1);
  k->epoch = okno_vault_current_epoch(vault);
  okno_vault_new_data_key(k->dk, &k->key_id);
  if (!(k->wrapped = okno_vault_wrap(vault, k->epoch, k->key_id, k->dk, error))) {
    okno_store_key_ahead_free(k);
    return NULL;
  }
  return k;
}

void okno_store_key_ahead_free(OknoKeyAhead *k)
{
  if (!k)
    return;
  g_clear_pointer(&k->wrapped, g_bytes_unref);
  sodium_memzero(k, sizeof *k);
  g_free(k);
}

gint64 okno_store_key_ahead_id(const OknoKeyAhead *k) { return k ? k->key_id : 0; }

char *okno_store_key_ahead_seal_text(const OknoKeyAhead *k, const char *text)
{
  return okno_vault_seal_text(k->dk, k->key_id, OKNO_STORE_TEXT_AD, text ? text : "");
}

GBytes *okno_store_key_ahead_seal(const OknoKeyAhead *k, const char *ad, const void *data,
                                  gsize len)
{
  return okno_vault_seal(k->dk, k->key_id, ad, data, len);
}

/* Stores data key `dk` (id `key_id`) wrapped under the current epoch: `wrapped`, made
 * under `epoch`, when that is still the current one, else wrapped again here. */
static gboolean key_insert(OknoStore *st, gint64 key_id, const guint8 dk[OKNO_VAULT_KEY_LEN],
                           gint64 epoch, GBytes *wrapped, GError **error)
{
  g_autoptr(GBytes) rewrapped = NULL;
  gint64 current;
  gsize len = 0;
  const void *w;
  if (!okno_vault_refresh(vault, error))
    return FALSE;
  current = okno_vault_current_epoch(vault);
  if (!wrapped || epoch != current) {
    if (!(rewrapped = okno_vault_wrap(vault, current, key_id, dk, error)))
      return FALSE;
    wrapped = rewrapped;
  }
  w = g_bytes_get_data(wrapped, &len);
  if (!okno_db_exec(okno_store_db(st),
                    "INSERT INTO data_keys(id, epoch, wrapped, created_at) VALUES($1, $2, $3, $4)",
                    OKNO_PARAMS(OKNO_INT(key_id), OKNO_INT(current), OKNO_BLOB(w, len),
                                OKNO_INT(okno_now())),
                    error))
    return FALSE;
  cache_put(key_id, dk);
  return TRUE;
}

gboolean okno_store_key_new(OknoStore *st, gint64 *key_id, GError **error)
{
  guint8 dk[OKNO_VAULT_KEY_LEN];
  gboolean ok;
  *key_id = 0;
  if (!vault)
    return TRUE;
  okno_vault_new_data_key(dk, key_id);
  ok = key_insert(st, *key_id, dk, 0, NULL, error);
  sodium_memzero(dk, sizeof dk);
  if (!ok)
    *key_id = 0;
  return ok;
}

gboolean okno_store_key_insert_ahead(OknoStore *st, const OknoKeyAhead *k, gint64 *key_id,
                                     GError **error)
{
  if (!k)
    return okno_store_key_new(st, key_id, error);
  *key_id = 0;
  if (!vault) {
    set_no_vault(error);
    return FALSE;
  }
  if (!key_insert(st, k->key_id, k->dk, k->epoch, k->wrapped, error))
    return FALSE;
  *key_id = k->key_id;
  return TRUE;
}

/* The key id remembered under `slot` (appeal id, or -message id), else the one
 * statement `sql` ($1 = id) reads, remembered. */
static gboolean key_lookup(OknoStore *st, gint64 slot, const char *sql, gint64 id,
                           gint64 *key_id, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  gint64 *known;
  *key_id = 0;
  if (!vault)
    return TRUE;
  g_mutex_lock(&lock);
  ensure_tables();
  known = g_hash_table_lookup(appeal_keys, &slot);
  if (known)
    *key_id = *known;
  g_mutex_unlock(&lock);
  if (known)
    return TRUE;
  r = okno_db_query(okno_store_db(st), sql, OKNO_PARAMS(OKNO_INT(id)), error);
  if (!r)
    return FALSE;
  *key_id = okno_rows_count(r) ? okno_rows_int(r, 0, 0) : 0;
  if (*key_id)
    remember_appeal(slot, *key_id);
  return TRUE;
}

gboolean okno_store_key_of_appeal(OknoStore *st, gint64 appeal_id, gint64 *key_id,
                                  GError **error)
{
  return key_lookup(st, appeal_id, "SELECT key_id FROM appeals WHERE id = $1", appeal_id,
                    key_id, error);
}

void okno_store_keys_remember(gint64 appeal_id, gint64 key_id)
{
  if (key_id)
    remember_appeal(appeal_id, key_id);
}

void okno_store_keys_remember_message(gint64 message_id, gint64 key_id)
{
  if (key_id)
    remember_appeal(-message_id, key_id);
}

gboolean okno_store_key_of_message(OknoStore *st, gint64 message_id, gint64 *key_id,
                                   GError **error)
{
  return key_lookup(st, -message_id,
                    "SELECT a.key_id FROM messages m JOIN appeals a ON a.id = m.appeal_id "
                    "WHERE m.id = $1",
                    message_id, key_id, error);
}

GBytes *okno_store_seal(OknoStore *st, gint64 key_id, const char *ad, const void *data,
                        gsize len, GError **error)
{
  guint8 dk[OKNO_VAULT_KEY_LEN];
  GBytes *out;
  if (!key_id)
    return g_bytes_new(data, len);
  if (!data_key(okno_store_db(st), key_id, dk, error))
    return NULL;
  out = okno_vault_seal(dk, key_id, ad, data, len);
  sodium_memzero(dk, sizeof dk);
  return out;
}

char *okno_store_seal_text(OknoStore *st, gint64 key_id, const char *text, GError **error)
{
  guint8 dk[OKNO_VAULT_KEY_LEN];
  char *out;
  if (!key_id)
    return g_strdup(text ? text : "");
  if (!data_key(okno_store_db(st), key_id, dk, error))
    return NULL;
  out = okno_vault_seal_text(dk, key_id, OKNO_STORE_TEXT_AD, text ? text : "");
  sodium_memzero(dk, sizeof dk);
  return out;
}

char *okno_store_seal_secret(OknoStore *st, const char *text, GError **error)
{
  gint64 key_id = 0;
  if (!okno_store_key_new(st, &key_id, error))
    return NULL;
  return okno_store_seal_text(st, key_id, text, error);
}

char *okno_store_blind_email(const char *email)
{
  g_autofree char *low = g_utf8_strdown(email ? email : "", -1);
  if (!vault)
    return g_steal_pointer(&low);
  return okno_vault_blind(vault, "email", low);
}

GBytes *okno_store_unseal(OknoStore *st, const char *ad, GBytes *stored, GError **error)
{
  guint8 dk[OKNO_VAULT_KEY_LEN];
  gsize len = 0;
  const void *p;
  gint64 key_id;
  GBytes *out;
  if (!stored)
    return NULL;
  p = g_bytes_get_data(stored, &len);
  key_id = okno_vault_sealed_key_id(p, len);
  if (!key_id)
    return g_bytes_ref(stored);
  if (!data_key(okno_store_db(st), key_id, dk, error))
    return NULL;
  out = okno_vault_open(dk, ad, p, len, error);
  sodium_memzero(dk, sizeof dk);
  return out;
}

/* ---- shredding, collecting, rotating ---- */

gboolean okno_store_appeal_shred(OknoStore *st, gint64 appeal_id, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) r = NULL;
  gint64 key_id, epoch;
  if (!vault) {
    set_no_vault(error);
    return FALSE;
  }
  r = okno_db_query(db,
                    "SELECT k.id, k.epoch FROM appeals a JOIN data_keys k ON k.id = a.key_id "
                    "WHERE a.id = $1",
                    OKNO_PARAMS(OKNO_INT(appeal_id)), error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r))
    return TRUE;
  key_id = okno_rows_int(r, 0, 0);
  epoch = okno_rows_int(r, 0, 1);
  /* Retire first: if the file cannot be written, nothing is deleted. */
  if (!okno_vault_retire_epoch(vault, epoch, error) ||
      !okno_db_exec(db, "DELETE FROM data_keys WHERE id = $1", OKNO_PARAMS(OKNO_INT(key_id)),
                    error) ||
      /* the knowledge base's cached cases forget its texts (store/kb.h) */
      !okno_db_exec(db, "UPDATE kb_state SET shreds = shreds + 1 WHERE id = 1",
                    OKNO_NO_PARAMS, error))
    return FALSE;
  cache_drop(key_id);
  forget_appeal(appeal_id);
  okno_log("crypto", "event=shredded appeal_id=%" G_GINT64_FORMAT " epoch=%" G_GINT64_FORMAT,
                appeal_id, epoch);
  return TRUE;
}

/* Re-wraps every key of `epoch` under `current` in one transaction; *n: how many. */
static gboolean rewrap_epoch(OknoStore *st, gint64 epoch, gint64 current, gint64 *n,
                             GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(OknoRows) r = NULL;
  if (!okno_store_begin(st, error))
    return FALSE;
  r = okno_db_query(db, "SELECT id, wrapped FROM data_keys WHERE epoch = $1",
                    OKNO_PARAMS(OKNO_INT(epoch)), error);
  if (!r)
    goto fail;
  for (guint i = 0; i < okno_rows_count(r); i++) {
    gint64 id = okno_rows_int(r, i, 0);
    g_autoptr(GBytes) wrapped = okno_rows_blob(r, i, 1);
    g_autoptr(GBytes) again = NULL;
    guint8 dk[OKNO_VAULT_KEY_LEN];
    gsize len = 0;
    const void *w;
    if (!okno_vault_unwrap(vault, epoch, id, wrapped, dk, error))
      goto fail;
    again = okno_vault_wrap(vault, current, id, dk, error);
    sodium_memzero(dk, sizeof dk);
    if (!again)
      goto fail;
    w = g_bytes_get_data(again, &len);
    if (!okno_db_exec(db, "UPDATE data_keys SET epoch = $2, wrapped = $3 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(current), OKNO_BLOB(w, len)), error))
      goto fail;
    (*n)++;
  }
  return okno_store_commit(st, error);
fail:
  okno_store_rollback(st);
  return FALSE;
}

gboolean okno_store_keys_collect(OknoStore *st, gint64 *moved, GError **error)
{
  g_autoptr(GArray) retired = NULL;
  gint64 n = 0;
  if (!vault) {
    set_no_vault(error);
    return FALSE;
  }
  if (!okno_vault_refresh(vault, error))
    return FALSE;
  retired = okno_vault_retired_epochs(vault);
  for (guint i = 0; i < retired->len; i++) {
    gint64 epoch = g_array_index(retired, gint64, i);
    gint64 current = okno_vault_current_epoch(vault);
    /* Twice: a process that wrapped a key under this epoch just before it read the key
     * file again (its group commit in flight) is caught by the second pass. */
    if (!rewrap_epoch(st, epoch, current, &n, error) ||
        !rewrap_epoch(st, epoch, current, &n, error) ||
        !okno_vault_destroy_epoch(vault, epoch, error))
      return FALSE;
    okno_log("crypto", "event=epoch_destroyed epoch=%" G_GINT64_FORMAT, epoch);
  }
  if (moved)
    *moved = n;
  return TRUE;
}

gboolean okno_store_keys_rotate(OknoStore *st, gint64 *moved, GError **error)
{
  g_autoptr(GArray) all = NULL;
  gint64 fresh;
  if (!vault) {
    set_no_vault(error);
    return FALSE;
  }
  all = okno_vault_epochs(vault);
  if (!(fresh = okno_vault_new_epoch(vault, error)))
    return FALSE;
  for (guint i = 0; i < all->len; i++)
    if (g_array_index(all, gint64, i) != fresh &&
        !okno_vault_retire_epoch(vault, g_array_index(all, gint64, i), error))
      return FALSE;
  return okno_store_keys_collect(st, moved, error);
}
