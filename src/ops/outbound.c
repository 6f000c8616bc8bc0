/* outbound.c: delivers the outbound queue through a maildir or an SMTP relay.
 *
 * How it works: a pass (okno_outbound_run_once) claims due jobs from the store in
 * batches under a lease, hands each to the transport, and then records the batch's
 * outcomes, each with its event on the appeal, in one transaction (one sync per batch
 * rather than per job, so the queue keeps up with a busy intake sharing the store):
 *  - maildir:PATH: PATH/{tmp,new,cur} are created when missing; the message's bytes go
 *    unchanged to tmp/NAME, which is fsynced and renamed to new/NAME; new/ itself is
 *    fsynced once per batch, before any of its jobs is recorded as sent.
 *    NAME is "okno.PREFIX.JOBID", PREFIX the store's instance id (table meta): stable
 *    for one store (so a job delivered twice, after a crash between the rename and the store's
 *    commit, replaces its own file) and different for two stores sharing a maildir.
 *    Any failure is temporary (a full disk frees up; a permission gets fixed).
 *  - smtp://HOST:PORT: mail/smtp_client.h; its outcome is already classified.
 * Temporary failures are retried after retry_min_seconds, doubling per attempt up to
 * retry_max_seconds, until give_up_after_seconds have passed since the job was
 * created; then, like permanent failures, the job fails with its last reason.
 * Recipients appear in logs and reasons only as okno_pii() tags.
 *
 * Writes: each transaction (a batch's claim, then its outcomes) runs on the module's
 * own connection, or, after okno_outbound_use_committer (okno serve on SQLite), as a
 * job of the intake's group-commit writer, waited for (write_txn). What does not need
 * the transaction is done before it, on this module's thread and connection: each
 * outcome's event is prepared (its detail JSON, sealed, its journal digest, the
 * appeal's number: store/events.h okno_store_event_prepare), so the writer's one thread
 * only runs the UPDATEs (the jobs sent: one statement) and the events' INSERTs.
 * Threading: the store connection is the module's own; pass_lock makes passes one at
 * a time, whoever runs them. okno_outbound_start() runs passes on a worker thread
 * (worker.h), waking on okno_outbound_wake() or every POLL_INTERVAL;
 * okno_outbound_free() stops it (after the delivery in progress) and joins it. All
 * times come from okno_now(). */
#include "ops/outbound.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "mail/smtp_client.h"
#include "ops/messenger.h"
#include "ops/worker.h"
#include "store/db.h"
#include "store/events.h"
#include "store/outbound.h"
#include "store/store.h"

#define CLAIM_BATCH 32
#define CLAIM_LEASE (10 * 60 * G_USEC_PER_SEC) /* longer than any one delivery */
#define POLL_INTERVAL (5 * G_USEC_PER_SEC)
#define SMTP_TIMEOUT_SECONDS 60

typedef enum { TRANSPORT_MAILDIR, TRANSPORT_SMTP } TransportKind;
static const char *const transport_names[] = {"maildir", "smtp"};

struct OknoOutbound {
  OknoStore *store;
  TransportKind kind;
  char *target;      /* maildir directory, or the relay's host:port */
  char *helo_name;
  char *name_prefix; /* maildir file names */
  char *owner;       /* this node's name on the leases it takes */
  gint64 retry_min, retry_max, give_up; /* microseconds */

  GMutex pass_lock;
  OknoCommitter *committer; /* SQLite: writes through the intake's writer; else NULL */
  OknoWorker *worker; /* NULL until okno_outbound_start */
  OknoMessenger *messenger; /* Telegram and SMS jobs; NULL when neither is configured */
};

