/* cmd_appeal.c: operator operations from the command line (ops/ops.h).
 *
 *   okno appeal status  --config F NUMBER STATUS [--reason TEXT] [--answer TEXT] [--by EMAIL]
 *   okno appeal extend  --config F NUMBER --period "N calendar days" --reason TEXT [--by EMAIL]
 *   okno appeal confirm-urgent --config F NUMBER [--by EMAIL]
 *   okno appeal assign  --config F NUMBER LOGIN|"" [--by EMAIL]   (a staff account, okno user)
 *   okno appeal forward --config F NUMBER BODY [--by EMAIL]
 *   okno appeal leave-unanswered --config F NUMBER GROUND [--by EMAIL]
 *   okno appeal hold    --config F NUMBER --reason TEXT [--by EMAIL]  (a legal hold:
 *                       the retention clock stops, ops/retention.h)
 *   okno appeal unhold  --config F NUMBER [--by EMAIL]
 *   okno appeal theme   --config F NUMBER CODE [--by EMAIL]  (a formal appeal's typical
 *                       thematic classifier code, one of [formal] themes: ops/stats.h)
 *   okno appeal log     --config F --channel phone|paper|social --name NAME --text TEXT ...
 *                       (an appeal logged on the citizen's behalf: cmd_appeal_log.c)
 *   okno notifications --config F --email ADDRESS [TYPE=on|off ...]
 *
 * The operation may stand anywhere among the options. Each runs one store transaction (the operation, its events, the citizen's
 * notification in the outbound queue), then delivers the queue once unless
 * --no-deliver (as okno submit does). `okno notifications` sets and prints a citizen's
 * notification settings (the same the cabinet's «Уведомления» page sets). Exit 0, 1 on
 * a user error with one line, 2 on an internal error. */
#include <stdio.h>
#include <string.h>

#include "ops/ops.h"
#include "ops/stats.h"
#include "ops/retention.h"
#include "core/clock.h"
#include "cli/cli.h"
#include "core/error.h"
#include "store/notify.h"

typedef enum { OP_STATUS, OP_EXTEND, OP_CONFIRM, OP_ASSIGN, OP_FORWARD, OP_ART11, OP_HOLD,
               OP_UNHOLD, OP_THEME } Op;

static const struct {
  const char *name;
  Op op;
  int args; /* positional arguments after NUMBER */
  const char *usage;
} ops[] = {
  {"status", OP_STATUS, 1, "NUMBER STATUS"},
  {"extend", OP_EXTEND, 0, "NUMBER"},
  {"confirm-urgent", OP_CONFIRM, 0, "NUMBER"},
  {"assign", OP_ASSIGN, 1, "NUMBER LOGIN"},
  {"forward", OP_FORWARD, 1, "NUMBER BODY"},
  {"leave-unanswered", OP_ART11, 1, "NUMBER GROUND"},
  {"hold", OP_HOLD, 0, "NUMBER --reason TEXT"},
  {"unhold", OP_UNHOLD, 0, "NUMBER"},
  {"theme", OP_THEME, 1, "NUMBER CODE"},
};

static gboolean run_op(Op op, const OknoSlaEnv *env, OknoStore *st, char **argv,
                       const char *reason, const char *answer, const char *period,
                       const char *by, GError **error)
{
  OknoSlaPeriod per;
  OknoStatus to;
  switch (op) {
  case OP_STATUS:
    if (!okno_status_parse(argv[2], &to)) {
      g_autofree char *names = g_strjoinv(", ", (char **)okno_status_names);
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "unknown status '%s' (one of %s)",
                  argv[2], names);
      return FALSE;
    }
    return okno_ops_set_status(env, st, argv[1], 0, to, reason, answer, by, error);
  case OP_EXTEND:
    if (!period || !okno_sla_period_parse(period, &per)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "--period must be like \"10 calendar days\" or \"2 working days\"");
      return FALSE;
    }
    return okno_ops_extend(env, st, argv[1], &per, reason, by, error);
  case OP_CONFIRM:
    return okno_ops_confirm_urgent(env, st, argv[1], by, error);
  case OP_ASSIGN:
    return okno_ops_assign(st, argv[1], 0, argv[2], by, error);
  case OP_FORWARD:
    return okno_ops_forward(env, st, argv[1], argv[2], by, error);
  case OP_ART11:
    return okno_ops_leave_unanswered(env, st, argv[1], argv[2], by, error);
  case OP_THEME:
    return okno_stats_set_theme(env->cfg, st, argv[1], argv[2], by, error);
  case OP_HOLD:
    return okno_retention_hold(st, argv[1], reason, by, okno_now(), error);
  case OP_UNHOLD:
    return okno_retention_unhold(st, argv[1], by, okno_now(), error);
  }
  return FALSE;
}

