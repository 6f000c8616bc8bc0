/* merkle.c: RFC 9162 Merkle tree hashing, proofs and their verification (merkle.h).
 *
 * The recursive definitions of RFC 9162 2.1.1 (MTH), 2.1.3.1 (PATH) and 2.1.4.1
 * (PROOF/SUBPROOF) are written as they stand, over an array of leaf hashes; the
 * verifiers are the iterative algorithms of 2.1.3.2 and 2.1.4.2. The frontier keeps
 * one hash per set bit of the size (the perfect subtrees of the tree's left edge), so
 * appending a leaf merges as many nodes as the size has trailing one bits. */
#include "core/merkle.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

/* SHA-256 through OpenSSL's EVP, which uses the CPU's SHA instructions where there are
 * any (about five times libsodium's portable code: verify hashes every entry of the
 * journal once), with one context per thread kept for the thread's life; libsodium
 * when OpenSSL cannot give one. Same bytes in, same digest out either way. */
static void ctx_free(gpointer ctx) { EVP_MD_CTX_free(ctx); }
static GPrivate thread_ctx = G_PRIVATE_INIT(ctx_free);

static EVP_MD_CTX *sha256_ctx(void)
{
  static gsize md_once;
  static EVP_MD *md;
  EVP_MD_CTX *ctx;
  if (g_once_init_enter(&md_once)) {
    md = EVP_MD_fetch(NULL, "SHA256", NULL);
    g_once_init_leave(&md_once, 1);
  }
  if (!md)
    return NULL;
  ctx = g_private_get(&thread_ctx);
  if (!ctx) {
    ctx = EVP_MD_CTX_new();
    if (!ctx)
      return NULL;
    g_private_set(&thread_ctx, ctx);
  }
  return EVP_DigestInit_ex2(ctx, md, NULL) == 1 ? ctx : NULL;
}

/* SHA-256 of a[0..alen) followed by b[0..blen). */
static void sha256_two(const void *a, gsize alen, const void *b, gsize blen,
                       guint8 out[OKNO_HASH_LEN])
{
  EVP_MD_CTX *ctx = sha256_ctx();
  crypto_hash_sha256_state s;
  if (ctx && EVP_DigestUpdate(ctx, a, alen) == 1 && EVP_DigestUpdate(ctx, b, blen) == 1 &&
      EVP_DigestFinal_ex(ctx, out, NULL) == 1)
    return;
  crypto_hash_sha256_init(&s);
  crypto_hash_sha256_update(&s, a, alen);
  crypto_hash_sha256_update(&s, b, blen);
  crypto_hash_sha256_final(&s, out);
}

static void tagged_sha256(guint8 tag, const void *data, gsize len, guint8 out[OKNO_HASH_LEN])
{
  sha256_two(&tag, 1, data, len, out);
}

void okno_sha256(const void *data, gsize len, guint8 out[OKNO_HASH_LEN])
{
  sha256_two("", 0, len ? data : "", len, out);
}

void okno_merkle_leaf_hash(const void *entry, gsize len, guint8 out[OKNO_HASH_LEN])
{
  tagged_sha256(0x00, len ? entry : "", len, out);
}

void okno_merkle_node_hash(const guint8 left[OKNO_HASH_LEN], const guint8 right[OKNO_HASH_LEN],
                           guint8 out[OKNO_HASH_LEN])
{
  guint8 buf[2 * OKNO_HASH_LEN];
  memcpy(buf, left, OKNO_HASH_LEN);
  memcpy(buf + OKNO_HASH_LEN, right, OKNO_HASH_LEN);
  tagged_sha256(0x01, buf, sizeof buf, out);
}

/* The largest power of two smaller than n (n > 1). */
static guint64 split_point(guint64 n)
{
  guint64 k = 1;
  while (k << 1 < n)
    k <<= 1;
  return k;
}

void okno_merkle_root(const guint8 *leaves, guint64 n, guint8 out[OKNO_HASH_LEN])
{
  guint8 l[OKNO_HASH_LEN], r[OKNO_HASH_LEN];
  guint64 k;
  if (n == 0) {
    crypto_hash_sha256(out, (const guint8 *)"", 0);
    return;
  }
  if (n == 1) {
    memcpy(out, leaves, OKNO_HASH_LEN);
    return;
  }
  k = split_point(n);
  okno_merkle_root(leaves, k, l);
  okno_merkle_root(leaves + k * OKNO_HASH_LEN, n - k, r);
  okno_merkle_node_hash(l, r, out);
}

static void path(const guint8 *leaves, guint64 n, guint64 m, GByteArray *out)
{
  guint8 h[OKNO_HASH_LEN];
  guint64 k;
  if (n <= 1)
    return;
  k = split_point(n);
  if (m < k) {
    path(leaves, k, m, out);
    okno_merkle_root(leaves + k * OKNO_HASH_LEN, n - k, h);
  } else {
    path(leaves + k * OKNO_HASH_LEN, n - k, m - k, out);
    okno_merkle_root(leaves, k, h);
  }
  g_byte_array_append(out, h, OKNO_HASH_LEN);
}

GByteArray *okno_merkle_inclusion_proof(const guint8 *leaves, guint64 n, guint64 m)
{
  GByteArray *out;
  if (m >= n)
    return NULL;
  out = g_byte_array_new();
  path(leaves, n, m, out);
  return out;
}

