/* vault.c: the key file and its epochs, sealing, wrapping and the blind index
 * (vault.h, docs/crypto.md), over libsodium (XChaCha20-Poly1305 IETF, BLAKE2b). */
#include "core/vault.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

#define MAGIC "okno-key 1"
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES

typedef struct {
  gint64 id;
  guint8 kek[OKNO_VAULT_KEY_LEN];
  gboolean retired;
} Epoch;

struct OknoVault {
  GMutex lock;
  char *path;
  guint8 index_key[OKNO_VAULT_KEY_LEN];
  GArray *epochs; /* Epoch, ascending id */
  gint64 current;
  struct stat seen; /* the file as last read */
};

static void epoch_clear(gpointer p)
{
  sodium_memzero(p, sizeof(Epoch));
}

static gboolean init_sodium(GError **error)
{
  if (sodium_init() < 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "libsodium failed to start");
    return FALSE;
  }
  return TRUE;
}

static void put_be64(guint8 *p, gint64 v)
{
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = (guint8)(v & 0xff);
}

static gint64 get_be64(const guint8 *p)
{
  guint64 v = 0;
  for (int i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return (gint64)v;
}

static gboolean b64_key(const char *s, guint8 out[OKNO_VAULT_KEY_LEN])
{
  gsize len = 0;
  const char *end = NULL;
  return s && sodium_base642bin(out, OKNO_VAULT_KEY_LEN, s, strlen(s), NULL, &len, &end,
                                sodium_base64_VARIANT_ORIGINAL) == 0 &&
         len == OKNO_VAULT_KEY_LEN && (!end || !*end);
}

static char *key_b64(const guint8 k[OKNO_VAULT_KEY_LEN])
{
  return g_base64_encode(k, OKNO_VAULT_KEY_LEN);
}

static Epoch *find_epoch(OknoVault *v, gint64 id)
{
  for (guint i = 0; i < v->epochs->len; i++)
    if (g_array_index(v->epochs, Epoch, i).id == id)
      return &g_array_index(v->epochs, Epoch, i);
  return NULL;
}

static gint cmp_epoch(gconstpointer a, gconstpointer b)
{
  gint64 x = ((const Epoch *)a)->id, y = ((const Epoch *)b)->id;
  return x < y ? -1 : x > y;
}

/* ---- reading and writing the file ---- */

/* Parses `text` into `index_key`, `epochs` and `current`; FALSE with a one-line reason. */
static gboolean parse(const char *path, const char *text, guint8 index_key[OKNO_VAULT_KEY_LEN],
                      GArray *epochs, gint64 *current, GError **error)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  gboolean have_index = FALSE;
  *current = 0;
  if (!lines[0] || strcmp(lines[0], MAGIC) != 0)
    goto bad;
  for (guint i = 1; lines[i]; i++) {
    g_auto(GStrv) w = NULL;
    if (!*lines[i])
      continue;
    w = g_strsplit(lines[i], " ", -1);
    if (!strcmp(w[0], "index") && g_strv_length(w) == 2 && !have_index) {
      if (!b64_key(w[1], index_key))
        goto bad;
      have_index = TRUE;
    } else if (!strcmp(w[0], "epoch") && (g_strv_length(w) == 3 || g_strv_length(w) == 4)) {
      Epoch e = {0};
      guint64 id = 0;
      if (!g_ascii_string_to_unsigned(w[1], 10, 1, G_MAXINT64, &id, NULL) ||
          !b64_key(w[2], e.kek) || (w[3] && strcmp(w[3], "retired") != 0))
        goto bad;
      e.id = (gint64)id;
      e.retired = w[3] != NULL;
      for (guint k = 0; k < epochs->len; k++)
        if (g_array_index(epochs, Epoch, k).id == e.id)
          goto bad;
      g_array_append_val(epochs, e);
      sodium_memzero(&e, sizeof e);
    } else if (!strcmp(w[0], "current") && g_strv_length(w) == 2 && !*current) {
      guint64 id = 0;
      if (!g_ascii_string_to_unsigned(w[1], 10, 1, G_MAXINT64, &id, NULL))
        goto bad;
      *current = (gint64)id;
    } else {
      goto bad;
    }
  }
  g_array_sort(epochs, cmp_epoch);
  for (guint k = 0; k < epochs->len; k++) {
    Epoch *e = &g_array_index(epochs, Epoch, k);
    if (e->id == *current && !e->retired && have_index)
      return TRUE;
  }
bad:
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
              "%s: not an okno key file (or damaged): restore it from its backup", path);
  return FALSE;
}

