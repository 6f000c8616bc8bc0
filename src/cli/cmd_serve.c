/* cmd_serve.c: `okno serve --config FILE`, the daemon.
 *
 * Loads the config, opens the intake pipeline (its own store connections and group
 * commit), starts the outbound delivery thread, the SMTP/LMTP listeners and, when
 * [http] listen is set, the HTTP server (web/server.h), when [metrics] listen is set,
 * /metrics, /healthz and /readyz (web/metrics.h), and runs
 * the GLib main loop until SIGTERM or SIGINT. The first signal stops taking sessions
 * (new connections hear 421) and lets sessions in the middle of a message finish it
 * (at most [smtp] shutdown_grace seconds, default 10); when the
 * last one is gone everything is freed and the process exits 0. The HTTP server stops
 * accepting at the first signal. A second signal cuts
 * the grace period short (messages already being committed still get their answer, so
 * the exit waits for the store). A bind or certificate problem exits 1 with one line.
 *
 * SIGHUP reads the configuration file again and applies what can change while running
 * (core/config.h, okno_config_reload; the rest is logged "needs-restart" and kept) and
 * reloads the TLS certificate and the web's templates and static files; open sessions
 * and requests go on undisturbed.
 *
 * Under systemd (Type=notify) the service manager hears READY=1 once everything
 * listens, RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 at the first SIGTERM,
 * and, when the unit sets WatchdogSec, WATCHDOG=1 at half that interval from the main
 * loop, so a loop that hangs gets the service restarted. Outside systemd (no
 * NOTIFY_SOCKET) these calls do nothing.
 *
 * Started as root (core/privileges.h): the store, spool and outbox are opened with the
 * effective ids of [server] user, ports and sockets are bound (and the TLS key read) as
 * root, then the process becomes that user for good before it accepts anything; without
 * [server] user it refuses to run as root unless [server] allow_root = true. */
#include <glib-unix.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "text/answers.h"
#include "ops/journal.h"
#include "ops/scheduler.h"
#include "cli/cli.h"
#include "store/keys.h"
#include "store/seal.h"
#include "core/error.h"
#include "core/log.h"
#include "core/privileges.h"
#include "intake/pipeline.h"
#include "intake/imap_poll.h"
#include "intake/listener.h"
#include "ops/outbound.h"
#include "web/metrics.h"
#include "web/server.h"

typedef struct {
  OknoConfig *cfg;
  GMainLoop *loop;
  OknoListener *listener;
  OknoWeb *web;
  OknoMetricsServer *metrics;
  gboolean stopping;
} Serve;

static void on_stopped(gpointer data)
{
  g_main_loop_quit(((Serve *)data)->loop);
}

static gboolean on_signal(gpointer data);

/* A start that failed after the listeners opened: stop as on SIGTERM, once. */
static gboolean stop_once(gpointer data)
{
  on_signal(data);
  return G_SOURCE_REMOVE;
}

static gboolean on_signal(gpointer data)
{
  Serve *sv = data;
  if (sv->stopping) {
    okno_log("serve", "event=signal action=end-grace sessions=%u",
             okno_listener_sessions(sv->listener));
    okno_listener_stop(sv->listener, 0, on_stopped, sv);
    return G_SOURCE_CONTINUE;
  }
  sv->stopping = TRUE;
  sd_notify(0, "STOPPING=1\nSTATUS=Stopping: open SMTP transactions finish");
  okno_log("serve", "event=signal action=stop");
  if (sv->web)
    okno_web_stop(sv->web);
  okno_metrics_server_stop(sv->metrics);
  okno_listener_stop(sv->listener, (guint)sv->cfg->shutdown_grace, on_stopped, sv);
  return G_SOURCE_CONTINUE;
}

/* SIGHUP: the configuration file again (core/config.h says which keys apply at once;
 * the others are logged "needs-restart" and kept), then the TLS certificate. Open
 * sessions are not touched. */
static gboolean on_hangup(gpointer data)
{
  Serve *sv = data;
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) restart = NULL;
  g_autoptr(GPtrArray) changed = NULL;
  sd_notify(0, "RELOADING=1");
  changed = okno_config_reload(sv->cfg, &restart, &err);
  if (!changed) {
    okno_log("serve", "event=reload-failed error=\"%s\" (the running configuration is kept)",
             err->message);
    sd_notify(0, "READY=1\nSTATUS=Serving; the last reload failed (see the log)");
    return G_SOURCE_CONTINUE;
  }
  for (guint i = 0; i < restart->len; i++)
    okno_log("serve", "event=reload key=%s needs-restart (kept)", (char *)restart->pdata[i]);
  for (guint i = 0; i < changed->len; i++)
    okno_log("serve", "event=reload key=%s applied", (char *)changed->pdata[i]);
  if (!okno_listener_reload_tls(sv->listener, &err))
    okno_log("serve", "event=reload-failed error=\"%s\" (the old certificate is kept)",
             err->message);
  g_clear_error(&err);
  if (sv->web && !okno_web_reload(sv->web, &err))
    okno_log("serve", "event=reload-failed error=\"%s\" (the old templates are kept)",
             err->message);
  okno_log("serve", "event=reloaded changed=%u needs_restart=%u", changed->len, restart->len);
  sd_notify(0, "READY=1\nSTATUS=Serving");
  return G_SOURCE_CONTINUE;
}

