/* evidence.c: evidence bundles written from the store and checked offline (evidence.h;
 * the format is docs/journal.md, "Evidence bundles"). */
#include "ops/evidence.h"

#include <errno.h>
#include <gmime/gmime.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>

#include "core/error.h"
#include "core/json.h"
#include "mail/mime.h"
#include "ops/journal.h"
#include "store/appeals.h"
#include "store/journal.h"
#include "store/journal_batch.h"

#define MANIFEST "MANIFEST.json"
#define MANIFEST_SIG "MANIFEST.sig"

static char *hex(const guint8 *h, gsize n)
{
  char *s = g_malloc(2 * n + 1);
  sodium_bin2hex(s, 2 * n + 1, h, n);
  return s;
}

static char *sha256_hex(const void *data, gsize len)
{
  guint8 h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, data ? data : (const void *)"", len);
  return hex(h, sizeof h);
}

static const char readme[] =
    "Пакет доказательств по обращению № %s\n"
    "=========================================\n\n"
    "Пакет собран командой «okno evidence export». В нём:\n"
    "- messages/ — исходные письма обращения побайтно: ID-in.eml — полученные от "
    "заявителя, ID-out.eml — отправленные порталом (в том виде, в каком ушли);\n"
    "- events.json — история обращения (события);\n"
    "- leaves.json — записи журнала портала по обращению, каждая с доказательством "
    "включения в дерево Меркла (RFC 9162);\n"
    "- head.json — подписанная вершина дерева журнала (размер, корень, время, подпись "
    "Ed25519);\n"
    "- public_key.txt — открытый ключ журнала (сверьте его с опубликованным на сайте "
    "портала: доверять ключу из самого пакета нельзя);\n"
    "- MANIFEST.json и MANIFEST.sig — контрольные суммы SHA-256 всех файлов пакета и их "
    "подпись ключом журнала.\n\n"
    "Как проверить\n"
    "-------------\n"
    "Без доступа к порталу, только с открытым ключом:\n\n"
    "    okno evidence verify --key ОТКРЫТЫЙ_КЛЮЧ КАТАЛОГ_ПАКЕТА\n\n"
    "Код завершения 0 — пакет цел; 1 — нет, и названо, какой файл не сходится. "
    "Любой изменённый байт в любом файле обнаруживается.\n\n"
    "Проверка без okno (формат описан в docs/journal.md):\n"
    "1. Подпись MANIFEST.sig (Ed25519, base64) над байтами MANIFEST.json; суммы SHA-256 "
    "файлов совпадают с MANIFEST.json.\n"
    "2. Подпись head.json над строками «okno-tree-head 1», size=, root=, at=.\n"
    "3. Для каждой записи leaves.json: SHA-256(0x00 || entry) = leaf_hash, и путь "
    "inclusion_proof ведёт к корню head.json. Если у записи есть поле batch (несколько "
    "фактов регистрации в одном листе журнала), то leaf_hash = SHA-256(0x00 || batch), а "
    "entry — факт с номером fact внутри batch.\n"
    "4. Для каждого письма: размер и SHA-256 файла равны raw_size и raw_sha256 в записи "
    "журнала этого письма; для каждого события — запись, вычисленная из события, равна "
    "записи журнала.\n";

/* ---- export ---- */

static gboolean write_file(const char *dir, const char *name, const void *data, gsize len,
                           JsonBuilder *manifest, guint *files, GError **error)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autofree char *sum = sha256_hex(data, len);
  if (!g_file_set_contents(path, data ? data : "", (gssize)len, error))
    return FALSE;
  json_builder_set_member_name(manifest, name);
  json_builder_add_string_value(manifest, sum);
  (*files)++;
  return TRUE;
}

static gboolean write_text(const char *dir, const char *name, const char *text,
                           JsonBuilder *manifest, guint *files, GError **error)
{
  return write_file(dir, name, text, strlen(text), manifest, files, error);
}

