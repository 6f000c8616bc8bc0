/* test_staff.c: staff accounts on both stores (sec/staff.h): sign-in with TOTP and
 * recovery codes, replay refusal, lock-out back-off on the injectable clock with the
 * owner's notice queued, the login journal, disabled accounts, optimistic locking of
 * appeals; and the can() matrix for every role (pure). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "sec/staff.h"
#include "sec/totp.h"
#include "store/appeals.h"
#include "store/outbound.h"
#include "store/staff.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

/* .cfg (the notices' sender) is the default configuration, set in main(). */
static OknoStaffPolicy POLICY = {.lock_after = 5, .lock_seconds = 60, .backoff_after = 20,
                                 .backoff_max_seconds = 60, .issuer = "Портал"};
#define MSG_BAD OKNO_STAFF_MSG_BAD

static OknoEnrolment *make_user(OknoStore *st, const char *login, const char *email)
{
  GError *err = NULL;
  OknoEnrolment *e = okno_staff_create(st, &POLICY, login, "operator", "Иван Петров", email,
                                       NULL, &err);
  if (!e)
    fail_msg("%s", err->message);
  return e;
}

/* The current TOTP code of an enrolled secret. */
static char *code_now(const OknoEnrolment *e)
{
  g_autoptr(GBytes) key = okno_base32_decode(e->totp_secret);
  guint64 step = okno_totp_step(okno_now() / G_USEC_PER_SEC, OKNO_TOTP_PERIOD);
  return g_strdup_printf("%06u", okno_hotp(g_bytes_get_data(key, NULL), g_bytes_get_size(key),
                                           OKNO_TOTP_SHA1, step, 6));
}

/* One sign-in from `ip`; returns the journaled result; *message the refusal. */
static const char *sign_in_from(OknoStore *st, const char *ip, const char *login,
                                const char *password, const char *code, char **message)
{
  GError *err = NULL;
  const char *result = NULL;
  OknoUser *u = okno_staff_authenticate(
      st, &POLICY, &(OknoSignIn){login, password, code, ip, "test-agent/1.0"}, &result, &err);
  if (u) {
    assert_null(err);
    okno_user_free(u);
  } else {
    assert_non_null(err);
    assert_int_equal(err->code, OKNO_ERROR_USER);
    if (message)
      *message = g_strdup(err->message);
    g_error_free(err);
  }
  assert_non_null(result);
  return result;
}

static const char *sign_in(OknoStore *st, const char *login, const char *password,
                           const char *code, char **message)
{
  return sign_in_from(st, "192.0.2.7", login, password, code, message);
}

static gint64 queued_mail(OknoStore *st)
{
  gint64 queued = 0, sent = 0, failed = 0;
  assert_true(okno_store_outbound_counts(st, &queued, &sent, &failed, NULL));
  return queued;
}

static void test_password_and_totp_sign_in_once_per_step(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(OknoEnrolment) e = make_user(fx->st, "ivanov", "ivanov@portal.example");
  g_autofree char *code = code_now(e), *msg = NULL;
  assert_string_equal(sign_in(fx->st, "ivanov", e->password, code, NULL), "ok");
  /* The same code again (an observer replaying it) is refused, told as any failure. */
  assert_string_equal(sign_in(fx->st, "ivanov", e->password, code, &msg), "replayed_code");
  assert_string_equal(msg, MSG_BAD);
  okno_clock_advance(30 * G_USEC_PER_SEC);
  {
    g_autofree char *next = code_now(e);
    assert_string_equal(sign_in(fx->st, "ivanov", e->password, next, NULL), "ok");
    assert_string_equal(sign_in(fx->st, "ivanov", "wrong", next, NULL), "bad_password");
    assert_string_equal(sign_in(fx->st, "ivanov", e->password, "000000", NULL), "bad_code");
    assert_string_equal(sign_in(fx->st, "ivanov", e->password, "", NULL), "bad_code");
    assert_string_equal(sign_in(fx->st, "nobody", e->password, next, NULL), "unknown_login");
  }
}

