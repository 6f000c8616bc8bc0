/* test_smtp_client.c: the outbound SMTP client against a scripted fake relay.
 *
 * Each test gives the fake server (fake_smtp.h) the replies a relay would send and
 * checks two things: the outcome the client reports (sent / temporary / permanent,
 * code, reply text) and the exact bytes the relay received. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>

#include "fake_smtp.h"
#include "mail/smtp_client.h"

#define GREETING {NULL, "220 relay.test ESMTP\r\n"}
#define EHLO_OK {"EHLO okno.test", "250 relay.test\r\n"}
#define QUIT_OK {"QUIT", "221 2.0.0 bye\r\n"}

static OknoSmtpOutcome send_via(FakeSmtp *f, const char *from, const char *to,
                                const char *msg, guint timeout, OknoSmtpResult *r)
{
  OknoSmtpTarget t = {.relay = f->relay, .helo_name = "okno.test", .timeout_seconds = timeout};
  g_autoptr(GBytes) b = g_bytes_new(msg, strlen(msg));
  OknoSmtpOutcome o = okno_smtp_send(&t, from, to, b, r);
  fake_smtp_finish(f);
  return o;
}

static void test_full_dialogue_with_2xx_replies_is_sent(void **state)
{
  static const FakeStep script[] = {
    GREETING, EHLO_OK,
    {"MAIL FROM:", "250 2.1.0 ok\r\n"},
    {"RCPT TO:", "250 2.1.5 ok\r\n"},
    {"DATA", "354 go ahead\r\n"},
    {FAKE_DATA, "250 2.0.0 queued as 7F3A\r\n"},
    QUIT_OK,
  };
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  assert_int_equal(send_via(&f, "support@portal.example", "ivan@example.ru",
                            "Subject: hi\r\n\r\nbody\r\n", 5, &r), OKNO_SMTP_SENT);
  assert_int_equal(r.code, 250);
  assert_string_equal(r.reply, "250 2.0.0 queued as 7F3A");
  assert_false(r.tls);
  assert_null(f.mismatch);
  assert_string_equal(f.transcript->str,
                      "EHLO okno.test\r\n"
                      "MAIL FROM:<support@portal.example>\r\n"
                      "RCPT TO:<ivan@example.ru>\r\n"
                      "DATA\r\n"
                      "Subject: hi\r\n\r\nbody\r\n.\r\n"
                      "QUIT\r\n");
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_body_gets_crlf_line_endings_and_leading_dots_doubled(void **state)
{
  static const FakeStep script[] = {
    GREETING, EHLO_OK,
    {"MAIL FROM:<>", "250 ok\r\n"},
    {"RCPT TO:", "250 ok\r\n"},
    {"DATA", "354 go\r\n"},
    {FAKE_DATA, "250 ok\r\n"},
    QUIT_OK,
  };
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  /* bare LF, CRLF, bare CR; lines starting with one and two dots; a lone "." line;
   * no final line ending */
  assert_int_equal(send_via(&f, "", "a@example.ru",
                            "Subject: x\n\n.hidden\r\n..two\r.\nend", 5, &r),
                   OKNO_SMTP_SENT);
  assert_null(f.mismatch);
  assert_string_equal(f.body->str,
                      "Subject: x\r\n\r\n..hidden\r\n...two\r\n..\r\nend\r\n.\r\n");
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_multi_line_ehlo_is_parsed_and_8bitmime_declared_for_8bit_body(void **state)
{
  static const FakeStep script[] = {
    GREETING,
    {"EHLO okno.test", "250-relay.test hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                       "250 8BITMIME\r\n"},
    {"MAIL FROM:<support@portal.example> BODY=8BITMIME", "250 ok\r\n"},
    {"RCPT TO:<ivan@example.ru>", "250 ok\r\n"},
    {"DATA", "354 go\r\n"},
    {FAKE_DATA, "250 ok\r\n"},
    QUIT_OK,
  };
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  assert_int_equal(send_via(&f, "support@portal.example", "ivan@example.ru",
                            "Subject: 8bit\r\n\r\nЗдравствуйте\r\n", 5, &r), OKNO_SMTP_SENT);
  assert_null(f.mismatch);
  assert_string_equal(f.body->str, "Subject: 8bit\r\n\r\nЗдравствуйте\r\n.\r\n");
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_refused_ehlo_falls_back_to_helo(void **state)
{
  static const FakeStep script[] = {
    GREETING,
    {"EHLO okno.test", "502 5.5.1 EHLO is not supported here\r\n"},
    {"HELO okno.test", "250 relay.test\r\n"},
    {"MAIL FROM:", "250 ok\r\n"},
    {"RCPT TO:", "250 ok\r\n"},
    {"DATA", "354 go\r\n"},
    {FAKE_DATA, "250 ok\r\n"},
    QUIT_OK,
  };
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  assert_int_equal(send_via(&f, "s@portal.example", "a@example.ru", "x\r\n", 5, &r),
                   OKNO_SMTP_SENT);
  assert_null(f.mismatch);
  assert_false(f.client_closed);
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_refused_starttls_continues_in_clear_text(void **state)
{
  static const FakeStep script[] = {
    GREETING,
    {"EHLO okno.test", "250-relay.test\r\n250 STARTTLS\r\n"},
    {"STARTTLS", "454 4.7.0 TLS not available\r\n"},
    {"MAIL FROM:", "250 ok\r\n"},
    {"RCPT TO:", "250 ok\r\n"},
    {"DATA", "354 go\r\n"},
    {FAKE_DATA, "250 accepted\r\n"},
    QUIT_OK,
  };
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  assert_int_equal(send_via(&f, "s@portal.example", "a@example.ru", "x\r\n", 5, &r),
                   OKNO_SMTP_SENT);
  assert_string_equal(r.reply, "250 accepted");
  assert_false(r.tls);
  assert_null(f.mismatch);
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

/* A self-signed certificate made by openssl for this run; NULL (test skipped) when
 * openssl is not installed. */
static GTlsCertificate *self_signed_certificate(void)
{
  g_autofree char *dir = g_dir_make_tmp("okno-tls-XXXXXX", NULL);
  g_autofree char *key = g_build_filename(dir, "key.pem", NULL);
  g_autofree char *crt = g_build_filename(dir, "cert.pem", NULL);
  const char *argv[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=relay.test",
                        "-days", "2", "-keyout", key, "-out", crt, NULL};
  int status = -1;
  GTlsCertificate *cert = NULL;
  if (g_spawn_sync(NULL, (char **)argv, NULL,
                   G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                   NULL, NULL, NULL, NULL, &status, NULL) && status == 0)
    cert = g_tls_certificate_new_from_files(crt, key, NULL);
  g_unlink(key);
  g_unlink(crt);
  g_rmdir(dir);
  return cert;
}

static void test_offered_starttls_is_used_even_with_a_self_signed_certificate(void **state)
{
  static const FakeStep script[] = {
    GREETING,
    {"EHLO okno.test", "250-relay.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n"},
    {"STARTTLS", "220 2.0.0 ready\r\n"},
    {"EHLO okno.test", "250 relay.test\r\n"}, /* no 8BITMIME any more: not declared */
    {"MAIL FROM:<s@portal.example>\r\n", "250 ok\r\n"},
    {"RCPT TO:<a@example.ru>", "250 ok\r\n"},
    {"DATA", "354 go\r\n"},
    {FAKE_DATA, "250 2.0.0 queued over tls\r\n"},
    QUIT_OK,
  };
  g_autoptr(GTlsCertificate) cert = self_signed_certificate();
  if (!cert)
    skip();
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start_tls(&f, script, G_N_ELEMENTS(script), cert);
  assert_int_equal(send_via(&f, "s@portal.example", "a@example.ru", "Тема: ok\r\n", 5, &r),
                   OKNO_SMTP_SENT);
  assert_null(f.mismatch);
  assert_true(f.tls_done);
  assert_true(r.tls);
  assert_string_equal(r.reply, "250 2.0.0 queued over tls");
  assert_string_equal(f.body->str, "Тема: ok\r\n.\r\n");
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_commands_smuggled_after_the_starttls_reply_end_the_session(void **state)
{
  static const FakeStep script[] = {
    GREETING,
    {"EHLO okno.test", "250-relay.test\r\n250 STARTTLS\r\n"},
    {"STARTTLS", "220 ready\r\n250 injected before the handshake\r\n"},
    {"QUIT", NULL},
  };
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  assert_int_equal(send_via(&f, "s@portal.example", "a@example.ru", "x\r\n", 5, &r),
                   OKNO_SMTP_TEMP);
  assert_string_equal(r.reply, "starttls: data after the 220 reply");
  assert_true(f.client_closed);
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_4xx_on_rcpt_is_temporary_and_the_session_is_closed_politely(void **state)
{
  static const FakeStep script[] = {
    GREETING, EHLO_OK,
    {"MAIL FROM:", "250 ok\r\n"},
    {"RCPT TO:", "450 4.2.1 Mailbox busy, try later\r\n"},
    QUIT_OK,
  };
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  assert_int_equal(send_via(&f, "s@portal.example", "a@example.ru", "x\r\n", 5, &r),
                   OKNO_SMTP_TEMP);
  assert_int_equal(r.code, 450);
  assert_string_equal(r.reply, "450 4.2.1 Mailbox busy, try later");
  assert_null(f.mismatch);
  assert_true(g_str_has_suffix(f.transcript->str, "RCPT TO:<a@example.ru>\r\nQUIT\r\n"));
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_5xx_on_mail_is_permanent_with_the_whole_multi_line_reply(void **state)
{
  static const FakeStep script[] = {
    GREETING, EHLO_OK,
    {"MAIL FROM:", "550-5.7.1 Sender refused\r\n550 5.7.1 See policy\r\n"},
    QUIT_OK,
  };
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  assert_int_equal(send_via(&f, "s@portal.example", "a@example.ru", "x\r\n", 5, &r),
                   OKNO_SMTP_PERM);
  assert_int_equal(r.code, 550);
  assert_string_equal(r.reply, "550-5.7.1 Sender refused\n550 5.7.1 See policy");
  assert_false(g_strstr_len(f.transcript->str, -1, "RCPT") != NULL);
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_5xx_after_the_message_is_permanent(void **state)
{
  static const FakeStep script[] = {
    GREETING, EHLO_OK,
    {"MAIL FROM:", "250 ok\r\n"},
    {"RCPT TO:", "250 ok\r\n"},
    {"DATA", "354 go\r\n"},
    {FAKE_DATA, "554 5.6.0 Message rejected\r\n"},
    QUIT_OK,
  };
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  assert_int_equal(send_via(&f, "s@portal.example", "a@example.ru", "x\r\n", 5, &r),
                   OKNO_SMTP_PERM);
  assert_int_equal(r.code, 554);
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_connection_dropped_during_data_is_temporary(void **state)
{
  static const FakeStep script[] = {
    GREETING, EHLO_OK,
    {"MAIL FROM:", "250 ok\r\n"},
    {"RCPT TO:", "250 ok\r\n"},
    {"DATA", "354 go\r\n"},
    {NULL, NULL}, /* hang up without reading the body */
  };
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  assert_int_equal(send_via(&f, "s@portal.example", "a@example.ru",
                            "Subject: x\r\n\r\nbody\r\n", 5, &r), OKNO_SMTP_TEMP);
  assert_int_equal(r.code, 0);
  assert_non_null(r.reply);
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_refused_connection_is_temporary(void **state)
{
  /* a port that was just free: bind, learn the port, close */
  g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
  assert_true(g_socket_bind(s, any, TRUE, NULL));
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(s, NULL);
  g_autofree char *relay = g_strdup_printf(
    "127.0.0.1:%u", g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)));
  g_socket_close(s, NULL);

  OknoSmtpTarget t = {.relay = relay, .helo_name = "okno.test", .timeout_seconds = 5};
  g_autoptr(GBytes) b = g_bytes_new_static("x\r\n", 3);
  OknoSmtpResult r;
  assert_int_equal(okno_smtp_send(&t, "s@portal.example", "a@example.ru", b, &r),
                   OKNO_SMTP_TEMP);
  assert_int_equal(r.code, 0);
  assert_true(g_str_has_prefix(r.reply, "connect: "));
  okno_smtp_result_clear(&r);
}

static void test_silent_relay_times_out_as_temporary(void **state)
{
  static const FakeStep script[] = {
    {NULL, ""},                     /* no greeting at all */
    {"QUIT", NULL},                 /* the client must hang up instead */
  };
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  gint64 t0 = g_get_monotonic_time();
  assert_int_equal(send_via(&f, "s@portal.example", "a@example.ru", "x\r\n", 1, &r),
                   OKNO_SMTP_TEMP);
  gint64 took = g_get_monotonic_time() - t0;
  assert_true(took >= G_USEC_PER_SEC / 2 && took < 5 * G_USEC_PER_SEC);
  assert_int_equal(r.code, 0);
  assert_true(f.client_closed); /* no QUIT after a timeout */
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_overlong_reply_line_is_temporary(void **state)
{
  g_autoptr(GString) greeting = g_string_new("220 ");
  for (int i = 0; i < OKNO_SMTP_REPLY_LINE_MAX; i++)
    g_string_append_c(greeting, 'x');
  g_string_append(greeting, "\r\n");
  const FakeStep script[] = {{NULL, greeting->str}, {"QUIT", NULL}};
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  assert_int_equal(send_via(&f, "s@portal.example", "a@example.ru", "x\r\n", 5, &r),
                   OKNO_SMTP_TEMP);
  assert_int_equal(r.code, 0);
  assert_non_null(strstr(r.reply, "longer than 1000"));
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_reply_with_too_many_lines_is_temporary(void **state)
{
  g_autoptr(GString) ehlo = g_string_new(NULL);
  for (int i = 0; i < OKNO_SMTP_REPLY_LINES_MAX + 5; i++)
    g_string_append(ehlo, "250-FEATURE\r\n");
  g_string_append(ehlo, "250 END\r\n");
  const FakeStep script[] = {GREETING, {"EHLO", ehlo->str}, {"QUIT", NULL}};
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  assert_int_equal(send_via(&f, "s@portal.example", "a@example.ru", "x\r\n", 5, &r),
                   OKNO_SMTP_TEMP);
  assert_non_null(strstr(r.reply, "more than 100 lines"));
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_malformed_reply_is_temporary(void **state)
{
  static const FakeStep script[] = {{NULL, "hello there\r\n"}, {"QUIT", NULL}};
  FakeSmtp f;
  OknoSmtpResult r;
  fake_smtp_start(&f, script, G_N_ELEMENTS(script));
  assert_int_equal(send_via(&f, "s@portal.example", "a@example.ru", "x\r\n", 5, &r),
                   OKNO_SMTP_TEMP);
  assert_string_equal(r.reply, "reply: malformed reply line");
  okno_smtp_result_clear(&r);
  fake_smtp_free(&f);
}

static void test_envelope_address_with_line_break_is_refused_before_connecting(void **state)
{
  /* nobody listens on this relay: a connection attempt would give TEMP, not PERM */
  OknoSmtpTarget t = {.relay = "127.0.0.1:1", .helo_name = "okno.test", .timeout_seconds = 1};
  g_autoptr(GBytes) b = g_bytes_new_static("x\r\n", 3);
  OknoSmtpResult r;
  assert_int_equal(okno_smtp_send(&t, "s@portal.example", "a@example.ru>\r\nRCPT TO:<b@x.ru",
                                  b, &r), OKNO_SMTP_PERM);
  assert_string_equal(r.reply, "invalid envelope address");
  okno_smtp_result_clear(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_full_dialogue_with_2xx_replies_is_sent),
    cmocka_unit_test(test_body_gets_crlf_line_endings_and_leading_dots_doubled),
    cmocka_unit_test(test_multi_line_ehlo_is_parsed_and_8bitmime_declared_for_8bit_body),
    cmocka_unit_test(test_refused_ehlo_falls_back_to_helo),
    cmocka_unit_test(test_refused_starttls_continues_in_clear_text),
    cmocka_unit_test(test_offered_starttls_is_used_even_with_a_self_signed_certificate),
    cmocka_unit_test(test_commands_smuggled_after_the_starttls_reply_end_the_session),
    cmocka_unit_test(test_4xx_on_rcpt_is_temporary_and_the_session_is_closed_politely),
    cmocka_unit_test(test_5xx_on_mail_is_permanent_with_the_whole_multi_line_reply),
    cmocka_unit_test(test_5xx_after_the_message_is_permanent),
    cmocka_unit_test(test_connection_dropped_during_data_is_temporary),
    cmocka_unit_test(test_refused_connection_is_temporary),
    cmocka_unit_test(test_silent_relay_times_out_as_temporary),
    cmocka_unit_test(test_overlong_reply_line_is_temporary),
    cmocka_unit_test(test_reply_with_too_many_lines_is_temporary),
    cmocka_unit_test(test_malformed_reply_is_temporary),
    cmocka_unit_test(test_envelope_address_with_line_break_is_refused_before_connecting),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  /* GIO's blocking TLS handshakes run on GLib's worker threads; stop the idle ones and
   * let them exit before LeakSanitizer stops the world at exit (its tracer crashes on a
   * thread caught half-way through exiting). */
  g_usleep(G_USEC_PER_SEC / 2);
  g_thread_pool_stop_unused_threads();
  g_usleep(G_USEC_PER_SEC / 5);
  return failed;
}
