/* pipeline.c: the orchestration of intake's three stages (see pipeline.h).
 *
 * DESIGN
 * A submitted message becomes an Item: the bytes, a copy of the envelope, and the
 * caller's way to be told. parse_job() runs on a small thread pool: parse (parse.h,
 * pure) and verify (verify.h, DNS and clamd, which block). A refusal decided there
 * goes straight back to the submitter's main context (refuse_in_context): nothing is
 * stored, no trip to the writer. Otherwise the registration's preparation (register.h
 * okno_register_prepare: what the message alone decides) runs there too, off the one
 * writer thread, and the Item goes to the group-commit writer
 * (store/commit.h), whose thread runs register_work() (register.h) inside the group
 * transaction; register_done() runs after the commit, on the submitter's main context
 * (async) or the writer thread (sync), and only then is the caller told. okno submit
 * uses the same path and waits (okno_intake_submit_sync). The writer's state (the
 * block list it last read) lives here and is touched only on the writer thread.
 * register_work() may run twice for one message (commit.h: a group with a failing job
 * is rolled back and run again, a savepoint per job): it starts from a cleared result,
 * and okno_register() only reads the parsed message and its prepared fields (the block
 * list applied to a [check] message's verdict twice adds nothing: one reason per code),
 * so the second run decides and writes as the first would have; the counters
 * (count_outcome) and the outbound queue's wake-up wait for register_done(). */
#include "intake/pipeline.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/thread_name.h"
#include "intake/verify.h"
#include "mail/dns.h"
#include "store/commit.h"
#include "store/sources.h"

struct OknoIntake {
  const OknoConfig *cfg;
  OknoCommitter *committer;
  OknoSlaEnv *sla;             /* policy, calendar (NULL: no deadlines), DKIM signer */
  GThreadPool *parsers;
  GMutex lock;
  GCond idle;
  guint inflight;
  /* The byte budget: message bytes being parsed or waiting for their commit, at most
   * [intake] max_inflight_bytes (one message alone may exceed it). A parse waits for
   * room on its pool thread, so a burst of large messages stays in their spool files
   * (mail/spool.h) instead of in memory all at once. */
  GCond room;
  guint64 inflight_bytes;
  guint64 registered;
  OknoBlocklistCache blocklist; /* the writer thread's */
};

typedef struct {
  OknoIntake *in;
  GBytes *raw;
  OknoEnvelope env;       /* a private copy: strings owned by the item */
  OknoParsed *p;
  GError *refusal;        /* set by verify: answered without registering */
  OknoIntakeResult result;
  OknoIntakeDone done;
  gpointer user_data;
  GMainContext *ctx;
  /* sync submit */
  gboolean sync;
  gboolean finished;
  GError *error;
  guint64 budgeted;       /* bytes taken from the budget (async only), given back at free */
} Item;

/* ---- the two ways in ---- */

/* Blocks the parse thread until the message fits in the byte budget, then takes it. */
static void budget_take(OknoIntake *in, Item *it)
{
  guint64 size = g_bytes_get_size(it->raw);
  g_mutex_lock(&in->lock);
  while (in->inflight_bytes > 0 && in->inflight_bytes + size > (guint64)in->cfg->max_inflight_bytes)
    g_cond_wait(&in->room, &in->lock);
  in->inflight_bytes += size;
  it->budgeted = size;
  g_mutex_unlock(&in->lock);
}

static void budget_give_back(OknoIntake *in, Item *it)
{
  if (!it->budgeted)
    return;
  g_mutex_lock(&in->lock);
  g_assert(in->inflight_bytes >= it->budgeted);
  in->inflight_bytes -= it->budgeted;
  it->budgeted = 0;
  g_cond_broadcast(&in->room);
  g_mutex_unlock(&in->lock);
}

static void item_free(Item *it)
{
  budget_give_back(it->in, it);
  okno_envelope_clear(&it->env);
  g_bytes_unref(it->raw);
  okno_parsed_free(it->p);
  g_clear_error(&it->refusal);
  okno_intake_result_clear(&it->result);
  g_clear_error(&it->error);
  if (it->ctx)
    g_main_context_unref(it->ctx);
  g_free(it);
}

static Item *item_new(OknoIntake *in, GBytes *raw, const OknoEnvelope *env)
{
  Item *it = g_new0(Item, 1);
  it->in = in;
  it->raw = g_bytes_ref(raw);
  okno_envelope_copy(&it->env, env);
  g_mutex_lock(&in->lock);
  in->inflight++;
  g_mutex_unlock(&in->lock);
  return it;
}

