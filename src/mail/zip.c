/* zip.c: the ZIP inspector (see zip.h): the end of central directory record, the
 * central directory's entries, each entry's local header and its data inflated with
 * GLib's raw-deflate GZlibDecompressor into a scratch buffer; and the store-only
 * writer of exports (APPNOTE 6.3: local headers, the central directory, its end). */
#include "mail/zip.h"

#include <gio/gio.h>
#include <string.h>
#include <zlib.h>

#define RATIO_FLOOR (1024 * 1024) /* inflated bytes before the ratio is judged */

static guint16 u16(const guint8 *p)
{
  return (guint16)(p[0] | (p[1] << 8));
}

static guint32 u32(const guint8 *p)
{
  return (guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) | ((guint32)p[3] << 24);
}

const char *okno_zip_verdict_name(OknoZipVerdict v)
{
  static const char *const names[] = {"ok", "not zip", "broken", "too many entries",
                                      "too big inflated", "ratio", "unsupported"};
  return (guint)v < G_N_ELEMENTS(names) ? names[v] : "?";
}

typedef struct {
  const OknoZipLimits *lim;
  gsize archive_len;
  guint64 inflated;
} Count;

/* Adds `n` inflated bytes; the verdict once a limit is passed, else OK. */
static OknoZipVerdict count(Count *c, guint64 n)
{
  c->inflated += n;
  if (c->inflated > c->lim->max_total)
    return OKNO_ZIP_TOO_BIG;
  if (c->inflated > RATIO_FLOOR && c->inflated / MAX(c->archive_len, 1) > c->lim->max_ratio)
    return OKNO_ZIP_RATIO;
  return OKNO_ZIP_OK;
}

/* Inflates one raw deflate stream of `clen` bytes, counting its output. */
static OknoZipVerdict inflate_entry(Count *c, const guint8 *in, gsize clen)
{
  g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_RAW);
  guint8 out[64 * 1024];
  gsize off = 0;
  for (;;) {
    gsize read = 0, written = 0;
    g_autoptr(GError) err = NULL;
    GConverterResult r = g_converter_convert(G_CONVERTER(z), in + off, clen - off, out, sizeof out,
                                             G_CONVERTER_INPUT_AT_END, &read, &written, &err);
    OknoZipVerdict v;
    if (r == G_CONVERTER_ERROR)
      return OKNO_ZIP_BROKEN;
    off += read;
    v = count(c, written);
    if (v != OKNO_ZIP_OK)
      return v;
    if (r == G_CONVERTER_FINISHED)
      return OKNO_ZIP_OK;
    if (read == 0 && written == 0)
      return OKNO_ZIP_BROKEN; /* no progress: truncated */
  }
}

OknoZipVerdict okno_zip_inspect(const guint8 *data, gsize len, const OknoZipLimits *limits,
                                OknoZipFacts *facts)
{
  static const OknoZipLimits defaults = OKNO_ZIP_LIMITS_DEFAULT;
  Count c = {limits ? limits : &defaults, len, 0};
  const guint8 *eocd = NULL;
  guint32 cd_off, cd_size;
  guint total, seen = 0;
  gsize p;
  OknoZipVerdict v = OKNO_ZIP_OK;

  if (facts)
    *facts = (OknoZipFacts){0, 0};
  if (!data || len < 22)
    return OKNO_ZIP_NOT_ZIP;
  /* the end of central directory record: within the last 64 KB + 22 bytes */
  for (gsize i = len - 22 + 1; i-- > 0 && len - i <= 65535 + 22;) {
    if (memcmp(data + i, "PK\x05\x06", 4) == 0) {
      eocd = data + i;
      break;
    }
  }
  if (!eocd)
    return OKNO_ZIP_NOT_ZIP;
  total = u16(eocd + 10);
  cd_size = u32(eocd + 12);
  cd_off = u32(eocd + 16);
  if (total == 0xFFFF || cd_off == 0xFFFFFFFFu)
    return OKNO_ZIP_UNSUPPORTED; /* ZIP64: no office file needs it */
  if (total > c.lim->max_entries)
    v = OKNO_ZIP_TOO_MANY;
  if ((gsize)cd_off > len || (gsize)cd_size > len - cd_off)
    return v != OKNO_ZIP_OK ? v : OKNO_ZIP_BROKEN;
  for (p = cd_off; v == OKNO_ZIP_OK && p + 46 <= (gsize)cd_off + cd_size;) {
    const guint8 *e = data + p;
    guint16 flags, method, nlen, xlen, clen_comment, lnlen, lxlen;
    guint32 csize, local;
    const guint8 *l;
    gsize start;
    if (memcmp(e, "PK\x01\x02", 4) != 0)
      return OKNO_ZIP_BROKEN;
    if (++seen > c.lim->max_entries) {
      v = OKNO_ZIP_TOO_MANY;
      break;
    }
    flags = u16(e + 8);
    method = u16(e + 10);
    csize = u32(e + 20);
    nlen = u16(e + 28);
    xlen = u16(e + 30);
    clen_comment = u16(e + 32);
    local = u32(e + 42);
    p += 46 + (gsize)nlen + xlen + clen_comment;
    if (flags & 1)
      return OKNO_ZIP_UNSUPPORTED;
    if ((gsize)local > len || len - local < 30 || memcmp(data + local, "PK\x03\x04", 4) != 0)
      return OKNO_ZIP_BROKEN;
    l = data + local;
    lnlen = u16(l + 26);
    lxlen = u16(l + 28);
    start = (gsize)local + 30 + lnlen + lxlen;
    if (start > len || (gsize)csize > len - start)
      return OKNO_ZIP_BROKEN;
    if (method == 0)
      v = count(&c, csize);
    else if (method == 8)
      v = inflate_entry(&c, data + start, csize);
    else
      v = OKNO_ZIP_UNSUPPORTED;
  }
  if (v == OKNO_ZIP_OK && seen != total)
    v = OKNO_ZIP_BROKEN;
  if (facts)
    *facts = (OknoZipFacts){seen, c.inflated};
  return v;
}