gboolean okno_evidence_export(OknoStore *st, const OknoJournalKey *key, const char *number,
                              const char *dir, guint *files, GError **error)
{
  g_autoptr(OknoAppeal) a = NULL;
  g_autoptr(OknoJournalHead) head = NULL;
  g_autoptr(GPtrArray) leaves = NULL;
  g_autoptr(GByteArray) hashes = NULL;
  g_autoptr(JsonBuilder) lb = json_builder_new(), eb = json_builder_new(), mb = json_builder_new();
  g_autofree char *msgdir = g_build_filename(dir, "messages", NULL);
  g_autofree char *text = NULL, *head_json = NULL, *pk64 = NULL, *manifest = NULL;
  g_autofree char *readme_text = NULL, *sig64 = NULL;
  g_autoptr(GBytes) mbytes = NULL, sig = NULL;
  GDir *d;
  *files = 0;
  a = okno_store_appeal_get(st, number, error);
  if (!a) {
    if (error && !*error)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "no appeal %s", number);
    return FALSE;
  }
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "cannot create %s: %s", dir,
                g_strerror(errno));
    return FALSE;
  }
  d = g_dir_open(dir, 0, error);
  if (!d)
    return FALSE;
  if (g_dir_read_name(d)) {
    g_dir_close(d);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s is not empty", dir);
    return FALSE;
  }
  g_dir_close(d);
  if (g_mkdir(msgdir, 0700) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "cannot create %s", msgdir);
    return FALSE;
  }
  /* One head that covers every leaf of the appeal. */
  if (!okno_journal_sign(st, key, FALSE, &head, error))
    return FALSE;
  leaves = okno_store_journal_leaves_of_appeal(st, a->id, error);
  if (!leaves)
    return FALSE;
  hashes = okno_store_journal_leaf_hashes(st, 1, head->size, error);
  if (!hashes)
    return FALSE;
  json_builder_begin_object(mb);
  json_builder_set_member_name(mb, "format");
  json_builder_add_string_value(mb, "okno-evidence 1");
  json_builder_set_member_name(mb, "number");
  json_builder_add_string_value(mb, a->number);
  json_builder_set_member_name(mb, "files");
  json_builder_begin_object(mb);

  json_builder_begin_object(lb);
  okno_json_str(lb, "number", a->number);
  okno_json_int(lb, "tree_size", head->size);
  json_builder_set_member_name(lb, "leaves");
  json_builder_begin_array(lb);
  json_builder_begin_array(eb);
  for (guint i = 0; i < leaves->len; i++) {
    OknoJournalLeaf *l = leaves->pdata[i];
    gsize elen, hlen;
    const char *e = g_bytes_get_data(l->entry, &elen);
    const guint8 *h = g_bytes_get_data(l->leaf, &hlen);
    g_autofree char *entry = g_strndup(e ? e : "", elen);
    g_autofree char *leaf_hex = hex(h, hlen);
    g_autoptr(GByteArray) proof = NULL;
    if (l->seq > head->size)
      continue; /* written after the head (a read meanwhile): the next bundle has it */
    proof = okno_merkle_inclusion_proof(hashes->data, (guint64)head->size, (guint64)l->seq - 1);
    json_builder_begin_object(lb);
    okno_json_int(lb, "seq", l->seq);
    okno_json_str(lb, "kind", l->kind);
    okno_json_str(lb, "ref", l->ref);
    okno_json_int(lb, "ref_id", l->ref_id);
    okno_json_str(lb, "entry", entry);
    if (l->batch) { /* a fact inside a batch leaf: the leaf hashes the batch */
      gsize blen;
      const char *bd = g_bytes_get_data(l->batch, &blen);
      g_autofree char *batch = g_strndup(bd ? bd : "", blen);
      okno_json_int(lb, "fact", l->fact);
      okno_json_str(lb, "batch", batch);
    }
    okno_json_str(lb, "leaf_hash", leaf_hex);
    json_builder_set_member_name(lb, "inclusion_proof");
    json_builder_begin_array(lb);
    for (guint k = 0; proof && k < proof->len; k += OKNO_HASH_LEN) {
      g_autofree char *ph = hex(proof->data + k, OKNO_HASH_LEN);
      json_builder_add_string_value(lb, ph);
    }
    json_builder_end_array(lb);
    json_builder_end_object(lb);
    if (g_strcmp0(l->ref, "message") == 0) {
      g_autoptr(GBytes) raw = okno_store_journal_message_raw(st, l->ref_id, error);
      g_autofree char *name = g_strdup_printf("messages/%" G_GINT64_FORMAT "-%s.eml", l->ref_id,
                                              g_strcmp0(l->kind, "message_out") == 0 ? "out" : "in");
      g_autofree char *path = g_build_filename(dir, name, NULL);
      gsize rlen = 0;
      const void *rd;
      if (!raw) {
        if (error && *error)
          return FALSE;
        continue; /* the row is gone: verify of the store reports it */
      }
      if (g_file_test(path, G_FILE_TEST_EXISTS))
        continue; /* a message re-journaled (moved): its bytes once */
      rd = g_bytes_get_data(raw, &rlen);
      if (!write_file(dir, name, rd, rlen, mb, files, error))
        return FALSE;
    } else if (g_strcmp0(l->ref, "event") == 0) {
      gint64 appeal_id = 0, at = 0;
      g_autofree char *kind = NULL, *detail = NULL;
      if (!okno_store_journal_event_row(st, l->ref_id, &appeal_id, &at, &kind, &detail, error)) {
        if (error && *error)
          return FALSE;
        continue;
      }
      json_builder_begin_object(eb);
      okno_json_int(eb, "id", l->ref_id);
      okno_json_int(eb, "appeal_id", appeal_id);
      okno_json_int(eb, "at", at);
      okno_json_str(eb, "kind", kind);
      okno_json_str(eb, "detail", detail);
      json_builder_end_object(eb);
    }
  }
  json_builder_end_array(lb);
  json_builder_end_object(lb);
  json_builder_end_array(eb);
  text = okno_json_text(lb, TRUE);
  if (!write_text(dir, "leaves.json", text, mb, files, error))
    return FALSE;
  g_free(text);
  text = okno_json_text(eb, TRUE);
  if (!write_text(dir, "events.json", text, mb, files, error))
    return FALSE;
  head_json = okno_journal_head_json(head);
  pk64 = okno_journal_key_public_base64(key->pk);
  readme_text = g_strdup_printf(readme, a->number);
  {
    g_autofree char *pk_line = g_strconcat(pk64, "\n", NULL);
    if (!write_text(dir, "head.json", head_json, mb, files, error) ||
        !write_text(dir, "public_key.txt", pk_line, mb, files, error) ||
        !write_text(dir, "README.txt", readme_text, mb, files, error))
      return FALSE;
  }
  json_builder_end_object(mb);
  json_builder_end_object(mb);
  manifest = okno_json_text(mb, TRUE);
  mbytes = g_bytes_new(manifest, strlen(manifest));
  sig = okno_journal_key_sign(key, mbytes);
  {
    gsize slen;
    const guint8 *sd = g_bytes_get_data(sig, &slen);
    g_autofree char *mpath = g_build_filename(dir, MANIFEST, NULL);
    g_autofree char *spath = g_build_filename(dir, MANIFEST_SIG, NULL);
    g_autofree char *sig_line = NULL;
    sig64 = g_base64_encode(sd, slen);
    sig_line = g_strconcat(sig64, "\n", NULL);
    if (!g_file_set_contents(mpath, manifest, -1, error) ||
        !g_file_set_contents(spath, sig_line, -1, error))
      return FALSE;
  }
  *files += 2;
  return TRUE;
}

