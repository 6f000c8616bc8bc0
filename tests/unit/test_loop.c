/* test_loop.c: the specification of when okno must not answer automatically
 * (mail/loop.h, RFC 3834). Each rule has its own test, and each starts from an
 * ordinary citizen's message that may be answered, changed in one respect only. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/config.h"
#include "mail/loop.h"

typedef struct {
  OknoConfig *cfg;
  OknoMessage msg;
} Fixture;

static int setup(void **state)
{
  Fixture *f = g_new0(Fixture, 1);
  f->cfg = okno_config_new_default();
  g_strfreev(f->cfg->smtp_addresses);
  f->cfg->smtp_addresses = g_strsplit("support@portal.example;help@portal.example", ";", -1);
  g_free(f->cfg->outbound_from);
  f->cfg->outbound_from = g_strdup("robot@portal.example");
  /* A plain message from a citizen: every header that matters is empty. */
  f->msg.subject = (char *)"Не могу войти";
  f->msg.from_name = (char *)"Иван Петров";
  f->msg.from_email = (char *)"ivan.petrov@mail.example";
  f->msg.reply_to_email = (char *)"";
  f->msg.auto_submitted = (char *)"";
  f->msg.precedence = (char *)"";
  f->msg.list_id = (char *)"";
  f->msg.x_autoreply = (char *)"";
  f->msg.content_type = (char *)"text/plain";
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  Fixture *f = *state;
  okno_config_free(f->cfg);
  g_free(f);
  return 0;
}

static const char *reason(Fixture *f, const char *envelope_from)
{
  return okno_loop_no_autoreply_reason(f->cfg, &f->msg, envelope_from);
}

static void ordinary_message_may_be_answered(void **state)
{
  Fixture *f = *state;
  assert_null(reason(f, "ivan.petrov@mail.example"));
  assert_null(reason(f, NULL)); /* not over SMTP: okno submit */
  assert_null(reason(f, "bounce-123@lists.mail.example")); /* envelope differs: fine */
}

static void auto_submitted_other_than_no_forbids(void **state)
{
  Fixture *f = *state;
  const char *forbid[] = { "auto-replied", "auto-generated", "auto-notified",
                           "Auto-Replied", "auto-generated; owner-email=\"a@b\"", " auto-replied" };
  for (gsize i = 0; i < G_N_ELEMENTS(forbid); i++) {
    f->msg.auto_submitted = (char *)forbid[i];
    assert_non_null(reason(f, "ivan.petrov@mail.example"));
  }
  f->msg.auto_submitted = (char *)"no";
  assert_null(reason(f, "ivan.petrov@mail.example"));
  f->msg.auto_submitted = (char *)"No (sent by a person)";
  assert_null(reason(f, "ivan.petrov@mail.example"));
}

static void precedence_bulk_list_junk_forbids(void **state)
{
  Fixture *f = *state;
  const char *forbid[] = { "bulk", "list", "junk", "Bulk", "LIST" };
  for (gsize i = 0; i < G_N_ELEMENTS(forbid); i++) {
    f->msg.precedence = (char *)forbid[i];
    assert_non_null(reason(f, "ivan.petrov@mail.example"));
  }
  f->msg.precedence = (char *)"first-class";
  assert_null(reason(f, "ivan.petrov@mail.example"));
  f->msg.precedence = (char *)"normal";
  assert_null(reason(f, "ivan.petrov@mail.example"));
}

static void list_id_forbids(void **state)
{
  Fixture *f = *state;
  f->msg.list_id = (char *)"<news.portal.example>";
  assert_non_null(reason(f, "ivan.petrov@mail.example"));
}

static void any_list_header_forbids(void **state)
{
  Fixture *f = *state;
  f->msg.has_list_headers = TRUE; /* e.g. List-Unsubscribe alone */
  assert_non_null(reason(f, "ivan.petrov@mail.example"));
}

static void x_autoreply_and_autorespond_forbid(void **state)
{
  Fixture *f = *state;
  f->msg.x_autoreply = (char *)"yes";
  assert_non_null(reason(f, "ivan.petrov@mail.example"));
  f->msg.x_autoreply = (char *)"X-Autorespond: on";
  assert_non_null(reason(f, "ivan.petrov@mail.example"));
}

static void x_auto_response_suppress_all_or_autoreply_forbids(void **state)
{
  Fixture *f = *state;
  const char *forbid[] = { "All", "AutoReply", "OOF, AutoReply", "DR, all",
                           "X-Auto-Response-Suppress: All" };
  for (gsize i = 0; i < G_N_ELEMENTS(forbid); i++) {
    f->msg.x_autoreply = (char *)forbid[i];
    if (!reason(f, "ivan.petrov@mail.example"))
      fail_msg("answer allowed with X-Auto-Response-Suppress \"%s\"", forbid[i]);
  }
}

