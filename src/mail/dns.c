/* dns.c: the DNS client of sender authentication, over libldns (see dns.h).
 *
 * One ldns_resolver per OknoDns, pointed at one server: one UDP try per query within
 * the timeout, TCP when the answer comes back truncated, no search list. The answer is
 * checked against the size limits before any record is read, and only the records of
 * the asked type in the answer section are returned. In front of it, the process-wide
 * cache (dns.h): one mutex, one condition for "an answer came / a slot is free". */
#include "mail/dns.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <netdb.h>
#include <sys/socket.h>

#include "core/error.h"

struct OknoDns {
  ldns_resolver *res;
  char *server;        /* as configured: part of the cache key */
  gsize max_size;
  guint max_records;
  gint64 timeout_us;   /* per query */
  gint64 deadline;     /* g_get_monotonic_time() past which nothing is asked; 0: none */
};

/* Splits "host", "host:port", "[v6]", "[v6]:port" and a bare IPv6 address. */
static gboolean split_server(const char *server, char **host, guint *port)
{
  const char *colon;
  *port = 53;
  if (server[0] == '[') {
    const char *end = strchr(server, ']');
    if (!end)
      return FALSE;
    *host = g_strndup(server + 1, end - server - 1);
    colon = end[1] == ':' ? end + 1 : NULL;
    if (end[1] && !colon)
      return FALSE;
  } else {
    colon = strchr(server, ':');
    if (colon && strchr(colon + 1, ':')) { /* a bare IPv6 address */
      *host = g_strdup(server);
      colon = NULL;
    } else {
      *host = colon ? g_strndup(server, colon - server) : g_strdup(server);
    }
  }
  if (colon) {
    guint64 p = 0;
    if (!g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &p, NULL))
      return FALSE;
    *port = (guint)p;
  }
  return **host != '\0';
}

/* The server's address as an ldns rdf: an IP literal, else the host name resolved once. */
static ldns_rdf *server_rdf(const char *host)
{
  struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai = NULL;
  char buf[INET6_ADDRSTRLEN];
  ldns_rdf *rdf = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, host);
  if (!rdf)
    rdf = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, host);
  if (rdf)
    return rdf;
  if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
    return NULL;
  if (ai->ai_family == AF_INET)
    inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, buf, sizeof buf);
  else
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, buf, sizeof buf);
  rdf = ldns_rdf_new_frm_str(ai->ai_family == AF_INET ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA, buf);
  freeaddrinfo(ai);
  return rdf;
}

OknoDns *okno_dns_new(const char *server, gint64 timeout_ms, gsize max_size, guint max_records,
                      GError **error)
{
  ldns_resolver *res = NULL;
  struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
  OknoDns *dns;

  if (!server || !*server) {
    if (ldns_resolver_new_frm_file(&res, NULL) != LDNS_STATUS_OK) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "[dns] server is empty and the system resolver (/etc/resolv.conf) cannot be read");
      return NULL;
    }
  } else {
    g_autofree char *host = NULL;
    guint port = 53;
    ldns_rdf *ns;
    if (!split_server(server, &host, &port) || !(ns = server_rdf(host))) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "[dns] server \"%s\" is not an address or a host name that resolves "
                  "(write host, host:port or [ipv6]:port)", server);
      return NULL;
    }
    res = ldns_resolver_new();
    ldns_resolver_push_nameserver(res, ns);
    ldns_rdf_deep_free(ns);
    ldns_resolver_set_port(res, (uint16_t)port);
  }
  ldns_resolver_set_timeout(res, tv);
  ldns_resolver_set_retry(res, 1);
  ldns_resolver_set_fallback(res, true);
  ldns_resolver_set_recursive(res, true);
  ldns_resolver_set_defnames(res, false);
  ldns_resolver_set_dnsrch(res, false);
  ldns_resolver_set_dnssec(res, false);
  ldns_resolver_set_random(res, false);
  dns = g_new0(OknoDns, 1);
  dns->res = res;
  dns->server = g_strdup(server ? server : "");
  dns->max_size = max_size;
  dns->max_records = max_records;
  dns->timeout_us = timeout_ms * 1000;
  return dns;
}