/* ---- the bundle as a tar archive ---- */

static void list_files(const char *dir, const char *rel, GPtrArray *out);

/* One ustar header block for a regular file `name` of `size` bytes. */
static void tar_header(GByteArray *out, const char *name, gsize size)
{
  guint8 h[512] = {0};
  guint sum = 0;
  g_strlcpy((char *)h, name, 100);
  memcpy(h + 100, "0000600", 7);
  memcpy(h + 108, "0000000", 7);
  memcpy(h + 116, "0000000", 7);
  g_snprintf((char *)h + 124, 12, "%011" G_GINT64_MODIFIER "o", (gint64)size);
  g_snprintf((char *)h + 136, 12, "%011o", 0u);
  memset(h + 148, ' ', 8);
  h[156] = '0';
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  for (int i = 0; i < 512; i++)
    sum += h[i];
  g_snprintf((char *)h + 148, 8, "%06o", sum);
  g_byte_array_append(out, h, 512);
}

static void remove_tree(const char *dir)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *msgdir = g_build_filename(dir, "messages", NULL);
  list_files(dir, NULL, files);
  for (guint i = 0; i < files->len; i++) {
    g_autofree char *p = g_build_filename(dir, files->pdata[i], NULL);
    g_unlink(p);
  }
  g_rmdir(msgdir);
  g_rmdir(dir);
}

