/* test_clamav.c: the clamd client (check/clamav.h).
 *
 * Three layers: the reply parser on every reply form clamd writes (and broken ones);
 * the protocol against a tiny fake clamd on a Unix socket, only for edge cases a real
 * clamd will not produce on demand (it hangs, closes without a word, answers
 * garbage); and a REAL clamd from Debian (/usr/sbin/clamd), started here with its own
 * clamd.conf and a hash signature database built here (sigtool --md5), scanning a
 * file sent in chunks of 1, 7 and 4096 bytes so the signed file is split across chunk
 * boundaries every way. The real-clamd tests are skipped when clamd is not installed
 * (scripts/deps --test installs it). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>

#include "check/clamav.h"
#include "core/error.h"

/* ---- the parser ---- */

static void assert_reply(const char *reply, gsize len, OknoClamReply want, const char *detail)
{
  g_autofree char *d = NULL;
  assert_int_equal(okno_clamav_parse_reply(reply, len, &d), want);
  if (detail)
    assert_string_equal(d, detail);
  else
    assert_null(d);
}

static void test_parse_replies(void **state)
{
  (void)state;
  assert_reply("stream: OK", 11, OKNO_CLAM_CLEAN, NULL);
  assert_reply("stream: OK\n", 11, OKNO_CLAM_CLEAN, NULL);
  assert_reply("stream: Win.Test.EICAR_HDB-1 FOUND", 36, OKNO_CLAM_FOUND, "Win.Test.EICAR_HDB-1");
  assert_reply("stream: Okno.Test.Sample-1.UNOFFICIAL FOUND\n", 44, OKNO_CLAM_FOUND,
               "Okno.Test.Sample-1.UNOFFICIAL");
  assert_reply("INSTREAM size limit exceeded. ERROR", 36, OKNO_CLAM_ERROR,
               "INSTREAM size limit exceeded.");
  assert_reply("stream: Can't allocate memory ERROR", 36, OKNO_CLAM_ERROR,
               "stream: Can't allocate memory");
  /* broken ones */
  assert_reply("", 0, OKNO_CLAM_MALFORMED, NULL);
  assert_reply("stream: FOUND", 13, OKNO_CLAM_MALFORMED, NULL);
  assert_reply("stream:  FOUND", 14, OKNO_CLAM_MALFORMED, NULL);
  assert_reply("stream: OK then more", 20, OKNO_CLAM_MALFORMED, NULL);
  assert_reply("OK", 2, OKNO_CLAM_MALFORMED, NULL);
  assert_reply("PONG", 4, OKNO_CLAM_MALFORMED, NULL);
  /* only what comes before the NUL counts */
  assert_reply("stream: OK\0stream: X FOUND", 26, OKNO_CLAM_CLEAN, NULL);
  /* control and non-ASCII bytes in a name never reach a log line or an SMTP reply */
  assert_reply("stream: Bad\r\nName\xff FOUND", 24, OKNO_CLAM_FOUND, "Bad??Name?");
}

static void test_parse_caps_detail(void **state)
{
  g_autoptr(GString) r = g_string_new("stream: ");
  g_autofree char *d = NULL;
  (void)state;
  for (int i = 0; i < 500; i++)
    g_string_append_c(r, 'A');
  g_string_append(r, " FOUND");
  assert_int_equal(okno_clamav_parse_reply(r->str, r->len, &d), OKNO_CLAM_FOUND);
  assert_int_equal(strlen(d), 200);
}

/* ---- a fake clamd for the protocol's edge cases ---- */

typedef enum { FAKE_REPLY, FAKE_CLOSE, FAKE_HANG } FakeMode;

typedef struct {
  char *path;
  GSocket *listener;
  GThread *thread;
  FakeMode mode;
  const char *reply;   /* FAKE_REPLY: written (with its NUL) after the end chunk */
  GByteArray *data;    /* the stream's bytes as reassembled from the chunks */
  gboolean got_command;
} FakeClamd;

