/* test_smtp_session.c: the SMTP/LMTP state machine, driven through a fake transport.
 *
 * Each test feeds client bytes into a session and compares the replies written (one
 * string, CRLF-separated) and the messages delivered with values written out by hand.
 * The fake deliver either answers at once (like a store that commits instantly) or
 * holds the message until the test calls okno_smtp_session_delivered(). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "core/error.h"
#include "mail/smtp_session.h"

typedef struct {
  GString *out;
  gboolean closed;
  int starttls_calls;
  int deliveries;
  GBytes *last_msg;
  char *last_from;
  char *last_client, *last_helo;
  GPtrArray *last_rcpts;
  gboolean hold;        /* do not answer deliver() at once */
  gboolean fail_temp;   /* answer deliver() with OKNO_ERROR_TEMP */
  OknoSmtpSession *s;
} Fake;

static void fake_write(gpointer io, const char *data, gsize len)
{
  Fake *f = io;
  assert_false(f->closed); /* nothing may be written after close() */
  g_string_append_len(f->out, data, len);
}

static void fake_close(gpointer io)
{
  ((Fake *)io)->closed = TRUE;
}

static void fake_starttls(gpointer io)
{
  ((Fake *)io)->starttls_calls++;
}

static void fake_deliver(gpointer io, GBytes *msg, const OknoEnvelope *env)
{
  Fake *f = io;
  f->deliveries++;
  g_clear_pointer(&f->last_msg, g_bytes_unref);
  f->last_msg = g_bytes_ref(msg);
  g_free(f->last_from);
  f->last_from = g_strdup(env->mail_from);
  g_free(f->last_client);
  f->last_client = g_strdup(env->client_addr);
  g_free(f->last_helo);
  f->last_helo = g_strdup(env->helo);
  g_ptr_array_set_size(f->last_rcpts, 0);
  for (const char *const *r = env->rcpt_to; r && *r; r++)
    g_ptr_array_add(f->last_rcpts, g_strdup(*r));
  assert_int_equal(env->channel, OKNO_CHANNEL_EMAIL);
  assert_string_equal(env->session_id, okno_smtp_session_id(f->s));
  if (f->hold)
    return;
  if (f->fail_temp) {
    g_autoptr(GError) e = g_error_new(OKNO_ERROR, OKNO_ERROR_TEMP, "database is locked");
    okno_smtp_session_delivered(f->s, NULL, e);
  } else {
    OknoIntakeResult r = {.number = (char *)"2026-000017"};
    okno_smtp_session_delivered(f->s, &r, NULL);
  }
}

static const OknoSmtpTransport fake_transport = {
  fake_write, fake_close, fake_starttls, fake_deliver,
};

static OknoConfig *cfg;

static Fake *fake_new(OknoSmtpProto proto, gboolean tls)
{
  Fake *f = g_new0(Fake, 1);
  f->out = g_string_new(NULL);
  f->last_rcpts = g_ptr_array_new_with_free_func(g_free);
  f->s = okno_smtp_session_new(cfg, proto, "192.0.2.7", tls, &fake_transport, f);
  okno_smtp_session_start(f->s);
  g_string_truncate(f->out, 0); /* tests look at what follows the greeting */
  return f;
}

static void fake_free(Fake *f)
{
  okno_smtp_session_free(f->s);
  g_string_free(f->out, TRUE);
  g_clear_pointer(&f->last_msg, g_bytes_unref);
  g_free(f->last_from);
  g_free(f->last_client);
  g_free(f->last_helo);
  g_ptr_array_unref(f->last_rcpts);
  g_free(f);
}

/* Feeds `in` and returns (and forgets) the replies written since the last call. */
static char *talk(Fake *f, const char *in)
{
  char *out;
  okno_smtp_session_feed(f->s, in, strlen(in));
  out = g_strdup(f->out->str);
  g_string_truncate(f->out, 0);
  return out;
}

static void expect(Fake *f, const char *in, const char *want)
{
  g_autofree char *got = talk(f, in);
  assert_string_equal(got, want);
}

static char *msg_text(Fake *f)
{
  gsize n;
  const char *d = g_bytes_get_data(f->last_msg, &n);
  return g_strndup(d, n);
}

/* The stored message without its Received: header (which has a date and an id). */
static char *msg_body(Fake *f)
{
  g_autofree char *all = msg_text(f);
  const char *p = strstr(all, "\r\n\t");
  assert_non_null(p);
  p = strstr(p + 3, "\r\n\t");
  assert_non_null(p);
  p = strstr(p + 3, "\r\n");
  assert_non_null(p);
  return g_strdup(p + 2);
}

