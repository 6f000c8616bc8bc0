/* cluster.h: cheap similarity of short texts and their grouping (issue 19 item 5, mass
 * incidents; docs/incidents.md).
 *
 * A SKETCH is the set of a text's distinct terms, each hashed to 64 bits (FNV-1a),
 * sorted, at most OKNO_SKETCH_MAX of them (the first distinct ones in the text). A term
 * is any space-separated token: the store's keyed stem hashes (store/terms.h, so no
 * word is read back from a sealed text) or the stems of text/tokenizer.h
 * (okno_sketch_from_text), which give the same grouping.
 *
 * A CENTROID sums the sketches of a group: each term's count. The similarity of a
 * sketch s to a centroid c is the cosine of the binary vector of s and the count vector
 * of c: sum over t in s of c[t], divided by sqrt(|s|) * ||c||. Two sketches alone give
 * |A ∩ B| / sqrt(|A| |B|). Terms every member shares weigh most, so the different
 * names, greetings and wordings of citizens who write about the same outage count
 * little, and one word in common with an unrelated appeal counts little too.
 *
 * GROUPING (okno_cluster_leader): items in arrival order; each joins the group whose
 * centroid it is most similar to when that similarity is at least `threshold`, else
 * starts a group of its own (leader clustering, one pass). The groups' terms are kept
 * inverted, so an item is compared only with the groups it shares a term with: the
 * cost is items x terms x (groups holding each term), not items x all groups.
 *
 * Pure: no I/O, no global state; a centroid is one thread's at a time. */
#pragma once
#include <glib.h>

#include "text/tokenizer.h"

#define OKNO_SKETCH_MAX 128

typedef struct {
  guint n;
  guint64 h[OKNO_SKETCH_MAX]; /* ascending, distinct */
} OknoSketch;

/* The sketch of space-separated tokens (any bytes; empty tokens skipped). */
void okno_sketch_from_terms(OknoSketch *s, const char *terms);
/* The sketch of a text's stems (text/tokenizer.h; `st` may be NULL: words unstemmed). */
void okno_sketch_from_text(OknoSketch *s, OknoStemmer *st, const char *text);
/* |A ∩ B| / sqrt(|A| |B|); 0 when either is empty. */
double okno_sketch_cosine(const OknoSketch *a, const OknoSketch *b);

typedef struct OknoCentroid OknoCentroid;
OknoCentroid *okno_centroid_new(void);
void okno_centroid_free(OknoCentroid *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoCentroid, okno_centroid_free)
void okno_centroid_add(OknoCentroid *c, const OknoSketch *s);
guint okno_centroid_members(const OknoCentroid *c);
/* The cosine described above, in [0, 1]; 0 for an empty sketch or centroid. */
double okno_centroid_similarity(const OknoCentroid *c, const OknoSketch *s);

/* Groups sketches[0..n) as described above: out[i] gets item i's group, numbered from 0
 * in order of first appearance; returns the number of groups. */
guint okno_cluster_leader(const OknoSketch *sketches, guint n, double threshold, guint *out);