static gboolean read_exact(GSocket *s, void *buf, gsize n)
{
  gsize got = 0;
  while (got < n) {
    gssize k = g_socket_receive(s, (char *)buf + got, n - got, NULL, NULL);
    if (k <= 0)
      return FALSE;
    got += (gsize)k;
  }
  return TRUE;
}

static gpointer fake_main(gpointer data)
{
  FakeClamd *f = data;
  g_autoptr(GSocket) c = g_socket_accept(f->listener, NULL, NULL);
  char cmd[10];
  if (!c)
    return NULL;
  g_socket_set_blocking(c, TRUE);
  if (f->mode == FAKE_CLOSE) {
    g_socket_close(c, NULL);
    return NULL;
  }
  f->got_command = read_exact(c, cmd, 10) && memcmp(cmd, "zINSTREAM", 10) == 0;
  for (;;) {
    guint32 be;
    guint8 buf[4096];
    guint32 n;
    if (!read_exact(c, &be, 4))
      return NULL;
    n = GUINT32_FROM_BE(be);
    if (n == 0)
      break;
    while (n > 0) {
      guint32 k = MIN(n, (guint32)sizeof buf);
      if (!read_exact(c, buf, k))
        return NULL;
      g_byte_array_append(f->data, buf, k);
      n -= k;
    }
  }
  if (f->mode == FAKE_HANG) {
    /* say nothing until the client gives up and closes */
    char b;
    g_socket_receive(c, &b, 1, NULL, NULL);
    return NULL;
  }
  g_socket_send(c, f->reply, strlen(f->reply) + 1, NULL, NULL);
  g_socket_close(c, NULL);
  return NULL;
}

static void fake_start(FakeClamd *f, FakeMode mode, const char *reply)
{
  g_autofree char *dir = g_dir_make_tmp("okno-clamav-XXXXXX", NULL);
  g_autoptr(GSocketAddress) a = NULL;
  memset(f, 0, sizeof *f);
  f->path = g_build_filename(dir, "clamd.sock", NULL);
  a = g_unix_socket_address_new(f->path);
  f->listener = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, NULL);
  assert_true(g_socket_bind(f->listener, a, TRUE, NULL));
  assert_true(g_socket_listen(f->listener, NULL));
  f->mode = mode;
  f->reply = reply;
  f->data = g_byte_array_new();
  f->thread = g_thread_new("fake-clamd", fake_main, f);
}

static void fake_stop(FakeClamd *f)
{
  g_autofree char *dir = g_path_get_dirname(f->path);
  if (f->thread)
    g_thread_join(f->thread);
  g_object_unref(f->listener);
  g_byte_array_unref(f->data);
  g_unlink(f->path);
  g_rmdir(dir);
  g_free(f->path);
}

static void test_fake_found_and_chunks_reassembled(void **state)
{
  FakeClamd f;
  g_autofree char *sig = NULL;
  g_autoptr(GError) e = NULL;
  g_autofree char *spec = NULL;
  static const char data[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  (void)state;
  fake_start(&f, FAKE_REPLY, "stream: Fake.Sig FOUND");
  spec = g_strconcat("unix:", f.path, NULL);
  assert_true(okno_clamav_scan(spec, 5000, data, sizeof data - 1, 5, &sig, &e));
  assert_null(e);
  assert_string_equal(sig, "Fake.Sig");
  g_thread_join(f.thread);
  f.thread = NULL;
  assert_true(f.got_command);
  assert_int_equal(f.data->len, sizeof data - 1);
  assert_memory_equal(f.data->data, data, sizeof data - 1);
  fake_stop(&f);
}

static void test_fake_empty_stream_is_clean(void **state)
{
  FakeClamd f;
  g_autofree char *sig = NULL;
  g_autoptr(GError) e = NULL;
  (void)state;
  fake_start(&f, FAKE_REPLY, "stream: OK");
  assert_true(okno_clamav_scan(f.path, 5000, "", 0, 0, &sig, &e));
  assert_null(sig);
  fake_stop(&f);
}

static void test_fake_error_reply_is_temporary(void **state)
{
  FakeClamd f;
  g_autofree char *sig = NULL;
  g_autoptr(GError) e = NULL;
  (void)state;
  fake_start(&f, FAKE_REPLY, "INSTREAM size limit exceeded. ERROR");
  assert_false(okno_clamav_scan(f.path, 5000, "abc", 3, 0, &sig, &e));
  assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_TEMP));
  assert_non_null(strstr(e->message, "size limit"));
  assert_null(sig);
  fake_stop(&f);
}

