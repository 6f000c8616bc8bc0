/* bench/intake/load.c: SMTP load generator for okno's intake, and its disk anchor.
 *
 * Load mode (--port): C threads, each with one blocking TCP connection to a running
 * `okno serve` (--port P1,P2,...: several nodes, client i connects to port i mod N, so
 * the clients are spread evenly over the nodes), send M messages between them (a shared atomic counter hands out
 * message numbers): greeting, EHLO once, then per message MAIL FROM, RCPT TO, DATA
 * and a ~10 KB appeal (unique sender, Message-ID and text, so no deduplication
 * kicks in), reusing the connection for the next MAIL (RSET after a refusal), QUIT at
 * the end. A message's latency runs from the last byte of its DATA ("." CRLF) to the
 * server's reply: the time okno takes to make the appeal durable and answer 250.
 * Prints one key=value line: accepted messages per second over the whole run, p50 and
 * p99 latency in milliseconds, and counts of refused and broken transactions.
 *
 * Sync mode (--sync-dir): the anchor. Appends 10 KB and calls fdatasync() in a loop
 * for --seconds on a scratch file in the given directory (the same file system as the
 * store) and prints syncs per second: the most durable single writes the disk allows,
 * which group commit lets okno exceed in appeals per second.
 *
 * Plain C and POSIX threads on purpose: the generator must cost far less CPU than the
 * server it measures. Every buffer is fixed-size; replies are capped at REPLY_MAX. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX 8192
#define MESSAGE_MAX 16384
#define SYNC_BLOCK 10240
#define PORTS_MAX 16

typedef struct {
  const char *host;
  int ports[PORTS_MAX];
  int nports;
  atomic_int next_client; /* hands each client thread its index, hence its port */
  int clients;
  long messages;
  long size;
  const char *rcpt;
  atomic_long next;
  atomic_long accepted, refused, broken;
  double *latency_ms; /* per message number; < 0 when not accepted */
} Load;

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int send_all(int fd, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads one (possibly multi-line) reply; returns its code, or -1 on I/O failure. */
static int read_reply(int fd, char *buf, size_t *have)
{
  for (;;) {
    /* a complete reply ends with a line "ddd " or "ddd\r\n" */
    size_t start = 0;
    for (size_t i = 0; i < *have; i++) {
      if (buf[i] != '\n')
        continue;
      size_t ll = i - start;
      char sep = ll > 3 ? buf[start + 3] : ' ';
      if (ll >= 3 && (sep == ' ' || sep == '\r')) {
        int code = (buf[start] - '0') * 100 + (buf[start + 1] - '0') * 10 + (buf[start + 2] - '0');
        memmove(buf, buf + i + 1, *have - i - 1);
        *have -= i + 1;
        return code;
      }
      start = i + 1;
    }
    if (*have >= REPLY_MAX)
      return -1;
    ssize_t r = recv(fd, buf + *have, REPLY_MAX - *have, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    *have += (size_t)r;
  }
}

static int command(int fd, const char *line, char *buf, size_t *have)
{
  if (line && send_all(fd, line, strlen(line)) < 0)
    return -1;
  return read_reply(fd, buf, have);
}

static int connect_to(Load *L)
{
  int port = L->ports[atomic_fetch_add(&L->next_client, 1) % L->nports];
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  struct timeval tv = {.tv_sec = 60};
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (inet_pton(AF_INET, L->host, &sa.sin_addr) != 1 ||
      connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* A ~size-byte appeal, unique per message number, dot-safe (no line starts with '.'). */
static size_t build_message(const Load *L, long n, char *out, size_t cap)
{
  static const char *const para =
    "Прошу разобраться: при подаче заявления на портале страница оплаты госпошлины "
    "выдаёт ошибку, платёж списан, а заявление осталось в черновиках.\r\n";
  int len = snprintf(out, cap,
                     "From: =?UTF-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <citizen%ld@example.ru>\r\n"
                     "To: %s\r\n"
                     "Subject: =?UTF-8?B?0J7RiNC40LHQutCwINC+0L/Qu9Cw0YLRiw==?= %ld\r\n"
                     "Message-ID: <bench-%ld-%ld@example.ru>\r\n"
                     "Date: Mon, 23 Nov 2026 12:00:00 +0300\r\n"
                     "MIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n"
                     "Content-Transfer-Encoding: 8bit\r\n"
                     "\r\n"
                     "Обращение номер %ld-%ld из нагрузочного теста.\r\n"
                     "Телефон для связи: +7 900 000-00-00.\r\n",
                     n, L->rcpt, n, (long)getpid(), n, (long)getpid(), n);
  size_t used = len > 0 ? (size_t)len : 0;
  size_t pl = strlen(para);
  while (used + pl + 1 < cap && used + pl <= (size_t)L->size) {
    memcpy(out + used, para, pl);
    used += pl;
  }
  return used;
}

static void *client_thread(void *arg)
{
  Load *L = arg;
  static _Thread_local char buf[REPLY_MAX];
  static _Thread_local char msg[MESSAGE_MAX];
  char line[512];
  size_t have = 0;
  int fd = connect_to(L);
  if (fd < 0 || command(fd, NULL, buf, &have) != 220 ||
      command(fd, "EHLO bench.example\r\n", buf, &have) != 250) {
    if (fd >= 0)
      close(fd);
    /* count what this client would have sent as broken: claim nothing */
    atomic_fetch_add(&L->broken, 1);
    return NULL;
  }
  for (;;) {
    long n = atomic_fetch_add(&L->next, 1);
    if (n >= L->messages)
      break;
    snprintf(line, sizeof line, "MAIL FROM:<citizen%ld@example.ru>\r\n", n);
    int c = command(fd, line, buf, &have);
    if (c == 250) {
      snprintf(line, sizeof line, "RCPT TO:<%s>\r\n", L->rcpt);
      c = command(fd, line, buf, &have);
    }
    if (c == 250)
      c = command(fd, "DATA\r\n", buf, &have);
    if (c == 354) {
      size_t len = build_message(L, n, msg, sizeof msg - 8);
      memcpy(msg + len, ".\r\n", 3);
      if (send_all(fd, msg, len + 3) < 0) {
        c = -1;
      } else {
        double t0 = now_s();
        c = read_reply(fd, buf, &have);
        if (c == 250)
          L->latency_ms[n] = (now_s() - t0) * 1000.0;
      }
    }
    if (c == 250) {
      atomic_fetch_add(&L->accepted, 1);
    } else if (c < 0) {
      atomic_fetch_add(&L->broken, 1);
      break;
    } else {
      atomic_fetch_add(&L->refused, 1);
      if (command(fd, "RSET\r\n", buf, &have) != 250)
        break;
    }
  }
  command(fd, "QUIT\r\n", buf, &have);
  close(fd);
  return NULL;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, long n, double p)
{
  if (n == 0)
    return 0;
  long i = (long)(p * (double)(n - 1) + 0.5);
  return sorted[i];
}

static int run_load(Load *L)
{
  L->latency_ms = malloc(sizeof(double) * (size_t)L->messages);
  pthread_t *th = calloc((size_t)L->clients, sizeof *th);
  if (!L->latency_ms || !th)
    return 2;
  for (long i = 0; i < L->messages; i++)
    L->latency_ms[i] = -1;
  double t0 = now_s();
  for (int i = 0; i < L->clients; i++)
    if (pthread_create(&th[i], NULL, client_thread, L) != 0)
      return 2;
  for (int i = 0; i < L->clients; i++)
    pthread_join(th[i], NULL);
  double took = now_s() - t0;

  long n = 0;
  for (long i = 0; i < L->messages; i++)
    if (L->latency_ms[i] >= 0)
      L->latency_ms[n++] = L->latency_ms[i];
  qsort(L->latency_ms, (size_t)n, sizeof(double), cmp_double);
  long accepted = atomic_load(&L->accepted);
  printf("clients=%d messages=%ld accepted=%ld refused=%ld broken=%ld seconds=%.3f "
         "rate=%.1f p50_ms=%.2f p99_ms=%.2f\n",
         L->clients, L->messages, accepted, atomic_load(&L->refused),
         atomic_load(&L->broken), took, took > 0 ? (double)accepted / took : 0.0,
         percentile(L->latency_ms, n, 0.50), percentile(L->latency_ms, n, 0.99));
  free(L->latency_ms);
  free(th);
  return accepted == L->messages ? 0 : 1;
}

static int run_sync(const char *dir, double seconds)
{
  char path[4096];
  static char block[SYNC_BLOCK];
  snprintf(path, sizeof path, "%s/okno-bench-sync.%ld", dir, (long)getpid());
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    fprintf(stderr, "bench_intake: %s: %s\n", path, strerror(errno));
    return 2;
  }
  memset(block, 'x', sizeof block);
  long syncs = 0;
  double t0 = now_s(), took;
  do {
    if (write(fd, block, sizeof block) != (ssize_t)sizeof block || fdatasync(fd) != 0) {
      fprintf(stderr, "bench_intake: %s: %s\n", path, strerror(errno));
      close(fd);
      unlink(path);
      return 2;
    }
    syncs++;
    took = now_s() - t0;
  } while (took < seconds);
  close(fd);
  unlink(path);
  printf("syncs=%ld seconds=%.3f rate=%.1f\n", syncs, took, (double)syncs / took);
  return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

/* "P1,P2,...": up to PORTS_MAX TCP ports into L->ports. */
static int parse_ports(const char *s, Load *L)
{
  char one[16];
  L->nports = 0;
  while (*s) {
    size_t n = strcspn(s, ",");
    long port;
    if (n == 0 || n >= sizeof one || L->nports == PORTS_MAX)
      return -1;
    memcpy(one, s, n);
    one[n] = '\0';
    if (parse_long(one, 1, 65535, &port) < 0)
      return -1;
    L->ports[L->nports++] = (int)port;
    s += n + (s[n] == ',');
  }
  return L->nports > 0 ? 0 : -1;
}

static void usage(void)
{
  fprintf(stderr,
          "usage: bench_intake --port P[,P...] [--host 127.0.0.1] [--clients C] [--messages M]\n"
          "                    [--size BYTES] [--rcpt ADDR]\n"
          "       bench_intake --sync-dir DIR [--seconds S]\n");
}

int main(int argc, char **argv)
{
  Load L = {.host = "127.0.0.1", .clients = 64, .messages = 2000, .size = 10240,
            .rcpt = "support@portal.example"};
  const char *sync_dir = NULL;
  long seconds = 2, clients = L.clients;
  for (int i = 1; i < argc; i += 2) { /* "--option value" pairs */
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    if (!v) {
      usage();
      return 2;
    }
    if (strcmp(argv[i], "--host") == 0)
      L.host = v;
    else if (strcmp(argv[i], "--port") == 0)
      bad = parse_ports(v, &L);
    else if (strcmp(argv[i], "--clients") == 0)
      bad = parse_long(v, 1, 4096, &clients);
    else if (strcmp(argv[i], "--messages") == 0)
      bad = parse_long(v, 1, 10000000, &L.messages);
    else if (strcmp(argv[i], "--size") == 0)
      bad = parse_long(v, 200, MESSAGE_MAX - 1024, &L.size);
    else if (strcmp(argv[i], "--rcpt") == 0)
      L.rcpt = v;
    else if (strcmp(argv[i], "--sync-dir") == 0)
      sync_dir = v;
    else if (strcmp(argv[i], "--seconds") == 0)
      bad = parse_long(v, 1, 600, &seconds);
    else
      bad = 1;
    if (bad) {
      usage();
      return 2;
    }
  }
  if (sync_dir)
    return run_sync(sync_dir, (double)seconds);
  if (!L.nports) {
    usage();
    return 2;
  }
  L.clients = (int)clients;
  return run_load(&L);
}
