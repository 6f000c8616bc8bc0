/* test_validate.c: the specification of what counts as an appeal's description and
 * which attachments are kept (intake/validate.h).
 *
 * Description tests use the reply and signature forms real mail clients produce
 * (Gmail, Outlook, Yandex, Mail.ru, Thunderbird, Apple Mail, in Russian and English).
 * Attachment tests build real files in memory (a DOCX zip written here byte by byte,
 * PDF, PNG, JPEG, TNEF, EXE headers), ask the system's libmagic what they are, as
 * mime.c does, and then ask the policy. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <magic.h>
#include <string.h>

#include "intake/validate.h"

#define assert_description(text, expected)                                      \
  do {                                                                          \
    g_autofree char *got_ = okno_description_text(text);                        \
    if (strcmp(got_, (expected)) != 0)                                          \
      fail_msg("expected:\n[%s]\ngot:\n[%s]", (const char *)(expected), got_);  \
  } while (0)

#define BODY "Не могу войти в личный кабинет: после ввода кода страница\nпустая."

/* ---- description: what is kept ---- */

static void plain_text_is_kept_as_it_is(void **state)
{
  assert_description(BODY, BODY);
}

/* Greetings and closings are matched in any case, Cyrillic included (lowercased byte
 * by byte for Russian letters, through GLib for any other letter). */
static void greetings_and_closings_match_in_any_case(void **state)
{
  (void)state;
  assert_description("ЗДРАВСТВУЙТЕ, УВАЖАЕМАЯ СЛУЖБА!\n" BODY "\nС УВАЖЕНИЕМ, ЁЖИКОВ Ё.Ё.", BODY);
  assert_description("Добрый День!\n" BODY "\nСпАсИбО", BODY);
  /* a closing with too long a rest is prose, whatever the letters around it */
  assert_description(BODY "\nСПАСИБО ЗА ОТВЕТ, НО ВОПРОС ТАК И НЕ РЕШЁН ДО СИХ ПОР, ЁЛКИ",
                     BODY "\nСПАСИБО ЗА ОТВЕТ, НО ВОПРОС ТАК И НЕ РЕШЁН ДО СИХ ПОР, ЁЛКИ");
  /* Ѣ and ΣΑΣ are not Russian letters of the fast path; they are lowercased all the same
   * (not a greeting: "здравствуйтеѣ" is one word) */
  assert_description("ЗДРАВСТВУЙТЕѢ\n" BODY, "ЗДРАВСТВУЙТЕѢ\n" BODY);
  assert_description("Ѣ ΣΑΣ\n" BODY "\nС уважением", "Ѣ ΣΑΣ\n" BODY);
}

static void white_space_is_tidied(void **state)
{
  assert_description("\n\n   \n" "Первая строка.   \r\n\r\n\r\n\r\nВторая строка.\t\n\n\n",
                     "Первая строка.\n\nВторая строка.");
  assert_description("   \n\t\n", "");
  assert_description("", "");
}

static void prose_that_merely_looks_like_a_header_is_kept(void **state)
{
  /* "написал:" in prose without a time, "От:" without Outlook's block */
  assert_description("Я подал заявление и\nнаписал:\nпрошу вернуть деньги.",
                     "Я подал заявление и\nнаписал:\nпрошу вернуть деньги.");
  assert_description("От: Иванова И.И.\nДата: вчера\nПрошу помочь.",
                     "От: Иванова И.И.\nДата: вчера\nПрошу помочь.");
  assert_description("Спасибо, но вход в кабинет так и не работает уже неделю.",
                     "Спасибо, но вход в кабинет так и не работает уже неделю.");
}

/* ---- quoted text and reply headers ---- */

static void quoted_lines_are_removed(void **state)
{
  assert_description(BODY "\n> старое письмо\n>> ещё старее\n  > с отступом",
                     BODY);
}

static void text_written_below_a_quote_is_kept(void **state)
{
  assert_description("On Mon, 23 Nov 2026 at 16:35, Support <support@portal.example> wrote:\n"
                     "> Опишите, пожалуйста, проблему.\n"
                     "\n" BODY,
                     BODY);
}