static char *read_file(const char *path, struct stat *sb, GError **error)
{
  g_autoptr(GError) e = NULL;
  char *text = NULL;
  if (stat(path, sb) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: no key file (%s); create one with: okno crypto init --config FILE", path,
                g_strerror(errno));
    return NULL;
  }
  if (sb->st_mode & 077) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: the key file is readable by others: chmod 600 it", path);
    return NULL;
  }
  if (!g_file_get_contents(path, &text, NULL, &e)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: %s", path, e->message);
    return NULL;
  }
  return text;
}

/* Writes `text` to a new file `path` (exclusive: must not exist) with mode 0600, synced. */
static gboolean write_new(const char *path, const char *text, GError **error)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  gsize len = strlen(text), off = 0;
  if (fd < 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: %s", path, g_strerror(errno));
    return FALSE;
  }
  while (off < len) {
    ssize_t n = write(fd, text + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: %s", path, g_strerror(errno));
      close(fd);
      unlink(path);
      return FALSE;
    }
    off += (gsize)n;
  }
  if (fsync(fd) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: %s", path, g_strerror(errno));
    close(fd);
    unlink(path);
    return FALSE;
  }
  close(fd);
  return TRUE;
}

static void sync_dir(const char *path)
{
  g_autofree char *dir = g_path_get_dirname(path);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
}

static char *format(OknoVault *v)
{
  GString *s = g_string_new(MAGIC "\n");
  g_autofree char *ik = key_b64(v->index_key);
  g_string_append_printf(s, "index %s\n", ik);
  for (guint i = 0; i < v->epochs->len; i++) {
    Epoch *e = &g_array_index(v->epochs, Epoch, i);
    g_autofree char *k = key_b64(e->kek);
    g_string_append_printf(s, "epoch %" G_GINT64_FORMAT " %s%s\n", e->id, k,
                           e->retired ? " retired" : "");
    sodium_memzero(k, strlen(k));
  }
  g_string_append_printf(s, "current %" G_GINT64_FORMAT "\n", v->current);
  sodium_memzero(ik, strlen(ik));
  return g_string_free(s, FALSE);
}

static gboolean save(OknoVault *v, GError **error)
{
  g_autofree char *tmp = g_strdup_printf("%s.new", v->path);
  char *text = format(v);
  gboolean ok;
  unlink(tmp);
  ok = write_new(tmp, text, error);
  sodium_memzero(text, strlen(text));
  g_free(text);
  if (!ok)
    return FALSE;
  if (rename(tmp, v->path) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: %s", v->path, g_strerror(errno));
    unlink(tmp);
    return FALSE;
  }
  sync_dir(v->path);
  if (stat(v->path, &v->seen) != 0)
    memset(&v->seen, 0, sizeof v->seen);
  return TRUE;
}