static int setup(void **state)
{
  cfg = okno_config_new_default();
  g_free(cfg->hostname);
  cfg->hostname = g_strdup("mx.test");
  g_strfreev(cfg->smtp_addresses);
  cfg->smtp_addresses = g_strsplit("support@portal.example;help@portal.example", ";", -1);
  cfg->max_message_size = 2000;
  cfg->max_line_length = 1000;
  cfg->max_recipients = 2;
  return 0;
}

static int teardown(void **state)
{
  okno_config_free(cfg);
  return 0;
}

#define ENVELOPE "EHLO client.example\r\nMAIL FROM:<citizen@mail.example>\r\n" \
                 "RCPT TO:<support@portal.example>\r\n"
#define ENVELOPE_REPLIES "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 2000\r\n250-8BITMIME\r\n" \
                         "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n250 2.1.0 Ok\r\n"       \
                         "250 2.1.5 Ok\r\n"

static void test_greeting_names_host_and_protocol(void **state)
{
  Fake *f = g_new0(Fake, 1);
  f->out = g_string_new(NULL);
  f->last_rcpts = g_ptr_array_new_with_free_func(g_free);
  f->s = okno_smtp_session_new(cfg, OKNO_PROTO_SMTP, "192.0.2.7", FALSE, &fake_transport, f);
  okno_smtp_session_start(f->s);
  assert_string_equal(f->out->str, "220 mx.test ESMTP okno\r\n");
  assert_int_equal(strlen(okno_smtp_session_id(f->s)), 16);
  fake_free(f);
}

static void test_ehlo_lists_extensions_and_starttls_only_when_configured(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE), *t = fake_new(OKNO_PROTO_SMTP, TRUE);
  expect(f, "EHLO client.example\r\n",
         "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 2000\r\n250-8BITMIME\r\n"
         "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n");
  expect(t, "ehlo client.example\r\n",
         "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 2000\r\n250-8BITMIME\r\n"
         "250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n");
  expect(f, "HELO client.example\r\n", "250 mx.test\r\n");
  expect(f, "EHLO\r\n", "501 5.5.4 Syntax: EHLO hostname\r\n");
  expect(f, "STARTTLS\r\n", "502 5.5.1 Error: STARTTLS is not offered here\r\n");
  fake_free(f);
  fake_free(t);
}