static void gmail_english_attribution(void **state)
{
  assert_description(BODY "\n\nOn Mon, Nov 23, 2026 at 4:35 PM Support <support@portal.example> wrote:\n"
                     "> Здравствуйте!\n> Ваше обращение зарегистрировано.\n",
                     BODY);
}

static void gmail_attribution_wrapped_over_two_lines(void **state)
{
  assert_description(BODY "\n\nOn Mon, Nov 23, 2026 at 4:35 PM Служба поддержки портала <\n"
                     "support@portal.example> wrote:\n\n> Здравствуйте!\n",
                     BODY);
}

static void gmail_russian_attribution(void **state)
{
  assert_description(BODY "\n\nпн, 23 нояб. 2026 г. в 16:35, Служба поддержки <support@portal.example>:\n"
                     "> Ваше обращение зарегистрировано.\n",
                     BODY);
}

static void outlook_english_original_message(void **state)
{
  assert_description(BODY "\n\n-----Original Message-----\nFrom: Support <support@portal.example>\n"
                     "Sent: Monday, November 23, 2026 4:35 PM\nTo: Ivan\nSubject: Обращение\n\n"
                     "Ваше обращение зарегистрировано.\n",
                     BODY);
}

static void outlook_russian_original_message(void **state)
{
  assert_description(BODY "\n\n-----Исходное сообщение-----\nОт: Служба поддержки\n"
                     "Отправлено: 23 ноября 2026 г. 16:35\nКому: Иван\nТема: Обращение\n\n"
                     "Ваше обращение зарегистрировано.\n",
                     BODY);
}

static void outlook_underline_then_header_block(void **state)
{
  assert_description(BODY "\n\n________________________________\nОт: Служба поддержки <support@portal.example>\n"
                     "Отправлено: 23 ноября 2026 г. 16:35\nКому: Иван\nТема: Обращение\n\n"
                     "Ваше обращение зарегистрировано.\n",
                     BODY);
  assert_description(BODY "\n\n________________________________\nFrom: Support\n"
                     "Sent: Monday, November 23, 2026 4:35 PM\nTo: Ivan\nSubject: Re\n\ntext\n",
                     BODY);
}

static void outlook_header_block_without_a_separator(void **state)
{
  assert_description(BODY "\n\n*From:* Support <support@portal.example>\n*Sent:* Monday, November 23, "
                     "2026 4:35 PM\n*To:* Ivan\n*Subject:* Re: Обращение\n\nold text\n",
                     BODY);
}

static void separator_with_short_dashes(void **state)
{
  assert_description(BODY "\n--- Исходное сообщение ---\nстарый текст\n", BODY);
}

static void yandex_attribution(void **state)
{
  assert_description(BODY "\n\n23.11.2026, 16:35, \"Служба поддержки\" <support@portal.example>:\n"
                     "Ваше обращение зарегистрировано.\n",
                     BODY);
}

static void mailru_attribution(void **state)
{
  assert_description(BODY "\n\nПонедельник, 23 ноября 2026, 16:35 +03:00 от Служба поддержки "
                     "<support@portal.example>:\nВаше обращение зарегистрировано.\n",
                     BODY);
  assert_description(BODY "\n\nMonday, 23 November 2026, 16:35 +03:00 from support@portal.example:\n"
                     ">Ваше обращение зарегистрировано.\n",
                     BODY);
}

static void thunderbird_attribution(void **state)
{
  assert_description(BODY "\n\n23.11.2026 16:35, Служба поддержки пишет:\n> Ваше обращение.\n",
                     BODY);
  assert_description(BODY "\n\nOn 23.11.2026 16:35, Support wrote:\n> Your appeal.\n", BODY);
  /* an old Thunderbird form without a date, followed by the quote */
  assert_description(BODY "\n\nSupport wrote:\n> Your appeal.\n", BODY);
}

static void apple_mail_attribution(void **state)
{
  assert_description(BODY "\n\n> 23 нояб. 2026 г., в 16:35, Служба поддержки <support@portal.example> "
                     "написал(а):\n>\n> Ваше обращение зарегистрировано.\n",
                     BODY);
  assert_description(BODY "\n\nOn 23 Nov 2026, at 16:35, Support <support@portal.example> wrote:\n\n"
                     "> Your appeal.\n",
                     BODY);
}

