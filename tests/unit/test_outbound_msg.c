/* test_outbound_msg.c: the outbound queue's Telegram and SMS jobs in the store
 * (src/store/outbound_msg.h, okno_store_outbound_enqueue), on a fresh SQLite store
 * (the same SQL runs on PostgreSQL in it_telegram_pg and it_sms_pg).
 *
 * Mail to a chat's contact address becomes a telegram job that only the messenger's
 * claim takes, with the message's subject and text; a phone gets an sms job only when
 * its contact turned SMS on; a bot's own text belongs to no appeal; a chat's open
 * appeal is found until it is answered. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "appeal/tg_contact.h"
#include "core/clock.h"
#include "store/appeals.h"
#include "store/messages.h"
#include "store/notify.h"
#include "store/outbound.h"
#include "store/outbound_msg.h"
#include "store/store.h"

#define T0 G_GINT64_CONSTANT(1795428000000000)
#define LEASE G_GINT64_CONSTANT(600000000)

typedef struct {
  char *dir;
  OknoStore *st;
} Fixture;

static int setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  g_autofree char *url = NULL;
  f->dir = g_dir_make_tmp("okno-outmsg-XXXXXX", NULL);
  url = g_strconcat("sqlite:", f->dir, "/okno.db", NULL);
  okno_clock_set(T0);
  f->st = okno_store_open(url, NULL);
  assert_non_null(f->st);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  Fixture *f = *state;
  g_autofree char *db = g_build_filename(f->dir, "okno.db", NULL);
  okno_store_close(f->st);
  g_remove(db);
  g_rmdir(f->dir);
  g_free(f->dir);
  g_free(f);
  okno_clock_set(0);
  return 0;
}

/* An appeal from `contact` (with `phone`) and one outgoing message queued to it. */
static gint64 appeal_with_letter(Fixture *f, const char *number, const char *contact,
                                 const char *phone)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GBytes) raw = g_bytes_new_static("Subject: x\r\n\r\nbody\r\n", 20);
  OknoAppeal a = {.number = (char *)number, .status = OKNO_STATUS_NEW,
                  .channel = OKNO_CHANNEL_TELEGRAM, .subject = "Вопрос",
                  .from_email = (char *)contact, .phone = (char *)phone, .received_at = T0};
  OknoMessageRow m = {.direction = "out", .message_id = "r1@portal.example",
                      .sender = "support@portal.example", .recipient = contact,
                      .subject = "Обращение № 26-000001-9 зарегистрировано",
                      .text = "Полный текст письма", .raw = raw, .created_at = T0};
  assert_true(okno_store_begin(f->st, &err));
  assert_true(okno_store_appeal_insert(f->st, &a, &err));
  m.appeal_id = a.id;
  assert_true(okno_store_message_insert(f->st, &m, &err));
  assert_true(okno_store_outbound_enqueue(f->st, a.id, m.id, "support@portal.example", contact,
                                          TRUE, &err));
  assert_true(okno_store_commit(f->st, &err));
  return a.id;
}

static GPtrArray *claim(Fixture *f, const char *transport)
{
  g_autoptr(GError) err = NULL;
  GPtrArray *jobs;
  assert_true(okno_store_begin(f->st, &err));
  jobs = okno_store_msg_claim(f->st, transport, T0, LEASE, 10, "node", &err);
  assert_non_null(jobs);
  assert_true(okno_store_commit(f->st, &err));
  return jobs;
}

static void test_mail_to_a_chat_is_a_telegram_job(void **state)
{
  Fixture *f = *state;
  g_autofree char *contact = okno_tg_contact(-100777);
  gint64 id = appeal_with_letter(f, "26-000001-9", contact, "");
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) mail = NULL, tg = NULL, again = NULL, sms = NULL;
  const OknoMsgJob *j;
  assert_true(okno_store_begin(f->st, &err));
  mail = okno_store_outbound_claim(f->st, T0, LEASE, 10, "node", &err);
  assert_true(okno_store_commit(f->st, &err));
  assert_non_null(mail);
  assert_int_equal(mail->len, 0); /* never sent as mail */
  tg = claim(f, "telegram");
  assert_int_equal(tg->len, 1);
  j = tg->pdata[0];
  assert_int_equal(j->appeal_id, id);
  assert_string_equal(j->to, "-100777");
  assert_string_equal(j->subject, "Обращение № 26-000001-9 зарегистрировано");
  assert_string_equal(j->text, "Полный текст письма");
  assert_true(j->automatic);
  assert_int_equal(j->attempts, 1);
  again = claim(f, "telegram"); /* leased */
  assert_int_equal(again->len, 0);
  sms = claim(f, "sms");
  assert_int_equal(sms->len, 0);
}

static void test_sms_only_with_the_contacts_consent(void **state)
{
  Fixture *f = *state;
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) none = NULL, one = NULL;
  gboolean on = TRUE;
  assert_true(okno_store_notify_enabled(f->st, "ivan@example.ru", "sms", &on, &err));
  assert_false(on); /* off until turned on */
  appeal_with_letter(f, "26-000001-9", "ivan@example.ru", "+79123456789");
  none = claim(f, "sms");
  assert_int_equal(none->len, 0);
  assert_true(okno_store_notify_set(f->st, "ivan@example.ru", "sms", TRUE, &err));
  appeal_with_letter(f, "26-000002-1", "ivan@example.ru", "+79123456789");
  appeal_with_letter(f, "26-000003-4", "ivan@example.ru", ""); /* no phone: no SMS */
  one = claim(f, "sms");
  assert_int_equal(one->len, 1);
  assert_string_equal(((OknoMsgJob *)one->pdata[0])->to, "+79123456789");
  assert_string_equal(((OknoMsgJob *)one->pdata[0])->subject,
                      "Обращение № 26-000001-9 зарегистрировано");
}

static void test_a_bots_own_text_and_the_chats_open_appeal(void **state)
{
  Fixture *f = *state;
  g_autofree char *contact = okno_tg_contact(42);
  g_autofree char *none = NULL, *open = NULL, *after = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(OknoAppeal) a = NULL;
  none = okno_store_open_appeal_of(f->st, contact, &err);
  assert_null(err);
  assert_null(none);
  assert_true(okno_store_begin(f->st, &err));
  assert_true(okno_store_msg_enqueue_text(f->st, "telegram", "42", contact, "Здравствуйте!", &err));
  assert_true(okno_store_commit(f->st, &err));
  jobs = claim(f, "telegram");
  assert_int_equal(jobs->len, 1);
  assert_int_equal(((OknoMsgJob *)jobs->pdata[0])->appeal_id, 0);
  assert_string_equal(((OknoMsgJob *)jobs->pdata[0])->text, "Здравствуйте!");
  appeal_with_letter(f, "26-000001-9", contact, "");
  open = okno_store_open_appeal_of(f->st, contact, &err);
  assert_string_equal(open, "26-000001-9");
  a = okno_store_appeal_get(f->st, "26-000001-9", &err);
  a->status = OKNO_STATUS_ANSWERED;
  assert_true(okno_store_appeal_update(f->st, a, &err));
  after = okno_store_open_appeal_of(f->st, contact, &err);
  assert_null(after);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_mail_to_a_chat_is_a_telegram_job, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sms_only_with_the_contacts_consent, setup, teardown),
    cmocka_unit_test_setup_teardown(test_a_bots_own_text_and_the_chats_open_appeal, setup,
                                    teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