static void test_recovery_codes_work_once_each(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(OknoEnrolment) e = make_user(fx->st, "petrov", "");
  g_autoptr(OknoUser) u = NULL;
  g_autofree char *lower = g_ascii_strdown(e->recovery_codes[3], -1);
  assert_string_equal(sign_in(fx->st, "petrov", e->password, e->recovery_codes[0], NULL),
                      "ok_recovery");
  assert_string_equal(sign_in(fx->st, "petrov", e->password, e->recovery_codes[0], NULL),
                      "bad_code");
  assert_string_equal(sign_in(fx->st, "petrov", e->password, lower, NULL), "ok_recovery");
  u = okno_store_user_get(fx->st, "petrov", NULL);
  assert_int_equal(okno_store_recovery_codes_left(fx->st, u->id, NULL), 8);
  /* A reset of the second factor replaces all codes and the secret. */
  {
    g_autoptr(OknoEnrolment) r = okno_staff_reset_2fa(fx->st, &POLICY, "petrov", NULL);
    assert_non_null(r);
    assert_null(r->password);
    assert_string_not_equal(r->totp_secret, e->totp_secret);
    assert_int_equal(okno_store_recovery_codes_left(fx->st, u->id, NULL), 10);
    assert_string_equal(sign_in(fx->st, "petrov", e->password, e->recovery_codes[5], NULL),
                        "bad_code");
    assert_string_equal(sign_in(fx->st, "petrov", e->password, r->recovery_codes[5], NULL),
                        "ok_recovery");
  }
}

static void test_lock_out_is_per_account_and_client_and_tells_the_owner(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(OknoEnrolment) e = make_user(fx->st, "sidorova", "sidorova@portal.example");
  g_autoptr(OknoUser) u = NULL;
  g_autoptr(GPtrArray) journal = NULL;
  g_autofree char *msg = NULL;
  const char *A = "192.0.2.7", *B = "198.51.100.20";

  for (int i = 0; i < 4; i++)
    assert_string_equal(sign_in_from(fx->st, A, "sidorova", "guess", "123456", NULL),
                        "bad_password");
  assert_int_equal(queued_mail(fx->st), 0);
  assert_string_equal(sign_in_from(fx->st, A, "sidorova", "guess", "123456", NULL),
                      "bad_password");
  assert_int_equal(queued_mail(fx->st), 1);
  {
    g_autoptr(GPtrArray) jobs = okno_store_outbound_claim(fx->st, okno_now(), 1000, 10, "t", NULL);
    const OknoOutboundJob *j;
    g_autofree char *text = NULL;
    assert_int_equal(jobs->len, 1);
    j = jobs->pdata[0];
    assert_int_equal(j->appeal_id, 0);
    assert_string_equal(j->env_to, "sidorova@portal.example");
    text = g_strndup(g_bytes_get_data(j->raw, NULL), g_bytes_get_size(j->raw));
    /* Written like every automatic message (okno_notice_build). */
    assert_non_null(strstr(text, "<sidorova@portal.example>\r\n"));
    assert_non_null(strstr(text, "\r\nAuto-Submitted: auto-generated\r\n"));
    assert_non_null(strstr(text, "\r\nContent-Transfer-Encoding: quoted-printable\r\n"));
    assert_true(g_str_has_prefix(j->message_id, "okno.lock."));
    assert_true(okno_store_outbound_sent(fx->st, j->id, okno_now(), NULL));
  }

  /* That address is locked out: even the right password and code are not looked at, and
   * the answer is the one of a wrong password. */
  {
    g_autofree char *code = code_now(e);
    assert_string_equal(sign_in_from(fx->st, A, "sidorova", e->password, code, &msg), "locked");
    assert_string_equal(msg, MSG_BAD);
  }
  /* The owner from another address is not. */
  okno_clock_advance(30 * G_USEC_PER_SEC);
  {
    g_autofree char *code = code_now(e);
    assert_string_equal(sign_in_from(fx->st, B, "sidorova", e->password, code, NULL), "ok");
  }
  u = okno_store_user_get(fx->st, "sidorova", NULL);
  assert_int_equal(u->failed_attempts, 0);
  /* ... and their success does not open the guesser's address. */
  assert_string_equal(sign_in_from(fx->st, A, "sidorova", "guess", "123456", NULL), "locked");

  /* After the minute, one more failure from A locks it for two minutes, then four; the
   * owner heard of the first lock only. */
  okno_clock_advance(31 * G_USEC_PER_SEC);
  assert_string_equal(sign_in_from(fx->st, A, "sidorova", "guess", "123456", NULL),
                      "bad_password");
  okno_clock_advance(119 * G_USEC_PER_SEC);
  assert_string_equal(sign_in_from(fx->st, A, "sidorova", "guess", "123456", NULL), "locked");
  okno_clock_advance(2 * G_USEC_PER_SEC);
  assert_string_equal(sign_in_from(fx->st, A, "sidorova", e->password, "000000", NULL),
                      "bad_code");
  okno_clock_advance(239 * G_USEC_PER_SEC);
  assert_string_equal(sign_in_from(fx->st, A, "sidorova", "guess", "123456", NULL), "locked");
  assert_int_equal(queued_mail(fx->st), 0); /* the first notice was sent, no other queued */
  /* The right credentials from A after its lock: in, and A's count starts again. */
  okno_clock_advance(2 * G_USEC_PER_SEC);
  {
    g_autofree char *code = code_now(e);
    assert_string_equal(sign_in_from(fx->st, A, "sidorova", e->password, code, NULL), "ok");
  }
  assert_string_equal(sign_in_from(fx->st, A, "sidorova", "guess", "123456", NULL),
                      "bad_password");

  /* Every attempt is journaled, newest first, with address and agent, no secrets. */
  journal = okno_store_login_journal(fx->st, u->id, 0, NULL);
  assert_int_equal(journal->len, 14);
  assert_string_equal(((OknoLoginEntry *)journal->pdata[1])->result, "ok");
  assert_string_equal(((OknoLoginEntry *)journal->pdata[2])->result, "locked");
  for (guint i = 0; i < journal->len; i++) {
    const OknoLoginEntry *j = journal->pdata[i];
    assert_true(g_str_equal(j->ip, A) || g_str_equal(j->ip, B));
    assert_string_equal(j->user_agent, "test-agent/1.0");
    assert_string_equal(j->login, "sidorova");
  }
}