GBytes *okno_evidence_tar(const char *dir, const char *prefix, gboolean remove, GError **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
  GByteArray *out = g_byte_array_new();
  static const guint8 zero[1024] = {0};
  list_files(dir, NULL, files);
  for (guint i = 0; i < files->len; i++) {
    g_autofree char *path = g_build_filename(dir, files->pdata[i], NULL);
    g_autofree char *name = g_strconcat(prefix, "/", (char *)files->pdata[i], NULL);
    g_autofree char *data = NULL;
    gsize len;
    if (strlen(name) >= 100 || !g_file_get_contents(path, &data, &len, error)) {
      if (error && !*error)
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "name too long: %s", name);
      g_byte_array_unref(out);
      return NULL;
    }
    tar_header(out, name, len);
    g_byte_array_append(out, (const guint8 *)data, (guint)len);
    if (len % 512)
      g_byte_array_append(out, zero, (guint)(512 - len % 512));
  }
  g_byte_array_append(out, zero, sizeof zero);
  if (remove)
    remove_tree(dir);
  return g_byte_array_free_to_bytes(out);
}

/* ---- verify ---- */

static gboolean fail(GError **error, const char *file, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean fail(GError **error, const char *file, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *what = NULL;
  va_start(ap, fmt);
  what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: %s", file, what);
  return FALSE;
}

static JsonNode *load_json(const char *dir, const char *name, GError **error)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) p = json_parser_new();
  gsize len;
  if (!g_file_get_contents(path, &text, &len, NULL)) {
    fail(error, name, "missing or unreadable");
    return NULL;
  }
  if (!json_parser_load_from_data(p, text, (gssize)len, NULL)) {
    fail(error, name, "not JSON");
    return NULL;
  }
  return json_node_copy(json_parser_get_root(p));
}

static const char *str(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? json_node_get_string(n)
             : "";
}

/* A fact of leaves.json inside a batch: fact index `fact` of the batch entry `batch`
 * has its kind, ref, ref_id and exactly its entry. */
static gboolean fact_in_batch(JsonObject *l, const char *batch, const char *entry)
{
  g_autoptr(GPtrArray) facts = okno_journal_batch_parse(batch, strlen(batch));
  gint64 i = json_object_get_int_member_with_default(l, "fact", -1);
  OknoJournalBatchFact *f;
  gsize len;
  const char *e;
  if (!facts || i < 0 || i >= facts->len)
    return FALSE;
  f = facts->pdata[i];
  e = g_bytes_get_data(f->entry, &len);
  return strcmp(f->kind, str(l, "kind")) == 0 && strcmp(f->ref, str(l, "ref")) == 0 &&
         f->ref_id == json_object_get_int_member_with_default(l, "ref_id", 0) &&
         strlen(entry) == len && memcmp(entry, e, len) == 0;
}

static gboolean unhex(const char *h, guint8 *out, gsize n)
{
  gsize got = 0;
  return h && strlen(h) == 2 * n && sodium_hex2bin(out, n, h, 2 * n, NULL, &got, NULL) == 0 &&
         got == n;
}

/* The value of line `name=` of an entry, or NULL. Caller frees. */
static char *entry_field(const char *entry, const char *name)
{
  g_autofree char *key = g_strdup_printf("\n%s=", name);
  const char *p = strstr(entry, key), *end;
  if (!p)
    return NULL;
  p += strlen(key);
  end = strchr(p, '\n');
  return end ? g_strndup(p, (gsize)(end - p)) : NULL;
}

/* Every file under dir (relative paths, '/'-separated) into `out`. */
static void list_files(const char *dir, const char *rel, GPtrArray *out)
{
  g_autofree char *path = rel ? g_build_filename(dir, rel, NULL) : g_strdup(dir);
  GDir *d = g_dir_open(path, 0, NULL);
  const char *name;
  if (!d)
    return;
  while ((name = g_dir_read_name(d))) {
    g_autofree char *r = rel ? g_strconcat(rel, "/", name, NULL) : g_strdup(name);
    g_autofree char *full = g_build_filename(dir, r, NULL);
    if (g_file_test(full, G_FILE_TEST_IS_DIR))
      list_files(dir, r, out);
    else
      g_ptr_array_add(out, g_steal_pointer(&r));
  }
  g_dir_close(d);
}

