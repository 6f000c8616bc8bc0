/* test_cabinet.c: the cabinet's store operations (store/cabinet.h),
 * its one-time codes (sec/login_code.h), its address check (web/cabinet.h) and mail
 * that belongs to no appeal in the outbound queue; store tests on SQLite and again
 * (pg_...) on PostgreSQL when OKNO_TEST_PG_URL names a server. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "sec/login_code.h"
#include "store/appeals.h"
#include "store/cabinet.h"
#include "store/messages.h"
#include "store/outbound.h"
#include "store/queue.h"
#include "web/cabinet.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

static gint64 add_appeal(OknoStore *st, const char *number, const char *email, const char *status,
                         gint64 at)
{
  OknoAppeal a = {.number = (char *)number, .channel = OKNO_CHANNEL_EMAIL,
                  .from_email = (char *)email, .received_at = at};
  assert_true(okno_status_parse(status, &a.status));
  assert_true(okno_store_appeal_insert(st, &a, NULL));
  return a.id;
}

static void test_codes_newest_only_attempts_and_single_use(void **state)
{
  Fx *fx = fixture(state);
  OknoLoginCode c = {.email = "a@x.ru", .purpose = "login", .owner = "", .code_hash = "h1",
                     .created_at = okno_now(), .expires_at = okno_now() + OKNO_CODE_TTL_US};
  g_autoptr(OknoLoginCode) cur = NULL, cur2 = NULL, none = NULL;
  gboolean won = FALSE;
  assert_true(okno_store_code_insert(fx->st, &c, NULL));
  c.code_hash = "h2";
  assert_true(okno_store_code_insert(fx->st, &c, NULL));
  cur = okno_store_code_current(fx->st, "a@x.ru", "login", "", NULL);
  assert_string_equal(cur->code_hash, "h2"); /* the first one is retired */
  assert_int_equal(okno_store_code_count(fx->st, "a@x.ru", 0, NULL), 2);
  assert_true(okno_store_code_attempt(fx->st, cur->id, NULL));
  assert_true(okno_store_code_attempt(fx->st, cur->id, NULL));
  cur2 = okno_store_code_current(fx->st, "a@x.ru", "login", "", NULL);
  assert_int_equal(cur2->attempts, 2);
  assert_true(okno_store_code_use(fx->st, cur->id, okno_now(), &won, NULL));
  assert_true(won);
  assert_true(okno_store_code_use(fx->st, cur->id, okno_now(), &won, NULL));
  assert_false(won); /* a second use loses */
  none = okno_store_code_current(fx->st, "a@x.ru", "login", "", NULL);
  assert_null(none);
  assert_null(okno_store_code_current(fx->st, "a@x.ru", "change", "", NULL));
}

