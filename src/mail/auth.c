/* auth.c: SPF, DKIM and DMARC of inbound mail over libspf2, libopendkim and
 * libopendmarc, with every DNS lookup through dns.h (see auth.h).
 *
 * DESIGN
 * okno_auth_verify() makes one OknoDns for the message and runs, in order:
 *  - SPF: a libspf2 server whose only DNS layer is spf_lookup() below, which answers
 *    libspf2's questions from dns.h and maps our statuses to its h_errno values
 *    (NXDOMAIN -> HOST_NOT_FOUND, no data -> NO_DATA, the rest -> TRY_AGAIN, which
 *    libspf2 turns into temperror);
 *  - DKIM: libopendkim in verify mode over the raw bytes; its key lookup callback asks
 *    dns.h for <s>._domainkey.<d> TXT; at most MAX_DKIM_SIGNATURES signatures are
 *    examined (the prescreen callback ignores the rest), so a message with thousands of
 *    signatures costs a handful of lookups;
 *  - DMARC: the record is fetched here (_dmarc.<From domain>, else _dmarc.<org domain>)
 *    and handed with the SPF and DKIM results to libopendmarc, which parses it and
 *    applies alignment and the policy (p, sp).
 * The two libraries keep process-wide state (libopendkim's handle, libopendmarc's
 * public suffix table), set up once under a GOnce. */
#include "mail/auth.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <opendkim/dkim.h>
#include <opendmarc/dmarc.h>
#include <spf2/spf.h>
#include <sys/socket.h>

#include "core/error.h"
#include "core/log.h"

/* Exported by libopendmarc, not declared in its public header. */
int opendmarc_get_tld(u_char *domain, u_char *tld, size_t tld_len);

#define MAX_DKIM_SIGNATURES 5

/* ---- process-wide library state ---- */

typedef struct {
  DKIM_LIB *dkim;
  gboolean psl;        /* the public suffix list is loaded */
} Libs;

static Libs libs;

static DKIM_CBSTAT key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen);
static DKIM_CBSTAT prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs);

static gpointer libs_init(gpointer data)
{
  const OknoConfig *cfg = data;
  OPENDMARC_LIB_T lib = {0};
  unsigned int flags = DKIM_LIBFLAGS_FIXCRLF | DKIM_LIBFLAGS_BADSIGHANDLES;

  /* libspf2 would print warnings on stderr; its results say it all. */
  SPF_warning_handler = NULL;
  SPF_info_handler = NULL;
  SPF_debug_handler = NULL;

  libs.dkim = dkim_init(NULL, NULL);
  if (libs.dkim) {
    dkim_options(libs.dkim, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
    dkim_set_key_lookup(libs.dkim, key_lookup);
    dkim_set_prescreen(libs.dkim, prescreen);
  }
  lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
  g_strlcpy((char *)lib.tld_source_file, cfg->auth_public_suffix_list, sizeof lib.tld_source_file);
  if (*cfg->auth_public_suffix_list &&
      g_file_test(cfg->auth_public_suffix_list, G_FILE_TEST_IS_REGULAR) &&
      opendmarc_policy_library_init(&lib) == DMARC_PARSE_OKAY) {
    libs.psl = TRUE;
  } else {
    lib.tld_type = OPENDMARC_TLD_TYPE_NONE;
    lib.tld_source_file[0] = '\0';
    opendmarc_policy_library_init(&lib);
    okno_log_warn("auth", "event=no_public_suffix_list path=%s", cfg->auth_public_suffix_list);
  }
  return &libs;
}

static gboolean libs_ready(const OknoConfig *cfg, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  g_once(&once, libs_init, (gpointer)cfg);
  if (!libs.dkim) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "libopendkim did not start");
    return FALSE;
  }
  return TRUE;
}

/* ---- results ---- */

static void dkim_result_free(OknoDkimResult *d)
{
  g_free(d->domain);
  g_free(d->selector);
  g_free(d->result);
  g_free(d->reason);
  g_free(d);
}

void okno_auth_result_free(OknoAuthResult *r)
{
  if (!r)
    return;
  g_free(r->spf);
  g_free(r->spf_identity);
  g_free(r->spf_domain);
  g_free(r->spf_address);
  g_free(r->spf_reason);
  g_clear_pointer(&r->dkim, g_ptr_array_unref);
  g_free(r->from_domain);
  g_free(r->dmarc);
  g_free(r->dmarc_policy);
  g_free(r->dmarc_reason);
  g_free(r->action_reason);
  g_free(r);
}