OknoOutbound *okno_outbound_new(const OknoConfig *cfg, GError **error)
{
  OknoStore *st = okno_store_open(cfg->store_url, error);
  if (!st)
    return NULL;
  OknoOutbound *ob = g_new0(OknoOutbound, 1);
  ob->store = st;
  /* PostgreSQL: the queue's statements are the same for every mail (its lease, the
   * message's bytes, the appeal's number, the outcome): named (db.h), so the server
   * parses them once and plans them once the plan cache keeps a generic plan; planning
   * a read of `appeals`, with its 28 indexes, cost more than running it
   * (docs/postgresql.md). */
  okno_db_set_preparing(okno_store_db(st), TRUE);
  /* ... and its transactions pipelined (db.h): their BEGIN, the outcomes' UPDATEs and
   * the events' INSERTs (their ids reserved ahead, store/ids.h) go out without waiting,
   * answered with the COMMIT; a batch's transaction fails as a whole anyway
   * (write_txn). On SQLite (through the writer) nothing. */
  okno_db_set_pipelining(okno_store_db(st), TRUE);
  g_mutex_init(&ob->pass_lock);
  if (g_str_has_prefix(cfg->outbound_transport, "smtp://")) {
    ob->kind = TRANSPORT_SMTP;
    ob->target = g_strdup(cfg->outbound_transport + strlen("smtp://"));
    g_strdelimit(ob->target, "/", '\0'); /* smtp://host:port/ */
  } else {
    ob->kind = TRANSPORT_MAILDIR;
    ob->target = g_strdup(cfg->outbound_transport + strlen("maildir:"));
  }
  ob->helo_name = g_strdup(cfg->hostname);
  /* Stable across restarts of one node, distinct between nodes on one machine. */
  ob->owner = g_strdup_printf("%s/%s/%s", g_get_host_name(), cfg->smtp_listen, cfg->lmtp_listen);
  if (!okno_store_instance_id(st, &ob->name_prefix, error)) {
    okno_outbound_free(ob);
    return NULL;
  }
  ob->retry_min = cfg->retry_min_seconds * G_USEC_PER_SEC;
  ob->retry_max = MAX(cfg->retry_max_seconds, cfg->retry_min_seconds) * G_USEC_PER_SEC;
  ob->give_up = cfg->give_up_after_seconds * G_USEC_PER_SEC;
  {
    GError *e = NULL;
    ob->messenger = okno_messenger_new(cfg, ob->owner, &e);
    if (e) {
      g_propagate_error(error, e);
      okno_outbound_free(ob);
      return NULL;
    }
  }
  return ob;
}

void okno_outbound_free(OknoOutbound *ob)
{
  if (!ob)
    return;
  g_clear_pointer(&ob->worker, okno_worker_stop); /* the pass in progress ends first */
  g_clear_pointer(&ob->messenger, okno_messenger_free);
  g_clear_pointer(&ob->store, okno_store_close);
  g_free(ob->target);
  g_free(ob->helo_name);
  g_free(ob->owner);
  g_free(ob->name_prefix);
  g_mutex_clear(&ob->pass_lock);
  g_free(ob);
}

/* ---- maildir ---- */

static gboolean sync_dir(const char *path, GError **error)
{
  int fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "sync %s: %s", path, g_strerror(e));
    return FALSE;
  }
  close(fd);
  return TRUE;
}

/* A job's file name in the maildir (the comment at the top). */
static char *maildir_name(const char *prefix, gint64 job_id)
{
  return g_strdup_printf("okno.%s.%" G_GINT64_FORMAT, prefix, job_id);
}

