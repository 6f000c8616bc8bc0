/* phishing.c: the phishing check behind `okno check-mail` (see phishing.h): the entry
 * point, the reason list and the verdict.
 *
 * How it works: one Check (signals.h) walks the message in five passes, each adding
 * reasons (code, weight, a Russian sentence) through add_reason(), which keeps one
 * reason per code (the heaviest example wins):
 *   1.-2. sender.c: the raw header block (Return-Path, our Authentication-Results) and
 *      the From, Reply-To and Return-Path domains, the display name, the portal claim;
 *   3. links.c: the URLs of the text, with the shown text of html2text's pairs;
 *   4. attachments.c: names, types, macros, ZIP members, then a second parse of the
 *      raw bytes for names as sent and the links of dropped HTML renderings;
 *   5. words.c: requests for credentials, urgency, threats, lures.
 * Then one combined signal (credentials asked together with a link outside the
 * portal), the reasons sorted heaviest first, and the verdict from the sum of the
 * weights (phishing.h). This file also holds the helpers the domain signals of
 * sender.c and links.c share. Every loop over untrusted data is capped (each file
 * names its caps). */
#include "check/phishing.h"

#include <stdarg.h>
#include <string.h>

#include "check/blocklist.h"
#include "check/lookalike.h"
#include "check/signals.h"

#define TEXT_SCAN_MAX (1024 * 1024)   /* bytes of body text read */
#define INDICATORS_MAX 64             /* domains and URLs kept for the block list */

/* --- reasons ------------------------------------------------------------------- */

static void reason_free(gpointer p)
{
  OknoPhishReason *r = p;
  g_free(r->text);
  g_free(r);
}

void add_reason(Check *c, const char *code, int weight, const char *fmt, ...)
{
  va_list ap;
  OknoPhishReason *r = (OknoPhishReason *)okno_phish_find(c->res, code);
  if (r && r->weight >= weight)
    return;
  if (!r) {
    r = g_new0(OknoPhishReason, 1);
    r->code = code;
    g_ptr_array_add(c->res->reasons, r);
  }
  g_free(r->text);
  va_start(ap, fmt);
  r->text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  r->weight = weight;
}

/* --- domains shared by the sender and link signals ----------------------------- */

gboolean same_registrable(const char *a, const char *b)
{
  g_autofree char *ra = okno_host_registrable(a);
  g_autofree char *rb = okno_host_registrable(b);
  return *ra && g_ascii_strcasecmp(ra, rb) == 0;
}

/* Reasons every judged domain may give besides a lookalike: bad IDN, mixed scripts. */
void idn_reasons(Check *c, const OknoHostJudgement *j)
{
  if (j->invalid_idn)
    add_reason(c, "domain_invalid_idn", 4,
               "В адресе %s есть искажённая международная запись домена (xn--). "
               "У настоящих сайтов и почтовых адресов такого не бывает.", j->display);
  if (j->mixed_script && j->kind == OKNO_HOST_OTHER)
    add_reason(c, "domain_mixed_script", 6,
               "В адресе %s смешаны буквы разных алфавитов (например, латинские и русские). "
               "Так подделывают известные адреса.", j->display);
}

/* --- the check ----------------------------------------------------------------- */

/* g_ptr_array_sort is stable: equal weights keep the order they were found in. */
static gint heavier_first(gconstpointer a, gconstpointer b)
{
  const OknoPhishReason *ra = *(const OknoPhishReason *const *)a;
  const OknoPhishReason *rb = *(const OknoPhishReason *const *)b;
  return rb->weight - ra->weight;
}

/* Sorts the reasons heaviest first and sets score and verdict from them. */
static void rescore(OknoPhishResult *r)
{
  g_ptr_array_sort(r->reasons, heavier_first);
  r->score = 0;
  for (guint i = 0; i < r->reasons->len; i++) {
    const OknoPhishReason *x = g_ptr_array_index(r->reasons, i);
    r->score += x->weight;
  }
  r->verdict = r->score >= OKNO_PHISH_STRONG       ? OKNO_VERDICT_DANGEROUS
               : r->score >= OKNO_PHISH_SUSPICIOUS ? OKNO_VERDICT_SUSPICIOUS
                                                   : OKNO_VERDICT_CLEAN;
}

void okno_phish_add_reason(OknoPhishResult *r, const char *code, int weight, const char *text)
{
  Check c = {.res = r};
  add_reason(&c, code, weight, "%s", text);
  rescore(r);
}

void okno_phish_set_weight(OknoPhishResult *r, const char *code, int weight)
{
  OknoPhishReason *x = (OknoPhishReason *)okno_phish_find(r, code);
  if (!x)
    return;
  x->weight = weight;
  rescore(r);
}

static void indicator_free(gpointer p)
{
  OknoPhishIndicator *x = p;
  g_free(x->value);
  g_free(x);
}

/* TRUE when normalised domain `d` is one of the portal's domains or under one. */
static gboolean portal_domain(const Check *c, const char *d)
{
  gsize n = strlen(d);
  for (char **p = c->cfg->portal_domains; p && *p; p++) {
    g_autofree char *pd = okno_blocklist_normalize("domain", *p);
    gsize m = pd ? strlen(pd) : 0;
    if (m && (strcmp(d, pd) == 0 || (n > m && d[n - m - 1] == '.' && strcmp(d + n - m, pd) == 0)))
      return TRUE;
  }
  return FALSE;
}