static void test_message_is_unstuffed_crlf_normalised_and_has_received_header(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  g_autofree char *all = NULL, *body = NULL;
  expect(f, ENVELOPE "DATA\r\n", ENVELOPE_REPLIES "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_true(okno_smtp_session_in_data(f->s));
  /* bare LF, a stuffed dot, a lone CR kept, and the end (CRLF "." CRLF only: before
   * the smuggling fix this test ended the message after a bare LF) */
  expect(f, "Subject: test\nX: 1\r\n\r\n..leading dot\nmid\rline\r\n.\r\n",
         "250 2.0.0 Ok: registered as 2026-000017\r\n");
  assert_int_equal(f->deliveries, 1);
  assert_string_equal(f->last_from, "citizen@mail.example");
  assert_int_equal(f->last_rcpts->len, 1);
  assert_string_equal(g_ptr_array_index(f->last_rcpts, 0), "support@portal.example");
  all = msg_text(f);
  assert_true(g_str_has_prefix(all, "Received: from client.example (192.0.2.7)\r\n\tby mx.test "
                                    "(okno) with ESMTP id "));
  assert_non_null(strstr(all, okno_smtp_session_id(f->s)));
  body = msg_body(f);
  assert_string_equal(body, "Subject: test\r\nX: 1\r\n\r\n.leading dot\r\nmid\rline\r\n");
  assert_false(okno_smtp_session_in_data(f->s));
  expect(f, "QUIT\r\n", "221 2.0.0 Bye\r\n");
  assert_true(f->closed);
  fake_free(f);
}

static void test_reply_and_pipelined_commands_wait_for_the_durable_commit(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  OknoIntakeResult r = {.number = (char *)"2026-000042"};
  f->hold = TRUE;
  expect(f, ENVELOPE "DATA\r\nSubject: a\r\n\r\nbody\r\n.\r\nMAIL FROM:<b@c.example>\r\nQUIT\r\n",
         ENVELOPE_REPLIES "354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_int_equal(f->deliveries, 1);
  assert_false(okno_smtp_session_wants_input(f->s));
  assert_false(f->closed);
  okno_smtp_session_delivered(f->s, &r, NULL);
  assert_string_equal(f->out->str, "250 2.0.0 Ok: registered as 2026-000042\r\n"
                                   "250 2.1.0 Ok\r\n221 2.0.0 Bye\r\n");
  assert_true(f->closed);
  fake_free(f);
}

static void test_temporary_failure_is_451_and_permanent_is_554_with_its_text(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  g_autoptr(GError) perm = g_error_new(OKNO_ERROR, OKNO_ERROR_PERM, "Вложение заражено");
  f->fail_temp = TRUE;
  expect(f, ENVELOPE "DATA\r\nx\r\n.\r\n",
         ENVELOPE_REPLIES "354 End data with <CR><LF>.<CR><LF>\r\n"
                          "451 4.3.0 Temporary failure, please try again later\r\n");
  f->fail_temp = FALSE;
  f->hold = TRUE;
  expect(f, "MAIL FROM:<>\r\nRCPT TO:<support@portal.example>\r\nDATA\r\nx\r\n.\r\n",
         "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
  assert_string_equal(f->last_from, ""); /* the null reverse-path */
  okno_smtp_session_delivered(f->s, NULL, perm);
  assert_string_equal(f->out->str, "554 5.6.0 Вложение заражено\r\n");
  fake_free(f);
}

static void test_unknown_recipient_is_550_5_1_1_and_data_then_has_no_recipients(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  expect(f, "EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<someone@portal.example>\r\nDATA\r\n",
         "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 2000\r\n250-8BITMIME\r\n"
         "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n250 2.1.0 Ok\r\n"
         "550 5.1.1 <someone@portal.example>: Recipient address rejected: no such mailbox "
         "here\r\n554 5.5.1 Error: no valid recipients\r\n");
  /* the support address matches in any case */
  expect(f, "RCPT TO:<Support@Portal.Example>\r\n", "250 2.1.5 Ok\r\n");
  assert_int_equal(f->deliveries, 0);
  fake_free(f);
}

static void test_declared_size_over_the_limit_is_552_5_3_4(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  expect(f, "EHLO c\r\nMAIL FROM:<a@b.example> SIZE=2001\r\n",
         "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 2000\r\n250-8BITMIME\r\n"
         "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n"
         "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  expect(f, "MAIL FROM:<a@b.example> SIZE=2000 BODY=8BITMIME\r\n", "250 2.1.0 Ok\r\n");
  expect(f, "RSET\r\nMAIL FROM:<a@b.example> SIZE=12x\r\n",
         "250 2.0.0 Ok\r\n555 5.5.4 Unsupported option: SIZE\r\n");
  expect(f, "MAIL FROM:<a@b.example> AUTH=<>\r\n", "555 5.5.4 Unsupported option: AUTH\r\n");
  fake_free(f);
}

static void test_message_over_the_limit_is_read_to_the_end_then_552(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  g_autoptr(GString) big = g_string_new(NULL);
  for (int i = 0; i < 100; i++)
    g_string_append(big, "0123456789012345678901234567890123456789\r\n"); /* 4200 octets */
  expect(f, ENVELOPE "DATA\r\n", ENVELOPE_REPLIES "354 End data with <CR><LF>.<CR><LF>\r\n");
  expect(f, big->str, "");
  expect(f, ".\r\nNOOP\r\n",
         "552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.0.0 Ok\r\n");
  assert_int_equal(f->deliveries, 0);
  /* the session goes on: a message within the limit is accepted */
  expect(f, "MAIL FROM:<a@b.example>\r\nRCPT TO:<support@portal.example>\r\nDATA\r\nok\r\n.\r\n",
         "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
         "250 2.0.0 Ok: registered as 2026-000017\r\n");
  assert_int_equal(f->deliveries, 1);
  fake_free(f);
}

static void test_command_line_too_long_is_500_5_5_2_and_skipped(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  g_autofree char *exact = g_strnfill(998 - 5, 'a');
  g_autoptr(GString) in = g_string_new("NOOP ");
  /* 1000 octets with CRLF: allowed */
  g_autofree char *ok = g_strconcat("NOOP ", exact, "\r\n", NULL);
  assert_int_equal(strlen(ok), 1000);
  expect(f, ok, "250 2.0.0 Ok\r\n");
  /* 1000 octets and no end yet: the line will be over the cap; refused once, even
   * when the rest arrives in pieces */
  g_string_append(in, exact);
  g_string_append(in, "bb");
  expect(f, in->str, "500 5.5.2 Error: line too long\r\n");
  expect(f, "more of the same line", "");
  expect(f, " and its end\r\nNOOP\r\n", "250 2.0.0 Ok\r\n");
  fake_free(f);
}

static void test_recipients_past_max_recipients_get_452_4_5_3(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  expect(f, "HELO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<support@portal.example>\r\n"
            "RCPT TO:<help@portal.example>\r\nRCPT TO:<support@portal.example>\r\n",
         "250 mx.test\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
         "452 4.5.3 Error: too many recipients\r\n");
  fake_free(f);
}

static void test_commands_out_of_sequence_get_503_5_5_1(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  expect(f, "MAIL FROM:<a@b.example>\r\n", "503 5.5.1 Error: send HELO/EHLO first\r\n");
  expect(f, "HELO c\r\nRCPT TO:<support@portal.example>\r\n",
         "250 mx.test\r\n503 5.5.1 Error: need MAIL command\r\n");
  expect(f, "DATA\r\n", "503 5.5.1 Error: need MAIL command\r\n");
  expect(f, "MAIL FROM:<a@b.example>\r\nDATA\r\nMAIL FROM:<a@b.example>\r\n",
         "250 2.1.0 Ok\r\n503 5.5.1 Error: need RCPT command\r\n"
         "503 5.5.1 Error: nested MAIL command\r\n");
  fake_free(f);
}

static void test_vrfy_252_help_214_noop_rset_and_unknown_500(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  expect(f, "VRFY support\r\n",
         "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery\r\n");
  expect(f, "HELP\r\n", "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT\r\n");
  expect(f, "NOOP anything\r\nRSET\r\n", "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n");
  expect(f, "BDAT 10\r\nLHLO c\r\n",
         "500 5.5.1 Error: command not recognized\r\n500 5.5.1 Error: command not recognized\r\n");
  okno_smtp_session_feed(f->s, "NO\0OP\r\n", 7);
  assert_string_equal(f->out->str, "500 5.5.2 Error: invalid character in command\r\n");
  fake_free(f);
}

static void test_mail_and_rcpt_syntax(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  expect(f, "EHLO c\r\n", "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 2000\r\n250-8BITMIME\r\n"
                          "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n");
  expect(f, "MAIL FROM:a@b.example\r\n", "501 5.1.7 Bad sender address syntax\r\n");
  expect(f, "MAIL FROM:<a b@c>\r\n", "501 5.1.7 Bad sender address syntax\r\n");
  expect(f, "MAIL FROM:<@relay.example:a@b.example>\r\n", "250 2.1.0 Ok\r\n");
  expect(f, "RCPT TO:<>\r\nRCPT TO:<support@>\r\nRCPT TO:<support@portal.example> X=1\r\n",
         "501 5.1.3 Bad recipient address syntax\r\n501 5.1.3 Bad recipient address syntax\r\n"
         "555 5.5.4 Unsupported option: X\r\n");
  expect(f, "RCPT TO: <support@portal.example>\r\n", "250 2.1.5 Ok\r\n");
  expect(f, "RSET\r\nMAIL FROM:<иван@почта.рф>\r\n",
         "250 2.0.0 Ok\r\n553 5.6.7 Address needs SMTPUTF8\r\n");
  expect(f, "MAIL FROM:<иван@почта.рф> SMTPUTF8\r\n", "250 2.1.0 Ok\r\n");
  fake_free(f);
}

static void test_nul_bytes_and_long_lines_in_data_are_kept(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  g_autofree char *longline = g_strnfill(1500, 'x');
  g_autofree char *body = NULL;
  gsize n;
  const char *d;
  cfg->max_message_size = 4000;
  g_free(talk(f, ENVELOPE "DATA\r\n"));
  okno_smtp_session_feed(f->s, "a\0b\r\n", 5);
  g_free(talk(f, longline));
  expect(f, "\r\n.\r\n", "250 2.0.0 Ok: registered as 2026-000017\r\n");
  d = g_bytes_get_data(f->last_msg, &n);
  assert_memory_equal(d + n - 1507, "a\0b\r\n", 5);
  body = g_strndup(d + n - 1502, 1502);
  assert_int_equal(strspn(body, "x"), 1500);
  assert_string_equal(body + 1500, "\r\n");
  cfg->max_message_size = 2000;
  fake_free(f);
}

static void test_byte_by_byte_input_gives_the_same_dialogue(void **state)
{
  const char *in = ENVELOPE "DATA\r\nSubject: s\r\n\r\n..x\r\n.\r\nQUIT\r\n";
  Fake *a = fake_new(OKNO_PROTO_SMTP, FALSE), *b = fake_new(OKNO_PROTO_SMTP, FALSE);
  g_autofree char *whole = talk(a, in);
  g_autofree char *ma = NULL, *mb = NULL;
  for (const char *p = in; *p; p++)
    okno_smtp_session_feed(b->s, p, 1);
  assert_string_equal(b->out->str, whole);
  assert_string_equal(whole, ENVELOPE_REPLIES "354 End data with <CR><LF>.<CR><LF>\r\n"
                                              "250 2.0.0 Ok: registered as 2026-000017\r\n"
                                              "221 2.0.0 Bye\r\n");
  ma = msg_body(a);
  mb = msg_body(b);
  assert_string_equal(ma, mb);
  assert_string_equal(ma, "Subject: s\r\n\r\n.x\r\n");
  fake_free(a);
  fake_free(b);
}

/* SMTP smuggling (CVE-2023-51764 and kin): every end-of-data sequence that is not
 * <CR><LF>.<CR><LF> must leave the bytes after it inside the first message. The
 * "smuggled" envelope and message must never be delivered as a second message. */
static const char *const smuggling_variants[] = {
  "\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r.\r\n", "\r\n.\r", "\n.\r",
  "\r\n\0.\r\n" /* a NUL before the dot: handled below with its length */, "\r\n.\r\r\n",
  "\r\n .\r\n", "\r\n.\x20\r\n",
};

static void smuggle(OknoSmtpProto proto, const char *variant, gsize vlen)
{
  Fake *f = fake_new(proto, FALSE);
  const char *hello = proto == OKNO_PROTO_LMTP ? "LHLO" : "EHLO";
  g_autofree char *env = g_strdup_printf("%s client.example\r\nMAIL FROM:<citizen@mail.example>"
                                         "\r\nRCPT TO:<support@portal.example>\r\nDATA\r\n",
                                         hello);
  const char *forged = "MAIL FROM:<forged@portal.example>\r\n"
                       "RCPT TO:<support@portal.example>\r\nDATA\r\n"
                       "From: forged@portal.example\r\nSubject: forged\r\n\r\nsmuggled\r\n";
  g_autofree char *out = NULL;
  g_free(talk(f, env));
  okno_smtp_session_feed(f->s, "Subject: first\r\n\r\nbody", strlen("Subject: first\r\n\r\nbody"));
  okno_smtp_session_feed(f->s, variant, vlen);
  okno_smtp_session_feed(f->s, forged, strlen(forged));
  assert_int_equal(f->deliveries, 0); /* nothing ended yet */
  assert_true(okno_smtp_session_in_data(f->s));
  out = talk(f, ".\r\nQUIT\r\n");
  assert_int_equal(f->deliveries, 1);
  assert_string_equal(f->last_from, "citizen@mail.example");
  assert_string_equal(out, "250 2.0.0 Ok: registered as 2026-000017\r\n221 2.0.0 Bye\r\n");
  /* the forged commands are the first message's content (memmem: one variant has a NUL) */
  {
    gsize n;
    const char *d = g_bytes_get_data(f->last_msg, &n);
    assert_non_null(memmem(d, n, "MAIL FROM:<forged@portal.example>\r\n", 35));
    assert_non_null(memmem(d, n, "smuggled\r\n", 10));
  }
  fake_free(f);
}

static void test_smuggled_end_of_data_sequences_never_end_a_message(void **state)
{
  for (gsize i = 0; i < G_N_ELEMENTS(smuggling_variants); i++) {
    const char *v = smuggling_variants[i];
    gsize len = i == 7 ? 6 : strlen(v);
    smuggle(OKNO_PROTO_SMTP, v, len);
    smuggle(OKNO_PROTO_LMTP, v, len);
  }
}

static void test_smuggling_fed_byte_by_byte_is_the_same(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  const char *in = ENVELOPE "DATA\r\nSubject: a\r\n\r\nx\n.\nMAIL FROM:<z@y.example>\r\n.\r\n";
  g_autofree char *all = NULL;
  for (const char *p = in; *p; p++)
    okno_smtp_session_feed(f->s, p, 1);
  assert_int_equal(f->deliveries, 1);
  all = msg_body(f);
  assert_string_equal(all, "Subject: a\r\n\r\nx\r\n\r\nMAIL FROM:<z@y.example>\r\n");
  fake_free(f);
}

static void test_bare_lf_or_cr_in_a_command_is_500_5_5_2_and_the_session_ends(void **state)
{
  static const char *const lines[] = {
    "NOOP\n", "EHLO client.example\nMAIL FROM:<a@b.example>\r\n", "NOOP\rMAIL FROM:<a@b.example>\r\n",
    "RSET\r\r\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(lines); i++) {
    Fake *f = fake_new(i % 2 ? OKNO_PROTO_LMTP : OKNO_PROTO_SMTP, FALSE);
    expect(f, lines[i], "500 5.5.2 Error: bare <CR> or <LF> received, lines must end with <CR><LF>\r\n");
    assert_true(f->closed);
    assert_true(okno_smtp_session_closed(f->s));
    fake_free(f);
  }
  { /* a CR at the end of what has arrived may be the start of CRLF */
    Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
    expect(f, "NOOP\r", "");
    expect(f, "\n", "250 2.0.0 Ok\r\n");
    fake_free(f);
  }
}

static void test_a_large_message_is_spooled_to_a_file_and_delivered_whole(void **state)
{
  g_autofree char *dir = g_dir_make_tmp("okno-spool-XXXXXX", NULL);
  char *old_dir = cfg->spool_dir;
  gint64 old_threshold = cfg->spool_threshold;
  Fake *f;
  g_autofree char *body = NULL;
  cfg->spool_dir = dir;
  cfg->spool_threshold = 64; /* the Received: header alone is past it */
  f = fake_new(OKNO_PROTO_SMTP, FALSE);
  g_free(talk(f, ENVELOPE "DATA\r\n"));
  expect(f, "Subject: spooled\r\n\r\n..one\r\ntwo\r\n.\r\n", "250 2.0.0 Ok: registered as 2026-000017\r\n");
  body = msg_body(f);
  assert_string_equal(body, "Subject: spooled\r\n\r\n.one\r\ntwo\r\n");
  fake_free(f);
  /* a spool that cannot write: the message is answered 452 4.3.1, nothing delivered */
  cfg->spool_dir = (char *)"/nonexistent/okno-spool";
  f = fake_new(OKNO_PROTO_SMTP, FALSE);
  g_free(talk(f, ENVELOPE "DATA\r\n"));
  expect(f, "Subject: lost\r\n\r\nbody\r\n.\r\nNOOP\r\n",
         "452 4.3.1 Insufficient system storage, try again later\r\n250 2.0.0 Ok\r\n");
  assert_int_equal(f->deliveries, 0);
  fake_free(f);
  cfg->spool_dir = old_dir;
  cfg->spool_threshold = old_threshold;
  g_rmdir(dir);
}

static void test_lmtp_uses_lhlo_and_answers_once_per_recipient(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_LMTP, FALSE);
  g_autofree char *all = NULL;
  expect(f, "EHLO c\r\nHELO c\r\n",
         "500 5.5.1 Error: command not recognized\r\n500 5.5.1 Error: command not recognized\r\n");
  expect(f, "MAIL FROM:<a@b.example>\r\n", "503 5.5.1 Error: send LHLO first\r\n");
  expect(f, "LHLO mta.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<support@portal.example>\r\n"
            "RCPT TO:<nobody@portal.example>\r\nRCPT TO:<help@portal.example>\r\n"
            "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n",
         "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 2000\r\n250-8BITMIME\r\n"
         "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
         "550 5.1.1 <nobody@portal.example>: Recipient address rejected: no such mailbox "
         "here\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
         "250 2.0.0 Ok: registered as 2026-000017\r\n"
         "250 2.0.0 Ok: registered as 2026-000017\r\n");
  assert_int_equal(f->deliveries, 1); /* one message for both recipients */
  assert_int_equal(f->last_rcpts->len, 2);
  all = msg_text(f);
  assert_non_null(strstr(all, "with LMTP id"));
  fake_free(f);
}

/* Postfix's XFORWARD: with [lmtp] xforward the MTA's client address and HELO are what
 * the message is judged by, for one transaction; otherwise the command does not exist. */
static void test_lmtp_xforward_is_trusted_only_when_configured_and_lasts_one_transaction(void **state)
{
  static const char MSG[] = "MAIL FROM:<a@b.example>\r\nRCPT TO:<support@portal.example>\r\n"
                            "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n";
  Fake *off = fake_new(OKNO_PROTO_LMTP, FALSE), *f = NULL, *smtp = NULL;
  g_autofree char *hello = NULL, *all = NULL;
  expect(off, "LHLO mta.example\r\n",
         "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 2000\r\n250-8BITMIME\r\n"
         "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n");
  expect(off, "XFORWARD ADDR=203.0.113.9\r\n", "502 5.5.1 Error: XFORWARD is not offered here\r\n");
  fake_free(off);

  cfg->lmtp_xforward = TRUE;
  smtp = fake_new(OKNO_PROTO_SMTP, FALSE); /* never on SMTP */
  expect(smtp, "EHLO c\r\nXFORWARD ADDR=203.0.113.9\r\n",
         "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 2000\r\n250-8BITMIME\r\n"
         "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n"
         "500 5.5.1 Error: command not recognized\r\n");
  fake_free(smtp);
  f = fake_new(OKNO_PROTO_LMTP, FALSE);
  expect(f, "XFORWARD ADDR=203.0.113.9\r\n", "503 5.5.1 Error: XFORWARD only between LHLO and MAIL\r\n");
  hello = talk(f, "LHLO mta.example\r\n");
  assert_non_null(strstr(hello, "250 XFORWARD NAME ADDR PROTO HELO\r\n"));
  expect(f, "XFORWARD ADDR=not-an-ip\r\n", "501 5.5.4 Bad XFORWARD address\r\n");
  expect(f, "XFORWARD COLOR=blue\r\n", "501 5.5.4 Unknown XFORWARD attribute\r\n");
  expect(f, "XFORWARD HELO=bad+2\r\n", "501 5.5.4 Bad XFORWARD attribute\r\n");
  expect(f, "XFORWARD NAME=mail.sender.example ADDR=IPV6:2001:db8::5 PROTO=ESMTP\r\n"
            "XFORWARD HELO=mail+2Esender.example SOURCE=REMOTE IDENT=[UNAVAILABLE]\r\n",
         "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n");
  g_free(talk(f, MSG));
  assert_int_equal(f->deliveries, 1);
  assert_string_equal(f->last_client, "2001:db8::5");
  assert_string_equal(f->last_helo, "mail.sender.example");
  all = msg_text(f);
  assert_non_null(strstr(all, "Received: from mail.sender.example (2001:db8::5)"));
  assert_non_null(strstr(all, "(XFORWARD from 192.0.2.7)"));
  expect(f, "MAIL FROM:<a@b.example>\r\nXFORWARD ADDR=203.0.113.9\r\nRSET\r\n",
         "250 2.1.0 Ok\r\n503 5.5.1 Error: XFORWARD only between LHLO and MAIL\r\n250 2.0.0 Ok\r\n");
  g_free(talk(f, MSG)); /* the next transaction: the MTA's own address again */
  assert_int_equal(f->deliveries, 2);
  assert_string_equal(f->last_client, "192.0.2.7");
  assert_string_equal(f->last_helo, "mta.example");
  fake_free(f);
  cfg->lmtp_xforward = FALSE;
}

static void test_starttls_drops_buffered_input_and_resets_the_session(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, TRUE);
  g_free(talk(f, "EHLO c\r\n"));
  expect(f, "STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n", "220 2.0.0 Ready to start TLS\r\n");
  assert_int_equal(f->starttls_calls, 1);
  assert_false(okno_smtp_session_wants_input(f->s));
  okno_smtp_session_tls_started(f->s);
  assert_string_equal(f->out->str, ""); /* the injected MAIL was never answered */
  expect(f, "MAIL FROM:<a@b.example>\r\n", "503 5.5.1 Error: send HELO/EHLO first\r\n");
  expect(f, "EHLO c\r\n", "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 2000\r\n250-8BITMIME\r\n"
                          "250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n");
  expect(f, "STARTTLS\r\n", "503 5.5.1 Error: TLS already active\r\n");
  expect(f, "MAIL FROM:<a@b.example>\r\nRCPT TO:<support@portal.example>\r\nDATA\r\nx\r\n.\r\n",
         "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
         "250 2.0.0 Ok: registered as 2026-000017\r\n");
  {
    g_autofree char *all = msg_text(f);
    assert_non_null(strstr(all, "with ESMTPS id"));
  }
  fake_free(f);
}

static void test_timeout_in_data_is_421_4_4_2_and_nothing_is_delivered(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  g_free(talk(f, ENVELOPE "DATA\r\nSubject: half\r\n"));
  okno_smtp_session_timeout(f->s, NULL);
  assert_string_equal(f->out->str, "421 4.4.2 mx.test Error: timeout exceeded\r\n");
  assert_true(f->closed);
  assert_true(okno_smtp_session_closed(f->s));
  okno_smtp_session_feed(f->s, ".\r\n", 3); /* too late */
  assert_int_equal(f->deliveries, 0);
  fake_free(f);
}

static void test_shutdown_closes_idle_sessions_and_lets_a_message_finish(void **state)
{
  Fake *idle = fake_new(OKNO_PROTO_SMTP, FALSE), *busy = fake_new(OKNO_PROTO_SMTP, FALSE);
  g_free(talk(idle, "EHLO c\r\n"));
  okno_smtp_session_shutdown(idle->s, FALSE);
  assert_string_equal(idle->out->str,
                      "421 4.3.2 mx.test Service shutting down, closing transmission channel\r\n");
  assert_true(idle->closed);

  g_free(talk(busy, ENVELOPE "DATA\r\nSubject: s\r\n"));
  okno_smtp_session_shutdown(busy->s, FALSE);
  assert_false(busy->closed);
  expect(busy, "\r\nbody\r\n.\r\n", "250 2.0.0 Ok: registered as 2026-000017\r\n");
  assert_int_equal(busy->deliveries, 1);
  expect(busy, "QUIT\r\n", "221 2.0.0 Bye\r\n");
  assert_true(busy->closed);
  fake_free(idle);
  fake_free(busy);
}

static void test_forced_shutdown_answers_a_message_being_committed_then_closes(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  OknoIntakeResult r = {.number = (char *)"2026-000099"};
  f->hold = TRUE;
  g_free(talk(f, ENVELOPE "DATA\r\nx\r\n.\r\nNOOP\r\n"));
  okno_smtp_session_shutdown(f->s, TRUE);
  assert_string_equal(f->out->str, "");
  assert_false(f->closed);
  okno_smtp_session_delivered(f->s, &r, NULL);
  assert_string_equal(f->out->str,
                      "250 2.0.0 Ok: registered as 2026-000099\r\n"
                      "421 4.3.2 mx.test Service shutting down, closing transmission channel\r\n");
  assert_true(f->closed);
  fake_free(f);
}

static void test_forced_shutdown_drops_a_message_being_read(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  g_free(talk(f, ENVELOPE "DATA\r\nSubject: unfinished\r\n"));
  okno_smtp_session_shutdown(f->s, FALSE);
  assert_string_equal(f->out->str, "");
  okno_smtp_session_shutdown(f->s, TRUE);
  assert_string_equal(f->out->str,
                      "421 4.3.2 mx.test Service shutting down, closing transmission channel\r\n");
  okno_smtp_session_feed(f->s, ".\r\n", 3); /* fake_write asserts nothing comes */
  assert_int_equal(f->deliveries, 0);
  fake_free(f);
}

static void test_a_client_that_keeps_failing_is_dropped(void **state)
{
  Fake *f = fake_new(OKNO_PROTO_SMTP, FALSE);
  g_autofree char *out = NULL;
  g_autoptr(GString) in = g_string_new(NULL);
  for (int i = 0; i < 25; i++)
    g_string_append(in, "XYZZY\r\n");
  out = talk(f, in->str);
  assert_true(g_str_has_suffix(out, "500 5.5.1 Error: command not recognized\r\n"
                                    "421 4.7.0 mx.test Error: too many errors\r\n"));
  assert_true(f->closed);
  fake_free(f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_greeting_names_host_and_protocol),
    cmocka_unit_test(test_ehlo_lists_extensions_and_starttls_only_when_configured),
    cmocka_unit_test(test_message_is_unstuffed_crlf_normalised_and_has_received_header),
    cmocka_unit_test(test_reply_and_pipelined_commands_wait_for_the_durable_commit),
    cmocka_unit_test(test_temporary_failure_is_451_and_permanent_is_554_with_its_text),
    cmocka_unit_test(test_unknown_recipient_is_550_5_1_1_and_data_then_has_no_recipients),
    cmocka_unit_test(test_declared_size_over_the_limit_is_552_5_3_4),
    cmocka_unit_test(test_message_over_the_limit_is_read_to_the_end_then_552),
    cmocka_unit_test(test_command_line_too_long_is_500_5_5_2_and_skipped),
    cmocka_unit_test(test_recipients_past_max_recipients_get_452_4_5_3),
    cmocka_unit_test(test_commands_out_of_sequence_get_503_5_5_1),
    cmocka_unit_test(test_vrfy_252_help_214_noop_rset_and_unknown_500),
    cmocka_unit_test(test_mail_and_rcpt_syntax),
    cmocka_unit_test(test_nul_bytes_and_long_lines_in_data_are_kept),
    cmocka_unit_test(test_byte_by_byte_input_gives_the_same_dialogue),
    cmocka_unit_test(test_smuggled_end_of_data_sequences_never_end_a_message),
    cmocka_unit_test(test_smuggling_fed_byte_by_byte_is_the_same),
    cmocka_unit_test(test_bare_lf_or_cr_in_a_command_is_500_5_5_2_and_the_session_ends),
    cmocka_unit_test(test_a_large_message_is_spooled_to_a_file_and_delivered_whole),
    cmocka_unit_test(test_lmtp_uses_lhlo_and_answers_once_per_recipient),
    cmocka_unit_test(test_lmtp_xforward_is_trusted_only_when_configured_and_lasts_one_transaction),
    cmocka_unit_test(test_starttls_drops_buffered_input_and_resets_the_session),
    cmocka_unit_test(test_timeout_in_data_is_421_4_4_2_and_nothing_is_delivered),
    cmocka_unit_test(test_shutdown_closes_idle_sessions_and_lets_a_message_finish),
    cmocka_unit_test(test_forced_shutdown_answers_a_message_being_committed_then_closes),
    cmocka_unit_test(test_forced_shutdown_drops_a_message_being_read),
    cmocka_unit_test(test_a_client_that_keeps_failing_is_dropped),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
