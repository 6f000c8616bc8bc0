/* journal.c: signing tree heads (at once and on the signing thread, with witnesses),
 * signed entry timestamps for receipts, proofs, key rotation and key histories
 * (ops/journal.h). Verification is journal_verify.c. */
#include "ops/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "mail/receipt.h"
#include "store/journal_batch.h"
#include "store/journal_keys.h"
#include "store/outbound.h"
#include "ops/worker.h"

#define PAGE 2000
#define FACT_PAGE 500

static char *hex(const guint8 *h, gsize n)
{
  char *s = g_malloc(2 * n + 1);
  sodium_bin2hex(s, 2 * n + 1, h, n);
  return s;
}

/* ---- signing ---- */

gboolean okno_journal_sign(OknoStore *st, const OknoJournalKey *key, gboolean force,
                           OknoJournalHead **head, GError **error)
{
  g_autoptr(OknoJournalHead) last = NULL;
  g_autoptr(OknoJournalHead) h = NULL;
  g_autoptr(GBytes) msg = NULL;
  OknoMerkleFrontier f;
  gint64 size = 0;
  if (head)
    *head = NULL;
  if (!okno_store_journal_size(st, &size, error))
    return FALSE;
  last = okno_store_journal_head(st, 0, error);
  if (!last && error && *error)
    return FALSE;
  if (last && last->size == size && !force) {
    if (head)
      *head = g_steal_pointer(&last);
    return TRUE;
  }
  okno_merkle_frontier_init(&f);
  if (last) {
    gsize len;
    const void *d = g_bytes_get_data(last->frontier, &len);
    guint8 r[OKNO_HASH_LEN];
    if (!okno_merkle_frontier_load(&f, last->size, d, len)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "tree head %" G_GINT64_FORMAT
                  " has a malformed frontier", last->size);
      return FALSE;
    }
    okno_merkle_frontier_root(&f, r);
    if (memcmp(r, last->root, OKNO_HASH_LEN) != 0) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "tree head %" G_GINT64_FORMAT
                  " does not match its frontier: run okno journal verify", last->size);
      return FALSE;
    }
  }
  for (gint64 from = f.size + 1; from <= size; from += PAGE * 5) {
    gint64 to = MIN(size, from + PAGE * 5 - 1);
    g_autoptr(GByteArray) hashes = okno_store_journal_leaf_hashes(st, from, to, error);
    if (!hashes)
      return FALSE;
    for (guint i = 0; i < hashes->len; i += OKNO_HASH_LEN)
      okno_merkle_frontier_append(&f, hashes->data + i);
  }
  h = g_new0(OknoJournalHead, 1);
  h->size = size;
  okno_merkle_frontier_root(&f, h->root);
  h->at = okno_now();
  h->key_id = g_strdup(key->fingerprint);
  msg = okno_journal_head_message(h->size, h->root, h->at);
  h->signature = okno_journal_key_sign(key, msg);
  h->frontier = okno_merkle_frontier_save(&f);
  if (last && last->size == size) /* forced, same size: the head already stands */
    ;
  else if (!okno_store_journal_head_add(st, h, error))
    return FALSE;
  if (head)
    *head = g_steal_pointer(&h);
  return TRUE;
}

/* ---- signed entry timestamps ---- */

GBytes *okno_journal_set_message(const char *number, gint64 seq, const char *leaf_hex,
                                 const char *original_sha256, const char *text_sha256,
                                 gint64 at)
{
  GString *s = g_string_new("okno-set 1\n");
  gsize len;
  g_string_append(s, "number=");
  for (const guchar *p = (const guchar *)(number ? number : ""); *p; p++) {
    if (g_ascii_isalnum(*p) || strchr("._:@+-", *p))
      g_string_append_c(s, (char)*p);
    else
      g_string_append_printf(s, "%%%02X", *p);
  }
  g_string_append_printf(s, "\nseq=%" G_GINT64_FORMAT "\nleaf=%s\noriginal_sha256=%s\n"
                            "text_sha256=%s\nat=%" G_GINT64_FORMAT "\n",
                         seq, leaf_hex, original_sha256 ? original_sha256 : "",
                         text_sha256 ? text_sha256 : "", at);
  len = s->len;
  return g_bytes_new_take(g_string_free(s, FALSE), len);
}