static gboolean verify_bundle(const guint8 *pk, const char *dir, guint *checked,
                              GError **error)
{
  g_autofree char *mpath = g_build_filename(dir, MANIFEST, NULL);
  g_autofree char *spath = g_build_filename(dir, MANIFEST_SIG, NULL);
  g_autofree char *mtext = NULL, *stext = NULL;
  g_autoptr(GBytes) mbytes = NULL, sig = NULL;
  g_autoptr(JsonParser) mp = json_parser_new();
  g_autoptr(GPtrArray) present = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(JsonNode) head_node = NULL, leaves_node = NULL, events_node = NULL;
  g_autoptr(GHashTable) by_ref = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  JsonObject *files, *head, *lo;
  JsonArray *leaves, *events;
  gsize mlen, slen = 0;
  guchar *sraw;
  guint8 root[OKNO_HASH_LEN];
  gint64 size;
  g_autofree char *fp = okno_journal_key_fingerprint(pk);

  if (!g_file_get_contents(mpath, &mtext, &mlen, NULL))
    return fail(error, MANIFEST, "missing or unreadable");
  if (!g_file_get_contents(spath, &stext, NULL, NULL))
    return fail(error, MANIFEST_SIG, "missing or unreadable");
  sraw = g_base64_decode(g_strstrip(stext), &slen);
  sig = g_bytes_new_take(sraw, slen);
  mbytes = g_bytes_new(mtext, mlen);
  if (!okno_journal_signature_ok(pk, mbytes, sig))
    return fail(error, MANIFEST, "its signature (MANIFEST.sig) does not verify with the key");
  if (!json_parser_load_from_data(mp, mtext, (gssize)mlen, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(mp)))
    return fail(error, MANIFEST, "not a JSON object");
  files = json_object_get_object_member(json_node_get_object(json_parser_get_root(mp)), "files");
  if (!files)
    return fail(error, MANIFEST, "no files");
  /* 1. every file present is listed with its hash, every listed file is present */
  list_files(dir, NULL, present);
  for (guint i = 0; i < present->len; i++) {
    const char *rel = present->pdata[i];
    g_autofree char *full = NULL, *data = NULL, *sum = NULL;
    gsize len;
    if (!strcmp(rel, MANIFEST) || !strcmp(rel, MANIFEST_SIG))
      continue;
    if (!json_object_has_member(files, rel))
      return fail(error, rel, "not in the manifest (added to the bundle)");
    full = g_build_filename(dir, rel, NULL);
    if (!g_file_get_contents(full, &data, &len, NULL))
      return fail(error, rel, "unreadable");
    sum = sha256_hex(data, len);
    if (strcmp(sum, str(files, rel)) != 0)
      return fail(error, rel, "changed: its SHA-256 is not the manifest's");
    (*checked)++;
  }
  {
    g_autoptr(GList) names = json_object_get_members(files);
    for (GList *n = names; n; n = n->next) {
      g_autofree char *full = g_build_filename(dir, n->data, NULL);
      if (!g_file_test(full, G_FILE_TEST_IS_REGULAR))
        return fail(error, n->data, "missing from the bundle");
    }
  }
  /* 2. the head */
  if (!(head_node = load_json(dir, "head.json", error)))
    return FALSE;
  head = JSON_NODE_HOLDS_OBJECT(head_node) ? json_node_get_object(head_node) : NULL;
  size = head ? json_object_get_int_member_with_default(head, "size", 0) : 0;
  if (!head || size < 1 || !unhex(str(head, "root"), root, OKNO_HASH_LEN))
    return fail(error, "head.json", "not a tree head");
  if (strcmp(str(head, "key_id"), fp) != 0)
    return fail(error, "head.json", "signed by key %s, not by the key given", str(head, "key_id"));
  {
    g_autoptr(GBytes) msg = okno_journal_head_message(
        size, root, json_object_get_int_member_with_default(head, "at_us", 0));
    gsize hl = 0;
    guchar *hs = g_base64_decode(str(head, "signature"), &hl);
    g_autoptr(GBytes) hsig = g_bytes_new_take(hs, hl);
    if (!okno_journal_signature_ok(pk, msg, hsig))
      return fail(error, "head.json", "its signature does not verify with the key");
  }
  /* 3. the leaves */
  if (!(leaves_node = load_json(dir, "leaves.json", error)))
    return FALSE;
  lo = JSON_NODE_HOLDS_OBJECT(leaves_node) ? json_node_get_object(leaves_node) : NULL;
  leaves = lo ? json_object_get_array_member(lo, "leaves") : NULL;
  if (!leaves)
    return fail(error, "leaves.json", "no leaves");
  for (guint i = 0; i < json_array_get_length(leaves); i++) {
    JsonObject *l = json_array_get_object_element(leaves, i);
    const char *entry = str(l, "entry");
    gint64 seq = json_object_get_int_member_with_default(l, "seq", 0);
    guint8 leaf[OKNO_HASH_LEN], want[OKNO_HASH_LEN];
    JsonArray *path = json_object_get_array_member(l, "inclusion_proof");
    g_autoptr(GByteArray) proof = g_byte_array_new();
    const char *batch = json_object_has_member(l, "batch") ? str(l, "batch") : NULL;
    if (batch && !fact_in_batch(l, batch, entry))
      return fail(error, "leaves.json", "leaf %" G_GINT64_FORMAT ": the fact is not the batch's",
                  seq);
    okno_merkle_leaf_hash(batch ? batch : entry, strlen(batch ? batch : entry), leaf);
    if (!unhex(str(l, "leaf_hash"), want, OKNO_HASH_LEN) || memcmp(leaf, want, OKNO_HASH_LEN))
      return fail(error, "leaves.json", "leaf %" G_GINT64_FORMAT " does not hash its entry", seq);
    for (guint k = 0; path && k < json_array_get_length(path); k++) {
      guint8 h[OKNO_HASH_LEN];
      if (!unhex(json_array_get_string_element(path, k), h, OKNO_HASH_LEN))
        return fail(error, "leaves.json", "leaf %" G_GINT64_FORMAT ": a bad proof hash", seq);
      g_byte_array_append(proof, h, OKNO_HASH_LEN);
    }
    if (seq < 1 || seq > size ||
        !okno_merkle_verify_inclusion(leaf, (guint64)seq - 1, (guint64)size, proof->data,
                                      proof->len, root))
      return fail(error, "leaves.json", "leaf %" G_GINT64_FORMAT " is not in the signed tree", seq);
    /* the latest leaf of each (ref, id) */
    g_hash_table_insert(by_ref,
                        g_strdup_printf("%s:%" G_GINT64_FORMAT, str(l, "ref"),
                                        json_object_get_int_member_with_default(l, "ref_id", 0)),
                        l);
    (*checked)++;
  }
  /* 4. messages: their bytes are the bytes their leaves state */
  for (guint i = 0; i < present->len; i++) {
    const char *rel = present->pdata[i];
    gint64 id;
    JsonObject *l;
    g_autofree char *key = NULL, *full = NULL, *data = NULL, *sum = NULL, *want = NULL,
                    *want_size = NULL, *size_text = NULL;
    gsize len;
    if (!g_str_has_prefix(rel, "messages/"))
      continue;
    id = g_ascii_strtoll(rel + strlen("messages/"), NULL, 10);
    key = g_strdup_printf("message:%" G_GINT64_FORMAT, id);
    l = g_hash_table_lookup(by_ref, key);
    if (!l)
      return fail(error, rel, "no journal leaf states this message");
    full = g_build_filename(dir, rel, NULL);
    if (!g_file_get_contents(full, &data, &len, NULL))
      return fail(error, rel, "unreadable");
    sum = sha256_hex(data, len);
    want = entry_field(str(l, "entry"), "raw_sha256");
    want_size = entry_field(str(l, "entry"), "raw_size");
    size_text = g_strdup_printf("%" G_GSIZE_FORMAT, len);
    if (g_strcmp0(sum, want) != 0 || g_strcmp0(size_text, want_size) != 0)
      return fail(error, rel, "its bytes are not those its journal leaf states");
  }
  /* 5. events recompute to their leaves */
  if (!(events_node = load_json(dir, "events.json", error)))
    return FALSE;
  events = JSON_NODE_HOLDS_ARRAY(events_node) ? json_node_get_array(events_node) : NULL;
  for (guint i = 0; events && i < json_array_get_length(events); i++) {
    JsonObject *e = json_array_get_object_element(events, i);
    gint64 id = json_object_get_int_member_with_default(e, "id", 0);
    g_autofree char *key = g_strdup_printf("event:%" G_GINT64_FORMAT, id);
    JsonObject *l = g_hash_table_lookup(by_ref, key);
    g_autoptr(GBytes) entry = okno_journal_entry_event(
        id, json_object_get_int_member_with_default(e, "appeal_id", 0),
        json_object_get_int_member_with_default(e, "at", 0), str(e, "kind"), str(e, "detail"));
    gsize elen;
    const char *ed = g_bytes_get_data(entry, &elen);
    if (!l || strlen(str(l, "entry")) != elen || memcmp(str(l, "entry"), ed, elen) != 0)
      return fail(error, "events.json", "event %" G_GINT64_FORMAT " is not the one journaled", id);
  }
  return TRUE;
}

