/* config.c: the table of configuration keys and the INI loader (see config.h). */
#include "core/config.h"

#include "core/error.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef enum { K_STR, K_INT, K_LIST, K_BOOL, K_NUM } KeyType;

typedef struct {
  const char *group;
  const char *key;
  KeyType type;
  size_t offset;
  const char *def;     /* K_STR, K_LIST (';'-separated) */
  gint64 idef, min, max; /* K_INT */
  gboolean is_path;    /* resolve relative to the config file's directory */
} KeyDef;

#define S(g, k, f, d) {g, k, K_STR, offsetof(OknoConfig, f), d, 0, 0, 0, FALSE}
#define P(g, k, f, d) {g, k, K_STR, offsetof(OknoConfig, f), d, 0, 0, 0, TRUE}
#define L(g, k, f, d) {g, k, K_LIST, offsetof(OknoConfig, f), d, 0, 0, 0, FALSE}
#define I(g, k, f, d, lo, hi) {g, k, K_INT, offsetof(OknoConfig, f), NULL, d, lo, hi, FALSE}
#define B(g, k, f, d) {g, k, K_BOOL, offsetof(OknoConfig, f), NULL, d, 0, 1, FALSE}
/* A decimal number (a double), default `d` as text, from lo to hi. */
#define N(g, k, f, d, lo, hi) {g, k, K_NUM, offsetof(OknoConfig, f), d, 0, lo, hi, FALSE}

