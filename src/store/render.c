/* render.c: the registry as JSON for people and tools (okno show/list, later the API).
 *
 * The shape is the contract in DESIGN.md ("okno show --json"): an appeal with its
 * contact, times in RFC 3339 Moscow time, its messages in order with their attachments
 * (refused ones listed apart with the reason), and its events. Read-only: any
 * connection, no transaction needed. */
#include <json-glib/json-glib.h>

#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"

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

static void add_str(JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, v ? v : "");
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
  add_str(b, "number", a->number);
  add_str(b, "status", a->status);
  add_str(b, "channel", a->channel);
  add_str(b, "queue", a->queue);
  add_str(b, "subject", a->subject);
  json_builder_set_member_name(b, "from");
  json_builder_begin_object(b);
  add_str(b, "name", a->from_name);
  add_str(b, "email", a->from_email);
  json_builder_end_object(b);
  add_str(b, "phone", a->phone);
  add_str(b, "category", a->category);
  add_str(b, "related", a->related);
  add_time(b, "received_at", a->received_at);
  add_time(b, "deadline", a->deadline);
  add_time(b, "updated_at", a->updated_at);
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
      add_str(b, "filename", okno_rows_text(r, i, 0));
      add_str(b, "content_type", okno_rows_text(r, i, 1));
      add_str(b, "declared_type", okno_rows_text(r, i, 5));
      json_builder_set_member_name(b, "size");
      json_builder_add_int_value(b, okno_rows_int(r, i, 2));
      add_str(b, "sha256", okno_rows_text(r, i, 3));
      if (refused)
        add_str(b, "reason", okno_rows_text(r, i, 4));
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
  }
  return TRUE;
}

static char *to_text(JsonBuilder *b)
{
  g_autoptr(JsonGenerator) g = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  json_generator_set_root(g, root);
  json_generator_set_pretty(g, TRUE);
  return json_generator_to_data(g, NULL);
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
    add_str(b, "direction", okno_rows_text(msgs, i, 1));
    add_str(b, "message_id", okno_rows_text(msgs, i, 2));
    add_str(b, "subject", okno_rows_text(msgs, i, 3));
    add_str(b, "text", okno_rows_text(msgs, i, 4));
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
    add_str(b, "kind", okno_rows_text(events, i, 1));
    add_json(b, "detail", okno_rows_text(events, i, 2));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  return to_text(b);
}

char *okno_store_list_json(OknoStore *st, const OknoListFilter *f, GError **error)
{
  static const OknoListFilter none = {0};
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autoptr(OknoRows) r = NULL;
  if (!f)
    f = &none;
  r = okno_db_query(
      okno_store_db(st),
      "SELECT id, number, status, channel, queue, subject, from_name, from_email, phone, "
      "category, related, received_at, deadline, updated_at FROM appeals "
      "WHERE ($1 = '' OR status = $1) AND ($2 = '' OR channel = $2) "
      "AND ($3 = '' OR queue = $3) AND ($4 = '' OR from_email = lower($4)) "
      "ORDER BY received_at DESC, id DESC LIMIT $5",
      OKNO_PARAMS(OKNO_TEXT(f->status ? f->status : ""), OKNO_TEXT(f->channel ? f->channel : ""),
                  OKNO_TEXT(f->queue ? f->queue : ""),
                  OKNO_TEXT(f->from_email ? f->from_email : ""),
                  OKNO_INT(f->limit > 0 ? f->limit : G_MAXINT64)),
      error);
  if (!r)
    return NULL;
  json_builder_begin_array(b);
  for (guint i = 0; i < okno_rows_count(r); i++) {
    OknoAppeal a = {
      .id = okno_rows_int(r, i, 0),
      .number = (char *)okno_rows_text(r, i, 1),
      .status = (char *)okno_rows_text(r, i, 2),
      .channel = (char *)okno_rows_text(r, i, 3),
      .queue = (char *)okno_rows_text(r, i, 4),
      .subject = (char *)okno_rows_text(r, i, 5),
      .from_name = (char *)okno_rows_text(r, i, 6),
      .from_email = (char *)okno_rows_text(r, i, 7),
      .phone = (char *)okno_rows_text(r, i, 8),
      .category = (char *)okno_rows_text(r, i, 9),
      .related = (char *)okno_rows_text(r, i, 10),
      .received_at = okno_rows_int(r, i, 11),
      .deadline = okno_rows_int(r, i, 12),
      .updated_at = okno_rows_int(r, i, 13),
    };
    json_builder_begin_object(b);
    add_summary(b, &a);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  return to_text(b);
}