char *okno_journal_set_json(OknoStore *st, const OknoJournalKey *key, gint64 appeal_id,
                            const char *original_sha256, gint64 original_size,
                            const char *text_sha256, GError **error)
{
  g_autoptr(OknoJournalLeaf) l = okno_store_journal_registration_leaf(st, appeal_id, error);
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(GBytes) msg = NULL, sig = NULL;
  g_autofree char *leaf_hex = NULL, *at_text = NULL, *sig64 = NULL, *entry = NULL;
  gsize len;
  const guint8 *d;
  gint64 at = okno_now();
  if (!l)
    return NULL;
  d = g_bytes_get_data(l->leaf, &len);
  leaf_hex = hex(d, len);
  msg = okno_journal_set_message(l->number, l->seq, leaf_hex, original_sha256, text_sha256, at);
  sig = okno_journal_key_sign(key, msg);
  d = g_bytes_get_data(sig, &len);
  sig64 = g_base64_encode(d, len);
  at_text = okno_time_format_utc(at);
  {
    /* the bytes the leaf hashes: the batch entry when the registration is in one */
    const char *e = g_bytes_get_data(l->batch ? l->batch : l->entry, &len);
    entry = g_strndup(e ? e : "", len);
  }
  b = json_builder_new();
  json_builder_begin_object(b);
  okno_json_str(b, "format", "okno-receipt 1");
  okno_json_str(b, "number", l->number);
  okno_json_int(b, "seq", l->seq);
  okno_json_int(b, "leaf_index", l->seq - 1);
  okno_json_str(b, "entry", entry);
  if (l->batch)
    okno_json_int(b, "fact", l->fact);
  okno_json_str(b, "leaf_hash", leaf_hex);
  okno_json_str(b, "original_sha256", original_sha256 ? original_sha256 : "");
  okno_json_int(b, "original_size", original_size);
  okno_json_str(b, "text_sha256", text_sha256 ? text_sha256 : "");
  okno_json_str(b, "at", at_text);
  okno_json_int(b, "at_us", at);
  okno_json_str(b, "key_id", key->fingerprint);
  okno_json_str(b, "signature", sig64);
  json_builder_end_object(b);
  return okno_json_text(b, TRUE);
}

static const char *member(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
             ? json_node_get_string(n)
             : NULL;
}

/* Is `entry` (or, for a batch, its fact `fact` of the proof `o`) the registration
 * entry of the appeal whose "\nnumber=N\n" line is `want_number`? */
static gboolean registration_of(JsonObject *o, const char *entry, const char *want_number)
{
  g_autoptr(GPtrArray) facts = NULL;
  g_autofree char *fact = NULL;
  gint64 i;
  OknoJournalBatchFact *f;
  gsize len;
  const char *e;
  if (!okno_journal_entry_is_batch(entry, strlen(entry)))
    return g_str_has_prefix(entry, "okno-journal ") && strstr(entry, "\nrecord=appeal\n") &&
           strstr(entry, want_number);
  facts = okno_journal_batch_parse(entry, strlen(entry));
  i = json_object_get_int_member_with_default(o, "fact", -1);
  if (!facts || i < 0 || i >= facts->len)
    return FALSE;
  f = facts->pdata[i];
  e = g_bytes_get_data(f->entry, &len);
  fact = g_strndup(e, len);
  return strcmp(f->kind, "registration") == 0 && strcmp(f->ref, "appeal") == 0 &&
         g_str_has_prefix(fact, "okno-journal ") && strstr(fact, "\nrecord=appeal\n") &&
         strstr(fact, want_number);
}