/* An exclusive lock on "<path>.lock" for a read-modify-write of the file; -1 on error. */
static int lock_file(const char *path, GError **error)
{
  g_autofree char *lp = g_strdup_printf("%s.lock", path);
  int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: %s", lp, g_strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

static void unlock_file(int fd)
{
  flock(fd, LOCK_UN);
  close(fd);
}

/* Reads the file into `v` (v->lock held): the epochs of the file replace those in
 * memory (an epoch destroyed by another process is wiped here too). */
static gboolean reload(OknoVault *v, GError **error)
{
  struct stat sb;
  g_autofree char *text = read_file(v->path, &sb, error);
  g_autoptr(GArray) fresh = g_array_new(FALSE, TRUE, sizeof(Epoch));
  guint8 ik[OKNO_VAULT_KEY_LEN];
  gint64 current = 0;
  g_array_set_clear_func(fresh, epoch_clear);
  if (!text)
    return FALSE;
  if (!parse(v->path, text, ik, fresh, &current, error)) {
    sodium_memzero(text, strlen(text));
    return FALSE;
  }
  sodium_memzero(text, strlen(text));
  g_array_sort(fresh, cmp_epoch);
  memcpy(v->index_key, ik, sizeof ik);
  sodium_memzero(ik, sizeof ik);
  g_array_unref(v->epochs);
  v->epochs = g_steal_pointer(&fresh);
  v->current = current;
  v->seen = sb;
  return TRUE;
}

static OknoVault *vault_new(const char *path)
{
  OknoVault *v = g_new0(OknoVault, 1);
  g_mutex_init(&v->lock);
  v->path = g_strdup(path);
  v->epochs = g_array_new(FALSE, TRUE, sizeof(Epoch));
  g_array_set_clear_func(v->epochs, epoch_clear);
  return v;
}

gboolean okno_vault_create(const char *path, GError **error)
{
  g_autoptr(OknoVault) v = NULL;
  Epoch e = {.id = 1};
  char *text;
  gboolean ok;
  if (!init_sodium(error))
    return FALSE;
  if (g_file_test(path, G_FILE_TEST_EXISTS)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: a key file is already there; okno never overwrites one", path);
    return FALSE;
  }
  v = vault_new(path);
  randombytes_buf(v->index_key, sizeof v->index_key);
  randombytes_buf(e.kek, sizeof e.kek);
  g_array_append_val(v->epochs, e);
  sodium_memzero(&e, sizeof e);
  v->current = 1;
  text = format(v);
  ok = write_new(path, text, error);
  sodium_memzero(text, strlen(text));
  g_free(text);
  if (ok)
    sync_dir(path);
  return ok;
}

OknoVault *okno_vault_load(const char *path, GError **error)
{
  OknoVault *v;
  if (!init_sodium(error))
    return NULL;
  v = vault_new(path);
  if (!reload(v, error)) {
    okno_vault_free(v);
    return NULL;
  }
  return v;
}

OknoVault *okno_vault_parse(const char *label, const char *text, GError **error)
{
  OknoVault *v;
  if (!init_sodium(error))
    return NULL;
  v = vault_new(label);
  if (!parse(label, text, v->index_key, v->epochs, &v->current, error)) {
    okno_vault_free(v);
    return NULL;
  }
  return v;
}

void okno_vault_free(OknoVault *v)
{
  if (!v)
    return;
  g_array_unref(v->epochs);
  sodium_memzero(v->index_key, sizeof v->index_key);
  g_free(v->path);
  g_mutex_clear(&v->lock);
  g_free(v);
}

const char *okno_vault_path(const OknoVault *v) { return v->path; }

gboolean okno_vault_refresh(OknoVault *v, GError **error)
{
  struct stat sb;
  gboolean ok = TRUE;
  g_mutex_lock(&v->lock);
  if (stat(v->path, &sb) != 0 || sb.st_ino != v->seen.st_ino || sb.st_dev != v->seen.st_dev ||
      sb.st_size != v->seen.st_size || sb.st_mtim.tv_sec != v->seen.st_mtim.tv_sec ||
      sb.st_mtim.tv_nsec != v->seen.st_mtim.tv_nsec)
    ok = reload(v, error);
  g_mutex_unlock(&v->lock);
  return ok;
}

/* ---- epochs ---- */

gint64 okno_vault_current_epoch(OknoVault *v)
{
  gint64 c;
  g_mutex_lock(&v->lock);
  c = v->current;
  g_mutex_unlock(&v->lock);
  return c;
}

/* Under the file lock and v->lock, after reading the file again: adds a new current
 * epoch (v->lock held). */
static gint64 add_epoch(OknoVault *v)
{
  Epoch e = {0};
  for (guint i = 0; i < v->epochs->len; i++)
    e.id = MAX(e.id, g_array_index(v->epochs, Epoch, i).id);
  e.id++;
  randombytes_buf(e.kek, sizeof e.kek);
  g_array_append_val(v->epochs, e);
  sodium_memzero(&e, sizeof e);
  v->current = g_array_index(v->epochs, Epoch, v->epochs->len - 1).id;
  return v->current;
}

typedef enum { EDIT_NEW, EDIT_RETIRE, EDIT_DESTROY } EditKind;

/* One read-modify-write of the file under its lock. */
static gint64 edit(OknoVault *v, EditKind kind, gint64 epoch, GError **error)
{
  int fd = lock_file(v->path, error);
  gint64 result = 0;
  Epoch *e;
  if (fd < 0)
    return 0;
  g_mutex_lock(&v->lock);
  if (!reload(v, error))
    goto out;
  switch (kind) {
  case EDIT_NEW:
    result = add_epoch(v);
    break;
  case EDIT_RETIRE:
    e = find_epoch(v, epoch);
    if (e) {
      if (e->id == v->current)
        add_epoch(v);
      e = find_epoch(v, epoch); /* the array may have moved */
      e->retired = TRUE;
    }
    result = 1;
    break;
  case EDIT_DESTROY:
    e = find_epoch(v, epoch);
    if (e && e->id == v->current) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "the current key epoch cannot go");
      goto out;
    }
    if (e) {
      guint at = (guint)(e - &g_array_index(v->epochs, Epoch, 0));
      g_array_remove_index(v->epochs, at);
    }
    result = 1;
    break;
  }
  if (result && !save(v, error))
    result = 0;
