/* oidc.c: cabinet sign-in over OpenID Connect (see oidc.h for the flow and its
 * security properties). Parts: state/nonce/verifier derivation (HMAC under the instance
 * secret), provider calls (discovery and JWKS cached for an hour, under cache_lock),
 * ID-token verification with librhonabwy, and the two route handlers. Handlers run on
 * the web's worker threads (web/server.h), so the provider exchange runs synchronously
 * in a GTask thread of its own and the handler answers when it is over. */
#include "web/oidc.h"

#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "store/oidc.h"
#include "store/sessions.h"
#include "web/oidc_jwt.h"

#define STATE_TTL_S 600
#define LEEWAY_S 60
#define CACHE_TTL_S 3600
#define MAX_DOC (1024 * 1024) /* bytes of one provider answer */
#define HTTP_TIMEOUT_S 15

gboolean okno_oidc_enabled(const OknoConfig *cfg)
{
  return cfg->oidc_issuer && *cfg->oidc_issuer;
}

void okno_oidc_claims_free(OknoOidcClaims *c)
{
  if (!c)
    return;
  g_free(c->issuer);
  g_free(c->subject);
  g_free(c->name);
  g_free(c->email);
  g_free(c->snils);
  g_free(c);
}

/* ---- state, nonce, verifier ---- */

/* Hex HMAC-SHA256 under `secret` of the parts joined by '\n'. Caller frees. */
static char *mac_hex(const guint8 *secret, const char *a, const char *b, const char *c)
{
  guint8 mac[crypto_auth_hmacsha256_BYTES];
  char hex[sizeof mac * 2 + 1];
  crypto_auth_hmacsha256_state st;
  const char *parts[] = {a, b, c};
  crypto_auth_hmacsha256_init(&st, secret, 32);
  for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
    crypto_auth_hmacsha256_update(&st, (const guint8 *)parts[i], strlen(parts[i]));
    crypto_auth_hmacsha256_update(&st, (const guint8 *)"\n", 1);
  }
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return g_strdup(hex);
}

static char *make_state(const guint8 *secret, const char *pre, gint64 now_s)
{
  g_autofree char *rnd = okno_random_hex(16);
  g_autofree char *t = g_strdup_printf("%" G_GINT64_FORMAT, now_s);
  g_autofree char *ctx = g_strconcat("oidc-state:", pre, NULL);
  g_autofree char *mac = mac_hex(secret, ctx, rnd, t);
  return g_strdup_printf("%s.%s.%s", rnd, t, mac);
}

/* TRUE when `state` was made for pre-session `pre` less than STATE_TTL_S ago. */
static gboolean state_valid(const guint8 *secret, const char *pre, const char *state,
                            gint64 now_s)
{
  g_auto(GStrv) p = g_strsplit(state ? state : "", ".", 4);
  g_autofree char *ctx = NULL, *mac = NULL;
  gint64 t;
  char *end = NULL;
  if (!pre || g_strv_length(p) != 3 || strlen(p[0]) != 32 || strlen(p[2]) != 64)
    return FALSE;
  t = g_ascii_strtoll(p[1], &end, 10);
  if (!end || *end || t > now_s + LEEWAY_S || now_s - t > STATE_TTL_S)
    return FALSE;
  ctx = g_strconcat("oidc-state:", pre, NULL);
  mac = mac_hex(secret, ctx, p[0], p[1]);
  return sodium_memcmp(mac, p[2], 64) == 0;
}

static char *base64url(const guint8 *data, gsize len)
{
  char *s = g_base64_encode(data, len);
  gsize n = strlen(s);
  for (gsize i = 0; i < n; i++)
    s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
  while (n && s[n - 1] == '=')
    s[--n] = '\0';
  return s;
}

/* ---- provider calls (worker thread) ---- */

typedef struct {
  char *issuer;      /* the issuer the cache belongs to */
  char *authorization_endpoint, *token_endpoint, *jwks_uri, *userinfo_endpoint;
  char *jwks;        /* the JWKS document */
  gint64 fetched_at; /* seconds; 0 = empty */
} Discovery;

static GMutex cache_lock;
static Discovery cache;

