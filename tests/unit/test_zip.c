/* test_zip.c: the ZIP inspector (mail/zip.h) on archives built here: a sound one, a
 * zip bomb (a ratio far past the limit, also when its central directory lies about
 * the sizes), too many entries, too much inflated, broken and non-ZIP input; and the
 * intake's refusal of a DOCX that is a zip bomb (intake/validate.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "intake/validate.h"
#include "mail/zip.h"

static void put16(GByteArray *b, guint v)
{
  guint8 x[2] = {v & 0xff, (v >> 8) & 0xff};
  g_byte_array_append(b, x, 2);
}

static void put32(GByteArray *b, guint32 v)
{
  guint8 x[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};
  g_byte_array_append(b, x, 4);
}

static GBytes *deflate_raw(const guint8 *d, gsize n)
{
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_RAW, 9);
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new(mem, G_CONVERTER(z));
  assert_true(g_output_stream_write_all(out, d, n, NULL, NULL, NULL));
  assert_true(g_output_stream_close(out, NULL, NULL));
  return g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(mem));
}

typedef struct {
  const char *name;
  const guint8 *data;
  gsize size;
  gboolean deflate;
  guint32 declared; /* the size the central directory states; 0: the real one */
} Member;

/* A ZIP archive of `members`, as zip(1) writes one (no data descriptors). */
static GBytes *make_zip(const Member *members, guint n)
{
  GByteArray *b = g_byte_array_new();
  GByteArray *cd = g_byte_array_new();
  for (guint i = 0; i < n; i++) {
    const Member *m = &members[i];
    g_autoptr(GBytes) packed = m->deflate ? deflate_raw(m->data, m->size)
                                          : g_bytes_new_static(m->data, m->size);
    guint32 off = b->len, csize = (guint32)g_bytes_get_size(packed);
    guint32 usize = m->declared ? m->declared : (guint32)m->size;
    guint16 nlen = (guint16)strlen(m->name);
    g_byte_array_append(b, (const guint8 *)"PK\x03\x04", 4);
    put16(b, 20); put16(b, 0); put16(b, m->deflate ? 8 : 0); put16(b, 0); put16(b, 0);
    put32(b, 0); put32(b, csize); put32(b, usize); put16(b, nlen); put16(b, 0);
    g_byte_array_append(b, (const guint8 *)m->name, nlen);
    g_byte_array_append(b, g_bytes_get_data(packed, NULL), csize);
    g_byte_array_append(cd, (const guint8 *)"PK\x01\x02", 4);
    put16(cd, 20); put16(cd, 20); put16(cd, 0); put16(cd, m->deflate ? 8 : 0); put16(cd, 0);
    put16(cd, 0); put32(cd, 0); put32(cd, csize); put32(cd, usize); put16(cd, nlen);
    put16(cd, 0); put16(cd, 0); put16(cd, 0); put16(cd, 0); put32(cd, 0); put32(cd, off);
    g_byte_array_append(cd, (const guint8 *)m->name, nlen);
  }
  {
    guint32 cd_off = b->len, cd_size = cd->len;
    g_byte_array_append(b, cd->data, cd->len);
    g_byte_array_append(b, (const guint8 *)"PK\x05\x06", 4);
    put16(b, 0); put16(b, 0); put16(b, n); put16(b, n); put32(b, cd_size); put32(b, cd_off);
    put16(b, 0);
  }
  g_byte_array_unref(cd);
  return g_byte_array_free_to_bytes(b);
}

static OknoZipVerdict inspect(GBytes *z, const OknoZipLimits *lim, OknoZipFacts *facts)
{
  gsize n = 0;
  const guint8 *d = g_bytes_get_data(z, &n);
  return okno_zip_inspect(d, n, lim, facts);
}

static const char XML[] =
  "<?xml version=\"1.0\"?><w:document><w:body><w:p><w:r><w:t>Заявление</w:t></w:r></w:p>"
  "</w:body></w:document>";

static void a_sound_document_passes(void **state)
{
  const Member m[] = {
    {"[Content_Types].xml", (const guint8 *)XML, sizeof XML - 1, TRUE, 0},
    {"word/document.xml", (const guint8 *)XML, sizeof XML - 1, TRUE, 0},
    {"word/media/image1.png", (const guint8 *)"\x89PNG....", 8, FALSE, 0},
  };
  g_autoptr(GBytes) z = make_zip(m, 3);
  OknoZipFacts f;
  assert_int_equal(inspect(z, NULL, &f), OKNO_ZIP_OK);
  assert_int_equal(f.entries, 3);
  assert_int_equal(f.inflated, 2 * (sizeof XML - 1) + 8);
}

static void a_zip_bomb_is_refused_even_when_its_directory_lies(void **state)
{
  gsize n = 64 * 1024 * 1024;
  guint8 *zeros = g_malloc0(n);
  const Member honest[] = {{"word/document.xml", zeros, n, TRUE, 0}};
  const Member liar[] = {{"word/document.xml", zeros, n, TRUE, 1000}};
  g_autoptr(GBytes) z1 = make_zip(honest, 1);
  g_autoptr(GBytes) z2 = make_zip(liar, 1);
  OknoZipFacts f;
  g_free(zeros);
  assert_true(g_bytes_get_size(z1) < 200 * 1024);
  assert_int_equal(inspect(z1, NULL, &f), OKNO_ZIP_RATIO);
  assert_true(f.inflated < 8 * 1024 * 1024); /* stopped early, not inflated whole */
  assert_int_equal(inspect(z2, NULL, NULL), OKNO_ZIP_RATIO);
  assert_string_equal(okno_zip_verdict_name(OKNO_ZIP_RATIO), "ratio");
}

