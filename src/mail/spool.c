/* spool.c: a message being received, in memory or in an unlinked temporary file
 * (spool.h).
 *
 * State: `mem` holds the message while it is small (allocated to the threshold at most:
 * GByteArray's doubling would otherwise keep up to twice the bytes per session), and
 * once it is on disk (`fd` >= 0) a buffer of WRITE_CHUNK bytes not yet written; `size`
 * counts every byte appended; `failed` makes a write error sticky, so a session can
 * keep reading to the end of DATA and answer once. A session's spool thus holds at
 * most max(threshold, WRITE_CHUNK) bytes of memory, whatever the message's size. */
#include "mail/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

#define WRITE_CHUNK (32 * 1024)

struct OknoSpool {
  char *dir;
  gsize threshold;
  GByteArray *mem;
  int fd;
  gsize size;
  gboolean failed;
};

/* An empty array that holds `cap` bytes before it reallocates. */
static GByteArray *array_with_room(gsize cap)
{
  GByteArray *a = g_byte_array_new_take(g_malloc(cap), cap);
  g_byte_array_set_size(a, 0);
  return a;
}

OknoSpool *okno_spool_new(const char *dir, gsize threshold)
{
  OknoSpool *sp = g_new0(OknoSpool, 1);
  sp->dir = g_strdup(dir && *dir ? dir : ".");
  sp->threshold = threshold;
  sp->mem = array_with_room(MIN(threshold + 1, WRITE_CHUNK));
  sp->fd = -1;
  return sp;
}

static void reset(OknoSpool *sp)
{
  if (sp->fd >= 0)
    close(sp->fd);
  sp->fd = -1;
  if (sp->mem->len > 0 || sp->size > sp->threshold) { /* back to a small array */
    g_byte_array_unref(sp->mem);
    sp->mem = array_with_room(MIN(sp->threshold + 1, WRITE_CHUNK));
  }
  sp->size = 0;
  sp->failed = FALSE;
}

void okno_spool_free(OknoSpool *sp)
{
  if (!sp)
    return;
  reset(sp);
  g_byte_array_unref(sp->mem);
  g_free(sp->dir);
  g_free(sp);
}

static gboolean fail(OknoSpool *sp, GError **error, const char *what, int err)
{
  sp->failed = TRUE;
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "spool %s: %s: %s", sp->dir, what,
              g_strerror(err));
  return FALSE;
}

/* A file with no name in `dir`: O_TMPFILE where the file system has it, else a named
 * file unlinked at once. */
static int open_unnamed(const char *dir)
{
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    g_autofree char *tmpl = g_build_filename(dir, "okno-spool-XXXXXX", NULL);
    fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
      unlink(tmpl);
  }
  return fd;
}

/* Writes out what `mem` holds. */
static gboolean drain(OknoSpool *sp, GError **error)
{
  gsize off = 0;
  while (off < sp->mem->len) {
    ssize_t n = write(sp->fd, sp->mem->data + off, sp->mem->len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return fail(sp, error, "write", n < 0 ? errno : ENOSPC);
    off += (gsize)n;
  }
  g_byte_array_set_size(sp->mem, 0);
  return TRUE;
}

gboolean okno_spool_append(OknoSpool *sp, const void *data, gsize len, GError **error)
{
  if (sp->failed)
    return fail(sp, error, "earlier write", EIO);
  if (sp->fd >= 0 && sp->mem->len + len > WRITE_CHUNK && !drain(sp, error))
    return FALSE;
  g_byte_array_append(sp->mem, data, (guint)len);
  sp->size += len;
  if (sp->fd < 0 && sp->size > sp->threshold) {
    sp->fd = open_unnamed(sp->dir);
    if (sp->fd < 0)
      return fail(sp, error, "open", errno);
    if (!drain(sp, error))
      return FALSE;
    g_byte_array_unref(sp->mem); /* the memory phase's array may be large */
    sp->mem = array_with_room(WRITE_CHUNK);
  }
  return TRUE;
}

gsize okno_spool_size(const OknoSpool *sp)
{
  return sp->size;
}

gboolean okno_spool_on_disk(const OknoSpool *sp)
{
  return sp->fd >= 0;
}

void okno_spool_clear(OknoSpool *sp)
{
  reset(sp);
}

GBytes *okno_spool_finish(OknoSpool *sp, GError **error)
{
  GBytes *out = NULL;
  gsize size = sp->size;
  if (sp->failed) {
    fail(sp, error, "earlier write", EIO);
    reset(sp);
    return NULL;
  }
  if (sp->fd < 0) {
    out = g_byte_array_free_to_bytes(sp->mem);
    sp->mem = array_with_room(MIN(sp->threshold + 1, WRITE_CHUNK));
  } else if (drain(sp, error)) {
    g_autoptr(GError) e = NULL;
    GMappedFile *map = g_mapped_file_new_from_fd(sp->fd, FALSE, &e);
    if (!map)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "spool %s: map: %s", sp->dir, e->message);
    else {
      out = g_mapped_file_get_bytes(map); /* holds the mapping; the fd may close */
      g_mapped_file_unref(map);
    }
  }
  reset(sp);
  g_assert(!out || g_bytes_get_size(out) == size); /* every byte appended, no more */
  return out;
}