static void x_auto_response_suppress_of_reports_only_allows(void **state)
{
  Fixture *f = *state;
  const char *allow[] = { "OOF", "DR, NDR", "RN; NRN", "X-Auto-Response-Suppress: OOF, DR" };
  for (gsize i = 0; i < G_N_ELEMENTS(allow); i++) {
    f->msg.x_autoreply = (char *)allow[i];
    if (reason(f, "ivan.petrov@mail.example"))
      fail_msg("answer forbidden with X-Auto-Response-Suppress \"%s\"", allow[i]);
  }
}

static void delivery_and_read_reports_forbid(void **state)
{
  Fixture *f = *state;
  f->msg.content_type = (char *)"multipart/report";
  assert_non_null(reason(f, "ivan.petrov@mail.example"));
  f->msg.content_type = (char *)"Multipart/Report; report-type=delivery-status";
  assert_non_null(reason(f, "ivan.petrov@mail.example"));
  f->msg.content_type = (char *)"multipart/mixed";
  assert_null(reason(f, "ivan.petrov@mail.example"));
}

static void null_envelope_sender_forbids(void **state)
{
  Fixture *f = *state;
  assert_non_null(reason(f, ""));
}

static void robot_local_parts_forbid_in_any_spelling(void **state)
{
  Fixture *f = *state;
  const char *robots[] = {
    "MAILER-DAEMON@mx.mail.example", "mailer-daemon@mx.mail.example",
    "postmaster@mail.example", "PostMaster@mail.example",
    "noreply@bank.example", "no-reply@bank.example", "no_reply@bank.example",
    "No.Reply@bank.example", "donotreply@bank.example", "do-not-reply@bank.example",
    "do_not_reply@bank.example", "DoNotReply@bank.example", "noreply+abc@bank.example",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(robots); i++) {
    /* as the envelope sender */
    if (!reason(f, robots[i]))
      fail_msg("answer allowed to envelope sender %s", robots[i]);
    /* as the From address */
    f->msg.from_email = (char *)robots[i];
    if (!reason(f, NULL))
      fail_msg("answer allowed to From %s", robots[i]);
    f->msg.from_email = (char *)"ivan.petrov@mail.example";
  }
}

static void similar_but_human_local_parts_are_answered(void **state)
{
  Fixture *f = *state;
  const char *humans[] = { "noreplyfan@mail.example", "postmaster.ivan@mail.example",
                           "daemon@mail.example", "reply@mail.example" };
  for (gsize i = 0; i < G_N_ELEMENTS(humans); i++) {
    f->msg.from_email = (char *)humans[i];
    if (reason(f, humans[i]))
      fail_msg("answer forbidden to %s", humans[i]);
  }
}

static void our_own_addresses_are_never_answered(void **state)
{
  Fixture *f = *state;
  f->msg.from_email = (char *)"Support@Portal.Example";
  assert_non_null(reason(f, NULL));
  f->msg.from_email = (char *)"ivan.petrov@mail.example";
  assert_non_null(reason(f, "help@portal.example"));
  f->msg.reply_to_email = (char *)"robot@portal.example"; /* [outbound] from */
  assert_non_null(reason(f, "ivan.petrov@mail.example"));
}

static void reply_to_robot_forbids_even_with_human_from(void **state)
{
  Fixture *f = *state;
  f->msg.reply_to_email = (char *)"no-reply@bank.example";
  assert_non_null(reason(f, "ivan.petrov@mail.example"));
}

static void no_address_to_answer_forbids(void **state)
{
  Fixture *f = *state;
  f->msg.from_email = (char *)"";
  /* the envelope sender alone is enough (issue 12: the sender recovered) */
  assert_null(reason(f, "ivan.petrov@mail.example"));
  f->msg.return_path_email = (char *)"rp@mail.example";
  assert_null(reason(f, NULL)); /* so is Return-Path */
  f->msg.return_path_email = NULL;
  f->msg.from_email = (char *)"undisclosed-recipients";
  assert_non_null(reason(f, NULL));
  f->msg.from_email = (char *)"";
  f->msg.reply_to_email = (char *)"ivan@mail.example";
  assert_null(reason(f, NULL)); /* Reply-To alone is enough */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(ordinary_message_may_be_answered),
    T(auto_submitted_other_than_no_forbids),
    T(precedence_bulk_list_junk_forbids),
    T(list_id_forbids),
    T(any_list_header_forbids),
    T(x_autoreply_and_autorespond_forbid),
    T(x_auto_response_suppress_all_or_autoreply_forbids),
    T(x_auto_response_suppress_of_reports_only_allows),
    T(delivery_and_read_reports_forbid),
    T(null_envelope_sender_forbids),
    T(robot_local_parts_forbid_in_any_spelling),
    T(similar_but_human_local_parts_are_answered),
    T(our_own_addresses_are_never_answered),
    T(reply_to_robot_forbids_even_with_human_from),
    T(no_address_to_answer_forbids),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