void okno_dns_set_budget(OknoDns *dns, gint64 budget_ms)
{
  dns->deadline = g_get_monotonic_time() + budget_ms * 1000;
}

void okno_dns_free(OknoDns *dns)
{
  if (!dns)
    return;
  ldns_resolver_deep_free(dns->res);
  g_free(dns->server);
  g_free(dns);
}

/* A name rdf as lowercase text without the final dot. */
static GBytes *name_bytes(const ldns_rdf *rdf)
{
  char *s = ldns_rdf2str(rdf);
  gsize n;
  GBytes *out;
  if (!s)
    return NULL;
  n = strlen(s);
  if (n > 1 && s[n - 1] == '.')
    s[--n] = '\0';
  for (gsize i = 0; i < n; i++)
    s[i] = g_ascii_tolower(s[i]);
  out = g_bytes_new(s, n);
  free(s);
  return out;
}

static GBytes *record_bytes(const ldns_rr *rr, int type)
{
  switch (type) {
  case OKNO_DNS_A:
  case OKNO_DNS_AAAA: {
    const ldns_rdf *rdf = ldns_rr_rdf(rr, 0);
    gsize want = type == OKNO_DNS_A ? 4 : 16;
    if (!rdf || ldns_rdf_size(rdf) != want)
      return NULL;
    return g_bytes_new(ldns_rdf_data(rdf), want);
  }
  case OKNO_DNS_TXT: {
    GByteArray *b = g_byte_array_new();
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
      const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
      const guint8 *d = ldns_rdf_data(rdf);
      gsize n = ldns_rdf_size(rdf);
      if (n < 1 || d[0] != n - 1) {
        g_byte_array_unref(b);
        return NULL;
      }
      g_byte_array_append(b, d + 1, (guint)(n - 1));
    }
    return g_byte_array_free_to_bytes(b);
  }
  case OKNO_DNS_MX:
    return ldns_rr_rd_count(rr) == 2 ? name_bytes(ldns_rr_rdf(rr, 1)) : NULL;
  case OKNO_DNS_PTR:
    return ldns_rr_rd_count(rr) == 1 ? name_bytes(ldns_rr_rdf(rr, 0)) : NULL;
  default:
    return NULL;
  }
}

/* The smallest TTL (seconds) of the records in `list`, or -1 when it has none. */
static gint64 min_ttl(const ldns_rr_list *list)
{
  gint64 ttl = -1;
  for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++) {
    gint64 t = ldns_rr_ttl(ldns_rr_list_rr(list, i));
    if (ttl < 0 || t < ttl)
      ttl = t;
  }
  return ttl;
}