out:
  g_mutex_unlock(&v->lock);
  unlock_file(fd);
  return result;
}

gint64 okno_vault_new_epoch(OknoVault *v, GError **error) { return edit(v, EDIT_NEW, 0, error); }

gboolean okno_vault_retire_epoch(OknoVault *v, gint64 epoch, GError **error)
{
  return edit(v, EDIT_RETIRE, epoch, error) != 0;
}

gboolean okno_vault_destroy_epoch(OknoVault *v, gint64 epoch, GError **error)
{
  return edit(v, EDIT_DESTROY, epoch, error) != 0;
}

static GArray *epoch_ids(OknoVault *v, gboolean retired_only)
{
  GArray *out = g_array_new(FALSE, FALSE, sizeof(gint64));
  g_mutex_lock(&v->lock);
  for (guint i = 0; i < v->epochs->len; i++) {
    Epoch *e = &g_array_index(v->epochs, Epoch, i);
    if (!retired_only || e->retired)
      g_array_append_val(out, e->id);
  }
  g_mutex_unlock(&v->lock);
  return out;
}

GArray *okno_vault_retired_epochs(OknoVault *v) { return epoch_ids(v, TRUE); }
GArray *okno_vault_epochs(OknoVault *v) { return epoch_ids(v, FALSE); }

/* ---- data keys ---- */

void okno_vault_new_data_key(guint8 dk[OKNO_VAULT_KEY_LEN], gint64 *key_id)
{
  guint64 id = 0;
  randombytes_buf(dk, OKNO_VAULT_KEY_LEN);
  while (!id) {
    randombytes_buf(&id, sizeof id);
    id &= G_MAXINT64;
  }
  *key_id = (gint64)id;
}

static void wrap_ad(guint8 ad[7 + 16], gint64 key_id, gint64 epoch)
{
  memcpy(ad, "okno-dk", 7);
  put_be64(ad + 7, key_id);
  put_be64(ad + 15, epoch);
}

GBytes *okno_vault_wrap(OknoVault *v, gint64 epoch, gint64 key_id,
                        const guint8 dk[OKNO_VAULT_KEY_LEN], GError **error)
{
  guint8 out[NONCE + OKNO_VAULT_KEY_LEN + TAG], ad[23];
  Epoch *e;
  wrap_ad(ad, key_id, epoch);
  g_mutex_lock(&v->lock);
  e = find_epoch(v, epoch);
  if (!e) {
    g_mutex_unlock(&v->lock);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                "key epoch %" G_GINT64_FORMAT " is not in %s", epoch, v->path);
    return NULL;
  }
  randombytes_buf(out, NONCE);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE, NULL, dk, OKNO_VAULT_KEY_LEN, ad,
                                             sizeof ad, NULL, out, e->kek);
  g_mutex_unlock(&v->lock);
  return g_bytes_new(out, sizeof out);
}

