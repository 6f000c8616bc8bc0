/* backup.c: the store's backup (backup.h): the SQLite driver's online backup into a new
 * file; on PostgreSQL the line that names the cluster's own tools. */
#include "store/backup.h"

#include "core/error.h"
#include "store/db.h"

gboolean okno_store_backup(OknoStore *st, const char *dest, GError **error)
{
  OknoDb *db = okno_store_db(st);
  if (!okno_db_is_sqlite(db)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "the store is PostgreSQL: back it up with pg_basebackup and WAL archiving "
                "(README, \"Backups\"), not okno backup");
    return FALSE;
  }
  if (g_file_test(dest, G_FILE_TEST_EXISTS)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s exists: a backup never overwrites a file",
                dest);
    return FALSE;
  }
  return okno_db_sqlite_backup(db, dest, error);
}