static void discovery_clear(Discovery *d)
{
  g_free(d->issuer);
  g_free(d->authorization_endpoint);
  g_free(d->token_endpoint);
  g_free(d->jwks_uri);
  g_free(d->userinfo_endpoint);
  g_free(d->jwks);
  memset(d, 0, sizeof *d);
}

static void discovery_copy(Discovery *to, const Discovery *from)
{
  to->issuer = g_strdup(from->issuer);
  to->authorization_endpoint = g_strdup(from->authorization_endpoint);
  to->token_endpoint = g_strdup(from->token_endpoint);
  to->jwks_uri = g_strdup(from->jwks_uri);
  to->userinfo_endpoint = g_strdup(from->userinfo_endpoint);
  to->jwks = g_strdup(from->jwks);
  to->fetched_at = from->fetched_at;
}

/* Sends `msg` and returns the body of a 200 answer (at most MAX_DOC bytes), or NULL
 * with OKNO_ERROR_TEMP "provider-down" / "provider-status". */
static GBytes *provider_send(SoupSession *ss, SoupMessage *msg, GError **error)
{
  g_autoptr(GError) e = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read(ss, msg, NULL, &e);
  guint status = soup_message_get_status(msg);
  if (!body) {
    okno_log_warn("oidc", "event=provider-unreachable error=\"%s\"", e ? e->message : "?");
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "provider-down");
    return NULL;
  }
  if (status != 200 || g_bytes_get_size(body) > MAX_DOC) {
    okno_log_warn("oidc", "event=provider-answer status=%u size=%zu", status,
                  g_bytes_get_size(body));
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "provider-status");
    return NULL;
  }
  return g_steal_pointer(&body);
}

/* The JSON object of a 200 answer (new reference), or NULL with an error. */
static JsonObject *send_json(SoupSession *ss, SoupMessage *msg, GError **error)
{
  g_autoptr(GBytes) body = provider_send(ss, msg, error);
  g_autoptr(JsonParser) p = NULL;
  JsonNode *root;
  if (!body)
    return NULL;
  p = json_parser_new();
  if (!json_parser_load_from_data(p, g_bytes_get_data(body, NULL), g_bytes_get_size(body), NULL) ||
      !(root = json_parser_get_root(p)) || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "provider-json");
    return NULL;
  }
  return json_object_ref(json_node_get_object(root));
}

static const char *member_str(JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member(o, name) : NULL;
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

static char *fetch_jwks(SoupSession *ss, const char *uri, GError **error)
{
  g_autoptr(SoupMessage) msg = soup_message_new("GET", uri);
  g_autoptr(GBytes) b = NULL;
  if (!msg) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "provider-config");
    return NULL;
  }
  b = provider_send(ss, msg, error);
  return b ? g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b)) : NULL;
}

/* Fills *d from the cache, or fetches the discovery document and the JWKS of `issuer`
 * (again when `refresh`, e.g. after a key rotation). */
static gboolean discover(SoupSession *ss, const char *issuer, gboolean refresh, Discovery *d,
                         GError **error)
{
  gint64 now = okno_now() / G_USEC_PER_SEC;
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(JsonObject) o = NULL;
  Discovery fresh = {0};
  gsize n = strlen(issuer);

  g_mutex_lock(&cache_lock);
  if (!refresh && cache.fetched_at && g_strcmp0(cache.issuer, issuer) == 0 &&
      now - cache.fetched_at < CACHE_TTL_S) {
    discovery_copy(d, &cache);
    g_mutex_unlock(&cache_lock);
    return TRUE;
  }
  g_mutex_unlock(&cache_lock);

  url = g_strconcat(issuer, n && issuer[n - 1] == '/' ? "" : "/",
                    ".well-known/openid-configuration", NULL);
  msg = soup_message_new("GET", url);
  if (!msg) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "provider-config");
    return FALSE;
  }
  if (!(o = send_json(ss, msg, error)))
    return FALSE;
  if (g_strcmp0(member_str(o, "issuer"), issuer) != 0 ||
      !member_str(o, "authorization_endpoint") || !member_str(o, "token_endpoint") ||
      !member_str(o, "jwks_uri")) {
    okno_log_warn("oidc", "event=discovery-invalid");
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "provider-config");
    return FALSE;
  }
  fresh.issuer = g_strdup(issuer);
  fresh.authorization_endpoint = g_strdup(member_str(o, "authorization_endpoint"));
  fresh.token_endpoint = g_strdup(member_str(o, "token_endpoint"));
  fresh.jwks_uri = g_strdup(member_str(o, "jwks_uri"));
  fresh.userinfo_endpoint = g_strdup(member_str(o, "userinfo_endpoint"));
  fresh.fetched_at = now;
  if (!(fresh.jwks = fetch_jwks(ss, fresh.jwks_uri, error))) {
    discovery_clear(&fresh);
    return FALSE;
  }
  g_mutex_lock(&cache_lock);
  discovery_clear(&cache);
  discovery_copy(&cache, &fresh);
  g_mutex_unlock(&cache_lock);
  *d = fresh;
  return TRUE;
}

