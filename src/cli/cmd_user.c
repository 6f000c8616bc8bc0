/* cmd_user.c: staff accounts, departments and routing rules from the command line
 * (the first administrator is made here; the console does the rest later).
 *
 *   okno user add --config F --login L --role R [--department D]... [--email E]
 *                 [--name N] [--json] [--qr FILE] [--qr-terminal]
 *       prints login, the one-time password, the otpauth:// URI and the 10 recovery
 *       codes (--json: {"login","role","password","totp_uri","recovery_codes":[...]});
 *       --qr writes the URI's QR code as SVG to FILE; --qr-terminal prints it after the
 *       text (UTF-8 half blocks; not with --json)
 *   okno user disable|enable --login L
 *   okno user reset-2fa --login L [--json] [--qr FILE] [--qr-terminal]   new TOTP secret and codes
 *   okno user list [--json]
 *   okno user verify --login L [--ip A] [--user-agent U] [--json]
 *       one sign-in attempt, journaled like the console's; reads the password and
 *       then the code (TOTP or recovery), one per line, from standard input
 *   okno user journal [--login L] [--limit N] [--json]   sign-ins (of L, or everyone's)
 *   okno user password --login L   sets the password read from standard input (policy
 *       checked; the account no longer has to change it)
 *   okno department add --code C --name N [--parent P]
 *   okno department list [--json]
 *   okno route add --kind category|keyword|sender_domain|channel --value V
 *                  --department D [--position N]
 *   okno route list [--json]
 *   okno route remove ID
 *
 * Bad input is one line on stderr and exit 1 with nothing changed; a refused sign-in
 * (verify) is exit 1 with the reason. */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "appeal/routing.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "sec/staff.h"
#include "sec/totp.h"
#include "store/staff.h"
#include "store/store.h"

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
} Action;

/* The action is found by okno_cli_take_operation (cli.h); it then stands in argv[0],
 * where the group was, so messages name it. */
static int dispatch(const char *group, const Action *actions, gsize n, int argc, char **argv)
{
  g_autofree const char **names = g_new0(const char *, n + 1);
  int k;
  for (gsize i = 0; i < n; i++)
    names[i] = actions[i].name;
  k = okno_cli_take_operation(&argc, argv, names);
  if (k >= 0) {
    argv[0] = (char *)actions[k].name;
    return actions[k].run(argc, argv);
  }
  fprintf(stderr, "okno: %s needs an action:", group);
  for (gsize i = 0; i < n; i++)
    fprintf(stderr, " %s", actions[i].name);
  fprintf(stderr, "\n");
  return 1;
}

/* Options parsed, no positional arguments left (unless `positional`), store open. */
static OknoStore *setup(int *argc, char ***argv, const GOptionEntry *extra, int positional,
                        OknoConfig **cfg_out, int *code)
{
  g_autoptr(GError) err = NULL;
  OknoStore *st;
  OknoConfig *cfg = okno_cli_setup(argc, argv, positional ? "ID" : "", extra, code);
  if (!cfg)
    return NULL;
  if (*argc != 1 + positional) {
    fprintf(stderr, "okno: %s takes %s\n", (*argv)[0],
            positional ? "one argument besides options" : "no arguments besides options");
    okno_config_free(cfg);
    *code = 1;
    return NULL;
  }
  st = okno_store_open(cfg->store_url, &err);
  if (!st) {
    okno_config_free(cfg);
    *code = okno_cli_fail(err);
    return NULL;
  }
  *cfg_out = cfg;
  return st;
}

static int need(const char *value, const char *option)
{
  if (value && *value)
    return 0;
  fprintf(stderr, "okno: --%s is required\n", option);
  return 1;
}

static void print_json(JsonBuilder *b)
{
  g_autofree char *t = okno_json_text(b, FALSE);
  printf("%s\n", t);
}

