/* test_console.c: the store operations behind the operator console (store.h: versioned
 * status change (okno_store_appeal_update's version check), answer templates, a user's sessions and revoking one by id, the
 * threading data of the last inbound message) on both stores, and the answer letter
 * okno_reply_build() writes (threaded, the number in the subject, no Auto-Submitted). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "mail/receipt.h"
#include "store/appeals.h"
#include "store/console.h"
#include "store/messages.h"
#include "store/sessions.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

static void test_status_needs_the_current_version(void **state)
{
  Fx *fx = fixture(state);
  OknoAppeal a = {.number = "26-000001-4", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .received_at = okno_now()};
  g_autoptr(OknoAppeal) got = NULL;
  GError *err = NULL;
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  a.version = 1;
  a.status = OKNO_STATUS_IN_PROGRESS;
  assert_true(okno_store_appeal_update(fx->st, &a, NULL));
  assert_int_equal(a.version, 2);
  a.version = 1; /* what another operator saw */
  a.status = OKNO_STATUS_CLOSED;
  assert_false(okno_store_appeal_update(fx->st, &a, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  assert_string_equal(err->message, OKNO_STORE_STALE_TEXT);
  g_clear_error(&err);
  got = okno_store_appeal_get(fx->st, a.number, NULL);
  assert_int_equal(got->status, OKNO_STATUS_IN_PROGRESS);
  assert_int_equal(got->version, 2);
}

static void test_templates_per_department(void **state)
{
  Fx *fx = fixture(state);
  OknoAnswerTemplate t1 = {.department = "passports", .name = "Утрата", .body = "Здравствуйте, {{name}}"};
  OknoAnswerTemplate t2 = {.department = "social", .name = "Пособие", .body = "x"};
  OknoAnswerTemplate dup = {.department = "passports", .name = "Утрата", .body = "y"};
  const char *const only[] = {"passports", NULL};
  g_autoptr(GPtrArray) all = NULL, some = NULL;
  g_autoptr(OknoAnswerTemplate) got = NULL;
  GError *err = NULL;
  assert_true(okno_store_template_add(fx->st, &t1, NULL));
  assert_true(okno_store_template_add(fx->st, &t2, NULL));
  assert_false(okno_store_template_add(fx->st, &dup, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  g_clear_error(&err);
  all = okno_store_template_list(fx->st, NULL, NULL);
  assert_int_equal(all->len, 2);
  some = okno_store_template_list(fx->st, only, NULL);
  assert_int_equal(some->len, 1);
  got = okno_store_template_get(fx->st, t1.id, NULL);
  assert_string_equal(got->body, "Здравствуйте, {{name}}");
  assert_true(okno_store_template_remove(fx->st, t1.id, NULL));
  assert_null(okno_store_template_get(fx->st, t1.id, NULL));
}

static void test_sessions_listed_and_revoked_only_by_their_owner(void **state)
{
  Fx *fx = fixture(state);
  OknoSessionRow a = {.kind = "staff", .subject = "7", .csrf = "c1", .created_at = 1,
                      .expires_at = G_MAXINT64 / 2, .last_seen = 1};
  OknoSessionRow b = a, other = a;
  g_autoptr(GPtrArray) list = NULL, after = NULL;
  gboolean found = TRUE;
  other.subject = "8";
  assert_true(okno_store_session_insert(fx->st, &a, "h1", "192.0.2.1", "ua", NULL));
  assert_true(okno_store_session_insert(fx->st, &b, "h2", NULL, NULL, NULL));
  assert_true(okno_store_session_insert(fx->st, &other, "h3", NULL, NULL, NULL));
  list = okno_store_session_list(fx->st, "staff", "7", okno_now(), NULL);
  assert_int_equal(list->len, 2);
  assert_string_equal(((OknoSessionInfo *)list->pdata[1])->ip, "192.0.2.1");
  /* user 7 cannot end user 8's session */
  assert_true(okno_store_session_revoke_id(fx->st, other.id, "staff", "7", okno_now(), &found, NULL));
  assert_false(found);
  assert_true(okno_store_session_revoke_id(fx->st, a.id, "staff", "7", okno_now(), &found, NULL));
  assert_true(found);
  after = okno_store_session_list(fx->st, "staff", "7", okno_now(), NULL);
  assert_int_equal(after->len, 1);
  assert_null(okno_store_session_get(fx->st, "h1", okno_now(), NULL));
  {
    g_autoptr(OknoSessionRow) live = okno_store_session_get(fx->st, "h3", okno_now(), NULL);
    assert_non_null(live);
  }
}

static void test_last_inbound_gives_the_thread(void **state)
{
  Fx *fx = fixture(state);
  OknoAppeal a = {.number = "26-000002-8", .status = OKNO_STATUS_NEW, .channel = OKNO_CHANNEL_EMAIL,
                  .received_at = okno_now()};
  OknoMessageRow m1 = {.direction = "in", .message_id = "first@x", .sender = "a@x",
                       .recipient = "s@y", .subject = "s", .text = "t", .content_hash = "",
                       .meta_json = "{}", .created_at = 1};
  OknoMessageRow m2 = m1, out = m1;
  g_autofree char *id = NULL;
  g_auto(GStrv) refs = NULL;
  assert_true(okno_store_appeal_insert(fx->st, &a, NULL));
  assert_true(okno_store_last_inbound(fx->st, a.id, &id, &refs, NULL));
  assert_string_equal(id, "");
  assert_null(refs[0]);
  g_clear_pointer(&id, g_free);
  g_clear_pointer(&refs, g_strfreev);
  m1.appeal_id = m2.appeal_id = out.appeal_id = a.id;
  m2.message_id = "second@x";
  m2.meta_json = "{\"references\":[\"first@x\",\"zero@x\"]}";
  out.direction = "out";
  out.message_id = "ours@y";
  assert_true(okno_store_message_insert(fx->st, &m1, NULL));
  assert_true(okno_store_message_insert(fx->st, &m2, NULL));
  assert_true(okno_store_message_insert(fx->st, &out, NULL));
  assert_true(okno_store_last_inbound(fx->st, a.id, &id, &refs, NULL));
  assert_string_equal(id, "second@x");
  assert_int_equal(g_strv_length(refs), 2);
  assert_string_equal(refs[1], "zero@x");
}

static void test_reply_letter_is_threaded_and_human(void **state)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  const char *const refs[] = {"root@mail.example", NULL};
  OknoReplyInfo info = {.number = "26-000123-3", .to_email = "ivan@mail.example",
                        .to_name = "Иван Петров", .orig_message_id = "last@mail.example",
                        .orig_references = refs, .text = "Ответ.\r\nВторая строка\x01."};
  g_autofree char *id = NULL, *subject = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autofree char *text = NULL;
  g_free(cfg->outbound_from);
  cfg->outbound_from = g_strdup("support@portal.example");
  raw = okno_reply_build(cfg, &info, &id, &subject);
  assert_non_null(raw);
  text = g_strndup(g_bytes_get_data(raw, NULL), g_bytes_get_size(raw));
  assert_string_equal(subject, "Ответ на обращение № 26-000123-3");
  assert_true(g_str_has_prefix(id, "okno.26-000123-3."));
  assert_non_null(strstr(text, "In-Reply-To: <last@mail.example>\r\n"));
  assert_non_null(strstr(text, "References: <root@mail.example> <last@mail.example>\r\n"));
  assert_null(strstr(text, "Auto-Submitted"));
  assert_non_null(strstr(text, "support@portal.example"));
  assert_true(g_str_has_prefix(strstr(text, "\r\nFrom:") + 2, "From:"));
  assert_null(strstr(text, "\x01"));
  /* an address that cannot be written into a header: no letter */
  info.to_email = "bad address@x";
  g_clear_pointer(&id, g_free);
  g_clear_pointer(&subject, g_free);
  assert_null(okno_reply_build(cfg, &info, &id, &subject));
  assert_null(id);
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), ON_PG_AS("pg_" #f, f)
#define ON_PG_AS(name, f) {name, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    ON_BOTH(test_status_needs_the_current_version),
    ON_BOTH(test_templates_per_department),
    ON_BOTH(test_sessions_listed_and_revoked_only_by_their_owner),
    ON_BOTH(test_last_inbound_gives_the_thread),
    cmocka_unit_test(test_reply_letter_is_threaded_and_human),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