gboolean okno_journal_set_check(const char *json, const guint8 *pk, const char *receipt_text,
                                GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonObject *o;
  const char *number, *entry, *leaf_hex, *orig, *text_sha, *key_id, *sig64;
  gint64 seq, at;
  guint8 leaf[OKNO_HASH_LEN];
  g_autofree char *want_leaf = NULL, *want_number = NULL, *fp = NULL;
  g_autoptr(GBytes) msg = NULL, sig = NULL;
  guchar *raw_sig;
  gsize sig_len = 0;
  if (!json_parser_load_from_data(parser, json, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "the proof is not a JSON object");
    return FALSE;
  }
  o = json_node_get_object(json_parser_get_root(parser));
  number = member(o, "number"), entry = member(o, "entry"), leaf_hex = member(o, "leaf_hash");
  orig = member(o, "original_sha256"), text_sha = member(o, "text_sha256");
  key_id = member(o, "key_id"), sig64 = member(o, "signature");
  seq = json_object_get_int_member_with_default(o, "seq", 0);
  at = json_object_get_int_member_with_default(o, "at_us", 0);
  if (g_strcmp0(member(o, "format"), "okno-receipt 1") != 0 || !number || !entry ||
      !leaf_hex || !orig || !text_sha || !key_id || !sig64 || seq < 1) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "the proof lacks a field of okno-receipt 1");
    return FALSE;
  }
  okno_merkle_leaf_hash(entry, strlen(entry), leaf);
  want_leaf = hex(leaf, OKNO_HASH_LEN);
  if (strcmp(want_leaf, leaf_hex) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "the entry does not hash to leaf_hash");
    return FALSE;
  }
  want_number = g_strdup_printf("\nnumber=%s\n", number);
  if (!registration_of(o, entry, want_number)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "the entry is not the registration of %s",
                number);
    return FALSE;
  }
  fp = okno_journal_key_fingerprint(pk);
  if (strcmp(fp, key_id) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "the proof was signed by key %s, not by the key given (%s)", key_id, fp);
    return FALSE;
  }
  raw_sig = g_base64_decode(sig64, &sig_len);
  sig = g_bytes_new_take(raw_sig, sig_len);
  msg = okno_journal_set_message(number, seq, leaf_hex, orig, text_sha, at);
  if (!okno_journal_signature_ok(pk, msg, sig)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "the proof's signature does not verify");
    return FALSE;
  }
  if (receipt_text) {
    guint8 h[crypto_hash_sha256_BYTES];
    g_autofree char *got = NULL;
    crypto_hash_sha256(h, (const guchar *)receipt_text, strlen(receipt_text));
    got = hex(h, sizeof h);
    if (strcmp(got, text_sha) != 0) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "the receipt's text is not the text the proof signs");
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- proofs ---- */

gboolean okno_journal_consistency(OknoStore *st, gint64 old_size, gint64 new_size,
                                  guint8 old_root[OKNO_HASH_LEN], guint8 new_root[OKNO_HASH_LEN],
                                  GByteArray **proof, GError **error)
{
  gint64 size = 0;
  g_autoptr(GByteArray) leaves = NULL;
  *proof = NULL;
  if (!okno_store_journal_size(st, &size, error))
    return FALSE;
  if (old_size < 1 || old_size > new_size || new_size > size) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "sizes must satisfy 1 <= OLD <= NEW <= %" G_GINT64_FORMAT " (the journal's size)",
                size);
    return FALSE;
  }
  leaves = okno_store_journal_leaf_hashes(st, 1, new_size, error);
  if (!leaves)
    return FALSE;
  okno_merkle_root(leaves->data, (guint64)old_size, old_root);
  okno_merkle_root(leaves->data, (guint64)new_size, new_root);
  *proof = okno_merkle_consistency_proof(leaves->data, (guint64)new_size, (guint64)old_size);
  return TRUE;
}

static void json_hashes(JsonBuilder *b, const char *name, const GByteArray *p)
{
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  for (guint i = 0; p && i < p->len; i += OKNO_HASH_LEN) {
    g_autofree char *h = hex(p->data + i, OKNO_HASH_LEN);
    json_builder_add_string_value(b, h);
  }
  json_builder_end_array(b);
}

static void head_members(JsonBuilder *b, const OknoJournalHead *h)
{
  g_autofree char *root = hex(h->root, OKNO_HASH_LEN);
  g_autofree char *at = okno_time_format_utc(h->at);
  gsize slen = 0;
  const guint8 *sig = g_bytes_get_data(h->signature, &slen);
  g_autofree char *sig64 = g_base64_encode(sig, slen);
  okno_json_int(b, "size", h->size);
  okno_json_str(b, "root", root);
  okno_json_str(b, "at", at);
  okno_json_int(b, "at_us", h->at);
  okno_json_str(b, "key_id", h->key_id);
  okno_json_str(b, "signature", sig64);
}

char *okno_journal_head_json(const OknoJournalHead *h)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  head_members(b, h);
  json_builder_end_object(b);
  return okno_json_text(b, TRUE);
}

