/* staff.c: staff accounts, sign-in with lock-out and journal, and the permission
 * table (see staff.h). Password and TOTP arithmetic live in password.c and totp.c;
 * rows in src/store/staff.c. Argon2id runs outside any store transaction, so a
 * sign-in never holds the store's write lock for the 64 MiB hash. */
#include "sec/staff.h"

#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "mail/receipt.h"
#include "sec/password.h"
#include "sec/totp.h"
#include "store/outbound.h"
#include "store/staff.h"

#define LOCK_MAX_US (G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC)
#define MSG_BAD OKNO_STAFF_MSG_BAD
#define JOURNAL_DAYS 1 /* how far back the journal counts a pair's failures */
#define UNKNOWN_LOGIN "(unknown)"

OknoStaffPolicy okno_staff_policy(const OknoConfig *cfg)
{
  return (OknoStaffPolicy){
    .lock_after = cfg->staff_lockout_after,
    .lock_seconds = cfg->staff_lockout_seconds,
    .backoff_after = cfg->staff_backoff_after,
    .backoff_max_seconds = cfg->staff_backoff_max_seconds,
    .issuer = *cfg->staff_totp_issuer ? cfg->staff_totp_issuer : cfg->portal_name,
    .cfg = cfg,
  };
}

gboolean okno_staff_role_valid(const char *role)
{
  static const char *const roles[] = {"operator", "supervisor", "administrator", "auditor"};
  for (guint i = 0; i < G_N_ELEMENTS(roles); i++)
    if (g_strcmp0(role, roles[i]) == 0)
      return TRUE;
  return FALSE;
}

void okno_enrolment_free(OknoEnrolment *e)
{
  if (!e)
    return;
  g_free(e->login);
  if (e->password)
    memset(e->password, 0, strlen(e->password));
  g_free(e->password);
  g_free(e->totp_secret);
  g_free(e->totp_uri);
  g_strfreev(e->recovery_codes);
  g_free(e);
}

static gboolean login_valid(const char *login)
{
  gsize n = login ? strlen(login) : 0;
  if (n < 2 || n > 64 || !g_ascii_isalnum(login[0]))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!(g_ascii_islower(login[i]) || g_ascii_isdigit(login[i]) || strchr("._-", login[i])))
      return FALSE;
  return TRUE;
}

static gboolean email_valid(const char *email)
{
  const char *at = email ? strchr(email, '@') : NULL;
  if (!email || !*email)
    return TRUE;
  if (!at || at == email || strchr(at + 1, '@') || !strchr(at + 1, '.') || strlen(email) > 254)
    return FALSE;
  for (const char *p = email; *p; p++)
    if ((guchar)*p <= ' ' || strchr("<>()[],;:\"\\", *p))
      return FALSE;
  return at[strlen(at) - 1] != '.';
}

/* A new second factor for `e`: secret, URI, recovery codes; the store gets the secret
 * and the codes' hashes. */
static gboolean new_second_factor(OknoStore *st, const OknoStaffPolicy *pol, OknoUser *u,
                                  OknoEnrolment *e, GError **error)
{
  g_autoptr(GPtrArray) hashes = g_ptr_array_new_with_free_func(g_free);
  e->totp_secret = okno_totp_secret_new();
  e->totp_uri = okno_totp_uri(e->totp_secret, pol->issuer, u->login);
  e->recovery_codes = okno_recovery_codes_new();
  for (char **c = e->recovery_codes; *c; c++)
    g_ptr_array_add(hashes, okno_recovery_code_hash(*c));
  g_ptr_array_add(hashes, NULL);
  return okno_store_user_set_totp(st, u->id, e->totp_secret, error) &&
         okno_store_recovery_codes_set(st, u->id, (const char *const *)hashes->pdata, error);
}

