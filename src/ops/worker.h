/* worker.h: a thread of passes, for the services of `okno serve` that work off the
 * store (the outbound queue, ops/outbound.h; the SLA scheduler, ops/scheduler.h).
 *
 * okno_worker_start() runs `pass` at once on a new thread, then again whenever
 * okno_worker_wake() is called (a wake during a pass makes one more pass right after
 * it) and otherwise `interval_us` after the end of the previous pass. okno_worker_stop()
 * lets the pass in progress finish, joins the thread and frees the worker: a pass is
 * never interrupted, and stopping a sleeping worker is immediate. `pass` runs on the
 * worker's thread only; what it shares with other threads is its own business. */
#pragma once
#include <glib.h>

typedef struct OknoWorker OknoWorker;

OknoWorker *okno_worker_start(const char *name, gint64 interval_us, void (*pass)(gpointer data),
                              gpointer data);
/* Thread-safe; NULL (a service that was never started) does nothing. */
void okno_worker_wake(OknoWorker *w);
/* NULL does nothing. */
void okno_worker_stop(OknoWorker *w);
