/* scheduler.c: the SLA scheduler's passes (scheduler.h).
 *
 * How it works: a pass claims due jobs in batches (okno_store_sla_jobs_claim, a lease
 * of LEASE_US in this node's name) and handles each job in its own transaction: read
 * the appeal, decide (okno_sla_job_current), mark the job done or cancelled with the
 * guarded update that only one caller wins, and only then, in the same transaction,
 * do the job's work (queue the mail, set the overdue flag, write the events). A lost
 * race rolls back, so the work is done exactly once whatever nodes or restarts do.
 * In `okno serve` the passes run on a worker thread (worker.h), which sleeps between
 * them, so stopping it is immediate. */
#include "ops/scheduler.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "mail/receipt.h"
#include "ops/journal.h"
#include "ops/classify.h"
#include "ops/incidents.h"
#include "ops/retention.h"
#include "ops/stats.h"
#include "ops/worker.h"
#include "store/appeals.h"
#include "store/db.h"
#include "store/events.h"
#include "store/jobs.h"
#include "store/retention.h"
#include "store/staff.h"

#define LEASE_US (G_GINT64_CONSTANT(300) * G_USEC_PER_SEC)
#define BATCH 200

struct OknoScheduler {
  const OknoConfig *cfg;
  OknoSlaEnv *env;
  OknoStore *store;
  char *owner;
  OknoWorker *worker; /* NULL until okno_scheduler_start */
};

OknoScheduler *okno_scheduler_new(const OknoConfig *cfg, const char *owner, GError **error)
{
  OknoScheduler *s = g_new0(OknoScheduler, 1);
  s->cfg = cfg;
  s->owner = g_strdup(owner ? owner : g_get_host_name());
  s->env = okno_sla_env_new(cfg, error);
  if (s->env)
    s->store = okno_store_open(cfg->store_url, error);
  if (!s->store) {
    okno_scheduler_free(s);
    return NULL;
  }
  return s;
}

void okno_scheduler_free(OknoScheduler *s)
{
  if (!s)
    return;
  okno_worker_stop(s->worker);
  okno_store_close(s->store);
  okno_sla_env_free(s->env);
  g_free(s->owner);
  g_free(s);
}

/* An event's detail: the deadline, the escalation level (0: none) and, for mail,
 * whom it told and, for an escalation, the department whose supervisors those are
 * (NULL: the configured lists). Caller frees. */
static char *detail_json(const char *deadline, int level, gboolean mail,
                         const char *const *to, guint sent, const char *department)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  okno_json_str(b, "deadline", deadline);
  if (level)
    okno_json_int(b, "level", level);
  if (mail) {
    okno_json_strv(b, "to", to);
    okno_json_int(b, "sent", sent);
    if (level)
      okno_json_str(b, "supervisors_of", department ? department : "[sla] config");
    if (!sent)
      okno_json_str(b, "note", "no address configured");
  }
  json_builder_end_object(b);
  return okno_json_text(b, FALSE);
}

/* The supervisors an escalation of `kind` goes to: "overdue" (level 1) to those of
 * `department`, "escalate" (level 2, one level up) to those of its parent. *to gets
 * their e-mails and *used the department's code when there is anybody; both stay NULL
 * (the caller falls back to [sla] supervisors / supervisors_level2) when the appeal is
 * in triage, the department has no parent, or no enabled supervisor has an e-mail. */
static gboolean department_supervisors(OknoStore *st, const char *kind, const char *department,
                                       char ***to, char **used, GError **error)
{
  g_autoptr(OknoDepartment) dept = NULL;
  g_auto(GStrv) found = NULL;
  const char *code = department;
  if (!department || !*department)
    return TRUE;
  if (!strcmp(kind, "escalate")) {
    dept = okno_store_department_get(st, department, error);
    if (!dept)
      return !(error && *error);
    code = dept->parent;
    if (!*code)
      return TRUE;
  }
  found = okno_store_department_supervisors(st, code, error);
  if (!found)
    return FALSE;
  if (found[0]) {
    *to = g_steal_pointer(&found);
    *used = g_strdup(code);
  }
  return TRUE;
}

