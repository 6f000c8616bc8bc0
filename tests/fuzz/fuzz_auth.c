/* fuzz_auth.c: libFuzzer driver for sender authentication (mail/auth.h) without DNS.
 *
 * The input's first line is "CLIENT-IP HELO MAIL-FROM" (missing words are empty); the
 * rest is the message. It goes through okno_auth_verify_with() with no resolver (every
 * lookup NXDOMAIN), so what is exercised is the untrusted-input side: libopendkim
 * parsing every DKIM-Signature header, libspf2 given hostile HELO and MAIL FROM names,
 * the organizational domain of a hostile From domain, the decision, the JSON and the
 * Authentication-Results header. What must hold for any input: no DKIM signature
 * passes (there is no key), at most 5 signatures are examined, the action is in its
 * enum, and the header is printable ASCII folded with CRLF TAB, ending in CRLF. */
#include <stdint.h>
#include <string.h>

#include "core/json.h"
#include "mail/auth.h"
#include "mail/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static OknoConfig *cfg;
  OknoMimeLimits limits = {.max_depth = 8, .max_parts = 64, .memory_budget = 1 << 20, .time_budget_ms = 2000};
  const char *raw = (const char *)data;
  const char *nl = memchr(raw, '\n', size);
  g_autofree char *first = g_strndup(raw, nl ? (gsize)(nl - raw) : size);
  g_auto(GStrv) words = g_strsplit(first, " ", 3);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(OknoAuthResult) r = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new();
  g_autofree char *header = NULL, *json = NULL, *org = NULL;
  OknoMessage *m = NULL;
  OknoAuthInput in = {0};
  const char *at;
  gsize n;

  if (!cfg) {
    cfg = okno_config_new_default();
    g_strfreev(cfg->portal_domains);
    cfg->portal_domains = g_strsplit("gosuslugi.ru;portal.example", ";", -1);
    okno_mime_init();
  }
  body = g_bytes_new(nl ? nl + 1 : "", nl ? size - (gsize)(nl + 1 - raw) : 0);
  if (g_bytes_get_size(body))
    m = okno_mime_parse(g_bytes_get_data(body, NULL), g_bytes_get_size(body), &limits);
  at = m ? strrchr(m->from_email, '@') : NULL;
  in.client_ip = words[0] ? words[0] : "";
  in.helo = words[0] && words[1] ? words[1] : "";
  in.mail_from = words[0] && words[1] && words[2] ? words[2] : "";
  in.from_domain = at ? at + 1 : "";
  in.raw = body;
  r = okno_auth_verify_with(cfg, NULL, &in);
  g_assert_nonnull(r);
  g_assert_cmpuint(r->dkim->len, <=, 5);
  for (guint i = 0; i < r->dkim->len; i++)
    g_assert_cmpstr(((OknoDkimResult *)r->dkim->pdata[i])->result, !=, "pass");
  g_assert_true(r->action == OKNO_AUTH_ACCEPT || r->action == OKNO_AUTH_SUSPICIOUS ||
                r->action == OKNO_AUTH_REJECT);
  header = okno_auth_header("okno.test", r);
  n = strlen(header);
  g_assert_true(n >= 2 && header[n - 2] == '\r' && header[n - 1] == '\n');
  for (gsize i = 0; i < n; i++) {
    guchar c = (guchar)header[i];
    if (c == '\r') {
      g_assert_true(header[i + 1] == '\n' && (header[i + 2] == '\t' || header[i + 2] == '\0'));
      continue;
    }
    g_assert_true(c == '\n' || c == '\t' || (c >= ' ' && c < 0x7f));
  }
  okno_auth_to_json(b, r);
  json = okno_json_text(b, FALSE);
  g_assert_nonnull(json);
  org = okno_auth_org_domain(cfg, in.helo);
  g_assert_nonnull(org);
  if (m)
    okno_message_free(m);
  return 0;
}
