/* events.c: an appeal's history (see events.h), with the personal members of event
 * details sealed under the appeal's data key. */
#include "store/events.h"

#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/vault.h"
#include "store/ids.h"
#include "store/journal.h"
#include "store/keys.h"

#define T(s) OKNO_TEXT((s) ? (s) : "")

const char *const okno_store_fact_event_kinds[] = {
    "registered",     "received",        "routed",          "deadline_set",
    "overdue",        "reminder_sent",   "sla_escalated",   "assigned",
    "transferred",    "escalated",       "priority_confirmed", "spam_checked",
    "acknowledged",   "notified",        "quarantined",     "clock_paused",
    "clock_resumed",  "merged_into",     "merged_from",     "split_from",
    "split_to",       "linked",          "retention_hold",  "retention_unhold",
    "retention_purged", "deletion_requested", "incident_joined", "incident_left",
    "incident_answered", NULL};

gboolean okno_store_event_kind_is_fact(const char *kind)
{
  for (const char *const *k = okno_store_fact_event_kinds; kind && *k; k++)
    if (strcmp(*k, kind) == 0)
      return TRUE;
  return FALSE;
}

/* Members the store's SQL matches on (migration 20's trigger, store/stats.c), kept
 * clear: a status change's `to` and `from` (statuses), a forwarding's `in_time` (yes
 * or no). Every other member of a kind not of facts is sealed (a forwarding's `to` is
 * the letter's body). */
static gboolean member_kept_clear(const char *kind, const char *json, gsize at, gsize len)
{
  static const struct {
    const char *kind, *member;
  } clear[] = {{"status_changed", "\"to\""},
               {"status_changed", "\"from\""},
               {"forwarded", "\"in_time\""}};
  for (gsize i = 0; i < G_N_ELEMENTS(clear); i++)
    if (strcmp(clear[i].kind, kind) == 0 && strlen(clear[i].member) == len &&
        memcmp(json + at, clear[i].member, len) == 0)
      return TRUE;
  return FALSE;
}

typedef struct {
  OknoStore *st;
  const char *kind;
  const char *json;
  gint64 key_id;
  GString *out;
  gsize copied; /* bytes of json copied to out so far */
  gboolean sealed_any;
  GError *error;
} Sealing;

static void seal_member(gsize key_at, gsize key_len, gsize value_at, gsize value_len,
                        void *user)
{
  Sealing *s = user;
  g_autofree char *token = NULL, *sealed = NULL;
  if (s->error || member_kept_clear(s->kind, s->json, key_at, key_len))
    return;
  token = g_strndup(s->json + value_at, value_len);
  sealed = okno_store_seal_text(s->st, s->key_id, token, &s->error);
  if (!sealed)
    return;
  g_string_append_len(s->out, s->json + s->copied, value_at - s->copied);
  g_string_append_c(s->out, '"');
  g_string_append(s->out, sealed);
  g_string_append_c(s->out, '"');
  s->copied = value_at + value_len;
  s->sealed_any = TRUE;
}

char *okno_store_event_detail_seal(OknoStore *st, gint64 appeal_id, const char *kind,
                                   const char *detail_json, GError **error)
{
  const char *detail = detail_json ? detail_json : "{}";
  Sealing s = {.st = st, .kind = kind ? kind : "", .json = detail};
  if (!okno_store_vault() || okno_store_event_kind_is_fact(kind) || !appeal_id)
    return g_strdup(detail);
  if (!okno_store_key_of_appeal(st, appeal_id, &s.key_id, error))
    return NULL;
  if (!s.key_id)
    return g_strdup(detail);
  s.out = g_string_new(OKNO_VAULT_DETAIL_PREFIX);
  if (!okno_json_scan_members(detail, strlen(detail), seal_member, &s) || s.error) {
    g_string_free(s.out, TRUE);
    if (s.error) {
      g_propagate_error(error, s.error);
      return NULL;
    }
    /* not an object okno wrote: the whole text sealed */
    return okno_store_seal_text(st, s.key_id, detail, error);
  }
  if (!s.sealed_any) {
    g_string_free(s.out, TRUE);
    return g_strdup(detail);
  }
  g_string_append(s.out, detail + s.copied);
  return g_string_free(s.out, FALSE);
}

