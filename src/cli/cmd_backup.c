/* cmd_backup.c: `okno backup --config F --out FILE` and `okno backup verify FILE
 * [--config F] [--key BASE64]` (store/backup.h, docs/retention.md "Backups").
 *
 * backup writes a consistent copy of a SQLite store into a new file while okno serve
 * runs (on PostgreSQL it prints the one line naming pg_basebackup and exits 1).
 * verify never writes to FILE: it copies it into a temporary directory, opens the copy
 * as a store and runs the journal's verify on it: every leaf recomputed, the tree's
 * root compared with the backup's latest signed head, whose signature is checked with
 * the public key (--key, else the config's key file), and every row compared with its
 * latest leaf. One line: "intact ..." (exit 0) or the first problem (exit 1). */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/error.h"
#include "ops/journal.h"
#include "sec/journal_key.h"
#include "store/backup.h"

static int verify(int argc, char **argv)
{
  static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
  g_autofree char *key_b64 = NULL;
  const GOptionEntry extra[] = {
    {"key", 0, 0, G_OPTION_ARG_STRING, &key_b64, "the journal's public key (base64)", "BASE64"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "FILE - check a backup", extra, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(OknoJournalReport) rep = NULL;
  g_autofree char *dir = NULL, *copy = NULL, *url = NULL, *data = NULL;
  guint8 pk[OKNO_JOURNAL_PK_LEN];
  int have_pk;
  gsize len = 0;
  char root[2 * OKNO_HASH_LEN + 1];
  if (!cfg)
    return code;
  if (argc != 2) {
    fprintf(stderr, "okno: backup verify takes one backup file\n");
    return 1;
  }
  if ((have_pk = okno_cli_journal_pk(cfg, key_b64, pk)) < 0)
    return 1;
  if (!g_file_get_contents(argv[1], &data, &len, &err)) {
    fprintf(stderr, "okno: cannot read the backup: %s\n", err->message);
    return 1;
  }
  if (len < 16 || memcmp(data, "SQLite format 3", 16) != 0) {
    fprintf(stderr, "okno: %s is not a SQLite backup\n", argv[1]);
    return 1;
  }
  dir = g_dir_make_tmp("okno-backup-verify-XXXXXX", &err);
  if (!dir)
    return okno_cli_fail(err);
  copy = g_build_filename(dir, "okno.db", NULL);
  if (!g_file_set_contents(copy, data, (gssize)len, &err)) {
    g_rmdir(dir);
    return okno_cli_fail(err);
  }
  url = g_strdup_printf("sqlite:%s", copy);
  st = okno_store_open(url, &err);
  if (st)
    rep = okno_journal_verify(st, have_pk ? pk : NULL, &err);
  g_clear_pointer(&st, okno_store_close);
  for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++) {
    g_autofree char *f = g_strconcat(copy, suffixes[i], NULL);
    g_unlink(f);
  }
  g_rmdir(dir);
  if (!rep)
    return okno_cli_fail(err);
  if (rep->problems->len) {
    const OknoJournalProblem *p = rep->problems->pdata[0];
    fprintf(stderr, "okno: backup %s broken (%u problems); first: %s%s%s\n", argv[1],
            rep->problems->len, p->what, *p->number ? ", appeal " : "", p->number);
    return 1;
  }
  if (!rep->signed_size) {
    fprintf(stderr, "okno: backup %s has no signed tree head: nothing ties it to a published "
                    "root (okno journal sign before okno backup)\n", argv[1]);
    return 1;
  }
  for (int i = 0; i < OKNO_HASH_LEN; i++)
    g_snprintf(root + 2 * i, 3, "%02x", rep->root[i]);
  printf("intact: %" G_GINT64_FORMAT " leaves, head of %" G_GINT64_FORMAT " signed, root %s, %"
         G_GINT64_FORMAT " rows checked\n", rep->size, rep->signed_size, root, rep->facts);
  return 0;
}

int okno_cmd_backup(int argc, char **argv)
{
  g_autofree char *out = NULL;
  const GOptionEntry extra[] = {
    {"out", 0, 0, G_OPTION_ARG_FILENAME, &out, "the backup file to write (must not exist)", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(GError) err = NULL;
  if (okno_cli_take_operation(&argc, argv, (const char *const[]){"verify", NULL}) == 0)
    return verify(argc, argv);
  cfg = okno_cli_setup(&argc, &argv, "- a backup of the store", extra, &code);
  if (!cfg)
    return code;
  if (argc != 1 || !out) {
    fprintf(stderr, "okno: backup takes --out FILE (or: okno backup verify FILE)\n");
    return 1;
  }
  st = okno_store_open(cfg->store_url, &err);
  if (!st || !okno_store_backup(st, out, &err))
    return okno_cli_fail(err);
  printf("%s\n", out);
  return 0;
}
