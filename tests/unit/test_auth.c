/* test_auth.c: the pure parts of sender authentication (mail/auth.h, mail/dns.h): the
 * Authentication-Results header (RFC 8601), the policy decision, the organizational
 * domain from the public suffix list, the SMTP refusal text, and the DNS client's
 * answers that need no server. The lookups themselves are tested against a real DNS
 * server in tests/it/test_auth.py and test_spf_suite.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/error.h"
#include "mail/auth.h"
#include "mail/dns.h"
#include "check/phishing.h"

static OknoDkimResult *sig(const char *d, const char *s, const char *result)
{
  OknoDkimResult *x = g_new0(OknoDkimResult, 1);
  x->domain = g_strdup(d);
  x->selector = g_strdup(s);
  x->result = g_strdup(result);
  x->reason = g_strdup("");
  return x;
}

static void dkim_free(gpointer p)
{
  OknoDkimResult *x = p;
  g_free(x->domain);
  g_free(x->selector);
  g_free(x->result);
  g_free(x->reason);
  g_free(x);
}

/* A result as okno_auth_verify() would fill it. */
static OknoAuthResult *result(const char *spf, const char *mail_from, const char *from_domain,
                              const char *dmarc, const char *policy)
{
  OknoAuthResult *r = g_new0(OknoAuthResult, 1);
  const char *at = strrchr(mail_from, '@');
  r->spf = g_strdup(spf);
  r->spf_identity = g_strdup("mailfrom");
  r->spf_address = g_strdup(mail_from);
  r->spf_domain = g_strdup(at ? at + 1 : "");
  r->spf_reason = g_strdup("");
  r->dkim = g_ptr_array_new_with_free_func(dkim_free);
  r->from_domain = g_strdup(from_domain);
  r->dmarc = g_strdup(dmarc);
  r->dmarc_policy = g_strdup(policy);
  r->dmarc_reason = g_strdup("");
  r->action_reason = g_strdup("");
  return r;
}

static OknoConfig *config(void)
{
  OknoConfig *cfg = okno_config_new_default();
  g_strfreev(cfg->portal_domains);
  cfg->portal_domains = g_strsplit("gosuslugi.ru;portal.example", ";", -1);
  return cfg;
}

static void header_has_every_method_folded(void **state)
{
  g_autoptr(OknoAuthResult) r = result("pass", "ivan@mail.example", "mail.example", "pass", "reject");
  g_autofree char *h = NULL;
  g_ptr_array_add(r->dkim, sig("mail.example", "s1", "pass"));
  g_ptr_array_add(r->dkim, sig("other.example", "s2", "fail"));
  h = okno_auth_header("okno.test", r);
  assert_string_equal(h, "Authentication-Results: okno.test;\r\n"
                         "\tspf=pass smtp.mailfrom=ivan@mail.example;\r\n"
                         "\tdkim=pass header.d=mail.example header.s=s1;\r\n"
                         "\tdkim=fail header.d=other.example header.s=s2;\r\n"
                         "\tdmarc=pass (p=reject) header.from=mail.example\r\n");
}

/* The phishing check (check/sender.c) believes the Authentication-Results header that
 * intake prepends: the two must read and write the same words. */
static OknoPortalSender portal_sender_with(const OknoConfig *cfg, const OknoAuthResult *r)
{
  g_autofree char *h = okno_auth_header(cfg->hostname, r);
  g_autofree char *raw = g_strdup_printf(
      "%sFrom: =?utf-8?B?0JPQvtGB0YPRgdC70YPQs9C4?= <noreply@gosuslugi.ru>\r\n"
      "To: ivan@example.ru\r\nSubject: Notice\r\nMessage-ID: <n1@gosuslugi.ru>\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n", h);
  OknoMimeLimits lim = {.max_depth = 10, .max_parts = 100, .memory_budget = 1 << 20,
                        .time_budget_ms = 5000};
  g_autoptr(OknoMessage) m = okno_mime_parse(raw, strlen(raw), &lim);
  g_autoptr(OknoPhishResult) v = okno_phishing_check(m, raw, strlen(raw), cfg);
  return v->portal_sender;
}