/* ---- ID token verification ---- */

static gboolean fail(GError **error, const char *reason)
{
  g_set_error_literal(error, OKNO_ERROR, OKNO_ERROR_USER, reason);
  return FALSE;
}

static gboolean aud_ok(JsonObject *claims, const char *client_id)
{
  JsonNode *aud = json_object_get_member(claims, "aud");
  const char *azp = member_str(claims, "azp");
  if (!aud)
    return FALSE;
  if (JSON_NODE_HOLDS_VALUE(aud) && json_node_get_value_type(aud) == G_TYPE_STRING)
    return strcmp(json_node_get_string(aud), client_id) == 0 &&
           (!azp || strcmp(azp, client_id) == 0);
  if (JSON_NODE_HOLDS_ARRAY(aud)) {
    JsonArray *a = json_node_get_array(aud);
    gboolean found = FALSE;
    for (guint i = 0; i < json_array_get_length(a); i++) {
      const char *s = json_node_get_string(json_array_get_element(a, i));
      found = found || (s && strcmp(s, client_id) == 0);
    }
    if (!found)
      return FALSE;
    return json_array_get_length(a) == 1 ? (!azp || strcmp(azp, client_id) == 0)
                                          : g_strcmp0(azp, client_id) == 0;
  }
  return FALSE;
}

static gboolean int_claim(JsonObject *o, const char *name, gint64 *v)
{
  JsonNode *n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n))
    return FALSE;
  if (json_node_get_value_type(n) == G_TYPE_INT64)
    *v = json_node_get_int(n);
  else if (json_node_get_value_type(n) == G_TYPE_DOUBLE)
    *v = (gint64)json_node_get_double(n);
  else
    return FALSE;
  return TRUE;
}

/* A string claim, or a number claim written as digits (SNILS may come either way). */
static char *claim_text(JsonObject *o, const char *name)
{
  JsonNode *n = (name && *name) ? json_object_get_member(o, name) : NULL;
  if (!n || !JSON_NODE_HOLDS_VALUE(n))
    return NULL;
  if (json_node_get_value_type(n) == G_TYPE_STRING)
    return *json_node_get_string(n) ? g_strdup(json_node_get_string(n)) : NULL;
  if (json_node_get_value_type(n) == G_TYPE_INT64)
    return g_strdup_printf("%011" G_GINT64_FORMAT, json_node_get_int(n));
  return NULL;
}

static gboolean email_verified(JsonObject *o)
{
  JsonNode *n = json_object_get_member(o, "email_verified");
  if (!n || !JSON_NODE_HOLDS_VALUE(n))
    return FALSE;
  if (json_node_get_value_type(n) == G_TYPE_BOOLEAN)
    return json_node_get_boolean(n);
  /* some providers write it as a string */
  return json_node_get_value_type(n) == G_TYPE_STRING && strcmp(json_node_get_string(n), "true") == 0;
}

