/* merkle.h: the Merkle tree of RFC 9162 (Certificate Transparency 2.0, section 2.1),
 * pure: hashes in, hashes out, no I/O. The journal (store/journal.h, ops/journal.h)
 * keeps its leaves in the store and computes heads and proofs with these functions.
 *
 *   leaf hash  = SHA-256(0x00 || entry)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH({})    = SHA-256("")
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
 *
 * Hashes are 32 bytes (OKNO_HASH_LEN). Leaves are given as an array of n hashes
 * (n * 32 bytes). Proofs are arrays of hashes, in the order of RFC 9162 2.1.3 / 2.1.4
 * (the same as RFC 6962's PATH and PROOF), returned as a GByteArray the caller frees. */
#pragma once
#include <glib.h>

#define OKNO_HASH_LEN 32

/* SHA-256 of data[0..len), as the tree hashes (the CPU's SHA instructions when there
 * are any); for the digests inside entries too. Thread-safe. */
void okno_sha256(const void *data, gsize len, guint8 out[OKNO_HASH_LEN]);
void okno_merkle_leaf_hash(const void *entry, gsize len, guint8 out[OKNO_HASH_LEN]);
void okno_merkle_node_hash(const guint8 left[OKNO_HASH_LEN], const guint8 right[OKNO_HASH_LEN],
                           guint8 out[OKNO_HASH_LEN]);
/* MTH of leaves[0..n) (n leaf hashes). */
void okno_merkle_root(const guint8 *leaves, guint64 n, guint8 out[OKNO_HASH_LEN]);
/* The inclusion proof of leaf m in the tree of leaves[0..n); NULL when m >= n. */
GByteArray *okno_merkle_inclusion_proof(const guint8 *leaves, guint64 n, guint64 m);
/* The consistency proof from size m to size n of leaves[0..n); NULL unless 0 < m <= n. */
GByteArray *okno_merkle_consistency_proof(const guint8 *leaves, guint64 n, guint64 m);
/* RFC 9162 2.1.3.2: does `proof` (plen bytes) prove leaf `index` with hash `leaf` in
 * the tree of size `size` and root `root`? */
gboolean okno_merkle_verify_inclusion(const guint8 leaf[OKNO_HASH_LEN], guint64 index,
                                      guint64 size, const guint8 *proof, gsize plen,
                                      const guint8 root[OKNO_HASH_LEN]);
/* RFC 9162 2.1.4.2: does `proof` prove that the tree (size2, root2) extends
 * (size1, root1)? size1 == size2 needs an empty proof and equal roots. */
gboolean okno_merkle_verify_consistency(guint64 size1, guint64 size2,
                                        const guint8 root1[OKNO_HASH_LEN],
                                        const guint8 root2[OKNO_HASH_LEN], const guint8 *proof,
                                        gsize plen);

/* An append-only tree kept as its compact range (the roots of its perfect subtrees,
 * largest first: at most 64), so heads of a growing log are computed from the new
 * leaves alone. A frontier serialises to its hashes in that order (the size tells how
 * many there are: one per set bit), so a signed head can store it. */
typedef struct {
  guint64 size;
  guint8 nodes[64][OKNO_HASH_LEN]; /* nodes[i]: the subtree of the i-th set bit from the top */
  guint count;
} OknoMerkleFrontier;

void okno_merkle_frontier_init(OknoMerkleFrontier *f);
void okno_merkle_frontier_append(OknoMerkleFrontier *f, const guint8 leaf[OKNO_HASH_LEN]);
/* MTH of the leaves appended so far. */
void okno_merkle_frontier_root(const OknoMerkleFrontier *f, guint8 out[OKNO_HASH_LEN]);
/* The frontier's nodes as count * 32 bytes; FALSE from _load when len does not match
 * the number of set bits of size. */
GBytes *okno_merkle_frontier_save(const OknoMerkleFrontier *f);
gboolean okno_merkle_frontier_load(OknoMerkleFrontier *f, guint64 size, const void *data,
                                   gsize len);
