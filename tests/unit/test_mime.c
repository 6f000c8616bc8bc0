/* test_mime.c: the specification of mime.h - each trap of real-world mail as an
 * inline message, with the record we must make of it written out by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "mail/mime.h"

#define HDR "Date: Mon, 23 Nov 2026 10:00:00 +0300\r\nTo: support@portal.example\r\nMIME-Version: 1.0\r\n"

static OknoMessage *parse_with(const char *raw, gsize len, const OknoMimeLimits *limits)
{
  OknoMessage *m = okno_mime_parse(raw, len, limits);
  assert_non_null(m);
  return m;
}

static OknoMessage *parse(const char *raw)
{
  return parse_with(raw, strlen(raw), NULL);
}

static const OknoAttachment *att(const OknoMessage *m, guint i)
{
  assert_true(i < m->attachments->len);
  return g_ptr_array_index(m->attachments, i);
}

static gboolean has_defect(const OknoMessage *m, const char *piece)
{
  for (guint i = 0; i < m->defects->len; i++)
    if (strstr(g_ptr_array_index(m->defects, i), piece))
      return TRUE;
  return FALSE;
}

static void encoded_words_split_mid_character_are_joined(void **state)
{
  /* "Привет, мир" split after 7 bytes (inside "и"), "Иван" split inside "И". */
  g_autoptr(OknoMessage) m = parse(HDR "From: =?utf-8?B?0Jg=?= =?utf-8?B?0LLQsNC9?= <ivan@Example.RU>\r\n"
                                       "Subject: =?UTF-8?B?0J/RgNC40A==?=\r\n =?utf-8?B?stC10YIsINC80LjRgA==?=\r\n"
                                       "\r\nТекст.\r\n");
  assert_string_equal(m->subject, "Привет, мир");
  assert_string_equal(m->from_name, "Иван");
  assert_string_equal(m->from_email, "ivan@example.ru");
  assert_string_equal(m->text, "Текст.");
}

static void encoded_word_without_end_is_still_decoded(void **state)
{
  g_autoptr(OknoMessage) m = parse(HDR "From: a@example.ru\r\nSubject: =?utf-8?B?0JbQsNC70L7QsdCw\r\n"
                                       "Cc: =?utf-8?Q?=D0=96?= x\r\n\r\nbody\r\n");
  assert_string_equal(m->subject, "Жалоба");
}

/* Mailers that break RFC 2047: spaces or a fold inside the encoded text, lower-case
 * "q" and hex digits. Each subject must come out as meant, with no "?=" or "=C3=A4"
 * left in it. */