static void set_str(char **field, const char *v)
{
  g_free(*field);
  *field = g_strdup(v ? v : "");
}

static char *lower(const char *s) { return g_ascii_strdown(s ? s : "", -1); }

static const char *domain_of(const char *addr)
{
  const char *at = addr ? strrchr(addr, '@') : NULL;
  return at ? at + 1 : "";
}

/* ---- SPF: libspf2 over dns.h ---- */

/* libspf2's hook: our resolver, and the last failure that says nothing about a name
 * (for the reason recorded with a temperror). */
typedef struct {
  OknoDns *dns;
  OknoDnsStatus failure;
  char *failed_name;
} SpfHook;

static SPF_dns_rr_t *spf_lookup(SPF_dns_server_t *srv, const char *domain, ns_type type,
                                int should_cache)
{
  SpfHook *hook = srv->hook;
  g_autoptr(GPtrArray) recs = NULL;
  OknoDnsStatus st = okno_dns_query(hook->dns, domain, (int)type, &recs);
  if (okno_dns_status_is_temporary(st)) {
    hook->failure = st;
    g_free(hook->failed_name);
    hook->failed_name = g_strdup(domain);
  }
  SPF_dns_stat_t herr = st == OKNO_DNS_OK         ? NETDB_SUCCESS
                        : st == OKNO_DNS_NXDOMAIN ? HOST_NOT_FOUND
                        : st == OKNO_DNS_NODATA   ? NO_DATA
                                                  : TRY_AGAIN;
  SPF_dns_rr_t *rr = SPF_dns_rr_new_init(srv, domain, type, 0, herr);
  if (!rr || st != OKNO_DNS_OK)
    return rr;
  for (guint i = 0; i < recs->len; i++) {
    gsize n = 0;
    const guint8 *d = g_bytes_get_data(recs->pdata[i], &n);
    if (SPF_dns_rr_buf_realloc(rr, (int)i, MAX(n + 1, sizeof(SPF_dns_rr_data_t))) != SPF_E_SUCCESS)
      break;
    if (n)
      memcpy(rr->rr[i], d, n);
    ((char *)rr->rr[i])[n] = '\0'; /* TXT, MX and PTR are strings to libspf2 */
    if (type == ns_t_txt && n && memchr(d, '\0', n))
      ((char *)rr->rr[i])[0] = '\0'; /* a NUL inside a TXT record: not an SPF record */
    rr->num_rr = (int)i + 1;
  }
  return rr;
}

static const char *spf_result_name(SPF_result_t r)
{
  switch (r) {
  case SPF_RESULT_PASS: return "pass";
  case SPF_RESULT_FAIL: return "fail";
  case SPF_RESULT_SOFTFAIL: return "softfail";
  case SPF_RESULT_NEUTRAL: return "neutral";
  case SPF_RESULT_NONE: return "none";
  case SPF_RESULT_TEMPERROR: return "temperror";
  case SPF_RESULT_PERMERROR: return "permerror";
  default: return "temperror";
  }
}

/* SPF_request_query_mailfrom() without its first step: libspf2 passes any client on a
 * loopback address without looking at the record ("localhost is always allowed"); okno
 * judges every client by the record (its tests, and a local relay, connect from
 * 127.0.0.1). The rest is what libspf2 does: find the record, interpret it. */
static SPF_response_t *spf_query(SPF_server_t *srv, SPF_request_t *req)
{
  SPF_response_t *resp = SPF_response_new(req);
  SPF_record_t *rec = NULL;
  SPF_errcode_t err;
  if (!resp)
    return NULL;
  req->cur_dom = req->use_helo ? req->helo_dom : req->env_from_dp;
  err = SPF_server_get_record(srv, req, resp, &rec);
  if (err == SPF_E_SUCCESS) {
    resp->spf_record_exp = rec;
    err = SPF_record_interpret(rec, req, resp, 0);
    resp->spf_record_exp = NULL;
  }
  if (rec)
    SPF_record_free(rec);
  /* libspf2 leaves the result unset when the record does not compile or a lookup
   * fails before a mechanism decides: RFC 7208 4.6 and 5 make those permerror, and
   * temperror for the DNS. */
  if (resp->result == SPF_RESULT_INVALID)
    SPF_i_done(resp,
               err == SPF_E_DNS_ERROR ? SPF_RESULT_TEMPERROR
               : err == SPF_E_NOT_SPF && SPF_response_errors(resp) == 0 ? SPF_RESULT_NONE
                                      : SPF_RESULT_PERMERROR,
               resp->reason, err);
  return resp;
}

