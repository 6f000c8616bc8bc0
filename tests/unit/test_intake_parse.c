/* test_intake_parse.c: intake's first stage (intake/parse.h): bytes and envelope in, a
 * parsed record out, with no I/O. Each test states one thing the bytes alone decide. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "appeal/number.h"
#include "intake/parse.h"

#define T0 (G_GINT64_CONSTANT(1795000000) * G_USEC_PER_SEC)

static const char BODY[] =
  "Здравствуйте! Третий день не могу войти в личный кабинет: SMS с кодом "
  "подтверждения не приходит. Телефон 8 (912) 345-67-89.";

/* A plain UTF-8 message; `extra` goes among the headers (each ending in \r\n). */
static char *mail(const char *from, const char *subject, const char *extra, const char *body)
{
  return g_strdup_printf("From: %s\r\nTo: support@portal.example\r\nSubject: %s\r\n"
                         "Message-ID: <m1@example.ru>\r\n%sMIME-Version: 1.0\r\n"
                         "Content-Type: text/plain; charset=utf-8\r\n"
                         "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
                         from, subject, extra, body);
}

static OknoParsed *parse_env(const OknoConfig *cfg, const char *raw, const OknoEnvelope *env)
{
  g_autoptr(GBytes) b = g_bytes_new(raw, strlen(raw));
  return okno_parse(cfg, b, env, T0);
}

static OknoParsed *parse(const char *raw)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  OknoEnvelope env = {.channel = OKNO_CHANNEL_EMAIL, .mail_from = "<Ivan@Example.RU>"};
  return parse_env(cfg, raw, &env);
}

static void test_a_plain_appeal_gives_contact_description_phone_and_time(void **state)
{
  g_autofree char *raw = mail("Иван Петров <Ivan@Example.RU>", "Не приходит код", "", BODY);
  g_autoptr(OknoParsed) p = parse(raw);
  (void)state;
  assert_string_equal(p->contact, "ivan@example.ru");
  assert_string_equal(p->env_from, "ivan@example.ru");
  assert_string_equal(p->msg->from_name, "Иван Петров");
  assert_non_null(strstr(p->description, "не могу войти"));
  assert_string_equal(p->phone, "+79123456789");
  assert_int_equal(p->received_at, T0);
  assert_int_equal(p->env.channel, OKNO_CHANNEL_EMAIL);
  assert_string_equal(p->session_id, "-");
  assert_int_equal(p->env.kind, OKNO_KIND_SUPPORT);
  assert_string_equal(p->category, "");
  assert_null(p->no_autoreply);
  assert_null(p->quarantine);
  assert_null(p->subject_number);
  assert_false(p->repeated);
  assert_false(p->is_check);
  assert_int_equal(strlen(p->content_hash), 64);
  /* verify's fields stay empty */
  assert_null(p->auth);
  assert_null(p->phish);
  assert_int_equal(p->infected->len, 0);
}

static void test_content_hash_ignores_headers_but_not_the_text(void **state)
{
  g_autofree char *a = mail("ivan@example.ru", "Код", "", "Не приходит код");
  g_autofree char *b = mail("Другое Имя <other@example.ru>", "Код",
                            "In-Reply-To: <x@y>\r\n", "Не приходит код");
  g_autofree char *c = mail("ivan@example.ru", "Код", "", "Не приходит код!");
  g_autoptr(OknoParsed) pa = parse(a);
  g_autoptr(OknoParsed) pb = parse(b);
  g_autoptr(OknoParsed) pc = parse(c);
  (void)state;
  assert_string_equal(pa->content_hash, pb->content_hash);
  assert_string_not_equal(pa->content_hash, pc->content_hash);
}

static void test_an_empty_message_is_quarantined_and_answered_at_the_envelope_sender(void **state)
{
  g_autoptr(OknoParsed) p = parse("");
  (void)state;
  assert_string_equal(p->quarantine, "empty message");
  assert_string_equal(p->contact, "ivan@example.ru");
  assert_string_equal(p->description, "");
  assert_non_null(p->msg);
  assert_int_equal(g_bytes_get_size(p->raw), 0);
}

static void test_a_broken_budget_is_quarantined_not_refused(void **state)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  OknoEnvelope env = {0};
  const char *raw =
    "From: ivan@example.ru\r\nSubject: parts\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\none\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\ntwo\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nthree\r\n--b--\r\n";
  g_autoptr(OknoParsed) p = NULL;
  (void)state;
  cfg->max_mime_parts = 2;
  p = parse_env(cfg, raw, &env);
  assert_true(p->msg->budget_exceeded);
  assert_string_equal(p->quarantine, "parse budget exceeded");
  assert_int_equal(p->env.channel, OKNO_CHANNEL_EMAIL); /* no channel given: e-mail */
  assert_null(p->env_from);
}