static const KeyDef keys[] = {
  S("store", "url", store_url, "sqlite:var/okno.db"),

  S("server", "user", server_user, ""),
  S("server", "group", server_group, ""),
  B("server", "allow_root", server_allow_root, FALSE),

  S("smtp", "listen", smtp_listen, "127.0.0.1:2525"),
  L("smtp", "addresses", smtp_addresses, "support@portal.example"),
  S("smtp", "hostname", hostname, "okno.portal.example"),
  I("smtp", "max_message_size", max_message_size, 35 * 1024 * 1024, 1024, G_GINT64_CONSTANT(1) << 32),
  I("smtp", "max_line_length", max_line_length, 1000, 512, 65536),
  I("smtp", "max_recipients", max_recipients, 100, 1, 10000),
  I("smtp", "max_sessions", max_sessions, 1000, 1, 100000),
  I("smtp", "command_timeout", command_timeout, 300, 1, 3600),
  I("smtp", "data_timeout", data_timeout, 180, 1, 3600),
  I("smtp", "max_sessions_per_ip", max_sessions_per_ip, 0, 0, 100000), /* 0: max_sessions / 10 */
  I("smtp", "data_total_timeout", data_total_timeout, 900, 1, 86400),
  I("smtp", "data_min_rate", data_min_rate, 1024, 0, G_GINT64_CONSTANT(1) << 30),
  I("smtp", "shutdown_grace", shutdown_grace, 10, 0, 3600),
  P("smtp", "spool_dir", spool_dir, "var/spool"),
  I("smtp", "spool_threshold", spool_threshold, 64 * 1024, 0, G_GINT64_CONSTANT(1) << 32),
  P("smtp", "tls_cert", tls_cert, ""),
  P("smtp", "tls_key", tls_key, ""),

  S("lmtp", "listen", lmtp_listen, ""),
  S("lmtp", "socket_mode", lmtp_socket_mode, ""),
  B("lmtp", "xforward", lmtp_xforward, FALSE),
  S("lmtp", "socket_group", lmtp_socket_group, ""),

  I("intake", "parse_time_budget_ms", parse_time_budget_ms, 5000, 10, 600000),
  I("intake", "parse_memory_budget", parse_memory_budget, 256 * 1024 * 1024, 1024 * 1024, G_GINT64_CONSTANT(1) << 34),
  I("intake", "max_mime_depth", max_mime_depth, 20, 2, 200),
  I("intake", "max_mime_parts", max_mime_parts, 500, 2, 100000),
  I("intake", "max_inflight_bytes", max_inflight_bytes, 64 * 1024 * 1024, 1024 * 1024, G_GINT64_CONSTANT(1) << 40),

  S("outbound", "transport", outbound_transport, "maildir:var/outbox"),
  S("outbound", "from", outbound_from, "support@portal.example"),
  S("outbound", "from_name", outbound_from_name, "Служба поддержки портала"),
  I("outbound", "max_auto_per_hour", max_auto_per_hour, 5, 0, 10000),
  I("outbound", "retry_min_seconds", retry_min_seconds, 60, 1, 86400),
  I("outbound", "retry_max_seconds", retry_max_seconds, 3600, 1, 86400 * 7),
  I("outbound", "give_up_after_seconds", give_up_after_seconds, 5 * 86400, 60, 86400 * 30),

  S("metrics", "listen", metrics_listen, ""),

  P("chat", "answers", chat_answers, ""),
  I("chat", "messages_per_minute", chat_per_minute, 30, 1, 100000),

  S("http", "listen", http_listen, "127.0.0.1:8080"),
  S("http", "public_url", public_url, ""), /* empty: receipts link to no web page */
  P("http", "web_dir", web_dir, ""),
  I("http", "workers", http_workers, 4, 1, 64),
  I("http", "max_body", max_body, 11 * 1024 * 1024, 4096, G_GINT64_CONSTANT(1) << 30),
  I("http", "header_timeout", http_header_timeout, 10, 1, 3600),
  I("http", "idle_timeout", http_idle_timeout, 60, 1, 3600),
  I("http", "backlog", http_backlog, 512, 16, 65535),
  I("http", "session_ttl", session_ttl, 8 * 3600, 60, 30 * 86400),
  I("http", "requests_per_minute", requests_per_minute, 600, 1, 1000000000),
  I("http", "forms_per_hour", forms_per_hour, 60, 1, 1000000000),
  I("http", "status_checks_per_hour", status_checks_per_hour, 20, 1, 1000000000),
  I("http", "captcha_bits", captcha_bits, 16, 0, 32),
  I("http", "captcha_ttl", captcha_ttl, 1800, 10, 86400),

  L("portal", "domains", portal_domains, "portal.example"),
  S("portal", "name", portal_name, "Портал государственных услуг"),

  P("calendar", "file", calendar_file, ""),

  /* [oidc] cabinet sign-in with the portal's identity provider (src/web/oidc.h) */
  S("oidc", "issuer", oidc_issuer, ""), /* empty: no such sign-in, the button is hidden */
  S("oidc", "client_id", oidc_client_id, ""),
  S("oidc", "client_secret", oidc_client_secret, ""),
  S("oidc", "redirect_uri", oidc_redirect_uri, ""), /* empty: public_url + /cabinet/oidc/callback */
  S("oidc", "scopes", oidc_scopes, "openid email profile"),
  S("oidc", "snils_claim", oidc_snils_claim, "snils"),
  S("oidc", "token_auth", oidc_token_auth, "client_secret_basic"),

  S("dkim", "selector", dkim_selector, ""),
  S("dkim", "domain", dkim_domain, ""),
  P("dkim", "key", dkim_key, ""),
  P("smime", "cert_file", smime_cert_file, ""),
  P("smime", "key_file", smime_key_file, ""),
  P("smime", "chain_file", smime_chain_file, ""),
  P("journal", "key_file", journal_key_file, ""),
  P("crypto", "key_file", crypto_key_file, ""),
  I("journal", "sign_interval", journal_sign_interval, 60, 1, 86400),
  I("journal", "enabled", journal_enabled, 1, 0, 1),
  I("journal", "verify_interval", journal_verify_interval, 86400, 0, 31 * 86400),
  L("journal", "witnesses", journal_witnesses, ""),

  I("retention", "support_days", retention_support_days, 365, 1, 36500),
  I("retention", "formal_days", retention_formal_days, 1825, 1, 36500),
  L("retention", "categories", retention_categories, "complaint:1825; legal:1095"),
  I("retention", "deletion_days", retention_deletion_days, 30, 0, 36500),
  I("retention", "acts_days", retention_acts_days, 1095, 1, 36500),
  I("retention", "interval", retention_interval, 86400, 60, 30 * 86400),
  S("retention", "operator", retention_operator, ""),
  S("stats", "weekly_day", stats_weekly_day, ""),
  L("formal", "themes", formal_themes, ""),
  P("retention", "act_font", retention_act_font, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),

  S("sla", "simple", sla_simple, "24 working hours"),
  S("sla", "complex", sla_complex, "3 working days"),
  S("sla", "urgent", sla_urgent, "12 hours"),
  S("sla", "urgent_confirmed", sla_urgent_confirmed, "4 hours"),
  S("sla", "complaint", sla_complaint, "5 working days"),
  S("sla", "accelerated", sla_accelerated, "1 working day"),
  S("sla", "accelerated_confirmed", sla_accelerated_confirmed, "24 hours"),
  S("sla", "formal", sla_formal, "30 calendar days"),
  L("sla", "categories", sla_categories,
    "technical:simple; registration:simple; documents:complex; payments:complex; "
    "complaint:complaint; suggestion:complaint; other:simple"),
  S("sla", "default_class", sla_default_class, "complex"),
  L("sla", "urgent_words", sla_urgent_words,
    "срочно; заблокирован; сбой"),
  L("sla", "complaint_words", sla_complaint_words, "жалоба; жалуюсь; предложение"),
  L("sla", "accelerated_words", sla_accelerated_words, "ускоренное рассмотрение"),
  I("sla", "reminder_before", sla_reminder_before, 24, 1, 10000),
  I("sla", "escalate_again_after", sla_escalate_again_after, 8, 1, 10000),
  L("sla", "operators", sla_operators, ""),
  L("sla", "supervisors", sla_supervisors, ""),
  L("sla", "supervisors_level2", sla_supervisors_level2, ""),
  L("sla", "department_overrides", sla_department_overrides, ""),
  L("sla", "department_hours", sla_department_hours, ""),
  I("sla", "scheduler_interval", sla_scheduler_interval, 60, 1, 3600),
  I("staff", "lockout_after", staff_lockout_after, 5, 1, 100),
  I("staff", "lockout_seconds", staff_lockout_seconds, 60, 1, 86400),
  I("staff", "backoff_after", staff_backoff_after, 20, 1, 100000),
  I("staff", "backoff_max_seconds", staff_backoff_max_seconds, 60, 1, 3600),
  I("staff", "actions_per_hour", staff_actions_per_hour, 2000, 1, 1000000000),
  S("staff", "totp_issuer", staff_totp_issuer, ""),

  S("dns", "server", dns_server, ""),
  I("dns", "timeout_ms", dns_timeout_ms, 3000, 10, 60000),
  I("dns", "max_answer_size", dns_max_answer_size, 16384, 512, 65535),
  I("dns", "max_answer_records", dns_max_answer_records, 50, 1, 1000),
  I("dns", "negative_ttl", dns_negative_ttl, 60, 0, 3600),
  I("dns", "max_inflight", dns_max_inflight, 32, 1, 10000),

  I("auth", "verify", auth_verify, 1, 0, 1),
  I("auth", "time_budget_ms", auth_time_budget_ms, 15000, 100, 600000),
  P("auth", "public_suffix_list", auth_public_suffix_list, "/usr/share/publicsuffix/public_suffix_list.dat"),

  S("clamav", "socket", clamav_socket, ""),
  S("clamav", "policy", clamav_policy, "refuse"),
  I("clamav", "timeout_ms", clamav_timeout_ms, 30000, 100, 600000),

  S("check", "address", check_address, ""),

  N("classify", "auto_threshold", classify_auto_threshold, "0.8", 0, 1),
  I("classify", "retrain_interval", classify_retrain_interval, 86400, 0, 31536000),
  B("incidents", "enabled", incidents_enabled, TRUE),
  I("incidents", "window_minutes", incidents_window_minutes, 30, 1, 1440),
  I("incidents", "min_count", incidents_min_count, 20, 2, 1000000),
  N("incidents", "factor", incidents_factor, "5", 1, 10000),
  I("incidents", "baseline_days", incidents_baseline_days, 7, 1, 90),
  N("incidents", "similarity", incidents_similarity, "0.35", 0, 1),
  I("incidents", "interval", incidents_interval, 60, 1, 3600),
  S("rspamd", "url", rspamd_url, ""),
  I("rspamd", "timeout_ms", rspamd_timeout_ms, 10000, 100, 600000),
  N("rspamd", "reject_score", rspamd_reject_score, "15", -1000, 1000),
  N("rspamd", "spam_score", rspamd_spam_score, "6", -1000, 1000),
  S("rspamd", "on_failure", rspamd_on_failure, "tempfail"),
  S("rspamd", "controller_url", rspamd_controller_url, ""),
  S("rspamd", "password", rspamd_password, ""),

  S("imap", "host", imap_host, ""),
  I("imap", "port", imap_port, 143, 1, 65535),
  S("imap", "tls", imap_tls, "starttls"),
  S("imap", "user", imap_user, ""),
  S("imap", "password", imap_password, ""),
  P("imap", "password_file", imap_password_file, ""),
  S("imap", "folder", imap_folder, "INBOX"),
  S("imap", "done_folder", imap_done_folder, "okno-done"),
  S("imap", "quarantine_folder", imap_quarantine_folder, "okno-quarantine"),
  I("imap", "poll_interval", imap_poll_interval, 60, 1, 3600),
  /* [telegram] the bot (web/telegram_routes.c, ops/messenger.h, docs/channels.md) */
  S("telegram", "token", telegram_token, ""), /* empty: no bot */
  S("telegram", "api_url", telegram_api_url, "https://api.telegram.org"),
  S("telegram", "webhook_path", telegram_webhook_path, "/telegram/webhook"),
  S("telegram", "webhook_secret", telegram_webhook_secret, ""),
  /* [sms] Kannel's sendsms interface (ops/messenger.h, text/sms.h) */
  S("sms", "url", sms_url, ""), /* empty: no SMS */
  S("sms", "user", sms_user, ""),
  S("sms", "password", sms_password, ""),
  S("sms", "from", sms_from, ""),
  I("sms", "max_parts", sms_max_parts, 3, 1, 10),
};