static void phishing_check_reads_our_header(void **state)
{
  g_autoptr(OknoConfig) cfg = config();
  g_autoptr(OknoAuthResult) pass = result("pass", "noreply@gosuslugi.ru", "gosuslugi.ru", "pass", "reject");
  g_autoptr(OknoAuthResult) fail = result("fail", "noreply@gosuslugi.ru", "gosuslugi.ru", "fail", "reject");
  g_autoptr(OknoAuthResult) dkim = result("fail", "x@bounce.example", "gosuslugi.ru", "none", "");
  g_autoptr(OknoAuthResult) spf = result("pass", "bounce@mail.gosuslugi.ru", "gosuslugi.ru", "none", "");
  g_autoptr(OknoAuthResult) spf_dmarc_fail = result("pass", "bounce@mail.gosuslugi.ru", "gosuslugi.ru", "fail", "none");
  g_autoptr(OknoAuthResult) spf_other = result("pass", "bounce@other.example", "gosuslugi.ru", "none", "");
  g_ptr_array_add(dkim->dkim, sig("gosuslugi.ru", "s1", "pass"));
  okno_mime_init();
  /* without a DMARC record an aligned SPF pass proves the sender (okno_auth_decide) */
  assert_int_equal(portal_sender_with(cfg, spf), OKNO_PORTAL_SENDER_VERIFIED);
  assert_int_equal(portal_sender_with(cfg, spf_dmarc_fail), OKNO_PORTAL_SENDER_UNVERIFIED);
  assert_int_equal(portal_sender_with(cfg, spf_other), OKNO_PORTAL_SENDER_UNVERIFIED);
  assert_int_equal(portal_sender_with(cfg, pass), OKNO_PORTAL_SENDER_VERIFIED);
  assert_int_equal(portal_sender_with(cfg, fail), OKNO_PORTAL_SENDER_UNVERIFIED);
  assert_int_equal(portal_sender_with(cfg, dkim), OKNO_PORTAL_SENDER_VERIFIED);
  /* a header of another authserv-id is not believed */
  g_free(cfg->hostname);
  cfg->hostname = g_strdup("mx.elsewhere.example");
  {
    g_autofree char *h = okno_auth_header("okno.test", pass);
    g_autofree char *raw = g_strdup_printf("%sFrom: <noreply@gosuslugi.ru>\r\n\r\nHi\r\n", h);
    OknoMimeLimits lim = {.max_depth = 10, .max_parts = 100, .memory_budget = 1 << 20,
                          .time_budget_ms = 5000};
    g_autoptr(OknoMessage) m = okno_mime_parse(raw, strlen(raw), &lim);
    g_autoptr(OknoPhishResult) v = okno_phishing_check(m, raw, strlen(raw), cfg);
    assert_int_equal(v->portal_sender, OKNO_PORTAL_SENDER_UNVERIFIED);
  }
}

static void header_without_signatures_says_dkim_none(void **state)
{
  g_autoptr(OknoAuthResult) r = result("temperror", "a@slow.example", "", "none", "");
  g_autofree char *h = NULL;
  g_free(r->spf_reason);
  r->spf_reason = g_strdup("DNS lookup of slow.example: timeout");
  g_free(r->dmarc_reason);
  r->dmarc_reason = g_strdup("no From domain");
  h = okno_auth_header("okno.test", r);
  assert_string_equal(h, "Authentication-Results: okno.test;\r\n"
                         "\tspf=temperror (DNS lookup of slow.example: timeout) smtp.mailfrom=a@slow.example;\r\n"
                         "\tdkim=none;\r\n"
                         "\tdmarc=none (no From domain)\r\n");
}

static void hostile_values_cannot_break_the_header(void **state)
{
  /* A MAIL FROM with quotes, CR LF and 8-bit bytes, a selector with ';', a reason with
   * parentheses: every value stays inside its quoted-string or comment, and no byte
   * outside printable ASCII gets through. */
  g_autoptr(OknoAuthResult) r = result("fail", "\"x;y\"@a.example\r\nX-Evil: 1", "a.example", "fail", "none");
  g_autofree char *h = NULL;
  OknoDkimResult *x = sig("a.example", "s;dkim=pass", "neutral");
  g_free(x->reason);
  x->reason = g_strdup("bad (really) \xd0\xbf\r\n");
  g_ptr_array_add(r->dkim, x);
  h = okno_auth_header("okno.test", r);
  for (const char *p = h; *p; p++) {
    guchar c = (guchar)*p;
    if (c == '\r') {
      assert_true(p[1] == '\n' && (p[2] == '\t' || p[2] == '\0'));
      continue;
    }
    if (c == '\n' || c == '\t')
      continue;
    assert_true(c >= ' ' && c < 0x7f);
  }
  assert_non_null(strstr(h, "smtp.mailfrom=\"\\\"x;y\\\"@a.example??X-Evil: 1\""));
  assert_non_null(strstr(h, "header.s=\"s;dkim=pass\""));
  assert_non_null(strstr(h, "dkim=neutral (bad really ) header.d=a.example"));
  assert_null(strstr(h, "\nX-Evil"));
}