static void test_moves_decide_ownership_and_the_list(void **state)
{
  Fx *fx = fixture(state);
  gint64 t = okno_now(), total = 0;
  g_auto(GStrv) owned = NULL, old_owned = NULL, c_owned = NULL;
  g_autoptr(OknoPage) list = NULL, page2 = NULL, back = NULL, answered = NULL, range = NULL;
  OknoCabinetFilter f = {.limit = 2};
  add_appeal(fx->st, "26-000001-1", "a@x.ru", "new", t - 3000);
  add_appeal(fx->st, "26-000002-1", "a@x.ru", "answered", t - 2000);
  add_appeal(fx->st, "26-000003-1", "b@x.ru", "new", t - 1000);
  add_appeal(fx->st, "26-000004-1", "c@x.ru", "new", t);
  /* a moves to b, then b to c: c's cabinet holds all three addresses */
  assert_true(okno_store_contact_move(fx->st, "a@x.ru", "b@x.ru", t, NULL));
  assert_true(okno_store_contact_move(fx->st, "b@x.ru", "c@x.ru", t, NULL));
  c_owned = okno_store_contact_owned(fx->st, "c@x.ru", NULL);
  assert_int_equal(g_strv_length(c_owned), 3);
  old_owned = okno_store_contact_owned(fx->st, "a@x.ru", NULL);
  assert_int_equal(g_strv_length(old_owned), 0); /* moved away: owns nothing */
  list = okno_store_cabinet_list(fx->st, (const char *const *)c_owned, &f, &total, NULL);
  assert_int_equal(total, 4);
  assert_int_equal(list->appeals->len, 2);
  assert_string_equal(((OknoAppeal *)list->appeals->pdata[0])->number, "26-000004-1"); /* newest first */
  assert_null(list->prev);
  assert_non_null(list->next);
  /* keyset: the next page starts after the last row, whatever arrives meanwhile */
  add_appeal(fx->st, "26-000005-1", "c@x.ru", "new", t + 1000);
  f.after = list->next;
  page2 = okno_store_cabinet_list(fx->st, (const char *const *)c_owned, &f, &total, NULL);
  assert_int_equal(total, 5);
  assert_int_equal(page2->appeals->len, 2);
  assert_string_equal(((OknoAppeal *)page2->appeals->pdata[0])->number, "26-000002-1");
  assert_string_equal(((OknoAppeal *)page2->appeals->pdata[1])->number, "26-000001-1");
  assert_null(page2->next);
  /* the previous page of page 2 is the two before it, newest first */
  f.after = NULL;
  f.before = page2->prev;
  back = okno_store_cabinet_list(fx->st, (const char *const *)c_owned, &f, &total, NULL);
  assert_int_equal(back->appeals->len, 2);
  assert_string_equal(((OknoAppeal *)back->appeals->pdata[0])->number, "26-000004-1");
  assert_string_equal(((OknoAppeal *)back->appeals->pdata[1])->number, "26-000003-1");
  assert_non_null(back->prev); /* 26-000005-1 arrived before them */
  f.before = "not-a-token";
  assert_null(okno_store_cabinet_list(fx->st, (const char *const *)c_owned, &f, &total, NULL));
  f = (OknoCabinetFilter){.status = "answered", .limit = 10};
  answered = okno_store_cabinet_list(fx->st, (const char *const *)c_owned, &f, &total, NULL);
  assert_int_equal(total, 1);
  assert_int_equal(answered->appeals->len, 1);
  f = (OknoCabinetFilter){.since = t - 2000, .until = t, .limit = 10};
  range = okno_store_cabinet_list(fx->st, (const char *const *)c_owned, &f, &total, NULL);
  assert_int_equal(total, 2); /* [since, until) */
  /* moving back: c's address moved to a, a is nobody's old address any more */
  assert_true(okno_store_contact_move(fx->st, "c@x.ru", "a@x.ru", t, NULL));
  owned = okno_store_contact_owned(fx->st, "a@x.ru", NULL);
  assert_int_equal(g_strv_length(owned), 3);
}

static const OknoAppeal *oldest(const OknoPage *p)
{
  return p->appeals->pdata[p->appeals->len - 1];
}

/* okno_store_cabinet_list_own: one statement when no move names the subject, else
 * the moves followed; either way what contact_owned and cabinet_list give. */