static void test_fake_garbage_reply_is_temporary(void **state)
{
  FakeClamd f;
  g_autofree char *sig = NULL;
  g_autoptr(GError) e = NULL;
  (void)state;
  fake_start(&f, FAKE_REPLY, "HELLO\x01 there");
  assert_false(okno_clamav_scan(f.path, 5000, "abc", 3, 0, &sig, &e));
  assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_TEMP));
  assert_non_null(strstr(e->message, "unexpected reply \"HELLO? there\""));
  fake_stop(&f);
}

static void test_fake_close_without_reply_is_temporary(void **state)
{
  FakeClamd f;
  g_autofree char *sig = NULL;
  g_autoptr(GError) e = NULL;
  (void)state;
  fake_start(&f, FAKE_CLOSE, NULL);
  assert_false(okno_clamav_scan(f.path, 5000, "abc", 3, 0, &sig, &e));
  assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_TEMP));
  fake_stop(&f);
}

static void test_fake_hang_times_out(void **state)
{
  FakeClamd f;
  g_autofree char *sig = NULL;
  g_autoptr(GError) e = NULL;
  (void)state;
  fake_start(&f, FAKE_HANG, NULL);
  assert_false(okno_clamav_scan(f.path, 300, "abc", 3, 0, &sig, &e));
  assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_TEMP));
  assert_non_null(strstr(e->message, "timed out"));
  fake_stop(&f);
}

static void test_nothing_listening_is_temporary(void **state)
{
  g_autofree char *sig = NULL;
  g_autoptr(GError) e = NULL;
  g_autoptr(GError) e2 = NULL;
  (void)state;
  assert_false(okno_clamav_scan("unix:/nonexistent/clamd.sock", 1000, "a", 1, 0, &sig, &e));
  assert_true(g_error_matches(e, OKNO_ERROR, OKNO_ERROR_TEMP));
  /* a TCP port nobody listens on (port 1 on loopback) */
  assert_false(okno_clamav_scan("127.0.0.1:1", 1000, "a", 1, 0, &sig, &e2));
  assert_true(g_error_matches(e2, OKNO_ERROR, OKNO_ERROR_TEMP));
}

/* ---- a real clamd ---- */

typedef struct {
  char *dir;
  char *sock;
  GPid pid;
  GBytes *sample;   /* a 200 KB file whose MD5 is the test signature */
} RealClamd;

static int real_setup(void **state)
{
  RealClamd *r;
  g_autofree char *db = NULL, *conf = NULL, *text = NULL, *hdb = NULL, *sample_path = NULL;
  g_autofree char *md5 = NULL;
  g_autoptr(GByteArray) sample = g_byte_array_new();
  const char *argv[] = {"/usr/sbin/clamd", "-c", NULL, NULL};
  g_autoptr(GError) e = NULL;

  if (!g_file_test("/usr/sbin/clamd", G_FILE_TEST_IS_EXECUTABLE)) {
    *state = NULL;
    return 0;
  }
  r = g_new0(RealClamd, 1);
  r->dir = g_dir_make_tmp("okno-clamd-XXXXXX", NULL);
  db = g_build_filename(r->dir, "db", NULL);
  g_mkdir(db, 0700);
  r->sock = g_build_filename(r->dir, "clamd.sock", NULL);
  for (guint i = 0; i < 200 * 1024; i++) {
    guint8 b = (guint8)((i * 2654435761u) >> 13);
    g_byte_array_append(sample, &b, 1);
  }
  /* the signature database: "MD5:size:name", as sigtool --md5 writes it */
  md5 = g_compute_checksum_for_data(G_CHECKSUM_MD5, sample->data, sample->len);
  hdb = g_strdup_printf("%s:%u:Okno.Test.Sample-1\n", md5, sample->len);
  sample_path = g_build_filename(db, "test.hdb", NULL);
  assert_true(g_file_set_contents(sample_path, hdb, -1, NULL));
  r->sample = g_byte_array_free_to_bytes(g_steal_pointer(&sample));
  text = g_strdup_printf("LocalSocket %s\nForeground yes\nDatabaseDirectory %s\n"
                         "TemporaryDirectory %s\nLogFile %s/clamd.log\n",
                         r->sock, db, r->dir, r->dir);
  conf = g_build_filename(r->dir, "clamd.conf", NULL);
  assert_true(g_file_set_contents(conf, text, -1, NULL));
  argv[2] = conf;
  assert_true(g_spawn_async(NULL, (char **)argv, NULL,
                            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                G_SPAWN_STDERR_TO_DEV_NULL,
                            NULL, NULL, &r->pid, &e));
  for (int i = 0; i < 600 && !g_file_test(r->sock, G_FILE_TEST_EXISTS); i++)
    g_usleep(100000);
  assert_true(g_file_test(r->sock, G_FILE_TEST_EXISTS));
  *state = r;
  return 0;
}

