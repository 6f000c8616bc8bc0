/* cmd_submit.c: placeholder during the first build; replaced by the real command. */
#include <stdio.h>

#include "cli/cli.h"

int okno_cmd_submit(int argc, char **argv)
{
  fprintf(stderr, "okno: 'submit' is not built yet\n");
  return 2;
}