static void check_spf(const OknoConfig *cfg, OknoDns *dns, const OknoAuthInput *in,
                      OknoAuthResult *r)
{
  SpfHook hook = {.dns = dns, .failure = OKNO_DNS_OK};
  SPF_dns_server_t layer = {.lookup = spf_lookup, .name = "okno", .hook = &hook};
  SPF_server_t *srv;
  SPF_request_t *req;
  SPF_response_t *resp = NULL;
  const char *helo = in->helo && *in->helo ? in->helo : NULL;
  const char *from = in->mail_from ? in->mail_from : "";
  g_autofree char *identity_addr = NULL;
  struct in6_addr a6;
  struct in_addr a4;
  gboolean v6 = FALSE;

  /* The null sender is checked as postmaster@HELO (RFC 7208 2.4). */
  if (*from) {
    set_str(&r->spf_identity, "mailfrom");
    g_autofree char *full = strchr(from, '@') ? g_strdup(from) : g_strconcat("postmaster@", from, NULL);
    identity_addr = lower(full);
  } else {
    set_str(&r->spf_identity, "helo");
    identity_addr = helo ? g_strconcat("postmaster@", helo, NULL) : NULL;
  }
  set_str(&r->spf_address, *from ? from : (helo ? helo : ""));
  set_str(&r->spf_domain, identity_addr ? domain_of(identity_addr) : "");
  if (!identity_addr || !*r->spf_domain) {
    set_str(&r->spf, "none");
    set_str(&r->spf_reason, "no MAIL FROM or HELO domain to check");
    return;
  }
  if (inet_pton(AF_INET, in->client_ip, &a4) == 1) {
    v6 = FALSE;
  } else if (inet_pton(AF_INET6, in->client_ip, &a6) == 1) {
    /* An IPv4-mapped client is the IPv4 address it carries (RFC 7208 5). */
    v6 = !IN6_IS_ADDR_V4MAPPED(&a6);
    if (!v6)
      memcpy(&a4, &a6.s6_addr[12], 4);
  } else {
    set_str(&r->spf, "none");
    set_str(&r->spf_reason, "the client address is not an IP address");
    return;
  }
  srv = SPF_server_new_dns(&layer, 0);
  SPF_server_set_rec_dom(srv, cfg->hostname);
  req = SPF_request_new(srv);
  if (v6)
    SPF_request_set_ipv6(req, a6);
  else
    SPF_request_set_ipv4(req, a4);
  if (helo)
    SPF_request_set_helo_dom(req, helo);
  SPF_request_set_env_from(req, identity_addr);
  resp = spf_query(srv, req);
  if (resp) {
    const char *why = SPF_response_get_header_comment(resp);
    set_str(&r->spf, spf_result_name(SPF_response_result(resp)));
    set_str(&r->spf_reason, why ? why : "");
    SPF_response_free(resp);
  } else {
    set_str(&r->spf, "temperror");
    set_str(&r->spf_reason, "the SPF check did not complete");
  }
  if (g_str_equal(r->spf, "temperror") && hook.failure != OKNO_DNS_OK) {
    g_free(r->spf_reason);
    r->spf_reason = g_strdup_printf("DNS lookup of %s: %s", hook.failed_name,
                                    okno_dns_status_name(hook.failure));
  }
  g_free(hook.failed_name);
  SPF_request_free(req);
  SPF_server_free(srv);
}

/* ---- DKIM: libopendkim over dns.h ---- */

/* libopendkim's user context: our resolver, and the last key lookup that failed
 * without saying anything about the name (for the temperror's reason). */
typedef struct {
  OknoDns *dns;
  OknoDnsStatus failure;
  GPtrArray *failed;  /* "<s>._domainkey.<d>" of the lookups that failed so */
} DkimCtx;

static DKIM_CBSTAT key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
  DkimCtx *ctx = dkim_get_user_context(dkim);
  const char *sel = (const char *)dkim_sig_getselector(sig);
  const char *dom = (const char *)dkim_sig_getdomain(sig);
  g_autoptr(GPtrArray) recs = NULL;
  g_autofree char *name = NULL;
  OknoDnsStatus st;
  gsize n = 0;
  const char *d;

  if (!sel || !dom || !*sel || !*dom)
    return DKIM_CBSTAT_NOTFOUND;
  name = g_strdup_printf("%s._domainkey.%s", sel, dom);
  st = okno_dns_query(ctx->dns, name, OKNO_DNS_TXT, &recs);
  if (st == OKNO_DNS_NXDOMAIN || st == OKNO_DNS_NODATA)
    return DKIM_CBSTAT_NOTFOUND;
  if (st != OKNO_DNS_OK) {
    ctx->failure = st;
    g_ptr_array_add(ctx->failed, g_ascii_strdown(name, -1));
    return DKIM_CBSTAT_TRYAGAIN;
  }
  d = g_bytes_get_data(recs->pdata[0], &n);
  if (!n)
    return DKIM_CBSTAT_NOTFOUND; /* an empty TXT string is no key record */
  if (n + 1 > buflen || memchr(d, '\0', n))
    return DKIM_CBSTAT_ERROR;
  memcpy(buf, d, n);
  buf[n] = '\0';
  return DKIM_CBSTAT_CONTINUE;
}

