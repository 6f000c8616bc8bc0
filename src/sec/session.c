/* session.c: sessions in the store, named by the hash of a random token (session.h). */
#include "sec/session.h"

#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "store/sessions.h"

#define TOKEN_BYTES 32
#define TOUCH_EVERY_US (60 * G_USEC_PER_SEC)

char *okno_random_hex(gsize nbytes)
{
  g_autofree guint8 *buf = g_malloc(nbytes);
  char *hex = g_malloc(nbytes * 2 + 1);
  if (sodium_init() < 0)
    g_error("libsodium failed to initialise");
  randombytes_buf(buf, nbytes);
  sodium_bin2hex(hex, nbytes * 2 + 1, buf, nbytes);
  return hex;
}

char *okno_session_token_hash(const char *token)
{
  return g_compute_checksum_for_string(G_CHECKSUM_SHA256, token ? token : "", -1);
}

static gboolean token_well_formed(const char *token)
{
  if (!token || strlen(token) != TOKEN_BYTES * 2)
    return FALSE;
  for (const char *p = token; *p; p++)
    if (!g_ascii_isxdigit(*p))
      return FALSE;
  return TRUE;
}

OknoSession *okno_session_create(OknoStore *st, const char *kind, const char *subject,
                                 gint64 ttl_us, const char *ip, const char *user_agent,
                                 char **token, GError **error)
{
  g_autoptr(OknoSessionRow) s = g_new0(OknoSessionRow, 1);
  g_autofree char *tok = okno_random_hex(TOKEN_BYTES);
  g_autofree char *hash = okno_session_token_hash(tok);
  g_autofree char *ua = g_utf8_make_valid(user_agent ? user_agent : "", MIN(strlen(user_agent ? user_agent : ""), 256));

  s->kind = g_strdup(kind);
  s->subject = g_strdup(subject);
  s->csrf = okno_random_hex(TOKEN_BYTES);
  s->created_at = okno_now();
  s->expires_at = s->created_at + ttl_us;
  if (!okno_store_session_insert(st, s, hash, ip, ua, error))
    return NULL;
  *token = g_steal_pointer(&tok);
  return g_steal_pointer(&s);
}

OknoSession *okno_session_lookup(OknoStore *st, const char *token, GError **error)
{
  g_autofree char *hash = NULL;
  OknoSession *s;
  gint64 now = okno_now();
  if (!token_well_formed(token))
    return NULL;
  hash = okno_session_token_hash(token);
  s = okno_store_session_get(st, hash, now, error);
  if (s && now - s->last_seen > TOUCH_EVERY_US) {
    /* last_seen is informative: a failure to record it does not end the session */
    if (okno_store_session_touch(st, s->id, now, NULL))
      s->last_seen = now;
  }
  return s;
}

gboolean okno_session_revoke(OknoStore *st, const char *token, GError **error)
{
  g_autofree char *hash = NULL;
  if (!token_well_formed(token))
    return TRUE;
  hash = okno_session_token_hash(token);
  return okno_store_session_revoke(st, hash, okno_now(), error);
}