OknoEnrolment *okno_staff_create(OknoStore *st, const OknoStaffPolicy *pol, const char *login,
                                 const char *role, const char *display_name, const char *email,
                                 const char *const *departments, GError **error)
{
  g_autoptr(OknoEnrolment) e = g_new0(OknoEnrolment, 1);
  g_autoptr(OknoUser) u = g_new0(OknoUser, 1);
  char pii[OKNO_PII_BUF];

  if (!login_valid(login)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "логин должен быть из 2–64 строчных латинских букв, цифр и знаков . _ - "
                "и начинаться с буквы или цифры");
    return NULL;
  }
  if (!okno_staff_role_valid(role)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "роль должна быть одной из: operator, supervisor, administrator, auditor");
    return NULL;
  }
  if (g_str_equal(role, "supervisor") && (!departments || !departments[0])) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                "руководителю (supervisor) нужен хотя бы один отдел, которым он руководит");
    return NULL;
  }
  if (!email_valid(email)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "адрес электронной почты «%s» неверен", email);
    return NULL;
  }
  if (display_name && !g_utf8_validate(display_name, -1, NULL)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "имя не в кодировке UTF-8");
    return NULL;
  }
  e->login = g_strdup(login);
  e->password = okno_password_generate();
  u->login = g_strdup(login);
  u->role = g_strdup(role);
  u->display_name = g_strdup(display_name ? display_name : "");
  u->email = g_ascii_strdown(email ? email : "", -1);
  u->must_change_password = TRUE;
  u->totp_secret = g_strdup("");
  u->departments = g_strdupv((char **)departments);
  u->password_hash = okno_password_hash(e->password, error);
  if (!u->password_hash || !okno_store_begin(st, error))
    return NULL;
  if (!okno_store_user_insert(st, u, error) || !new_second_factor(st, pol, u, e, error) ||
      !okno_store_commit(st, error)) {
    okno_store_rollback(st);
    return NULL;
  }
  okno_log("staff", "event=user_created user=%" G_GINT64_FORMAT " role=%s email=%s", u->id, role,
           okno_pii(u->email, pii));
  return g_steal_pointer(&e);
}

static OknoUser *existing_user(OknoStore *st, const char *login, GError **error)
{
  OknoUser *u = okno_store_user_get(st, login, error);
  if (!u && error && !*error)
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "нет сотрудника с логином «%s»", login);
  return u;
}

OknoEnrolment *okno_staff_reset_2fa(OknoStore *st, const OknoStaffPolicy *pol,
                                    const char *login, GError **error)
{
  g_autoptr(OknoEnrolment) e = g_new0(OknoEnrolment, 1);
  g_autoptr(OknoUser) u = NULL;
  if (!okno_store_begin(st, error))
    return NULL;
  u = existing_user(st, login, error);
  if (!u || !new_second_factor(st, pol, u, e, error) || !okno_store_commit(st, error)) {
    okno_store_rollback(st);
    return NULL;
  }
  e->login = g_strdup(u->login);
  okno_log("staff", "event=second_factor_reset user=%" G_GINT64_FORMAT, u->id);
  return g_steal_pointer(&e);
}

gboolean okno_staff_set_disabled(OknoStore *st, const char *login, gboolean disabled,
                                 GError **error)
{
  g_autoptr(OknoUser) u = NULL;
  if (!okno_store_begin(st, error))
    return FALSE;
  u = existing_user(st, login, error);
  if (!u || !okno_store_user_set_disabled(st, u->id, disabled, error) ||
      !okno_store_commit(st, error)) {
    okno_store_rollback(st);
    return FALSE;
  }
  okno_log("staff", "event=%s user=%" G_GINT64_FORMAT, disabled ? "user_disabled" : "user_enabled",
           u->id);
  return TRUE;
}

gboolean okno_staff_set_password(OknoStore *st, const char *login, const char *password,
                                 GError **error)
{
  g_autoptr(OknoUser) u = NULL;
  g_autofree char *hash = NULL;
  if (!okno_password_check(password, error) || !(hash = okno_password_hash(password, error)) ||
      !okno_store_begin(st, error))
    return FALSE;
  u = existing_user(st, login, error);
  if (!u || !okno_store_user_set_password(st, u->id, hash, FALSE, error) ||
      !okno_store_commit(st, error)) {
    okno_store_rollback(st);
    return FALSE;
  }
  okno_log("staff", "event=password_changed user=%" G_GINT64_FORMAT, u->id);
  return TRUE;
}

/* ---- sign-in ---- */

