/* test_receipt.c: the specification of the automatic receipt (mail/receipt.h), and of
 * the other letters written the same way (notices, answers, the check@ verdict:
 * check/reply.h).
 *
 * Each test builds a receipt with a frozen clock, parses the bytes back with GMime
 * (as the citizen's mail client would) and checks every header and each fact in the
 * decoded body against values written out by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gmime/gmime.h>
#include <string.h>

#include "check/reply.h"
#include "core/clock.h"
#include "core/config.h"
#include "mail/mime.h"
#include "mail/receipt.h"

/* 2026-11-23 13:35:00 UTC = 16:35 in Moscow */
#define REGISTERED G_GINT64_CONSTANT(1795440900000000)
/* 2026-11-30 15:00:00 UTC = 18:00 in Moscow */
#define DEADLINE G_GINT64_CONSTANT(1796050800000000)
/* the frozen "now" at which the receipt is written: 13:35:42 UTC */
#define NOW (REGISTERED + 42 * G_USEC_PER_SEC)

typedef struct {
  char *raw;            /* the bytes, NUL-terminated */
  char *id;             /* *message_id as returned */
  GMimeMessage *msg;    /* parsed back */
  char *body;           /* decoded body, LF line ends */
} Built;

static OknoConfig *test_config(void)
{
  OknoConfig *cfg = okno_config_new_default();
  g_free(cfg->hostname);
  cfg->hostname = g_strdup("okno.portal.test");
  g_free(cfg->outbound_from);
  cfg->outbound_from = g_strdup("support@portal.test");
  g_free(cfg->outbound_from_name);
  cfg->outbound_from_name = g_strdup("Служба поддержки портала");
  g_free(cfg->public_url);
  cfg->public_url = g_strdup("https://help.portal.test/");
  return cfg;
}

static const char *const base_refs[] = { "first@mail.example", "second@mail.example", NULL };

static OknoReceiptInfo base_info(void)
{
  OknoReceiptInfo info = {
    .number = "26-000123-3",
    .registered_at = REGISTERED,
    .deadline = DEADLINE,
    .to_email = "ivan.petrov@mail.example",
    .to_name = "Иван Петров",
    .orig_message_id = "orig-42@mail.example",
    .orig_subject = "Не могу войти в личный кабинет",
    .orig_references = base_refs,
  };
  return info;
}

/* Keeps the bytes of `bytes` (consumed) in b->raw and parses them back into b. */
static void parse_back(GBytes *bytes, Built *b)
{
  gsize len = 0;
  GMimeStream *stream;
  GMimeParser *parser;
  GMimeObject *part;
  char *text;

  assert_non_null(bytes);
  {
    const char *data = g_bytes_get_data(bytes, &len);
    b->raw = g_strndup(data, len);
  }
  assert_int_equal(strlen(b->raw), len);
  g_bytes_unref(bytes);

  stream = g_mime_stream_mem_new_with_buffer(b->raw, len);
  parser = g_mime_parser_new_with_stream(stream);
  b->msg = g_mime_parser_construct_message(parser, NULL);
  g_object_unref(parser);
  g_object_unref(stream);
  assert_non_null(b->msg);
  part = g_mime_message_get_mime_part(b->msg);
  assert_true(GMIME_IS_TEXT_PART(part));
  text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
  {
    g_auto(GStrv) lines = g_strsplit(text, "\r\n", -1);
    b->body = g_strjoinv("\n", lines);
  }
  g_free(text);
}

static void build(const OknoConfig *cfg, const OknoReceiptInfo *info, Built *b)
{
  okno_clock_set(NOW);
  parse_back(okno_receipt_build(cfg, info, &b->id, NULL, NULL), b);
}

static void built_clear(Built *b)
{
  g_free(b->raw);
  g_free(b->id);
  g_object_unref(b->msg);
  g_free(b->body);
}

static const char *header(Built *b, const char *name)
{
  return g_mime_object_get_header(GMIME_OBJECT(b->msg), name);
}

static char *decoded_subject(Built *b)
{
  return g_strdup(g_mime_message_get_subject(b->msg));
}

static void assert_body_has(Built *b, const char *fact)
{
  if (!strstr(b->body, fact))
    fail_msg("body lacks \"%s\":\n%s", fact, b->body);
}

static void assert_body_lacks(Built *b, const char *fact)
{
  if (strstr(b->body, fact))
    fail_msg("body should not contain \"%s\":\n%s", fact, b->body);
}