static DKIM_CBSTAT prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
  for (int i = MAX_DKIM_SIGNATURES; i < nsigs; i++)
    dkim_sig_ignore(sigs[i]);
  return DKIM_CBSTAT_CONTINUE;
}

static const char *dkim_sig_result(DKIM_SIGINFO *sig, DKIM_STAT eom)
{
  int err = dkim_sig_geterror(sig);
  if (DKIM_SIG_CHECK(sig))
    return "pass";
  switch (err) {
  case DKIM_SIGERROR_KEYFAIL:
    return "temperror";
  case DKIM_SIGERROR_NOKEY:
  case DKIM_SIGERROR_DNSSYNTAX:
  case DKIM_SIGERROR_MULTIREPLY:
  case DKIM_SIGERROR_KEYVERSION:
  case DKIM_SIGERROR_KEYUNKNOWNHASH:
  case DKIM_SIGERROR_KEYHASHMISMATCH:
  case DKIM_SIGERROR_NOTEMAILKEY:
  case DKIM_SIGERROR_KEYTYPEMISSING:
  case DKIM_SIGERROR_KEYTYPEUNKNOWN:
  case DKIM_SIGERROR_KEYREVOKED:
  case DKIM_SIGERROR_KEYDECODE:
  case DKIM_SIGERROR_KEYTOOSMALL:
    return "permerror";
  case DKIM_SIGERROR_BADSIG:
  case DKIM_SIGERROR_OK: /* processed, the body hash did not match */
    return (dkim_sig_getflags(sig) & DKIM_SIGFLAG_PROCESSED) ? "fail" : "neutral";
  case DKIM_SIGERROR_EXPIRED:
  case DKIM_SIGERROR_FUTURE:
  case DKIM_SIGERROR_SUBDOMAIN:
    return "fail";
  default:
    return eom == DKIM_STAT_CANTVRFY ? "temperror" : "neutral"; /* a malformed signature */
  }
}

static void add_dkim(OknoAuthResult *r, const char *domain, const char *selector,
                     const char *result, const char *reason)
{
  OknoDkimResult *x = g_new0(OknoDkimResult, 1);
  x->domain = g_strdup(domain);
  x->selector = g_strdup(selector);
  x->result = g_strdup(result);
  x->reason = g_strdup(reason);
  g_ptr_array_add(r->dkim, x);
}

/* One header field as okno hands it to libopendkim. */
typedef struct {
  const char *start;  /* "Name: value" with its folding, without the final line end */
  gsize len;
  gboolean signature; /* a DKIM-Signature field */
} Field;

/* Splits the header section of `data` into fields, strictly: every field "Name:" with a
 * name of printable ASCII, continuation lines only after a field, no NUL and no bare CR.
 * Returns the fields and sets *body to where the body starts; NULL when the section
 * breaks these rules (libopendkim 2.11 reads out of bounds or aborts on such input:
 * found by fuzz_auth) or when there is no header at all. */
static GArray *split_header(const char *data, gsize len, const char **body)
{
  g_autoptr(GArray) fields = g_array_new(FALSE, FALSE, sizeof(Field));
  const char *p = data, *end = data + len;
  Field *cur = NULL;
  *body = end;
  while (p < end) {
    const char *eol = memchr(p, '\n', (gsize)(end - p));
    const char *stop = eol ? eol : end; /* the line is [p, stop), CR included */
    gsize n = (gsize)(stop - p);
    gsize text = n && p[n - 1] == '\r' ? n - 1 : n;
    if (memchr(p, '\0', n) || memchr(p, '\r', text))
      return NULL;
    if (text == 0) { /* the empty line */
      *body = eol ? eol + 1 : end;
      break;
    }
    if (p[0] == ' ' || p[0] == '\t') {
      if (!cur)
        return NULL;
      cur->len = (gsize)(p + text - cur->start);
    } else {
      const char *colon = memchr(p, ':', text);
      Field f = {.start = p, .len = text};
      if (!colon || colon == p)
        return NULL;
      for (const char *c = p; c < colon; c++)
        if ((guchar)*c < 33 || (guchar)*c > 126)
          return NULL;
      f.signature = colon - p == 14 && g_ascii_strncasecmp(p, "DKIM-Signature", 14) == 0;
      g_array_append_val(fields, f);
      cur = &g_array_index(fields, Field, fields->len - 1);
    }
    p = eol ? eol + 1 : end;
  }
  return fields->len ? g_steal_pointer(&fields) : NULL;
}

