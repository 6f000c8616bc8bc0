/* cmd_crypto.c: `okno crypto init|rotate|status|shred|seal-existing` (docs/crypto.md):
 * the key file of encryption at rest, its rotation while okno serves, the
 * crypto-shredding of one appeal's data key, and the sealing of appeals written clear
 * before the key file existed. */
#include <stdio.h>

#include "cli/cli.h"
#include "core/error.h"
#include "core/vault.h"
#include "store/appeals.h"
#include "store/keys.h"
#include "store/seal.h"

static const char *const operations[] = {"init", "rotate", "status", "shred", "seal-existing", NULL};

int okno_cmd_crypto(int argc, char **argv)
{
  int code = 0, op;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autofree char *key_path = NULL;
  gint64 moved = 0;

  op = okno_cli_take_operation(&argc, argv, operations);
  if (op < 0) {
    fprintf(stderr, "okno: crypto takes one operation: init, rotate, status, shred, seal-existing\n");
    return 1;
  }
  cfg = okno_cli_setup(&argc, &argv, "- encryption at rest: the key file", NULL, &code);
  if (!cfg)
    return code;
  key_path = okno_config_crypto_key_file(cfg);
  if ((op == 3 && argc != 2) || (op != 3 && argc != 1)) {
    fprintf(stderr, "okno: usage: okno crypto %s --config FILE%s\n", operations[op],
            op == 3 ? " NUMBER" : "");
    return 1;
  }
  if (op == 0) { /* init */
    g_autoptr(OknoVault) v = NULL;
    if (!okno_vault_create(key_path, &err) || !(v = okno_vault_load(key_path, &err)))
      return okno_cli_fail(err);
    printf("okno: key file created in %s: back it up apart from the store "
           "(without it nothing encrypted can be read)\n",
           key_path);
    return 0;
  }
  if (!okno_store_vault()) { /* no key file: the load says so, in one line */
    g_autoptr(OknoVault) v G_GNUC_UNUSED = okno_vault_load(key_path, &err);
    return okno_cli_fail(err);
  }
  st = okno_store_open(cfg->store_url, &err);
  if (!st)
    return okno_cli_fail(err);
  if (op == 1) { /* rotate */
    if (!okno_store_keys_rotate(st, &moved, &err))
      return okno_cli_fail(err);
    printf("okno: %" G_GINT64_FORMAT " data keys wrapped under key epoch %" G_GINT64_FORMAT
           "; the old key-encryption keys are gone from %s\n",
           moved, okno_vault_current_epoch(okno_store_vault()), key_path);
    return 0;
  }
  if (op == 2) { /* status */
    g_autoptr(GArray) epochs = okno_vault_epochs(okno_store_vault());
    g_autoptr(GArray) retired = okno_vault_retired_epochs(okno_store_vault());
    printf("key file %s: current epoch %" G_GINT64_FORMAT ", %u epochs, %u retired\n",
           key_path, okno_vault_current_epoch(okno_store_vault()), epochs->len, retired->len);
    return 0;
  }
  if (op == 4) { /* seal-existing */
    gint64 rows = 0;
    if (!okno_store_seal_existing(st, &moved, &err) ||
        !okno_store_seal_identities(st, &rows, &err))
      return okno_cli_fail(err);
    printf("okno: %" G_GINT64_FORMAT " appeals written before the key file are sealed\n", moved);
    printf("okno: %" G_GINT64_FORMAT " cabinet rows (sign-in codes, settings, address moves, "
           "sessions) are sealed\n", rows);
    return 0;
  }
  { /* shred */
    g_autoptr(OknoAppeal) a = okno_store_appeal_get(st, argv[1], &err);
    if (!a) {
      if (err)
        return okno_cli_fail(err);
      fprintf(stderr, "okno: no appeal %s\n", argv[1]);
      return 1;
    }
    if (!okno_store_begin(st, &err))
      return okno_cli_fail(err);
    if (!okno_store_appeal_shred(st, a->id, &err) || !okno_store_commit(st, &err)) {
      okno_store_rollback(st);
      return okno_cli_fail(err);
    }
    if (!okno_store_keys_collect(st, &moved, &err))
      return okno_cli_fail(err);
    printf("okno: the data key of %s is destroyed (%" G_GINT64_FORMAT
           " other keys re-wrapped): its contents can no longer be read\n",
           a->number, moved);
    return 0;
  }
}
