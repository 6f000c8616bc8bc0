/* staff.c: the store's rows for staff accounts, recovery codes, the login journal,
 * departments, routing rules, appeal assignment under optimistic locking, and mail
 * that belongs to no appeal (see the "staff" section of store.h). Portable SQL over
 * db.h, one or two statements per function; transactions belong to the callers. */
#include "store/store.h"

#include "core/clock.h"
#include "core/error.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

static char *dup0(const char *s) { return g_strdup(s ? s : ""); }

/* ---- users ---- */

#define USER_COLUMNS                                                                     \
  "id, login, display_name, email, role, password_hash, totp_secret, totp_last_step, "   \
  "must_change_password, disabled, failed_attempts, locked_until, created_at"

void okno_user_free(OknoUser *u)
{
  if (!u)
    return;
  g_free(u->login);
  g_free(u->display_name);
  g_free(u->email);
  g_free(u->role);
  g_free(u->password_hash);
  g_free(u->totp_secret);
  g_strfreev(u->departments);
  g_free(u);
}

static char **user_departments(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT department FROM user_departments WHERE user_id = $1 ORDER BY department",
      OKNO_PARAMS(OKNO_INT(id)), error);
  char **out;
  if (!r)
    return NULL;
  out = g_new0(char *, okno_rows_count(r) + 1);
  for (guint i = 0; i < okno_rows_count(r); i++)
    out[i] = dup0(okno_rows_text(r, i, 0));
  return out;
}

static GPtrArray *users_from_rows(OknoStore *st, OknoRows *r, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_user_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoUser *u = g_new0(OknoUser, 1);
    g_ptr_array_add(out, u);
    u->id = okno_rows_int(r, i, 0);
    u->login = dup0(okno_rows_text(r, i, 1));
    u->display_name = dup0(okno_rows_text(r, i, 2));
    u->email = dup0(okno_rows_text(r, i, 3));
    u->role = dup0(okno_rows_text(r, i, 4));
    u->password_hash = dup0(okno_rows_text(r, i, 5));
    u->totp_secret = dup0(okno_rows_text(r, i, 6));
    u->totp_last_step = okno_rows_int(r, i, 7);
    u->must_change_password = okno_rows_int(r, i, 8) != 0;
    u->disabled = okno_rows_int(r, i, 9) != 0;
    u->failed_attempts = okno_rows_int(r, i, 10);
    u->locked_until = okno_rows_int(r, i, 11);
    u->created_at = okno_rows_int(r, i, 12);
    u->departments = user_departments(st, u->id, error);
    if (!u->departments) {
      g_ptr_array_unref(out);
      return NULL;
    }
  }
  return out;
}

static OknoUser *one_user(OknoStore *st, const char *where, OknoParam key, GError **error)
{
  g_autofree char *sql = g_strdup_printf("SELECT " USER_COLUMNS " FROM users WHERE %s = $1", where);
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), sql, &key, 1, error);
  g_autoptr(GPtrArray) users = r ? users_from_rows(st, r, error) : NULL;
  return users && users->len ? g_ptr_array_steal_index(users, 0) : NULL;
}

OknoUser *okno_store_user_get(OknoStore *st, const char *login, GError **error)
{
  return one_user(st, "login", T(login), error);
}

OknoUser *okno_store_user_get_by_id(OknoStore *st, gint64 id, GError **error)
{
  return one_user(st, "id", OKNO_INT(id), error);
}

GPtrArray *okno_store_user_list(OknoStore *st, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st),
                                        "SELECT " USER_COLUMNS " FROM users ORDER BY login",
                                        OKNO_NO_PARAMS, error);
  return r ? users_from_rows(st, r, error) : NULL;
}

GPtrArray *okno_store_user_page(OknoStore *st, const char *after, const char *before,
                                guint limit, GError **error)
{
  gboolean back = !(after && *after) && before && *before;
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      back ? "SELECT " USER_COLUMNS " FROM users WHERE login < $1 ORDER BY login DESC LIMIT $2"
           : "SELECT " USER_COLUMNS " FROM users WHERE login > $1 ORDER BY login LIMIT $2",
      OKNO_PARAMS(T(back ? before : after), OKNO_INT((gint64)limit + 1)), error);
  GPtrArray *out = r ? users_from_rows(st, r, error) : NULL;
  if (out && back) {
    for (guint i = 0; i < out->len / 2; i++) {
      gpointer x = out->pdata[i];
      out->pdata[i] = out->pdata[out->len - 1 - i];
      out->pdata[out->len - 1 - i] = x;
    }
  }
  return out;
}

