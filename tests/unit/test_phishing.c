/* test_phishing.c: the specification of okno's phishing check (check/phishing.h).
 *
 * Every test writes a message by hand (raw RFC 5322 text, decoded by the real MIME
 * parser), runs the check with a portal that owns gosuslugi.ru and госуслуги.рф and
 * whose own host is mx.okno.test, and states which reason codes must (and must not)
 * come out, and the verdict. One signal per test, starting from an ordinary letter. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "check/phishing.h"

static OknoConfig *cfg;

#define AR_PASS "Authentication-Results: mx.okno.test; spf=pass smtp.mailfrom=gosuslugi.ru;" \
                " dkim=pass header.d=gosuslugi.ru; dmarc=pass header.from=gosuslugi.ru\n"
#define FROM_PORTAL "From: =?UTF-8?B?0JPQvtGB0YPRgdC70YPQs9C4?= <no-reply@gosuslugi.ru>\n"
#define FROM_CITIZEN "From: Anna Petrova <anna@mail.example>\n"

static OknoPhishResult *check_raw(const char *raw, gsize len)
{
  OknoMimeLimits limits;
  OknoMessage *msg;
  OknoPhishResult *r;
  okno_mime_limits_default(&limits);
  msg = okno_mime_parse(raw, len, &limits);
  assert_non_null(msg);
  r = okno_phishing_check(msg, raw, len, cfg);
  okno_message_free(msg);
  return r;
}

/* Headers (each ending in \n), then a text/plain UTF-8 body. */
static OknoPhishResult *check_letter(const char *headers, const char *body)
{
  g_autofree char *raw = g_strdup_printf("%sTo: ivan@mail.example\nSubject: =?UTF-8?B?0KPQstC10LTQvtC80LvQtdC90LjQtQ==?=\n"
                                         "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                                         "Content-Transfer-Encoding: 8bit\n\n%s\n", headers, body);
  return check_raw(raw, strlen(raw));
}

static OknoPhishResult *check_html(const char *headers, const char *html)
{
  g_autofree char *raw = g_strdup_printf("%sTo: ivan@mail.example\nSubject: test\nMIME-Version: 1.0\n"
                                         "Content-Type: text/html; charset=utf-8\n\n%s\n", headers, html);
  return check_raw(raw, strlen(raw));
}

/* A citizen's short letter with one attachment: `disposition_name` is the raw
 * filename parameter (e.g. "a.exe" or "*=UTF-8''%E2%80%AE..."). */
static OknoPhishResult *check_attachment(const char *filename_param, const void *data, gsize len,
                                         const char *type)
{
  g_autofree char *b64 = g_base64_encode(data, len);
  g_autofree char *raw = g_strdup_printf(
    FROM_CITIZEN "To: ivan@mail.example\nSubject: docs\nMIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n"
    "Документы во вложении.\n--b1\nContent-Type: %s\nContent-Disposition: attachment; filename%s\n"
    "Content-Transfer-Encoding: base64\n\n%s\n--b1--\n", type, filename_param, b64);
  return check_raw(raw, strlen(raw));
}

static void assert_has(const OknoPhishResult *r, const char *code)
{
  const OknoPhishReason *x = okno_phish_find(r, code);
  if (!x) {
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < r->reasons->len; i++)
      g_string_append_printf(s, " %s", ((OknoPhishReason *)g_ptr_array_index(r->reasons, i))->code);
    fail_msg("expected reason %s, got:%s", code, s->str);
  }
  assert_true(g_utf8_validate(x->text, -1, NULL));
  assert_true(strlen(x->text) > 20);
}

static void assert_lacks(const OknoPhishResult *r, const char *code)
{
  if (okno_phish_find(r, code))
    fail_msg("unexpected reason %s: %s", code, okno_phish_find(r, code)->text);
}

static int setup(void **state)
{
  cfg = okno_config_new_default();
  g_strfreev(cfg->portal_domains);
  cfg->portal_domains = g_strsplit("gosuslugi.ru;госуслуги.рф", ";", -1);
  g_free(cfg->hostname);
  cfg->hostname = g_strdup("mx.okno.test");
  g_free(cfg->portal_name);
  cfg->portal_name = g_strdup("Госуслуги");
  return 0;
}

static int teardown(void **state)
{
  okno_config_free(cfg);
  return 0;
}

/* --- sender and authentication --- */

