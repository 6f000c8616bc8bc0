/* cmd_calendar.c: placeholder during the first build; replaced by the real command. */
#include <stdio.h>

#include "cli/cli.h"

int okno_cmd_calendar(int argc, char **argv)
{
  fprintf(stderr, "okno: 'calendar' is not built yet\n");
  return 2;
}