/* Fills name/email/snils of `c` from `o` where still empty. */
static void take_person(OknoOidcClaims *c, JsonObject *o, const char *snils_claim)
{
  if (!c->name) {
    const char *full = member_str(o, "name");
    if (full && *full) {
      c->name = g_strdup(full);
    } else if (member_str(o, "family_name") || member_str(o, "given_name")) {
      const char *parts[] = {member_str(o, "family_name"), member_str(o, "given_name"),
                             member_str(o, "middle_name")};
      GString *s = g_string_new(NULL);
      for (guint i = 0; i < G_N_ELEMENTS(parts); i++)
        if (parts[i] && *parts[i])
          g_string_append_printf(s, "%s%s", s->len ? " " : "", parts[i]);
      c->name = g_string_free(s, FALSE);
    }
  }
  if (!c->email && member_str(o, "email") && email_verified(o))
    c->email = g_ascii_strdown(member_str(o, "email"), -1);
  if (!c->snils)
    c->snils = claim_text(o, snils_claim);
}

OknoOidcClaims *okno_oidc_verify_id_token(const char *id_token, const char *jwks_json,
                                          const char *issuer, const char *client_id,
                                          const char *nonce, const char *snils_claim,
                                          gint64 now, GError **error)
{
  g_autofree char *claims_str = okno_oidc_jws_verify(id_token, jwks_json, error);
  g_autoptr(JsonParser) p = json_parser_new();
  OknoOidcClaims *c;
  JsonObject *o;
  JsonNode *root;
  gint64 exp = 0, iat = 0;
  const char *reason = NULL;

  if (!claims_str)
    return NULL;
  if (!json_parser_load_from_data(p, claims_str, -1, NULL) || !(root = json_parser_get_root(p)) ||
      !JSON_NODE_HOLDS_OBJECT(root))
    return fail(error, "claims"), NULL;
  o = json_node_get_object(root);
  if (g_strcmp0(member_str(o, "iss"), issuer) != 0)
    reason = "iss";
  else if (!aud_ok(o, client_id))
    reason = "aud";
  else if (!int_claim(o, "exp", &exp) || exp <= now - LEEWAY_S)
    reason = "expired";
  else if (!int_claim(o, "iat", &iat) || iat > now + LEEWAY_S)
    reason = "iat";
  else if (!member_str(o, "nonce") || g_strcmp0(member_str(o, "nonce"), nonce) != 0)
    reason = "nonce";
  else if (!member_str(o, "sub") || !*member_str(o, "sub"))
    reason = "sub";
  if (reason)
    return fail(error, reason), NULL;
  c = g_new0(OknoOidcClaims, 1);
  c->issuer = g_strdup(issuer);
  c->subject = g_strdup(member_str(o, "sub"));
  take_person(c, o, snils_claim);
  return c;
}

/* ---- the worker ---- */

typedef struct {
  OknoReq *req;
  char *issuer, *client_id, *client_secret, *redirect_uri, *scopes, *snils_claim, *token_auth;
  char *state, *nonce, *verifier, *code;
  gboolean callback;        /* FALSE: build the authorization URL */
  char *location;           /* start: where to send the browser */
  OknoOidcClaims *claims;   /* callback: who signed in */
} Job;

static void job_free(Job *j)
{
  g_free(j->issuer);
  g_free(j->client_id);
  g_free(j->client_secret);
  g_free(j->redirect_uri);
  g_free(j->scopes);
  g_free(j->snils_claim);
  g_free(j->token_auth);
  g_free(j->state);
  g_free(j->nonce);
  g_free(j->verifier);
  g_free(j->code);
  g_free(j->location);
  okno_oidc_claims_free(j->claims);
  g_free(j);
}

static char *authorization_url(const Job *j, const Discovery *d)
{
  guint8 hash[crypto_hash_sha256_BYTES];
  g_autofree char *challenge = NULL;
  g_autoptr(GHashTable) q = g_hash_table_new(g_str_hash, g_str_equal);
  g_autofree char *enc = NULL;
  crypto_hash_sha256(hash, (const guint8 *)j->verifier, strlen(j->verifier));
  challenge = base64url(hash, sizeof hash);
  g_hash_table_insert(q, "response_type", "code");
  g_hash_table_insert(q, "client_id", j->client_id);
  g_hash_table_insert(q, "redirect_uri", j->redirect_uri);
  g_hash_table_insert(q, "scope", j->scopes);
  g_hash_table_insert(q, "state", j->state);
  g_hash_table_insert(q, "nonce", j->nonce);
  g_hash_table_insert(q, "code_challenge", challenge);
  g_hash_table_insert(q, "code_challenge_method", "S256");
  enc = soup_form_encode_hash(q);
  return g_strconcat(d->authorization_endpoint,
                     strchr(d->authorization_endpoint, '?') ? "&" : "?", enc, NULL);
}