static void a_forwarded_letter_is_kept(void **state)
{
  const char *text = "Пересылаю письмо, которое пришло мне.\n\n"
                     "---------- Forwarded message ---------\n"
                     "From: Bank <info@bank.example>\nDate: Mon, 23 Nov 2026 at 16:35\n"
                     "Subject: Блокировка\nTo: <ivan@mail.example>\n\n"
                     "Ваш счёт заблокирован.";
  assert_description(text, text);
}

/* ---- signatures ---- */

static void dash_dash_space_separator(void **state)
{
  assert_description(BODY "\n-- \nИван Петров\n+7 912 345-67-89\n", BODY);
  assert_description(BODY "\n--\nИван Петров\n", BODY);
}

static void mobile_signatures(void **state)
{
  assert_description(BODY "\n\nОтправлено с iPhone", BODY);
  assert_description(BODY "\n\nSent from my iPhone", BODY);
  assert_description(BODY "\n\nОтправлено из мобильной Почты Mail.ru", BODY);
  assert_description(BODY "\n\nGet Outlook for Android", BODY);
  assert_description(BODY "\n\nОтправлено из мобильной Яндекс Почты\n\n23.11.2026, 16:35, "
                     "\"Support\" <support@portal.example>:\nстарое",
                     BODY);
  /* prose starting the same way is kept */
  assert_description("Отправлено с ошибкой заявление, прошу исправить.",
                     "Отправлено с ошибкой заявление, прошу исправить.");
}

static void closing_and_name_at_the_end(void **state)
{
  assert_description(BODY "\n\nС уважением,\nИван Петров", BODY);
  assert_description(BODY "\n\nС уважением, Иван Петров\nтел. +7 912 345-67-89", BODY);
  assert_description(BODY "\nBest regards,\nIvan Petrov\nSenior engineer\nACME", BODY);
  assert_description(BODY "\n\nСпасибо!", BODY);
  assert_description(BODY "\nЗаранее спасибо за помощь.\nИван", BODY);
}

static void a_closing_far_from_the_end_is_not_a_signature(void **state)
{
  const char *text = "С уважением к вашей работе, но:\n1. не работает вход;\n2. не приходит код;\n"
                     "3. не открывается заявление;\n4. нет ответа;\n5. нет звонка.";
  assert_description(text, text);
}

static void a_greeting_alone_is_not_a_description(void **state)
{
  assert_description("Здравствуйте!\n\n" BODY, BODY);
  assert_description("Добрый день, уважаемая служба поддержки!\n" BODY, BODY);
  assert_description("Здравствуйте!\n\nС уважением,\nИван", "");
  assert_description("Hello,\n\nSent from my iPhone", "");
  /* a greeting with the problem on the same line stays */
  assert_description("Добрый день, у меня не работает вход в кабинет.",
                     "Добрый день, у меня не работает вход в кабинет.");
}

static void only_quote_and_signature_means_no_description(void **state)
{
  assert_description("\n\nOn Mon, Nov 23, 2026 at 4:35 PM Support <support@portal.example> wrote:\n"
                     "> Опишите проблему.\n\n-- \nИван",
                     "");
}

static void invalid_utf8_does_not_break_it(void **state)
{
  g_autofree char *d = okno_description_text("\xff\xfe Текст \xd0\n> q");
  assert_true(g_utf8_validate(d, -1, NULL));
  assert_non_null(strstr(d, "Текст"));
}

static void long_texts_are_read_in_linear_time(void **state)
{
  /* 400 000 lines: text lines with long runs of blank lines between them, and
   * lines that each look like the start of a header. */
  g_autoptr(GString) text = g_string_new(NULL);
  gint64 start;
  g_autofree char *d = NULL;
  for (int i = 0; i < 200; i++) {
    g_string_append(text, "строка\n");
    for (int k = 0; k < 1000; k++)
      g_string_append_c(text, '\n');
  }
  for (int i = 0; i < 200000; i++)
    g_string_append(text, "From: x\n");
  start = g_get_monotonic_time();
  d = okno_description_text(text->str);
  assert_true(g_str_has_prefix(d, "строка\n\nстрока"));
  assert_true(g_get_monotonic_time() - start < 10 * G_USEC_PER_SEC);
}