static void test_a_valid_number_in_the_subject_marks_a_reply(void **state)
{
  g_autofree char *number = okno_number_format(2026, 42);
  g_autofree char *subj = g_strdup_printf("Re: Обращение № %s зарегистрировано", number);
  g_autofree char *raw = mail("ivan@example.ru", subj, "", "Спасибо, жду ответа по существу.");
  g_autoptr(OknoParsed) p = parse(raw);
  /* the same digits with a wrong check digit are not a number of ours */
  g_autofree char *bad = g_strdup(number);
  g_autofree char *bad_subj = NULL, *bad_raw = NULL;
  g_autoptr(OknoParsed) q = NULL;
  (void)state;
  assert_string_equal(p->subject_number, number);
  assert_false(p->repeated);
  bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
  bad_subj = g_strdup_printf("Re: Обращение № %s", bad);
  bad_raw = mail("ivan@example.ru", bad_subj, "", "Спасибо.");
  q = parse(bad_raw);
  assert_null(q->subject_number);
}

static void test_a_repeated_appeal_names_the_earlier_number_from_the_subject_or_text(void **state)
{
  g_autofree char *number = okno_number_format(2026, 7);
  g_autofree char *subj = g_strdup_printf("Повторное обращение по № %s", number);
  g_autofree char *in_subject = mail("ivan@example.ru", subj, "", "Ответа так и нет.");
  g_autofree char *text = g_strdup_printf("Это повторное обращение, первое было № %s.", number);
  g_autofree char *in_text = mail("ivan@example.ru", "Снова не работает вход", "", text);
  g_autofree char *unnamed = mail("ivan@example.ru", "Повторное обращение", "", "Ответа нет.");
  g_autoptr(OknoParsed) a = parse(in_subject);
  g_autoptr(OknoParsed) b = parse(in_text);
  g_autoptr(OknoParsed) c = parse(unnamed);
  (void)state;
  assert_true(a->repeated);
  assert_string_equal(a->earlier_number, number);
  assert_string_equal(a->subject_number, number);
  assert_true(b->repeated);
  assert_string_equal(b->earlier_number, number);
  assert_null(b->subject_number);
  /* «Повторное» without a number to link to is an ordinary appeal */
  assert_false(c->repeated);
  assert_null(c->earlier_number);
}

static void test_loop_rules_forbid_answering_robots_and_bounces(void **state)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  g_autofree char *auto_reply = mail("ivan@example.ru", "Я в отпуске",
                                     "Auto-Submitted: auto-replied\r\n", "Вернусь в понедельник.");
  g_autofree char *plain = mail("ivan@example.ru", "Код", "", BODY);
  OknoEnvelope bounce = {.mail_from = ""};
  g_autoptr(OknoParsed) a = parse(auto_reply);
  g_autoptr(OknoParsed) b = parse_env(cfg, plain, &bounce);
  (void)state;
  assert_non_null(a->no_autoreply);
  assert_non_null(b->no_autoreply);
  assert_string_equal(b->contact, "ivan@example.ru"); /* still registered, only not answered */
}

static void test_no_address_at_all_means_no_answer(void **state)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  OknoEnvelope env = {0};
  g_autoptr(OknoParsed) p = parse_env(cfg, "Subject: без отправителя\r\n\r\nТекст обращения.\r\n", &env);
  (void)state;
  assert_string_equal(p->contact, "");
  assert_string_equal(p->no_autoreply, "no address to answer");
}

/* The contact and where it came from, for a message with no envelope sender. */
static void assert_contact(const char *raw, const char *mail_from, const char *contact,
                           const char *source)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  OknoEnvelope env = {.channel = OKNO_CHANNEL_EMAIL, .mail_from = mail_from};
  g_autoptr(OknoParsed) p = parse_env(cfg, raw, &env);
  g_autofree char *meta = okno_parsed_meta_json(p);
  g_autofree char *want = g_strdup_printf("\"contact_source\":\"%s\"", source);
  assert_string_equal(p->contact, contact);
  assert_string_equal(p->contact_source, source);
  assert_non_null(strstr(meta, want));
  if (*contact && p->no_autoreply)
    fail_msg("%s: no answer: %s", source, p->no_autoreply);
}

