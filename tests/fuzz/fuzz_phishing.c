/* fuzz_phishing.c: libFuzzer driver for the phishing check (check/phishing.h) and the
 * host comparison under it (check/lookalike.h).
 *
 * The input is a whole message: it is parsed with small limits and checked against a
 * portal owning gosuslugi.ru and госуслуги.рф (our host mx.okno.test). Its first line
 * is also judged as a host name on its own. What must hold for any input: a verdict
 * and portal_sender from their enums, a score equal to the sum of the weights and
 * agreeing with the verdict thresholds, every reason text valid UTF-8 and every code
 * reported once, and a host judgement whose display form is valid UTF-8 and which
 * names a portal domain exactly when it is not OTHER. Everything is freed, so leaks
 * show too. */
#include <stdint.h>
#include <string.h>

#include "check/lookalike.h"
#include "check/phishing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static OknoConfig *cfg;
  static OknoPortalSet *portal;
  OknoMimeLimits limits = {.max_depth = 8, .max_parts = 64, .memory_budget = 1 << 20, .time_budget_ms = 2000};
  const char *raw = (const char *)data;
  const char *nl = memchr(raw, '\n', size);
  g_autofree char *first = g_strndup(raw, nl ? (gsize)(nl - raw) : size);
  OknoHostJudgement j;
  OknoMessage *m;
  OknoPhishResult *r;
  int sum = 0;

  if (!cfg) {
    cfg = okno_config_new_default();
    g_strfreev(cfg->portal_domains);
    cfg->portal_domains = g_strsplit("gosuslugi.ru;госуслуги.рф", ";", -1);
    g_free(cfg->hostname);
    cfg->hostname = g_strdup("mx.okno.test");
    portal = okno_portal_set_new((const char *const *)cfg->portal_domains);
  }
  okno_host_judge(first, portal, &j);
  g_assert(g_utf8_validate(j.display, -1, NULL));
  g_assert((j.kind == OKNO_HOST_OTHER) == (j.portal_domain == NULL));
  okno_host_judgement_clear(&j);

  m = okno_mime_parse(raw, size, &limits);
  if (!m)
    return 0;
  r = okno_phishing_check(m, raw, size, cfg);
  g_assert(r->verdict <= OKNO_VERDICT_DANGEROUS && r->portal_sender <= OKNO_PORTAL_SENDER_VERIFIED);
  for (guint i = 0; i < r->reasons->len; i++) {
    const OknoPhishReason *x = g_ptr_array_index(r->reasons, i);
    g_assert(g_utf8_validate(x->text, -1, NULL));
    g_assert(okno_phish_find(r, x->code) == x);
    sum += x->weight;
  }
  g_assert(sum == r->score);
  g_assert((r->verdict == OKNO_VERDICT_DANGEROUS) == (r->score >= OKNO_PHISH_STRONG));
  g_assert((r->verdict == OKNO_VERDICT_CLEAN) == (r->score < OKNO_PHISH_SUSPICIOUS));
  okno_phish_result_free(r);
  okno_message_free(m);
  return 0;
}