static void broken_encoded_words_are_read_leniently(void **state)
{
  static const struct {
    const char *header, *subject;
  } cases[] = {
    {"=?utf-8?Q?=D0=96=D0=B0=D0=BB=D0=BE=D0=B1=D0=B0 =D0=BD=D0=B0 W=C3=A4rme?=", "Жалоба на Wärme"},
    {"=?UTF-8?q?=d0=96=d0=b0=d0=bb=d0=be=d0=b1=d0=b0?=", "Жалоба"},
    {"=?utf-8?B?0JbQsNC7 0L7QsdCw?=", "Жалоба"},
    {"=?utf-8?Q?=D0=96=D0=B0=D0=BB=D0=BE=D0=B1=D0=B0\r\n =D0=BD=D0=B0?=", "Жалоба на"},
    {"Re: =?utf-8?Q?a b?= =?utf-8?Q?c?= end", "Re: a bc end"},
    /* no "?=" closes it: the word ends at the space, as before */
    {"=?utf-8?B?0JbQsNC70L7QsdCw text", "Жалоба text"},
    /* a "=?" before any "?=": two words, the first unclosed */
    {"=?utf-8?Q?=D0=90 =?utf-8?Q?=D0=91?=", "АБ"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *raw = g_strdup_printf(HDR "From: a@example.ru\r\nSubject: %s\r\n\r\nb\r\n",
                                           cases[i].header);
    g_autoptr(OknoMessage) m = parse(raw);
    if (strcmp(m->subject, cases[i].subject) != 0)
      fail_msg("%s: got \"%s\", want \"%s\"", cases[i].header, m->subject, cases[i].subject);
  }
}

static void encoded_words_keep_space_to_plain_text_and_drop_it_between_words(void **state)
{
  g_autoptr(OknoMessage) m = parse(HDR "From: a@example.ru\r\n"
                                       "Subject: Re: =?utf-8?Q?=D0=90?= =?utf-8?Q?=D0=91?= end\r\n\r\nb\r\n");
  assert_string_equal(m->subject, "Re: АБ end");
}

static void encoded_display_name_cannot_smuggle_an_address(void **state)
{
  /* The decoded name holds specials: "Иванов, Иван" and "<boss@gov.example>". It
   * stays the display name; the address is the one outside the encoded-word. */
  g_autoptr(OknoMessage) comma = parse(HDR "From: =?utf-8?Q?=D0=98=D0=B2=D0=B0=D0=BD=D0=BE=D0=B2,_=D0=98=D0=B2=D0=B0=D0=BD?="
                                           " <ivanov@example.ru>\r\nSubject: s\r\n\r\nb\r\n");
  g_autoptr(OknoMessage) spoof = parse(HDR "From: =?utf-8?Q?boss@gov.example_<boss@gov.example>,?= <x@evil.example>\r\n"
                                           "Subject: s\r\n\r\nb\r\n");
  assert_string_equal(comma->from_name, "Иванов, Иван");
  assert_string_equal(comma->from_email, "ivanov@example.ru");
  assert_string_equal(spoof->from_email, "x@evil.example");
  assert_string_equal(spoof->from_name, "boss@gov.example <boss@gov.example>,");
}

static void raw_8bit_cp1251_headers_and_body_are_guessed(void **state)
{
  /* "Пётр" and "Вопрос о льготах" in windows-1251, no charset anywhere. */
  g_autoptr(OknoMessage) m = parse(HDR "From: \xCF\xB8\xF2\xF0 <petr@example.ru>\r\n"
                                       "Subject: \xC2\xEE\xEF\xF0\xEE\xF1 \xEE \xEB\xFC\xE3\xEE\xF2\xE0\xF5\r\n"
                                       "Content-Type: text/plain\r\n\r\n\xCF\xF0\xEE\xF8\xF3 \xEF\xEE\xEC\xEE\xF7\xFC.\r\n");
  assert_string_equal(m->from_name, "Пётр");
  assert_string_equal(m->from_email, "petr@example.ru");
  assert_string_equal(m->subject, "Вопрос о льготах");
  assert_string_equal(m->text, "Прошу помочь.");
  assert_true(has_defect(m, "8-bit"));
}

static void koi8r_body_without_charset_is_guessed(void **state)
{
  /* "Здравствуйте" in KOI8-R */
  g_autoptr(OknoMessage) m = parse(HDR "From: a@example.ru\r\nSubject: k\r\n\r\n"
                                       "\xFA\xC4\xD2\xC1\xD7\xD3\xD4\xD7\xD5\xCA\xD4\xC5\r\n");
  assert_string_equal(m->text, "Здравствуйте");
}

static void declared_cyrillic_charsets_are_decoded_and_mixed_parts_concatenated(void **state)
{
  /* "Привет" in KOI8-R, windows-1251 and ISO-8859-5, one text part each. */
  g_autoptr(OknoMessage) m = parse(HDR "From: a@example.ru\r\nSubject: s\r\n"
                                       "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                                       "--b\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n\xF0\xD2\xC9\xD7\xC5\xD4\r\n"
                                       "--b\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\n\xCF\xF0\xE8\xE2\xE5\xF2\r\n"
                                       "--b\r\nContent-Type: text/plain; charset=iso-8859-5\r\n\r\n\xBF\xE0\xD8\xD2\xD5\xE2\r\n"
                                       "--b--\r\n");
  assert_string_equal(m->text, "Привет\nПривет\nПривет");
  assert_int_equal(m->attachments->len, 0);
  assert_string_equal(m->content_type, "multipart/mixed");
}

static void gb2312_label_holding_utf8_is_read_as_utf8(void **state)
{
  g_autoptr(OknoMessage) m = parse(HDR "From: a@example.ru\r\nSubject: =?gb2312?B?0JfQsNGP0LLQu9C10L3QuNC1?=\r\n"
                                       "Content-Type: text/plain; charset=\"gb2312\"\r\n\r\n"
                                       "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82\r\n");
  assert_string_equal(m->subject, "Заявление");
  assert_string_equal(m->text, "Привет");
}

static void windows_1258_and_made_up_labels(void **state)
{
  g_autoptr(OknoMessage) viet = parse(HDR "From: a@example.vn\r\nSubject: =?windows-1258?Q?Xin_ch=E0o?=\r\n"
                                          "Content-Type: text/plain; charset=windows-1258\r\n\r\nt\xF4i\r\n");
  g_autoptr(OknoMessage) madeup = parse(HDR "From: a@example.ru\r\nSubject: =?x-made-up-2000?Q?=D1=EF=F0=E0=E2=EA=E0?=\r\n"
                                            "Content-Type: text/plain; charset=\"x-made-up-2000\"\r\n\r\n\xCF\xF0\xE8\xE2\xE5\xF2\r\n");
  assert_string_equal(viet->subject, "Xin chào");
  assert_string_equal(viet->text, "tôi");
  assert_string_equal(madeup->subject, "Справка");
  assert_string_equal(madeup->text, "Привет");
}

static void plain_is_preferred_in_alternative_and_html_only_is_converted(void **state)
{
  g_autoptr(OknoMessage) alt = parse(HDR "From: a@example.ru\r\nSubject: s\r\n"
                                         "Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
                                         "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПростой\r\n"
                                         "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML</p>\r\n--b--\r\n");
  g_autoptr(OknoMessage) empty_plain = parse(HDR "From: a@example.ru\r\nSubject: s\r\n"
                                                 "Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
                                                 "--b\r\nContent-Type: text/plain\r\n\r\n\r\n"
                                                 "--b\r\nContent-Type: text/html\r\n\r\n<p>Only &amp; here</p>\r\n--b--\r\n");
  g_autoptr(OknoMessage) html = parse(HDR "From: a@example.ru\r\nSubject: s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                                          "<html><head><script>alert(1)</script></head><body><p>Добрый день</p>"
                                          "<ul><li>раз</li></ul></body></html>\r\n");
  assert_string_equal(alt->text, "Простой");
  assert_false(alt->text_from_html);
  assert_string_equal(empty_plain->text, "Only & here");
  assert_true(empty_plain->text_from_html);
  assert_string_equal(html->text, "Добрый день\n- раз");
  assert_true(html->text_from_html);
  assert_int_equal(html->attachments->len, 0);
}

static void filenames_are_decoded_and_sanitised(void **state)
{
  g_autoptr(OknoMessage) m = parse(
    HDR "From: a@example.ru\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nсм.\r\n"
    "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
    " filename*=utf-8''%D0%97%D0%B0%D1%8F%D0%B2%D0%BB%D0%B5%D0%BD%D0%B8%D0%B5.pdf\r\n\r\n%PDF-1.4\r\n"
    "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment;\r\n"
    " filename*0*=utf-8''%D0%9F%FF;\r\n filename*1*=.txt\r\n\r\nabc\r\n"
    "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"../../etc/pass\x01wd\"\r\n\r\nx\r\n"
    "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"a\xE2\x80\xAEgpj.exe\"\r\n\r\nx\r\n"
    "--b\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n\r\nnot really\r\n"
    "--b--\r\n");
  assert_int_equal(m->attachments->len, 5);
  assert_string_equal(att(m, 0)->filename, "Заявление.pdf");
  assert_string_equal(att(m, 0)->declared_type, "application/pdf");
  assert_string_equal(att(m, 1)->filename, "П\xEF\xBF\xBD.txt");
  assert_string_equal(att(m, 2)->filename, "passwd");
  assert_string_equal(att(m, 3)->filename, "agpj.exe");
  assert_string_equal(att(m, 4)->filename, "attachment-5.png");
  assert_true(att(m, 4)->inline_part);
  assert_false(att(m, 0)->inline_part);
  assert_string_equal(m->text, "см.");
}

static void attachment_type_comes_from_the_bytes(void **state)
{
  /* A 1x1 PNG declared with a broken Content-Type. */
  g_autoptr(OknoMessage) m = parse(
    HDR "From: a@example.ru\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
    "--b\r\nContent-Type: image/; name=\"photo.png\"\r\nContent-Disposition: attachment; filename=\"photo.png\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==\r\n--b--\r\n");
  assert_string_equal(att(m, 0)->filename, "photo.png");
  assert_string_equal(att(m, 0)->declared_type, "image/");
  assert_string_equal(att(m, 0)->content_type, "image/png");
  assert_int_equal(att(m, 0)->size, 70);
}

static void winmail_dat_is_kept_as_tnef(void **state)
{
  g_autoptr(OknoMessage) m = parse(
    HDR "From: a@example.ru\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nSee attachment.\r\n"
    "--b\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Disposition: attachment; filename=\"winmail.dat\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\neJ8+IgEAAQaQCAAEAAAAAAABAAEAAQeQBgAIAAAA5AQAAAAAAADoAA==\r\n--b--\r\n");
  assert_int_equal(m->attachments->len, 1);
  assert_string_equal(att(m, 0)->filename, "winmail.dat");
  assert_string_equal(att(m, 0)->declared_type, "application/ms-tnef");
  assert_string_equal(att(m, 0)->content_type, "application/vnd.ms-tnef");
  assert_int_equal(att(m, 0)->size, 40);
}

static void zero_byte_attachment_has_the_empty_hash(void **state)
{
  g_autoptr(OknoMessage) m = parse(
    HDR "From: a@example.ru\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nt\r\n"
    "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"empty.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n\r\n--b--\r\n");
  assert_int_equal(att(m, 0)->size, 0);
  assert_string_equal(att(m, 0)->sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert_int_equal(g_bytes_get_size(att(m, 0)->data), 0);
}

static void nul_bytes_and_bare_lf_are_tolerated(void **state)
{
  const char raw[] = "From: \"Unix, User\" <u@example.ru>\nSubject: lf\nContent-Type: multipart/mixed; boundary=b\n\n"
                     "--b\nContent-Type: text/plain; charset=utf-8\n\nНул\0ь\nвторая\n"
                     "--b\nContent-Type: text/csv; name=d.csv\nContent-Disposition: attachment; filename=d.csv\n\na;b\n--b--\n";
  g_autoptr(OknoMessage) m = parse_with(raw, sizeof raw - 1, NULL);
  assert_string_equal(m->from_name, "Unix, User");
  assert_string_equal(m->text, "Нуль\nвторая");
  assert_string_equal(att(m, 0)->filename, "d.csv");
  assert_string_equal(att(m, 0)->declared_type, "text/csv");
  assert_int_equal(att(m, 0)->size, 3);
}

static void forwarded_message_is_an_attachment_and_its_text_is_read(void **state)
{
  g_autoptr(OknoMessage) m = parse(
    HDR "From: a@example.ru\r\nSubject: Fwd\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПересылаю.\r\n"
    "--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: agency@gov.example\r\nSubject: inner\r\n\r\nОтвет ведомства.\r\n--b--\r\n");
  assert_int_equal(m->attachments->len, 1);
  assert_string_equal(att(m, 0)->filename, "message.eml");
  assert_string_equal(att(m, 0)->declared_type, "message/rfc822");
  assert_string_equal(m->text, "Пересылаю.\nОтвет ведомства.");
  assert_string_equal(m->subject, "Fwd");
}

static void nesting_beyond_max_depth_stops_the_walk(void **state)
{
  g_autoptr(GString) raw = g_string_new(HDR "From: a@example.ru\r\nSubject: deep\r\n"
                                            "Content-Type: multipart/mixed; boundary=\"d0\"\r\n\r\n");
  for (int i = 1; i < 50; i++)
    g_string_append_printf(raw, "--d%d\r\nContent-Type: multipart/mixed; boundary=\"d%d\"\r\n\r\n", i - 1, i);
  g_string_append(raw, "--d49\r\nContent-Type: text/plain\r\n\r\nbottom\r\n");
  for (int i = 49; i >= 0; i--)
    g_string_append_printf(raw, "--d%d--\r\n", i);
  {
    g_autoptr(OknoMessage) m = parse(raw->str);
    OknoMimeLimits deep;
    okno_mime_limits_default(&deep);
    deep.max_depth = 100;
    assert_true(m->budget_exceeded);
    assert_true(has_defect(m, "nesting deeper than 20"));
    assert_string_equal(m->text, "");
    assert_string_equal(m->subject, "deep");
    {
      g_autoptr(OknoMessage) all = parse_with(raw->str, raw->len, &deep);
      assert_false(all->budget_exceeded);
      assert_string_equal(all->text, "bottom");
    }
  }
}

static void parts_memory_and_time_budgets_stop_the_walk(void **state)
{
  const char *raw = HDR "From: a@example.ru\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                        "--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b\r\nContent-Type: text/plain\r\n\r\ntwo\r\n"
                        "--b\r\nContent-Type: text/plain\r\n\r\nthree\r\n--b--\r\n";
  OknoMimeLimits l;
  okno_mime_limits_default(&l);
  l.max_parts = 3; /* the multipart and two leaves */
  {
    g_autoptr(OknoMessage) m = parse_with(raw, strlen(raw), &l);
    assert_true(m->budget_exceeded);
    assert_string_equal(m->text, "one\ntwo");
  }
  okno_mime_limits_default(&l);
  l.memory_budget = 4; /* "one" fits (the CRLF before a boundary is the boundary's), "two" not */
  {
    g_autoptr(OknoMessage) m = parse_with(raw, strlen(raw), &l);
    assert_true(m->budget_exceeded);
    assert_true(has_defect(m, "memory budget"));
    assert_string_equal(m->text, "one");
  }
  okno_mime_limits_default(&l);
  l.time_budget_ms = 0;
  {
    g_autoptr(OknoMessage) m = parse_with(raw, strlen(raw), &l);
    assert_true(m->budget_exceeded);
    assert_string_equal(m->subject, "s");
  }
}

static void identity_and_loop_headers_are_read(void **state)
{
  g_autoptr(OknoMessage) m = parse(
    "From: MAILER-DAEMON@Mail.Example.RU\r\nReply-To: \"Help\" <help@example.ru>\r\n"
    "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\nMessage-ID: <abc@example.ru>\r\n"
    "In-Reply-To: <26-000123-7@portal.example>\r\nReferences: <one@x> <two@y>\r\n <three@z>\r\n"
    "Subject: Undelivered\r\nAuto-Submitted: auto-replied\r\nPrecedence: bulk\r\n"
    "List-Id: <news.example.ru>\r\nList-Unsubscribe: <mailto:u@example.ru>\r\nX-Autoreply: yes\r\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nbounce\r\n--b--\r\n");
  assert_string_equal(m->from_email, "MAILER-DAEMON@mail.example.ru");
  assert_string_equal(m->reply_to_email, "help@example.ru");
  assert_string_equal(m->date, "1997-11-21T09:55:06-06:00");
  assert_string_equal(m->message_id, "abc@example.ru");
  assert_string_equal(m->in_reply_to, "26-000123-7@portal.example");
  assert_non_null(m->references);
  assert_string_equal(m->references[0], "one@x");
  assert_string_equal(m->references[1], "two@y");
  assert_string_equal(m->references[2], "three@z");
  assert_null(m->references[3]);
  assert_string_equal(m->auto_submitted, "auto-replied");
  assert_string_equal(m->precedence, "bulk");
  assert_string_equal(m->list_id, "<news.example.ru>");
  assert_true(m->has_list_headers);
  assert_string_equal(m->x_autoreply, "yes");
  assert_string_equal(m->content_type, "multipart/report");
}

static void absent_headers_are_empty_strings(void **state)
{
  g_autoptr(OknoMessage) m = parse("Subject: only\r\n\r\nbody\r\n");
  assert_string_equal(m->from_email, "");
  assert_string_equal(m->from_name, "");
  assert_string_equal(m->date, "");
  assert_string_equal(m->message_id, "");
  assert_string_equal(m->in_reply_to, "");
  assert_null(m->references[0]);
  assert_false(m->has_list_headers);
  assert_string_equal(m->content_type, "text/plain");
  assert_string_equal(m->text, "body");
}

static void empty_input_is_null_and_garbage_still_gives_a_record(void **state)
{
  const char junk[] = "\x00\xFF\xFE<<>>\r\n\r\n--\r\n=?x?Q?";
  assert_null(okno_mime_parse("", 0, NULL));
  {
    g_autoptr(OknoMessage) m = parse_with(junk, sizeof junk - 1, NULL);
    assert_true(g_utf8_validate(m->text, -1, NULL));
    assert_true(g_utf8_validate(m->subject, -1, NULL));
  }
}

static gpointer parse_attachments_repeatedly(gpointer data)
{
  const char *raw = data;
  for (int i = 0; i < 20; i++) {
    g_autoptr(OknoMessage) m = okno_mime_parse(raw, strlen(raw), NULL);
    if (!m || m->attachments->len != 1 ||
        strcmp(((OknoAttachment *)g_ptr_array_index(m->attachments, 0))->content_type, "image/png") != 0)
      return GINT_TO_POINTER(1);
  }
  return GINT_TO_POINTER(0);
}

static void parsing_is_safe_from_several_threads(void **state)
{
  static const char raw[] =
    HDR "From: a@example.ru\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
    "--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"p.png\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==\r\n--b--\r\n";
  GThread *threads[4];
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("parse", parse_attachments_repeatedly, (gpointer)raw);
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    assert_int_equal(GPOINTER_TO_INT(g_thread_join(threads[i])), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(encoded_words_split_mid_character_are_joined),
    cmocka_unit_test(encoded_word_without_end_is_still_decoded),
    cmocka_unit_test(broken_encoded_words_are_read_leniently),
    cmocka_unit_test(encoded_words_keep_space_to_plain_text_and_drop_it_between_words),
    cmocka_unit_test(encoded_display_name_cannot_smuggle_an_address),
    cmocka_unit_test(raw_8bit_cp1251_headers_and_body_are_guessed),
    cmocka_unit_test(koi8r_body_without_charset_is_guessed),
    cmocka_unit_test(declared_cyrillic_charsets_are_decoded_and_mixed_parts_concatenated),
    cmocka_unit_test(gb2312_label_holding_utf8_is_read_as_utf8),
    cmocka_unit_test(windows_1258_and_made_up_labels),
    cmocka_unit_test(plain_is_preferred_in_alternative_and_html_only_is_converted),
    cmocka_unit_test(filenames_are_decoded_and_sanitised),
    cmocka_unit_test(attachment_type_comes_from_the_bytes),
    cmocka_unit_test(winmail_dat_is_kept_as_tnef),
    cmocka_unit_test(zero_byte_attachment_has_the_empty_hash),
    cmocka_unit_test(nul_bytes_and_bare_lf_are_tolerated),
    cmocka_unit_test(forwarded_message_is_an_attachment_and_its_text_is_read),
    cmocka_unit_test(nesting_beyond_max_depth_stops_the_walk),
    cmocka_unit_test(parts_memory_and_time_budgets_stop_the_walk),
    cmocka_unit_test(identity_and_loop_headers_are_read),
    cmocka_unit_test(absent_headers_are_empty_strings),
    cmocka_unit_test(empty_input_is_null_and_garbage_still_gives_a_record),
    cmocka_unit_test(parsing_is_safe_from_several_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