static void test_the_sender_is_recovered_from_the_headers_then_the_envelope(void **state)
{
  static const char TAIL[] = "Subject: вопрос\r\n\r\nТекст обращения.\r\n";
  g_autofree char *from = g_strconcat("From: Petrov <Petrov@Mail.Example>\r\n"
                                      "Sender: s@mail.example\r\n", TAIL, NULL);
  /* a From without a domain: the next usable header */
  g_autofree char *nodomain = g_strconcat("From: Petrov (Пётр Петров)\r\n"
                                          "Sender: Пётр <petr@Mail.Example>\r\n", TAIL, NULL);
  g_autofree char *reply = g_strconcat("From: Petrov\r\nReply-To: <r@mail.example>\r\n"
                                       "Return-Path: <rp@mail.example>\r\n", TAIL, NULL);
  g_autofree char *rpath = g_strconcat("Return-Path: <rp@mail.example>\r\n", TAIL, NULL);
  g_autofree char *none = g_strconcat("From: petrov@localhost\r\n", TAIL, NULL);
  (void)state;
  assert_contact(from, "<env@mail.example>", "petrov@mail.example", "from");
  assert_contact(nodomain, "<env@mail.example>", "petr@mail.example", "sender");
  assert_contact(reply, "<env@mail.example>", "r@mail.example", "reply-to");
  assert_contact(rpath, "<env@mail.example>", "rp@mail.example", "return-path");
  assert_contact(none, "<Env@Mail.Example>", "env@mail.example", "envelope");
  /* never a null or bounce sender */
  assert_contact(none, "<>", "", "");
  assert_contact(none, "<MAILER-DAEMON@mail.example>", "", "");
  /* `okno submit` of a file with one stray line before its header (no envelope): the
   * header still names the sender */
  g_autofree char *stray = g_strconcat("Сообщение гражданина ниже\r\n", rpath, NULL);
  g_autofree char *blank = g_strconcat("\r\n", reply, NULL);
  assert_contact(stray, NULL, "rp@mail.example", "return-path");
  assert_contact(blank, NULL, "r@mail.example", "reply-to");
}

static gboolean has_defect(const OknoParsed *p, const char *text)
{
  for (guint i = 0; i < p->msg->defects->len; i++)
    if (strstr(p->msg->defects->pdata[i], text))
      return TRUE;
  return FALSE;
}

static void test_a_huge_subject_and_a_long_file_name_are_cut_with_a_defect(void **state)
{
  g_autofree char *word = g_strnfill(300000, 'x');
  g_autofree char *subject = g_strconcat("Я", word, NULL);
  g_autofree char *raw = mail("ivan@example.ru", subject, "", BODY);
  g_autofree char *name = g_strnfill(300, 'a');
  g_autofree char *withfile = g_strdup_printf(
      "From: ivan@example.ru\r\nSubject: файл\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\nТекст.\r\n--b\r\n"
      "Content-Type: application/pdf; name=\"%s.pdf\"\r\n"
      "Content-Disposition: attachment; filename=\"%s.pdf\"\r\n\r\n%%PDF-1.4\r\n--b--\r\n",
      name, name);
  g_autoptr(OknoParsed) p = parse(raw);
  g_autoptr(OknoParsed) f = parse(withfile);
  (void)state;
  assert_int_equal(g_utf8_strlen(p->msg->subject, -1), 998);
  assert_true(g_str_has_prefix(p->msg->subject, "Яxxx"));
  assert_true(has_defect(p, "subject over 998 characters cut"));
  assert_int_equal(f->msg->attachments->len, 1);
  assert_true(strlen(((OknoAttachment *)f->msg->attachments->pdata[0])->filename) <= 200);
  assert_true(has_defect(f, "file name over 200 bytes cut"));
  assert_false(has_defect(p, "file name"));
}

static void test_the_web_envelope_gives_category_phone_and_kind(void **state)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  OknoEnvelope env = {.channel = OKNO_CHANNEL_WEB, .session_id = "s1", .category = "technical",
                      .phone = "+79001112233", .kind = OKNO_KIND_FORMAL};
  g_autofree char *raw = mail("ivan@example.ru", "Код", "", BODY);
  g_autoptr(OknoParsed) p = parse_env(cfg, raw, &env);
  (void)state;
  assert_int_equal(p->env.channel, OKNO_CHANNEL_WEB);
  assert_string_equal(p->session_id, "s1");
  assert_string_equal(p->category, "technical");
  assert_string_equal(p->phone, "+79001112233"); /* the form's phone wins over the text's */
  assert_int_equal(p->env.kind, OKNO_KIND_FORMAL);
}

