/* verify.c: intake's second stage, the checks that do I/O (see verify.h).
 *
 * DESIGN
 * okno_verify() runs four checks in order on the parse thread, each writing its
 * findings into the parsed record: authenticate() asks the DNS (mail/auth.c, bounded
 * by [auth] time_budget_ms), scan() asks clamd (check/clamav.c, bounded by [clamav]
 * timeout_ms), spam_check() asks rspamd (check/rspamd.c, bounded by [rspamd]
 * timeout_ms; after the authentication, whose Authentication-Results header it then
 * sees in the message), check_phishing() is pure and comes last because a virus clamd found is
 * one of the reasons of a [check] verdict. The first refusal stops the rest: a message
 * refused by its sender's DMARC policy is not sent to clamd, a refused one is not
 * judged. A refusal is an error carrying its SMTP reply; everything short of one
 * (an unproved sender, a stripped file, DNS temperror) is recorded in the record and
 * left to registration (register.h), which reads the record and never asks the
 * network.
 *
 * The block list is the exception that reads the store: it is matched on the
 * registering thread (the parse threads have no store), from a copy reread at most
 * once a second (reading it per message cost the single writer thread a query per
 * registration). */
#include "intake/verify.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "check/citizen.h"
#include "check/clamav.h"
#include "check/rspamd.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/phish.h"

#define BLOCKLIST_TTL_US G_USEC_PER_SEC

/* SPF, DKIM and DMARC, as verify.h says; a REJECT sets *refuse. */
static void authenticate(const OknoConfig *cfg, OknoParsed *p, GError **refuse)
{
  g_autoptr(GError) err = NULL;
  g_autofree char *header = NULL;
  const char *at = strrchr(p->msg->from_email, '@');
  GInetAddress *ip;
  OknoAuthInput in = {0};
  GByteArray *stored;
  gsize len = 0;
  const guint8 *data;

  if (!cfg->auth_verify || p->env.channel != OKNO_CHANNEL_EMAIL || !p->env.client_addr ||
      !(ip = g_inet_address_new_from_string(p->env.client_addr)))
    return;
  g_object_unref(ip);
  in.client_ip = p->env.client_addr;
  in.helo = p->env.helo;
  in.mail_from = p->env_from ? p->env_from : "";
  in.from_domain = at ? at + 1 : "";
  in.raw = p->raw;
  p->auth = okno_auth_verify(cfg, &in, &err);
  if (!p->auth) {
    okno_log_warn("intake", "session=%s event=auth_unavailable error=\"%s\"", p->session_id, err->message);
    return;
  }
  {
    g_autoptr(JsonBuilder) b = json_builder_new();
    okno_auth_to_json(b, p->auth);
    p->auth_json = okno_json_text(b, FALSE);
  }
  header = okno_auth_header(cfg->hostname, p->auth);
  data = g_bytes_get_data(p->raw, &len);
  stored = g_byte_array_sized_new((guint)(strlen(header) + len));
  g_byte_array_append(stored, (const guint8 *)header, (guint)strlen(header));
  g_byte_array_append(stored, data, (guint)len);
  g_bytes_unref(p->raw);
  p->raw = g_byte_array_free_to_bytes(stored);
  okno_log("intake", "session=%s event=authentication spf=%s dkim=%s dmarc=%s action=%s",
           p->session_id, p->auth->spf,
           p->auth->dkim->len ? ((OknoDkimResult *)p->auth->dkim->pdata[0])->result : "none",
           p->auth->dmarc, okno_auth_action_name(p->auth->action));
  if (p->auth->action == OKNO_AUTH_REJECT) {
    okno_auth_reject_error(p->auth, refuse);
    okno_log("intake", "session=%s event=refused reason=%s from_domain=%s", p->session_id,
             p->auth->action_reason, p->auth->from_domain);
  } else if (p->auth->action == OKNO_AUTH_SUSPICIOUS && !p->no_autoreply) {
    p->no_autoreply = "sender authentication failed: the From address may be forged";
  } else if (p->is_check && !p->no_autoreply &&
             (g_str_equal(p->auth->spf, "fail") || g_str_equal(p->auth->spf, "softfail") ||
              g_str_equal(p->auth->dmarc, "fail"))) {
    p->no_autoreply = "sender authentication failed: the verdict would go to a forged address";
  } else if (!p->no_autoreply && g_str_equal(p->auth->spf, "fail") &&
             g_str_equal(p->auth->dmarc, "fail")) {
    /* No backscatter: a receipt would go to an address the sender most likely forged. */
    p->no_autoreply = "sender failed SPF and DMARC: the From address is probably forged";
  }
}

/* clamd on each attachment's decoded bytes (and the whole message when the parse
 * stopped early), as verify.h says; a refusal sets *refuse. The body text is not
 * scanned as a file: it is only ever shown converted to text. */
