/* test_web.c: the web's pure parts: rate-limit buckets (sec/ratelimit.h), sessions
 * and single-use tokens in the store (sec/session.h), the captcha (web/captcha.h),
 * form parsing (web/form.h) and the feedback checks (web/feedback.h). The store parts
 * run on a fresh SQLite file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "sec/ratelimit.h"
#include "sec/session.h"
#include "store_backends.h"
#include "store/sessions.h"
#include "web/captcha.h"
#include "web/feedback.h"
#include "web/form.h"

#define SEC G_GINT64_CONSTANT(1000000)

static void buckets_refill_at_their_rate(void **state)
{
  g_autoptr(OknoRateLimit) rl = okno_ratelimit_new();
  gint64 now = 1000 * SEC, retry = 0;
  for (int i = 0; i < 3; i++)
    assert_true(okno_ratelimit_take(rl, "ip:a", 3600, 3, now, &retry));
  assert_false(okno_ratelimit_take(rl, "ip:a", 3600, 3, now, &retry));
  assert_int_equal(retry, 1); /* one token a second */
  assert_true(okno_ratelimit_take(rl, "ip:b", 3600, 3, now, &retry)); /* its own bucket */
  assert_false(okno_ratelimit_take(rl, "ip:a", 3600, 3, now + SEC / 2, &retry));
  assert_true(okno_ratelimit_take(rl, "ip:a", 3600, 3, now + SEC, &retry));
  /* 60 an hour: the next one after a minute */
  for (int i = 0; i < 10; i++)
    okno_ratelimit_take(rl, "forms:a", 60, 10, now, NULL);
  assert_false(okno_ratelimit_take(rl, "forms:a", 60, 10, now, &retry));
  assert_int_equal(retry, 60);
  assert_int_equal(okno_ratelimit_size(rl), 3);
}

static void sessions_live_expire_and_revoke(void **state)
{
  TestDb *db = test_db_new(FALSE);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = okno_store_open(db->url, &err);
  g_autofree char *token = NULL, *hash = NULL;
  OknoSession *s, *again;
  gboolean fresh = FALSE;
  assert_non_null(st);
  okno_clock_set(1795417200 * SEC);
  s = okno_session_create(st, "citizen", "ivan@example.ru", 60 * SEC, "127.0.0.1", "UA", &token, &err);
  assert_non_null(s);
  assert_int_equal(strlen(token), 64);
  assert_int_equal(strlen(s->csrf), 64);
  assert_string_not_equal(token, s->csrf);
  /* only the hash is stored */
  hash = okno_session_token_hash(token);
  {
    g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), "SELECT token_hash FROM sessions",
                                          OKNO_NO_PARAMS, &err);
    assert_string_equal(okno_rows_text(r, 0, 0), hash);
  }
  again = okno_session_lookup(st, token, &err);
  assert_non_null(again);
  assert_string_equal(again->subject, "ivan@example.ru");
  assert_string_equal(again->csrf, s->csrf);
  okno_session_row_free(again);
  assert_null(okno_session_lookup(st, "nothex", &err));
  assert_null(okno_session_lookup(st, hash, &err)); /* the hash is not a token */
  okno_clock_advance(61 * SEC);
  assert_null(okno_session_lookup(st, token, &err)); /* expired */
  okno_clock_advance(-61 * SEC);
  assert_true(okno_session_revoke(st, token, &err));
  assert_null(okno_session_lookup(st, token, &err)); /* revoked */
  assert_null(err);
  okno_session_row_free(s);
  /* single-use tokens */
  assert_true(okno_store_token_use(st, "p.abc", okno_now() + SEC, &fresh, &err));
  assert_true(fresh);
  assert_true(okno_store_token_use(st, "p.abc", okno_now() + SEC, &fresh, &err));
  assert_false(fresh);
  okno_clock_set(0);
  g_clear_pointer(&st, okno_store_close);
  test_db_free(db);
}

