/* worker.c: a thread of passes (worker.h).
 *
 * How it works: the thread loops under `mu`: it clears `woken`, runs the pass with the
 * lock released, then sleeps on `cond` until the interval has passed, a wake sets
 * `woken`, or a stop sets `stop`. The flags are only read and written under `mu`, and
 * the condition is signalled under it, so no wake and no stop is lost between a pass
 * and the sleep. */
#include "ops/worker.h"

struct OknoWorker {
  GMutex mu; /* guards stop and woken */
  GCond cond;
  gboolean stop, woken;
  gint64 interval_us;
  void (*pass)(gpointer data);
  gpointer data;
  GThread *thread;
};

static gpointer run(gpointer data)
{
  OknoWorker *w = data;
  g_mutex_lock(&w->mu);
  while (!w->stop) {
    gint64 until;
    w->woken = FALSE;
    g_mutex_unlock(&w->mu);
    w->pass(w->data);
    g_mutex_lock(&w->mu);
    until = g_get_monotonic_time() + w->interval_us;
    while (!w->stop && !w->woken && g_cond_wait_until(&w->cond, &w->mu, until))
      ;
  }
  g_mutex_unlock(&w->mu);
  return NULL;
}

OknoWorker *okno_worker_start(const char *name, gint64 interval_us, void (*pass)(gpointer data),
                              gpointer data)
{
  OknoWorker *w = g_new0(OknoWorker, 1);
  g_mutex_init(&w->mu);
  g_cond_init(&w->cond);
  w->interval_us = interval_us;
  w->pass = pass;
  w->data = data;
  w->thread = g_thread_new(name, run, w);
  return w;
}

/* Sets `flag` (stop or woken) and wakes the thread. */
static void signal_flag(OknoWorker *w, gboolean *flag)
{
  g_mutex_lock(&w->mu);
  *flag = TRUE;
  g_cond_signal(&w->cond);
  g_mutex_unlock(&w->mu);
}

void okno_worker_wake(OknoWorker *w)
{
  if (w)
    signal_flag(w, &w->woken);
}

void okno_worker_stop(OknoWorker *w)
{
  if (!w)
    return;
  signal_flag(w, &w->stop);
  g_thread_join(w->thread);
  g_mutex_clear(&w->mu);
  g_cond_clear(&w->cond);
  g_free(w);
}
