/* test_vault.c: encryption at rest (core/vault.h, store/keys.h, docs/crypto.md): the
 * key file, sealing and the blind index; then, on both backends, sealed rows read back
 * clear, crypto-shredding with its key epochs (a backup taken before a shred cannot
 * open the shredded appeal, and still opens one of another epoch), and rotation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>
#include <sodium.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/vault.h"
#include "store/appeals.h"
#include "store/keys.h"
#include "store/cabinet.h"
#include "store/events.h"
#include "store/messages.h"
#include "store/notify.h"
#include "store/oidc.h"
#include "store/seal.h"
#include "store/sessions.h"
#include "store/staff.h"
#include "store/store.h"
#define OKNO_STORE_FIXTURE
#include "store_backends.h"

#define RAW "From: ivan.secret@example.org\r\nSubject: x\r\n\r\nquokkaflamingo\r\n"

static char *key_path(const Fx *fx, const char *name)
{
  return fx && fx->db->dir ? g_build_filename(fx->db->dir, name, NULL)
                           : g_strdup_printf("%s/okno-vault-%08x-%s", g_get_tmp_dir(),
                                             g_random_int(), name);
}

/* ---- the key file and the primitives ---- */

static void test_key_file_is_created_once_private_and_checked(void **state)
{
  g_autofree char *dir = g_dir_make_tmp("okno-vault-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "okno.key", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoVault) v = NULL;
  struct stat sb;
  (void)state;
  assert_true(okno_vault_create(path, NULL));
  assert_int_equal(stat(path, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);
  assert_true(g_file_get_contents(path, &text, NULL, NULL));
  assert_true(g_str_has_prefix(text, "okno-key 1\n"));
  assert_false(okno_vault_create(path, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  assert_non_null(strstr(err->message, "never overwrites"));
  g_clear_error(&err);
  v = okno_vault_load(path, NULL);
  assert_non_null(v);
  assert_int_equal(okno_vault_current_epoch(v), 1);
  g_clear_pointer(&v, okno_vault_free);
  chmod(path, 0644);
  assert_null(okno_vault_load(path, &err));
  assert_non_null(strstr(err->message, "chmod 600"));
  g_clear_error(&err);
  chmod(path, 0600);
  assert_true(g_file_set_contents(path, "okno-key 1\ncurrent 1\n", -1, NULL));
  chmod(path, 0600);
  assert_null(okno_vault_load(path, &err));
  assert_non_null(strstr(err->message, "not an okno key file"));
  g_clear_error(&err);
  g_unlink(path);
  assert_null(okno_vault_load(path, &err));
  assert_non_null(strstr(err->message, "okno crypto init"));
  g_rmdir(dir);
}

static void test_sealed_values_open_only_where_they_were_sealed(void **state)
{
  guint8 dk[OKNO_VAULT_KEY_LEN], other[OKNO_VAULT_KEY_LEN];
  gint64 id, id2;
  g_autoptr(GBytes) s = NULL;
  g_autoptr(GBytes) clear = NULL;
  g_autofree char *t = NULL, *back = NULL, *empty = NULL, *empty_back = NULL;
  g_autoptr(GError) err = NULL;
  gsize len = 0;
  guint8 *copy;
  (void)state;
  okno_vault_new_data_key(dk, &id);
  okno_vault_new_data_key(other, &id2);
  assert_true(id > 0 && id != id2);
  s = okno_vault_seal(dk, id, "messages.raw", RAW, strlen(RAW));
  assert_int_equal(g_bytes_get_size(s), strlen(RAW) + OKNO_VAULT_SEAL_OVERHEAD);
  assert_null(memmem(g_bytes_get_data(s, NULL), g_bytes_get_size(s), "quokka", 6));
  assert_int_equal(okno_vault_sealed_key_id(g_bytes_get_data(s, NULL), g_bytes_get_size(s)), id);
  len = g_bytes_get_size(s);
  clear = okno_vault_open(dk, "messages.raw", g_bytes_get_data(s, NULL), len, NULL);
  assert_non_null(clear);
  assert_memory_equal(g_bytes_get_data(clear, NULL), RAW, strlen(RAW));
  /* another column, another key, a flipped bit, another key id: nothing opens */
  assert_null(okno_vault_open(dk, "attachments.data", g_bytes_get_data(s, NULL), len, &err));
  g_clear_error(&err);
  assert_null(okno_vault_open(other, "messages.raw", g_bytes_get_data(s, NULL), len, &err));
  g_clear_error(&err);
  copy = g_memdup2(g_bytes_get_data(s, NULL), len);
  copy[len - 1] ^= 1;
  assert_null(okno_vault_open(dk, "messages.raw", copy, len, &err));
  g_clear_error(&err);
  copy[len - 1] ^= 1;
  copy[3] ^= 1; /* the key id in the header */
  assert_null(okno_vault_open(dk, "messages.raw", copy, len, &err));
  g_clear_error(&err);
  g_free(copy);
  /* text form */
  t = okno_vault_seal_text(dk, id, "appeals.from_name", "Иван Петрович");
  assert_true(g_str_has_prefix(t, OKNO_VAULT_TEXT_PREFIX));
  assert_int_equal(okno_vault_sealed_text_key_id(t), id);
  assert_int_equal(okno_vault_sealed_text_key_id("Иван"), 0);
  back = okno_vault_open_text(dk, "appeals.from_name", t, NULL);
  assert_string_equal(back, "Иван Петрович");
  empty = okno_vault_seal_text(dk, id, "x", "");
  empty_back = okno_vault_open_text(dk, "x", empty, NULL);
  assert_string_equal(empty_back, "");
}

/* A sealed text's base64 is libsodium's standard padded form (what every reader,
 * okno_vault_open_text's sodium_base642bin among them, takes), byte for byte, at every
 * length around the 3-byte groups: decoded strictly and encoded again by libsodium,
 * it is the same string; and it opens to the text sealed. */
static void test_sealed_text_is_sodium_base64_at_every_length(void **state)
{
  guint8 dk[OKNO_VAULT_KEY_LEN];
  gint64 id;
  (void)state;
  okno_vault_new_data_key(dk, &id);
  for (gsize n = 0; n <= 300; n++) {
    g_autofree char *text = g_malloc(n + 1);
    g_autofree char *t = NULL, *again = NULL, *back = NULL;
    g_autofree guint8 *raw = NULL;
    gsize body, len = 0;
    const char *end = NULL;
    for (gsize i = 0; i < n; i++)
      text[i] = (char)('a' + (int)g_random_int_range(0, 26));
    text[n] = '\0';
    t = okno_vault_seal_text(dk, id, "x", text);
    assert_true(g_str_has_prefix(t, OKNO_VAULT_TEXT_PREFIX));
    body = strlen(t + 2);
    raw = g_malloc(body + 1);
    assert_int_equal(sodium_base642bin(raw, body + 1, t + 2, body, NULL, &len, &end,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_true(end == t + 2 + body);
    assert_int_equal(len, n + OKNO_VAULT_SEAL_OVERHEAD);
    again = g_malloc(sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL));
    sodium_bin2base64(again, sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL),
                      raw, len, sodium_base64_VARIANT_ORIGINAL);
    assert_string_equal(again, t + 2);
    back = okno_vault_open_text(dk, "x", t, NULL);
    assert_string_equal(back, text);
  }
}

static void test_blind_index_is_keyed_and_stable(void **state)
{
  g_autofree char *dir = g_dir_make_tmp("okno-vault-XXXXXX", NULL);
  g_autofree char *p1 = g_build_filename(dir, "a.key", NULL);
  g_autofree char *p2 = g_build_filename(dir, "b.key", NULL);
  g_autoptr(OknoVault) a = NULL, b = NULL;
  g_autofree char *x1 = NULL, *x2 = NULL, *y = NULL, *z = NULL, *w = NULL;
  (void)state;
  assert_true(okno_vault_create(p1, NULL) && okno_vault_create(p2, NULL));
  a = okno_vault_load(p1, NULL);
  b = okno_vault_load(p2, NULL);
  x1 = okno_vault_blind(a, "email", "ivan@example.org");
  x2 = okno_vault_blind(a, "email", "ivan@example.org");
  y = okno_vault_blind(a, "phone", "ivan@example.org");
  z = okno_vault_blind(b, "email", "ivan@example.org");
  w = okno_vault_blind(a, "email", "ivan@example.orh");
  assert_int_equal(strlen(x1), 32);
  assert_string_equal(x1, x2);
  assert_string_not_equal(x1, y);
  assert_string_not_equal(x1, z);
  assert_string_not_equal(x1, w);
  /* the index key survives rotation of the KEKs */
  assert_true(okno_vault_new_epoch(a, NULL) == 2);
  g_free(x2);
  x2 = okno_vault_blind(a, "email", "ivan@example.org");
  assert_string_equal(x1, x2);
  {
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
  }
}

/* ---- the store ---- */

static gint64 add_appeal(OknoStore *st, const char *number, const char *data)
{
  g_autoptr(GBytes) raw = g_bytes_new(RAW, strlen(RAW));
  OknoAppeal a = {.number = (char *)number, .status = OKNO_STATUS_NEW,
                  .channel = OKNO_CHANNEL_EMAIL, .from_email = (char *)"ivan@example.org",
                  .from_name = (char *)"Иван Секретов", .phone = (char *)"+79161234567",
                  .received_at = okno_now()};
  OknoAttachment att = {.filename = (char *)"scan.pdf", .declared_type = (char *)"application/pdf",
                        .content_type = (char *)"application/pdf", .size = strlen(data),
                        .data = g_bytes_new(data, strlen(data))};
  OknoMessageRow m = {.direction = "in", .sender = "ivan@example.org", .raw = raw,
                      .recipient = "support@portal.example",
                      .meta_json = "{\"snils\":\"112-233-445 95\"}", .created_at = okno_now()};
  memcpy(att.sha256, "00", 3);
  assert_true(okno_store_begin(st, NULL));
  assert_true(okno_store_appeal_insert(st, &a, NULL));
  m.appeal_id = a.id;
  assert_true(okno_store_message_insert(st, &m, NULL));
  assert_true(okno_store_attachment_insert(st, m.id, &att, NULL, NULL));
  assert_true(okno_store_commit(st, NULL));
  g_bytes_unref(att.data);
  return a.id;
}

/* Whether appeal `number`'s letter and file read back clear (TRUE), or not at all. */
static gboolean readable(OknoStore *st, const char *number, const char *data)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GBytes) raw = okno_store_appeal_message_raw(st, number, 1, &err);
  g_autoptr(OknoAppeal) a = okno_store_appeal_get(st, number, NULL);
  g_autofree char *name = NULL, *type = NULL;
  g_autoptr(GBytes) file = NULL;
  if (!raw) {
    assert_non_null(err);
    if (g_getenv("DEBUG_VAULT"))
      print_message("%s: %s\n", number, err->message);
    assert_non_null(strstr(err->message, "shredded"));
    return FALSE;
  }
  assert_int_equal(g_bytes_get_size(raw), strlen(RAW));
  assert_memory_equal(g_bytes_get_data(raw, NULL), RAW, strlen(RAW));
  file = okno_store_attachment_get(st, a->id, 1, &name, &type, NULL);
  assert_non_null(file);
  assert_memory_equal(g_bytes_get_data(file, NULL), data, strlen(data));
  return TRUE;
}

/* The process's vault read again from `path` (its key cache emptied). */
static void fresh_vault(const char *path)
{
  okno_store_set_vault(okno_vault_load(path, NULL), path);
  assert_non_null(okno_store_vault());
}

static void test_rows_are_sealed_and_read_back_clear(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *path = key_path(fx, "okno.key");
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GBytes) stored = NULL;
  g_autoptr(GError) err = NULL;
  gboolean any = TRUE;
  assert_true(okno_store_has_sealed(fx->st, &any, NULL));
  assert_false(any);
  assert_true(okno_vault_create(path, NULL));
  fresh_vault(path);
  add_appeal(fx->st, "26-000001-1", "ATTACHMENTBYTES-ONE");
  r = okno_db_query(okno_store_db(fx->st), "SELECT raw FROM messages", OKNO_NO_PARAMS, NULL);
  stored = okno_rows_blob(r, 0, 0);
  assert_null(memmem(g_bytes_get_data(stored, NULL), g_bytes_get_size(stored), "quokka", 6));
  assert_true(okno_store_has_sealed(fx->st, &any, NULL));
  assert_true(any);
  g_clear_pointer(&r, okno_rows_free);
  /* the driver's own rows (no opener between): sealed text */
  r = fx->st ? okno_store_db(fx->st)->driver->query(
                   okno_store_db(fx->st), "SELECT a.from_name, a.phone, m.meta, m.recipient, "
                   "a.from_email, m.sender FROM appeals a JOIN messages m ON m.appeal_id = a.id",
                   NULL, 0, NULL)
             : NULL;
  for (guint c = 0; c < 6; c++)
    assert_true(g_str_has_prefix(okno_rows_text(r, 0, c), OKNO_VAULT_TEXT_PREFIX));
  fresh_vault(path); /* read from the store, not from the cache */
  assert_true(readable(fx->st, "26-000001-1", "ATTACHMENTBYTES-ONE"));
  {
    g_autoptr(OknoAppeal) a = okno_store_appeal_get(fx->st, "26-000001-1", NULL);
    g_autofree char *json = okno_store_appeal_json(fx->st, "26-000001-1", NULL);
    assert_string_equal(a->from_name, "Иван Секретов");
    assert_string_equal(a->phone, "+79161234567");
    assert_non_null(strstr(json, "112-233-445 95"));
    assert_string_equal(a->from_email, "ivan@example.org");
  }
  {
    /* a staff member's TOTP secret (issue 12) is sealed too */
    OknoUser u = {.login = (char *)"petrova", .role = (char *)"operator",
                  .password_hash = (char *)"x", .totp_secret = (char *)"JBSWY3DPEHPK3PXP"};
    g_autoptr(OknoRows) t = NULL;
    OknoUser *back;
    assert_true(okno_store_user_insert(fx->st, &u, NULL));
    t = okno_store_db(fx->st)->driver->query(okno_store_db(fx->st),
                                             "SELECT totp_secret FROM users", NULL, 0, NULL);
    assert_true(g_str_has_prefix(okno_rows_text(t, 0, 0), OKNO_VAULT_TEXT_PREFIX));
    back = okno_store_user_get(fx->st, "petrova", NULL);
    assert_string_equal(back->totp_secret, "JBSWY3DPEHPK3PXP");
    okno_user_free(back);
  }
  {
    /* a rating's comment and address, an OpenID identity's name, address and SNILS */
    g_autoptr(OknoAppeal) a = okno_store_appeal_get(fx->st, "26-000001-1", NULL);
    OknoSessionRow srow = {.kind = (char *)"citizen", .subject = (char *)"ivan@example.org",
                           .csrf = (char *)"c", .created_at = 1, .expires_at = G_MAXINT64 / 2};
    OknoOidcIdentity id = {.issuer = (char *)"https://id.example", .subject = (char *)"sub-1",
                           .name = (char *)"Иван Секретов", .email = (char *)"ivan@example.org",
                           .snils = (char *)"112-233-445 95", .created_at = 1};
    g_autoptr(OknoRows) t = NULL;
    g_autoptr(OknoOidcIdentity) back = NULL;
    g_autofree char *comment = NULL;
    gint64 score = 0, at = 0;
    gboolean fresh = FALSE;
    assert_true(okno_store_rating_insert(fx->st, a->id, 5, "Спасибо, Марья Ивановна!",
                                         "ivan@example.org", 1, &fresh, NULL));
    assert_true(okno_store_session_insert(fx->st, &srow, "tokenhash", "", "", NULL));
    id.session_id = srow.id;
    assert_true(okno_store_oidc_identity_put(fx->st, &id, NULL));
    t = okno_store_db(fx->st)->driver->query(
        okno_store_db(fx->st),
        "SELECT r.comment, r.email, o.name, o.email, o.snils FROM ratings r, oidc_identities o",
        NULL, 0, NULL);
    for (guint c = 0; c < 5; c++)
      assert_true(g_str_has_prefix(okno_rows_text(t, 0, c), OKNO_VAULT_TEXT_PREFIX));
    assert_true(okno_store_rating_get(fx->st, a->id, &score, &comment, &at, NULL));
    assert_string_equal(comment, "Спасибо, Марья Ивановна!");
    back = okno_store_oidc_identity_get(fx->st, srow.id, NULL);
    assert_string_equal(back->name, "Иван Секретов");
    assert_string_equal(back->snils, "112-233-445 95");
    assert_string_equal(back->email, "ivan@example.org");
  }
  {
    /* lookups by address go through the blind index */
    OknoListFilter f = {.from_email = "Ivan@Example.org"};
    g_autoptr(GPtrArray) list = okno_store_list(fx->st, &f, NULL);
    g_autoptr(OknoRows) b = okno_db_query(okno_store_db(fx->st),
                                          "SELECT from_bidx FROM appeals", OKNO_NO_PARAMS, NULL);
    g_autofree char *expect = okno_vault_blind(okno_store_vault(), "email", "ivan@example.org");
    assert_int_equal(list->len, 1);
    assert_string_equal(okno_rows_text(b, 0, 0), expect);
    assert_true(okno_store_find_duplicate(fx->st, "IVAN@example.org", "", "h1", 0, NULL) == 0);
  }
  /* without the key file: a clear one-line error, nothing shown */
  okno_store_set_vault(NULL, path);
  assert_false(okno_store_check_vault(fx->st, &err));
  assert_non_null(strstr(err->message, "key file"));
  g_clear_error(&err);
  assert_null(okno_store_appeal_message_raw(fx->st, "26-000001-1", 1, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  assert_non_null(strstr(err->message, path));
  g_clear_error(&err);
  assert_null(okno_store_appeal_get(fx->st, "26-000001-1", &err));
  assert_non_null(err);
  assert_non_null(strstr(err->message, path));
  g_unlink(path);
}

static void test_a_backup_cannot_open_a_shredded_appeal_but_opens_another_epoch(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *path = key_path(fx, "okno.key");
  g_autofree char *backup = NULL, *backup_url = NULL;
  g_autoptr(OknoStore) old = NULL;
  g_autoptr(GArray) epochs = NULL;
  gint64 moved = 0, doomed;
  assert_true(okno_vault_create(path, NULL));
  fresh_vault(path);
  add_appeal(fx->st, "26-000001-1", "FILE-OF-EPOCH-ONE"); /* epoch 1 */
  assert_int_equal(okno_vault_new_epoch(okno_store_vault(), NULL), 2);
  doomed = add_appeal(fx->st, "26-000002-1", "FILE-TO-SHRED"); /* epoch 2 */
  add_appeal(fx->st, "26-000003-1", "FILE-OF-EPOCH-TWO");    /* epoch 2 */
  if (fx->db->dir) { /* the backup, taken before the shred (SQLite's online backup) */
    backup = g_build_filename(fx->db->dir, "backup.db", NULL);
    g_autofree char *sql = g_strdup_printf("VACUUM INTO '%s'", backup);
    assert_true(okno_db_exec(okno_store_db(fx->st), sql, OKNO_NO_PARAMS, NULL));
  }
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_shred(fx->st, doomed, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  assert_true(okno_store_keys_collect(fx->st, &moved, NULL));
  assert_int_equal(moved, 1); /* 26-000003-1 moved from epoch 2 to epoch 3 */
  epochs = okno_vault_epochs(okno_store_vault());
  assert_int_equal(epochs->len, 2); /* 1 and 3: epoch 2 is destroyed */
  assert_int_equal(g_array_index(epochs, gint64, 0), 1);
  assert_int_equal(g_array_index(epochs, gint64, 1), 3);
  fresh_vault(path);
  assert_false(readable(fx->st, "26-000002-1", "FILE-TO-SHRED"));
  assert_true(readable(fx->st, "26-000001-1", "FILE-OF-EPOCH-ONE"));
  assert_true(readable(fx->st, "26-000003-1", "FILE-OF-EPOCH-TWO"));
  if (backup) {
    backup_url = g_strdup_printf("sqlite:%s", backup);
    old = okno_store_open(backup_url, NULL);
    assert_non_null(old);
    fresh_vault(path);
    assert_false(readable(old, "26-000002-1", "FILE-TO-SHRED"));  /* the point */
    assert_true(readable(old, "26-000001-1", "FILE-OF-EPOCH-ONE")); /* another epoch */
    /* the trade-off: the backup's copy of a survivor of the shredded epoch is lost */
    assert_false(readable(old, "26-000003-1", "FILE-OF-EPOCH-TWO"));
  }
  /* rotation: everything under one new KEK, every old one gone, all still readable */
  assert_true(okno_store_keys_rotate(fx->st, &moved, NULL));
  assert_int_equal(moved, 2);
  g_clear_pointer(&epochs, g_array_unref);
  epochs = okno_vault_epochs(okno_store_vault());
  assert_int_equal(epochs->len, 1);
  assert_int_equal(g_array_index(epochs, gint64, 0), 4);
  fresh_vault(path);
  assert_true(readable(fx->st, "26-000001-1", "FILE-OF-EPOCH-ONE"));
  assert_true(readable(fx->st, "26-000003-1", "FILE-OF-EPOCH-TWO"));
  if (old) {
    fresh_vault(path);
    assert_false(readable(old, "26-000001-1", "FILE-OF-EPOCH-ONE"));
  }
  okno_store_set_vault(NULL, NULL);
  g_unlink(path);
}

/* A data key made ahead of the writer (keys.h OknoKeyAhead) and a message row sealed
 * under it before the transaction (messages.h OknoMessageSealed), as intake's parse
 * pool does: the appeal inserted with that key stores exactly those sealed bytes, the
 * key is stored wrapped under the epoch current at the insert (a new one began since
 * it was made), and after the key cache is emptied everything reads back clear. A row
 * of another appeal (a reply joined to it) handed the same sealed values ignores them
 * and is sealed under that appeal's own key. */
static void test_a_key_made_ahead_seals_as_the_writer_would(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *path = key_path(fx, "okno.key");
  g_autoptr(GBytes) raw = g_bytes_new(RAW, strlen(RAW));
  g_autoptr(OknoKeyAhead) k = NULL;
  g_autoptr(OknoRows) r = NULL;
  OknoMessageSealed *sealed;
  OknoAppeal a = {.number = (char *)"26-000001-1", .status = OKNO_STATUS_NEW,
                  .channel = OKNO_CHANNEL_EMAIL, .from_email = (char *)"ivan@example.org",
                  .from_name = (char *)"Иван Секретов", .phone = (char *)"+79161234567",
                  .received_at = okno_now()};
  OknoMessageRow m = {.direction = "in", .sender = "ivan@example.org", .raw = raw,
                      .subject = "Тема", .text = "quokkaflamingo",
                      .recipient = "support@portal.example",
                      .meta_json = "{\"snils\":\"112-233-445 95\"}", .created_at = okno_now()};
  gint64 other, mine, key_id = 0;
  assert_null(okno_store_key_ahead_new(NULL)); /* no vault: nothing to seal */
  assert_true(okno_vault_create(path, NULL));
  fresh_vault(path);
  k = okno_store_key_ahead_new(NULL);
  assert_non_null(k);
  sealed = okno_message_sealed_new(k, &m);
  assert_null(memmem(g_bytes_get_data(sealed->raw, NULL), g_bytes_get_size(sealed->raw),
                     "quokka", 6));
  other = add_appeal(fx->st, "26-000002-1", "FILE-OF-ANOTHER"); /* its own key, epoch 1 */
  assert_int_equal(okno_vault_new_epoch(okno_store_vault(), NULL), 2);
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_insert_keyed(fx->st, &a, k, NULL));
  m.appeal_id = a.id;
  m.sealed = sealed;
  assert_true(okno_store_message_insert(fx->st, &m, NULL));
  mine = m.id;
  m.appeal_id = other; /* joined to an appeal with a key of its own */
  assert_true(okno_store_message_insert(fx->st, &m, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  r = okno_db_query(okno_store_db(fx->st),
                    "SELECT a.key_id, m.raw, d.epoch FROM messages m JOIN appeals a ON "
                    "a.id = m.appeal_id JOIN data_keys d ON d.id = a.key_id WHERE m.id = $1 "
                    "OR a.id = $2 ORDER BY m.id",
                    OKNO_PARAMS(OKNO_INT(m.id), OKNO_INT(a.id)), NULL);
  assert_int_equal(okno_rows_count(r), 2);
  key_id = okno_rows_int(r, 0, 0);
  assert_true(key_id == okno_store_key_ahead_id(k));
  {
    g_autoptr(GBytes) stored = okno_rows_blob(r, 0, 1);
    g_autoptr(GBytes) joined = okno_rows_blob(r, 1, 1);
    assert_true(g_bytes_equal(stored, sealed->raw)); /* the bytes sealed ahead */
    assert_false(okno_rows_int(r, 1, 0) == key_id);
    assert_false(g_bytes_equal(joined, sealed->raw)); /* sealed again, its own key */
    assert_true(okno_vault_sealed_key_id(g_bytes_get_data(joined, NULL),
                                         g_bytes_get_size(joined)) == okno_rows_int(r, 1, 0));
  }
  assert_int_equal(okno_rows_int(r, 0, 2), 2); /* wrapped again under the current epoch */
  okno_message_sealed_free(sealed);
  fresh_vault(path); /* the keys read from the store, not from the cache */
  assert_true(okno_store_keys_rotate(fx->st, NULL, NULL)); /* epochs 1 and 2 destroyed */
  fresh_vault(path);
  {
    g_autoptr(GBytes) back = okno_store_appeal_message_raw(fx->st, "26-000001-1", 1, NULL);
    g_autoptr(GBytes) joined = okno_store_appeal_message_raw(fx->st, "26-000002-1", 2, NULL);
    g_autoptr(OknoAppeal) got = okno_store_appeal_get(fx->st, "26-000001-1", NULL);
    g_autofree char *json = okno_store_appeal_json(fx->st, "26-000001-1", NULL);
    assert_non_null(back);
    assert_memory_equal(g_bytes_get_data(back, NULL), RAW, strlen(RAW));
    assert_non_null(joined);
    assert_memory_equal(g_bytes_get_data(joined, NULL), RAW, strlen(RAW));
    assert_string_equal(got->from_name, "Иван Секретов");
    assert_non_null(strstr(json, "112-233-445 95"));
    assert_non_null(strstr(json, "quokkaflamingo"));
  }
  {
    g_autoptr(OknoRows) back = okno_db_query(
        okno_store_db(fx->st), "SELECT sender, recipient, subject, text, meta FROM messages "
        "WHERE id = $1", OKNO_PARAMS(OKNO_INT(mine)), NULL);
    assert_int_equal(okno_rows_count(back), 1);
    assert_string_equal(okno_rows_text(back, 0, 0), "ivan@example.org");
    assert_string_equal(okno_rows_text(back, 0, 1), "support@portal.example");
    assert_string_equal(okno_rows_text(back, 0, 2), "Тема");
    assert_string_equal(okno_rows_text(back, 0, 3), "quokkaflamingo");
    assert_string_equal(okno_rows_text(back, 0, 4), "{\"snils\":\"112-233-445 95\"}");
  }
  okno_store_set_vault(NULL, NULL);
  g_unlink(path);
}

/* An appeal written before the key file existed: clear; `okno crypto seal-existing`
 * seals it (its addresses' blind indexes with it), it reads back the same, and a
 * second pass has nothing to do. */
/* Event details (events.h): a kind of facts only stays clear; any other kind's members
 * are sealed but for those the store's SQL matches on (a status change's `to`, `from`);
 * every reader gets the detail back byte for byte; a shredded appeal's sealed members
 * read as "". */
static void test_event_details_are_sealed_member_by_member(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *path = key_path(fx, "okno.key");
  static const char *const change =
      "{\"to\":\"in_progress\",\"from\":\"new\",\"reason\":\"Звонил Секретов, \\\"ждёт\\\"\","
      "\"by\":\"op@portal.example\"}";
  static const char *const note = "{\"text\":\"СНИЛС 112-233-445 95\",\"nested\":{\"a\":[1,\"}\"]}}";
  static const char *const routed = "{\"department\":\"benefits\",\"rule\":\"3\"}";
  gint64 id;
  assert_true(okno_vault_create(path, NULL));
  fresh_vault(path);
  id = add_appeal(fx->st, "26-000001-1", "ATTACHMENTBYTES-ONE");
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_event_add(fx->st, id, "status_changed", change, NULL));
  assert_true(okno_store_event_add(fx->st, id, "note", note, NULL));
  assert_true(okno_store_event_add(fx->st, id, "routed", routed, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  {
    g_autoptr(OknoRows) raw = okno_store_db(fx->st)->driver->query(
        okno_store_db(fx->st), "SELECT detail FROM events ORDER BY id", NULL, 0, NULL);
    g_autoptr(OknoRows) r = okno_db_query(okno_store_db(fx->st),
                                          "SELECT detail FROM events ORDER BY id", OKNO_NO_PARAMS,
                                          NULL);
    const char *c = okno_rows_text(raw, 0, 0);
    assert_int_equal(okno_rows_count(raw), 3);
    assert_true(g_str_has_prefix(c, OKNO_VAULT_DETAIL_PREFIX "{\"to\":\"in_progress\",\"from\":\"new\","));
    assert_null(strstr(c, "Секретов"));
    assert_null(strstr(c, "op@portal"));
    assert_null(strstr(okno_rows_text(raw, 1, 0), "112-233"));
    assert_string_equal(okno_rows_text(raw, 2, 0), routed);
    /* and the SQL of the statistics still matches */
    {
      g_autoptr(OknoRows) n = okno_db_query(
          okno_store_db(fx->st),
          "SELECT count(*) FROM events WHERE detail LIKE '%\"to\":\"in_progress\"%'",
          OKNO_NO_PARAMS, NULL);
      assert_int_equal(okno_rows_int(n, 0, 0), 1);
    }
    assert_string_equal(okno_rows_text(r, 0, 0), change);
    assert_string_equal(okno_rows_text(r, 1, 0), note);
    assert_string_equal(okno_rows_text(r, 2, 0), routed);
  }
  /* shredded: the sealed members read as "", the clear ones stay */
  assert_true(okno_store_begin(fx->st, NULL));
  assert_true(okno_store_appeal_shred(fx->st, id, NULL));
  assert_true(okno_store_commit(fx->st, NULL));
  fresh_vault(path);
  {
    g_autofree char *got = okno_store_event_last(fx->st, id, "status_changed", NULL);
    assert_string_equal(got, "{\"to\":\"in_progress\",\"from\":\"new\",\"reason\":\"\",\"by\":\"\"}");
  }
}

static void test_seal_existing_seals_what_was_written_clear(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *path = key_path(fx, "okno.key");
  g_autoptr(OknoRows) r = NULL;
  g_autoptr(GError) err = NULL;
  gint64 sealed = -1;
  okno_store_set_vault(NULL, NULL);
  add_appeal(fx->st, "26-000001-1", "CLEAR-BEFORE-THE-KEY");
  assert_false(okno_store_seal_existing(fx->st, &sealed, &err));
  assert_int_equal(err->code, OKNO_ERROR_USER);
  assert_true(okno_vault_create(path, NULL));
  fresh_vault(path);
  r = okno_store_db(fx->st)->driver->query(okno_store_db(fx->st),
                                           "SELECT from_name FROM appeals", NULL, 0, NULL);
  assert_string_equal(okno_rows_text(r, 0, 0), "Иван Секретов"); /* clear until sealed */
  g_clear_pointer(&r, okno_rows_free);
  assert_true(okno_store_seal_existing(fx->st, &sealed, NULL));
  assert_int_equal(sealed, 1);
  r = okno_store_db(fx->st)->driver->query(
      okno_store_db(fx->st),
      "SELECT a.from_name, a.phone, a.from_email, a.subject, m.meta, m.recipient, m.sender, "
      "m.text, t.filename FROM appeals a JOIN messages m ON m.appeal_id = a.id "
      "JOIN attachments t ON t.message_ref = m.id",
      NULL, 0, NULL);
  for (guint c = 0; c < 9; c++)
    assert_true(g_str_has_prefix(okno_rows_text(r, 0, c), OKNO_VAULT_TEXT_PREFIX));
  fresh_vault(path); /* read from the store, not from the cache */
  assert_true(readable(fx->st, "26-000001-1", "CLEAR-BEFORE-THE-KEY"));
  {
    g_autoptr(OknoAppeal) a = okno_store_appeal_get(fx->st, "26-000001-1", NULL);
    OknoListFilter f = {.from_email = "ivan@example.org"};
    g_autoptr(GPtrArray) list = okno_store_list(fx->st, &f, NULL);
    assert_string_equal(a->from_name, "Иван Секретов");
    assert_string_equal(a->phone, "+79161234567");
    assert_int_equal(list->len, 1); /* the blind index is under the key now */
  }
  assert_true(okno_store_seal_existing(fx->st, &sealed, NULL));
  assert_int_equal(sealed, 0);
  okno_store_set_vault(NULL, NULL);
}

/* The cabinet's identity rows (migration 21): written without the key file their
 * indexes are lower-case addresses; seal_identities blinds them under the key and
 * seals the addresses given back; the cabinet finds them as before, and no row holds
 * an address in clear. */
static gboolean any_row_holds(OknoStore *st, const char *needle)
{
  static const char *const sql[] = {
    "SELECT email_bidx || ' ' || owner FROM login_codes",
    "SELECT email_bidx FROM notify_settings",
    "SELECT email_bidx || ' ' || moved_bidx || ' ' || email FROM contact_moves",
    "SELECT subject_bidx || ' ' || subject FROM sessions",
  };
  for (guint i = 0; i < G_N_ELEMENTS(sql); i++) {
    g_autoptr(OknoRows) r = okno_store_db(st)->driver->query(okno_store_db(st), sql[i], NULL, 0,
                                                             NULL);
    assert_non_null(r);
    for (guint k = 0; k < okno_rows_count(r); k++)
      if (strstr(okno_rows_text(r, k, 0), needle))
        return TRUE;
  }
  return FALSE;
}

static void identities(OknoStore *st, gboolean *off, gsize *owned, gboolean *code,
                       gsize *sessions)
{
  g_auto(GStrv) o = okno_store_contact_owned(st, "new@example.org", NULL);
  g_autoptr(OknoLoginCode) c = okno_store_code_current(st, "new@example.org", "change",
                                                       "old@example.org", NULL);
  g_autoptr(GPtrArray) list = okno_store_session_list(st, "citizen", "New@Example.org",
                                                      okno_now(), NULL);
  gboolean on = TRUE;
  assert_true(okno_store_notify_enabled(st, "OLD@example.org", "answer", &on, NULL));
  *off = !on;
  *owned = o ? g_strv_length(o) : 0;
  *code = c && g_strcmp0(c->owner, "old@example.org") == 0;
  *sessions = list ? list->len : 0;
}

static void test_cabinet_identities_are_blinded_and_sealed(void **state)
{
  Fx *fx = fixture(state);
  g_autofree char *path = key_path(fx, "okno.key");
  OknoLoginCode code = {.email = "new@example.org", .purpose = "change",
                        .owner = "old@example.org", .code_hash = "00",
                        .created_at = okno_now(), .expires_at = okno_now() + G_USEC_PER_SEC * 600};
  OknoSessionRow s = {.kind = "citizen", .subject = "new@example.org", .csrf = "c",
                      .created_at = okno_now(), .expires_at = okno_now() + G_USEC_PER_SEC * 600};
  gboolean off = FALSE, found_code = FALSE;
  gsize owned = 0, sessions = 0;
  gint64 rows = -1;
  okno_store_set_vault(NULL, NULL);
  assert_true(okno_store_code_insert(fx->st, &code, NULL));
  assert_true(okno_store_notify_set(fx->st, "old@example.org", "answer", FALSE, NULL));
  assert_true(okno_store_contact_move(fx->st, "old@example.org", "new@example.org", okno_now(),
                                      NULL));
  assert_true(okno_store_session_insert(fx->st, &s, "hash-1", "", "", NULL));
  identities(fx->st, &off, &owned, &found_code, &sessions);
  assert_true(off && owned == 2 && found_code && sessions == 1); /* clear, no key file */
  assert_true(any_row_holds(fx->st, "old@example.org"));
  assert_true(okno_vault_create(path, NULL));
  fresh_vault(path);
  assert_true(okno_store_seal_identities(fx->st, &rows, NULL));
  assert_int_equal(rows, 4);
  assert_false(any_row_holds(fx->st, "@example.org"));
  fresh_vault(path); /* read from the store, not from the cache */
  identities(fx->st, &off, &owned, &found_code, &sessions);
  assert_true(off);
  assert_int_equal(owned, 2);
  assert_true(found_code);
  assert_int_equal(sessions, 1);
  {
    g_autoptr(OknoSessionRow) got = okno_store_session_get(fx->st, "hash-1", okno_now(), NULL);
    g_auto(GStrv) o = okno_store_contact_owned(fx->st, "new@example.org", NULL);
    assert_string_equal(got->subject, "new@example.org");
    assert_true(g_strv_contains((const char *const *)o, "old@example.org"));
  }
  /* written under the key: no address either, and found */
  assert_true(okno_store_notify_set(fx->st, "third@example.org", "answer", FALSE, NULL));
  assert_false(any_row_holds(fx->st, "@example.org"));
  assert_true(okno_store_seal_identities(fx->st, &rows, NULL));
  assert_int_equal(rows, 0);
  okno_store_set_vault(NULL, NULL);
}

#define ON_BOTH(f) cmocka_unit_test_setup_teardown(f, setup_sqlite, teardown), \
  {"pg_" #f, f, pg ? setup_pg : NULL, pg ? teardown : NULL, NULL}

int main(void)
{
  const gboolean pg = g_getenv("OKNO_TEST_PG_URL") && *g_getenv("OKNO_TEST_PG_URL");
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_key_file_is_created_once_private_and_checked),
    cmocka_unit_test(test_sealed_values_open_only_where_they_were_sealed),
    cmocka_unit_test(test_sealed_text_is_sodium_base64_at_every_length),
    cmocka_unit_test(test_blind_index_is_keyed_and_stable),
    ON_BOTH(test_rows_are_sealed_and_read_back_clear),
    ON_BOTH(test_event_details_are_sealed_member_by_member),
    ON_BOTH(test_seal_existing_seals_what_was_written_clear),
    ON_BOTH(test_cabinet_identities_are_blinded_and_sealed),
    ON_BOTH(test_a_backup_cannot_open_a_shredded_appeal_but_opens_another_epoch),
    ON_BOTH(test_a_key_made_ahead_seals_as_the_writer_would),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
