/* cmd_show.c: placeholder during the first build; replaced by the real command. */
#include <stdio.h>

#include "cli/cli.h"

int okno_cmd_show(int argc, char **argv)
{
  fprintf(stderr, "okno: 'show' is not built yet\n");
  return 2;
}

int okno_cmd_list(int argc, char **argv)
{
  fprintf(stderr, "okno: 'list' is not built yet\n");
  return 2;
}