guint okno_outbound_maildir_remove(const OknoConfig *cfg, const char *instance, gint64 job_id)
{
  static const char *const subdirs[] = {"new", "cur", "tmp"};
  g_autofree char *name = NULL;
  const char *target;
  guint removed = 0;
  if (!g_str_has_prefix(cfg->outbound_transport, "maildir:"))
    return 0;
  target = cfg->outbound_transport + strlen("maildir:");
  name = maildir_name(instance, job_id);
  for (guint i = 0; i < G_N_ELEMENTS(subdirs); i++) {
    g_autofree char *dir = g_build_filename(target, subdirs[i], NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *f;
    while (d && (f = g_dir_read_name(d))) {
      size_t n = strlen(name);
      g_autofree char *path = NULL;
      /* the name itself, or with maildir info ("NAME:2,S") */
      if (strncmp(f, name, n) != 0 || (f[n] != '\0' && f[n] != ':'))
        continue;
      path = g_build_filename(dir, f, NULL);
      if (g_unlink(path) == 0)
        removed++;
      else
        okno_log_warn("outbound", "event=remove_failed job=%" G_GINT64_FORMAT " error=\"%s\"",
                      job_id, g_strerror(errno));
    }
  }
  return removed;
}

/* Creates the maildir's tmp, new and cur where missing. */
static gboolean maildir_dirs(OknoOutbound *ob, GError **error)
{
  static const char *const subdirs[] = {"tmp", "new", "cur"};
  for (guint i = 0; i < G_N_ELEMENTS(subdirs); i++) {
    g_autofree char *d = g_build_filename(ob->target, subdirs[i], NULL);
    if (g_mkdir_with_parents(d, 0700) != 0) {
      int e = errno;
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "mkdir %s: %s", d, g_strerror(e));
      return FALSE;
    }
  }
  return TRUE;
}

/* One job's file: written in tmp/, synced, renamed into new/ (the directories made
 * when an open or the rename finds one missing, not asked for at every file). */
static gboolean maildir_write(OknoOutbound *ob, const OknoOutboundJob *job, GError **error)
{
  g_autofree char *name = maildir_name(ob->name_prefix, job->id);
  g_autofree char *tmp = g_build_filename(ob->target, "tmp", name, NULL);
  g_autofree char *new_dir = g_build_filename(ob->target, "new", NULL);
  g_autofree char *dest = g_build_filename(new_dir, name, NULL);

  gsize len;
  const char *p = g_bytes_get_data(job->raw, &len);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
    if (!maildir_dirs(ob, error))
      return FALSE;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  if (fd < 0) {
    int e = errno;
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "open %s: %s", tmp, g_strerror(e));
    return FALSE;
  }
  gsize off = 0;
  int e = 0;
  while (off < len && !e) {
    ssize_t w = write(fd, p + off, len - off);
    if (w > 0)
      off += (gsize)w;
    else if (w < 0 && errno != EINTR)
      e = errno;
  }
  if (!e && fsync(fd) != 0)
    e = errno;
  if (close(fd) != 0 && !e)
    e = errno;
  if (!e && rename(tmp, dest) != 0) {
    e = errno;
    if (e == ENOENT && maildir_dirs(ob, NULL) && rename(tmp, dest) == 0)
      e = 0;
  }
  if (e) {
    unlink(tmp);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_TEMP, "write %s: %s", tmp, g_strerror(e));
    return FALSE;
  }
  return TRUE;
}

/* ---- one job ---- */

/* `text` with every occurrence of `secret` (ASCII case-insensitive) as a pii tag. */
static char *redact(const char *text, const char *secret)
{
  if (!secret || !*secret)
    return g_strdup(text);
  char tag[OKNO_PII_BUF];
  okno_pii(secret, tag);
  g_autofree char *lt = g_ascii_strdown(text, -1);
  g_autofree char *ls = g_ascii_strdown(secret, -1);
  gsize sl = strlen(ls);
  GString *out = g_string_new(NULL);
  const char *from = lt;
  for (const char *hit; (hit = strstr(from, ls)); from = hit + sl) {
    g_string_append_len(out, text + (from - lt), hit - from);
    g_string_append(out, tag);
  }
  g_string_append(out, text + (from - lt));
  return g_string_free(out, FALSE);
}

static gint64 backoff(const OknoOutbound *ob, gint64 attempts)
{
  gint64 delay = ob->retry_min;
  for (gint64 i = 1; i < attempts && delay < ob->retry_max; i++)
    delay *= 2;
  return MIN(delay, ob->retry_max);
}