/* ---- writing ---- */

struct OknoZipWriter {
  GByteArray *out;
  GByteArray *dir; /* the central directory, built as entries are added */
  guint entries;
};

static void put16(GByteArray *b, guint v)
{
  guint8 x[2] = {(guint8)(v & 0xff), (guint8)((v >> 8) & 0xff)};
  g_byte_array_append(b, x, 2);
}

static void put32(GByteArray *b, guint32 v)
{
  put16(b, v & 0xffff);
  put16(b, (v >> 16) & 0xffff);
}

OknoZipWriter *okno_zip_writer_new(void)
{
  OknoZipWriter *w = g_new0(OknoZipWriter, 1);
  w->out = g_byte_array_new();
  w->dir = g_byte_array_new();
  return w;
}

void okno_zip_writer_free(OknoZipWriter *w)
{
  if (!w)
    return;
  if (w->out)
    g_byte_array_unref(w->out);
  if (w->dir)
    g_byte_array_unref(w->dir);
  g_free(w);
}

gboolean okno_zip_writer_add(OknoZipWriter *w, const char *name, const void *data, gsize len,
                             gint64 mtime)
{
  gsize nlen = strlen(name);
  guint32 crc = (guint32)crc32(0L, Z_NULL, 0);
  guint32 offset = w->out->len;
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(mtime > 315532800 ? mtime : 315532800);
  guint dos_time = (guint)((g_date_time_get_hour(t) << 11) | (g_date_time_get_minute(t) << 5) |
                           (g_date_time_get_second(t) / 2));
  guint dos_date = (guint)(((g_date_time_get_year(t) - 1980) << 9) |
                           (g_date_time_get_month(t) << 5) | g_date_time_get_day_of_month(t));
  if (w->entries >= 65535 || nlen > 65535 || len > G_MAXUINT32 ||
      (guint64)w->out->len + 30 + nlen + len + w->dir->len + 46 + nlen + 22 > G_MAXUINT32)
    return FALSE;
  for (gsize off = 0; off < len;) { /* crc32() takes a uInt length */
    uInt n = (uInt)MIN(len - off, (gsize)G_MAXUINT32 / 2);
    crc = (guint32)crc32(crc, (const Bytef *)data + off, n);
    off += n;
  }
  /* local file header */
  put32(w->out, 0x04034b50);
  put16(w->out, 20);        /* version needed: 2.0 */
  put16(w->out, 1u << 11);  /* UTF-8 names */
  put16(w->out, 0);         /* stored */
  put16(w->out, dos_time);
  put16(w->out, dos_date);
  put32(w->out, crc);
  put32(w->out, (guint32)len);
  put32(w->out, (guint32)len);
  put16(w->out, (guint)nlen);
  put16(w->out, 0);
  g_byte_array_append(w->out, (const guint8 *)name, (guint)nlen);
  if (len)
    g_byte_array_append(w->out, data, (guint)len);
  /* its central directory entry */
  put32(w->dir, 0x02014b50);
  put16(w->dir, (3u << 8) | 20); /* made by: Unix, 2.0 */
  put16(w->dir, 20);
  put16(w->dir, 1u << 11);
  put16(w->dir, 0);
  put16(w->dir, dos_time);
  put16(w->dir, dos_date);
  put32(w->dir, crc);
  put32(w->dir, (guint32)len);
  put32(w->dir, (guint32)len);
  put16(w->dir, (guint)nlen);
  put16(w->dir, 0); /* extra */
  put16(w->dir, 0); /* comment */
  put16(w->dir, 0); /* disk */
  put16(w->dir, 0); /* internal attributes */
  put32(w->dir, 0100644u << 16); /* external: a regular file, rw-r--r-- */
  put32(w->dir, offset);
  g_byte_array_append(w->dir, (const guint8 *)name, (guint)nlen);
  w->entries++;
  return TRUE;
}

GBytes *okno_zip_writer_finish(OknoZipWriter *w)
{
  guint32 dir_offset = w->out->len;
  GByteArray *out = w->out;
  g_byte_array_append(out, w->dir->data, w->dir->len);
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, w->entries);
  put16(out, w->entries);
  put32(out, w->dir->len);
  put32(out, dir_offset);
  put16(out, 0);
  w->out = NULL;
  return g_byte_array_free_to_bytes(out);
}
