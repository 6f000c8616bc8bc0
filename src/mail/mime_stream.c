/* mime_stream.c: a read-only GMime stream over borrowed bytes (mime_stream.h).
 *
 * g_mime_stream_mem_new_with_buffer() copies the message (a 25 MB letter: 32 MB more);
 * this stream reads the caller's bytes in place and is seekable, so the parser keeps
 * part contents as substreams of it instead of copies. Reads past the bounds return 0;
 * writes fail with EBADF. */
#include "mail/mime_stream.h"

#include <errno.h>
#include <string.h>

typedef struct {
  GMimeStream parent;
  const char *data;
  gint64 len;
} BorrowedStream;

typedef struct {
  GMimeStreamClass parent_class;
} BorrowedStreamClass;

static GType borrowed_stream_get_type(void);
G_DEFINE_TYPE(BorrowedStream, borrowed_stream, GMIME_TYPE_STREAM)

static gint64 borrowed_end(GMimeStream *stream)
{
  BorrowedStream *b = (BorrowedStream *)stream;
  return stream->bound_end != -1 ? MIN(stream->bound_end, b->len) : b->len;
}

static ssize_t borrowed_read(GMimeStream *stream, char *buf, size_t len)
{
  BorrowedStream *b = (BorrowedStream *)stream;
  gint64 n = MIN(borrowed_end(stream) - stream->position, (gint64)MIN(len, G_MAXSSIZE));
  if (n <= 0)
    return 0;
  memcpy(buf, b->data + stream->position, (size_t)n);
  stream->position += n;
  return (ssize_t)n;
}

static ssize_t borrowed_write(GMimeStream *stream, const char *buf, size_t len)
{
  errno = EBADF; /* read-only */
  return -1;
}

static int borrowed_flush(GMimeStream *stream) { return 0; }
static int borrowed_close(GMimeStream *stream) { return 0; }
static gboolean borrowed_eos(GMimeStream *stream) { return stream->position >= borrowed_end(stream); }
static gint64 borrowed_tell(GMimeStream *stream) { return stream->position; }
static gint64 borrowed_length(GMimeStream *stream) { return borrowed_end(stream) - stream->bound_start; }

static int borrowed_reset(GMimeStream *stream)
{
  stream->position = stream->bound_start;
  return 0;
}

static gint64 borrowed_seek(GMimeStream *stream, gint64 offset, GMimeSeekWhence whence)
{
  gint64 at = whence == GMIME_STREAM_SEEK_SET   ? offset
              : whence == GMIME_STREAM_SEEK_CUR ? stream->position + offset
                                                : borrowed_end(stream) + offset;
  if (at < stream->bound_start || at > borrowed_end(stream)) {
    errno = EINVAL;
    return -1;
  }
  stream->position = at;
  return at;
}

static GMimeStream *borrowed_substream(GMimeStream *stream, gint64 start, gint64 end)
{
  BorrowedStream *b = (BorrowedStream *)stream;
  return okno_mime_stream_borrowed(b->data, b->len, start, end);
}

static void borrowed_stream_class_init(BorrowedStreamClass *klass)
{
  GMimeStreamClass *sc = GMIME_STREAM_CLASS(klass);
  sc->read = borrowed_read;
  sc->write = borrowed_write;
  sc->flush = borrowed_flush;
  sc->close = borrowed_close;
  sc->eos = borrowed_eos;
  sc->reset = borrowed_reset;
  sc->seek = borrowed_seek;
  sc->tell = borrowed_tell;
  sc->length = borrowed_length;
  sc->substream = borrowed_substream;
}

static void borrowed_stream_init(BorrowedStream *b) {}

GMimeStream *okno_mime_stream_borrowed(const char *data, gint64 len, gint64 start, gint64 end)
{
  BorrowedStream *b = g_object_new(borrowed_stream_get_type(), NULL);
  b->data = data;
  b->len = len;
  g_mime_stream_construct(GMIME_STREAM(b), start, end);
  return GMIME_STREAM(b);
}

GBytes *okno_mime_write_crlf(GMimeObject *obj)
{
  GMimeFormatOptions *fo = g_mime_format_options_new();
  GMimeStream *out = g_mime_stream_mem_new();
  GByteArray *ba;
  GBytes *raw;
  g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
  g_mime_object_write_to_stream(obj, fo, out);
  g_mime_format_options_free(fo);
  ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
  raw = g_bytes_new(ba->data, ba->len);
  g_object_unref(out);
  return raw;
}
