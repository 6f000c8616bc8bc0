/* test_oidc.c: unit tests of the ID-token check (okno_oidc_verify_id_token, web/oidc.h)
 * on the tokens of the fuzz corpus (tests/fuzz/corpus/oidc/: RS256 tokens signed by a
 * generated key, with its JWKS after the newline), and of the identity rows
 * (store/oidc.h) on SQLite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>
#include <glib/gstdio.h>

#include "core/error.h"
#include "sec/session.h"
#include "store/oidc.h"
#include "store/sessions.h"
#include "web/oidc.h"

#define ISS "http://127.0.0.1:1"
#define AT 1700000000 /* the corpus tokens' iat */

/* Verifies corpus file `name` at time `now`; returns claims or NULL with *reason. */
static OknoOidcClaims *verify(const char *name, const char *nonce, gint64 now, char **reason)
{
  g_autofree char *path = g_build_filename(g_getenv("OKNO_SOURCE_DIR"), "tests", "fuzz",
                                           "corpus", "oidc", name, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) e = NULL;
  OknoOidcClaims *c;
  char *nl;
  assert_true(g_file_get_contents(path, &text, NULL, NULL));
  nl = strchr(text, '\n');
  if (nl)
    *nl = '\0';
  c = okno_oidc_verify_id_token(text, nl ? nl + 1 : "{\"keys\":[]}", ISS, "okno", nonce,
                                "snils", now, &e);
  *reason = e ? g_strdup(e->message) : NULL;
  if (!c)
    assert_int_equal(e->code, OKNO_ERROR_USER);
  return c;
}

static void refused(const char *name, const char *nonce, gint64 now, const char *want)
{
  g_autofree char *reason = NULL;
  OknoOidcClaims *c = verify(name, nonce, now, &reason);
  assert_null(c);
  assert_string_equal(reason, want);
}

static void test_valid_token(void **state)
{
  g_autofree char *reason = NULL;
  g_autoptr(OknoOidcClaims) c = verify("valid", "n0nce", AT + 10, &reason);
  (void)state;
  assert_non_null(c);
  assert_string_equal(c->issuer, ISS);
  assert_string_equal(c->subject, "s1");
  assert_string_equal(c->name, "Иванов Иван");
  assert_string_equal(c->email, "a@b.ru");
  assert_string_equal(c->snils, "112-233-445 95");
}

static void test_refusals(void **state)
{
  (void)state;
  refused("tampered", "n0nce", AT + 10, "signature");
  refused("wrong_aud", "n0nce", AT + 10, "aud"); /* two audiences and no azp */
  refused("expired", "n0nce", AT + 10, "expired");
  refused("alg_none", "n0nce", AT + 10, "malformed"); /* r_jwt_parse refuses alg none */
  refused("garbage", "n0nce", AT + 10, "malformed");
  refused("valid", "other-nonce", AT + 10, "nonce");
  /* the valid token is expired 60 s (the leeway) after its exp, and too young before iat */
  refused("valid", "n0nce", AT + 300 + 61, "expired");
  refused("valid", "n0nce", AT - 61, "iat");
}

static void test_leeway(void **state)
{
  g_autofree char *r1 = NULL, *r2 = NULL;
  g_autoptr(OknoOidcClaims) late = verify("valid", "n0nce", AT + 300 + 59, &r1);
  g_autoptr(OknoOidcClaims) early = verify("valid", "n0nce", AT - 59, &r2);
  (void)state;
  assert_non_null(late);
  assert_non_null(early);
}

static void test_identity_rows(void **state)
{
  g_autofree char *dir = g_dir_make_tmp("okno-oidc-XXXXXX", NULL);
  g_autofree char *url = g_strconcat("sqlite:", dir, "/t.db", NULL);
  g_autoptr(GError) e = NULL;
  g_autoptr(OknoStore) st = okno_store_open(url, &e);
  g_autofree char *token = NULL;
  g_autoptr(OknoSessionRow) s = NULL;
  g_autoptr(OknoOidcIdentity) got = NULL;
  OknoOidcIdentity id = {0};
  (void)state;
  assert_non_null(st);
  s = okno_session_create(st, "citizen", "a@b.ru", G_USEC_PER_SEC * 60, NULL, NULL, &token, &e);
  assert_non_null(s);
  assert_null(okno_store_oidc_identity_get(st, s->id, &e));
  assert_null(e);
  id.session_id = s->id;
  id.issuer = ISS;
  id.subject = "s1";
  id.name = "Иванов Иван";
  id.email = "a@b.ru";
  id.snils = "";
  id.created_at = 5;
  assert_true(okno_store_oidc_identity_put(st, &id, &e));
  got = okno_store_oidc_identity_get(st, s->id, &e);
  assert_non_null(got);
  assert_string_equal(got->subject, "s1");
  assert_string_equal(got->name, "Иванов Иван");
  assert_string_equal(got->snils, "");
  assert_int_equal(got->created_at, 5);
  g_clear_pointer(&st, okno_store_close);
  {
    g_autofree char *f1 = g_strconcat(dir, "/t.db", NULL);
    g_autofree char *f2 = g_strconcat(dir, "/t.db-wal", NULL);
    g_autofree char *f3 = g_strconcat(dir, "/t.db-shm", NULL);
    g_remove(f1);
    g_remove(f2);
    g_remove(f3);
    g_rmdir(dir);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid_token),
    cmocka_unit_test(test_refusals),
    cmocka_unit_test(test_leeway),
    cmocka_unit_test(test_identity_rows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