int okno_cmd_appeal(int argc, char **argv)
{
  g_autofree char *reason = NULL, *answer = NULL, *period = NULL, *by = NULL;
  gboolean no_deliver = FALSE;
  const GOptionEntry extra[] = {
    {"reason", 0, 0, G_OPTION_ARG_STRING, &reason, "why (recorded, and told to the citizen)", "TEXT"},
    {"answer", 0, 0, G_OPTION_ARG_STRING, &answer, "the answer's text (status answered)", "TEXT"},
    {"period", 0, 0, G_OPTION_ARG_STRING, &period, "extension, e.g. \"10 calendar days\"", "PERIOD"},
    {"by", 0, 0, G_OPTION_ARG_STRING, &by, "who does it (recorded in the event)", "EMAIL"},
    {"no-deliver", 0, 0, G_OPTION_ARG_NONE, &no_deliver, "leave the mail to okno serve", NULL},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  const char *names[G_N_ELEMENTS(ops) + 1] = {NULL};
  int i;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(OknoSlaEnv) env = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(GError) err = NULL;

  for (int k = 1; k < argc; k++)
    if (g_str_equal(argv[k], "log") &&
        (k == 1 || argv[k - 1][0] != '-' || strchr(argv[k - 1], '='))) { /* not a value */
      memmove(argv + k, argv + k + 1, (gsize)(argc - k) * sizeof *argv);
      return okno_cmd_appeal_log(argc - 1, argv);
    }
  for (gsize k = 0; k < G_N_ELEMENTS(ops); k++)
    names[k] = ops[k].name;
  i = okno_cli_take_operation(&argc, argv, names);
  if (i < 0) {
    fprintf(stderr, "okno: appeal needs an operation: status, extend, confirm-urgent, assign, "
                    "forward, leave-unanswered, hold, unhold, theme or log\n");
    return 1;
  }
  cfg = okno_cli_setup(&argc, &argv, ops[i].usage, extra, &code);
  if (!cfg)
    return code;
  if (argc != 2 + ops[i].args) {
    fprintf(stderr, "okno: appeal %s takes %s\n", ops[i].name, ops[i].usage);
    return 1;
  }
  env = okno_sla_env_new(cfg, &err);
  if (env)
    st = okno_store_open(cfg->store_url, &err);
  if (!st)
    return okno_cli_fail(err);
  if (!okno_store_begin(st, &err))
    return okno_cli_fail(err);
  if (!run_op(ops[i].op, env, st, argv, reason, answer, period, by ? by : "operator", &err)) {
    okno_store_rollback(st);
    return okno_cli_fail(err);
  }
  if (!okno_store_commit(st, &err))
    return okno_cli_fail(err);
  g_clear_pointer(&st, okno_store_close);
  if (!no_deliver)
    okno_cli_deliver_once(cfg, "done", "the notification");
  return 0;
}

int okno_cmd_notifications(int argc, char **argv)
{
  g_autofree char *email = NULL;
  const GOptionEntry extra[] = {
    {"email", 0, 0, G_OPTION_ARG_STRING, &email, "the citizen's address", "ADDRESS"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "[TYPE=on|off ...]", extra, &code);
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(GError) err = NULL;
  if (!cfg)
    return code;
  if (!email || !strchr(email, '@')) {
    fprintf(stderr, "okno: --email ADDRESS is required\n");
    return 1;
  }
  for (int i = 1; i < argc; i++) {
    const char *eq = strchr(argv[i], '=');
    g_autofree char *type = eq ? g_strndup(argv[i], (gsize)(eq - argv[i])) : NULL;
    if (!eq || !okno_notify_type_valid(type) || (strcmp(eq + 1, "on") && strcmp(eq + 1, "off"))) {
      g_autofree char *types = g_strjoinv(", ", (char **)okno_notify_types());
      fprintf(stderr, "okno: '%s' should be TYPE=on or TYPE=off, TYPE one of %s\n", argv[i], types);
      return 1;
    }
  }
  st = okno_store_open(cfg->store_url, &err);
  if (!st || !okno_store_begin(st, &err))
    return okno_cli_fail(err);
  for (int i = 1; i < argc; i++) {
    const char *eq = strchr(argv[i], '=');
    g_autofree char *type = g_strndup(argv[i], (gsize)(eq - argv[i]));
    if (!okno_store_notify_set(st, email, type, !strcmp(eq + 1, "on"), &err)) {
      okno_store_rollback(st);
      return okno_cli_fail(err);
    }
  }
  if (!okno_store_commit(st, &err))
    return okno_cli_fail(err);
  for (const char *const *t = okno_notify_types(); *t; t++) {
    gboolean on = TRUE;
    if (!okno_store_notify_enabled(st, email, *t, &on, &err))
      return okno_cli_fail(err);
    printf("%s=%s\n", *t, on ? "on" : "off");
  }
  return 0;
}