static void test_genuine_portal_letter_is_clean_and_verified(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(AR_PASS FROM_PORTAL,
    "Вы записаны к врачу 18.11.2026. Отменить: https://www.gosuslugi.ru/600204/form");
  assert_int_equal(r->verdict, OKNO_VERDICT_CLEAN);
  assert_int_equal(r->portal_sender, OKNO_PORTAL_SENDER_VERIFIED);
  assert_int_equal(r->score, 0);
  assert_int_equal(r->reasons->len, 1);
  assert_has(r, "portal_verified");
}

static void test_aligned_dkim_pass_verifies_a_portal_subdomain(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(
    "Authentication-Results: mx.okno.test; dkim=pass header.d=gosuslugi.ru\n"
    "From: <esia@esia.gosuslugi.ru>\n", "Изменён номер телефона.");
  assert_int_equal(r->portal_sender, OKNO_PORTAL_SENDER_VERIFIED);
}

static void test_dkim_pass_for_another_domain_does_not_verify(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(
    "Authentication-Results: mx.okno.test; spf=pass; dkim=pass header.d=mailer.example\n"
    FROM_PORTAL, "Изменён номер телефона.");
  assert_int_equal(r->portal_sender, OKNO_PORTAL_SENDER_UNVERIFIED);
  assert_has(r, "auth_not_verified");
  assert_int_equal(r->verdict, OKNO_VERDICT_SUSPICIOUS);
}

static void test_dmarc_fail_on_the_portal_domain_is_dangerous(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(
    "Authentication-Results: mx.okno.test; spf=fail; dmarc=fail (p=reject) header.from=gosuslugi.ru\n"
    FROM_PORTAL, "Изменён номер телефона.");
  assert_has(r, "auth_dmarc_fail");
  assert_int_equal(r->portal_sender, OKNO_PORTAL_SENDER_UNVERIFIED);
  assert_int_equal(r->verdict, OKNO_VERDICT_DANGEROUS);
}

static void test_results_from_a_foreign_host_are_not_believed(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(
    "Authentication-Results: mx.evil.example; dmarc=pass header.from=gosuslugi.ru\n"
    FROM_PORTAL, "Изменён номер телефона.");
  assert_int_equal(r->portal_sender, OKNO_PORTAL_SENDER_UNVERIFIED);
  assert_has(r, "auth_missing");
  assert_lacks(r, "portal_verified");
}

static void test_only_the_topmost_results_of_our_host_count(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(
    "Authentication-Results: mx.okno.test; dmarc=fail header.from=gosuslugi.ru\n"
    "Authentication-Results: mx.okno.test; dmarc=pass header.from=gosuslugi.ru\n"
    FROM_PORTAL, "Текст.");
  assert_has(r, "auth_dmarc_fail");
}

static void test_comments_and_folding_in_results_are_read_through(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(
    "Authentication-Results: MX.OKNO.TEST (okno 0.1);\n\tspf=pass (sender ok) smtp.mailfrom=gosuslugi.ru;\n"
    "\tdmarc=pass (p=reject dis=none) header.from=gosuslugi.ru\n" FROM_PORTAL, "Текст.");
  assert_int_equal(r->portal_sender, OKNO_PORTAL_SENDER_VERIFIED);
}

static void test_dmarc_pass_for_another_from_domain_does_not_verify(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(
    "Authentication-Results: mx.okno.test; dmarc=pass header.from=mailer.example\n" FROM_PORTAL, "Текст.");
  assert_int_equal(r->portal_sender, OKNO_PORTAL_SENDER_UNVERIFIED);
}

static void test_a_letter_not_claiming_the_portal_has_no_portal_sender(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(FROM_CITIZEN, "Ваня, записалась в МФЦ на четверг.");
  assert_int_equal(r->portal_sender, OKNO_PORTAL_SENDER_NO);
  assert_int_equal(r->verdict, OKNO_VERDICT_CLEAN);
  assert_int_equal(r->reasons->len, 0);
}

static void test_a_lookalike_sender_domain_is_dangerous(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter("From: <noreply@gosuslugl.ru>\n", "Текст.");
  assert_has(r, "sender_lookalike");
  assert_int_equal(r->portal_sender, OKNO_PORTAL_SENDER_UNVERIFIED);
  assert_int_equal(r->verdict, OKNO_VERDICT_DANGEROUS);
}

