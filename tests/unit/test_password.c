/* test_password.c: the staff password policy, Argon2id hashing and generated
 * passwords (sec/password.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "core/error.h"
#include "sec/password.h"

/* The Russian message for `pw`, or NULL when the policy accepts it. */
static char *refusal(const char *pw)
{
  GError *err = NULL;
  char *msg;
  if (okno_password_check(pw, &err))
    return NULL;
  assert_int_equal(err->code, OKNO_ERROR_USER);
  msg = g_strdup(err->message);
  g_error_free(err);
  return msg;
}

static void test_policy_names_everything_missing(void **state)
{
  g_autofree char *short_lower = refusal("abc");
  g_autofree char *no_special = refusal("Abcdefg1h");
  g_autofree char *no_digit = refusal("Abcdefgh!");
  g_autofree char *no_upper = refusal("abcdefg1!");
  g_autofree char *no_lower = refusal("ABCDEFG1!");
  assert_non_null(strstr(short_lower, "не менее 8 символов"));
  assert_non_null(strstr(short_lower, "заглавная"));
  assert_non_null(strstr(short_lower, "цифра"));
  assert_non_null(strstr(short_lower, "специальный"));
  assert_null(strstr(short_lower, "строчная"));
  assert_non_null(strstr(no_special, "специальный"));
  assert_null(strstr(no_special, "8 символов"));
  assert_non_null(strstr(no_digit, "цифра"));
  assert_non_null(strstr(no_upper, "заглавная"));
  assert_non_null(strstr(no_lower, "строчная"));
  /* Eight characters, not eight bytes: Cyrillic letters are two bytes each. */
  assert_null(refusal("Пароль9!"));
  g_autofree char *seven = refusal("Парол9!");
  assert_non_null(strstr(seven, "не менее 8 символов"));
  assert_null(refusal("Kx7#mQ2-vL"));
}

static void test_common_passwords_are_refused_whatever_their_case(void **state)
{
  g_autofree char *a = refusal("P@ssw0rd");
  g_autofree char *b = refusal("Qwerty123!");
  g_autofree char *c = refusal("Summer2025!");
  g_autofree char *d = refusal("ЙЦУКЕН123!"); /* no lower case: refused for that first */
  g_autofree char *e = refusal("Йцукен123!");
  assert_non_null(strstr(a, "распространённых"));
  assert_non_null(strstr(b, "распространённых"));
  assert_non_null(strstr(c, "распространённых"));
  assert_non_null(strstr(d, "строчная"));
  assert_non_null(strstr(e, "распространённых"));
}

static void test_hash_verifies_and_salts(void **state)
{
  g_autofree char *h1 = okno_password_hash("Kx7#mQ2-vL", NULL);
  g_autofree char *h2 = okno_password_hash("Kx7#mQ2-vL", NULL);
  char weak[crypto_pwhash_STRBYTES];
  assert_non_null(h1);
  assert_true(g_str_has_prefix(h1, "$argon2id$v=19$m=65536,t=2,p=1$"));
  assert_string_not_equal(h1, h2);
  assert_true(okno_password_verify(h1, "Kx7#mQ2-vL"));
  assert_true(okno_password_verify(h2, "Kx7#mQ2-vL"));
  assert_false(okno_password_verify(h1, "Kx7#mQ2-vl"));
  assert_false(okno_password_verify(h1, ""));
  assert_false(okno_password_verify("", "Kx7#mQ2-vL"));
  assert_false(okno_password_verify(NULL, "Kx7#mQ2-vL"));
  assert_false(okno_password_verify("$argon2id$garbage", "Kx7#mQ2-vL"));
  assert_false(okno_password_needs_rehash(h1));
  /* A hash made with weaker limits still verifies, and asks to be re-hashed. */
  assert_int_equal(crypto_pwhash_str(weak, "x", 1, crypto_pwhash_OPSLIMIT_MIN,
                                     crypto_pwhash_MEMLIMIT_MIN), 0);
  assert_true(okno_password_verify(weak, "x"));
  assert_true(okno_password_needs_rehash(weak));
}

static void test_generated_passwords_meet_the_policy_and_differ(void **state)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (int i = 0; i < 200; i++) {
    char *p = okno_password_generate();
    assert_int_equal(strlen(p), 16);
    assert_true(okno_password_check(p, NULL));
    assert_null(strpbrk(p, "IlO01"));
    assert_false(g_hash_table_contains(seen, p));
    g_hash_table_add(seen, p);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_policy_names_everything_missing),
    cmocka_unit_test(test_common_passwords_are_refused_whatever_their_case),
    cmocka_unit_test(test_hash_verifies_and_salts),
    cmocka_unit_test(test_generated_passwords_meet_the_policy_and_differ),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