gboolean okno_store_user_insert(OknoStore *st, OknoUser *u, GError **error)
{
  OknoDb *db = okno_store_db(st);
  gint64 now = okno_now();
  g_autoptr(OknoRows) r = okno_db_query(
      db,
      "INSERT INTO users(login, display_name, email, role, password_hash, totp_secret, "
      "must_change_password, disabled, created_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) "
      "ON CONFLICT (login) DO NOTHING RETURNING id",
      OKNO_PARAMS(T(u->login), T(u->display_name), T(u->email), T(u->role),
                  T(u->password_hash), T(u->totp_secret),
                  OKNO_INT(u->must_change_password ? 1 : 0), OKNO_INT(u->disabled ? 1 : 0),
                  OKNO_INT(now)),
      error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "логин «%s» уже занят", u->login);
    return FALSE;
  }
  u->id = okno_rows_int(r, 0, 0);
  u->created_at = now;
  for (char **d = u->departments; d && *d; d++) {
    g_autoptr(OknoDepartment) dep = okno_store_department_get(st, *d, error);
    if (!dep) {
      if (error && !*error)
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "нет отдела с кодом «%s»", *d);
      return FALSE;
    }
    if (!okno_db_exec(db,
                      "INSERT INTO user_departments(user_id, department) VALUES($1, $2) "
                      "ON CONFLICT DO NOTHING",
                      OKNO_PARAMS(OKNO_INT(u->id), OKNO_TEXT(*d)), error))
      return FALSE;
  }
  return TRUE;
}

gboolean okno_store_user_set_disabled(OknoStore *st, gint64 id, gboolean disabled,
                                      GError **error)
{
  return okno_db_exec(okno_store_db(st), "UPDATE users SET disabled = $2 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(disabled ? 1 : 0)), error);
}

gboolean okno_store_user_set_totp(OknoStore *st, gint64 id, const char *secret,
                                  GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE users SET totp_secret = $2, totp_last_step = 0 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), T(secret)), error);
}

gboolean okno_store_user_set_password(OknoStore *st, gint64 id, const char *hash,
                                      gboolean must_change, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE users SET password_hash = $2, must_change_password = $3 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), T(hash), OKNO_INT(must_change ? 1 : 0)), error);
}

gboolean okno_store_user_set_lock(OknoStore *st, gint64 id, gint64 failed_attempts,
                                  gint64 locked_until, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "UPDATE users SET failed_attempts = $2, locked_until = $3 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(failed_attempts), OKNO_INT(locked_until)),
                      error);
}

gboolean okno_store_user_totp_use(OknoStore *st, gint64 id, gint64 step, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2 RETURNING id",
      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(step)), error);
  return r && okno_rows_count(r) > 0;
}

/* ---- recovery codes ---- */

gboolean okno_store_recovery_codes_set(OknoStore *st, gint64 user_id,
                                       const char *const *hashes, GError **error)
{
  OknoDb *db = okno_store_db(st);
  if (!okno_db_exec(db, "DELETE FROM recovery_codes WHERE user_id = $1",
                    OKNO_PARAMS(OKNO_INT(user_id)), error))
    return FALSE;
  for (; hashes && *hashes; hashes++)
    if (!okno_db_exec(db, "INSERT INTO recovery_codes(user_id, code_hash) VALUES($1, $2)",
                      OKNO_PARAMS(OKNO_INT(user_id), OKNO_TEXT(*hashes)), error))
      return FALSE;
  return TRUE;
}

gboolean okno_store_recovery_code_use(OknoStore *st, gint64 user_id, const char *hash,
                                      gint64 now, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE recovery_codes SET used_at = $3 WHERE id = (SELECT id FROM recovery_codes "
      "WHERE user_id = $1 AND code_hash = $2 AND used_at = 0 ORDER BY id LIMIT 1) "
      "AND used_at = 0 RETURNING id",
      OKNO_PARAMS(OKNO_INT(user_id), T(hash), OKNO_INT(now)), error);
  return r && okno_rows_count(r) > 0;
}

gint64 okno_store_recovery_codes_left(OknoStore *st, gint64 user_id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st), "SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at = 0",
      OKNO_PARAMS(OKNO_INT(user_id)), error);
  return r ? okno_rows_int(r, 0, 0) : -1;
}

