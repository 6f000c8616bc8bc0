/* okno.c: subcommand dispatch, nothing else. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "okno-build.h"

#define OKNO_VERSION_STRING OKNO_VERSION

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *help;
} commands[] = {
  {"serve", okno_cmd_serve, "run the SMTP/LMTP listeners and the delivery queue"},
  {"submit", okno_cmd_submit, "register one message (from a file or an MTA pipe)"},
  {"show", okno_cmd_show, "print one appeal"},
  {"list", okno_cmd_list, "list appeals, newest first"},
  {"search", okno_cmd_search, "find appeals by words, in any inflected form"},
  {"report", okno_cmd_report, "figures of a period: received, answered, on time, overdue, by channel"},
  {"parse", okno_cmd_parse, "show how a message is decoded, without registering it"},
  {"deadline", okno_cmd_deadline, "compute a deadline on the production calendar"},
  {"calendar", okno_cmd_calendar, "show or import the production calendar"},
  {"check-mail", okno_cmd_check_mail, "check a letter for phishing that imitates the portal"},
  {"auth-check", okno_cmd_auth_check, "check SPF, DKIM and DMARC of a message against [dns] server"},
  {"phishing", okno_cmd_phishing, "report phishing samples; the block list of domains and URLs"},
  {"migrate", okno_cmd_migrate, "bring the store's schema up to date"},
  {"dkim-record", okno_cmd_dkim_record, "print the DNS TXT record of the DKIM key to publish"},
  {"appeal", okno_cmd_appeal, "operator actions: status, extend, confirm-urgent, assign, forward, leave-unanswered"},
  {"notifications", okno_cmd_notifications, "show or set a citizen's e-mail notification settings"},
  {"scheduler", okno_cmd_scheduler, "run one pass of the SLA scheduler (reminders, escalation)"},
  {"user", okno_cmd_user, "staff accounts: add, disable, enable, reset-2fa, list, verify, journal, password"},
  {"department", okno_cmd_department, "departments: add, list"},
  {"route", okno_cmd_route, "routing rules: add, list, remove"},
  {"classify", okno_cmd_classify, "the classifier: train, predict, eval, retrain, list models"},
  {"kb", okno_cmd_kb, "the knowledge base: add, edit, publish, list articles"},
  {"retention", okno_cmd_retention, "retention of personal data: run (one pass), acts, act (destruction acts)"},
  {"backup", okno_cmd_backup, "a backup of the store (--out FILE), or verify FILE against its journal"},
  {"crypto", okno_cmd_crypto, "encryption at rest: init the key file, rotate, status, shred"},
  {"journal", okno_cmd_journal, "the tamper-evident journal: init, key, sign, head, verify, consistency, proof"},
  {"evidence", okno_cmd_evidence, "evidence bundles: export NUMBER --out DIR, verify --key PUBKEY PATH"},
};

static void usage(FILE *out)
{
  fprintf(out, "usage: okno COMMAND [--config FILE] [options]\n\ncommands:\n");
  for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
  /* Arguments and files are UTF-8 whatever the environment says (CI runs with no
   * LANG at all): GOption converts string options from the locale's charset. */
  setlocale(LC_ALL, "");
  if (!g_get_charset(NULL))
    setlocale(LC_CTYPE, "C.UTF-8");
  if (argc < 2) {
    usage(stderr);
    return 1;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("okno %s\n", OKNO_VERSION_STRING);
    return 0;
  }
  for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
    if (!strcmp(argv[1], commands[i].name))
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "okno: unknown command '%s' (try: okno --help)\n", argv[1]);
  return 1;
}
