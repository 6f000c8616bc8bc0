/* config.h: okno's configuration, one INI file read with GKeyFile.
 *
 * Every key is declared once in the table in config.c (group, key, type, default,
 * bounds) the way Postfix's CONFIG_*_TABLE and Redis's static_configs[] do it. Loading
 * rejects unknown groups and keys, values out of bounds and malformed lists with an
 * OKNO_ERROR_USER naming the file, the group and the key. Lists are separated by ';'.
 * Relative paths in values are taken relative to the directory of the config file.
 *
 * The struct is plain data: read it from any thread once loaded; free it with
 * okno_config_free(). okno_config_new_default() gives the embedded defaults (SQLite
 * under ./var, SMTP on 127.0.0.1:2525, outbound into the maildir ./var/outbox). */
#pragma once
#include <glib.h>

typedef struct OknoConfig {
  char *path;               /* file it came from, NULL for defaults */

  /* [store] */
  char *store_url;          /* sqlite:PATH or postgresql://... */

  /* [smtp] and [lmtp] */
  char *smtp_listen;        /* host:port, empty to disable */
  char *lmtp_listen;        /* host:port or unix:/path, empty to disable */
  char **smtp_addresses;    /* the support addresses accepted as recipients */
  char *hostname;           /* greeting and Message-ID domain */
  gint64 max_message_size;  /* bytes, SIZE and 552 5.3.4 */
  gint64 max_line_length;   /* octets incl. CRLF (RFC 5321: 1000 for commands, text) */
  gint64 max_recipients;
  gint64 max_sessions;      /* concurrent; past it 421 4.7.0 */
  gint64 command_timeout;   /* seconds */
  gint64 data_timeout;      /* seconds of silence during DATA */
  char *tls_cert;           /* PEM, empty: no STARTTLS */
  char *tls_key;

  /* [intake] */
  gint64 parse_time_budget_ms;
  gint64 parse_memory_budget; /* bytes of decoded content per message */
  gint64 max_mime_depth;
  gint64 max_mime_parts;

  /* [outbound] */
  char *outbound_transport; /* maildir:PATH or smtp://HOST:PORT */
  char *outbound_from;      /* support@portal.example */
  char *outbound_from_name; /* display name, Russian */
  gint64 max_auto_per_hour; /* automatic messages to one sender per hour */
  gint64 retry_min_seconds;
  gint64 retry_max_seconds;
  gint64 give_up_after_seconds;

  /* [http] (src/web/server.h) */
  char *http_listen;        /* host:port, empty to disable */
  char *public_url;         /* https://... makes session cookies Secure */
  char *web_dir;            /* templates and static/; empty: the source tree's web/ */
  gint64 max_body;          /* bytes of one request body; past it 413 */
  gint64 session_ttl;       /* seconds a session lives after sign-in */
  gint64 requests_per_minute; /* per client IP, every request */
  gint64 forms_per_hour;    /* per client IP, state-changing requests (POST) */
  gint64 captcha_bits;      /* proof-of-work difficulty: leading zero bits */
  gint64 captcha_ttl;       /* seconds a captcha challenge stays valid */

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
} OknoConfig;

OknoConfig *okno_config_new_default(void);
/* Loads `path` over the defaults. NULL and OKNO_ERROR_USER on any problem. */
OknoConfig *okno_config_load(const char *path, GError **error);
void okno_config_free(OknoConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoConfig, okno_config_free)

/* TRUE when `addr` (an e-mail address, any case) is one of smtp_addresses. */
gboolean okno_config_is_support_address(const OknoConfig *cfg, const char *addr);
/* The database file of a sqlite: store URL ("var/okno.db" by default), NULL for other
 * stores. Caller frees. */
char *okno_config_sqlite_path(const OknoConfig *cfg);
