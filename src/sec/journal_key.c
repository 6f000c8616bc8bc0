/* journal_key.c: the journal's Ed25519 key file, signatures and fingerprints
 * (journal_key.h), over libsodium's crypto_sign (Ed25519). The seed is wiped from
 * memory when the key is freed. */
#include "sec/journal_key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

#define MAGIC "okno-journal-key 1\n"

void okno_journal_key_free(OknoJournalKey *k)
{
  if (!k)
    return;
  sodium_memzero(k->sk, sizeof k->sk);
  g_free(k->fingerprint);
  g_free(k);
}

char *okno_journal_key_fingerprint(const guint8 pk[OKNO_JOURNAL_PK_LEN])
{
  guint8 h[crypto_hash_sha256_BYTES];
  char hex[2 * sizeof h + 1];
  crypto_hash_sha256(h, pk, OKNO_JOURNAL_PK_LEN);
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return g_strdup(hex);
}

char *okno_journal_key_public_base64(const guint8 pk[OKNO_JOURNAL_PK_LEN])
{
  return g_base64_encode(pk, OKNO_JOURNAL_PK_LEN);
}

gboolean okno_journal_key_public_parse(const char *b64, guint8 pk[OKNO_JOURNAL_PK_LEN])
{
  gsize len = 0;
  const char *end = NULL;
  if (!b64)
    return FALSE;
  if (sodium_base642bin(pk, OKNO_JOURNAL_PK_LEN, b64, strlen(b64), " \n", &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != OKNO_JOURNAL_PK_LEN || (end && *end))
    return FALSE;
  return TRUE;
}

OknoJournalKey *okno_journal_key_load(const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) e = NULL;
  struct stat sb;
  guint8 seed[crypto_sign_SEEDBYTES];
  gsize len = 0;
  const char *end = NULL;
  OknoJournalKey *k;
  if (stat(path, &sb) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: no journal key (%s); create one with: okno journal init --config FILE",
                path, g_strerror(errno));
    return NULL;
  }
  if (sb.st_mode & 077) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: the journal key is readable by others: chmod 600 it", path);
    return NULL;
  }
  if (!g_file_get_contents(path, &text, NULL, &e)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: %s", path, e->message);
    return NULL;
  }
  if (!g_str_has_prefix(text, MAGIC) ||
      sodium_base642bin(seed, sizeof seed, text + strlen(MAGIC), strlen(text + strlen(MAGIC)),
                        "\n", &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != sizeof seed || (end && *end)) {
    sodium_memzero(text, strlen(text));
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: not an okno journal key", path);
    return NULL;
  }
  sodium_memzero(text, strlen(text));
  k = g_new0(OknoJournalKey, 1);
  crypto_sign_seed_keypair(k->pk, k->sk, seed);
  sodium_memzero(seed, sizeof seed);
  k->fingerprint = okno_journal_key_fingerprint(k->pk);
  return k;
}

gboolean okno_journal_key_create(const char *path, GError **error)
{
  guint8 seed[crypto_sign_SEEDBYTES];
  char b64[sodium_base64_ENCODED_LEN(crypto_sign_SEEDBYTES, sodium_base64_VARIANT_ORIGINAL)];
  g_autofree char *text = NULL;
  gsize len, off = 0;
  int fd;
  if (sodium_init() < 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "libsodium did not start");
    return FALSE;
  }
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: %s", path,
                errno == EEXIST ? "a journal key is already there; it is never replaced"
                                : g_strerror(errno));
    return FALSE;
  }
  randombytes_buf(seed, sizeof seed);
  sodium_bin2base64(b64, sizeof b64, seed, sizeof seed, sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero(seed, sizeof seed);
  text = g_strconcat(MAGIC, b64, "\n", NULL);
  sodium_memzero(b64, sizeof b64);
  len = strlen(text);
  while (off < len) {
    ssize_t n = write(fd, text + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    off += (gsize)n;
  }
  sodium_memzero(text, len);
  if (off < len || fsync(fd) != 0) {
    int err = errno;
    close(fd);
    unlink(path);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "%s: %s", path, g_strerror(err));
    return FALSE;
  }
  close(fd);
  return TRUE;
}

GBytes *okno_journal_key_sign(const OknoJournalKey *k, GBytes *msg)
{
  guint8 *sig = g_malloc(crypto_sign_BYTES);
  gsize len;
  const guint8 *m = g_bytes_get_data(msg, &len);
  crypto_sign_detached(sig, NULL, m ? m : (const guint8 *)"", len, k->sk);
  return g_bytes_new_take(sig, crypto_sign_BYTES);
}