/* ---- the login journal ---- */

void okno_login_entry_free(OknoLoginEntry *e)
{
  if (!e)
    return;
  g_free(e->login);
  g_free(e->ip);
  g_free(e->user_agent);
  g_free(e->result);
  g_free(e);
}

gboolean okno_store_login_journal_add(OknoStore *st, const OknoLoginEntry *e, GError **error)
{
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO login_journal(at, login, user_id, ip, user_agent, result) "
                      "VALUES($1, $2, $3, $4, $5, $6)",
                      OKNO_PARAMS(OKNO_INT(e->at), T(e->login),
                                  e->user_id ? OKNO_INT(e->user_id) : OKNO_NULL, T(e->ip),
                                  T(e->user_agent), T(e->result)),
                      error);
}

GPtrArray *okno_store_login_journal(OknoStore *st, gint64 user_id, gint64 limit,
                                    GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT at, login, coalesce(user_id, 0), ip, user_agent, result FROM login_journal "
      "WHERE ($1 = 0 OR user_id = $1) ORDER BY at DESC, id DESC LIMIT $2",
      OKNO_PARAMS(OKNO_INT(user_id), OKNO_INT(limit > 0 ? limit : G_MAXINT64)), error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_login_entry_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoLoginEntry *e = g_new0(OknoLoginEntry, 1);
    e->at = okno_rows_int(r, i, 0);
    e->login = dup0(okno_rows_text(r, i, 1));
    e->user_id = okno_rows_int(r, i, 2);
    e->ip = dup0(okno_rows_text(r, i, 3));
    e->user_agent = dup0(okno_rows_text(r, i, 4));
    e->result = dup0(okno_rows_text(r, i, 5));
    g_ptr_array_add(out, e);
  }
  return out;
}

/* ---- departments ---- */

void okno_department_free(OknoDepartment *d)
{
  if (!d)
    return;
  g_free(d->code);
  g_free(d->name);
  g_free(d->parent);
  g_free(d);
}

static GPtrArray *departments_query(OknoStore *st, const char *where, const char *code,
                                    GError **error)
{
  g_autofree char *sql = g_strdup_printf(
      "SELECT code, name, coalesce(parent, '') FROM departments %s ORDER BY code", where);
  g_autoptr(OknoRows) r = code ? okno_db_query(okno_store_db(st), sql, OKNO_PARAMS(T(code)), error)
                               : okno_db_query(okno_store_db(st), sql, OKNO_NO_PARAMS, error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_department_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoDepartment *d = g_new0(OknoDepartment, 1);
    d->code = dup0(okno_rows_text(r, i, 0));
    d->name = dup0(okno_rows_text(r, i, 1));
    d->parent = dup0(okno_rows_text(r, i, 2));
    g_ptr_array_add(out, d);
  }
  return out;
}

OknoDepartment *okno_store_department_get(OknoStore *st, const char *code, GError **error)
{
  g_autoptr(GPtrArray) one = departments_query(st, "WHERE code = $1", code, error);
  return one && one->len ? g_ptr_array_steal_index(one, 0) : NULL;
}

GPtrArray *okno_store_department_list(OknoStore *st, GError **error)
{
  return departments_query(st, "", NULL, error);
}

gboolean okno_store_department_add(OknoStore *st, const OknoDepartment *d, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  if (d->parent && *d->parent) {
    g_autoptr(OknoDepartment) parent = okno_store_department_get(st, d->parent, error);
    if (!parent) {
      if (error && !*error)
        g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "нет вышестоящего отдела с кодом «%s»",
                    d->parent);
      return FALSE;
    }
  }
  r = okno_db_query(okno_store_db(st),
                    "INSERT INTO departments(code, name, parent, created_at) VALUES($1, $2, $3, $4) "
                    "ON CONFLICT (code) DO NOTHING RETURNING code",
                    OKNO_PARAMS(T(d->code), T(d->name),
                                d->parent && *d->parent ? OKNO_TEXT(d->parent) : OKNO_NULL,
                                OKNO_INT(okno_now())),
                    error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "отдел с кодом «%s» уже есть", d->code);
    return FALSE;
  }
  return TRUE;
}

