/* cmd_show.c: `okno show` and `okno list` - the registry read from the command line.
 *
 *   okno show --config FILE [--json] NUMBER
 *   okno show --config FILE --raw K NUMBER    the K-th message's original bytes
 *   okno list --config FILE [--json] [--status S] [--channel C] [--queue Q]
 *             [--from EMAIL] [--limit N] [--after NUMBER]
 *
 * --json prints the contract of DESIGN.md ("okno show --json"); without it a short
 * text for people. An unknown number is a user error (exit 1). `okno list` pages: at
 * most --limit appeals (default LIST_PAGE, at most LIST_MAX), newest first, after the
 * appeal --after NUMBER (keyset: the next page starts after the last number printed,
 * whatever arrived meanwhile); when more follow, stderr says the command for the next
 * page. */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "appeal/number.h"
#include "cli/cli.h"
#include "core/error.h"
#include "store/appeals.h"
#include "store/messages.h"
#include "store/store.h"

#define LIST_PAGE 1000
#define LIST_MAX 100000

int okno_cmd_show(int argc, char **argv)
{
  gboolean json = FALSE;
  gint raw_index = 0;
  const GOptionEntry extra[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    {"raw", 0, 0, G_OPTION_ARG_INT, &raw_index,
     "write the K-th message of the history byte for byte (1 is the first)", "K"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "NUMBER", extra, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autofree char *number = NULL, *text = NULL;
  gboolean check_ok = FALSE;

  if (!cfg)
    return code;
  if (argc != 2) {
    fprintf(stderr, "okno: show takes one appeal number, e.g. okno show 26-000123-3\n");
    return 1;
  }
  if (!okno_number_parse(argv[1], &number, &check_ok)) {
    fprintf(stderr, "okno: '%s' is not an appeal number (the form is 26-000123-3)\n", argv[1]);
    return 1;
  }
  if (!check_ok) {
    fprintf(stderr, "okno: %s has a wrong check digit: the number is mistyped\n", number);
    return 1;
  }
  st = okno_store_open(cfg->store_url, &err);
  if (!st)
    return okno_cli_fail(err);
  if (raw_index != 0) {
    g_autoptr(GBytes) raw = okno_store_appeal_message_raw(st, number, raw_index, &err);
    gsize len = 0;
    const char *data;
    if (!raw) {
      if (err)
        return okno_cli_fail(err);
      fprintf(stderr, "okno: appeal %s has no message %d\n", number, raw_index);
      return 1;
    }
    data = g_bytes_get_data(raw, &len);
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
      fprintf(stderr, "okno: cannot write to standard output\n");
      return 2;
    }
    return 0;
  }
  text = okno_store_appeal_json(st, number, &err);
  if (!text) {
    if (err)
      return okno_cli_fail(err);
    fprintf(stderr, "okno: no appeal %s\n", number);
    return 1;
  }
  if (json) {
    printf("%s\n", text);
  } else {
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func((GDestroyNotify)okno_appeal_free);
    JsonObject *o;
    JsonArray *msgs;
    g_ptr_array_add(one, okno_store_appeal_get(st, number, NULL));
    if (one->pdata[0])
      okno_cli_print_appeals(one, FALSE);
    json_parser_load_from_data(p, text, -1, NULL);
    o = json_node_get_object(json_parser_get_root(p));
    msgs = json_object_get_array_member(o, "messages");
    for (guint i = 0; i < json_array_get_length(msgs); i++) {
      JsonObject *m = json_array_get_object_element(msgs, i);
      printf("\n[%s] %s\n%s\n", json_object_get_string_member(m, "direction"),
             json_object_get_string_member(m, "subject"), json_object_get_string_member(m, "text"));
    }
  }
  return 0;
}

int okno_cmd_list(int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *status = NULL, *channel = NULL, *queue = NULL, *from = NULL, *after = NULL;
  gint limit = LIST_PAGE;
  const GOptionEntry extra[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    {"status", 0, 0, G_OPTION_ARG_STRING, &status, "only appeals with this status", "S"},
    {"channel", 0, 0, G_OPTION_ARG_STRING, &channel, "only appeals from this channel", "C"},
    {"queue", 0, 0, G_OPTION_ARG_STRING, &queue, "only appeals in this hold (quarantine, suspicious, spam)", "Q"},
    {"from", 0, 0, G_OPTION_ARG_STRING, &from, "only appeals of this contact", "EMAIL"},
    {"limit", 0, 0, G_OPTION_ARG_INT, &limit, "at most N appeals (default 1000)", "N"},
    {"after", 0, 0, G_OPTION_ARG_STRING, &after, "the page after this appeal", "NUMBER"},
    G_OPTION_ENTRY_NULL,
  };
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "", extra, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(GPtrArray) appeals = NULL;
  OknoListFilter f;

  if (!cfg)
    return code;
  if (argc != 1) {
    fprintf(stderr, "okno: list takes no arguments besides options\n");
    return 1;
  }
  if (limit < 1 || limit > LIST_MAX) {
    fprintf(stderr, "okno: --limit must be from 1 to %d\n", LIST_MAX);
    return 1;
  }
  {
    /* the filters are checked here, once: the store takes names it knows */
    OknoStatus s;
    OknoChannel c;
    OknoHold h;
    const struct { const char *option, *value; gboolean ok; const char *const *names; } checks[] = {
      {"--status", status, !status || okno_status_parse(status, &s), okno_status_names},
      {"--channel", channel, !channel || okno_channel_parse(channel, &c), okno_channel_names},
      {"--queue", queue, !queue || (*queue && okno_hold_parse(queue, &h)), okno_hold_names + 1},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(checks); i++)
      if (!checks[i].ok) {
        g_autofree char *names = g_strjoinv(", ", (char **)checks[i].names);
        fprintf(stderr, "okno: %s '%s' is not one of %s\n", checks[i].option, checks[i].value,
                names);
        return 1;
      }
  }
  f = (OknoListFilter){status, channel, queue, from, (gint64)limit + 1, after};
  st = okno_store_open(cfg->store_url, &err);
  if (!st)
    return okno_cli_fail(err);
  appeals = okno_store_list(st, &f, &err);
  if (!appeals)
    return okno_cli_fail(err);
  if (appeals->len > (guint)limit) {
    const OknoAppeal *last;
    g_ptr_array_set_size(appeals, limit);
    last = appeals->pdata[appeals->len - 1];
    fprintf(stderr, "okno: more appeals follow: okno list --after %s\n", last->number);
  }
  okno_cli_print_appeals(appeals, json);
  return 0;
}