/* RFC 6376 3.2 tag-list, loosely: "tag=value" separated by ';', tags of letters, digits
 * and '_' starting with a letter, values of printable ASCII and folding white space. On
 * success copies d= and s= (each only if made of domain characters). */
static gboolean signature_syntax_ok(const char *v, gsize n, char **d, char **sel)
{
  g_autofree char *copy = g_strndup(v, n);
  g_auto(GStrv) tags = g_strsplit(copy, ";", -1);
  gboolean any = FALSE;
  for (char **t = tags; *t; t++) {
    char *eq = strchr(*t, '=');
    char *name, *val;
    if (!eq) {
      if (*g_strstrip(*t))
        return FALSE;
      continue; /* an empty tag after the last ';' */
    }
    *eq = '\0';
    name = g_strstrip(*t);
    val = g_strstrip(eq + 1);
    if (!g_ascii_isalpha(name[0]))
      return FALSE;
    for (const char *c = name; *c; c++)
      if (!g_ascii_isalnum(*c) && *c != '_')
        return FALSE;
    for (const char *c = val; *c; c++)
      if (((guchar)*c < 32 && *c != '\t' && *c != '\r' && *c != '\n') || (guchar)*c > 126)
        return FALSE;
    if (!strcmp(name, "d") || !strcmp(name, "s")) {
      char **out = !strcmp(name, "d") ? d : sel;
      gboolean clean = *val != '\0';
      for (const char *c = val; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '.' && *c != '-' && *c != '_')
          clean = FALSE;
      g_free(*out);
      *out = clean ? g_ascii_strdown(val, -1) : g_strdup("");
    }
    any = TRUE;
  }
  return any;
}

static void check_dkim(OknoDns *dns, const OknoAuthInput *in, OknoAuthResult *r)
{
  DKIM_STAT st = DKIM_STAT_OK, eom;
  DKIM *d;
  DKIM_SIGINFO **sigs = NULL;
  int nsigs = 0, given = 0;
  gsize len = 0;
  const char *data, *body = NULL;
  g_autoptr(GArray) fields = NULL;
  g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func(g_free);
  DkimCtx ctx = {.dns = dns, .failure = OKNO_DNS_OK, .failed = failed};
  g_autofree char *dns_why = NULL;

  if (!in->raw)
    return;
  data = g_bytes_get_data(in->raw, &len);
  if (!data || !len)
    return;
  /* okno hands libopendkim the header field by field, after its own strict split:
   * libopendkim's own parser of dkim_chunk() trusts its input too much. */
  fields = split_header(data, len, &body);
  if (!fields) {
    g_autofree char *low = g_malloc(len + 1);
    for (gsize i = 0; i < len; i++)
      low[i] = g_ascii_tolower(data[i]);
    if (memmem(low, len, "dkim-signature", 14))
      add_dkim(r, "", "", "permerror", "malformed header section: not verified");
    return;
  }
  d = dkim_verify(libs.dkim, (const u_char *)"okno", NULL, &st);
  if (!d) {
    add_dkim(r, "", "", "temperror", "libopendkim could not start a verification");
    return;
  }
  dkim_set_user_context(d, &ctx);
  for (guint i = 0; i < fields->len; i++) {
    const Field *f = &g_array_index(fields, Field, i);
    if (f->signature) {
      g_autofree char *sd = NULL, *ss = NULL;
      const char *colon = memchr(f->start, ':', f->len);
      if (!signature_syntax_ok(colon + 1, f->len - (gsize)(colon + 1 - f->start), &sd, &ss)) {
        if (r->dkim->len < MAX_DKIM_SIGNATURES)
          add_dkim(r, sd ? sd : "", ss ? ss : "", "permerror", "malformed DKIM-Signature");
        continue; /* not given to libopendkim */
      }
      given++;
    }
    dkim_header(d, (u_char *)f->start, f->len);
  }
  dkim_eoh(d);
  if (body < data + len)
    dkim_body(d, (u_char *)body, (gsize)(data + len - body));
  eom = given ? dkim_eom(d, NULL) : DKIM_STAT_NOSIG;
  if (eom != DKIM_STAT_NOSIG && dkim_getsiglist(d, &sigs, &nsigs) == DKIM_STAT_OK) {
    for (int i = 0; i < nsigs && r->dkim->len < MAX_DKIM_SIGNATURES; i++) {
      const char *dom = (const char *)dkim_sig_getdomain(sigs[i]);
      const char *sel = (const char *)dkim_sig_getselector(sigs[i]);
      const char *result = dkim_sig_result(sigs[i], eom);
      g_autofree char *key = g_strdup_printf("%s._domainkey.%s", sel ? sel : "", dom ? dom : "");
      for (char *c = key; *c; c++)
        *c = g_ascii_tolower(*c);
      /* Its key could not be fetched: whatever libopendkim calls it, a temperror. */
      if (!g_str_equal(result, "pass") &&
          g_ptr_array_find_with_equal_func(failed, key, g_str_equal, NULL))
        result = "temperror";
      const char *why = dkim_sig_geterrorstr(dkim_sig_geterror(sigs[i]));
      g_autofree char *ldom = lower(dom);
      if (g_str_equal(result, "pass"))
        why = "";
      else if (g_str_equal(result, "temperror") && ctx.failure != OKNO_DNS_OK)
        why = dns_why ? dns_why
                      : (dns_why = g_strdup_printf("DNS lookup of the key: %s", okno_dns_status_name(ctx.failure)));
      else if (!why || !*why)
        why = g_str_equal(result, "fail") ? "signature did not verify" : "not verified";
      add_dkim(r, ldom, sel ? sel : "", result, why);
    }
  }
  dkim_free(d);
}

