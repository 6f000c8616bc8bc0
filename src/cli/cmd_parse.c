/* cmd_parse.c: `okno parse` - shows what intake makes of one message file.
 *
 *   okno parse [--config FILE] [--json] MESSAGE.eml
 *
 * Reads the file, runs okno_mime_parse() with the [intake] limits of the config and
 * prints the decoded record: with --json as one JSON object (json-glib), otherwise a
 * short summary for people. Touches no store. Exit 0 whatever the message holds; 1
 * with one line when the file cannot be read. */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "cli/cli.h"
#include "core/json.h"
#include "mail/mime.h"

static char *message_json(const OknoMessage *m)
{
  g_autoptr(JsonBuilder) b = json_builder_new();

  json_builder_begin_object(b);
  okno_json_str(b, "subject", m->subject);
  json_builder_set_member_name(b, "from");
  json_builder_begin_object(b);
  okno_json_str(b, "name", m->from_name);
  okno_json_str(b, "email", m->from_email);
  json_builder_end_object(b);
  okno_json_str(b, "reply_to", m->reply_to_email);
  okno_json_str(b, "message_id", m->message_id);
  okno_json_str(b, "in_reply_to", m->in_reply_to);
  okno_json_strv(b, "references", (const char *const *)m->references);
  okno_json_str(b, "date", m->date);
  okno_json_str(b, "text", m->text);
  okno_json_bool(b, "text_from_html", m->text_from_html);
  json_builder_set_member_name(b, "attachments");
  json_builder_begin_array(b);
  for (guint i = 0; i < m->attachments->len; i++) {
    const OknoAttachment *a = g_ptr_array_index(m->attachments, i);
    json_builder_begin_object(b);
    okno_json_str(b, "filename", a->filename);
    okno_json_str(b, "declared_type", a->declared_type);
    okno_json_str(b, "content_type", a->content_type);
    okno_json_int(b, "size", (gint64)a->size);
    okno_json_str(b, "sha256", a->sha256);
    okno_json_bool(b, "inline", a->inline_part);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  okno_json_str(b, "auto_submitted", m->auto_submitted);
  okno_json_str(b, "precedence", m->precedence);
  okno_json_str(b, "list_id", m->list_id);
  okno_json_bool(b, "has_list_headers", m->has_list_headers);
  okno_json_str(b, "x_autoreply", m->x_autoreply);
  okno_json_str(b, "content_type", m->content_type);
  okno_json_ptrv(b, "defects", m->defects);
  okno_json_bool(b, "budget_exceeded", m->budget_exceeded);
  json_builder_end_object(b);

  return okno_json_text(b, TRUE);
}

static void print_summary(const OknoMessage *m)
{
  printf("Subject: %s\n", m->subject);
  if (*m->from_name)
    printf("From:    %s <%s>\n", m->from_name, m->from_email);
  else
    printf("From:    %s\n", *m->from_email ? m->from_email : "-");
  printf("Date:    %s\n", *m->date ? m->date : "-");
  printf("Type:    %s%s\n", m->content_type, m->text_from_html ? " (text from HTML)" : "");
  for (guint i = 0; i < m->attachments->len; i++) {
    const OknoAttachment *a = g_ptr_array_index(m->attachments, i);
    printf("Attach:  %s %s %" G_GSIZE_FORMAT " bytes\n", a->filename, a->content_type, a->size);
  }
  for (guint i = 0; i < m->defects->len; i++)
    printf("Defect:  %s\n", (const char *)g_ptr_array_index(m->defects, i));
  if (m->budget_exceeded)
    printf("Defect:  limits exceeded, the record is partial\n");
  printf("\n%s\n", m->text);
}

int okno_cmd_parse(int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *raw = NULL;
  gsize len = 0;
  g_autoptr(OknoMessage) msg = NULL;
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup_message(&argc, &argv, "print the record as JSON",
                                                     &json, &raw, &len, &msg, &code);
  if (!cfg)
    return code;
  if (json) {
    g_autofree char *text = message_json(msg);
    printf("%s\n", text);
  } else {
    print_summary(msg);
  }
  return 0;
}
