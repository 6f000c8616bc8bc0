/* sender.c: the sender signals of the phishing check (see signals.h): who the letter
 * says it is from, and whether our own authentication results prove it.
 *
 * How it works: a hand-written scan of the raw header block (unfolded, capped) keeps
 * Return-Path and the Authentication-Results headers; only the topmost one whose
 * authserv-id is our [smtp] hostname is believed (RFC 8601 section 5). The From,
 * Reply-To and Return-Path domains are judged through lookalike.h, the display name is
 * compared with the portal's names, and a From domain of the portal's is checked
 * against the trusted results (dmarc=pass, or dkim=pass aligned with From, or without
 * a DMARC record spf=pass aligned with From: the rule of intake's mail/auth.h). */
#include <string.h>

#include "check/lookalike.h"
#include "check/signals.h"

#define HEADER_SCAN_MAX (1024 * 1024) /* bytes of header block read */
#define HEADER_VALUE_MAX 4096         /* bytes kept of one header value */
#define AUTH_RESULTS_MAX 16           /* Authentication-Results headers kept */

/* --- raw headers --------------------------------------------------------------- */

typedef struct {
  GPtrArray *auth_results; /* of char*, in header order (topmost first) */
  char *return_path;
} RawHeaders;

static void raw_headers_clear(RawHeaders *h)
{
  g_ptr_array_unref(h->auth_results);
  g_free(h->return_path);
}

/* Scans the header block (up to the first empty line) for the two headers we need,
 * unfolding continuation lines; values are capped at HEADER_VALUE_MAX. */
static void scan_headers(const char *raw, gsize len, RawHeaders *h)
{
  const char *p = raw, *end = raw + MIN(len, (gsize)HEADER_SCAN_MAX);
  GString *cur = NULL; /* value being collected, NULL when the header is not ours */
  gboolean cur_is_auth = FALSE;

  h->auth_results = g_ptr_array_new_with_free_func(g_free);
  h->return_path = NULL;
  while (p && p < end) {
    const char *nl = memchr(p, '\n', (gsize)(end - p));
    const char *eol = nl ? nl : end;
    gsize n = (gsize)(eol - p);
    if (n > 0 && p[n - 1] == '\r')
      n--;
    if (n == 0 || p[0] == ' ' || p[0] == '\t') {
      if (n == 0)
        break;
      if (cur && cur->len + n + 1 <= HEADER_VALUE_MAX) {
        g_string_append_c(cur, ' ');
        g_string_append_len(cur, p, (gssize)n);
      }
    } else {
      if (cur) {
        if (cur_is_auth)
          g_ptr_array_add(h->auth_results, g_string_free(cur, FALSE));
        else
          h->return_path = g_string_free(cur, FALSE);
        cur = NULL;
      }
      if (n > 23 && g_ascii_strncasecmp(p, "authentication-results:", 23) == 0 &&
          h->auth_results->len < AUTH_RESULTS_MAX) {
        cur_is_auth = TRUE;
        cur = g_string_new_len(p + 23, (gssize)MIN(n - 23, (gsize)HEADER_VALUE_MAX));
      } else if (n > 12 && g_ascii_strncasecmp(p, "return-path:", 12) == 0 && !h->return_path) {
        cur_is_auth = FALSE;
        cur = g_string_new_len(p + 12, (gssize)MIN(n - 12, (gsize)HEADER_VALUE_MAX));
      }
    }
    p = nl ? nl + 1 : NULL;
  }
  if (cur) {
    if (cur_is_auth)
      g_ptr_array_add(h->auth_results, g_string_free(cur, FALSE));
    else
      h->return_path = g_string_free(cur, FALSE);
  }
}

/* What one trusted Authentication-Results header says. */
typedef struct {
  gboolean present;
  char *dmarc;          /* result ("pass", "fail", ...), NULL if not given */
  char *dmarc_from;     /* header.from, NULL if not given */
  GPtrArray *dkim_pass; /* of char*: header.d (or the domain of header.i) of passes */
  char *spf_pass;       /* the domain of smtp.mailfrom (or smtp.helo) of an SPF pass */
} Auth;

static void auth_clear(Auth *a)
{
  g_free(a->dmarc);
  g_free(a->dmarc_from);
  g_ptr_array_unref(a->dkim_pass);
  g_free(a->spf_pass);
}

/* The value with RFC 5322 comments removed and quoted strings kept as they are. */
static char *strip_comments(const char *v)
{
  GString *out = g_string_new(NULL);
  int depth = 0;
  gboolean quoted = FALSE;
  for (const char *p = v; *p; p++) {
    if (*p == '\\' && p[1]) {
      if (depth == 0)
        g_string_append_len(out, p, 2);
      p++;
    } else if (quoted) {
      g_string_append_c(out, *p);
      quoted = *p != '"';
    } else if (*p == '(') {
      depth++;
    } else if (*p == ')' && depth > 0) {
      depth--;
    } else if (depth == 0) {
      g_string_append_c(out, *p);
      quoted = *p == '"';
    }
  }
  return g_string_free(out, FALSE);
}