/* ---- DMARC: the record from dns.h, the rest libopendmarc ---- */

static gboolean under(const char *domain, const char *parent);

/* The last two labels of `d` (RFC 7489 3.2 with the list's implicit rule "*"). */
static char *last_two_labels(const char *d)
{
  const char *last = strrchr(d, '.');
  const char *p = last;
  while (p && p > d && p[-1] != '.')
    p--;
  return g_strdup(last && p > d ? p : d);
}

char *okno_auth_org_domain(const OknoConfig *cfg, const char *domain)
{
  u_char buf[256];
  g_autofree char *d = lower(domain);
  gsize n = strlen(d);
  while (n && d[n - 1] == '.')
    d[--n] = '\0';
  if (!libs_ready(cfg, NULL) || !libs.psl || n == 0 || n >= sizeof buf - 1)
    return last_two_labels(d);
  memset(buf, 0, sizeof buf);
  /* libopendmarc leaves the buffer unterminated for a name under a suffix it does not
   * know: only an answer that is `d` or a parent of it is taken. */
  if (opendmarc_get_tld((u_char *)d, buf, sizeof buf - 1) != 0 || !buf[0] ||
      !g_utf8_validate((const char *)buf, -1, NULL) || !under(d, (const char *)buf) ||
      !strchr((const char *)buf, '.'))
    return last_two_labels(d);
  return lower((const char *)buf);
}

/* The one DMARC record at _dmarc.<domain>: OK with *rec, NODATA when none or several
 * (RFC 7489 6.6.3: then there is no policy), or a DNS status. */
static OknoDnsStatus fetch_dmarc(OknoDns *dns, const char *domain, char **rec)
{
  g_autoptr(GPtrArray) recs = NULL;
  g_autofree char *name = g_strconcat("_dmarc.", domain, NULL);
  OknoDnsStatus st = okno_dns_query(dns, name, OKNO_DNS_TXT, &recs);
  guint found = 0;
  *rec = NULL;
  if (st != OKNO_DNS_OK)
    return st;
  for (guint i = 0; i < recs->len; i++) {
    gsize n = 0;
    const char *d = g_bytes_get_data(recs->pdata[i], &n);
    if (n >= 8 && !strncmp(d, "v=DMARC1", 8) && (n == 8 || d[8] == ';' || d[8] == ' ') &&
        !memchr(d, '\0', n)) {
      found++;
      g_free(*rec);
      *rec = g_strndup(d, n);
    }
  }
  if (found != 1)
    g_clear_pointer(rec, g_free);
  return found == 1 ? OKNO_DNS_OK : OKNO_DNS_NODATA;
}