static void test_account_backoff_slows_guessing_but_lets_the_owner_in(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(OknoEnrolment) e = make_user(fx->st, "orlov", "");
  g_autoptr(OknoUser) u = NULL;
  const char *home = "203.0.113.5";
  const OknoStaffPolicy saved = POLICY;
  /* a small threshold and cap: each sign-in costs an Argon2id hash */
  POLICY.backoff_after = 3;
  POLICY.backoff_max_seconds = 8;
  {
    g_autofree char *code = code_now(e);
    assert_string_equal(sign_in_from(fx->st, home, "orlov", e->password, code, NULL), "ok");
  }
  okno_clock_advance(30 * G_USEC_PER_SEC); /* the next TOTP step */
  /* Three addresses, one guess each: no address is locked, the account backs off. */
  for (int i = 0; i < 3; i++) {
    g_autofree char *ip = g_strdup_printf("10.0.0.%d", i);
    assert_string_equal(sign_in_from(fx->st, ip, "orlov", "guess", "123456", NULL),
                        "bad_password");
  }
  u = okno_store_user_get(fx->st, "orlov", NULL);
  assert_int_equal(u->failed_attempts, 3);
  assert_int_equal(u->locked_until, okno_now() + G_USEC_PER_SEC);
  {
    g_autofree char *code = code_now(e);
    g_autofree char *msg = NULL;
    /* a new address waits out the back-off, whatever it sends ... */
    assert_string_equal(sign_in_from(fx->st, "10.0.9.9", "orlov", e->password, code, &msg),
                        "locked");
    assert_string_equal(msg, MSG_BAD);
    /* ... the owner's known address does not */
    assert_string_equal(sign_in_from(fx->st, home, "orlov", e->password, code, NULL), "ok");
  }
  okno_user_free(u);
  u = okno_store_user_get(fx->st, "orlov", NULL);
  assert_int_equal(u->failed_attempts, 0);
  assert_int_equal(u->locked_until, 0);
  /* The back-off doubles with each failure past the threshold (1, 2, 4 s), up to its cap. */
  for (int i = 0; i < 7; i++) {
    g_autofree char *ip = g_strdup_printf("10.0.1.%d", i);
    okno_clock_advance(9 * G_USEC_PER_SEC);
    assert_string_equal(sign_in_from(fx->st, ip, "orlov", "guess", "123456", NULL),
                        "bad_password");
  }
  okno_user_free(u);
  u = okno_store_user_get(fx->st, "orlov", NULL);
  assert_int_equal(u->locked_until, okno_now() + 8 * G_USEC_PER_SEC);
  POLICY = saved;
}

static void test_unknown_login_is_answered_as_a_wrong_password_and_not_journaled(void **state)
{
  Fx *fx = fixture(state);
  G_GNUC_UNUSED g_autoptr(OknoEnrolment) e = make_user(fx->st, "lebedev", "");
  g_autoptr(GPtrArray) journal = NULL;
  g_autofree char *m1 = NULL, *m2 = NULL;
  assert_string_equal(sign_in(fx->st, "Secret-Passw0rd!", "x", "123456", &m1), "unknown_login");
  assert_string_equal(sign_in(fx->st, "lebedev", "x", "123456", &m2), "bad_password");
  assert_string_equal(m1, m2);
  journal = okno_store_login_journal(fx->st, 0, 0, NULL);
  assert_int_equal(journal->len, 2);
  assert_string_equal(((OknoLoginEntry *)journal->pdata[0])->login, "lebedev");
  assert_string_equal(((OknoLoginEntry *)journal->pdata[1])->login, "(unknown)");
}

