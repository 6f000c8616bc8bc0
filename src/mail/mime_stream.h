/* mime_stream.h: GMime reading a message in place.
 *
 * okno_mime_stream_borrowed() makes a read-only, seekable GMimeStream over `len` bytes
 * at `data`, bounded to [start, end) (end -1: to the end). The bytes are borrowed, not
 * copied: they must outlive the stream and every object the parser made from it
 * (okno_mime_parse() drops them all before it returns). Caller unrefs the stream. */
#pragma once
#include <gmime/gmime.h>

GMimeStream *okno_mime_stream_borrowed(const char *data, gint64 len, gint64 start, gint64 end);