static void decide_dmarc_reject_and_quarantine(void **state)
{
  g_autoptr(OknoConfig) cfg = config();
  g_autoptr(OknoAuthResult) rej = result("fail", "a@bank.example", "bank.example", "fail", "reject");
  g_autoptr(OknoAuthResult) qua = result("fail", "a@bank.example", "bank.example", "fail", "quarantine");
  g_autoptr(OknoAuthResult) mon = result("fail", "a@bank.example", "bank.example", "fail", "none");
  g_autoptr(GError) err = NULL;
  g_autofree char *reply = NULL;
  okno_auth_decide(cfg, rej);
  okno_auth_decide(cfg, qua);
  okno_auth_decide(cfg, mon);
  assert_int_equal(rej->action, OKNO_AUTH_REJECT);
  assert_string_equal(rej->action_reason, "dmarc_reject");
  assert_int_equal(qua->action, OKNO_AUTH_SUSPICIOUS);
  assert_string_equal(qua->action_reason, "dmarc_quarantine");
  assert_int_equal(mon->action, OKNO_AUTH_ACCEPT);
  okno_auth_reject_error(rej, &err);
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_PERM));
  reply = okno_error_smtp_reply(err); /* what the SMTP session answers */
  assert_true(g_str_has_prefix(reply, "550 5.7.1 "));
  assert_non_null(strstr(reply, "bank.example"));
  assert_null(strchr(reply, '\r'));
}

static void decide_temperror_accepts(void **state)
{
  g_autoptr(OknoConfig) cfg = config();
  g_autoptr(OknoAuthResult) r = result("temperror", "a@bank.example", "bank.example", "temperror", "");
  okno_auth_decide(cfg, r);
  assert_int_equal(r->action, OKNO_AUTH_ACCEPT);
  assert_false(r->portal);
}

static void decide_portal_domain_needs_proof(void **state)
{
  g_autoptr(OknoConfig) cfg = config();
  /* No DMARC record and SPF fail: flagged whatever the (absent) policy says. */
  g_autoptr(OknoAuthResult) forged = result("fail", "noreply@gosuslugi.ru", "gosuslugi.ru", "none", "");
  /* A subdomain of a portal domain, DMARC temperror: not proved, flagged. */
  g_autoptr(OknoAuthResult) temp = result("temperror", "a@mail.gosuslugi.ru", "mail.gosuslugi.ru", "temperror", "");
  /* No DMARC record, but an aligned DKIM pass from a subdomain proves it. */
  g_autoptr(OknoAuthResult) dkim = result("fail", "bounce@esp.example", "gosuslugi.ru", "none", "");
  /* No DMARC record, SPF pass of an aligned MAIL FROM proves it. */
  g_autoptr(OknoAuthResult) spf = result("pass", "bounce@news.gosuslugi.ru", "gosuslugi.ru", "none", "");
  /* An unaligned DKIM pass proves nothing. */
  g_autoptr(OknoAuthResult) other = result("fail", "a@esp.example", "portal.example", "none", "");
  /* DMARC pass. */
  g_autoptr(OknoAuthResult) pass = result("fail", "a@esp.example", "portal.example", "pass", "reject");
  /* A lookalike is not the portal (the phishing check's business, not this one). */
  g_autoptr(OknoAuthResult) look = result("fail", "a@xgosuslugi.ru", "xgosuslugi.ru", "none", "");
  g_ptr_array_add(dkim->dkim, sig("mail.gosuslugi.ru", "s", "pass"));
  g_ptr_array_add(other->dkim, sig("esp.example", "s", "pass"));
  okno_auth_decide(cfg, forged);
  okno_auth_decide(cfg, temp);
  okno_auth_decide(cfg, dkim);
  okno_auth_decide(cfg, spf);
  okno_auth_decide(cfg, other);
  okno_auth_decide(cfg, pass);
  okno_auth_decide(cfg, look);
  assert_true(forged->portal);
  assert_int_equal(forged->action, OKNO_AUTH_SUSPICIOUS);
  assert_string_equal(forged->action_reason, "portal_unverified");
  assert_int_equal(temp->action, OKNO_AUTH_SUSPICIOUS);
  assert_int_equal(dkim->action, OKNO_AUTH_ACCEPT);
  assert_int_equal(spf->action, OKNO_AUTH_ACCEPT);
  assert_int_equal(other->action, OKNO_AUTH_SUSPICIOUS);
  assert_int_equal(pass->action, OKNO_AUTH_ACCEPT);
  assert_false(look->portal);
  assert_int_equal(look->action, OKNO_AUTH_ACCEPT);
}