/* Reads the topmost header whose authserv-id is `authserv_id` into *a. */
static void parse_auth(const RawHeaders *h, const char *authserv_id, Auth *a)
{
  memset(a, 0, sizeof *a);
  a->dkim_pass = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < h->auth_results->len && !a->present; i++) {
    g_autofree char *clean = strip_comments(g_ptr_array_index(h->auth_results, i));
    g_auto(GStrv) parts = g_strsplit(clean, ";", 64);
    g_auto(GStrv) id = NULL;
    if (!parts[0])
      continue;
    id = g_strsplit_set(g_strstrip(parts[0]), " \t", 2);
    if (!id[0] || !authserv_id || g_ascii_strcasecmp(id[0], authserv_id) != 0)
      continue;
    a->present = TRUE;
    for (char **res = parts + 1; *res; res++) {
      g_auto(GStrv) tok = g_strsplit_set(g_strstrip(*res), " \t", 32);
      char *eq, *method, *result;
      const char *domain = NULL;
      if (!tok[0] || !(eq = strchr(tok[0], '=')))
        continue;
      *eq = '\0';
      method = g_ascii_strdown(tok[0], -1);
      result = g_ascii_strdown(eq + 1, -1);
      for (char **t = tok + 1; *t; t++) {
        if (g_ascii_strncasecmp(*t, "header.d=", 9) == 0 || g_ascii_strncasecmp(*t, "header.from=", 12) == 0)
          domain = strchr(*t, '=') + 1;
        else if (g_ascii_strncasecmp(*t, "header.i=", 9) == 0 && !domain)
          domain = strchr(*t, '@') ? strchr(*t, '@') + 1 : *t + 9;
        else if (g_ascii_strncasecmp(*t, "smtp.mailfrom=", 14) == 0 ||
                 g_ascii_strncasecmp(*t, "smtp.helo=", 10) == 0)
          domain = strrchr(*t, '@') ? strrchr(*t, '@') + 1 : strchr(*t, '=') + 1;
      }
      if (strcmp(method, "dmarc") == 0 && !a->dmarc) {
        a->dmarc = g_strdup(result);
        a->dmarc_from = domain ? g_ascii_strdown(domain, -1) : NULL;
      } else if (strcmp(method, "dkim") == 0 && strcmp(result, "pass") == 0 && domain) {
        g_ptr_array_add(a->dkim_pass, g_ascii_strdown(domain, -1));
      } else if (strcmp(method, "spf") == 0 && strcmp(result, "pass") == 0 && domain &&
                 !a->spf_pass) {
        a->spf_pass = g_ascii_strdown(domain, -1);
      }
      g_free(method);
      g_free(result);
    }
  }
}

/* --- sender -------------------------------------------------------------------- */

static const char *domain_of(const char *addr)
{
  const char *at = addr ? strrchr(addr, '@') : NULL;
  return at && at[1] ? at + 1 : NULL;
}

/* The address inside a Return-Path value ("<a@b>" or "a@b"); NULL for "<>". */
static char *return_path_domain(const char *value)
{
  g_autofree char *v = g_strstrip(g_strdup(value));
  char *lt = strchr(v, '<'), *gt;
  const char *d;
  if (lt) {
    gt = strchr(lt, '>');
    if (gt)
      *gt = '\0';
  }
  d = domain_of(lt ? lt + 1 : v);
  return d ? g_strdup(d) : NULL;
}

/* TRUE when two domain names are the same once brought to ASCII (punycode) form. */
static gboolean same_host(const char *a, const char *b)
{
  g_autofree char *aa = g_hostname_to_ascii(a);
  g_autofree char *ab = g_hostname_to_ascii(b);
  return aa && ab && g_ascii_strcasecmp(aa, ab) == 0;
}

/* TRUE when the display name names the portal: the configured portal name, or a
 * domain or domain label of it (lookalike.h compares skeletons, so a Latin «c» in
 * «Гоcуслуги» does not hide it). */
static gboolean name_claims_portal(const Check *c, const char *name)
{
  g_autofree char *skel = NULL;
  g_autofree char *pname = NULL;
  if (!name || !*name)
    return FALSE;
  skel = okno_skeleton(name);
  pname = okno_skeleton(c->cfg->portal_name ? c->cfg->portal_name : "");
  return (*pname && strstr(skel, pname)) || okno_portal_named_in(c->portal, name);
}

static void add_sender_indicators(Check *c, const char *from, const char *reply,
                                  const char *rpath)
{
  if (from)
    add_indicator(c, "domain", from);
  if (reply)
    add_indicator(c, "domain", reply);
  if (rpath)
    add_indicator(c, "domain", rpath);
}

void sender_indicators(Check *c, const char *raw, gsize len)
{
  RawHeaders h;
  g_autofree char *rpath = NULL;
  scan_headers(raw, len, &h);
  rpath = h.return_path ? return_path_domain(h.return_path) : NULL;
  add_sender_indicators(c, domain_of(c->msg->from_email), domain_of(c->msg->reply_to_email), rpath);
  raw_headers_clear(&h);
}