#define FIELD(cfg, kd) ((char *)(cfg) + (kd)->offset)

static char **split_list(const char *v)
{
  g_auto(GStrv) parts = g_strsplit(v ? v : "", ";", -1);
  GPtrArray *out = g_ptr_array_new();
  for (char **p = parts; *p; p++) {
    char *t = g_strstrip(g_strdup(*p));
    if (*t)
      g_ptr_array_add(out, t);
    else
      g_free(t);
  }
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(out, FALSE);
}

static void set_defaults(OknoConfig *cfg)
{
  for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
    const KeyDef *k = &keys[i];
    switch (k->type) {
    case K_STR: *(char **)FIELD(cfg, k) = g_strdup(k->def); break;
    case K_LIST: *(char ***)FIELD(cfg, k) = split_list(k->def); break;
    case K_INT: *(gint64 *)FIELD(cfg, k) = k->idef; break;
    case K_BOOL: *(gboolean *)FIELD(cfg, k) = (gboolean)k->idef; break;
    case K_NUM: *(double *)FIELD(cfg, k) = g_ascii_strtod(k->def, NULL); break;
    }
  }
}

OknoConfig *okno_config_new_default(void)
{
  OknoConfig *cfg = g_new0(OknoConfig, 1);
  set_defaults(cfg);
  return cfg;
}

