/* metrics.h: the operations endpoint of `okno serve` on [metrics] listen (off when
 * empty; docs/metrics.md): a small libsoup server apart from the public one, so that
 * it can listen on a loopback or management address only and needs no session, CSRF
 * or rate limit.
 *   GET /metrics  the process-wide registry (core/metrics.h) in the Prometheus text
 *                 format 0.0.4, after the gauges read from the store at scrape time
 *                 (store/report.h: outbound queue depth and oldest age, overdue
 *                 appeals, appeals per status) and okno_store_up (1 when that read
 *                 worked). Always 200 while the process lives.
 *   GET /healthz  200 "ok": the process answers.
 *   GET /readyz   200 "ready" when the store answers and its schema is current
 *                 (okno_store_ready), else 503 with the reason in one line.
 * Anything else is 404, another method 405. Store reads run on one worker thread
 * with its own connection, never on the main loop (which serves SMTP). */
#pragma once
#include <glib.h>

#include "core/config.h"

typedef struct OknoMetricsServer OknoMetricsServer;

/* Binds cfg->metrics_listen (which must not be empty). NULL with OKNO_ERROR_USER for a
 * bad address or a port in use. */
OknoMetricsServer *okno_metrics_server_new(const OknoConfig *cfg, GError **error);
void okno_metrics_server_start(OknoMetricsServer *ms);
/* Stops accepting; idempotent. */
void okno_metrics_server_stop(OknoMetricsServer *ms);
/* Waits for the scrape in progress, answers it, frees. NULL is fine. */
void okno_metrics_server_free(OknoMetricsServer *ms);
guint okno_metrics_server_port(const OknoMetricsServer *ms);
