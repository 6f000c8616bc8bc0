/* test_merkle.c: the RFC 9162 Merkle tree (core/merkle.h).
 *
 * Two kinds of evidence: the test vectors of RFC 6962's reference implementation
 * (certificate-transparency, merkle_tree_test: eight leaves "", 00, 10, 2021, ...,
 * their roots, inclusion paths and consistency proofs; the hash of leaf 0,
 * SHA-256(0x00), is checked against sha256sum by hand: 6e340b9c...), and, for every
 * size 1..20, a naive recursive MTH written here with GLib's GChecksum (not libsodium,
 * which merkle.c uses), against which roots, the frontier and every proof are checked;
 * each proof must also fail once one of its bytes, the index or the root is changed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/merkle.h"

static void hex(const char *s, guint8 *out)
{
  gsize n = strlen(s) / 2;
  for (gsize i = 0; i < n; i++)
    out[i] = (guint8)(g_ascii_xdigit_value(s[2 * i]) << 4 | g_ascii_xdigit_value(s[2 * i + 1]));
}

static char *tohex(const guint8 *h)
{
  GString *s = g_string_new(NULL);
  for (int i = 0; i < OKNO_HASH_LEN; i++)
    g_string_append_printf(s, "%02x", h[i]);
  return g_string_free(s, FALSE);
}

/* The naive MTH: a direct reading of RFC 9162 2.1.1 over the entries themselves. */
static void naive_sha(const guint8 *a, gsize alen, const guint8 *b, gsize blen,
                      const guint8 *c, gsize clen, guint8 out[32])
{
  GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
  gsize len = 32;
  g_checksum_update(ck, a, alen);
  if (b)
    g_checksum_update(ck, b, blen);
  if (c)
    g_checksum_update(ck, c, clen);
  g_checksum_get_digest(ck, out, &len);
  g_checksum_free(ck);
}

static void naive_mth(GBytes **entries, guint n, guint8 out[32])
{
  static const guint8 zero = 0, one = 1;
  guint k = 1;
  guint8 l[32], r[32];
  if (n == 0) {
    naive_sha((const guint8 *)"", 0, NULL, 0, NULL, 0, out);
    return;
  }
  if (n == 1) {
    gsize len;
    const guint8 *d = g_bytes_get_data(entries[0], &len);
    naive_sha(&zero, 1, d, len, NULL, 0, out);
    return;
  }
  while (k * 2 < n)
    k *= 2;
  naive_mth(entries, k, l);
  naive_mth(entries + k, n - k, r);
  naive_sha(&one, 1, l, 32, r, 32, out);
}

/* The eight leaves of the CT reference tests. */
static const char *const ct_leaves[] = {"", "00", "10", "2021", "3031", "40414243",
                                        "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f"};
static const char *const ct_roots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static guint8 *ct_leaf_hashes(void)
{
  guint8 *h = g_malloc(8 * OKNO_HASH_LEN);
  for (int i = 0; i < 8; i++) {
    guint8 buf[16];
    gsize n = strlen(ct_leaves[i]) / 2;
    hex(ct_leaves[i], buf);
    okno_merkle_leaf_hash(buf, n, h + i * OKNO_HASH_LEN);
  }
  return h;
}

