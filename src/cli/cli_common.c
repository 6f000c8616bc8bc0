/* cli_common.c: option parsing and error printing shared by the subcommands. */
#include "store/journal.h"
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "appeal/sla.h"
#include "core/clock.h"
#include "core/error.h"
#include "ops/outbound.h"
#include "sec/journal_key.h"
#include "store/appeals.h"
#include "store/keys.h"

int okno_cli_read_message(const OknoConfig *cfg, const char *path, char **raw, gsize *len,
                          OknoMessage **msg)
{
  g_autoptr(GError) err = NULL;
  OknoMimeLimits limits = {
    .max_depth = cfg->max_mime_depth,
    .max_parts = cfg->max_mime_parts,
    .memory_budget = cfg->parse_memory_budget,
    .time_budget_ms = cfg->parse_time_budget_ms,
  };
  if (!g_file_get_contents(path, raw, len, &err)) {
    fprintf(stderr, "okno: cannot read %s: %s\n", path, err->message);
    return 1;
  }
  *msg = okno_mime_parse(*raw, *len, &limits);
  if (!*msg) {
    fprintf(stderr, "okno: %s is empty\n", path);
    g_clear_pointer(raw, g_free);
    return 1;
  }
  return 0;
}

OknoConfig *okno_cli_setup_message(int *argc, char ***argv, const char *json_help,
                                   gboolean *json, char **raw, gsize *len, OknoMessage **msg,
                                   int *exit_code)
{
  const char *name = (*argv)[0];
  const GOptionEntry extra[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, json, json_help, NULL},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(OknoConfig) cfg = okno_cli_setup(argc, argv, "MESSAGE.eml", extra, exit_code);
  if (!cfg)
    return NULL;
  if (*argc != 2) {
    fprintf(stderr, "okno: %s takes one message file, e.g. okno %s --json letter.eml\n", name,
            name);
    *exit_code = 1;
    return NULL;
  }
  if ((*exit_code = okno_cli_read_message(cfg, (*argv)[1], raw, len, msg)) != 0)
    return NULL;
  return g_steal_pointer(&cfg);
}

void okno_cli_print_appeals(const GPtrArray *appeals, gboolean json)
{
  if (json) {
    g_autofree char *text = okno_appeals_json(appeals);
    printf("%s\n", text);
    return;
  }
  for (guint i = 0; i < appeals->len; i++) {
    const OknoAppeal *a = g_ptr_array_index(appeals, i);
    g_autofree char *at = okno_time_format_msk(a->received_at);
    printf("%-12s %-20s %-8s %-26s %s\n", a->number, okno_status_name(a->status),
           okno_channel_name(a->channel), at, a->subject);
  }
}

int okno_cli_take_operation(int *argc, char **argv, const char *const *names)
{
  for (int i = 1; i < *argc; i++) {
    if (argv[i][0] == '-') {
      if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c"))
        i++; /* its value is no operation */
      continue;
    }
    for (int k = 0; names[k]; k++)
      if (!strcmp(argv[i], names[k])) {
        memmove(&argv[i], &argv[i + 1], sizeof(char *) * (size_t)(*argc - i));
        (*argc)--;
        return k;
      }
    return -1; /* the first word is no operation */
  }
  return -1;
}

void okno_cli_deliver_once(const OknoConfig *cfg, const char *done, const char *what)
{
  g_autoptr(GError) oe = NULL;
  OknoOutbound *ob = okno_outbound_new(cfg, &oe);
  if (!ob || okno_outbound_run_once(ob, &oe) < 0)
    fprintf(stderr, "okno: %s, but %s is still queued: %s\n", done, what,
            oe ? oe->message : "unknown error");
  okno_outbound_free(ob);
}

int okno_cli_fail(const GError *err)
{
  fprintf(stderr, "okno: %s\n", err ? err->message : "unknown error");
  return okno_error_exit_code(err);
}

/* Loads the key file of encryption at rest into the store (store/keys.h) when it is
 * there; a key file that is there but does not load is the command's error. */
static gboolean cli_vault(const OknoConfig *cfg, int *exit_code)
{
  g_autofree char *path = okno_config_crypto_key_file(cfg);
  g_autoptr(GError) err = NULL;
  OknoVault *v = NULL;
  if (g_file_test(path, G_FILE_TEST_EXISTS) && !(v = okno_vault_load(path, &err))) {
    *exit_code = okno_cli_fail(err);
    return FALSE;
  }
  okno_store_set_vault(v, path);
  return TRUE;
}

OknoConfig *okno_cli_setup(int *argc, char ***argv, const char *usage,
                           const GOptionEntry *extra, int *exit_code)
{
  g_autofree char *config_path = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(GOptionContext) ctx = g_option_context_new(usage);
  const GOptionEntry base[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "configuration file (INI)", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  OknoConfig *cfg;

  g_option_context_add_main_entries(ctx, base, NULL);
  if (extra)
    g_option_context_add_main_entries(ctx, extra, NULL);
  if (!g_option_context_parse(ctx, argc, argv, &err)) {
    fprintf(stderr, "okno: %s\n", err->message);
    *exit_code = 1;
    return NULL;
  }
  if (!okno_clock_init_from_env()) {
    fprintf(stderr, "okno: OKNO_FAKE_NOW is not an RFC 3339 time\n");
    *exit_code = 1;
    return NULL;
  }
  cfg = config_path ? okno_config_load(config_path, &err) : okno_config_new_default();
  if (!cfg) {
    *exit_code = okno_cli_fail(err);
    return NULL;
  }
  okno_journal_set_enabled(cfg->journal_enabled != 0);
  if (!cli_vault(cfg, exit_code)) {
    okno_config_free(cfg);
    return NULL;
  }
  if (config_path) {
    /* [sla] is checked where the policy is built: bad periods and classes are refused
     * before any command runs, naming the file, as config errors are. */
    g_autoptr(OknoSlaPolicy) policy = okno_sla_policy_new(cfg, &err);
    if (!policy) {
      g_prefix_error(&err, "%s: ", config_path);
      *exit_code = okno_cli_fail(err);
      okno_config_free(cfg);
      return NULL;
    }
  }
  return cfg;
}

int okno_cli_journal_pk(const OknoConfig *cfg, const char *key_b64, guint8 pk[32])
{
  g_autofree char *path = NULL;
  g_autoptr(OknoJournalKey) k = NULL;
  if (key_b64) {
    if (okno_journal_key_public_parse(key_b64, pk))
      return TRUE;
    fprintf(stderr, "okno: --key is not an Ed25519 public key in base64\n");
    return -1;
  }
  path = okno_config_journal_key_file(cfg);
  if (!(k = okno_journal_key_load(path, NULL)))
    return FALSE;
  memcpy(pk, k->pk, OKNO_JOURNAL_PK_LEN);
  return TRUE;
}
