/* ratelimit.h: token buckets in memory, per client IP and per key (an e-mail, an
 * account), for the web server's 429 answers.
 *
 * A bucket holds up to `burst` tokens and refills at `per_hour` tokens an hour (so
 * the sustained rate is per_hour and a quiet client may spend `burst` at once). Keys
 * are free text chosen by the caller, conventionally "<class>:<value>", e.g.
 * "ip:127.0.0.1" or "status-email:<hash>"; callers should not put personal data in
 * clear into keys that may be logged.
 *
 * The buckets live in this process only: with several `okno serve` nodes behind one
 * load balancer each node counts its own, so the effective limit is the configured one
 * times the number of nodes (docs/api.md says so). Buckets that have refilled
 * completely are dropped when the table grows, so memory stays bounded by the number
 * of recently active keys. Thread-safe (one mutex): the web worker threads share it. */
#pragma once
#include <glib.h>

typedef struct OknoRateLimit OknoRateLimit;

OknoRateLimit *okno_ratelimit_new(void);
void okno_ratelimit_free(OknoRateLimit *rl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoRateLimit, okno_ratelimit_free)

/* Takes one token from the bucket `key` (created full) at time `now` (microseconds).
 * TRUE if allowed; FALSE if the bucket is empty, with *retry_after set to the whole
 * seconds (>= 1) until a token is back. */
gboolean okno_ratelimit_take(OknoRateLimit *rl, const char *key, double per_hour,
                             double burst, gint64 now, gint64 *retry_after);

/* Buckets currently held (for tests). */
guint okno_ratelimit_size(OknoRateLimit *rl);