static void test_a_display_name_naming_the_portal_from_elsewhere(void **state)
{
  /* «Гоcуслуги» with a Latin c is still the portal's name */
  g_autoptr(OknoPhishResult) r = check_letter("From: =?UTF-8?B?0JPQvmPRg9GB0LvRg9Cz0Lg=?= <robot@mailer.example>\n",
                                              "Текст.");
  assert_has(r, "display_name_claims_portal");
  assert_int_equal(r->portal_sender, OKNO_PORTAL_SENDER_UNVERIFIED);
  assert_int_equal(r->verdict, OKNO_VERDICT_SUSPICIOUS);
}

static void test_reply_to_a_lookalike_is_dangerous(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(FROM_CITIZEN "Reply-To: <help@gosuslugi-help.example>\n", "Текст.");
  assert_has(r, "reply_to_lookalike");
  assert_int_equal(r->verdict, OKNO_VERDICT_DANGEROUS);
}

static void test_reply_to_another_domain_is_noted(void **state)
{
  g_autoptr(OknoPhishResult) plain = check_letter(FROM_CITIZEN "Reply-To: <anna@work.example>\n", "Текст.");
  g_autoptr(OknoPhishResult) same = check_letter(FROM_CITIZEN "Reply-To: <a@box.mail.example>\n", "Текст.");
  g_autoptr(OknoPhishResult) portal = check_letter(FROM_PORTAL "Reply-To: <vozvrat@mail-box.example>\n", "Текст.");
  assert_has(plain, "reply_to_differs");
  assert_int_equal(okno_phish_find(plain, "reply_to_differs")->weight, 3);
  assert_int_equal(plain->verdict, OKNO_VERDICT_CLEAN);
  assert_lacks(same, "reply_to_differs");
  assert_int_equal(okno_phish_find(portal, "reply_to_differs")->weight, 6);
  assert_int_equal(portal->verdict, OKNO_VERDICT_SUSPICIOUS);
}

static void test_return_path_lookalike_is_dangerous(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter("Return-Path: <bounce@gosusiugi.ru>\n" FROM_CITIZEN, "Текст.");
  g_autoptr(OknoPhishResult) ok = check_letter("Return-Path: <bounce@esp.example>\n" FROM_CITIZEN, "Текст.");
  assert_has(r, "return_path_lookalike");
  assert_int_equal(ok->reasons->len, 0);
}

static void test_broken_punycode_in_the_sender_is_reported(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter("From: <help@xn--zzzz-.example>\n", "Текст.");
  assert_has(r, "domain_invalid_idn");
  assert_int_equal(r->verdict, OKNO_VERDICT_SUSPICIOUS);
}

/* --- links --- */

static void test_links_to_the_portal_only_give_no_reason(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(AR_PASS FROM_PORTAL,
    "https://www.gosuslugi.ru/pay?id=5 (https://lk.gosuslugi.ru/x) www.gosuslugi.ru/help https://госуслуги.рф/");
  assert_int_equal(r->reasons->len, 1);
  assert_has(r, "portal_verified");
}

static void test_shown_link_text_differing_from_the_target(void **state)
{
  g_autoptr(OknoPhishResult) r = check_html(FROM_CITIZEN,
    "<p>Подробнее: <a href=\"https://posobie-info.example/form\">https://www.gosuslugi.ru/posobie</a></p>");
  g_autoptr(OknoPhishResult) same = check_html(FROM_CITIZEN,
    "<p><a href=\"https://click.shop.example/c/1\">shop.example</a></p>");
  assert_has(r, "link_text_mismatch");
  assert_int_equal(okno_phish_find(r, "link_text_mismatch")->weight, 10);
  assert_int_equal(r->verdict, OKNO_VERDICT_DANGEROUS);
  assert_lacks(same, "link_text_mismatch");
}

static void test_a_link_to_a_lookalike_host(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(FROM_CITIZEN, "Вход: https://gosuslugi.ru.secure-login.example/auth");
  assert_has(r, "link_lookalike");
}

static void test_url_shorteners_hide_the_target(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(FROM_CITIZEN, "График: https://clck.ru/3Fq9sZ.");
  assert_has(r, "link_shortener");
  assert_int_equal(r->verdict, OKNO_VERDICT_SUSPICIOUS);
}

