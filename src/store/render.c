/* render.c: the registry as JSON for people and tools (okno show/list, later the API).
 *
 * The shape is the contract in DESIGN.md ("okno show --json"): an appeal with its
 * contact, times in RFC 3339 Moscow time, its messages in order with their attachments
 * (refused ones listed apart with the reason), and its events; lists and search
 * results as summaries (the same fields without the history). Read-only: any
 * connection, no transaction needed. */
#include <json-glib/json-glib.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "store/appeals.h"
#include "store/events.h"
#include "store/messages.h"

static void add_time(JsonBuilder *b, const char *name, gint64 us)
{
  json_builder_set_member_name(b, name);
  if (us) {
    g_autofree char *t = okno_time_format_msk(us);
    json_builder_add_string_value(b, t);
  } else {
    json_builder_add_null_value(b);
  }
}

/* Adds a member whose value is a JSON text stored by us (meta, event detail). */
static void add_json(JsonBuilder *b, const char *name, const char *text)
{
  g_autoptr(JsonParser) p = json_parser_new();
  json_builder_set_member_name(b, name);
  if (text && json_parser_load_from_data(p, text, -1, NULL) && json_parser_get_root(p))
    json_builder_add_value(b, json_node_copy(json_parser_get_root(p)));
  else
    json_builder_add_null_value(b);
}

static void add_summary(JsonBuilder *b, const OknoAppeal *a)
{
  okno_json_str(b, "number", a->number);
  okno_json_str(b, "status", okno_status_name(a->status));
  okno_json_str(b, "channel", okno_channel_name(a->channel));
  okno_json_str(b, "queue", okno_hold_name(a->queue));
  okno_json_str(b, "subject", a->subject);
  json_builder_set_member_name(b, "from");
  json_builder_begin_object(b);
  okno_json_str(b, "name", a->from_name);
  okno_json_str(b, "email", a->from_email);
  json_builder_end_object(b);
  okno_json_str(b, "phone", a->phone);
  okno_json_str(b, "category", a->category);
  okno_json_str(b, "related", a->related);
  okno_json_str(b, "department", a->department); /* "": the triage queue */
  json_builder_set_member_name(b, "assignee"); /* a user id (okno user list), or null */
  if (a->assignee)
    json_builder_add_int_value(b, a->assignee);
  else
    json_builder_add_null_value(b);
  okno_json_int(b, "version", a->version);
  add_time(b, "received_at", a->received_at);
  add_time(b, "deadline", a->deadline);
  add_time(b, "updated_at", a->updated_at);
  okno_json_str(b, "kind", okno_kind_name(a->kind));
  okno_json_str(b, "priority", okno_priority_name(a->priority));
  okno_json_bool(b, "priority_confirmed", a->priority_confirmed);
  okno_json_str(b, "sla_class", okno_sla_class_name(a->sla_class));
  okno_json_bool(b, "overdue", a->overdue);
  add_time(b, "forward_deadline", a->forward_deadline);
  okno_json_int(b, "extensions", a->extensions);
}

static gboolean add_attachments(JsonBuilder *b, OknoDb *db, gint64 message_ref,
                                GError **error)
{
  g_autoptr(OknoRows) r = okno_db_query(
      db,
      "SELECT filename, content_type, size, sha256, refused, declared_type FROM attachments "
      "WHERE message_ref = $1 ORDER BY id",
      OKNO_PARAMS(OKNO_INT(message_ref)), error);
  if (!r)
    return FALSE;
  for (int pass = 0; pass < 2; pass++) {
    json_builder_set_member_name(b, pass == 0 ? "attachments" : "refused_attachments");
    json_builder_begin_array(b);
    for (guint i = 0; i < okno_rows_count(r); i++) {
      gboolean refused = !okno_rows_is_null(r, i, 4);
      if (refused != (pass == 1))
        continue;
      json_builder_begin_object(b);
      okno_json_str(b, "filename", okno_rows_text(r, i, 0));
      okno_json_str(b, "content_type", okno_rows_text(r, i, 1));
      okno_json_str(b, "declared_type", okno_rows_text(r, i, 5));
      okno_json_int(b, "size", okno_rows_int(r, i, 2));
      okno_json_str(b, "sha256", okno_rows_text(r, i, 3));
      if (refused)
        okno_json_str(b, "reason", okno_rows_text(r, i, 4));
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
  }
  return TRUE;
}


char *okno_store_appeal_json(OknoStore *st, const char *number, GError **error)
{
  OknoDb *db = okno_store_db(st);
  g_autoptr(GError) e = NULL;
  g_autoptr(OknoAppeal) a = okno_store_appeal_get(st, number, &e);
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autoptr(OknoRows) msgs = NULL, events = NULL;

  if (!a) {
    if (e)
      g_propagate_error(error, g_steal_pointer(&e));
    return NULL;
  }
  msgs = okno_db_query(db,
                       "SELECT id, direction, message_id, subject, text, created_at, meta "
                       "FROM messages WHERE appeal_id = $1 ORDER BY id",
                       OKNO_PARAMS(OKNO_INT(a->id)), error);
  events = msgs ? okno_db_query(db,
                                "SELECT at, kind, detail FROM events WHERE appeal_id = $1 "
                                "ORDER BY id",
                                OKNO_PARAMS(OKNO_INT(a->id)), error)
                : NULL;
  if (!events)
    return NULL;

  json_builder_begin_object(b);
  add_summary(b, a);
  json_builder_set_member_name(b, "messages");
  json_builder_begin_array(b);
  for (guint i = 0; i < okno_rows_count(msgs); i++) {
    json_builder_begin_object(b);
    okno_json_str(b, "direction", okno_rows_text(msgs, i, 1));
    okno_json_str(b, "message_id", okno_rows_text(msgs, i, 2));
    okno_json_str(b, "subject", okno_rows_text(msgs, i, 3));
    okno_json_str(b, "text", okno_rows_text(msgs, i, 4));
    add_time(b, "at", okno_rows_int(msgs, i, 5));
    add_json(b, "meta", okno_rows_text(msgs, i, 6));
    if (!add_attachments(b, db, okno_rows_int(msgs, i, 0), error))
      return NULL;
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "events");
  json_builder_begin_array(b);
  for (guint i = 0; i < okno_rows_count(events); i++) {
    json_builder_begin_object(b);
    add_time(b, "at", okno_rows_int(events, i, 0));
    okno_json_str(b, "kind", okno_rows_text(events, i, 1));
    add_json(b, "detail", okno_rows_text(events, i, 2));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  return okno_json_text(b, TRUE);
}

char *okno_appeals_json(const GPtrArray *appeals)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (guint i = 0; appeals && i < appeals->len; i++) {
    json_builder_begin_object(b);
    add_summary(b, g_ptr_array_index(appeals, i));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  return okno_json_text(b, TRUE);
}