/* Parse and verify (stages 1 and 2), then register's preparation: on a pool thread, or
 * the submitting thread of a sync submit. FALSE: refused, it->refusal set. */
static gboolean parse_verify(Item *it)
{
  gint64 start = g_get_monotonic_time();
  it->p = okno_parse(it->in->cfg, it->raw, &it->env, okno_now());
  okno_metric_observe(okno_metrics_histogram(okno_metrics(), "okno_intake_parse_seconds",
                                             "Time the parse stage of intake took per "
                                             "message (MIME, extraction; no I/O).",
                                             NULL, okno_metrics_latency_buckets,
                                             okno_metrics_latency_n_buckets),
                      (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
  if (!okno_verify(it->in->cfg, it->p, &it->refusal))
    return FALSE;
  okno_register_prepare(it->in->sla, it->p); /* off the writer's thread (register.h) */
  return TRUE;
}

/* Metrics: one message through intake, by channel and what became of it. */
static void count_outcome(const Item *it, const GError *err)
{
  static const char *const labels[] = {"channel", "outcome", NULL};
  static const char *const outcomes[] = {
    [OKNO_INTAKE_CREATED] = "created", [OKNO_INTAKE_JOINED] = "joined",
    [OKNO_INTAKE_DUPLICATE] = "duplicate", [OKNO_INTAKE_CHECKED] = "checked",
  };
  const char *outcome;
  if (err)
    outcome = g_error_matches(err, OKNO_ERROR, OKNO_ERROR_TEMP) ? "tempfail" : "rejected";
  else
    outcome = outcomes[it->result.outcome];
  okno_metric_add(okno_metrics_counter(okno_metrics(), "okno_intake_messages_total",
                                       "Messages through intake by channel and outcome "
                                       "(created, joined, duplicate, checked, rejected, "
                                       "tempfail).",
                                       labels),
                  1, okno_channel_name(it->env.channel), outcome);
}

/* Register (stage 3), on the writer thread inside the group transaction (once, or
 * twice when its group is run again: see the top). A message with a source key
 * (envelope.h) already in the store is a DUPLICATE and nothing is written; a new key
 * is recorded in the same transaction as its registration. */
static gboolean register_work(OknoStore *st, gpointer data, GError **error)
{
  Item *it = data;
  const char *key = it->env.source_key;
  const OknoBlocklist *bl;
  okno_intake_result_clear(&it->result);
  memset(&it->result, 0, sizeof it->result);
  if (key && *key) {
    char *seen = NULL;
    if (!okno_store_source_lookup(st, key, &seen, error))
      return FALSE;
    if (seen) {
      it->result.number = *seen ? seen : NULL;
      it->result.outcome = OKNO_INTAKE_DUPLICATE;
      if (!*seen)
        g_free(seen);
      return TRUE;
    }
  }
  bl = okno_blocklist_cache_get(&it->in->blocklist, st, error);
  return bl && okno_register(it->in->sla, bl, st, it->p, &it->result, error) &&
         (!key || !*key || okno_store_source_record(st, key, it->result.number, error));
}

/* Runs on the submitter's main context (async) or the writer thread (sync). */
static void register_done(gpointer data, const GError *err)
{
  Item *it = data;
  OknoIntake *in = it->in;
  count_outcome(it, err);
  if (it->sync) {
    g_mutex_lock(&in->lock);
    if (err)
      it->error = g_error_copy(err);
    it->finished = TRUE; /* the waiting thread frees the item */
    in->inflight--;
    g_cond_broadcast(&in->idle);
    g_mutex_unlock(&in->lock);
    return;
  }
  it->done(&it->result, err, it->user_data);
  item_free(it);
  g_mutex_lock(&in->lock);
  in->registered += err ? 0 : 1;
  in->inflight--;
  g_cond_broadcast(&in->idle);
  g_mutex_unlock(&in->lock);
}

/* A refusal decided by verify (policy, virus, clamd down: it->refusal), answered on
 * the submitter's main context without a trip to the writer: nothing is stored. */
static gboolean refuse_in_context(gpointer data)
{
  Item *it = data;
  register_done(it, it->refusal);
  return G_SOURCE_REMOVE;
}

/* Pool thread: parse and verify, then the registration goes to the writer. */
static void parse_job(gpointer data, gpointer pool_data)
{
  Item *it = data;
  OknoIntake *in = pool_data;
  okno_thread_name("okno-parse");
  budget_take(in, it);
  if (!parse_verify(it)) {
    g_main_context_invoke(it->ctx, refuse_in_context, it);
    return;
  }
  okno_committer_submit(in->committer, register_work, register_done, it, it->ctx);
}

OknoIntake *okno_intake_new(const OknoConfig *cfg, GError **error)
{
  OknoIntake *in = g_new0(OknoIntake, 1);
  in->cfg = cfg;
  okno_mime_init();
  if (cfg->auth_verify) {
    /* A [dns] server that cannot be used is a config error now, not a warning per message. */
    OknoDns *dns = okno_dns_new(cfg->dns_server, cfg->dns_timeout_ms, (gsize)cfg->dns_max_answer_size,
                                (guint)cfg->dns_max_answer_records, error);
    if (!dns) {
      g_free(in);
      return NULL;
    }
    okno_dns_free(dns);
    okno_dns_set_cache_policy(cfg->dns_negative_ttl * 1000, (guint)cfg->dns_max_inflight);
  }
  /* The SLA policy, the calendar (a missing one is logged: no deadlines) and the DKIM
   * signer (NULL without an error: signing is off). */
  if (!(in->sla = okno_sla_env_new(cfg, error)) ||
      !(in->committer = okno_committer_new(cfg->store_url, 512, error))) {
    g_clear_pointer(&in->sla, okno_sla_env_free);
    g_free(in);
    return NULL;
  }
  if (*cfg->rspamd_url)
    okno_rspamd_unscanned_metric(); /* shown as 0 until rspamd first fails */
  g_mutex_init(&in->lock);
  g_cond_init(&in->idle);
  g_cond_init(&in->room);
  in->parsers = g_thread_pool_new(parse_job, in, MAX(2, (int)g_get_num_processors()), FALSE, NULL);
  return in;
}

void okno_intake_free(OknoIntake *in)
{
  if (!in)
    return;
  /* Parses still queued run to the end; then wait for their commits. */
  g_thread_pool_free(in->parsers, FALSE, TRUE);
  g_mutex_lock(&in->lock);
  while (in->inflight > 0)
    g_cond_wait(&in->idle, &in->lock);
  g_mutex_unlock(&in->lock);
  okno_committer_free(in->committer);
  g_clear_pointer(&in->sla, okno_sla_env_free);
  okno_blocklist_cache_clear(&in->blocklist);
  g_mutex_clear(&in->lock);
  g_cond_clear(&in->idle);
  g_cond_clear(&in->room);
  g_free(in);
}

void okno_intake_submit_async(OknoIntake *in, GBytes *raw, const OknoEnvelope *env,
                              OknoIntakeDone done, gpointer user_data)
{
  Item *it = item_new(in, raw, env);
  it->done = done;
  it->user_data = user_data;
  it->ctx = g_main_context_ref_thread_default();
  g_thread_pool_push(in->parsers, it, NULL);
}

gboolean okno_intake_submit_sync(OknoIntake *in, GBytes *raw, const OknoEnvelope *env,
                                 OknoIntakeResult *res, GError **error)
{
  Item *it = item_new(in, raw, env);
  gboolean ok;
  it->sync = TRUE;
  if (!parse_verify(it))
    register_done(it, it->refusal);
  else
    okno_committer_submit(in->committer, register_work, register_done, it, NULL);
  g_mutex_lock(&in->lock);
  while (!it->finished)
    g_cond_wait(&in->idle, &in->lock);
  if (!it->error)
    in->registered++;
  g_mutex_unlock(&in->lock);
  ok = it->error == NULL;
  if (ok) {
    *res = it->result;
    memset(&it->result, 0, sizeof it->result);
  } else {
    g_propagate_error(error, g_steal_pointer(&it->error));
  }
  item_free(it);
  return ok;
}

OknoDkim *okno_intake_dkim(OknoIntake *in) { return in->sla->dkim; }

OknoCommitter *okno_intake_committer(OknoIntake *in) { return in->committer; }

void okno_intake_stats(OknoIntake *in, guint64 *messages, guint64 *commits)
{
  OknoCommitCounts c;
  okno_committer_counts(in->committer, &c);
  *commits = c.commits;
  g_mutex_lock(&in->lock);
  *messages = in->registered;
  g_mutex_unlock(&in->lock);
}
