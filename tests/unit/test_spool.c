/* test_spool.c: a message being received stays in memory while small and moves into
 * an unnamed file past the threshold (mail/spool.h); either way the bytes handed over
 * are exactly the bytes appended, and no file name is ever left in the directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "mail/spool.h"

static char *dir;

static int setup(void **state)
{
  dir = g_dir_make_tmp("okno-spool-XXXXXX", NULL);
  return dir ? 0 : -1;
}

static int teardown(void **state)
{
  g_rmdir(dir);
  g_free(dir);
  return 0;
}

static guint entries(void)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  guint n = 0;
  while (g_dir_read_name(d))
    n++;
  return n;
}

static void test_a_small_message_stays_in_memory(void **state)
{
  g_autoptr(OknoSpool) sp = okno_spool_new(dir, 100);
  g_autoptr(GBytes) b = NULL;
  assert_true(okno_spool_append(sp, "Subject: a\r\n", 12, NULL));
  assert_true(okno_spool_append(sp, "\r\nbody\r\n", 8, NULL));
  assert_false(okno_spool_on_disk(sp));
  assert_int_equal(okno_spool_size(sp), 20);
  b = okno_spool_finish(sp, NULL);
  assert_int_equal(g_bytes_get_size(b), 20);
  assert_memory_equal(g_bytes_get_data(b, NULL), "Subject: a\r\n\r\nbody\r\n", 20);
  assert_int_equal(okno_spool_size(sp), 0); /* empty again, reusable */
}

static void test_a_large_message_goes_to_an_unnamed_file_and_comes_back_whole(void **state)
{
  g_autoptr(OknoSpool) sp = okno_spool_new(dir, 1000);
  g_autoptr(GByteArray) want = g_byte_array_new();
  g_autoptr(GBytes) b = NULL;
  for (int i = 0; i < 20000; i++) { /* about 330 KB in lines of varying length */
    g_autofree char *line = g_strdup_printf("line %d %.*s\r\n", i, i % 7, "xxxxxxx");
    assert_true(okno_spool_append(sp, line, strlen(line), NULL));
    g_byte_array_append(want, (const guint8 *)line, (guint)strlen(line));
    if (want->len > 1000)
      assert_true(okno_spool_on_disk(sp));
  }
  assert_int_equal(entries(), 0); /* the file has no name */
  b = okno_spool_finish(sp, NULL);
  okno_spool_free(g_steal_pointer(&sp)); /* the bytes outlive the spool */
  assert_int_equal(g_bytes_get_size(b), want->len);
  assert_memory_equal(g_bytes_get_data(b, NULL), want->data, want->len);
}

static void test_clear_forgets_and_the_spool_is_reused(void **state)
{
  g_autoptr(OknoSpool) sp = okno_spool_new(dir, 10);
  g_autoptr(GBytes) b = NULL;
  assert_true(okno_spool_append(sp, "0123456789abcdef", 16, NULL));
  assert_true(okno_spool_on_disk(sp));
  okno_spool_clear(sp);
  assert_false(okno_spool_on_disk(sp));
  assert_true(okno_spool_append(sp, "new", 3, NULL));
  b = okno_spool_finish(sp, NULL);
  assert_int_equal(g_bytes_get_size(b), 3);
  assert_memory_equal(g_bytes_get_data(b, NULL), "new", 3);
}

static void test_a_spool_that_cannot_write_fails_and_stays_failed(void **state)
{
  g_autofree char *missing = g_build_filename(dir, "no-such-dir", NULL);
  g_autoptr(OknoSpool) sp = okno_spool_new(missing, 4);
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
  assert_true(okno_spool_append(sp, "abc", 3, NULL)); /* still in memory */
  assert_false(okno_spool_append(sp, "defgh", 5, &e1));
  assert_non_null(strstr(e1->message, "no-such-dir"));
  assert_false(okno_spool_append(sp, "x", 1, &e2));
  assert_null(okno_spool_finish(sp, &e3));
  assert_non_null(e3);
  /* finish() reset it: a new message may try again (and fail again here) */
  assert_true(okno_spool_append(sp, "ok", 2, NULL));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_a_small_message_stays_in_memory),
    cmocka_unit_test(test_a_large_message_goes_to_an_unnamed_file_and_comes_back_whole),
    cmocka_unit_test(test_clear_forgets_and_the_spool_is_reused),
    cmocka_unit_test(test_a_spool_that_cannot_write_fails_and_stays_failed),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