void check_sender(Check *c, const char *raw, gsize len)
{
  RawHeaders h;
  const char *from = domain_of(c->msg->from_email);
  const char *reply = domain_of(c->msg->reply_to_email);
  g_autofree char *rpath = NULL;
  OknoHostJudgement jf = {0}, jr = {0}, jp = {0};
  gboolean from_portal = FALSE;

  scan_headers(raw, len, &h);
  rpath = h.return_path ? return_path_domain(h.return_path) : NULL;
  add_sender_indicators(c, from, reply, rpath);
  if (from) {
    okno_host_judge(from, c->portal, &jf);
    idn_reasons(c, &jf);
    from_portal = jf.kind == OKNO_HOST_PORTAL;
    if (okno_host_kind_is_lookalike(jf.kind)) {
      c->claims_portal = TRUE;
      add_reason(c, "sender_lookalike", 10,
                 "Адрес отправителя (%s) похож на адрес портала (%s), но не совпадает с ним. "
                 "Так маскируются мошенники.", jf.display, jf.portal_domain);
    }
  }
  if (from_portal) {
    Auth a;
    gboolean verified = FALSE;
    parse_auth(&h, c->cfg->hostname, &a);
    c->claims_portal = TRUE;
    if (a.dmarc && strcmp(a.dmarc, "pass") == 0 &&
        (!a.dmarc_from || same_host(a.dmarc_from, from)))
      verified = TRUE;
    for (guint i = 0; i < a.dkim_pass->len && !verified; i++)
      verified = same_registrable(g_ptr_array_index(a.dkim_pass, i), from);
    /* As intake's authentication decides (mail/auth.h): a domain without a DMARC
     * record is also proved by an aligned SPF pass. */
    if (!verified && a.spf_pass && (!a.dmarc || strcmp(a.dmarc, "none") == 0))
      verified = same_registrable(a.spf_pass, from);
    if (verified) {
      c->res->portal_sender = OKNO_PORTAL_SENDER_VERIFIED;
      add_reason(c, "portal_verified", 0,
                 "Подлинность подтверждена: письмо действительно отправлено с адреса портала (%s).",
                 from);
    } else if (a.dmarc && strcmp(a.dmarc, "fail") == 0) {
      add_reason(c, "auth_dmarc_fail", 10,
                 "Письмо подписано адресом портала (%s), но проверка подлинности (DMARC) "
                 "показала, что портал его не отправлял. Это подделка.", from);
    } else if (a.present) {
      add_reason(c, "auth_not_verified", 4,
                 "Письмо отправлено от имени портала (%s), но проверка подлинности "
                 "(DMARC, DKIM) этого не подтвердила.", from);
    } else {
      add_reason(c, "auth_missing", 2,
                 "Письмо отправлено от имени портала (%s), но проверить, что его отправил "
                 "именно портал, не удалось: в письме нет результатов проверки подлинности.", from);
    }
    auth_clear(&a);
  } else if (name_claims_portal(c, c->msg->from_name)) {
    c->claims_portal = TRUE;
    if (!okno_host_kind_is_lookalike(jf.kind))
      add_reason(c, "display_name_claims_portal", 6,
                 "Отправитель называет себя «%s», но письмо пришло с адреса %s, "
                 "который не принадлежит порталу.", c->msg->from_name,
                 *c->msg->from_email ? c->msg->from_email : "без обратного адреса");
  }
  if (c->claims_portal && c->res->portal_sender == OKNO_PORTAL_SENDER_NO)
    c->res->portal_sender = OKNO_PORTAL_SENDER_UNVERIFIED;

  if (reply && (!from || !same_registrable(reply, from))) {
    okno_host_judge(reply, c->portal, &jr);
    idn_reasons(c, &jr);
    if (okno_host_kind_is_lookalike(jr.kind))
      add_reason(c, "reply_to_lookalike", 10,
                 "Ответ на это письмо уйдёт на адрес %s: он похож на адрес портала (%s), но чужой.",
                 c->msg->reply_to_email, jr.portal_domain);
    else if (jr.kind != OKNO_HOST_PORTAL)
      add_reason(c, "reply_to_differs", c->claims_portal ? 6 : 3,
                 "Ответ на это письмо уйдёт не отправителю, а на другой адрес: %s.",
                 c->msg->reply_to_email);
  }
  if (rpath) {
    okno_host_judge(rpath, c->portal, &jp);
    idn_reasons(c, &jp);
    if (okno_host_kind_is_lookalike(jp.kind))
      add_reason(c, "return_path_lookalike", 10,
                 "Служебный адрес отправителя (Return-Path) %s похож на адрес портала (%s), "
                 "но не совпадает с ним.", jp.display, jp.portal_domain);
  }
  okno_host_judgement_clear(&jf);
  okno_host_judgement_clear(&jr);
  okno_host_judgement_clear(&jp);
  raw_headers_clear(&h);
}