static void from_is_support_address_with_encoded_russian_name(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  InternetAddressList *from;
  InternetAddress *ia;
  build(cfg, &info, &b);
  from = g_mime_message_get_from(b.msg);
  assert_int_equal(internet_address_list_length(from), 1);
  ia = internet_address_list_get_address(from, 0);
  assert_string_equal(internet_address_get_name(ia), "Служба поддержки портала");
  assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)),
                      "support@portal.test");
  /* on the wire: an RFC 2047 encoded-word in UTF-8, no raw 8-bit bytes */
  assert_non_null(strstr(b.raw, "From: =?utf-8?"));
  for (const char *p = b.raw; *p; p++)
    assert_true((unsigned char)*p < 0x80);
  built_clear(&b);
}

static void to_is_the_citizen_with_name(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  InternetAddressList *to;
  InternetAddress *ia;
  build(cfg, &info, &b);
  to = g_mime_message_get_addresses(b.msg, GMIME_ADDRESS_TYPE_TO);
  assert_int_equal(internet_address_list_length(to), 1);
  ia = internet_address_list_get_address(to, 0);
  assert_string_equal(internet_address_get_name(ia), "Иван Петров");
  assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)),
                      "ivan.petrov@mail.example");
  built_clear(&b);
}

static void subject_says_registered_with_number(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  g_autofree char *subject = NULL;
  build(cfg, &info, &b);
  subject = decoded_subject(&b);
  assert_string_equal(subject, "Обращение № 26-000123-3 зарегистрировано");
  assert_non_null(strstr(b.raw, "Subject: =?utf-8?"));
  built_clear(&b);
}

static void date_is_now_in_moscow_time(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  GDateTime *date;
  build(cfg, &info, &b);
  date = g_mime_message_get_date(b.msg);
  assert_non_null(date);
  assert_int_equal(g_date_time_to_unix(date), NOW / G_USEC_PER_SEC);
  assert_string_equal(header(&b, "Date"), "Mon, 23 Nov 2026 16:35:42 +0300");
  built_clear(&b);
}

static void message_id_is_ours_with_number_random_part_and_hostname(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built a = {0}, b = {0};
  g_autofree char *expected = NULL;
  build(cfg, &info, &a);
  build(cfg, &info, &b);
  assert_true(g_regex_match_simple("^okno\\.26-000123-3\\.[0-9a-f]{16}@okno\\.portal\\.test$",
                                   a.id, 0, 0));
  assert_string_equal(g_mime_message_get_message_id(a.msg), a.id);
  expected = g_strdup_printf("<%s>", a.id);
  assert_string_equal(header(&a, "Message-ID"), expected);
  assert_string_not_equal(a.id, b.id); /* fresh for every receipt */
  built_clear(&a);
  built_clear(&b);
}

static void threading_headers_point_at_the_citizens_message(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  build(cfg, &info, &b);
  assert_string_equal(header(&b, "In-Reply-To"), "<orig-42@mail.example>");
  /* folding may add white space; the order of the ids is what matters */
  assert_true(g_regex_match_simple(
      "^\\s*<first@mail\\.example>\\s+<second@mail\\.example>\\s+<orig-42@mail\\.example>\\s*$",
      header(&b, "References"), 0, 0));
  built_clear(&b);
}

static void no_threading_headers_without_an_original_id(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  info.orig_message_id = "";
  info.orig_references = NULL;
  build(cfg, &info, &b);
  assert_null(header(&b, "In-Reply-To"));
  assert_null(header(&b, "References"));
  assert_body_lacks(&b, "идентификатор письма");
  built_clear(&b);
}

static void unsafe_message_ids_never_reach_headers(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  const char *const refs[] = { "a b@x", "ok@x", "evil>\r\nBcc: victim@x", NULL };
  Built b = {0};
  info.orig_message_id = "x\r\nBcc: victim@mail.example";
  info.orig_references = refs;
  build(cfg, &info, &b);
  assert_null(header(&b, "Bcc"));
  assert_null(header(&b, "In-Reply-To"));
  assert_true(g_regex_match_simple("^\\s*<ok@x>\\s*$", header(&b, "References"), 0, 0));
  assert_null(strstr(b.raw, "victim"));
  built_clear(&b);
}