static const KeyDef *find_key(const char *group, const char *key)
{
  for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
    if (!strcmp(keys[i].group, group) && !strcmp(keys[i].key, key))
      return &keys[i];
  return NULL;
}

static gboolean group_known(const char *group)
{
  for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
    if (!strcmp(keys[i].group, group))
      return TRUE;
  return FALSE;
}

/* Parses a decimal integer with an optional K/M/G suffix; no atoi. */
static gboolean parse_int(const char *v, gint64 *out)
{
  char *end = NULL;
  gint64 n, mul = 1;
  if (!v || !*v)
    return FALSE;
  n = g_ascii_strtoll(v, &end, 10);
  if (end == v)
    return FALSE;
  if (*end == 'K' || *end == 'k') mul = 1024, end++;
  else if (*end == 'M' || *end == 'm') mul = 1024 * 1024, end++;
  else if (*end == 'G' || *end == 'g') mul = 1024 * 1024 * 1024, end++;
  while (*end == ' ')
    end++;
  if (*end)
    return FALSE;
  if (n > G_MAXINT64 / mul || n < G_MININT64 / mul)
    return FALSE;
  *out = n * mul;
  return TRUE;
}

static char *resolve_path(const char *base_dir, const char *v)
{
  if (!*v || g_path_is_absolute(v) || !base_dir)
    return g_strdup(v);
  return g_build_filename(base_dir, v, NULL);
}

