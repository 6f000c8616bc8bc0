/* log.h: one line per event, key=value, to stderr (OpenSMTPD style).
 *
 *   okno_log("smtp", "session=%s event=connected addr=%s", id, addr);
 *   -> 2026-11-23T13:35:00.123Z okno smtp session=1a2b event=connected addr=127.0.0.1
 *
 * Personal data (names, e-mail addresses, phones, SNILS, INN) never goes into a log in
 * clear: pass it through okno_pii(), which gives a stable keyed tag ("pii:3f9a0c1d")
 * that lets an operator correlate lines without revealing the value. The tag key is
 * random per process unless OKNO_LOG_KEY is set (then stable across restarts).
 * Thread-safe; each line is written with one write(2). OKNO_LOG=quiet silences info. */
#pragma once
#include <glib.h>

void okno_log(const char *facility, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void okno_log_warn(const char *facility, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A tag for one personal value. Returns a pointer into `buf` (>= 16 bytes). NULL or
 * empty value gives "-". */
const char *okno_pii(const char *value, char buf[16]);
#define OKNO_PII_BUF 16