/* Verifies against a hash of nothing, so an unknown login costs what a known one does. */
static void spend_like_a_verify(const char *password)
{
  static char *dummy;
  if (g_once_init_enter(&dummy)) {
    g_autofree char *pw = okno_password_generate();
    g_once_init_leave(&dummy, okno_password_hash(pw, NULL));
  }
  (void)okno_password_verify(dummy, password ? password : "");
}

/* The lock after `failures` consecutive failures: none below lock_after, then
 * lock_seconds, doubling with each further failure, capped at a day. */
static gint64 lock_length(const OknoStaffPolicy *pol, gint64 failures)
{
  gint64 len, extra;
  if (failures < pol->lock_after)
    return 0;
  len = pol->lock_seconds * G_USEC_PER_SEC;
  for (extra = failures - pol->lock_after; extra > 0 && len < LOCK_MAX_US; extra--)
    len *= 2;
  return MIN(len, LOCK_MAX_US);
}

/* The owner's notice of a lock, written like every automatic message of okno
 * (okno_notice_build) and DKIM-signed when a key is set; NULL (and *message_id NULL)
 * when the address cannot be written into a header. */
static GBytes *lock_notice(const OknoStaffPolicy *pol, const OknoUser *u, const OknoSignIn *in,
                           gint64 failures, gint64 until, char **message_id)
{
  g_autofree char *when = okno_receipt_time(until);
  g_autofree char *text = g_strdup_printf(
      "Вход под логином %s с адреса %s был заблокирован после %" G_GINT64_FORMAT
      " неудачных попыток подряд. Следующая попытка с этого адреса возможна после %s; "
      "с других адресов вход открыт.\n"
      "Последняя попытка: программа «%s».\n\n"
      "Если это были вы, просто подождите. Если нет, сообщите администратору: "
      "возможно, ваш пароль пытаются подобрать.",
      u->login, in->ip && *in->ip ? in->ip : "неизвестен", failures, when,
      in->user_agent && *in->user_agent ? in->user_agent : "неизвестна");
  g_autoptr(GBytes) plain = okno_notice_build(pol->cfg, "lock", u->email, u->display_name,
                                              "Вход в вашу учётную запись временно заблокирован",
                                              text, message_id);
  g_autoptr(GError) err = NULL;
  GBytes *out;
  if (!plain)
    return NULL;
  out = okno_dkim_sign_or_plain(pol->dkim, plain, &err);
  if (err)
    okno_log_warn("staff", "event=dkim_failed user=%" G_GINT64_FORMAT " error=\"%s\"", u->id,
                  err->message);
  return out;
}

static gboolean journal(OknoStore *st, const OknoSignIn *in, const OknoUser *u,
                        const char *result, GError **error)
{
  g_autofree char *ip = g_strndup(in->ip ? in->ip : "", 64);
  g_autofree char *ua = g_strndup(in->user_agent ? in->user_agent : "", 512);
  /* a login that names no account may be a password typed into the wrong field */
  g_autofree char *login = g_strndup(u && in->login ? in->login : UNKNOWN_LOGIN, 128);
  OknoLoginEntry e = {
    .at = okno_now(), .login = login, .user_id = u ? u->id : 0, .ip = ip, .user_agent = ua,
    .result = (char *)result,
  };
  /* Text from the network is stored as given only when it is UTF-8. */
  if (!g_utf8_validate(e.login, -1, NULL))
    e.login = "(not UTF-8)";
  if (!g_utf8_validate(e.ip, -1, NULL))
    e.ip = "";
  if (!g_utf8_validate(e.user_agent, -1, NULL))
    e.user_agent = "";
  return okno_store_login_journal_add(st, &e, error);
}