/* WatchdogSec: the main loop says it is alive (see the top of the file). */
static gboolean on_watchdog(gpointer unused)
{
  (void)unused;
  sd_notify(0, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

/* Encryption at rest (docs/crypto.md): without the key file okno serves only a store
 * that holds nothing sealed (and then writes clear, with a warning); with it, epochs a
 * shred or rotation left retired (a crash before their collection) are collected, and
 * the cabinet's identity rows written without the key file (sign-in codes, settings,
 * address moves, sessions: store/seal.h) get their keyed blind indexes, so that an
 * upgrade or a key file added later keeps the citizens' settings and moves. */
static gboolean crypto_ready(const OknoConfig *cfg, GError **error)
{
  g_autoptr(OknoStore) st = okno_store_open(cfg->store_url, error);
  if (!st || !okno_store_check_vault(st, error))
    return FALSE;
  if (!okno_store_vault()) {
    g_autofree char *path = okno_config_crypto_key_file(cfg);
    okno_log_warn("crypto", "event=encryption_off reason=\"no key file %s: okno crypto init\"",
                  path);
    return TRUE;
  }
  return okno_store_keys_collect(st, NULL, error) && okno_store_seal_identities(st, NULL, error);
}

/* [chat] answers (text/answers.h) must read and parse before anything starts: a broken
 * file is one line naming the file and the line, not a bot that silently knows nothing. */
static gboolean chat_answers_ready(const OknoConfig *cfg, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(OknoAnswers) a = NULL;
  gsize len = 0;
  if (!*cfg->chat_answers)
    return TRUE;
  if (!g_file_get_contents(cfg->chat_answers, &text, &len, error) ||
      !(a = okno_answers_parse(text, len, error))) {
    g_prefix_error(error, "[chat] answers %s: ", cfg->chat_answers);
    (*error)->domain = OKNO_ERROR;
    (*error)->code = OKNO_ERROR_USER;
    return FALSE;
  }
  return TRUE;
}

int okno_cmd_serve(int argc, char **argv)
{
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "- run the SMTP/LMTP listeners and the HTTP server",
                                              NULL, &code);
  g_autoptr(GError) err = NULL;
  OknoIntake *intake = NULL;
  OknoImapPoll *imap = NULL;
  int imap_failed = 0;
  OknoOutbound *outbound = NULL;
  OknoScheduler *scheduler = NULL;
  OknoJournalSigner *signer = NULL;
  Serve sv = {0};
  OknoPrivileges priv;
  guint sig_term, sig_int, sig_hup, watchdog = 0;
  guint64 watchdog_usec = 0;
  guint64 messages = 0, commits = 0;

  if (!cfg)
    return code;
  if (argc > 1) {
    fprintf(stderr, "okno: serve takes no arguments besides --config FILE\n");
    return 1;
  }
  /* Buffers of a megabyte or more (a spooled message's decoded attachments) are mapped
   * and given back to the system when freed. glibc raises this threshold on its own
   * after the first large free, and then keeps such buffers in per-thread heaps it
   * rarely trims: with large messages arriving on several threads the daemon's
   * resident size grew by tens of megabytes per thread (bench/memory). */
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  /* Setting the threshold also freezes the trim threshold at 128 KB, and then every
   * registration gave its heap back and faulted it in again (intake at 1 client fell
   * from 167 to 84 appeals/s, bench/intake): keep up to 16 MB of free heap top. */
  mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
  if (!okno_privileges_check(cfg, &priv, &err) || !okno_privileges_as_user(&priv, &err))
    return okno_cli_fail(err);
  /* The spool directory belongs to the user too (the listener only makes it if missing). */
  if (priv.switching && cfg->spool_threshold < cfg->max_message_size)
    g_mkdir_with_parents(cfg->spool_dir, 0700);
  if (!crypto_ready(cfg, &err) || !chat_answers_ready(cfg, &err))
    return okno_cli_fail(err);
  intake = okno_intake_new(cfg, &err);
  if (!intake)
    return okno_cli_fail(err);
  outbound = okno_outbound_new(cfg, &err);
  if (!outbound) {
    okno_intake_free(intake);
    return okno_cli_fail(err);
  }
  {
    /* The scheduler's leases carry the same node name as the outbound queue's. */
    g_autofree char *owner = g_strdup_printf("%s/%s/%s", g_get_host_name(), cfg->smtp_listen,
                                             cfg->lmtp_listen);
    scheduler = okno_scheduler_new(cfg, owner, &err);
  }
  if (!scheduler) {
    okno_outbound_free(outbound);
    okno_intake_free(intake);
    return okno_cli_fail(err);
  }
  if (!okno_privileges_as_root(&priv, &err)) {
    okno_scheduler_free(scheduler);
    okno_outbound_free(outbound);
    okno_intake_free(intake);
    return okno_cli_fail(err);
  }
  sv.listener = okno_listener_new(cfg, intake, outbound, &err);
  if (!sv.listener) {
    okno_scheduler_free(scheduler);
    okno_outbound_free(outbound);
    okno_intake_free(intake);
    return okno_cli_fail(err);
  }

  if (*cfg->http_listen) {
    sv.web = okno_web_new(cfg, intake, &err);
    if (!sv.web) {
      okno_listener_free(sv.listener);
      okno_scheduler_free(scheduler);
      okno_outbound_free(outbound);
      okno_intake_free(intake);
      return okno_cli_fail(err);
    }
  }
  if (!okno_privileges_drop(&priv, &err)) {
    okno_web_free(sv.web);
    okno_listener_free(sv.listener);
    okno_scheduler_free(scheduler);
    okno_outbound_free(outbound);
    okno_intake_free(intake);
    return okno_cli_fail(err);
  }

  if (*cfg->metrics_listen) {
    sv.metrics = okno_metrics_server_new(cfg, &err);
    if (!sv.metrics) {
      okno_web_free(sv.web);
      okno_scheduler_free(scheduler);
      okno_listener_free(sv.listener);
      okno_outbound_free(outbound);
      okno_intake_free(intake);
      return okno_cli_fail(err);
    }
  }

  sv.cfg = cfg;
  sv.loop = g_main_loop_new(NULL, FALSE);
  sig_term = g_unix_signal_add(SIGTERM, on_signal, &sv);
  sig_int = g_unix_signal_add(SIGINT, on_signal, &sv);
  sig_hup = g_unix_signal_add(SIGHUP, on_hangup, &sv);
  /* SQLite: the outbound queue's writes go through the intake's group-commit writer,
   * whose page cache a commit on another connection would drop (ops/outbound.h) */
  okno_outbound_use_committer(outbound, okno_intake_committer(intake));
  okno_outbound_start(outbound);
  okno_scheduler_start(scheduler);
  /* Tree heads are signed every [journal] sign_interval seconds and at the end; with
   * no key (okno journal init) the journal is still written, only not signed. */
  if (okno_journal_enabled() && !(signer = okno_journal_signer_start(cfg, &err))) {
    okno_log_warn("journal", "event=not_signing error=\"%s\"", err->message);
    g_clear_error(&err);
  }
  okno_listener_start(sv.listener);
  if (sv.web)
    okno_web_start(sv.web);
  if (sv.metrics)
    okno_metrics_server_start(sv.metrics);
  /* [imap]: an existing mailbox through the same intake (intake/imap_poll.h). An
   * unreadable password file stops the daemon as a config error would. */
  if (!(imap = okno_imap_poll_start(cfg, intake, &err)) && err) {
    imap_failed = okno_cli_fail(err);
    g_clear_error(&err);
    g_idle_add(stop_once, &sv);
  }
  okno_log("serve", "event=started pid=%d uid=%d gid=%d", (int)getpid(), (int)getuid(),
           (int)getgid());
  sd_notifyf(0, "READY=1\nSTATUS=Serving\nMAINPID=%d", (int)getpid());
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec >= 2000)
    watchdog = g_timeout_add((guint)(watchdog_usec / 2000), on_watchdog, NULL);

  g_main_loop_run(sv.loop);
  /* Feedback forms waiting for their registration are answered from this loop. */
  while (okno_web_held(sv.web) > 0)
    g_main_context_iteration(NULL, TRUE);

  g_source_remove(sig_term);
  g_source_remove(sig_int);
  g_source_remove(sig_hup);
  if (watchdog)
    g_source_remove(watchdog);
  /* Freeing may still commit; a late signal must not cut it short. */
  signal(SIGTERM, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  okno_metrics_server_free(sv.metrics);
  okno_imap_poll_stop(imap); /* its last batch commits through the intake */
  okno_listener_free(sv.listener);
  okno_scheduler_free(scheduler);
  okno_outbound_free(outbound);
  okno_intake_stats(intake, &messages, &commits);
  okno_intake_free(intake);
  okno_web_free(sv.web); /* after the intake: its last callbacks answer held requests */
  okno_journal_signer_stop(signer); /* the last head covers everything committed */
  g_main_loop_unref(sv.loop);
  okno_log("serve", "event=stopped messages=%" G_GUINT64_FORMAT " commits=%" G_GUINT64_FORMAT,
           messages, commits);
  return imap_failed;
}