static void organizational_domain_from_public_suffix_list(void **state)
{
  g_autoptr(OknoConfig) cfg = okno_config_new_default();
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  if (!g_file_test(cfg->auth_public_suffix_list, G_FILE_TEST_IS_REGULAR))
    skip();
  a = okno_auth_org_domain(cfg, "Mail.Example.CO.UK");
  b = okno_auth_org_domain(cfg, "a.b.gosuslugi.ru");
  c = okno_auth_org_domain(cfg, "portal.example");
  d = okno_auth_org_domain(cfg, "x.y.portal.example.");
  assert_string_equal(a, "example.co.uk");
  assert_string_equal(b, "gosuslugi.ru");
  assert_string_equal(c, "portal.example");
  assert_string_equal(d, "portal.example");
}

static void dns_server_setting_is_checked(void **state)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(OknoDns) ok1 = okno_dns_new("127.0.0.1:5353", 100, 4096, 10, NULL);
  g_autoptr(OknoDns) ok2 = okno_dns_new("[::1]:53", 100, 4096, 10, NULL);
  g_autoptr(OknoDns) bad = okno_dns_new("127.0.0.1:99999", 100, 4096, 10, &err);
  assert_non_null(ok1);
  assert_non_null(ok2);
  assert_null(bad);
  assert_true(g_error_matches(err, OKNO_ERROR, OKNO_ERROR_USER));
}

static void dns_names_that_cannot_exist_are_not_asked(void **state)
{
  /* Port 9 of loopback answers nothing: any real query would time out. */
  g_autoptr(OknoDns) dns = okno_dns_new("127.0.0.1:9", 50, 4096, 10, NULL);
  g_autofree char *long_label = g_strnfill(64, 'a');
  g_autofree char *name = g_strconcat(long_label, ".example", NULL);
  GPtrArray *recs = NULL;
  assert_int_equal(okno_dns_query(dns, "", OKNO_DNS_TXT, &recs), OKNO_DNS_NXDOMAIN);
  assert_int_equal(okno_dns_query(dns, "a..example", OKNO_DNS_TXT, &recs), OKNO_DNS_NXDOMAIN);
  assert_int_equal(okno_dns_query(dns, name, OKNO_DNS_TXT, &recs), OKNO_DNS_NXDOMAIN);
  assert_null(recs);
  assert_true(okno_dns_status_is_temporary(okno_dns_query(dns, "silent.example", OKNO_DNS_TXT, &recs)));
  assert_false(okno_dns_status_is_temporary(OKNO_DNS_NXDOMAIN));
  assert_string_equal(okno_dns_status_name(OKNO_DNS_SERVFAIL), "servfail");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(header_has_every_method_folded),
    cmocka_unit_test(phishing_check_reads_our_header),
    cmocka_unit_test(header_without_signatures_says_dkim_none),
    cmocka_unit_test(hostile_values_cannot_break_the_header),
    cmocka_unit_test(decide_dmarc_reject_and_quarantine),
    cmocka_unit_test(decide_temperror_accepts),
    cmocka_unit_test(decide_portal_domain_needs_proof),
    cmocka_unit_test(organizational_domain_from_public_suffix_list),
    cmocka_unit_test(dns_server_setting_is_checked),
    cmocka_unit_test(dns_names_that_cannot_exist_are_not_asked),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