/* The decoded text/plain part of a receipt (the first leaf without a file name), UTF-8
 * with LF line ends exactly as okno wrote it; NULL when there is none. */
static char *receipt_text(const char *raw, gsize len)
{
  GMimeStream *in;
  okno_mime_init();
  in = g_mime_stream_mem_new_with_buffer(raw, len);
  GMimeParser *parser = g_mime_parser_new_with_stream(in);
  GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
  GMimeObject *top = msg ? g_mime_message_get_mime_part(msg) : NULL;
  GMimePart *text = NULL;
  char *out = NULL;
  /* an S/MIME-signed receipt (mail/smime.h): the receipt is the signed part */
  while (top && GMIME_IS_MULTIPART_SIGNED(top) && g_mime_multipart_get_count(GMIME_MULTIPART(top)) > 0)
    top = g_mime_multipart_get_part(GMIME_MULTIPART(top), GMIME_MULTIPART_SIGNED_CONTENT);
  if (top && GMIME_IS_PART(top)) {
    text = GMIME_PART(top);
  } else if (top && GMIME_IS_MULTIPART(top)) {
    for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(top)) && !text; i++) {
      GMimeObject *o = g_mime_multipart_get_part(GMIME_MULTIPART(top), i);
      if (GMIME_IS_PART(o) && !g_mime_part_get_filename(GMIME_PART(o)) &&
          g_mime_content_type_is_type(g_mime_object_get_content_type(o), "text", "plain"))
        text = GMIME_PART(o);
    }
  }
  if (text && g_mime_part_get_content(text)) {
    GMimeStream *mem = g_mime_stream_mem_new();
    GByteArray *bytes;
    GString *s = g_string_new(NULL);
    g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(text), mem);
    bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    for (guint i = 0; i < bytes->len; i++)
      if (!(bytes->data[i] == '\r' && i + 1 < bytes->len && bytes->data[i + 1] == '\n'))
        g_string_append_c(s, (char)bytes->data[i]);
    out = g_string_free(s, FALSE);
    g_object_unref(mem);
  }
  if (msg)
    g_object_unref(msg);
  g_object_unref(parser);
  g_object_unref(in);
  return out;
}