/* The event's row, detail as stored; *id its id. */
static gboolean insert_event(OknoStore *st, gint64 appeal_id, gint64 at, const char *kind,
                             const char *stored, gint64 *id, GError **error)
{
  return okno_store_reserve_id(st, OKNO_ID_EVENTS, id, error) &&
         okno_store_insert_row(st, "INSERT INTO events(appeal_id, at, kind, detail",
                               OKNO_PARAMS(OKNO_INT(appeal_id), OKNO_INT(at), T(kind),
                                           T(stored), OKNO_INT(*id)),
                               id, error);
}

gboolean okno_store_event_add(OknoStore *st, gint64 appeal_id, const char *kind,
                              const char *detail_json, GError **error)
{
  gint64 at = okno_now();
  const char *detail = detail_json ? detail_json : "{}";
  g_autofree char *stored = okno_store_event_detail_seal(st, appeal_id, kind, detail, error);
  gint64 id;
  if (!stored || !insert_event(st, appeal_id, at, kind, stored, &id, error))
    return FALSE;
  /* The event and its journal leaf in the same transaction (store/journal.h); the
   * leaf's digest is of the detail as written, which is what every reader gets back. */
  return okno_store_journal_event(st, id, appeal_id, at, kind ? kind : "", detail, error);
}

gboolean okno_store_event_prepare(OknoStore *st, gint64 appeal_id, const char *number,
                                  const char *kind, const char *detail_json,
                                  OknoEventPrepared *out, GError **error)
{
  const char *detail = detail_json ? detail_json : "{}";
  memset(out, 0, sizeof *out);
  if (!(out->stored = okno_store_event_detail_seal(st, appeal_id, kind, detail, error)))
    return FALSE;
  out->appeal_id = appeal_id;
  out->kind = g_strdup(kind ? kind : "");
  out->detail = g_strdup(detail);
  if (okno_journal_enabled()) {
    if (number) {
      out->number = g_strdup(number);
    } else {
      g_autoptr(OknoRows) r = okno_db_query(okno_store_db(st),
                                            "SELECT number FROM appeals WHERE id = $1",
                                            OKNO_PARAMS(OKNO_INT(appeal_id)), error);
      if (!r) {
        okno_store_event_prepared_clear(out);
        return FALSE;
      }
      if (okno_rows_count(r))
        out->number = g_strdup(okno_rows_text(r, 0, 0));
    }
    okno_journal_detail_digest(detail, out->detail_sha256);
    out->digested = TRUE;
  }
  return TRUE;
}

void okno_store_event_prepared_clear(OknoEventPrepared *p)
{
  g_clear_pointer(&p->kind, g_free);
  g_clear_pointer(&p->detail, g_free);
  g_clear_pointer(&p->stored, g_free);
  g_clear_pointer(&p->number, g_free);
}

gboolean okno_store_event_add_prepared(OknoStore *st, const OknoEventPrepared *p,
                                       GError **error)
{
  gint64 at = okno_now();
  gint64 id;
  if (!insert_event(st, p->appeal_id, at, p->kind, p->stored, &id, error))
    return FALSE;
  /* as okno_store_event_add: the leaf's digest is of the detail as written (hashed
   * when prepared, unless the journal was off then) */
  if (!p->digested)
    return okno_store_journal_event(st, id, p->appeal_id, at, p->kind, p->detail, error);
  return okno_store_journal_event_digest(st, id, p->appeal_id, p->number, at, p->kind,
                                         p->detail_sha256, error);
}

char *okno_store_event_last(OknoStore *st, gint64 appeal_id, const char *kind, GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      okno_store_db(st),
      "SELECT detail FROM events WHERE appeal_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1",
      OKNO_PARAMS(OKNO_INT(appeal_id), T(kind)), error);
  return r && okno_rows_count(r) ? g_strdup(okno_rows_text(r, 0, 0)) : NULL;
}
