/* log.c: key=value event lines and personal-data tags (see log.h). */
#include "core/log.h"

#include <sodium.h>
#include <stdio.h>
#include <unistd.h>

static unsigned char pii_key[crypto_generichash_KEYBYTES];
static gsize log_ready;
static gboolean quiet;

static void log_init(void)
{
  if (g_once_init_enter(&log_ready)) {
    const char *k = g_getenv("OKNO_LOG_KEY");
    if (sodium_init() < 0)
      g_error("libsodium failed to initialise");
    if (k && *k)
      crypto_generichash(pii_key, sizeof pii_key, (const unsigned char *)k, strlen(k), NULL, 0);
    else
      randombytes_buf(pii_key, sizeof pii_key);
    quiet = g_strcmp0(g_getenv("OKNO_LOG"), "quiet") == 0;
    g_once_init_leave(&log_ready, 1);
  }
}

const char *okno_pii(const char *value, char buf[16])
{
  unsigned char h[4];
  log_init();
  if (!value || !*value) {
    g_strlcpy(buf, "-", 16);
    return buf;
  }
  crypto_generichash(h, sizeof h, (const unsigned char *)value, strlen(value), pii_key,
                     sizeof pii_key);
  g_snprintf(buf, 16, "pii:%02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
  return buf;
}

static void vlog(const char *level, const char *facility, const char *fmt, va_list ap)
    G_GNUC_PRINTF(3, 0);

static void vlog(const char *level, const char *facility, const char *fmt, va_list ap)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *ts = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  g_autoptr(GString) line = g_string_new(NULL);
  /* %f gives microseconds; keep milliseconds. */
  if (ts && strlen(ts) > 24)
    memmove(ts + 23, ts + 26, strlen(ts + 26) + 1);
  g_string_printf(line, "%s okno%s %s ", ts, level, facility);
  /* No control characters from untrusted input may split or forge a line. */
  for (const char *p = msg; *p; p++)
    g_string_append_c(line, (unsigned char)*p < 0x20 ? '?' : *p);
  g_string_append_c(line, '\n');
  if (write(STDERR_FILENO, line->str, line->len) < 0) {
    /* nowhere left to report it */
  }
}

void okno_log(const char *facility, const char *fmt, ...)
{
  va_list ap;
  log_init();
  if (quiet)
    return;
  va_start(ap, fmt);
  vlog("", facility, fmt, ap);
  va_end(ap);
}

void okno_log_warn(const char *facility, const char *fmt, ...)
{
  va_list ap;
  log_init();
  va_start(ap, fmt);
  vlog(" warn", facility, fmt, ap);
  va_end(ap);
}