static void test_ip_literal_hosts(void **state)
{
  g_autoptr(OknoPhishResult) v4 = check_letter(FROM_CITIZEN, "http://203.0.113.45/unlock");
  g_autoptr(OknoPhishResult) v6 = check_letter(FROM_CITIZEN, "http://[2001:db8::1]:8080/x");
  g_autoptr(OknoPhishResult) dec = check_letter(FROM_CITIZEN, "http://3405803821/x");
  assert_has(v4, "link_ip_literal");
  assert_has(v6, "link_ip_literal");
  g_autoptr(OknoPhishResult) hex = check_letter(FROM_CITIZEN, "http://0xcb.0x0.0x71.0x2d/x");
  g_autoptr(OknoPhishResult) name = check_letter(FROM_CITIZEN, "https://0xford.example/ https://2gis.example/");
  assert_has(dec, "link_ip_literal");
  assert_has(hex, "link_ip_literal");
  assert_lacks(name, "link_ip_literal");
}

static void test_at_sign_in_the_authority(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(FROM_CITIZEN, "https://www.gosuslugi.ru@secure-auth.example/login");
  assert_has(r, "link_userinfo");
  assert_lacks(r, "link_open_redirect");
}

static void test_portal_url_redirecting_elsewhere(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(FROM_CITIZEN,
    "https://www.gosuslugi.ru/api/redirect?to=https%3A%2F%2Fevil.example%2F");
  g_autoptr(OknoPhishResult) plain = check_letter(FROM_CITIZEN, "https://www.gosuslugi.ru/api/find?q=passport");
  assert_has(r, "link_open_redirect");
  assert_lacks(plain, "link_open_redirect");
}

static void test_links_of_a_dropped_html_rendering_are_read(void **state)
{
  const char *raw =
    FROM_CITIZEN "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"a\"\n\n"
    "--a\nContent-Type: text/plain; charset=utf-8\n\nВойдите: https://www.gosuslugi.ru/\n"
    "--a\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    /* <p><a href="https://gosuslugi-lk.example/">https://www.gosuslugi.ru/</a></p> */
    "PHA+PGEgaHJlZj0iaHR0cHM6Ly9nb3N1c2x1Z2ktbGsuZXhhbXBsZS8iPmh0dHBzOi8vd3d3Lmdvc3VzbHVn\n"
    "aS5ydS88L2E+PC9wPg==\n--a--\n";
  g_autoptr(OknoPhishResult) r = check_raw(raw, strlen(raw));
  assert_has(r, "link_lookalike");
  assert_has(r, "link_text_mismatch");
  assert_int_equal(r->verdict, OKNO_VERDICT_DANGEROUS);
}

static void test_portal_letters_linking_outside_the_portal(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(FROM_PORTAL, "Оплатить: https://pay-fines.example/");
  g_autoptr(OknoPhishResult) citizen = check_letter(FROM_CITIZEN, "Смотри: https://pay-fines.example/");
  assert_has(r, "link_outside_portal");
  assert_lacks(citizen, "link_outside_portal");
}

/* --- attachments --- */

/* An MS-DOS/PE header as libmagic knows it (e_lfanew at offset 60). */
static const guint8 mz[64] = {'M', 'Z', 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff, 0, 0, [60] = 0x80};

static void test_executables_by_name(void **state)
{
  static const char *const names[] = {
    "=\"setup.exe\"", "=\"a.scr\"", "=\"run.js\"", "=\"x.vbs\"", "=\"go.bat\"", "=\"go.cmd\"",
    "=\"p.ps1\"", "=\"app.jar\"", "=\"link.lnk\"", "=\"page.hta\"", "=\"disk.iso\"",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autoptr(OknoPhishResult) r = check_attachment(names[i], "hello", 5, "application/octet-stream");
    assert_has(r, "attachment_executable");
    assert_int_equal(r->verdict, OKNO_VERDICT_DANGEROUS);
  }
}

static void test_executables_by_content_whatever_the_name(void **state)
{
  g_autoptr(OknoPhishResult) r = check_attachment("=\"scan.pdf\"", mz, sizeof mz, "application/pdf");
  assert_has(r, "attachment_executable");
  assert_lacks(r, "attachment_double_extension");
}