/* One job's delivery, decided before it is recorded. */
typedef struct {
  OknoSmtpOutcome outcome;
  char *reason;     /* redacted; "" when sent */
  const char *kind; /* the event, set when recorded */
  gint64 next;      /* next attempt, 0 when finished */
  OknoEventPrepared event; /* the event on the appeal, prepared (when appeal_id) */
  gboolean prepared;
} Delivery;

static void deliver(OknoOutbound *ob, const OknoOutboundJob *job, Delivery *d)
{
  OknoSmtpResult r = {0};
  if (ob->kind == TRANSPORT_SMTP) {
    OknoSmtpTarget t = {.relay = ob->target, .helo_name = ob->helo_name,
                        .timeout_seconds = SMTP_TIMEOUT_SECONDS};
    okno_smtp_send(&t, job->env_from, job->env_to, job->raw, &r);
  } else {
    g_autoptr(GError) err = NULL;
    if (maildir_write(ob, job, &err)) {
      r.outcome = OKNO_SMTP_SENT;
    } else {
      r.outcome = OKNO_SMTP_TEMP;
      r.reply = g_strdup_printf("maildir: %s", err->message);
    }
  }
  d->outcome = r.outcome;
  d->reason = redact(r.outcome == OKNO_SMTP_SENT || !r.reply ? "" : r.reply, job->env_to);
  okno_smtp_result_clear(&r);
}

static char *event_detail(OknoOutbound *ob, const OknoOutboundJob *job, const Delivery *d)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "message_id");
  json_builder_add_string_value(b, job->message_id ? job->message_id : "");
  json_builder_set_member_name(b, "transport");
  json_builder_add_string_value(b, transport_names[ob->kind]);
  json_builder_set_member_name(b, "attempt");
  json_builder_add_int_value(b, job->attempts);
  if (d->outcome != OKNO_SMTP_SENT) {
    json_builder_set_member_name(b, "reason");
    json_builder_add_string_value(b, d->reason);
  }
  if (d->next) {
    g_autofree char *next_text = okno_time_format_utc(d->next);
    json_builder_set_member_name(b, "next_attempt");
    json_builder_add_string_value(b, next_text);
  }
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return json_to_string(root, FALSE);
}

/* Decides each delivery's event, next attempt and recorded reason at `now`, before
 * anything is written: the writing below may run twice (a writer's group run again,
 * store/commit.h), and must find the same decisions each time. */
static void decide(OknoOutbound *ob, GPtrArray *jobs, Delivery *ds, gint64 now)
{
  for (guint i = 0; i < jobs->len; i++) {
    const OknoOutboundJob *job = jobs->pdata[i];
    Delivery *d = &ds[i];
    if (d->outcome == OKNO_SMTP_SENT) {
      d->kind = "outbound_sent";
    } else if (d->outcome == OKNO_SMTP_TEMP && now - job->created_at < ob->give_up) {
      d->kind = "outbound_deferred";
      d->next = now + backoff(ob, job->attempts);
    } else {
      d->kind = "outbound_failed";
      if (d->outcome == OKNO_SMTP_TEMP) {
        char *why = g_strdup_printf("gave up after %" G_GINT64_FORMAT " attempts: %s",
                                    job->attempts, d->reason);
        g_free(d->reason);
        d->reason = why;
      }
    }
  }
}

/* Prepares each decided delivery's event on the module's own connection, before the
 * writing below (which, through the group-commit writer, runs on the one thread every
 * registration passes through): its detail JSON, sealed, its journal digest and the
 * appeal's number (store/events.h), so that the writing only INSERTs. Mail of no
 * appeal (a notice to staff, a check@ verdict, a cabinet's sign-in code) has no event.
 * FALSE when the store failed. */
static gboolean prepare_events(OknoOutbound *ob, GPtrArray *jobs, Delivery *ds,
                               GError **error)
{
  for (guint i = 0; i < jobs->len; i++) {
    const OknoOutboundJob *job = jobs->pdata[i];
    g_autofree char *detail = NULL;
    if (job->appeal_id == 0)
      continue;
    detail = event_detail(ob, job, &ds[i]);
    if (!okno_store_event_prepare(ob->store, job->appeal_id, job->number, ds[i].kind, detail,
                                  &ds[i].event, error))
      return FALSE;
    ds[i].prepared = TRUE;
  }
  return TRUE;
}

