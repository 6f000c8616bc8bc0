/* test_totp.c: TOTP against the RFC 6238 Appendix B vectors (and RFC 4226 Appendix D
 * for HOTP), base32 against RFC 4648 section 10, the ±1 step window, replay refusal,
 * the otpauth URI, the QR SVG and recovery codes (sec/totp.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sec/totp.h"

/* RFC 6238 Appendix B: the seeds are the ASCII digits "1234567890" repeated to the
 * hash's length (20, 32, 64 bytes); T0 = 0, X = 30, 8 digits. */
static const char SEED20[] = "12345678901234567890";
static const char SEED32[] = "12345678901234567890123456789012";
static const char SEED64[] = "1234567890123456789012345678901234567890123456789012345678901234";

static void test_rfc6238_appendix_b(void **state)
{
  static const struct {
    gint64 t;
    guint32 sha1, sha256, sha512;
  } v[] = {
    {59, 94287082, 46119246, 90693936},
    {1111111109, 7081804, 68084774, 25091201},
    {1111111111, 14050471, 67062674, 99943326},
    {1234567890, 89005924, 91819424, 93441116},
    {2000000000, 69279037, 90698825, 38618901},
    {G_GINT64_CONSTANT(20000000000), 65353130, 77737706, 47863826},
  };
  for (guint i = 0; i < G_N_ELEMENTS(v); i++) {
    guint64 step = okno_totp_step(v[i].t, 30);
    assert_int_equal(okno_hotp((const guint8 *)SEED20, 20, OKNO_TOTP_SHA1, step, 8), v[i].sha1);
    assert_int_equal(okno_hotp((const guint8 *)SEED32, 32, OKNO_TOTP_SHA256, step, 8), v[i].sha256);
    assert_int_equal(okno_hotp((const guint8 *)SEED64, 64, OKNO_TOTP_SHA512, step, 8), v[i].sha512);
  }
}

static void test_rfc4226_appendix_d(void **state)
{
  static const guint32 want[] = {755224, 287082, 359152, 969429, 338314,
                                 254676, 287922, 162583, 399871, 520489};
  for (guint c = 0; c < G_N_ELEMENTS(want); c++)
    assert_int_equal(okno_hotp((const guint8 *)SEED20, 20, OKNO_TOTP_SHA1, c, 6), want[c]);
}

