/* spool.h: where a message being received is kept: memory while small, a file past a
 * threshold.
 *
 * 1,000 sessions each sending 25 MB must not need 25 GB of memory. A message is
 * collected in memory up to `threshold` bytes; the byte that crosses it moves the
 * message into a temporary file in `dir` (O_TMPFILE, or a file unlinked at once: no
 * name is ever left behind, a crash leaves nothing), written in 64 KiB pieces. When
 * the message is complete, okno_spool_finish() hands it over as GBytes: the memory, or
 * the file mapped read-only (file-backed pages the kernel can drop and read again), so
 * the intake reads a large message without the daemon holding a copy of it.
 *
 * The spool is not the durability point: nothing is acknowledged from it. The 250
 * comes after the store's commit (store/commit.h), which holds its own copy.
 * Not thread-safe: one spool belongs to one session. */
#pragma once
#include <glib.h>

typedef struct OknoSpool OknoSpool;

/* `dir` is copied; it must exist when the threshold is crossed. */
OknoSpool *okno_spool_new(const char *dir, gsize threshold);
void okno_spool_free(OknoSpool *sp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoSpool, okno_spool_free)

/* Appends `len` bytes. FALSE with `error` when the file cannot be created or written
 * (disk full): the spool then refuses every further append and finish(). */
gboolean okno_spool_append(OknoSpool *sp, const void *data, gsize len, GError **error);
/* Bytes appended so far. */
gsize okno_spool_size(const OknoSpool *sp);
/* TRUE once the message lives in a file. */
gboolean okno_spool_on_disk(const OknoSpool *sp);
/* Forgets the message (a message refused as too big): the spool is empty again. */
void okno_spool_clear(OknoSpool *sp);
/* The whole message (caller owns the reference; valid after the spool is freed). The
 * spool is empty afterwards and may be reused. NULL with `error` after a failed append
 * or when the file cannot be mapped. */
GBytes *okno_spool_finish(OknoSpool *sp, GError **error);