static void captcha_work_question_replay_and_expiry(void **state)
{
  TestDb *db = test_db_new(FALSE);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = okno_store_open(db->url, &err);
  guint8 key[OKNO_CAPTCHA_KEY_BYTES] = {1, 2, 3};
  gint64 now = 1795417200 * SEC;
  OknoCaptcha c = {0};
  char nonce[24];
  int n = 0, a = -1, b = -1;
  static const char *const words[] = {"ноль", "один", "два", "три", "четыре", "пять", "шесть",
    "семь", "восемь", "девять", "десять", "одиннадцать", "двенадцать", "тринадцать",
    "четырнадцать", "пятнадцать", "шестнадцать", "семнадцать", "восемнадцать",
    "девятнадцать", "двадцать"};
  g_auto(GStrv) w = NULL;

  okno_captcha_issue(key, now, 60 * SEC, 8, &c);
  do
    g_snprintf(nonce, sizeof nonce, "%d", n++);
  while (!okno_captcha_pow_ok(c.pow_token, nonce, 8));
  assert_true(okno_captcha_verify(key, st, now, c.pow_token, nonce, NULL, NULL, &err));
  assert_false(okno_captcha_verify(key, st, now, c.pow_token, nonce, NULL, NULL, &err));
  assert_non_null(strstr(err->message, "уже была использована"));
  g_clear_error(&err);
  /* another key: the MAC does not fit */
  {
    guint8 other[OKNO_CAPTCHA_KEY_BYTES] = {9};
    assert_false(okno_captcha_verify(other, st, now, c.pow_token, nonce, NULL, NULL, &err));
    g_clear_error(&err);
  }
  /* the question: "Сколько будет A плюс B?" */
  w = g_strsplit(c.question, " ", -1); /* "Сколько будет A плюс B?" */
  assert_int_equal(g_strv_length(w), 5);
  for (int i = 0; i <= 20; i++) {
    g_autofree char *q = g_strconcat(words[i], "?", NULL);
    if (!strcmp(w[2], words[i]))
      a = i;
    if (!strcmp(w[4], q))
      b = i;
  }
  assert_true(a >= 1 && b >= 1);
  {
    g_autofree char *right = g_strdup_printf("%d", a + b);
    g_autofree char *wrong = g_strdup_printf("%d", a + b + 1);
    OknoCaptcha d = {0};
    (void)wrong;
    assert_false(okno_captcha_verify(key, st, now + 61 * SEC, NULL, "", c.question_token, right, &err));
    assert_non_null(strstr(err->message, "истекло"));
    g_clear_error(&err);
    assert_true(okno_captcha_verify(key, st, now, NULL, "", c.question_token, right, &err));
    assert_false(okno_captcha_verify(key, st, now, NULL, "", c.question_token, right, &err));
    g_clear_error(&err);
    /* a wrong answer uses the question up */
    okno_captcha_issue(key, now, 60 * SEC, 8, &d);
    assert_false(okno_captcha_verify(key, st, now, NULL, "", d.question_token, "999", &err));
    g_clear_error(&err);
    assert_false(okno_captcha_verify(key, st, now, NULL, "", d.question_token, "", &err));
    assert_non_null(strstr(err->message, "Ответьте"));
    g_clear_error(&err);
    okno_captcha_clear(&d);
  }
  okno_captcha_clear(&c);
  g_clear_pointer(&st, okno_store_close);
  test_db_free(db);
}

static OknoForm *parse(const char *ctype, const char *body, GError **err)
{
  g_autoptr(GBytes) b = g_bytes_new(body, strlen(body));
  return okno_form_parse(ctype, b, err);
}

static void forms_are_checked_and_capped(void **state)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoForm) f = parse("application/x-www-form-urlencoded", "a=1&b=%D0%96&a=2", &err);
  assert_non_null(f);
  assert_string_equal(g_hash_table_lookup(f->fields, "a"), "2");
  assert_string_equal(g_hash_table_lookup(f->fields, "b"), "Ж");
  g_clear_pointer(&f, okno_form_free);
  assert_null(parse("application/x-www-form-urlencoded", "a=%FF", &err));
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
  g_clear_error(&err);
  assert_null(parse("application/x-www-form-urlencoded", "a=%00", &err));
  g_clear_error(&err);
  assert_null(parse("text/plain", "a=b", &err));
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_PERM));
  g_clear_error(&err);
  f = parse("multipart/form-data; boundary=zz",
            "--zz\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nтекст\r\n"
            "--zz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"C:\\\\dir\\\\a\x01.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n%PDF\r\n"
            "--zz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\n\r\n--zz--\r\n",
            &err);
  assert_non_null(f);
  assert_string_equal(g_hash_table_lookup(f->fields, "t"), "текст");
  assert_int_equal(f->files->len, 1); /* the empty file input is dropped */
  assert_string_equal(((OknoUpload *)f->files->pdata[0])->filename, "a.pdf");
  assert_int_equal(okno_form_files_size(f), 4);
  g_clear_pointer(&f, okno_form_free);
  assert_null(parse("multipart/form-data; boundary=zz", "--zz\r\nno headers", &err));
  g_clear_error(&err);
  assert_null(parse("multipart/form-data", "--zz--", &err)); /* no boundary */
  g_clear_error(&err);
  {
    GString *many = g_string_new(NULL);
    for (int i = 0; i < OKNO_FORM_MAX_FIELDS + 1; i++)
      g_string_append_printf(many, "f%d=x&", i);
    assert_null(parse("application/x-www-form-urlencoded", many->str, &err));
    assert_non_null(strstr(err->message, "слишком много"));
    g_clear_error(&err);
    g_string_free(many, TRUE);
  }
}

