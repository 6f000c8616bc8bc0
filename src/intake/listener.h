/* listener.h: the SMTP and LMTP listeners of `okno serve` (GIO sockets around
 * smtp_session.h).
 *
 * One OknoListener binds [smtp] listen (TCP host:port) and [lmtp] listen (TCP
 * host:port or unix:/path); either may be empty. Each accepted connection gets one
 * OknoSmtpSession; messages go to okno_intake_submit_async() and the reply is written
 * only from its `done` callback, after the durable commit. After a registration whose
 * result says receipt_queued, the outbound queue is woken. Everything runs on the
 * main context that is thread-default when okno_listener_start() is called.
 *
 * Limits from the config: max_sessions concurrent sessions (one more is answered
 * "421 4.7.0 Too many connections, try later" and closed), command_timeout and
 * data_timeout of client silence (421 4.4.2), at most 64 KiB of replies queued for a
 * client that does not read before reading from it stops. STARTTLS is offered when
 * [smtp] tls_cert and tls_key are set (GTlsServerConnection, glib-networking). */
#pragma once
#include <glib.h>

#include "core/config.h"
#include "intake/pipeline.h"
#include "ops/outbound.h"

typedef struct OknoListener OknoListener;

/* Binds the configured addresses (a stale Unix socket file is replaced) and loads the
 * TLS certificate. `cfg` and `intake` are borrowed and must outlive the listener;
 * `outbound` may be NULL (borrowed too). NULL and OKNO_ERROR_USER when an address is
 * malformed, taken, or the certificate cannot be loaded. Nothing is accepted before
 * okno_listener_start(). */
OknoListener *okno_listener_new(const OknoConfig *cfg, OknoIntake *intake,
                                OknoOutbound *outbound, GError **error);
/* Starts accepting, logging one "event=listening" line per bound address. */
void okno_listener_start(OknoListener *l);
/* Stops taking sessions: during the grace period a new connection is answered
 * "421 4.3.2 Service shutting down, try later" and closed; the listening sockets are
 * closed when the grace period ends or nothing remains. Sessions with no message under
 * way are told 421 4.3.2 and closed; the others finish their current message first.
 * After grace_seconds the remaining sessions are closed (a message already being
 * committed still gets its answer). `done` runs once, from the main
 * loop, when no connection and no delivery remains. Called again, it ends the grace
 * period at once (the first call's `done` still applies). */
void okno_listener_stop(OknoListener *l, guint grace_seconds, void (*done)(gpointer),
                        gpointer user_data);
/* SIGHUP: loads [smtp] tls_cert and tls_key again (the files may have been renewed,
 * the keys changed by okno_config_reload); sessions that start TLS from now on use
 * it, open sessions keep theirs. FALSE and OKNO_ERROR_USER (the old certificate kept)
 * when the pair cannot be loaded; both keys empty: no STARTTLS for new sessions. */
gboolean okno_listener_reload_tls(OknoListener *l, GError **error);
/* Open sessions right now. */
guint okno_listener_sessions(const OknoListener *l);
/* Frees the listener; call it after stop's `done` (connections still open are
 * dropped, which is only right on an error path). */
void okno_listener_free(OknoListener *l);