/* ---- attachments: real bytes through libmagic ---- */

static guint32 crc32_of(const guint8 *p, gsize n)
{
  guint32 crc = 0xFFFFFFFFu;
  for (gsize i = 0; i < n; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static void le16(GByteArray *a, guint v)
{
  guint8 b[2] = { (guint8)v, (guint8)(v >> 8) };
  g_byte_array_append(a, b, 2);
}

static void le32(GByteArray *a, guint32 v)
{
  guint8 b[4] = { (guint8)v, (guint8)(v >> 8), (guint8)(v >> 16), (guint8)(v >> 24) };
  g_byte_array_append(a, b, 4);
}

/* A zip (stored, no compression) with the given members in order: names[i] holds
 * contents[i]. The layout is APPNOTE.TXT's: local headers, central directory, end. */
static GBytes *make_zip(const char *const *names, const char *const *contents)
{
  GByteArray *z = g_byte_array_new();
  GByteArray *cd = g_byte_array_new();
  guint count = 0;
  for (guint i = 0; names[i]; i++, count++) {
    gsize nl = strlen(names[i]), cl = strlen(contents[i]);
    guint32 crc = crc32_of((const guint8 *)contents[i], cl);
    guint32 offset = z->len;
    le32(z, 0x04034b50); le16(z, 20); le16(z, 0); le16(z, 0); le16(z, 0); le16(z, 0x5a21);
    le32(z, crc); le32(z, (guint32)cl); le32(z, (guint32)cl); le16(z, (guint)nl); le16(z, 0);
    g_byte_array_append(z, (const guint8 *)names[i], (guint)nl);
    g_byte_array_append(z, (const guint8 *)contents[i], (guint)cl);
    le32(cd, 0x02014b50); le16(cd, 20); le16(cd, 20); le16(cd, 0); le16(cd, 0); le16(cd, 0);
    le16(cd, 0x5a21); le32(cd, crc); le32(cd, (guint32)cl); le32(cd, (guint32)cl);
    le16(cd, (guint)nl); le16(cd, 0); le16(cd, 0); le16(cd, 0); le16(cd, 0); le32(cd, 0);
    le32(cd, offset);
    g_byte_array_append(cd, (const guint8 *)names[i], (guint)nl);
  }
  {
    guint32 cd_offset = z->len, cd_size = cd->len;
    g_byte_array_append(z, cd->data, cd->len);
    le32(z, 0x06054b50); le16(z, 0); le16(z, 0); le16(z, count); le16(z, count);
    le32(z, cd_size); le32(z, cd_offset); le16(z, 0);
  }
  g_byte_array_unref(cd);
  return g_byte_array_free_to_bytes(z);
}

#define CONTENT_TYPES                                                                   \
  "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"                     \
  "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"      \
  "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package."   \
  "relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>"   \
  "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd."            \
  "openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>"
#define RELS                                                                            \
  "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"                     \
  "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"              \
  "relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/" \
  "officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>"   \
  "</Relationships>"
#define DOCUMENT                                                                        \
  "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"                     \
  "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/"      \
  "main\"><w:body><w:p><w:r><w:t>Заявление</w:t></w:r></w:p></w:body></w:document>"

static const char *const docx_names[] = { "[Content_Types].xml", "_rels/.rels",
                                          "word/document.xml", NULL };
static const char *const docx_contents[] = { CONTENT_TYPES, RELS, DOCUMENT, NULL };

/* libmagic's verdict, as mime.c asks for it. Caller frees. */
static char *magic_type(GBytes *b)
{
  magic_t m = magic_open(MAGIC_MIME_TYPE);
  gsize n = 0;
  const void *d = g_bytes_get_data(b, &n);
  char *type;
  assert_non_null(m);
  assert_int_equal(magic_load(m, NULL), 0);
  type = g_strdup(magic_buffer(m, d, n));
  magic_close(m);
  return type;
}

/* The policy's answer for `bytes` named `name`, typed by libmagic. */
static char *judge(const char *name, GBytes *bytes)
{
  OknoAttachment att = {0};
  g_autofree char *type = magic_type(bytes);
  att.filename = (char *)name;
  att.declared_type = (char *)"application/octet-stream";
  att.content_type = type;
  att.data = bytes;
  att.size = g_bytes_get_size(bytes);
  return okno_attachment_refusal(&att);
}

static GBytes *literal(const char *bytes, gsize n) { return g_bytes_new(bytes, n); }

static void docx_with_content_types_first_is_a_docx_to_libmagic_and_kept(void **state)
{
  g_autoptr(GBytes) docx = make_zip(docx_names, docx_contents);
  g_autofree char *type = magic_type(docx);
  g_autofree char *why = judge("заявление.docx", docx);
  assert_string_equal(type, "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  assert_null(why);
}

static void docx_in_another_member_order_is_a_zip_to_libmagic_and_still_kept(void **state)
{
  const char *const names[] = { "_rels/.rels", "[Content_Types].xml", "word/document.xml", NULL };
  const char *const contents[] = { RELS, CONTENT_TYPES, DOCUMENT, NULL };
  g_autoptr(GBytes) docx = make_zip(names, contents);
  g_autofree char *type = magic_type(docx);
  g_autofree char *why = judge("заявление.docx", docx);
  assert_string_equal(type, "application/zip");
  assert_null(why);
}

static void a_zip_that_is_not_word_is_refused_as_an_archive(void **state)
{
  const char *const names[] = { "photo1.txt", "photo2.txt", NULL };
  const char *const contents[] = { "one", "two", NULL };
  g_autoptr(GBytes) zip = make_zip(names, contents);
  g_autofree char *why = judge("документы.docx", zip); /* the name does not matter */
  assert_string_equal(why, "Файл «документы.docx» не принят: архивы не принимаются. "
                           "Приложите, пожалуйста, сами файлы в формате PDF, DOCX, JPEG "
                           "или PNG.");
}

static void a_word_file_with_macros_is_refused(void **state)
{
  const char *const names[] = { "[Content_Types].xml", "_rels/.rels", "word/document.xml",
                                "word/vbaProject.bin", NULL };
  const char *const contents[] = { CONTENT_TYPES, RELS, DOCUMENT, "macro", NULL };
  g_autoptr(GBytes) docm = make_zip(names, contents);
  g_autofree char *why = judge("счёт.docx", docm);
  assert_string_equal(why, "Файл «счёт.docx» не принят: документы с макросами не "
                           "принимаются. Сохраните, пожалуйста, документ как обычный DOCX "
                           "или PDF.");
}

static void pdf_png_and_jpeg_are_kept(void **state)
{
  static const char pdf[] = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
  static const char png[] = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
                            "\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";
  static const char jpg[] = "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00"
                            "\x00\xff\xdb";
  g_autoptr(GBytes) a = literal(pdf, sizeof pdf - 1);
  g_autoptr(GBytes) b = literal(png, sizeof png - 1);
  g_autoptr(GBytes) c = literal(jpg, sizeof jpg - 1);
  g_autofree char *ta = magic_type(a), *tb = magic_type(b), *tc = magic_type(c);
  g_autofree char *wa = judge("скан.pdf", a), *wb = judge("экран.png", b), *wc = judge("фото.jpg", c);
  assert_string_equal(ta, "application/pdf");
  assert_string_equal(tb, "image/png");
  assert_string_equal(tc, "image/jpeg");
  assert_null(wa);
  assert_null(wb);
  assert_null(wc);
}

static void an_executable_is_refused_whatever_its_name(void **state)
{
  static const char exe[] = "MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00";
  g_autoptr(GBytes) b = literal(exe, sizeof exe - 1);
  g_autofree char *w1 = judge("x.exe", b);
  g_autofree char *w2 = judge("a.pdf.exe", b);
  g_autofree char *w3 = judge("справка.pdf", b);
  assert_string_equal(w1, "Файл «x.exe» не принят: такие файлы не принимаются. Можно "
                          "прикладывать PDF, DOCX, JPEG и PNG.");
  assert_string_equal(w2, "Файл «a.pdf.exe» не принят: такие файлы не принимаются. Можно "
                          "прикладывать PDF, DOCX, JPEG и PNG.");
  assert_string_equal(w3, "Файл «справка.pdf» не принят: такие файлы не принимаются. Можно "
                          "прикладывать PDF, DOCX, JPEG и PNG.");
}

static void a_pdf_named_like_an_exe_is_kept(void **state)
{
  static const char pdf[] = "%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
  g_autoptr(GBytes) b = literal(pdf, sizeof pdf - 1);
  g_autofree char *why = judge("scan.exe", b);
  assert_null(why);
}

static void an_empty_file_is_refused(void **state)
{
  OknoAttachment att = { .filename = (char *)"b.png", .declared_type = (char *)"image/png",
                         .content_type = (char *)"application/x-empty", .size = 0 };
  g_autofree char *why = okno_attachment_refusal(&att);
  assert_string_equal(why, "Файл «b.png» не принят: файл пустой.");
}

static void size_limits_are_ten_megabytes_and_five_for_images(void **state)
{
  OknoAttachment pdf = { .filename = (char *)"a.pdf", .content_type = (char *)"application/pdf",
                         .size = OKNO_ATTACHMENT_MAX };
  OknoAttachment img = { .filename = (char *)"c.jpg", .content_type = (char *)"image/jpeg",
                         .size = OKNO_IMAGE_MAX };
  char *why;
  assert_null(okno_attachment_refusal(&pdf)); /* exactly 10 MB is allowed */
  assert_null(okno_attachment_refusal(&img)); /* exactly 5 MB is allowed */
  pdf.size++;
  why = okno_attachment_refusal(&pdf);
  assert_string_equal(why, "Файл «a.pdf» не принят: он больше 10 МБ.");
  g_free(why);
  img.size++;
  why = okno_attachment_refusal(&img);
  assert_string_equal(why, "Файл «c.jpg» не принят: изображение больше 5 МБ. Уменьшите, "
                           "пожалуйста, размер изображения или пришлите его в формате PDF.");
  g_free(why);
  /* a 7 MB PDF is fine: the 5 MB limit is for images only */
  pdf.size = 7 * 1024 * 1024;
  assert_null(okno_attachment_refusal(&pdf));
}

static void winmail_dat_gets_its_own_explanation(void **state)
{
  static const char tnef[] = "\x78\x9f\x3e\x22\x00\x00\x01\x06\x90\x08\x00\x04\x00\x00\x00";
  g_autoptr(GBytes) b = literal(tnef, sizeof tnef - 1);
  g_autofree char *type = magic_type(b);
  g_autofree char *why = judge("winmail.dat", b);
  OknoAttachment by_name = { .filename = (char *)"WINMAIL.DAT",
                             .content_type = (char *)"application/octet-stream", .size = 100 };
  g_autofree char *why2 = okno_attachment_refusal(&by_name);
  const char *expected_tail =
      " не принят: это служебный файл программы Outlook (формат TNEF), вложения из него "
      "прочитать нельзя. Пожалуйста, отправьте файлы обычными вложениями: в Outlook "
      "выберите для письма формат HTML или «Обычный текст» вместо «Форматированный текст "
      "(RTF)».";
  g_autofree char *e1 = g_strconcat("Файл «winmail.dat»", expected_tail, NULL);
  g_autofree char *e2 = g_strconcat("Файл «WINMAIL.DAT»", expected_tail, NULL);
  assert_string_equal(type, "application/vnd.ms-tnef");
  assert_string_equal(why, e1);
  assert_string_equal(why2, e2);
}

static void old_word_documents_are_refused_with_advice(void **state)
{
  OknoAttachment doc = { .filename = (char *)"заявление.doc",
                         .content_type = (char *)"application/msword", .size = 1000 };
  g_autofree char *why = okno_attachment_refusal(&doc);
  assert_string_equal(why, "Файл «заявление.doc» не принят: документы в формате DOC и RTF не "
                           "принимаются. Сохраните, пожалуйста, документ как DOCX или PDF.");
}

static void the_file_name_in_a_reason_is_cleaned_and_capped(void **state)
{
  g_autoptr(GString) longname = g_string_new(NULL);
  g_autoptr(GString) expected = g_string_new("Файл «");
  OknoAttachment att = { .content_type = (char *)"application/x-dosexec", .size = 10 };
  char *why;
  for (int i = 0; i < 100; i++)
    g_string_append(longname, "ф");
  for (int i = 0; i < 80; i++)
    g_string_append(expected, "ф");
  g_string_append(expected, "…» не принят: такие файлы не принимаются. Можно прикладывать "
                            "PDF, DOCX, JPEG и PNG.");
  att.filename = longname->str;
  why = okno_attachment_refusal(&att);
  assert_string_equal(why, expected->str);
  g_free(why);

  att.filename = (char *)"a\r\nb.exe";
  why = okno_attachment_refusal(&att);
  assert_string_equal(why, "Файл «ab.exe» не принят: такие файлы не принимаются. Можно "
                           "прикладывать PDF, DOCX, JPEG и PNG.");
  g_free(why);

  att.filename = (char *)"";
  why = okno_attachment_refusal(&att);
  assert_string_equal(why, "Файл без имени не принят: такие файлы не принимаются. Можно "
                           "прикладывать PDF, DOCX, JPEG и PNG.");
  g_free(why);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(plain_text_is_kept_as_it_is),
    cmocka_unit_test(white_space_is_tidied),
    cmocka_unit_test(greetings_and_closings_match_in_any_case),
    cmocka_unit_test(prose_that_merely_looks_like_a_header_is_kept),
    cmocka_unit_test(quoted_lines_are_removed),
    cmocka_unit_test(text_written_below_a_quote_is_kept),
    cmocka_unit_test(gmail_english_attribution),
    cmocka_unit_test(gmail_attribution_wrapped_over_two_lines),
    cmocka_unit_test(gmail_russian_attribution),
    cmocka_unit_test(outlook_english_original_message),
    cmocka_unit_test(outlook_russian_original_message),
    cmocka_unit_test(outlook_underline_then_header_block),
    cmocka_unit_test(outlook_header_block_without_a_separator),
    cmocka_unit_test(separator_with_short_dashes),
    cmocka_unit_test(yandex_attribution),
    cmocka_unit_test(mailru_attribution),
    cmocka_unit_test(thunderbird_attribution),
    cmocka_unit_test(apple_mail_attribution),
    cmocka_unit_test(a_forwarded_letter_is_kept),
    cmocka_unit_test(dash_dash_space_separator),
    cmocka_unit_test(mobile_signatures),
    cmocka_unit_test(closing_and_name_at_the_end),
    cmocka_unit_test(a_closing_far_from_the_end_is_not_a_signature),
    cmocka_unit_test(a_greeting_alone_is_not_a_description),
    cmocka_unit_test(only_quote_and_signature_means_no_description),
    cmocka_unit_test(invalid_utf8_does_not_break_it),
    cmocka_unit_test(long_texts_are_read_in_linear_time),
    cmocka_unit_test(docx_with_content_types_first_is_a_docx_to_libmagic_and_kept),
    cmocka_unit_test(docx_in_another_member_order_is_a_zip_to_libmagic_and_still_kept),
    cmocka_unit_test(a_zip_that_is_not_word_is_refused_as_an_archive),
    cmocka_unit_test(a_word_file_with_macros_is_refused),
    cmocka_unit_test(pdf_png_and_jpeg_are_kept),
    cmocka_unit_test(an_executable_is_refused_whatever_its_name),
    cmocka_unit_test(a_pdf_named_like_an_exe_is_kept),
    cmocka_unit_test(an_empty_file_is_refused),
    cmocka_unit_test(size_limits_are_ten_megabytes_and_five_for_images),
    cmocka_unit_test(winmail_dat_gets_its_own_explanation),
    cmocka_unit_test(old_word_documents_are_refused_with_advice),
    cmocka_unit_test(the_file_name_in_a_reason_is_cleaned_and_capped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