static int dkim_outcome(const char *result)
{
  if (g_str_equal(result, "pass")) return DMARC_POLICY_DKIM_OUTCOME_PASS;
  if (g_str_equal(result, "fail")) return DMARC_POLICY_DKIM_OUTCOME_FAIL;
  if (g_str_equal(result, "temperror")) return DMARC_POLICY_DKIM_OUTCOME_TMPFAIL;
  return DMARC_POLICY_DKIM_OUTCOME_NONE;
}

static int spf_outcome(const char *result)
{
  if (g_str_equal(result, "pass")) return DMARC_POLICY_SPF_OUTCOME_PASS;
  if (g_str_equal(result, "fail") || g_str_equal(result, "softfail")) return DMARC_POLICY_SPF_OUTCOME_FAIL;
  if (g_str_equal(result, "temperror")) return DMARC_POLICY_SPF_OUTCOME_TMPFAIL;
  return DMARC_POLICY_SPF_OUTCOME_NONE;
}

static void check_dmarc(const OknoConfig *cfg, OknoDns *dns, const OknoAuthInput *in,
                        OknoAuthResult *r)
{
  g_autofree char *rec = NULL, *org = NULL;
  const char *rec_domain = r->from_domain;
  OknoDnsStatus st;
  DMARC_POLICY_T *pctx;
  OPENDMARC_STATUS_T ps;
  gboolean v6 = strchr(in->client_ip, ':') != NULL;

  set_str(&r->dmarc_policy, "");
  if (!*r->from_domain) {
    set_str(&r->dmarc, "none");
    set_str(&r->dmarc_reason, "no From domain");
    return;
  }
  st = fetch_dmarc(dns, r->from_domain, &rec);
  if (st == OKNO_DNS_NXDOMAIN || st == OKNO_DNS_NODATA) {
    org = okno_auth_org_domain(cfg, r->from_domain);
    if (!g_str_equal(org, r->from_domain)) {
      rec_domain = org;
      st = fetch_dmarc(dns, org, &rec);
    }
  }
  if (okno_dns_status_is_temporary(st)) {
    set_str(&r->dmarc, "temperror");
    g_free(r->dmarc_reason);
    r->dmarc_reason = g_strdup_printf("DNS lookup of the DMARC record: %s", okno_dns_status_name(st));
    return;
  }
  if (st != OKNO_DNS_OK) {
    set_str(&r->dmarc, "none");
    set_str(&r->dmarc_reason, "no DMARC record");
    return;
  }
  pctx = opendmarc_policy_connect_init((u_char *)in->client_ip,
                                       v6 ? DMARC_POLICY_IP_TYPE_IPV6 : DMARC_POLICY_IP_TYPE_IPV4);
  if (!pctx) {
    set_str(&r->dmarc, "temperror");
    set_str(&r->dmarc_reason, "libopendmarc could not start");
    return;
  }
  opendmarc_policy_store_from_domain(pctx, (u_char *)r->from_domain);
  for (guint i = 0; i < r->dkim->len; i++) {
    const OknoDkimResult *x = r->dkim->pdata[i];
    if (*x->domain)
      opendmarc_policy_store_dkim(pctx, (u_char *)x->domain, (u_char *)x->selector,
                                  dkim_outcome(x->result), (u_char *)x->reason);
  }
  if (*r->spf_domain)
    opendmarc_policy_store_spf(pctx, (u_char *)r->spf_domain, spf_outcome(r->spf),
                               g_str_equal(r->spf_identity, "helo") ? DMARC_POLICY_SPF_ORIGIN_HELO
                                                                    : DMARC_POLICY_SPF_ORIGIN_MAILFROM,
                               (u_char *)r->spf_reason);
  ps = opendmarc_policy_store_dmarc(pctx, (u_char *)rec, (u_char *)r->from_domain,
                                    rec_domain == org ? (u_char *)org : NULL);
  if (ps != DMARC_PARSE_OKAY) {
    set_str(&r->dmarc, "permerror");
    g_free(r->dmarc_reason);
    r->dmarc_reason = g_strdup_printf("the DMARC record of %s: %s", rec_domain,
                                      opendmarc_policy_status_to_str(ps));
    opendmarc_policy_connect_shutdown(pctx);
    return;
  }
  switch (opendmarc_get_policy_to_enforce(pctx)) {
  case DMARC_POLICY_PASS:
    set_str(&r->dmarc, "pass");
    set_str(&r->dmarc_reason, "aligned SPF or DKIM pass");
    break;
  case DMARC_POLICY_REJECT:
    set_str(&r->dmarc, "fail");
    set_str(&r->dmarc_policy, "reject");
    break;
  case DMARC_POLICY_QUARANTINE:
    set_str(&r->dmarc, "fail");
    set_str(&r->dmarc_policy, "quarantine");
    break;
  case DMARC_POLICY_NONE:
    set_str(&r->dmarc, "fail");
    set_str(&r->dmarc_policy, "none");
    break;
  default:
    set_str(&r->dmarc, "none");
    set_str(&r->dmarc_reason, "no DMARC policy");
    break;
  }
  if (g_str_equal(r->dmarc, "fail"))
    set_str(&r->dmarc_reason, "no aligned SPF or DKIM pass");
  if (g_str_equal(r->dmarc, "pass")) {
    int p = 0;
    opendmarc_policy_fetch_p(pctx, &p);
    set_str(&r->dmarc_policy, p == DMARC_RECORD_P_REJECT       ? "reject"
                              : p == DMARC_RECORD_P_QUARANTINE ? "quarantine"
                                                               : "none");
  }
  opendmarc_policy_connect_shutdown(pctx);
}

