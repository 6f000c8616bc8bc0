/* cmd_phishing.c: `okno phishing` - the phishing reports and the block list.
 *
 *   okno phishing report  --config FILE [--json] [--by WHO] MESSAGE.eml
 *   okno phishing block   --config FILE (--domain D | --url U) [--by WHO]
 *   okno phishing unblock --config FILE (--domain D | --url U) [--by WHO]
 *   okno phishing list    --config FILE [--json] [--blocked]
 *
 * report: an operator reports a phishing sample: its sender domains (From, Reply-To,
 * Return-Path) and the URLs and hosts of its links, the portal's own domains left out
 * (the phishing check's indicators, check/phishing.h), are recorded as reported by WHO
 * (default: the login running the command) and blocked at once. block / unblock put
 * one domain or URL on the block list or take it off (it stays as reported). list
 * prints every entry (only the blocked ones with --blocked), newest first. The block
 * list is read by `okno check-mail` and by intake (docs/phishing.md).
 * Exit 0; 1 with one line for a bad value, an unreadable sample or one that names
 * nothing to block, an unknown entry to unblock; 2 when the store fails. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "check/blocklist.h"
#include "check/citizen.h"
#include "check/phishing.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/json.h"
#include "store/phish.h"
#include "store/store.h"

/* Runs `work` inside one transaction of the configured store. */
static int in_transaction(const OknoConfig *cfg,
                          gboolean (*work)(OknoStore *st, gpointer data, GError **error),
                          gpointer data)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = okno_store_open(cfg->store_url, &err);
  if (!st)
    return okno_cli_fail(err);
  if (!okno_store_begin(st, &err))
    return okno_cli_fail(err);
  if (!work(st, data, &err) || !okno_store_commit(st, &err)) {
    okno_store_rollback(st);
    return okno_cli_fail(err);
  }
  return 0;
}

typedef struct {
  const GPtrArray *indicators; /* OknoPhishIndicator* */
  const char *by;
} Report;

static gboolean report_work(OknoStore *st, gpointer data, GError **error)
{
  const Report *r = data;
  for (guint i = 0; i < r->indicators->len; i++) {
    const OknoPhishIndicator *x = g_ptr_array_index(r->indicators, i);
    if (!okno_store_phish_report(st, x->kind, x->value, r->by, "cli", TRUE, error))
      return FALSE;
  }
  return TRUE;
}

static int cmd_report(const OknoConfig *cfg, int argc, char **argv, gboolean json, const char *by)
{
  g_autofree char *raw = NULL;
  gsize len = 0;
  g_autoptr(OknoMessage) msg = NULL;
  g_autoptr(OknoPhishResult) res = NULL;
  g_autoptr(GError) err = NULL;
  Report r;
  int code;

  if (argc != 3) {
    fprintf(stderr, "okno: phishing report takes one message file, e.g. okno phishing report "
                    "--config okno.ini sample.eml\n");
    return 1;
  }
  if ((code = okno_cli_read_message(cfg, argv[2], &raw, &len, &msg)) != 0)
    return code;
  res = okno_phishing_check(msg, raw, len, cfg);
  if (res->indicators->len == 0) {
    fprintf(stderr, "okno: %s names no sender domain or link outside the portal's domains: "
                    "nothing to block\n", argv[2]);
    return 1;
  }
  r.indicators = res->indicators;
  r.by = by;
  if ((code = in_transaction(cfg, report_work, &r)) != 0)
    return code;
  /* the sample teaches rspamd too (Bayes and the fuzzy storage), when its controller is
   * configured: the same campaign is then judged by rspamd as well */
  if (!okno_rspamd_teach(cfg, TRUE, raw, len, &err))
    fprintf(stderr, "okno: warning: rspamd did not learn the sample: %s\n", err->message);
  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *text = NULL;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "blocked");
    json_builder_begin_array(b);
    for (guint i = 0; i < res->indicators->len; i++) {
      const OknoPhishIndicator *x = g_ptr_array_index(res->indicators, i);
      json_builder_begin_object(b);
      okno_json_str(b, "kind", x->kind);
      okno_json_str(b, "value", x->value);
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    text = okno_json_text(b, TRUE);
    printf("%s\n", text);
  } else {
    for (guint i = 0; i < res->indicators->len; i++) {
      const OknoPhishIndicator *x = g_ptr_array_index(res->indicators, i);
      printf("blocked %s %s\n", x->kind, x->value);
    }
  }
  return 0;
}

typedef struct {
  const char *kind;
  const char *value;
  const char *by;
  gboolean block;
  gboolean found;
} Change;

