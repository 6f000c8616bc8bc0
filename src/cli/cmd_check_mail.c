/* cmd_check_mail.c: `okno check-mail` - is this letter phishing that imitates the portal?
 *
 *   okno check-mail [--config FILE] [--json] MESSAGE.eml
 *
 * Reads the file, decodes it with okno_mime_parse() under the [intake] limits, runs
 * okno_citizen_check() (check/citizen.h: the portal rules and, with [rspamd] url, rspamd's
 * judgement) and prints the verdict: with --json one
 * object {verdict, portal_sender, score, partial, rspamd {score, required_score, action,
 * symbols}, reasons [{code, text, weight}]}, otherwise a
 * short summary in Russian for the person who asked. With --config, the block list of
 * that config's store (`okno phishing`, check/blocklist.h) is applied too: a listed
 * sender domain or URL makes the verdict dangerous; a store that cannot be opened is
 * reported on stderr and the check runs without it. Touches no network.
 * Exit 0 whatever the verdict; 1 with one line when the file cannot be read or is
 * empty. */
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "check/blocklist.h"
#include "check/citizen.h"
#include "check/phishing.h"
#include "cli/cli.h"
#include "mail/mime.h"
#include "store/phish.h"
#include "store/store.h"

/* Applies the block list of the config's store, when a config file was given. */
static void apply_blocklist(const OknoConfig *cfg, OknoPhishResult *result)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoStore) st = NULL;
  g_autoptr(OknoBlocklist) bl = NULL;
  if (!cfg->path)
    return;
  st = okno_store_open(cfg->store_url, &err);
  if (st)
    bl = okno_store_phish_blocklist(st, &err);
  if (!bl) {
    fprintf(stderr, "okno: warning: the block list is not used: %s\n", err->message);
    return;
  }
  okno_blocklist_apply(bl, result);
}

static char *result_json(const OknoPhishResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autoptr(JsonGenerator) gen = json_generator_new();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object(b);
  json_builder_set_member_name(b, "verdict");
  json_builder_add_string_value(b, okno_verdict_name(r->verdict));
  json_builder_set_member_name(b, "portal_sender");
  json_builder_add_string_value(b, okno_portal_sender_name(r->portal_sender));
  json_builder_set_member_name(b, "score");
  json_builder_add_int_value(b, r->score);
  json_builder_set_member_name(b, "partial");
  json_builder_add_boolean_value(b, r->partial);
  if (r->rspamd) {
    json_builder_set_member_name(b, "rspamd");
    okno_rspamd_to_json(b, r->rspamd, NULL);
  }
  json_builder_set_member_name(b, "reasons");
  json_builder_begin_array(b);
  for (guint i = 0; i < r->reasons->len; i++) {
    const OknoPhishReason *x = g_ptr_array_index(r->reasons, i);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "code");
    json_builder_add_string_value(b, x->code);
    json_builder_set_member_name(b, "text");
    json_builder_add_string_value(b, x->text);
    json_builder_set_member_name(b, "weight");
    json_builder_add_int_value(b, x->weight);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);

  root = json_builder_get_root(b);
  json_generator_set_root(gen, root);
  json_generator_set_pretty(gen, TRUE);
  return json_generator_to_data(gen, NULL);
}

static void print_summary(const OknoPhishResult *r)
{
  static const char *const senders[] = {
    [OKNO_PORTAL_SENDER_NO] = NULL,
    [OKNO_PORTAL_SENDER_UNVERIFIED] = "Письмо отправлено от имени портала, но подтвердить, что его отправил портал, не удалось.",
    [OKNO_PORTAL_SENDER_VERIFIED] = "Письмо действительно отправлено порталом.",
  };
  gboolean any = FALSE;
  printf("%s\n", okno_verdict_text(r->verdict));
  if (r->partial)
    printf("%s\n", OKNO_CHECK_PARTIAL_TEXT);
  if (senders[r->portal_sender])
    printf("%s\n", senders[r->portal_sender]);
  for (guint i = 0; i < r->reasons->len; i++) {
    const OknoPhishReason *x = g_ptr_array_index(r->reasons, i);
    if (x->weight == 0)
      continue;
    if (!any)
      printf("\n%s\n", r->verdict == OKNO_VERDICT_CLEAN ? "Обратите внимание:" : "Что насторожило:");
    any = TRUE;
    printf("  - %s\n", x->text);
  }
}

int okno_cmd_check_mail(int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *raw = NULL;
  gsize len = 0;
  g_autoptr(OknoMessage) msg = NULL;
  g_autoptr(OknoPhishResult) result = NULL;
  int code = 0;
  g_autoptr(OknoConfig) cfg = okno_cli_setup_message(&argc, &argv, "print the verdict as JSON",
                                                     &json, &raw, &len, &msg, &code);
  if (!cfg)
    return code;
  result = okno_citizen_check(msg, raw, len, cfg);
  apply_blocklist(cfg, result);
  if (json) {
    g_autofree char *text = result_json(result);
    printf("%s\n", text);
  } else {
    print_summary(result);
  }
  return 0;
}
