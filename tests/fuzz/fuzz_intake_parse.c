/* fuzz_intake_parse.c: libFuzzer driver for intake's first stage, okno_parse()
 * (intake/parse.h), the one function that reads a citizen's bytes.
 *
 * Each input is parsed twice, as it would come over SMTP to support (MIME budgets kept
 * small so that they break) and with no envelope at all. Invariants, whatever the
 * bytes: a record always comes back; the contact has no ASCII capitals; the content
 * hash is 64 lowercase hex digits; there is one refusal slot and one (empty) virus
 * slot per attachment; the record is quarantined exactly when the message is empty or
 * broke a budget; a repeated appeal always names its earlier number, and a number in
 * the subject always has a valid check digit; no contact means no automatic answer;
 * verify's fields are empty; the meta is one JSON object. */
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <string.h>

#include "appeal/number.h"
#include "intake/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const OknoConfig *cfg, GBytes *raw, const OknoEnvelope *env)
{
  OknoParsed *p = okno_parse(cfg, raw, env, 1);
  g_autofree char *meta = NULL;
  g_autoptr(JsonNode) node = NULL;
  gboolean valid = FALSE;
  g_assert(p && p->msg && p->received_at == 1);
  for (const char *c = p->contact; *c; c++)
    g_assert(!g_ascii_isupper(*c));
  g_assert(strlen(p->content_hash) == 64 &&
           strspn(p->content_hash, "0123456789abcdef") == 64);
  g_assert(p->refusals->len == p->msg->attachments->len);
  g_assert(p->infected->len == p->msg->attachments->len);
  for (guint i = 0; i < p->infected->len; i++)
    g_assert(p->infected->pdata[i] == NULL);
  g_assert((p->quarantine != NULL) == (g_bytes_get_size(raw) == 0 || p->msg->budget_exceeded));
  g_assert(p->repeated == (p->earlier_number != NULL));
  if (p->subject_number) {
    g_autofree char *norm = NULL;
    g_assert(okno_number_parse(p->subject_number, &norm, &valid) && valid);
  }
  g_assert(*p->contact || p->no_autoreply);
  g_assert(!p->auth && !p->auth_json && !p->phish && !p->checked_subject);
  meta = okno_parsed_meta_json(p);
  node = json_from_string(meta, NULL);
  g_assert(node && JSON_NODE_HOLDS_OBJECT(node));
  okno_parsed_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static OknoConfig *cfg;
  static const char *const rcpt[] = {"support@portal.example", NULL};
  const OknoEnvelope smtp = {.channel = OKNO_CHANNEL_EMAIL, .mail_from = "<Sender@Example.RU>",
                             .rcpt_to = rcpt, .client_addr = "192.0.2.1", .helo = "mx"};
  g_autoptr(GBytes) raw = g_bytes_new(data, size);
  if (!cfg) {
    cfg = okno_config_new_default();
    cfg->max_mime_depth = 8;
    cfg->max_mime_parts = 64;
    cfg->parse_memory_budget = 1 << 20;
  }
  check(cfg, raw, &smtp);
  check(cfg, raw, &(OknoEnvelope){0});
  return 0;
}