/* The staff mail and events of one job that is to run. */
static gboolean do_job(OknoScheduler *s, const OknoSlaJob *job, OknoAppeal *a, GError **error)
{
  const char *one[2];
  const char *const *to;
  g_autoptr(OknoUser) who = NULL;
  const char *email = NULL, *responsible = "не назначен";
  g_autofree char *due = okno_receipt_time(a->deadline);
  g_autofree char *due_msk = okno_time_format_msk(a->deadline);
  g_autofree char *subject = NULL, *text = NULL, *detail = NULL;
  const char *kind = "sla_escalated";
  g_auto(GStrv) dept_to = NULL;
  g_autofree char *dept_used = NULL;
  int level = 0;
  guint sent = 0;

  if (a->assignee) {
    /* A disabled account, or one without an address, leaves it to [sla] operators. */
    who = okno_store_user_get_by_id(s->store, a->assignee, error);
    if (!who && error && *error)
      return FALSE;
    if (who) {
      responsible = *who->display_name ? who->display_name : who->login;
      if (!who->disabled)
        email = who->email;
    }
  }
  to = okno_sla_job_recipients(s->cfg, job->kind, email, one);
  if (strcmp(job->kind, "reminder") != 0) {
    if (!department_supervisors(s->store, job->kind, a->department, &dept_to, &dept_used, error))
      return FALSE;
    if (dept_to && dept_to[0])
      to = (const char *const *)dept_to;
  }

  if (!strcmp(job->kind, "reminder")) {
    kind = "reminder_sent";
    subject = g_strdup_printf("Напоминание: срок ответа по обращению № %s — %s", a->number, due);
    text = g_strdup_printf("Срок ответа по обращению № %s («%s») истекает %s.\n"
                           "Статус: %s. Ответственный: %s.",
                           a->number, a->subject, due, okno_statuses[a->status].staff,
                           responsible);
  } else if (!strcmp(job->kind, "overdue")) {
    g_autofree char *d = detail_json(due_msk, 0, FALSE, NULL, 0, NULL);
    level = 1;
    a->overdue = TRUE;
    if (!okno_store_appeal_update(s->store, a, error) ||
        !okno_store_event_add(s->store, a->id, "overdue", d, error))
      return FALSE;
    subject = g_strdup_printf("Просрочено обращение № %s", a->number);
    text = g_strdup_printf("Срок ответа по обращению № %s («%s») истёк %s, ответа нет.\n"
                           "Статус: %s. Ответственный: %s.",
                           a->number, a->subject, due, okno_statuses[a->status].staff,
                           responsible);
  } else {
    level = 2;
    subject = g_strdup_printf("Повторная эскалация: обращение № %s просрочено", a->number);
    text = g_strdup_printf("Обращение № %s («%s») просрочено с %s и до сих пор без ответа; "
                           "предыдущая эскалация не помогла.\nСтатус: %s. Ответственный: %s.",
                           a->number, a->subject, due, okno_statuses[a->status].staff,
                           responsible);
  }
  if (!okno_ops_mail_staff(s->env, s->store, a, to, subject, text, &sent, error))
    return FALSE;
  detail = detail_json(due_msk, level, TRUE, to, sent, dept_used);
  okno_log("sla", "event=%s appeal=%s level=%d sent=%u", kind, a->number, level, sent);
  return okno_store_event_add(s->store, a->id, kind, detail, error);
}

/* The scheduler's own metrics (docs/metrics.md): how late each job ran after it was
 * due (the lag an operator sees as a reminder coming late), jobs by kind and outcome,
 * and when the last pass ended. */
static void count_job(const OknoSlaJob *job, gint64 now, const char *outcome)
{
  static const char *const kind_label[] = {"kind", NULL};
  static const char *const outcome_labels[] = {"kind", "outcome", NULL};
  /* a pass runs every [sla] scheduler_interval (a minute by default): seconds to hours */
  static const double lag_buckets[] = {1, 5, 15, 30, 60, 120, 300, 900, 3600};
  okno_metric_observe(okno_metrics_histogram(okno_metrics(), "okno_scheduler_lag_seconds",
                                             "How long after its due time an SLA job ran.",
                                             kind_label, lag_buckets, G_N_ELEMENTS(lag_buckets)),
                      MAX(0, now - job->due_at) / (double)G_USEC_PER_SEC, job->kind);
  okno_metric_add(okno_metrics_counter(okno_metrics(), "okno_scheduler_jobs_total",
                                       "SLA jobs handled, by kind and outcome (done: ran; "
                                       "cancelled: the appeal had moved on).",
                                       outcome_labels),
                  1, job->kind, outcome);
}

/* One job in its own transaction. *done is TRUE when it ran. */
static gboolean handle(OknoScheduler *s, const OknoSlaJob *job, gint64 now, gboolean *done,
                       GError **error)
{
  g_autoptr(OknoAppeal) a = NULL;
  gboolean run, won = FALSE;
  *done = FALSE;
  if (!okno_store_begin(s->store, error))
    return FALSE;
  a = okno_store_appeal_get_by_id(s->store, job->appeal_id, error);
  if (error && *error)
    goto fail;
  run = okno_sla_job_current(job->generation, a);
  if (!okno_store_sla_job_finish(s->store, job->id, s->owner, run ? "done" : "cancelled", now,
                                 &won, error))
    goto fail;
  if (!won) { /* another node, or our previous life, finished it */
    okno_store_rollback(s->store);
    return TRUE;
  }
  if (run && !do_job(s, job, a, error))
    goto fail;
  if (!okno_store_commit(s->store, error))
    goto fail;
  *done = run;
  count_job(job, now, run ? "done" : "cancelled");
  return TRUE;
fail:
  okno_store_rollback(s->store);
  return FALSE;
}