static void a_long_reference_chain_keeps_first_and_newest(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func(g_free);
  g_auto(GStrv) parts = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new();
  Built b = {0};
  for (int i = 0; i < 50; i++)
    g_ptr_array_add(refs, g_strdup_printf("r%d@x", i));
  g_ptr_array_add(refs, NULL);
  info.orig_references = (const char *const *)refs->pdata;
  build(cfg, &info, &b);
  parts = g_strsplit_set(header(&b, "References"), " \t\r\n", -1);
  for (char **p = parts; *p; p++)
    if (**p)
      g_ptr_array_add(ids, *p);
  assert_int_equal(ids->len, 20);
  assert_string_equal(ids->pdata[0], "<r0@x>");
  assert_string_equal(ids->pdata[1], "<r32@x>");
  assert_string_equal(ids->pdata[18], "<r49@x>");
  assert_string_equal(ids->pdata[19], "<orig-42@mail.example>");
  built_clear(&b);
}

static void loop_prevention_and_mime_headers_are_set(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  GMimeObject *part;
  build(cfg, &info, &b);
  assert_string_equal(header(&b, "Auto-Submitted"), "auto-replied");
  assert_string_equal(header(&b, "X-Auto-Response-Suppress"), "All");
  assert_string_equal(header(&b, "MIME-Version"), "1.0");
  part = g_mime_message_get_mime_part(b.msg);
  assert_string_equal(g_mime_object_get_header(part, "Content-Type"),
                      "text/plain; charset=utf-8");
  assert_string_equal(g_mime_object_get_header(part, "Content-Transfer-Encoding"),
                      "quoted-printable");
  built_clear(&b);
}

static void lines_end_in_crlf_and_stay_short(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  const char *line = NULL;
  build(cfg, &info, &b);
  line = b.raw;
  for (const char *p = b.raw; *p; p++) {
    if (*p == '\n') {
      assert_true(p > b.raw && p[-1] == '\r');
      assert_true(p - line <= 78 + 1);
      line = p + 1;
    }
  }
  built_clear(&b);
}

static void body_states_every_fact(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  const char *const refused[] = {
    "Файл «x.exe» не принят: такие файлы не принимаются. Можно прикладывать PDF, DOCX, "
    "JPEG и PNG.",
    "Файл «a.pdf» не принят: он больше 10 МБ.",
    NULL,
  };
  Built b = {0};
  info.refused = refused;
  build(cfg, &info, &b);
  assert_body_has(&b, "Здравствуйте, Иван Петров!");
  assert_body_has(&b, "Ваше обращение зарегистрировано под номером 26-000123-3.");
  assert_body_has(&b, "Дата и время регистрации: 23 ноября 2026 г., 16:35 (МСК).");
  assert_body_has(&b, "«Не могу войти в личный кабинет»");
  assert_body_has(&b, "<orig-42@mail.example>");
  assert_body_has(&b, "Ожидаемый срок ответа: до 30 ноября 2026 г., 18:00 (МСК).");
  assert_body_has(&b, "— Файл «x.exe» не принят: такие файлы не принимаются. Можно "
                      "прикладывать PDF, DOCX, JPEG и PNG.\n");
  assert_body_has(&b, "— Файл «a.pdf» не принят: он больше 10 МБ.\n");
  assert_body_has(&b, "Что дальше:");
  assert_body_has(&b, "https://help.portal.test/status");
  assert_body_has(&b, "Это письмо отправлено автоматически.");
  assert_body_has(&b, "С уважением,\nСлужба поддержки портала");
  /* not asked for what it has, not told it is unreadable */
  assert_body_lacks(&b, "опишите проблему");
  assert_body_lacks(&b, "не удалось прочитать");
  built_clear(&b);
}

static void body_without_name_deadline_or_refusals(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  InternetAddress *ia;
  info.to_name = "";
  info.deadline = 0;
  info.orig_subject = "";
  build(cfg, &info, &b);
  assert_body_has(&b, "Здравствуйте!\n");
  assert_body_has(&b, "без темы");
  assert_body_lacks(&b, "срок");
  assert_body_lacks(&b, "вложения");
  ia = internet_address_list_get_address(
      g_mime_message_get_addresses(b.msg, GMIME_ADDRESS_TYPE_TO), 0);
  assert_true(internet_address_get_name(ia) == NULL || !*internet_address_get_name(ia));
  built_clear(&b);
}

