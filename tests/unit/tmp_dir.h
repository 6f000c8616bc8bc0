/* tmp_dir.h: removes a unit test's temporary directory of plain files (the keys and
 * certificates a test made with the openssl command). Header-only: a static function,
 * included by the test files that need it. */
#pragma once
#include <glib.h>
#include <glib/gstdio.h>

static void tmp_dir_remove(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
}
