/* backup.h: a copy of the store (docs/backup.md). On SQLite, okno_store_backup writes a
 * consistent snapshot into a new file with SQLite's online backup API while okno serve
 * goes on; on PostgreSQL it refuses with OKNO_ERROR_USER naming pg_basebackup and WAL
 * archiving, the way to back up a cluster. The copy is checked by `okno backup verify`
 * (cli/cmd_backup.c) with the journal's verify (ops/journal.h). */
#pragma once
#include <glib.h>

#include "store/store.h"

/* Writes the backup to `dest`, which must not exist (OKNO_ERROR_USER if it does). */
gboolean okno_store_backup(OknoStore *st, const char *dest, GError **error);