char *okno_journal_proof_json(OknoStore *st, const char *number, gboolean *not_found,
                              GError **error)
{
  g_autoptr(OknoJournalHead) head = NULL;
  g_autoptr(GByteArray) leaves = NULL, proof = NULL;
  g_autoptr(GPtrArray) one = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autoptr(OknoJournalLeaf) reg = NULL;
  g_autofree char *leaf_hex = NULL;
  OknoJournalLeaf *l;
  gint64 seq;
  *not_found = FALSE;
  seq = okno_store_journal_registration_seq(st, number, error);
  if (!seq) {
    if (error && *error)
      return NULL;
    *not_found = TRUE;
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "no registration of appeal %s in the journal",
                number);
    return NULL;
  }
  head = okno_store_journal_head(st, 0, error);
  if (!head || head->size < seq) {
    if (error && *error)
      return NULL;
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP,
                "no signed tree head covers appeal %s yet: try again in a minute", number);
    return NULL;
  }
  one = okno_store_journal_leaves(st, seq - 1, 1, error);
  reg = one ? okno_store_journal_registration_of(st, number, error) : NULL;
  leaves = one ? okno_store_journal_leaf_hashes(st, 1, head->size, error) : NULL;
  if (!leaves)
    return NULL;
  l = one->pdata[0];
  proof = okno_merkle_inclusion_proof(leaves->data, (guint64)head->size, (guint64)seq - 1);
  leaf_hex = hex(leaves->data + (seq - 1) * OKNO_HASH_LEN, OKNO_HASH_LEN);
  json_builder_begin_object(b);
  okno_json_str(b, "number", number);
  okno_json_int(b, "seq", seq);
  okno_json_int(b, "leaf_index", seq - 1);
  {
    gsize elen;
    const char *e = g_bytes_get_data(l->entry, &elen);
    g_autofree char *entry = g_strndup(e ? e : "", elen);
    okno_json_str(b, "entry", entry);
  }
  if (reg && reg->batch && reg->seq == seq) {
    /* the registration is fact `fact` of the batch `entry` */
    gsize flen;
    const char *f = g_bytes_get_data(reg->entry, &flen);
    g_autofree char *fact = g_strndup(f ? f : "", flen);
    okno_json_int(b, "fact", reg->fact);
    okno_json_str(b, "fact_entry", fact);
  }
  okno_json_str(b, "leaf_hash", leaf_hex);
  json_hashes(b, "inclusion_proof", proof);
  json_builder_set_member_name(b, "tree_head");
  json_builder_begin_object(b);
  head_members(b, head);
  json_builder_end_object(b);
  json_builder_end_object(b);
  return okno_json_text(b, TRUE);
}

/* ---- the signing thread ---- */

struct OknoJournalSigner {
  const OknoConfig *cfg;
  OknoStore *st;
  OknoJournalKey *key;
  OknoWorker *worker;
  gint64 witnessed; /* the size of the last head sent to the witnesses */
};

/* Delivers `msg` into the maildir `dir` (tmp/, then new/). */
static gboolean maildir_put(const char *dir, GBytes *msg, GError **error)
{
  g_autofree char *name = g_strdup_printf("%" G_GINT64_FORMAT ".%08x.okno-head", okno_now(),
                                          g_random_int());
  g_autofree char *tmpdir = g_build_filename(dir, "tmp", NULL);
  g_autofree char *newdir = g_build_filename(dir, "new", NULL);
  g_autofree char *cur = g_build_filename(dir, "cur", NULL);
  g_autofree char *tmp = g_build_filename(tmpdir, name, NULL);
  g_autofree char *dst = g_build_filename(newdir, name, NULL);
  gsize len;
  const char *d = g_bytes_get_data(msg, &len);
  if (g_mkdir_with_parents(tmpdir, 0700) || g_mkdir_with_parents(newdir, 0700) ||
      g_mkdir_with_parents(cur, 0700)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "cannot create the maildir %s", dir);
    return FALSE;
  }
  if (!g_file_set_contents(tmp, d, (gssize)len, error))
    return FALSE;
  if (g_rename(tmp, dst) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "cannot deliver into %s", dir);
    return FALSE;
  }
  return TRUE;
}

/* Sends head `h` to every witness: e-mail addresses through the outbound queue, a
 * maildir:PATH delivered directly. The letter's text holds the head's JSON. */
