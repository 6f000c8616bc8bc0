/* staff.c: the store's rows for staff accounts, recovery codes, the login journal,
 * departments and routing rules (see staff.h). Portable SQL over
 * db.h, one or two statements per function; transactions belong to the callers. */
#include "store/staff.h"
#include "store/keys.h"

#include "core/clock.h"
#include "core/error.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

static char *dup0(const char *s) { return g_strdup(s ? s : ""); }

/* ---- users ---- */

static const OknoField user_fields[] = {
  OKNO_FIELD(OknoUser, id, "id", OKNO_F_INT),
  OKNO_FIELD(OknoUser, login, "login", OKNO_F_TEXT),
  OKNO_FIELD(OknoUser, display_name, "display_name", OKNO_F_TEXT),
  OKNO_FIELD(OknoUser, email, "email", OKNO_F_TEXT),
  OKNO_FIELD(OknoUser, role, "role", OKNO_F_TEXT),
  OKNO_FIELD(OknoUser, password_hash, "password_hash", OKNO_F_TEXT),
  OKNO_FIELD(OknoUser, totp_secret, "totp_secret", OKNO_F_TEXT),
  OKNO_FIELD(OknoUser, totp_last_step, "totp_last_step", OKNO_F_INT),
  OKNO_FIELD(OknoUser, must_change_password, "must_change_password", OKNO_F_BOOL),
  OKNO_FIELD(OknoUser, disabled, "disabled", OKNO_F_BOOL),
  OKNO_FIELD(OknoUser, failed_attempts, "failed_attempts", OKNO_F_INT),
  OKNO_FIELD(OknoUser, locked_until, "locked_until", OKNO_F_INT),
  OKNO_FIELD(OknoUser, created_at, "created_at", OKNO_F_INT),
};
static const OknoRecordType user_type =
    OKNO_RECORD_TYPE(OknoUser, user_fields, okno_user_free);

/* SELECT the users' columns `tail` (FROM users ...), written once into *cache. */
#define USERS_SQL(cache, tail) \
  okno_record_sql((cache), "SELECT ", &user_type, (tail))

void okno_user_free(OknoUser *u)
{
  if (u)
    g_strfreev(u->departments);
  okno_record_free(&user_type, u);
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
  g_autoptr(GPtrArray) out = okno_rows_map_all(r, &user_type, error);
  for (guint i = 0; out && i < out->len; i++) {
    OknoUser *u = out->pdata[i];
    u->departments = user_departments(st, u->id, error);
    if (!u->departments)
      return NULL;
  }
  return g_steal_pointer(&out);
}

static OknoUser *one_user(OknoStore *st, const char *sql, OknoParam key, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st), sql, &key, 1, error);
  g_autoptr(GPtrArray) users = r ? users_from_rows(st, r, error) : NULL;
  return users && users->len ? g_ptr_array_steal_index(users, 0) : NULL;
}

OknoUser *okno_store_user_get(OknoStore *st, const char *login, GError **error)
{
  static gsize sql;
  return one_user(st, USERS_SQL(&sql, " FROM users WHERE login = $1"), T(login), error);
}

OknoUser *okno_store_user_get_by_id(OknoStore *st, gint64 id, GError **error)
{
  static gsize sql;
  return one_user(st, USERS_SQL(&sql, " FROM users WHERE id = $1"), OKNO_INT(id), error);
}

GPtrArray *okno_store_user_list(OknoStore *st, GError **error)
{
  static gsize sql;
  g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st),
                                        USERS_SQL(&sql, " FROM users ORDER BY login"),
                                        OKNO_NO_PARAMS, error);
  return r ? users_from_rows(st, r, error) : NULL;
}

