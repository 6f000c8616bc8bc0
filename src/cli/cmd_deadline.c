/* cmd_deadline.c: placeholder during the first build; replaced by the real command. */
#include <stdio.h>

#include "cli/cli.h"

int okno_cmd_deadline(int argc, char **argv)
{
  fprintf(stderr, "okno: 'deadline' is not built yet\n");
  return 2;
}
