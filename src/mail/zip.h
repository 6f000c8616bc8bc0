/* zip.h: a ZIP archive (DOCX, XLSX, ODT and the like) inspected within limits before it
 * is accepted: the number of entries, the total inflated size and the ratio of the
 * inflated size to the archive's, so a zip bomb (a few hundred KB inflating to hundreds
 * of MB) is refused instead of being stored as a document.
 *
 * The central directory is read (entries counted, their declared sizes summed), then
 * every entry's data is really inflated (stored or deflate; output discarded, never
 * held) until the limits are passed: a central directory that lies about sizes gains
 * nothing. Inflating stops at the first limit passed, so the work is bounded by
 * max_total bytes of output. Pure, thread-safe, no allocation proportional to the
 * inflated size. */
#pragma once
#include <glib.h>

typedef struct {
  guint max_entries;   /* entries in the central directory (1000) */
  guint64 max_total;   /* bytes, all entries inflated (100 MB) */
  guint max_ratio;     /* inflated / archive size, checked once past 1 MB inflated (100) */
} OknoZipLimits;

#define OKNO_ZIP_LIMITS_DEFAULT {1000, 100 * 1024 * 1024, 100}

typedef enum {
  OKNO_ZIP_OK,
  OKNO_ZIP_NOT_ZIP,       /* no end of central directory record */
  OKNO_ZIP_BROKEN,        /* a record out of bounds, a bad deflate stream */
  OKNO_ZIP_TOO_MANY,      /* past max_entries */
  OKNO_ZIP_TOO_BIG,       /* past max_total inflated */
  OKNO_ZIP_RATIO,         /* past max_ratio */
  OKNO_ZIP_UNSUPPORTED,   /* a compression method other than stored/deflate, encryption */
} OknoZipVerdict;

typedef struct {
  guint entries;
  guint64 inflated;       /* bytes inflated before the verdict */
} OknoZipFacts;

/* ---- writing: a store-only archive (no compression), for exports ----
 * Entries are written as given (method 0, stored) with their CRC-32 (zlib), names in
 * UTF-8 (general purpose bit 11), and a modification time; no ZIP64, so the whole
 * archive must stay under 4 GiB and 65535 entries (okno_zip_writer_add refuses more).
 * Single-threaded; the caller frees the writer. */
typedef struct OknoZipWriter OknoZipWriter;
OknoZipWriter *okno_zip_writer_new(void);
void okno_zip_writer_free(OknoZipWriter *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoZipWriter, okno_zip_writer_free)
/* Adds file `name` (a relative path with '/', UTF-8) with `len` bytes of `data`,
 * modified at `mtime` (Unix seconds, shown in local time as ZIP's DOS time). FALSE when
 * the archive would pass the limits above. */
gboolean okno_zip_writer_add(OknoZipWriter *w, const char *name, const void *data, gsize len,
                             gint64 mtime);
/* The archive: the entries, the central directory and its end record. The writer is
 * spent afterwards (free it). */
GBytes *okno_zip_writer_finish(OknoZipWriter *w);

/* Inspects `data` (`len` bytes). `limits` NULL: the defaults. `facts` may be NULL. */
OknoZipVerdict okno_zip_inspect(const guint8 *data, gsize len, const OknoZipLimits *limits,
                                OknoZipFacts *facts);
/* "ok", "not zip", "broken", "too many entries", "too big inflated", "ratio", "unsupported" */
const char *okno_zip_verdict_name(OknoZipVerdict v);
