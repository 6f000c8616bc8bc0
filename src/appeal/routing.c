/* routing.c: the routing rules applied at registration (see routing.h). */
#include "appeal/routing.h"

#include <string.h>

#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "text/tokenizer.h"

gboolean okno_department_code_valid(const char *code)
{
  gsize n = code ? strlen(code) : 0;
  if (n < 1 || n > 32)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!(g_ascii_islower(code[i]) || g_ascii_isdigit(code[i]) || code[i] == '-' || code[i] == '_'))
      return FALSE;
  return TRUE;
}

gboolean okno_route_kind_valid(const char *kind)
{
  static const char *const kinds[] = {"category", "keyword", "sender_domain", "channel"};
  for (guint i = 0; i < G_N_ELEMENTS(kinds); i++)
    if (g_strcmp0(kind, kinds[i]) == 0)
      return TRUE;
  return FALSE;
}

static int add_term(const OknoTerm *t, void *user)
{
  g_hash_table_add(user, g_strndup(t->term, t->term_len));
  return 0;
}

static GHashTable *terms_of(OknoStemmer *s, const char *a, const char *b)
{
  GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  if (a)
    okno_text_scan(s, a, strlen(a), add_term, set);
  if (b)
    okno_text_scan(s, b, strlen(b), add_term, set);
  return set;
}

static gboolean domain_matches(const char *sender, const char *domain)
{
  const char *at = sender ? strrchr(sender, '@') : NULL;
  gsize n, d;
  if (!at || !domain || !*domain)
    return FALSE;
  at++;
  n = strlen(at);
  d = strlen(domain);
  if (n < d || g_ascii_strcasecmp(at + n - d, domain) != 0)
    return FALSE;
  return n == d || at[n - d - 1] == '.';
}

const OknoRouteRule *okno_route_match(const GPtrArray *rules, const OknoRouteInput *in)
{
  g_autoptr(OknoStemmer) stemmer = NULL;
  g_autoptr(GHashTable) text = NULL; /* the appeal's terms, made when a keyword rule needs them */

  for (guint i = 0; rules && i < rules->len; i++) {
    const OknoRouteRule *r = rules->pdata[i];
    gboolean hit = FALSE;
    if (g_str_equal(r->kind, "category")) {
      if (in->category && *in->category) {
        g_autofree char *x = g_utf8_casefold(r->value, -1), *y = g_utf8_casefold(in->category, -1);
        hit = g_str_equal(x, y);
      }
    } else if (g_str_equal(r->kind, "channel")) {
      hit = g_strcmp0(r->value, in->channel) == 0;
    } else if (g_str_equal(r->kind, "sender_domain")) {
      hit = domain_matches(in->sender, r->value);
    } else if (g_str_equal(r->kind, "keyword")) {
      g_autoptr(GHashTable) want = NULL;
      GHashTableIter it;
      gpointer k;
      if (!stemmer)
        stemmer = okno_stemmer_new();
      if (!text)
        text = terms_of(stemmer, in->subject, in->text);
      want = terms_of(stemmer, r->value, NULL);
      hit = g_hash_table_size(want) > 0;
      g_hash_table_iter_init(&it, want);
      while (hit && g_hash_table_iter_next(&it, &k, NULL))
        hit = g_hash_table_contains(text, k);
    }
    if (hit)
      return r;
  }
  return NULL;
}

