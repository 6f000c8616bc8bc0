/* load.c: HTTP/1.1 load generator for bench/http/run.
 *
 *   bench_http PORT CLIENTS SECONDS static|status [NUMBERS_FILE]
 *
 * CLIENTS threads, one connection each (a new one whenever the server answers
 * Connection: close; the connect is not in the latency but is in the rate), send requests in a
 * closed loop for SECONDS:
 * `static` GETs /static/okno.css; `status` POSTs /api/v1/status with the JSON body
 * {"number": N, "email": E} for the lines "N E" of NUMBERS_FILE taken in turn (each
 * thread starts at its own offset). Every answer must be 200 (a 404 or 429 is counted
 * as an error and makes the run fail). Prints one line:
 *   <requests/s> <p50 ms> <p99 ms> <requests> <errors>
 * Buffers are fixed-size: a response head is at most HEAD_MAX bytes, a body BODY_MAX. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 8192
#define BODY_MAX (256 * 1024)
#define MAX_LAT 4000000

typedef struct {
  int port, id;
  double seconds;
  int status_mode;
  char **numbers; /* "N E" lines */
  size_t nnumbers;
  double *lat;    /* milliseconds, per request */
  size_t nlat, cap;
  long errors;
} Worker;

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_to(int port)
{
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads one response; returns its status code, or -1. *close is set when the server
 * said Connection: close. */
static int read_response(int fd, char *buf, size_t cap, int *close_after)
{
  size_t have = 0;
  char *end = NULL, *cl;
  long status, length = 0;
  while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
    ssize_t r;
    if (have >= HEAD_MAX)
      return -1;
    r = read(fd, buf + have, HEAD_MAX - have);
    if (r <= 0)
      return -1;
    have += (size_t)r;
  }
  buf[end - buf] = '\0';
  if (strncmp(buf, "HTTP/1.1 ", 9) != 0)
    return -1;
  status = strtol(buf + 9, NULL, 10);
  *close_after = strcasestr(buf, "\r\nConnection: close") != NULL;
  cl = strcasestr(buf, "\r\nContent-Length:");
  if (cl)
    length = strtol(cl + 17, NULL, 10);
  if (length < 0 || length > BODY_MAX)
    return -1;
  {
    size_t body_have = have - (size_t)(end + 4 - buf);
    memmove(buf, end + 4, body_have);
    while ((long)body_have < length) {
      ssize_t r = read(fd, buf + body_have, cap - body_have);
      if (r <= 0)
        return -1;
      body_have += (size_t)r;
    }
  }
  return (int)status;
}

static void *run(void *arg)
{
  Worker *w = arg;
  char *buf = malloc(HEAD_MAX + BODY_MAX);
  char req[1024];
  size_t next = (size_t)w->id * 7919;
  double stop = now_s() + w->seconds;
  int fd = connect_to(w->port);
  if (fd < 0 || !buf) {
    w->errors++;
    free(buf);
    return NULL;
  }
  while (now_s() < stop) {
    int n, status, close_after = 0;
    double t0;
    if (w->status_mode) {
      char number[64] = "", email[192] = "", body[320];
      const char *line = w->numbers[next++ % w->nnumbers];
      if (sscanf(line, "%63s %191s", number, email) != 2)
        break;
      n = snprintf(body, sizeof body, "{\"number\":\"%s\",\"email\":\"%s\"}", number, email);
      n = snprintf(req, sizeof req,
                   "POST /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                   n, body);
    } else {
      n = snprintf(req, sizeof req, "GET /static/okno.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    }
    t0 = now_s();
    if (send_all(fd, req, (size_t)n) != 0 ||
        (status = read_response(fd, buf, HEAD_MAX + BODY_MAX, &close_after)) < 0) {
      w->errors++;
      close(fd);
      if ((fd = connect_to(w->port)) < 0) {
        free(buf);
        return NULL;
      }
      continue;
    }
    if (status != 200 && w->errors++ == 0)
      fprintf(stderr, "bench_http: answer %d: %.200s\n", status, buf);
    if (close_after) { /* the next request on a new connection */
      close(fd);
      if ((fd = connect_to(w->port)) < 0) {
        free(buf);
        return NULL;
      }
    }
    if (w->nlat == w->cap) {
      w->cap = w->cap ? w->cap * 2 : 4096;
      w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
    }
    w->lat[w->nlat++] = (now_s() - t0) * 1000;
  }
  close(fd);
  free(buf);
  return NULL;
}

static int cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
  int port, clients;
  double seconds, t0, elapsed;
  Worker *ws;
  pthread_t *th;
  char **numbers = NULL;
  size_t nnumbers = 0, total = 0, k = 0;
  long errors = 0;
  double *all;
  if (argc < 5) {
    fprintf(stderr, "usage: bench_http PORT CLIENTS SECONDS static|status [NUMBERS_FILE]\n");
    return 2;
  }
  port = (int)strtol(argv[1], NULL, 10);
  clients = (int)strtol(argv[2], NULL, 10);
  seconds = strtod(argv[3], NULL);
  if (strcmp(argv[4], "status") == 0) {
    char line[256];
    FILE *f = argc > 5 ? fopen(argv[5], "r") : NULL;
    if (!f) {
      fprintf(stderr, "bench_http: status needs a readable NUMBERS_FILE\n");
      return 2;
    }
    while (fgets(line, sizeof line, f)) {
      numbers = realloc(numbers, (nnumbers + 1) * sizeof *numbers);
      numbers[nnumbers++] = strdup(line);
    }
    fclose(f);
  }
  if (clients < 1 || clients > 256 || port <= 0 || seconds <= 0) {
    fprintf(stderr, "bench_http: bad arguments\n");
    return 2;
  }
  ws = calloc((size_t)clients, sizeof *ws);
  th = calloc((size_t)clients, sizeof *th);
  t0 = now_s();
  for (int i = 0; i < clients; i++) {
    ws[i] = (Worker){.port = port, .id = i, .seconds = seconds,
                     .status_mode = numbers != NULL, .numbers = numbers, .nnumbers = nnumbers};
    pthread_create(&th[i], NULL, run, &ws[i]);
  }
  for (int i = 0; i < clients; i++) {
    pthread_join(th[i], NULL);
    total += ws[i].nlat;
    errors += ws[i].errors;
  }
  elapsed = now_s() - t0;
  all = malloc((total ? total : 1) * sizeof *all);
  for (int i = 0; i < clients; i++) {
    memcpy(all + k, ws[i].lat, ws[i].nlat * sizeof *all);
    k += ws[i].nlat;
    free(ws[i].lat);
  }
  qsort(all, total, sizeof *all, cmp);
  printf("%.0f %.2f %.2f %zu %ld\n", (double)total / elapsed, total ? all[total / 2] : 0.0,
         total ? all[(size_t)((double)total * 0.99)] : 0.0, total, errors);
  for (size_t i = 0; i < nnumbers; i++)
    free(numbers[i]);
  free(numbers);
  free(all);
  free(ws);
  free(th);
  return errors ? 1 : 0;
}
