/* test_dns.c: the DNS client's process-wide cache (mail/dns.h) against a local UDP
 * socket that never answers (a dead resolver), counting the queries that reach it: a
 * timeout is remembered for the negative TTL (one query per name, not per lookup),
 * concurrent lookups of one name share one query, the remembered failure expires, and
 * no more than max_inflight queries are out at once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mail/dns.h"

typedef struct {
  int fd;
  char server[64];
} Silent;

/* A UDP socket on loopback that reads nothing until asked (so queries pile up). */
static void silent_open(Silent *s)
{
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  assert_true(s->fd >= 0);
  assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
  g_snprintf(s->server, sizeof s->server, "127.0.0.1:%u", ntohs(a.sin_port));
}

/* The queries that arrived since the last call. */
static guint silent_drain(Silent *s)
{
  char buf[4096];
  guint n = 0;
  while (recv(s->fd, buf, sizeof buf, 0) > 0)
    n++;
  return n;
}

/* One lookup through a fresh client, as each message check makes its own (libldns
 * stops asking a server that timed out once for the rest of a client's life). */
static OknoDnsStatus ask_type(const char *server, gint64 timeout_ms, const char *name, int type)
{
  g_autoptr(GPtrArray) recs = NULL;
  g_autoptr(OknoDns) dns = okno_dns_new(server, timeout_ms, 4096, 10, NULL);
  return okno_dns_query(dns, name, type, &recs);
}

static OknoDnsStatus ask(const char *server, gint64 timeout_ms, const char *name)
{
  return ask_type(server, timeout_ms, name, OKNO_DNS_TXT);
}

/* A fresh silent server and an empty cache with this policy; one lookup of `name`
 * (a timeout); returns the queries one lookup sends. */
static guint fresh_start(Silent *s, guint max_inflight, gint64 timeout_ms, const char *name)
{
  guint n;
  silent_open(s);
  okno_dns_cache_clear();
  okno_dns_set_cache_policy(60000, max_inflight);
  assert_int_equal(ask(s->server, timeout_ms, name), OKNO_DNS_TIMEOUT);
  n = silent_drain(s);
  assert_true(n >= 1);
  return n;
}

static void a_dead_resolver_costs_one_query_per_name_per_ttl(void **state)
{
  Silent s;
  guint first = fresh_start(&s, 32, 100, "down.example");
  /* the same name again, in any case, with or without the final dot: not asked */
  for (int i = 0; i < 5; i++)
    assert_int_equal(ask(s.server, 100, i % 2 ? "DOWN.example." : "down.example"),
                     OKNO_DNS_TIMEOUT);
  assert_int_equal(silent_drain(&s), 0);
  /* another name, or another type, is its own question */
  assert_int_equal(ask(s.server, 100, "other.example"), OKNO_DNS_TIMEOUT);
  assert_int_equal(silent_drain(&s), first);
  assert_int_equal(ask_type(s.server, 100, "down.example", OKNO_DNS_MX), OKNO_DNS_TIMEOUT);
  assert_int_equal(silent_drain(&s), first);
  /* a budget spent says nothing about the name: not remembered */
  {
    g_autoptr(OknoDns) dns = okno_dns_new(s.server, 100, 4096, 10, NULL);
    g_autoptr(GPtrArray) recs = NULL;
    okno_dns_set_budget(dns, 0);
    assert_int_equal(okno_dns_query(dns, "budget.example", OKNO_DNS_TXT, &recs),
                     OKNO_DNS_TIMEOUT);
  }
  assert_int_equal(silent_drain(&s), 0);
  assert_int_equal(ask(s.server, 100, "budget.example"), OKNO_DNS_TIMEOUT);
  assert_int_equal(silent_drain(&s), first);
  close(s.fd);
}

static void the_failure_is_forgotten_after_the_negative_ttl(void **state)
{
  Silent s;
  silent_open(&s);
  okno_dns_cache_clear();
  okno_dns_set_cache_policy(200, 32);
  assert_int_equal(ask(s.server, 50, "flaky.example"), OKNO_DNS_TIMEOUT);
  assert_true(silent_drain(&s) >= 1);
  g_usleep(300 * 1000);
  assert_int_equal(ask(s.server, 50, "flaky.example"), OKNO_DNS_TIMEOUT);
  assert_true(silent_drain(&s) >= 1);
  okno_dns_set_cache_policy(60000, 32);
  close(s.fd);
}

typedef struct {
  const char *server;
  const char *name;
  OknoDnsStatus status;
} Job;

static gpointer run_job(gpointer data)
{
  Job *j = data;
  j->status = ask(j->server, 300, j->name);
  return NULL;
}

static void concurrent_lookups_of_one_name_share_one_query(void **state)
{
  Silent s;
  Job jobs[8];
  GThread *t[8];
  guint one = fresh_start(&s, 32, 300, "single.example");
  for (int i = 0; i < 8; i++) {
    jobs[i] = (Job){s.server, "shared.example", OKNO_DNS_OK};
    t[i] = g_thread_new("dns", run_job, &jobs[i]);
  }
  for (int i = 0; i < 8; i++) {
    g_thread_join(t[i]);
    assert_int_equal(jobs[i].status, OKNO_DNS_TIMEOUT);
  }
  assert_int_equal(silent_drain(&s), one);
  close(s.fd);
}

static void no_more_than_max_inflight_queries_at_once(void **state)
{
  Silent s;
  Job jobs[4];
  GThread *t[4];
  static const char *const names[] = {"a.example", "b.example", "c.example", "d.example"};
  guint one = fresh_start(&s, 1, 300, "alone.example"), early;
  for (int i = 0; i < 4; i++) {
    jobs[i] = (Job){s.server, names[i], OKNO_DNS_OK};
    t[i] = g_thread_new("dns", run_job, &jobs[i]);
  }
  g_usleep(150 * 1000); /* within the first query's 300 ms: the others wait for its slot */
  early = silent_drain(&s);
  assert_true(early <= one);
  for (int i = 0; i < 4; i++) {
    g_thread_join(t[i]);
    assert_int_equal(jobs[i].status, OKNO_DNS_TIMEOUT);
  }
  okno_dns_set_cache_policy(60000, 32);
  close(s.fd);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(a_dead_resolver_costs_one_query_per_name_per_ttl),
    cmocka_unit_test(the_failure_is_forgotten_after_the_negative_ttl),
    cmocka_unit_test(concurrent_lookups_of_one_name_share_one_query),
    cmocka_unit_test(no_more_than_max_inflight_queries_at_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
