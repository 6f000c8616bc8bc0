/* mime_stream.h: GMime reading a message in place.
 *
 * okno_mime_stream_borrowed() makes a read-only, seekable GMimeStream over `len` bytes
 * at `data`, bounded to [start, end) (end -1: to the end). The bytes are borrowed, not
 * copied: they must outlive the stream and every object the parser made from it
 * (okno_mime_parse() drops them all before it returns). Caller unrefs the stream.
 *
 * okno_mime_write_crlf() is the other way: a message okno builds (the feedback form's,
 * a Telegram message's) written out with CRLF line ends, as intake takes it. */
#pragma once
#include <gmime/gmime.h>

GMimeStream *okno_mime_stream_borrowed(const char *data, gint64 len, gint64 start, gint64 end);
/* `obj` written out with CRLF line ends; a new GBytes. */
GBytes *okno_mime_write_crlf(GMimeObject *obj);