static void scan(const OknoConfig *cfg, OknoParsed *p, GError **refuse)
{
  const OknoMessage *m = p->msg;
  gboolean refuse_policy = strcmp(cfg->clamav_policy, "refuse") == 0 && !p->is_check;
  g_autoptr(GError) e = NULL;

  if (!*cfg->clamav_socket)
    return;
  for (guint i = 0; i < m->attachments->len && !e; i++) {
    const OknoAttachment *a = m->attachments->pdata[i];
    gsize n = 0;
    const void *d = a->data ? g_bytes_get_data(a->data, &n) : NULL;
    char *sig = NULL;
    if (n == 0)
      continue; /* nothing to scan */
    if (okno_clamav_scan(cfg->clamav_socket, cfg->clamav_timeout_ms, d ? d : "", n, 0, &sig, &e))
      p->infected->pdata[i] = sig;
  }
  if (!e && m->budget_exceeded) {
    gsize n = 0;
    const void *d = g_bytes_get_data(p->raw, &n);
    char *sig = NULL;
    if (okno_clamav_scan(cfg->clamav_socket, cfg->clamav_timeout_ms, d ? d : "", n, 0, &sig, &e) && sig) {
      okno_log("intake", "session=%s event=virus_found part=whole-message signature=%s",
               p->session_id, sig);
      if (!p->is_check) /* no one file to strip: refused under both policies */
        okno_set_smtp_error(refuse, 554, "5.7.1",
                            "Message refused: virus %s found / Письмо отклонено: в нём найден "
                            "вирус %s", sig, sig);
      g_free(sig);
    }
  }
  if (e) {
    okno_log_warn("intake", "session=%s event=clamav_unavailable error=\"%s\"", p->session_id,
                  e->message);
    if (!p->is_check)
      okno_set_smtp_error(refuse, 451, "4.3.0",
                          "Temporary failure: the virus scanner is unavailable, please try "
                          "again later");
    return;
  }
  for (guint i = 0; i < m->attachments->len; i++) {
    const OknoAttachment *a = m->attachments->pdata[i];
    const char *sig = p->infected->pdata[i];
    if (!sig)
      continue;
    okno_log("intake", "session=%s event=virus_found attachment=%u signature=%s policy=%s",
             p->session_id, i + 1, sig, p->is_check ? "check" : cfg->clamav_policy);
    if (refuse_policy && !*refuse)
      okno_set_smtp_error(refuse, 554, "5.7.1",
                          "Message refused: virus %s found in an attachment / Письмо "
                          "отклонено: во вложении найден вирус %s", sig, sig);
    if (!refuse_policy && !p->is_check) {
      g_free(p->refusals->pdata[i]);
      p->refusals->pdata[i] = g_strdup_printf(
          "Файл «%s» удалён: в нём найдена вредоносная программа (%s). Мы его не сохранили.",
          a->filename, sig);
    }
  }
}

OknoMetricFamily *okno_rspamd_unscanned_metric(void)
{
  return okno_metrics_counter(okno_metrics(), "okno_rspamd_unscanned_total",
                              "Messages accepted without a spam check because rspamd could "
                              "not be asked ([rspamd] on_failure = accept).",
                              NULL);
}

/* rspamd's judgement and okno's policy over it, as verify.h says; a refusal sets
 * *refuse. */
static void spam_check(const OknoConfig *cfg, OknoParsed *p, GError **refuse)
{
  g_autoptr(GError) e = NULL;
  OknoRspamdEnvelope env = {p->env.client_addr, p->env.helo, p->env_from,
                            p->env.rcpt_to};
  gsize len = 0;
  const void *data;

  if (!*cfg->rspamd_url || p->is_check || p->env.channel != OKNO_CHANNEL_EMAIL)
    return;
  data = g_bytes_get_data(p->raw, &len);
  p->spam = okno_rspamd_check(cfg->rspamd_url, cfg->rspamd_timeout_ms, &env, data, len, &e);
  if (!p->spam) {
    gboolean accept = strcmp(cfg->rspamd_on_failure, "accept") == 0;
    okno_log_warn("intake", "session=%s event=rspamd_unavailable on_failure=%s error=\"%s\"",
                  p->session_id, cfg->rspamd_on_failure, e->message);
    if (accept) {
      p->spam_unscanned = g_strdup(e->message);
      okno_metric_add(okno_rspamd_unscanned_metric(), 1);
    }
    else
      okno_set_smtp_error(refuse, 451, "4.3.0",
                          "Temporary failure: the spam filter is unavailable, please try again "
                          "later");
    return;
  }
  p->spam_verdict = okno_spam_decide(p->spam->score, p->spam->action, cfg->rspamd_reject_score,
                                     cfg->rspamd_spam_score);
  okno_log("intake", "session=%s event=spam_checked score=%.2f action=\"%s\" verdict=%s",
           p->session_id, p->spam->score, p->spam->action,
           okno_spam_verdict_name(p->spam_verdict));
  if (p->spam_verdict == OKNO_SPAM_REJECT)
    okno_set_smtp_error(refuse, 550, "5.7.1",
                        "Message refused: it was judged to be spam / Письмо отклонено: оно "
                        "похоже на спам");
  else if (p->spam_verdict == OKNO_SPAM_HOLD && !p->no_autoreply)
    p->no_autoreply = OKNO_SPAM_NO_RECEIPT;
}