gboolean okno_journal_signature_ok(const guint8 pk[OKNO_JOURNAL_PK_LEN], GBytes *msg,
                                   GBytes *sig)
{
  gsize len, slen;
  const guint8 *m = g_bytes_get_data(msg, &len);
  const guint8 *s = sig ? g_bytes_get_data(sig, &slen) : NULL;
  if (!s || slen != crypto_sign_BYTES)
    return FALSE;
  return crypto_sign_verify_detached(s, m ? m : (const guint8 *)"", len, pk) == 0;
}

/* ---- key rotation ---- */

GBytes *okno_journal_rotation_message(const guint8 old_pk[OKNO_JOURNAL_PK_LEN],
                                      const guint8 new_pk[OKNO_JOURNAL_PK_LEN], gint64 at)
{
  char o[2 * OKNO_JOURNAL_PK_LEN + 1], n[2 * OKNO_JOURNAL_PK_LEN + 1];
  char *text;
  sodium_bin2hex(o, sizeof o, old_pk, OKNO_JOURNAL_PK_LEN);
  sodium_bin2hex(n, sizeof n, new_pk, OKNO_JOURNAL_PK_LEN);
  text = g_strdup_printf("okno-key-rotation 1\nold=%s\nnew=%s\nat=%" G_GINT64_FORMAT "\n", o, n, at);
  return g_bytes_new_take(text, strlen(text));
}

static void period_free(OknoJournalKeyPeriod *p)
{
  g_free(p->key_id);
  g_free(p);
}

static OknoJournalKeyPeriod *period_new(const guint8 pk[OKNO_JOURNAL_PK_LEN])
{
  OknoJournalKeyPeriod *p = g_new0(OknoJournalKeyPeriod, 1);
  memcpy(p->pk, pk, OKNO_JOURNAL_PK_LEN);
  p->key_id = okno_journal_key_fingerprint(pk);
  return p;
}

OknoJournalKeyring *okno_journal_keyring_new(const guint8 first_pk[OKNO_JOURNAL_PK_LEN])
{
  OknoJournalKeyring *r = g_new0(OknoJournalKeyring, 1);
  r->keys = g_ptr_array_new_with_free_func((GDestroyNotify)period_free);
  g_ptr_array_add(r->keys, period_new(first_pk));
  return r;
}

void okno_journal_keyring_free(OknoJournalKeyring *r)
{
  if (!r)
    return;
  g_ptr_array_unref(r->keys);
  g_free(r);
}

gboolean okno_journal_keyring_rotate(OknoJournalKeyring *r, const guint8 old_pk[OKNO_JOURNAL_PK_LEN],
                                     const guint8 new_pk[OKNO_JOURNAL_PK_LEN], gint64 at, gint64 seq,
                                     GBytes *old_sig, GBytes *new_sig, GError **error)
{
  OknoJournalKeyPeriod *last = r->keys->pdata[r->keys->len - 1];
  g_autoptr(GBytes) msg = okno_journal_rotation_message(old_pk, new_pk, at);
  OknoJournalKeyPeriod *next;
  if (memcmp(last->pk, old_pk, OKNO_JOURNAL_PK_LEN) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "the rotation at leaf %" G_GINT64_FORMAT " retires a key that is not the current one (%s)",
                seq, last->key_id);
    return FALSE;
  }
  if (at < last->from_at || seq <= last->from_seq) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "the rotation at leaf %" G_GINT64_FORMAT " is not after the one before it", seq);
    return FALSE;
  }
  if (!okno_journal_signature_ok(old_pk, msg, old_sig) ||
      !okno_journal_signature_ok(new_pk, msg, new_sig)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "the rotation at leaf %" G_GINT64_FORMAT " is not signed by both keys", seq);
    return FALSE;
  }
  last->until_seq = seq;
  last->until_at = at;
  next = period_new(new_pk);
  next->from_seq = seq;
  next->from_at = at;
  g_ptr_array_add(r->keys, next);
  return TRUE;
}

const OknoJournalKeyPeriod *okno_journal_keyring_find(const OknoJournalKeyring *r,
                                                      const char *key_id)
{
  for (guint i = 0; key_id && i < r->keys->len; i++) {
    const OknoJournalKeyPeriod *p = r->keys->pdata[i];
    if (strcmp(p->key_id, key_id) == 0)
      return p;
  }
  return NULL;
}

gboolean okno_journal_key_period_covers(const OknoJournalKeyPeriod *p, gint64 at, gint64 size)
{
  if (at < p->from_at || (p->until_at && at >= p->until_at))
    return FALSE;
  if (size > 0 && (size < p->from_seq || (p->until_seq && size >= p->until_seq)))
    return FALSE;
  return TRUE;
}
