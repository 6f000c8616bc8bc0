/* spool.c: a message being received, in memory or in an unlinked temporary file
 * (spool.h).
 *
 * State: `mem` holds the message while it is small, and the not yet written tail once
 * it is on disk (`fd` >= 0); `size` counts every byte appended; `failed` makes a write
 * error sticky, so a session can keep reading to the end of DATA and answer once. */
#include "mail/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

#define WRITE_CHUNK (64 * 1024)

struct OknoSpool {
  char *dir;
  gsize threshold;
  GByteArray *mem;
  int fd;
  gsize size;
  gboolean failed;
};

OknoSpool *okno_spool_new(const char *dir, gsize threshold)
{
  OknoSpool *sp = g_new0(OknoSpool, 1);
  sp->dir = g_strdup(dir && *dir ? dir : ".");
  sp->threshold = threshold;
  sp->mem = g_byte_array_new();
  sp->fd = -1;
  return sp;
}

static void reset(OknoSpool *sp)
{
  if (sp->fd >= 0)
    close(sp->fd);
  sp->fd = -1;
  g_byte_array_set_size(sp->mem, 0);
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
  g_byte_array_append(sp->mem, data, (guint)len);
  sp->size += len;
  if (sp->fd < 0 && sp->size > sp->threshold) {
    sp->fd = open_unnamed(sp->dir);
    if (sp->fd < 0)
      return fail(sp, error, "open", errno);
  }
  if (sp->fd >= 0 && sp->mem->len >= WRITE_CHUNK)
    return drain(sp, error);
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
    sp->mem = g_byte_array_new();
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