/* PREFIX + a relative path in *value becomes PREFIX + base_dir/path. */
static void resolve_prefixed(const char *base_dir, char **value, const char *prefix)
{
  gsize n = strlen(prefix);
  char *p;
  if (!g_str_has_prefix(*value, prefix) || !(*value)[n] || g_path_is_absolute(*value + n))
    return;
  p = resolve_path(base_dir, *value + n);
  g_free(*value);
  *value = g_strconcat(prefix, p, NULL);
  g_free(p);
}

OknoConfig *okno_config_load(const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) e = NULL;
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  g_auto(GStrv) groups = NULL;
  g_autofree char *rel_dir = g_path_get_dirname(path);
  g_autofree char *dir = g_canonicalize_filename(rel_dir, NULL); /* absolute */

  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: %s", path, e->message);
    return NULL;
  }
  cfg->path = g_strdup(path);
  groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++) {
    g_auto(GStrv) ks = NULL;
    if (!group_known(*g)) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: unknown section [%s]", path, *g);
      return NULL;
    }
    ks = g_key_file_get_keys(kf, *g, NULL, NULL);
    for (char **k = ks; k && *k; k++) {
      const KeyDef *kd = find_key(*g, *k);
      g_autofree char *v = NULL;
      if (!kd) {
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: unknown key '%s' in [%s]", path, *k, *g);
        return NULL;
      }
      v = g_key_file_get_string(kf, *g, *k, NULL);
      if (!v)
        v = g_strdup("");
      g_strstrip(v);
      switch (kd->type) {
      case K_STR: {
        char **f = (char **)FIELD(cfg, kd);
        g_free(*f);
        *f = g_strdup(v);
        break;
      }
      case K_LIST: {
        char ***f = (char ***)FIELD(cfg, kd);
        g_strfreev(*f);
        *f = split_list(v);
        break;
      }
      case K_INT: {
        gint64 n;
        if (!parse_int(v, &n)) {
          g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [%s] %s = '%s' is not a number", path, *g, *k, v);
          return NULL;
        }
        if (n < kd->min || n > kd->max) {
          g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                      "%s: [%s] %s = %" G_GINT64_FORMAT " is out of range %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT,
                      path, *g, *k, n, kd->min, kd->max);
          return NULL;
        }
        *(gint64 *)FIELD(cfg, kd) = n;
        break;
      }
      case K_BOOL:
        if (!g_ascii_strcasecmp(v, "true") || !g_ascii_strcasecmp(v, "yes") || !strcmp(v, "1"))
          *(gboolean *)FIELD(cfg, kd) = TRUE;
        else if (!g_ascii_strcasecmp(v, "false") || !g_ascii_strcasecmp(v, "no") || !strcmp(v, "0"))
          *(gboolean *)FIELD(cfg, kd) = FALSE;
        else {
          g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [%s] %s = '%s' must be true or false",
                      path, *g, *k, v);
          return NULL;
        }
        break;
      case K_NUM: {
        char *end = NULL;
        double d = g_ascii_strtod(v, &end);
        if (!*v || *end || !isfinite(d) || d < (double)kd->min || d > (double)kd->max) {
          g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                      "%s: [%s] %s = '%s' is not a number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                      path, *g, *k, v, kd->min, kd->max);
          return NULL;
        }
        *(double *)FIELD(cfg, kd) = d;
        break;
      }
      }
    }
  }
  /* Every relative path, set in the file or left at its default, is relative to the
   * config file's directory: the path keys, sqlite:, maildir: and unix: values. */
  for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
    if (keys[i].is_path) {
      char **f = (char **)FIELD(cfg, &keys[i]);
      char *p = resolve_path(dir, *f);
      g_free(*f);
      *f = p;
    }
  resolve_prefixed(dir, &cfg->store_url, "sqlite:");
  resolve_prefixed(dir, &cfg->outbound_transport, "maildir:");
  resolve_prefixed(dir, &cfg->smtp_listen, "unix:");
  resolve_prefixed(dir, &cfg->lmtp_listen, "unix:");
  resolve_prefixed(dir, &cfg->clamav_socket, "unix:");
  if (!g_str_has_prefix(cfg->store_url, "sqlite:") && !g_str_has_prefix(cfg->store_url, "postgresql://") &&
      !g_str_has_prefix(cfg->store_url, "postgres://")) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: [store] url must start with sqlite: or postgresql://", path);
    return NULL;
  }
  if (!g_str_has_prefix(cfg->outbound_transport, "maildir:") &&
      !g_str_has_prefix(cfg->outbound_transport, "smtp://")) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: [outbound] transport must be maildir:PATH or smtp://HOST:PORT", path);
    return NULL;
  }
  if (cfg->telegram_webhook_path[0] != '/' || strchr(cfg->telegram_webhook_path, '?')) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: [telegram] webhook_path must be a path starting with /", path);
    return NULL;
  }
  if (*cfg->telegram_token && strlen(cfg->telegram_webhook_secret) < 16) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: [telegram] webhook_secret must be set (16 characters or more) with a token",
                path);
    return NULL;
  }
  if (*cfg->dkim_selector && !*cfg->dkim_key) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [dkim] selector is set but key is empty", path);
    return NULL;
  }
  if (!*cfg->smime_cert_file != !*cfg->smime_key_file) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: [smime] cert_file and key_file go together (both set, or both empty)", path);
    return NULL;
  }
  if (strcmp(cfg->clamav_policy, "refuse") != 0 && strcmp(cfg->clamav_policy, "strip") != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [clamav] policy must be refuse or strip", path);
    return NULL;
  }
  if (strcmp(cfg->rspamd_on_failure, "tempfail") != 0 && strcmp(cfg->rspamd_on_failure, "accept") != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [rspamd] on_failure must be tempfail or accept", path);
    return NULL;
  }
  if (strcmp(cfg->imap_tls, "none") != 0 && strcmp(cfg->imap_tls, "starttls") != 0 &&
      strcmp(cfg->imap_tls, "tls") != 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [imap] tls must be none, starttls or tls", path);
    return NULL;
  }
  if (*cfg->imap_host && (!*cfg->imap_user || (!*cfg->imap_password && !*cfg->imap_password_file))) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: [imap] host is set: user and password (or password_file) are needed", path);
    return NULL;
  }
  if (*cfg->check_address && !strchr(cfg->check_address, '@')) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [check] address must be an e-mail address", path);
    return NULL;
  }
  if (*cfg->lmtp_socket_mode && !okno_config_socket_mode(cfg, NULL)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: [lmtp] socket_mode = '%s' must be an octal mode such as 0660", path,
                cfg->lmtp_socket_mode);
    return NULL;
  }
  if ((*cfg->lmtp_socket_mode || *cfg->lmtp_socket_group) && !g_str_has_prefix(cfg->lmtp_listen, "unix:")) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "%s: [lmtp] socket_mode and socket_group need listen = unix:PATH", path);
    return NULL;
  }
  if (!cfg->smtp_addresses[0]) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "%s: [smtp] addresses is empty", path);
    return NULL;
  }
  return g_steal_pointer(&cfg);
}