/* The token endpoint's answer for the code, or NULL. */
static JsonObject *redeem(SoupSession *ss, const Job *j, const Discovery *d, GError **error)
{
  g_autoptr(GHashTable) f = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(SoupMessage) msg = NULL;
  gboolean post = g_strcmp0(j->token_auth, "client_secret_post") == 0;
  g_hash_table_insert(f, "grant_type", "authorization_code");
  g_hash_table_insert(f, "code", j->code);
  g_hash_table_insert(f, "redirect_uri", j->redirect_uri);
  g_hash_table_insert(f, "code_verifier", j->verifier);
  g_hash_table_insert(f, "client_id", j->client_id);
  if (post)
    g_hash_table_insert(f, "client_secret", j->client_secret);
  msg = soup_message_new_from_encoded_form("POST", d->token_endpoint, soup_form_encode_hash(f));
  if (!msg) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "provider-config");
    return NULL;
  }
  if (!post) {
    /* RFC 6749 2.3.1: both parts form-urlencoded before base64 */
    g_autofree char *u = g_uri_escape_string(j->client_id, NULL, FALSE);
    g_autofree char *s = g_uri_escape_string(j->client_secret, NULL, FALSE);
    g_autofree char *pair = g_strconcat(u, ":", s, NULL);
    g_autofree char *b64 = g_base64_encode((const guint8 *)pair, strlen(pair));
    g_autofree char *h = g_strconcat("Basic ", b64, NULL);
    soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", h);
  }
  return send_json(ss, msg, error);
}

static void worker(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  Job *j = data;
  g_autoptr(SoupSession) ss = soup_session_new_with_options("timeout", HTTP_TIMEOUT_S,
                                                            "user-agent", "okno", NULL);
  g_autoptr(GError) e = NULL;
  g_autoptr(JsonObject) tok = NULL;
  Discovery d = {0};
  const char *id_token, *access;
  (void)source;
  (void)cancel;

  if (!discover(ss, j->issuer, FALSE, &d, &e))
    goto out;
  if (!j->callback) {
    j->location = authorization_url(j, &d);
    goto out;
  }
  if (!(tok = redeem(ss, j, &d, &e)))
    goto out;
  if (!(id_token = member_str(tok, "id_token"))) {
    g_set_error(&e, OKNO_ERROR, OKNO_ERROR_USER, "no-id-token");
    goto out;
  }
  j->claims = okno_oidc_verify_id_token(id_token, d.jwks, j->issuer, j->client_id, j->nonce,
                                        j->snils_claim, okno_now() / G_USEC_PER_SEC, &e);
  if (!j->claims && e && strcmp(e->message, "signature") == 0) {
    /* perhaps the provider rotated its keys: fetch them once more */
    Discovery again = {0};
    if (discover(ss, j->issuer, TRUE, &again, NULL)) {
      g_clear_error(&e);
      j->claims = okno_oidc_verify_id_token(id_token, again.jwks, j->issuer, j->client_id,
                                            j->nonce, j->snils_claim,
                                            okno_now() / G_USEC_PER_SEC, &e);
      discovery_clear(&again);
    }
  }
  if (!j->claims)
    goto out;
  access = member_str(tok, "access_token");
  if ((!j->claims->email || !j->claims->name || (!j->claims->snils && *j->snils_claim)) &&
      d.userinfo_endpoint && access) {
    g_autoptr(SoupMessage) msg = soup_message_new("GET", d.userinfo_endpoint);
    g_autoptr(JsonObject) ui = NULL;
    g_autofree char *h = g_strconcat("Bearer ", access, NULL);
    if (msg) {
      soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization", h);
      ui = send_json(ss, msg, NULL);
    }
    /* OIDC Core 5.3.2: userinfo of another subject must not be used */
    if (ui && g_strcmp0(member_str(ui, "sub"), j->claims->subject) == 0)
      take_person(j->claims, ui, j->snils_claim);
  }
  if (!j->claims->email)
    g_set_error(&e, OKNO_ERROR, OKNO_ERROR_USER, "no-verified-email");
out:
  discovery_clear(&d);
  if (e)
    g_task_return_error(task, g_steal_pointer(&e));
  else
    g_task_return_boolean(task, TRUE);
}

