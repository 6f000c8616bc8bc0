/* test_config.c: the configuration table: defaults, overrides, and precise errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>

#include "core/config.h"
#include "core/error.h"

static char *write_ini(const char *text)
{
  char *path = NULL;
  int fd = g_file_open_tmp("okno-config-XXXXXX.ini", &path, NULL);
  assert_true(fd >= 0);
  assert_true(g_file_set_contents(path, text, -1, NULL));
  close(fd);
  return path;
}

static OknoConfig *load(const char *text, GError **err)
{
  g_autofree char *path = write_ini(text);
  OknoConfig *cfg = okno_config_load(path, err);
  g_unlink(path);
  return cfg;
}

static void test_defaults_are_the_embedded_demo(void **state)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  assert_string_equal(cfg->store_url, "sqlite:var/okno.db");
  assert_string_equal(cfg->smtp_listen, "127.0.0.1:2525");
  assert_string_equal(cfg->outbound_transport, "maildir:var/outbox");
  assert_int_equal(cfg->max_line_length, 1000);
  assert_true(okno_config_is_support_address(cfg, "SUPPORT@portal.example"));
  assert_false(okno_config_is_support_address(cfg, "other@portal.example"));
}

static void test_values_lists_sizes_and_relative_paths(void **state)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoConfig) cfg = load("[store]\nurl = sqlite:data/x.db\n"
                                   "[smtp]\naddresses = support@a.ru; help@a.ru ;\n"
                                   "max_message_size = 20M\n"
                                   "[outbound]\ntransport = maildir:out\n",
                                   &err);
  assert_non_null(cfg);
  assert_int_equal(cfg->max_message_size, 20 * 1024 * 1024);
  assert_int_equal(g_strv_length(cfg->smtp_addresses), 2);
  assert_string_equal(cfg->smtp_addresses[1], "help@a.ru");
  /* Relative to the directory of the file (the temp dir), not to the cwd. */
  assert_true(g_str_has_prefix(cfg->store_url, "sqlite:/"));
  assert_true(g_str_has_suffix(cfg->store_url, "/data/x.db"));
  assert_true(g_str_has_prefix(cfg->outbound_transport, "maildir:/"));
}

static void expect_error(const char *text, const char *fragment)
{
  g_autoptr(GError) err = NULL;
  OknoConfig *cfg = load(text, &err);
  assert_null(cfg);
  assert_non_null(err);
  assert_int_equal(err->code, OKNO_ERROR_USER);
  if (!strstr(err->message, fragment))
    fail_msg("error '%s' does not mention '%s'", err->message, fragment);
}

static void test_errors_name_the_section_and_key(void **state)
{
  expect_error("[smpt]\nlisten = x\n", "unknown section [smpt]");
  expect_error("[smtp]\nlisten_addr = x\n", "unknown key 'listen_addr' in [smtp]");
  expect_error("[smtp]\nmax_recipients = many\n", "max_recipients = 'many' is not a number");
  expect_error("[smtp]\nmax_recipients = 0\n", "out of range");
  expect_error("[store]\nurl = mysql://x\n", "[store] url");
  expect_error("[outbound]\ntransport = pigeon\n", "[outbound] transport");
  expect_error("[smtp]\naddresses = ;\n", "[smtp] addresses is empty");
  expect_error("not an ini file", "");
  expect_error("[clamav]\npolicy = quarantine\n", "[clamav] policy must be refuse or strip");
  expect_error("[clamav]\ntimeout_ms = 10\n", "out of range");
  expect_error("[check]\naddress = check\n", "[check] address must be an e-mail address");
}

static void test_rspamd(void **state)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoConfig) def = okno_config_new_default();
  g_autoptr(OknoConfig) cfg = load("[rspamd]\nurl = http://127.0.0.1:11333\n"
                                   "reject_score = 20.5\nspam_score = -1\non_failure = accept\n",
                                   &err);
  (void)state;
  assert_string_equal(def->rspamd_url, "");
  assert_true(def->rspamd_reject_score == 15.0);
  assert_true(def->rspamd_spam_score == 6.0);
  assert_string_equal(def->rspamd_on_failure, "tempfail");
  assert_non_null(cfg);
  assert_string_equal(cfg->rspamd_url, "http://127.0.0.1:11333");
  assert_true(cfg->rspamd_reject_score == 20.5);
  assert_true(cfg->rspamd_spam_score == -1.0);
  assert_string_equal(cfg->rspamd_on_failure, "accept");
  expect_error("[rspamd]\non_failure = drop\n", "[rspamd] on_failure must be tempfail or accept");
  expect_error("[rspamd]\nreject_score = 6,5\n", "[rspamd] reject_score = '6,5' is not a number");
  expect_error("[rspamd]\nspam_score = \n", "[rspamd] spam_score = '' is not a number");
  expect_error("[rspamd]\nspam_score = 1e9\n", "from -1000 to 1000");
  expect_error("[rspamd]\nspam_score = nan\n", "is not a number");
}

static void test_clamav_and_check_address(void **state)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoConfig) def = okno_config_new_default();
  g_autoptr(OknoConfig) cfg = load("[clamav]\nsocket = unix:run/clamd.ctl\npolicy = strip\n"
                                   "[check]\naddress = check@portal.example\n", &err);
  assert_string_equal(def->clamav_socket, "");
  assert_string_equal(def->clamav_policy, "refuse");
  assert_int_equal(def->clamav_timeout_ms, 30000);
  assert_false(okno_config_is_check_address(def, "check@portal.example"));
  assert_false(okno_config_is_check_address(def, ""));
  assert_non_null(cfg);
  assert_string_equal(cfg->clamav_policy, "strip");
  /* a relative unix: path is relative to the file, like the other paths */
  assert_true(g_str_has_prefix(cfg->clamav_socket, "unix:/"));
  assert_true(g_str_has_suffix(cfg->clamav_socket, "/run/clamd.ctl"));
  assert_true(okno_config_is_check_address(cfg, "CHECK@portal.example"));
  assert_false(okno_config_is_support_address(cfg, "check@portal.example"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_defaults_are_the_embedded_demo),
    cmocka_unit_test(test_values_lists_sizes_and_relative_paths),
    cmocka_unit_test(test_errors_name_the_section_and_key),
    cmocka_unit_test(test_clamav_and_check_address),
    cmocka_unit_test(test_rspamd),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