static void empty_tree_and_leaf_zero(void **state)
{
  guint8 r[32];
  g_autofree char *s = NULL, *t = NULL;
  okno_merkle_root(NULL, 0, r);
  s = tohex(r);
  assert_string_equal(s, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  okno_merkle_leaf_hash("", 0, r);
  t = tohex(r);
  assert_string_equal(t, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

static void ct_roots_match(void **state)
{
  g_autofree guint8 *h = ct_leaf_hashes();
  for (int n = 1; n <= 8; n++) {
    guint8 r[32];
    g_autofree char *s = NULL;
    okno_merkle_root(h, n, r);
    s = tohex(r);
    assert_string_equal(s, ct_roots[n - 1]);
  }
}

static void expect_proof(GByteArray *p, const char *const *want, guint n)
{
  assert_non_null(p);
  assert_int_equal(p->len, n * OKNO_HASH_LEN);
  for (guint i = 0; i < n; i++) {
    g_autofree char *s = tohex(p->data + i * OKNO_HASH_LEN);
    assert_string_equal(s, want[i]);
  }
  g_byte_array_unref(p);
}

static void ct_inclusion_paths(void **state)
{
  g_autofree guint8 *h = ct_leaf_hashes();
  static const char *const p0_8[] = {
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};
  static const char *const p5_8[] = {
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"};
  static const char *const p2_3[] = {
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"};
  static const char *const p1_5[] = {
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"};
  expect_proof(okno_merkle_inclusion_proof(h, 1, 0), NULL, 0);
  expect_proof(okno_merkle_inclusion_proof(h, 8, 0), p0_8, 3);
  expect_proof(okno_merkle_inclusion_proof(h, 8, 5), p5_8, 3);
  expect_proof(okno_merkle_inclusion_proof(h, 3, 2), p2_3, 1);
  expect_proof(okno_merkle_inclusion_proof(h, 5, 1), p1_5, 3);
  assert_null(okno_merkle_inclusion_proof(h, 8, 8));
}

static void ct_consistency_proofs(void **state)
{
  g_autofree guint8 *h = ct_leaf_hashes();
  static const char *const c1_8[] = {
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};
  static const char *const c6_8[] = {
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"};
  static const char *const c2_5[] = {
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"};
  expect_proof(okno_merkle_consistency_proof(h, 1, 1), NULL, 0);
  expect_proof(okno_merkle_consistency_proof(h, 8, 1), c1_8, 3);
  expect_proof(okno_merkle_consistency_proof(h, 8, 6), c6_8, 3);
  expect_proof(okno_merkle_consistency_proof(h, 5, 2), c2_5, 2);
  assert_null(okno_merkle_consistency_proof(h, 8, 0));
  assert_null(okno_merkle_consistency_proof(h, 8, 9));
}

/* Sizes 1..20 against the naive MTH; every proof verifies and every altered one fails. */
static void sizes_1_to_20_against_naive(void **state)
{
  enum { N = 20 };
  GBytes *entries[N];
  guint8 leaves[N * OKNO_HASH_LEN], roots[N + 1][OKNO_HASH_LEN];
  OknoMerkleFrontier f;
  okno_merkle_frontier_init(&f);
  for (guint i = 0; i < N; i++) {
    g_autofree char *e = g_strdup_printf("entry %u%s", i, i % 3 ? "" : " with more bytes");
    entries[i] = g_bytes_new(e, strlen(e));
    okno_merkle_leaf_hash(e, strlen(e), leaves + i * OKNO_HASH_LEN);
  }
  for (guint n = 0; n <= N; n++) {
    guint8 naive[32], fr[32];
    naive_mth(entries, n, naive);
    okno_merkle_root(leaves, n, roots[n]);
    assert_memory_equal(roots[n], naive, 32);
    okno_merkle_frontier_root(&f, fr);
    assert_memory_equal(fr, naive, 32);
    {
      /* The frontier survives being saved and loaded. */
      g_autoptr(GBytes) saved = okno_merkle_frontier_save(&f);
      OknoMerkleFrontier g;
      gsize len;
      const void *d = g_bytes_get_data(saved, &len);
      assert_true(okno_merkle_frontier_load(&g, n, d, len));
      assert_false(okno_merkle_frontier_load(&g, n, d, len + 32));
      if (n < N)
        okno_merkle_frontier_append(&g, leaves + n * OKNO_HASH_LEN);
      if (n < N)
        okno_merkle_frontier_append(&f, leaves + n * OKNO_HASH_LEN);
      if (n < N) {
        guint8 a[32], b[32];
        okno_merkle_frontier_root(&f, a);
        okno_merkle_frontier_root(&g, b);
        assert_memory_equal(a, b, 32);
      }
    }
  }
  for (guint n = 1; n <= N; n++) {
    for (guint m = 0; m < n; m++) {
      g_autoptr(GByteArray) p = okno_merkle_inclusion_proof(leaves, n, m);
      const guint8 *leaf = leaves + m * OKNO_HASH_LEN;
      assert_true(okno_merkle_verify_inclusion(leaf, m, n, p->data, p->len, roots[n]));
      assert_false(okno_merkle_verify_inclusion(leaf, m, n, p->data, p->len, roots[n - 1]));
      if (n > 1)
        assert_false(okno_merkle_verify_inclusion(leaf, (m + 1) % n, n, p->data, p->len,
                                                  roots[n]));
      for (guint b = 0; b < p->len; b += 7) {
        p->data[b] ^= 0x01;
        assert_false(okno_merkle_verify_inclusion(leaf, m, n, p->data, p->len, roots[n]));
        p->data[b] ^= 0x01;
      }
    }
    for (guint m = 1; m <= n; m++) {
      g_autoptr(GByteArray) p = okno_merkle_consistency_proof(leaves, n, m);
      assert_true(okno_merkle_verify_consistency(m, n, roots[m], roots[n], p->data, p->len));
      if (m < n) {
        assert_false(
            okno_merkle_verify_consistency(m, n, roots[m - 1], roots[n], p->data, p->len));
        assert_false(
            okno_merkle_verify_consistency(m, n, roots[m], roots[n - 1], p->data, p->len));
        for (guint b = 0; b < p->len; b += 5) {
          p->data[b] ^= 0x80;
          assert_false(
              okno_merkle_verify_consistency(m, n, roots[m], roots[n], p->data, p->len));
          p->data[b] ^= 0x80;
        }
      }
    }
  }
  for (guint i = 0; i < N; i++)
    g_bytes_unref(entries[i]);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(empty_tree_and_leaf_zero),
      cmocka_unit_test(ct_roots_match),
      cmocka_unit_test(ct_inclusion_paths),
      cmocka_unit_test(ct_consistency_proofs),
      cmocka_unit_test(sizes_1_to_20_against_naive),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