static void witness(OknoJournalSigner *s, const OknoJournalHead *h)
{
  g_autofree char *json = okno_journal_head_json(h);
  g_autofree char *subject = g_strdup_printf("Подписанная вершина журнала okno: %" G_GINT64_FORMAT
                                             " записей", h->size);
  g_autofree char *text = g_strdup_printf(
      "Новая подписанная вершина журнала портала (формат: docs/journal.md, «Tree heads»). "
      "Сохраните это письмо: по нему можно доказать, что журнал, каким он был в этот момент, "
      "потом не переписывали (okno journal consistency).\n\n%s", json);
  for (char **w = s->cfg->journal_witnesses; w && *w; w++) {
    g_autoptr(GError) err = NULL;
    g_autofree char *mid = NULL;
    gboolean maildir = g_str_has_prefix(*w, "maildir:");
    const char *to = maildir ? s->cfg->outbound_from : *w;
    g_autoptr(GBytes) msg = okno_notice_build(s->cfg, "journal", to, "", subject, text, &mid);
    gboolean ok = msg != NULL;
    if (!msg)
      g_set_error(&err, OKNO_ERROR, OKNO_ERROR_USER, "the address cannot be written into a header");
    else if (maildir)
      ok = maildir_put(*w + strlen("maildir:"), msg, &err);
    else
      ok = okno_store_outbound_enqueue_mail(s->st, s->cfg->outbound_from, to, mid, msg, &err);
    if (!ok)
      okno_log_warn("journal", "event=witness_failed witness=%u error=\"%s\"",
                    (guint)(w - s->cfg->journal_witnesses), err->message);
  }
  s->witnessed = h->size;
}

/* A key file rotated under a running signer (okno journal rotate-key): when the
 * journal's current key is not ours, the key file is read again; a file that does not
 * hold the current key either signs nothing (logged). */
static gboolean signer_key_current(OknoJournalSigner *s)
{
  g_autofree char *current = NULL, *path = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoJournalKey) fresh = NULL;
  if (!okno_store_journal_key_current(s->st, &current, &err)) {
    okno_log_warn("journal", "event=sign_failed error=\"%s\"", err->message);
    return FALSE;
  }
  if (!current || strcmp(current, s->key->fingerprint) == 0)
    return TRUE;
  path = okno_config_journal_key_file(s->cfg);
  fresh = okno_journal_key_load(path, &err);
  if (!fresh || strcmp(fresh->fingerprint, current) != 0) {
    okno_log_warn("journal", "event=key_retired key=%s current=%s (the key file does not hold "
                  "the current key: no head signed)", s->key->fingerprint, current);
    return FALSE;
  }
  okno_log("journal", "event=key_rotated old=%s new=%s", s->key->fingerprint, fresh->fingerprint);
  okno_journal_key_free(s->key);
  s->key = g_steal_pointer(&fresh);
  return TRUE;
}

static void sign_pass(gpointer data)
{
  OknoJournalSigner *s = data;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoJournalHead) h = NULL;
  if (!signer_key_current(s))
    return;
  if (!okno_journal_sign(s->st, s->key, FALSE, &h, &err))
    okno_log_warn("journal", "event=sign_failed error=\"%s\"", err->message);
  else if (h && h->size > s->witnessed)
    witness(s, h);
}

OknoJournalSigner *okno_journal_signer_start(const OknoConfig *cfg, GError **error)
{
  g_autofree char *path = okno_config_journal_key_file(cfg);
  OknoJournalSigner *s = g_new0(OknoJournalSigner, 1);
  s->cfg = cfg;
  s->key = okno_journal_key_load(path, error);
  if (s->key)
    s->st = okno_store_open(cfg->store_url, error);
  if (!s->st) {
    okno_journal_signer_stop(s);
    return NULL;
  }
  {
    /* heads signed before this start were sent by the run that signed them */
    g_autoptr(OknoJournalHead) last = okno_store_journal_head(s->st, 0, NULL);
    s->witnessed = last ? last->size : 0;
  }
  s->worker = okno_worker_start("journal", cfg->journal_sign_interval * G_USEC_PER_SEC,
                                sign_pass, s);
  return s;
}

void okno_journal_signer_stop(OknoJournalSigner *s)
{
  if (!s)
    return;
  if (s->worker) {
    okno_worker_stop(s->worker);
    sign_pass(s); /* the head at shutdown */
  }
  okno_store_close(s->st);
  okno_journal_key_free(s->key);
  g_free(s);
}

/* ---- key rings ---- */

