/* clamav.h: a clamd client: bytes in, "clean" or the name of the signature found out.
 *
 * Speaks clamd's INSTREAM command (clamd(8)): "zINSTREAM\0", then the data as chunks,
 * each a 4-byte big-endian length followed by that many bytes, then a zero-length
 * chunk; clamd answers one NUL-terminated line:
 *   "stream: OK"                      clean
 *   "stream: <signature> FOUND"       infected
 *   "<anything> ERROR"                clamd could not scan (e.g. "INSTREAM size limit
 *                                     exceeded. ERROR" past its StreamMaxLength)
 * over a Unix socket ("unix:/run/clamav/clamd.ctl" or an absolute path) or TCP
 * ("127.0.0.1:3310"; port 3310 when none is given). One connection per scan; clamd
 * keeps no state between them. Every step (connect, send, the verdict) shares one
 * deadline of `timeout_ms`. Blocking: call it from a worker thread (the intake parse
 * pool), never from a main loop. Thread-safe; no logging (the caller logs). */
#pragma once
#include <glib.h>

typedef enum {
  OKNO_CLAM_CLEAN,     /* "stream: OK" */
  OKNO_CLAM_FOUND,     /* "stream: NAME FOUND": *detail = NAME */
  OKNO_CLAM_ERROR,     /* "... ERROR": *detail = the text before " ERROR" */
  OKNO_CLAM_MALFORMED, /* anything else: *detail = NULL */
} OknoClamReply;

/* Parses one reply of `len` bytes (untrusted: may hold NULs, be cut short or be
 * huge; a trailing NUL and line end are ignored). *detail (caller frees) is set for
 * FOUND and ERROR, printable ASCII only (other bytes become '?'), at most 200 bytes;
 * a FOUND without a name is MALFORMED. */
OknoClamReply okno_clamav_parse_reply(const char *reply, gsize len, char **detail);

/* Scans `len` bytes of `data` on clamd at `socket_spec`, sending chunks of at most
 * `chunk` bytes (0: 64 KiB). TRUE with *signature NULL when clean, or with the
 * signature's name (caller frees) when clamd found one. FALSE with OKNO_ERROR_TEMP
 * when clamd cannot be reached, times out, answers ERROR or an unreadable reply (the
 * message says which, in English, for the log), OKNO_ERROR_USER for a malformed
 * `socket_spec`. */
gboolean okno_clamav_scan(const char *socket_spec, gint64 timeout_ms, const void *data,
                          gsize len, gsize chunk, char **signature, GError **error);
