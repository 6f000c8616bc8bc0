/* tg_link.c: the Telegram chat's one-time cabinet link codes (see tg_link.h). */
#include "store/tg_link.h"

#include "store/db.h"
#include "store/keys.h"

char *okno_tg_link_normal(const char *code)
{
  GString *out = g_string_new(NULL);
  for (const char *p = code ? code : ""; *p; p++)
    if (g_ascii_isalnum(*p))
      g_string_append_c(out, g_ascii_toupper(*p));
  return g_string_free(out, FALSE);
}

static char *code_hash(const char *code)
{
  g_autofree char *n = okno_tg_link_normal(code);
  return g_compute_checksum_for_string(G_CHECKSUM_SHA256, n, -1);
}

gboolean okno_store_tg_link_add(OknoStore *st, const char *code, const char *contact,
                                gint64 expires_at, gint64 now, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autofree char *hash = code_hash(code);
  g_autofree char *sealed = NULL;
  if (!okno_db_exec(db, "DELETE FROM tg_links WHERE expires_at < $1", OKNO_PARAMS(OKNO_INT(now)),
                    error) ||
      !(sealed = okno_store_seal_secret(st, contact, error)))
    return FALSE;
  return okno_db_exec(db, "INSERT INTO tg_links(code_hash, contact, expires_at) VALUES($1, $2, $3)",
                      OKNO_PARAMS(OKNO_TEXT(hash), OKNO_TEXT(sealed), OKNO_INT(expires_at)),
                      error);
}

char *okno_store_tg_link_take(OknoStore *st, const char *code, gint64 now, GError **error)
{
  g_autofree char *hash = code_hash(code);
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "DELETE FROM tg_links WHERE code_hash = $1 RETURNING contact, expires_at",
      OKNO_PARAMS(OKNO_TEXT(hash)), error);
  if (!r || okno_rows_count(r) == 0 || okno_rows_int(r, 0, 1) < now)
    return NULL;
  return g_strdup(okno_rows_text(r, 0, 0));
}