gboolean okno_journal_ring_follow(OknoJournalKeyring **ring, GBytes *entry, gint64 seq, GError **error)
{
  OknoJournalRotation r;
  gboolean ok;
  if (!entry || !okno_journal_entry_rotation_parse(entry, &r)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "leaf %" G_GINT64_FORMAT " is not a well-formed key rotation", seq);
    return FALSE;
  }
  if (!*ring)
    *ring = okno_journal_keyring_new(r.old_pk);
  ok = okno_journal_keyring_rotate(*ring, r.old_pk, r.new_pk, r.at, seq, r.old_sig, r.new_sig,
                                   error);
  okno_journal_rotation_clear(&r);
  return ok;
}

/* ---- key rotation ---- */

/* Renames `from` over `to` and syncs the directory. */
static gboolean replace_file(const char *from, const char *to, GError **error)
{
  g_autofree char *dir = g_path_get_dirname(to);
  int fd;
  if (g_rename(from, to) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "%s: cannot rename to %s: %s", from, to,
                g_strerror(errno));
    return FALSE;
  }
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  return TRUE;
}

gboolean okno_journal_rotate_key(OknoStore *st, const char *key_path, OknoJournalHead **head,
                                 GError **error)
{
  g_autofree char *next_path = g_strconcat(key_path, ".next", NULL), *current = NULL;
  g_autoptr(OknoJournalKey) old = okno_journal_key_load(key_path, error);
  g_autoptr(OknoJournalKey) next = NULL;
  OknoJournalRotation r = {0};
  gint64 seq = 0;
  gboolean ok;
  if (head)
    *head = NULL;
  if (!old)
    return FALSE;
  if (!g_file_test(next_path, G_FILE_TEST_EXISTS) && !okno_journal_key_create(next_path, error))
    return FALSE;
  if (!(next = okno_journal_key_load(next_path, error)))
    return FALSE;
  if (!okno_store_journal_key_current(st, &current, error))
    return FALSE;
  if (current && strcmp(current, next->fingerprint) == 0) /* rotated, the file not yet renamed */
    return replace_file(next_path, key_path, error) &&
           okno_journal_sign(st, next, FALSE, head, error);
  if (current && strcmp(current, old->fingerprint) != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: holds key %s, but the journal's current key is %s", key_path, old->fingerprint,
                current);
    return FALSE;
  }
  if (strcmp(old->fingerprint, next->fingerprint) == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: the same key as %s", next_path, key_path);
    return FALSE;
  }
  /* the last head by the old key covers everything before the rotation */
  if (!okno_journal_sign(st, old, FALSE, NULL, error) || !okno_store_begin(st, error))
    return FALSE;
  r.at = okno_now();
  memcpy(r.old_pk, old->pk, OKNO_JOURNAL_PK_LEN);
  memcpy(r.new_pk, next->pk, OKNO_JOURNAL_PK_LEN);
  {
    g_autoptr(GBytes) msg = okno_journal_rotation_message(old->pk, next->pk, r.at);
    r.old_sig = okno_journal_key_sign(old, msg);
    r.new_sig = okno_journal_key_sign(next, msg);
  }
  ok = okno_store_journal_rotation(st, &r, &seq, error) &&
       okno_store_journal_key_add(st, old->fingerprint, old->pk, OKNO_JOURNAL_PK_LEN, 0, error) &&
       okno_store_journal_key_add(st, next->fingerprint, next->pk, OKNO_JOURNAL_PK_LEN, r.at, error) &&
       okno_store_commit(st, error);
  okno_journal_rotation_clear(&r);
  if (!ok) {
    okno_store_rollback(st);
    return FALSE;
  }
  okno_log("journal", "event=key_rotated old=%s new=%s seq=%" G_GINT64_FORMAT, old->fingerprint,
           next->fingerprint, seq);
  /* the first head by the new key covers the rotation's leaf */
  return replace_file(next_path, key_path, error) && okno_journal_sign(st, next, FALSE, head, error);
}

OknoJournalKeyring *okno_journal_keyring_of(OknoStore *st, const guint8 *current_pk,
                                            GPtrArray **rotations, GError **error)
{
  g_autoptr(GPtrArray) leaves = okno_store_journal_rotations(st, error);
  g_autoptr(OknoJournalKeyring) ring = NULL;
  if (!leaves)
    return NULL;
  for (guint i = 0; i < leaves->len; i++) {
    OknoJournalLeaf *l = leaves->pdata[i];
    if (!okno_journal_ring_follow(&ring, l->entry, l->seq, error))
      return NULL;
  }
  if (!ring) {
    if (!current_pk) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "no key: the journal was never rotated");
      return NULL;
    }
    ring = okno_journal_keyring_new(current_pk);
  }
  if (rotations)
    *rotations = g_steal_pointer(&leaves);
  return g_steal_pointer(&ring);
}

