/* cmd_parse.c: placeholder during the first build; replaced by the real command. */
#include <stdio.h>

#include "cli/cli.h"

int okno_cmd_parse(int argc, char **argv)
{
  fprintf(stderr, "okno: 'parse' is not built yet\n");
  return 2;
}
