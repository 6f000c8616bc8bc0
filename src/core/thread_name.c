/* thread_name.c: names the calling thread once (thread_name.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setname_np */
#endif
#include "core/thread_name.h"

#include <glib.h>
#if defined(__linux__)
#include <pthread.h>
#endif

void okno_thread_name(const char *name)
{
  static __thread gboolean named;
  if (named || !name)
    return;
  named = TRUE;
#if defined(__linux__)
  {
    char cut[16];
    g_strlcpy(cut, name, sizeof cut);
    pthread_setname_np(pthread_self(), cut);
  }
#endif
}
