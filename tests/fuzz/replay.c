/* replay.c: a main() for fuzz drivers without libFuzzer: feeds every file of the
 * corpus directories given on the command line to LLVMFuzzerTestOneInput once, so the
 * committed corpus is a regression test under AddressSanitizer and UBSan. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
  int n = 0;
  for (int i = 1; i < argc; i++) {
    g_autoptr(GDir) dir = g_dir_open(argv[i], 0, NULL);
    const char *name;
    if (!dir) {
      fprintf(stderr, "replay: cannot open corpus %s\n", argv[i]);
      return 1;
    }
    while ((name = g_dir_read_name(dir))) {
      g_autofree char *path = g_build_filename(argv[i], name, NULL);
      g_autofree char *data = NULL;
      gsize len = 0;
      if (!g_file_get_contents(path, &data, &len, NULL))
        continue;
      LLVMFuzzerTestOneInput((const uint8_t *)data, len);
      n++;
    }
  }
  printf("replayed %d inputs\n", n);
  return n > 0 ? 0 : 1;
}