static int print_enrolment(const OknoEnrolment *e, const char *role, gboolean json,
                           const char *qr_path, gboolean qr_terminal)
{
  if (qr_path) {
    g_autoptr(GError) err = NULL;
    g_autofree char *svg = okno_qr_svg(e->totp_uri, &err);
    if (!svg || !g_file_set_contents(qr_path, svg, -1, &err))
      return okno_cli_fail(err);
  }
  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    okno_json_str(b, "login", e->login);
    if (role)
      okno_json_str(b, "role", role);
    if (e->password)
      okno_json_str(b, "password", e->password);
    okno_json_str(b, "totp_uri", e->totp_uri);
    okno_json_strv(b, "recovery_codes", (const char *const *)e->recovery_codes);
    json_builder_end_object(b);
    print_json(b);
    return 0;
  }
  printf("login: %s\n", e->login);
  if (e->password)
    printf("password (one-time, to be changed at first sign-in): %s\n", e->password);
  printf("totp_uri: %s\nrecovery codes (each works once):\n", e->totp_uri);
  for (char **c = e->recovery_codes; *c; c++)
    printf("  %s\n", *c);
  if (qr_terminal) {
    g_autoptr(GError) err = NULL;
    g_autofree char *text = okno_qr_terminal(e->totp_uri, &err);
    if (!text)
      return okno_cli_fail(err);
    printf("QR code of the totp_uri (scan it with the authenticator app):\n%s", text);
  }
  return 0;
}

/* ---- okno user ---- */

