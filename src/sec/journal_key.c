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