static void test_double_extensions(void **state)
{
  /* справка.pdf.exe, RFC 2231 encoded */
  g_autoptr(OknoPhishResult) r = check_attachment(
    "*=UTF-8''%D1%81%D0%BF%D1%80%D0%B0%D0%B2%D0%BA%D0%B0.pdf.exe", mz, sizeof mz,
    "application/octet-stream");
  assert_has(r, "attachment_double_extension");
  assert_non_null(strstr(okno_phish_find(r, "attachment_double_extension")->text, "справка.pdf.exe"));
}

static void test_right_to_left_override_in_a_name(void **state)
{
  /* "Квитанция" U+202E "xcod.exe": shown as «Квитанцияexe.docx» */
  g_autoptr(OknoPhishResult) r = check_attachment(
    "*=UTF-8''%D0%9A%D0%B2%D0%B8%D1%82%D0%B0%D0%BD%D1%86%D0%B8%D1%8F%E2%80%AExcod.exe", "x", 1,
    "application/octet-stream");
  g_autoptr(OknoPhishResult) plain = check_attachment("=\"invoice.exe\"", "x", 1, "application/octet-stream");
  assert_has(r, "attachment_rlo");
  assert_lacks(plain, "attachment_rlo");
}

/* A minimal ZIP: one stored member with a central directory record; `encrypted` sets
 * general purpose flag bit 0. */
static GByteArray *zip_member(const char *name, gboolean encrypted)
{
  GByteArray *z = g_byte_array_new();
  guint16 n = (guint16)strlen(name);
  guint8 local[30] = {'P', 'K', 3, 4, 20};
  guint8 central[46] = {'P', 'K', 1, 2, 20, 0, 20};
  guint8 end[22] = {'P', 'K', 5, 6};
  local[26] = (guint8)n;
  central[28] = (guint8)n;
  local[6] = central[8] = encrypted ? 1 : 0;
  g_byte_array_append(z, local, sizeof local);
  g_byte_array_append(z, (const guint8 *)name, n);
  g_byte_array_append(z, central, sizeof central);
  g_byte_array_append(z, (const guint8 *)name, n);
  end[8] = end[10] = 1;
  g_byte_array_append(z, end, sizeof end);
  return z;
}

static GByteArray *zip_one(const char *name)
{
  return zip_member(name, FALSE);
}

static void test_macro_documents(void **state)
{
  g_autoptr(GByteArray) z = zip_one("word/vbaProject.bin");
  g_autoptr(OknoPhishResult) by_name = check_attachment("=\"report.xlsm\"", "x", 1, "application/octet-stream");
  g_autoptr(OknoPhishResult) by_content = check_attachment("=\"report.docx\"", z->data, z->len,
                                                           "application/octet-stream");
  assert_has(by_name, "attachment_macro");
  assert_has(by_content, "attachment_macro");
  assert_int_equal(by_name->verdict, OKNO_VERDICT_SUSPICIOUS);
}

static void test_archives_are_named_and_looked_into(void **state)
{
  g_autoptr(GByteArray) photos = zip_one("IMG_0001.jpg");
  g_autoptr(GByteArray) script = zip_one("docs/invoice.pdf.js");
  g_autoptr(OknoPhishResult) r = check_attachment("=\"photos.zip\"", photos->data, photos->len, "application/zip");
  g_autoptr(OknoPhishResult) s = check_attachment("=\"invoice.zip\"", script->data, script->len, "application/zip");
  g_autoptr(OknoPhishResult) rar = check_attachment("=\"a.rar\"", "Rar!\x1a\x07\x00", 7, "application/x-rar");
  assert_has(r, "attachment_archive");
  assert_lacks(r, "attachment_executable");
  assert_int_equal(r->verdict, OKNO_VERDICT_CLEAN);
  assert_has(s, "attachment_executable");
  assert_non_null(strstr(okno_phish_find(s, "attachment_executable")->text, "invoice.pdf.js"));
  assert_has(rar, "attachment_archive");
  assert_lacks(r, "attachment_encrypted_archive");
}

static void test_password_protected_archives(void **state)
{
  g_autoptr(GByteArray) z = zip_member("Требование.pdf", TRUE);
  g_autoptr(OknoPhishResult) r = check_attachment("=\"doc.zip\"", z->data, z->len, "application/zip");
  assert_has(r, "attachment_archive");
  assert_has(r, "attachment_encrypted_archive");
  assert_int_equal(r->verdict, OKNO_VERDICT_SUSPICIOUS);
}

