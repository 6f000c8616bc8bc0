/* cmd_journal.c: `okno journal OPERATION --config F ...`, the tamper-evident journal
 * (docs/journal.md):
 *   init          creates the Ed25519 key file (0600; never replaces one)
 *   key           prints the public key (base64) and its fingerprint
 *   sign          signs a tree head now (none when the journal has not grown)
 *   head          prints the latest signed tree head
 *   verify        recomputes every leaf and the tree from the store: exit 0 intact, 1
 *                 naming the first inconsistent entry and its appeal
 *   consistency OLD NEW   the RFC 9162 consistency proof between two sizes
 *   proof NUMBER  the inclusion proof of an appeal's registration (as /api/v1/proof)
 *   rotate-key    a new signing key; the rotation is a leaf signed by the old and the
 *                 new key, later heads are signed by the new one (docs/journal.md)
 * key takes --history: every key the journal was signed with, with when each was valid
 * (with --json: the key history `okno evidence verify --key FILE` accepts).
 * verify takes --key BASE64 to check heads against a published key instead of the key
 * file's. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "ops/journal.h"

static const char *const operations[] = {"init", "key", "sign", "head", "verify",
                                         "consistency", "proof", "rotate-key", NULL};

static int print_key(const guint8 pk[OKNO_JOURNAL_PK_LEN], gboolean json)
{
  g_autofree char *b64 = okno_journal_key_public_base64(pk);
  g_autofree char *fp = okno_journal_key_fingerprint(pk);
  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *text = NULL;
    json_builder_begin_object(b);
    okno_json_str(b, "algorithm", "ed25519");
    okno_json_str(b, "public_key", b64);
    okno_json_str(b, "fingerprint", fp);
    json_builder_end_object(b);
    text = okno_json_text(b, TRUE);
    printf("%s\n", text);
  } else {
    printf("public key (ed25519, base64): %s\nfingerprint (sha256): %s\n", b64, fp);
  }
  return 0;
}

/* key --history: the keys in order with their validity; --json the history to publish. */
static int print_history(OknoStore *st, const char *key_path, gboolean json)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoJournalKey) k = okno_journal_key_load(key_path, NULL);
  g_autoptr(OknoJournalKeyring) ring = NULL;
  g_autofree char *text = NULL;
  if (json) {
    if (!(text = okno_journal_keys_json(st, k ? k->pk : NULL, &err)))
      return okno_cli_fail(err);
    printf("%s\n", text);
    return 0;
  }
  if (!(ring = okno_journal_keyring_of(st, k ? k->pk : NULL, NULL, &err)))
    return okno_cli_fail(err);
  for (guint i = 0; i < ring->keys->len; i++) {
    const OknoJournalKeyPeriod *p = ring->keys->pdata[i];
    g_autofree char *b64 = okno_journal_key_public_base64(p->pk);
    g_autofree char *from = p->from_at ? okno_time_format_utc(p->from_at) : g_strdup("the start");
    g_autofree char *until = p->until_at ? okno_time_format_utc(p->until_at) : g_strdup("now");
    g_autofree char *last = p->until_seq ? g_strdup_printf("%" G_GINT64_FORMAT, p->until_seq - 1)
                                         : g_strdup("");
    printf("%s %s heads of sizes %" G_GINT64_FORMAT "..%s, from %s until %s\n", b64, p->key_id,
           p->from_seq, last, from, until);
  }
  return 0;
}

static gboolean parse_size(const char *s, gint64 *out)
{
  guint64 v;
  if (!g_ascii_string_to_unsigned(s, 10, 1, G_MAXINT64, &v, NULL))
    return FALSE;
  *out = (gint64)v;
  return TRUE;
}

static int print_head(const OknoJournalHead *h, gboolean json)
{
  g_autofree char *text = okno_journal_head_json(h);
  if (json)
    printf("%s\n", text);
  else
    printf("size %" G_GINT64_FORMAT "\n%s\n", h->size, text);
  return 0;
}