static void test_disabled_account_is_told_only_with_the_right_password(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(OknoEnrolment) e = make_user(fx->st, "kuznetsov", "");
  g_autofree char *code = code_now(e), *msg = NULL, *msg2 = NULL;
  GError *err = NULL;
  assert_true(okno_staff_set_disabled(fx->st, "kuznetsov", TRUE, NULL));
  assert_string_equal(sign_in(fx->st, "kuznetsov", "wrong", code, &msg), "bad_password");
  assert_string_equal(msg, MSG_BAD);
  assert_string_equal(sign_in(fx->st, "kuznetsov", e->password, code, &msg2), "disabled");
  assert_non_null(strstr(msg2, "отключена"));
  assert_false(okno_staff_set_disabled(fx->st, "nobody", TRUE, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  g_error_free(err);
}

static void test_bad_input_to_create_changes_nothing(void **state)
{
  Fx *fx = fixture(state);
  static const char *const bad[][3] = {
    {"Ivanov", "operator", ""}, {"a", "operator", ""}, {"ivanov", "boss", ""},
    {"ivanov", "operator", "not-an-address"}, {"-x", "operator", ""},
    {"ivanov", "supervisor", ""},
  };
  const char *const unknown_dep[] = {"nope", NULL};
  g_autoptr(GPtrArray) users = NULL;
  GError *err = NULL;
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    assert_null(okno_staff_create(fx->st, &POLICY, bad[i][0], bad[i][1], "", bad[i][2], NULL, &err));
    assert_int_equal(err->code, OKNO_ERROR_USER);
    g_clear_error(&err);
  }
  assert_null(okno_staff_create(fx->st, &POLICY, "ivanov", "operator", "", "", unknown_dep, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  assert_non_null(strstr(err->message, "nope"));
  g_clear_error(&err);
  users = okno_store_user_list(fx->st, NULL);
  assert_int_equal(users->len, 0);
}

static void test_a_stale_version_is_refused(void **state)
{
  Fx *fx = fixture(state);
  OknoAppeal a = {.number = "26-000001-4", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .received_at = okno_now()};
  g_autoptr(OknoAppeal) got = NULL;
  gint64 v = 0;
  GError *err = NULL;
  assert_true(okno_store_department_add(fx->st, &(OknoDepartment){"social", "Соцзащита", ""}, NULL));
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  assert_int_equal(a.version, 1);
  assert_true(okno_store_appeal_assign(fx->st, a.id, 1, "social", 0, &v, NULL));
  assert_int_equal(v, 2);
  a.status = OKNO_STATUS_IN_PROGRESS;
  a.version = v;
  assert_true(okno_store_appeal_update(fx->st, &a, NULL)); /* any write bumps it */
  assert_int_equal(a.version, 3);
  /* Someone read version 2 before the status changed: their write is refused. */
  assert_false(okno_store_appeal_assign(fx->st, a.id, 2, "", 0, NULL, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  assert_non_null(strstr(err->message, "другой сотрудник"));
  g_clear_error(&err);
  got = okno_store_appeal_get_by_id(fx->st, a.id, NULL);
  assert_int_equal(got->version, 3);
  assert_string_equal(got->department, "social");
  assert_int_equal(got->assignee, 0);
  assert_int_equal(got->status, OKNO_STATUS_IN_PROGRESS);
}

/* ---- can(): every role against every action in four situations ---- */

/* The admin page's keyset pages of users by login (store.h okno_store_user_page). */
static void test_users_in_pages_by_login(void **state)
{
  Fx *fx = fixture(state);
  const char *const logins[] = {"e", "b", "d", "a", "c"};
  g_autoptr(GPtrArray) first = NULL, next = NULL, back = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(logins); i++) {
    char *none[] = {NULL};
    OknoUser u = {.login = (char *)logins[i], .role = "operator", .password_hash = "x",
                  .totp_secret = "", .departments = none};
    assert_true(okno_store_user_insert(fx->st, &u, NULL));
  }
  first = okno_store_user_page(fx->st, NULL, NULL, 2, NULL);
  assert_int_equal(first->len, 3); /* two and the one saying more follow */
  assert_string_equal(((OknoUser *)first->pdata[0])->login, "a");
  assert_string_equal(((OknoUser *)first->pdata[1])->login, "b");
  next = okno_store_user_page(fx->st, "b", NULL, 2, NULL);
  assert_int_equal(next->len, 3);
  assert_string_equal(((OknoUser *)next->pdata[0])->login, "c");
  back = okno_store_user_page(fx->st, NULL, "e", 2, NULL);
  assert_int_equal(back->len, 3); /* login order; the extra one comes first */
  assert_string_equal(((OknoUser *)back->pdata[0])->login, "b");
  assert_string_equal(((OknoUser *)back->pdata[2])->login, "d");
}

static void test_can_matrix_for_every_role(void **state)
{
  char *mine_deps[] = {"social", NULL};
  OknoUser u = {.id = 7, .departments = mine_deps};
  /* Appeals: of my department and assigned to me; of my department and free; of my
   * department and someone else's; in triage; of another department. */
  OknoAppeal mine = {.department = "social", .assignee = 7};
  OknoAppeal free_ = {.department = "social", .assignee = 0};
  OknoAppeal others = {.department = "social", .assignee = 8};
  OknoAppeal triage = {.department = "", .assignee = 0};
  OknoAppeal foreign = {.department = "tax", .assignee = 0};
  const OknoAppeal *cases[] = {&mine, &free_, &others, &triage, &foreign, NULL};
  /* Expected, per role, per action: one character per case above (1 allowed, 0 not);
   * the sixth is "no appeal" (and for templates: own department, then "tax"). */
  static const char *const roles[] = {"operator", "supervisor", "administrator", "auditor"};
  static const char *const expect[4][OKNO_ACT_COUNT] = {
    /* operator */
    {"111100", "010100", "000000", "100000", "111100", "100000", "100000", "100000",
     "000000", "111100", "000000", "000000", "000000", "000000", "000000", "000000",
     "100000", "111100", "000000", "000000", "000000", "000000", "000000"},
    /* supervisor */
    {"111100", "010100", "111100", "111100", "111100", "111100", "111100", "111100",
     "111100", "111100", "000000", "100000", "000000", "000000", "111100", "111100",
     "111100", "111100", "111100", "000000", "111111", "111111", "111111"},
    /* administrator */
    {"111110", "010110", "111110", "111110", "111110", "111110", "111110", "111110",
     "111110", "111110", "111111", "110000", "111111", "111111", "111110", "000000",
     "111110", "111110", "111110", "111111", "111111", "111111", "111111"},
    /* auditor */
    {"111110", "000000", "000000", "000000", "000000", "000000", "000000", "000000",
     "000000", "000000", "111111", "000000", "000000", "000000", "000000", "000000",
     "000000", "000000", "000000", "111111", "111111", "000000", "000000"},
  };
  for (guint r = 0; r < G_N_ELEMENTS(roles); r++) {
    u.role = (char *)roles[r];
    for (guint a = 0; a < OKNO_ACT_COUNT; a++) {
      for (guint c = 0; c < 6; c++) {
        gboolean want = expect[r][a][c] == '1', got;
        if (a == OKNO_ACT_MANAGE_TEMPLATES)
          got = c < 2 && okno_staff_can(&u, a, NULL, c == 0 ? "social" : "tax");
        else
          got = okno_staff_can(&u, a, cases[c], NULL);
        if (got != want)
          fail_msg("role %s action %s case %u: expected %d", roles[r], okno_action_name(a), c, want);
      }
    }
  }
  /* A disabled account, an unknown role, no user: nothing at all. */
  u.role = "administrator";
  u.disabled = TRUE;
  assert_false(okno_staff_can(&u, OKNO_ACT_VIEW, &mine, NULL));
  assert_false(okno_staff_can(&u, OKNO_ACT_MANAGE_USERS, NULL, NULL));
  u.disabled = FALSE;
  u.role = "root";
  assert_false(okno_staff_can(&u, OKNO_ACT_VIEW, &mine, NULL));
  assert_false(okno_staff_can(NULL, OKNO_ACT_VIEW, &mine, NULL));
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_password_and_totp_sign_in_once_per_step),
    ON_BOTH(test_recovery_codes_work_once_each),
    ON_BOTH(test_lock_out_is_per_account_and_client_and_tells_the_owner),
    ON_BOTH(test_account_backoff_slows_guessing_but_lets_the_owner_in),
    ON_BOTH(test_unknown_login_is_answered_as_a_wrong_password_and_not_journaled),
    ON_BOTH(test_disabled_account_is_told_only_with_the_right_password),
    ON_BOTH(test_bad_input_to_create_changes_nothing),
    ON_BOTH(test_a_stale_version_is_refused),
    ON_BOTH(test_users_in_pages_by_login),
    cmocka_unit_test(test_can_matrix_for_every_role),
  };
  POLICY.cfg = cfg;
  return cmocka_run_group_tests(tests, NULL, NULL);
}