static void original_hash_and_proof_attachment(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  g_autofree char *id = NULL, *subject = NULL, *text = NULL, *alone = NULL, *raw = NULL;
  g_autofree char *plain_text = NULL, *plain_id = NULL, *plain_subject = NULL;
  g_autoptr(GBytes) m = NULL, plain = NULL;
  g_autofree guchar *json = NULL;
  gsize len, jlen = 0;
  const char *hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  const char *b64, *end;
  okno_clock_set(NOW);
  info.original_sha256 = hash;
  plain = okno_receipt_build(cfg, &info, &plain_id, &plain_subject, &plain_text);
  assert_non_null(strstr(plain_text, hash));
  assert_null(strstr(plain_text, "okno-receipt.json"));
  {
    gsize plen;
    const char *d = g_bytes_get_data(plain, &plen);
    g_autofree char *p = g_strndup(d, plen);
    assert_null(strstr(p, "multipart"));
  }
  info.proof_json = "{\"format\": \"okno-receipt 1\"}";
  alone = okno_receipt_text(cfg, &info);
  m = okno_receipt_build(cfg, &info, &id, &subject, &text);
  assert_string_equal(alone, text); /* the text the proof signs is the text sent */
  assert_non_null(strstr(text, "okno-receipt.json"));
  {
    const char *d = g_bytes_get_data(m, &len);
    raw = g_strndup(d, len);
  }
  assert_non_null(strstr(raw, "Content-Type: multipart/mixed; boundary="));
  assert_non_null(strstr(raw, "Content-Disposition: attachment; filename=\"okno-receipt.json\""));
  b64 = strstr(raw, "Content-Transfer-Encoding: base64\r\n\r\n");
  assert_non_null(b64);
  b64 += strlen("Content-Transfer-Encoding: base64\r\n\r\n");
  end = strstr(b64, "\r\n--");
  {
    g_autofree char *chunk = g_strndup(b64, (gsize)(end - b64));
    json = g_base64_decode(chunk, &jlen);
  }
  assert_int_equal(jlen, strlen(info.proof_json));
  assert_memory_equal(json, info.proof_json, jlen);
  {
    /* built around the text already made (register.c: hashed first), the same letter:
     * subject, text, size (only the Message-ID and the boundary are random, of fixed
     * lengths) and the quoted-printable part */
    g_autofree char *id2 = NULL, *subject2 = NULL, *text2 = NULL, *raw2 = NULL;
    g_autoptr(GBytes) m2 = okno_receipt_build_text(cfg, &info, alone, &id2, &subject2, &text2);
    const char *qp = "quoted-printable\r\n\r\n", *a, *b;
    gsize len2;
    const char *d = g_bytes_get_data(m2, &len2);
    raw2 = g_strndup(d, len2);
    assert_string_equal(text2, text);
    assert_string_equal(subject2, subject);
    assert_int_equal(len2, len);
    a = strstr(raw, qp);
    b = strstr(raw2, qp);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(strstr(a, "\r\n--") - a, strstr(b, "\r\n--") - b);
    assert_memory_equal(a, b, (gsize)(strstr(a, "\r\n--") - a));
  }
}

static void an_address_used_as_a_name_is_not_used_to_greet(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  info.to_name = "ivan.petrov@mail.example";
  build(cfg, &info, &b);
  assert_body_has(&b, "Здравствуйте!\n");
  built_clear(&b);
}

static void needs_description_asks_what_to_add_and_how(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  g_autofree char *subject = NULL;
  info.needs_description = TRUE;
  build(cfg, &info, &b);
  subject = decoded_subject(&b);
  assert_string_equal(subject, "Обращение № 26-000123-3: требуется уточнение");
  assert_body_has(&b, "опишите проблему");
  assert_body_has(&b, "что вы делали");
  assert_body_has(&b, "что произошло");
  assert_body_has(&b, "когда это случилось");
  assert_body_has(&b, "номер обращения, номер заявления или заказа");
  assert_body_has(&b, "ответьте на это письмо, сохранив номер обращения в теме");
  assert_body_has(&b, "26-000123-3");
  built_clear(&b);
}

static void joined_message_says_added_to_the_appeal(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  g_autofree char *subject = NULL;
  info.joined = TRUE;
  build(cfg, &info, &b);
  subject = decoded_subject(&b);
  assert_string_equal(subject, "Ваше сообщение добавлено к обращению № 26-000123-3");
  assert_body_has(&b, "Ваше сообщение добавлено к обращению № 26-000123-3. Обращение "
                      "зарегистрировано 23 ноября 2026 г., 16:35 (МСК).");
  assert_body_lacks(&b, "зарегистрировано под номером");
  built_clear(&b);
}

