/* config.h: okno's configuration, one INI file read with GKeyFile.
 *
 * Every key is declared once in the table in config.c (group, key, type, default,
 * bounds) the way Postfix's CONFIG_*_TABLE and Redis's static_configs[] do it. Loading
 * rejects unknown groups and keys, values out of bounds and malformed lists with an
 * OKNO_ERROR_USER naming the file, the group and the key. Lists are separated by ';'.
 * Relative paths (path keys, sqlite:, maildir: and unix: values, set or left at their
 * default) are taken relative to the directory of the config file, made absolute.
 *
 * The struct is plain data: read it from any thread once loaded; free it with
 * okno_config_free(). okno_config_new_default() gives the embedded defaults (SQLite
 * under ./var, SMTP on 127.0.0.1:2525, outbound into the maildir ./var/outbox). */
#pragma once
#include <glib.h>

typedef struct OknoConfig {
  char *path;               /* file it came from, NULL for defaults */
  GPtrArray *retired;       /* strings replaced by okno_config_reload, freed with the config */

  /* [store] */
  char *store_url;          /* sqlite:PATH or postgresql://... */

  /* [server] the process (core/privileges.h) */
  char *server_user;        /* started as root, `okno serve` binds then becomes this
                             * user; empty: stays who it was started as */
  char *server_group;       /* empty: the user's primary group */
  gboolean server_allow_root; /* TRUE: may go on running as root (default FALSE) */

  /* [smtp] and [lmtp] */
  char *smtp_listen;        /* host:port, empty to disable */
  char *lmtp_listen;        /* host:port or unix:/path, empty to disable */
  char *lmtp_socket_mode;   /* octal permissions of the unix: socket, e.g. "0660";
                             * empty: what the umask gives */
  char *lmtp_socket_group;  /* group of the unix: socket, e.g. "postfix"; empty: ours */
  gboolean lmtp_xforward;   /* trust XFORWARD (the MTA's client address and HELO) on
                               the LMTP listener: only when nothing but the MTA in front
                               can reach it */
  char **smtp_addresses;    /* the support addresses accepted as recipients */
  char *hostname;           /* greeting and Message-ID domain */
  gint64 max_message_size;  /* bytes, SIZE and 552 5.3.4 */
  gint64 max_line_length;   /* octets incl. CRLF (RFC 5321: 1000 for commands, text) */
  gint64 max_recipients;
  gint64 max_sessions;      /* concurrent; past it 421 4.7.0 */
  gint64 max_sessions_per_ip; /* concurrent from one client address over TCP (a Unix
                               * socket's local MTA is not counted); 0: max_sessions / 10,
                               * at least 1 (the listener resolves it) */
  gint64 command_timeout;   /* seconds for one command line, from the end of the last one
                             * (bytes trickling in do not extend it) */
  gint64 data_timeout;      /* seconds of silence during DATA */
  gint64 shutdown_grace;    /* seconds open transactions get to finish after SIGTERM */
  gint64 data_total_timeout; /* seconds a DATA may last at most, from the 354 */
  char *spool_dir;          /* a message past spool_threshold bytes is received into an
                             * unnamed file here (mail/spool.h) */
  gint64 spool_threshold;
  gint64 data_min_rate;     /* bytes/s: after data_timeout seconds a DATA must have kept
                             * this average rate; 0: no minimum */
  char *tls_cert;           /* PEM, empty: no STARTTLS */
  char *tls_key;

  /* [intake] */
  gint64 parse_time_budget_ms;
  gint64 parse_memory_budget; /* bytes of decoded content per message */
  gint64 max_mime_depth;
  gint64 max_mime_parts;
  gint64 max_inflight_bytes; /* message bytes being parsed or awaiting their commit at once
                              * (intake/pipeline.c's byte budget) */

  /* [outbound] */
  char *outbound_transport; /* maildir:PATH or smtp://HOST:PORT */
  char *outbound_from;      /* support@portal.example */
  char *outbound_from_name; /* display name, Russian */
  gint64 max_auto_per_hour; /* automatic messages to one sender per hour */
  gint64 retry_min_seconds;
  gint64 retry_max_seconds;
  gint64 give_up_after_seconds;

  /* [metrics] (src/web/metrics.h, docs/metrics.md) */
  char *metrics_listen;     /* host:port of /metrics, /healthz, /readyz; empty: off */

  /* [http] (src/web/server.h) */
  char *http_listen;        /* host:port, empty to disable */
  char *public_url;         /* https://... makes session cookies Secure */
  char *web_dir;            /* templates and static/; empty: the data directory's web/
                             * (core/paths.h) */
  gint64 http_workers;      /* threads that run the web's handlers (web/server.h) */
  gint64 max_body;          /* bytes of one request body; past it 413 */
  gint64 http_header_timeout; /* seconds from the connection (or the end of the previous
                               * answer) to a request's complete headers; then closed */
  gint64 http_idle_timeout; /* seconds one read or write on a connection may wait (the
                             * socket's timeout: a silent body, an idle keep-alive) */
  gint64 http_backlog;      /* listen(2) backlog of the web's socket */
  gint64 session_ttl;       /* seconds a session lives after sign-in */
  gint64 requests_per_minute; /* per client IP, every request */
  gint64 forms_per_hour;    /* per client IP, state-changing requests (POST) */
  gint64 status_checks_per_hour; /* per client IP, status checks (number + e-mail) */
  gint64 captcha_bits;      /* proof-of-work difficulty: leading zero bits */
  gint64 captcha_ttl;       /* seconds a captcha challenge stays valid */

  /* [chat] (web/chat.c, docs/chat.md) */
  char *chat_answers;       /* the bot's keyword = answer file (text/answers.h); "" none */
  gint64 chat_per_minute;   /* citizens' chat messages per client IP and minute */

  /* [portal] */
  char **portal_domains;
  char *portal_name;

  /* [calendar] */
  char *calendar_file;      /* production calendar; empty: the shipped one */

  /* [oidc] (src/web/oidc.h) */
  char *oidc_issuer;        /* https://id.portal.example; empty: OIDC sign-in off */
  char *oidc_client_id;
  char *oidc_client_secret;
  char *oidc_redirect_uri;  /* empty: public_url + /cabinet/oidc/callback */
  char *oidc_scopes;        /* space-separated, must include openid */
  char *oidc_snils_claim;   /* the claim carrying SNILS ("" : none) */
  char *oidc_token_auth;    /* client_secret_basic or client_secret_post */

  /* [dkim] outbound signing (mail/dkim.h) */
  char *dkim_selector;      /* empty: outbound mail is not signed */
  char *dkim_domain;        /* d=; empty: the domain of outbound_from */
  char *dkim_key;           /* PEM RSA private key; required when selector is set */

  /* [smime] S/MIME signing of receipts, answers and notices (mail/smime.h) */
  char *smime_cert_file;    /* PEM certificate; empty (with key_file empty): no S/MIME */
  char *smime_key_file;     /* PEM private key of that certificate */
  char *smime_chain_file;   /* PEM intermediate certificates to include; empty: none */

  /* [sla] the SLA policy (appeal/sla.h, docs/sla.md): periods as "N working hours",
   * "N working days", "N calendar days" or "N hours", checked where the policy is
   * built (okno_sla_policy_new; the CLI does it right after loading the file). */
  char *sla_simple, *sla_complex, *sla_urgent, *sla_urgent_confirmed, *sla_complaint,
      *sla_accelerated, *sla_accelerated_confirmed, *sla_formal;
  char **sla_categories;    /* "category:class" pairs of the web form's categories */
  char *sla_default_class;  /* class of an e-mail appeal no word classifies */
  char **sla_urgent_words, **sla_complaint_words, **sla_accelerated_words;
  gint64 sla_reminder_before;      /* working hours before the deadline */
  gint64 sla_escalate_again_after; /* working hours after the deadline */
  /* Who is told: a reminder goes to the assignee's e-mail (a staff account), and to
   * operators when there is no assignee or it has no usable address; supervisors get
   * the first escalation; supervisors_level2 the next. */
  char **sla_operators, **sla_supervisors, **sla_supervisors_level2;
  /* "DEPT:CLASS=PERIOD" items: a department's own period for a class, e.g.
   * "passports:complex=5 working days" (appeal/sla.h okno_sla_override_parse). */
  char **sla_department_overrides;
  /* "DEPT:HH-HH" items: a department's own working hours, e.g. "passports:08-17"
   * (appeal/sla.h okno_sla_hours_parse); working-hour and working-day periods of its
   * appeals count on them. */
  char **sla_department_hours;
  gint64 sla_scheduler_interval;   /* seconds between scheduler passes in okno serve */
  /* [staff] accounts and sign-in (sec/staff.h) */
  gint64 staff_lockout_after;   /* failed sign-ins before the first lock */
  gint64 staff_lockout_seconds; /* the first lock; doubled for each failure after it */
  gint64 staff_backoff_after;   /* failures on an account from all clients before the
                                 * account-wide back-off (sec/staff.h) */
  gint64 staff_backoff_max_seconds; /* its cap */
  gint64 staff_actions_per_hour; /* console actions (state-changing) per staff session */
  char *staff_totp_issuer;      /* otpauth issuer; empty: [portal] name */

  /* [dns] the resolver of sender authentication (mail/dns.h) */
  char *dns_server;         /* host, host:port or [v6]:port; empty: /etc/resolv.conf */
  gint64 dns_timeout_ms;    /* per query */
  gint64 dns_negative_ttl;  /* seconds a timeout or SERVFAIL of a name is remembered (0: never) */
  gint64 dns_max_inflight;  /* queries sent at once by the whole process */
  gint64 dns_max_answer_size;    /* bytes; a larger answer is a temperror */
  gint64 dns_max_answer_records; /* records in the answer section */

  /* [auth] inbound SPF, DKIM, DMARC (mail/auth.h) */
  gint64 auth_verify;       /* 1: check mail received over SMTP/LMTP from an IP; 0: off */
  gint64 auth_time_budget_ms; /* all DNS lookups of one message together */
  char *auth_public_suffix_list; /* for DMARC's organizational domain */

  /* [clamav] malware scanning of attachments (check/clamav.h, docs/malware.md) */
  char *clamav_socket;      /* unix:/path, /path, or host:port of clamd; empty: off */
  char *clamav_policy;      /* "refuse" (554 5.7.1 at SMTP time) or "strip" */
  gint64 clamav_timeout_ms; /* connect + scan of one message's files */

  /* [check] the phishing-check address (docs/phishing.md) */
  char *check_address;      /* e.g. check@portal.example; empty: none */

  /* [journal] the tamper-evident journal (store/journal.h, docs/journal.md) */
  char *journal_key_file;   /* Ed25519 key; empty: journal.key beside the config file */
  gint64 journal_sign_interval; /* seconds: a tree head is signed at most this often */
  gint64 journal_enabled;   /* 1; 0 only for the benchmark's "journal off" arm */
  /* [retention] periods of keeping personal data (appeal/retention.h, docs/retention.md) */
  gint64 retention_support_days;  /* support requests: days after closing (365) */
  gint64 retention_formal_days;   /* formal appeals: days after closing (1825) */
  char **retention_categories;    /* "category:days" (complaint:1825; legal:1095): the
                                   * longer of this and the kind's period applies */
  gint64 retention_deletion_days; /* a citizen's deletion request: days after closing at
                                   * the least (30) */
  gint64 retention_acts_days;     /* destruction acts are kept this long (1095) */
  gint64 retention_interval;      /* seconds between passes of okno serve (86400) */
  char *retention_operator;       /* the operator's name on destruction acts ("":
                                   * [portal] name) */
  char *retention_act_font;       /* a TrueType font with Cyrillic for the acts' PDF */
  /* [stats] the weekly report mail to each department's supervisors (ops/stats.h) */
  char *stats_weekly_day;         /* monday ... sunday; "" (default): not sent */
  /* [formal] the typical thematic classifier's codes an operator may set on a formal
   * appeal, "CODE:name" (CODE like 0002.0007.0074.0534; its section is the part
   * before the first dot); empty: none (ops/stats.h okno_stats_set_theme) */
  char **formal_themes;
  gint64 journal_verify_interval; /* seconds between the scheduler's verifies; 0: never */
  char **journal_witnesses; /* e-mail addresses or maildir:PATH; each new head goes to them */
  /* [crypto] encryption at rest (core/vault.h, store/keys.h, docs/crypto.md) */
  char *crypto_key_file;    /* the key file; empty: okno.key beside the config file */
  /* [classify] the learning router (ops/classify.h, docs/classify.md) */
  double classify_auto_threshold; /* a confidence at or above routes by itself */
  gint64 classify_retrain_interval; /* seconds between trainings of a model with new
                                       examples (the scheduler); 0: only by hand */
  /* [incidents] mass incidents (ops/incidents.h, docs/incidents.md) */
  gboolean incidents_enabled;      /* the scheduler's detection pass runs */
  gint64 incidents_window_minutes; /* the window a burst is counted in */
  gint64 incidents_min_count;      /* at least this many similar appeals in the window */
  double incidents_factor;         /* and this many times the usual count for the cluster */
  gint64 incidents_baseline_days;  /* the usual count: such appeals in the days before */
  double incidents_similarity;     /* cosine to the group's centroid to belong (text/cluster.h) */
  gint64 incidents_interval;       /* seconds between detection passes (any node's) */
  /* [rspamd] spam filtering (check/rspamd.h, docs/spam.md) */
  char *rspamd_url;         /* http://host:port of rspamd's normal worker; empty: off */
  gint64 rspamd_timeout_ms; /* one scan (or one learning call) */
  double rspamd_reject_score; /* at or above: 550 5.7.1, nothing stored; <= 0: never */
  double rspamd_spam_score;   /* at or above: the spam hold; <= 0: only rspamd's action */
  char *rspamd_on_failure;  /* rspamd unreachable: "tempfail" (451 4.3.0) or "accept" */
  char *rspamd_controller_url; /* http://host:port of the controller (learning); empty: none */
  char *rspamd_password;    /* the controller's password */
  /* [imap] an existing mailbox okno takes mail from (intake/imap_poll.h, README
   * «Почтовый ящик по IMAP»); host empty: off */
  char *imap_host;
  gint64 imap_port;
  char *imap_tls;           /* none, starttls or tls */
  char *imap_user;
  char *imap_password;      /* or password_file: the first line of that file */
  char *imap_password_file;
  char *imap_folder;        /* INBOX */
  char *imap_done_folder;   /* registered messages are moved here */
  char *imap_quarantine_folder; /* messages that cannot be registered */
  gint64 imap_poll_interval; /* seconds: the IDLE's (or the poll's) longest wait */
  /* [telegram] the bot (web/telegram_routes.c, ops/messenger.h, docs/channels.md) */
  char *telegram_token;          /* the bot's token; empty: no bot, no webhook */
  char *telegram_api_url;        /* the Bot API, https://api.telegram.org */
  char *telegram_webhook_path;   /* where Telegram posts updates, /telegram/webhook */
  char *telegram_webhook_secret; /* X-Telegram-Bot-Api-Secret-Token; empty: every 403 */
  /* [sms] Kannel's sendsms HTTP interface (ops/messenger.h, text/sms.h) */
  char *sms_url;            /* http://host:13013/cgi-bin/sendsms; empty: no SMS */
  char *sms_user;
  char *sms_password;
  char *sms_from;           /* the sender name or number; empty: Kannel's default */
  gint64 sms_max_parts;     /* a longer text is cut to fit this many parts */
} OknoConfig;

