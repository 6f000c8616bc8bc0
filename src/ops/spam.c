/* spam.c: marking an appeal as spam and releasing it from the spam hold (see spam.h). */
#include "ops/spam.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "check/rspamd.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "mail/receipt.h"
#include "store/appeals.h"
#include "store/events.h"
#include "store/messages.h"

static gboolean event_by(OknoStore *st, gint64 id, const char *kind, const char *actor,
                         const char *k2, const char *v2, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *d = NULL;
  json_builder_begin_object(b);
  okno_json_str(b, "by", actor);
  if (k2)
    okno_json_str(b, k2, v2);
  json_builder_end_object(b);
  d = okno_json_text(b, FALSE);
  return okno_store_event_add(st, id, kind, d, error);
}

/* The appeal `number` at `version`, or NULL with the store's error or the stale text. */
static OknoAppeal *load(OknoStore *st, const char *number, gint64 version, GError **error)
{
  OknoAppeal *a = okno_store_appeal_get(st, number, error);
  if (!a) {
    if (error && !*error)
      g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Обращение не найдено.");
    return NULL;
  }
  if (version && a->version != version) {
    okno_appeal_free(a);
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, OKNO_STORE_STALE_TEXT);
    return NULL;
  }
  return a;
}

gboolean okno_ops_mark_spam(OknoStore *st, const char *number, gint64 version,
                            const char *actor, GError **error)
{
  g_autoptr(OknoAppeal) a = load(st, number, version, error);
  if (!a)
    return FALSE;
  if (a->queue != OKNO_HOLD_SPAM) {
    a->queue = OKNO_HOLD_SPAM;
    if (!okno_ops_stop_clock(st, a, "marked as spam by an operator", error))
      return FALSE; /* stop_clock writes the row, the queue with it */
  }
  return event_by(st, a->id, "marked_spam", actor, NULL, NULL, error);
}

/* Why the receipt was held back at registration other than the spam judgement, or
 * NULL (`autoreply_suppressed`'s reason). */
static char *other_reason(OknoStore *st, gint64 id, GError **error)
{
  g_autofree char *d = okno_store_event_last(st, id, "autoreply_suppressed", error);
  g_autoptr(JsonParser) p = json_parser_new();
  JsonNode *root;
  const char *why;
  if (!d || !json_parser_load_from_data(p, d, -1, NULL) || !(root = json_parser_get_root(p)) ||
      !JSON_NODE_HOLDS_OBJECT(root))
    return NULL;
  why = json_object_get_string_member_with_default(json_node_get_object(root), "reason", "");
  return *why && strcmp(why, OKNO_SPAM_NO_RECEIPT) != 0 ? g_strdup(why) : NULL;
}

static gboolean receipt(const OknoSlaEnv *env, OknoStore *st, const OknoAppeal *a,
                        GError **error)
{
  g_autofree char *orig = NULL, *our_id = NULL, *subject = NULL, *text = NULL;
  g_auto(GStrv) refs = NULL;
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(GError) e = NULL;
  g_autofree char *why = other_reason(st, a->id, &e);
  OknoReceiptInfo info = {0};
  if (e) {
    g_propagate_error(error, g_steal_pointer(&e));
    return FALSE;
  }
  if (why)
    return event_by(st, a->id, "autoreply_suppressed", "", "reason", why, error);
  if (!okno_store_last_inbound(st, a->id, &orig, &refs, error))
    return FALSE;
  info.number = a->number;
  info.registered_at = a->received_at;
  info.deadline = a->deadline;
  info.to_email = a->from_email;
  info.to_name = a->from_name;
  info.orig_message_id = orig;
  info.orig_subject = a->subject;
  info.orig_references = (const char *const *)refs;
  info.needs_description = a->status == OKNO_STATUS_NEEDS_CLARIFICATION;
  info.formal = a->kind == OKNO_KIND_FORMAL;
  msg = okno_receipt_build(env->cfg, &info, &our_id, &subject, &text);
  if (!msg)
    return event_by(st, a->id, "autoreply_suppressed", "", "reason",
                    "the reply address cannot be written into a header safely", error);
  if (!okno_ops_queue_message(env, st, a, msg, our_id, a->from_email, subject, text, error))
    return FALSE;
  return event_by(st, a->id, info.needs_description ? "clarification_requested" : "acknowledged",
                  "", "message_id", our_id, error);
}

gboolean okno_ops_release_spam(const OknoSlaEnv *env, OknoStore *st, const char *number,
                               gint64 version, const char *actor, GError **error)
{
  g_autoptr(OknoAppeal) a = load(st, number, version, error);
  if (!a)
    return FALSE;
  if (a->queue != OKNO_HOLD_SPAM) {
    g_set_error(error, OKNO_ERROR, OKNO_ERROR_USER, "Обращение не находится в очереди спама.");
    return FALSE;
  }
  a->queue = OKNO_HOLD_NONE;
  if (!event_by(st, a->id, "released_from_spam", actor, NULL, NULL, error))
    return FALSE;
  /* The clock starts now, unless the appeal still waits for a description. */
  if (a->status == OKNO_STATUS_NEEDS_CLARIFICATION ? !okno_store_appeal_update(st, a, error)
      : !okno_ops_start_clock(env, st, a, okno_now(), "released from the spam hold", error))
    return FALSE;
  return receipt(env, st, a, error);
}