/* ---- the decision ---- */

static gboolean under(const char *domain, const char *parent)
{
  gsize n = strlen(domain), m = strlen(parent);
  if (!m || n < m || g_ascii_strcasecmp(domain + n - m, parent) != 0)
    return FALSE;
  return n == m || domain[n - m - 1] == '.';
}

/* Relaxed alignment without a DMARC record: the same organizational domain. */
static gboolean aligned(const OknoConfig *cfg, const char *a, const char *b)
{
  g_autofree char *oa = NULL, *ob = NULL;
  if (!*a || !*b)
    return FALSE;
  oa = okno_auth_org_domain(cfg, a);
  ob = okno_auth_org_domain(cfg, b);
  return g_ascii_strcasecmp(oa, ob) == 0;
}

void okno_auth_decide(const OknoConfig *cfg, OknoAuthResult *r)
{
  gboolean proved = g_str_equal(r->dmarc, "pass");
  r->portal = FALSE;
  for (char **d = cfg->portal_domains; d && *d && *r->from_domain; d++)
    if (under(r->from_domain, *d))
      r->portal = TRUE;
  if (!proved && g_str_equal(r->dmarc, "none")) {
    if (g_str_equal(r->spf, "pass") && aligned(cfg, r->spf_domain, r->from_domain))
      proved = TRUE;
    for (guint i = 0; i < r->dkim->len && !proved; i++) {
      const OknoDkimResult *x = r->dkim->pdata[i];
      if (g_str_equal(x->result, "pass") && aligned(cfg, x->domain, r->from_domain))
        proved = TRUE;
    }
  }
  r->action = OKNO_AUTH_ACCEPT;
  set_str(&r->action_reason, "");
  if (g_str_equal(r->dmarc, "fail") && g_str_equal(r->dmarc_policy, "reject")) {
    r->action = OKNO_AUTH_REJECT;
    set_str(&r->action_reason, "dmarc_reject");
  } else if (g_str_equal(r->dmarc, "fail") && g_str_equal(r->dmarc_policy, "quarantine")) {
    r->action = OKNO_AUTH_SUSPICIOUS;
    set_str(&r->action_reason, "dmarc_quarantine");
  } else if (r->portal && !proved) {
    r->action = OKNO_AUTH_SUSPICIOUS;
    set_str(&r->action_reason, "portal_unverified");
  }
}

OknoAuthResult *okno_auth_verify(const OknoConfig *cfg, const OknoAuthInput *in, GError **error)
{
  g_autoptr(OknoDns) dns = NULL;
  if (!libs_ready(cfg, error))
    return NULL;
  dns = okno_dns_new(cfg->dns_server, cfg->dns_timeout_ms, (gsize)cfg->dns_max_answer_size,
                     (guint)cfg->dns_max_answer_records, error);
  if (!dns)
    return NULL;
  okno_dns_set_budget(dns, cfg->auth_time_budget_ms);
  return okno_auth_verify_with(cfg, dns, in);
}

OknoAuthResult *okno_auth_verify_with(const OknoConfig *cfg, OknoDns *dns, const OknoAuthInput *in)
{
  OknoAuthResult *r;
  if (!libs_ready(cfg, NULL))
    return NULL;
  r = g_new0(OknoAuthResult, 1);
  r->dkim = g_ptr_array_new_with_free_func((GDestroyNotify)dkim_result_free);
  r->from_domain = lower(in->from_domain);
  check_spf(cfg, dns, in, r);
  check_dkim(dns, in, r);
  check_dmarc(cfg, dns, in, r);
  okno_auth_decide(cfg, r);
  return r;
}
