/* cmd_auth_check.c: `okno auth-check --ip IP [--helo NAME] [--mail-from ADDR] [--json]
 * [MESSAGE.eml]`: SPF, DKIM and DMARC of one message as the SMTP listener would check
 * it (mail/auth.h), against `[dns] server`, nothing stored.
 *
 * Prints the Authentication-Results header (or with --json the results object of the
 * message meta plus "header"). Without a message only SPF is checked (DKIM none, DMARC
 * of no From domain): the RFC 7208 suite runner uses it that way. Exit 0 whatever the
 * results; 1 on a bad argument or an unusable [dns] server. */
#include <stdio.h>

#include "cli/cli.h"
#include "core/json.h"
#include "mail/auth.h"

int okno_cmd_auth_check(int argc, char **argv)
{
  int code = 0;
  g_autofree char *ip = NULL, *helo = NULL, *mail_from = NULL;
  gboolean json = FALSE;
  const GOptionEntry extra[] = {
    {"ip", 0, 0, G_OPTION_ARG_STRING, &ip, "the SMTP client's address", "IP"},
    {"helo", 0, 0, G_OPTION_ARG_STRING, &helo, "the EHLO/HELO name", "NAME"},
    {"mail-from", 0, 0, G_OPTION_ARG_STRING, &mail_from, "the MAIL FROM address (empty: null sender)", "ADDR"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(OknoConfig) cfg = okno_cli_setup(&argc, &argv, "[MESSAGE.eml] - check SPF, DKIM, DMARC", extra, &code);
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoAuthResult) r = NULL;
  g_autoptr(GBytes) raw_bytes = NULL;
  g_autofree char *header = NULL;
  g_autofree char *from_domain = NULL;
  OknoAuthInput in = {0};

  if (!cfg)
    return code;
  if (!ip || argc > 2) {
    fprintf(stderr, "okno: auth-check needs --ip and at most one message file\n");
    return 1;
  }
  if (argc == 2) {
    char *raw = NULL;
    gsize len = 0;
    OknoMessage *msg = NULL;
    int rc = okno_cli_read_message(cfg, argv[1], &raw, &len, &msg);
    const char *at;
    if (rc)
      return rc;
    raw_bytes = g_bytes_new_take(raw, len);
    at = strrchr(msg->from_email, '@');
    from_domain = g_strdup(at ? at + 1 : "");
    okno_message_free(msg);
  }
  in.client_ip = ip;
  in.helo = helo;
  in.mail_from = mail_from ? mail_from : "";
  in.from_domain = from_domain;
  in.raw = raw_bytes;
  r = okno_auth_verify(cfg, &in, &err);
  if (!r)
    return okno_cli_fail(err);
  header = okno_auth_header(cfg->hostname, r);
  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree char *text = NULL;
    okno_auth_to_json(b, r);
    root = json_builder_get_root(b);
    json_object_set_string_member(json_node_get_object(root), "header", header);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
  } else {
    fputs(header, stdout);
  }
  return 0;
}