/* The text of the receipt's first okno-receipt.json part; NULL when none. */
static char *proof_of(const char *raw, gsize len, OknoMessage **parsed)
{
  OknoMimeLimits limits;
  g_autoptr(OknoMessage) m = NULL;
  char *json = NULL;
  okno_mime_limits_default(&limits);
  m = okno_mime_parse(raw, len, &limits);
  for (guint i = 0; m && i < m->attachments->len && !json; i++) { /* the first proof */
    OknoAttachment *a = m->attachments->pdata[i];
    if (g_strcmp0(a->filename, "okno-receipt.json") == 0) {
      gsize n;
      const char *d = g_bytes_get_data(a->data, &n);
      json = g_strndup(d ? d : "", n);
    }
  }
  if (parsed)
    *parsed = g_steal_pointer(&m);
  return json;
}

static char *receipt_proof(const char *path)
{
  g_autofree char *raw = NULL;
  gsize len;
  if (!g_file_get_contents(path, &raw, &len, NULL))
    return NULL;
  return proof_of(raw, len, NULL);
}

static gboolean verify_receipt(const guint8 *pk, const char *path, guint *checked,
                               GError **error)
{
  g_autofree char *raw = NULL, *base = g_path_get_basename(path);
  gsize len;
  g_autoptr(OknoMessage) m = NULL;
  g_autofree char *json = NULL, *number_in_subject = NULL, *text = NULL;
  g_autoptr(GError) e = NULL;
  if (!g_file_get_contents(path, &raw, &len, NULL) || len == 0)
    return fail(error, base, "missing, unreadable or empty");
  json = proof_of(raw, len, &m);
  if (!json)
    return fail(error, base, "no okno-receipt.json proof in the receipt");
  text = receipt_text(raw, len);
  if (!text)
    return fail(error, base, "no text in the receipt");
  if (!okno_journal_set_check(json, pk, text, &e))
    return fail(error, base, "%s", e->message);
  {
    g_autoptr(JsonParser) p = json_parser_new();
    const char *number = "";
    if (json_parser_load_from_data(p, json, -1, NULL))
      number = str(json_node_get_object(json_parser_get_root(p)), "number");
    number_in_subject = g_strdup_printf("№ %s", number);
    if (!strstr(m->subject, number_in_subject))
      return fail(error, base, "the Subject does not name appeal %s", number);
  }
  *checked = 1;
  return TRUE;
}