char *okno_journal_keys_json(OknoStore *st, const guint8 *current_pk, GError **error)
{
  g_autoptr(GPtrArray) leaves = NULL;
  g_autoptr(OknoJournalKeyring) ring = okno_journal_keyring_of(st, current_pk, &leaves, error);
  g_autoptr(JsonBuilder) b = NULL;
  if (!ring)
    return NULL;
  b = json_builder_new();
  json_builder_begin_object(b);
  okno_json_str(b, "format", "okno-journal-keys 1");
  json_builder_set_member_name(b, "keys");
  json_builder_begin_array(b);
  for (guint i = 0; i < ring->keys->len; i++) {
    const OknoJournalKeyPeriod *p = ring->keys->pdata[i];
    g_autofree char *b64 = okno_journal_key_public_base64(p->pk);
    g_autofree char *from = p->from_at ? okno_time_format_utc(p->from_at) : g_strdup("");
    g_autofree char *until = p->until_at ? okno_time_format_utc(p->until_at) : g_strdup("");
    json_builder_begin_object(b);
    okno_json_str(b, "key_id", p->key_id);
    okno_json_str(b, "public_key", b64);
    okno_json_int(b, "from_seq", p->from_seq);
    okno_json_int(b, "until_seq", p->until_seq);
    okno_json_str(b, "from", from);
    okno_json_str(b, "until", until);
    okno_json_int(b, "from_us", p->from_at);
    okno_json_int(b, "until_us", p->until_at);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "rotations");
  json_builder_begin_array(b);
  for (guint i = 0; i < leaves->len; i++) {
    OknoJournalLeaf *l = leaves->pdata[i];
    gsize len;
    const char *e = g_bytes_get_data(l->entry, &len);
    g_autofree char *entry = g_strndup(e ? e : "", len);
    json_builder_begin_object(b);
    okno_json_int(b, "seq", l->seq);
    okno_json_str(b, "entry", entry);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  return okno_json_text(b, TRUE);
}

OknoJournalKeyring *okno_journal_keyring_parse(const char *text, GError **error)
{
  guint8 pk[OKNO_JOURNAL_PK_LEN];
  g_autoptr(JsonParser) p = json_parser_new();
  g_autoptr(OknoJournalKeyring) ring = NULL;
  JsonObject *o;
  JsonArray *rot, *keys;
  g_autofree char *plain = g_strstrip(g_strdup(text ? text : ""));
  if (okno_journal_key_public_parse(plain, pk))
    return okno_journal_keyring_new(pk);
  if (!json_parser_load_from_data(p, plain, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)) ||
      g_strcmp0(member(o = json_node_get_object(json_parser_get_root(p)), "format"),
                "okno-journal-keys 1") != 0 ||
      !json_object_has_member(o, "rotations") || !json_object_has_member(o, "keys") ||
      !JSON_NODE_HOLDS_ARRAY(json_object_get_member(o, "rotations")) ||
      !JSON_NODE_HOLDS_ARRAY(json_object_get_member(o, "keys"))) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "neither a base64 Ed25519 public key nor a key history (okno journal key --history --json)");
    return NULL;
  }
  rot = json_object_get_array_member(o, "rotations");
  keys = json_object_get_array_member(o, "keys");
  for (guint i = 0; i < json_array_get_length(rot); i++) {
    JsonNode *n = json_array_get_element(rot, i);
    JsonObject *ro = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
    const char *entry = member(ro, "entry");
    gint64 seq = ro ? json_object_get_int_member_with_default(ro, "seq", 0) : 0;
    g_autoptr(GBytes) eb = entry && seq > 0 ? g_bytes_new(entry, strlen(entry)) : NULL;
    if (!okno_journal_ring_follow(&ring, eb, seq, error))
      return NULL;
  }
  if (!ring) {
    JsonNode *n = json_array_get_length(keys) == 1 ? json_array_get_element(keys, 0) : NULL;
    JsonObject *ko = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
    if (!okno_journal_key_public_parse(member(ko, "public_key"), pk)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "key history: no rotation and not one key");
      return NULL;
    }
    ring = okno_journal_keyring_new(pk);
  }
  return g_steal_pointer(&ring);
}