static void test_office_documents_are_not_archives(void **state)
{
  g_autoptr(GByteArray) z = zip_one("word/document.xml");
  g_autoptr(OknoPhishResult) r = check_attachment("=\"report.docx\"", z->data, z->len, "application/zip");
  assert_int_equal(r->reasons->len, 0);
}

/* --- words --- */

static void test_password_requests(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(FROM_CITIZEN, "Для проверки УКАЖИТЕ ЛОГИН И ПАРОЛЬ в ответном письме.");
  g_autoptr(OknoPhishResult) advice = check_letter(FROM_CITIZEN, "Никому не сообщайте пароль и не вводите его на чужих сайтах.");
  assert_has(r, "asks_password");
  assert_int_equal(r->verdict, OKNO_VERDICT_SUSPICIOUS);
  assert_lacks(advice, "asks_password");
}

static void test_sms_code_requests_but_not_the_advice_to_keep_them(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(FROM_CITIZEN, "Перейдите по ссылке и введите код из СМС.");
  g_autoptr(OknoPhishResult) advice = check_letter(FROM_CITIZEN,
    "Код подтверждения: 482913. Никому не сообщайте этот код.");
  g_autoptr(OknoPhishResult) negated = check_letter(FROM_CITIZEN, "Не сообщите код из СМС никому.");
  assert_has(r, "asks_code");
  assert_lacks(advice, "asks_code");
  assert_lacks(negated, "asks_code");
}

static void test_card_data_requests(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(FROM_CITIZEN, "Для зачисления выплаты сообщите номер карты и CVV.");
  assert_has(r, "asks_card");
}

static void test_account_confirmation_with_yo_read_as_ye(void **state)
{
  g_autoptr(OknoPhishResult) yo = check_letter(FROM_CITIZEN, "Подтвердите учётную запись.");
  g_autoptr(OknoPhishResult) ye = check_letter(FROM_CITIZEN, "ПОДТВЕРДИТЕ   УЧЕТНУЮ\nЗАПИСЬ.");
  assert_has(yo, "asks_confirm_account");
  assert_has(ye, "asks_confirm_account");
}

static void test_urgency_and_threats(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(FROM_CITIZEN,
    "Ваш аккаунт будет заблокирован, если не ответите в течение 24 часов.");
  g_autoptr(OknoPhishResult) fine = check_letter(FROM_CITIZEN, "Вам выписан штраф.");
  assert_has(r, "urgency");
  assert_non_null(strstr(okno_phish_find(r, "urgency")->text, "в течение 24 час"));
  assert_has(r, "threat");
  assert_non_null(strstr(okno_phish_find(r, "threat")->text, "будет заблокирован"));
  assert_int_equal(r->verdict, OKNO_VERDICT_SUSPICIOUS);
  assert_has(fine, "threat");
  assert_int_equal(fine->verdict, OKNO_VERDICT_CLEAN);
}

static void test_a_credential_request_with_a_link_outside_the_portal_is_dangerous(void **state)
{
  g_autoptr(OknoPhishResult) r = check_letter(FROM_CITIZEN, "Введите пароль на странице https://update-esia.example/");
  g_autoptr(OknoPhishResult) portal = check_letter(FROM_CITIZEN, "Введите пароль на странице https://www.gosuslugi.ru/");
  assert_has(r, "credentials_and_external_link");
  assert_int_equal(r->verdict, OKNO_VERDICT_DANGEROUS);
  assert_lacks(portal, "credentials_and_external_link");
}

/* --- bad input --- */

static void test_ten_thousand_headers_give_a_result(void **state)
{
  GString *raw = g_string_new(NULL);
  g_autoptr(OknoPhishResult) r = NULL;
  for (int i = 0; i < 10000; i++)
    g_string_append_printf(raw, "X-Junk-%d: value %d\n", i, i);
  g_string_append(raw, "Return-Path: <b@gosusiugi.ru>\nFrom: <noreply@gosuslugl.ru>\nSubject: x\n\nТекст.\n");
  r = check_raw(raw->str, raw->len);
  assert_has(r, "return_path_lookalike");
  assert_int_equal(r->verdict, OKNO_VERDICT_DANGEROUS);
  g_string_free(raw, TRUE);
}