static void too_many_entries_and_too_much_inflated(void **state)
{
  static guint8 noise[4096];
  Member m[6];
  OknoZipLimits few = {5, 100 * 1024 * 1024, 100}, small = {1000, 10000, 100000};
  for (gsize i = 0; i < sizeof noise; i++)
    noise[i] = (guint8)(g_random_int() & 0xff);
  for (int i = 0; i < 6; i++)
    m[i] = (Member){"part.bin", noise, sizeof noise, i % 2 == 0, 0};
  {
    g_autoptr(GBytes) z = make_zip(m, 6);
    assert_int_equal(inspect(z, &few, NULL), OKNO_ZIP_TOO_MANY);
    assert_int_equal(inspect(z, &small, NULL), OKNO_ZIP_TOO_BIG);
    assert_int_equal(inspect(z, NULL, NULL), OKNO_ZIP_OK);
  }
}

static void broken_and_foreign_input(void **state)
{
  const Member m[] = {{"word/document.xml", (const guint8 *)XML, sizeof XML - 1, TRUE, 0}};
  g_autoptr(GBytes) z = make_zip(m, 1);
  gsize n = 0;
  const guint8 *d = g_bytes_get_data(z, &n);
  g_autofree guint8 *cut = g_memdup2(d, n);
  assert_int_equal(okno_zip_inspect((const guint8 *)"%PDF-1.7", 8, NULL, NULL), OKNO_ZIP_NOT_ZIP);
  assert_int_equal(okno_zip_inspect(NULL, 0, NULL, NULL), OKNO_ZIP_NOT_ZIP);
  /* the deflate stream damaged */
  cut[30 + strlen("word/document.xml")] = 0xff;
  cut[31 + strlen("word/document.xml")] = 0xff;
  assert_int_equal(okno_zip_inspect(cut, n, NULL, NULL), OKNO_ZIP_BROKEN);
  /* the directory pointing past the end */
  memcpy(cut, d, n);
  cut[n - 6] = 0xff;
  cut[n - 5] = 0xff;
  assert_int_equal(okno_zip_inspect(cut, n, NULL, NULL), OKNO_ZIP_BROKEN);
}

static void a_docx_bomb_is_refused_with_a_reason(void **state)
{
  gsize n = 64 * 1024 * 1024;
  guint8 *zeros = g_malloc0(n);
  const Member bomb[] = {{"word/document.xml", zeros, n, TRUE, 0}};
  const Member fine[] = {{"word/document.xml", (const guint8 *)XML, sizeof XML - 1, TRUE, 0}};
  g_autoptr(GBytes) z = make_zip(bomb, 1);
  g_autoptr(GBytes) ok = make_zip(fine, 1);
  OknoAttachment a = {.filename = (char *)"заявление.docx",
                      .content_type = (char *)"application/vnd.openxmlformats-officedocument."
                                              "wordprocessingml.document"};
  g_autofree char *why = NULL, *none = NULL;
  g_free(zeros);
  a.data = z;
  a.size = g_bytes_get_size(z);
  why = okno_attachment_refusal(&a);
  assert_non_null(why);
  assert_non_null(strstr(why, "«заявление.docx»"));
  assert_non_null(strstr(why, "zip-бомб"));
  a.data = ok;
  a.size = g_bytes_get_size(ok);
  none = okno_attachment_refusal(&a);
  assert_null(none);
}

/* The store-only writer: an archive the inspector (and `unzip -t`, when present) reads
 * back, with the entries' names and bytes where they should be. */
static void the_writer_makes_a_readable_archive(void **state)
{
  g_autoptr(OknoZipWriter) w = okno_zip_writer_new();
  g_autoptr(GBytes) zip = NULL;
  g_autofree char *dir = g_dir_make_tmp("okno-zip-XXXXXX", NULL), *path = NULL, *cmd = NULL;
  g_autofree char *out = NULL;
  OknoZipFacts facts = {0};
  const guint8 *d;
  gsize len;
  (void)state;
  assert_true(okno_zip_writer_add(w, "26-000001-9/appeal.json", "{\"a\":1}", 7, 1795000000));
  assert_true(okno_zip_writer_add(w, "26-000001-9/вложения/скан.txt", "привет", strlen("привет"),
                                  1795000000));
  assert_true(okno_zip_writer_add(w, "empty", "", 0, 0));
  zip = okno_zip_writer_finish(w);
  d = g_bytes_get_data(zip, &len);
  assert_int_equal(okno_zip_inspect(d, len, NULL, &facts), OKNO_ZIP_OK);
  assert_int_equal(facts.entries, 3);
  assert_int_equal(facts.inflated, 7 + strlen("привет"));
  assert_non_null(memmem(d, len, "привет", strlen("привет")));
  g_autofree char *unzip = g_find_program_in_path("unzip");
  if (unzip) {
    int status = -1;
    path = g_build_filename(dir, "t.zip", NULL);
    assert_true(g_file_set_contents(path, (const char *)d, (gssize)len, NULL));
    cmd = g_strdup_printf("unzip -t -q '%s'", path);
    assert_true(g_spawn_command_line_sync(cmd, &out, NULL, &status, NULL));
    assert_int_equal(status, 0);
    g_unlink(path);
  }
  g_rmdir(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(a_sound_document_passes),
    cmocka_unit_test(the_writer_makes_a_readable_archive),
    cmocka_unit_test(a_zip_bomb_is_refused_even_when_its_directory_lies),
    cmocka_unit_test(too_many_entries_and_too_much_inflated),
    cmocka_unit_test(broken_and_foreign_input),
    cmocka_unit_test(a_docx_bomb_is_refused_with_a_reason),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