/* A batch's decided outcomes and their prepared events, written on `st` inside a
 * transaction that the caller begins and commits: the jobs sent in one statement, the
 * others one each, then the events. */
typedef struct {
  GPtrArray *jobs;
  const Delivery *ds;
  gint64 now;
} Outcomes;

static gboolean write_outcomes(OknoStore *st, gpointer data, GError **error)
{
  const Outcomes *o = data;
  g_autoptr(GArray) sent = g_array_sized_new(FALSE, FALSE, sizeof(gint64), o->jobs->len);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < o->jobs->len; i++) {
    const OknoOutboundJob *job = o->jobs->pdata[i];
    const Delivery *d = &o->ds[i];
    if (d->outcome == OKNO_SMTP_SENT)
      g_array_append_val(sent, job->id);
    else
      ok = d->next ? okno_store_outbound_retry(st, job->id, d->next, d->reason, error)
                   : okno_store_outbound_failed(st, job->id, d->reason, error);
  }
  ok = ok && okno_store_outbound_sent_many(st, (const gint64 *)(gpointer)sent->data, sent->len,
                                           o->now, error);
  for (guint i = 0; ok && i < o->jobs->len; i++)
    if (o->ds[i].prepared)
      ok = okno_store_event_add_prepared(st, &o->ds[i].event, error);
  return ok;
}

/* Runs `work` in one transaction: in a group of the writer when the module has one,
 * else on its own connection. FALSE (nothing of it kept) when the store failed. */
static gboolean write_txn(OknoOutbound *ob, OknoCommitWork work, gpointer data, GError **error)
{
  if (ob->committer)
    return okno_committer_run(ob->committer, work, data, error);
  if (!okno_store_begin(ob->store, error))
    return FALSE;
  if (!work(ob->store, data, error) || !okno_store_commit(ob->store, error)) {
    okno_store_rollback(ob->store);
    return FALSE;
  }
  return TRUE;
}

/* Records a batch's outcomes and events in one transaction (one sync for the batch),
 * then logs them. FALSE when the store failed. */
static gboolean record(OknoOutbound *ob, GPtrArray *jobs, Delivery *ds, gint64 *finished,
                       GError **error)
{
  Outcomes o = {jobs, ds, okno_now()};
  decide(ob, jobs, ds, o.now);
  if (!prepare_events(ob, jobs, ds, error) || !write_txn(ob, write_outcomes, &o, error))
    return FALSE;
  for (guint i = 0; i < jobs->len; i++) {
    const OknoOutboundJob *job = jobs->pdata[i];
    const Delivery *d = &ds[i];
    char to[OKNO_PII_BUF];
    okno_log("outbound", "job=%" G_GINT64_FORMAT " appeal=%" G_GINT64_FORMAT
             " event=%s transport=%s to=%s attempt=%" G_GINT64_FORMAT "%s%s",
             job->id, job->appeal_id, d->kind + strlen("outbound_"), transport_names[ob->kind],
             okno_pii(job->env_to, to), job->attempts, *d->reason ? " reason=" : "", d->reason);
    if (!d->next)
      (*finished)++;
  }
  return TRUE;
}

/* Delivers a claimed batch, then records it. Maildir files are synced one by one but
 * their directory once per batch, before anything is recorded as sent. */