static void subproof(const guint8 *leaves, guint64 n, guint64 m, gboolean b, GByteArray *out)
{
  guint8 h[OKNO_HASH_LEN];
  guint64 k;
  if (m == n) {
    if (!b) {
      okno_merkle_root(leaves, n, h);
      g_byte_array_append(out, h, OKNO_HASH_LEN);
    }
    return;
  }
  k = split_point(n);
  if (m <= k) {
    subproof(leaves, k, m, b, out);
    okno_merkle_root(leaves + k * OKNO_HASH_LEN, n - k, h);
  } else {
    subproof(leaves + k * OKNO_HASH_LEN, n - k, m - k, FALSE, out);
    okno_merkle_root(leaves, k, h);
  }
  g_byte_array_append(out, h, OKNO_HASH_LEN);
}

GByteArray *okno_merkle_consistency_proof(const guint8 *leaves, guint64 n, guint64 m)
{
  GByteArray *out;
  if (m == 0 || m > n)
    return NULL;
  out = g_byte_array_new();
  subproof(leaves, n, m, TRUE, out);
  return out;
}

gboolean okno_merkle_verify_inclusion(const guint8 leaf[OKNO_HASH_LEN], guint64 index,
                                      guint64 size, const guint8 *proof, gsize plen,
                                      const guint8 root[OKNO_HASH_LEN])
{
  guint64 fn = index, sn;
  guint8 r[OKNO_HASH_LEN];
  if (index >= size || plen % OKNO_HASH_LEN)
    return FALSE;
  sn = size - 1;
  memcpy(r, leaf, OKNO_HASH_LEN);
  for (gsize i = 0; i < plen; i += OKNO_HASH_LEN) {
    const guint8 *p = proof + i;
    if (sn == 0)
      return FALSE;
    if ((fn & 1) || fn == sn) {
      okno_merkle_node_hash(p, r, r);
      if (!(fn & 1))
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      okno_merkle_node_hash(r, p, r);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && sodium_memcmp(r, root, OKNO_HASH_LEN) == 0;
}

gboolean okno_merkle_verify_consistency(guint64 size1, guint64 size2,
                                        const guint8 root1[OKNO_HASH_LEN],
                                        const guint8 root2[OKNO_HASH_LEN], const guint8 *proof,
                                        gsize plen)
{
  g_autoptr(GByteArray) p = g_byte_array_new();
  guint64 fn, sn;
  guint8 fr[OKNO_HASH_LEN], sr[OKNO_HASH_LEN];
  if (size1 > size2 || plen % OKNO_HASH_LEN)
    return FALSE;
  if (size1 == size2)
    return plen == 0 && memcmp(root1, root2, OKNO_HASH_LEN) == 0;
  if (size1 == 0) {
    guint8 empty[OKNO_HASH_LEN];
    crypto_hash_sha256(empty, (const guint8 *)"", 0);
    return plen == 0 && memcmp(root1, empty, OKNO_HASH_LEN) == 0;
  }
  if (plen == 0)
    return FALSE;
  if ((size1 & (size1 - 1)) == 0) /* a power of two: the old root is the first node */
    g_byte_array_append(p, root1, OKNO_HASH_LEN);
  g_byte_array_append(p, proof, plen);
  fn = size1 - 1;
  sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  memcpy(fr, p->data, OKNO_HASH_LEN);
  memcpy(sr, p->data, OKNO_HASH_LEN);
  for (guint i = OKNO_HASH_LEN; i < p->len; i += OKNO_HASH_LEN) {
    const guint8 *c = p->data + i;
    if (sn == 0)
      return FALSE;
    if ((fn & 1) || fn == sn) {
      okno_merkle_node_hash(c, fr, fr);
      okno_merkle_node_hash(c, sr, sr);
      if (!(fn & 1))
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      okno_merkle_node_hash(sr, c, sr);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && memcmp(fr, root1, OKNO_HASH_LEN) == 0 &&
         memcmp(sr, root2, OKNO_HASH_LEN) == 0;
}

/* ---- the frontier ---- */

void okno_merkle_frontier_init(OknoMerkleFrontier *f)
{
  memset(f, 0, sizeof *f);
}

void okno_merkle_frontier_append(OknoMerkleFrontier *f, const guint8 leaf[OKNO_HASH_LEN])
{
  guint8 cur[OKNO_HASH_LEN];
  memcpy(cur, leaf, OKNO_HASH_LEN);
  /* Each trailing one bit of the size is a subtree as large as the one being built. */
  for (guint64 s = f->size; s & 1; s >>= 1) {
    okno_merkle_node_hash(f->nodes[f->count - 1], cur, cur);
    f->count--;
  }
  memcpy(f->nodes[f->count++], cur, OKNO_HASH_LEN);
  f->size++;
}

void okno_merkle_frontier_root(const OknoMerkleFrontier *f, guint8 out[OKNO_HASH_LEN])
{
  guint8 r[OKNO_HASH_LEN];
  if (f->count == 0) {
    crypto_hash_sha256(out, (const guint8 *)"", 0);
    return;
  }
  memcpy(r, f->nodes[f->count - 1], OKNO_HASH_LEN);
  for (guint i = f->count - 1; i-- > 0;)
    okno_merkle_node_hash(f->nodes[i], r, r);
  memcpy(out, r, OKNO_HASH_LEN);
}

GBytes *okno_merkle_frontier_save(const OknoMerkleFrontier *f)
{
  return g_bytes_new(f->nodes, (gsize)f->count * OKNO_HASH_LEN);
}

gboolean okno_merkle_frontier_load(OknoMerkleFrontier *f, guint64 size, const void *data,
                                   gsize len)
{
  guint bits = (guint)__builtin_popcountll(size);
  if (len != (gsize)bits * OKNO_HASH_LEN)
    return FALSE;
  okno_merkle_frontier_init(f);
  f->size = size;
  f->count = bits;
  if (len)
    memcpy(f->nodes, data, len);
  return TRUE;
}