/* The keys `okno serve` applies on SIGHUP: each is read from the config at every use
 * (the TLS pair is reloaded by the listener). Every other key is read once at start. */
static const char *const reloadable[] = {
  "outbound.from", "outbound.from_name", "http.public_url", "portal.name",
  "smtp.max_recipients", "smtp.command_timeout", "smtp.data_timeout",
  "smtp.shutdown_grace", "smtp.tls_cert", "smtp.tls_key", NULL,
};

static gboolean values_equal(const KeyDef *k, const OknoConfig *a, const OknoConfig *b)
{
  switch (k->type) {
  case K_STR:
    return g_strcmp0(*(char **)FIELD(a, k), *(char **)FIELD(b, k)) == 0;
  case K_LIST: {
    char **x = *(char ***)FIELD(a, k), **y = *(char ***)FIELD(b, k);
    return (!x && !y) || (x && y && g_strv_equal((const char *const *)x, (const char *const *)y));
  }
  case K_INT:
    return *(gint64 *)FIELD(a, k) == *(gint64 *)FIELD(b, k);
  case K_BOOL:
    return *(gboolean *)FIELD(a, k) == *(gboolean *)FIELD(b, k);
  case K_NUM:
    return *(double *)FIELD(a, k) == *(double *)FIELD(b, k);
  }
  return TRUE;
}