static void quarantined_message_is_promised_to_an_operator(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  g_autofree char *subject = NULL;
  info.quarantined = TRUE;
  info.needs_description = TRUE; /* the description could not be read: do not ask */
  build(cfg, &info, &b);
  subject = decoded_subject(&b);
  assert_string_equal(subject, "Обращение № 26-000123-3 зарегистрировано");
  assert_body_has(&b, "не удалось прочитать автоматически");
  assert_body_has(&b, "прочитает оператор");
  assert_body_lacks(&b, "опишите проблему");
  built_clear(&b);
}

static void hostile_name_and_subject_stay_on_one_line(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  Built b = {0};
  info.to_name = "Иван\r\nX-Evil: yes";
  info.orig_subject = "тема\r\n\r\nподделка\x01";
  build(cfg, &info, &b);
  assert_null(header(&b, "X-Evil"));
  assert_body_has(&b, "Здравствуйте, Иван X-Evil: yes!");
  assert_body_has(&b, "«тема подделка»");
  built_clear(&b);
}

static void names_in_any_script_decode_back_exactly(void **state)
{
  /* The last two cannot be cut into base64 words of whole multiples of three bytes
   * ("A" then three-byte characters): they exercise the Q-word fallback. */
  const char *names[] = {
    "Иван Петров", "O'Brien \"Jack\" \\ Smith", "Мария-Луиза Д'Артаньян (Ёлкина)",
    "Алёна 🌷 Смирнова", "A中文名字中文名字中文名字中文名字中文名字中文名字",
    "Aёё中文名字中文名字中文名字中文名字中文名字中文名字",
  };
  g_autoptr(OknoConfig) cfg = test_config();
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    OknoReceiptInfo info = base_info();
    Built b = {0};
    InternetAddress *ia;
    info.to_name = names[i];
    build(cfg, &info, &b);
    ia = internet_address_list_get_address(
        g_mime_message_get_addresses(b.msg, GMIME_ADDRESS_TYPE_TO), 0);
    assert_string_equal(internet_address_get_name(ia), names[i]);
    built_clear(&b);
  }
}

static void a_very_long_name_is_cut_with_an_ellipsis(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  OknoReceiptInfo info = base_info();
  g_autoptr(GString) name = g_string_new(NULL);
  g_autoptr(GString) expected = g_string_new("Здравствуйте, ");
  Built b = {0};
  for (int i = 0; i < 100; i++)
    g_string_append(name, "Я");
  for (int i = 0; i < 80; i++)
    g_string_append(expected, "Я");
  g_string_append(expected, "…!");
  info.to_name = name->str;
  build(cfg, &info, &b);
  assert_body_has(&b, expected->str);
  built_clear(&b);
}

static void unusable_recipient_address_gives_no_message(void **state)
{
  g_autoptr(OknoConfig) cfg = test_config();
  const char *bad[] = { "", "no-at-sign", "a b@x.example", "a@x.example\r\nBcc: v@x",
                        "<a@x.example>", "@x.example" };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    OknoReceiptInfo info = base_info();
    char *id = (char *)"sentinel";
    info.to_email = bad[i];
    assert_null(okno_receipt_build(cfg, &info, &id, NULL, NULL));
    assert_null(id);
  }
}

static void month_names_are_in_the_genitive(void **state)
{
  static const char *const expected[] = {
    "1 января 2026 г., 12:00 (МСК)", "1 февраля 2026 г., 12:00 (МСК)",
    "1 марта 2026 г., 12:00 (МСК)", "1 апреля 2026 г., 12:00 (МСК)",
    "1 мая 2026 г., 12:00 (МСК)", "1 июня 2026 г., 12:00 (МСК)",
    "1 июля 2026 г., 12:00 (МСК)", "1 августа 2026 г., 12:00 (МСК)",
    "1 сентября 2026 г., 12:00 (МСК)", "1 октября 2026 г., 12:00 (МСК)",
    "1 ноября 2026 г., 12:00 (МСК)", "1 декабря 2026 г., 12:00 (МСК)",
  };
  g_autoptr(OknoConfig) cfg = test_config();
  for (int m = 1; m <= 12; m++) {
    g_autoptr(GDateTime) t = g_date_time_new_utc(2026, m, 1, 9, 0, 0);
    OknoReceiptInfo info = base_info();
    Built b = {0};
    info.registered_at = g_date_time_to_unix(t) * G_USEC_PER_SEC;
    info.deadline = 0;
    build(cfg, &info, &b);
    assert_body_has(&b, expected[m - 1]);
    built_clear(&b);
  }
}