void add_indicator(Check *c, const char *kind, const char *value)
{
  g_autofree char *v = okno_blocklist_normalize(kind, value);
  g_autofree char *host = NULL;
  gboolean url = strcmp(kind, "url") == 0;
  OknoPhishIndicator *x;
  if (!v || c->res->indicators->len >= INDICATORS_MAX)
    return;
  /* the host of a normalised URL: after "://", up to the port, path or query */
  host = url ? g_strndup(strstr(v, "://") + 3, strcspn(strstr(v, "://") + 3, ":/?")) : g_strdup(v);
  if (portal_domain(c, host))
    return;
  for (guint i = 0; i < c->res->indicators->len; i++) {
    const OknoPhishIndicator *y = g_ptr_array_index(c->res->indicators, i);
    if (strcmp(y->kind, kind) == 0 && strcmp(y->value, v) == 0)
      return;
  }
  x = g_new0(OknoPhishIndicator, 1);
  x->kind = url ? "url" : "domain";
  x->value = g_steal_pointer(&v);
  g_ptr_array_add(c->res->indicators, x);
}

static OknoPhishResult *result_new(void)
{
  OknoPhishResult *r = g_new0(OknoPhishResult, 1);
  r->reasons = g_ptr_array_new_with_free_func(reason_free);
  r->indicators = g_ptr_array_new_with_free_func(indicator_free);
  return r;
}

OknoPhishResult *okno_phishing_indicators(const OknoMessage *msg, const char *raw, gsize len,
                                          const OknoConfig *cfg)
{
  Check c = {.msg = msg, .cfg = cfg, .indicators_only = TRUE};
  c.res = result_new();
  sender_indicators(&c, raw ? raw : "", raw ? len : 0);
  check_links(&c, msg->text, MIN(strlen(msg->text), (gsize)TEXT_SCAN_MAX));
  return c.res;
}

OknoPhishResult *okno_phishing_check(const OknoMessage *msg, const char *raw, gsize len,
                                     const OknoConfig *cfg)
{
  Check c = {.msg = msg, .cfg = cfg};
  gsize text_len = MIN(strlen(msg->text), (gsize)TEXT_SCAN_MAX);

  c.portal = okno_portal_set_new((const char *const *)cfg->portal_domains);
  c.res = result_new();
  check_sender(&c, raw ? raw : "", raw ? len : 0);
  check_links(&c, msg->text, text_len);
  for (guint i = 0; i < msg->attachments->len; i++)
    check_attachment(&c, g_ptr_array_index(msg->attachments, i));
  if (raw && len > 0)
    check_raw_parts(&c, raw, len);
  check_words(&c, msg->subject, msg->text, text_len);
  if (c.asks_credentials && c.outside_host)
    add_reason(&c, "credentials_and_external_link", 10,
               "Письмо просит ввести личные данные и ведёт на сторонний сайт %s. "
               "Это признак мошенничества.", c.outside_host);

  rescore(c.res);
  g_free(c.outside_host);
  okno_portal_set_free(c.portal);
  return c.res;
}

void okno_phish_result_free(OknoPhishResult *r)
{
  if (!r)
    return;
  g_ptr_array_unref(r->reasons);
  g_ptr_array_unref(r->indicators);
  okno_rspamd_result_free(r->rspamd);
  g_free(r);
}

const OknoPhishReason *okno_phish_find(const OknoPhishResult *r, const char *code)
{
  for (guint i = 0; i < r->reasons->len; i++) {
    const OknoPhishReason *x = g_ptr_array_index(r->reasons, i);
    if (strcmp(x->code, code) == 0)
      return x;
  }
  return NULL;
}

const char *okno_verdict_name(OknoVerdict v)
{
  switch (v) {
  case OKNO_VERDICT_SUSPICIOUS:
    return "suspicious";
  case OKNO_VERDICT_DANGEROUS:
    return "dangerous";
  case OKNO_VERDICT_CLEAN:
  default:
    return "clean";
  }
}

const char *okno_portal_sender_name(OknoPortalSender s)
{
  switch (s) {
  case OKNO_PORTAL_SENDER_VERIFIED:
    return "verified";
  case OKNO_PORTAL_SENDER_UNVERIFIED:
    return "unverified";
  case OKNO_PORTAL_SENDER_NO:
  default:
    return "no";
  }
}

const char *okno_verdict_text(OknoVerdict v)
{
  static const char *const texts[] = {
    [OKNO_VERDICT_CLEAN] = "Признаков мошенничества не найдено.",
    /* (parenthesised: one string over several lines, not a missing comma) */
    [OKNO_VERDICT_SUSPICIOUS] = ("Письмо подозрительное. Будьте осторожны: не переходите по ссылкам "
                                 "и не сообщайте своих данных, пока не убедитесь, что письмо "
                                 "настоящее."),
    [OKNO_VERDICT_DANGEROUS] = ("Письмо опасно: оно похоже на мошенническое. Не переходите по "
                                "ссылкам, не открывайте вложения и не сообщайте никаких данных."),
  };
  return (guint)v < G_N_ELEMENTS(texts) ? texts[v] : texts[OKNO_VERDICT_CLEAN];
}