static void test_base32_rfc4648_vectors(void **state)
{
  static const char *const v[][2] = {
    {"", ""}, {"f", "MY"}, {"fo", "MZXQ"}, {"foo", "MZXW6"}, {"foob", "MZXW6YQ"},
    {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(v); i++) {
    g_autofree char *enc = okno_base32_encode((const guint8 *)v[i][0], strlen(v[i][0]));
    g_autoptr(GBytes) dec = okno_base32_decode(v[i][1]);
    assert_string_equal(enc, v[i][1]);
    assert_non_null(dec);
    assert_int_equal(g_bytes_get_size(dec), strlen(v[i][0]));
    assert_memory_equal(g_bytes_get_data(dec, NULL), v[i][0], strlen(v[i][0]));
  }
  {
    g_autoptr(GBytes) padded = okno_base32_decode("mzxw 6yq=");
    g_autoptr(GBytes) bad_char = okno_base32_decode("MZX1");
    g_autoptr(GBytes) bad_tail = okno_base32_decode("MZ"); /* leftover bits not zero */
    g_autoptr(GBytes) after_pad = okno_base32_decode("MY=A");
    assert_int_equal(g_bytes_get_size(padded), 4);
    assert_null(bad_char);
    assert_null(bad_tail);
    assert_null(after_pad);
  }
}

/* The SHA-1 seed as an enrolled secret; instants inside step 1000 (t 30000..30029). */
static char *seed_secret(void) { return okno_base32_encode((const guint8 *)SEED20, 20); }
static char *code_at(guint64 step)
{
  return g_strdup_printf("%06u", okno_hotp((const guint8 *)SEED20, 20, OKNO_TOTP_SHA1, step, 6));
}

static void test_window_is_one_step_either_side(void **state)
{
  g_autofree char *secret = seed_secret();
  gint64 now = G_GINT64_CONSTANT(30010) * G_USEC_PER_SEC, used = 0;
  for (guint64 s = 997; s <= 1003; s++) {
    g_autofree char *c = code_at(s);
    gboolean ok = okno_totp_verify(secret, c, now, 0, &used);
    assert_int_equal(ok, s >= 999 && s <= 1001);
    if (ok)
      assert_int_equal(used, s);
  }
  {
    g_autofree char *c = code_at(1000);
    g_autofree char *spaced = g_strdup_printf("%.3s %s", c, c + 3);
    g_autofree char *seven = g_strdup_printf("%s0", c);
    assert_true(okno_totp_verify(secret, spaced, now, 0, &used));
    assert_false(okno_totp_verify(secret, seven, now, 0, &used));
    assert_false(okno_totp_verify(secret, "12a456", now, 0, &used));
    assert_false(okno_totp_verify(secret, "", now, 0, &used));
    assert_false(okno_totp_verify("not base32!", c, now, 0, &used));
  }
}

static void test_a_used_step_is_never_accepted_again(void **state)
{
  g_autofree char *secret = seed_secret();
  g_autofree char *c1000 = code_at(1000), *c999 = code_at(999), *c1001 = code_at(1001);
  gint64 now = G_GINT64_CONSTANT(30010) * G_USEC_PER_SEC, used = 0;
  assert_true(okno_totp_verify(secret, c1000, now, 0, &used));
  assert_int_equal(used, 1000);
  /* The caller stored 1000: the same code, and the older one, are refused. */
  assert_false(okno_totp_verify(secret, c1000, now, 1000, &used));
  assert_false(okno_totp_verify(secret, c999, now, 1000, &used));
  assert_true(okno_totp_verify(secret, c1001, now, 1000, &used));
  assert_int_equal(used, 1001);
}

static void test_uri_and_qr(void **state)
{
  g_autofree char *uri = okno_totp_uri("JBSWY3DPEHPK3PXP", "Портал услуг", "ivanov");
  g_autofree char *svg = okno_qr_svg(uri, NULL);
  g_autofree char *secret = okno_totp_secret_new();
  g_autoptr(GBytes) key = okno_base32_decode(secret);
  unsigned n = 0;
  assert_string_equal(uri, "otpauth://totp/%D0%9F%D0%BE%D1%80%D1%82%D0%B0%D0%BB%20%D1%83%D1%81"
                           "%D0%BB%D1%83%D0%B3:ivanov?secret=JBSWY3DPEHPK3PXP&issuer=%D0%9F%D0%BE"
                           "%D1%80%D1%82%D0%B0%D0%BB%20%D1%83%D1%81%D0%BB%D1%83%D0%B3"
                           "&algorithm=SHA1&digits=6&period=30");
  assert_non_null(svg);
  assert_true(g_str_has_prefix(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "));
  n = (unsigned)g_ascii_strtoull(strstr(svg, "viewBox") + strlen("viewBox=\"0 0 "), NULL, 10);
  /* A QR symbol is 21 + 4(v-1) modules wide, plus the 4-module quiet zone each side. */
  assert_true(n >= 29 && (n - 8 - 21) % 4 == 0);
  assert_true(g_str_has_suffix(svg, "\"/></svg>"));
  /* The finder patterns' top rows: 7 dark modules at the top-left and top-right. */
  {
    g_autofree char *left = g_strdup("M4 4h7v1h-7z");
    g_autofree char *right = g_strdup_printf("M%u 4h7v1h-7z", n - 4 - 7);
    assert_non_null(strstr(svg, left));
    assert_non_null(strstr(svg, right));
  }
  assert_int_equal(strlen(secret), 32);
  assert_int_equal(g_bytes_get_size(key), 20);
}

/* The terminal QR read back (half blocks: light modules drawn) gives exactly the dark
 * modules of the SVG: rebuilt here into the SVG's path and compared. */
static void test_qr_terminal_matches_svg(void **state)
{
  const char *uri = "otpauth://totp/okno:admin?secret=JBSWY3DPEHPK3PXP&issuer=okno";
  g_autofree char *svg = okno_qr_svg(uri, NULL);
  g_autofree char *term = okno_qr_terminal(uri, NULL);
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) path = g_string_new(NULL);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_free);
  int width = -1;
  (void)state;
  assert_non_null(term);
  lines = g_strsplit(term, "\n", -1);
  for (char **l = lines; *l && **l; l++) {
    const char *p = *l;
    GString *top = g_string_new(NULL), *bottom = g_string_new(NULL);
    assert_true(g_str_has_prefix(p, "\033[40;97m"));
    assert_true(g_str_has_suffix(p, "\033[0m"));
    p += strlen("\033[40;97m");
    while (!g_str_has_prefix(p, "\033[0m")) {
      gunichar c = g_utf8_get_char(p);
      /* '1' dark, '0' light */
      g_string_append_c(top, c == 0x2588 || c == 0x2580 ? '0' : '1');
      g_string_append_c(bottom, c == 0x2588 || c == 0x2584 ? '0' : '1');
      assert_true(c == ' ' || c == 0x2588 || c == 0x2580 || c == 0x2584);
      p = g_utf8_next_char(p);
    }
    g_ptr_array_add(rows, g_string_free(top, FALSE));
    g_ptr_array_add(rows, g_string_free(bottom, FALSE));
  }
  width = (int)strlen(rows->pdata[0]) - 4; /* 2-module quiet zone each side */
  assert_true(width >= 21 && (width - 21) % 4 == 0);
  assert_true((int)rows->len >= width + 4);
  for (int y = 0; y < width; y++) {
    const char *r = rows->pdata[y + 2];
    for (int x = 0; x < width;) {
      int run = 0;
      while (x + run < width && r[x + 2 + run] == '1')
        run++;
      if (run) {
        g_string_append_printf(path, "M%d %dh%dv1h-%dz", x + 4, y + 4, run, run);
        x += run;
      } else {
        x++;
      }
    }
  }
  /* the quiet zone is light */
  for (int x = 0; x < width + 4; x++)
    assert_int_equal(((char *)rows->pdata[0])[x], '0');
  {
    g_autofree char *tail = g_strconcat("d=\"", path->str, "\"/></svg>", NULL);
    assert_true(g_str_has_suffix(svg, tail));
  }
}

static void test_recovery_codes(void **state)
{
  g_auto(GStrv) codes = okno_recovery_codes_new();
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  assert_int_equal(g_strv_length(codes), OKNO_RECOVERY_CODES);
  for (char **c = codes; *c; c++) {
    g_autofree char *h = okno_recovery_code_hash(*c);
    g_autofree char *low = g_ascii_strdown(*c, -1);
    g_autofree char *bare = g_strdup_printf("%.4s%.4s%.4s", low, low + 5, low + 10);
    g_autofree char *h2 = okno_recovery_code_hash(bare);
    assert_int_equal(strlen(*c), 14);
    assert_true((*c)[4] == '-' && (*c)[9] == '-');
    assert_int_equal(strlen(h), 64);
    assert_string_equal(h, h2);
    assert_false(g_hash_table_contains(seen, *c));
    g_hash_table_add(seen, *c);
  }
  assert_null(okno_recovery_code_hash("ABCD-EFGH-IJK"));
  assert_null(okno_recovery_code_hash("ABCD-EFGH-IJK1"));
  assert_null(okno_recovery_code_hash("123456"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rfc6238_appendix_b),
    cmocka_unit_test(test_rfc4226_appendix_d),
    cmocka_unit_test(test_base32_rfc4648_vectors),
    cmocka_unit_test(test_window_is_one_step_either_side),
    cmocka_unit_test(test_a_used_step_is_never_accepted_again),
    cmocka_unit_test(test_uri_and_qr),
    cmocka_unit_test(test_qr_terminal_matches_svg),
    cmocka_unit_test(test_recovery_codes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
