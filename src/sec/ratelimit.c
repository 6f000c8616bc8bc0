/* ratelimit.c: in-memory token buckets (see ratelimit.h). */
#include "sec/ratelimit.h"

#include <math.h>

#define PRUNE_AT 100000 /* buckets; past it, full ones are dropped */

typedef struct {
  double tokens;
  double burst;
  double per_us;  /* refill rate, tokens per microsecond */
  gint64 last;
} Bucket;

struct OknoRateLimit {
  GMutex lock;         /* the web's worker threads take from it concurrently */
  GHashTable *buckets; /* char* -> Bucket* */
};

OknoRateLimit *okno_ratelimit_new(void)
{
  OknoRateLimit *rl = g_new0(OknoRateLimit, 1);
  g_mutex_init(&rl->lock);
  rl->buckets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return rl;
}

void okno_ratelimit_free(OknoRateLimit *rl)
{
  if (!rl)
    return;
  g_hash_table_destroy(rl->buckets);
  g_mutex_clear(&rl->lock);
  g_free(rl);
}

static void refill(Bucket *b, gint64 now)
{
  if (now > b->last) {
    b->tokens = MIN(b->burst, b->tokens + (double)(now - b->last) * b->per_us);
    b->last = now;
  }
}

static gboolean is_full(gpointer key, gpointer value, gpointer now)
{
  Bucket *b = value;
  refill(b, *(gint64 *)now);
  return b->tokens >= b->burst;
}

gboolean okno_ratelimit_take(OknoRateLimit *rl, const char *key, double per_hour,
                             double burst, gint64 now, gint64 *retry_after)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&rl->lock);
  Bucket *b = g_hash_table_lookup(rl->buckets, key);
  if (burst < 1)
    burst = 1;
  if (!b) {
    if (g_hash_table_size(rl->buckets) >= PRUNE_AT)
      g_hash_table_foreach_remove(rl->buckets, is_full, &now);
    b = g_new0(Bucket, 1);
    b->tokens = burst;
    b->last = now;
    g_hash_table_insert(rl->buckets, g_strdup(key), b);
  }
  b->burst = burst;
  b->per_us = per_hour / 3600e6;
  refill(b, now);
  if (b->tokens >= 1) {
    b->tokens -= 1;
    return TRUE;
  }
  if (retry_after) {
    double wait_us = b->per_us > 0 ? (1 - b->tokens) / b->per_us : 3600e6;
    *retry_after = MAX(1, (gint64)ceil(wait_us / 1e6));
  }
  return FALSE;
}

guint okno_ratelimit_size(OknoRateLimit *rl)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&rl->lock);
  return g_hash_table_size(rl->buckets);
}