static gboolean change_work(OknoStore *st, gpointer data, GError **error)
{
  Change *c = data;
  if (c->block) {
    c->found = TRUE;
    return okno_store_phish_report(st, c->kind, c->value, c->by, "operator", TRUE, error);
  }
  return okno_store_phish_unblock(st, c->kind, c->value, c->by, &c->found, error);
}

static int cmd_change(const OknoConfig *cfg, int argc, gboolean block, const char *domain,
                      const char *url, const char *by)
{
  const char *kind = domain ? "domain" : "url";
  g_autofree char *value = NULL;
  Change c = {.kind = kind, .by = by, .block = block};
  int code;
  if (argc != 2 || (!domain) == (!url)) {
    fprintf(stderr, "okno: phishing %s takes one of --domain D or --url U\n",
            block ? "block" : "unblock");
    return 1;
  }
  value = okno_blocklist_normalize(kind, domain ? domain : url);
  if (!value) {
    fprintf(stderr, "okno: '%s' is not a %s\n", domain ? domain : url,
            domain ? "domain name (e.g. evil.example)" : "http:// or https:// URL");
    return 1;
  }
  c.value = value;
  if ((code = in_transaction(cfg, change_work, &c)) != 0)
    return code;
  if (!c.found) {
    fprintf(stderr, "okno: %s %s is not on the list\n", kind, value);
    return 1;
  }
  printf("%s %s %s\n", block ? "blocked" : "unblocked", kind, value);
  return 0;
}

static int cmd_list(const OknoConfig *cfg, int argc, gboolean json, gboolean blocked_only)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  if (argc != 2) {
    fprintf(stderr, "okno: phishing list takes no arguments\n");
    return 1;
  }
  st = okno_store_open(cfg->store_url, &err);
  if (!st || !(rows = okno_store_phish_list(st, blocked_only, &err)))
    return okno_cli_fail(err);
  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *text = NULL;
    json_builder_begin_array(b);
    for (guint i = 0; i < rows->len; i++) {
      const OknoPhishEntry *e = rows->pdata[i];
      g_autofree char *created = okno_time_format_msk(e->created_at);
      g_autofree char *updated = okno_time_format_msk(e->updated_at);
      json_builder_begin_object(b);
      okno_json_str(b, "kind", e->kind);
      okno_json_str(b, "value", e->value);
      okno_json_bool(b, "blocked", e->blocked);
      okno_json_int(b, "reports", e->reports);
      okno_json_str(b, "reported_by", e->reported_by);
      okno_json_str(b, "source", e->source);
      okno_json_str(b, "created_at", created);
      okno_json_str(b, "updated_at", updated);
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
    text = okno_json_text(b, TRUE);
    printf("%s\n", text);
    return 0;
  }
  for (guint i = 0; i < rows->len; i++) {
    const OknoPhishEntry *e = rows->pdata[i];
    g_autofree char *updated = okno_time_format_msk(e->updated_at);
    printf("%-8s %-7s %3" G_GINT64_FORMAT " %-26s %s\n", e->blocked ? "blocked" : "reported",
           e->kind, e->reports, updated, e->value);
  }
  return 0;
}

int okno_cmd_phishing(int argc, char **argv)
{
  gboolean json = FALSE, blocked_only = FALSE;
  g_autofree char *domain = NULL, *url = NULL, *by = NULL;
  const GOptionEntry extra[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    {"domain", 0, 0, G_OPTION_ARG_STRING, &domain, "a sender domain (block, unblock)", "D"},
    {"url", 0, 0, G_OPTION_ARG_STRING, &url, "a URL (block, unblock)", "U"},
    {"by", 0, 0, G_OPTION_ARG_STRING, &by, "who reports (default: your login)", "WHO"},
    {"blocked", 0, 0, G_OPTION_ARG_NONE, &blocked_only, "list only blocked entries", NULL},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "report|block|unblock|list [MESSAGE.eml]",
                                             extra, &code);
  const char *who;
  if (!cfg)
    return code;
  who = by && *by ? by : g_get_user_name();
  if (argc >= 2 && strcmp(argv[1], "report") == 0)
    return cmd_report(cfg, argc, argv, json, who);
  if (argc >= 2 && strcmp(argv[1], "block") == 0)
    return cmd_change(cfg, argc, TRUE, domain, url, who);
  if (argc >= 2 && strcmp(argv[1], "unblock") == 0)
    return cmd_change(cfg, argc, FALSE, domain, url, who);
  if (argc >= 2 && strcmp(argv[1], "list") == 0)
    return cmd_list(cfg, argc, json, blocked_only);
  fprintf(stderr, "okno: phishing needs report, block, unblock or list, e.g. okno phishing list "
                  "--config okno.ini\n");
  return 1;
}