/* ---- routes (worker threads) ---- */

static void failed(OknoReq *req, const GError *e)
{
  const char *reason = e ? e->message : "?";
  gboolean down = e && e->code == OKNO_ERROR_TEMP;
  char tag[OKNO_PII_BUF];
  okno_log_warn("oidc", "event=oidc-failed reason=%s ip=%s", reason, okno_pii(req->client_ip, tag));
  okno_req_error(req, down ? 502 : 400,
                 down ? "Сервис входа через портал сейчас недоступен. Попробуйте, пожалуйста, "
                        "позже или войдите по коду из письма."
                      : "Не удалось подтвердить вход через портал: ответ поставщика входа "
                        "не прошёл проверку. Войдите, пожалуйста, ещё раз.");
}

/* After the exchange with the provider (on the same worker thread: web/server.h). */
static void done(GTask *task)
{
  Job *j = g_task_get_task_data(task);
  OknoReq *req = j->req;
  g_autoptr(GError) e = NULL;

  if (!g_task_propagate_boolean(task, &e)) {
    failed(req, e);
  } else if (!j->callback) {
    okno_req_redirect(req, j->location);
  } else {
    OknoOidcIdentity id = {0};
    char t1[OKNO_PII_BUF], t2[OKNO_PII_BUF];
    if (!okno_req_sign_in(req, "citizen", j->claims->email, &e)) {
      okno_log_warn("oidc", "event=sign-in-failed error=\"%s\"", e->message);
      okno_req_error(req, 500, NULL);
    } else {
      id.session_id = req->session->id;
      id.issuer = j->claims->issuer;
      id.subject = j->claims->subject;
      id.name = j->claims->name;
      id.email = j->claims->email;
      id.snils = j->claims->snils;
      id.created_at = okno_now();
      if (!okno_store_oidc_identity_put(req->store, &id, &e)) {
        okno_log_warn("oidc", "event=identity-store-failed error=\"%s\"", e->message);
        okno_req_sign_out(req);
        okno_req_error(req, 500, NULL);
      } else {
        okno_log("oidc", "event=signed-in who=%s sub=%s snils=%s", okno_pii(id.email, t1),
                 okno_pii(id.subject, t2), id.snils ? "yes" : "no");
        okno_req_redirect(req, "/cabinet");
      }
    }
  }
}

static void run(OknoReq *req, Job *j)
{
  const OknoConfig *cfg = req->cfg;
  GTask *task = g_task_new(NULL, NULL, NULL, NULL);
  j->req = req;
  j->issuer = g_strdup(cfg->oidc_issuer);
  j->client_id = g_strdup(cfg->oidc_client_id);
  j->client_secret = g_strdup(cfg->oidc_client_secret);
  j->redirect_uri = *cfg->oidc_redirect_uri
                        ? g_strdup(cfg->oidc_redirect_uri)
                        : g_strconcat(cfg->public_url, "/cabinet/oidc/callback", NULL);
  j->scopes = g_strdup(cfg->oidc_scopes);
  j->snils_claim = g_strdup(cfg->oidc_snils_claim);
  j->token_auth = g_strdup(cfg->oidc_token_auth);
  j->nonce = mac_hex(okno_web_secret(req->web), "oidc-nonce", j->state, "");
  j->verifier = mac_hex(okno_web_secret(req->web), "oidc-pkce", j->state, "");
  g_task_set_task_data(task, j, (GDestroyNotify)job_free);
  /* Handlers run on a worker thread (web/server.h): the provider may take its time. */
  g_task_run_in_thread_sync(task, worker);
  done(task);
  g_object_unref(task);
}

