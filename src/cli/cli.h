/* cli.h: the subcommands of the okno binary (okno.c dispatches to them).
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and returns the
 * process exit code: 0 success, 1 user error (one line on stderr saying what to fix),
 * 2 internal error. */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "mail/mime.h"

int okno_cmd_serve(int argc, char **argv);
int okno_cmd_submit(int argc, char **argv);
int okno_cmd_show(int argc, char **argv);
int okno_cmd_list(int argc, char **argv);
int okno_cmd_search(int argc, char **argv);
int okno_cmd_report(int argc, char **argv);
int okno_cmd_parse(int argc, char **argv);
int okno_cmd_deadline(int argc, char **argv);
int okno_cmd_calendar(int argc, char **argv);
int okno_cmd_check_mail(int argc, char **argv);
int okno_cmd_phishing(int argc, char **argv);
int okno_cmd_migrate(int argc, char **argv);
int okno_cmd_dkim_record(int argc, char **argv);
int okno_cmd_appeal(int argc, char **argv);        /* cmd_appeal.c */
int okno_cmd_appeal_log(int argc, char **argv);    /* cmd_appeal_log.c: okno appeal log */
int okno_cmd_notifications(int argc, char **argv); /* cmd_appeal.c */
int okno_cmd_scheduler(int argc, char **argv);     /* cmd_scheduler.c */
int okno_cmd_user(int argc, char **argv);       /* cmd_user.c */
int okno_cmd_department(int argc, char **argv); /* cmd_user.c */
int okno_cmd_route(int argc, char **argv);      /* cmd_user.c */
int okno_cmd_auth_check(int argc, char **argv);
int okno_cmd_journal(int argc, char **argv);     /* cmd_journal.c */
int okno_cmd_retention(int argc, char **argv);   /* cmd_retention.c */
int okno_cmd_backup(int argc, char **argv);      /* cmd_backup.c */
int okno_cmd_evidence(int argc, char **argv);    /* cmd_evidence.c */
int okno_cmd_crypto(int argc, char **argv);      /* cmd_crypto.c */
int okno_cmd_classify(int argc, char **argv);    /* cmd_classify.c */
int okno_cmd_kb(int argc, char **argv);          /* cmd_kb.c */

/* Shared by the commands: parses --config FILE (and the other options in `extra`)
 * with GOptionContext, loads the config (defaults when --config is absent), and
 * prints the one-line error itself. Returns NULL and sets *exit_code on failure. */
OknoConfig *okno_cli_setup(int *argc, char ***argv, const char *usage,
                           const GOptionEntry *extra, int *exit_code);
/* Reads the message file `path` and parses it under the config's [intake] limits.
 * Returns 0 with *raw (caller frees), *len and *msg (caller frees) set, or prints the
 * one-line error itself and returns the exit code (1: unreadable or empty). */
int okno_cli_read_message(const OknoConfig *cfg, const char *path, char **raw, gsize *len,
                          OknoMessage **msg);
/* okno_cli_setup() and okno_cli_read_message() for the commands that read one message
 * file and print it or its verdict, as text or, with --json, as JSON (`okno parse`,
 * `okno check-mail`); `json_help` says what --json prints. Returns the config (caller
 * frees) with *json, *raw, *len and *msg set; or NULL, the line printed and *exit_code
 * set (1 when there is not exactly one file: «okno: NAME takes one message file, e.g.
 * okno NAME --json letter.eml», NAME the command). */
OknoConfig *okno_cli_setup_message(int *argc, char ***argv, const char *json_help,
                                   gboolean *json, char **raw, gsize *len, OknoMessage **msg,
                                   int *exit_code);

/* Prints appeals (OknoAppeal*): as the JSON array of summaries with `json`, else one
 * line each for people (number, status, channel, registration time, subject). */
void okno_cli_print_appeals(const GPtrArray *appeals, gboolean json);

/* Finds the operation of a command with operations (`okno appeal status ...`, `okno
 * user add ...`): the first argument after argv[0] that is neither an option nor the
 * value of --config/-c, so both `okno user add --config F` and `okno user --config F
 * add` work. When it is one of `names` it is removed from argv and its index in
 * `names` returned; otherwise -1 (argv unchanged). Options with values must come after
 * the operation, or as --option=value. */
int okno_cli_take_operation(int *argc, char **argv, const char *const *names);

/* Runs the outbound queue once, so mail a command queued goes out even when no
 * `okno serve` runs; on failure prints "okno: <done>, but <what> is still queued: ...". */
void okno_cli_deliver_once(const OknoConfig *cfg, const char *done, const char *what);

/* Prints "okno: <message>" for `err` and returns the exit code for it. */
int okno_cli_fail(const GError *err);

/* The journal's public key to verify signed heads with: `key_b64` (--key) when given,
 * else the public half of [journal] key_file when it loads. TRUE with pk filled,
 * FALSE when there is none (verify then checks the tree without signatures); -1
 * after printing one line when --key is not an Ed25519 public key in base64. */
int okno_cli_journal_pk(const OknoConfig *cfg, const char *key_b64, guint8 pk[32]);
