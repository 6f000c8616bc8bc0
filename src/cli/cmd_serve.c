/* cmd_serve.c: placeholder during the first build; replaced by the real command. */
#include <stdio.h>

#include "cli/cli.h"

int okno_cmd_serve(int argc, char **argv)
{
  fprintf(stderr, "okno: 'serve' is not built yet\n");
  return 2;
}