static void start_get(OknoReq *req)
{
  Job *j;
  if (!okno_oidc_enabled(req->cfg)) {
    okno_req_error(req, 404, NULL);
    return;
  }
  okno_req_csrf(req); /* makes sure this browser has a pre-session cookie */
  j = g_new0(Job, 1);
  j->state = make_state(okno_web_secret(req->web), req->pre_token, okno_now() / G_USEC_PER_SEC);
  run(req, j);
}

static void callback_get(OknoReq *req)
{
  const char *state = g_hash_table_lookup(req->query, "state");
  const char *code = g_hash_table_lookup(req->query, "code");
  gint64 now = okno_now();
  g_autoptr(GError) e = NULL;
  g_autofree char *key = NULL;
  gboolean fresh = FALSE;
  Job *j;

  if (!okno_oidc_enabled(req->cfg)) {
    okno_req_error(req, 404, NULL);
    return;
  }
  if (g_hash_table_lookup(req->query, "error")) {
    char tag[OKNO_PII_BUF];
    okno_log("oidc", "event=oidc-declined ip=%s", okno_pii(req->client_ip, tag));
    okno_req_error(req, 400, "Вход через портал не выполнен: вы отменили его или портал "
                             "отказал. Войдите, пожалуйста, ещё раз или по коду из письма.");
    return;
  }
  if (!state || !code || !*code ||
      !state_valid(okno_web_secret(req->web), req->pre_token, state, now / G_USEC_PER_SEC)) {
    g_set_error_literal(&e, OKNO_ERROR, OKNO_ERROR_USER, "state");
    failed(req, e);
    return;
  }
  key = g_strconcat("oidc:", state, NULL);
  if (!okno_store_token_use(req->store, key, now + (gint64)(STATE_TTL_S + LEEWAY_S) * G_USEC_PER_SEC,
                            &fresh, &e)) {
    okno_log_warn("oidc", "event=state-store-failed error=\"%s\"", e ? e->message : "?");
    okno_req_error(req, 500, NULL);
    return;
  }
  if (!fresh) {
    g_set_error_literal(&e, OKNO_ERROR, OKNO_ERROR_USER, "state-replayed");
    failed(req, e);
    return;
  }
  j = g_new0(Job, 1);
  j->callback = TRUE;
  j->state = g_strdup(state);
  j->code = g_strdup(code);
  run(req, j);
}

static void identity_get(OknoReq *req)
{
  g_autoptr(GError) e = NULL;
  g_autoptr(OknoOidcIdentity) id = okno_store_oidc_identity_get(req->store, req->session->id, &e);
  JsonObject *o = json_object_new();
  if (e) {
    json_object_unref(o);
    okno_log_warn("oidc", "event=identity-lookup-failed error=\"%s\"", e->message);
    okno_req_error(req, 500, NULL);
    return;
  }
  json_object_set_boolean_member(o, "confirmed", id != NULL);
  json_object_set_string_member(o, "email", req->session->subject);
  if (id) {
    json_object_set_string_member(o, "name", id->name);
    json_object_set_string_member(o, "snils", id->snils);
    json_object_set_string_member(o, "issuer", id->issuer);
  }
  if (req->api) {
    JsonNode *n = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(n, o);
    okno_req_json(req, 200, n);
  } else {
    okno_req_page(req, 200, "cabinet_identity", "Личность", o);
  }
}

static const OknoRoute routes[] = {
  {"GET", "/cabinet/oidc/start", 0, start_get},
  {"GET", "/cabinet/oidc/callback", 0, callback_get},
  {"GET", "/cabinet/identity", OKNO_ROUTE_CITIZEN, identity_get},
  {"GET", "/api/v1/cabinet/identity", OKNO_ROUTE_CITIZEN, identity_get},
};

void okno_oidc_routes(OknoWeb *web)
{
  okno_oidc_jws_init(); /* on the main thread: see oidc_jwt.h */
  okno_web_add_routes(web, routes, G_N_ELEMENTS(routes));
  okno_cabinet_formal_routes(web);
}