/* Checks the second factor: a TOTP code (6 digits) or a recovery code. Spends it. */
static const char *second_factor(OknoStore *st, const OknoUser *u, const char *code,
                                 GError **error)
{
  gint64 step = 0;
  g_autofree char *hash = NULL;
  if (okno_totp_verify(u->totp_secret, code, okno_now(), u->totp_last_step, &step))
    return okno_store_user_totp_use(st, u->id, step, error) ? "ok" : "replayed_code";
  if (error && *error)
    return NULL;
  hash = okno_recovery_code_hash(code);
  if (hash && okno_store_recovery_code_use(st, u->id, hash, okno_now(), error))
    return "ok_recovery";
  if (error && *error)
    return NULL;
  {
    /* A code of a step already used is told apart in the journal. */
    gint64 any = 0;
    if (u->totp_last_step && okno_totp_verify(u->totp_secret, code, okno_now(), 0, &any))
      return "replayed_code";
  }
  return "bad_code";
}

/* The account-wide back-off after `failures` consecutive failures from every address:
 * none up to backoff_after, then 1 s doubling, capped at backoff_max_seconds. */
static gint64 backoff_length(const OknoStaffPolicy *pol, gint64 failures)
{
  gint64 len = G_USEC_PER_SEC, cap = pol->backoff_max_seconds * G_USEC_PER_SEC;
  if (pol->backoff_after <= 0 || failures < pol->backoff_after)
    return 0;
  for (gint64 extra = failures - pol->backoff_after; extra > 0 && len < cap; extra--)
    len *= 2;
  return MIN(len, cap);
}

static gboolean is_failure(const char *result)
{
  return g_str_equal(result, "bad_password") || g_str_equal(result, "bad_code") ||
         g_str_equal(result, "replayed_code");
}

OknoUser *okno_staff_authenticate(OknoStore *st, const OknoStaffPolicy *pol,
                                  const OknoSignIn *in, const char **result_out, GError **error)
{
  g_autoptr(OknoUser) u = NULL;
  g_autoptr(GError) user_err = NULL;
  const char *result = NULL;
  const char *ip = in->ip ? in->ip : "";
  gboolean password_ok;
  gint64 now = okno_now(), pair_failures = 0, last_failure = 0, pair_lock = 0;
  gboolean known = FALSE;
  char pii[OKNO_PII_BUF];

  if (result_out)
    *result_out = NULL;
  /* 1. Outside any transaction: the row as it is and the slow hash, always (a locked
   * pair or an unknown login costs what a wrong password does). */
  u = okno_store_user_get(st, in->login ? in->login : "", error);
  if (!u && error && *error)
    return NULL;
  if (u) {
    password_ok = okno_password_verify(u->password_hash, in->password);
  } else {
    spend_like_a_verify(in->password);
    password_ok = FALSE;
  }

  /* 2. One transaction: the row again (another sign-in may have changed it), the pair's
   * journal, the second factor, the counters, the journal, the notice. */
  if (!okno_store_begin(st, error))
    return NULL;
  if (u) {
    gint64 id = u->id;
    okno_user_free(g_steal_pointer(&u));
    u = okno_store_user_get_by_id(st, id, error);
    if (!u && error && *error)
      goto fail;
  }
  if (u) {
    if (!okno_store_login_failures(st, u->id, ip, now - JOURNAL_DAYS * G_GINT64_CONSTANT(86400) * G_USEC_PER_SEC,
                                   &pair_failures, &last_failure, &known, error))
      goto fail;
    pair_lock = lock_length(pol, pair_failures);
  }
  if (!u) {
    result = "unknown_login";
  } else if ((pair_lock && last_failure + pair_lock > now) ||
             (u->locked_until > now && !known)) {
    result = "locked"; /* nothing is checked */
  } else if (!password_ok) {
    result = "bad_password";
  } else if (u->disabled) {
    result = "disabled";
    g_set_error(&user_err, OKNO_ERROR, OKNO_ERROR_USER,
                "Учётная запись отключена. Обратитесь к администратору.");
  } else {
    result = second_factor(st, u, in->code ? in->code : "", error);
    if (!result)
      goto fail;
  }
  if (!user_err && !g_str_has_prefix(result, "ok"))
    g_set_error(&user_err, OKNO_ERROR, OKNO_ERROR_USER, MSG_BAD);

  if (u && is_failure(result)) {
    gint64 backoff, lock = lock_length(pol, pair_failures + 1);
    u->failed_attempts++;
    backoff = backoff_length(pol, u->failed_attempts);
    u->locked_until = backoff ? now + backoff : 0;
    if (!okno_store_user_set_lock(st, u->id, u->failed_attempts, u->locked_until, error))
      goto fail;
    /* the owner hears of the first lock of each address, not of every doubling */
    if (lock && pair_failures + 1 == pol->lock_after && *u->email) {
      g_autofree char *msgid = NULL;
      g_autoptr(GBytes) raw = lock_notice(pol, u, in, pair_failures + 1, now + lock, &msgid);
      if (raw && !okno_store_outbound_enqueue_mail(st, pol->cfg->outbound_from, u->email, msgid,
                                                   raw, error))
        goto fail;
    }
    if (lock || backoff) {
      char ipt[OKNO_PII_BUF];
      okno_log("staff", "event=locked user=%" G_GINT64_FORMAT " ip=%s failures=%" G_GINT64_FORMAT
               " seconds=%" G_GINT64_FORMAT " account_failures=%" G_GINT64_FORMAT
               " backoff_ms=%" G_GINT64_FORMAT " notified=%s", u->id, okno_pii(ip, ipt),
               pair_failures + 1, lock / G_USEC_PER_SEC, u->failed_attempts, backoff / 1000,
               *u->email && pair_failures + 1 == pol->lock_after ? okno_pii(u->email, pii) : "no");
    }
  } else if (u && g_str_has_prefix(result, "ok")) {
    if ((u->failed_attempts || u->locked_until) &&
        !okno_store_user_set_lock(st, u->id, 0, 0, error))
      goto fail;
    u->failed_attempts = u->locked_until = 0;
    if (okno_password_needs_rehash(u->password_hash)) {
      g_autofree char *h = okno_password_hash(in->password, NULL);
      if (h && !okno_store_user_set_password(st, u->id, h, u->must_change_password, error))
        goto fail;
    }
  }
  if (!journal(st, in, u, result, error) || !okno_store_commit(st, error))
    goto fail;
  {
    char ipt[OKNO_PII_BUF];
    /* Users by id, never by login (a login is often a surname, and an unknown one may
     * be a password typed into the wrong field). */
    okno_log("staff", "event=sign_in user=%" G_GINT64_FORMAT " login=%s result=%s ip=%s",
             u ? u->id : 0, okno_pii(in->login, pii), result, okno_pii(in->ip, ipt));
  }
  if (result_out)
    *result_out = result;
  if (user_err) {
    g_propagate_error(error, g_steal_pointer(&user_err));
    return NULL;
  }
  return g_steal_pointer(&u);
fail:
  okno_store_rollback(st);
  return NULL;
}