static void test_huge_lines_give_a_result(void **state)
{
  GString *raw = g_string_new(FROM_CITIZEN "Subject: x\nAuthentication-Results: mx.okno.test; ");
  g_autoptr(OknoPhishResult) r = NULL;
  for (int i = 0; i < 200000; i++)
    g_string_append(raw, "dkim=pass ");
  g_string_append(raw, "\n\n");
  for (int i = 0; i < 200000; i++)
    g_string_append(raw, "пароль https://a.example/ ");
  g_string_append(raw, "\n");
  r = check_raw(raw->str, raw->len);
  assert_true(r->verdict == OKNO_VERDICT_DANGEROUS || r->verdict == OKNO_VERDICT_SUSPICIOUS ||
              r->verdict == OKNO_VERDICT_CLEAN);
  g_string_free(raw, TRUE);
}

static void test_no_raw_bytes_still_checks_the_record(void **state)
{
  const char *raw = "From: <noreply@gosuslugl.ru>\nSubject: x\n\nТекст.\n";
  OknoMimeLimits limits;
  g_autoptr(OknoMessage) msg = NULL;
  g_autoptr(OknoPhishResult) r = NULL;
  okno_mime_limits_default(&limits);
  msg = okno_mime_parse(raw, strlen(raw), &limits);
  r = okno_phishing_check(msg, NULL, 0, cfg);
  assert_has(r, "sender_lookalike");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_genuine_portal_letter_is_clean_and_verified),
    cmocka_unit_test(test_aligned_dkim_pass_verifies_a_portal_subdomain),
    cmocka_unit_test(test_dkim_pass_for_another_domain_does_not_verify),
    cmocka_unit_test(test_dmarc_fail_on_the_portal_domain_is_dangerous),
    cmocka_unit_test(test_results_from_a_foreign_host_are_not_believed),
    cmocka_unit_test(test_only_the_topmost_results_of_our_host_count),
    cmocka_unit_test(test_comments_and_folding_in_results_are_read_through),
    cmocka_unit_test(test_dmarc_pass_for_another_from_domain_does_not_verify),
    cmocka_unit_test(test_a_letter_not_claiming_the_portal_has_no_portal_sender),
    cmocka_unit_test(test_a_lookalike_sender_domain_is_dangerous),
    cmocka_unit_test(test_a_display_name_naming_the_portal_from_elsewhere),
    cmocka_unit_test(test_reply_to_a_lookalike_is_dangerous),
    cmocka_unit_test(test_reply_to_another_domain_is_noted),
    cmocka_unit_test(test_return_path_lookalike_is_dangerous),
    cmocka_unit_test(test_broken_punycode_in_the_sender_is_reported),
    cmocka_unit_test(test_links_to_the_portal_only_give_no_reason),
    cmocka_unit_test(test_shown_link_text_differing_from_the_target),
    cmocka_unit_test(test_a_link_to_a_lookalike_host),
    cmocka_unit_test(test_url_shorteners_hide_the_target),
    cmocka_unit_test(test_ip_literal_hosts),
    cmocka_unit_test(test_at_sign_in_the_authority),
    cmocka_unit_test(test_portal_url_redirecting_elsewhere),
    cmocka_unit_test(test_links_of_a_dropped_html_rendering_are_read),
    cmocka_unit_test(test_portal_letters_linking_outside_the_portal),
    cmocka_unit_test(test_executables_by_name),
    cmocka_unit_test(test_executables_by_content_whatever_the_name),
    cmocka_unit_test(test_double_extensions),
    cmocka_unit_test(test_right_to_left_override_in_a_name),
    cmocka_unit_test(test_macro_documents),
    cmocka_unit_test(test_archives_are_named_and_looked_into),
    cmocka_unit_test(test_password_protected_archives),
    cmocka_unit_test(test_office_documents_are_not_archives),
    cmocka_unit_test(test_password_requests),
    cmocka_unit_test(test_sms_code_requests_but_not_the_advice_to_keep_them),
    cmocka_unit_test(test_card_data_requests),
    cmocka_unit_test(test_account_confirmation_with_yo_read_as_ye),
    cmocka_unit_test(test_urgency_and_threats),
    cmocka_unit_test(test_a_credential_request_with_a_link_outside_the_portal_is_dangerous),
    cmocka_unit_test(test_ten_thousand_headers_give_a_result),
    cmocka_unit_test(test_huge_lines_give_a_result),
    cmocka_unit_test(test_no_raw_bytes_still_checks_the_record),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