static void test_own_list_is_the_owned_contacts_list(void **state)
{
  Fx *fx = fixture(state);
  gint64 t = okno_now(), total = -1, want = -1;
  OknoCabinetFilter f = {.limit = 2};
  const char *const subjects[] = {"d@x.ru", "c@x.ru", "a@x.ru", "e@x.ru"};
  add_appeal(fx->st, "26-000001-1", "a@x.ru", "new", t - 3000);
  add_appeal(fx->st, "26-000002-1", "b@x.ru", "answered", t - 2000);
  add_appeal(fx->st, "26-000003-1", "c@x.ru", "new", t - 1000);
  add_appeal(fx->st, "26-000004-1", "d@x.ru", "new", t - 500);
  add_appeal(fx->st, "26-000005-1", "d@x.ru", "new", t);
  add_appeal(fx->st, "26-000006-1", "D@X.RU", "answered", t + 500);
  /* a and b move to c: c holds three; a (moved away) none, though it has an appeal;
   * d moved nowhere (three, in two pages); e has no appeal */
  assert_true(okno_store_contact_move(fx->st, "a@x.ru", "c@x.ru", t, NULL));
  assert_true(okno_store_contact_move(fx->st, "b@x.ru", "c@x.ru", t, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS(subjects); i++) {
    const gint64 totals[] = {3, 3, 0, 0};
    g_auto(GStrv) owned = okno_store_contact_owned(fx->st, subjects[i], NULL);
    g_autoptr(OknoPage) got = NULL, ref = NULL, next = NULL, past = NULL;
    g_autofree char *tok = NULL;
    f = (OknoCabinetFilter){.limit = 2};
    got = okno_store_cabinet_list_own(fx->st, subjects[i], &f, &total, NULL);
    ref = okno_store_cabinet_list(fx->st, (const char *const *)owned, &f, &want, NULL);
    assert_non_null(got);
    assert_int_equal(total, totals[i]);
    assert_int_equal(total, want);
    assert_int_equal(got->appeals->len, ref->appeals->len);
    for (guint k = 0; k < got->appeals->len; k++)
      assert_string_equal(((OknoAppeal *)got->appeals->pdata[k])->number,
                          ((OknoAppeal *)ref->appeals->pdata[k])->number);
    assert_true((got->next == NULL) == (ref->next == NULL));
    if (!got->next)
      continue;
    /* the second page, then a page past the end: its total from a count of its own */
    f.after = got->next;
    next = okno_store_cabinet_list_own(fx->st, subjects[i], &f, &total, NULL);
    assert_int_equal(total, totals[i]);
    assert_int_equal(next->appeals->len, 1);
    assert_null(next->next);
    tok = okno_page_token(OKNO_SORT_RECEIVED, oldest(next)->received_at, oldest(next)->id);
    f.after = tok;
    total = -1;
    past = okno_store_cabinet_list_own(fx->st, subjects[i], &f, &total, NULL);
    assert_non_null(past);
    assert_int_equal(past->appeals->len, 0);
    assert_int_equal(total, totals[i]);
  }
}

static void test_files_only_of_their_appeal_and_ratings_once(void **state)
{
  Fx *fx = fixture(state);
  gint64 a1 = add_appeal(fx->st, "26-000001-1", "a@x.ru", "answered", okno_now());
  gint64 a2 = add_appeal(fx->st, "26-000002-1", "b@x.ru", "answered", okno_now());
  g_autoptr(GBytes) raw = g_bytes_new_static("x", 1);
  g_autoptr(GBytes) data = g_bytes_new_static("%PDF-1.4", 8);
  OknoMessageRow m = {.appeal_id = a1, .direction = "in", .raw = raw, .created_at = okno_now()};
  OknoAttachment att = {.filename = "f.pdf", .declared_type = "application/pdf",
                        .content_type = "application/pdf", .size = 8, .sha256 = "00",
                        .data = data};
  g_autoptr(GPtrArray) msgs = NULL;
  g_autoptr(GBytes) got = NULL, other = NULL;
  g_autofree char *fn = NULL, *ct = NULL, *fn2 = NULL, *ct2 = NULL, *comment = NULL;
  gint64 fid, score = 0, at = 0;
  gboolean fresh = FALSE;
  assert_true(okno_store_message_insert(fx->st, &m, NULL));
  assert_true(okno_store_attachment_insert(fx->st, m.id, &att, NULL, NULL));
  msgs = okno_store_cabinet_messages(fx->st, a1, NULL);
  assert_int_equal(msgs->len, 1);
  fid = ((OknoCabinetFile *)((OknoCabinetMessage *)msgs->pdata[0])->files->pdata[0])->id;
  got = okno_store_cabinet_file(fx->st, a1, fid, &fn, &ct, NULL);
  assert_non_null(got);
  assert_string_equal(fn, "f.pdf");
  other = okno_store_cabinet_file(fx->st, a2, fid, &fn2, &ct2, NULL);
  assert_null(other); /* the file is not the other appeal's */
  assert_true(okno_store_rating_insert(fx->st, a1, 5, "ok", "a@x.ru", okno_now(), &fresh, NULL));
  assert_true(fresh);
  assert_true(okno_store_rating_insert(fx->st, a1, 1, "no", "a@x.ru", okno_now(), &fresh, NULL));
  assert_false(fresh);
  assert_true(okno_store_rating_get(fx->st, a1, &score, &comment, &at, NULL));
  assert_int_equal(score, 5);
  assert_false(okno_store_rating_get(fx->st, a2, &score, &comment, &at, NULL));
}

static void test_mail_of_no_appeal_goes_through_the_queue(void **state)
{
  Fx *fx = fixture(state);
  g_autoptr(GBytes) raw = g_bytes_new_static("Subject: code\r\n\r\n123456\r\n", 26);
  g_autoptr(GPtrArray) jobs = NULL;
  OknoOutboundJob *j;
  assert_true(okno_store_outbound_enqueue_mail(fx->st, "support@p.ru", "a@x.ru", "id1@p.ru", raw,
                                               NULL));
  jobs = okno_store_outbound_claim(fx->st, okno_now(), 60 * G_USEC_PER_SEC, 10, "n1", NULL);
  assert_int_equal(jobs->len, 1);
  j = jobs->pdata[0];
  assert_int_equal(j->appeal_id, 0);
  assert_string_equal(j->message_id, "id1@p.ru");
  assert_true(g_bytes_equal(j->raw, raw));
  assert_true(okno_store_outbound_sent(fx->st, j->id, okno_now(), NULL));
  assert_int_equal(okno_store_count_automatic(fx->st, "a@x.ru", 0, NULL), 1); /* automatic mail */
}

static void test_code_hash_binds_address_and_purpose(void **unused)
{
  guint8 secret[32] = {1}, other[32] = {2};
  g_autofree char *code = okno_login_code_generate();
  g_autofree char *h = okno_login_code_hash(secret, "a@x.ru", "login", code);
  g_autofree char *spaced = g_strdup_printf("%.3s %s", code, code + 3);
  assert_int_equal(strlen(code), 6);
  assert_int_equal(strlen(h), 64);
  assert_null(strstr(h, code));
  assert_true(okno_login_code_matches(secret, "a@x.ru", "login", code, h));
  assert_true(okno_login_code_matches(secret, "a@x.ru", "login", spaced, h));
  assert_false(okno_login_code_matches(other, "a@x.ru", "login", code, h));
  assert_false(okno_login_code_matches(secret, "b@x.ru", "login", code, h));
  assert_false(okno_login_code_matches(secret, "a@x.ru", "change", code, h));
  assert_false(okno_login_code_matches(secret, "a@x.ru", "login", "12345", h));
  assert_false(okno_login_code_matches(secret, "a@x.ru", "login", "1234567", h));
  assert_false(okno_login_code_matches(secret, "a@x.ru", "login", "", h));
}

static void test_email_check(void **unused)
{
  static const char *const bad[] = {"", "a", "a@", "@x.ru", "a@x", "a@@x.ru", "a b@x.ru",
                                    "a@x..ru", "<a@x.ru>", "a@x.ru\r\nBcc: b@y.ru", "a\"@x.ru",
                                    "иван@почта.рф", "a@.ru", "a@x."};
  g_autofree char *ok = okno_cabinet_email("  Ivan.Petrov@Mail.RU ");
  assert_string_equal(ok, "ivan.petrov@mail.ru");
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *r = okno_cabinet_email(bad[i]);
    if (r)
      fail_msg("accepted %s", bad[i]);
  }
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), \
  {"pg_" #f, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_codes_newest_only_attempts_and_single_use),
    ON_BOTH(test_moves_decide_ownership_and_the_list),
    ON_BOTH(test_own_list_is_the_owned_contacts_list),
    ON_BOTH(test_files_only_of_their_appeal_and_ratings_once),
    ON_BOTH(test_mail_of_no_appeal_goes_through_the_queue),
    cmocka_unit_test(test_code_hash_binds_address_and_purpose),
    cmocka_unit_test(test_email_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
