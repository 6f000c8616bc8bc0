/* privileges.c: becoming [server] user after binding (privileges.h). */
#include "core/privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"

static gboolean fail_errno(GError **error, const char *what)
{
  int e = errno;
  g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "[server] user: %s: %s", what, g_strerror(e));
  return FALSE;
}

gboolean okno_privileges_check(const OknoConfig *cfg, OknoPrivileges *p, GError **error)
{
  struct passwd *pw = NULL;
  memset(p, 0, sizeof *p);
  if (*cfg->server_user) {
    pw = getpwnam(cfg->server_user);
    if (!pw) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[server] user: no user '%s'", cfg->server_user);
      return FALSE;
    }
    p->uid = pw->pw_uid;
    p->gid = pw->pw_gid;
  }
  if (*cfg->server_group) {
    struct group *gr = getgrnam(cfg->server_group);
    if (!gr) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "[server] group: no group '%s'", cfg->server_group);
      return FALSE;
    }
    p->gid = gr->gr_gid;
  }
  if (geteuid() != 0) {
    if (pw && pw->pw_uid != geteuid()) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "[server] user = %s: only root can become another user (started as uid %d)",
                  cfg->server_user, (int)geteuid());
      return FALSE;
    }
    return TRUE;
  }
  if (!pw) {
    if (cfg->server_allow_root)
      return TRUE;
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "refusing to run as root: set [server] user (e.g. okno), or allow_root = true");
    return FALSE;
  }
  if (p->uid == 0) {
    if (cfg->server_allow_root)
      return TRUE;
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "[server] user = %s is root: refusing to run as root unless allow_root = true",
                cfg->server_user);
    return FALSE;
  }
  p->switching = TRUE;
  return TRUE;
}

gboolean okno_privileges_as_user(const OknoPrivileges *p, GError **error)
{
  if (!p->switching)
    return TRUE;
  if (setgroups(1, &p->gid) != 0)
    return fail_errno(error, "setgroups");
  if (setegid(p->gid) != 0)
    return fail_errno(error, "setegid");
  if (seteuid(p->uid) != 0)
    return fail_errno(error, "seteuid");
  return TRUE;
}

gboolean okno_privileges_as_root(const OknoPrivileges *p, GError **error)
{
  if (!p->switching)
    return TRUE;
  if (seteuid(0) != 0)
    return fail_errno(error, "seteuid(0)");
  if (setegid(0) != 0)
    return fail_errno(error, "setegid(0)");
  return TRUE;
}

gboolean okno_privileges_drop(const OknoPrivileges *p, GError **error)
{
  uid_t r, e, s;
  if (!p->switching)
    return TRUE;
  if (geteuid() != 0 && seteuid(0) != 0)
    return fail_errno(error, "seteuid(0)");
  if (setgroups(1, &p->gid) != 0)
    return fail_errno(error, "setgroups");
  if (setresgid(p->gid, p->gid, p->gid) != 0)
    return fail_errno(error, "setresgid");
  if (setresuid(p->uid, p->uid, p->uid) != 0)
    return fail_errno(error, "setresuid");
  if (getresuid(&r, &e, &s) != 0 || r != p->uid || e != p->uid || s != p->uid ||
      setuid(0) == 0 || seteuid(0) == 0) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_INTERNAL, "[server] user: root could be regained");
    return FALSE;
  }
  return TRUE;
}
