/* privileges.h: who `okno serve` runs as ([server] user, group, allow_root).
 *
 * Started as root with [server] user set, the daemon works in three steps:
 *  1. okno_privileges_check(): looks the user and group up (one line on error);
 *  2. okno_privileges_as_user(): effective uid/gid become the user's (the saved uid
 *     stays 0), so the store, spool and outbox it creates belong to the user; around
 *     the binding of ports and sockets (ports below 1024, chown of the LMTP socket to
 *     another group, a TLS key only root reads) okno_privileges_as_root() takes root
 *     back for a moment;
 *  3. okno_privileges_drop(): setgroups to the one group, then real, effective and saved
 *     gid and uid all become the user's for good; it checks that root cannot be
 *     regained and fails otherwise.
 * Started as root without [server] user, check refuses unless [server] allow_root is
 * true. Started as another user, [server] user must be empty or that same user (e.g.
 * systemd's User=okno), and every step is a no-op. glibc applies set*id to every thread
 * of the process. */
#pragma once
#include <glib.h>
#include <sys/types.h>

#include "core/config.h"

typedef struct {
  gboolean switching; /* started as root with [server] user: the steps do something */
  uid_t uid;
  gid_t gid;
} OknoPrivileges;

gboolean okno_privileges_check(const OknoConfig *cfg, OknoPrivileges *p, GError **error);
gboolean okno_privileges_as_user(const OknoPrivileges *p, GError **error);
gboolean okno_privileges_as_root(const OknoPrivileges *p, GError **error);
gboolean okno_privileges_drop(const OknoPrivileges *p, GError **error);