static gboolean process_batch(OknoOutbound *ob, GPtrArray *jobs, gint64 *finished,
                              GError **error)
{
  g_autofree Delivery *ds = g_new0(Delivery, jobs->len);
  gboolean wrote = FALSE;
  for (guint i = 0; i < jobs->len; i++) {
    deliver(ob, jobs->pdata[i], &ds[i]);
    wrote |= ds[i].outcome == OKNO_SMTP_SENT;
  }
  g_autoptr(GError) sync_err = NULL;
  g_autofree char *new_dir = g_build_filename(ob->target, "new", NULL);
  if (ob->kind == TRANSPORT_MAILDIR && wrote && !sync_dir(new_dir, &sync_err)) {
    for (guint i = 0; i < jobs->len; i++) {
      if (ds[i].outcome != OKNO_SMTP_SENT)
        continue;
      ds[i].outcome = OKNO_SMTP_TEMP;
      g_free(ds[i].reason);
      ds[i].reason = g_strdup_printf("maildir: %s", sync_err->message);
    }
  }
  gboolean ok = record(ob, jobs, ds, finished, error);
  for (guint i = 0; i < jobs->len; i++) {
    g_free(ds[i].reason);
    okno_store_event_prepared_clear(&ds[i].event);
  }
  return ok;
}

/* The claim of the next batch, on `st` inside a transaction the caller runs. */
typedef struct {
  OknoOutbound *ob;
  GPtrArray *jobs; /* claimed, owned; NULL until claimed */
} Claim;

static gboolean claim_batch(OknoStore *st, gpointer data, GError **error)
{
  Claim *c = data;
  g_clear_pointer(&c->jobs, g_ptr_array_unref);
  c->jobs = okno_store_outbound_claim(st, okno_now(), CLAIM_LEASE, CLAIM_BATCH, c->ob->owner,
                                      error);
  return c->jobs != NULL;
}

int okno_outbound_run_once(OknoOutbound *ob, GError **error)
{
  gint64 finished = 0;
  gboolean ok = TRUE;
  g_mutex_lock(&ob->pass_lock);
  for (guint claimed = CLAIM_BATCH; ok && claimed == CLAIM_BATCH;) {
    Claim c = {ob, NULL};
    GPtrArray *jobs = NULL;
    ok = write_txn(ob, claim_batch, &c, error);
    jobs = g_steal_pointer(&c.jobs);
    if (!ok)
      g_clear_pointer(&jobs, g_ptr_array_unref);
    claimed = jobs ? jobs->len : 0;
    if (ok && claimed)
      ok = process_batch(ob, jobs, &finished, error);
    if (jobs)
      g_ptr_array_unref(jobs);
  }
  g_mutex_unlock(&ob->pass_lock);
  if (ok && ob->messenger) {
    int n = okno_messenger_run_once(ob->messenger, error);
    ok = n >= 0;
    finished += MAX(n, 0);
  }
  return ok ? (int)MIN(finished, G_MAXINT) : -1;
}

static void outbound_pass(gpointer data)
{
  g_autoptr(GError) err = NULL;
  if (okno_outbound_run_once(data, &err) < 0)
    okno_log_warn("outbound", "event=pass_failed error=\"%s\"", err->message);
}

void okno_outbound_use_committer(OknoOutbound *ob, OknoCommitter *c)
{
  /* PostgreSQL keeps no per-connection cache that another's commit drops, and its
   * nodes' outbound passes must not wait on one node's writer */
  ob->committer = okno_db_is_sqlite(okno_store_db(ob->store)) ? c : NULL;
}

void okno_outbound_start(OknoOutbound *ob)
{
  g_autoptr(GError) err = NULL;
  if (ob->worker)
    return;
  /* Jobs this node claimed before a crash would wait out their lease: take them back. */
  if (!okno_store_outbound_release(ob->store, ob->owner, &err))
    okno_log_warn("outbound", "event=release_failed error=\"%s\"", err->message);
  /* The messenger first: the outbound worker's passes also run the messenger's
   * (okno_messenger_run_once), and its store connection serves one thread at a time. */
  okno_messenger_start(ob->messenger);
  ob->worker = okno_worker_start("outbound", POLL_INTERVAL, outbound_pass, ob);
}

void okno_outbound_wake(OknoOutbound *ob)
{
  okno_worker_wake(ob->worker);
  okno_messenger_wake(ob->messenger);
}
