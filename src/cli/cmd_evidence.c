/* cmd_evidence.c: `okno evidence OPERATION`, evidence bundles (docs/journal.md,
 * "Evidence bundles"; ops/evidence.h):
 *   export --config F NUMBER --out DIR   writes appeal NUMBER's bundle into DIR (new or
 *                                        empty); needs the journal's key file
 *   verify --key PUBKEY PATH             checks a bundle directory or a receipt .eml
 *                                        offline: no configuration, no store. PUBKEY is
 *                                        the public key in base64 or a file holding it.
 * verify exits 0 when intact, 1 naming the file at fault. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/json.h"
#include "ops/evidence.h"
#include "ops/journal.h"

static const char *const operations[] = {"export", "verify", NULL};

/* The keys from base64 text, or a file holding a key or a key history (ops/journal.h
 * okno_journal_keyring_parse). */
static OknoJournalKeyring *read_keys(const char *arg, GError **error)
{
  g_autofree char *text = NULL;
  guint8 pk[OKNO_JOURNAL_PK_LEN];
  if (okno_journal_key_public_parse(arg, pk))
    return okno_journal_keyring_new(pk);
  if (!g_file_get_contents(arg, &text, NULL, NULL)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "--key is neither a base64 Ed25519 public key nor a file holding one");
    return NULL;
  }
  return okno_journal_keyring_parse(text, error);
}

static int do_verify(int argc, char **argv)
{
  g_autofree char *key = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    {"key", 0, 0, G_OPTION_ARG_STRING, &key, "the journal's public key (base64, or a file)", "PUBKEY"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("verify --key PUBKEY PATH");
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoJournalKeyring) ring = NULL;
  const char *what = "";
  guint checked = 0;
  gboolean ok;
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
    fprintf(stderr, "okno: %s\n", err->message);
    return 1;
  }
  /* argv: "evidence" PATH (okno_cli_take_operation took the operation out) */
  if (!key || argc != 2) {
    fprintf(stderr, "okno: usage: okno evidence verify --key PUBKEY PATH (a bundle "
                    "directory or a receipt .eml)\n");
    return 1;
  }
  if (!(ring = read_keys(key, &err))) {
    fprintf(stderr, "okno: --key: %s\n", err->message);
    return 1;
  }
  ok = okno_evidence_verify_ring(ring, argv[1], &what, &checked, &err);
  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *text = NULL;
    json_builder_begin_object(b);
    okno_json_bool(b, "intact", ok);
    okno_json_str(b, "what", what);
    okno_json_int(b, "checked", checked);
    okno_json_str(b, "problem", ok ? "" : err->message);
    json_builder_end_object(b);
    text = okno_json_text(b, TRUE);
    printf("%s\n", text);
  }
  if (!ok) {
    fprintf(stderr, "okno: the %s is NOT intact: %s\n", what, err->message);
    return 1;
  }
  fprintf(stderr, "okno: the %s is intact (%u items checked)\n", what, checked);
  return 0;
}

int okno_cmd_evidence(int argc, char **argv)
{
  g_autofree char *out = NULL;
  const GOptionEntry extra[] = {
    {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "export: the bundle's directory", "DIR"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0, op = okno_cli_take_operation(&argc, argv, operations);
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(OknoJournalKey) key = NULL;
  g_autofree char *key_path = NULL;
  guint files = 0;
  if (op < 0) {
    fprintf(stderr, "okno: evidence takes one operation: export, verify\n");
    return 1;
  }
  if (op == 1)
    return do_verify(argc, argv);
  cfg = okno_cli_setup(&argc, &argv, "- evidence bundles", extra, &code);
  if (!cfg)
    return code;
  if (argc != 2 || !out) {
    fprintf(stderr, "okno: usage: okno evidence export --config FILE NUMBER --out DIR\n");
    return 1;
  }
  key_path = okno_config_journal_key_file(cfg);
  key = okno_journal_key_load(key_path, &err);
  if (!key)
    return okno_cli_fail(err);
  st = okno_store_open(cfg->store_url, &err);
  if (!st || !okno_evidence_export(st, key, argv[1], out, &files, &err))
    return okno_cli_fail(err);
  fprintf(stderr, "okno: evidence of appeal %s written to %s (%u files)\n", argv[1], out, files);
  return 0;
}