OknoConfig *okno_config_new_default(void);
/* Loads `path` over the defaults. NULL and OKNO_ERROR_USER on any problem. */
OknoConfig *okno_config_load(const char *path, GError **error);
void okno_config_free(OknoConfig *cfg);
/* SIGHUP: reads live->path again. On an error (the file no longer loads) NULL and
 * nothing changes. Otherwise the keys that may change while running (outbound.from,
 * outbound.from_name, http.public_url, portal.name, smtp.max_recipients,
 * smtp.command_timeout, smtp.data_timeout, smtp.shutdown_grace, smtp.tls_cert,
 * smtp.tls_key) take their new values in `live` and are returned as "group.key"
 * names; other keys whose value changed are kept as they were and listed in
 * *needs_restart. Both arrays are the caller's. A replaced string stays valid until
 * the config is freed (another thread may be reading it); integers are replaced in
 * place. Call it from one thread at a time. */
GPtrArray *okno_config_reload(OknoConfig *live, GPtrArray **needs_restart, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoConfig, okno_config_free)

/* TRUE when `addr` (an e-mail address, any case) is one of smtp_addresses. */
gboolean okno_config_is_support_address(const OknoConfig *cfg, const char *addr);
/* TRUE when `addr` (any case) is the [check] address (never when it is empty). */
gboolean okno_config_is_check_address(const OknoConfig *cfg, const char *addr);
/* The database file of a sqlite: store URL ("var/okno.db" by default), NULL for other
 * stores. Caller frees. */
char *okno_config_sqlite_path(const OknoConfig *cfg);
/* [lmtp] socket_mode parsed (octal, at most 0777) into *mode (may be NULL); FALSE when
 * it is empty or malformed (loading already refused a malformed one). */
gboolean okno_config_socket_mode(const OknoConfig *cfg, guint *mode);
/* The journal's key file: [journal] key_file, else journal.key in the config file's
 * directory (the working directory for the embedded defaults). Caller frees. */
char *okno_config_journal_key_file(const OknoConfig *cfg);
/* The key file of encryption at rest: [crypto] key_file, else okno.key beside the
 * config file (the working directory for the embedded defaults). Caller frees. */
char *okno_config_crypto_key_file(const OknoConfig *cfg);