char **okno_store_department_supervisors(OknoStore *st, const char *code, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT DISTINCT lower(u.email) FROM users u JOIN user_departments ud ON ud.user_id = u.id "
      "WHERE ud.department = $1 AND u.role = 'supervisor' AND u.disabled = 0 AND u.email <> '' "
      "ORDER BY 1",
      OKNO_PARAMS(T(code)), error);
  char **out;
  if (!r)
    return NULL;
  out = g_new0(char *, okno_rows_count(r) + 1);
  for (guint i = 0; i < okno_rows_count(r); i++)
    out[i] = dup0(okno_rows_text(r, i, 0));
  return out;
}

/* ---- routing rules ---- */

gboolean okno_store_route_add(OknoStore *st, OknoRouteRule *rule, GError **error)
{
  g_autoptr(OknoDepartment) dep = okno_store_department_get(st, rule->department, error);
  g_autoptr(OknoRows) r = NULL;
  if (!dep) {
    if (error && !*error)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "нет отдела с кодом «%s»", rule->department);
    return FALSE;
  }
  r = okno_db_query(
      okno_store_db(st),
      "INSERT INTO routing_rules(position, kind, value, department, created_at) "
      "VALUES(CASE WHEN $1 > 0 THEN $1 ELSE (SELECT coalesce(max(position), 0) + 10 "
      "FROM routing_rules) END, $2, $3, $4, $5) RETURNING id, position",
      OKNO_PARAMS(OKNO_INT(rule->position), T(rule->kind), T(rule->value), T(rule->department),
                  OKNO_INT(okno_now())),
      error);
  if (!r)
    return FALSE;
  rule->id = okno_rows_int(r, 0, 0);
  rule->position = okno_rows_int(r, 0, 1);
  return TRUE;
}

GPtrArray *okno_store_route_list(OknoStore *st, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT id, position, kind, value, department FROM routing_rules ORDER BY position, id",
      OKNO_NO_PARAMS, error);
  GPtrArray *out;
  if (!r)
    return NULL;
  out = g_ptr_array_new_with_free_func((GDestroyNotify)okno_route_rule_free);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoRouteRule *x = g_new0(OknoRouteRule, 1);
    x->id = okno_rows_int(r, i, 0);
    x->position = okno_rows_int(r, i, 1);
    x->kind = dup0(okno_rows_text(r, i, 2));
    x->value = dup0(okno_rows_text(r, i, 3));
    x->department = dup0(okno_rows_text(r, i, 4));
    g_ptr_array_add(out, x);
  }
  return out;
}

gboolean okno_store_route_remove(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st),
                                        "DELETE FROM routing_rules WHERE id = $1 RETURNING id",
                                        OKNO_PARAMS(OKNO_INT(id)), error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "нет правила маршрутизации номер %" G_GINT64_FORMAT, id);
    return FALSE;
  }
  return TRUE;
}

/* ---- appeals: department, assignee, version ---- */

gboolean okno_store_appeal_assign(OknoStore *st, gint64 id, gint64 version,
                                  const char *department, gint64 assignee,
                                  gint64 *new_version, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "UPDATE appeals SET department = $3, assignee = $4, version = version + 1, updated_at = $5 "
      "WHERE id = $1 AND ($2 = 0 OR version = $2) RETURNING version",
      OKNO_PARAMS(OKNO_INT(id), OKNO_INT(version), T(department),
                  assignee ? OKNO_INT(assignee) : OKNO_NULL, OKNO_INT(okno_now())),
      error);
  if (!r)
    return FALSE;
  if (!okno_rows_count(r)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    return FALSE;
  }
  if (new_version)
    *new_version = okno_rows_int(r, 0, 0);
  return TRUE;
}

/* ---- mail of no appeal ---- */

gboolean okno_store_outbound_enqueue_mail(OknoStore *st, const char *env_from,
                                          const char *env_to, const char *message_id,
                                          GBytes *raw, GError **error)
{
  gsize len = 0;
  const void *data = g_bytes_get_data(raw, &len);
  gint64 now = okno_now();
  return okno_db_exec(okno_store_db(st),
                      "INSERT INTO outbound(env_from, env_to, automatic, next_attempt_at, "
                      "created_at, mail_message_id, mail_raw) VALUES($1, $2, 1, $3, $3, $4, $5)",
                      OKNO_PARAMS(T(env_from), T(env_to), OKNO_INT(now), T(message_id),
                                  OKNO_BLOB(data ? data : "", len)),
                      error);
}