static void feedback_fields(void **state)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  g_autoptr(GError) err = NULL;
  const char *desc = "Третий день не могу войти в личный кабинет: после ввода пароля страница "
                     "обновляется и снова просит войти. Помогите, пожалуйста.";
  g_autofree char *escaped = g_uri_escape_string(desc, NULL, FALSE);
  g_autofree char *body = g_strdup_printf(
      "name=%%D0%%98%%D0%%B2%%D0%%B0%%D0%%BD&email=Ivan@Example.RU&phone=8+(912)+345-67-89"
      "&category=payments&consent=yes&description=%s",
      escaped);
  g_autoptr(OknoForm) f = parse("application/x-www-form-urlencoded", body, &err);
  OknoFeedback fb = {0};
  JsonObject *errors = json_object_new();
  gsize n = 0;
  assert_non_null(f);
  assert_true(okno_feedback_check(f, cfg, 1795417200 * SEC, &fb, errors));
  assert_string_equal(fb.email, "ivan@example.ru");
  assert_string_equal(fb.phone, "+79123456789");
  assert_string_equal(fb.category, "payments");
  assert_non_null(fb.raw);
  assert_non_null(g_strstr_len(g_bytes_get_data(fb.raw, NULL), g_bytes_get_size(fb.raw),
                               "<web-"));
  okno_feedback_clear(&fb);
  json_object_unref(errors);
  assert_int_equal(okno_feedback_categories(&n)[0].key[0], 't');
  assert_int_equal(n, 7);
  assert_string_equal(okno_feedback_category_label("complaint"), "Жалоба");
  assert_null(okno_feedback_category_label("x"));
  /* each bad value on its own */
  {
    static const struct { const char *field, *value; } bad[] = {
      {"email", "a@b"}, {"email", "a..b@c.ru"}, {"email", "a b@c.ru"}, {"email", "@c.ru"},
      {"phone", "123"}, {"phone", "+7 9+12"}, {"name", ""}, {"category", "nope"},
      {"consent", "no"}, {"description", "коротко"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
      g_autoptr(OknoForm) g = parse("application/x-www-form-urlencoded", body, &err);
      errors = json_object_new();
      g_hash_table_replace(g->fields, g_strdup(bad[i].field), g_strdup(bad[i].value));
      assert_false(okno_feedback_check(g, cfg, 1795417200 * SEC, &fb, errors));
      assert_true(json_object_has_member(errors, bad[i].field));
      assert_int_equal(json_object_get_size(errors), 1);
      okno_feedback_clear(&fb);
      json_object_unref(errors);
    }
  }
  /* Cyrillic domains are addresses too */
  {
    g_autoptr(OknoForm) g = parse("application/x-www-form-urlencoded", body, &err);
    errors = json_object_new();
    g_hash_table_replace(g->fields, g_strdup("email"), g_strdup("ivan@почта.рф"));
    assert_true(okno_feedback_check(g, cfg, 1795417200 * SEC, &fb, errors));
    okno_feedback_clear(&fb);
    json_object_unref(errors);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(buckets_refill_at_their_rate),
    cmocka_unit_test(sessions_live_expire_and_revoke),
    cmocka_unit_test(captcha_work_question_replay_and_expiry),
    cmocka_unit_test(forms_are_checked_and_capped),
    cmocka_unit_test(feedback_fields),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