/* One real query (no cache); *ttl gets how long the answer may be kept (seconds). */
static OknoDnsStatus ask(OknoDns *dns, const char *name, int type, GPtrArray **records,
                         gint64 *ttl)
{
  g_autofree char *fqdn = NULL;
  ldns_rdf *qname;
  ldns_pkt *pkt = NULL;
  ldns_status st;
  OknoDnsStatus out;
  ldns_rr_list *answer;
  GPtrArray *recs;

  *records = NULL;
  *ttl = 0;
  /* A name that cannot exist in the DNS (empty, an empty or over-long label, over 253
   * bytes) is not asked: it does not exist (RFC 7208 4.3 treats it as no record). */
  if (!name || !*name || strlen(name) > 253 || strstr(name, "..") || name[0] == '.')
    return OKNO_DNS_NXDOMAIN;
  for (const char *l = name; *l;) {
    const char *dot = strchr(l, '.');
    gsize n = dot ? (gsize)(dot - l) : strlen(l);
    if (n > 63)
      return OKNO_DNS_NXDOMAIN;
    l += n + (dot ? 1 : 0);
  }
  if (dns->deadline) {
    gint64 left = dns->deadline - g_get_monotonic_time();
    gint64 wait = MIN(left, dns->timeout_us);
    struct timeval tv;
    if (left <= 0) {
      *ttl = -1; /* this message's budget, not the name: remember nothing */
      return OKNO_DNS_TIMEOUT;
    }
    if (wait < dns->timeout_us)
      *ttl = -1; /* a timeout on a shortened wait says little about the server */
    tv.tv_sec = wait / G_USEC_PER_SEC;
    tv.tv_usec = wait % G_USEC_PER_SEC;
    ldns_resolver_set_timeout(dns->res, tv);
  }
  fqdn = g_str_has_suffix(name, ".") ? g_strdup(name) : g_strconcat(name, ".", NULL);
  qname = ldns_dname_new_frm_str(fqdn);
  if (!qname)
    return OKNO_DNS_NXDOMAIN;
  st = ldns_resolver_query_status(&pkt, dns->res, qname, (ldns_rr_type)type, LDNS_RR_CLASS_IN, LDNS_RD);
  ldns_rdf_deep_free(qname);
  if (st != LDNS_STATUS_OK || !pkt) {
    ldns_pkt_free(pkt);
    /* ldns reports a silent or unreachable server as a network error. */
    return st == LDNS_STATUS_NETWORK_ERR || st == LDNS_STATUS_SOCKET_ERROR ||
                   st == LDNS_STATUS_ERR || st == LDNS_STATUS_RES_NO_NS
               ? OKNO_DNS_TIMEOUT
               : OKNO_DNS_ERROR;
  }
  switch (ldns_pkt_get_rcode(pkt)) {
  case LDNS_RCODE_NOERROR: out = OKNO_DNS_NODATA; break;
  case LDNS_RCODE_NXDOMAIN: out = OKNO_DNS_NXDOMAIN; break;
  case LDNS_RCODE_SERVFAIL: out = OKNO_DNS_SERVFAIL; break;
  default: out = OKNO_DNS_ERROR; break;
  }
  *ttl = 0;
  if (out == OKNO_DNS_NXDOMAIN)
    *ttl = MAX(0, min_ttl(ldns_pkt_authority(pkt)));
  if (out != OKNO_DNS_NODATA) {
    ldns_pkt_free(pkt);
    return out;
  }
  answer = ldns_pkt_answer(pkt);
  *ttl = MAX(0, min_ttl(ldns_rr_list_rr_count(answer) ? answer : ldns_pkt_authority(pkt)));
  if (ldns_pkt_size(pkt) > dns->max_size || ldns_rr_list_rr_count(answer) > dns->max_records) {
    ldns_pkt_free(pkt);
    return OKNO_DNS_TOOBIG;
  }
  recs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  for (size_t i = 0; i < ldns_rr_list_rr_count(answer); i++) {
    const ldns_rr *rr = ldns_rr_list_rr(answer, i);
    GBytes *b;
    if ((int)ldns_rr_get_type(rr) != type || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
      continue;
    b = record_bytes(rr, type);
    if (!b) {
      out = OKNO_DNS_ERROR;
      break;
    }
    g_ptr_array_add(recs, b);
  }
  ldns_pkt_free(pkt);
  if (out == OKNO_DNS_NODATA && recs->len > 0)
    out = OKNO_DNS_OK;
  if (out == OKNO_DNS_OK)
    *records = recs;
  else
    g_ptr_array_unref(recs);
  return out;
}

/* ---- the cache ---- */

#define CACHE_MAX 20000  /* entries; past it, expired ones go, then all settled ones */
#define TTL_MAX 3600     /* seconds an answer is kept at most */

typedef struct {
  OknoDnsStatus status;
  GPtrArray *records;    /* GBytes*, OK only */
  gint64 expires;        /* monotonic µs */
  gboolean asking;       /* a thread is asking now; the others wait */
} Entry;

static struct {
  GMutex lock;
  GCond cond;            /* broadcast when an answer arrives (a slot is free too) */
  GHashTable *entries;   /* "server type name" -> Entry* */
  guint inflight;
  gint64 negative_ttl_us;
  guint max_inflight;
} cache = {.negative_ttl_us = 60 * G_USEC_PER_SEC, .max_inflight = 32};

static void entry_free(gpointer p)
{
  Entry *e = p;
  if (e->records)
    g_ptr_array_unref(e->records);
  g_free(e);
}

static gboolean settled_and_expired(gpointer k, gpointer v, gpointer now)
{
  Entry *e = v;
  return !e->asking && (!now || e->expires <= *(gint64 *)now);
}

void okno_dns_set_cache_policy(gint64 negative_ttl_ms, guint max_inflight)
{
  g_mutex_lock(&cache.lock);
  cache.negative_ttl_us = MAX(0, negative_ttl_ms) * 1000;
  cache.max_inflight = MAX(1, max_inflight);
  g_mutex_unlock(&cache.lock);
}

void okno_dns_cache_clear(void)
{
  g_mutex_lock(&cache.lock);
  if (cache.entries)
    g_hash_table_foreach_remove(cache.entries, settled_and_expired, NULL);
  g_mutex_unlock(&cache.lock);
}

static GPtrArray *records_copy(GPtrArray *r)
{
  GPtrArray *c;
  if (!r)
    return NULL;
  c = g_ptr_array_new_full(r->len, (GDestroyNotify)g_bytes_unref);
  for (guint i = 0; i < r->len; i++)
    g_ptr_array_add(c, g_bytes_ref(r->pdata[i]));
  return c;
}

OknoDnsStatus okno_dns_query(OknoDns *dns, const char *name, int type, GPtrArray **records)
{
  g_autofree char *key = NULL;
  Entry *e;
  OknoDnsStatus out;
  gint64 ttl = 0, now, wait_until;

  *records = NULL;
  if (!dns)
    return OKNO_DNS_NXDOMAIN;
  if (!name || !*name)
    return OKNO_DNS_NXDOMAIN;
  {
    g_autofree char *lower = g_ascii_strdown(name, -1);
    gsize n = strlen(lower);
    if (n && lower[n - 1] == '.')
      lower[n - 1] = '\0';
    key = g_strdup_printf("%s %d %s", dns->server, type, lower);
  }
  /* how long this caller may wait for someone else's answer or a free slot */
  now = g_get_monotonic_time();
  wait_until = now + dns->timeout_us * 2;
  if (dns->deadline)
    wait_until = MIN(wait_until, dns->deadline);

  g_mutex_lock(&cache.lock);
  if (!cache.entries)
    cache.entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
  for (;;) {
    now = g_get_monotonic_time();
    e = g_hash_table_lookup(cache.entries, key);
    if (e && !e->asking && e->expires > now) {
      out = e->status;
      *records = records_copy(e->records);
      g_mutex_unlock(&cache.lock);
      return out;
    }
    if ((e && e->asking) || cache.inflight >= cache.max_inflight) {
      if (now >= wait_until || !g_cond_wait_until(&cache.cond, &cache.lock, wait_until)) {
        g_mutex_unlock(&cache.lock);
        return OKNO_DNS_TIMEOUT;
      }
      continue;
    }
    break;
  }
  if (!e) {
    if (g_hash_table_size(cache.entries) >= CACHE_MAX) {
      g_hash_table_foreach_remove(cache.entries, settled_and_expired, &now);
      if (g_hash_table_size(cache.entries) >= CACHE_MAX)
        g_hash_table_foreach_remove(cache.entries, settled_and_expired, NULL);
    }
    e = g_new0(Entry, 1);
    g_hash_table_insert(cache.entries, g_strdup(key), e);
  }
  e->asking = TRUE;
  cache.inflight++;
  g_mutex_unlock(&cache.lock);

  out = ask(dns, name, type, records, &ttl);

  g_mutex_lock(&cache.lock);
  cache.inflight--;
  /* the entry is still there: a settled table never drops one being asked */
  e = g_hash_table_lookup(cache.entries, key);
  e->asking = FALSE;
  if (e->records)
    g_ptr_array_unref(e->records);
  e->records = records_copy(*records);
  e->status = out;
  e->expires = g_get_monotonic_time();
  if (ttl >= 0)
    e->expires += okno_dns_status_is_temporary(out) ? cache.negative_ttl_us
                                                    : MIN(ttl, TTL_MAX) * G_USEC_PER_SEC;
  g_cond_broadcast(&cache.cond);
  g_mutex_unlock(&cache.lock);
  return out;
}

const char *okno_dns_status_name(OknoDnsStatus st)
{
  static const char *const names[] = {"ok", "nxdomain", "nodata", "timeout", "servfail",
                                      "too big", "error"};
  return (guint)st < G_N_ELEMENTS(names) ? names[st] : "error";
}

gboolean okno_dns_status_is_temporary(OknoDnsStatus st)
{
  return st >= OKNO_DNS_TIMEOUT;
}
