/* test_imap_parse.c: the IMAP response parser (mail/imap_parse.h) on the responses
 * okno's client reads from Dovecot, and on broken ones. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "mail/imap_parse.h"

static OknoImapResponse *parse(const char *s)
{
  gssize n = okno_imap_response_length((const guint8 *)s, strlen(s), 1024, NULL);
  assert_int_equal(n, (gssize)strlen(s));
  return okno_imap_response_parse((const guint8 *)s, strlen(s), NULL);
}

static void test_status_and_code(void **state)
{
  (void)state;
  g_autoptr(OknoImapResponse) r = parse("* OK [UIDVALIDITY 1765000000] UIDs valid\r\n");
  assert_non_null(r);
  assert_string_equal(r->tag, "*");
  assert_string_equal(r->status, "OK");
  assert_string_equal(r->code, "UIDVALIDITY 1765000000");
  assert_string_equal(r->text, "UIDs valid");
  g_autoptr(OknoImapResponse) t = parse("a7 no [TRYCREATE] Mailbox doesn't exist\r\n");
  assert_string_equal(t->tag, "a7");
  assert_string_equal(t->status, "NO");
  assert_string_equal(t->code, "TRYCREATE");
}

static void test_search_and_exists(void **state)
{
  (void)state;
  g_autoptr(OknoImapResponse) s = parse("* SEARCH 2 17 4294967295\r\n");
  g_autoptr(OknoImapResponse) e = parse("* 12 EXISTS\r\n");
  g_autoptr(OknoImapResponse) none = parse("* SEARCH\r\n");
  assert_int_equal(s->search->len, 3);
  assert_int_equal(g_array_index(s->search, guint32, 2), 4294967295u);
  assert_int_equal(none->search->len, 0);
  assert_string_equal(e->kind, "EXISTS");
  assert_int_equal(e->number, 12);
  assert_null(okno_imap_response_parse((const guint8 *)"* SEARCH 0\r\n", 12, NULL));
  assert_null(okno_imap_response_parse((const guint8 *)"* SEARCH 4294967296\r\n", 21, NULL));
}

static void test_fetch_with_literal(void **state)
{
  const char *s = "* 3 FETCH (UID 9 FLAGS (\\Seen \\*) RFC822.SIZE 14 BODY[] {14}\r\n"
                  "Subject: x\r\n\r\n)\r\n";
  g_autoptr(OknoImapResponse) r = NULL;
  gsize len = 0;
  (void)state;
  /* incomplete until the literal and the closing line are all there */
  for (gsize k = 0; k < strlen(s); k++)
    assert_int_equal(okno_imap_response_length((const guint8 *)s, k, 1024, NULL), 0);
  r = parse(s);
  assert_non_null(r);
  assert_string_equal(r->kind, "FETCH");
  assert_int_equal(r->uid, 9);
  assert_int_equal(r->size, 14);
  assert_memory_equal(g_bytes_get_data(r->body, &len), "Subject: x\r\n\r\n", 14);
  assert_int_equal(len, 14);
}

static void test_limits_and_junk(void **state)
{
  GError *err = NULL;
  g_autofree char *long_line = g_strnfill(OKNO_IMAP_MAX_LINE + 10, 'a');
  (void)state;
  assert_int_equal(okno_imap_response_length((const guint8 *)"* 1 FETCH (BODY[] {2048}\r\n", 26, 1024, &err), -1);
  g_clear_error(&err);
  assert_int_equal(okno_imap_response_length((const guint8 *)long_line, strlen(long_line), 1024, &err), -1);
  g_clear_error(&err);
  /* a literal shorter than it says, an unterminated list, a tagged line without status */
  assert_null(okno_imap_response_parse((const guint8 *)"* 1 FETCH (BODY[] {5}\r\nab)\r\n", 27, &err));
  g_clear_error(&err);
  assert_null(okno_imap_response_parse((const guint8 *)"* 1 FETCH (UID 3\r\n", 18, &err));
  g_clear_error(&err);
  assert_null(okno_imap_response_parse((const guint8 *)"a1 FOO\r\n", 8, &err));
  assert_non_null(err);
  g_clear_error(&err);
}

static void test_quote(void **state)
{
  g_autofree char *q = okno_imap_quote("Входящие \"x\\y\"");
  (void)state;
  assert_string_equal(q, "\"Входящие \\\"x\\\\y\\\"\"");
  assert_null(okno_imap_quote("a\r\nLOGOUT"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_status_and_code),  cmocka_unit_test(test_search_and_exists),
    cmocka_unit_test(test_fetch_with_literal), cmocka_unit_test(test_limits_and_junk),
    cmocka_unit_test(test_quote),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