GPtrArray *okno_store_user_page(OknoStore *st, const char *after, const char *before,
                                guint limit, GError **error)
{
  static gsize back_sql, forth_sql;
  gboolean back = !(after && *after) && before && *before;
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      back ? USERS_SQL(&back_sql, " FROM users WHERE login < $1 ORDER BY login DESC LIMIT $2")
           : USERS_SQL(&forth_sql, " FROM users WHERE login > $1 ORDER BY login LIMIT $2"),
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
  g_autofree char *secret = okno_store_seal_secret(st, u->totp_secret, error);
  g_autoptr(OknoRows) r = NULL;
  if (!secret)
    return FALSE;
  r = okno_db_query(
      db,
      "INSERT INTO users(login, display_name, email, role, password_hash, totp_secret, "
      "must_change_password, disabled, created_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) "
      "ON CONFLICT (login) DO NOTHING RETURNING id",
      OKNO_PARAMS(T(u->login), T(u->display_name), T(u->email), T(u->role),
                  T(u->password_hash), OKNO_TEXT(secret),
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
  g_autofree char *sealed = okno_store_seal_secret(st, secret, error);
  return sealed &&
         okno_db_exec(okno_store_db(st),
                      "UPDATE users SET totp_secret = $2, totp_last_step = 0 WHERE id = $1",
                      OKNO_PARAMS(OKNO_INT(id), OKNO_TEXT(sealed)), error);
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

static const OknoField login_entry_fields[] = {
  OKNO_FIELD(OknoLoginEntry, at, "at", OKNO_F_INT),
  OKNO_FIELD(OknoLoginEntry, login, "login", OKNO_F_TEXT),
  OKNO_FIELD(OknoLoginEntry, user_id, "coalesce(user_id, 0)", OKNO_F_INT),
  OKNO_FIELD(OknoLoginEntry, ip, "ip", OKNO_F_TEXT),
  OKNO_FIELD(OknoLoginEntry, user_agent, "user_agent", OKNO_F_TEXT),
  OKNO_FIELD(OknoLoginEntry, result, "result", OKNO_F_TEXT),
};
static const OknoRecordType login_entry_type =
    OKNO_RECORD_TYPE(OknoLoginEntry, login_entry_fields, okno_login_entry_free);

void okno_login_entry_free(OknoLoginEntry *l)
{
  okno_record_free(&login_entry_type, l);
}

GPtrArray *okno_store_login_journal(OknoStore *st, gint64 user_id, gint64 limit,
                                    GError **error)
{
  static gsize sql;
  return okno_db_records(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &login_entry_type,
                      " FROM login_journal WHERE ($1 = 0 OR user_id = $1) "
                      "ORDER BY at DESC, id DESC LIMIT $2"),
      OKNO_PARAMS(OKNO_INT(user_id), OKNO_INT(limit > 0 ? limit : G_MAXINT64)),
      &login_entry_type, error);
}

gboolean okno_store_login_failures(OknoStore *st, gint64 user_id, const char *ip, gint64 since,
                                   gint64 *failures, gint64 *last_failure, gboolean *known,
                                   GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT count(*), coalesce(max(at), 0), "
      " (SELECT coalesce(max(at), 0) FROM login_journal WHERE user_id = $1 AND ip = $2 "
      "  AND at >= $3 AND result IN ('ok', 'ok_recovery')) "
      "FROM login_journal WHERE user_id = $1 AND ip = $2 AND at >= $3 "
      " AND result IN ('bad_password', 'bad_code', 'replayed_code') "
      " AND at > (SELECT coalesce(max(at), 0) FROM login_journal WHERE user_id = $1 "
      "  AND ip = $2 AND at >= $3 AND result IN ('ok', 'ok_recovery'))",
      OKNO_PARAMS(OKNO_INT(user_id), T(ip), OKNO_INT(since)), error);
  if (!r)
    return FALSE;
  *failures = okno_rows_int(r, 0, 0);
  *last_failure = okno_rows_int(r, 0, 1);
  *known = okno_rows_int(r, 0, 2) > 0;
  return TRUE;
}

static const OknoField department_fields[] = {
  OKNO_FIELD(OknoDepartment, code, "code", OKNO_F_TEXT),
  OKNO_FIELD(OknoDepartment, name, "name", OKNO_F_TEXT),
  OKNO_FIELD(OknoDepartment, parent, "coalesce(parent, '')", OKNO_F_TEXT),
};
static const OknoRecordType department_type =
    OKNO_RECORD_TYPE(OknoDepartment, department_fields, okno_department_free);

void okno_department_free(OknoDepartment *d)
{
  okno_record_free(&department_type, d);
}

/* ---- departments ---- */

OknoDepartment *okno_store_department_get(OknoStore *st, const char *code, GError **error)
{
  static gsize sql;
  return okno_db_record(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &department_type,
                      " FROM departments WHERE code = $1"),
      OKNO_PARAMS(T(code)), &department_type, error);
}

GPtrArray *okno_store_department_list(OknoStore *st, GError **error)
{
  static gsize sql;
  return okno_db_records(
      okno_store_db(st),
      okno_record_sql(&sql, "SELECT ", &department_type,
                      " FROM departments ORDER BY code"),
      OKNO_NO_PARAMS, &department_type, error);
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
  okno_store_memo_forget(st); /* the rules remembered in the transaction */
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

static const OknoField route_fields[] = {
  OKNO_FIELD(OknoRouteRule, id, "id", OKNO_F_INT),
  OKNO_FIELD(OknoRouteRule, position, "position", OKNO_F_INT),
  OKNO_FIELD(OknoRouteRule, kind, "kind", OKNO_F_TEXT),
  OKNO_FIELD(OknoRouteRule, value, "value", OKNO_F_TEXT),
  OKNO_FIELD(OknoRouteRule, department, "department", OKNO_F_TEXT),
};
static const OknoRecordType route_type =
    OKNO_RECORD_TYPE(OknoRouteRule, route_fields, okno_route_rule_free);

GPtrArray *okno_store_route_list(OknoStore *st, GError **error)
{
  static gsize sql;
  GPtrArray *rules = okno_store_memo_array(st, "routing_rules"); /* once per transaction */
  if (rules)
    return rules;
  rules = okno_db_records(okno_store_db(st),
                          okno_record_sql(&sql, "SELECT ", &route_type,
                                          " FROM routing_rules ORDER BY position, id"),
                          OKNO_NO_PARAMS, &route_type, error);
  okno_store_memo_array_set(st, "routing_rules", rules);
  return rules;
}

gboolean okno_store_route_remove(OknoStore *st, gint64 id, GError **error)
{
  g_autoptr(OknoRows) r = NULL;
  okno_store_memo_forget(st); /* the rules remembered in the transaction */
  r = okno_db_query(okno_store_db(st), "DELETE FROM routing_rules WHERE id = $1 RETURNING id",
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

/* ---- mail of no appeal ---- */