/* The key of `ring` named by `key_id` that was valid at `at` (and for a head of `size`
 * when > 0); NULL with the reason for `file`. */
static const guint8 *ring_key(const OknoJournalKeyring *ring, const char *key_id, gint64 at,
                              gint64 size, const char *file, GError **error)
{
  const OknoJournalKeyPeriod *p = okno_journal_keyring_find(ring, key_id);
  if (!p) {
    fail(error, file, "signed by key %s, not by the key given", key_id ? key_id : "(none)");
    return NULL;
  }
  if (!okno_journal_key_period_covers(p, at, size)) {
    fail(error, file, "signed by key %s, which was not valid at that time (retired)", key_id);
    return NULL;
  }
  return p->pk;
}

/* The JSON object in `path` (a bundle's head.json, a receipt's okno-receipt.json part):
 * its key_id, at_us and size; FALSE when it cannot be read (the checks that follow
 * name the fault). */
static gboolean signed_by(const char *json, char **key_id, gint64 *at, gint64 *size)
{
  g_autoptr(JsonParser) p = json_parser_new();
  JsonObject *o;
  if (!json || !json_parser_load_from_data(p, json, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
    return FALSE;
  o = json_node_get_object(json_parser_get_root(p));
  *key_id = g_strdup(str(o, "key_id"));
  *at = json_object_get_int_member_with_default(o, "at_us", 0);
  *size = json_object_get_int_member_with_default(o, "size", 0);
  return TRUE;
}

gboolean okno_evidence_verify_ring(const OknoJournalKeyring *ring, const char *path,
                                   const char **what, guint *checked, GError **error)
{
  const OknoJournalKeyPeriod *first = ring->keys->pdata[0];
  const guint8 *pk = first->pk;
  g_autofree char *json = NULL, *key_id = NULL;
  gint64 at = 0, size = 0;
  gboolean is_dir = g_file_test(path, G_FILE_TEST_IS_DIR);
  if (ring->keys->len > 1) {
    if (is_dir) {
      g_autofree char *hp = g_build_filename(path, "head.json", NULL);
      g_file_get_contents(hp, &json, NULL, NULL);
    } else {
      json = receipt_proof(path);
    }
    g_autofree char *base = g_path_get_basename(path);
    if (signed_by(json, &key_id, &at, &size) &&
        !(pk = ring_key(ring, key_id, at, is_dir ? MAX(size, 1) : 0,
                        is_dir ? "head.json" : base, error)))
      return FALSE;
  }
  return okno_evidence_verify(pk, path, what, checked, error);
}

gboolean okno_evidence_verify(const guint8 pk[OKNO_JOURNAL_PK_LEN], const char *path,
                              const char **what, guint *checked, GError **error)
{
  *checked = 0;
  if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
    *what = "bundle";
    return verify_bundle(pk, path, checked, error);
  }
  *what = "receipt";
  return verify_receipt(pk, path, checked, error);
}