int okno_cmd_journal(int argc, char **argv)
{
  gboolean json = FALSE, history = FALSE;
  g_autofree char *key_b64 = NULL;
  const GOptionEntry extra[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    {"history", 0, 0, G_OPTION_ARG_NONE, &history, "key: every key, old and current", NULL},
    {"key", 0, 0, G_OPTION_ARG_STRING, &key_b64, "verify: the public key (base64)", "KEY"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0, op;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autofree char *key_path = NULL;

  op = okno_cli_take_operation(&argc, argv, operations);
  if (op < 0) {
    fprintf(stderr, "okno: journal takes one operation: init, key, sign, head, verify, "
                    "consistency, proof, rotate-key\n");
    return 1;
  }
  cfg = okno_cli_setup(&argc, &argv, "- the tamper-evident journal", extra, &code);
  if (!cfg)
    return code;
  key_path = okno_config_journal_key_file(cfg);
  if ((op == 5 && argc != 3) || (op == 6 && argc != 2) || ((op < 5 || op == 7) && argc != 1)) {
    fprintf(stderr, "okno: usage: okno journal %s --config FILE%s\n", operations[op],
            op == 5 ? " OLD_SIZE NEW_SIZE" : op == 6 ? " NUMBER" : "");
    return 1;
  }

  if (op == 0) { /* init */
    g_autoptr(OknoJournalKey) k = NULL;
    if (!okno_journal_key_create(key_path, &err) ||
        !(k = okno_journal_key_load(key_path, &err)))
      return okno_cli_fail(err);
    fprintf(stderr, "okno: journal key created in %s\n", key_path);
    return print_key(k->pk, json);
  }
  if (op == 1 && !history) { /* key */
    g_autoptr(OknoJournalKey) k = okno_journal_key_load(key_path, &err);
    return k ? print_key(k->pk, json) : okno_cli_fail(err);
  }

  st = okno_store_open(cfg->store_url, &err);
  if (!st)
    return okno_cli_fail(err);

  if (op == 1) /* key --history */
    return print_history(st, key_path, json);
  if (op == 7) { /* rotate-key */
    g_autoptr(OknoJournalHead) h = NULL;
    g_autoptr(OknoJournalKey) k = NULL;
    if (!okno_journal_rotate_key(st, key_path, &h, &err) || !(k = okno_journal_key_load(key_path, &err)))
      return okno_cli_fail(err);
    fprintf(stderr, "okno: journal key rotated; publish the new key (and okno journal key "
                    "--history --json), and restart okno serve\n");
    return print_key(k->pk, json);
  }

  if (op == 2) { /* sign */
    g_autoptr(OknoJournalKey) k = okno_journal_key_load(key_path, &err);
    g_autoptr(OknoJournalHead) h = NULL;
    if (!k || !okno_journal_sign(st, k, FALSE, &h, &err))
      return okno_cli_fail(err);
    return print_head(h, json);
  }
  if (op == 3) { /* head */
    g_autoptr(OknoJournalHead) h = okno_store_journal_head(st, 0, &err);
    if (!h) {
      if (err)
        return okno_cli_fail(err);
      fprintf(stderr, "okno: no signed tree head yet: okno journal sign --config FILE\n");
      return 1;
    }
    return print_head(h, json);
  }
  if (op == 4) { /* verify */
    guint8 pk[OKNO_JOURNAL_PK_LEN];
    int have_pk;
    g_autoptr(OknoJournalReport) rep = NULL;
    if ((have_pk = okno_cli_journal_pk(cfg, key_b64, pk)) < 0)
      return 1;
    rep = okno_journal_verify(st, have_pk ? pk : NULL, &err);
    if (!rep)
      return okno_cli_fail(err);
    if (json) {
      g_autofree char *text = okno_journal_report_json(rep);
      printf("%s\n", text);
    } else if (rep->problems->len == 0) {
      printf("intact: %" G_GINT64_FORMAT " leaves, %" G_GINT64_FORMAT " signed, %" G_GINT64_FORMAT
             " rows checked\n", rep->size, rep->signed_size, rep->facts);
    }
    if (rep->problems->len) {
      const OknoJournalProblem *p = rep->problems->pdata[0];
      fprintf(stderr, "okno: journal broken (%u problems); first: %s%s%s\n",
              rep->problems->len, p->what, *p->number ? ", appeal " : "", p->number);
      return 1;
    }
    return 0;
  }
  if (op == 5) { /* consistency */
    gint64 old_size, new_size;
    guint8 r1[OKNO_HASH_LEN], r2[OKNO_HASH_LEN];
    g_autoptr(GByteArray) proof = NULL;
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *text = NULL;
    char h1[2 * OKNO_HASH_LEN + 1], h2[2 * OKNO_HASH_LEN + 1];
    if (!parse_size(argv[1], &old_size) || !parse_size(argv[2], &new_size)) {
      fprintf(stderr, "okno: OLD_SIZE and NEW_SIZE are tree sizes (1, 2, ...)\n");
      return 1;
    }
    if (!okno_journal_consistency(st, old_size, new_size, r1, r2, &proof, &err))
      return okno_cli_fail(err);
    g_assert(okno_merkle_verify_consistency((guint64)old_size, (guint64)new_size, r1, r2,
                                            proof->data, proof->len));
    for (int i = 0; i < OKNO_HASH_LEN; i++) {
      g_snprintf(h1 + 2 * i, 3, "%02x", r1[i]);
      g_snprintf(h2 + 2 * i, 3, "%02x", r2[i]);
    }
    json_builder_begin_object(b);
    okno_json_int(b, "old_size", old_size);
    okno_json_str(b, "old_root", h1);
    okno_json_int(b, "new_size", new_size);
    okno_json_str(b, "new_root", h2);
    json_builder_set_member_name(b, "proof");
    json_builder_begin_array(b);
    for (guint i = 0; i < proof->len; i += OKNO_HASH_LEN) {
      char h[2 * OKNO_HASH_LEN + 1];
      for (int j = 0; j < OKNO_HASH_LEN; j++)
        g_snprintf(h + 2 * j, 3, "%02x", proof->data[i + j]);
      json_builder_add_string_value(b, h);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    text = okno_json_text(b, TRUE);
    printf("%s\n", text);
    return 0;
  }
  { /* proof */
    gboolean not_found = FALSE;
    g_autofree char *text = okno_journal_proof_json(st, argv[1], &not_found, &err);
    if (!text)
      return okno_cli_fail(err);
    printf("%s\n", text);
    return 0;
  }
}