GPtrArray *okno_config_reload(OknoConfig *live, GPtrArray **needs_restart, GError **error)
{
  g_autoptr(OknoConfig) fresh = NULL;
  GPtrArray *changed, *kept;
  if (!live->path) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "the configuration was not read from a file");
    return NULL;
  }
  fresh = okno_config_load(live->path, error);
  if (!fresh)
    return NULL;
  changed = g_ptr_array_new_with_free_func(g_free);
  kept = g_ptr_array_new_with_free_func(g_free);
  if (!live->retired)
    live->retired = g_ptr_array_new_with_free_func(g_free);
  for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
    const KeyDef *k = &keys[i];
    g_autofree char *name = g_strconcat(k->group, ".", k->key, NULL);
    if (values_equal(k, live, fresh))
      continue;
    if (!g_strv_contains(reloadable, name)) {
      g_ptr_array_add(kept, g_steal_pointer(&name));
      continue;
    }
    switch (k->type) {
    case K_STR: /* the old string may be in use on another thread: kept until the end */
      g_ptr_array_add(live->retired, *(char **)FIELD(live, k));
      *(char **)FIELD(live, k) = g_strdup(*(char **)FIELD(fresh, k));
      break;
    case K_INT:
      *(gint64 *)FIELD(live, k) = *(gint64 *)FIELD(fresh, k);
      break;
    case K_BOOL:
      *(gboolean *)FIELD(live, k) = *(gboolean *)FIELD(fresh, k);
      break;
    case K_NUM:
      *(double *)FIELD(live, k) = *(double *)FIELD(fresh, k);
      break;
    case K_LIST: /* no list is reloadable */
      break;
    }
    g_ptr_array_add(changed, g_steal_pointer(&name));
  }
  *needs_restart = kept;
  return changed;
}

void okno_config_free(OknoConfig *cfg)
{
  if (!cfg)
    return;
  if (cfg->retired)
    g_ptr_array_unref(cfg->retired);
  for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
    const KeyDef *k = &keys[i];
    if (k->type == K_STR)
      g_free(*(char **)FIELD(cfg, k));
    else if (k->type == K_LIST)
      g_strfreev(*(char ***)FIELD(cfg, k));
  }
  g_free(cfg->path);
  g_free(cfg);
}

gboolean okno_config_is_support_address(const OknoConfig *cfg, const char *addr)
{
  for (char **a = cfg->smtp_addresses; a && *a; a++)
    if (addr && g_ascii_strcasecmp(*a, addr) == 0)
      return TRUE;
  return FALSE;
}

gboolean okno_config_is_check_address(const OknoConfig *cfg, const char *addr)
{
  return *cfg->check_address && addr && g_ascii_strcasecmp(cfg->check_address, addr) == 0;
}

char *okno_config_sqlite_path(const OknoConfig *cfg)
{
  if (!g_str_has_prefix(cfg->store_url, "sqlite:"))
    return NULL;
  return g_strdup(cfg->store_url + 7);
}

gboolean okno_config_socket_mode(const OknoConfig *cfg, guint *mode)
{
  const char *v = cfg->lmtp_socket_mode;
  guint64 n = 0;
  if (!*v || strlen(v) > 4 || strspn(v, "01234567") != strlen(v) ||
      !g_ascii_string_to_unsigned(v, 8, 0, 0777, &n, NULL))
    return FALSE;
  if (mode)
    *mode = (guint)n;
  return TRUE;
}

/* The file `configured`, else `name` in the config file's directory. */
static char *beside_config(const OknoConfig *cfg, const char *configured, const char *name)
{
  g_autofree char *dir = NULL;
  if (configured && *configured)
    return g_strdup(configured);
  dir = cfg->path ? g_path_get_dirname(cfg->path) : g_strdup(".");
  return g_build_filename(dir, name, NULL);
}

char *okno_config_crypto_key_file(const OknoConfig *cfg)
{
  return beside_config(cfg, cfg->crypto_key_file, "okno.key");
}

char *okno_config_journal_key_file(const OknoConfig *cfg)
{
  return beside_config(cfg, cfg->journal_key_file, "journal.key");
}