gboolean okno_vault_unwrap(OknoVault *v, gint64 epoch, gint64 key_id, GBytes *wrapped,
                           guint8 dk[OKNO_VAULT_KEY_LEN], GError **error)
{
  gsize len = 0;
  const guint8 *w = wrapped ? g_bytes_get_data(wrapped, &len) : NULL;
  guint8 ad[23];
  Epoch *e;
  int rc;
  wrap_ad(ad, key_id, epoch);
  g_mutex_lock(&v->lock);
  e = find_epoch(v, epoch);
  if (!e) {
    g_mutex_unlock(&v->lock);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "the data key %016" G_GINT64_MODIFIER "x cannot be opened: its key epoch %"
                G_GINT64_FORMAT " is not in %s (destroyed: the data was shredded)",
                key_id, epoch, v->path);
    return FALSE;
  }
  rc = len == NONCE + OKNO_VAULT_KEY_LEN + TAG
           ? crypto_aead_xchacha20poly1305_ietf_decrypt(dk, NULL, NULL, w + NONCE, len - NONCE,
                                                        ad, sizeof ad, w, e->kek)
           : -1;
  g_mutex_unlock(&v->lock);
  if (rc != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "the data key %016" G_GINT64_MODIFIER "x does not open with %s (another key file?)",
                key_id, v->path);
    return FALSE;
  }
  return TRUE;
}

/* ---- values ---- */

/* The associated data of a sealed value: its header (version, key id), then `ad`. */
static guint8 *full_ad(const guint8 *header, const char *ad)
{
  gsize n = ad ? strlen(ad) : 0;
  guint8 *out = g_malloc(9 + n + 1);
  memcpy(out, header, 9);
  if (n)
    memcpy(out + 9, ad, n);
  return out;
}

GBytes *okno_vault_seal(const guint8 dk[OKNO_VAULT_KEY_LEN], gint64 key_id, const char *ad,
                        const void *data, gsize len)
{
  guint8 *out = g_malloc(OKNO_VAULT_SEAL_OVERHEAD + len);
  out[0] = 1;
  put_be64(out + 1, key_id);
  randombytes_buf(out + 9, NONCE);
  g_autofree guint8 *full = full_ad(out, ad);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + 9 + NONCE, NULL, data, len, full,
                                             9 + (ad ? strlen(ad) : 0), NULL, out + 9, dk);
  return g_bytes_new_take(out, OKNO_VAULT_SEAL_OVERHEAD + len);
}

gint64 okno_vault_sealed_key_id(const void *data, gsize len)
{
  const guint8 *p = data;
  if (!p || len < OKNO_VAULT_SEAL_OVERHEAD || p[0] != 1)
    return 0;
  return get_be64(p + 1);
}

/* The clear bytes of a sealed value, NUL-terminated (g_free), their length in *n. */
static guint8 *open_raw(const guint8 dk[OKNO_VAULT_KEY_LEN], const char *ad, const void *data,
                        gsize len, gsize *n, GError **error)
{
  const guint8 *p = data;
  guint8 *out;
  if (!okno_vault_sealed_key_id(data, len)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "not a sealed value");
    return NULL;
  }
  *n = len - OKNO_VAULT_SEAL_OVERHEAD;
  out = g_malloc(*n + 1);
  g_autofree guint8 *full = full_ad(p, ad);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, p + 9 + NONCE,
                                                 len - 9 - NONCE, full,
                                                 9 + (ad ? strlen(ad) : 0), p + 9, dk) != 0) {
    g_free(out);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL,
                "a sealed value (%s) does not open: altered or moved", ad ? ad : "");
    return NULL;
  }
  out[*n] = '\0';
  return out;
}

GBytes *okno_vault_open(const guint8 dk[OKNO_VAULT_KEY_LEN], const char *ad, const void *data,
                        gsize len, GError **error)
{
  gsize n = 0;
  guint8 *out = open_raw(dk, ad, data, len, &n, error);
  return out ? g_bytes_new_take(out, n) : NULL;
}

