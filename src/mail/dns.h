/* dns.h: the DNS client of okno's sender authentication (SPF, DKIM, DMARC).
 *
 * Every lookup of mail authentication goes through this module to one resolver: the
 * one named by `[dns] server` (host or host:port, IPv6 as [addr]:port), or the
 * system's (/etc/resolv.conf) when that is empty. The protocol is Debian's libldns
 * (UDP, falling back to TCP when an answer is truncated).
 *
 * A small cache, shared by the whole process (every OknoDns, every thread), keyed by
 * server, type and name: an answer (records, NXDOMAIN, NODATA) is kept for its own TTL
 * (the smallest TTL of the answer's records, or of the SOA in a negative answer; 0,
 * the usual in tests, keeps nothing); a failure that says nothing about the name
 * (timeout, SERVFAIL, an error, too big) for the negative TTL (60 s by default). A
 * query for a name already being asked waits for that answer instead of asking again,
 * and at most `max_inflight` queries are out at once (the others wait, within their
 * timeout and budget). So a dead resolver costs one timeout per name per minute, not
 * one per message.
 *
 * Results keep apart what RFC 7208/6376/7489 keep apart: a name that does not exist,
 * a name without records of the type, and the failures that say nothing about the
 * name (timeout, SERVFAIL, a broken or oversized answer). The last ones are never a
 * pass: callers map them to temperror.
 *
 * An OknoDns is used by one thread at a time (make one per message check). */
#pragma once
#include <glib.h>

typedef enum {
  OKNO_DNS_OK,        /* records of the type (the array is not empty) */
  OKNO_DNS_NXDOMAIN,  /* RCODE 3: the name does not exist (also, without a query, a
                       * name that cannot exist: empty or over-long labels) */
  OKNO_DNS_NODATA,    /* the name exists, no records of the type */
  OKNO_DNS_TIMEOUT,   /* no answer within [dns] timeout_ms (or the server unreachable) */
  OKNO_DNS_SERVFAIL,  /* RCODE 2 */
  OKNO_DNS_TOOBIG,    /* the answer is over [dns] max_answer_size or max_answer_records */
  OKNO_DNS_ERROR,     /* REFUSED or another RCODE, a malformed answer */
} OknoDnsStatus;

/* Record types asked for (the DNS numbers). */
enum { OKNO_DNS_A = 1, OKNO_DNS_PTR = 12, OKNO_DNS_MX = 15, OKNO_DNS_TXT = 16, OKNO_DNS_AAAA = 28 };

typedef struct OknoDns OknoDns;

/* `server`: "" for the system resolver, else "host", "host:port", "[v6]:port".
 * `timeout_ms` bounds each query (one UDP try, then TCP if truncated). Answers larger
 * than `max_size` bytes or with more than `max_records` records give OKNO_DNS_TOOBIG.
 * NULL and OKNO_ERROR_USER when the server cannot be parsed or resolved. */
OknoDns *okno_dns_new(const char *server, gint64 timeout_ms, gsize max_size, guint max_records,
                      GError **error);
void okno_dns_free(OknoDns *dns);
/* Bounds the time of all further queries together: past `budget_ms` from now, every
 * query is OKNO_DNS_TIMEOUT without being sent, and each query waits at most what is
 * left. A hostile domain that answers slowly cannot hold a message for 10 mechanisms
 * times 10 names times the timeout. */
void okno_dns_set_budget(OknoDns *dns, gint64 budget_ms);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OknoDns, okno_dns_free)

/* Asks for records of `type` at `name` (absolute or not; a trailing dot is added).
 * On OKNO_DNS_OK `*records` (caller frees) holds one GBytes per record of that type in
 * the answer section (a CNAME chain is followed by the server): A the 4 address bytes,
 * AAAA the 16, TXT the character-strings concatenated (may hold any byte), MX the
 * exchange and PTR the target as a lowercase name without the final dot. Otherwise
 * `*records` is NULL. Never blocks longer than about twice the timeout. `dns` NULL:
 * OKNO_DNS_NXDOMAIN for every name, no query (tests and fuzzing). */
OknoDnsStatus okno_dns_query(OknoDns *dns, const char *name, int type, GPtrArray **records);

/* The process-wide cache's policy (defaults: 60 s, 32): call before the first query;
 * `negative_ttl_ms` 0 remembers no failure. */
void okno_dns_set_cache_policy(gint64 negative_ttl_ms, guint max_inflight);
/* Forgets every cached answer (tests). */
void okno_dns_cache_clear(void);

/* "ok", "nxdomain", "nodata", "timeout", "servfail", "too big", "error". */
const char *okno_dns_status_name(OknoDnsStatus st);
/* TRUE for the statuses that say nothing about the name (timeout, servfail, too big,
 * error): temperror for the callers. */
gboolean okno_dns_status_is_temporary(OknoDnsStatus st);