static int real_teardown(void **state)
{
  RealClamd *r = *state;
  g_autofree char *cmd = NULL;
  if (!r)
    return 0;
  kill(r->pid, SIGTERM);
  waitpid(r->pid, NULL, 0);
  g_spawn_close_pid(r->pid);
  cmd = g_strdup_printf("rm -rf '%s'", r->dir);
  assert_int_equal(system(cmd), 0);
  g_bytes_unref(r->sample);
  g_free(r->sock);
  g_free(r->dir);
  g_free(r);
  return 0;
}

static void test_real_clamd_split_over_chunks(void **state)
{
  RealClamd *r = *state;
  static const gsize chunks[] = {1, 7, 4096, 0};
  gsize len;
  const guint8 *data;
  if (!r) {
    skip();
    return;
  }
  data = g_bytes_get_data(r->sample, &len);
  for (gsize i = 0; i < G_N_ELEMENTS(chunks); i++) {
    g_autofree char *sig = NULL;
    g_autoptr(GError) e = NULL;
    assert_true(okno_clamav_scan(r->sock, 60000, data, len, chunks[i], &sig, &e));
    assert_null(e);
    assert_non_null(sig);
    assert_non_null(strstr(sig, "Okno.Test.Sample-1"));
  }
}

static void test_real_clamd_clean_and_one_byte_changed(void **state)
{
  RealClamd *r = *state;
  gsize len = 0;
  const void *orig;
  g_autofree guint8 *copy = NULL;
  g_autofree char *sig = NULL;
  g_autofree char *sig2 = NULL;
  g_autoptr(GError) e = NULL;
  if (!r) {
    skip();
    return;
  }
  orig = g_bytes_get_data(r->sample, &len);
  copy = g_memdup2(orig, len);
  copy[len / 2] ^= 1;
  assert_true(okno_clamav_scan(r->sock, 60000, copy, len, 0, &sig, &e));
  assert_null(sig);
  assert_true(okno_clamav_scan(r->sock, 60000, "hello", 5, 0, &sig2, &e));
  assert_null(sig2);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse_replies),
    cmocka_unit_test(test_parse_caps_detail),
    cmocka_unit_test(test_fake_found_and_chunks_reassembled),
    cmocka_unit_test(test_fake_empty_stream_is_clean),
    cmocka_unit_test(test_fake_error_reply_is_temporary),
    cmocka_unit_test(test_fake_garbage_reply_is_temporary),
    cmocka_unit_test(test_fake_close_without_reply_is_temporary),
    cmocka_unit_test(test_fake_hang_times_out),
    cmocka_unit_test(test_nothing_listening_is_temporary),
  };
  const struct CMUnitTest real[] = {
    cmocka_unit_test(test_real_clamd_split_over_chunks),
    cmocka_unit_test(test_real_clamd_clean_and_one_byte_changed),
  };
  int failed = cmocka_run_group_tests_name("clamav", tests, NULL, NULL);
  return failed + cmocka_run_group_tests_name("clamav-real-clamd", real, real_setup, real_teardown);
}
