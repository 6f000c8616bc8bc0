/* cmd_dkim_record.c: `okno dkim-record [--config FILE]`, the DNS record to publish.
 *
 * Loads the [dkim] key exactly as the intake does (mail/dkim.h: the same checks, the
 * same one-line error naming the file) and prints one line for the zone file:
 *   SELECTOR._domainkey.DOMAIN. IN TXT "v=DKIM1; k=rsa; p=..." "..."
 * With no [dkim] selector configured it says so on stderr and exits 1. */
#include <stdio.h>

#include "cli/cli.h"
#include "mail/dkim.h"

int okno_cmd_dkim_record(int argc, char **argv)
{
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "- print the DKIM DNS record", NULL, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoDkim) dkim = NULL;
  g_autofree char *record = NULL;

  if (!cfg)
    return code;
  if (argc > 1) {
    fprintf(stderr, "okno: dkim-record takes no arguments\n");
    return 1;
  }
  dkim = okno_dkim_new(cfg, &err);
  if (!dkim) {
    if (err)
      return okno_cli_fail(err);
    fprintf(stderr, "okno: DKIM signing is off: set [dkim] selector and key in the config\n");
    return 1;
  }
  record = okno_dkim_dns_record(dkim);
  printf("%s\n", record);
  return 0;
}