gint64 okno_scheduler_run_once(OknoScheduler *s, gint64 now, GError **error)
{
  gint64 done_count = 0;
  gboolean verified = FALSE;
  /* The journal's verify, when [journal] verify_interval has passed (ops/journal.h). */
  if (!okno_journal_verify_due(s->store, s->cfg, now, FALSE, &verified, error))
    return -1;
  /* The weekly report mail, on [stats] weekly_day (ops/stats.h); its failure is logged
   * and does not hold up the SLA jobs. */
  {
    g_autoptr(GError) e = NULL;
    guint letters = 0;
    if (!okno_stats_weekly_mail(s->cfg, s->store, s->env->cal, now, &letters, &e))
      okno_log_warn("stats", "event=weekly_mail_failed error=\"%s\"", e->message);
  }
  for (;;) {
    g_autoptr(GArray) jobs = okno_store_sla_jobs_claim(s->store, now, LEASE_US, BATCH, s->owner, error);
    if (!jobs)
      return -1;
    for (guint i = 0; i < jobs->len; i++) {
      gboolean done;
      if (!handle(s, &g_array_index(jobs, OknoSlaJob, i), now, &done, error))
        return -1;
      done_count += done;
    }
    if (jobs->len < BATCH)
      return done_count;
  }
}

gboolean okno_scheduler_retention(OknoScheduler *s, gint64 now, gboolean *ran, GError **error)
{
  g_autoptr(OknoRetentionReport) rep = NULL;
  gboolean won = FALSE;
  *ran = FALSE;
  if (!okno_store_retention_claim(s->store, now, s->cfg->retention_interval * G_USEC_PER_SEC,
                                  &won, error))
    return FALSE;
  if (!won)
    return TRUE;
  rep = okno_retention_run(s->cfg, s->store, now, FALSE, "okno serve (scheduler)", error);
  if (!rep)
    return FALSE;
  *ran = TRUE;
  okno_log("retention", "event=pass purged=%" G_GINT64_FORMAT " held=%" G_GINT64_FORMAT
           " act=%" G_GINT64_FORMAT, rep->purged, rep->held, rep->act_id);
  return TRUE;
}

gboolean okno_scheduler_classify(OknoScheduler *s, gint64 now, GError **error)
{
  guint trained = 0;
  if (s->cfg->classify_retrain_interval <= 0)
    return TRUE;
  return okno_classify_retrain_due(s->store, now, s->cfg->classify_retrain_interval, &trained,
                                   error);
}

gboolean okno_scheduler_incidents(OknoScheduler *s, gint64 now, GError **error)
{
  OknoIncidentPass p;
  gboolean ran = FALSE, ok;
  /* Its statements are the same for every appeal it looks at (in an incident: three
   * per appeal joined): named for this pass (db.h), so the server parses them once per
   * connection and plans them once the plan cache keeps a generic plan; they were
   * 0.13 to 0.23 ms of planning each (docs/postgresql.md). The scheduler's other
   * statements stay unnamed. */
  okno_db_set_preparing(okno_store_db(s->store), TRUE);
  ok = okno_incidents_due(s->env, s->store, now, &ran, &p, error);
  okno_db_set_preparing(okno_store_db(s->store), FALSE);
  if (!ok)
    return FALSE;
  if (ran && (p.joined || p.raised))
    okno_log("incidents", "event=pass appeals=%u joined=%u raised=%u letters=%u", p.items,
             p.joined, p.raised, p.letters);
  return TRUE;
}

static void scheduler_pass(gpointer data)
{
  g_autoptr(GError) err = NULL;
  gboolean ran = FALSE;
  if (okno_scheduler_run_once(data, okno_now(), &err) < 0)
    okno_log_warn("sla", "event=pass_failed error=\"%s\"", err->message);
  else
    okno_metric_set(okno_metrics_gauge(okno_metrics(), "okno_scheduler_last_pass_timestamp_seconds",
                                       "When the SLA scheduler last finished a pass (Unix time).",
                                       NULL),
                    okno_now() / (double)G_USEC_PER_SEC);
  g_clear_error(&err);
  if (!okno_scheduler_retention(data, okno_now(), &ran, &err))
    okno_log_warn("retention", "event=pass_failed error=\"%s\"", err->message);
  g_clear_error(&err);
  if (!okno_scheduler_classify(data, okno_now(), &err))
    okno_log_warn("classify", "event=pass_failed error=\"%s\"", err->message);
  g_clear_error(&err);
  if (!okno_scheduler_incidents(data, okno_now(), &err))
    okno_log_warn("incidents", "event=pass_failed error=\"%s\"", err->message);
}

void okno_scheduler_start(OknoScheduler *s)
{
  g_autoptr(GError) err = NULL;
  if (s->worker)
    return;
  if (!okno_store_sla_jobs_release(s->store, s->owner, &err))
    okno_log_warn("sla", "event=release_failed error=\"%s\"", err->message);
  s->worker = okno_worker_start("scheduler", s->cfg->sla_scheduler_interval * G_USEC_PER_SEC,
                                scheduler_pass, s);
}