static void test_mail_only_to_the_check_address_is_a_check(void **state)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  const char *check_only[] = {"Check@Portal.Example", NULL};
  const char *both[] = {"check@portal.example", "support@portal.example", NULL};
  OknoEnvelope e1 = {.rcpt_to = check_only}, e2 = {.rcpt_to = both};
  g_autofree char *raw = mail("ivan@example.ru", "Это фишинг?", "", "Пересылаю письмо.");
  g_autoptr(OknoParsed) a = NULL;
  g_autoptr(OknoParsed) b = NULL;
  g_autoptr(OknoParsed) c = NULL;
  (void)state;
  g_free(cfg->check_address);
  cfg->check_address = g_strdup("check@portal.example");
  a = parse_env(cfg, raw, &e1);
  b = parse_env(cfg, raw, &e2);
  assert_true(a->is_check);
  assert_false(b->is_check);
  g_free(cfg->check_address);
  cfg->check_address = g_strdup("");
  c = parse_env(cfg, raw, &e1);
  assert_false(c->is_check);
}

static void test_attachments_are_judged_by_their_bytes(void **state)
{
  const char *raw =
    "From: ivan@example.ru\r\nSubject: скан\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПрикладываю скан паспорта.\r\n"
    "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=scan.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=\r\n--b--\r\n";
  g_autoptr(OknoParsed) p = parse(raw);
  (void)state;
  assert_int_equal(p->refusals->len, 1);
  assert_non_null(p->refusals->pdata[0]); /* an executable named .pdf */
  assert_non_null(strstr(p->refusals->pdata[0], "scan.pdf"));
  assert_int_equal(p->infected->len, 1);
  assert_null(p->infected->pdata[0]);
}

static void test_meta_json_records_envelope_identifiers_and_loop_verdict(void **state)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  const char *rcpt[] = {"support@portal.example", NULL};
  OknoEnvelope env = {.channel = OKNO_CHANNEL_EMAIL, .mail_from = "", .rcpt_to = rcpt,
                      .client_addr = "192.0.2.7", .helo = "mx.example.ru", .tls = TRUE};
  g_autofree char *raw = mail("ivan@example.ru", "Код", "", "ИНН 7707083894, СНИЛС 112-233-445 95");
  g_autoptr(OknoParsed) p = parse_env(cfg, raw, &env);
  g_autofree char *meta = okno_parsed_meta_json(p);
  (void)state;
  assert_non_null(strstr(meta, "\"envelope\":{\"mail_from\":\"\",\"rcpt_to\":[\"support@portal.example\"],"
                               "\"client\":\"192.0.2.7\",\"helo\":\"mx.example.ru\",\"session\":\"\",\"tls\":true}"));
  assert_non_null(strstr(meta, "{\"kind\":\"inn\",\"value\":\"7707083894\",\"valid\":false}"));
  assert_non_null(strstr(meta, "{\"kind\":\"snils\",\"value\":\"11223344595\",\"valid\":true}"));
  assert_non_null(strstr(meta, "\"no_autoreply\":"));
  assert_null(strstr(meta, "\"authentication\""));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_a_plain_appeal_gives_contact_description_phone_and_time),
    cmocka_unit_test(test_content_hash_ignores_headers_but_not_the_text),
    cmocka_unit_test(test_an_empty_message_is_quarantined_and_answered_at_the_envelope_sender),
    cmocka_unit_test(test_a_broken_budget_is_quarantined_not_refused),
    cmocka_unit_test(test_a_valid_number_in_the_subject_marks_a_reply),
    cmocka_unit_test(test_a_repeated_appeal_names_the_earlier_number_from_the_subject_or_text),
    cmocka_unit_test(test_loop_rules_forbid_answering_robots_and_bounces),
    cmocka_unit_test(test_no_address_at_all_means_no_answer),
    cmocka_unit_test(test_the_sender_is_recovered_from_the_headers_then_the_envelope),
    cmocka_unit_test(test_a_huge_subject_and_a_long_file_name_are_cut_with_a_defect),
    cmocka_unit_test(test_the_web_envelope_gives_category_phone_and_kind),
    cmocka_unit_test(test_mail_only_to_the_check_address_is_a_check),
    cmocka_unit_test(test_attachments_are_judged_by_their_bytes),
    cmocka_unit_test(test_meta_json_records_envelope_identifiers_and_loop_verdict),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