char *okno_vault_seal_text(const guint8 dk[OKNO_VAULT_KEY_LEN], gint64 key_id, const char *ad,
                           const char *text)
{
  g_autoptr(GBytes) b = okno_vault_seal(dk, key_id, ad, text, text ? strlen(text) : 0);
  gsize len = 0;
  const guint8 *p = g_bytes_get_data(b, &len);
  /* GLib's table encoder, not sodium_bin2base64: the same bytes (standard alphabet,
   * padded, no line breaks), several times faster; libsodium's constant-time encoding
   * is for secrets, and a sealed value is ciphertext (docs/bench.md, intake, the
   * seventh session). Room: g_base64_encode_step's bound, the close's 4, the NUL. */
  char *out = g_malloc(2 + (len / 3 + 1) * 4 + 4 + 1);
  gint state = 0, save = 0;
  gsize n;
  memcpy(out, OKNO_VAULT_TEXT_PREFIX, 2);
  n = g_base64_encode_step(p, len, FALSE, out + 2, &state, &save);
  n += g_base64_encode_close(FALSE, out + 2 + n, &state, &save);
  out[2 + n] = '\0';
  return out;
}

/* The bytes of a sealed text into `buf` (room for the decoded length); 0 if not one. */
static gsize text_bytes(const char *text, guint8 **buf)
{
  gsize tl, len = 0;
  if (!text || strncmp(text, OKNO_VAULT_TEXT_PREFIX, 2) != 0)
    return 0;
  tl = strlen(text + 2);
  *buf = g_malloc(tl);
  if (sodium_base642bin(*buf, tl, text + 2, tl, NULL, &len, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      !okno_vault_sealed_key_id(*buf, len)) {
    g_clear_pointer(buf, g_free);
    return 0;
  }
  return len;
}

gint64 okno_vault_sealed_text_key_id(const char *text)
{
  guint8 *buf = NULL;
  gsize len;
  gint64 id;
  if (!text || strncmp(text, OKNO_VAULT_TEXT_PREFIX, 2) != 0)
    return 0;
  len = text_bytes(text, &buf);
  id = len ? okno_vault_sealed_key_id(buf, len) : 0;
  g_free(buf);
  return id;
}

char *okno_vault_open_text(const guint8 dk[OKNO_VAULT_KEY_LEN], const char *ad,
                           const char *text, GError **error)
{
  guint8 *buf = NULL;
  gsize len = text_bytes(text, &buf), n = 0;
  char *out;
  if (!len) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "not a sealed text");
    return NULL;
  }
  out = (char *)open_raw(dk, ad, buf, len, &n, error);
  g_free(buf);
  return out;
}

/* ---- blind index ---- */

void okno_vault_blind_into(OknoVault *v, const char *domain, const char *value, char out[33])
{
  crypto_generichash_state s;
  guint8 h[16];
  g_mutex_lock(&v->lock);
  crypto_generichash_init(&s, v->index_key, sizeof v->index_key, sizeof h);
  g_mutex_unlock(&v->lock);
  crypto_generichash_update(&s, (const guint8 *)domain, strlen(domain) + 1);
  crypto_generichash_update(&s, (const guint8 *)(value ? value : ""),
                            value ? strlen(value) : 0);
  crypto_generichash_final(&s, h, sizeof h);
  sodium_bin2hex(out, 33, h, sizeof h);
}

char *okno_vault_blind(OknoVault *v, const char *domain, const char *value)
{
  char out[33];
  okno_vault_blind_into(v, domain, value, out);
  return g_strdup(out);
}

void okno_vault_search_key(OknoVault *v, guint8 out[OKNO_VAULT_KEY_LEN])
{
  static const char label[] = "okno-search-terms";
  g_mutex_lock(&v->lock);
  crypto_generichash(out, OKNO_VAULT_KEY_LEN, (const guint8 *)label, sizeof label - 1,
                     v->index_key, sizeof v->index_key);
  g_mutex_unlock(&v->lock);
}