gboolean okno_route_appeal(OknoStore *st, OknoAppeal *a, const OknoRouteInput *in,
                           GError **error)
{
  g_autoptr(GPtrArray) rules = okno_store_route_list(st, error);
  const OknoRouteRule *r;
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *detail = NULL;

  if (!rules)
    return FALSE;
  r = okno_route_match(rules, in);
  json_builder_begin_object(b);
  okno_json_str(b, "department", r ? r->department : "");
  okno_json_str(b, "queue", r ? "department" : "triage");
  json_builder_set_member_name(b, "rule");
  if (r) {
    json_builder_add_int_value(b, r->id);
    okno_json_str(b, "kind", r->kind);
    okno_json_str(b, "value", r->value);
  } else {
    json_builder_add_null_value(b);
  }
  json_builder_end_object(b);
  detail = okno_json_text(b, FALSE);
  if (r) {
    if (!okno_store_appeal_assign(st, a->id, 0, r->department, 0, &a->version, error))
      return FALSE;
    g_free(a->department);
    a->department = g_strdup(r->department);
  }
  okno_log("route", "event=routed appeal=%s department=%s rule=%" G_GINT64_FORMAT, a->number,
           r ? r->department : "-", r ? r->id : 0);
  return okno_store_event_add(st, a->id, "routed", detail, error);
}

/* The common part of a transfer and an escalation: checks, the move, the event. */
static gboolean move(OknoStore *st, const OknoUser *by, const char *number, gint64 version,
                     const char *department, OknoAction action, const char *reason,
                     gint64 *new_version, GError **error)
{
  g_autoptr(OknoAppeal) a = okno_store_appeal_get(st, number, error);
  g_autoptr(OknoDepartment) to = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autofree char *detail = NULL, *why = g_strstrip(g_strdup(reason ? reason : ""));
  g_autofree char *parent = NULL;
  const gboolean up = action == OKNO_ACT_ESCALATE;

  if (!a) {
    if (error && !*error)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Нет обращения № %s.", number);
    return FALSE;
  }
  if (!okno_staff_can(by, action, a, NULL)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_PERM, "Недостаточно прав для этого действия.");
    return FALSE;
  }
  if (!*why || !g_utf8_validate(why, -1, NULL)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                up ? "Укажите причину передачи в вышестоящую инстанцию."
                   : "Укажите причину передачи в другой отдел.");
    return FALSE;
  }
  if (up) {
    g_autoptr(OknoDepartment) from = *a->department
                                         ? okno_store_department_get(st, a->department, error)
                                         : NULL;
    if (error && *error)
      return FALSE;
    if (!from || !*from->parent) {
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER,
                  "У очереди обращения нет вышестоящего отдела: передайте его в отдел явно.");
      return FALSE;
    }
    parent = g_strdup(from->parent);
    department = parent;
    to = okno_store_department_get(st, department, error);
  } else {
    to = department && *department ? okno_store_department_get(st, department, error) : NULL;
  }
  if (!to) {
    if (error && !*error)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Нет отдела с кодом «%s».",
                  department ? department : "");
    return FALSE;
  }
  if (g_str_equal(to->code, a->department)) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Обращение уже в этом отделе.");
    return FALSE;
  }
  if (!okno_store_appeal_assign(st, a->id, version, to->code, 0, new_version, error))
    return FALSE;
  b = json_builder_new();
  json_builder_begin_object(b);
  okno_json_str(b, "from", a->department);
  okno_json_str(b, "to", to->code);
  okno_json_str(b, "reason", why);
  okno_json_str(b, "by", by->login);
  json_builder_end_object(b);
  detail = okno_json_text(b, FALSE);
  okno_log("route", "event=%s appeal=%s from=%s to=%s by=%" G_GINT64_FORMAT,
           up ? "escalated" : "transferred", a->number, *a->department ? a->department : "-",
           to->code, by->id);
  return okno_store_event_add(st, a->id, up ? "escalated" : "transferred", detail, error);
}

gboolean okno_appeal_transfer(OknoStore *st, const OknoUser *by, const char *number,
                              gint64 version, const char *department, const char *reason,
                              gint64 *new_version, GError **error)
{
  return move(st, by, number, version, department, OKNO_ACT_TRANSFER, reason, new_version,
              error);
}

gboolean okno_appeal_escalate(OknoStore *st, const OknoUser *by, const char *number,
                              gint64 version, const char *reason, gint64 *new_version,
                              GError **error)
{
  return move(st, by, number, version, NULL, OKNO_ACT_ESCALATE, reason, new_version, error);
}