/* The check@ verdict: same headers and rules, every weighted reason on one line each
 * (a hostile, multi-line, very long one folded and cut), nothing of weight 0. */
static void check_reply_states_the_verdict_and_every_reason(void **state)
{
  static const char raw[] = "From: a@b.example\r\nSubject: x\r\n\r\nhello\r\n";
  g_autoptr(OknoConfig) cfg = test_config();
  g_autoptr(OknoMessage) m = okno_mime_parse(raw, sizeof raw - 1, NULL);
  g_autoptr(OknoPhishResult) r = okno_phishing_check(m, raw, sizeof raw - 1, cfg);
  g_autoptr(GString) hostile = g_string_new("Отправитель называет себя «Госуслуги\nBcc: x@y»");
  g_autofree char *subject = NULL;
  OknoCheckReplyInfo info = {
    .to_email = "ivan.petrov@mail.example",
    .to_name = "Иван Петров",
    .orig_message_id = "fwd-7@mail.example",
    .checked_subject = "Срочно: подтвердите данные",
    .forwarded = TRUE,
    .result = r,
  };
  Built b = {0};
  for (int i = 0; i < 200; i++)
    g_string_append(hostile, " очень длинно");
  okno_phish_add_reason(r, "sender_lookalike", 10, "Адрес отправителя похож на адрес портала.");
  okno_phish_add_reason(r, "display_name_claims_portal", 6, hostile->str);
  okno_phish_add_reason(r, "portal_verified", 0, "Невидимая причина.");
  assert_int_equal(r->verdict, OKNO_VERDICT_DANGEROUS);
  okno_clock_set(NOW);
  parse_back(okno_check_reply_build(cfg, &info, &b.id, NULL, NULL), &b);
  subject = decoded_subject(&b);
  assert_string_equal(subject, "Проверка письма: письмо опасно");
  assert_true(g_str_has_prefix(b.id, "okno.check."));
  assert_string_equal(header(&b, "In-Reply-To"), "<fwd-7@mail.example>");
  assert_string_equal(header(&b, "Auto-Submitted"), "auto-replied");
  assert_body_has(&b, "Здравствуйте, Иван Петров!");
  assert_body_has(&b, "переслали во вложении (тема «Срочно: подтвердите данные»)");
  assert_body_has(&b, "Результат проверки: письмо опасно, оно похоже на мошенническое.");
  assert_body_has(&b, "— Адрес отправителя похож на адрес портала.\n");
  assert_body_has(&b, "— Отправитель называет себя «Госуслуги Bcc: x@y» очень длинно");
  assert_body_has(&b, "…\n");
  assert_body_lacks(&b, "Невидимая причина");
  assert_body_lacks(&b, "\nBcc:");
  assert_body_has(&b, "Не переходите по ссылкам");
  built_clear(&b);

  info.to_email = "a@x.example\r\nBcc: v@x";
  assert_null(okno_check_reply_build(cfg, &info, NULL, NULL, NULL));
}

/* The quoted-printable encoder as it was written first (byte by byte, "=%02X" through
 * g_snprintf): the reference the faster one must match byte for byte, so that the
 * bytes okno sends and stores stay what they were. */
static void reference_quoted_printable(GString *out, const char *text)
{
  gsize col = 0;
  for (const char *p = text; *p; p++) {
    guchar c = (guchar)*p;
    gboolean eol = p[1] == '\n' || p[1] == '\0';
    char enc[4];
    gsize n = 1;
    if (c == '\n') {
      g_string_append(out, "\r\n");
      col = 0;
      continue;
    }
    if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !eol)) {
      enc[0] = (char)c;
      enc[1] = '\0';
    } else {
      g_snprintf(enc, sizeof enc, "=%02X", c);
      n = 3;
    }
    if (col + n > 76 - 1) {
      g_string_append(out, "=\r\n");
      col = 0;
    }
    g_string_append(out, enc);
    col += n;
  }
}