/* A letter a citizen forwarded to check@ that the check found dangerous is a report:
 * rspamd learns it as spam (Bayes, fuzzy storage), so the same campaign sent to the
 * intake is judged spam. A failure is a log line, nothing else. */
static void teach_reported(const OknoConfig *cfg, const OknoParsed *p, const char *d, gsize n)
{
  g_autoptr(GError) e = NULL;
  if (p->phish->verdict != OKNO_VERDICT_DANGEROUS || okno_rspamd_teach(cfg, TRUE, d, n, &e))
    return;
  okno_log_warn("intake", "session=%s event=rspamd_learn_failed error=\"%s\"", p->session_id,
                e->message);
}

/* The phishing check, as verify.h says. A virus clamd found makes a [check] verdict
 * dangerous. */
static void check_phishing(const OknoConfig *cfg, OknoParsed *p)
{
  gsize len = 0;
  const char *data = g_bytes_get_data(p->raw, &len);
  const OknoAttachment *fwd = NULL;
  for (guint i = 0; p->is_check && i < p->msg->attachments->len && !fwd; i++) {
    const OknoAttachment *a = p->msg->attachments->pdata[i];
    if (a->data && g_bytes_get_size(a->data) > 0 &&
        (strcmp(a->declared_type, "message/rfc822") == 0 ||
         strcmp(a->content_type, "message/rfc822") == 0))
      fwd = a;
  }
  if (fwd) {
    OknoMimeLimits lim;
    gsize n = 0;
    const char *d = g_bytes_get_data(fwd->data, &n);
    g_autoptr(OknoMessage) inner = NULL;
    okno_parse_limits(cfg, &lim);
    inner = okno_mime_parse(d, n, &lim);
    p->phish = okno_citizen_check(inner, d, n, cfg);
    p->forwarded = TRUE;
    teach_reported(cfg, p, d, n);
    p->checked_subject = g_strdup(inner->subject);
  } else if (p->is_check) {
    p->phish = okno_citizen_check(p->msg, data, len, cfg);
    p->checked_subject = g_strdup(p->msg->subject);
  } else {
    p->phish = okno_phishing_indicators(p->msg, data, len, cfg);
  }
  for (guint i = 0; p->is_check && i < p->infected->len; i++) {
    const OknoAttachment *a = p->msg->attachments->pdata[i];
    g_autofree char *text = NULL;
    if (!p->infected->pdata[i])
      continue;
    text = g_strdup_printf("Во вложении «%s» антивирус нашёл вредоносную программу (%s). "
                           "Не открывайте его.", a->filename, (char *)p->infected->pdata[i]);
    okno_phish_add_reason(p->phish, "attachment_malware", OKNO_PHISH_STRONG, text);
  }
}

gboolean okno_verify(const OknoConfig *cfg, OknoParsed *p, GError **refusal)
{
  g_autoptr(GError) refuse = NULL;
  authenticate(cfg, p, &refuse);
  if (!refuse) /* refused by policy: no need to ask clamd */
    scan(cfg, p, &refuse);
  if (!refuse)
    spam_check(cfg, p, &refuse);
  if (refuse) {
    g_propagate_error(refusal, g_steal_pointer(&refuse));
    return FALSE;
  }
  check_phishing(cfg, p);
  return TRUE;
}

gboolean okno_sender_unproved(const OknoParsed *p)
{
  return p->auth && p->auth->action == OKNO_AUTH_SUSPICIOUS;
}

GPtrArray *okno_verify_blocklisted(const OknoBlocklist *bl, const OknoParsed *p)
{
  GPtrArray *hits = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; p->phish && i < p->phish->indicators->len; i++) {
    const OknoPhishIndicator *x = p->phish->indicators->pdata[i];
    const char *entry = okno_blocklist_match(bl, x->kind, x->value);
    OknoBlockHit *h;
    if (!entry)
      continue;
    h = g_new(OknoBlockHit, 1);
    *h = (OknoBlockHit){x->kind, x->value, entry};
    g_ptr_array_add(hits, h);
  }
  return hits;
}

const OknoBlocklist *okno_blocklist_cache_get(OknoBlocklistCache *c, OknoStore *st,
                                              GError **error)
{
  gint64 now = g_get_monotonic_time();
  if (!c->list || now - c->read_at >= BLOCKLIST_TTL_US) {
    OknoBlocklist *bl = okno_store_phish_blocklist(st, error);
    if (!bl)
      return NULL;
    g_clear_pointer(&c->list, okno_blocklist_free);
    c->list = bl;
    c->read_at = now;
  }
  return c->list;
}

void okno_blocklist_cache_clear(OknoBlocklistCache *c)
{
  g_clear_pointer(&c->list, okno_blocklist_free);
  c->read_at = 0;
}
