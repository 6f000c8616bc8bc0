/* paths.c: the data directory's lookup (paths.h). */
#include "core/paths.h"

#include "okno-build.h"

static gboolean holds_data(const char *dir)
{
  g_autofree char *probe = g_build_filename(dir, "calendar", "ru.txt", NULL);
  return g_file_test(probe, G_FILE_TEST_IS_REGULAR);
}

static gpointer find_data_dir(gpointer unused)
{
  const char *env = g_getenv("OKNO_DATA_DIR");
  g_autofree char *exe = NULL;
  if (env && *env)
    return g_strdup(env);
  exe = g_file_read_link("/proc/self/exe", NULL);
  if (exe) {
    g_autofree char *bindir = g_path_get_dirname(exe);
    g_autofree char *rel = g_build_filename(bindir, OKNO_BIN_TO_DATA, NULL);
    g_autofree char *canon = g_canonicalize_filename(rel, NULL);
    if (holds_data(canon))
      return g_steal_pointer(&canon);
  }
  return g_strdup(OKNO_PKGDATADIR);
}

const char *okno_data_dir(void)
{
  static GOnce once = G_ONCE_INIT;
  g_once(&once, find_data_dir, NULL);
  return once.retval;
}

char *okno_data_file(const char *rel)
{
  return g_build_filename(okno_data_dir(), rel, NULL);
}