static void assert_same_quoted_printable(const char *text)
{
  g_autoptr(GString) want = g_string_new("prefix\r\n");
  g_autoptr(GString) got = g_string_new("prefix\r\n");
  reference_quoted_printable(want, text);
  okno_quoted_printable_append(got, text);
  assert_int_equal(got->len, want->len);
  assert_memory_equal(got->str, want->str, want->len);
  assert_int_equal(got->str[got->len], '\0');
}

static void quoted_printable_matches_the_first_encoder_byte_for_byte(void **state)
{
  static const char *const tricky[] = {
    "",
    "\n",
    "\n\n\n",
    "a",
    "=",
    "a=b==c=\n=",
    " ",
    "\t",
    "trailing space \nand tab\t\nand both \t\n \t",
    "  leading and inner  spaces  ",
    "Здравствуйте, Иван Петрович!\nВаше обращение № 2026-000123 зарегистрировано.",
    "emoji \xF0\x9F\x98\x80 and \xC2\xA0 nbsp, \x7F del, \x01 control, \r bare CR\r\n",
    "\xFF\xFE invalid UTF-8 \xC3",
    "~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./",
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed(18);
  for (gsize i = 0; i < G_N_ELEMENTS(tricky); i++)
    assert_same_quoted_printable(tricky[i]);
  /* long lines of each kind, cut at every length around the soft break */
  for (int len = 60; len < 240; len++) {
    const char *units[] = {"x", "=", " ", "я", "\t", "a ", "= ", "я "};
    for (gsize u = 0; u < G_N_ELEMENTS(units); u++) {
      g_autoptr(GString) s = g_string_new(NULL);
      while (s->len < (gsize)len)
        g_string_append(s, units[u]);
      assert_same_quoted_printable(s->str);
      g_string_append(s, "\nnext line ");
      assert_same_quoted_printable(s->str);
    }
  }
  /* random bytes weighted towards the characters that change the encoding */
  for (int n = 0; n < 2000; n++) {
    static const char pick[] = " \t\n=aZ~";
    g_autoptr(GString) s = g_string_new(NULL);
    int len = g_rand_int_range(rand, 0, 400);
    for (int i = 0; i < len; i++) {
      guint r = (guint)g_rand_int_range(rand, 0, 10);
      char c = r < 6 ? pick[g_rand_int_range(rand, 0, (gint32)strlen(pick))]
                     : (char)g_rand_int_range(rand, 1, 256);
      g_string_append_c(s, c);
    }
    assert_same_quoted_printable(s->str);
  }
}

static int group_setup(void **state)
{
  g_mime_init();
  return 0;
}

static int group_teardown(void **state)
{
  okno_clock_set(0);
  return 0;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(from_is_support_address_with_encoded_russian_name),
    cmocka_unit_test(to_is_the_citizen_with_name),
    cmocka_unit_test(subject_says_registered_with_number),
    cmocka_unit_test(date_is_now_in_moscow_time),
    cmocka_unit_test(message_id_is_ours_with_number_random_part_and_hostname),
    cmocka_unit_test(threading_headers_point_at_the_citizens_message),
    cmocka_unit_test(no_threading_headers_without_an_original_id),
    cmocka_unit_test(unsafe_message_ids_never_reach_headers),
    cmocka_unit_test(a_long_reference_chain_keeps_first_and_newest),
    cmocka_unit_test(loop_prevention_and_mime_headers_are_set),
    cmocka_unit_test(lines_end_in_crlf_and_stay_short),
    cmocka_unit_test(body_states_every_fact),
    cmocka_unit_test(body_without_name_deadline_or_refusals),
    cmocka_unit_test(original_hash_and_proof_attachment),
    cmocka_unit_test(an_address_used_as_a_name_is_not_used_to_greet),
    cmocka_unit_test(needs_description_asks_what_to_add_and_how),
    cmocka_unit_test(joined_message_says_added_to_the_appeal),
    cmocka_unit_test(quarantined_message_is_promised_to_an_operator),
    cmocka_unit_test(hostile_name_and_subject_stay_on_one_line),
    cmocka_unit_test(month_names_are_in_the_genitive),
    cmocka_unit_test(check_reply_states_the_verdict_and_every_reason),
    cmocka_unit_test(names_in_any_script_decode_back_exactly),
    cmocka_unit_test(a_very_long_name_is_cut_with_an_ellipsis),
    cmocka_unit_test(unusable_recipient_address_gives_no_message),
    cmocka_unit_test(quoted_printable_matches_the_first_encoder_byte_for_byte),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