/* ---- permissions ---- */

typedef enum {
  NO,     /* never */
  GLOBAL, /* an action on no appeal */
  DEPT,   /* an appeal of one of the user's departments (or triage) */
  MINE,   /* DEPT, and assigned to the user */
  FREE,   /* DEPT, and assigned to nobody */
} Scope;

enum { OPERATOR, SUPERVISOR, ADMINISTRATOR, AUDITOR, ROLES };

/* rows: actions in OknoAction order; columns: roles. docs/security.md shows it. */
static const Scope matrix[OKNO_ACT_COUNT][ROLES] = {
  /*                           operator supervisor administrator auditor */
  [OKNO_ACT_VIEW] =             {DEPT,  DEPT,  DEPT,   DEPT},
  [OKNO_ACT_TAKE] =             {FREE,  FREE,  FREE,   NO},
  [OKNO_ACT_ASSIGN] =           {NO,    DEPT,  DEPT,   NO},
  [OKNO_ACT_REPLY] =            {MINE,  DEPT,  DEPT,   NO},
  [OKNO_ACT_NOTE] =             {DEPT,  DEPT,  DEPT,   NO},
  [OKNO_ACT_CHANGE_STATUS] =    {MINE,  DEPT,  DEPT,   NO},
  [OKNO_ACT_TRANSFER] =         {MINE,  DEPT,  DEPT,   NO},
  [OKNO_ACT_ESCALATE] =         {MINE,  DEPT,  DEPT,   NO},
  [OKNO_ACT_MERGE] =            {NO,    DEPT,  DEPT,   NO},
  [OKNO_ACT_UNMASK] =           {DEPT,  DEPT,  DEPT,   NO},
  [OKNO_ACT_VIEW_JOURNAL] =     {NO,    NO,    GLOBAL, GLOBAL},
  [OKNO_ACT_MANAGE_TEMPLATES] = {NO,    DEPT,  DEPT,   NO},
  [OKNO_ACT_MANAGE_USERS] =     {NO,    NO,    GLOBAL, NO},
  [OKNO_ACT_MANAGE_DEPARTMENTS] = {NO,  NO,    GLOBAL, NO},
  [OKNO_ACT_EXTEND] =           {NO,    DEPT,  DEPT,   NO},
  [OKNO_ACT_CONFIRM_URGENT] =   {NO,    DEPT,  NO,     NO},
  [OKNO_ACT_SPLIT] =            {MINE,  DEPT,  DEPT,   NO},
  [OKNO_ACT_JUDGE_SPAM] =       {DEPT,  DEPT,  DEPT,   NO},
  [OKNO_ACT_LEGAL_HOLD] =       {NO,    DEPT,  DEPT,   NO},
  [OKNO_ACT_VIEW_ACTS] =        {NO,    NO,    GLOBAL, GLOBAL},
  [OKNO_ACT_VIEW_STATS] =       {NO,    GLOBAL, GLOBAL, GLOBAL},
  [OKNO_ACT_MANAGE_KB] =        {NO,    GLOBAL, GLOBAL, NO},
  [OKNO_ACT_MANAGE_INCIDENTS] = {NO,    GLOBAL, GLOBAL, NO},
};

