/* thread_name.h: names the calling thread, as the kernel shows it (/proc/PID/task/TID/
 * comm, top -H, perf), for a thread okno did not start with g_thread_new and so could
 * not name there: a GThreadPool's, which GLib names "pool-PRGNAME" whatever the pool.
 * bench/intake/run groups the daemon's CPU by these names.
 *
 * okno_thread_name(name) renames the calling thread the first time it is called on
 * that thread (later calls cost one thread-local read); `name` is cut to the kernel's
 * 15 bytes. A pool's job calls it at its start: a thread GLib shares between pools
 * keeps the name of the first pool that ran a job on it. Where the platform has no
 * way to name a thread, it does nothing. */
#pragma once

void okno_thread_name(const char *name);