static int user_add(int argc, char **argv)
{
  g_autofree char *login = NULL, *role = NULL, *email = NULL, *name = NULL, *qr = NULL;
  g_auto(GStrv) departments = NULL;
  gboolean json = FALSE, qr_terminal = FALSE;
  const GOptionEntry extra[] = {
    {"login", 0, 0, G_OPTION_ARG_STRING, &login, "login", "L"},
    {"role", 0, 0, G_OPTION_ARG_STRING, &role, "operator, supervisor, administrator, auditor", "R"},
    {"department", 0, 0, G_OPTION_ARG_STRING_ARRAY, &departments, "department code (repeatable)", "D"},
    {"email", 0, 0, G_OPTION_ARG_STRING, &email, "e-mail for notices", "E"},
    {"name", 0, 0, G_OPTION_ARG_STRING, &name, "display name", "N"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    {"qr", 0, 0, G_OPTION_ARG_FILENAME, &qr, "write the enrolment QR code (SVG) here", "FILE"},
    {"qr-terminal", 0, 0, G_OPTION_ARG_NONE, &qr_terminal, "print the QR code in the terminal", NULL},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(OknoStore) st = setup(&argc, &argv, extra, 0, &cfg, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoEnrolment) e = NULL;
  OknoStaffPolicy pol;

  if (!st)
    return code;
  if (need(login, "login") || need(role, "role"))
    return 1;
  pol = okno_staff_policy(cfg);
  e = okno_staff_create(st, &pol, login, role, name, email, (const char *const *)departments, &err);
  if (!e)
    return okno_cli_fail(err);
  return print_enrolment(e, role, json, qr, qr_terminal);
}

static int user_reset_2fa(int argc, char **argv)
{
  g_autofree char *login = NULL, *qr = NULL;
  gboolean json = FALSE, qr_terminal = FALSE;
  const GOptionEntry extra[] = {
    {"login", 0, 0, G_OPTION_ARG_STRING, &login, "login", "L"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    {"qr", 0, 0, G_OPTION_ARG_FILENAME, &qr, "write the enrolment QR code (SVG) here", "FILE"},
    {"qr-terminal", 0, 0, G_OPTION_ARG_NONE, &qr_terminal, "print the QR code in the terminal", NULL},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(OknoStore) st = setup(&argc, &argv, extra, 0, &cfg, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoEnrolment) e = NULL;
  OknoStaffPolicy pol;

  if (!st)
    return code;
  if (need(login, "login"))
    return 1;
  pol = okno_staff_policy(cfg);
  e = okno_staff_reset_2fa(st, &pol, login, &err);
  if (!e)
    return okno_cli_fail(err);
  return print_enrolment(e, NULL, json, qr, qr_terminal);
}

static int user_set_disabled(int argc, char **argv, gboolean disabled)
{
  g_autofree char *login = NULL;
  const GOptionEntry extra[] = {
    {"login", 0, 0, G_OPTION_ARG_STRING, &login, "login", "L"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(OknoStore) st = setup(&argc, &argv, extra, 0, &cfg, &code);
  g_autoptr(GError) err = NULL;
  if (!st)
    return code;
  if (need(login, "login"))
    return 1;
  if (!okno_staff_set_disabled(st, login, disabled, &err))
    return okno_cli_fail(err);
  return 0;
}

static int user_disable(int argc, char **argv) { return user_set_disabled(argc, argv, TRUE); }
static int user_enable(int argc, char **argv) { return user_set_disabled(argc, argv, FALSE); }

static void add_time_or_null(JsonBuilder *b, const char *name, gint64 us)
{
  g_autofree char *t = us ? okno_time_format_msk(us) : NULL;
  json_builder_set_member_name(b, name);
  if (t)
    json_builder_add_string_value(b, t);
  else
    json_builder_add_null_value(b);
}

/* A `list` subcommand: [--json]; `fetch` reads the records, `row` prints one as a text
 * line (json FALSE) or adds it to the JSON array `b`; `footer`, when not NULL, ends the
 * text form. Every list of this file is one of these. */
typedef GPtrArray *(*ListFetch)(OknoStore *st, GError **error);
typedef void (*ListRow)(OknoStore *st, gconstpointer record, gboolean json, JsonBuilder *b);

static int list_command(int argc, char **argv, ListFetch fetch, ListRow row, const char *footer)
{
  gboolean json = FALSE;
  const GOptionEntry extra[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(OknoStore) st = setup(&argc, &argv, extra, 0, &cfg, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new();

  if (!st)
    return code;
  records = fetch(st, &err);
  if (!records)
    return okno_cli_fail(err);
  json_builder_begin_array(b);
  for (guint i = 0; i < records->len; i++) {
    if (json)
      json_builder_begin_object(b);
    row(st, records->pdata[i], json, b);
    if (json)
      json_builder_end_object(b);
  }
  json_builder_end_array(b);
  if (json)
    print_json(b);
  else if (footer)
    printf("%s\n", footer);
  return 0;
}

static void user_row(OknoStore *st, gconstpointer record, gboolean json, JsonBuilder *b)
{
  const OknoUser *u = record;
  if (!json) {
    g_autofree char *deps = g_strjoinv(",", u->departments);
    printf("%-20s %-14s %-8s %-24s %s\n", u->login, u->role, u->disabled ? "disabled" : "active",
           *deps ? deps : "-", u->display_name);
    return;
  }
  okno_json_int(b, "id", u->id); /* what an appeal's "assignee" holds */
  okno_json_str(b, "login", u->login);
  okno_json_str(b, "name", u->display_name);
  okno_json_str(b, "email", u->email);
  okno_json_str(b, "role", u->role);
  okno_json_strv(b, "departments", (const char *const *)u->departments);
  okno_json_bool(b, "disabled", u->disabled);
  okno_json_bool(b, "must_change_password", u->must_change_password);
  okno_json_int(b, "failed_attempts", u->failed_attempts);
  add_time_or_null(b, "locked_until", u->locked_until);
  add_time_or_null(b, "created_at", u->created_at);
  okno_json_int(b, "recovery_codes_left", okno_store_recovery_codes_left(st, u->id, NULL));
}

static int user_list(int argc, char **argv)
{
  return list_command(argc, argv, okno_store_user_list, user_row, NULL);
}

static char *read_line(void)
{
  char buf[2048];
  if (!fgets(buf, sizeof buf, stdin))
    return g_strdup("");
  buf[strcspn(buf, "\r\n")] = '\0';
  return g_strdup(buf);
}

static int user_verify(int argc, char **argv)
{
  g_autofree char *login = NULL, *ip = NULL, *ua = NULL, *password = NULL, *totp = NULL;
  gboolean json = FALSE;
  const GOptionEntry extra[] = {
    {"login", 0, 0, G_OPTION_ARG_STRING, &login, "login", "L"},
    {"ip", 0, 0, G_OPTION_ARG_STRING, &ip, "client address for the journal", "A"},
    {"user-agent", 0, 0, G_OPTION_ARG_STRING, &ua, "client program for the journal", "U"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(OknoStore) st = setup(&argc, &argv, extra, 0, &cfg, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoUser) u = NULL;
  g_autoptr(OknoDkim) dkim = NULL;
  const char *result = NULL;
  OknoStaffPolicy pol;

  if (!st)
    return code;
  if (need(login, "login"))
    return 1;
  dkim = okno_dkim_new(cfg, &err);
  if (err)
    return okno_cli_fail(err);
  password = read_line();
  totp = read_line();
  pol = okno_staff_policy(cfg);
  pol.dkim = dkim;
  u = okno_staff_authenticate(st, &pol,
                              &(OknoSignIn){login, password, totp, ip ? ip : "cli",
                                            ua ? ua : "okno user verify"},
                              &result, &err);
  memset(password, 0, strlen(password));
  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    okno_json_str(b, "login", login);
    okno_json_bool(b, "ok", u != NULL);
    okno_json_str(b, "result", result ? result : "error");
    if (u) {
      okno_json_str(b, "role", u->role);
      okno_json_bool(b, "must_change_password", u->must_change_password);
    } else if (err) {
      okno_json_str(b, "message", err->message);
    }
    json_builder_end_object(b);
    print_json(b);
  }
  if (!u)
    return okno_cli_fail(err);
  if (!json)
    printf("ok: %s (%s)\n", u->login, u->role);
  return 0;
}

static int user_journal(int argc, char **argv)
{
  g_autofree char *login = NULL;
  gboolean json = FALSE;
  gint limit = 50;
  const GOptionEntry extra[] = {
    {"login", 0, 0, G_OPTION_ARG_STRING, &login, "only this user (default: everyone)", "L"},
    {"limit", 0, 0, G_OPTION_ARG_INT, &limit, "at most N entries (50)", "N"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(OknoStore) st = setup(&argc, &argv, extra, 0, &cfg, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoUser) u = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new();

  if (!st)
    return code;
  if (login) {
    u = okno_store_user_get(st, login, &err);
    if (!u) {
      if (err)
        return okno_cli_fail(err);
      fprintf(stderr, "okno: нет сотрудника с логином «%s»\n", login);
      return 1;
    }
  }
  entries = okno_store_login_journal(st, u ? u->id : 0, limit > 0 ? limit : 0, &err);
  if (!entries)
    return okno_cli_fail(err);
  json_builder_begin_array(b);
  for (guint i = 0; i < entries->len; i++) {
    const OknoLoginEntry *e = entries->pdata[i];
    g_autofree char *at = okno_time_format_msk(e->at);
    if (!json) {
      printf("%s %-20s %-14s %-16s %s\n", at, e->login, e->result, e->ip, e->user_agent);
      continue;
    }
    json_builder_begin_object(b);
    okno_json_str(b, "at", at);
    okno_json_str(b, "login", e->login);
    okno_json_str(b, "result", e->result);
    okno_json_str(b, "ip", e->ip);
    okno_json_str(b, "user_agent", e->user_agent);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  if (json)
    print_json(b);
  return 0;
}

static int user_password(int argc, char **argv)
{
  g_autofree char *login = NULL, *password = NULL;
  const GOptionEntry extra[] = {
    {"login", 0, 0, G_OPTION_ARG_STRING, &login, "login", "L"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(OknoStore) st = setup(&argc, &argv, extra, 0, &cfg, &code);
  g_autoptr(GError) err = NULL;
  gboolean ok;
  if (!st)
    return code;
  if (need(login, "login"))
    return 1;
  password = read_line();
  ok = okno_staff_set_password(st, login, password, &err);
  memset(password, 0, strlen(password));
  return ok ? 0 : okno_cli_fail(err);
}

int okno_cmd_user(int argc, char **argv)
{
  static const Action actions[] = {
    {"add", user_add}, {"disable", user_disable}, {"enable", user_enable},
    {"reset-2fa", user_reset_2fa}, {"list", user_list}, {"verify", user_verify},
    {"journal", user_journal}, {"password", user_password},
  };
  return dispatch("user", actions, G_N_ELEMENTS(actions), argc, argv);
}

/* ---- okno department ---- */

/* Runs `write` in a transaction; prints the error itself. */
static int in_transaction(OknoStore *st, gboolean (*write)(OknoStore *, gpointer, GError **),
                          gpointer data)
{
  g_autoptr(GError) err = NULL;
  if (!okno_store_begin(st, &err))
    return okno_cli_fail(err);
  if (!write(st, data, &err) || !okno_store_commit(st, &err)) {
    okno_store_rollback(st);
    return okno_cli_fail(err);
  }
  return 0;
}

static gboolean write_department(OknoStore *st, gpointer data, GError **error)
{
  return okno_store_department_add(st, data, error);
}

static int department_add(int argc, char **argv)
{
  g_autofree char *dcode = NULL, *name = NULL, *parent = NULL;
  const GOptionEntry extra[] = {
    {"code", 0, 0, G_OPTION_ARG_STRING, &dcode, "code: a-z, 0-9, - and _", "C"},
    {"name", 0, 0, G_OPTION_ARG_STRING, &name, "name in Russian", "N"},
    {"parent", 0, 0, G_OPTION_ARG_STRING, &parent, "code of the department one level up", "P"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(OknoStore) st = setup(&argc, &argv, extra, 0, &cfg, &code);
  if (!st)
    return code;
  if (need(dcode, "code") || need(name, "name"))
    return 1;
  if (!okno_department_code_valid(dcode)) {
    fprintf(stderr, "okno: код отдела — от 1 до 32 строчных латинских букв, цифр, - и _\n");
    return 1;
  }
  if (!g_utf8_validate(name, -1, NULL)) {
    fprintf(stderr, "okno: название отдела не в кодировке UTF-8\n");
    return 1;
  }
  return in_transaction(st, write_department, &(OknoDepartment){dcode, name, parent});
}

static void department_row(OknoStore *st, gconstpointer record, gboolean json, JsonBuilder *b)
{
  const OknoDepartment *d = record;
  if (!json) {
    printf("%-16s %-16s %s\n", d->code, *d->parent ? d->parent : "-", d->name);
    return;
  }
  okno_json_str(b, "code", d->code);
  okno_json_str(b, "name", d->name);
  okno_json_str(b, "parent", d->parent);
}

static int department_list(int argc, char **argv)
{
  return list_command(argc, argv, okno_store_department_list, department_row, NULL);
}

int okno_cmd_department(int argc, char **argv)
{
  static const Action actions[] = {{"add", department_add}, {"list", department_list}};
  return dispatch("department", actions, G_N_ELEMENTS(actions), argc, argv);
}

/* ---- okno route ---- */

static gboolean write_route(OknoStore *st, gpointer data, GError **error)
{
  return okno_store_route_add(st, data, error);
}

static int route_add(int argc, char **argv)
{
  g_autofree char *kind = NULL, *value = NULL, *department = NULL;
  gint position = 0;
  const GOptionEntry extra[] = {
    {"kind", 0, 0, G_OPTION_ARG_STRING, &kind, "category, keyword, sender_domain or channel", "K"},
    {"value", 0, 0, G_OPTION_ARG_STRING, &value, "what the condition compares with", "V"},
    {"department", 0, 0, G_OPTION_ARG_STRING, &department, "code of the target department", "D"},
    {"position", 0, 0, G_OPTION_ARG_INT, &position, "order (smaller first; default: last)", "N"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(OknoStore) st = setup(&argc, &argv, extra, 0, &cfg, &code);
  OknoRouteRule rule = {0};
  if (!st)
    return code;
  if (need(kind, "kind") || need(value, "value") || need(department, "department"))
    return 1;
  if (!okno_route_kind_valid(kind)) {
    fprintf(stderr, "okno: --kind должен быть одним из: category, keyword, sender_domain, channel\n");
    return 1;
  }
  if (position < 0 || !g_utf8_validate(value, -1, NULL)) {
    fprintf(stderr, "okno: --position должен быть положительным, --value — в кодировке UTF-8\n");
    return 1;
  }
  rule = (OknoRouteRule){0, position, kind, value, department};
  code = in_transaction(st, write_route, &rule);
  if (code == 0)
    printf("%" G_GINT64_FORMAT "\n", rule.id);
  return code;
}

static void route_row(OknoStore *st, gconstpointer record, gboolean json, JsonBuilder *b)
{
  const OknoRouteRule *r = record;
  if (!json) {
    printf("%-6" G_GINT64_FORMAT " %-6" G_GINT64_FORMAT " %-14s %-16s %s\n", r->id, r->position,
           r->kind, r->department, r->value);
    return;
  }
  okno_json_int(b, "id", r->id);
  okno_json_int(b, "position", r->position);
  okno_json_str(b, "kind", r->kind);
  okno_json_str(b, "value", r->value);
  okno_json_str(b, "department", r->department);
}

static int route_list(int argc, char **argv)
{
  return list_command(argc, argv, okno_store_route_list, route_row,
                      "otherwise: the triage queue");
}

static gboolean remove_route(OknoStore *st, gpointer data, GError **error)
{
  return okno_store_route_remove(st, *(gint64 *)data, error);
}

static int route_remove(int argc, char **argv)
{
  int code = 0;
  g_autoptr(OknoConfig) cfg = NULL;
  g_autoptr(OknoStore) st = setup(&argc, &argv, NULL, 1, &cfg, &code);
  gint64 id = 0;
  if (!st)
    return code;
  if (!g_ascii_string_to_signed(argv[1], 10, 1, G_MAXINT64, &id, NULL)) {
    fprintf(stderr, "okno: '%s' is not a rule number (see okno route list)\n", argv[1]);
    return 1;
  }
  return in_transaction(st, remove_route, &id);
}

int okno_cmd_route(int argc, char **argv)
{
  static const Action actions[] = {
    {"add", route_add}, {"list", route_list}, {"remove", route_remove},
  };
  return dispatch("route", actions, G_N_ELEMENTS(actions), argc, argv);
}