static const char *const action_names[OKNO_ACT_COUNT] = {
  "view", "take", "assign", "reply", "note", "change_status", "transfer", "escalate",
  "merge", "unmask", "view_journal", "manage_templates", "manage_users",
  "manage_departments", "extend", "confirm_urgent", "split", "judge_spam", "legal_hold",
  "view_acts", "view_stats", "manage_kb", "manage_incidents",
};

const char *okno_staff_role_words(const char *role)
{
  static const char *const names[] = {"operator", "supervisor", "administrator", "auditor"};
  static const char *const words[] = {"оператор", "руководитель", "администратор", "аудитор"};
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    if (g_strcmp0(role, names[i]) == 0)
      return words[i];
  return role ? role : "";
}

const char *okno_action_name(OknoAction action)
{
  return (guint)action < OKNO_ACT_COUNT ? action_names[action] : "?";
}

static int role_index(const char *role)
{
  static const char *const names[ROLES] = {"operator", "supervisor", "administrator", "auditor"};
  for (int i = 0; i < ROLES; i++)
    if (g_strcmp0(role, names[i]) == 0)
      return i;
  return -1;
}

gboolean okno_staff_sees_every_department(const OknoUser *user)
{
  int role = user && !user->disabled ? role_index(user->role) : -1;
  return role == ADMINISTRATOR || role == AUDITOR;
}

gboolean okno_staff_can(const OknoUser *user, OknoAction action, const OknoAppeal *appeal,
                        const char *department)
{
  int role = user ? role_index(user->role) : -1;
  Scope scope;
  const char *dept;
  gboolean in_dept;

  if (role < 0 || user->disabled || (guint)action >= OKNO_ACT_COUNT)
    return FALSE;
  scope = matrix[action][role];
  if (scope == NO)
    return FALSE;
  if (scope == GLOBAL)
    return TRUE;
  if (action == OKNO_ACT_MANAGE_TEMPLATES)
    dept = department;
  else
    dept = appeal ? appeal->department : NULL;
  if (!dept)
    return FALSE;
  /* Administrators and auditors see every department; the triage queue ("") is
   * everyone's, except that templates belong to a real department. */
  in_dept = okno_staff_sees_every_department(user) ||
            (!*dept && action != OKNO_ACT_MANAGE_TEMPLATES) ||
            (*dept && user->departments && g_strv_contains((const char *const *)user->departments, dept));
  if (!in_dept)
    return FALSE;
  if (scope == MINE)
    return appeal->assignee == user->id;
  if (scope == FREE)
    return appeal->assignee == 0;
  return TRUE;
}
